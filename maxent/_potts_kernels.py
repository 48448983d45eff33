"""Compiled inner loops of the Potts (pairwise, categorical) model fits.

A configuration is a row of ``int8`` codes, site ``i`` in state ``0 .. q-1`` (``-1``:
missing, which contributes nothing).  Parameters are the fields ``h`` (n_sites, q) and
the couplings of each pair ``i < j``, ``e[pair_of[i, j], a, b]`` with ``a`` the state of
``i`` and ``b`` that of ``j``; the log-weight of a configuration is

    sum_i h[i, x_i] + sum_{i<j} e[pair_of[i, j], x_i, x_j].

Every kernel is compiled once by numba (``cache=True``: on disk), works on float32 or
float64 parameters, and releases the GIL (``nogil``) so that the callers can run blocks
of sites or samples on worker threads (:class:`maxent._parallel.ThreadExecutor`); no
kernel starts threads of its own.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

Codes = NDArray[np.int8]  # states 0 .. q-1, -1 missing
IntArray = NDArray[np.int64]
Array = NDArray[np.floating]  # float32 or float64

__all__ = [
    "all_residuals",
    "gibbs_sweeps",
    "indicator_features",
    "identical_neighbours",
    "log_weights",
    "one_hot",
    "pair_table",
    "product_features",
    "pseudolikelihood_sites",
    "scatter_counts",
]


def pair_table(n_sites: int) -> NDArray[np.int64]:
    """``pair_of[i, j]``: row-major index of the pair (min(i, j), max(i, j)); -1 on the
    diagonal."""
    table = np.full((n_sites, n_sites), -1, dtype=np.int64)
    iu = np.triu_indices(n_sites, 1)
    table[iu] = np.arange(iu[0].size)
    table.T[iu] = np.arange(iu[0].size)
    return table


@njit(cache=True, nogil=True)
def _site_block(
    e: Array, pair_of: IntArray, i: int, j: int, block: Array
) -> None:  # pragma: no cover - compiled
    """``block[b, a]``: the coupling of site i in state a with site j in state b."""
    p = pair_of[i, j]
    q = block.shape[0]
    if j > i:
        for a in range(q):
            for b in range(q):
                block[b, a] = e[p, a, b]
    else:
        for b in range(q):
            for a in range(q):
                block[b, a] = e[p, b, a]


@njit(cache=True, nogil=True, inline="always")
def _residual_row(pot: Array, x: int, w: float) -> float:  # pragma: no cover - compiled
    """Turn one conditional's potentials (q,) into w (P(a | rest) - [a = x]) in place
    (0 when x is missing or w is 0); return -w log P(x | rest)."""
    q = pot.shape[0]
    if x < 0 or w == 0.0:
        for a in range(q):
            pot[a] = 0.0
        return 0.0
    top = pot[0]
    for a in range(1, q):
        top = max(top, pot[a])
    z = 0.0
    for a in range(q):
        z += np.exp(pot[a] - top)
    lse = top + np.log(z)
    nll = w * (lse - pot[x])
    for a in range(q):
        pot[a] = w * np.exp(pot[a] - lse)
    pot[x] -= w
    return nll


@njit(cache=True, nogil=True)
def _conditional_residuals(
    pot: Array, xi: Codes, weights: Array
) -> float:  # pragma: no cover - compiled
    """:func:`_residual_row` for every sample of one site: pot (n, q)."""
    nll = 0.0
    for s in range(pot.shape[0]):
        nll += _residual_row(pot[s], xi[s], weights[s])
    return nll


@njit(cache=True, nogil=True)
def pseudolikelihood_sites(
    codes_t: Codes,
    weights: Array,
    h: Array,
    e: Array,
    pair_of: IntArray,
    start: int,
    stop: int,
    grad_h: Array,
    grad_lo: Array,
    grad_hi: Array,
) -> float:  # pragma: no cover - compiled
    """Negative log pseudo-likelihood of sites ``start .. stop-1`` and its gradient.

    ``codes_t`` (n_sites, n_samples) int8, ``weights`` (n_samples,).  Returns
    :math:`-\\sum_s w_s \\sum_i \\log P(x_{si} \\mid x_{s,\\setminus i})` over those sites
    and writes the gradient of it: ``grad_h[i]`` for each of those sites, and for each
    pair (i, j) the part from site i's conditional: into ``grad_lo[pair]`` when i < j,
    into ``grad_hi[pair]`` when i > j (so blocks of sites never write the same entry).
    Memory: one (n_samples, q) array of potentials per call.
    """
    n_sites, n = codes_t.shape
    q = h.shape[1]
    pot = np.empty((n, q), dtype=h.dtype)
    block = np.empty((q, q), dtype=h.dtype)
    acc = np.empty((q, q), dtype=h.dtype)
    nll = 0.0
    for i in range(start, stop):
        for s in range(n):
            for a in range(q):
                pot[s, a] = h[i, a]
        for j in range(n_sites):
            if j == i:
                continue
            _site_block(e, pair_of, i, j, block)
            xj = codes_t[j]
            for s in range(n):
                b = xj[s]
                if b >= 0:
                    for a in range(q):
                        pot[s, a] += block[b, a]
        nll += _conditional_residuals(pot, codes_t[i], weights)
        for a in range(q):
            total = 0.0
            for s in range(n):
                total += pot[s, a]
            grad_h[i, a] = total
        for j in range(n_sites):
            if j == i:
                continue
            acc[:, :] = 0.0
            xj = codes_t[j]
            for s in range(n):
                b = xj[s]
                if b >= 0:
                    for a in range(q):
                        acc[b, a] += pot[s, a]
            p = pair_of[i, j]
            if j > i:
                for a in range(q):
                    for b in range(q):
                        grad_lo[p, a, b] = acc[b, a]
            else:
                for b in range(q):
                    for a in range(q):
                        grad_hi[p, b, a] = acc[b, a]
    return nll


@njit(cache=True, nogil=True)
def log_weights(
    codes: Codes, h: Array, e: Array, pair_of: IntArray, out: Array
) -> None:  # pragma: no cover - compiled
    """``out[s]`` = sum_i h[i, x_si] + sum_{i<j} e[pair, x_si, x_sj] (missing: skipped)."""
    n, n_sites = codes.shape
    for s in range(n):
        x = codes[s]
        total = 0.0
        for i in range(n_sites):
            a = x[i]
            if a < 0:
                continue
            total += h[i, a]
            for j in range(i + 1, n_sites):
                b = x[j]
                if b >= 0:
                    total += e[pair_of[i, j], a, b]
        out[s] = total


@njit(cache=True, nogil=True)
def scatter_counts(
    codes: Codes, weights: Array, out_h: Array, out_e: Array, pair_of: IntArray
) -> None:  # pragma: no cover - compiled
    """Add ``weights[s]`` to ``out_h[i, x_si]`` and ``out_e[pair, x_si, x_sj]`` (the
    weighted one-hot marginals; missing codes skipped)."""
    n, n_sites = codes.shape
    for s in range(n):
        w = weights[s]
        if w == 0.0:
            continue
        x = codes[s]
        for i in range(n_sites):
            a = x[i]
            if a < 0:
                continue
            out_h[i, a] += w
            for j in range(i + 1, n_sites):
                b = x[j]
                if b >= 0:
                    out_e[pair_of[i, j], a, b] += w


@njit(cache=True, nogil=True)
def gibbs_sweeps(
    codes: Codes, h: Array, e: Array, pair_of: IntArray, n_sweeps: int, seed: int
) -> None:  # pragma: no cover - compiled
    """Heat-bath sweeps of independent chains (rows of ``codes``, updated in place).

    Site i takes state a with probability proportional to
    exp(h[i, a] + sum_j e_ij(a, x_j)).  The generator is numba's, seeded with ``seed``
    at the start of the call (one call, one stream).
    """
    np.random.seed(seed)  # noqa: NPY002 - numba's per-thread generator, seeded per call
    n_chains, n_sites = codes.shape
    q = h.shape[1]
    pot = np.empty(q)
    for c in range(n_chains):
        x = codes[c]
        for _ in range(n_sweeps):
            for i in range(n_sites):
                for a in range(q):
                    pot[a] = h[i, a]
                for j in range(n_sites):
                    b = x[j]
                    if j == i or b < 0:
                        continue
                    p = pair_of[i, j]
                    if j > i:
                        for a in range(q):
                            pot[a] += e[p, a, b]
                    else:
                        for a in range(q):
                            pot[a] += e[p, b, a]
                top = pot.max()
                total = 0.0
                for a in range(q):
                    pot[a] = np.exp(pot[a] - top)
                    total += pot[a]
                u = np.random.random() * total  # noqa: NPY002
                a = 0
                while a < q - 1 and u >= pot[a]:
                    u -= pot[a]
                    a += 1
                x[i] = a


@njit(cache=True, nogil=True)
def identical_neighbours(
    codes: Codes, min_identical: int, start: int, stop: int, out: IntArray
) -> None:  # pragma: no cover - compiled
    """``out[s]`` for s in start .. stop-1: how many other rows of ``codes`` agree with
    row s at ``min_identical`` or more positions (missing codes compare equal)."""
    n, n_sites = codes.shape
    for s in range(start, stop):
        x = codes[s]
        count = 0
        for t in range(n):
            if t == s:
                continue
            y = codes[t]
            same = 0
            for k in range(n_sites):
                same += x[k] == y[k]
            if same >= min_identical:
                count += 1
        out[s] = count


@njit(cache=True, nogil=True, inline="always")
def _digits_of(index: int, sizes: IntArray, out: IntArray) -> None:  # pragma: no cover
    """Mixed-radix digits of a configuration index, variable 0 the fastest."""
    for i in range(sizes.size):
        out[i] = index % sizes[i]
        index //= sizes[i]


@njit(cache=True, nogil=True)
def product_features(
    start: int,
    codes: IntArray,
    values: Array,
    n: int,
    first: IntArray,
    second: IntArray,
    out: Array,
) -> None:  # pragma: no cover - compiled
    """Row r of ``out``: v(x_first[t]) * v(x_second[t]) for each term t, with v =
    ``values`` of each binary digit of the ``n`` spins and ``second[t] = n`` (a
    constant 1) for a single site; x is configuration ``start + r`` (its bits), or row
    r of ``codes`` when ``codes`` has rows."""
    n_rows, k = out.shape
    s = np.ones(n + 1)
    for r in range(n_rows):
        for i in range(n):
            bit = codes[r, i] if codes.shape[0] else ((start + r) >> i) & 1
            s[i] = values[bit]
        for t in range(k):
            out[r, t] = s[first[t]] * s[second[t]]


@njit(cache=True, nogil=True)
def indicator_features(
    start: int,
    codes: IntArray,
    sizes: IntArray,
    first: IntArray,
    second: IntArray,
    offsets: IntArray,
    out: Array,
) -> None:  # pragma: no cover - compiled
    """Row r of ``out``: 1 at ``offsets[t] + code`` for each term t, code = x_first
    (``second[t] < 0``: a single site) or x_first * q_second + x_second, 0 elsewhere;
    x is configuration ``start + r`` (mixed radix), or row r of ``codes``."""
    n_rows = out.shape[0]
    k = first.size
    x = np.empty(sizes.size, dtype=np.int64)
    for r in range(n_rows):
        if codes.shape[0]:
            x[:] = codes[r]
        else:
            _digits_of(start + r, sizes, x)
        out[r, :] = 0.0
        for t in range(k):
            j = second[t]
            code = x[first[t]] if j < 0 else x[first[t]] * sizes[j] + x[j]
            out[r, offsets[t] + code] = 1.0


@njit(cache=True, nogil=True)
def all_residuals(pot: Array, codes: Codes, weights: Array) -> float:  # pragma: no cover
    """:func:`_residual_row` for every site of every sample: pot (n, n_sites, q)."""
    n, n_sites, _ = pot.shape
    nll = 0.0
    for s in range(n):
        for i in range(n_sites):
            nll += _residual_row(pot[s, i], codes[s, i], weights[s])
    return nll


@njit(cache=True, nogil=True)
def one_hot(codes: Codes, out: Array) -> None:  # pragma: no cover - compiled
    """``out[s, i * q + x_si] = 1`` (``out`` (n, n_sites * q) zero on entry; missing
    entries stay 0)."""
    n, n_sites = codes.shape
    q = out.shape[1] // n_sites
    for s in range(n):
        for i in range(n_sites):
            a = codes[s, i]
            if a >= 0:
                out[s, i * q + a] = 1.0
