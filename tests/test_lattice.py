import numpy as np
import pytest

import maxent
from maxent.errors import InvalidInputError
from maxent.lattice import neighbour_table


def test_ising_ground_state_energy_and_magnetisation():
    model = maxent.IsingModel((3, 4, 5), coupling=0.5, field=0.25)
    up = np.ones(model.shape, dtype=np.int8)
    assert model.n_bonds == 3 * 60
    assert float(model.energy(up)) == -0.5 * 180 - 0.25 * 60
    assert float(model.magnetization(-up)) == -60


def test_ising_energy_matches_explicit_bond_sum():
    model = maxent.IsingModel((4, 5), coupling=1.3, field=-0.7)
    s = model.random_configuration(np.random.default_rng(0)).astype(int)
    nb = neighbour_table(model.shape)
    flat = s.ravel()
    bonds = sum(flat[i] * flat[nb[i, 2 * a]] for i in range(flat.size) for a in range(2))
    assert float(model.energy(s)) == pytest.approx(-1.3 * bonds + 0.7 * flat.sum())


def test_ising_2d_energies_agree_with_exact_spectrum():
    model = maxent.IsingModel((3, 3))
    from _exact_spins import enumerate_configurations

    e = model.energy(enumerate_configurations(model))
    levels, counts = np.unique(e, return_counts=True)
    exact = maxent.models.ising_2d(3)
    np.testing.assert_array_equal(levels, exact.energies)
    np.testing.assert_array_equal(counts, exact.degeneracy)


def test_potts_two_states_is_ising_with_half_coupling():
    potts = maxent.PottsModel((4, 4), q=2, coupling=2.0)
    ising = maxent.IsingModel((4, 4), coupling=1.0)
    c = potts.random_configuration(np.random.default_rng(1))
    s = 1 - 2 * c.astype(int)
    # -2 delta = -(1 + s s'), so E_potts = E_ising - J_ising * n_bonds
    assert float(potts.energy(c)) == pytest.approx(float(ising.energy(s)) - 32)
    assert float(potts.magnetization(c)) == pytest.approx(float(ising.magnetization(s)))


def test_batches_evaluate_each_configuration():
    model = maxent.PottsModel((3, 3), q=3, field=0.5)
    rng = np.random.default_rng(2)
    batch = np.stack([model.random_configuration(rng) for _ in range(4)])
    np.testing.assert_allclose(model.energy(batch), [model.energy(c) for c in batch])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"shape": (1, 4)}, "shape"),
        ({"shape": (2, 2, 2, 2)}, "shape"),
        ({"shape": (4, 4), "coupling": np.nan}, "coupling"),
        ({"shape": (4, 4), "field": np.inf}, "field"),
    ],
)
def test_ising_rejects_bad_parameters(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        maxent.IsingModel(**kwargs)


def test_configurations_are_checked():
    with pytest.raises(InvalidInputError, match=r"\+1 and -1"):
        maxent.IsingModel((2, 2)).energy(np.zeros((2, 2)))
    with pytest.raises(InvalidInputError, match="states 0 .. 2"):
        maxent.PottsModel((2, 2), q=3).energy(np.full((2, 2), 3))
    with pytest.raises(InvalidInputError, match="lattice shape"):
        maxent.IsingModel((2, 2)).energy(np.ones((3, 3)))
    with pytest.raises(InvalidInputError, match="`q`"):
        maxent.PottsModel((2, 2), q=1)
