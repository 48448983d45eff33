"""temperature_sweep: Dataset conventions, agreement with canonical, thermodynamic identities."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import constants

import maxent
from maxent import models

VARIABLES = {"probability", "log_Z", "free_energy", "internal_energy", "entropy", "heat_capacity"}
LEVELS = maxent.EnergyLevels([0.0, 0.3, 0.3, 1.0, 2.5], degeneracy=[1, 2, 1, 3, 2], name="toy")


def test_dataset_layout_and_metadata():
    ds = maxent.temperature_sweep(LEVELS, [0.0, 0.5, 1.0, np.inf])
    assert set(ds.data_vars) == VARIABLES
    assert ds.probability.dims == ("temperature", "state")
    assert ds.sizes == {"temperature": 4, "state": 5}
    assert ds.beta.dims == ("temperature",)
    np.testing.assert_array_equal(ds.beta.values, [np.inf, 2.0, 1.0, 0.0])
    for name, var in {**ds.data_vars, **ds.coords}.items():
        assert "long_name" in var.attrs, name
        # numbers carry a real unit; strings (labels) carry none
        assert ("units" in var.attrs) == (var.dtype.kind != "U"), name
    assert ds.attrs["Conventions"].startswith("CF-")
    assert ds.entropy.attrs["units"] == "k_B" and ds.heat_capacity.attrs["units"] == "k_B"
    assert ds.attrs["maxent_version"] == maxent.__version__
    assert ds.attrs["unit_system"] == "natural (k_B = 1)"
    for value in ds.attrs.values():
        assert isinstance(value, (str, int, float)) and not isinstance(value, bool)


def test_sweep_survives_netcdf_with_inf_zero_and_negative_temperatures(tmp_path):
    ds = maxent.temperature_sweep(LEVELS, [0.0, 0.1, 1.0, np.inf, -2.0, -0.1])
    ds.to_netcdf(tmp_path / "s.nc")
    xr.testing.assert_identical(xr.load_dataset(tmp_path / "s.nc"), ds)


def test_sweep_equals_canonical_at_every_temperature():
    t = np.array([0.0, 0.02, -0.4, 0.5, np.inf, 3.0, -np.inf, -7.0, 1e-300])
    for chunk in (None, 1, 2):
        ds = maxent.temperature_sweep(LEVELS, t, chunk_size=chunk)
        for i, ti in enumerate(t):
            ens = maxent.canonical(LEVELS, temperature=ti)
            np.testing.assert_array_equal(ds.probability.values[i], ens.p)
            for var in VARIABLES - {"probability"}:
                assert ds[var].values[i] == pytest.approx(getattr(ens, var), rel=1e-14), (var, ti)


def test_chunking_does_not_change_a_large_grid():
    lv = models.ising_2d(3, progress=False)
    t = np.geomspace(0.1, 100, 3000)
    a = maxent.temperature_sweep(lv, t)
    b = maxent.temperature_sweep(lv, t, chunk_size=7)
    xr.testing.assert_allclose(a, b, rtol=1e-14, atol=0)


def test_thermodynamic_identities_hold_over_a_sweep():
    lv = models.ising_2d(3, progress=False)
    t = np.linspace(0.5, 6.0, 56)
    ds = maxent.temperature_sweep(lv, t)
    f, u, s, c = (
        ds[v].values for v in ("free_energy", "internal_energy", "entropy", "heat_capacity")
    )
    np.testing.assert_allclose(f, u - t * s, rtol=1e-12, atol=1e-12)
    # central differences with a relative step of 1e-5 from sweeps at T (1 +- 1e-5)
    h = 1e-5 * t
    up = maxent.temperature_sweep(lv, t + h)
    down = maxent.temperature_sweep(lv, t - h)
    dfdt = (up.free_energy.values - down.free_energy.values) / (2 * h)
    dudt = (up.internal_energy.values - down.internal_energy.values) / (2 * h)
    np.testing.assert_allclose(-dfdt, s, rtol=1e-7)
    np.testing.assert_allclose(dudt, c, rtol=1e-5)


def test_negative_temperature_branch_obeys_the_same_identities():
    t = -np.linspace(0.3, 4.0, 30)
    h = 1e-5 * np.abs(t)
    ds, up, down = (maxent.temperature_sweep(LEVELS, x) for x in (t, t + h, t - h))
    f, u, s, c = (
        ds[v].values for v in ("free_energy", "internal_energy", "entropy", "heat_capacity")
    )
    np.testing.assert_allclose(f, u - t * s, rtol=1e-12, atol=1e-12)
    dfdt = (up.free_energy.values - down.free_energy.values) / (2 * h)
    dudt = (up.internal_energy.values - down.internal_energy.values) / (2 * h)
    np.testing.assert_allclose(-dfdt, s, rtol=1e-7)
    np.testing.assert_allclose(dudt, c, rtol=1e-5)


@given(
    e=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-50, 50)),
    t=hnp.arrays(
        np.float64,
        st.integers(1, 10),
        elements=st.floats(1e-3, 1e3) | st.sampled_from([0.0, np.inf]),
    ),
)
def test_sweep_is_a_distribution_with_physical_bounds(e, t):
    g = np.arange(1, e.size + 1, dtype=float)
    ds = maxent.temperature_sweep(maxent.EnergyLevels(e, g), t)
    np.testing.assert_allclose(ds.probability.sum("state"), 1.0, rtol=1e-12)
    assert np.all(ds.heat_capacity.values >= 0)
    assert np.all(ds.entropy.values >= -1e-12)
    assert np.all(ds.entropy.values <= np.log(g.sum()) * (1 + 1e-12) + 1e-12)
    assert np.all(ds.internal_energy.values >= e.min() - 1e-9 * (1 + abs(e.min())))


def test_named_unit_systems_use_kelvin():
    k_cm = constants.k / (constants.h * constants.c) / 100
    ds = maxent.temperature_sweep(models.atom("Na"), [1000.0, 5000.0])
    np.testing.assert_allclose(ds.beta.values, 1 / (k_cm * np.array([1000.0, 5000.0])), rtol=1e-15)
    assert ds.attrs["boltzmann_constant"] == pytest.approx(0.6950348, rel=1e-6)
    assert ds.temperature.attrs["units"] == "K" and ds.internal_energy.attrs["units"] == "cm^-1"
    ev = maxent.temperature_sweep([0.0, 0.1], [300.0], units="eV")
    assert ev.beta.values[0] == pytest.approx(constants.e / (constants.k * 300.0))
    kelvin = maxent.temperature_sweep([0.0, 300.0], [300.0], units="K")
    assert kelvin.beta.values[0] == pytest.approx(1 / 300.0)
    joule = maxent.temperature_sweep([0.0, 1e-21], [300.0], units="J")
    assert joule.beta.values[0] == pytest.approx(1 / (constants.k * 300.0))
    natural = maxent.temperature_sweep(models.atom("Na"), [1000.0], units="natural")
    assert natural.beta.values[0] == 1e-3 and natural.temperature.attrs["units"] == "cm^-1"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"temperatures": [1.0, np.nan]}, r"`temperatures` must not be nan; got nan at index 1"),
        ({"temperatures": [[1.0]]}, r"`temperatures` must be 1-D"),
        ({"temperatures": []}, r"`temperatures` must hold at least one"),
        ({"temperatures": [1.0], "chunk_size": 0}, r"`chunk_size` must be a positive int"),
        (
            {"temperatures": [1.0], "units": "furlong"},
            r"`units` must be 'natural' or an energy unit",
        ),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(maxent.InvalidInputError, match=match):
        maxent.temperature_sweep([0.0, 1.0], **kwargs)


def test_conflicting_units_are_rejected():
    with pytest.raises(maxent.InvalidInputError, match=r"contradicts the energy unit 'cm-1'"):
        maxent.temperature_sweep(models.atom("H"), [1000.0], units="eV")


def test_dask_temperatures_give_a_lazy_sweep_equal_to_the_eager_one(tmp_path):
    da = pytest.importorskip("dask.array")
    energies = np.linspace(0.0, 3.0, 50)
    t = np.concatenate([[0.0], np.geomspace(0.05, 50.0, 37), [np.inf, -2.0]])
    eager = maxent.temperature_sweep(energies, t)
    lazy = maxent.temperature_sweep(energies, da.from_array(t, chunks=9))
    assert lazy.probability.chunks == ((9, 9, 9, 9, 4), (50,))
    assert lazy.internal_energy.chunks == ((9, 9, 9, 9, 4),)
    xr.testing.assert_allclose(lazy.compute(), eager, rtol=1e-14, atol=0)
    path = tmp_path / "lazy.nc"
    lazy.to_netcdf(path)  # written block by block by dask
    with xr.open_dataset(path) as back:
        xr.testing.assert_allclose(back.load(), eager, rtol=1e-14, atol=0)


# ---------------------------------------------------------------- conventions, pint-xarray
def _datasets():
    lv = maxent.EnergyLevels([0.0, 1.0, 2.5], degeneracy=[1, 2, 1], name="toy")
    yield "natural", maxent.temperature_sweep(lv, [0.0, 0.5, 1.0, np.inf])
    yield "no table", maxent.temperature_sweep(lv, [0.5, 1.0], probability=False)
    for unit in ("meV", "cm-1", "kJ/mol", "K", "hartree"):
        yield (
            unit,
            maxent.temperature_sweep(maxent.EnergyLevels([0.0, 1.0], unit=unit), [10.0, 300.0]),
        )
    yield "canonical", maxent.canonical(lv, temperature=1.0).to_xarray()
    yield "atom", maxent.canonical(models.atom("Na"), temperature=3000.0).to_xarray()
    yield (
        "grand",
        maxent.grand_canonical(
            [0.0, 1.0, 2.0],
            [0, 1, 2],
            degeneracy=[1, 2, 1],
            temperature=1.0,
            chemical_potential=0.5,
        ).to_xarray(),
    )
    yield "huge g", maxent.temperature_sweep(models.ising_chain(3000), [1.0, 2.0])


@pytest.mark.parametrize("case", [name for name, _ in _datasets()])
def test_every_dataset_follows_the_conventions_and_quantifies(case, tmp_path):
    pytest.importorskip("pint_xarray")
    ds = dict(_datasets())[case]
    assert ds.attrs["Conventions"].startswith("CF-")
    for name, var in {**ds.data_vars, **ds.coords}.items():
        long_name = var.attrs["long_name"]
        assert len(long_name) <= 40 and "=" not in long_name, (name, long_name)
        assert var.attrs.get("units") not in ("", "feature unit", "x unit"), name
    for value in ds.attrs.values():
        assert isinstance(value, (str, int, float)) and not isinstance(value, bool)
    assert np.issubdtype(ds.state.dtype, np.integer)
    assert ds.attrs.get("n_levels", 1) == int(ds.attrs.get("n_levels", 1))
    q = ds.pint.quantify()  # every unit string parses
    energy_var = "internal_energy"
    assert str(q[energy_var].data.units) != "" or ds[energy_var].attrs["units"] == "1"
    ds.to_netcdf(tmp_path / "d.nc")
    back = xr.load_dataset(tmp_path / "d.nc")
    back.pint.quantify()


def test_integer_degeneracies_are_stored_as_integers():
    ds = maxent.temperature_sweep(LEVELS, [1.0])
    assert np.issubdtype(ds.degeneracy.dtype, np.integer)
    huge = maxent.temperature_sweep(models.ising_chain(3000), [1.0])
    assert huge.degeneracy.dtype == np.float64 and np.isinf(huge.degeneracy.values).any()
    np.testing.assert_allclose(huge.log_degeneracy.values[0], np.log(2.0), rtol=1e-15)


def test_sweep_without_the_table_has_the_same_thermodynamics():
    t = np.geomspace(0.05, 50, 37)
    full = maxent.temperature_sweep(LEVELS, t)
    thin = maxent.temperature_sweep(LEVELS, t, probability=False, chunk_size=5)
    assert "probability" not in thin and thin.attrs["probability_table"] == 0
    for var in ("log_Z", "free_energy", "internal_energy", "entropy", "heat_capacity"):
        np.testing.assert_allclose(thin[var].values, full[var].values, rtol=1e-14, err_msg=var)


def test_quantity_temperatures_are_converted():
    import pint

    ureg = pint.get_application_registry()
    lv = maxent.EnergyLevels([0.0, 10.0], unit="meV")
    ds = maxent.temperature_sweep(lv, ureg.Quantity([26.85, 326.85], "degC"))
    np.testing.assert_allclose(ds.temperature.values, [300.0, 600.0], rtol=1e-12)
    with pytest.raises(maxent.InvalidInputError, match=r"`temperatures` has unit"):
        maxent.temperature_sweep([0.0, 1.0], ureg.Quantity([1.0], "K"))


def test_lazy_sweep_without_the_table():
    da = pytest.importorskip("dask.array")
    t = np.geomspace(0.1, 10, 12)
    lazy = maxent.temperature_sweep(
        models.paramagnet(300), da.from_array(t, chunks=5), probability=False
    )
    assert "probability" not in lazy and hasattr(lazy.heat_capacity.data, "dask")
    eager = maxent.temperature_sweep(models.paramagnet(300), t, probability=False)
    xr.testing.assert_allclose(lazy.compute(), eager, rtol=1e-13)


def test_long_spectra_in_tiles_equal_a_direct_log_sum_exp():
    rng = np.random.default_rng(2)
    e = np.sort(rng.uniform(0.0, 30.0, 3000))
    lv = maxent.EnergyLevels(e, rng.integers(1, 5, e.size))
    t = np.geomspace(0.02, 300.0, 25)
    ds = maxent.temperature_sweep(lv, t, chunk_size=1)  # rows longer than a chunk
    from maxent._boltzmann import boltzmann

    tiled = boltzmann(lv.energies, lv.log_degeneracy, 1 / t, max_elements=500)
    for i, ti in enumerate(t):
        a = lv.log_degeneracy - e / ti
        m = a.max()
        w = np.exp(a - m)
        p = w / w.sum()
        u = p @ e
        for th in (
            tiled,
            {
                k: ds[v].values
                for k, v in (
                    ("log_Z", "log_Z"),
                    ("heat_capacity", "heat_capacity"),
                    ("internal_energy", "internal_energy"),
                    ("p", "probability"),
                )
            },
        ):
            assert th["log_Z"][i] == pytest.approx(m + np.log(w.sum()), rel=1e-12)
            assert th["internal_energy"][i] == pytest.approx(u, rel=1e-12)
            assert th["heat_capacity"][i] == pytest.approx((p @ (e - u) ** 2) / ti**2, rel=1e-9)
            np.testing.assert_allclose(th["p"][i], p, rtol=1e-11, atol=1e-290)
