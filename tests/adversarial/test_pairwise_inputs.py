"""Issue 23's reproducers for pairwise fits and feature builders, one test each."""

import tracemalloc

import numpy as np
import pytest

import maxent
from maxent.errors import InvalidInputError

METHODS = ["exact", "pseudolikelihood", "boltzmann"]


@pytest.fixture(scope="module")
def locked_pair():
    """Two spins equal in every sample: the maximum-likelihood coupling is infinite."""
    s = np.where(np.random.default_rng(0).random((1000, 1)) < 0.5, -1, 1)
    return np.hstack([s, s])


@pytest.mark.parametrize("method", METHODS)
def test_a_perfectly_correlated_pair_is_refused_by_every_method(locked_pair, method):
    # was: J = 11.1 with converged=True from pseudo-likelihood and Boltzmann learning
    with pytest.raises(InvalidInputError, match="sites 0 and 1 are never seen in states"):
        maxent.fit_pairwise(locked_pair, method=method, seed=0)


@pytest.mark.parametrize("method", METHODS)
def test_a_penalty_makes_the_perfectly_correlated_pair_finite(locked_pair, method):
    fit = maxent.fit_pairwise(locked_pair, method=method, l2=1.0, seed=0)
    assert fit.converged, fit.message
    assert 0 < fit.to_values()[1][0, 1] < 5


def test_exact_refuses_data_on_a_face_without_zero_counts():
    # the fourth spin is the majority of the other three: every pair of values occurs,
    # yet the maximum-likelihood couplings are infinite
    x = np.where(np.random.default_rng(1).random((2000, 3)) < 0.5, -1, 1)
    s = np.column_stack([x, np.sign(x.sum(axis=1))])
    with pytest.raises(InvalidInputError, match="lie on a face"):
        maxent.fit_pairwise(s, method="exact")
    # and so is the pseudo-likelihood: the fourth spin's conditional can be made certain
    # (was: converged=True at tol 1e-4 with couplings of 7.4, 98.8 at tol 1e-8)
    with pytest.raises(InvalidInputError, match="no finite pseudo-likelihood fit"):
        maxent.fit_pairwise(s, method="pseudolikelihood")


def test_pairwise_result_arrays_are_read_only(locked_pair):
    fit = maxent.fit_pairwise(locked_pair, l2=1.0)
    for arr in (fit.fields, fit.couplings, *fit.to_values((0, 1))):
        with pytest.raises(ValueError, match="read-only"):
            arr[...] = 0.0


def test_marginals_refuse_a_fractional_index():
    # was: an index of 0.9 read as 0
    with pytest.raises(InvalidInputError, match=r"structure\[0\] entries"):
        maxent.features.marginals([2, 2], [(0.9,)])
    with pytest.raises(InvalidInputError, match="integers"):
        maxent.features.marginals([2, 2], bonds=[(0, 1.5)])


def test_moments_refuse_fractional_digits():
    # was: pairwise(2).moments([[0.5, 1]]) truncated 0.5 to 0
    fs = maxent.features.pairwise(2)
    with pytest.raises(InvalidInputError, match="integers"):
        fs.moments([[0.5, 1]])
    with pytest.raises(InvalidInputError, match="integers"):
        maxent.features.marginals([3, 2]).evaluate([[1.2, 0]])


@pytest.mark.parametrize(
    "build",
    [
        lambda: maxent.features.pairwise(10**6),
        lambda: maxent.features.pairwise(63),
        lambda: maxent.features.marginals([21] * 10**5),
        lambda: maxent.features.marginals([5000] * 3),
    ],
)
def test_feature_builders_refuse_what_cannot_be_enumerated_before_allocating(build):
    # was: pairwise(10**6) passed validation, then exhausted memory building its names
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInputError, match="at most"):
            build()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # refused before the features (or their names) exist


def test_zero_one_data_and_pairwise_values_mean_what_the_docs_say():
    # digits are the configurations either way; `values` only names what they stand for
    occ = np.array([[0, 1, 1], [1, 1, 0], [1, 1, 1], [0, 0, 1]])
    spins = 2 * occ - 1
    lattice_gas = maxent.features.pairwise(3, values=(0, 1))
    ising = maxent.features.pairwise(3)
    np.testing.assert_allclose(lattice_gas.moments(occ)[:3], occ.mean(axis=0))
    np.testing.assert_allclose(ising.moments(occ)[:3], spins.mean(axis=0))
    np.testing.assert_array_equal(ising.digits(spins), occ)
    with pytest.raises(InvalidInputError, match="digits 0 .. q - 1"):
        ising.moments(spins)  # +-1 samples must be converted first
    # the two conventions' maximum-entropy fits are one distribution (change_values)
    rng = np.random.default_rng(2)
    samples = rng.integers(0, 2, (4000, 3))
    res_pm = maxent.solve(ising, ising.moments(samples))
    res_01 = maxent.solve(lattice_gas, lattice_gas.moments(samples))
    np.testing.assert_allclose(res_pm.p, res_01.p, atol=1e-9)
    iu = np.triu_indices(3, 1)

    def unpack(res):
        couplings = np.zeros((3, 3))
        couplings[iu] = -res.multipliers[3:]
        return -res.multipliers[:3], couplings + couplings.T

    h, j = maxent.features.change_values(*unpack(res_pm), old=(-1, 1), new=(0, 1))
    h01, j01 = unpack(res_01)
    np.testing.assert_allclose(h, h01, atol=1e-6)
    np.testing.assert_allclose(j, j01, atol=1e-6)
