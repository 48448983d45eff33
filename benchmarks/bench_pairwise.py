"""Fit time of maxent.fit_pairwise against per-spin logistic regressions (scikit-learn).

    PYTHONPATH=. python3 benchmarks/bench_pairwise.py [--quick]

Samples of an SK-like pairwise model (h ~ N(0, 0.2^2), J ~ N(0, (0.5/sqrt(N))^2)) drawn
from heat-bath chains; for N = 15, 30, 60 and 1e5 samples (2e4 with ``--quick``) it
times maxent's symmetric pseudo-likelihood (one L-BFGS on all parameters), Boltzmann
learning (pseudo-likelihood start plus Monte Carlo Newton-like steps) and the baseline,
the asymmetric pseudo-likelihood as N independent unpenalised logistic regressions
(``sklearn.linear_model.LogisticRegression``, lbfgs, couplings symmetrised by
averaging).  ``ratio`` = baseline time / maxent pseudo-likelihood time; the coupling
errors against the truth are printed for all three.  Single process; BLAS as configured.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import maxent
from maxent import _spin_kernels as kern


def model(n, rng):
    h = rng.normal(0.0, 0.2, n)
    couplings = np.triu(rng.normal(0.0, 0.5 / np.sqrt(n), (n, n)), 1)
    return h, couplings + couplings.T


def samples_of(h, couplings, n_samples, rng, n_chains=500):
    spins = np.where(rng.random((n_chains, h.size)) < 0.5, -1, 1).astype(np.int8)
    state = kern.rng_state(rng)
    kern.heat_bath_pairwise(spins, h, couplings, state, 1000)
    out = []
    while len(out) * n_chains < n_samples:
        kern.heat_bath_pairwise(spins, h, couplings, state, 10)
        out.append(spins.copy())
    return np.concatenate(out)[:n_samples]


def logistic_baseline(s):
    from sklearn.linear_model import LogisticRegression

    n = s.shape[1]
    couplings = np.zeros((n, n))
    for i in range(n):
        rest = np.delete(np.arange(n), i)
        clf = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=1000)
        clf.fit(s[:, rest], s[:, i])
        couplings[i, rest] = clf.coef_[0] / 2.0  # P(s_i | rest) ~ exp(2 s_i theta_i)
    return 0.5 * (couplings + couplings.T)


def main(quick: bool = False) -> None:
    n_samples = 20_000 if quick else 100_000
    rng = np.random.default_rng(3)
    print(f"{n_samples} samples per case; times in seconds")
    print(
        f"{'case':10s} {'maxent_pl_s':>11s} {'boltzmann_s':>11s} {'baseline_s':>10s} "
        f"{'ratio':>6s} {'rmsdJ_pl':>9s} {'rmsdJ_bl':>9s} {'rmsdJ_base':>10s}"
    )
    for n in (15, 30, 60):
        h, couplings = model(n, rng)
        s = samples_of(h, couplings, n_samples, rng)
        iu = np.triu_indices(n, 1)

        def err(c, couplings=couplings, iu=iu):
            return float(np.sqrt(np.mean((c - couplings)[iu] ** 2)))

        start = time.perf_counter()
        pl = maxent.fit_pairwise(s, method="pseudolikelihood", seed=0)
        t_pl = time.perf_counter() - start
        start = time.perf_counter()
        bl = maxent.fit_pairwise(s, method="boltzmann", seed=0)
        t_bl = time.perf_counter() - start
        start = time.perf_counter()
        base = logistic_baseline(s)
        t_base = time.perf_counter() - start
        print(
            f"N={n:<8d} {t_pl:11.2f} {t_bl:11.2f} {t_base:10.2f} {t_base / t_pl:6.2f} "
            f"{err(pl.couplings):9.4f} {err(bl.couplings):9.4f} {err(base):10.4f}"
        )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
