import _thread
import threading
import warnings

import numpy as np
import pytest
import xarray as xr
from _exact_spins import strip_thermo

import maxent
from maxent import _spin_kernels as kern
from maxent import lattice
from maxent.errors import InvalidInputError
from maxent.models import lattice_spectrum

N_SIGMA = 4.0  # every comparison with an exact value, in units of the run's own error bar

# (model, temperature, samplers): J of both signs, fields, 1-D, 2-D, 3-D, five geometries,
# Ising and Potts q = 3, 4; Wolff only where it is valid (h = 0, J >= 0)
ALL = ("metropolis", "heat_bath", "wolff")
LOCAL = ("metropolis", "heat_bath")
CASES = [
    (maxent.IsingModel(lattice.chain(12)), 1.0, ALL),
    (maxent.IsingModel(lattice.chain(10), coupling=-1.0, field=0.5), 1.5, LOCAL),
    (maxent.IsingModel(lattice.square(4)), 2.269, ALL),
    (maxent.IsingModel(lattice.square(4), coupling=-1.0), 2.0, LOCAL),
    (maxent.IsingModel(lattice.square(3, 4), coupling=0.7, field=0.4), 1.7, LOCAL),
    (maxent.IsingModel(lattice.square(3, 4)), 2.0, ALL),  # multi-spin, odd side first
    (maxent.IsingModel(lattice.square(5, 2), coupling=0.8), 1.5, ALL),  # transposed
    (maxent.IsingModel(lattice.square(2, 6)), 1.2, ALL),  # double bonds
    (maxent.IsingModel(lattice.triangular(3, 4)), 3.0, ALL),
    (maxent.IsingModel(lattice.triangular(3, 3), coupling=-1.0), 1.5, LOCAL),
    (maxent.IsingModel(lattice.honeycomb(2, 3)), 1.5, ALL),
    (maxent.IsingModel(lattice.honeycomb(2, 3), coupling=-1.0, field=0.3), 1.2, LOCAL),
    (maxent.IsingModel(lattice.cubic(2, 2, 3)), 4.0, ALL),
    (maxent.IsingModel(lattice.cubic(2, 2, 3), coupling=-0.5), 2.0, LOCAL),
    (maxent.PottsModel(lattice.square(3), 3), 1.0, ALL),
    (maxent.PottsModel(lattice.square(3), 3, coupling=-1.0, field=0.3), 0.8, LOCAL),
    (maxent.PottsModel(lattice.triangular(2, 4), 4), 1.2, ALL),
    (maxent.PottsModel(lattice.chain(8), 4, coupling=-1.0), 0.8, LOCAL),
    (maxent.PottsModel(lattice.honeycomb(2, 2), 3), 0.9, ALL),
]
PARAMS = [
    pytest.param(
        model, t, s, id=f"{type(model).__name__}-{model.lattice.name}-J{model.coupling}-{s}"
    )
    for model, t, samplers in CASES
    for s in samplers
]


def _exact(model, temperature):
    return maxent.canonical(lattice_spectrum(model), temperature=temperature)


def _assert_within(ds, exact, names=("internal_energy", "heat_capacity")):
    for name in names:
        value, error = float(ds[name][0]), float(ds[f"{name}_error"][0])
        assert error > 0, name
        want = getattr(exact, name)
        assert abs(value - want) < N_SIGMA * error, (name, value, error, want)


@pytest.mark.parametrize("model, temperature, sampler", PARAMS)
def test_every_sampler_matches_exact_enumeration(model, temperature, sampler):
    ds = maxent.sample_sweep(model, [temperature], sampler=sampler, n_sweeps=8000, seed=1)
    _assert_within(ds, _exact(model, temperature))


@pytest.mark.parametrize(
    "model, temperatures",
    [
        (maxent.IsingModel(lattice.square(4)), [1.0, 1.4, 1.9, 2.5, 3.2]),
        (maxent.IsingModel(lattice.triangular(3, 3), coupling=-1.0), [0.5, 0.8, 1.2, 2.0]),
        (maxent.PottsModel(lattice.honeycomb(2, 2), 4, field=0.2), [0.4, 0.6, 0.9, 1.4]),
    ],
)
def test_parallel_tempering_matches_exact_enumeration(model, temperatures):
    ds = maxent.sample_sweep(
        model, temperatures, sampler="parallel_tempering", n_sweeps=6000, seed=2
    )
    levels = lattice_spectrum(model)
    for k, t in enumerate(temperatures):
        exact = maxent.canonical(levels, temperature=t)
        _assert_within(ds.isel(temperature=[k]), exact)


def test_error_bars_are_calibrated_over_seeds():
    # over independent seeds the deviations in units of the error bar look normal
    model = maxent.IsingModel(lattice.square(4))
    exact = _exact(model, 2.5).internal_energy
    z = []
    for seed in range(40):
        ds = maxent.sample_sweep(model, [2.5], n_sweeps=2000, seed=seed)
        z.append((float(ds.internal_energy[0]) - exact) / float(ds.internal_energy_error[0]))
    z = np.abs(np.array(z))
    assert np.all(z < N_SIGMA)
    assert 0.5 <= np.mean(z < 1.0) <= 0.9  # normal: 0.68 (blocking errors are conservative)


@pytest.mark.parametrize("temperature", [2.0, 2.269, 3.0])
def test_multispin_kernel_matches_transfer_matrix(temperature):
    model = maxent.IsingModel((4, 128))
    energy, heat = strip_thermo(4, 128, temperature)
    ds = maxent.sample_sweep(model, [temperature], n_sweeps=50_000, thin=5, seed=5)
    for name, want in (("internal_energy", energy), ("heat_capacity", heat)):
        assert abs(float(ds[name][0]) - want) < N_SIGMA * float(ds[f"{name}_error"][0])


def test_metropolis_on_a_ring_is_unbiased():
    # checkerboard sweeps accepting every dE = 0 move froze the domain walls of a ring
    model = maxent.IsingModel((12,))
    ds = maxent.sample_sweep(model, [1.0], n_sweeps=20_000, seed=0)
    _assert_within(ds, maxent.canonical(maxent.models.ising_chain(12), temperature=1.0))


@pytest.mark.parametrize("sampler", ALL)
@pytest.mark.parametrize(
    "model",
    [
        maxent.IsingModel((6, 5)),
        maxent.IsingModel((4, 128)),
        maxent.IsingModel((3, 130)),
        maxent.IsingModel((7, 2)),
        maxent.PottsModel((3, 4, 3), q=4),
        maxent.IsingModel(lattice.honeycomb(3, 2)),
    ],
)
def test_tracked_observables_equal_those_of_the_last_configuration(model, sampler):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", maxent.ConvergenceWarning)  # 50 sweeps only
        ds = maxent.monte_carlo(model, 2.0, sampler=sampler, n_sweeps=50, seed=0)
    for c in range(2):
        config = ds.configuration.values[c]
        assert float(ds.energy[c, -1]) == pytest.approx(float(model.energy(config)))
        assert float(ds.magnetization[c, -1]) == pytest.approx(float(model.magnetization(config)))


def test_same_seed_same_chains_and_dataset_layout():
    model = maxent.IsingModel((8, 8))
    a = maxent.monte_carlo(model, 2.5, n_sweeps=300, thin=3, seed=42)
    b = maxent.monte_carlo(model, 2.5, n_sweeps=300, thin=3, seed=42)
    xr.testing.assert_identical(a, b)
    assert dict(a.energy.sizes) == {"chain": 2, "sweep": 100}
    assert int(a.sweep[0]) == 30 + 3
    for name in list(a.data_vars) + list(a.coords):
        assert "long_name" in a[name].attrs
    assert np.all(a.autocorrelation_time_energy >= 0.5)
    assert a.attrs["maxent_version"] == maxent.__version__
    c = maxent.monte_carlo(model, 2.5, n_sweeps=300, thin=3, seed=43)
    assert not np.array_equal(a.energy, c.energy)
    one = maxent.monte_carlo(model, 2.5, n_sweeps=300, n_chains=1, seed=42)
    assert np.isnan(one.attrs["rhat_energy"])


def test_chains_start_hot_and_cold():
    model = maxent.IsingModel((16, 16), coupling=-1.0)
    with pytest.warns(maxent.ConvergenceWarning):  # the random start is quenched, trapped
        ds = maxent.monte_carlo(model, 0.0, n_sweeps=10, n_equilibration=0, seed=0)
    # the cold start of an antiferromagnet is the staggered (ground) state
    assert np.all(ds.energy[1] == model.ground_energy)
    assert float(ds.energy[0].max()) > model.ground_energy


def test_zero_and_infinite_temperature():
    model = maxent.IsingModel((8, 8))
    cold = maxent.monte_carlo(model, 0.0, n_sweeps=20, initial="ordered", seed=1)
    assert np.all(cold.energy == model.ground_energy)
    hot = maxent.monte_carlo(model, np.inf, n_sweeps=4000, n_chains=1, seed=2)
    e = hot.energy.values[0]
    assert abs(e.mean()) < 4 * e.std() / np.sqrt(e.size)


def test_wolff_clusters_span_the_lattice_when_cold():
    ds = maxent.monte_carlo(maxent.IsingModel((8, 8)), 0.5, sampler="wolff", n_sweeps=20, seed=0)
    assert np.all(ds.mean_cluster_size > 60)
    metro = maxent.monte_carlo(maxent.IsingModel((8, 8)), 0.5, n_sweeps=20, initial="ordered")
    assert np.all(np.isnan(metro.mean_cluster_size))


def test_trapped_chain_warns():
    # a stripe across a 4 x 32 torus at low temperature lives for very long
    model = maxent.IsingModel((32, 4))
    stripe = np.ones((32, 4), dtype=np.int8)
    stripe[:16] = -1
    starts = np.stack([stripe, np.ones((32, 4), dtype=np.int8)])
    with pytest.warns(maxent.ConvergenceWarning, match="chains disagree"):
        maxent.monte_carlo(model, 1.0, n_sweeps=2000, initial=starts, seed=0)


def test_packing_round_trip():
    for shape in ((2, 128), (3, 10), (5, 200), (4, 2)):
        spins = maxent.IsingModel(shape).random_configuration(np.random.default_rng(3))
        planes = kern.pack_spins(spins)
        assert planes.shape == (shape[0], 2, -(-shape[1] // 128))
        np.testing.assert_array_equal(kern.unpack_spins(planes, shape[1]), spins)


def test_sample_sweep_matches_exact_and_is_reproducible():
    temps = [1.5, 3.0]
    model = maxent.IsingModel((4, 4))
    ds = maxent.sample_sweep(model, temps, sampler="wolff", n_sweeps=20_000, seed=7)
    exact = maxent.temperature_sweep(maxent.models.ising_2d(4), temps)
    for name in ("internal_energy", "heat_capacity"):
        err = ds[f"{name}_error"].values
        assert np.all(err > 0)
        assert np.all(np.abs(ds[name].values - exact[name].values) < N_SIGMA * err)
    assert float(ds.binder_cumulant[0]) == pytest.approx(2 / 3, abs=0.02)  # ordered
    assert np.all(ds.rhat_energy < 1.1)
    again = maxent.sample_sweep(model, temps, sampler="wolff", n_sweeps=20_000, seed=7)
    xr.testing.assert_identical(ds, again)


def test_parallel_tempering_dataset_and_reproducibility():
    model = maxent.IsingModel((6, 6))
    a = maxent.parallel_tempering(model, [3.0, 1.5, 2.0], n_sweeps=200, seed=3)
    assert a.temperature.values.tolist() == [1.5, 2.0, 3.0]
    assert a.swap_acceptance.sizes["pair"] == 2
    assert np.all((a.swap_acceptance > 0) & (a.swap_acceptance <= 1))
    b = maxent.parallel_tempering(model, [3.0, 1.5, 2.0], n_sweeps=200, seed=3)
    xr.testing.assert_identical(a, b)
    for k in range(3):
        config = a.configuration.values[k]
        assert float(a.energy[k, -1]) == pytest.approx(float(model.energy(config)))


def test_parallel_tempering_in_threads_equals_one_thread():
    from maxent.tempering import run_tempering

    model = maxent.IsingModel((128, 128))
    args = dict(n_sweeps=6, n_equilibration=2, seed=4)
    one = run_tempering(model, [2.0, 2.5], n_threads=1, **args)
    two = run_tempering(model, [2.0, 2.5], n_threads=2, **args)
    np.testing.assert_array_equal(one["energy"], two["energy"])


def _interrupt_soon(delay=0.5):
    timer = threading.Timer(delay, _thread.interrupt_main)
    timer.start()
    return timer


@pytest.mark.parametrize("n_chains", [1, 2])
def test_long_runs_stop_on_ctrl_c(n_chains):
    timer = _interrupt_soon()
    try:
        with pytest.raises(KeyboardInterrupt):
            maxent.monte_carlo(
                maxent.IsingModel((64, 64)), 2.0, n_sweeps=10, n_equilibration=10**12,
                n_chains=n_chains,
            )  # fmt: skip
    finally:
        timer.cancel()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"model": "ising", "temperature": 1.0}, "`model`"),
        ({"temperature": -1.0}, "`temperature`"),
        ({"temperature": np.nan}, "`temperature`"),
        ({"temperature": "hot"}, "`temperature`"),
        ({"temperature": 1.0, "sampler": "gibbs"}, "`sampler`"),
        ({"temperature": 1.0, "n_sweeps": 0}, "`n_sweeps`"),
        ({"temperature": 1.0, "n_sweeps": "many"}, "`n_sweeps`"),
        ({"temperature": 1.0, "n_sweeps": 1000.0}, "`n_sweeps`"),
        ({"temperature": 1.0, "thin": None}, "`thin`"),
        ({"temperature": 1.0, "n_chains": 0}, "`n_chains`"),
        ({"temperature": 1.0, "n_sweeps": 2**62}, "records.*GiB"),
        ({"temperature": 1.0, "seed": -1}, "`seed`"),
        ({"temperature": 1.0, "seed": "abc"}, "`seed`"),
        ({"temperature": 1.0, "seed": 1.5}, "`seed`"),
        ({"temperature": 1.0, "initial": "warm"}, "`initial`"),
        ({"temperature": 1.0, "initial": np.zeros((4, 4))}, "`initial` of an Ising"),
        ({"temperature": 1.0, "initial": np.ones((3, 3))}, "`initial` must have"),
        (
            {
                "model": maxent.IsingModel((4, 4), field=0.1),
                "temperature": 1.0,
                "sampler": "wolff",
            },
            "`field` = 0",
        ),
        (
            {
                "model": maxent.IsingModel((4, 4), coupling=-1.0),
                "temperature": 1.0,
                "sampler": "wolff",
            },
            "not a valid cluster move for an antiferromagnet",
        ),
        (
            {
                "model": maxent.PottsModel((3, 3), 3, coupling=-1.0),
                "temperature": 1.0,
                "sampler": "wolff",
            },
            "`coupling` >= 0",
        ),
    ],
)
def test_monte_carlo_rejects_bad_input(kwargs, match):
    kwargs = {"model": maxent.IsingModel((4, 4)), **kwargs}
    with pytest.raises(InvalidInputError, match=match):
        maxent.monte_carlo(kwargs.pop("model"), kwargs.pop("temperature"), **kwargs)


def test_temperatures_with_units_are_converted_or_refused():
    pint = pytest.importorskip("pint")
    ureg = pint.UnitRegistry()
    model = maxent.IsingModel((4, 4))
    a = maxent.monte_carlo(model, ureg.Quantity(2.0, ""), n_sweeps=100, seed=0)
    assert float(a.temperature) == 2.0
    with pytest.raises(InvalidInputError, match="`temperature`"):
        maxent.monte_carlo(model, ureg.Quantity(2.0, "K"), n_sweeps=100)
    with pytest.raises(InvalidInputError, match="`temperatures"):
        maxent.sample_sweep(model, [ureg.Quantity(2.0, "meV")], n_sweeps=100)


@pytest.mark.parametrize(
    "temperatures, kwargs, match",
    [
        ([1.0, -1.0], {}, r"`temperatures` must be >= 0; got -1.0"),
        ([1.0, 2.0], {"n_blocks": 1}, "`n_blocks`"),
        ([1.0, 2.0], {"sampler": "gibbs"}, "`sampler`"),
        ([1.0, 1.0], {"sampler": "parallel_tempering"}, "distinct"),
        ([0.0, 1.0], {"sampler": "parallel_tempering"}, "> 0"),
        ([1.0, 2.0], {"sampler": "parallel_tempering", "exchange_every": 0}, "exchange_every"),
    ],
)
def test_sample_sweep_rejects_bad_input(temperatures, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        maxent.sample_sweep(maxent.IsingModel((4, 4)), temperatures, n_sweeps=100, **kwargs)


def test_sample_sweep_on_a_dask_cluster_equals_the_local_run():
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
