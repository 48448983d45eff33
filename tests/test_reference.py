"""maxent.solve against independent computations of the same answer."""

import numpy as np
import pytest
from scipy.optimize import linprog, minimize
from scipy.special import logsumexp

import maxent


def _dual(lam, features, targets, log_q):
    a = log_q - features @ lam
    log_z = logsumexp(a)
    p = np.exp(a - log_z)
    return log_z + lam @ targets, targets - p @ features


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_a_general_purpose_minimiser_of_the_dual(seed):
    rng = np.random.default_rng(seed)
    n, m = 300, 1 + seed % 4
    features = rng.standard_normal((n, m)) * rng.uniform(0.5, 3.0, m)
    prior = rng.uniform(0.1, 2.0, n) if seed % 2 else None
    r = rng.dirichlet(np.ones(n))
    targets = r @ features
    log_q = np.log(np.full(n, 1.0 / n) if prior is None else prior / prior.sum())
    ref = minimize(
        _dual,
        np.zeros(m),
        args=(features, targets, log_q),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-12, "maxiter": 10_000},
    )
    res = maxent.solve(features, targets, prior=prior)
    assert res.converged, res.message
    np.testing.assert_allclose(res.multipliers, ref.x, rtol=1e-6, atol=1e-8)
    a = log_q - features @ ref.x
    np.testing.assert_allclose(res.p, np.exp(a - logsumexp(a)), rtol=1e-6)
    assert res.log_Z == pytest.approx(logsumexp(log_q - features @ res.multipliers), rel=1e-12)
    # strong duality: KL(p || q) = -min of the dual
    assert res.kl_divergence == pytest.approx(-ref.fun, abs=1e-9)


def test_maximum_entropy_beats_every_feasible_vertex_mix_found_by_lp():
    # The LP finds other distributions with the same moments (vertices of the feasible
    # polytope); none may have larger entropy than maxent's answer.
    rng = np.random.default_rng(7)
    n = 40
    features = rng.integers(-3, 4, (n, 2)).astype(float)
    targets = rng.dirichlet(np.ones(n)) @ features
    res = maxent.solve(features, targets)
    a_eq = np.vstack([features.T, np.ones(n)])
    b_eq = np.r_[targets, 1.0]
    for _ in range(5):
        lp = linprog(rng.standard_normal(n), A_eq=a_eq, b_eq=b_eq, bounds=(0, None))
        p = lp.x[lp.x > 0]
        assert -np.sum(p * np.log(p)) < res.entropy
        mix = 0.5 * (lp.x + res.p)  # still feasible, and still not better
        mix = mix[mix > 0]
        assert -np.sum(mix * np.log(mix)) <= res.entropy + 1e-12


def test_boltzmann_by_enumeration_of_a_small_ising_chain():
    # 8 spins, periodic: features energy and magnetisation, computed by enumeration.
    n_spins = 8
    conf = 1 - 2 * ((np.arange(2**n_spins)[:, None] >> np.arange(n_spins)) & 1)
    energy = -np.sum(conf * np.roll(conf, 1, axis=1), axis=1).astype(float)
    magnet = conf.sum(axis=1).astype(float)
    beta, h = 0.4, 0.3  # p ~ exp(-beta (E - h M))
    w = np.exp(-beta * (energy - h * magnet))
    p = w / w.sum()
    res = maxent.solve({"E": energy, "M": magnet}, {"E": p @ energy, "M": p @ magnet})
    np.testing.assert_allclose(res.multipliers, [beta, -beta * h], rtol=1e-9)
    np.testing.assert_allclose(res.p, p, rtol=1e-9)
