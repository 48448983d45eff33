"""Issue 23's solver items, one test each: offsets, precision by default, generated features,
and what the solver gained for its users (absolute tolerances, noisy bounds, float32)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

import maxent
from maxent.streaming import generated_features

DIE = np.arange(1.0, 7.0)[:, None]


def _exact_die(mean: float, prior: np.ndarray | None = None) -> np.ndarray:
    """p of a die with E[face] = mean, by Newton on beta in extended precision."""
    f = np.arange(1, 7, dtype=np.longdouble)
    q = np.ones(6, dtype=np.longdouble) if prior is None else prior.astype(np.longdouble)
    beta = np.longdouble(0.0)
    for _ in range(200):
        w = q * np.exp(-beta * (f - 3.5))
        p = w / w.sum()
        mu = p @ f
        var = p @ (f - mu) ** 2
        beta += (mu - np.longdouble(mean)) / var
    return np.asarray(p, dtype=np.float64)


# ------------------------------------------------------------------------------- offsets
def test_a_die_riding_on_1e15_is_solved_exactly():
    # issue 23: solve(F6 + 1e15, [4.5 + 1e15]) returned the uniform p with converged=True
    # and residual 1.0 (the features were taken as constant to rounding).  1e15 + k is
    # exact in float64, so the answer is the die's.
    res = maxent.solve(DIE + 1e15, [4.5 + 1e15])
    assert res.converged, res.message
    np.testing.assert_allclose(res.p, _exact_die(4.5), rtol=1e-12)
    assert res.residual <= np.spacing(1e15)


@pytest.mark.parametrize("seed", range(40))
def test_features_on_a_common_offset_of_1e6_to_1e9_solve(seed):
    # issue 23: a common offset of 1e6-1e9 with differences of order 1 ended "stalled"
    # (moments missing by ~1e-6 of the range).  The same floats less their offset (an
    # exact subtraction) are the same problem: the answers must agree.
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 50)), int(rng.integers(1, 4))
    kind = seed % 3
    if kind == 0:
        g = rng.standard_normal((n, m))
    elif kind == 1:
        g = rng.integers(-3, 4, (n, m)).astype(float)
    else:
        g = rng.uniform(0.0, 1.0, (n, m))
    offset = 10 ** rng.uniform(6, 9)
    features = offset + g
    targets = rng.dirichlet(np.full(n, 0.5)) @ features
    res = maxent.solve(features, targets)
    assert res.converged, res.message
    assert res.status in ("converged", "face")
    try:
        ref = maxent.solve(features - offset, targets - offset)
    except maxent.InfeasibleTargetsError:
        return  # the rounded data are inconsistent beyond tol without their offset
    np.testing.assert_allclose(res.p, ref.p, atol=1e-9)


# ------------------------------------------------------------------------ precision by default
@pytest.mark.parametrize(
    "prior, mean",
    [([6, 5, 4, 3, 2, 1], 2.0), ([1, 2, 3, 4, 5, 6], 4.5), ([6, 5, 4, 3, 2, 1], 4.5)],
)
def test_loaded_die_with_a_prior_is_solved_to_machine_precision(prior, mean):
    # issue 23: p error went from 6.6e-13 to 9.8e-11 in the same 5 Newton steps (these
    # cases: 8e-11, 3e-11, 9e-12 relative before precision by default)
    prior = np.array(prior, dtype=float)
    res = maxent.solve(DIE, [mean], prior=prior)
    np.testing.assert_allclose(res.p, _exact_die(mean, prior), rtol=1e-12)
    assert abs(res.moments[0] - mean) <= 1e-13 * DIE.std()


@pytest.mark.parametrize("seed", range(6))
def test_reference_problems_meet_their_targets_to_1e12(seed):
    # the problems of tests/test_reference.py (against a general-purpose minimiser)
    rng = np.random.default_rng(seed)
    n, m = 300, 1 + seed % 4
    features = rng.standard_normal((n, m)) * rng.uniform(0.5, 3.0, m)
    prior = rng.uniform(0.1, 2.0, n) if seed % 2 else None
    targets = rng.dirichlet(np.ones(n)) @ features
    res = maxent.solve(features, targets, prior=prior)
    err = np.abs(res.p @ features - targets) / features.std(axis=0)
    assert np.max(err) <= 1e-12, err


def test_precision_by_default_costs_at_most_one_pass_more():
    # Newton converges quadratically: the polishing step is one more pass, and the pass of
    # a step predicted final takes the reported covariance (no pass of its own)
    rng = np.random.default_rng(11)
    features = rng.standard_normal((3000, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, -3.0]
    targets = rng.dirichlet(np.ones(3000)) @ features
    res = maxent.solve(features, targets)
    loose = maxent.solve(features, targets, tol=1e-6)
    assert np.max(np.abs(res.moments - targets) / features.std(axis=0)) <= 1e-13
    assert res.n_passes <= loose.n_passes + 2
    assert res.n_passes == res.n_iter + 1


# ---------------------------------------------------------------------- generated features
def _ones(a, b):
    return np.ones((b - a, 1))


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((None, 6, 1), {}, r"`make_chunk` must be a function"),
        ((_ones, -1, 1), {}, r"`n_states` must be a positive integer"),
        ((_ones, "abc", 1), {}, r"`n_states` must be a positive integer"),
        ((_ones, 6.5, 1), {}, r"`n_states` must be a positive integer"),
        ((_ones, 6, 0), {}, r"`n_constraints` must be a positive integer"),
        ((_ones, 6, 1), {"chunk_size": 0}, r"`chunk_size` must be a positive integer"),
        ((_ones, 6, 1), {"chunk_size": 2.0}, r"`chunk_size` must be a positive integer"),
    ],
)
def test_generated_features_refuse_bad_arguments_by_name(args, kwargs, match):
    # issue 23: generated_features validated nothing (dask errors later, or none)
    with pytest.raises(maxent.InvalidInputError, match=match):
        generated_features(*args, **kwargs)


def test_generated_chunks_of_the_wrong_shape_are_refused_naming_make_chunk():
    features = generated_features(lambda a, b: np.ones((b - a, 2)), 6, 1, chunk_size=4)
    match = r"`make_chunk\(\d, \d\)` returned an array of shape \(\d, 2\); expected \(\d, 1\)"
    with pytest.raises(maxent.InvalidInputError, match=match):
        maxent.solve(features, [1.0])


# ---------------------------------------------------------------------- absolute tolerances
def test_absolute_tolerance_per_constraint_is_what_each_constraint_meets():
    # continuous densities on wide grids: the accuracy each moment needs is set by its
    # own scale, not by the feature's spread (a relative tol for all is the strictest)
    rng = np.random.default_rng(3)
    x = np.linspace(-1.0, 1.0, 2001)
    features = np.column_stack([x, x**2, 1e8 * x**3])
    targets = rng.dirichlet(np.ones(x.size)) @ features
    atol = np.array([1e-4, 1e-6, 1e2])
    res = maxent.solve(features, targets, tol=1e-15, atol=atol)
    assert res.converged, res.message
    assert np.all(np.abs(res.p @ features - targets) <= atol)
    # looser where allowed: fewer Newton steps than the same problem to tol alone
    strict = maxent.solve(features, targets, tol=1e-15)
    assert res.n_iter < strict.n_iter


def test_absolute_tolerance_must_be_nonnegative_and_finite():
    with pytest.raises(maxent.InvalidInputError, match=r"`atol\[0\]` must be >= 0"):
        maxent.solve(DIE, [3.0], atol=[-1.0])
    with pytest.raises(maxent.InvalidInputError, match=r"`atol\[0\]` must be finite"):
        maxent.solve(DIE, [3.0], atol=[np.nan])


# --------------------------------------------------------------------------- noisy bounds
def _bounded_noisy_dual(features, lower, upper, sigma):
    """Independent solution: the dual log Z + u . l+ - l . l- + sigma^2 (l+ - l-)^2 / 2
    over l+, l- >= 0 (an open side keeps its part at 0), by L-BFGS-B."""
    n, m = features.shape
    hi = np.where(np.isfinite(upper), upper, 0.0)
    lo = np.where(np.isfinite(lower), lower, 0.0)

    def dual(x):
        lam = x[:m] - x[m:]
        a = -features @ lam
        log_z = logsumexp(a)
        mean = np.exp(a - log_z) @ features
        g = -mean + sigma**2 * lam
        value = log_z + hi @ x[:m] - lo @ x[m:] + 0.5 * sigma**2 @ lam**2
        return value, np.concatenate([g + hi, -g - lo])

    bounds = [(0, None if np.isfinite(u) else 0) for u in upper]
    bounds += [(0, None if np.isfinite(v) else 0) for v in lower]
    out = minimize(
        dual,
        np.zeros(2 * m),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"gtol": 1e-14, "ftol": 0.0, "maxiter": 10_000},
    )
    return out.x[:m] - out.x[m:]


def test_noisy_one_sided_data_are_the_sign_constrained_dual():
    # reweighting's one-sided noisy data ran an active set of solves around solve(); now
    # sigma and lower/upper together
    rng = np.random.default_rng(1)
    features = rng.standard_normal((400, 4)) * [1.0, 2.0, 0.5, 1.0]
    lower = np.array([0.3, -np.inf, -0.2, -np.inf])
    upper = np.array([np.inf, -0.5, 0.1, np.inf])
    sigma = np.array([0.1, 0.3, 0.05, 0.2])
    res = maxent.solve(features, lower=lower, upper=upper, sigma=sigma)
    assert res.converged, res.message
    lam = _bounded_noisy_dual(features, lower, upper, sigma)
    np.testing.assert_allclose(res.multipliers, lam, atol=1e-7)
    # active bounds are passed by sigma^2 lambda, with the sign of their side
    active = res.multipliers != 0
    assert active[0] and active[1] and not active[3]
    np.testing.assert_allclose(
        res.moments[active],
        np.where(res.multipliers > 0, upper, lower)[active] + (sigma**2 * res.multipliers)[active],
        atol=1e-12,
    )
    assert lower[2] <= res.moments[2] <= upper[2]


# --------------------------------------------------------------------------------- float32
def test_float32_features_are_read_without_a_float64_copy():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((300_000, 8)).astype(np.float32)
    wide = features.astype(np.float64)
    targets = rng.dirichlet(np.ones(features.shape[0])) @ wide
    ref = maxent.solve(wide, targets)
    del wide
    tracemalloc.start()
    try:
        res = maxent.solve(features, targets)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # a float64 copy of the features alone would be twice their size
    assert peak < 1.5 * features.nbytes, peak
    np.testing.assert_allclose(res.p, ref.p, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(res.covariance, ref.covariance, rtol=1e-10)


def test_float32_chunk_sources_give_the_float64_answer():
    rng = np.random.default_rng(2)
    features = rng.standard_normal((20_000, 3)).astype(np.float32)
    targets = rng.dirichlet(np.ones(features.shape[0])) @ features.astype(np.float64)

    def chunks():
        for a in range(0, features.shape[0], 3000):
            yield features[a : a + 3000]

    res = maxent.solve(chunks, targets)
    ref = maxent.solve(features.astype(np.float64), targets)
    np.testing.assert_allclose(res.multipliers, ref.multipliers, rtol=1e-11, atol=1e-13)
