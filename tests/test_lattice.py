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
        ({"lattice": (1, 4)}, "shape"),
        ({"lattice": 64}, r"got the int 64.*chain\(64\).*square\(64\)"),
        ({"lattice": (4, 4), "coupling": "1"}, "coupling"),
        ({"lattice": (2, 2, 2, 2)}, "shape"),
        ({"lattice": (4, 4), "coupling": np.nan}, "coupling"),
        ({"lattice": (4, 4), "field": np.inf}, "field"),
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


@pytest.mark.parametrize(
    "lattice, n_sites, n_bonds, z, bipartite",
    [
        (maxent.lattice.chain(7), 7, 7, 2, False),
        (maxent.lattice.square(4, 6), 24, 48, 4, True),
        (maxent.lattice.square(3), 9, 18, 4, False),
        (maxent.lattice.triangular(3, 6), 18, 54, 6, False),
        (maxent.lattice.honeycomb(3, 2), 12, 18, 3, True),
        (maxent.lattice.cubic(2, 4, 4), 32, 96, 6, True),
    ],
)
def test_geometries_have_consistent_tables(lattice, n_sites, n_bonds, z, bipartite):
    assert (lattice.n_sites, lattice.n_bonds) == (n_sites, n_bonds)
    assert np.all(lattice.coordination == z)
    nb = lattice.neighbors
    # each bond appears once at each end of the neighbour table
    pairs = sorted(tuple(sorted((i, int(j)))) for i in range(n_sites) for j in nb[i] if j >= 0)
    assert pairs == sorted(2 * [tuple(b) for b in lattice.bonds.tolist()])
    b = lattice.bonds
    assert not np.any(lattice.colors[b[:, 0]] == lattice.colors[b[:, 1]])
    assert (lattice.n_colors == 2) == bipartite
    for arr in (lattice.bonds, lattice.neighbors, lattice.colors, lattice.coordination):
        assert not arr.flags.writeable


def test_graph_checks_its_edges_and_keeps_isolated_sites():
    g = maxent.lattice.graph([(0, 1), (1, 2)], n_sites=4)
    assert g.coordination.tolist() == [1, 2, 1, 0]
    assert g == maxent.lattice.graph(np.array([[1, 0], [2, 1]]), 4)
    with pytest.raises(InvalidInputError, match="joins a site to itself"):
        maxent.lattice.graph([(0, 0)])
    with pytest.raises(InvalidInputError, match=r"edges\[1\]"):
        maxent.lattice.graph([(0, 1), (1, 5)], n_sites=3)
    with pytest.raises(InvalidInputError, match="site indices"):
        maxent.lattice.graph([(0.5, 1)])


def test_shape_tuples_are_the_hypercubic_lattices():
    assert maxent.IsingModel((4, 5)).lattice == maxent.lattice.square(4, 5)
    assert maxent.IsingModel((6,)).lattice == maxent.lattice.chain(6)
    assert maxent.PottsModel((2, 3, 4), 3).lattice == maxent.lattice.cubic(2, 3, 4)


def test_huge_lattices_are_refused_before_allocating():
    with pytest.raises(InvalidInputError, match="GiB"):
        maxent.IsingModel((10**6, 10**6))
    with pytest.raises(InvalidInputError, match="GiB"):
        maxent.lattice.cubic(10**4)


def test_potts_form_gives_the_same_energies():
    model = maxent.IsingModel(maxent.lattice.triangular(3, 4), coupling=-0.7, field=0.3)
    rng = np.random.default_rng(5)
    configs = np.stack([model.random_configuration(rng) for _ in range(20)])
    s = configs.reshape(20, -1).astype(float)
    b = model.lattice.bonds
    j, h = -0.7, 0.3
    direct = -j * (s[:, b[:, 0]] * s[:, b[:, 1]]).sum(1) - h * s.sum(1)
    np.testing.assert_allclose(model.energy(configs), direct)
    states = model.to_states(configs)
    np.testing.assert_allclose(model.states_energy(states), direct)
    np.testing.assert_array_equal(model.from_states(states), configs)


def test_quantities_for_couplings_are_converted_or_refused():
    pint = pytest.importorskip("pint")
    ureg = pint.UnitRegistry()
    assert maxent.IsingModel((3, 3), coupling=ureg.Quantity(50, "percent")).coupling == 0.5
    with pytest.raises(InvalidInputError, match="`field`"):
        maxent.IsingModel((3, 3), field=ureg.Quantity(1.0, "meV"))
