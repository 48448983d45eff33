"""Where the states come from and who runs the passes: the moment engine's back-end boundary.

Every pass over the states is ``combine(map(block_task, blocks))``:

- a **block source** (:class:`BlockSource`) yields the blocks of one pass, each
  ``(features, prior, first_row)``: :class:`ArrayBlocks` cuts an in-memory matrix into
  row blocks (no copies); :mod:`maxent.streaming` adds chunk sources and dask arrays;
- an **executor** (:class:`Executor`) runs :func:`block_task` on every block and merges
  the results in order (:class:`maxent._parallel.ThreadExecutor`, or dask);
- a **reduction** (:class:`Reduction`) says what one chunk of states contributes and how
  two contributions merge; a pass ships one small, picklable :class:`PassSpec`.

Every back end sees the states through the same :class:`Support`: the features in the
engine's units (an exact affine map) and the prior restricted to the recorded faces of the
convex hull (:func:`Support.prepare`), so they all agree on which states count.  A
:class:`Gibbs` value is the distribution itself, ``p_i = q_i e^{-lambda . F_i} / Z``,
evaluated on any states: what lazy sources return as ``p``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ._dot2 import accurate_dot

__all__ = [
    "ArrayBlocks",
    "Block",
    "BlockCheck",
    "BlockSource",
    "Combine",
    "Executor",
    "Face",
    "Gibbs",
    "PassSpec",
    "Reduction",
    "Support",
    "Task",
    "block_task",
    "combine_parts",
    "default_chunk_size",
    "raise_checks",
]

Array = NDArray[np.float64]
Block = tuple[Any, Any, int]  # (features, prior, first_row): arrays, or dask's delayed blocks
Task = Callable[[Any, Any], Any]  # task(spec, block) -> partial result
Combine = Callable[[Any, list[Any]], Any]  # combine(spec, [partial, ...]) -> partial

_CHUNK_ELEMENTS = 1 << 17  # ~1 MB of float64 per chunk: stays in L2 cache within a step
# From 8 to 99 constraints, 2 MB chunks: the per-chunk work outweighs numpy's per-call
# overhead (and the worker threads hold the GIL less); measured 10-15% faster solves at
# n = 1e5..1e6.  Fewer columns: the temporaries per row then rival the chunk itself;
# more: the covariance's product runs best on L2-sized blocks.
_CHUNK_ELEMENTS_MID = 1 << 18
# From 100 constraints, 8 MB chunks: the passes without the covariance read each chunk
# once (see maxent._chunk_loops.weighted_sums), so L2-sized chunks no longer pay, and
# fewer chunks cost less per-chunk overhead (hard n = 1e5, m = 200, two worker threads:
# light and line passes 12-15% faster than at 1,024 rows, covariance passes the same).
_CHUNK_ELEMENTS_WIDE = 1 << 20
_MAX_BLOCKS = 8  # blocks an in-memory matrix is cut into (for the worker threads)


def default_chunk_size(m: int) -> int:
    """Rows per chunk for ``m`` constraints: about 131,072 matrix entries (262,144 for
    8 to 99 constraints, 1,048,576 from 100), at least 1024 rows."""
    if m >= 100:
        elements = _CHUNK_ELEMENTS_WIDE
    else:
        elements = _CHUNK_ELEMENTS_MID if m >= 8 else _CHUNK_ELEMENTS
    return max(1024, elements // max(m, 1))


def _read_only(x: Any) -> Array:
    out = np.array(x, dtype=np.float64)
    out.flags.writeable = False
    return out


# -- which states count, in which units ----------------------------------------------------
@dataclass(frozen=True, eq=False)
class Face:
    """The states with ``F @ direction <= threshold`` (engine units): a face of the hull."""

    direction: Array
    threshold: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "direction", _read_only(self.direction))
        object.__setattr__(self, "threshold", float(self.threshold))


@dataclass(frozen=True, eq=False)
class Support:
    """The states a pass sees and the units it sees them in (a value: replaced, never changed).

    ``(F - shift) * inv_scale`` column by column (no map when ``shift`` is None), and
    only the states on every face in ``faces``.  Compared by identity: anything kept
    from a pass (p, a line) belongs to the one support it was computed on.
    """

    shift: Array | None = None
    inv_scale: Array | None = None
    faces: tuple[Face, ...] = ()
    _tests: _FaceTests | None = field(default=None, init=False, repr=False)

    def _face_tests(self) -> _FaceTests:
        """The faces as the chunks test them (built on first use: a solve that records
        faces one by one makes a support per face, and uses only the last)."""
        tests = self._tests
        if tests is None:
            tests = _FaceTests.of(self.faces)
            object.__setattr__(self, "_tests", tests)
        return tests

    def with_transform(self, shift: Array, scale: Array) -> Support:
        """The same faces, with features mapped to ``(F - shift) / scale``."""
        return Support(_read_only(shift), _read_only(1.0 / np.asarray(scale)), self.faces)

    def with_faces(self, faces: tuple[Face, ...]) -> Support:
        """The same units, on the states of ``faces``."""
        return Support(self.shift, self.inv_scale, tuple(faces))

    def prepare(self, features: Array, log_prior: Array | None) -> tuple[Array, Array | None]:
        """One chunk as the passes see it: features in engine units (float64), log prior
        on the support.

        States off some face get log prior ``-inf``: one product per chunk for all faces.
        Single-precision features are converted here, a chunk at a time.
        """
        fc = features if features.dtype == np.float64 else features.astype(np.float64)
        if self.shift is not None and self.inv_scale is not None:
            fc = (
                fc * self.inv_scale - self.shift * self.inv_scale
            )  # never overflows, unlike fc - shift
        lq = log_prior
        if self.faces:
            on = self._face_tests().on(fc)
            lq = np.where(on, 0.0 if lq is None else lq, -np.inf)
        return fc, lq


@dataclass(frozen=True)
class _FaceTests:
    """Faces split by their directions: along one feature's axis (``coef * F[:, k] <=
    threshold``: a column read, e.g. every zero-target indicator at once) or general
    (one product for all of them)."""

    columns: NDArray[np.intp]
    coef: Array
    axis_threshold: Array
    directions: Array  # (m, general faces)
    threshold: Array

    @classmethod
    def of(cls, faces: tuple[Face, ...]) -> _FaceTests:
        nonzero = [np.flatnonzero(f.direction) for f in faces]
        axis = [i for i, nz in enumerate(nonzero) if nz.size == 1]
        general = [i for i, nz in enumerate(nonzero) if nz.size != 1]
        cols = np.array([nonzero[i][0] for i in axis], dtype=np.intp)
        m = faces[0].direction.size
        return cls(
            cols,
            np.array([faces[i].direction[nonzero[i][0]] for i in axis], dtype=np.float64),
            np.array([faces[i].threshold for i in axis], dtype=np.float64),
            np.array([faces[i].direction for i in general], dtype=np.float64).reshape(-1, m).T,
            np.array([faces[i].threshold for i in general], dtype=np.float64),
        )

    def on(self, fc: Array) -> NDArray[np.bool_]:
        """Which rows of ``fc`` (engine units) are on every face.  An axis face's test is
        the product's own value: ``F @ (c e_k)`` is ``c F[:, k]``, rounded once."""
        on = np.ones(fc.shape[0], dtype=bool)
        if self.columns.size:
            on &= np.all(fc[:, self.columns] * self.coef <= self.axis_threshold, axis=1)
        if self.threshold.size:
            on &= np.all(fc @ self.directions <= self.threshold, axis=1)
        return on


@dataclass(frozen=True, eq=False)
class Gibbs:
    """The distribution ``p_i = q_i exp(-lam . F_i - log_norm)`` on ``support``, as a function
    of the states (features in the caller's units, prior as weights or None for uniform).

    ``lam`` is in the engine's units (``support`` maps the features there); ``log_norm``
    normalises p over the whole state space; ``accurate``: ``F @ lam`` by a compensated
    dot product, as the solve's passes took it.  What lazy sources return as ``p``.
    """

    support: Support
    lam: Array
    log_norm: float
    accurate: bool = False

    def log_p(self, features: Any, prior: Any = None) -> Array:
        """log p of the states with these feature rows (-inf off the support)."""
        fb = np.asarray(features, dtype=np.float64)
        lq = None
        if prior is not None:
            with np.errstate(divide="ignore"):
                lq = np.log(np.asarray(prior, dtype=np.float64))
        fc, lq = self.support.prepare(fb, lq)
        a: Array = -(accurate_dot(fc, self.lam) if self.accurate else fc @ self.lam)
        a -= self.log_norm
        if lq is not None:
            a += lq
        return a

    def p(self, features: Any, prior: Any = None) -> Array:
        """p of the states with these feature rows (0 off the support)."""
        out: Array = np.exp(self.log_p(features, prior))
        return out


# -- the boundary: block sources, executors and the per-pass spec ----------------------------
@dataclass(frozen=True)
class BlockCheck:
    """What validating blocks learns: row count, whether the support is non-empty, first error.

    ``error`` is ``(sort key, message)``; merging keeps the error with the smallest key,
    so the reported error does not depend on the order blocks finish in.
    """

    rows: int
    positive: bool
    error: tuple[tuple[int, ...], str] | None = None

    def merge(self, other: BlockCheck | None) -> BlockCheck:
        if other is None:
            return self
        errs = [e for e in (self.error, other.error) if e is not None]
        return BlockCheck(
            self.rows + other.rows,
            self.positive or other.positive,
            min(errs, key=lambda e: e[0]) if errs else None,
        )


class Reduction(Protocol):
    """What a pass computes: one chunk's contribution, and an associative merge (None is
    its identity).  Must be picklable for a distributed executor."""

    def chunk(self, features: Array, log_prior: Array | None, first_row: int) -> Any: ...

    def merge(self, a: Any, b: Any) -> Any: ...


@dataclass(frozen=True)
class PassSpec:
    """Everything a block task needs for one pass (small and picklable: shipped once)."""

    reduction: Reduction
    support: Support
    chunk_size: int
    errstate: dict[str, Any]
    prior_is_log: bool  # blocks carry log prior weights (True) or weights (False)
    validate: Callable[[Any, Any, int], BlockCheck] | None = None  # first pass over lazy input


class BlockSource(Protocol):
    """Where the states come from.

    ``m`` constraints; ``n`` states (None until the first pass has counted them);
    ``blocks(chunk_size)`` yields the blocks of one pass, in order; ``prior_is_log`` says
    whether a block's prior holds log weights; ``validate`` checks a block on the first
    pass (None when the input was checked up front); ``stores_p`` whether p is collected
    in memory during the passes (else ``lazy_p`` returns it as a lazy object).
    """

    m: int
    n: int | None
    prior_is_log: bool
    stores_p: bool
    validate: Callable[[Any, Any, int], BlockCheck] | None

    def blocks(self, chunk_size: int) -> Iterator[Block]: ...

    def lazy_p(self, gibbs: Gibbs) -> Any: ...


class Executor(Protocol):
    """Who runs the block tasks: ``combine(spec, [task(spec, block), ...])`` in order."""

    def reduce(self, task: Task, spec: Any, blocks: Iterable[Any], combine: Combine) -> Any: ...


def block_task(spec: PassSpec, block: Block) -> tuple[Any, BlockCheck | None]:
    """``(partial result, check)`` of one block of states (runs wherever the executor says).

    The block is cut into chunks of ``spec.chunk_size`` rows, each prepared by the
    support and reduced by ``spec.reduction``.
    """
    fb, qb, first_row = block
    with np.errstate(**spec.errstate):
        check = None
        if spec.validate is not None:
            check = spec.validate(fb, qb, first_row)
            if check.error is not None:
                return None, check
        fb = _real_block(fb)
        if fb.ndim == 1:
            fb = fb[:, None]
        lq = qb
        if qb is not None and not spec.prior_is_log:
            with np.errstate(divide="ignore"):
                lq = np.log(np.asarray(qb, dtype=np.float64))
        acc = None
        first_row = int(first_row)
        for c0 in range(0, fb.shape[0], spec.chunk_size):
            c1 = min(c0 + spec.chunk_size, fb.shape[0])
            acc = spec.reduction.merge(acc, _chunk_task(spec, fb, lq, c0, c1, first_row))
        return acc, check


def _chunk_task(spec: PassSpec, fb: Any, lq: Any, c0: int, c1: int, first_row: int) -> Any:
    """One chunk's partial result.  (A function of its own so that the chunk's prepared
    copy, float64 from float32 or mapped to engine units, is freed before the next one is
    made: one such copy per thread at a time.)"""
    fc, lc = spec.support.prepare(fb[c0:c1], None if lq is None else lq[c0:c1])
    return spec.reduction.chunk(fc, lc, first_row + c0)


def _real_block(fb: Any) -> Any:
    """A block as an array: float32 and float64 as they are (chunks are converted to
    float64 one at a time, in :meth:`Support.prepare`), anything else as float64."""
    fb = np.asarray(fb)
    return fb if fb.dtype in (np.float32, np.float64) else fb.astype(np.float64)


def combine_parts(
    spec: PassSpec, parts: list[tuple[Any, BlockCheck | None]]
) -> tuple[Any, BlockCheck | None]:
    """Merge a list of ``(partial, check)`` pairs in order."""
    with np.errstate(**spec.errstate):
        acc, chk = None, None
        for part, check in parts:
            acc = spec.reduction.merge(acc, part)
            chk = check if chk is None else chk.merge(check)
        return acc, chk


def raise_checks(check: BlockCheck | None) -> None:
    """Raise the error the first pass found in lazy input, if any."""
    from .errors import InvalidInputError

    if check is not None and check.error is not None:
        raise InvalidInputError(check.error[1])
    if check is None or check.rows == 0:
        raise InvalidInputError("`features` has no rows; give at least one state.")
    if not check.positive:
        raise InvalidInputError("`prior` is zero everywhere: the support is empty.")


def _rows_of(x: Array, rows: NDArray[np.intp], out: Array) -> Array:
    """``x[rows]`` into ``out``, ``rows`` indices in ``[0, len(x))``.

    By ``np.take`` with ``mode="clip"``: with ``mode="raise"`` and ``out`` numpy copies
    through a temporary of the whole output, 5-20x slower (130-1200 ms for 16,000 of 1e5
    rows of 1,000 features, against 21 ms).
    """
    if rows.size and (rows.min() < 0 or rows.max() >= x.shape[0]):
        raise IndexError("row indices out of range")  # (clip would hide them)
    return np.take(x, rows, axis=0, out=out, mode="clip")


class ArrayBlocks:
    """Block source of an in-memory feature matrix: contiguous row blocks, no copies.

    Parameters
    ----------
    features : ndarray, shape (n_states, n_constraints)
        float64 or float32; read but never copied or modified.
    log_prior : ndarray, shape (n_states,), or None
        Log prior weights (``-inf`` off the support); None for the uniform prior.
    """

    prior_is_log: bool = True
    stores_p: bool = True  # p is an array in memory, written during the passes
    validate: Callable[[Any, Any, int], BlockCheck] | None = None  # checked before the first pass

    def __init__(self, features: Array, log_prior: Array | None = None) -> None:
        self.F = features
        self.n: int | None = int(features.shape[0])
        self.m = int(features.shape[1])
        self.log_prior = log_prior
        self._copies: Any = None  # the buffer of subset(reuse=True)

    def blocks(self, chunk_size: int) -> Iterator[Block]:
        n = int(self.F.shape[0])
        count = min(_MAX_BLOCKS, max(1, n // (4 * chunk_size)))
        # Block edges near multiples of n / count, on chunk boundaries.
        edges = [0, *((n * j // count) // chunk_size * chunk_size for j in range(1, count)), n]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            lq = None if self.log_prior is None else self.log_prior[a:b]
            yield self.F[a:b], lq, int(a)

    def lazy_p(self, gibbs: Gibbs) -> Any:
        return None  # p is collected in memory during the passes

    def subset(
        self, rows: NDArray[np.intp], log_scale: Array | None = None, reuse: bool = False
    ) -> ArrayBlocks:
        """A source of the states ``rows`` only (a copy of those rows), their prior
        weights multiplied by ``exp(log_scale)`` where given.  With ``reuse`` the copy goes
        into a buffer this source keeps (valid until its next such subset): a fresh copy's
        page faults cost more than the copy where subsets are drawn step after step."""
        lq = None if self.log_prior is None else self.log_prior[rows]
        if log_scale is not None:
            lq = log_scale.copy() if lq is None else lq + log_scale
        k = rows.size
        if not reuse:
            return ArrayBlocks(_rows_of(self.F, rows, np.empty((k, self.m), self.F.dtype)), lq)
        buf = self._copies
        if buf is None or buf.shape[0] < k:
            buf = self._copies = np.empty((k + k // 4 + 1, self.m), self.F.dtype)
        return ArrayBlocks(_rows_of(self.F, rows, buf[:k]), lq)

    def check_finite(self) -> None:
        """Raise InvalidInputError naming the first NaN or inf in the features."""
        from ._checks import check_finite

        check_finite(self.F, "features")
