"""The numpy kernel: one chunk of a pass (:class:`maxent._kernel.PassRequest`) computed
with numpy and BLAS, and with compiled loops where they pay.

:class:`NumpyKernel` implements every optional capability.  A chunk's pass takes one of
three routes:

- at most :data:`BLOCK_MAX_FEATURES` features (:data:`BLOCK_COVARIANCE_MAX_FEATURES`
  with the covariance): the whole pass in one compiled read of the chunk
  (:func:`maxent._chunk_loops.block_pass`; not for the accurate log-weights, single
  precision or projected second moments);
- from :data:`FUSED_MIN_FEATURES` features without the covariance: products and first
  moments in one compiled read (:func:`maxent._chunk_loops.weighted_sums`);
- otherwise BLAS products, numpy's elementwise passes and, with at most
  :data:`COMPILED_MAX_FEATURES` features, compiled second moments.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._dot2 import accurate_dot
from ._kernel import (
    HEAVY_COUNT,
    OPTIONAL,
    ChunkInfo,
    HeavyStates,
    Partial,
    PassRequest,
    Screen,
    Sinks,
)

__all__ = [
    "BLOCK_COVARIANCE_MAX_FEATURES",
    "BLOCK_MAX_FEATURES",
    "COMPILED_MAX_FEATURES",
    "FUSED_MIN_FEATURES",
    "NumpyKernel",
]

Array = NDArray[np.float64]

_Ranges = tuple[Array | None, Array | None]  # min and max over a chunk (None: not asked for)


@dataclass(frozen=True)
class _Plan:
    request: PassRequest
    cols: Array  # (m, c): the multipliers, then each distinct range direction and the line
    n_dirs: int  # k: range directions
    dir_cols: tuple[int, ...]  # the column of ``cols`` of each range direction (0: lam)
    line_col: int  # column of ``cols`` holding the line (0: none)
    screen: Screen | None  # which states the covariance may leave out
    product: bool  # whether F @ cols is needed (not at lam = 0 with nothing to project)
    zero_lam: bool


class NumpyKernel:
    """The kernel of in-memory, chunk-source and dask passes: numpy and BLAS on chunks."""

    supports = OPTIONAL

    def plan(self, request: PassRequest, screen: Screen | None) -> _Plan:
        lam = request.lam
        # Each distinct vector once: BLAS's product slows by half from two columns to
        # three at m = 200, and to 2.7x from five (OpenBLAS; no change at m = 10).
        cols = [lam]
        dirs = [] if request.ranges is None else list(request.ranges.T)
        dir_cols = tuple([_column(cols, v) for v in dirs])
        line_col = 0 if request.line is None else _column(cols, request.line, first=1)
        zero_lam = not lam.any()
        return _Plan(
            request=request,
            cols=np.array(cols).T.copy(),
            n_dirs=len(dirs),
            dir_cols=dir_cols,
            line_col=line_col,
            screen=screen if request.covariance and request.screen is not None else None,
            product=not (zero_lam and not dirs and line_col == 0),
            zero_lam=zero_lam,
        )

    def chunk(
        self,
        plan: _Plan,
        features: Array,
        log_prior: Array | None,
        first_row: int,
        sinks: Sinks | None,
    ) -> Partial:
        fc, lq = features, log_prior
        if _block_fuses(plan, fc, lq):
            part = _block_partial(plan, fc, lq, first_row, sinks)
            if part is not None:
                return part
        if _fuses(plan, fc, lq):
            return _fused_partial(plan, fc, lq, first_row, sinks)
        if _uniform_stats(plan, fc, lq):
            # The prior pass without a prior: the features' ranges and sums in one read.
            from ._chunk_loops import column_stats  # numba: imported on first use

            lo, hi, s1 = column_stats(fc)
            return _uniform_partial(plan, fc, first_row, sinks, (lo, hi), s1)
        a, proj = _log_weights(plan, fc, lq)
        line_u = _store_line(plan, a, proj, first_row, sinks)
        dmin, dmax = _chunk_ranges(plan, fc, lq, a, proj, line_u)
        if lq is None and plan.zero_lam:
            # Uniform weights (the prior pass without a prior): plain sums, no exp.
            return _uniform_partial(plan, _centred(plan, fc), first_row, sinks, (dmin, dmax))
        i_top = int(np.argmax(a))
        top = float(a[i_top])
        if top == -np.inf:
            return _empty_partial(plan, fc, first_row, sinks, (dmin, dmax))
        top_states = HeavyStates.of(a, fc, lq, i_top)
        heavy = _heavy_rows(plan.screen, a, top)
        a -= top
        w, s0, info = _weights(plan, a, lq, first_row, sinks, top)
        s1, second = _moments_of(plan, fc, w, s0, heavy)
        covered = 0 if second is None else fc.shape[0] if heavy is None else heavy.size
        return Partial(top, s0, s1, second, dmin, dmax, top_states, info, covered)


def _column(cols: list[Array], v: Array, first: int = 0) -> int:
    """The index of ``v`` in ``cols[first:]``, appended if it is not there yet.  (The line
    starts at 1: it is a column of its own even where it equals lam, whose column the
    accurate log-weights may replace.)"""
    for j in range(first, len(cols)):
        if (cols[j] == v).all():  # (vectors of one length: np.array_equal, faster)
            return j
    cols.append(v)
    return len(cols) - 1


def _block_fuses(plan: _Plan, fc: Array, lq: Array | None) -> bool:
    """Whether a chunk's whole pass is one compiled read (:func:`_block_partial`): at most
    :data:`BLOCK_MAX_FEATURES` features (:data:`BLOCK_COVARIANCE_MAX_FEATURES` for a
    covariance pass), log-weights by the plain product, second moments (if any) of the
    features in double precision."""
    req = plan.request
    m = fc.shape[1]
    return bool(
        0 < m <= (_block_covariance_max() if req.covariance else BLOCK_MAX_FEATURES)
        and fc.flags.c_contiguous
        and fc.dtype == np.float64
        and not req.accurate
        and HEAVY_COUNT == 1
        and not (lq is None and plan.zero_lam and not req.covariance)
        and not (req.covariance and (req.precision != "double" or req.projection is not None))
    )


def _block_partial(
    plan: _Plan, fc: Array, lq: Array | None, first_row: int, sinks: Sinks | None
) -> Partial | None:
    """The partial of a chunk by the compiled :func:`maxent._chunk_loops.block_pass` (None
    where a log-weight is NaN: the numpy path then takes the chunk).

    A screened covariance leaves out whole blocks of 256 rows below the screen.
    """
    from ._chunk_loops import block_pass  # numba: imported on first use

    req = plan.request
    rows = fc.shape[0]
    stop = first_row + rows
    line_a = line_u = p = None
    if plan.line_col and sinks is not None and sinks.line_log_weights is not None:
        assert sinks.line_projections is not None
        line_a = sinks.line_log_weights[first_row:stop]
        line_u = sinks.line_projections[first_row:stop]
    if req.entropy and req.keep_p and sinks is not None and sinks.p is not None:
        p = sinks.p[first_row:stop]
    center = req.center if req.covariance else None
    axis = req.axis_ranges and not plan.n_dirs
    screen = (-np.inf, np.inf)
    if plan.screen is not None:
        floor, window = plan.screen.floor, plan.screen.window
        screen = (-np.inf if floor is None else floor, np.inf if window is None else window)
    out = block_pass(
        fc,
        plan.cols,
        lq,
        center,
        req.covariance,
        plan.line_col if line_a is not None else 0,
        line_a,
        line_u,
        p,
        axis,
        screen,
    )
    if out is None:
        return None
    ranges: _Ranges = (None, None)
    if plan.n_dirs:
        cols = list(plan.dir_cols)
        ranges = (out.lo[cols], out.hi[cols])
    elif axis:
        c = plan.cols.shape[1]
        ranges = (out.lo[c:], out.hi[c:])
    if out.i_top < 0:
        return _empty_partial(plan, fc, first_row, sinks, ranges)
    top_states = None  # (the uniform prior at lambda = 0 names none, as _uniform_partial)
    if not (lq is None and plan.zero_lam):
        lq_top = 0.0 if lq is None else float(lq[out.i_top])
        top_states = HeavyStates(
            np.array([out.top]), fc[out.i_top : out.i_top + 1].copy(), np.array([lq_top])
        )
    info: tuple[ChunkInfo, ...] = ()
    if req.entropy:
        info = (ChunkInfo(first_row, stop, out.top, out.s0, out.weight_log, out.weight_log_prior),)
    second = None
    if out.second is not None:
        second = (out.weight_covered, out.first_covered, out.second)
    return Partial(out.top, out.s0, out.first, second, *ranges, top_states, info, out.covered)


def _fuses(plan: _Plan, fc: Array, lq: Array | None) -> bool:
    """Whether a chunk's pass reads it once for its products and first moments
    (:func:`_fused_partial`): log-weights by the plain product, from
    :data:`FUSED_MIN_FEATURES` features; with the covariance, one in double precision of
    the features themselves beyond :data:`BLOCK_COVARIANCE_MAX_FEATURES` features."""
    req = plan.request
    return bool(
        (not req.covariance or _fused_covariance(req, fc))
        and not req.accurate
        and plan.product
        and not (lq is None and plan.zero_lam)
        and fc.shape[1] >= FUSED_MIN_FEATURES
        and fc.flags.c_contiguous
        and fc.dtype == np.float64
    )


def _fused_covariance(req: PassRequest, fc: Array) -> bool:
    """Whether a covariance pass takes :func:`_fused_partial`'s route (BLAS's second
    moments after the fused read): double precision, no projection, more features than
    the one-read block pass takes."""
    return (
        req.precision == "double"
        and req.projection is None
        and fc.shape[1] > _block_covariance_max()
    )


def _fused_partial(
    plan: _Plan, fc: Array, lq: Array | None, first_row: int, sinks: Sinks | None
) -> Partial:
    """The partial of a chunk whose products, log-weights and first moments come from
    one compiled read of it (:func:`maxent._chunk_loops.weighted_sums`), the rest (kept
    line, ranges, kept p, entropy terms) from those per-state values; with the covariance,
    the second moments by BLAS (:func:`_fused_second`).

    Against BLAS's product with the few columns of ``cols`` and a second read for
    ``w @ F`` (OpenBLAS runs the product with three columns ~3.5x slower than with one):
    the reported covariance's pass at 200 features over 1e5 states, one thread,
    241 -> 211 ms (medians).
    """
    from ._chunk_loops import weighted_sums  # numba: imported on first use

    rows = fc.shape[0]
    proj = _scratch("proj", (rows, plan.cols.shape[1]))
    a = _scratch("a", rows)
    top, i_top, s1 = weighted_sums(fc, plan.cols, lq, proj, a)
    line_u = _store_line(plan, a, proj, first_row, sinks)
    ranges = _chunk_ranges(plan, fc, lq, a, proj, line_u)
    if i_top < 0:
        return _empty_partial(plan, fc, first_row, sinks, ranges)
    top_states = HeavyStates.of(a, fc, lq, i_top)
    heavy = _heavy_rows(plan.screen, a, top)
    a -= top
    w, s0, info = _weights(plan, a, lq, first_row, sinks, top)
    if not plan.request.covariance:
        return Partial(top, s0, s1, None, *ranges, top_states, info, 0)
    s1, second = _fused_second(plan, fc, w, s0, s1, heavy)
    covered = fc.shape[0] if heavy is None else heavy.size
    return Partial(top, s0, s1, second, *ranges, top_states, info, covered)


def _fused_second(
    plan: _Plan, fc: Array, w: Array, s0: float, s1: Array, heavy: NDArray[np.intp] | None
) -> tuple[Array, tuple[float, Array, Array]]:
    """The first moments ``s1`` (of the features, fresh) about the request's center, and
    the second part (:func:`_second_part`) from the uncentred chunk: each row centred and
    scaled by ``sqrt(w)`` in one compiled read (no centred copy of the chunk first), then
    a symmetric rank-k update; screened, over the heavy rows only."""
    from ._chunk_loops import centred_scaled  # numba: imported on first use

    center = plan.request.center
    if center is not None:
        s1 -= s0 * center  # (about a center near the mean: |s1| is small; see _cancels)
    if heavy is None:
        y = centred_scaled(fc, center, np.sqrt(w), _scratch("weighted", fc.shape))
        return s1, (s0, s1.copy(), _second_moments(y, None))
    wh, yh = w[heavy], fc[heavy]
    if center is not None:
        yh -= center
    return s1, (float(wh.sum()), np.dot(wh, yh), _second_moments(yh, wh))


def _compiles(fc: Array) -> bool:
    """Whether a chunk's weighted moments are taken by the compiled loop (few features)."""
    return (
        fc.shape[1] <= COMPILED_MAX_FEATURES and fc.flags.c_contiguous and fc.dtype == np.float64
    )


def _moments_of(
    plan: _Plan, fc: Array, w: Array, s0: float, heavy: NDArray[np.intp] | None
) -> tuple[Array, tuple[float, Array, Array] | None]:
    """The chunk's first moments (about the request's center with the covariance) and,
    with the covariance, its :func:`_second_part`."""
    req = plan.request
    fused = req.covariance and heavy is None and req.projection is None
    if fused and req.precision == "double" and _compiles(fc):
        from ._chunk_loops import weighted_moments  # numba: imported on first use

        # Both in one read of the chunk, each row centred as it is read.
        s1, second = weighted_moments(fc, w, req.center)
        return s1, (s0, s1.copy(), second)
    fc = _centred(plan, fc)
    # BLAS (a reduction of w * F along the states would be several times slower), through
    # np.dot: it releases the GIL around the call, np.matmul here does not (the worker
    # threads' products then run one at a time; numpy 2.x, measured 0.9x with two threads
    # against 1.65x for np.dot)
    s1 = np.dot(w, fc)
    return s1, _second_part(plan, fc, w, s0, s1, heavy) if req.covariance else None


def _centred(plan: _Plan, fc: Array) -> Array:
    """The chunk about the request's center where a covariance about one is asked for
    (a copy in a buffer kept per thread), else the chunk itself."""
    req = plan.request
    if req.covariance and req.center is not None:
        out: Array = np.subtract(fc, req.center, out=_scratch("centred", fc.shape))
        return out
    return fc


def _heavy_rows(screen: Screen | None, a: Array, top: float) -> NDArray[np.intp] | None:
    """The rows a screened covariance covers, or None for all (also when more than half
    of them would: indexing them would cost more than it saves)."""
    if screen is None:
        return None
    floor = -np.inf if screen.floor is None else screen.floor
    if screen.window is not None:
        floor = max(floor, top - screen.window)
    if floor == -np.inf:
        return None
    on = np.greater_equal(a, floor, out=_scratch("heavy", a.shape[0], np.bool_))
    if np.count_nonzero(on) > a.shape[0] // 2:
        return None
    return np.flatnonzero(on)


def _log_weights(plan: _Plan, fc: Array, lq: Array | None) -> tuple[Array, Array | None]:
    """The chunk's log-weights ``log q - F @ lam`` and the product ``F @ cols`` (or None)."""
    rows = fc.shape[0]
    a = _scratch("a", rows)
    if not plan.product:  # lambda = 0 and nothing to project (the prior pass): no product
        if lq is None:
            a.fill(0.0)
        else:
            a[:] = lq
        return a, None
    # One tall product (rows, 1 + k): BLAS is fastest this way round for few columns.
    # Into a buffer kept per thread: a fresh array of this size per chunk would cost page
    # faults (measured 30-60% of the product's time).
    proj = np.dot(fc, plan.cols, out=_scratch("proj", (rows, plan.cols.shape[1])))
    if plan.request.accurate:
        np.negative(accurate_dot(fc, plan.request.lam), out=a)
    else:
        np.negative(proj[:, 0], out=a)  # contiguous log-weights
    if lq is not None:
        a += lq
    return a, proj


def _store_line(
    plan: _Plan, a: Array, proj: Array | None, first_row: int, sinks: Sinks | None
) -> Array | None:
    """Write the chunk's log-weights and projections on the line; the projections' slice."""
    if not plan.line_col or sinks is None or sinks.line_log_weights is None:
        return None
    assert proj is not None and sinks.line_projections is not None
    stop = first_row + a.shape[0]
    sinks.line_log_weights[first_row:stop] = a
    line_u = sinks.line_projections[first_row:stop]
    line_u[:] = proj[:, plan.line_col]
    return line_u


def _chunk_ranges(
    plan: _Plan,
    fc: Array,
    lq: Array | None,
    a: Array,
    proj: Array | None,
    line_u: Array | None,
) -> _Ranges:
    """Min and max over the chunk's support of ``F @ d`` (or of the features)."""
    k = plan.n_dirs
    if k and lq is None:
        assert proj is not None
        # Every state counts: reduce contiguous copies (the line's projections just stored,
        # the log-weights, else a copy of the column) rather than strided columns.
        dmin, dmax = np.empty(k), np.empty(k)
        for j, col in enumerate(plan.dir_cols):
            if col == 0:  # lam itself: from the log-weights
                dmin[j], dmax[j] = -a.max(), -a.min()
                continue
            v = line_u if line_u is not None and col == plan.line_col else proj[:, col].copy()
            dmin[j], dmax[j] = v.min(), v.max()
        return dmin, dmax
    if k:
        assert proj is not None
        return _column_ranges(proj[:, list(plan.dir_cols)][np.isfinite(a)])
    if plan.request.axis_ranges:
        return _column_ranges(fc if lq is None else fc[np.isfinite(a)])
    return None, None


def _weights(
    plan: _Plan, a: Array, lq: Array | None, first_row: int, sinks: Sinks | None, top: float
) -> tuple[Array, float, tuple[ChunkInfo, ...]]:
    """The chunk's weights ``exp(a - top)`` (``a`` already shifted), their sum and, with
    ``entropy``, the chunk's information terms; with ``keep_p`` the weights are written
    straight into the kept p."""
    req = plan.request
    if not req.entropy:
        w = np.exp(a, out=a)
        return w, float(w.sum()), ()
    stop = first_row + a.shape[0]
    kept = req.keep_p and sinks is not None and sinks.p is not None
    out = sinks.p[first_row:stop] if kept and sinks is not None and sinks.p is not None else None
    w = np.exp(a, out=_scratch("w", a.shape[0]) if out is None else out)
    s0 = float(w.sum())
    if lq is None:  # every log-weight is finite
        info = ChunkInfo(first_row, stop, top, s0, float(np.dot(w, a)), 0.0)
    else:  # 0 log 0 = 0: states off the support take no part
        on = w > 0
        info = ChunkInfo(
            first_row, stop, top, s0, float(np.dot(w[on], a[on])), float(np.dot(w[on], lq[on]))
        )
    return w, s0, (info,)


def _second_part(
    plan: _Plan, fc: Array, w: Array, s0: float, s1: Array, heavy: NDArray[np.intp] | None
) -> tuple[float, Array, Array]:
    """``(weight, first, second moments)`` over the states the covariance covers (all, or
    the heavy ones when screened), of ``fc`` or of its projections."""
    req = plan.request
    if heavy is not None:
        w, fc = w[heavy], fc[heavy]
        s0, s1 = float(w.sum()), np.dot(w, fc)
    if req.projection is not None:
        shape = (fc.shape[0], req.projection.shape[1])
        y = np.dot(fc, req.projection, out=_scratch("projected", shape))
        return s0, np.dot(w, y), _second_moments(y, w)
    # (A copy of s1: merges scale each array of a partial in place.)
    if req.precision == "single" and heavy is None:
        return s0, s1.copy(), _second_moments_single(fc, w, s0, s1)
    return s0, s1.copy(), _second_moments(fc, w)


def _uniform_stats(plan: _Plan, fc: Array, lq: Array | None) -> bool:
    """Whether a chunk of the uniform prior at lambda = 0 takes its features' ranges and
    sums from one compiled read (:func:`maxent._chunk_loops.column_stats`): the ranges of
    the features themselves asked for, no line, from 8 features (below, numpy's are as
    fast), and sums about 0 (no covariance about a center)."""
    req = plan.request
    return bool(
        lq is None
        and plan.zero_lam
        and req.axis_ranges
        and not plan.n_dirs
        and not plan.line_col
        and not (req.covariance and req.center is not None)
        and fc.shape[1] >= 8
        and fc.flags.c_contiguous
        and fc.dtype == np.float64
    )


def _uniform_partial(
    plan: _Plan,
    fc: Array,
    first_row: int,
    sinks: Sinks | None,
    ranges: _Ranges,
    s1: Array | None = None,
) -> Partial:
    """A chunk of the uniform prior at lambda = 0: every weight 1 (``s1``: the features'
    sums over the chunk, when already taken)."""
    req = plan.request
    rows = fc.shape[0]
    info: tuple[ChunkInfo, ...] = ()
    if req.entropy:
        info = (ChunkInfo(first_row, first_row + rows, 0.0, float(rows), 0.0, 0.0),)
        if req.keep_p and sinks is not None and sinks.p is not None:
            sinks.p[first_row : first_row + rows] = 1.0
    w = np.ones(rows)
    if s1 is None:
        s1 = np.dot(w, fc)
    s0 = float(rows)
    second = None
    if req.covariance and req.projection is not None:
        y = np.dot(fc, req.projection, out=_scratch("projected", (rows, req.projection.shape[1])))
        second = (s0, np.dot(w, y), _second_moments(y, None))
    elif req.covariance and req.precision == "single":
        second = (s0, s1.copy(), _second_moments_single(fc, None, s0, s1))
    elif req.covariance:
        second = (s0, s1.copy(), _second_moments(fc, None))
    return Partial(0.0, s0, s1, second, *ranges, None, info, rows if req.covariance else 0)


def _empty_partial(
    plan: _Plan, fc: Array, first_row: int, sinks: Sinks | None, ranges: _Ranges
) -> Partial:
    """A chunk with no state on the support."""
    req = plan.request
    rows, m = fc.shape
    info: tuple[ChunkInfo, ...] = ()
    if req.entropy:
        info = (ChunkInfo(first_row, first_row + rows, -np.inf, 0.0, 0.0, 0.0),)
        if req.keep_p and sinks is not None and sinks.p is not None:
            sinks.p[first_row : first_row + rows] = 0.0
    second = None
    if req.covariance:
        dim = m if req.projection is None else req.projection.shape[1]
        second = (0.0, np.zeros(dim), np.zeros((dim, dim)))
    return Partial(-np.inf, 0.0, np.zeros(m), second, *ranges, None, info)


# -- chunk arithmetic ---------------------------------------------------------------------------
def _column_ranges(x: Array) -> tuple[Array, Array]:
    """Minimum and maximum of each column of ``x`` (rows, k); +inf and -inf without rows.

    numpy reduces a C-ordered block along its rows slowly when it has few columns (an
    inner loop per row): there, a transposed copy reduced row by row is ~10x faster, and
    from 8 columns one compiled read of the block faster still (4.5x at 10 columns, 2.4x
    at 200).
    """
    k = x.shape[1]
    if x.shape[0] == 0:
        return np.full(k, np.inf), np.full(k, -np.inf)
    if k >= 8 and x.flags.c_contiguous:
        from ._chunk_loops import column_ranges  # numba: imported on first use

        return column_ranges(np.asarray(x, dtype=np.float64))
    if k > 16:
        return x.min(axis=0), x.max(axis=0)
    xt = x.T.copy()  # contiguous columns: ~3x faster than reducing strided ones (k = 3)
    return xt.min(axis=1), xt.max(axis=1)


_buffers = threading.local()
_SCRATCH_MAX = 1 << 21  # float64 entries (16 MB): larger work arrays are not kept


def _scratch(name: str, shape: int | tuple[int, ...], dtype: Any = np.float64) -> Any:
    """A work array of ``shape`` (float64 unless ``dtype``) kept per thread (contents
    undefined).

    Chunk passes reuse these instead of allocating per chunk; nothing returned from a
    chunk may be a view of one.  Arrays beyond 16 MB (chunks far larger than the
    default) are allocated each time instead of being kept.
    """
    if isinstance(shape, int):
        shape = (shape,)
    size = math.prod(shape)
    if size > _SCRATCH_MAX:
        return np.empty(shape, dtype=dtype)
    store = getattr(_buffers, "arrays", None)
    if store is None:
        store = _buffers.arrays = {}
    buf = store.get(name)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = store[name] = np.empty(max(size, 1), dtype=dtype)
    return buf[:size].reshape(shape)


# Most features for which a chunk's weighted first and second moments are taken by a
# compiled loop (:mod:`maxent._chunk_loops`: 1.9-2.8x faster than BLAS's first and second
# moments at 3 to 12 features, single-threaded on chunks of the default size).
COMPILED_MAX_FEATURES = 12
# Up to this many features a chunk's whole pass is one compiled read of it (see
# maxent._chunk_loops.block_pass); a covariance pass up to BLOCK_COVARIANCE_MAX_FEATURES,
# which depends on the vectors numba compiles for (see _block_covariance_max).
BLOCK_MAX_FEATURES = 12
# None: decided on first use from the host CPU.  Where numba's vectors are 512 bits wide
# (AVX-512), 64: solves with 16-64 constraints (easy, hard and inverse-Ising families,
# interleaved A/B against 12 on a Xeon) ran 2-31% faster, at 80-105 only 1-8%.  With
# 256-bit vectors (AVX2) the compiled second moments do half the work per instruction
# and BLAS's are as fast or faster from 13 features: on an AMD EPYC (OpenBLAS's Haswell
# kernels) solves were 0-15% slower through the compiled loop at 20-64 features (easy,
# n = 1e5, m = 50: 68 against 59 ms), so there only BLOCK_MAX_FEATURES take it.
BLOCK_COVARIANCE_MAX_FEATURES: int | None = None
# From this many features, a pass without the covariance reads each chunk once, by a
# compiled loop (see maxent._chunk_loops.weighted_sums).
FUSED_MIN_FEATURES = 13


def _block_covariance_max() -> int:
    """:data:`BLOCK_COVARIANCE_MAX_FEATURES`, decided from the host CPU on first use."""
    global BLOCK_COVARIANCE_MAX_FEATURES  # (a benign race: every thread finds the same)
    if BLOCK_COVARIANCE_MAX_FEATURES is None:
        BLOCK_COVARIANCE_MAX_FEATURES = 64 if _wide_vectors() else BLOCK_MAX_FEATURES
    return BLOCK_COVARIANCE_MAX_FEATURES


def _wide_vectors() -> bool:
    """Whether numba compiles for 512-bit vectors here (LLVM's host CPU has AVX-512F)."""
    from llvmlite import binding  # (numba's own dependency, loaded by the first pass)

    try:
        return bool(binding.get_host_cpu_features().get("avx512f", False))
    except RuntimeError:  # (LLVM could not tell)
        return False


def _second_moments(fc: Array, w: Array | None) -> Array:
    """sum_i w_i F_i F_i^T (w = 1 if None).

    From 40 columns on, a symmetric rank-k update on ``sqrt(w) F`` (half the flops of
    the general product: ~1.7x faster at 200 columns); below, the general product
    ``(w F)^T F``, which BLAS runs faster for thin blocks.  (Either rounds differently
    per chunking at the 1e-16 level; the back ends share this code, so they agree.)
    """
    if w is None:
        out: Array = np.dot(fc.T, fc)  # the product of a matrix with its transpose: syrk
        return out
    if _compiles(fc):
        from ._chunk_loops import weighted_moments  # numba: imported on first use

        return weighted_moments(fc, w)[1]  # few features: one compiled loop
    if fc.shape[1] >= 40:
        g = np.multiply(fc, np.sqrt(w)[:, None], out=_scratch("weighted", fc.shape))
        out = np.dot(g.T, g)
        return out
    out = np.dot(np.multiply(fc, w[:, None], out=_scratch("weighted", fc.shape)).T, fc)
    return out


def _second_moments_single(fc: Array, w: Array | None, s0: float, s1: Array) -> Array:
    """sum_i w_i F_i F_i^T (w = 1 if None) from a single-precision product.

    The chunk is centred on its own mean ``s1 / s0`` (in double precision) before it is
    rounded to single, so the product's rounding is relative to the spread within the
    chunk, not to the features' offsets; the mean's part is added back in double.
    Weights below 1e-36 of the heaviest (w is scaled to max 1) are dropped: single
    precision would make them subnormal, which is slow and adds nothing.
    """
    from ._chunk_loops import centred_single  # numba: imported on first use

    mu = s1 / s0
    y = _scratch("single", fc.shape, np.float32)
    sw = None
    if w is not None:
        sw = np.sqrt(w)
        sw[sw < 1e-18] = 0.0
    if fc.flags.c_contiguous and fc.dtype == np.float64:
        centred_single(fc, mu, sw, y)
    else:
        np.subtract(fc, mu, out=y, casting="same_kind")
        if sw is not None:
            y *= sw.astype(np.float32)[:, None]
    out: Array = np.dot(y.T, y).astype(np.float64) + np.outer(s1, mu)
    return out
