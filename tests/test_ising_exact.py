"""Exact 2D Ising spectra against independent facts.

Independent references: brute-force enumeration; the counting facts g(E_0) = 2,
g(E_0 + 8) = 2N, g(E_0 + 12) = 4N, g(E_0 + 16) = N^2 + 9N, g(E_0 + 20) = 4N^2 + 24N
(N = LM sites, L, M > 5); Beale's published 32 x 32 coefficients; the numbers of
zero-energy states of L x M tori (OEIS A364781).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import maxent
from maxent import ising_exact, models

T_C = 2.0 / math.log(1.0 + math.sqrt(2.0))
# Beale, PRL 76, 78 (1996), and his page spot.colorado.edu/~beale/IsingExactMathematica.html:
# Z_{32,32} = e^{2048K} sum_p g_p x^p with x = e^{-2K}, so p = number of unsatisfied bonds.
BEALE_32 = {
    0: 2,
    4: 2048,
    6: 4096,
    8: 1057792,
    10: 4218880,
    12: 371621888,
    16: 100903637504,
    24: 4449893079195648,
    32: 122868315209973770496,
    40: 2391406180740483290926080,
    48: 34699120806036636726464401408,
    56: 390468333064795797623009891880960,
    64: 3523173455605142701375696893142359104,
    2044: 2048,
    2048: 2,
}
# leading digits of the largest coefficient, g at p = 1024 (E = 0), from the same page
BEALE_32_G1024_DIGITS = (
    "6342873169001916568766443273025000331593063924436135196680443689656478072741300511"
    "612123900652711596311283701724071226144241851411641714893727789741"
)

# OEIS A364781: T(n, k) = number of zero-energy states of the periodic n x k lattice
ZERO_ENERGY_STATES = {
    (3, 2): 26,
    (4, 4): 20524,
    (5, 2): 322,
    (5, 4): 272682,
    (6, 3): 72824,
    (6, 5): 226137622,
    (6, 6): 13172279424,
    (7, 4): 58674450,
    (7, 6): 777714553240,
    (8, 3): 3968690,
    (8, 7): 10990445640557042,
    (8, 8): 2627978003957146636,
}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MAXENT_CACHE_DIR", str(tmp_path))


def _brute_force(rows, cols):
    n = rows * cols
    c = np.arange(2**n)
    s = (1 - 2 * ((c[:, None] >> np.arange(n)) & 1)).reshape(-1, rows, cols)
    e = -np.sum(s * np.roll(s, 1, axis=1), axis=(1, 2)) - np.sum(
        s * np.roll(s, 1, axis=2), axis=(1, 2)
    )
    energies, counts = np.unique(e, return_counts=True)
    return {int(a): int(b) for a, b in zip(energies, counts, strict=True)}


# ---------------------------------------------------------------- exact spectrum
@pytest.mark.parametrize(
    "rows, cols", [(2, 2), (2, 3), (3, 2), (3, 3), (2, 5), (3, 4), (4, 3), (3, 5), (4, 4)]
)
def test_degeneracies_match_brute_force(rows, cols):
    assert models.ising_2d_degeneracies(rows, cols) == _brute_force(rows, cols)


def test_degeneracies_match_the_packaged_enumeration():
    counts = models._enumerate_ising_2d(4, progress=False)  # a different enumerator
    g = models.ising_2d_degeneracies(4)
    assert {2 * k - 32: int(c) for k, c in enumerate(counts) if c} == g


@pytest.mark.parametrize("rows, cols", [(2, 2), (2, 4), (4, 6), (6, 6), (10, 8), (16, 16)])
def test_even_lattices_in_w_match_the_expansion_in_z(rows, cols):
    assert ising_exact._exact_counts(rows, cols, False) == ising_exact._exact_counts(
        rows, cols, False, half_degree=False
    )


@pytest.mark.parametrize(
    "rows, cols", [(5, 5), (6, 6), (7, 7), (8, 8), (9, 9), (12, 12), (16, 16), (6, 9), (7, 10)]
)
def test_sum_ground_state_and_first_excitations(rows, cols):
    g = models.ising_2d_degeneracies(rows, cols)
    n = rows * cols
    e0 = -2 * n
    assert sum(g.values()) == 2**n
    assert min(g) == e0 and g[e0] == 2
    assert e0 + 4 not in g  # no state with 2 unsatisfied bonds
    assert g[e0 + 8] == 2 * n  # one flipped spin
    assert g[e0 + 12] == 4 * n  # two neighbouring flipped spins
    assert g[e0 + 16] == n * n + 9 * n  # Beale's g_4
    if min(rows, cols) > 5:  # else a flipped ring of 5 spins counts
        assert g[e0 + 20] == 4 * n * n + 24 * n  # Beale's g_5


@pytest.mark.parametrize("rows, cols", [(4, 4), (6, 6), (8, 8), (16, 16), (4, 6), (6, 10)])
def test_even_lattices_are_symmetric_in_energy(rows, cols):
    g = models.ising_2d_degeneracies(rows, cols)
    assert all(g[-e] == ge for e, ge in g.items())


def test_odd_lattices_are_not_symmetric_and_have_odd_energy_levels():
    g = models.ising_2d_degeneracies(5)
    assert max(g) < 50 and g[-50] == 2  # no all-bonds-unsatisfied state on odd rings
    assert 0 not in g  # E = -50 + 2k with k even never reaches 0


@pytest.mark.parametrize("shape, count", sorted(ZERO_ENERGY_STATES.items()))
def test_zero_energy_states_match_oeis(shape, count):
    assert models.ising_2d_degeneracies(*shape)[0] == count


def test_32x32_reproduces_beale():
    g = models.ising_2d_degeneracies(32)
    for p, count in BEALE_32.items():
        assert g[-2048 + 2 * p] == count, p
    assert str(g[0]).startswith(BEALE_32_G1024_DIGITS)
    assert len(str(g[0])) == 307  # 6.34e306
    assert g[0] == max(g.values())


@given(rows=st.integers(2, 9), cols=st.integers(2, 9))
def test_any_rectangle_is_a_valid_spectrum(rows, cols):
    g = models.ising_2d_degeneracies(rows, cols)
    n = rows * cols
    assert sum(g.values()) == 2**n and all(x > 0 for x in g.values())
    assert all((e + 2 * n) % 4 == 0 for e in g)  # an even number of unsatisfied bonds
    assert g == models.ising_2d_degeneracies(cols, rows)


def test_log_degeneracy_is_the_log_of_the_exact_integers():
    e, log_g = models.ising_2d_log_degeneracy(6, 4)
    g = models.ising_2d_degeneracies(6, 4)
    np.testing.assert_array_equal(e, list(g))
    np.testing.assert_allclose(log_g, [math.log(x) for x in g.values()], rtol=1e-15)


def test_energy_levels_match_the_exact_integers():
    lv = models.ising_2d(5, 3)
    g = models.ising_2d_degeneracies(5, 3)
    np.testing.assert_array_equal(lv.energies, list(g))
    np.testing.assert_array_equal(lv.degeneracy, [float(x) for x in g.values()])
    assert lv.n_states == 2**15


def test_spectrum_is_cached_on_disk_and_in_memory(tmp_path, monkeypatch):
    ising_exact._counts.cache_clear()
    first = models.ising_2d_degeneracies(3, 7)
    assert len(list(tmp_path.glob("ising2d_exact_3_7_*.txt"))) == 1
    ising_exact._counts.cache_clear()

    def fail(*args):
        raise AssertionError("recomputed instead of reading the cache")

    monkeypatch.setattr(ising_exact, "_exact_counts", fail)
    assert models.ising_2d_degeneracies(7, 3) == first  # from disk, transposed
    assert models.ising_2d_degeneracies(3, 7) == first  # from memory


def test_corrupt_cache_is_recomputed(tmp_path):
    ising_exact._counts.cache_clear()
    good = models.ising_2d_degeneracies(3, 5)
    (path,) = tmp_path.glob("ising2d_exact_3_5_*.txt")
    lines = path.read_text().split("\n")
    lines[5] = "1"  # the sum is no longer 2^15
    path.write_text("\n".join(lines))
    ising_exact._counts.cache_clear()
    assert models.ising_2d_degeneracies(3, 5) == good


@pytest.mark.parametrize("bad", [1, 0, 2.0, True, "4"])
def test_bad_sides_are_refused(bad):
    with pytest.raises(maxent.InvalidInputError, match=r"`side` must be an integer >= 2"):
        models.ising_2d_degeneracies(bad)
    with pytest.raises(maxent.InvalidInputError, match=r"`columns` must be an integer >= 2"):
        models.ising_2d(4, bad)
