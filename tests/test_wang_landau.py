import numpy as np
import pytest
from _exact_spins import enumerate_configurations

import maxent
from maxent.errors import InvalidInputError


@pytest.fixture(scope="module")
def ising_4x4():
    return maxent.wang_landau(maxent.IsingModel((4, 4)), ln_f_final=1e-6, seed=3)


def test_ising_4x4_density_of_states_matches_enumeration(ising_4x4):
    exact = maxent.models.ising_2d(4)
    np.testing.assert_array_equal(ising_4x4.energies, exact.energies)
    diff = ising_4x4.log_degeneracy - exact.log_degeneracy
    assert np.max(np.abs(diff - diff[0])) < 0.05  # ln g(E_0) fixed to ln 2
    assert np.max(np.abs(diff)) < 0.05  # normalised to 2^16 configurations
    assert np.all(ising_4x4.log_degeneracy_error > 0)
    assert np.all(np.abs(diff) < 6 * ising_4x4.log_degeneracy_error + 1e-3)
    assert ising_4x4.n_states == pytest.approx(2.0**16)


def test_sampled_levels_work_with_canonical_and_sweeps(ising_4x4):
    exact = maxent.models.ising_2d(4)
    temps = [1.5, 2.269, 3.0]
    est = maxent.temperature_sweep(ising_4x4, temps)
    ref = maxent.temperature_sweep(exact, temps)
    # seed to seed (24 seeds, this ln_f_final), <E> scatters by 7e-5, 4.9e-4 and 8.5e-4
    # (relative, rms) at these temperatures: within 4 of that
    rel = np.abs(est.internal_energy / ref.internal_energy - 1.0)
    np.testing.assert_array_less(rel, 4 * np.array([7e-5, 4.9e-4, 8.5e-4]))
    np.testing.assert_allclose(est.heat_capacity, ref.heat_capacity, rtol=2e-2)
    assert isinstance(ising_4x4, maxent.EnergyLevels)
    c = maxent.canonical(ising_4x4, temperature=2.269)
    assert c.internal_energy == pytest.approx(float(est.internal_energy[1]))


def test_potts_density_of_states_matches_enumeration():
    model = maxent.PottsModel((3, 3), q=3)
    e = model.energy(enumerate_configurations(model))
    levels, counts = np.unique(e, return_counts=True)
    dos = maxent.wang_landau(model, ln_f_final=1e-6, seed=4)
    np.testing.assert_array_equal(dos.energies, levels)
    diff = dos.log_degeneracy - np.log(counts)
    assert np.max(np.abs(diff)) < 0.05
    assert np.all(np.abs(diff) < 6 * dos.log_degeneracy_error + 1e-3)


def test_single_walk_has_no_error_estimate_and_antiferromagnet_mirrors():
    ferro = maxent.wang_landau(maxent.IsingModel((4, 4)), ln_f_final=1e-4, n_walks=1, seed=0)
    assert np.all(np.isnan(ferro.log_degeneracy_error))
    anti = maxent.wang_landau(
        maxent.IsingModel((4, 4), coupling=-1.0), ln_f_final=1e-4, n_walks=1, seed=0
    )
    # on a bipartite lattice J -> -J maps the spectrum onto its mirror image
    np.testing.assert_array_equal(anti.energies, -ferro.energies[::-1])


def test_max_sweeps_warns():
    with pytest.warns(maxent.ConvergenceWarning, match="max_sweeps"):
        maxent.wang_landau(maxent.IsingModel((4, 4)), max_sweeps=10, n_walks=2, seed=0)


@pytest.mark.parametrize(
    "model, kwargs, match",
    [
        (maxent.IsingModel((4, 4), field=0.5), {}, "`field` = 0"),
        (maxent.IsingModel((4, 4), coupling=0.0), {}, "`coupling` != 0"),
        (maxent.IsingModel((4, 4)), {"ln_f_final": 2.0}, "`ln_f_final`"),
        (maxent.IsingModel((4, 4)), {"flatness": 1.0}, "`flatness`"),
        (maxent.IsingModel((4, 4)), {"n_walks": 0}, "`n_walks`"),
        ("model", {}, "`model`"),
    ],
)
def test_wang_landau_rejects_bad_input(model, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        maxent.wang_landau(model, **kwargs)


def test_walks_are_kept_and_average_to_the_estimate(ising_4x4):
    walks = ising_4x4.walk_log_degeneracy
    assert walks.shape == (4, ising_4x4.n_levels)
    spread = walks.std(axis=0, ddof=1) / 2.0
    np.testing.assert_allclose(spread, ising_4x4.log_degeneracy_error)


@pytest.mark.parametrize(
    "model",
    [
        maxent.IsingModel(maxent.lattice.triangular(3, 3), coupling=-1.0),
        maxent.PottsModel(maxent.lattice.honeycomb(2, 2), 3),
        maxent.IsingModel(maxent.lattice.cubic(2, 2, 3)),
    ],
)
def test_other_geometries_match_lattice_spectrum(model):
    exact = maxent.models.lattice_spectrum(model)
    dos = maxent.wang_landau(model, ln_f_final=1e-6, seed=5)
    np.testing.assert_array_equal(dos.energies, exact.energies)
    diff = dos.log_degeneracy - exact.log_degeneracy
    assert np.all(np.abs(diff) < 4 * dos.log_degeneracy_error + 2e-3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seed": -1}, "`seed`"),
        ({"seed": "abc"}, "`seed`"),
        ({"ln_f_final": "small"}, "`ln_f_final`"),
        ({"n_walks": 2.0}, "`n_walks`"),
    ],
)
def test_wang_landau_rejects_bad_options(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        maxent.wang_landau(maxent.IsingModel((4, 4)), **kwargs)
