"""One quantity, two public routes: the same Dataset (or the same numbers) either way.

A one-temperature sweep is ``canonical(...).to_xarray()`` (identical, attributes and all);
the grand-canonical ensemble is the same whether the states come as ``EnergyLevels`` or
arrays, the temperature as T or beta; ``sample_sweep`` at one temperature is the
statistics of ``monte_carlo``'s chains with the same seed (and of ``parallel_tempering``'s
replicas for its tempering sampler); ``ising_2d_thermo`` is the sweep over the exact levels
of ``models.ising_2d`` divided by the number of sites.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import maxent
from maxent import models
from maxent.mc_sweep import chain_statistics
from maxent.sweep import PROBABILITY_TABLE_LIMIT

LEVELS = {
    "three levels": lambda: maxent.EnergyLevels(
        [0.0, 1.0, 2.0], degeneracy=[1, 3, 5], labels=["a", "b", "c"], name="three"
    ),
    "Fe I, cm^-1 and kelvin": lambda: models.atom("Fe"),
    "meV": lambda: maxent.EnergyLevels([0.0, 1.5, 4.0], unit="meV"),
    "Ising 5 x 5, g up to 1e6": lambda: models.ising_2d(5),
    "beyond the default table": lambda: maxent.EnergyLevels(
        np.linspace(0.0, 10.0, PROBABILITY_TABLE_LIMIT + 3)
    ),
}


@pytest.mark.parametrize("temperature", [0.0, 0.37, 2.5, 1e4, np.inf, -1.3, -0.0])
@pytest.mark.parametrize("name", sorted(LEVELS))
def test_a_one_temperature_sweep_is_the_canonical_ensemble(name, temperature):
    lv = LEVELS[name]()
    sweep = maxent.temperature_sweep(lv, [temperature])
    assert sweep.attrs["probability_table"] == 1  # one row per level: always kept
    xr.testing.assert_identical(sweep, maxent.canonical(lv, temperature=temperature).to_xarray())


@pytest.mark.parametrize("beta", [0.0, 0.5, 2.0, -4.0, np.inf, -np.inf])
def test_canonical_by_beta_is_the_sweep_at_its_temperature(beta):
    lv = LEVELS["three levels"]()
    with np.errstate(divide="ignore"):
        temperature = 1.0 / np.float64(beta)  # exact for these betas; T = -0.0 at -inf
    xr.testing.assert_identical(
        maxent.canonical(lv, beta=beta).to_xarray(),
        maxent.temperature_sweep(lv, [temperature]),
    )


def test_a_dask_sweep_computes_to_the_eager_sweep():
    da = pytest.importorskip("dask.array")
    lv = models.paramagnet(40)
    t = np.geomspace(0.1, 30.0, 12)
    lazy = maxent.temperature_sweep(lv, da.from_array(t, chunks=5)).compute()
    eager = maxent.temperature_sweep(lv, t)
    # the same Dataset; the values to rounding only, since the chunks of temperatures
    # differ and BLAS sums a 2-row chunk in another order than a 12-row one (U and C near
    # U = 0 carry the rounding of E_min = -40 relative to their own size)
    xr.testing.assert_allclose(lazy, eager, rtol=1e-12, atol=0)
    assert lazy.attrs == eager.attrs
    for name, var in eager.variables.items():
        assert lazy[name].attrs == var.attrs and lazy[name].dims == var.dims, name


def _states():
    e = np.array([0.0, 0.3, 1.0, 1.1, 2.5])
    n = np.array([0, 1, 1, 2, 2])
    g = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    return e, n, g


def test_grand_canonical_from_levels_or_arrays_and_from_t_or_beta_is_one_dataset():
    e, n, g = _states()
    by_arrays = maxent.grand_canonical(
        e, n, degeneracy=g, temperature=0.5, chemical_potential=0.4
    ).to_xarray()
    by_levels = maxent.grand_canonical(
        maxent.EnergyLevels(e, g), n, temperature=0.5, chemical_potential=0.4
    ).to_xarray()
    by_beta = maxent.grand_canonical(
        e, n, degeneracy=g, beta=2.0, chemical_potential=0.4
    ).to_xarray()
    xr.testing.assert_identical(by_arrays, by_levels)
    xr.testing.assert_identical(by_arrays, by_beta)


def test_grand_canonical_from_its_targets_is_the_forward_ensemble():
    e, n, g = _states()
    forward = maxent.grand_canonical(e, n, degeneracy=g, temperature=0.5, chemical_potential=0.4)
    back = maxent.grand_canonical(
        e,
        n,
        degeneracy=g,
        internal_energy=forward.internal_energy,
        particle_number=forward.particle_number,
    )
    xr.testing.assert_allclose(back.to_xarray(), forward.to_xarray(), rtol=1e-11)
    assert back.to_xarray().attrs == forward.to_xarray().attrs


def test_grand_canonical_at_zero_chemical_potential_is_the_canonical_ensemble():
    e, n, g = _states()
    grand = maxent.grand_canonical(e, n, degeneracy=g, temperature=0.7, chemical_potential=0.0)
    canon = maxent.temperature_sweep(maxent.EnergyLevels(e, g), [0.7])
    for name in ("log_Z", "internal_energy", "entropy", "heat_capacity"):
        ds = grand.to_xarray()
        assert ds[name].values == pytest.approx(canon[name].values[0], rel=1e-14), name
        assert ds[name].attrs["units"] == canon[name].attrs["units"], name
    np.testing.assert_allclose(grand.p, canon.probability.values[0], rtol=1e-14)


# ---------------------------------------------------------------- Monte Carlo
def test_sample_sweep_at_one_temperature_is_the_statistics_of_monte_carlo():
    model = maxent.IsingModel((6, 6))
    t, seed, options = 2.4, 7, {"n_sweeps": 400, "n_chains": 2}
    sweep = maxent.sample_sweep(model, [t], seed=seed, **options)
    chains = maxent.monte_carlo(model, t, seed=np.random.default_rng(seed).spawn(1)[0], **options)
    per_chain = [
        chain_statistics(e, m, 1.0 / t)
        for e, m in zip(chains.energy.values, chains.magnetization.values, strict=True)
    ]
    for name in ("internal_energy", "heat_capacity", "magnetization", "susceptibility"):
        mean = np.mean([s[name][0] for s in per_chain])
        assert sweep[name].values[0] == mean, name  # the same chains, to the bit
    # both are totals for the lattice, in the same units, at the same temperature
    assert sweep.internal_energy.attrs["units"] == chains.energy.attrs["units"]
    assert sweep.attrs["n_sites"] == chains.attrs["n_sites"] == 36
    assert float(sweep.temperature[0]) == float(chains.temperature)
    assert float(sweep.beta[0]) == float(chains.beta)


def test_tempering_sweep_is_the_statistics_of_parallel_tempering():
    model = maxent.IsingModel((4, 4))
    temps, seed = [1.8, 2.3, 3.0], 3
    options = {"n_sweeps": 300, "exchange_every": 2}
    sweep = maxent.sample_sweep(
        model,
        temps,
        sampler="parallel_tempering",
        n_chains=1,
        initial="random",
        seed=seed,
        **options,
    )
    replicas = maxent.parallel_tempering(
        model, temps, initial="random", seed=np.random.default_rng(seed).spawn(1)[0], **options
    )
    np.testing.assert_array_equal(
        sweep.internal_energy.values, replicas.energy.mean("sweep").values
    )


# ---------------------------------------------------------------- exact Ising
@pytest.mark.parametrize("rows, cols", [(4, 4), (6, 9)])
def test_ising_2d_thermo_per_site_is_the_sweep_of_the_exact_levels_over_n(rows, cols):
    t = [0.5, 1.5, 2.269, 3.0, 8.0]
    per_site = models.ising_2d_thermo(rows, t, columns=cols)
    total = maxent.temperature_sweep(models.ising_2d(rows, cols), t)
    np.testing.assert_array_equal(per_site.temperature.values, total.temperature.values)
    for name in ("log_Z", "free_energy", "internal_energy", "entropy", "heat_capacity"):
        site = per_site[f"{name}_per_site"]
        np.testing.assert_allclose(
            site.values * rows * cols, total[name].values, rtol=1e-12, err_msg=name
        )
        assert site.attrs["units"] == total[name].attrs["units"], name
        assert site.attrs["long_name"] == total[name].attrs["long_name"] + " per site", name
        assert name not in per_site  # per-site values never wear a total's name
