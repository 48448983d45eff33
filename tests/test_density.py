"""maxent.density: continuous maximum-entropy densities against closed forms, independent
quadrature, moment-space theory and scipy.stats conventions."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import chebyshev
from scipy import integrate, special, stats

import maxent
from maxent import InfeasibleTargetsError, InvalidInputError


def _gauss_legendre(a: float, b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = special.roots_legendre(n)
    return a + (b - a) * (x + 1) / 2, w * (b - a) / 2


def _mixture_pdf(x: np.ndarray) -> np.ndarray:
    """Three Gaussians on [0, 1] (a smooth density that is not exp-polynomial)."""
    g = stats.norm.pdf
    return 0.3 * g(x, 0.25, 0.07) + 0.4 * g(x, 0.5, 0.05) + 0.3 * g(x, 0.75, 0.08)


# -- closed forms --------------------------------------------------------------------------
def test_mean_on_the_half_line_gives_the_exponential() -> None:
    d = maxent.density([2.0], support=(0, np.inf))
    law = stats.expon(scale=2.0)
    x = np.array([1e-6, 0.3, 1.0, 2.0, 7.5, 30.0])
    np.testing.assert_allclose(d.pdf(x), law.pdf(x), rtol=1e-9)
    np.testing.assert_allclose(d.cdf(x), law.cdf(x), rtol=0, atol=1e-9)
    np.testing.assert_allclose(d.ppf([0.01, 0.5, 0.99]), law.ppf([0.01, 0.5, 0.99]), rtol=1e-9)
    assert d.multipliers[0] == pytest.approx(0.5, rel=1e-10)
    assert d.entropy() == pytest.approx(law.entropy(), rel=1e-9)
    assert d.mean() == pytest.approx(2.0, rel=1e-10)
    assert d.var() == pytest.approx(4.0, rel=1e-9)


def test_mean_and_variance_on_the_line_give_the_gaussian() -> None:
    mu, sigma = -1.5, 0.7
    d = maxent.density([mu, mu**2 + sigma**2], support=(-np.inf, np.inf))
    law = stats.norm(mu, sigma)
    x = np.linspace(-5, 2, 15)
    np.testing.assert_allclose(d.pdf(x), law.pdf(x), rtol=1e-9)
    np.testing.assert_allclose(d.cdf(x), law.cdf(x), rtol=0, atol=1e-9)
    # p = exp(-log Z - l1 x - l2 x^2): l2 = 1/(2 sigma^2), l1 = -mu/sigma^2
    np.testing.assert_allclose(d.multipliers, [-mu / sigma**2, 0.5 / sigma**2], rtol=1e-9)
    assert d.std() == pytest.approx(sigma, rel=1e-9)


@pytest.mark.parametrize("k", [3, 4, 6, 10])
def test_exponential_moments_beyond_the_mean_give_the_exponential(k: int) -> None:
    # E[x^j] = j! s^j: the maximum-entropy density with the mean alone already has the
    # higher moments, so it is the answer (their multipliers 0, on the boundary of the
    # multipliers' domain: a negative top multiplier is not integrable).
    s = 1.5
    targets = [math.factorial(j) * s**j for j in range(1, k + 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        d = maxent.density(targets, support=(0, np.inf))
    assert d.converged and d.status == "converged", d.message
    assert "already has the others" in d.message
    np.testing.assert_allclose(d.multipliers, [1 / s] + [0.0] * (k - 1), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(d.moments, targets, rtol=1e-9)
    x = np.array([0.1, 1.0, 5.0, 20.0])
    np.testing.assert_allclose(d.pdf(x), stats.expon(scale=s).pdf(x), rtol=1e-8)


@pytest.mark.parametrize("k", [4, 6, 10])
def test_gaussian_moments_beyond_the_variance_give_the_gaussian(k: int) -> None:
    mu, sigma = 0.5, 1.3
    m = [1.0, mu]  # E[x^j] = mu E[x^(j-1)] + (j - 1) sigma^2 E[x^(j-2)]
    for j in range(2, k + 1):
        m.append(mu * m[j - 1] + (j - 1) * sigma**2 * m[j - 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = maxent.density(m[1:], support=(-np.inf, np.inf))
    assert d.converged, d.message
    expected = [-mu / sigma**2, 0.5 / sigma**2] + [0.0] * (k - 2)
    np.testing.assert_allclose(d.multipliers, expected, rtol=1e-9, atol=1e-12)
    x = np.linspace(-4, 5, 7)
    np.testing.assert_allclose(d.pdf(x), stats.norm(mu, sigma).pdf(x), rtol=1e-8)


@pytest.mark.parametrize("shape", [0.6, 2.5])
def test_mean_and_mean_log_on_the_half_line_give_the_gamma(shape: float) -> None:
    scale = 1.5
    d = maxent.density(
        {"x": shape * scale, "log x": special.digamma(shape) + np.log(scale)},
        support=(0, np.inf),
        features={"x": lambda x: x, "log x": np.log},
    )
    law = stats.gamma(shape, scale=scale)
    x = np.array([1e-3, 0.1, 0.5, 1.0, 3.0, 10.0, 25.0])
    np.testing.assert_allclose(d.pdf(x), law.pdf(x), rtol=1e-9)
    np.testing.assert_allclose(d.cdf(x), law.cdf(x), rtol=0, atol=1e-9)
    np.testing.assert_allclose(d.multipliers, [1 / scale, 1 - shape], rtol=1e-9)


# -- independent quadrature ----------------------------------------------------------------
def test_bimodal_line_density_from_four_power_moments_matches_scipy_quad() -> None:
    # a bimodal mixture's first four moments (kurtosis < 3: a maxent density exists)
    raw = [stats.norm(m, 0.6).moment for m in (-1.2, 1.0)]
    targets = np.array([0.45 * raw[0](k) + 0.55 * raw[1](k) for k in range(1, 5)])
    d = maxent.density(targets, support=(-np.inf, np.inf))
    assert d.converged, d.message
    lam, log_z = d.multipliers, d.log_Z

    def pdf(x: float) -> float:
        return float(np.exp(-log_z - np.polyval(np.r_[lam[::-1], 0.0], x)))

    assert integrate.quad(pdf, -np.inf, np.inf, epsabs=1e-13)[0] == pytest.approx(1, abs=1e-8)
    for k in range(1, 5):
        m = integrate.quad(lambda x, k=k: x**k * pdf(x), -np.inf, np.inf, epsabs=1e-13)[0]
        assert m == pytest.approx(targets[k - 1], rel=1e-8, abs=1e-8)
    assert d.pdf(0.3) == pytest.approx(pdf(0.3), rel=1e-8)
    assert d.cdf(0.1) == pytest.approx(integrate.quad(pdf, -np.inf, 0.1)[0], abs=1e-8)
    assert d.pdf(-1.1) > d.pdf(0.0) < d.pdf(1.0)  # two modes


def test_forty_power_moments_on_the_unit_interval() -> None:
    x, w = _gauss_legendre(0.0, 1.0, 3000)
    p = _mixture_pdf(x) / np.sum(w * _mixture_pdf(x))
    targets = np.array([np.sum(w * p * x**k) for k in range(1, 41)])
    d = maxent.density(targets, support=(0, 1))
    assert d.converged, d.message
    np.testing.assert_allclose(d.moments, targets, rtol=1e-10, atol=0)
    # independently: the density's own moments by a fresh quadrature
    mine = np.array([np.sum(w * d.pdf(x) * x**k) for k in range(1, 41)])
    np.testing.assert_allclose(mine, targets, rtol=1e-10, atol=0)


def test_chebyshev_moments_recover_a_smooth_density() -> None:
    x, w = _gauss_legendre(0.0, 1.0, 3000)
    p = _mixture_pdf(x) / np.sum(w * _mixture_pdf(x))
    targets = (w * p) @ chebyshev.chebvander(2 * x - 1, 200)[:, 1:]
    d = maxent.density(targets, support=(0, 1), basis="chebyshev")
    assert d.converged, d.message
    assert np.sum(w * np.abs(d.pdf(x) - p)) < 1e-8  # L1 distance
    assert d.quadrature_error <= 0.5 * d.tol


def test_legendre_basis_matches_the_power_basis() -> None:
    targets = np.array([0.3, 0.15, 0.08])
    power = maxent.density(targets, support=(0, 1))
    u = lambda x: 2 * x - 1  # noqa: E731
    leg = [np.sum(power.expect(lambda x, k=k: special.eval_legendre(k, u(x)))) for k in (1, 2, 3)]
    d = maxent.density(leg, support=(0, 1), basis="legendre")
    xs = np.linspace(0.05, 0.95, 7)
    np.testing.assert_allclose(d.pdf(xs), power.pdf(xs), rtol=1e-9)


def test_a_prior_is_the_answer_when_the_targets_are_its_moments() -> None:
    # the arcsine law has every Chebyshev moment 0: with it as the prior, p = prior
    arcsine = lambda x: 1 / (np.pi * np.sqrt(1 - x**2))  # noqa: E731
    # (1 - x^2 keeps few digits next to the ends: a singular prior limits the tolerance)
    d = maxent.density(np.zeros(6), support=(-1, 1), basis="chebyshev", prior=arcsine, tol=1e-8)
    assert d.converged, d.message
    xs = np.array([-0.999, -0.5, 0.0, 0.3, 0.99])
    # moments to 1e-8 fix the six multipliers to ~1e-8 each (the Hessian is O(1))
    np.testing.assert_allclose(d.multipliers, 0.0, atol=1e-7)
    np.testing.assert_allclose(d.pdf(xs), arcsine(xs), rtol=1e-7)
    assert d.cdf(0.5) == pytest.approx(0.5 + np.arcsin(0.5) / np.pi, abs=1e-8)


def test_two_dimensional_exponential_family_is_recovered() -> None:
    # p(x, y) ~ exp(-(2x - y^2 + 1.5 x y)) on the unit square: its own moments up to
    # order 2 give back its multipliers
    lam = {(1, 0): 2.0, (0, 2): -1.0, (1, 1): 1.5}
    x, w = _gauss_legendre(0.0, 1.0, 80)
    gx, gy = np.meshgrid(x, x, indexing="ij")
    ww = np.outer(w, w)
    weight = np.exp(-(2 * gx - gy**2 + 1.5 * gx * gy))
    z = np.sum(ww * weight)
    p = weight / z
    keys = [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
    targets = {k: float(np.sum(ww * p * gx ** k[0] * gy ** k[1])) for k in keys}
    d = maxent.density(targets, support=[(0, 1), (0, 1)])
    assert d.converged, d.message
    np.testing.assert_allclose(d.multipliers, [lam.get(k, 0.0) for k in keys], atol=1e-8)
    assert d.pdf(0.3, 0.6) == pytest.approx(np.exp(-(0.6 - 0.36 + 0.27)) / z, rel=1e-9)
    assert d.cdf(1.0, 1.0) == pytest.approx(1.0, abs=1e-10)
    # P(X <= 0.5, Y <= 0.4) by an independent Gauss-Legendre rule on the sub-box
    xs, ws = _gauss_legendre(0.0, 0.5, 60)
    ys, wy = _gauss_legendre(0.0, 0.4, 60)
    sx, sy = np.meshgrid(xs, ys, indexing="ij")
    corner = np.sum(np.outer(ws, wy) * np.exp(-(2 * sx - sy**2 + 1.5 * sx * sy))) / z
    assert d.cdf(0.5, 0.4) == pytest.approx(corner, abs=1e-10)
    np.testing.assert_allclose(d.mean(), [targets[(1, 0)], targets[(0, 1)]], rtol=1e-10)


# -- realizability -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("targets", "support", "index", "bound"),
    [
        ([0.5, 0.2], (0, 1), 1, 0.25),  # negative variance: E[x^2] must be > E[x]^2
        ([0.5, 0.5], (0, 1), 1, 0.5),  # E[x^2] = E[x] on [0, 1]: two point masses
        ([-0.5], (0, np.inf), 0, 0.0),  # a mean below the end of the half-line
        ([1.0, 0.5], (-np.inf, np.inf), 1, 1.0),  # variance -0.5
    ],
)
def test_moments_no_density_has_are_refused_naming_the_first(
    targets: list[float], support: tuple[float, float], index: int, bound: float
) -> None:
    with pytest.raises(InfeasibleTargetsError, match=rf"`targets\[{index}\]`") as info:
        maxent.density(targets, support=support)
    assert f"{bound:.10g}" in str(info.value)


def test_chebyshev_moments_no_density_has_are_refused() -> None:
    # |E[T_k]| <= 1 for any density on [-1, 1]; E[T_2] = 2 E[u^2] - 1 >= 2 E[u]^2 - 1
    with pytest.raises(InfeasibleTargetsError, match=r"`targets\[1\]` \(E\[T_2\(u\)\]\)"):
        maxent.density([0.9, 0.2], support=(-1, 1), basis="chebyshev")


def test_realizable_moments_without_a_maxent_density_are_refused() -> None:
    # on [0, inf) with a coefficient of variation above 1 the supremum is not attained
    with pytest.raises(InfeasibleTargetsError, match="does not decay"):
        maxent.density([1.0, 3.0], support=(0, np.inf))


@st.composite
def _mixtures(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    """Power moments on [0, 1] of a mixture of two Beta densities, and K."""
    k = draw(st.integers(2, 6))
    a = draw(st.lists(st.floats(1.5, 8.0), min_size=2, max_size=2))
    b = draw(st.lists(st.floats(1.5, 8.0), min_size=2, max_size=2))
    w = draw(st.floats(0.1, 0.9))
    laws = [stats.beta(a[0], b[0]), stats.beta(a[1], b[1])]
    return np.array(
        [w * laws[0].moment(j) + (1 - w) * laws[1].moment(j) for j in range(1, k + 1)]
    ), k


@settings(max_examples=15)
@given(problem=_mixtures())
def test_moments_of_mixtures_solve_and_are_reproduced(problem: tuple[np.ndarray, int]) -> None:
    targets, _ = problem
    d = maxent.density(targets, support=(0, 1))
    assert d.converged, d.message
    np.testing.assert_allclose(d.moments, targets, rtol=1e-10)


def _hankel_lower_bound(m: np.ndarray) -> float:
    """The smallest E[x^(2n)] a density with the lower moments can have: the Schur
    complement of the Hankel matrix [m_(i+j)] (independent of maxent's code)."""
    n = (len(m) - 1) // 2
    h = np.array([[m[i + j] for j in range(n)] for i in range(n)])
    v = np.array([m[i + n] for i in range(n)])
    return float(v @ np.linalg.solve(h, v))


@settings(max_examples=15)
@given(problem=_mixtures(), push=st.floats(1e-6, 1e-3))
def test_moments_just_beyond_a_hankel_boundary_are_refused(
    problem: tuple[np.ndarray, int], push: float
) -> None:
    targets, k = problem
    k -= k % 2  # an even order: E[x^k] bounded below by the lower moments
    m = np.r_[1.0, targets[:k]]
    lowest = _hankel_lower_bound(m)
    beyond = m.copy()
    beyond[k] = lowest - push * (m[k] - lowest)
    with pytest.raises(InfeasibleTargetsError, match=rf"`targets\[{k - 1}\]`.*must be >"):
        maxent.density(beyond[1:], support=(0, 1))


@pytest.mark.parametrize("a, b", [(3.0, 9.0), (0.5, 0.5), (2.0, 5.0)])
def test_few_moments_are_met_near_machine_precision_by_default(a: float, b: float) -> None:
    """The default answer is not merely inside the tolerance: Newton converges
    quadratically, so the moments are met to rounding (PyMaxEnt's case C6b, Beta(3, 9)
    with four power moments, had stopped at 5.5e-12 relative).  Targets in closed form:
    E[x^k] of Beta(a, b) is prod_{i<k} (a + i) / (a + b + i)."""
    targets = np.cumprod([(a + i) / (a + b + i) for i in range(4)])
    d = maxent.density(targets, support=(0, 1))
    assert d.converged, d.message
    assert np.max(np.abs(np.asarray(d.moments) / targets - 1)) <= 1e-13
    assert d.residual <= 1e-13


@pytest.mark.parametrize("law", [stats.beta(0.5, 0.5), stats.beta(3, 9), stats.beta(2, 2)])
def test_few_moments_on_an_interval_agree_with_quad_and_the_general_path(law) -> None:
    """A few moments on an interval take a lean Newton path; its density must have the
    moments under scipy's adaptive quadrature and equal the general path's (a prior of
    one sends the same problem through maxent.solve on double-exponential nodes)."""
    targets = np.array([law.expect(lambda x, j=j: (2 * x) ** j) for j in range(1, 5)])
    d = maxent.density(targets, support=(0, 2))
    general = maxent.density(targets, support=(0, 2), prior=lambda x: np.ones_like(x))
    assert d.converged and general.converged, (d.message, general.message)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        by_quad = [
            integrate.quad(lambda x, j=j: x**j * d.pdf(x), 0, 2, epsabs=0, epsrel=1e-13)[0]
            for j in range(5)
        ]
        below = integrate.quad(d.pdf, 0, 0.7, epsabs=0, epsrel=1e-13)[0]
    np.testing.assert_allclose(by_quad, np.r_[1.0, targets], rtol=1e-9)
    assert float(d.cdf(0.7)) == pytest.approx(below, rel=1e-9)
    np.testing.assert_allclose(d.multipliers, general.multipliers, rtol=1e-7)
    assert d.log_Z == pytest.approx(general.log_Z, rel=1e-8, abs=1e-8)
    x = np.linspace(0.05, 1.95, 39)
    np.testing.assert_allclose(d.pdf(x), general.pdf(x), rtol=1e-8)


# -- input errors --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"targets": [0.5], "support": (1, 0)}, r"`support` = \(1.0, 0.0\) is empty"),
        ({"targets": [0.5], "support": "0..1"}, "`support` must be a pair"),
        ({"targets": [np.nan], "support": (0, 1)}, "`targets` must be finite"),
        ({"targets": [], "support": (0, 1)}, "at least one moment"),
        ({"targets": [0.5], "support": (0, 1), "basis": "fourier"}, "`basis` must be one of"),
        (
            {"targets": [0.5], "support": (0, np.inf), "basis": "chebyshev"},
            "needs a bounded support",
        ),
        ({"targets": [0.5, 1.0, 0.2], "support": (-np.inf, np.inf)}, "even number"),
        ({"targets": [0.5], "support": (0, 1), "prior": 3.0}, "`prior` must be a callable"),
        (
            {"targets": [0.5], "support": (0, 1), "prior": lambda x: x - 0.5},
            "`prior` must be finite and >= 0",
        ),
        ({"targets": [0.5], "support": (0, 1), "tol": -1.0}, "`tol` must be a positive number"),
        (
            {"targets": {"x": 0.5}, "support": (0, 1), "features": {"x": 3}},
            r"`features\['x'\]` must be callable",
        ),
        ({"targets": {"y": 0.5}, "support": (0, 1), "features": {"x": np.sin}}, "same names"),
        ({"targets": {(1, 0): 0.5, (2, 0): 0.3}, "support": [(0, 1), (0, np.inf)]}, "bounded box"),
        (
            {"targets": {(2, 0): 0.3}, "support": [(0, 1), (0, 1)]},
            r"has \(2, 0\) but not \(1, 0\)",
        ),
        ({"targets": [0.5], "support": [(0, 1), (0, 1)]}, "must be a mapping"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(kwargs: dict, match: str) -> None:
    targets = kwargs.pop("targets")
    with pytest.raises(InvalidInputError, match=match):
        maxent.density(targets, **kwargs)


def test_quantities_are_converted_or_refused() -> None:
    import pint

    ureg = pint.get_application_registry()
    plain = maxent.density([0.2], support=(0, np.inf))
    d = maxent.density([200.0 * ureg.mm], support=(0 * ureg.m, np.inf * ureg.m))
    assert d.units == ("meter",)
    assert d.pdf(0.1) == pytest.approx(plain.pdf(0.1), rel=1e-12)
    assert d.pdf(100 * ureg.mm) == pytest.approx(plain.pdf(0.1), rel=1e-12)
    two = maxent.density([0.5 * ureg.m, 3000.0 * ureg.cm**2], support=(0, 1) * ureg.m)
    assert two.moments[1] == pytest.approx(0.3)
    with pytest.raises(InvalidInputError, match=r"`targets\[0\]` has unit 'second'"):
        maxent.density([0.2 * ureg.s], support=(0 * ureg.m, 1 * ureg.m))
    with pytest.raises(InvalidInputError, match="one quantity with one unit"):
        maxent.density([0.5, 0.3] * ureg.m, support=(0, 1) * ureg.m)
    with pytest.raises(InvalidInputError, match="does not convert to a plain number"):
        maxent.density([0.5 * ureg.m], support=(0, 1))


# -- the result ----------------------------------------------------------------------------
def test_result_is_a_frozen_value_like_a_scipy_frozen_law() -> None:
    targets = np.array([0.4, 0.2])
    d = maxent.density(targets, support=(0, 1))
    targets[0] = 0.9  # the result owns its arrays
    assert d.targets[0] == 0.4
    with pytest.raises(ValueError, match="read-only"):
        d.multipliers[0] = 1.0
    with pytest.raises(AttributeError):
        d.residual = 0.0  # type: ignore[misc]
    assert len(repr(d)) < 1000 and repr(d).startswith("DensityResult")
    assert d.support() == (0.0, 1.0)
    assert d.pdf(np.ones((2, 3)) * 0.5).shape == (2, 3)
    assert d.pdf(-1.0) == 0.0 and d.cdf(-1.0) == 0.0 and d.cdf(2.0) == 1.0
    assert d.median() == pytest.approx(d.ppf(0.5))
    lo, hi = d.interval(0.9)
    assert d.cdf(hi) - d.cdf(lo) == pytest.approx(0.9, abs=1e-10)
    a = d.rvs(size=500, random_state=7)
    np.testing.assert_array_equal(a, d.rvs(size=500, random_state=np.random.RandomState(7)))
    assert d.rvs(size=(2, 3), random_state=np.random.default_rng(1)).shape == (2, 3)
    # the draws follow the cdf (Kolmogorov-Smirnov at the 0.1% level)
    assert stats.kstest(d.rvs(size=2000, random_state=3), d.cdf).pvalue > 1e-3
    assert d.moment(2) == pytest.approx(0.2, rel=1e-10)
    mean, var, skew, kurt = d.stats("mvsk")
    assert (mean, var) == pytest.approx((0.4, 0.04), rel=1e-10)
    assert skew == pytest.approx(d.expect(lambda x: (x - 0.4) ** 3) / 0.04**1.5, rel=1e-10)


def test_to_xarray_is_a_cf_dataset_that_saves(tmp_path) -> None:
    d = maxent.density([0.3, 0.15], support=(0, 1))
    ds = d.to_xarray()
    assert ds.attrs["Conventions"].startswith("CF") and "maxent_version" in ds.attrs
    assert ds.pdf.dims == ("x",) and ds.cdf.dims == ("x",)
    for name in ds.variables:
        assert "long_name" in ds[name].attrs
    assert ds.cdf.values[-1] > 0.99 and np.all(np.diff(ds.cdf.values) >= 0)
    ds.to_netcdf(tmp_path / "density.nc")


# -- batches -------------------------------------------------------------------------------
def test_a_batch_solves_each_problem_as_alone() -> None:
    rng = np.random.default_rng(0)
    mean = rng.uniform(-1, 1, 50)
    sd = rng.uniform(0.5, 2, 50)
    skew = rng.uniform(-0.3, 0.3, 50)
    z3, z4 = skew, np.full(50, 2.7)  # standardised third and fourth moments
    m3 = mean**3 + 3 * mean * sd**2 + z3 * sd**3
    m4 = mean**4 + 6 * mean**2 * sd**2 + 4 * mean * z3 * sd**3 + z4 * sd**4
    targets = np.stack([mean, mean**2 + sd**2, m3, m4], axis=1)
    batch = maxent.density(targets, support=(-np.inf, np.inf))
    assert batch.multipliers.shape == (50, 4) and np.all(batch.converged)
    for i in (0, 17, 49):
        alone = maxent.density(targets[i], support=(-np.inf, np.inf))
        np.testing.assert_allclose(batch.multipliers[i], alone.multipliers, rtol=1e-7, atol=1e-9)
        assert batch.pdf(0.2)[i] == pytest.approx(alone.pdf(0.2), rel=1e-8)
        assert batch.cdf(0.2)[i] == pytest.approx(alone.cdf(0.2), abs=1e-9)
    # scipy broadcasting: points against problems
    assert batch.pdf(np.zeros((3, 1))).shape == (3, 50)
    assert batch.ppf(0.5).shape == (50,)
    np.testing.assert_allclose(batch.mean(), mean, rtol=1e-9, atol=1e-12)


def test_a_batch_names_the_problem_no_density_has() -> None:
    targets = np.array([[0.5, 0.3], [0.5, 0.2], [0.4, 0.2]])
    with pytest.raises(InfeasibleTargetsError, match=r"problem 1: `targets\[1\]`"):
        maxent.density(targets, support=(0, 1))


def test_a_batch_on_the_half_line_names_the_problem_whose_density_never_decays() -> None:
    # a coefficient of variation above 1 from two moments: realizable, but the entropy's
    # supremum is not attained (Dowson & Wragg); the rule stops reaching out (no hang)
    targets = np.array([[1.0, 1.5], [1.0, 2.5]])
    with pytest.raises(InfeasibleTargetsError, match=r"`targets\[1\]`.*does not decay"):
        maxent.density(targets, support=(0, np.inf))


def test_non_convergence_warns() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        maxent.density([0.3, 0.15], support=(0, 1))  # no warning when it converges


@pytest.mark.parametrize(
    ("targets", "support", "basis"),
    [
        ([[0.8, 1.0, 1.5], [1.2, 2.0, 4.0]], (0, np.inf), "power"),
        ([[0.1, -0.3], [-0.2, -0.1]], (0, 2), "chebyshev"),
    ],
)
def test_batches_on_half_lines_and_in_other_bases(targets, support, basis) -> None:
    batch = maxent.density(np.array(targets), support=support, basis=basis)
    for i, row in enumerate(targets):
        alone = maxent.density(row, support=support, basis=basis)
        np.testing.assert_allclose(batch.multipliers[i], alone.multipliers, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(batch.moments[i], row, rtol=1e-10)
