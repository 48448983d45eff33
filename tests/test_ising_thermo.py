"""Exact 2D Ising thermodynamics (Kaufman's closed form, series, Onsager) against
independent computations: a log-sum-exp over the exact spectrum, temperature_sweep,
Onsager's double integral by scipy.integrate.dblquad, and known series coefficients.
"""

import importlib.util
import math

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate
from scipy.special import logsumexp

import maxent
from maxent import ising_thermo, models

T_C = 2.0 / math.log(1.0 + math.sqrt(2.0))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MAXENT_CACHE_DIR", str(tmp_path))


def _spectrum_thermo(rows, cols, temperatures):
    """ln Z, U, C, S per site by a log-sum-exp over the exact spectrum (reference)."""
    g = models.ising_2d_degeneracies(rows, cols)
    e = np.array(list(g), dtype=float)
    log_g = np.array([math.log(x) for x in g.values()])
    t = np.asarray(temperatures, dtype=float)[:, None]
    # energies from the ground level at low T (S without cancellation), from 0 at high T
    # (U without cancellation)
    e_ref = np.where(t < 2.0, e[0], 0.0)
    es = e - e_ref
    a = log_g - es / t
    log_z = logsumexp(a, axis=1)
    p = np.exp(a - log_z[:, None])
    u = np.sum(p * es, axis=1)
    var = np.sum(p * (es - u[:, None]) ** 2, axis=1)
    n = rows * cols
    t, e_ref = t[:, 0], e_ref[:, 0]
    return {
        "log_Z": (log_z - e_ref / t) / n,
        "internal_energy": (u + e_ref) / n,
        "heat_capacity": var / t**2 / n,
        "entropy": (log_z + u / t) / n,
    }


# ---------------------------------------------------------------- thermodynamics
TEMPERATURES = [0.8, 1.0, 1.5, 2.0, T_C, 2.5, 3.0, 5.0, 20.0]


@pytest.mark.parametrize(
    "rows, cols", [(2, 2), (5, 5), (6, 6), (8, 8), (16, 16), (32, 32), (3, 7), (7, 3), (4, 9)]
)
def test_kaufman_closed_form_matches_the_exact_spectrum(rows, cols):
    ds = models.ising_2d_thermo(rows, TEMPERATURES, columns=cols)
    ref = _spectrum_thermo(rows, cols, TEMPERATURES)
    for name, values in ref.items():
        np.testing.assert_allclose(
            ds[f"{name}_per_site"].values, values, rtol=1e-12, atol=0, err_msg=name
        )


# every regime: low-T series (T < 0.8), closed form, high-T series (T > 10)
ALL_REGIMES = [0.1, 0.3, 0.5, 0.79, 0.81, 1.5, T_C, 4.0, 9.9, 10.1, 30.0, 100.0]


@pytest.mark.parametrize(
    "rows, cols", [(2, 2), (2, 5), (3, 3), (5, 5), (8, 8), (16, 16), (32, 32), (3, 7)]
)
def test_every_temperature_regime_matches_the_exact_spectrum(rows, cols):
    ds = models.ising_2d_thermo(rows, ALL_REGIMES, columns=cols)
    ref = _spectrum_thermo(rows, cols, ALL_REGIMES)
    for name, values in ref.items():
        np.testing.assert_allclose(
            ds[f"{name}_per_site"].values, values, rtol=1e-12, atol=0, err_msg=name
        )


@pytest.mark.parametrize("side", [64, 1024, np.inf])
@pytest.mark.parametrize("k_switch", [ising_thermo._K_SERIES_LOW_T, ising_thermo._K_SERIES_HIGH_T])
def test_series_join_the_closed_form_continuously(side, k_switch):
    t = 1.0 / (k_switch * np.array([1.0 - 1e-13, 1.0 + 1e-13]))
    ds = models.ising_2d_thermo(side, t)
    for name in ("log_Z", "internal_energy", "heat_capacity", "entropy"):
        a, b = ds[f"{name}_per_site"].values
        assert a == pytest.approx(b, rel=1e-11), name


def test_series_coefficients_are_the_known_infinite_lattice_ones():
    # ln Z / N = 2K + u^2 + 2u^3 + 9/2 u^4 + 12 u^5 + 112/3 u^6 + ..., u = e^(-4K) (Domb)
    c = ising_thermo._low_t_series(0, 0)
    np.testing.assert_allclose(
        c[:13], [0, 0, 0, 0, 1, 0, 2, 0, 4.5, 0, 12, 0, 112 / 3], rtol=1e-15, atol=0
    )
    # high-temperature graphs of a 12 x 12 torus: the same until loops wind around it
    high = ising_thermo._high_t_series(12, 12)
    np.testing.assert_allclose(high[:12], c[:12], rtol=1e-15, atol=1e-300)
    assert abs(high[12] - c[12]) > 0.1


def test_thin_long_lattices_without_series_match_the_spectrum():
    rows, cols = 4, 300  # 1200 sites: no series
    assert ising_thermo._low_t_series(rows, cols) is None
    assert ising_thermo._high_t_series(rows, cols) is None
    temps = [0.05, 0.12, 0.9, 2.0, 20.0, 2e4]
    ds = models.ising_2d_thermo(rows, temps, columns=cols)
    ref = _spectrum_thermo(rows, cols, temps)
    for name in ("log_Z", "internal_energy", "entropy"):
        np.testing.assert_allclose(
            ds[f"{name}_per_site"].values, ref[name], rtol=1e-8, err_msg=name
        )
    np.testing.assert_allclose(
        ds.heat_capacity_per_site.values[[0, 2, 3, 4, 5]],
        ref["heat_capacity"][[0, 2, 3, 4, 5]],
        rtol=1e-7,
    )


@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (2, 7), (3, 3), (4, 9), (6, 6)])
def test_first_excitations_and_infinite_temperature_moment(shape):
    g = models.ising_2d_degeneracies(*shape)
    n = shape[0] * shape[1]
    assert g[-2 * n + 8] == ising_thermo._first_excitations(*shape)
    e = np.array(list(g), dtype=float)
    w = np.array([float(x) for x in g.values()]) / 2.0**n
    assert w @ e**2 / n == pytest.approx(ising_thermo._bond_pair_moment(*shape), rel=1e-14)


def test_any_finite_temperature_gives_finite_values_without_warnings():
    t = [1e-300, 1e-5, 0.003, 0.124, 0.126, 0.2, 0.79, 0.81, 9.9, 10.1, 1e4, 1e6, 1e300]
    for side in (2, 3, 6, 33, 1024, np.inf):
        ds = models.ising_2d_thermo(side, t)
        for name in ("log_Z", "internal_energy", "heat_capacity", "entropy", "free_energy"):
            assert np.all(np.isfinite(ds[f"{name}_per_site"].values)), (side, name)
        assert np.all(ds.heat_capacity_per_site.values >= 0), side
        assert np.all(np.diff(ds.internal_energy_per_site.values) >= 0), side  # U rises with T


@pytest.mark.parametrize("rows, cols", [(8, 8), (33, 33), (12, 100)])
def test_thermo_agrees_with_temperature_sweep_of_the_spectrum(rows, cols):
    lv = models.ising_2d(rows, cols)
    sweep = maxent.temperature_sweep(lv, TEMPERATURES)
    ds = models.ising_2d_thermo(rows, TEMPERATURES, columns=cols)
    for name in ("log_Z", "internal_energy", "heat_capacity", "entropy", "free_energy"):
        np.testing.assert_allclose(
            ds[f"{name}_per_site"].values * rows * cols,
            sweep[name].values,
            rtol=1e-12,
            err_msg=name,
        )


def test_levels_beyond_the_float_range_carry_log_degeneracy():
    lv = models.ising_2d(33)  # g up to ~1e326
    g = models.ising_2d_degeneracies(33)
    assert np.isinf(lv.degeneracy).any()
    np.testing.assert_allclose(lv.log_degeneracy, [math.log(x) for x in g.values()], rtol=1e-15)
    assert lv.log_n_states == pytest.approx(33 * 33 * math.log(2.0), rel=1e-15)


def _onsager_log_z(temperature):
    """ln Z per site of the infinite lattice: Onsager's double integral."""
    k = 1.0 / temperature
    c2, s2 = math.cosh(2 * k) ** 2, math.sinh(2 * k)
    val, _ = integrate.dblquad(
        lambda a, b: math.log(c2 - s2 * (math.cos(a) + math.cos(b))),
        0,
        math.pi,
        0,
        math.pi,
        epsabs=1e-13,
        epsrel=1e-13,
    )
    return math.log(2.0) + val / (2 * math.pi**2)


@pytest.mark.parametrize("temperature", [1.2, 1.8, 3.0, 5.0])
def test_large_lattices_approach_onsager(temperature):
    ref = _onsager_log_z(temperature)
    # below T_c the torus has two ordered phases: Z -> 2 e^(-N f / T), S -> N s + ln 2
    shift = math.log(2.0) / 1024**2 if temperature < T_C else 0.0
    ref_1024 = ref + shift
    big = models.ising_2d_thermo(1024, [temperature])
    inf = models.ising_2d_thermo(np.inf, [temperature])
    assert big.log_Z_per_site.item() == pytest.approx(ref_1024, rel=1e-12)
    assert inf.log_Z_per_site.item() == pytest.approx(ref, rel=1e-12)
    for name in ("internal_energy_per_site", "heat_capacity_per_site"):
        assert big[name].item() == pytest.approx(inf[name].item(), rel=1e-10), name
    assert big.entropy_per_site.item() == pytest.approx(
        inf.entropy_per_site.item() + shift, rel=1e-10
    )


def test_onsager_energy_and_heat_capacity_are_derivatives_of_log_z():
    t = np.array(
        [1.5, 1.5 * (1 + 1e-4), 1.5 * (1 - 1e-4), 3.5, 3.5 * (1 + 1e-4), 3.5 * (1 - 1e-4)]
    )
    ds = models.ising_2d_thermo(np.inf, t)
    for i in (0, 3):
        b0, bp, bm = 1 / t[i], 1 / t[i + 1], 1 / t[i + 2]
        u = -(ds.log_Z_per_site[i + 1] - ds.log_Z_per_site[i + 2]).item() / (bp - bm)
        assert ds.internal_energy_per_site[i].item() == pytest.approx(u, rel=1e-6)
        du_db = (
            ds.internal_energy_per_site[i + 1] - ds.internal_energy_per_site[i + 2]
        ).item() / (bp - bm)
        assert ds.heat_capacity_per_site[i].item() == pytest.approx(-(b0**2) * du_db, rel=1e-6)


def test_heat_capacity_at_1024_is_finite_smooth_and_peaked_near_tc():
    t = np.linspace(2.2, 2.35, 301)
    cap = models.ising_2d_thermo(1024, t).heat_capacity_per_site.values
    assert np.all(np.isfinite(cap)) and np.all(cap > 0)
    peak = int(np.argmax(cap))
    assert abs(t[peak] - T_C) < 0.01
    assert np.all(np.diff(cap[: peak + 1]) > 0) and np.all(np.diff(cap[peak:]) < 0)
    # smooth, and the derivative of U: C = dU/dT by central differences
    step = 1e-6 * t
    u_up = models.ising_2d_thermo(1024, t + step).internal_energy_per_site.values
    u_dn = models.ising_2d_thermo(1024, t - step).internal_energy_per_site.values
    np.testing.assert_allclose(cap, (u_up - u_dn) / (2 * step), rtol=1e-5)
    # C_max per site grows like (8/pi) K_c^2 ln L (Ferdinand & Fisher)
    k_c = 1 / T_C
    c512 = models.ising_2d_thermo(512, t).heat_capacity_per_site.values.max()
    assert cap.max() - c512 == pytest.approx(8 / np.pi * k_c**2 * math.log(2), rel=0.02)


def test_onsager_heat_capacity_diverges_logarithmically_at_tc():
    eps = np.array([1e-3, 1e-6])
    ds = models.ising_2d_thermo(np.inf, np.concatenate([[T_C], T_C * (1 + eps)]))
    cap = ds.heat_capacity_per_site.values
    assert np.all(np.isfinite(cap)) and cap[0] > cap[2] > cap[1]
    # C ~ -(8/pi) K_c^2 ln|1 - T/T_c| + const (Onsager)
    assert cap[2] - cap[1] == pytest.approx(8 / np.pi / T_C**2 * math.log(1e3), rel=1e-2)
    assert ds.internal_energy_per_site[0].item() == pytest.approx(-math.sqrt(2.0), rel=1e-12)


@given(
    rows=st.integers(2, 40), cols=st.integers(2, 40), temperature=st.floats(0.85, 9.5)
)  # the closed form, not the series
def test_thermo_is_transpose_invariant(rows, cols, temperature):
    a = models.ising_2d_thermo(rows, [temperature], columns=cols)
    b = models.ising_2d_thermo(cols, [temperature], columns=rows)
    for name in ("log_Z_per_site", "internal_energy_per_site", "heat_capacity_per_site"):
        np.testing.assert_allclose(a[name].values, b[name].values, rtol=1e-11, err_msg=name)


def test_zero_and_infinite_temperature_limits():
    for side in (4, 5, np.inf):
        ds = models.ising_2d_thermo(side, [0.0, np.inf])
        n = side * side
        assert ds.log_Z_per_site.values[0] == np.inf
        assert ds.internal_energy_per_site.values[0] == -2.0
        assert ds.heat_capacity_per_site.values.tolist() == [0.0, 0.0]
        assert ds.entropy_per_site.values[0] == pytest.approx(math.log(2) / n)
        assert (
            ds.log_Z_per_site.values[1]
            == ds.entropy_per_site.values[1]
            == pytest.approx(math.log(2))
        )
        assert ds.internal_energy_per_site.values[1] == 0.0
        assert ds.free_energy_per_site.values.tolist() == [-2.0, -np.inf]


@pytest.mark.parametrize("side", [6, np.inf])
def test_thermo_dataset_follows_the_conventions_and_saves(side, tmp_path):
    ds = models.ising_2d_thermo(side, [0.0, 0.5, 1.0, 2.0, 50.0, np.inf])
    assert ds.attrs["Conventions"].startswith("CF-")
    for name, var in {**ds.data_vars, **ds.coords}.items():
        assert 0 < len(var.attrs["long_name"]) <= 40 and "=" not in var.attrs["long_name"]
        assert var.attrs["units"] in ("1", "k_B"), name
    for value in ds.attrs.values():
        assert isinstance(value, (str, int, float)) and not isinstance(value, bool)
    assert ds.attrs["rows"] == (6 if side == 6 else -1)
    ds.to_netcdf(tmp_path / "ising.nc")
    back = xr.load_dataset(tmp_path / "ising.nc")
    xr.testing.assert_identical(back, ds)
    if importlib.util.find_spec("pint_xarray") is not None:
        import pint_xarray  # noqa: F401

        back.pint.quantify()  # every unit string parses


def test_thermo_refuses_bad_input():
    with pytest.raises(maxent.InvalidInputError, match=r"`temperatures` must be >= 0"):
        models.ising_2d_thermo(4, [1.0, -1.0])
    with pytest.raises(maxent.InvalidInputError, match=r"`temperatures` must be >= 0"):
        models.ising_2d_thermo(4, [np.nan])
    with pytest.raises(maxent.InvalidInputError, match=r"`side` must be an integer >= 2"):
        models.ising_2d_thermo(1, [1.0])
    with pytest.raises(maxent.InvalidInputError, match=r"`columns` must be None"):
        models.ising_2d_thermo(np.inf, [1.0], columns=4)
