"""Chunked evaluation of log Z, moments and covariance: the solver's one pass over F.

Everything :func:`maxent.solve` needs from the feature matrix goes through
:class:`MomentEngine`, as map-reduce passes over chunks of states.  One call of
:meth:`MomentEngine.evaluate` reads ``F`` once and returns

- :math:`\\log \\sum_i q_i e^{-\\lambda \\cdot F_i}` over the support (``q`` as given),
- the moments :math:`E_p[F]` and, on request, the covariance :math:`\\mathrm{Cov}_p[F]`,
- on request, the smallest and largest value of :math:`F_i \\cdot d` over the support
  for a few directions ``d`` (feature ranges, certificates of infeasibility and faces).

Chunks are merged with a running maximum (a streaming log-sum-exp), so memory beyond
``F`` is a few chunks.  The support is the set of states with positive prior weight that
also lie on every recorded face (``F_i . d <= threshold``); faces are applied chunk by
chunk, so no per-state array is ever built.

The back-end boundary: an engine is a **block source** (where the states come from:
:class:`ArrayBlocks` for an in-memory matrix, the chunk-source and dask sources of
:mod:`maxent.streaming`) and an **executor** (who runs the per-block tasks and merges
their results in order: :class:`maxent._parallel.ThreadExecutor`, or dask).  Every pass
is ``combine(map(block_task, blocks))`` with the small picklable :class:`PassSpec`;
the engine's own code is the same for every back end.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ._parallel import ThreadExecutor

__all__ = [
    "ArrayBlocks",
    "BlockCheck",
    "BlockSource",
    "EmptySupportError",
    "Evaluation",
    "Executor",
    "MomentEngine",
    "PassSpec",
    "add_parts",
    "block_task",
    "combine_parts",
    "default_chunk_size",
    "information_terms",
    "prepare_chunk",
    "raise_checks",
    "reduce_block",
    "stack_faces",
]

_CHUNK_ELEMENTS = 1 << 17  # ~1 MB of float64 per chunk: stays in L2 cache within a step
# From 8 to 99 constraints, 2 MB chunks: the per-chunk work outweighs numpy's per-call
# overhead (and the worker threads hold the GIL less); measured 10-15% faster solves at
# n = 1e5..1e6.  Fewer columns: the temporaries per row then rival the chunk itself;
# more: the covariance's product runs best on L2-sized blocks.
_CHUNK_ELEMENTS_MID = 1 << 18
_MAX_BLOCKS = 8  # blocks an in-memory matrix is cut into (for the worker threads)


class EmptySupportError(ArithmeticError):
    """No state has positive weight on the current support (internal: the solver turns
    it into an InfeasibleTargetsError naming the constraints)."""


def default_chunk_size(m: int) -> int:
    """Rows per chunk for ``m`` constraints: about 131,072 matrix entries (262,144 for
    8 to 99 constraints), at least 1024 rows."""
    elements = _CHUNK_ELEMENTS_MID if 8 <= m < 100 else _CHUNK_ELEMENTS
    return max(1024, elements // max(m, 1))


@dataclass
class Evaluation:
    """What one pass over the features returns at multipliers ``lam``."""

    lam: NDArray[np.float64]
    log_Z: float  # log sum_i q_i exp(-lam . F_i) over the support, q as given (unnormalised)
    mean: NDArray[np.float64]
    cov: NDArray[np.float64] | None
    dir_min: NDArray[np.float64] | None
    dir_max: NDArray[np.float64] | None
    center: NDArray[np.float64] | None = None  # second moments taken about this point
    single: bool = False  # cov from second moments in single precision (~1e-6 relative)


# -- the boundary: block sources and executors ------------------------------------------------
@dataclass
class BlockCheck:
    """What validating blocks learns: row count, whether the support is non-empty, first error.

    ``error`` is ``(sort key, message)``; merging keeps the error with the smallest key,
    so the reported error does not depend on the order blocks finish in.
    """

    rows: int
    positive: bool
    error: tuple | None = None

    def merge(self, other: BlockCheck | None) -> BlockCheck:
        if other is None:
            return self
        errs = [e for e in (self.error, other.error) if e is not None]
        return BlockCheck(
            self.rows + other.rows,
            self.positive or other.positive,
            min(errs, key=lambda e: e[0]) if errs else None,
        )


@dataclass
class PassSpec:
    """Everything a block task needs for one pass (small and picklable: shipped once)."""

    func: Callable  # func(features_chunk, log_prior_chunk, first_row) -> partial result
    merge: Callable  # associative merge of two partial results, None the identity
    chunk_size: int
    shift: NDArray[np.float64] | None
    inv_scale: NDArray[np.float64] | None
    faces: list
    errstate: dict
    prior_is_log: bool  # blocks carry log prior weights (True) or weights (False)
    validate: Callable | None = None  # validate(features, prior, first_row) -> BlockCheck


class BlockSource(Protocol):
    """Where the states come from.

    ``m`` constraints; ``n`` states (None until the first pass has counted them);
    ``blocks(chunk_size)`` yields the blocks of one pass, in order, each a tuple
    ``(features, prior, first_row)`` of whatever the executor can hand to
    :func:`block_task` (arrays, or dask's delayed blocks); ``prior_is_log`` says whether
    ``prior`` holds log weights; ``validate`` checks a block on the first pass (None when
    the input was checked up front); ``lazy_p(...)`` returns p as a lazy object, or None
    when p is collected in memory during the passes.
    """

    m: int
    n: int | None
    prior_is_log: bool
    validate: Callable | None

    def blocks(self, chunk_size: int) -> Iterator[tuple]: ...

    def lazy_p(self, lam, log_z, total, shift, inv_scale, faces) -> Any: ...


class Executor(Protocol):
    """Who runs the block tasks: ``reduce(task, spec, blocks, combine)``."""

    def reduce(self, task: Callable, spec: Any, blocks, combine: Callable) -> Any: ...


def block_task(spec: PassSpec, block) -> tuple:
    """``(partial result, check)`` of one block of states (runs wherever the executor says)."""
    fb, qb, first_row = block
    with np.errstate(**spec.errstate):
        check = None
        if spec.validate is not None:
            check = spec.validate(fb, qb, first_row)
            if check.error is not None:
                return None, check
        fb = np.asarray(fb, dtype=np.float64)
        if fb.ndim == 1:
            fb = fb[:, None]
        lq = qb
        if qb is not None and not spec.prior_is_log:
            with np.errstate(divide="ignore"):
                lq = np.log(np.asarray(qb, dtype=np.float64))
        part = reduce_block(
            spec.func,
            spec.merge,
            fb,
            lq,
            int(first_row),
            spec.chunk_size,
            spec.shift,
            spec.inv_scale,
            spec.faces,
        )
        return part, check


def combine_parts(spec: PassSpec, parts: list) -> tuple:
    """Merge a list of ``(partial, check)`` pairs in order."""
    with np.errstate(**spec.errstate):
        acc, chk = None, None
        for part, check in parts:
            acc = spec.merge(acc, part)
            chk = check if chk is None else chk.merge(check)
        return acc, chk


class ArrayBlocks:
    """Block source of an in-memory feature matrix: contiguous row blocks, no copies.

    Parameters
    ----------
    features : ndarray, shape (n_states, n_constraints)
        Read but never copied or modified.
    log_prior : ndarray, shape (n_states,), or None
        Log prior weights (``-inf`` off the support); None for the uniform prior.
    """

    prior_is_log = True
    stores_p = True  # p is an array in memory, written during the passes
    validate = None  # checked before the first pass

    def __init__(self, features, log_prior=None):
        self.F = features
        self.n, self.m = features.shape
        self.log_prior = log_prior

    def blocks(self, chunk_size):
        n = self.n
        count = min(_MAX_BLOCKS, max(1, n // (4 * chunk_size)))
        # Block edges near multiples of n / count, on chunk boundaries.
        edges = [0, *((n * j // count) // chunk_size * chunk_size for j in range(1, count)), n]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            lq = None if self.log_prior is None else self.log_prior[a:b]
            yield self.F[a:b], lq, int(a)

    def lazy_p(self, lam, log_z, total, shift, inv_scale, faces):
        return None  # p is collected in memory during the passes

    def check_finite(self):
        """Raise InvalidInputError naming the first NaN or inf in the features."""
        from ._checks import check_finite

        check_finite(self.F, "features")


class MomentEngine:
    """Map-reduce passes over the states of a block source, run by an executor.

    Parameters
    ----------
    source : BlockSource or ndarray
        Where the states come from; an ndarray ``(n_states, n_constraints)`` is wrapped in
        :class:`ArrayBlocks` with ``log_prior``.
    log_prior : ndarray or None
        Only with an ndarray ``source``: log prior weights, ``-inf`` off the support.
    chunk_size : int or None
        Rows per chunk; by default about 1-2 MB of features (:func:`default_chunk_size`).
    executor : Executor, optional
        Who runs the block tasks; a :class:`maxent._parallel.ThreadExecutor` (threads as
        :func:`maxent._parallel.worker_count` allows) by default.
    """

    def __init__(self, source, log_prior=None, chunk_size=None, *, executor=None):
        if isinstance(source, np.ndarray):
            source = ArrayBlocks(source, log_prior)
        self.source = source
        self.executor = ThreadExecutor() if executor is None else executor
        self.m = source.m
        if chunk_size is None:
            chunk_size = default_chunk_size(self.m)
        self.chunk_size = int(chunk_size)
        self.n_passes = 0
        self.shift = None  # affine map of the features, see set_transform
        self.inv_scale = None
        self.faces: list[tuple[NDArray[np.float64], float]] = []
        self._checked = source.validate is None
        self._kept = None  # (lam, weights, parts, big, s0) kept by the last evaluation
        self._p_buffer = None  # where light evaluations write p (reused: only the last counts)
        self._line = None  # (log-weights, F @ line) kept by evaluate(line=...)
        self._line_at = None  # (lam, line) they belong to
        self._line_sub = None  # the states that matter on the segment s in [-1, 0]
        self._top_row = None  # (features, log prior) of the heaviest state of the last pass

    @property
    def n(self):
        """Number of states (None for a chunk source before its first pass)."""
        return self.source.n

    @property
    def keeps_p(self):
        """Whether p is collected in memory (light evaluations then keep it)."""
        return bool(getattr(self.source, "stores_p", False))

    # -- configuration -------------------------------------------------------------------
    def set_transform(self, shift, scale):
        """From now on work with ``(F - shift) / scale``, column by column.

        Used for features with large offsets or extreme magnitudes, so that the log-weights
        and second moments keep full precision and never overflow.  ``scale`` should be a
        power of two (exact).  Everything the engine returns is then in these units.
        """
        self.shift = np.asarray(shift, dtype=np.float64)
        self.inv_scale = 1.0 / np.asarray(scale, dtype=np.float64)
        self._kept = self._line_at = self._top_row = None

    def add_face(self, direction, threshold):
        """Shrink the support to the states with ``F @ direction <= threshold``."""
        self._kept = self._line_at = self._top_row = None
        self.faces.append((np.asarray(direction, dtype=np.float64), float(threshold)))

    def set_faces(self, faces):
        """Replace the recorded faces (e.g. restore an earlier support)."""
        self._kept = self._line_at = self._top_row = None
        self.faces = list(faces)

    def validate(self):
        """Raise InvalidInputError naming the first NaN or inf in the features."""
        check = getattr(self.source, "check_finite", None)
        if check is not None:
            check()

    # -- the pass ------------------------------------------------------------------------
    def _reduce(self, func, merge):
        """``merge``-reduce of ``func(features_chunk, log_prior_chunk, first_row)``.

        One pass: the source's blocks, each cut into chunks (:func:`prepare_chunk`), run
        by the executor; ``merge`` must be associative, with ``None`` as its identity.
        The first pass over lazy input also validates it, block by block.
        """
        self.n_passes += 1
        validate = None if self._checked else self.source.validate
        faces = stack_faces(self.faces) if self.faces else []
        spec = PassSpec(
            func,
            merge,
            self.chunk_size,
            self.shift,
            self.inv_scale,
            faces,
            np.geterr(),
            self.source.prior_is_log,
            validate,
        )
        out = self.executor.reduce(
            block_task, spec, self.source.blocks(self.chunk_size), combine_parts
        )
        part, check = (None, None) if out is None else out
        if validate is not None:
            raise_checks(check)
            self.source.n = check.rows
            self._checked = True
        return part

    # -- the passes ------------------------------------------------------------------------
    def evaluate(
        self,
        lam,
        *,
        hessian=True,
        directions=None,
        center=None,
        line=None,
        keep=None,
        screen=False,
    ):
        """One pass over ``F`` at multipliers ``lam``.

        Parameters
        ----------
        lam : ndarray, shape (m,)
            Finite multipliers.
        hessian : bool or "single"
            Accumulate second moments (the covariance) as well.  ``"single"``: in single
            precision, about each chunk's own mean (combined in double precision), twice
            as fast for many constraints and accurate to ~1e-6 of each entry's scale:
            enough for Newton's first Hessian and for telling well-conditioned
            constraints apart, not for dependent ones (the solver checks, see
            ``solver._single_suffices``).
        directions : ndarray, shape (m, k), optional
            Also return min and max over the support of ``F @ directions``.
        center : ndarray, shape (m,), optional
            Accumulate second moments about this point (ideally close to the mean): needed
            when p is so concentrated that the variance is far below the squared mean,
            where ``E[F F^T] - E[F] E[F]^T`` would cancel.  Costs a subtraction per chunk.
        line : ndarray, shape (m,), optional
            Keep the log-weights at ``lam`` and the projections ``F @ line`` of every state
            (in memory only; ignored for lazy sources), so that :meth:`line_search` can
            evaluate the dual along ``lam + s * line`` without reading ``F`` again.
        keep : bool, optional
            Keep p (in memory) for :meth:`finalize`, so that it needs no pass of its own;
            by default when ``hessian`` is False (such an evaluation is usually the last).
        screen : bool
            Take the covariance only over the states whose log-weight is within
            ``36 + log n`` of the heaviest state of the last pass (its log-weight at
            ``lam`` bounds the largest from below): the others together carry less than
            ``e^-36`` of p's weight.  Cheap where p is concentrated; the covariance is then
            that of p restricted to those states, accurate for Newton's direction (not for
            the reported result).
        """
        lam = np.asarray(lam, dtype=np.float64)
        m = self.m
        given = directions is not None
        # The feature axes themselves: ranges are column minima and maxima, no product.
        axes = (
            given
            and m > 0
            and np.shape(directions) == (m, m)
            and np.array_equal(directions, np.eye(m))
        )
        cols = lam[None, :] if not given or axes else np.vstack([lam, np.asarray(directions).T])
        given = given and (axes or cols.shape[0] > 1)
        k_dirs = cols.shape[0] - 1
        # Directions equal to the multipliers (Newton's certificates along lambda): their
        # range is that of the log-weights, reduced contiguously.
        as_lam = tuple(j for j in range(1, 1 + k_dirs) if np.array_equal(cols[j], lam))
        store, line_col = None, 0
        if line is not None and self.keeps_p:
            line = np.asarray(line, dtype=np.float64)
            # The line's projections come out of the same product as the log-weights
            # (from a direction's column when it is one of them).
            same = [j for j in range(1, cols.shape[0]) if np.array_equal(cols[j], line)]
            if same:
                line_col = same[0]
            else:
                cols = np.vstack([cols, line])
                line_col = cols.shape[0] - 1
            if self._line is None:
                self._line = (np.empty(self.n), np.empty(self.n))
            store = self._line
            self._line_at = None
        cols = np.ascontiguousarray(cols.T)  # (m, 1 + k): F @ cols is a tall product
        if center is not None and not hessian:
            center = None

        if keep is None:
            keep = not hessian
        kept = None
        if keep and self.keeps_p:
            # A light evaluation is usually the last one: keep p and the entropy terms it
            # needs (cheap here, chunk in cache) so that finalize() needs no other pass.
            if self._p_buffer is None:
                self._p_buffer = np.empty(self.n)
            kept = (self._p_buffer, {})

        floor = self._screen_floor(lam) if screen and hessian else None

        def chunk(fc, lq, c0):
            return _moment_partial(
                fc,
                lq,
                cols,
                k_dirs,
                hessian,
                m,
                center,
                None if kept is None else (kept[0], kept[1], c0),
                axes,
                None if store is None else (store[0], store[1], c0, line_col),
                floor,
                as_lam,
            )

        big, s0, s1, s2, dmin, dmax, top_row = self._reduce(chunk, _merge_moments)
        if top_row is not None:
            self._top_row = (top_row[1], top_row[2])
        if store is not None:
            self._line_at = (lam.copy(), line.copy(), len(self.faces))
        if s0 == 0.0:  # faces recorded together may leave no state: the solver decides
            raise EmptySupportError("no state of the support lies on every recorded face")
        log_z = big + np.log(s0)
        if kept is not None:
            # Normalised only if finalize() uses them (most evaluations are not the last).
            self._kept = (lam.copy(), kept[0], kept[1], big, s0)
        mean = s1 / s0  # about the center, if any
        cov = None
        if hessian:
            h0, h1, h2 = s2
            if not h0 > 0.0:  # no state above the screening floor: rounding beat its bound
                return self.evaluate(
                    lam, hessian=hessian, directions=directions, center=center, keep=keep
                )
            mh = h1 / h0
            cov = h2 / h0 - np.outer(mh, mh)
            cov = 0.5 * (cov + cov.T)
        if center is not None:
            mean = mean + center
        if directions is not None and not given:  # no constraints: empty ranges
            dmin = dmax = np.zeros(0)
        return Evaluation(
            lam.copy(),
            float(log_z),
            mean,
            cov,
            dmin if directions is not None else None,
            dmax if directions is not None else None,
            None if center is None else np.array(center, dtype=np.float64),
            single=hessian == "single",
        )

    def _screen_floor(self, lam):
        """Log-weight below which a state's share of p at ``lam`` is negligible, or None.

        The heaviest state of the last pass has log-weight ``lq - F . lam`` at ``lam``,
        a lower bound on the largest; states ``36 + log n`` below it carry together less
        than ``e^-36`` (2e-16) of p's weight, below the curvature Newton's method resolves.
        The floor is lowered further by the rounding of ``F . lam`` (for multipliers so
        large that it exceeds 36 nats, screening is off in effect).
        """
        if self._top_row is None or not self.n or lam is None:
            return None
        row, lq_top = self._top_row
        rounding = 16 * self.m * _EPS * float(np.abs(row) @ np.abs(lam))
        floor = lq_top - float(row @ lam) - 36.0 - np.log(self.n) - rounding
        return floor if np.isfinite(floor) else None

    def line_at(self, lam, line):
        """Whether :meth:`line_search` can run along ``lam + s * line`` (kept by the last
        ``evaluate(lam, line=line)`` on the current support)."""
        at = self._line_at
        return (
            at is not None
            and np.array_equal(at[0], lam)
            and np.array_equal(at[1], line)
            and at[2] == len(self.faces)
        )

    def log_weights_at(self, lam):
        """The log-weight of every state at ``lam`` (``-inf`` off the support), if the last
        pass that kept a line was at ``lam`` on the current support; else None.

        No copy: valid until the next pass that keeps a line.
        """
        at = self._line_at
        if at is None or at[2] != len(self.faces) or not np.array_equal(at[0], lam):
            return None
        return self._line[0]

    def subset(self, rows):
        """An engine over the states ``rows`` only (on the current support), in the same
        units; None for sources not in memory.

        Its passes read a copy of those rows: a working set for Newton's method where p
        is concentrated on a small part of the states (see :mod:`maxent._newton`).
        """
        src = self.source
        if not isinstance(src, ArrayBlocks):
            return None
        lq = None if src.log_prior is None else src.log_prior[rows]
        sub = MomentEngine(src.F[rows], lq, executor=self.executor)
        if self.shift is not None:
            sub.shift, sub.inv_scale = self.shift, self.inv_scale
        return sub

    def line_search(self, s):
        """log Z, E[F @ d] and Var[F @ d] at ``lam + s * d``, from the kept line (no pass).

        ``lam`` and ``d`` are those of the last ``evaluate(lam, line=d)``; check with
        :meth:`line_at` first.  For ``-1 <= s <= 0`` only the states that can carry
        weight somewhere on that segment take part (found once per line: a log-weight
        more than ``40 + log n`` below the largest at every point of the segment changes
        nothing in float64); other ``s`` use every state.  No read of ``F``.
        """
        la, lu = self._line
        if -1.0 <= s <= 0.0:
            if self._line_sub is None or self._line_sub[0] is not self._line_at:
                self._line_sub = (self._line_at, *_segment_states(la, lu))
            la, lu = self._line_sub[1], self._line_sub[2]
        with np.errstate(invalid="ignore"):  # -inf (off the support) - s * u stays -inf
            x = la - s * lu
        top = float(np.max(x, initial=-np.inf))
        if top == -np.inf:
            return -np.inf, 0.0, 0.0
        w = np.exp(np.subtract(x, top, out=x), out=x)
        s0 = float(w.sum())
        mu = float(w @ lu) / s0
        du = lu - mu
        var = float(w @ (du * du)) / s0
        return top + float(np.log(s0)), mu, max(var, 0.0)

    def project_ranges(self, directions):
        """Min and max over the support of ``F @ directions`` (one pass)."""
        d = np.asarray(directions, dtype=np.float64)

        def chunk(fc, lq, _):
            pk = np.dot(d.T, fc.T)
            if lq is not None:
                pk = pk[:, np.isfinite(lq)]
            if pk.shape[1] == 0:
                return None
            return pk.min(axis=1), pk.max(axis=1)

        def merge(a, b):
            if a is None or b is None:
                return b if a is None else a
            return np.minimum(a[0], b[0]), np.maximum(a[1], b[1])

        return self._reduce(chunk, merge)

    def projected_covariance(self, directions, center, lam=None):
        """Covariance of ``(F - center) @ directions`` under the prior, or under p at
        multipliers ``lam`` (one pass).

        Projecting each state first, then taking second moments, resolves combinations of
        features that are constant up to rounding, which ``d^T Cov d`` cannot.  Under p,
        only the states that carry weight take part (see ``screen`` in :meth:`evaluate`).
        """
        d = np.asarray(directions, dtype=np.float64)
        floor = self._screen_floor(lam)

        def chunk(fc, lq, _):
            if lam is not None:
                lq = (0.0 if lq is None else lq) - fc @ lam
                if floor is not None:
                    heavy = np.flatnonzero(lq >= floor)
                    if heavy.size < fc.shape[0] // 2:
                        fc, lq = fc[heavy], lq[heavy]
                        if not heavy.size:
                            return None
            y = (fc - center) @ d
            if lq is None:
                w = np.ones(fc.shape[0])
                top = 0.0
            else:
                top = float(lq.max())
                if top == -np.inf:
                    return None
                w = np.exp(lq - top)
            wy = y * w[:, None]
            return top, float(w.sum()), wy.sum(axis=0), wy.T @ y, None, None

        _, s0, s1, s2, _, _ = self._reduce(chunk, _merge_moments)
        mean = s1 / s0
        cov = s2 / s0 - np.outer(mean, mean)
        return 0.5 * (cov + cov.T)

    def covariance_with(self, p, center):
        """Covariance of the features under the in-memory weights ``p`` (one pass).

        Second moments are taken about ``center`` (p's mean, as far as the caller knows),
        so nothing cancels however concentrated p is.  Returns ``(cov, offset)`` with
        ``offset = E_p[F] - center`` as this pass finds it: rounding, unless ``F`` or
        ``p`` changed since ``center`` was computed.
        """
        center = np.asarray(center, dtype=np.float64)

        def chunk(fc, lq, c0):
            w = p[c0 : c0 + fc.shape[0]]
            y = np.subtract(fc, center, out=_scratch("centred", fc.shape))
            return float(w.sum()), w @ y, _second_moments(y, w)

        s0, s1, s2 = self._reduce(chunk, add_parts)
        offset = s1 / s0
        cov = s2 / s0 - np.outer(offset, offset)
        return 0.5 * (cov + cov.T), offset

    def release(self):
        """Drop the per-state buffers kept between passes (the engine may be kept for a
        later :meth:`covariance_with`)."""
        self._kept = self._p_buffer = self._line = self._line_at = self._line_sub = None
        self._top_row = None

    def finalize(self, ev):
        """p, entropy ``-sum p log p`` and ``sum p log q`` at evaluation ``ev`` (one pass).

        ``q`` is the prior as given (1 per state without one).  In memory, p is an array
        with one entry per state (0 off the support); for lazy sources it is what the
        source's ``lazy_p`` builds (nothing per state is computed here).
        """
        kept = self._kept
        if kept is not None and np.array_equal(kept[0], ev.lam):
            self._kept = None  # the buffer becomes the result's p
            self._p_buffer = None
            return _normalise_kept(*kept[1:])
        lam, log_z = ev.lam, ev.log_Z
        out = np.empty(self.n) if self.keeps_p else None

        def chunk(fc, lq, c0):
            log_p = -(fc @ lam) - log_z
            if lq is not None:
                log_p += lq
            p = np.exp(log_p)
            if out is not None:
                out[c0 : c0 + fc.shape[0]] = p
            return information_terms(p, log_p, lq)

        total, ent, cross = self._reduce(chunk, add_parts)
        entropy, cross = ent / total + np.log(total), cross / total
        if out is None:
            p = self.source.lazy_p(
                lam.copy(), float(log_z), total, self.shift, self.inv_scale, list(self.faces)
            )
            return p, entropy, cross
        # Renormalise exactly: with huge multipliers this pass's rounding of lam . F can
        # differ from the evaluation's by ~1e-16 |lam| |F|.
        out /= total
        return out, entropy, cross

    def extreme_rows(self, directions):
        """Feature vectors (engine units) of the states in the support minimising F @ d."""
        d = np.asarray(directions, dtype=np.float64)

        def chunk(fc, lq, _):
            pk = np.dot(d.T, fc.T)
            if lq is not None:
                pk = np.where(np.isfinite(lq)[None, :], pk, np.inf)
            i = np.argmin(pk, axis=1)
            return pk[np.arange(pk.shape[0]), i], fc[i]

        def merge(a, b):
            if a is None or b is None:
                return b if a is None else a
            better = b[0] < a[0]
            return np.where(better, b[0], a[0]), np.where(better[:, None], b[1], a[1])

        return _unique_rows(self._reduce(chunk, merge)[1])

    def lowest_rows(self, direction, offset, count):
        """The ``count`` states of the support with the smallest ``F @ d - offset``.

        Returns ``(values, rows)`` sorted by value, rows in engine units (one pass).
        """
        d = np.asarray(direction, dtype=np.float64)

        def chunk(fc, lq, _):
            v = fc @ d - offset
            if lq is not None:
                v = np.where(np.isfinite(lq), v, np.inf)
            if v.shape[0] > count:
                part = np.argpartition(v, count - 1)[:count]
                return v[part], fc[part]
            return v, np.array(fc)

        def merge(a, b):
            if a is None or b is None:
                return b if a is None else a
            v = np.concatenate([a[0], b[0]])
            r = np.concatenate([a[1], b[1]])
            if v.shape[0] > count:
                part = np.argpartition(v, count - 1)[:count]
                v, r = v[part], r[part]
            return v, r

        v, r = self._reduce(chunk, merge)
        order = np.argsort(v)
        keep = np.isfinite(v[order])
        return v[order][keep], r[order][keep]


def prepare_chunk(features, log_prior, shift, inv_scale, faces):
    """One chunk as the passes see it: features in engine units, log prior on the support.

    Applies the affine map ``(F - shift) * inv_scale`` (when ``shift`` is not None) and
    the recorded faces: states with ``F @ d > threshold`` for some face ``(d, threshold)``
    get log prior ``-inf``.  ``faces`` is a list of ``(d, threshold)`` or, stacked, a pair
    ``(D, thresholds)`` (see :func:`stack_faces`): one product per chunk for all faces.
    Shared by every back end, so they all see the same support.
    """
    fc = features
    if shift is not None:
        fc = fc * inv_scale - shift * inv_scale  # never overflows, unlike fc - shift
    lq = log_prior
    if len(faces):
        dirs, thr = stack_faces(faces)
        on = np.all(fc @ dirs <= thr, axis=1)
        lq = np.where(on, 0.0 if lq is None else lq, -np.inf)
    return fc, lq


def stack_faces(faces):
    """Faces as one matrix of directions (m, k) and a vector of thresholds (k,)."""
    if isinstance(faces, tuple):
        return faces
    return (
        np.column_stack([d for d, _ in faces]),
        np.array([thr for _, thr in faces], dtype=np.float64),
    )


def reduce_block(func, merge, features, log_prior, first_row, chunk_size, shift, inv_scale, faces):
    """``merge``-reduce of ``func(chunk, log_prior_chunk, first_row)`` over a block of rows.

    The block (rows ``first_row ...`` of the whole problem, in memory) is cut into chunks
    of ``chunk_size`` rows, each prepared by :func:`prepare_chunk`.
    """
    acc = None
    n = features.shape[0]
    for c0 in range(0, n, chunk_size):
        c1 = min(c0 + chunk_size, n)
        lq = None if log_prior is None else log_prior[c0:c1]
        fc, lq = prepare_chunk(features[c0:c1], lq, shift, inv_scale, faces)
        acc = merge(acc, func(fc, lq, first_row + c0))
    return acc


def raise_checks(check: BlockCheck | None) -> None:
    """Raise the error the first pass found in lazy input, if any."""
    from .errors import InvalidInputError

    if check is not None and check.error is not None:
        raise InvalidInputError(check.error[1])
    if check is None or check.rows == 0:
        raise InvalidInputError("`features` has no rows; give at least one state.")
    if not check.positive:
        raise InvalidInputError("`prior` is zero everywhere: the support is empty.")


def information_terms(p, log_p, lq):
    """This chunk's ``sum p``, ``-sum p log p`` and ``sum p log q`` (0 log 0 = 0)."""
    if lq is None:  # every log p is finite: p log p is 0 exactly where p underflows
        return float(p.sum()), -float(np.dot(p, log_p)), 0.0
    on = p > 0
    ent = -float(np.dot(p[on], log_p[on]))
    cross = float(np.dot(p[on], lq[on]))
    return float(p.sum()), ent, cross


def add_parts(a, b):
    """Element-wise sum of two tuples of partial sums (None is the identity)."""
    if a is None or b is None:
        return b if a is None else a
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _normalise_kept(out, parts, big, s0):
    """Turn the kept per-chunk weights into p, the entropy and sum p log q."""
    log_z = big + np.log(s0)
    plogp = 0.0
    cross = 0.0
    for c0, (top, c1, sw, swd, swq) in parts.items():
        if top == -np.inf:  # no state of the support in this chunk: p = 0 there already
            continue
        scale = np.exp(top - big) / s0
        out[c0:c1] *= scale
        plogp += scale * (swd + (top - log_z) * sw)  # sum p log p over the chunk
        cross += scale * swq
    return out, max(-plogp, 0.0), cross


def _moment_partial(
    fc, lq, cols, k, hessian, m, center, keep=None, axes=False, line=None, floor=None, as_lam=()
):
    """Partial sums of one chunk: running max of the log-weights and the weighted sums.

    ``cols`` is ``(m, 1 + k [+ 1])``: the multipliers, ``k`` directions whose ranges are
    wanted, and (with ``line``) the direction whose projections are kept.
    With ``keep = (out, parts, first_row)`` the chunk's weights ``exp(a - top)`` go into
    ``out`` and ``parts[first_row]`` records what normalising them and the entropy need.
    With ``line = (log_weights, projections, first_row, column)`` the chunk's log-weights
    and its projections on that column of ``cols`` are written there.
    ``axes``: also the column minima and maxima (ranges of the features themselves).
    ``floor``: second moments only over the states with log-weight >= floor (the others
    carry a negligible share of p; see :meth:`MomentEngine.evaluate`).
    ``as_lam``: the columns of ``cols`` equal to the multipliers' (ranges from the
    log-weights).
    Returns ``(top, s0, s1, s2, dmin, dmax, top_row)`` with ``s2`` the triple
    ``(weight, first moments, second moments)`` of the states it covers.
    """
    rows = fc.shape[0]
    dmin = dmax = None
    if k == 0 and line is None and not np.any(cols[:, 0]):
        # lambda = 0 and nothing to project (the prior pass): no product at all.
        proj = None
        a = _scratch("a", rows)
        if lq is None:
            a.fill(0.0)
        else:
            a[:] = lq
    else:
        # One tall product (rows, 1 + k): BLAS is fastest this way round for few
        # columns.  Into a buffer kept per thread: a fresh array of this size per chunk
        # would cost page faults (measured 30-60% of the product's time).
        proj = np.matmul(fc, cols, out=_scratch("proj", (rows, cols.shape[1])))
        a = np.negative(proj[:, 0], out=_scratch("a", rows))  # contiguous log-weights
        if lq is not None:
            a += lq
    if line is not None:
        la, lu, c0, col = line
        c1 = c0 + fc.shape[0]
        la[c0:c1] = a
        lu[c0:c1] = proj[:, col]
    if k and lq is None:
        # Every state counts: reduce contiguous copies where there are some (the line's
        # projections just stored, the log-weights) rather than strided columns.
        dmin, dmax = np.empty(k), np.empty(k)
        for j in range(1, 1 + k):
            if j in as_lam:
                dmin[j - 1], dmax[j - 1] = -a.max(), -a.min()
                continue
            v = lu[c0:c1] if line is not None and j == line[3] else proj[:, j]
            dmin[j - 1], dmax[j - 1] = v.min(), v.max()
    elif k:
        dmin, dmax = _column_ranges(proj[:, 1 : 1 + k][np.isfinite(a)])
    elif axes:
        dmin, dmax = _column_ranges(fc if lq is None else fc[np.isfinite(a)])
    raw = fc
    if hessian and center is not None:
        fc = np.subtract(fc, center, out=_scratch("centred", fc.shape))
    if lq is None and not np.any(cols[:, 0]):
        # Uniform weights (the prior pass without a prior): plain sums, no exp, no scaling.
        w = np.ones(fc.shape[0])
        if keep is not None:
            out, parts, c0 = keep
            out[c0 : c0 + fc.shape[0]] = 1.0
            parts[c0] = (0.0, c0 + fc.shape[0], float(fc.shape[0]), 0.0, 0.0)
        s1 = w @ fc
        s0 = float(fc.shape[0])
        s2 = None
        if hessian == "single":
            s2 = (s0, s1, _second_moments_single(fc, None, s0, s1))
        elif hessian:
            s2 = (s0, s1, _second_moments(fc, None))
        return 0.0, s0, s1, s2, dmin, dmax, None
    i_top = int(np.argmax(a))
    top = a[i_top]
    if top == -np.inf:
        if keep is not None:
            out, parts, c0 = keep
            out[c0 : c0 + fc.shape[0]] = 0.0
            parts[c0] = (top, c0 + fc.shape[0], 0.0, 0.0, 0.0)
        zero = (0.0, np.zeros(m), np.zeros((m, m))) if hessian else None
        return -np.inf, 0.0, np.zeros(m), zero, dmin, dmax, None
    top_row = (float(top), raw[i_top].copy(), 0.0 if lq is None else float(lq[i_top]))
    heavy = None
    if hessian and floor is not None:
        heavy = np.flatnonzero(a >= floor)
        if heavy.size > fc.shape[0] // 2:
            heavy = None
    a -= top
    if keep is None:
        w = np.exp(a, out=a)
        s0 = float(w.sum())
    else:  # the weights go straight into the kept p; a (log-weights) stays for the entropy
        out, parts, c0 = keep
        c1 = c0 + fc.shape[0]
        w = np.exp(a, out=out[c0:c1])
        s0 = float(w.sum())
        if lq is None:
            parts[c0] = (top, c1, s0, float(w @ a), 0.0)
        else:
            on = w > 0
            parts[c0] = (top, c1, s0, float(w[on] @ a[on]), float(w[on] @ lq[on]))
    s1 = w @ fc  # BLAS; a reduction of w * F along the states would be several times slower
    s2 = None
    if hessian == "single" and heavy is None:
        s2 = (s0, s1, _second_moments_single(fc, w, s0, s1))
    elif hessian and heavy is None:
        s2 = (s0, s1, _second_moments(fc, w))
    elif hessian:
        wh, fh = w[heavy], fc[heavy]
        s1h = wh @ fh
        s2 = (float(wh.sum()), s1h, _second_moments(fh, wh))
    return top, s0, s1, s2, dmin, dmax, top_row


def _segment_states(la, lu):
    """Log-weights and projections of the states that matter for ``-1 <= s <= 0``.

    The log-weight ``la - s lu`` is linear in s, so its largest value on the segment is
    ``la + max(lu, 0)``; the largest log-weight of all states at any s is at least
    ``max(la + min(lu, 0))``.  States whose best is ``40 + log n`` below that carry
    less than ``e^-40`` of the weight everywhere on the segment.
    """
    with np.errstate(invalid="ignore"):
        floor = float(np.max(la + np.minimum(lu, 0.0), initial=-np.inf))
        cut = floor - 40.0 - np.log(max(la.size, 1))
        on = la + np.maximum(lu, 0.0) >= cut
    if np.count_nonzero(on) > 0.7 * la.size:
        return la, lu
    return la[on], lu[on]


def _column_ranges(x):
    """Minimum and maximum of each column of ``x`` (rows, k); +inf and -inf without rows.

    numpy reduces a C-ordered block along its rows slowly when it has few columns (an
    inner loop per row): there, column by column is ~10x faster.
    """
    k = x.shape[1]
    if x.shape[0] == 0:
        return np.full(k, np.inf), np.full(k, -np.inf)
    if k >= 8 and x.shape[0] >= 128 and x.flags.c_contiguous:
        return _folded_ranges(x)
    if k > 16:
        return x.min(axis=0), x.max(axis=0)
    lo, hi = np.empty(k), np.empty(k)
    for j in range(k):
        col = x[:, j]
        lo[j], hi[j] = col.min(), col.max()
    return lo, hi


def _folded_ranges(x):
    """Column minima and maxima of a C-ordered block by halving: elementwise min / max of
    its top and bottom halves (contiguous, vectorised) until 64 rows are left.  About
    2.5x faster than reducing along the rows for 10 to 50 columns."""
    h = x.shape[0] // 2
    lo = np.minimum(x[:h], x[h : 2 * h])
    hi = np.maximum(x[:h], x[h : 2 * h])
    rest = x[2 * h :]  # the odd row, if any
    while lo.shape[0] > 64:
        r = lo.shape[0]
        h = r // 2
        if r % 2:
            np.minimum(lo[0], lo[r - 1], out=lo[0])
            np.maximum(hi[0], hi[r - 1], out=hi[0])
        np.minimum(lo[:h], lo[h : 2 * h], out=lo[:h])
        np.maximum(hi[:h], hi[h : 2 * h], out=hi[:h])
        lo, hi = lo[:h], hi[:h]
    lo, hi = lo.min(axis=0), hi.max(axis=0)
    if rest.shape[0]:
        lo, hi = np.minimum(lo, rest[0]), np.maximum(hi, rest[0])
    return lo, hi


_buffers = threading.local()
_EPS = float(np.finfo(np.float64).eps)
_SCRATCH_MAX = 1 << 21  # float64 entries (16 MB): larger work arrays are not kept


def _scratch(name, shape, dtype=np.float64):
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


def _second_moments(fc, w):
    """sum_i w_i F_i F_i^T (w = 1 if None).

    From 40 columns on, a symmetric rank-k update on ``sqrt(w) F`` (half the flops of
    the general product: ~1.7x faster at 200 columns); below, the general product
    ``(w F)^T F``, which BLAS runs faster for thin blocks.  (Either rounds differently
    per chunking at the 1e-16 level; the back ends share this code, so they agree.)
    """
    if w is None:
        return fc.T @ fc  # numpy hands the product of a matrix with its transpose to syrk
    if fc.shape[1] >= 40:
        g = fc * np.sqrt(w)[:, None]
        return g.T @ g
    return np.multiply(fc, w[:, None], out=_scratch("weighted", fc.shape)).T @ fc


def _second_moments_single(fc, w, s0, s1):
    """sum_i w_i F_i F_i^T (w = 1 if None) from a single-precision product.

    The chunk is centred on its own mean ``s1 / s0`` (in double precision) before it is
    rounded to single, so the product's rounding is relative to the spread within the
    chunk, not to the features' offsets; the mean's part is added back in double.
    Weights below 1e-36 of the heaviest (w is scaled to max 1) are dropped: single
    precision would make them subnormal, which is slow and adds nothing.
    """
    mu = s1 / s0
    y = _scratch("single", fc.shape, np.float32)
    np.subtract(fc, mu, out=y, casting="same_kind")
    if w is not None:
        sw = np.sqrt(w)
        sw[sw < 1e-18] = 0.0
        y *= sw.astype(np.float32)[:, None]
    return (y.T @ y).astype(np.float64) + np.outer(s1, mu)


def _merge_moments(a, b):
    """Combine two partial reductions (log-sum-exp merge of the weighted sums).

    Slots: ``(top, s0, s1, s2, dmin, dmax[, top_row])``; ``s2`` is an array or a tuple of
    arrays (screened second moments), ``top_row`` the ``(log-weight, features, log prior)``
    of the heaviest state seen.
    """
    if a is None or b is None:
        return b if a is None else a
    big = max(a[0], b[0])
    if big == -np.inf:
        sa = sb = 1.0
    else:
        sa, sb = np.exp(a[0] - big), np.exp(b[0] - big)
    out = (
        big,
        a[1] * sa + b[1] * sb,
        a[2] * sa + b[2] * sb,
        _scaled_sum(a[3], sa, b[3], sb),
        _min(a[4], b[4]),
        _max(a[5], b[5]),
    )
    if len(a) > 6:
        out += (a[6] if b[6] is None or (a[6] is not None and a[6][0] >= b[6][0]) else b[6],)
    return out


def _scaled_sum(x, sx, y, sy):
    if x is None:
        return None
    if isinstance(x, tuple):
        return tuple(u * sx + v * sy for u, v in zip(x, y, strict=True))
    return x * sx + y * sy


def _min(x, y):
    return None if x is None else np.minimum(x, y)


def _max(x, y):
    return None if x is None else np.maximum(x, y)


def _unique_rows(rows):
    return np.unique(rows, axis=0)
