"""Compiled inner loops of the lattice samplers one site (or one cluster) at a time.

Every lattice kernel works in place on a flat ``int8`` array of *states* 0 ... q - 1 on
any geometry, given by its neighbour table (padded with -1), for the energy

    E = -J sum_bonds delta(s_i, s_j) - h sum_i delta(s_i, 0) + constant,

the form every lattice model reduces to (an Ising model is q = 2 with J = 2 J_Ising,
h = 2 h_Ising, spin +1 = state 0).  The kernels track two integers, the number of
satisfied bonds and the number of sites in state 0, from which a record's energy is
``-J satisfied - h n0 + constant`` (``form`` = (J, h, constant)), exact at any length of
run.  Random numbers come from xoshiro256 generators kept in registers
(:mod:`maxent._bitops`), whose 4-word state is an array seeded from a
:class:`numpy.random.Generator`; acceptance tests compare 53-bit integers with
precomputed thresholds (no exp, no division in the loops).  The multi-spin-coded Ising
kernel, 64 sites per word, is :mod:`maxent._multispin`.

The kernels are compiled by numba (single-threaded, without the GIL so that replicas can
run in threads, and cached on disk: the first call in a fresh environment compiles,
about 1-2 s per kernel, later processes load the cache).  Long runs are cut into chunks of
sweeps by the callers: a kernel takes the index ``sweep0`` of its first sweep and writes
record ``k`` after global sweep ``(k + 1) thin``, so Ctrl-C is honoured between chunks.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._bitops import TOP_BITS, below, rng_state, step_plus

__all__ = [
    "MARKED",
    "greedy_colors",
    "heat_bath",
    "heat_bath_pairwise",
    "metropolis",
    "rng_state",
    "spectrum_counts",
    "wang_landau",
    "wolff",
]

MARKED = -1  # the state of a site on Wolff's stack (still in its old state)
_UNIT = 2.0**-TOP_BITS


@njit(cache=True, nogil=True, inline="always")
def _other_state(q, old, s0, s1, s2, s3):
    """A state other than ``old``, uniformly (the other one for q = 2):
    (state, s0, s1, s2, s3)."""
    if q == 2:
        return 1 - old, s0, s1, s2, s3
    k, s0, s1, s2, s3 = below(q - 1, s0, s1, s2, s3)
    return (old + 1 + k) % q, s0, s1, s2, s3


@njit(cache=True, nogil=True)
def _record(out_e, out_n0, sweep, thin, satisfied, n0, form):
    """Write record ``(sweep + 1) / thin - 1`` if this sweep is recorded."""
    if (sweep + 1) % thin == 0:
        k = (sweep + 1) // thin - 1
        out_e[k] = -form[0] * satisfied - form[1] * n0 + form[2]
        out_n0[k] = n0


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
    states, neighbors, order, q, thresholds, rng, sweep0, n_sweeps, thin, satisfied, n0,
    form, out_e, out_n0,
):  # fmt: skip
    """Single-site sweeps in ``order`` (colour by colour) on any lattice.

    Each visited site proposes another state (uniformly among the q - 1 others), accepted
    when a 53-bit draw is below ``thresholds[(f + 1) (2 z + 1) + d + z]`` for the net
    number d of bonds the move satisfies and ``f = [new == 0] - [old == 0]`` (Metropolis,
    or for q = 2 heat bath, by the table).  The accepted state is stored without a
    branch.  Returns (satisfied, n0) after the last sweep.
    """
    z = neighbors.shape[1]
    width = 2 * z + 1
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    for sweep in range(sweep0, sweep0 + n_sweeps):
        for site in order:
            old = np.int64(states[site])
            new, s0, s1, s2, s3 = _other_state(q, old, s0, s1, s2, s3)
            d = 0
            for c in range(z):
                nb = neighbors[site, c]
                if nb < 0:
                    break
                t = states[nb]
                d += np.int64(t == new) - np.int64(t == old)
            f = np.int64(new == 0) - np.int64(old == 0)
            u, s0, s1, s2, s3 = step_plus(s0, s1, s2, s3)
            a = np.int64(u < thresholds[(f + 1) * width + d + z])
            states[site] = old + a * (new - old)
            satisfied += a * d
            n0 += a * f
        _record(out_e, out_n0, sweep, thin, satisfied, n0, form)
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return satisfied, n0


@njit(cache=True, nogil=True)
def heat_bath(
    states, neighbors, order, q, weights, rng, sweep0, n_sweeps, thin, satisfied, n0, form,
    out_e, out_n0,
):  # fmt: skip
    """Heat-bath sweeps: each site drawn anew from its conditional distribution
    ``P(k) ~ exp(beta (J n_k + h [k == 0]))`` (n_k: neighbours in state k).

    Relative to the most favoured state b, the weight of state k is
    ``weights[(n_k - n_b + z) 3 + [k == 0] - [b == 0] + 1]`` (tabulated once, 1 at a tie,
    0 below it at ``beta = inf``).  Returns (satisfied, n0).
    """
    z = neighbors.shape[1]
    counts = np.zeros(q, np.int64)
    weight = np.empty(q)
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    for sweep in range(sweep0, sweep0 + n_sweeps):
        for site in order:
            counts[:] = 0
            for c in range(z):
                nb = neighbors[site, c]
                if nb < 0:
                    break
                counts[states[nb]] += 1
            best = 0
            for k in range(1, q):
                if form[0] * (counts[k] - counts[best]) > form[1] * np.int64(best == 0):
                    best = k
            total = 0.0
            for k in range(q):
                i = (counts[k] - counts[best] + z) * 3 + np.int64(k == 0) - np.int64(best == 0) + 1
                weight[k] = weights[i]
                total += weight[k]
            draw, s0, s1, s2, s3 = step_plus(s0, s1, s2, s3)
            u = draw * _UNIT * total
            new = 0
            acc = weight[0]
            while acc <= u and new < q - 1:
                new += 1
                acc += weight[new]
            old = states[site]
            states[site] = new
            satisfied += counts[new] - counts[old]
            n0 += np.int64(new == 0) - np.int64(old == 0)
        _record(out_e, out_n0, sweep, thin, satisfied, n0, form)
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return satisfied, n0


@njit(cache=True, nogil=True)
def wolff(
    states, neighbors, q, add_threshold, rng, sweep0, n_sweeps, clusters_per_sweep, thin,
    satisfied, n0, form, out_e, out_n0, out_flipped, stack,
):  # fmt: skip
    """Wolff single-cluster updates (zero field, J >= 0), ``clusters_per_sweep`` a sweep.

    A cluster grows from a random site over bonds to neighbours in the same state, each
    taken when a 53-bit draw is below ``add_threshold`` (p = 1 - exp(-beta J)), and moves
    to a random other state.  A site on the stack is marked by the state MARKED (it needs
    no other mark, and counts as its old state); it takes the new state when it leaves
    the stack, and the satisfied bonds change by its neighbours in the new state minus
    those in the old one at that moment (bonds inside the cluster cancel).
    ``out_flipped[k]`` counts the sites moved between records.  Returns (satisfied, n0).
    """
    n = states.shape[0]
    z = neighbors.shape[1]
    flipped = 0
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    for sweep in range(sweep0, sweep0 + n_sweeps):
        for _ in range(clusters_per_sweep):
            seed, s0, s1, s2, s3 = below(n, s0, s1, s2, s3)
            old = np.int64(states[seed])
            new, s0, s1, s2, s3 = _other_state(q, old, s0, s1, s2, s3)
            states[seed] = MARKED
            stack[0] = seed
            top = 1
            size = 0
            while top > 0:
                top -= 1
                site = stack[top]
                for c in range(z):
                    nb = neighbors[site, c]
                    if nb < 0:
                        break
                    t = states[nb]
                    if t == new:
                        satisfied += 1
                    elif t == old:
                        satisfied -= 1
                        u, s0, s1, s2, s3 = step_plus(s0, s1, s2, s3)
                        if u < add_threshold:
                            states[nb] = MARKED
                            stack[top] = nb
                            top += 1
                    elif t == MARKED:
                        satisfied -= 1
                states[site] = new
                size += 1
            n0 += size * (np.int64(new == 0) - np.int64(old == 0))
            flipped += size
        if (sweep + 1) % thin == 0:
            out_flipped[(sweep + 1) // thin - 1] = flipped
            flipped = 0
        _record(out_e, out_n0, sweep, thin, satisfied, n0, form)
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return satisfied, n0


@njit(cache=True, nogil=True)
def wang_landau(states, neighbors, q, level, log_g, hist, log_f, rng, n_sweeps):
    """Wang-Landau sweeps (N moves at random sites) of a zero-field lattice model.

    ``level`` is the number of unsatisfied bonds (neighbours in different states), the
    bin of ``log_g`` and ``hist``.  Each visit adds ``log_f`` to ``log_g`` and 1 to
    ``hist``.  Returns the final ``level``.
    """
    n, z = neighbors.shape
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    for _ in range(n_sweeps):
        for _ in range(n):
            site, s0, s1, s2, s3 = below(n, s0, s1, s2, s3)
            old = np.int64(states[site])
            new, s0, s1, s2, s3 = _other_state(q, old, s0, s1, s2, s3)
            new_level = level
            for c in range(z):
                nb = neighbors[site, c]
                if nb < 0:
                    break
                t = states[nb]
                new_level -= np.int64(t == new) - np.int64(t == old)
            diff = log_g[level] - log_g[new_level]
            u, s0, s1, s2, s3 = step_plus(s0, s1, s2, s3)
            if diff >= 0.0 or u * _UNIT < np.exp(diff):
                states[site] = new
                level = new_level
            log_g[level] += log_f
            hist[level] += 1
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
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
    fields are updated in O(N) only when a spin changes.  ``state`` is the generator's.
    """
    n_chains, n = spins.shape
    theta = np.empty(n)
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    for c in range(n_chains):
        s = spins[c]
        for i in range(n):
            acc = fields[i]
            for j in range(n):
                acc += couplings[i, j] * s[j]
            theta[i] = acc
        for _ in range(n_sweeps):
            for i in range(n):
                u, s0, s1, s2, s3 = step_plus(s0, s1, s2, s3)
                new = 1 if u * _UNIT * (1.0 + np.exp(-2.0 * theta[i])) < 1.0 else -1
                if new != s[i]:
                    s[i] = new
                    for j in range(n):
                        theta[j] += 2.0 * new * couplings[i, j]
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
