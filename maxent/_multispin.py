"""Multi-spin-coded single-site sweeps of the Ising model (q = 2), 64 sites per word.

A lattice qualifies when one of its axes can be the *column* axis of a packing: every
bond joins sites of columns at most one apart (periodically), and the pattern of bonds is
the same for every column of a row (translation invariance along the axis).  The chain,
the square, triangular and cubic lattices and the honeycomb lattice all do, on every
side, odd or even; a general graph does not.  :func:`layout` finds the packing:

- ``site_of[r, c]``: the site of row r, column c (rows are the lattice lines along the
  column axis), ``n2`` columns, ``m = n2 // 2`` columns of each parity;
- the words: column ``2 i + p`` of row r is in *plane* p (its parity), at position i;
  on an odd side the last column is kept apart (the *extra* column, one bit a row);
- long rows (m > 32) fill words on their own: bit b of word w of plane p of row r holds
  position 64 w + b (:func:`_geometry`); short rows share words: the rows
  r = g + j G (G = rows / k, j < k, k m <= 64) form group g, row j at bits j m to
  j m + m - 1 of the word of each plane of the group (:func:`_group_rows`).  A group
  qualifies when the neighbours of row g + j G are rows g2 + ((j + t) mod k) G for the
  same g2, t and column shift for every j (true of the stride-G groups of the square,
  triangular, honeycomb and cubic lattices when k divides the rows), so that a
  neighbour word read and rotated by t rows lines up with the word updated, and when no
  two rows of a group are bonded straight across;
- every site of row r has its neighbour k in row ``row_neighbors[r, k]``, column +
  ``row_shifts[r, k]`` (-1, 0 or +1).  :func:`_position` places every site.

The sites of one word are never bonded to each other (same parity of column, rows of a
group not bonded at the same column), so a word is a block of independent single-site
updates: each site, given its neighbours as they are now, flips with its own
probability.  Sweeping words one after another (each site once per sweep, the extra
column one site at a time) is a product of valid single-site kernels, the same Markov
chain in distribution as visiting the sites one by one in that order.  Words are visited
by colour of their (group, plane) pairs, so that consecutive words rarely depend on each
other (for speed only).  Which packing: the one with the fewest words to visit
(:func:`_words_visited`).

A site's move is decided by its class, (anti-aligned neighbours n, own spin s): its
energy change is ``dE = -J_P (2 n - z) - h_P (1 - 2 s)`` in the Potts form, and its flip
probability (Metropolis or heat bath) a 53-bit threshold.  The n of 64 sites are counted
at once by bit-sliced adders; the classes of equal probability form groups, and the flips
of the sites of up to eight groups are drawn together by comparing 64 uniform numbers,
one random word per binary digit, with each site's threshold, digit by digit from the
most significant, until every site is decided (about 7 words for 64 sites).  Satisfied
bonds and sites in state 0 are tallied by popcounts of the flipped bits.

References
----------
M. Creutz, L. Jacobs and C. Rebbi, Phys. Rev. D 20, 1915 (1979) (multi-spin coding);
G. Bhanot, D. Duke and R. Salvador, J. Stat. Phys. 44, 985 (1986).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from ._bitops import ONE_BIT, TOP_BITS, popcount, step_plus, step_plusplus, thresholds
from ._spin_kernels import greedy_colors

__all__ = ["FlipRule", "Layout", "flip_rule", "layout", "pack", "sweeps", "unpack"]

_MAX_Z = 7  # the adders count up to 7 anti-aligned neighbours
_DIRECT, _LEFT, _RIGHT = 0, 1, 2  # how a neighbour word is read
_BANK = 8  # groups whose flips are drawn together
_UNROLLED = 8  # binary digits drawn before testing whether all sites are decided
_U63 = np.uint64(63)
_ZERO = np.uint64(0)
_ALL = np.uint64(2**64 - 1)


@dataclass(frozen=True)
class Layout:
    """A packing of a lattice into words: ``site_word`` and ``site_bit`` place each site,
    and ``geometry`` holds the tables the kernel reads: [rows, n_words, n2, z, k, m,
    groups, grouped]; then per (group, plane) pair in sweep order the index of its first
    word; per pair and neighbour the kind of read, the word read (at w = 0) and where the
    bits carried in at the edges of a row come from; per row and neighbour the word and
    bit of the neighbour of the extra column, per row the word and bit of that column;
    per pair and neighbour the rotation (in bits) that lines the rows of the word read up
    with those of the word updated (grouped layouts only)."""

    site_of: NDArray[np.int64]
    site_word: NDArray[np.int64]
    site_bit: NDArray[np.int64]
    geometry: tuple[NDArray[np.int64], ...]

    @property
    def n_words(self) -> int:
        """Words per plane of a row (of a group of rows)."""
        return int(self.geometry[0][1])

    @property
    def rows_per_word(self) -> int:
        """Rows whose sites share a word (k)."""
        return int(self.geometry[0][4])

    @property
    def lanes(self) -> float:
        """Sites per word visited, on average (see :func:`_words_visited`)."""
        rows, n2 = self.site_of.shape
        return self.site_of.size / _words_visited(rows, n2, self.rows_per_word)

    def words(self) -> NDArray[np.uint64]:
        """A zeroed array of the packed words (planes, then the extra column)."""
        return np.zeros(int(self.site_word.max()) + 1, np.uint64)


def _row_structure(
    site_of: NDArray[np.int64], neighbors: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]] | None:
    """(row_neighbors, row_shifts) if the bonds of every site of a row have the same
    pattern and reach at most one column over; None otherwise."""
    rows, n2 = site_of.shape
    if neighbors.shape[1] > _MAX_Z or neighbors.size == 0 or np.any(neighbors < 0):
        return None
    row_of = np.empty(site_of.size, np.int64)
    col_of = np.empty(site_of.size, np.int64)
    row_of[site_of] = np.arange(rows)[:, None]
    col_of[site_of] = np.arange(n2)[None, :]
    nb = neighbors[site_of]  # (rows, n2, z)
    step = (col_of[nb] - col_of[site_of][..., None]) % n2
    shift = np.select([step == 0, step == 1, step == n2 - 1], [0, 1, -1], default=9)
    if np.any(shift == 9):
        return None
    key = np.sort(row_of[nb] * 3 + shift + 1, axis=2)
    if not np.all(key == key[:, :1, :]):
        return None
    return key[:, 0, :] // 3, key[:, 0, :] % 3 - 1


def _node_order(row_neighbors: NDArray[np.int64], row_shifts: NDArray[np.int64]) -> NDArray:
    """(row, plane) pairs sorted by a greedy colouring of their dependencies: the words
    of (r, p) read (r', p) through a shift 0 and (r', 1 - p) through a shift of one."""
    rows, z = row_neighbors.shape
    node = np.arange(2 * rows).reshape(rows, 2)
    plane = np.arange(2)[None, :, None]
    other = np.where(row_shifts[:, None, :] == 0, plane, 1 - plane)  # (rows, 2, z)
    table = node[row_neighbors[:, None, :], other].reshape(2 * rows, z)
    order = np.argsort(greedy_colors(table), kind="stable")
    return np.stack([order // 2, order % 2], axis=1)


def _position(
    rows: int, n2: int, k: int, r: NDArray[np.int64], c: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(word, bit) of row r, column c: rows r = g + j G (G = rows / k) share the words of
    group g, row j at bits j m ... j m + m - 1 of each plane (m = n2 // 2 columns); the
    extra column of an odd side is bit j m of word 2 G nw + g."""
    m = n2 // 2
    nw = -(-m // 64)
    groups = rows // k
    g, j = r % groups, r // groups
    lin = j * m + (c >> 1)
    inside = c < n2 - n2 % 2
    word = np.where(inside, (2 * g + (c & 1)) * nw + lin // 64, 2 * groups * nw + g)
    return word, np.where(inside, lin % 64, j * m)


def _extra_tables(
    rows: int, n2: int, k: int, row_neighbors: NDArray[np.int64], row_shifts: NDArray[np.int64]
) -> list[NDArray[np.int64]]:
    """[edge, edge_bit, own_word, own_bit]: where the neighbours of the extra column's
    site of each row are, and where it is."""
    col = np.where(row_shifts == 0, n2 - 1, np.where(row_shifts == -1, n2 - 2, 0))
    edge, edge_bit = _position(rows, n2, k, row_neighbors, col)
    own, own_bit = _position(rows, n2, k, np.arange(rows), np.full(rows, n2 - 1))
    return [edge, edge_bit, own, own_bit]


def _kinds(p: NDArray[np.int64], shift: NDArray[np.int64]) -> tuple[NDArray, NDArray]:
    """(kind of read, plane read) of the words of plane p for neighbours at ``shift``."""
    kind = np.where(shift == 0, _DIRECT, np.where(p == 0, _LEFT, _RIGHT))
    kind[(p == 0) & (shift == 1) | (p == 1) & (shift == -1)] = _DIRECT
    return kind, np.where(shift == 0, p, 1 - p)


def _geometry(
    rows: int, n2: int, row_neighbors: NDArray[np.int64], row_shifts: NDArray[np.int64]
) -> tuple[NDArray[np.int64], ...]:
    """The tables of :class:`Layout` (see there), one row a word."""
    z = row_neighbors.shape[1]
    nw = -(-(n2 // 2) // 64)
    last = (n2 // 2 - 1) % 64
    odd = n2 % 2 == 1
    extra = 2 * rows * nw
    order = _node_order(row_neighbors, row_shifts)
    r, p = order[:, 0], order[:, 1:]
    r2, shift = row_neighbors[r], row_shifts[r]
    kind, read = _kinds(p, shift)
    left = kind == _LEFT
    if odd:
        carry, carry_bit = extra + r2, np.zeros_like(r2)
    else:
        carry = np.where(left, (2 * r2 + 1) * nw + nw - 1, 2 * r2 * nw)
        carry_bit = np.where(left, last, 0)
    dims = np.array([rows, nw, n2, z, 1, n2 // 2, rows, 0])
    tables = [dims, (2 * r + p[:, 0]) * nw, kind, (2 * r2 + read) * nw, carry, carry_bit]
    tables += _extra_tables(rows, n2, 1, row_neighbors, row_shifts) + [np.zeros(1)]
    return tuple(np.ascontiguousarray(t, dtype=np.int64).reshape(-1) for t in tables)


def _group_rows(
    row_neighbors: NDArray[np.int64], row_shifts: NDArray[np.int64], k: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None:
    """Rows g + j G (j < k) as one group: (g2, t, shift) per group and neighbour, where
    row g + j G has its neighbour in row g2 + ((j + t) mod k) G at that shift for every
    j; None if the rows of a group do not all see their groups that way, or if two rows
    of a group are bonded at the same column (their sites would share a word)."""
    rows, z = row_neighbors.shape
    if rows % k:
        return None
    groups = rows // k
    lead = row_neighbors[:groups]  # lane 0 of each group
    g2, t, shift = lead % groups, lead // groups, row_shifts[:groups]
    if np.any((g2 == np.arange(groups)[:, None]) & (shift == 0)):
        return None  # rows bonded straight across would share a word: not independent
    j = np.arange(k)[:, None, None]
    want = g2[None] + ((j + t[None]) % k) * groups  # (k, groups, z)
    want_key = np.sort(want * 3 + shift[None] + 1, axis=2)
    have = (row_neighbors * 3 + row_shifts + 1).reshape(k, groups, z)
    if not np.array_equal(want_key, np.sort(have, axis=2)):
        return None
    return g2, t, shift


def _grouped_geometry(
    rows: int, n2: int, k: int, grouping: tuple[NDArray[np.int64], ...],
    row_neighbors: NDArray[np.int64], row_shifts: NDArray[np.int64],
) -> tuple[NDArray[np.int64], ...]:  # fmt: skip
    """The tables of :class:`Layout`, k rows a word (one word a plane, k (n2 // 2) <= 64)."""
    g2_all, t_all, shift_all = grouping
    groups, z = g2_all.shape
    m = n2 // 2
    order = _node_order(g2_all, shift_all)
    g, p = order[:, 0], order[:, 1:]
    g2, t, shift = g2_all[g], t_all[g], shift_all[g]
    kind, read = _kinds(p, shift)
    if n2 % 2:  # carries from the extra column: bits j m of word 2 G + g2
        carry, carry_shift = 2 * groups + g2, np.zeros_like(g2)
    else:  # LEFT: the last column of the row read (bit j m + m - 1 of the same word);
        # RIGHT: column 0 (bit j m of plane 0)
        left = kind == _LEFT
        carry = np.where(left, 2 * g2 + 1, 2 * g2)
        carry_shift = np.where(left, m - 1, 0)
    dims = np.array([rows, 1, n2, z, k, m, groups, 1])
    tables = [dims, 2 * g + p[:, 0], kind, 2 * g2 + read, carry, carry_shift]
    tables += _extra_tables(rows, n2, k, row_neighbors, row_shifts) + [t * m]
    return tuple(np.ascontiguousarray(t, dtype=np.int64).reshape(-1) for t in tables)


def _words_visited(rows: int, n2: int, k: int = 1) -> float:
    """Words a sweep visits, k rows a word, the extra column of an odd side (one site at
    a time) counted as a quarter of a word a row."""
    return rows // k * 2 * -(-(n2 // 2) // 64) + 0.25 * (n2 % 2) * rows


def _packings(site_of: NDArray[np.int64], neighbors: NDArray[np.int64]) -> list[tuple]:
    """The packings of rows ``site_of`` (cost, k, tables): one row a word, and the most
    rows a word that fit (k n2 // 2 <= 64) and share their neighbours' words."""
    structure = _row_structure(site_of, neighbors)
    if structure is None:
        return []
    rows, n2 = site_of.shape
    out = [(_words_visited(rows, n2), 1, _geometry(rows, n2, *structure))]
    for k in range(min(rows, 64 // max(n2 // 2, 1)), 1, -1):
        grouping = _group_rows(*structure, k)
        if grouping is not None:
            tables = _grouped_geometry(rows, n2, k, grouping, *structure)
            out.append((_words_visited(rows, n2, k), k, tables))
            break
    return out


def layout(lattice: Any) -> Layout | None:
    """The packing of ``lattice`` with the fewest words to visit (one of its axes as the
    columns, one row or several a word), or None if it has none."""
    if lattice.shape is None:
        return None
    grid = np.arange(lattice.n_sites).reshape(lattice.shape)
    best = None
    for axis, n2 in enumerate(lattice.shape):
        site_of = np.moveaxis(grid, axis, -1).reshape(-1, n2)
        for cost, k, tables in _packings(site_of, lattice.neighbors):
            if best is None or cost < best[0]:
                best = (cost, site_of, k, tables)
    if best is None:
        return None
    _, site_of, k, tables = best
    rows, n2 = site_of.shape
    r, c = np.indices(site_of.shape)
    word, bit = _position(rows, n2, k, r.ravel(), c.ravel())
    site_word, site_bit = np.empty_like(word), np.empty_like(bit)
    site_word[site_of.ravel()], site_bit[site_of.ravel()] = word, bit
    return Layout(site_of, site_word, site_bit, tables)


@dataclass(frozen=True)
class FlipRule:
    """Flip probabilities of the 2 (z + 1) classes ``c = 2 n + s``, as the kernel reads
    them: ``classes`` lists the classes that always flip, then the others group by group
    (equal probabilities), ``bounds[g]:bounds[g + 1]`` the slice of group g (``bounds[0]``
    the number that always flip; the classes after the last group never flip);
    ``digits[(bank 53 + d) 4 + i]`` is all ones where binary digit d of the threshold of
    group 4 bank + i is 1; ``class_thresholds`` the 53-bit threshold of each class."""

    classes: NDArray[np.int64]
    bounds: NDArray[np.int64]
    digits: NDArray[np.uint64]
    class_thresholds: NDArray[np.uint64]


def flip_rule(
    z: int, coupling: float, field: float, beta: float, probability: Callable[..., Any]
) -> FlipRule:
    """The :class:`FlipRule` of ``probability(beta, dE)`` (Metropolis or heat bath) for
    a lattice of z neighbours per site and the Potts-form ``coupling`` and ``field``."""
    n = np.repeat(np.arange(z + 1), 2)
    s = np.tile(np.arange(2), z + 1)
    de = -coupling * (2 * n - z) - field * (1 - 2 * s)
    thr = thresholds(probability(beta, de.astype(np.float64)))
    always = thr == ONE_BIT << np.uint64(TOP_BITS)
    levels = np.unique(thr[~always & (thr > 0)])
    group = np.where(always, -1, np.where(thr == 0, levels.size, np.searchsorted(levels, thr)))
    classes = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[classes], np.arange(-1, levels.size) + 1)
    banks = -(-levels.size // _BANK)
    bits = (levels[:, None] >> np.arange(TOP_BITS - 1, -1, -1, dtype=np.uint64)) & ONE_BIT
    digits = np.zeros((banks * _BANK, TOP_BITS), np.uint64)
    digits[: levels.size] = np.where(bits == 1, _ALL, _ZERO)
    digits = digits.reshape(banks, _BANK, TOP_BITS).transpose(0, 2, 1).reshape(-1)
    return FlipRule(classes.astype(np.int64), bounds.astype(np.int64), digits, thr)


@njit(cache=True, nogil=True)
def pack(states, site_word, site_bit, words):
    """Set the packed ``words`` from flat states (bit 1 = state 0)."""
    words[:] = 0
    for i in range(states.size):
        if states[i] == 0:
            words[site_word[i]] |= ONE_BIT << np.uint64(site_bit[i])


@njit(cache=True, nogil=True)
def unpack(words, site_word, site_bit, states):
    """Inverse of :func:`pack`."""
    for i in range(states.size):
        states[i] = 0 if (words[site_word[i]] >> np.uint64(site_bit[i])) & ONE_BIT else 1


@njit(cache=True, nogil=True, inline="always")
def _count(x):
    """Set bits of a word, as an int64."""
    return np.int64(popcount(x))  # type: ignore[call-arg]  # an intrinsic: typed by numba


@njit(cache=True, nogil=True, inline="always")
def _count_in(c0, c1, c2, a):
    """The bit-sliced counters (c2 c1 c0) plus the bits of a."""
    t0 = c0 & a
    return c0 ^ a, c1 ^ t0, c2 | (c1 & t0)


@njit(cache=True, nogil=True, inline="always")
def _exactly(n, c0, c1, c2):
    """Bits whose counter (c2 c1 c0) equals n."""
    return (c0 if n & 1 else ~c0) & (c1 if n & 2 else ~c1) & (c2 if n & 4 else ~c2)


@njit(cache=True, nogil=True, inline="always")
def _carry_source(kind, index, w, nw, edge, edge_bit):
    """(word, bit) carried into a shifted read of word ``index``: from the neighbouring
    word of the plane, or from the periodic edge."""
    if kind == _LEFT:
        return (index - 1, 63) if w > 0 else (edge, edge_bit)
    return (index + 1, 0) if w < nw - 1 else (edge, edge_bit)


@njit(cache=True, nogil=True, inline="always")
def _shifted(kind, word, carry, w, nw, last):
    """The columns one to the left (right) of the sites of a word of the other plane."""
    if kind == _LEFT:
        return (word << ONE_BIT) | carry
    return (word >> ONE_BIT) | (carry << np.uint64(63 if w < nw - 1 else last))


@njit(cache=True, nogil=True, inline="always")
def _tally(flip, x, c0, c1, c2, z):
    """(change of satisfied bonds, of sites in state 0) when the bits ``flip`` of word
    ``x`` flip, their anti-aligned neighbours counted in (c2 c1 c0)."""
    count = _count(flip)
    anti = _count(flip & c0) + 2 * _count(flip & c1) + 4 * _count(flip & c2)
    return 2 * anti - z * count, count - 2 * _count(flip & x)


@njit(cache=True, nogil=True, inline="always")
def _decide(x, c0, c1, c2, lanes, z, classes, bounds, digits, cm, gm, s0, s1, s2, s3):
    """The sites of word ``x`` (bits ``lanes``) that flip, their anti-aligned neighbours
    counted in (c2 c1 c0): those of classes that always flip, and those of each group
    whose uniform number, drawn digit by digit, falls below the group's threshold;
    returns (flip, s0, s1, s2, s3)."""
    n_groups = bounds.size - 1
    for n in range(z + 1):
        m = lanes & _exactly(n, c0, c1, c2)
        cm[2 * n] = m & ~x
        cm[2 * n + 1] = m & x
    flip = _ZERO
    for i in range(bounds[0]):
        flip |= cm[classes[i]]
    for g in range(n_groups):
        acc = _ZERO
        for i in range(bounds[g], bounds[g + 1]):
            acc |= cm[classes[i]]
        gm[g] = acc
    bank = 0
    while bank < n_groups:
        g0, g1, g2, g3 = gm[bank], gm[bank + 1], gm[bank + 2], gm[bank + 3]
        g4, g5, g6, g7 = gm[bank + 4], gm[bank + 5], gm[bank + 6], gm[bank + 7]
        undecided = g0 | g1 | g2 | g3 | g4 | g5 | g6 | g7
        d = 0
        while d < TOP_BITS and undecided != 0 or 0 < d < _UNROLLED:
            r, s0, s1, s2, s3 = step_plusplus(s0, s1, s2, s3)
            j = bank * TOP_BITS + _BANK * d
            t = (g0 & digits[j]) | (g1 & digits[j + 1]) | (g2 & digits[j + 2])
            t |= g3 & digits[j + 3]
            if n_groups > 4:
                t |= (g4 & digits[j + 4]) | (g5 & digits[j + 5]) | (g6 & digits[j + 6])
                t |= g7 & digits[j + 7]
            flip |= undecided & t & ~r
            undecided &= ~(t ^ r)
            d += 1
        bank += _BANK
    return flip, s0, s1, s2, s3


@njit(cache=True, nogil=True)
def _sweep_words(words, geometry, classes, bounds, digits, cm, gm, s0, s1, s2, s3):
    """One pass over the packed words, one row a word or several words a row; returns
    (d_satisfied, d_n0, s0, s1, s2, s3)."""
    dims, first_word, kind, base, carry, carry_bit = geometry[:6]
    nw, z = dims[1], dims[3]
    last = (dims[2] // 2 - 1) % 64
    tail = _ALL >> np.uint64(63 - last)
    d_sat = 0
    d_n0 = 0
    for node in range(first_word.size):
        for w in range(nw):
            x = words[first_word[node] + w]
            c0 = c1 = c2 = _ZERO
            for k in range(node * z, node * z + z):
                i = base[k] + w
                if kind[k] == _DIRECT:
                    y = words[i]
                else:
                    j, b = _carry_source(kind[k], i, w, nw, carry[k], carry_bit[k])
                    y = _shifted(kind[k], words[i], (words[j] >> np.uint64(b)) & ONE_BIT, w, nw,
                                 last)  # fmt: skip
                c0, c1, c2 = _count_in(c0, c1, c2, x ^ y)
            lanes = tail if w == nw - 1 else _ALL
            flip, s0, s1, s2, s3 = _decide(
                x, c0, c1, c2, lanes, z, classes, bounds, digits, cm, gm, s0, s1, s2, s3
            )
            if flip != 0:
                words[first_word[node] + w] = x ^ flip
                ds, dn = _tally(flip, x, c0, c1, c2, z)
                d_sat += ds
                d_n0 += dn
    return d_sat, d_n0, s0, s1, s2, s3


@njit(cache=True, nogil=True, inline="always")
def _grouped_read(kind, word, carry_word, carry_shift, rot, k, m, starts, used):
    """A neighbour word of a grouped layout, lined up with the word updated: shifted by
    a column within each row (the bit carried in from ``carry_word`` >> ``carry_shift``
    at each row's edge), then rotated by ``rot`` bits within the ``used`` ones."""
    if kind == _LEFT:
        y = ((word << ONE_BIT) & used & ~starts) | (
            (carry_word >> np.uint64(carry_shift)) & starts
        )
    elif kind == _RIGHT:
        ends = starts << np.uint64(m - 1)
        y = ((word >> ONE_BIT) & ~ends) | (((carry_word >> np.uint64(carry_shift)) & starts)
                                          << np.uint64(m - 1))  # fmt: skip
    else:
        y = word
    if rot != 0:
        y = ((y >> np.uint64(rot)) | (y << np.uint64(k * m - rot))) & used
    return y


@njit(cache=True, nogil=True)
def _sweep_grouped(words, geometry, classes, bounds, digits, cm, gm, s0, s1, s2, s3):
    """One pass over the packed words, k rows a word (see :func:`_position`); returns
    (d_satisfied, d_n0, s0, s1, s2, s3)."""
    dims, first_word, kind, src, carry, carry_shift = geometry[:6]
    rot = geometry[10]
    z, k, m = dims[3], dims[4], dims[5]
    used = _ALL if k * m == 64 else (ONE_BIT << np.uint64(k * m)) - ONE_BIT
    starts = _ZERO
    for j in range(k):
        starts |= ONE_BIT << np.uint64(j * m)
    d_sat = 0
    d_n0 = 0
    for node in range(first_word.size):
        x = words[first_word[node]]
        c0 = c1 = c2 = _ZERO
        for i in range(node * z, node * z + z):
            y = _grouped_read(
                kind[i], words[src[i]], words[carry[i]], carry_shift[i], rot[i], k, m,
                starts, used,
            )  # fmt: skip
            c0, c1, c2 = _count_in(c0, c1, c2, x ^ y)
        flip, s0, s1, s2, s3 = _decide(
            x, c0, c1, c2, used, z, classes, bounds, digits, cm, gm, s0, s1, s2, s3
        )
        if flip != 0:
            words[first_word[node]] = x ^ flip
            ds, dn = _tally(flip, x, c0, c1, c2, z)
            d_sat += ds
            d_n0 += dn
    return d_sat, d_n0, s0, s1, s2, s3


@njit(cache=True, nogil=True)
def _sweep_extra(words, geometry, class_thresholds, s0, s1, s2, s3):
    """One pass over the extra column of an odd side, site by site; returns
    (d_satisfied, d_n0, s0, s1, s2, s3)."""
    dims, edge, edge_bit = geometry[0], geometry[6], geometry[7]
    own, own_bit = geometry[8], geometry[9]
    rows, z = dims[0], dims[3]
    d_sat = 0
    d_n0 = 0
    for r in range(rows):
        at = np.uint64(own_bit[r])
        s = (words[own[r]] >> at) & ONE_BIT
        n = 0
        for k in range(r * z, r * z + z):
            n += 1 if (words[edge[k]] >> np.uint64(edge_bit[k])) & ONE_BIT != s else 0
        u, s0, s1, s2, s3 = step_plus(s0, s1, s2, s3)
        if u < class_thresholds[2 * n + np.int64(s)]:
            words[own[r]] ^= ONE_BIT << at
            d_sat += 2 * n - z
            d_n0 += 1 - 2 * np.int64(s)
    return d_sat, d_n0, s0, s1, s2, s3


@njit(cache=True, nogil=True)
def sweeps(words, geometry, rule, rng, sweep0, n_sweeps, thin, satisfied, n0, form, out_e, out_n0):
    """Sweeps of packed Ising spins (see the module docstring).

    ``rule`` is (classes, bounds, digits, class_thresholds) of a :class:`FlipRule`,
    ``form`` (coupling, field, offset) of the Potts form.  ``satisfied`` (bonds) and
    ``n0`` (sites in state 0) are tallied; record k (the energy and ``n0``) is written
    after global sweep (k + 1) ``thin``.  Returns (satisfied, n0).
    """
    classes, bounds, digits, class_thresholds = rule
    cm = np.zeros(classes.size, np.uint64)
    gm = np.zeros(digits.size // TOP_BITS + _BANK, np.uint64)
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    odd = geometry[0][2] % 2 == 1
    grouped = geometry[0][7] == 1
    for sweep in range(sweep0, sweep0 + n_sweeps):
        if grouped:
            ds, dn, s0, s1, s2, s3 = _sweep_grouped(
                words, geometry, classes, bounds, digits, cm, gm, s0, s1, s2, s3
            )
        else:
            ds, dn, s0, s1, s2, s3 = _sweep_words(
                words, geometry, classes, bounds, digits, cm, gm, s0, s1, s2, s3
            )
        satisfied += ds
        n0 += dn
        if odd:
            ds, dn, s0, s1, s2, s3 = _sweep_extra(
                words, geometry, class_thresholds, s0, s1, s2, s3
            )
            satisfied += ds
            n0 += dn
        if (sweep + 1) % thin == 0:
            k = (sweep + 1) // thin - 1
            out_e[k] = -form[0] * satisfied - form[1] * n0 + form[2]
            out_n0[k] = n0
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return satisfied, n0
