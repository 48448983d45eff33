"""Compiled inner loops of the lattice samplers (montecarlo, tempering, wang_landau).

Every lattice kernel works in place on a flat ``int8`` array of *states* 0 ... q - 1 on
any geometry, given by its neighbour table (padded with -1), for the energy

    E = -J sum_bonds delta(s_i, s_j) - h sum_i delta(s_i, 0) + constant,

the form every lattice model reduces to (an Ising model is q = 2 with J = 2 J_Ising,
h = 2 h_Ising, spin +1 = state 0).  Energies are tracked incrementally in float64 and the
number of sites in state 0 as an int.  Random numbers come from a xoshiro256+ generator
whose 4-word ``uint64`` state is an array seeded from a :class:`numpy.random.Generator`.

The kernels are compiled by numba (single-threaded, without the GIL so that replicas can
run in threads, and cached on disk: the first call in a fresh environment compiles,
about 1-2 s per kernel, later processes load the cache).  Long runs are cut into chunks of
sweeps by the callers: a kernel takes the index ``sweep0`` of its first sweep and writes
record ``k`` after global sweep ``(k + 1) thin``, so Ctrl-C is honoured between chunks.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = [
    "greedy_colors",
    "heat_bath",
    "heat_bath_pairwise",
    "metropolis",
    "metropolis_ising_2d_packed",
    "pack_spins",
    "rng_state",
    "spectrum_counts",
    "unpack_spins",
    "wang_landau",
    "wolff",
]

_U17 = np.uint64(17)
_U45 = np.uint64(45)
_U19 = np.uint64(19)
_U11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def rng_state(rng: np.random.Generator) -> NDArray[np.uint64]:
    """A fresh xoshiro256+ state (4 words, not all zero) drawn from ``rng``."""
    state = rng.integers(0, np.iinfo(np.uint64).max, size=4, dtype=np.uint64, endpoint=True)
    if not state.any():
        state[0] = 1
    return state


def pack_spins(spins: NDArray[np.int8]) -> NDArray[np.uint64]:
    """Pack an (L1, L2) array of +-1 spins, L2 even, into (L1, 2, W) words of up bits:
    plane p of row i holds the columns 2 b + p, bit b % 64 of word b // 64 (W words of
    64 bits hold the L2 / 2 columns of a plane; the bits beyond them are 0)."""
    n1, n2 = spins.shape
    half = n2 // 2
    nw = -(-half // 64)
    up = (spins == 1).reshape(n1, half, 2).transpose(0, 2, 1)
    bits = np.zeros((n1, 2, nw * 64), dtype=np.uint64)
    bits[:, :, :half] = up
    shifts = np.arange(64, dtype=np.uint64)
    return np.bitwise_or.reduce(bits.reshape(n1, 2, nw, 64) << shifts, axis=3)


def unpack_spins(words: NDArray[np.uint64], n2: int) -> NDArray[np.int8]:
    """Inverse of :func:`pack_spins` for ``n2`` columns."""
    n1, _, nw = words.shape
    half = n2 // 2
    shifts = np.arange(64, dtype=np.uint64)
    bits = (words[..., None] >> shifts) & np.uint64(1)
    up = bits.reshape(n1, 2, nw * 64)[:, :, :half].transpose(0, 2, 1).reshape(n1, n2)
    return (2 * up.astype(np.int8) - 1).astype(np.int8)


@njit(cache=True, nogil=True, inline="always")
def _next(s):
    """Next 64-bit output of xoshiro256+ (Blackman & Vigna); advances ``s`` in place."""
    result = s[0] + s[3]
    t = s[1] << _U17
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = (s[3] << _U45) | (s[3] >> _U19)
    return result


@njit(cache=True, nogil=True, inline="always")
def _uniform(s):
    """A float in [0, 1) from the top 53 bits."""
    return (_next(s) >> _U11) * _TO_UNIT


@njit(cache=True, nogil=True, inline="always")
def _below(s, n):
    """An int in [0, n) for n < 2**32, by multiply-shift of the top 32 bits (Lemire);
    the bias is below n / 2**32."""
    return int(((_next(s) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(cache=True, nogil=True, inline="always")
def _next_ss(s):
    """Next output of xoshiro256** (every bit usable, unlike the low bits of '+')."""
    x = s[1] * np.uint64(5)
    result = ((x << np.uint64(7)) | (x >> np.uint64(57))) * np.uint64(9)
    t = s[1] << _U17
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = (s[3] << _U45) | (s[3] >> _U19)
    return result


@njit(cache=True, nogil=True, inline="always")
def _bernoulli_word(s, threshold):
    """64 independent bits, each 1 with probability ``threshold / 2**64``.

    Bit-parallel comparison of 64 uniform numbers, drawn one binary digit (one random
    word) at a time, with the binary expansion of p; stops when every bit is decided
    (about 8 words on average).
    """
    result = np.uint64(0)
    undecided = ~np.uint64(0)
    bit = np.uint64(1) << np.uint64(63)
    while undecided != 0 and bit != 0:
        r = _next_ss(s)
        if threshold & bit:
            result |= undecided & ~r
            undecided &= r
        else:
            undecided &= ~r
        bit >>= np.uint64(1)
    return result


@njit(cache=True, nogil=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True, nogil=True, inline="always")
def _horizontal(planes, i, p, w, nw, last):
    """(left, right) neighbour words of plane p, word w of row i (see pack_spins): the
    columns 2b + p - 1 and 2b + p + 1 of the bits b of the word, periodic."""
    one = np.uint64(1)
    if p == 0:  # columns 2b - 1 (plane 1, bit b - 1) and 2b + 1 (plane 1, bit b)
        other = planes[i, 1]
        if w > 0:
            carry = other[w - 1] >> np.uint64(63)
        else:
            carry = (other[nw - 1] >> np.uint64(last)) & one
        return (other[w] << one) | carry, other[w]
    other = planes[i, 0]  # columns 2b + 1 - 1 (plane 0, bit b), 2b + 2 (plane 0, bit b + 1)
    if w < nw - 1:
        right = (other[w] >> one) | (other[w + 1] << np.uint64(63))
    else:
        right = (other[w] >> one) | ((other[0] & one) << np.uint64(last))
    return other[w], right


@njit(cache=True, nogil=True)
def _packed_observables(planes, n2):
    """(number of unsatisfied bonds, number of up spins) of packed planes."""
    n1, _, nw = planes.shape
    half = n2 // 2
    last = (half - 1) % 64
    anti = 0
    up = 0
    for i in range(n1):
        below = (i + 1) % n1
        for w in range(nw):
            mask = ~np.uint64(0) if w < nw - 1 else (~np.uint64(0)) >> np.uint64(63 - last)
            for p in range(2):
                x = planes[i, p, w]
                up += _popcount(x & mask)
                anti += _popcount((x ^ planes[below, p, w]) & mask)
            _, right = _horizontal(planes, i, 1, w, nw, last)
            anti += _popcount((planes[i, 0, w] ^ planes[i, 1, w]) & mask)
            anti += _popcount((planes[i, 1, w] ^ right) & mask)
    return anti, up


@njit(cache=True, nogil=True)
def metropolis_ising_2d_packed(
    planes, n2, threshold, always, rng, sweep0, n_sweeps, thin, coupling, out_e, out_n0
):
    """Multi-spin-coded checkerboard Metropolis, square-lattice Ising, zero field, J > 0.

    ``planes`` as made by :func:`pack_spins` from an L1 x ``n2`` lattice (``n2`` even):
    the 64 bits of a word are sites of one colour, none adjacent, updated at once.  A
    spin with n anti-aligned neighbours flips for n >= 3, with probability 1/2 for n = 2
    (no energy change), p = exp(-4 beta J) for n = 1 and p^2 for n = 0 (two independent
    Bernoulli(p) words).  ``threshold`` is p 2^64 (``always``: p = 1).  Energy and the
    number of up spins are recomputed by popcounts when recorded.
    """
    n1, _, nw = planes.shape
    half = n2 // 2
    last = (half - 1) % 64
    n_sites = n1 * n2
    ones = ~np.uint64(0)
    for sweep in range(sweep0, sweep0 + n_sweeps):
        for color in range(2):
            for i in range(n1):
                p = (color + i) & 1
                up = (i - 1) % n1
                down = (i + 1) % n1
                for w in range(nw):
                    x = planes[i, p, w]
                    left, right = _horizontal(planes, i, p, w, nw, last)
                    a = x ^ planes[up, p, w]
                    b = x ^ planes[down, p, w]
                    c = x ^ left
                    d = x ^ right
                    s1 = a ^ b
                    c1 = a & b
                    s2 = c ^ d
                    c2 = c & d
                    ge3 = (c1 & (s2 | c2)) | (c2 & s1)
                    eq2 = (c1 | c2 | (s1 & s2)) & ~ge3
                    eq1 = (s1 ^ s2) & ~(c1 | c2)
                    eq0 = ~(a | b | c | d)
                    half_bits = _next_ss(rng) if eq2 != 0 else ones
                    if always:
                        r1 = ones
                        r2 = ones
                    else:
                        r1 = _bernoulli_word(rng, threshold) if (eq1 | eq0) != 0 else ones
                        r2 = _bernoulli_word(rng, threshold) if (eq0 & r1) != 0 else ones
                    flip = ge3 | (eq2 & half_bits) | (eq1 & r1) | (eq0 & r1 & r2)
                    if w == nw - 1:
                        flip &= ones >> np.uint64(63 - last)
                    planes[i, p, w] = x ^ flip
        if (sweep + 1) % thin == 0:
            k = (sweep + 1) // thin - 1
            anti, n_up = _packed_observables(planes, n2)
            out_e[k] = -coupling * (2.0 * n_sites - 2.0 * anti)
            out_n0[k] = n_up


@njit(cache=True, nogil=True, inline="always")
def _proposal(rng, q, old):
    """A state other than ``old``, uniformly (the other one for q = 2)."""
    if q == 2:
        return 1 - old
    return (old + 1 + _below(rng, q - 1)) % q


@njit(cache=True, nogil=True, inline="always")
def _gain(states, neighbors, site, old, new):
    """Neighbours of ``site`` in state ``new`` minus those in ``old`` (bonds that a move
    old -> new satisfies, net)."""
    d = 0
    for c in range(neighbors.shape[1]):
        nb = neighbors[site, c]
        if nb < 0:
            break
        t = states[nb]
        if t == new:
            d += 1
        elif t == old:
            d -= 1
    return d


@njit(cache=True, nogil=True)
def metropolis(
    states, neighbors, order, q, prob, delta_e, rng, sweep0, n_sweeps, thin, energy, n0,
    out_e, out_n0,
):  # fmt: skip
    """Metropolis sweeps in ``order`` (colour by colour) on any lattice.

    Each visited site proposes another state (uniformly among the q - 1 others);
    ``prob[f, d]`` and ``delta_e[f, d]`` are the acceptance probability and the energy
    change for ``d = n_new - n_old + z_max`` (neighbours in the new minus the old state)
    and ``f = [new == 0] - [old == 0] + 1``.  Returns (energy, n0) after the last sweep.
    """
    z = neighbors.shape[1]
    for sweep in range(sweep0, sweep0 + n_sweeps):
        for site in order:
            old = states[site]
            new = _proposal(rng, q, old)
            d = z + _gain(states, neighbors, site, old, new)
            f = (1 if new == 0 else 0) - (1 if old == 0 else 0) + 1
            p = prob[f, d]
            if p >= 1.0 or (p > 0.0 and _uniform(rng) < p):
                states[site] = new
                energy += delta_e[f, d]
                n0 += f - 1
        if (sweep + 1) % thin == 0:
            k = (sweep + 1) // thin - 1
            out_e[k] = energy
            out_n0[k] = n0
    return energy, n0


@njit(cache=True, nogil=True)
def heat_bath(
    states, neighbors, order, q, beta, coupling, field, rng, sweep0, n_sweeps, thin,
    energy, n0, out_e, out_n0,
):  # fmt: skip
    """Heat-bath sweeps: each site drawn anew from its conditional distribution
    ``P(k) ~ exp(beta (J n_k + h [k == 0]))`` (n_k: neighbours in state k); at
    ``beta = inf`` uniformly among the states of lowest energy."""
    z = neighbors.shape[1]
    counts = np.zeros(q, np.int64)
    weight = np.empty(q)
    cold = not np.isfinite(beta)
    for sweep in range(sweep0, sweep0 + n_sweeps):
        for site in order:
            old = states[site]
            counts[:] = 0
            for c in range(z):
                nb = neighbors[site, c]
                if nb < 0:
                    break
                counts[states[nb]] += 1
            top = -np.inf
            for k in range(q):
                weight[k] = coupling * counts[k] + (field if k == 0 else 0.0)
                top = max(top, weight[k])
            total = 0.0
            for k in range(q):
                if cold:
                    weight[k] = 1.0 if weight[k] == top else 0.0
                else:
                    weight[k] = np.exp(beta * (weight[k] - top))
                total += weight[k]
            u = _uniform(rng) * total
            new = 0
            acc = weight[0]
            while acc <= u and new < q - 1:
                new += 1
                acc += weight[new]
            if new != old:
                states[site] = new
                f = (1 if new == 0 else 0) - (1 if old == 0 else 0)
                energy -= coupling * (counts[new] - counts[old]) + field * f
                n0 += f
        if (sweep + 1) % thin == 0:
            k = (sweep + 1) // thin - 1
            out_e[k] = energy
            out_n0[k] = n0
    return energy, n0


@njit(cache=True, nogil=True)
def wolff(
    states, neighbors, q, p_add, coupling, rng, sweep0, n_sweeps, clusters_per_sweep, thin,
    energy, n0, out_e, out_n0, out_flipped, stack, mark, cluster_id,
):  # fmt: skip
    """Wolff single-cluster updates (zero field, J >= 0), ``clusters_per_sweep`` a sweep.

    A cluster grows from a random site over bonds to neighbours in the same state, each
    taken with probability ``p_add``, and moves to a random other state.  One pass: a
    site changes state when it leaves the stack, and the energy change is summed bond by
    bond with the neighbours' states at that moment (bonds inside the cluster cancel).
    ``stack`` and ``mark`` are work arrays of n ints kept between calls with
    ``cluster_id`` (returned), so that a mark never needs clearing.
    ``out_flipped[k]`` counts the sites moved between records.
    """
    n = states.shape[0]
    z = neighbors.shape[1]
    flipped = 0
    for sweep in range(sweep0, sweep0 + n_sweeps):
        for _ in range(clusters_per_sweep):
            cluster_id += 1
            seed = _below(rng, n)
            old = states[seed]
            new = _proposal(rng, q, old)
            stack[0] = seed
            mark[seed] = cluster_id
            top = 1
            size = 0
            de = 0.0
            while top > 0:
                top -= 1
                site = stack[top]
                for c in range(z):
                    nb = neighbors[site, c]
                    if nb < 0:
                        break
                    t = states[nb]
                    if t == old:
                        de += coupling
                        if mark[nb] != cluster_id and (p_add >= 1.0 or _uniform(rng) < p_add):
                            mark[nb] = cluster_id
                            stack[top] = nb
                            top += 1
                    elif t == new:
                        de -= coupling
                states[site] = new
                size += 1
            energy += de
            n0 += size * ((1 if new == 0 else 0) - (1 if old == 0 else 0))
            flipped += size
        if (sweep + 1) % thin == 0:
            k = (sweep + 1) // thin - 1
            out_e[k] = energy
            out_n0[k] = n0
            out_flipped[k] = flipped
            flipped = 0
    return energy, n0, cluster_id


@njit(cache=True, nogil=True)
def wang_landau(states, neighbors, q, level, log_g, hist, log_f, rng, n_sweeps):
    """Wang-Landau sweeps (N moves at random sites) of a zero-field lattice model.

    ``level`` is the number of unsatisfied bonds (neighbours in different states), the
    bin of ``log_g`` and ``hist``.  Each visit adds ``log_f`` to ``log_g`` and 1 to
    ``hist``.  Returns the final ``level``.
    """
    n = states.shape[0]
    for _ in range(n_sweeps):
        for _ in range(n):
            site = _below(rng, n)
            old = states[site]
            new = _proposal(rng, q, old)
            new_level = level - _gain(states, neighbors, site, old, new)
            diff = log_g[level] - log_g[new_level]
            if diff >= 0.0 or _uniform(rng) < np.exp(diff):
                states[site] = new
                level = new_level
            log_g[level] += log_f
            hist[level] += 1
    return level


@njit(cache=True, nogil=True)
def greedy_colors(neighbors):
    """Greedy colouring in site order: the lowest colour no earlier neighbour has."""
    n, z = neighbors.shape
    colors = np.full(n, -1, np.int64)
    used = np.zeros(z + 2, np.bool_)
    for i in range(n):
        used[:] = False
        for c in range(z):
            nb = neighbors[i, c]
            if nb < 0:
                break
            if colors[nb] >= 0:
                used[colors[nb]] = True
        k = 0
        while used[k]:
            k += 1
        colors[i] = k
    return colors


@njit(cache=True, nogil=True)
def spectrum_counts(neighbors, q, start, count, hist):
    """Add to ``hist[satisfied bonds, sites in state 0]`` the configurations
    ``start ... start + count - 1`` (base-q digits, site 0 the fastest).

    The configurations are visited as an odometer: each step changes about
    q / (q - 1) digits, each change updating the counts from its neighbours.
    """
    n, z = neighbors.shape
    digits = np.empty(n, np.int64)
    x = start
    for i in range(n):
        digits[i] = x % q
        x //= q
    sat2 = 0
    n0 = 0
    for i in range(n):
        if digits[i] == 0:
            n0 += 1
        for c in range(z):
            nb = neighbors[i, c]
            if nb < 0:
                break
            if digits[nb] == digits[i]:
                sat2 += 1
    sat = sat2 // 2
    for _ in range(count):
        hist[sat, n0] += 1
        i = 0
        while i < n:
            old = digits[i]
            new = old + 1
            if new == q:
                new = 0
            sat += _gain(digits, neighbors, i, old, new)
            n0 += (1 if new == 0 else 0) - (1 if old == 0 else 0)
            digits[i] = new
            if new != 0:
                break
            i += 1


@njit(cache=True, nogil=True)
def heat_bath_pairwise(spins, fields, couplings, state, n_sweeps):
    """Heat-bath sweeps of independent chains of a general pairwise spin model.

    ``spins`` (n_chains, N) of +-1 (int8), ``fields`` h (N,), ``couplings`` J (N, N)
    symmetric with zero diagonal; P(s) ~ exp(h.s + sum_{i<j} J_ij s_i s_j).  Spin i is
    set to +1 with probability 1 / (1 + exp(-2 theta_i)), theta = h + J s; the local
    fields are updated in O(N) only when a spin changes.
    """
    n_chains, n = spins.shape
    theta = np.empty(n)
    for c in range(n_chains):
        s = spins[c]
        for i in range(n):
            acc = fields[i]
            for j in range(n):
                acc += couplings[i, j] * s[j]
            theta[i] = acc
        for _ in range(n_sweeps):
            for i in range(n):
                new = 1 if _uniform(state) * (1.0 + np.exp(-2.0 * theta[i])) < 1.0 else -1
                if new != s[i]:
                    s[i] = new
                    for j in range(n):
                        theta[j] += 2.0 * new * couplings[i, j]
