"""Compiled loops of the moment kernel: first and second moments of a chunk with few
features, and the ranges of a chunk's columns.

With a handful of features per state, the weighted second moments
``sum_i w_i F_i F_i^T`` of a chunk by BLAS (``(w F)^T F``: a scaled copy of the chunk,
then a product whose inner dimension is the chunk's length and whose output is a few
dozen numbers) spend their time on the copy and on per-row overhead rather than on
the arithmetic.  :func:`weighted_moments` takes the first and second moments in one
compiled read instead: each block of 256 rows is copied column by column into a small
buffer (centred on the fly when the moments are about a center: no centred copy of the
chunk), and every sum then runs along contiguous memory, vectorised over the rows.
(Loops over the columns, as an earlier version had, are too short with a handful of
features to vectorise: against them, moments about a center 1.4-2.9x faster at 1-7
features, 1.1-1.3x at 9-11, the same at 8 and 12; moments about 0 below 8 features
1.1-1.4x faster; single-threaded, chunks of the default size, on a Xeon with AVX-512.)
Against BLAS, with the first moments ``w @ F`` it needs as well: 2.8x faster at 3
features, 2.3x at 10, 1.9x at 12 (same machine).
The sums are those of any such product (rounding about ``n eps`` of each entry's sum
of absolute terms, in an order fixed by the compiled code: deterministic).

The features' ranges (the prior pass) likewise, in one read of the chunk
(:func:`column_ranges`: 4.5x faster at 10 columns than folding halves by numpy, 2.4x at
200; exact).

With many features, a pass without the covariance reads the chunk twice through BLAS
(``F @ cols`` for the log-weights, then ``w @ F`` for the first moments, once the chunk's
heaviest state is known).  :func:`weighted_sums` does both in one read, row by row, with
a running maximum of the log-weights (the sums are rescaled when it moves, a streaming
log-sum-exp): 1.3x faster at 200 features, 2.2x at 1,000 (single-threaded, 1e5 states),
and without the GIL the worker threads run side by side, which numpy's products on
chunks barely do.

Compiled by numba (without the GIL, for the pass's worker threads; cached on disk: the
first call in a fresh environment compiles, later processes load the cache).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = [
    "centred_single",
    "column_ranges",
    "weighted_moments",
    "weighted_sums",
]


_FAST = {"reassoc", "contract", "nsz"}  # (fixed by the compiled code: still deterministic)
# Rows per block of the second moments: the block's centred columns and one weighted
# column (m x 256 + 256 doubles, 22 kB at m = 10) stay in the L1 cache while they are
# multiplied.
_BLOCK = 256


@njit(cache=True, nogil=True, fastmath=_FAST)
def _weighted_moments(fc, w, center, first, out):  # pragma: no cover - compiled
    rows, m = fc.shape
    # Each block of rows is copied column by column (centred; and weighted), so that
    # every sum below runs along contiguous memory and vectorises over the rows: with a
    # handful of features, loops over the columns are too short for that.
    y = np.empty((m, _BLOCK))
    u = np.empty(_BLOCK)
    acc = np.zeros((m, m))
    acc1 = np.zeros(m)
    for i0 in range(0, rows, _BLOCK):
        r_n = min(_BLOCK, rows - i0)
        for k in range(m):
            ck = center[k]
            for r in range(r_n):
                y[k, r] = fc[i0 + r, k] - ck
        for j in range(m):
            s = 0.0
            for r in range(r_n):
                v = w[i0 + r] * y[j, r]
                u[r] = v
                s += v
            acc1[j] += s
            for k in range(j, m):  # one triangle: symmetric by construction
                s = 0.0
                for r in range(r_n):
                    s += u[r] * y[k, r]
                acc[j, k] += s
    for j in range(m):
        first[j] = acc1[j]
        for k in range(j, m):
            out[j, k] = out[k, j] = acc[j, k]


def weighted_moments(
    fc: NDArray[np.float64], w: NDArray[np.float64], center: NDArray[np.float64] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``sum_i w_i y_i`` and ``sum_i w_i y_i y_i^T`` for ``y_i = fc_i - center`` (``fc_i``
    without a center; fresh arrays, the second symmetric); ``fc`` a C-ordered float64
    ``(rows, m)`` chunk and ``w`` its rows' weights.  The rows are centred in the loop: no
    centred copy of the chunk."""
    m = fc.shape[1]
    w = np.ascontiguousarray(w)
    first, out = np.empty(m), np.empty((m, m))
    c = np.zeros(m) if center is None else np.ascontiguousarray(center, dtype=np.float64)
    _weighted_moments(fc, w, c, first, out)
    return first, out


@njit(cache=True, nogil=True)
def _column_ranges(x, lo, hi):
    rows, k = x.shape
    for i in range(rows):
        for j in range(k):
            v = x[i, j]
            if v < lo[j] or v != v:  # (NaN propagates: once there, no v is below it)
                lo[j] = v
            if v > hi[j] or v != v:
                hi[j] = v


def column_ranges(
    x: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Minimum and maximum of each column of a C-ordered float64 block (NaN where a column
    has one; +inf and -inf without rows), in one read of it."""
    k = x.shape[1]
    lo, hi = np.full(k, np.inf), np.full(k, -np.inf)
    _column_ranges(x, lo, hi)
    return lo, hi


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})
def _four_products(fc, cols_t, i, proj):  # pragma: no cover - compiled
    m = fc.shape[1]
    for j in range(cols_t.shape[0]):  # four rows at once: each column read once for them
        acc0 = acc1 = acc2 = acc3 = 0.0
        for k in range(m):
            cj = cols_t[j, k]
            acc0 += fc[i, k] * cj
            acc1 += fc[i + 1, k] * cj
            acc2 += fc[i + 2, k] * cj
            acc3 += fc[i + 3, k] * cj
        proj[i, j], proj[i + 1, j], proj[i + 2, j], proj[i + 3, j] = acc0, acc1, acc2, acc3


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})
def _weighted_sums(fc, cols_t, lq, has_prior, proj, a, first):  # pragma: no cover - compiled
    rows, m = fc.shape
    top, i_top, s0 = -np.inf, -1, 0.0
    for i in range(0, rows, 4):
        r = min(4, rows - i)
        if r == 4:
            _four_products(fc, cols_t, i, proj)
        else:
            for q in range(i, i + r):
                for j in range(cols_t.shape[0]):
                    acc = 0.0
                    for k in range(m):
                        acc += fc[q, k] * cols_t[j, k]
                    proj[q, j] = acc
        block = -np.inf  # the heaviest of these rows, and the running maximum
        for q in range(i, i + r):
            a[q] = -proj[q, 0] + (lq[q] if has_prior else 0.0)
            if a[q] > block:
                block = a[q]
                if block > top:
                    i_top = q
        if block > top:  # rescale the sums to the new maximum (a streaming log-sum-exp)
            scale = np.exp(top - block) if top > -np.inf else 0.0
            s0 *= scale
            for k in range(m):
                first[k] *= scale
            top = block
        if top == -np.inf:  # every state so far off the support
            continue
        w0 = np.exp(a[i] - top)  # (0 off the support)
        w1 = np.exp(a[i + 1] - top) if r > 1 else 0.0
        w2 = np.exp(a[i + 2] - top) if r > 2 else 0.0
        w3 = np.exp(a[i + 3] - top) if r > 3 else 0.0
        s0 += w0 + w1 + w2 + w3
        if r == 4:  # the first moments of four rows: one load and store of each sum
            for k in range(m):
                f0 = w0 * fc[i, k] + w1 * fc[i + 1, k]
                first[k] += f0 + w2 * fc[i + 2, k] + w3 * fc[i + 3, k]
        else:
            for k in range(m):
                for q, wq in enumerate((w0, w1, w2)):
                    if q < r:
                        first[k] += wq * fc[i + q, k]
    return top, i_top, s0


def weighted_sums(
    fc: NDArray[np.float64],
    cols: NDArray[np.float64],
    lq: NDArray[np.float64] | None,
    proj: NDArray[np.float64],
    a: NDArray[np.float64],
) -> tuple[float, int, NDArray[np.float64]]:
    """A chunk's products and weighted first moments in one read of it.

    Writes ``proj = fc @ cols`` and the log-weights ``a = lq - proj[:, 0]`` (``lq`` the
    log prior, or None for 0) and returns the largest log-weight, its row (-1 where every
    state is off the support) and ``sum_i exp(a_i - top) fc_i`` (a fresh array).  ``fc``
    C-ordered float64 ``(rows, m)``, ``cols`` ``(m, c)``.  Rounding as any dot product's
    (summed in an order of the compiled code's choosing, fixed: deterministic).
    """
    first = np.zeros(fc.shape[1])
    prior = np.zeros(1) if lq is None else np.ascontiguousarray(lq)
    cols_t = np.ascontiguousarray(cols.T)  # (each column contiguous: the dot products vectorise)
    top, i_top, _ = _weighted_sums(fc, cols_t, prior, lq is not None, proj, a, first)
    return float(top), int(i_top), first


@njit(cache=True, nogil=True)
def _centred_single(fc, mu, sw, weighted, out):  # pragma: no cover - compiled
    rows, m = fc.shape
    for i in range(rows):
        s = sw[i] if weighted else 1.0
        for k in range(m):
            out[i, k] = (fc[i, k] - mu[k]) * s


def centred_single(
    fc: NDArray[np.float64],
    mu: NDArray[np.float64],
    sw: NDArray[np.float64] | None,
    out: NDArray[np.float32],
) -> NDArray[np.float32]:
    """``out = (fc - mu) * sw[:, None]`` rounded to single precision (``sw`` None: 1), the
    difference and product in double: a chunk for single-precision second moments, in one
    read of it (numpy's mixed-precision subtraction runs at a fraction of that speed)."""
    weighted = sw is not None
    _centred_single(fc, mu, np.zeros(1) if sw is None else sw, weighted, out)
    return out
