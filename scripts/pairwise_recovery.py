"""Recover a random pairwise (inverse Ising) model from its samples with fit_pairwise.

    PYTHONPATH=. python3 scripts/pairwise_recovery.py [--small 15] [--large 60]
                                                      [--samples 100000]

N = 15: samples drawn exactly (all 2^15 states enumerated), fitted by ``method="exact"``
(Newton on the enumerated states), by pseudo-likelihood and by
Boltzmann learning; the sampled fits are compared with the exact maximum-likelihood fit
in units of its standard errors (square roots of the diagonal of the inverse Fisher
information, from the exact model).  N = 60: samples from long heat-bath chains of the
true model, fitted by pseudo-likelihood and Boltzmann learning; times and the error of
the couplings against the truth are printed.  True parameters: h_i ~ N(0, 0.2^2),
J_ij ~ N(0, (0.5 / sqrt(N))^2) (a Sherrington-Kirkpatrick-like model, beta J = 0.5).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import maxent
from maxent import _potts_kernels as kern


def random_model(n, rng):
    h = rng.normal(0.0, 0.2, n)
    couplings = np.triu(rng.normal(0.0, 0.5 / np.sqrt(n), (n, n)), 1)
    return h, couplings + couplings.T


def params(h, couplings):
    return np.concatenate([h, couplings[np.triu_indices(h.size, 1)]])


def exact_samples(h, couplings, n_samples, rng):
    fs = maxent.features.pairwise(h.size)
    mat = fs.to_numpy()
    logp = mat @ params(h, couplings)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    idx = rng.choice(p.size, n_samples, p=p)
    return 2 * fs.configurations(0, fs.n_states)[idx] - 1


def fisher_sigma(theta, n, n_samples):
    fs = maxent.features.pairwise(n)
    mat = fs.to_numpy()
    logp = mat @ theta
    p = np.exp(logp - logp.max())
    p /= p.sum()
    centred = mat - p @ mat
    cov = centred.T @ (centred * p[:, None])
    return np.sqrt(np.diag(np.linalg.inv(cov)) / n_samples)


def mc_samples(h, couplings, n_samples, rng, n_chains=500, burn=2000, spacing=20):
    """Heat-bath chains of the Ising model as a two-state Potts model (state 1 = +1)."""
    iu = np.triu_indices(h.size, 1)
    sign = np.array([-1.0, 1.0])
    fields = h[:, None] * sign
    pair = couplings[iu][:, None, None] * np.outer(sign, sign)
    codes = rng.integers(0, 2, (n_chains, h.size)).astype(np.int8)
    table = kern.pair_table(h.size)
    kern.gibbs_sweeps(codes, fields, pair, table, burn, int(rng.integers(2**31)))
    out = []
    while len(out) * n_chains < n_samples:
        kern.gibbs_sweeps(codes, fields, pair, table, spacing, int(rng.integers(2**31)))
        out.append(2 * codes - 1)
    return np.concatenate(out)[:n_samples]


def timed(samples, **kwargs):
    start = time.perf_counter()
    fit = maxent.fit_pairwise(samples, **kwargs)
    return fit, time.perf_counter() - start


def small(n, n_samples, rng):
    h, couplings = random_model(n, rng)
    samples = exact_samples(h, couplings, n_samples, rng)
    exact, t_exact = timed(samples, method="exact")
    theta_ml = params(*exact.to_values((-1, 1)))
    sigma = fisher_sigma(theta_ml, n, n_samples)
    truth = params(h, couplings)
    print(
        f"N = {n}, {n_samples} exact samples; standard errors of the ML fit: median "
        f"{np.median(sigma):.4f}"
    )
    print(
        f"{'method':28s} {'time_s':>7s} {'conv':>5s} {'iter':>5s} {'rms dev/sigma':>14s} "
        f"{'max dev/sigma':>14s} {'mle_dist':>8s} {'max|z|':>7s}"
    )
    dev = (truth - theta_ml) / sigma
    print(
        f"{'(truth vs exact ML fit)':28s} {'':7s} {'':5s} {'':5s} "
        f"{np.sqrt(np.mean(dev**2)):14.3f} {np.max(np.abs(dev)):14.3f}"
    )
    print(
        f"{'exact (enumerated)':28s} {t_exact:7.2f} {exact.converged!s:>5s} "
        f"{exact.n_iter:5d} {0.0:14.3f} {0.0:14.3f} {exact.mle_distance:8.3f} "
        f"{exact.max_moment_z:7.2f}"
    )
    for label, kwargs in (
        ("pseudolikelihood", {"method": "pseudolikelihood"}),
        ("boltzmann (from PL)", {"method": "boltzmann"}),
        ("boltzmann (independent)", {"method": "boltzmann", "start": "independent"}),
    ):
        fit, t = timed(samples, seed=1, **kwargs)
        dev = (params(*fit.to_values((-1, 1))) - theta_ml) / sigma
        print(
            f"{label:28s} {t:7.2f} {fit.converged!s:>5s} {fit.n_iter:5d} "
            f"{np.sqrt(np.mean(dev**2)):14.3f} {np.max(np.abs(dev)):14.3f} "
            f"{fit.mle_distance:8.3f} {fit.max_moment_z:7.2f}"
        )


def large(n, n_samples, rng, independent=False):
    h, couplings = random_model(n, rng)
    start = time.perf_counter()
    samples = mc_samples(h, couplings, n_samples, rng)
    print(
        f"\nN = {n}, {n_samples} samples from heat-bath chains "
        f"({time.perf_counter() - start:.1f} s to draw)"
    )
    iu = np.triu_indices(n, 1)
    print(
        f"{'method':28s} {'time_s':>7s} {'conv':>5s} {'iter':>5s} {'rms dJ':>8s} "
        f"{'max dJ':>8s} {'rms dh':>8s} {'rms J':>8s} {'mle_dist':>8s} {'max|z|':>7s}"
    )
    cases = [
        ("pseudolikelihood", {"method": "pseudolikelihood"}),
        ("boltzmann (from PL)", {"method": "boltzmann"}),
    ]
    if independent:
        cases.append(("boltzmann (independent)", {"method": "boltzmann", "start": "independent"}))
    for label, kwargs in cases:
        fit, t = timed(samples, seed=2, **kwargs)
        fit_h, fit_j = fit.to_values((-1, 1))
        dj = (fit_j - couplings)[iu]
        print(
            f"{label:28s} {t:7.1f} {fit.converged!s:>5s} {fit.n_iter:5d} "
            f"{np.sqrt(np.mean(dj**2)):8.4f} {np.max(np.abs(dj)):8.4f} "
            f"{np.sqrt(np.mean((fit_h - h) ** 2)):8.4f} "
            f"{np.sqrt(np.mean(couplings[iu] ** 2)):8.4f} {fit.mle_distance:8.3f} "
            f"{fit.max_moment_z:7.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=15)
    parser.add_argument("--large", type=int, default=60)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--independent",
        action="store_true",
        help="also run Boltzmann learning from independent spins at large N",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.small:
        small(args.small, args.samples, rng)
    if args.large:
        large(args.large, args.samples, rng, args.independent)


if __name__ == "__main__":
    main()
