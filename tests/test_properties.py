"""Hypothesis properties of maxent.solve on random problems.

Feasible problems take their targets from the moments of a random distribution r, so a
solution exists; r is then also a competitor that the maximum-entropy solution must beat.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import maxent

FLOATS = st.floats(-10, 10, allow_nan=False, allow_infinity=False, allow_subnormal=False)
# Feature values on a grid of 1/8: exact in binary, so that dependencies between columns are
# either exact or clearly resolved.  Arbitrary floats can make a combination of features
# vary by 1e-8 across states; float64 then cannot meet tol = 1e-10 (see the robustness test).
GRID = st.integers(-80, 80).map(lambda i: i / 8)


@st.composite
def feasible_problems(draw, with_prior=None, integer_features=False, arbitrary=False):
    n = draw(st.integers(2, 25))
    m = draw(st.integers(1, 4))
    elements = (
        st.integers(-2, 2).map(float) if integer_features else (FLOATS if arbitrary else GRID)
    )
    features = draw(arrays(np.float64, (n, m), elements=elements))
    weights = draw(arrays(np.float64, n, elements=st.floats(0.01, 1.0)))
    r = weights / weights.sum()
    if with_prior is None:
        with_prior = draw(st.booleans())
    prior = draw(arrays(np.float64, n, elements=st.floats(0.1, 10.0))) if with_prior else None
    return features, r @ features, r, prior


def _neg_kl(p, prior):
    """-KL(p || q) with q the normalised prior (uniform if None): the quantity maxent maximises."""
    q = np.full(p.shape, 1 / p.size) if prior is None else prior / prior.sum()
    nz = p > 0
    return -float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def _spread(features):
    return 1.0 + features.std(axis=0)


@given(problem=feasible_problems())
def test_solution_meets_its_constraints_and_is_a_distribution(problem):
    features, targets, _, prior = problem
    res = maxent.solve(features, targets, prior=prior)
    assert res.converged, res.message
    np.testing.assert_allclose(res.p @ features, targets, atol=1e-9 * _spread(features).max())
    np.testing.assert_allclose(res.moments, res.p @ features, atol=1e-9 * _spread(features).max())
    assert np.all(res.p >= 0)
    assert res.p.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.isfinite(res.p))


@given(problem=feasible_problems())
def test_entropy_is_not_below_that_of_the_generating_distribution(problem):
    features, targets, r, prior = problem
    res = maxent.solve(features, targets, prior=prior)
    assert _neg_kl(res.p, prior) >= _neg_kl(r, prior) - 1e-9
    if prior is None:
        rz = r[r > 0]
        assert res.entropy >= -np.sum(rz * np.log(rz)) - 1e-9


@given(problem=feasible_problems(), seed=st.integers(0, 2**32 - 1))
def test_permuting_states_permutes_the_solution(problem, seed):
    features, targets, _, prior = problem
    perm = np.random.default_rng(seed).permutation(features.shape[0])
    res = maxent.solve(features, targets, prior=prior)
    res_p = maxent.solve(features[perm], targets, prior=None if prior is None else prior[perm])
    np.testing.assert_allclose(res_p.p, res.p[perm], atol=1e-7)


@given(problem=feasible_problems(arbitrary=True))
def test_arbitrary_floats_give_a_distribution_close_to_the_targets(problem):
    # Precision-limited problems may stop short of tol with a ConvergenceWarning, but the
    # answer is still a distribution whose moments are close to the targets.
    import warnings

    features, targets, _, prior = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", maxent.ConvergenceWarning)
        res = maxent.solve(features, targets, prior=prior)
    assert np.all(np.isfinite(res.p)) and np.all(res.p >= 0)
    assert res.p.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(res.p @ features, targets, atol=1e-6 * _spread(features).max())
    assert res.converged or "rounding" in res.message


@given(problem=feasible_problems(), shift=FLOATS, data=st.data())
def test_adding_a_constant_to_a_feature_changes_nothing(problem, shift, data):
    features, targets, _, prior = problem
    k = data.draw(st.integers(0, features.shape[1] - 1))
    col = features[:, k]
    # the shifted feature must still resolve the states (float64 keeps ~16 digits)
    assume(np.ptp(col) == 0 or np.ptp(col) > 1e-6 * (abs(shift) + np.abs(col).max()))
    moved, moved_targets = features.copy(), targets.copy()
    moved[:, k] += shift
    moved_targets[k] += shift
    res = maxent.solve(features, targets, prior=prior)
    res_s = maxent.solve(moved, moved_targets, prior=prior)
    np.testing.assert_allclose(res_s.p, res.p, atol=1e-7)


@given(problem=feasible_problems(), scale=st.floats(1e-3, 1e3), data=st.data())
def test_rescaling_a_feature_rescales_its_multiplier_inversely(problem, scale, data):
    features, targets, _, prior = problem
    k = data.draw(st.integers(0, features.shape[1] - 1))
    scaled, scaled_targets = features.copy(), targets.copy()
    scaled[:, k] *= scale
    scaled_targets[k] *= scale
    res = maxent.solve(features, targets, prior=prior)
    res_s = maxent.solve(scaled, scaled_targets, prior=prior)
    np.testing.assert_allclose(res_s.p, res.p, atol=1e-7)
    expected = res.multipliers.copy()
    expected[k] /= scale
    finite = np.isfinite(expected)
    assume(np.all(np.abs(res.multipliers[finite]) < 1e6))
    assert np.array_equal(np.isinf(res_s.multipliers), ~finite)
    # lambda . F fixes p only up to a constant: compare the exponents, which p pins down.
    expo = scaled @ np.where(finite, res_s.multipliers, 0)
    ref = features @ np.where(finite, res.multipliers, 0)
    support = res.p > 1e-12
    diff = (expo - ref)[support]
    assert np.ptp(diff) <= 1e-6 * (1 + np.abs(ref[support]).max())


@given(
    problem=feasible_problems(integer_features=True),
    direction=arrays(np.float64, 4, elements=st.integers(-2, 2).map(float)),
)
def test_targets_on_a_face_give_a_solution_supported_on_that_face(problem, direction):
    features, _, r, prior = problem
    d = direction[: features.shape[1]]
    assume(np.any(d))
    proj = features @ d
    face = proj <= proj.min() + 1e-12
    assume(not np.all(face))  # a proper face
    r_face = np.where(face, r, 0.0)
    r_face /= r_face.sum()
    targets = r_face @ features
    res = maxent.solve(features, targets, prior=prior)
    assert res.converged, res.message
    assert np.all(res.p[~face] == 0)
    np.testing.assert_allclose(res.p @ features, targets, atol=1e-9)
    assert _neg_kl(res.p, prior) >= _neg_kl(r_face, prior) - 1e-9
    assert np.any(np.isinf(res.multipliers))


@given(
    problem=feasible_problems(),
    push=st.floats(0.01, 5.0),
    direction=arrays(np.float64, 4, elements=st.floats(-1, 1)),
)
def test_targets_beyond_the_hull_raise(problem, push, direction):
    features, _, _, prior = problem
    d = direction[: features.shape[1]]
    assume(np.linalg.norm(d) > 0.1)
    proj = features @ d
    assume(np.ptp(proj) > 1e-3)
    # Move from the minimising vertex further along -d: below min F.d, outside the hull.
    vertex = features[np.argmin(proj)]
    targets = vertex - push * d / (d @ d)
    with pytest.raises(maxent.InfeasibleTargetsError):
        maxent.solve(features, targets, prior=prior)


@given(problem=feasible_problems())
def test_covariance_is_the_covariance_of_the_returned_distribution(problem):
    features, targets, _, prior = problem
    res = maxent.solve(features, targets, prior=prior)
    assert res.covariance.shape == (features.shape[1],) * 2
    fc = features - res.p @ features
    expected = (fc.T * res.p) @ fc
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    np.testing.assert_allclose(res.covariance, expected, rtol=0, atol=1e-10 * scale)
    np.testing.assert_array_equal(res.covariance, res.covariance.T)
    # positive semidefinite, as a covariance must be
    assert np.linalg.eigvalsh(res.covariance).min() >= -1e-12 * scale
    assert res.status in {"converged", "face"}
