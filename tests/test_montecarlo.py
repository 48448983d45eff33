import numpy as np
import pytest
import xarray as xr
from _exact_spins import exact_moments, strip_thermo

import maxent
from maxent import _spin_kernels as kern
from maxent.errors import InvalidInputError
from maxent.montecarlo import chain_statistics, numpy_checkerboard, run_chain

TEMPERATURES = (1.5, 2.269, 3.0)


def _within(value, error, exact, n_sigma=3.0):
    assert error > 0
    assert abs(value - exact) < n_sigma * error, (value, error, exact)


@pytest.mark.parametrize("sampler", ["metropolis", "wolff"])
@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_ising_4x4_energy_and_heat_capacity_match_exact(sampler, temperature):
    exact = maxent.canonical(maxent.models.ising_2d(4), temperature=temperature)
    out = run_chain(
        maxent.IsingModel((4, 4)), temperature, sampler=sampler, n_sweeps=20_000, seed=11
    )
    stats = chain_statistics(out["energy"], out["magnetization"], out["beta"])
    _within(*stats["internal_energy"], exact.internal_energy)
    _within(*stats["heat_capacity"], exact.heat_capacity)


@pytest.mark.parametrize("temperature", [2.0, 2.269, 3.0])
def test_multispin_kernel_matches_transfer_matrix(temperature):
    # (below T = 2 domain walls across the 4-row strip decorrelate too slowly for a
    # short test)
    model = maxent.IsingModel((4, 128))
    energy, heat = strip_thermo(4, 128, temperature)
    out = run_chain(model, temperature, n_sweeps=50_000, thin=5, seed=5)
    stats = chain_statistics(out["energy"], out["magnetization"], out["beta"])
    _within(*stats["internal_energy"], energy)
    _within(*stats["heat_capacity"], heat)


@pytest.mark.parametrize(
    "model, sampler",
    [
        (maxent.IsingModel((2, 2, 2), coupling=0.7), "metropolis"),
        (maxent.IsingModel((3, 3), field=0.4), "metropolis"),
        (maxent.IsingModel((3, 3)), "wolff"),
        (maxent.PottsModel((3, 3), q=3, field=0.3), "metropolis"),
        (maxent.PottsModel((3, 3), q=3), "wolff"),
    ],
)
def test_small_models_match_enumeration(model, sampler):
    temperature = 1.7
    exact = exact_moments(model, temperature)
    out = run_chain(model, temperature, sampler=sampler, n_sweeps=15_000, seed=3)
    stats = chain_statistics(out["energy"], out["magnetization"], out["beta"])
    _within(*stats["internal_energy"], exact["energy"])
    _within(*stats["heat_capacity"], exact["heat_capacity"])
    _within(*stats["abs_magnetization"], exact["abs_magnetization"])


@pytest.mark.parametrize("sampler", ["metropolis", "wolff"])
@pytest.mark.parametrize(
    "model",
    [maxent.IsingModel((6, 5)), maxent.IsingModel((4, 128)), maxent.PottsModel((3, 4, 3), q=4)],
)
def test_tracked_observables_equal_those_of_the_last_configuration(model, sampler):
    ds = maxent.monte_carlo(model, 2.0, sampler=sampler, n_sweeps=50, seed=0)
    config = ds.configuration.values
    assert float(ds.energy[-1]) == pytest.approx(float(model.energy(config)))
    assert float(ds.magnetization[-1]) == pytest.approx(float(model.magnetization(config)))


def test_same_seed_same_chain_and_dataset_layout():
    model = maxent.IsingModel((8, 8))
    a = maxent.monte_carlo(model, 2.5, n_sweeps=300, thin=3, seed=42)
    b = maxent.monte_carlo(model, 2.5, n_sweeps=300, thin=3, seed=42)
    xr.testing.assert_identical(a, b)
    assert a.sizes["sweep"] == 100
    assert int(a.sweep[0]) == 30 + 3
    for name in list(a.data_vars) + list(a.coords):
        assert "long_name" in a[name].attrs and "units" in a[name].attrs
    assert a.attrs["autocorrelation_time_energy"] >= 0.5
    c = maxent.monte_carlo(model, 2.5, n_sweeps=300, thin=3, seed=43)
    assert not np.array_equal(a.energy, c.energy)


def test_zero_and_infinite_temperature():
    model = maxent.IsingModel((8, 8))
    cold = maxent.monte_carlo(model, 0.0, n_sweeps=20, initial="ordered", seed=1)
    assert np.all(cold.energy == model.ground_energy)
    hot = run_chain(model, np.inf, n_sweeps=4000, seed=2)
    _within(hot["energy"].mean(), np.std(hot["energy"]) / np.sqrt(4000), 0.0, 4)


def test_wolff_clusters_span_the_lattice_when_cold():
    ds = maxent.monte_carlo(maxent.IsingModel((8, 8)), 0.5, sampler="wolff", n_sweeps=20, seed=0)
    assert ds.attrs["mean_cluster_size"] > 60
    assert np.isnan(
        maxent.monte_carlo(maxent.IsingModel((8, 8)), 0.5, n_sweeps=2, seed=0).attrs[
            "mean_cluster_size"
        ]
    )


def test_numpy_checkerboard_samples_the_same_distribution():
    model = maxent.IsingModel((4, 4))
    exact = maxent.canonical(maxent.models.ising_2d(4), temperature=2.5)
    rng = np.random.default_rng(0)
    spins = model.random_configuration(rng)
    e = np.empty(3000)
    for k in range(e.size):
        numpy_checkerboard(spins, 0.4, 1.0, 0.0, rng, 1)
        e[k] = model.energy(spins)
    from maxent.timeseries import blocking_error

    _within(e[300:].mean(), blocking_error(e[300:]), exact.internal_energy)


def test_packing_round_trip():
    spins = maxent.IsingModel((2, 128)).random_configuration(np.random.default_rng(3))
    np.testing.assert_array_equal(kern.unpack_spins(kern.pack_spins(spins)), spins)


def test_sample_sweep_matches_exact_and_reports_errors():
    temps = [1.5, 3.0]
    ds = maxent.sample_sweep(
        maxent.IsingModel((4, 4)), temps, sampler="wolff", n_sweeps=20_000, seed=7
    )
    exact = maxent.temperature_sweep(maxent.models.ising_2d(4), temps)
    for name in ("internal_energy", "heat_capacity"):
        err = ds[f"{name}_error"].values
        assert np.all(err > 0)
        assert np.all(np.abs(ds[name].values - exact[name].values) < 3 * err)
    assert set(ds.data_vars) >= {
        "magnetization",
        "susceptibility",
        "binder_cumulant",
        "abs_magnetization_error",
    }
    assert float(ds.binder_cumulant[0]) == pytest.approx(2 / 3, abs=0.02)  # ordered
    again = maxent.sample_sweep(
        maxent.IsingModel((4, 4)), temps, sampler="wolff", n_sweeps=20_000, seed=7
    )
    xr.testing.assert_identical(ds, again)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"model": "ising", "temperature": 1.0}, "`model`"),
        ({"temperature": -1.0}, "`temperature`"),
        ({"temperature": np.nan}, "`temperature`"),
        ({"temperature": 1.0, "sampler": "heatbath"}, "`sampler`"),
        ({"temperature": 1.0, "n_sweeps": 0}, "`n_sweeps`"),
        ({"temperature": 1.0, "initial": "warm"}, "`initial`"),
        (
            {
                "model": maxent.IsingModel((4, 4), field=0.1),
                "temperature": 1.0,
                "sampler": "wolff",
            },
            "`field` = 0",
        ),
    ],
)
def test_monte_carlo_rejects_bad_input(kwargs, match):
    kwargs = {"model": maxent.IsingModel((4, 4)), **kwargs}
    with pytest.raises(InvalidInputError, match=match):
        maxent.monte_carlo(kwargs.pop("model"), kwargs.pop("temperature"), **kwargs)


def test_sample_sweep_rejects_negative_temperature():
    with pytest.raises(InvalidInputError, match=r"`temperatures` must be >= 0; got -1.0"):
        maxent.sample_sweep(maxent.IsingModel((4, 4)), [1.0, -1.0])


def test_sample_sweep_on_a_dask_cluster_equals_the_local_run():
    import warnings

    distributed = pytest.importorskip("distributed")
    model = maxent.IsingModel((6, 6))
    local = maxent.sample_sweep(model, [2.0, 2.5, 3.0], n_sweeps=500, seed=9)
    with warnings.catch_warnings():
        # another cluster on this machine may hold the dashboard's default port
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        )
    with cluster, distributed.Client(cluster):
        remote = maxent.sample_sweep(model, [2.0, 2.5, 3.0], n_sweeps=500, seed=9)
    xr.testing.assert_identical(local, remote)
