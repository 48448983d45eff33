"""maxent.reweight: BME's own reference tests on its data, closed forms, independent solvers.

The reference numbers are BME's (KULL-Centre/BME, ``test/test_01.py``; data in
``tests/data/bme``, see its README), checked to BME's tolerance 1e-3.  Physics is checked
against closed forms (the exponential tilt of a Gaussian ensemble) and against a
general-purpose minimiser of the same objective (scipy), never against our own output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

import maxent

DATA = Path(__file__).parent / "data" / "bme"
TOL = 1e-3  # BME's tolerance

# BME's test/test_01.py: [chi2 before, chi2 after, phi] of the fit, then the statistics of
# predict on two data sets: [chi2, RMSD, violations] before, then after
# fmt: off
RESULTS = {
    "one": [
        [1.1524552410816327, 0.08783301229853915, 0.11401249782116127],
        [1.1524552410816329, 1.6102870217553371, 7, 0.08783301229853926, 0.44454952218140253, 0],
        [3.146911169909768, 0.44366636274376653, 16, 1.9907318847951587, 0.3523253434255751, 10],
    ],
    "two": [
        [1.1532341544399012, 0.0193537697493589, 0.35833792938785797],
        [3.146911169909768, 0.44366636274376653, 16, 0.026895813535419474, 0.056634715106665866, 0],
        [1.1524552410816329, 1.6102870217553371, 7, 0.49709905557001793, 1.0575787795869112, 3],
    ],
    "three": [
        [4.9257716215413625, 0.03270014130179259, 0.040946044724065614],
        [14.199966089013843, 0.9213070038949898, 22, 0.03801988712144421, 0.06569120511315368, 0],
        [1.1524552410816329, 1.6102870217553371, 7, 0.4126399382362971, 0.9635558421968434, 3],
    ],
    "four": [
        [2.9766694437353234, 0.022832259699948863, 0.12751965316063574],
        [8.559809220925167, 0.7209890327714169, 21, 0.02841231336087682, 0.05797616772314339, 0],
        [1.1524552410816329, 1.6102870217553371, 7, 0.40447816776265333, 0.9539789711864566, 2],
    ],
}
# fmt: on


def _stats(pred: maxent.ReweightPrediction) -> list[float]:
    return [
        pred.chi2_before,
        pred.rmsd_before,
        pred.violations_before,
        pred.chi2_after,
        pred.rmsd_after,
        pred.violations_after,
    ]


def _close(got, ref) -> None:
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(ref, float), rtol=0, atol=TOL)


@pytest.fixture(scope="module")
def couplings():
    exp = maxent.read_bme_experiment(DATA / "couplings_exp.dat")
    return exp, maxent.read_bme_calculated(DATA / "couplings_calc.dat.zip", names=exp.names)


@pytest.fixture(scope="module")
def noe():
    exp = maxent.read_bme_experiment(DATA / "NOE_exp.dat")
    return exp, maxent.read_bme_calculated(DATA / "NOE_calc.dat.zip", names=exp.names)


@pytest.fixture(scope="module")
def rdc():
    exp = maxent.read_bme_experiment(DATA / "RDC_TL.exp.dat")
    return exp, maxent.read_bme_calculated(DATA / "RDC_TL.calc.dat.zip", names=exp.names)


def _fit(data, theta, **kw) -> maxent.ReweightResult:
    exp, calc = data
    kw.setdefault("power", exp.power)
    return maxent.reweight(calc, exp.targets, exp.sigma, theta=theta, bounds=exp.bounds, **kw)


def _predict(res, data, **kw) -> maxent.ReweightPrediction:
    exp, calc = data
    kw.setdefault("power", exp.power)
    return res.predict(calc, exp.targets, exp.sigma, bounds=exp.bounds, **kw)


# ----------------------------------------------------------------------------- BME's tests
def test_bme_one_couplings(couplings, noe) -> None:
    res = _fit(couplings, 0.5)
    _close([res.chi2_before, res.chi2_after, res.phi], RESULTS["one"][0])
    _close(_stats(_predict(res, couplings)), RESULTS["one"][1])
    _close(_stats(_predict(res, noe)), RESULTS["one"][2])
    assert res.converged and res.status == "converged"


@pytest.mark.parametrize("case, power", [("two", 6), ("three", 3), ("four", 4)])
def test_bme_two_to_four_noe_power_averaging(couplings, noe, case, power) -> None:
    res = _fit(noe, 0.5, power=power)
    _close([res.chi2_before, res.chi2_after, res.phi], RESULTS[case][0])
    _close(_stats(_predict(res, noe, power=power)), RESULTS[case][1])
    _close(_stats(_predict(res, couplings)), RESULTS[case][2])


def _reference_table(name: str) -> tuple[list[str], np.ndarray, list[str]]:
    lines = [ln for ln in (DATA / name).read_text().splitlines() if not ln.startswith("#")]
    rows = [ln.split() for ln in lines]
    return (
        [r[0] for r in rows],
        np.array([[float(x) for x in r[1:5]] for r in rows]),
        [r[5] for r in rows],
    )


@pytest.mark.parametrize(
    "table, fitted", [("example_01_couplings", True), ("example_01_noe", False)]
)
def test_bme_six_predict_tables(couplings, noe, table, fitted) -> None:
    """BME writes exp_avg, exp_sigma, calc_avg, calc_avg_rew and violation flags per datum
    (printed to 4 digits); the weights are fitted to the couplings at theta = 0.5."""
    res = _fit(couplings, 0.5)
    data = couplings if fitted else noe
    pred = _predict(res, data)
    labels, ref, flags = _reference_table(table)
    assert list(pred.names) == labels
    got = np.column_stack([pred.targets, pred.sigma, pred.averages_before, pred.averages_after])
    np.testing.assert_allclose(got, ref, rtol=TOL)
    exp = data[0]
    for k, flag in enumerate(flags):
        r0 = (pred.averages_before[k] - exp.targets[k]) / exp.sigma[k]
        r1 = (pred.averages_after[k] - exp.targets[k]) / exp.sigma[k]
        assert flag == f"{int(abs(r0) > 1)}{int(abs(r1) > 1)}", labels[k]


def test_bme_seven_rdc_scale(rdc) -> None:
    res = _fit(rdc, 100, fit="scale")
    _close([res.chi2_before, res.chi2_after, res.phi], [15.60307, 8.05427, 0.66448])
    # the scale is BME's weighted least squares at the prior averages
    avg = np.asarray(rdc[1]).mean(axis=0)
    w = 1 / rdc[0].sigma ** 2
    assert res.scale == pytest.approx(np.sum(w * avg * rdc[0].targets) / np.sum(w * avg**2))


def test_bme_ten_rdc_with_prior_weights(rdc) -> None:
    import zipfile

    with zipfile.ZipFile(DATA / "w0.dat.zip") as z:
        w0 = np.loadtxt(z.open("w0.dat"))[:, 1]
    res = _fit(rdc, 100, fit="scale", prior=w0)
    _close([res.chi2_before, res.chi2_after, res.phi], [15.76556, 8.22772, 0.66176])
    np.testing.assert_allclose(res.prior_weights, w0 / w0.sum(), rtol=1e-12)


# ----------------------------------------------------------------------------- closed forms
def _dual_reference(calc, t, s2, side):
    """BME's dual, minimised by scipy's bounded L-BFGS-B (multipliers signed by ``side``)."""
    scale = 1 / np.sqrt(s2)

    def dual(u):
        lam = u / scale
        a = -calc @ lam
        lz = logsumexp(a) - np.log(a.size)
        w = np.exp(a - logsumexp(a))
        return lz + lam @ t + 0.5 * np.sum(s2 * lam**2), (t + s2 * lam - w @ calc) / scale

    box = [(None, None) if k == 0 else ((0, None) if k > 0 else (None, 0)) for k in side]
    out = scipy.optimize.minimize(
        dual, np.zeros(t.size), jac=True, method="L-BFGS-B", bounds=box,
        options={"maxiter": 50000, "ftol": 1e-15, "gtol": 1e-11},
    )  # fmt: skip
    return out.x / scale


def test_one_sided_data_match_a_bounded_dual_minimiser(noe) -> None:
    exp, calc = noe
    x = np.asarray(calc)[::40, :12]
    targets, sigma = exp.targets[:12], exp.sigma[:12]
    bounds = ["upper" if k % 2 == 0 else ("lower" if k % 4 == 1 else None) for k in range(12)]
    theta = 0.5
    res = maxent.reweight(x, targets, sigma, theta=theta, power=6, bounds=bounds)
    # BME's convention in x^-6 space: bounds change sides
    t = targets**-6.0
    s = 6 * t * sigma / targets
    side = np.array([{"upper": -1, "lower": 1, None: 0}[b] for b in bounds])
    lam = _dual_reference(x**-6.0, t, theta * s**2, side)
    np.testing.assert_allclose(res.multipliers * np.sqrt(theta) * s, lam * np.sqrt(theta) * s,
                               atol=1e-4)  # fmt: skip
    met = (side != 0) & (res.multipliers == 0)
    assert np.any(met) and np.any((side != 0) & ~met)  # both kinds of bound occur


def _gaussian_grid(c, h):
    """A 2-D grid of frames whose prior log-weights are those of N(0, c)."""
    half = 11.0 * np.sqrt(np.max(np.diag(c)))
    g = np.arange(-half, half + h / 2, h)
    x = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    log_q = -0.5 * np.einsum("ij,jk,ik->i", x, np.linalg.inv(c), x)
    return x, log_q


@settings(max_examples=12)
@given(
    rho=st.floats(-0.7, 0.7),
    scales=st.tuples(st.floats(1.0, 1.6), st.floats(1.0, 1.6)),
    shift=st.tuples(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5)),
    theta=st.floats(0.01, 5.0),
    sigma=st.tuples(st.floats(0.2, 1.0), st.floats(0.2, 1.0)),
)
def test_gaussian_ensemble_is_tilted_exactly(rho, scales, shift, theta, sigma) -> None:
    """N(0, C) reweighted to means mu with noise theta sigma^2 is N(C lam', C) exactly:
    w ~ w0 exp(-lam . x) shifts the mean to -C lam, and m - mu = theta sigma^2 lam gives
    lam = -(C + theta D)^-1 mu.  On a grid of spacing <= s/3 the sums are the integrals to
    e^(-2 pi^2 9), so the closed form holds to rounding."""
    s1, s2 = scales
    c = np.array([[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]])
    x, log_q = _gaussian_grid(c, min(s1, s2) * np.sqrt(1 - rho**2) / 3)
    mu, sig = np.array(shift), np.array(sigma)
    res = maxent.reweight(x, mu, sig, theta=theta, log_prior=log_q - 1e4)
    lam = -np.linalg.solve(c + theta * np.diag(sig**2), mu)
    np.testing.assert_allclose(res.multipliers, lam, atol=1e-8)
    w = np.asarray(res.weights)
    mean = w @ x
    np.testing.assert_allclose(mean, -c @ lam, atol=1e-8)
    np.testing.assert_allclose((x - mean).T @ (w[:, None] * (x - mean)), c, atol=1e-7)
    kl = 0.5 * lam @ c @ lam  # KL(N(-C lam, C) || N(0, C))
    assert res.relative_entropy == pytest.approx(kl, rel=1e-7, abs=1e-12)


def test_joint_scale_and_offset_are_a_joint_stationary_point(rdc) -> None:
    exp, calc = rdc
    x = np.asarray(calc)[::4]
    theta = 100.0
    res = maxent.reweight(x, exp.targets, exp.sigma, theta=theta, fit="joint scale+offset")
    a, b = res.scale, res.offset
    m = np.asarray(res.weights) @ x
    r = (a * m + b - exp.targets) / exp.sigma
    # d/da and d/db of the objective vanish; the multipliers are those of the scaled data
    assert abs(r @ (m / exp.sigma)) < 1e-6 * np.linalg.norm(m / exp.sigma)
    assert abs(np.sum(r / exp.sigma)) < 1e-6 * np.linalg.norm(1 / exp.sigma)
    np.testing.assert_allclose(res.multipliers, a * r / (theta * exp.sigma), rtol=1e-6,
                               atol=1e-9 * np.max(np.abs(res.multipliers)))  # fmt: skip
    once = maxent.reweight(x, exp.targets, exp.sigma, theta=theta, fit="scale+offset")

    def objective(result):
        mm = np.asarray(result.weights) @ x
        rr = (result.scale * mm + result.offset - exp.targets) / exp.sigma
        return theta * result.relative_entropy + 0.5 * rr @ rr

    assert objective(res) < objective(once)  # fitted once at the prior: not the minimum


def test_forward_model_matches_a_general_minimiser(couplings) -> None:
    """PRE-like data y = exp(-<x>/5): the weights minimise theta KL + chi2/2 in y."""
    exp, calc = couplings
    x = np.asarray(calc)[::20, :6]
    theta = 2.0

    def f(m):
        return np.exp(-m / 5)

    def df(m):
        return -np.exp(-m / 5) / 5

    y, s = f(exp.targets[:6]), np.full(6, 0.05)
    res = maxent.reweight(x, y, s, theta=theta, forward=(f, df))

    def objective(lam):
        a = -x @ lam
        log_w = a - logsumexp(a)
        w = np.exp(log_w)
        kl = w @ (log_w + np.log(x.shape[0]))
        r = (f(w @ x) - y) / s
        return theta * kl + 0.5 * r @ r

    ref = scipy.optimize.minimize(objective, np.zeros(6), method="BFGS", options={"gtol": 1e-10})
    assert res.converged and objective(res.multipliers) <= ref.fun + 1e-10
    np.testing.assert_allclose(np.asarray(res.weights) @ x, np.exp(-x @ ref.x) @ x /
                               np.exp(-x @ ref.x).sum(), rtol=1e-5)  # fmt: skip
    m = np.asarray(res.weights) @ x
    np.testing.assert_allclose(res.multipliers, df(m) * (f(m) - y) / (theta * s**2), rtol=1e-6)
    np.testing.assert_allclose(res.averages_after, f(m), rtol=1e-12)


# ----------------------------------------------------------------------------- statistics
def test_statistics_from_log_weights_do_not_underflow() -> None:
    rng = np.random.default_rng(3)
    calc = rng.normal(size=(500, 2))
    log_q = rng.normal(size=500) * 3
    ref = maxent.reweight(calc, [0.3, -0.2], [0.1, 0.1], theta=1.0, prior=np.exp(log_q))
    far = maxent.reweight(calc, [0.3, -0.2], [0.1, 0.1], theta=1.0, log_prior=log_q - 5e3)
    assert far.effective_sample_size == pytest.approx(ref.effective_sample_size, rel=1e-10)
    np.testing.assert_allclose(far.log_weights, ref.log_weights, rtol=0, atol=1e-10)
    w = np.asarray(ref.weights)
    assert ref.effective_sample_size == pytest.approx(1 / np.sum(w**2), rel=1e-10)
    w0 = np.exp(log_q - logsumexp(log_q))
    assert ref.relative_entropy == pytest.approx(np.sum(w * np.log(w / w0)), rel=1e-9)
    assert ref.phi == pytest.approx(np.exp(-ref.relative_entropy))


def test_theta_scan_tightens_monotonically_and_cv_predicts_held_out_data(couplings) -> None:
    exp, calc = couplings
    res = maxent.reweight(calc, exp.targets, exp.sigma, theta="cv",
                          thetas=np.geomspace(50, 0.05, 7))  # fmt: skip
    assert res.theta_rule == "cv" and res.theta in res.scan_theta
    assert np.all(np.diff(res.scan_theta) < 0)
    assert np.all(np.diff(res.scan_chi2) <= 1e-12) and np.all(np.diff(res.scan_phi) <= 1e-12)
    best = res.scan_validation[list(res.scan_theta).index(res.theta)]
    assert best == np.nanmin(res.scan_validation) and best < 1.0
    assert res.chi2_after == pytest.approx(res.scan_chi2[list(res.scan_theta).index(res.theta)])


def test_historic_rule_gives_chi2_equal_to_one(couplings) -> None:
    exp, calc = couplings
    res = maxent.reweight(calc, exp.targets, exp.sigma, theta="historic")
    assert res.theta_rule == "historic"
    assert res.chi2_after == pytest.approx(1.0, abs=1e-8)  # sum over data = N


@pytest.mark.parametrize("rule", ["lcurve", "gcv"])
def test_alpha_rules_choose_a_theta_on_the_scan(couplings, rule) -> None:
    exp, calc = couplings
    res = maxent.reweight(calc, exp.targets, exp.sigma, theta=rule)
    assert res.converged and res.theta_rule == rule
    assert res.scan_theta.min() <= res.theta <= res.scan_theta.max()
    assert res.chi2_after < res.chi2_before and 0 < res.phi < 1


# ----------------------------------------------------------------------------- back ends
def _small(couplings):
    exp, calc = couplings
    x = np.asarray(calc)[:4000]
    w0 = np.random.default_rng(0).random(4000)
    bounds = ["upper" if k % 3 == 0 else None for k in range(x.shape[1])]
    return x, exp, w0, bounds


@pytest.mark.parametrize("kind", ["dask", "source", "float32-streamed"])
def test_back_ends_agree_with_memory(couplings, kind, monkeypatch) -> None:
    x, exp, w0, bounds = _small(couplings)
    kw = dict(theta=0.5, bounds=bounds)
    ref = maxent.reweight(x, exp.targets, exp.sigma, prior=w0, **kw)
    if kind == "dask":
        da = pytest.importorskip("dask.array")
        res = maxent.reweight(da.from_array(x, chunks=(700, 9)), exp.targets, exp.sigma,
                              prior=da.from_array(w0, chunks=1000), **kw)  # fmt: skip
    elif kind == "source":
        res = maxent.reweight(
            lambda: ((x[i : i + 900], w0[i : i + 900]) for i in range(0, 4000, 900)),
            exp.targets, exp.sigma, **kw,
        )  # fmt: skip
    else:
        import maxent._reweight_frames as frames

        monkeypatch.setattr(frames, "_CONVERT_LIMIT_BYTES", 1024)
        x = x.astype(np.float32)
        ref = maxent.reweight(x.astype(np.float64), exp.targets, exp.sigma, prior=w0, **kw)
        res = maxent.reweight(x, exp.targets, exp.sigma, prior=w0, **kw)
        assert isinstance(res.weights, np.ndarray)
    for field in ("weights", "log_weights", "prior_weights"):
        np.testing.assert_allclose(np.asarray(getattr(res, field)), getattr(ref, field),
                                   rtol=1e-9, atol=1e-13)  # fmt: skip
    np.testing.assert_allclose(res.multipliers, ref.multipliers, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(res.covariance, ref.covariance, rtol=1e-7, atol=1e-9)
    assert res.effective_sample_size == pytest.approx(ref.effective_sample_size, rel=1e-9)
    ds = res.to_xarray()
    assert ds.sizes["frame"] == 4000 and ds.sizes["observable"] == x.shape[1]


# ----------------------------------------------------------------------------- the result
def test_result_is_a_value_with_xarray_form(tmp_path) -> None:
    calc = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    t, s = np.array([2.0, 1.2]), np.array([0.2, 0.3])
    res = maxent.reweight(calc, t, s, theta=0.1, names=["a", "b"])
    before = np.asarray(res.weights).copy()
    calc[:] = 0.0
    t[:] = 9.0
    np.testing.assert_array_equal(res.weights, before)
    assert res.targets.tolist() == [2.0, 1.2]
    with pytest.raises(ValueError):
        res.weights[0] = 1.0
    with pytest.raises(AttributeError):
        res.theta = 2.0  # type: ignore[misc]
    assert len(repr(res)) < 1000 and repr(res).startswith("ReweightResult")
    ds = res.to_xarray()
    assert set(ds.dims) == {"frame", "observable", "observable_", "theta_scan"}
    assert list(ds.observable.values) == ["a", "b"]
    for name, var in ds.variables.items():
        assert "long_name" in var.attrs, name
    ds.to_netcdf(tmp_path / "w.nc")


def test_units_are_converted_or_refused() -> None:
    pint = pytest.importorskip("pint")
    u = pint.get_application_registry()
    calc = np.array([[3.0], [4.0], [5.0], [6.0]])
    ref = maxent.reweight(calc, [4.5], [0.2], theta=0.5)
    res = maxent.reweight(calc * u.angstrom, 0.45 * u.nm, 0.02 * u.nm, theta=0.5)
    np.testing.assert_allclose(res.weights, ref.weights, rtol=1e-12)
    assert res.unit == "angstrom" and res.targets[0] == pytest.approx(4.5)
    with pytest.raises(maxent.InvalidInputError, match="`targets` carries a unit but `calc`"):
        maxent.reweight(calc, [4.5] * u.angstrom, [0.2] * u.angstrom, theta=0.5)
    with pytest.raises(maxent.InvalidInputError, match="`sigma` is in 'second'"):
        maxent.reweight(calc * u.angstrom, [4.5] * u.angstrom, [0.2] * u.s, theta=0.5)


# ----------------------------------------------------------------------------- bad input
CALC = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 0.5], [3.0, 1.5]])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"calc": CALC[:1]}, "`calc` has 1 frame: reweighting needs at least two"),
        (
            {"calc": np.where(CALC == 2.0, np.nan, CALC)},
            r"`calc` must be finite; got nan at frame 1, observable 1",
        ),
        (
            {"calc": np.where(CALC == 3.0, np.inf, CALC)},
            r"`calc` must be finite; got inf at frame 3, observable 0",
        ),
        ({"sigma": [0.1, 0.0]}, r"`sigma` must be > 0; got 0.0 at index 1"),
        ({"sigma": [0.1, -1.0]}, r"`sigma` must be > 0; got -1.0 at index 1"),
        ({"targets": [1.0, np.nan]}, r"`targets` must be finite; got nan at index 1"),
        ({"targets": [1.0]}, "`targets` has 1 entries but `calc` has 2 observables"),
        ({"theta": 0.0}, "`theta` must be a positive number; got 0.0"),
        ({"theta": "bryan"}, "needs the Bayesian evidence"),
        ({"theta": "best"}, "`theta` must be a positive number or one of historic, lcurve"),
        (
            {"prior": [1.0, 1.0, -1.0, 1.0]},
            r"`prior` must be finite and >= 0; got -1.0 at frame 2",
        ),
        ({"prior": [0.0, 0.0, 1.0, 0.0]}, "only one frame has positive prior weight"),
        ({"prior": [1.0, 1.0], "log_prior": [0.0, 0.0]}, "give `prior` or `log_prior`, not both"),
        ({"log_prior": [0.0, np.inf, 0.0, 0.0]}, "`log_prior` must be finite or -inf"),
        ({"bounds": ["upper", "above"]}, r'`bounds\[1\]` must be "upper", "lower" or None'),
        (
            {"power": 6},
            r"`calc` must be > 0 where `power` applies \(x\*\*-p\); got 0.0 at frame 0",
        ),
        ({"power": -1}, "`power` must be a positive number; got -1.0"),
        ({"fit": "slope"}, "`fit` must be None or one of scale"),
        ({"forward": (np.exp, np.exp), "power": 6}, "`forward` cannot be combined"),
        ({"forward": np.exp}, "`forward` must be a pair"),
        ({"names": ["a", "a"]}, "`names` must hold 2 distinct names"),
        ({"thetas": [1.0, 2.0], "theta": "lcurve"}, "`thetas` must hold at least 3 values"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match) -> None:
    args = {"calc": CALC, "targets": [1.5, 1.0], "sigma": [0.1, 0.1], "theta": 1.0}
    args.update(kwargs)
    with pytest.raises(maxent.InvalidInputError, match=match):
        maxent.reweight(args.pop("calc"), args.pop("targets"), args.pop("sigma"), **args)


def test_constant_observable_far_from_its_target_is_reported() -> None:
    calc = np.column_stack([np.arange(6.0), np.full(6, 2.0)])
    with pytest.warns(UserWarning, match=r"'o1' \(constant over the frames 2..2, target 5"):
        res = maxent.reweight(calc, [2.5, 5.0], [0.1, 0.5], theta=1.0)
    assert res.status == "unreachable" and res.converged
    assert res.weights @ calc[:, 0] == pytest.approx(2.5, abs=0.05)  # the rest is still fitted


def test_target_beyond_every_frame_is_reported() -> None:
    with pytest.warns(UserWarning, match=r"no weighting of the frames can reach .*'o0'"):
        res = maxent.reweight(np.arange(5.0), [9.0], [0.5], theta=0.1)
    assert res.status == "unreachable"
    assert np.all(np.isfinite(res.weights)) and res.weights[-1] > 0.9


def test_one_sided_data_are_unreachable_only_on_their_violating_side() -> None:
    calc = np.arange(5.0)
    res = maxent.reweight(calc, [9.0], [0.5], theta=0.1, bounds="upper")  # met by all
    assert res.status == "converged" and res.multipliers[0] == 0 and res.chi2_after == 0
    with pytest.warns(UserWarning, match="no weighting of the frames can reach"):
        res = maxent.reweight(calc, [-3.0], [0.5], theta=0.1, bounds="upper")
    assert res.status == "unreachable" and res.weights[0] > 0.9


def test_collapsed_weights_are_reported() -> None:
    with pytest.warns(UserWarning, match="effective frames"):
        res = maxent.reweight(np.arange(10.0), [8.999], [1e-3], theta=1e-3)
    assert res.status == "collapsed" and res.effective_sample_size < 2


def test_a_loop_that_does_not_settle_warns_and_says_so(monkeypatch) -> None:
    import maxent._reweight_fit as fit

    monkeypatch.setattr(fit, "_MAX_OUTER", 1)
    x = np.linspace(0.1, 3.0, 40)[:, None]
    with pytest.warns(maxent.ConvergenceWarning, match="Gauss-Newton loop did not settle"):
        res = maxent.reweight(x, [0.3], [0.01], theta=0.1,
                              forward=(lambda m: np.exp(-m), lambda m: -np.exp(-m)))  # fmt: skip
    assert not res.converged and res.status == "max_iter"


def test_cv_needs_frames_in_memory() -> None:
    with pytest.raises(maxent.InvalidInputError, match="`theta`='cv' needs `calc` in memory"):
        maxent.reweight(lambda: iter([CALC]), [1.5, 1.0], [0.1, 0.1], theta="cv")
    with pytest.raises(maxent.InvalidInputError, match="an iterator, which can be read only once"):
        maxent.reweight(iter([CALC]), [1.5, 1.0], [0.1, 0.1], theta=1.0)


# ----------------------------------------------------------------------------- files, CLI, plot
def test_readers_report_malformed_files(tmp_path) -> None:
    bad = tmp_path / "bad.dat"
    bad.write_text("C1 1.0 0.5\n")
    with pytest.raises(maxent.InvalidInputError, match="the first line must be the header"):
        maxent.read_bme_experiment(bad)
    bad.write_text("# DATA=NOE BOUND=SIDEWAYS\nC1 1.0 0.5\n")
    with pytest.raises(maxent.InvalidInputError, match="BOUND=SIDEWAYS"):
        maxent.read_bme_experiment(bad)
    bad.write_text("# DATA=JCOUPLINGS\nC1 1.0 0.0\n")
    with pytest.raises(maxent.InvalidInputError, match="sigma > 0"):
        maxent.read_bme_experiment(bad)
    bad.write_text("f0 1.0 2.0\nf1 3.0\n")
    with pytest.raises(maxent.InvalidInputError, match="not a table of numbers"):
        maxent.read_bme_calculated(bad)
    import gzip

    with gzip.open(tmp_path / "c.dat.gz", "wt") as fh:
        fh.write("# frames\nf0 1.0 2.0\nf1 3.0 4.0\n")
    calc = maxent.read_bme_calculated(tmp_path / "c.dat.gz")
    assert calc.values.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_command_writes_weights_statistics_and_figure(tmp_path, capsys) -> None:
    import xarray as xr

    from maxent.reweight_cli import main

    out = tmp_path / "w.nc"
    status = main([
        "--exp", str(DATA / "couplings_exp.dat"), "--calc", str(DATA / "couplings_calc.dat.zip"),
        "--theta", "0.5", "--validate", str(DATA / "NOE_exp.dat"), str(DATA / "NOE_calc.dat.zip"),
        "--out", str(out),
    ])  # fmt: skip
    assert status == 0
    text = capsys.readouterr().out
    assert (
        "chi2 1.1525 -> 0.0878" in text and "validation NOE_exp.dat: chi2 3.1469 -> 1.99" in text
    )
    ds = xr.open_dataset(out)
    assert ds.sizes["frame"] == 20000 and ds.attrs["validation_NOE_exp_violations_after"] == 10
    assert (tmp_path / "w.png").stat().st_size > 10_000
    ds.close()
    assert main(["--exp", str(DATA / "couplings_exp.dat"), "--calc", str(DATA / "NOE_calc.dat.zip"),
                 "--theta", "1", "--out", str(out)]) == 2  # fmt: skip
    assert "has 27 values per frame but" in capsys.readouterr().err


def test_theta_scan_plot_marks_the_chosen_theta() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = maxent.reweight(CALC, [1.5, 1.0], [0.1, 0.1], theta="lcurve")
    ax = maxent.plot_theta_scan(res)
    assert ax.get_xscale() == "log"
    vertical = [ln for ln in ax.get_lines() if np.ptp(ln.get_xdata()) == 0]
    assert vertical and vertical[0].get_xdata()[0] == res.theta
    assert len(ax.right_axis.get_lines()) == 1
    plt.close("all")
