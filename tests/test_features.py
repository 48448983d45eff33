import itertools

import numpy as np
import pytest

import maxent
from maxent.errors import InvalidInputError


def _random_pairwise(n, rng, scale=0.4):
    h = rng.normal(0, scale, n)
    couplings = np.triu(rng.normal(0, scale, (n, n)), 1)
    return h, couplings


def test_pairwise_features_of_every_configuration():
    fs = maxent.features.pairwise(3)
    mat = fs.to_numpy()
    assert fs.n_states == 8 and fs.n_features == 6
    assert fs.names == ("s0", "s1", "s2", "s0*s1", "s0*s2", "s1*s2")
    for i, s in enumerate(itertools.product((-1, 1), repeat=3)):
        s = s[::-1]  # spin 0 is the lowest bit of the index
        expect = [s[0], s[1], s[2], s[0] * s[1], s[0] * s[2], s[1] * s[2]]
        np.testing.assert_array_equal(mat[i], expect)


def test_chunks_cover_all_states_in_order():
    fs = maxent.features.pairwise(5, values=(0, 1), chunk_size=7)
    stacked = np.concatenate([c for c, q in fs])
    np.testing.assert_array_equal(stacked, fs.to_numpy())
    np.testing.assert_array_equal(np.asarray(fs.to_dask()), fs.to_numpy())
    assert set(np.unique(stacked)) == {0.0, 1.0}


@pytest.mark.parametrize("how", ["memory", "stream", "dask"])
def test_solve_recovers_a_pairwise_model_every_way(how):
    rng = np.random.default_rng(0)
    n = 6
    h, couplings = _random_pairwise(n, rng)
    fs = maxent.features.pairwise(n, chunk_size=13)
    mat = fs.to_numpy()
    theta = np.concatenate([h, couplings[np.triu_indices(n, 1)]])
    logp = mat @ theta
    p = np.exp(logp - logp.max())
    p /= p.sum()
    features = {"memory": fs.to_mapping(), "stream": fs, "dask": fs.to_dask()}[how]
    names = None if how == "memory" else fs.names
    res = maxent.solve(features, p @ mat, names=names)
    assert res.converged
    np.testing.assert_allclose(-res.multipliers, theta, atol=1e-8)
    assert res.constraint_names == fs.names


def test_marginal_features_fix_the_marginals():
    rng = np.random.default_rng(1)
    fs = maxent.features.marginals([3, 2, 2], "pairwise")
    mat = fs.to_numpy()
    assert fs.n_features == 3 + 2 + 2 + 6 + 6 + 4
    np.testing.assert_array_equal(mat.sum(axis=1), 6.0)  # one indicator per term
    target_p = rng.dirichlet(np.ones(fs.n_states))
    res = maxent.solve(fs, target_p @ mat, names=fs.names)
    assert res.converged
    x = fs.configurations(0, fs.n_states)
    p = np.asarray(res.p)
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        want = np.zeros((fs.alphabet_sizes[i], fs.alphabet_sizes[j]))
        got = np.zeros_like(want)
        np.add.at(want, (x[:, i], x[:, j]), target_p)
        np.add.at(got, (x[:, i], x[:, j]), p)
        np.testing.assert_allclose(got, want, atol=1e-9)


def test_moments_of_samples_are_feature_averages():
    fs = maxent.features.marginals([2, 3], [(1,), (0, 1)])
    samples = np.array([[0, 2], [1, 2], [1, 0]])
    m = fs.moments(samples)
    assert dict(zip(fs.names, m, strict=True))["x1=2"] == pytest.approx(2 / 3)
    assert dict(zip(fs.names, m, strict=True))["x0=1,x1=0"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: maxent.features.pairwise(0), "`n_spins`"),
        (lambda: maxent.features.pairwise(3, values=(1, 1)), "`values`"),
        (lambda: maxent.features.marginals([2, 1]), r"`alphabet_sizes\[1\]`"),
        (lambda: maxent.features.marginals([2, 2], [(0, 0)]), "distinct"),
        (lambda: maxent.features.marginals([2, 2], "triplets"), "`structure`"),
        (lambda: maxent.features.pairwise(2).evaluate([[0, 2]]), "digits"),
    ],
)
def test_feature_builders_reject_bad_input(call, match):
    with pytest.raises(InvalidInputError, match=match):
        call()


@pytest.mark.parametrize(
    "lattice",
    [
        maxent.lattice.square(3, 3),
        maxent.lattice.triangular(3, 3),
        maxent.lattice.chain(5),
        maxent.lattice.graph([(0, 1), (1, 2), (0, 2), (2, 3)]),
    ],
)
def test_features_take_any_geometrys_bonds(lattice):
    n, bonds = lattice.n_sites, np.asarray(lattice.bonds)
    fs = maxent.features.pairwise(lattice)
    assert fs.n_features == n + len(bonds)
    configs = fs.configurations(0, fs.n_states)
    s = 2.0 * configs - 1
    mat = fs.to_numpy()
    np.testing.assert_array_equal(mat[:, :n], s)
    np.testing.assert_array_equal(mat[:, n:], s[:, bonds[:, 0]] * s[:, bonds[:, 1]])
    # a plain edge array is the same as the lattice; marginals take them too
    np.testing.assert_array_equal(maxent.features.pairwise(n, bonds=bonds).to_numpy(), mat)
    fm = maxent.features.marginals([2] * n, bonds=lattice)
    assert fm.n_features == 2 * n + 4 * len(bonds)


def test_bonds_are_checked():
    with pytest.raises(InvalidInputError, match="twice"):
        maxent.features.pairwise(3, bonds=[(0, 1), (1, 0)])
    with pytest.raises(InvalidInputError, match="itself"):
        maxent.features.pairwise(3, bonds=[(1, 1)])
    with pytest.raises(InvalidInputError, match="0 .. 2"):
        maxent.features.pairwise(3, bonds=[(0, 3)])
    with pytest.raises(InvalidInputError, match="not both"):
        maxent.features.pairwise(maxent.lattice.chain(3), bonds=[(0, 1)])
