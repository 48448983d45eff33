"""maxent._lbfgs: L-BFGS with Moré-Thuente's line search (the pairwise fits' minimiser)."""

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der

from maxent import _lbfgs


def _rosenbrock(x):
    return float(rosen(x)), rosen_der(x).astype(x.dtype)  # the gradient in the dtype of x


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rosenbrock_minimum_is_found(dtype):
    x0 = np.array([-1.2, 1.0, -0.5, 0.8], dtype=dtype)
    gtol = 1e-8 if dtype == np.float64 else 1e-3
    res = _lbfgs.minimize(_rosenbrock, x0, gtol=gtol, max_iter=500)
    assert res.converged, res.message
    assert res.x.dtype == dtype
    np.testing.assert_allclose(res.x, 1.0, atol=1e-6 if dtype == np.float64 else 2e-2)


def test_every_accepted_step_meets_the_strong_wolfe_conditions():
    seen = []

    def traced(x):
        f, g = _rosenbrock(x)
        seen.append((x.copy(), f, g))
        return f, g

    steps = []
    res = _lbfgs.minimize(
        traced,
        np.array([-1.2, 1.0]),
        gtol=1e-6,
        max_iter=200,
        progress=lambda it, f, g: steps.append(len(seen) - 1),
    )
    assert res.converged
    starts = [0, *steps[:-1]]
    for a, b in zip(starts, steps, strict=True):
        x0, f0, g0 = seen[a]
        x1, f1, g1 = seen[b]
        d = x1 - x0
        if abs(g0 @ d) <= 1e-12 * max(abs(f0), 1.0):  # below rounding: slopes only
            continue
        assert f1 <= f0 + 1e-4 * (g0 @ d)  # sufficient decrease
        assert abs(g1 @ d) <= 0.9 * abs(g0 @ d)  # curvature


def test_a_quadratic_is_solved_to_rounding():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(30, 30))
    a = m @ m.T + np.eye(30)
    b = rng.normal(size=30)
    res = _lbfgs.minimize(
        lambda x: (0.5 * x @ a @ x - b @ x, a @ x - b), np.zeros(30), gtol=1e-12, max_iter=1000
    )
    assert res.converged, res.message
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), rtol=1e-9)
