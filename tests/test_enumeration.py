import itertools

import numpy as np
import pytest

import maxent
from maxent import lattice
from maxent.errors import InvalidInputError
from maxent.models import lattice_spectrum


@pytest.mark.parametrize("shape", [(2, 2), (3, 4), (2, 5), (4, 4)])
def test_square_ising_equals_the_exact_solution(shape):
    lv = lattice_spectrum(maxent.IsingModel(shape))
    exact = maxent.models.ising_2d(*shape)
    np.testing.assert_array_equal(lv.energies, exact.energies)
    np.testing.assert_array_equal(lv.degeneracy, exact.degeneracy)


def test_ring_equals_the_closed_form():
    lv = lattice_spectrum(maxent.IsingModel(lattice.chain(13)))
    exact = maxent.models.ising_chain(13)
    np.testing.assert_array_equal(lv.energies, exact.energies)
    np.testing.assert_array_equal(lv.degeneracy, exact.degeneracy)


@pytest.mark.parametrize(
    "model",
    [
        maxent.PottsModel(lattice.honeycomb(2, 2), 3, coupling=-0.6, field=0.25),
        maxent.IsingModel(lattice.triangular(3, 3), coupling=-1.0, field=0.5),
        maxent.PottsModel(lattice.graph([(0, 1), (1, 2), (0, 2), (2, 3), (2, 3)], 5), 4),
        maxent.IsingModel(lattice.cubic(2, 2, 2), coupling=0.3, field=-0.2),
    ],
)
def test_counts_equal_a_brute_force_histogram(model):
    values = (1, -1) if isinstance(model, maxent.IsingModel) else range(model.q)
    configs = np.array(list(itertools.product(values, repeat=model.n_sites)))
    e = model.energy(configs.reshape((-1,) + model.shape))
    levels, counts = np.unique(e, return_counts=True)
    lv = lattice_spectrum(model)
    np.testing.assert_allclose(lv.energies, levels, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(lv.degeneracy, counts)
    assert lv.n_states == model.q**model.n_sites


def test_too_many_states_and_non_models_are_refused():
    with pytest.raises(InvalidInputError, match=r"3\^40 .* `max_states`"):
        lattice_spectrum(maxent.PottsModel((5, 8), 3))
    with pytest.raises(InvalidInputError, match="`max_states`"):
        lattice_spectrum(maxent.IsingModel((4, 4)), max_states=1000)
    with pytest.raises(InvalidInputError, match="`model`"):
        lattice_spectrum(maxent.models.two_level())
