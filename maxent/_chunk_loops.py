"""Compiled loops of the moment kernel: a chunk's whole pass with few features, first and
second moments, and the ranges of a chunk's columns.

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

With a handful of features, a whole pass over a chunk is one compiled read of it
(:func:`block_pass`): each block of 256 rows is copied column by column as above, and the
products ``F @ cols``, the log-weights, their exponentials (range reduction and a
polynomial, vectorised: the libm ``exp`` numba calls runs per element), the kept line and
weights, the ranges (lane by lane: numba's running minimum does not vectorise) and the
first (and second) moments are all taken from that copy while it sits in the L1 cache,
with a running maximum of the log-weights (a streaming log-sum-exp).  Against numpy and
BLAS on the same chunk (a product, a dozen elementwise passes over per-state arrays, then
a second read for the moments), the passes of a Newton solve with 10 features over 1e6
states on two threads: 15.3 -> ~10 ms without the covariance, 18.5 -> ~12.5 ms with it
(in a solve, quiet machine); besides the single read, it runs without the GIL, which the
many small numpy calls per chunk held.

Compiled by numba (without the GIL, for the pass's worker threads; cached on disk: the
first call in a fresh environment compiles, later processes load the cache).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = [
    "block_pass",
    "centred_scaled",
    "centred_single",
    "column_ranges",
    "column_stats",
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
    # Each block of rows is copied column by column, so that every sum runs along
    # contiguous memory and vectorises over the rows: with a handful of features, loops
    # over the columns are too short for that.  (The moments as block_pass takes them.)
    y = np.empty((m, _BLOCK))
    u = np.empty(_BLOCK)
    acc, acc1, acc1h = np.zeros((m, m)), np.zeros(m), np.zeros(m)
    for i0 in range(0, rows, _BLOCK):
        n = min(_BLOCK, rows - i0)
        _copy_block(fc, i0, n, y)
        _block_moments(y, w[i0 : i0 + n], u, n, center, True, True, acc1, acc1h, acc)
    for j in range(m):
        first[j] = acc1[j]
        for k in range(j, m):
            out[j, k] = out[k, j] = acc[j, k]


@njit(cache=True, nogil=True)
def _copy_block(fc, i0, n, y):  # pragma: no cover - compiled
    # Rows i0 .. i0 + n of the chunk, column by column into y.
    for k in range(fc.shape[1]):
        for r in range(n):
            y[k, r] = fc[i0 + r, k]


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


@njit(cache=True, nogil=True, fastmath={"contract", "nsz"})
def _column_stats(x, lo, hi, sums):  # pragma: no cover - compiled
    # Four rows per sweep of the columns: each column's running minimum, maximum and sum
    # is loaded and stored once per four rows, and the sweep (elementwise over the
    # columns) vectorises.  min and max drop NaN; the sums keep it (see column_stats).
    rows, k = x.shape
    i = 0
    while i + 4 <= rows:
        for j in range(k):
            v0, v1, v2, v3 = x[i, j], x[i + 1, j], x[i + 2, j], x[i + 3, j]
            lo[j] = min(lo[j], min(min(v0, v1), min(v2, v3)))
            hi[j] = max(hi[j], max(max(v0, v1), max(v2, v3)))
            sums[j] += (v0 + v1) + (v2 + v3)
        i += 4
    while i < rows:
        for j in range(k):
            v = x[i, j]
            lo[j] = min(lo[j], v)
            hi[j] = max(hi[j], v)
            sums[j] += v
        i += 1
    for j in range(k):
        if sums[j] != sums[j]:  # a NaN in the column (or both infinities)
            lo[j] = hi[j] = np.nan


def column_stats(
    x: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Minimum, maximum and sum of each column of a C-ordered float64 block, in one read
    of it (fresh arrays).  Where a column holds a NaN (or both infinities) its minimum and
    maximum are NaN; without rows they are +inf and -inf."""
    k = x.shape[1]
    lo, hi, sums = np.full(k, np.inf), np.full(k, -np.inf), np.zeros(k)
    _column_stats(x, lo, hi, sums)
    return lo, hi, sums


def column_ranges(
    x: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Minimum and maximum of each column of a C-ordered float64 block (NaN where a column
    has one; +inf and -inf without rows), in one read of it."""
    lo, hi, _ = column_stats(x)
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
    # Block by block of rows: the products and log-weights (four rows at a time), the
    # block's heaviest row (a new maximum rescales the sums: a streaming log-sum-exp),
    # the weights by the vectorised exp of block_pass, then the first moments four rows
    # at a time (the rows still in the cache).
    rows, m = fc.shape
    top, i_top, s0 = -np.inf, -1, 0.0
    # Rows per block: their features (32 kB) still in the L1 cache for the moments.
    size = min(_BLOCK, max(8, (4096 // max(m, 1)) // 4 * 4))
    d, w = np.empty(size), np.empty(size)
    k_bits = np.empty(size, dtype=np.int64)
    for b0 in range(0, rows, size):
        n = min(size, rows - b0)
        i = b0
        while i + 4 <= b0 + n:
            _four_products(fc, cols_t, i, proj)
            i += 4
        for q in range(i, b0 + n):
            for j in range(cols_t.shape[0]):
                acc = 0.0
                for k in range(m):
                    acc += fc[q, k] * cols_t[j, k]
                proj[q, j] = acc
        block, i_block = -np.inf, -1
        for q in range(b0, b0 + n):
            a[q] = -proj[q, 0] + (lq[q] if has_prior else 0.0)
            if a[q] > block:
                block, i_block = a[q], q
        if block > top:
            scale = np.exp(top - block) if top > -np.inf else 0.0
            s0 *= scale
            for k in range(m):
                first[k] *= scale
            top, i_top = block, i_block
        if top == -np.inf:  # every state so far off the support
            continue
        for r in range(n):
            d[r] = a[b0 + r] - top
        _exp_block(d, w, k_bits, n)  # (0 off the support)
        for r in range(n):
            w[r] = d[r] if d[r] != d[r] else w[r]  # a NaN log-weight stays NaN
            s0 += w[r]
        r = 0
        while r + 4 <= n:  # the first moments of four rows: one load and store of each sum
            w0, w1, w2, w3 = w[r], w[r + 1], w[r + 2], w[r + 3]
            i = b0 + r
            for k in range(m):
                f0 = w0 * fc[i, k] + w1 * fc[i + 1, k]
                first[k] += f0 + w2 * fc[i + 2, k] + w3 * fc[i + 3, k]
            r += 4
        while r < n:
            wr = w[r]
            for k in range(m):
                first[k] += wr * fc[b0 + r, k]
            r += 1
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


def centred_scaled(
    fc: NDArray[np.float64],
    center: NDArray[np.float64] | None,
    sw: NDArray[np.float64],
    out: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``out = (fc - center) * sw[:, None]`` (``center`` None: 0) in double precision, in
    one read of the C-ordered float64 chunk ``fc``: the rows of a second-moment product,
    bit for bit what numpy's subtraction and then product give, without the centred copy
    between them."""
    mu = np.zeros(fc.shape[1]) if center is None else np.ascontiguousarray(center)
    _centred_single(fc, mu, np.ascontiguousarray(sw), True, out)
    return out


# exp(x) for x <= 0 by range reduction x = k ln 2 + r, |r| <= ln 2 / 2, and a degree-13
# Taylor polynomial of e^r (truncation below 1e-17 relative; with the rounding of the
# reduction and of Horner's rule within a few units in the last place of libm's exp),
# scaled by 2^k through the exponent bits.  Below _EXP_LOW it is 0: such weights are
# below 1e-307 of the heaviest state's, and e^x there would be subnormal.
_LN2_HI = 6.93147180369123816490e-01  # ln 2 to 32 bits: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_LOG2E = 1.4426950408889634
_EXP_LOW = -708.0


@njit(cache=True, nogil=True, fastmath={"contract"})  # (reassociation would undo the split ln 2)
def _exp_block(d, w, k_bits, n):  # pragma: no cover - compiled
    for r in range(n):
        x = max(d[r], _EXP_LOW)
        kf = np.floor(x * _LOG2E + 0.5)
        t = (x - kf * _LN2_HI) - kf * _LN2_LO
        q = 1.0 / 6227020800.0
        q = q * t + 1.0 / 479001600.0
        q = q * t + 1.0 / 39916800.0
        q = q * t + 1.0 / 3628800.0
        q = q * t + 1.0 / 362880.0
        q = q * t + 1.0 / 40320.0
        q = q * t + 1.0 / 5040.0
        q = q * t + 1.0 / 720.0
        q = q * t + 1.0 / 120.0
        q = q * t + 1.0 / 24.0
        q = q * t + 1.0 / 6.0
        q = q * t + 0.5
        q = q * t + 1.0
        w[r] = q * t + 1.0
        k_bits[r] = np.int64(kf) << 52
    wb = w.view(np.int64)
    for r in range(n):
        wb[r] += k_bits[r]
    for r in range(n):
        if d[r] < _EXP_LOW:
            w[r] = 0.0


@njit(cache=True, nogil=True)
def _count_nan(d, n):
    k = 0
    for r in range(n):
        k += d[r] != d[r]
    return k


@njit(cache=True, nogil=True, fastmath=_FAST)
def _block_products(fc, i0, n, cols_t, y, pr):  # pragma: no cover - compiled
    # The block's rows copied column by column into y, then each column of the products
    # along them (contiguous: vectorised over the rows).
    m = fc.shape[1]
    _copy_block(fc, i0, n, y)
    for j in range(cols_t.shape[0]):
        pj = pr[j]
        for r in range(n):
            pj[r] = y[0, r] * cols_t[j, 0]
        for k in range(1, m):
            ck = cols_t[j, k]
            yk = y[k]
            for r in range(n):
                pj[r] += yk[r] * ck


@njit(cache=True, nogil=True, fastmath=_FAST)
def _lane_ranges(pr, y, d, n, has_prior, lo_l, hi_l):  # pragma: no cover - compiled
    # Ranges over the support lane by lane (elementwise, so vectorised; folded at the
    # end): each column of the products, then each feature where lo_l has rows for them.
    c = pr.shape[0]
    for j in range(lo_l.shape[0]):
        pj = pr[j] if j < c else y[j - c]
        lj = lo_l[j]
        hj = hi_l[j]
        if has_prior:
            for r in range(n):
                on = d[r] > -np.inf
                v = pj[r]
                lj[r] = v if on and v < lj[r] else lj[r]
                hj[r] = v if on and v > hj[r] else hj[r]
        else:
            for r in range(n):
                v = pj[r]
                lj[r] = v if v < lj[r] else lj[r]
                hj[r] = v if v > hj[r] else hj[r]


@njit(cache=True, nogil=True, fastmath=_FAST)
def _block_moments(y, w, u, n, center, covariance, second, acc1, acc1h, acc):  # pragma: no cover
    # The block's weighted first moments (with the covariance, about the center) into
    # acc1, and with ``second`` into acc1h too, with the triangle of its second moments
    # into acc.
    m = y.shape[0]
    if covariance:
        for k in range(m):
            ck = center[k]
            yk = y[k]
            for r in range(n):
                yk[r] -= ck
    for j in range(m):
        s = 0.0
        yj = y[j]
        for r in range(n):
            v = w[r] * yj[r]
            u[r] = v
            s += v
        acc1[j] += s
        if second:
            acc1h[j] += s
            k = j  # one triangle (symmetric by construction), four columns per sweep of u
            while k + 4 <= m:
                y0, y1, y2, y3 = y[k], y[k + 1], y[k + 2], y[k + 3]
                t0, t1, t2, t3 = 0.0, 0.0, 0.0, 0.0
                for r in range(n):
                    ur = u[r]
                    t0 += ur * y0[r]
                    t1 += ur * y1[r]
                    t2 += ur * y2[r]
                    t3 += ur * y3[r]
                acc[j, k] += t0
                acc[j, k + 1] += t1
                acc[j, k + 2] += t2
                acc[j, k + 3] += t3
                k += 4
            while k < m:
                t0 = 0.0
                yk = y[k]
                for r in range(n):
                    t0 += u[r] * yk[r]
                acc[j, k] += t0
                k += 1


@njit(cache=True, nogil=True, fastmath=_FAST)
def _block_max(d, n, top):  # pragma: no cover - compiled
    # The block's largest log-weight where it is above top (else -inf): a vectorised
    # count first, the maximum itself only when some row is above.
    above = 0
    for r in range(n):
        above += d[r] > top
    block = -np.inf
    if above:
        for r in range(n):
            block = max(block, d[r])
    return block


@njit(cache=True, nogil=True, fastmath=_FAST)
def _fix_kept(p_out, rows, block_tops, top):  # pragma: no cover - compiled
    # Kept weights of blocks taken before the last new maximum, rescaled to it.
    for b, i0 in enumerate(range(0, rows, _BLOCK)):
        bt = block_tops[b]
        if bt == -np.inf:  # (blocks before the first state of the support: not written)
            for r in range(i0, min(rows, i0 + _BLOCK)):
                p_out[r] = 0.0
        elif bt != top:
            scale = np.exp(bt - top)
            for r in range(i0, min(rows, i0 + _BLOCK)):
                p_out[r] *= scale


@njit(cache=True, nogil=True, fastmath=_FAST)
def _block_pass(  # pragma: no cover - compiled
    fc,
    cols_t,
    lq,
    has_prior,
    center,
    covariance,
    floor,
    window,
    line_col,
    a_out,
    u_out,
    p_out,
    keep,
    axis,
    first,
    first_h,
    second,
    lo,
    hi,
    block_tops,
    sums,
):
    rows, m = fc.shape
    c = cols_t.shape[0]
    y, pr = np.empty((m, _BLOCK)), np.empty((c, _BLOCK))
    d, w, u = np.empty(_BLOCK), np.empty(_BLOCK), np.empty(_BLOCK)
    k_bits = np.empty(_BLOCK, dtype=np.int64)
    acc, acc1, acc1h = np.zeros((m, m)), np.zeros(m), np.zeros(m)  # (h: screened blocks)
    top, i_top, s0, h0, ent, ent_q, n_nan, covered = -np.inf, -1, 0.0, 0.0, 0.0, 0.0, 0, 0
    n_r = c + m if axis else c  # ranges of the products' columns, then of the features
    lo_l, hi_l = np.full((n_r, _BLOCK), np.inf), np.full((n_r, _BLOCK), -np.inf)
    for b, i0 in enumerate(range(0, rows, _BLOCK)):
        n = min(_BLOCK, rows - i0)
        _block_products(fc, i0, n, cols_t, y, pr)
        for r in range(n):  # the log-weights, in d
            d[r] = (lq[i0 + r] if has_prior else 0.0) - pr[0, r]
        n_nan += _count_nan(d, n)
        block = _block_max(d, n, top)
        _lane_ranges(pr, y, d, n, has_prior, lo_l, hi_l)
        if line_col > 0:
            for r in range(n):
                a_out[i0 + r] = d[r]
                u_out[i0 + r] = pr[line_col, r]
        if block > top:  # a new maximum: its row, and the sums rescaled to it
            for r in range(n):
                if d[r] == block:
                    i_top = i0 + r
                    break
            if top > -np.inf:
                scale = np.exp(top - block)
                ent = scale * (ent + (top - block) * s0)
                s0, ent_q = s0 * scale, ent_q * scale
                h0 *= scale
                acc1 *= scale
                acc1h *= scale
                acc *= scale
            top = block
        block_tops[b] = top
        if top == -np.inf:  # no state of the support yet
            continue
        for r in range(n):
            d[r] -= top
        _exp_block(d, w, k_bits, n)
        b0 = 0.0
        for r in range(n):  # (0 log 0 = 0: w = 0 below _EXP_LOW, where d is clipped)
            b0 += w[r]
            ent += w[r] * max(d[r], _EXP_LOW)
        s0 += b0
        if has_prior:
            for r in range(n):
                ent_q += w[r] * max(lq[i0 + r], -1e300)
        if keep:
            for r in range(n):
                p_out[i0 + r] = w[r]
        heavy = 0  # rows on the screen: above its floor, and within its window of the
        if covariance:  # running maximum (which only rises: a block left out stays out)
            low = max(floor - top, -window)
            for r in range(n):
                heavy += d[r] >= low
            covered += n if heavy else 0
            h0 += b0 if heavy else 0.0
        _block_moments(y, w, u, n, center, covariance, heavy > 0, acc1, acc1h, acc)
    if keep and top > -np.inf:
        _fix_kept(p_out, rows, block_tops, top)
    for j in range(n_r):
        lo[j], hi[j] = lo_l[j].min(), hi_l[j].max()
    for j in range(m):
        first[j], first_h[j] = acc1[j], acc1h[j]
        for k in range(j, m):
            second[j, k] = second[k, j] = acc[j, k]
    sums[0], sums[1], sums[2], sums[3], sums[4] = top, s0, ent, ent_q, h0
    return i_top, n_nan, covered


class BlockSums(NamedTuple):
    """What :func:`block_pass` returns for a chunk."""

    top: float  # largest log-weight (-inf: no state on the support)
    i_top: int  # its row (-1: none)
    s0: float  # sum of exp(a - top)
    weight_log: float  # sum w (a - top)
    weight_log_prior: float  # sum w log q
    first: NDArray[np.float64]  # sum w F (about the center with the covariance)
    second: NDArray[np.float64] | None  # sum w (F - center)(F - center)^T
    lo: NDArray[np.float64]  # min over the support of each column of F @ cols (then of F)
    hi: NDArray[np.float64]
    covered: int  # rows the second moments cover (whole blocks with a state on the screen)
    weight_covered: float  # sum of their weights
    first_covered: NDArray[np.float64]  # and of their w F (about the center)


def block_pass(
    fc: NDArray[np.float64],
    cols: NDArray[np.float64],
    lq: NDArray[np.float64] | None,
    center: NDArray[np.float64] | None,
    covariance: bool,
    line_col: int,
    line_log_weights: NDArray[np.float64] | None,
    line_projections: NDArray[np.float64] | None,
    p: NDArray[np.float64] | None,
    axis_ranges: bool = False,
    screen: tuple[float, float] = (-np.inf, np.inf),
) -> BlockSums | None:
    """One chunk's pass in one read of it (few features): products, weights and moments.

    ``fc`` a C-ordered float64 ``(rows, m)`` chunk, ``cols`` ``(m, c)`` with the
    multipliers first, ``lq`` the log prior (None: 0).  The log-weights are
    ``a = lq - fc @ cols[:, 0]``, the weights ``w = exp(a - top)``.  With ``line_col`` > 0
    writes ``a`` into ``line_log_weights`` and ``fc @ cols[:, line_col]`` into
    ``line_projections``; with ``p``, ``w`` into it (each slice the chunk's rows).  The
    moments are about ``center`` (None: 0) with the covariance, about 0 without.  The
    ranges are those of each column of ``fc @ cols`` over the support, followed with
    ``axis_ranges`` by those of each feature.  ``screen = (floor, window)``: the second
    moments leave out each block of 256 rows with no log-weight above ``floor`` and within
    ``window`` of the largest one so far (such rows carry below the screen's share of p:
    see :class:`maxent._kernel.Screen`); the first moments cover every row.  None where a
    log-weight is NaN (the caller's numpy path decides what that means).
    """
    m, c = cols.shape
    rows = fc.shape[0]
    first, first_h = np.empty(m), np.empty(m)
    second = np.empty((m, m))
    lo, hi = np.empty(c + m if axis_ranges else c), np.empty(c + m if axis_ranges else c)
    sums = np.empty(5)
    none = np.zeros(1)
    i_top, n_nan, covered = _block_pass(
        fc,
        np.ascontiguousarray(cols.T),
        none if lq is None else lq,
        lq is not None,
        np.zeros(m) if center is None else np.array(center, dtype=np.float64),  # (writable:
        covariance,  # one compiled signature, not a second for read-only centers)
        float(screen[0]),
        float(screen[1]),
        line_col,
        none if line_log_weights is None else line_log_weights,
        none if line_projections is None else line_projections,
        none if p is None else p,
        p is not None,
        axis_ranges,
        first,
        first_h,
        second,
        lo,
        hi,
        np.empty((rows + _BLOCK - 1) // _BLOCK),
        sums,
    )
    if n_nan:
        return None
    return BlockSums(
        float(sums[0]),
        int(i_top),
        float(sums[1]),
        float(sums[2]),
        float(sums[3]),
        first,
        second if covariance else None,
        lo,
        hi,
        int(covered),
        float(sums[4]),
        first_h,
    )
