"""Compiled inner loops of the lattice samplers (shared by montecarlo and wang_landau).

Each kernel works in place on a flat (or, for the square-lattice Metropolis kernel,
2-D) ``int8`` array of spins and draws its random numbers from a xoshiro256+ generator
whose 4-word ``uint64`` state is an array seeded from a :class:`numpy.random.Generator`.
With numba installed the kernels are compiled (single-threaded, cached on disk); without
it they run as plain Python (correct but slow: the samplers then use the vectorised numpy
checkerboard where they can).

Conventions: Ising spins are +-1; Potts states are 0 .. q-1.  Energies and
magnetisations are tracked incrementally in float64.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray

try:
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only without numba
    HAVE_NUMBA = False

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        """Stand-in for numba.njit: the plain function, with uint64 wrap-around allowed."""

        def wrap(func):
            @functools.wraps(func)
            def plain(*a, **k):
                with np.errstate(over="ignore"):
                    return func(*a, **k)

            return plain

        if args and callable(args[0]):
            return wrap(args[0])
        return wrap


__all__ = [
    "HAVE_NUMBA",
    "heat_bath_pairwise",
    "metropolis_ising_2d",
    "metropolis_ising_2d_packed",
    "pack_spins",
    "unpack_spins",
    "metropolis_ising",
    "metropolis_potts",
    "rng_state",
    "wang_landau_ising",
    "wang_landau_potts",
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
    """Pack an (L1, 64 W) array of +-1 spins into (L1, W) words: column w + W b is bit b."""
    n1, n2 = spins.shape
    bits = (spins.reshape(n1, 64, n2 // 64) == 1).astype(np.uint64)
    shifts = np.arange(64, dtype=np.uint64)[None, :, None]
    return np.bitwise_or.reduce(bits << shifts, axis=1)


def unpack_spins(words: NDArray[np.uint64]) -> NDArray[np.int8]:
    """Inverse of :func:`pack_spins`."""
    n1, nw = words.shape
    shifts = np.arange(64, dtype=np.uint64)[None, :, None]
    bits = (words[:, None, :] >> shifts) & np.uint64(1)
    return (2 * bits.astype(np.int8) - 1).reshape(n1, 64 * nw)


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def _uniform(s):
    """A float in [0, 1) from the top 53 bits."""
    return (_next(s) >> _U11) * _TO_UNIT


@njit(cache=True, inline="always")
def _below(s, n):
    """An int in [0, n) for n < 2**32, by multiply-shift of the top 32 bits (Lemire);
    the bias is below n / 2**32."""
    return int(((_next(s) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True)
def _packed_observables(words):
    """(number of unsatisfied bonds, number of up spins) of a packed lattice."""
    n1, nw = words.shape
    anti = 0
    up = 0
    for i in range(n1):
        below = (i + 1) % n1
        for w in range(nw):
            x = words[i, w]
            up += _popcount(x)
            anti += _popcount(x ^ words[below, w])
            if w < nw - 1:
                right = words[i, w + 1]
            else:
                y = words[i, 0]
                right = (y >> np.uint64(1)) | (y << np.uint64(63))
            anti += _popcount(x ^ right)
    return anti, up


@njit(cache=True)
def metropolis_ising_2d_packed(
    words, threshold, always, state, n_sweeps, thin, coupling, out_e, out_m
):
    """Multi-spin-coded checkerboard Metropolis, square-lattice Ising, zero field, J > 0.

    ``words[i, w]`` holds bit b = (spin at row i, column w + W b is up), W = number of
    words per row (even, so a word's 64 spins share one sublattice).  A spin with n
    anti-aligned neighbours flips for n >= 2, with probability p = exp(-4 beta J) for
    n = 1 and p^2 for n = 0 (two independent Bernoulli(p) words).  ``threshold`` is
    p 2^64 (``always``: p = 1).  Energy and magnetisation are recomputed by popcounts
    when recorded.
    """
    n1, nw = words.shape
    n_sites = n1 * nw * 64
    ones = ~np.uint64(0)
    k = 0
    for sweep in range(n_sweeps):
        for parity in range(2):
            for i in range(n1):
                up = (i - 1) % n1
                down = (i + 1) % n1
                for w in range((i + parity) & 1, nw, 2):
                    x = words[i, w]
                    if w > 0:
                        left = words[i, w - 1]
                    else:
                        y = words[i, nw - 1]
                        left = (y << np.uint64(1)) | (y >> np.uint64(63))
                    if w < nw - 1:
                        right = words[i, w + 1]
                    else:
                        y = words[i, 0]
                        right = (y >> np.uint64(1)) | (y << np.uint64(63))
                    a = x ^ words[up, w]
                    b = x ^ words[down, w]
                    c = x ^ left
                    d = x ^ right
                    s1 = a ^ b
                    c1 = a & b
                    s2 = c ^ d
                    c2 = c & d
                    ge2 = c1 | c2 | (s1 & s2)
                    eq1 = (s1 ^ s2) & ~(c1 | c2)
                    eq0 = ~(a | b | c | d)
                    if always:
                        r1 = ones
                        r2 = ones
                    else:
                        r1 = _bernoulli_word(state, threshold) if (eq1 | eq0) != 0 else ones
                        r2 = _bernoulli_word(state, threshold) if (eq0 & r1) != 0 else ones
                    words[i, w] = x ^ (ge2 | (eq1 & r1) | (eq0 & r1 & r2))
        if (sweep + 1) % thin == 0:
            anti, n_up = _packed_observables(words)
            out_e[k] = -coupling * (2.0 * n_sites - 2.0 * anti)
            out_m[k] = 2.0 * n_up - n_sites
            k += 1


@njit(cache=True)
def metropolis_ising_2d(spins, prob, delta_e, state, n_sweeps, thin, energy, magnet, out_e, out_m):
    """Checkerboard Metropolis sweeps of the L1 x L2 Ising model, recorded every ``thin``.

    ``prob[a, b]`` and ``delta_e[a, b]`` are the acceptance probability and the energy
    change of flipping a spin with ``a = (s + 1) // 2`` and neighbour sum ``2 b - 4``.
    Returns the energy and magnetisation after the last sweep.
    """
    n1, n2 = spins.shape
    up = np.empty(n1, np.int64)
    down = np.empty(n1, np.int64)
    right = np.empty(n2, np.int64)
    left = np.empty(n2, np.int64)
    for i in range(n1):
        up[i] = (i - 1) % n1
        down[i] = (i + 1) % n1
    for j in range(n2):
        left[j] = (j - 1) % n2
        right[j] = (j + 1) % n2
    k = 0
    for sweep in range(n_sweeps):
        for parity in range(2):
            for i in range(n1):
                row = spins[i]
                above = spins[up[i]]
                below = spins[down[i]]
                for j in range((i + parity) & 1, n2, 2):
                    s = row[j]
                    b = (above[j] + below[j] + row[left[j]] + row[right[j]] + 4) >> 1
                    a = (s + 1) >> 1
                    p = prob[a, b]
                    if p >= 1.0 or _uniform(state) < p:
                        row[j] = -s
                        energy += delta_e[a, b]
                        magnet -= 2 * s
        if (sweep + 1) % thin == 0:
            out_e[k] = energy
            out_m[k] = magnet
            k += 1
    return energy, magnet


@njit(cache=True)
def metropolis_ising(
    spins, neighbours, order, prob, delta_e, state, n_sweeps, thin, energy, magnet, out_e, out_m
):
    """Metropolis sweeps of the Ising model on any lattice given by its neighbour table.

    Sites are visited in ``order`` (checkerboard order: one sublattice, then the other).
    ``prob``/``delta_e`` as for :func:`metropolis_ising_2d` with ``b = (sum + z) / 2``.
    """
    z = neighbours.shape[1]
    k = 0
    for sweep in range(n_sweeps):
        for site in order:
            s = spins[site]
            total = 0
            for c in range(z):
                total += spins[neighbours[site, c]]
            b = (total + z) >> 1
            a = (s + 1) >> 1
            p = prob[a, b]
            if p >= 1.0 or _uniform(state) < p:
                spins[site] = -s
                energy += delta_e[a, b]
                magnet -= 2 * s
        if (sweep + 1) % thin == 0:
            out_e[k] = energy
            out_m[k] = magnet
            k += 1
    return energy, magnet


@njit(cache=True)
def metropolis_potts(
    spins, neighbours, order, q, prob, delta_e, state, n_sweeps, thin, energy, magnet, out_e, out_m
):
    """Metropolis sweeps of the q-state Potts model: propose a new state != the old one.

    ``prob[f, d]``/``delta_e[f, d]``: acceptance probability and energy change for
    ``d = n_new - n_old + z`` (neighbours in the new minus the old state) and
    ``f = [new == 0] - [old == 0] + 1``.
    """
    z = neighbours.shape[1]
    k = 0
    m_step = q / (q - 1.0)
    for sweep in range(n_sweeps):
        for site in order:
            old = spins[site]
            new = (old + 1 + _below(state, q - 1)) % q
            d = z
            for c in range(z):
                t = spins[neighbours[site, c]]
                if t == new:
                    d += 1
                elif t == old:
                    d -= 1
            f = (1 if new == 0 else 0) - (1 if old == 0 else 0) + 1
            p = prob[f, d]
            if p >= 1.0 or _uniform(state) < p:
                spins[site] = new
                energy += delta_e[f, d]
                magnet += (f - 1) * m_step
        if (sweep + 1) % thin == 0:
            out_e[k] = energy
            out_m[k] = magnet
            k += 1
    return energy, magnet


@njit(cache=True)
def wolff(
    spins,
    neighbours,
    q,
    p_add,
    coupling,
    state,
    n_sweeps,
    clusters_per_sweep,
    thin,
    energy,
    magnet,
    out_e,
    out_m,
    out_flipped,
):
    """Wolff single-cluster updates (zero field), ``clusters_per_sweep`` clusters a sweep.

    ``q = 0`` means Ising (+-1 spins, flipped), ``q >= 2`` Potts (the cluster moves to a
    random other state).  ``p_add`` is the bond-activation probability.
    ``out_flipped[k]`` counts the spins flipped between records.  (The number of clusters
    per sweep is fixed: stopping after a number of flipped spins would bias the samples.)
    """
    n = spins.shape[0]
    z = neighbours.shape[1]
    stack = np.empty(n, np.int64)
    mark = np.zeros(n, np.int64)  # cluster id of the last cluster a site joined
    cluster_id = 0
    k = 0
    flipped = 0
    m_step = q / (q - 1.0) if q >= 2 else 0.0
    for sweep in range(n_sweeps):
        for _ in range(clusters_per_sweep):
            cluster_id += 1
            seed = _below(state, n)
            old = spins[seed]
            if q == 0:
                new = -old
            else:
                new = (old + 1 + _below(state, q - 1)) % q
            stack[0] = seed
            mark[seed] = cluster_id
            top = 1
            size = 0
            # grow: stack[:top] holds the sites still to visit, stack[size:] is free
            while top > 0:
                top -= 1
                site = stack[top]
                stack[n - 1 - size] = site  # the cluster, stored from the end
                size += 1
                for c in range(z):
                    nb = neighbours[site, c]
                    if mark[nb] != cluster_id and spins[nb] == old:
                        if _uniform(state) < p_add:
                            mark[nb] = cluster_id
                            stack[top] = nb
                            top += 1
            # energy change over the bonds leaving the cluster, then flip
            de = 0.0
            for r in range(size):
                site = stack[n - 1 - r]
                for c in range(z):
                    nb = neighbours[site, c]
                    if mark[nb] != cluster_id:
                        t = spins[nb]
                        if q == 0:
                            de += 2.0 * coupling * old * t
                        else:
                            de += coupling * (
                                (1.0 if t == old else 0.0) - (1.0 if t == new else 0.0)
                            )
            for r in range(size):
                spins[stack[n - 1 - r]] = new
            energy += de
            if q == 0:
                magnet -= 2.0 * old * size
            else:
                magnet += size * m_step * ((1 if new == 0 else 0) - (1 if old == 0 else 0))
            flipped += size
        if (sweep + 1) % thin == 0:
            out_e[k] = energy
            out_m[k] = magnet
            out_flipped[k] = flipped
            flipped = 0
            k += 1
    return energy, magnet


@njit(cache=True)
def wang_landau_ising(spins, neighbours, level, log_g, hist, log_f, state, n_sweeps):
    """Wang-Landau single-spin-flip sweeps of the zero-field Ising model.

    ``level`` is the number of unsatisfied bonds of ``spins``, the bin of ``log_g`` and
    ``hist``; flipping spin s with neighbour sum S changes it by ``s S``.  Each visit adds
    ``log_f`` to ``log_g`` and 1 to ``hist``.  Returns the final ``level``.
    """
    n = spins.shape[0]
    z = neighbours.shape[1]
    for _ in range(n_sweeps):
        for _ in range(n):
            site = _below(state, n)
            s = spins[site]
            total = 0
            for c in range(z):
                total += spins[neighbours[site, c]]
            new_level = level + s * total
            diff = log_g[level] - log_g[new_level]
            if diff >= 0.0 or _uniform(state) < np.exp(diff):
                spins[site] = -s
                level = new_level
            log_g[level] += log_f
            hist[level] += 1
    return level


@njit(cache=True)
def wang_landau_potts(spins, neighbours, q, level, log_g, hist, log_f, state, n_sweeps):
    """As :func:`wang_landau_ising` for the zero-field Potts model (bin: unsatisfied bonds)."""
    n = spins.shape[0]
    z = neighbours.shape[1]
    for _ in range(n_sweeps):
        for _ in range(n):
            site = _below(state, n)
            old = spins[site]
            new = (old + 1 + _below(state, q - 1)) % q
            d = 0
            for c in range(z):
                t = spins[neighbours[site, c]]
                if t == new:
                    d -= 1
                elif t == old:
                    d += 1
            new_level = level + d
            diff = log_g[level] - log_g[new_level]
            if diff >= 0.0 or _uniform(state) < np.exp(diff):
                spins[site] = new
                level = new_level
            log_g[level] += log_f
            hist[level] += 1
    return level


@njit(cache=True)
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
