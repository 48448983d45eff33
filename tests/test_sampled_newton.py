"""Newton's Hessian from a sample of the states (MomentEngine.sampled_covariance).

The inclusion probabilities are checked against their definition, the estimate against
the covariance computed directly (within the sampling error its docstring states, and
exact where every state that carries weight is drawn with certainty), and solves that take
sampled Hessians against solves that do not, to the solver's tolerance, with the
covariance the result reports (always exact) to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest

import maxent
from maxent import _moments, _newton_step
from maxent._kernel import PassRequest
from maxent._moments import MomentEngine


def _gibbs(features: np.ndarray, lam: np.ndarray, log_prior: np.ndarray | None = None):
    a = -(features @ lam) + (0.0 if log_prior is None else log_prior)
    p = np.exp(a - a.max())
    return p / p.sum()


def _cov(features: np.ndarray, p: np.ndarray) -> np.ndarray:
    dev = features - p @ features
    return (dev * p[:, None]).T @ dev


@pytest.mark.parametrize("count", [10, 300, 4000])
def test_inclusion_probabilities_sum_to_the_count_and_keep_the_heaviest(count: int) -> None:
    rng = np.random.default_rng(count)
    p = rng.lognormal(0.0, 3.0, 20_000)
    p[:50] = 0.0  # states off the support are never drawn
    p /= p.sum()
    pi = _moments._inclusion(p, count)
    assert pi is not None
    assert pi.sum() == pytest.approx(count, rel=1e-9)
    assert np.all((pi >= 0.0) & (pi <= 1.0)) and np.all(pi[:50] == 0.0)
    # proportional to p below 1, and 1 for the heaviest states
    below = pi < 1.0
    ratio = pi[below & (p > 0)] / p[below & (p > 0)]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    if np.any(~below):
        assert p[~below].min() >= p[below].max()
    # too few states that carry weight for a sample to pay: none
    assert _moments._inclusion(p, p.size // 3) is None


def test_sampled_covariance_estimates_the_covariance_and_keeps_the_rest_exact() -> None:
    rng = np.random.default_rng(2)
    n, m = 60_000, 40
    features = rng.standard_normal((n, m)) @ (np.eye(m) + 0.2 * rng.standard_normal((m, m)))
    prior = rng.uniform(0.5, 2.0, n)
    eng = MomentEngine(features, np.log(prior), chunk_size=4096)
    lam = rng.normal(0.0, 0.4, m)
    ev = eng.evaluate(PassRequest(lam=lam, keep_p=True))
    count = 16 * m
    est = eng.sampled_covariance(ev, count)
    assert est is not None and est.cov is not None
    p = _gibbs(features, lam, np.log(prior))
    exact = _cov(features, p)
    # the gradient's parts stay exact
    np.testing.assert_array_equal(est.mean, ev.mean)
    assert est.log_Z == ev.log_Z
    # a sample of ~count states: relative error ~ sqrt(m / count) = 0.25 in norm
    err = np.linalg.norm(est.cov - exact) / np.linalg.norm(exact)
    assert err <= 0.5, err
    assert 0.5 * count <= est.covered <= 1.5 * count
    # reproducible: the draws are seeded by their count, so a fresh engine repeats them
    eng2 = MomentEngine(features, np.log(prior), chunk_size=4096)
    ev2 = eng2.evaluate(PassRequest(lam=lam, keep_p=True))
    again = eng2.sampled_covariance(ev2, count)
    assert again is not None
    np.testing.assert_array_equal(again.cov, est.cov)
    # projected first (the same draws): P^T (the sample's covariance) P, marked projected
    proj = rng.standard_normal((m, 7))
    eng3 = MomentEngine(features, np.log(prior), chunk_size=4096)
    ev3 = eng3.evaluate(PassRequest(lam=lam, keep_p=True))
    projected = eng3.sampled_covariance(ev3, count, proj)
    assert projected is not None and projected.projected and not est.projected
    ref = proj.T @ est.cov @ proj
    np.testing.assert_allclose(projected.cov, ref, rtol=0, atol=1e-10 * np.abs(ref).max())
    # no weights kept at other multipliers: no sample
    assert eng.sampled_covariance(eng.evaluate(PassRequest(lam=lam + 0.1)), count) is None


def test_sampled_covariance_is_exact_where_the_weight_sits_on_few_states() -> None:
    # p on 100 states, the others together below 1e-20 of it: the heavy states are drawn
    # with certainty (pi = 1), and the estimate is the covariance to rounding.
    rng = np.random.default_rng(4)
    n, m = 40_000, 6
    features = rng.standard_normal((n, m))
    features[:100] += 5.0  # far out along every axis
    lam = np.full(m, -2.0)
    eng = MomentEngine(features)
    ev = eng.evaluate(PassRequest(lam=lam, keep_p=True))
    p = _gibbs(features, lam)
    assert p[100:].sum() < 1e-20
    pi = _moments._inclusion(p, 400)
    assert pi is not None and np.all(pi[:100] == 1.0) and pi.sum() == pytest.approx(400)
    est = eng.sampled_covariance(ev, 400)
    assert est is not None and est.cov is not None
    exact = _cov(features, p)
    np.testing.assert_allclose(est.cov, exact, rtol=1e-9, atol=1e-12 * np.abs(exact).max())


@pytest.fixture
def sampled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sample Newton's Hessian from 16 free constraints on, and count the samples."""
    monkeypatch.setattr(_newton_step, "_SAMPLE_M", 16)
    calls: list[int] = []
    plain = MomentEngine.sampled_covariance

    def spy(self, ev, count, projection=None):  # type: ignore[no-untyped-def]
        out = plain(self, ev, count, projection)
        calls.append(0 if out is None else out.covered)
        return out

    monkeypatch.setattr(MomentEngine, "sampled_covariance", spy)
    return calls


def _hard(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n, m)) * np.sqrt(0.1) + np.sqrt(0.9) * rng.standard_normal(
        (n, 1)
    )
    features *= np.logspace(-1, 1, m)
    lam = 2.0 * rng.uniform(0.5, 1.5, m) * rng.choice([-1.0, 1.0], m) / np.logspace(-1, 1, m)
    return features, _gibbs(features, lam) @ features


@pytest.mark.parametrize("seed", [0, 1])
def test_sampled_newton_gives_the_newton_answer(seed: int, sampled: list[int]) -> None:
    features, b = _hard(60_000, 24, seed)
    res = maxent.solve(features, b)
    assert any(sampled), "no Hessian was sampled"
    sampled.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_newton_step, "_SAMPLE_M", 10**9)
        ref = maxent.solve(features, b)
    assert not sampled
    assert res.converged and ref.converged, (res.message, ref.message)
    std = features.std(axis=0)
    assert np.max(np.abs(res.p @ features - b) / std) <= 1e-10
    np.testing.assert_allclose(res.p, ref.p, rtol=1e-6, atol=1e-14)
    # the covariance the result reports is that of its own p, to 1e-10 (never a sample)
    cov = _cov(features, res.p)
    np.testing.assert_allclose(res.covariance, cov, rtol=0, atol=1e-10 * np.abs(cov).max())
    # and the solve repeats exactly
    again = maxent.solve(features, b)
    np.testing.assert_array_equal(again.multipliers, res.multipliers)
