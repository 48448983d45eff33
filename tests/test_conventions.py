"""Every Dataset maxent writes follows one set of conventions.

A ``Conventions`` global attribute; unit strings that pint understands (or none), so that
``ds.pint.quantify()`` works; short ``long_name`` attributes; netCDF-safe attributes.
"""

import numpy as np
import pytest

import maxent

pint_xarray = pytest.importorskip("pint_xarray")


def _solve():
    return maxent.solve({"face": np.arange(1.0, 7.0)}, {"face": 4.5}).to_xarray()


def _fit():
    t = np.linspace(0.0, 4.0, 12)
    w = np.linspace(0.1, 3.0, 20)
    kernel = np.exp(-np.outer(t, w)) * (w[1] - w[0])
    truth = np.exp(-((w - 1.2) ** 2) / 0.1)
    data = kernel @ truth + 1e-3 * np.sin(7 * t)
    return maxent.fit(kernel, data, np.full(t.size, 1e-3), grid=w, alpha=1.0).to_xarray()


def _canonical():
    return maxent.canonical(maxent.models.two_level(1.0), temperature=0.7).to_xarray()


def _grand():
    return maxent.grand_canonical(
        [0.0, 1.0, 2.0], [0, 1, 2], temperature=1.0, chemical_potential=0.3
    ).to_xarray()


def _sweep():
    return maxent.temperature_sweep(maxent.models.ising_2d(3), [1.0, 2.0, 3.0])


def _ising_thermo():
    return maxent.models.ising_2d_thermo(16, [1.5, 2.269, 3.0])


def _monte_carlo():
    model = maxent.IsingModel((4, 4))
    return maxent.sample_sweep(model, [2.0, 3.0], n_sweeps=200, seed=1)


def _pairwise():
    rng = np.random.default_rng(0)
    samples = rng.choice([-1, 1], size=(400, 4))
    return maxent.fit_pairwise(samples, method="pseudolikelihood").to_xarray()


DATASETS = {
    "solve": _solve,
    "fit": _fit,
    "canonical": _canonical,
    "grand_canonical": _grand,
    "temperature_sweep": _sweep,
    "ising_2d_thermo": _ising_thermo,
    "sample_sweep": _monte_carlo,
    "fit_pairwise": _pairwise,
}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_dataset_quantifies_with_pint(name):
    ds = DATASETS[name]()
    q = ds.pint.quantify()  # raises on a unit string pint cannot parse
    assert set(q.data_vars) == set(ds.data_vars)
    for var in ds.variables.values():
        units = var.attrs.get("units")
        assert units is None or ("unit" not in units.replace("units", "")), units


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_dataset_says_its_conventions_and_keeps_attrs_netcdf_safe(name):
    ds = DATASETS[name]()
    assert ds.attrs.get("Conventions", "").startswith("CF-")
    for value in ds.attrs.values():
        assert isinstance(value, (str, int, float, np.integer, np.floating, list, tuple))
    for var in ds.variables.values():
        long_name = var.attrs.get("long_name")
        assert long_name is None or len(long_name) <= 60, long_name
