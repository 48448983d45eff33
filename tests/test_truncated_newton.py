"""Truncated Newton (maxent._newton_cg): Hessian-vector products, CG steps, the Cholesky path.

The products are checked against the covariance computed directly; solves that take CG
steps (forced by making the covariance look expensive) against the default solve, to the
solver's tolerance, with the covariance the result reports to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest

import maxent
from maxent import _newton_cg, _newton_step
from maxent._kernel import PassRequest
from maxent._moments import MomentEngine


def _problem(n: int, m: int, seed: int, scale: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n, m)) @ (np.eye(m) + 0.3 * rng.standard_normal((m, m)))
    lam = rng.normal(0.0, scale, m)
    a = -(features @ lam)
    w = np.exp(a - a.max())
    return features, (w / w.sum()) @ features


def test_hessian_products_are_the_covariance_times_the_vectors() -> None:
    rng = np.random.default_rng(1)
    features = rng.standard_normal((3000, 7)) + 5.0
    prior = rng.uniform(0.0, 2.0, 3000)
    prior[:100] = 0.0  # states off the support take no part
    with np.errstate(divide="ignore"):
        eng = MomentEngine(features, np.log(prior), chunk_size=256)
    lam = rng.normal(0.0, 0.2, 7)
    ev = eng.evaluate(PassRequest(lam=lam, keep_p=True))
    vectors = rng.standard_normal((7, 3))
    got = eng.hessian_products(lam, vectors, ev.mean)
    a = np.log(prior[100:]) - features[100:] @ lam
    p = np.exp(a - a.max())
    p /= p.sum()
    dev = features[100:] - p @ features[100:]
    cov = (dev * p[:, None]).T @ dev
    assert got is not None
    np.testing.assert_allclose(got, cov @ vectors, rtol=1e-11, atol=1e-12)
    # without weights kept at those multipliers: no products
    assert eng.hessian_products(lam + 0.1, vectors, ev.mean) is None


def test_kept_weights_normalised_sum_to_one_and_leave_the_kept_weights() -> None:
    features, _ = _problem(5000, 4, 0)
    eng = MomentEngine(features, chunk_size=700)
    lam = np.array([0.5, -0.2, 0.1, 0.3])
    eng.evaluate(PassRequest(lam=lam, keep_p=True))
    kept = eng._kept
    assert kept is not None and kept.p is not None
    before = kept.p.copy()
    p = kept.normalised()
    a = -(features @ lam)
    np.testing.assert_allclose(p, np.exp(a - a.max()) / np.exp(a - a.max()).sum(), rtol=1e-12)
    np.testing.assert_array_equal(kept.p, before)


@pytest.fixture
def truncated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the covariance look expensive (so that CG steps are taken) and count them."""
    monkeypatch.setattr(_newton_cg, "_CG_MIN_M", 2)
    monkeypatch.setattr(_newton_cg, "_FLOPS_PER_ENTRY", 1e-3)
    import maxent._newton as newton_module

    calls: list[int] = []
    step = _newton_cg.cg_step

    def spy(task, st):  # type: ignore[no-untyped-def]
        out = step(task, st)
        calls.append(int(st.cg_iter))
        return out

    monkeypatch.setattr(newton_module, "cg_step", spy)
    return calls


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_truncated_newton_gives_the_newton_answer(seed: int, truncated: list[int]) -> None:
    features, b = _problem(40_000, 12, seed, scale=0.6)  # far from the prior: several steps
    res = maxent.solve(features, b)
    assert truncated, "no truncated Newton step was taken"
    truncated.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_newton_cg, "_CG_MIN_M", 10**9)
        ref = maxent.solve(features, b)
    assert not truncated
    assert res.converged and ref.converged, (res.message, ref.message)
    std = features.std(axis=0)
    assert np.max(np.abs(res.p @ features - b) / std) <= 1e-10
    np.testing.assert_allclose(res.multipliers, ref.multipliers, rtol=1e-7, atol=1e-9)
    # the covariance the result reports is that of its own p, to 1e-10
    dev = features - res.p @ features
    cov = (dev * res.p[:, None]).T @ dev
    np.testing.assert_allclose(res.covariance, cov, rtol=0, atol=1e-10 * np.abs(cov).max())
    np.testing.assert_allclose(res.covariance, ref.covariance, rtol=1e-8)


def test_truncated_newton_with_noise_and_without_the_covariance(truncated: list[int]) -> None:
    features, b = _problem(40_000, 10, 3, scale=0.6)
    sigma = np.full(10, 0.05)
    res = maxent.solve(features, b, sigma=sigma, covariance=False)
    assert truncated
    assert res.covariance is None and res.converged, res.message
    # the optimality condition of noisy constraints: E_p[F] - b = sigma^2 lambda
    viol = res.p @ features - b - sigma**2 * res.multipliers
    assert np.max(np.abs(viol) / features.std(axis=0)) <= 1e-10


def test_certified_step_is_the_eigenvalue_step_or_declines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Within a solve (fresh covariances and secant-updated Hessians, 40 constraints):
    # every step the Cholesky path takes is the eigenvalue path's (no curvature floored,
    # inside the radius), and the solve is the eigenvalue path's to rounding.
    features, b = _problem(3000, 40, 7)
    taken = []
    certified = _newton_step._certified_step

    def checked(task, st, gr):  # type: ignore[no-untyped-def]
        step = certified(task, st, gr)
        if step is not None:
            w, v = np.linalg.eigh(st.hr)
            assert w[0] > 100 * st.rel_floor * w[-1]
            np.testing.assert_allclose(step, -(v @ ((v.T @ gr) / w)), rtol=1e-9, atol=0)
            assert np.linalg.norm(step) <= st.radius
            taken.append(step)
        return step

    monkeypatch.setattr(_newton_step, "_certified_step", checked)
    res = maxent.solve(features, b)
    assert taken and res.converged
    monkeypatch.setattr(_newton_step, "_CERTIFIED_M", 10**9)  # the eigenvalue path only
    ref = maxent.solve(features, b)
    np.testing.assert_allclose(res.multipliers, ref.multipliers, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(res.covariance, ref.covariance, rtol=1e-8)


def test_certified_step_declines_near_the_floor_and_beyond_the_radius() -> None:
    from types import SimpleNamespace

    rng = np.random.default_rng(6)
    a = rng.standard_normal((30, 30))
    h = a @ a.T / 30 + 0.1 * np.eye(30)
    g = rng.standard_normal(30)

    def step(hr: np.ndarray, radius: float) -> np.ndarray | None:
        # (A reused Hessian: no covariance in the last pass, so no rounding bound.)
        task = SimpleNamespace(prob=SimpleNamespace(spread=None), basis=None)
        st = SimpleNamespace(ev=SimpleNamespace(cov=None), hr=hr, rel_floor=1e-14, radius=radius)
        return _newton_step._certified_step(task, st, g)  # type: ignore[arg-type]

    assert step(h, 1e9) is not None
    assert step(h, 1e-6) is None  # beyond the radius
    w, v = np.linalg.eigh(h)
    w[0] = 1e-13 * w[-1]  # within 100x the floor (1e-14): the eigenvalues decide
    assert step((v * w) @ v.T, 1e9) is None
    # Curvatures down to 1e-11 of the largest: Newton's step (H x = -g backward-stably).
    q, _ = np.linalg.qr(a)
    stiff = (q * np.logspace(0, -11, 30)) @ q.T
    stiff = 0.5 * (stiff + stiff.T)
    g[:] = stiff @ rng.standard_normal(30)
    x = step(stiff, 1e9)
    assert x is not None
    np.testing.assert_allclose(stiff @ x, -g, rtol=0, atol=1e-13)
