"""Back ends for state spaces beyond one machine's memory: dask arrays and chunk sources.

:func:`maxent.solve` talks to its data only through the map-reduce passes of
:class:`maxent._moments.MomentEngine`, which is a *block source* (where the states come
from) run by an *executor* (who runs the per-block tasks; see :mod:`maxent._blocks`).
This module adds two sources and one executor; the engine's code is the same for all
back ends:

- dask arrays: :class:`DaskBlocks` yields the array's blocks (``features`` and ``prior``
  chunked along the state axis) and :class:`DaskExecutor` runs each pass as one
  ``dask.compute`` of a graph with one task per block (the block is cut into cache-sized
  chunks inside the task) and a tree of merges; dask does the scheduling, so with a
  :class:`distributed.Client` active the pass runs on the cluster.
- chunk sources: :class:`SourceBlocks` reads a callable returning a fresh iterable of
  ``(features_chunk, prior_chunk_or_None)`` (one call per pass), or an object whose
  ``__iter__`` does so repeatedly.  States are generated on the fly, so no
  ``n_states x n_constraints`` array ever exists; the chunks are processed by the usual
  :class:`maxent._parallel.ThreadExecutor` while the next one is generated, and memory
  stays a few chunks.  When the states are numbered (:class:`IndexedChunks`:
  ``make_chunk(start, stop)``), the blocks are *deferred*: each worker thread generates
  its own blocks (about 512 KB each) and reduces each while it is still in cache, so
  generation runs on every worker and costs less than in large chunks.

Both see the affine transform and the faces of the support exactly as the in-memory
engine does (:meth:`maxent._blocks.Support.prepare`), and validate their input during the
first pass, block by block, with the messages of the in-memory checks (global state
indices).  The distribution is returned lazily: a dask array for dask input, a
:class:`StreamedProbabilities` (a function of the states) for a chunk source.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks
from ._blocks import Block, BlockCheck, Combine, Gibbs, Task
from ._checks import _fmt_index, first_bad_index
from ._moments import MomentEngine
from ._parallel import blas_limited
from .errors import InvalidInputError

__all__ = [
    "DaskBlocks",
    "DaskExecutor",
    "IndexedChunks",
    "SourceBlocks",
    "StreamedProbabilities",
    "generated_features",
    "is_lazy",
]

_FAN_IN = 8  # partial results merged per task of the tree reduction
_GENERATED_ELEMENTS = 1 << 16  # features per block a worker generates (512 KB: L2 cache)
_RUN_ELEMENTS = 1 << 19  # features per task: a run of such blocks (4 MB, made one by one)


def _is_dask(x: Any) -> bool:
    return type(x).__module__.startswith("dask.") and hasattr(x, "__dask_graph__")


def is_lazy(features: Any) -> bool:
    """Whether ``features`` needs a streaming back end (dask array or chunk source)."""
    if _is_dask(features):
        return True
    if isinstance(features, Mapping):
        return any(_is_dask(v) for v in features.values())
    if callable(features):
        return True
    return (
        isinstance(features, Iterable)
        and not hasattr(features, "__array__")
        and not isinstance(features, (Sequence, Mapping, str, bytes))
    )


# -- validation, chunk by chunk ------------------------------------------------------------
def _check_block(
    fb: Any, qb: Any, first_row: int, *, names: tuple[str, ...], from_mapping: bool
) -> BlockCheck:
    """Validate one block (a :class:`BlockCheck`); keys order errors as in memory.

    In memory, a mapping's columns are checked first, then the prior, and an array of
    features last (its finiteness is read off the first pass).
    """
    errors: list[tuple[tuple[int, ...], str]] = []
    fb = _real(fb)
    if fb.ndim == 1:
        fb = fb[:, None]
    qb = None if qb is None else np.asarray(qb, dtype=np.float64)
    bad = ~np.isfinite(fb)
    if np.any(bad):
        if from_mapping:  # column by column, as for a mapping of columns in memory
            k = int(np.argmax(bad.any(axis=0)))
            i = int(np.argmax(bad[:, k]))
            msg = (
                f"`features[{names[k]!r}]` must be finite; got {fb[i, k]} at index "
                f"{first_row + i}."
            )
            errors.append(((0, k, first_row + i), msg))
        else:
            i, k = _first_bad_cell(bad)
            msg = (
                f"`features` must be finite; got {fb[i, k]} at index "
                f"{_fmt_index((first_row + i, k))}."
            )
            errors.append(((3, first_row + i, k), msg))
    positive = False
    if qb is not None:
        for kind, mask, need in ((1, ~np.isfinite(qb), "be finite"), (2, qb < 0, "be >= 0")):
            if np.any(mask):
                i = int(np.argmax(mask))
                msg = f"`prior` must {need}; got {qb[i]} at index {first_row + i}."
                errors.append(((kind, first_row + i, 0), msg))
                break
        else:
            positive = bool(np.any(qb > 0))
    else:
        positive = not errors
    error = min(errors, key=lambda e: e[0]) if errors else None
    return BlockCheck(fb.shape[0], positive and error is None, error)


def _real(x: Any) -> NDArray[Any]:
    """An array of real numbers: float32 kept as it is (the passes convert it a chunk at a
    time, see :meth:`maxent._blocks.Support.prepare`), anything else as float64."""
    out = np.asarray(x)
    return out if out.dtype == np.float32 else np.asarray(out, dtype=np.float64)


def _first_bad_cell(bad: NDArray[np.bool_]) -> tuple[int, int]:
    idx = first_bad_index(bad)
    assert isinstance(idx, tuple)
    return int(idx[0]), int(idx[1])


# -- dask arrays -------------------------------------------------------------------------------
class DaskBlocks:
    """Block source of a dask array of features: its blocks along the state axis.

    Parameters
    ----------
    features : dask array, shape (n_states, n_constraints) or (n_states,)
        Chunked along the state axis (chunks along the constraint axis are merged).
    prior : dask array or ndarray, shape (n_states,), or None
        Unnormalised prior weights (validated, and their log taken, inside the tasks).
    names, from_mapping
        Constraint names and whether they came from a mapping (for error messages).
    """

    prior_is_log: bool = False
    stores_p: bool = False  # p is returned lazily

    def __init__(
        self, features: Any, prior: Any, names: tuple[str, ...], from_mapping: bool
    ) -> None:
        import dask.array as da

        if features.ndim == 1:
            features = features[:, None]
        if any(np.isnan(c) for c in features.chunks[0]):
            raise InvalidInputError(
                "`features` has unknown chunk sizes along the state axis; call "
                "`features.compute_chunk_sizes()` first."
            )
        features = features.rechunk({1: -1})
        n, m = features.shape
        if prior is not None:
            if not _is_dask(prior):
                prior = np.asarray(prior, dtype=np.float64)
            if prior.ndim != 1:
                raise InvalidInputError(
                    f"`prior` must be 1-D; got an array of shape {prior.shape}."
                )
            if prior.shape[0] != n:
                raise InvalidInputError(
                    f"`prior` has {prior.shape[0]} entries but `features` has {n} rows "
                    "(one per state)."
                )
            prior = da.asarray(prior).rechunk((features.chunks[0],))
        if n == 0:
            raise InvalidInputError("`features` has no rows; give at least one state.")
        self.F = features
        self.prior = prior
        self.n: int | None = int(n)
        self.m = int(m)
        self.validate: Callable[[Any, Any, int], BlockCheck] | None = partial(
            _check_block, names=names, from_mapping=from_mapping
        )

    def blocks(self, chunk_size: int) -> Iterator[Block]:
        fblocks = self.F.to_delayed().ravel()
        qblocks = [None] * len(fblocks) if self.prior is None else self.prior.to_delayed().ravel()
        starts = np.concatenate([[0], np.cumsum(self.F.chunks[0])[:-1]]).astype(int)
        for fb, qb, s in zip(fblocks, qblocks, starts, strict=True):
            yield fb, qb, int(s)

    def lazy_p(self, gibbs: Gibbs) -> Any:
        """p as a lazy dask array chunked like ``features``."""
        import dask.array as da

        args = (self.F, "ij") + (() if self.prior is None else (self.prior, "i"))
        return da.blockwise(
            _p_block, "i", *args, dtype=np.float64, concatenate=True, gibbs=gibbs, meta=np.empty(0)
        )


class DaskExecutor:
    """Runs a pass as one ``dask.compute``: a task per block and a tree of merges.

    The pass's :class:`maxent._blocks.PassSpec` enters the graph once.  While the
    graph runs, BLAS in this process is limited to one thread (dask's threads, or an
    in-process cluster's, are the parallelism); distributed workers in their own
    processes already start with one BLAS thread each.
    """

    def reduce(self, task: Task, spec: Any, blocks: Iterable[Any], combine: Combine) -> Any:
        import dask

        spec_d = dask.delayed(spec, name=f"maxent-pass-{uuid.uuid4().hex}")
        run = dask.delayed(task, pure=True)
        level = [run(spec_d, block) for block in blocks]
        if not level:
            return None
        node = dask.delayed(combine, pure=True)
        while len(level) > 1:
            level = [node(spec_d, level[i : i + _FAN_IN]) for i in range(0, len(level), _FAN_IN)]
        with blas_limited(1):
            (result,) = dask.compute(*level)
        return result


def _p_block(fb: Any, qb: Any = None, *, gibbs: Gibbs) -> NDArray[np.float64]:
    """p of one block, exactly as the in-memory engine computes it."""
    return gibbs.p(fb, qb)


# -- chunk sources -----------------------------------------------------------------------------
def _split_item(item: Any) -> tuple[Any, Any]:
    if isinstance(item, tuple):
        if len(item) != 2:
            raise InvalidInputError(
                "a chunk source must yield `(features_chunk, prior_chunk)` pairs (prior "
                f"chunk or None) or feature chunks; got a tuple of {len(item)} items."
            )
        return item
    return item, None


def _as_chunk(
    item: Any, first_row: int, m: int | None
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """A chunk of the source as float arrays, with its shapes checked."""
    fc, qc = _split_item(item)
    try:
        fc = _real(fc)
        qc = None if qc is None else np.asarray(qc, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"the chunk of `features` starting at state {first_row} must hold real numbers "
            f"({exc})."
        ) from None
    if fc.ndim == 1:
        fc = fc[:, None]
    if fc.ndim != 2:
        raise InvalidInputError(
            f"the chunk of `features` starting at state {first_row} must be 1-D or 2-D; got "
            f"an array of shape {fc.shape}."
        )
    if m is not None and fc.shape[1] != m:
        raise InvalidInputError(
            f"the chunk of `features` starting at state {first_row} has {fc.shape[1]} "
            f"columns but there are {m} constraints (one column each)."
        )
    if qc is not None and qc.shape != (fc.shape[0],):
        raise InvalidInputError(
            f"the chunk of `prior` starting at state {first_row} has shape {qc.shape} but "
            f"its chunk of `features` has {fc.shape[0]} rows (one per state)."
        )
    return fc, qc


def _iterate(source: Any) -> Iterator[Any]:
    chunks = source() if callable(source) else source
    if not isinstance(chunks, Iterable):
        raise InvalidInputError(
            "a chunk source must return an iterable of `(features_chunk, prior_chunk)` "
            f"pairs; got {type(chunks).__name__}."
        )
    return iter(chunks)


def check_source(source: Any) -> None:
    """Reject one-shot iterators: every pass needs the chunks again."""
    if inspect.isgenerator(source) or (not callable(source) and iter(source) is source):
        raise InvalidInputError(
            "`features` is an iterator, which can be read only once; pass a callable that "
            "returns a fresh iterable of `(features_chunk, prior_chunk)` pairs (one per "
            "pass), or an object whose `__iter__` starts again each time."
        )


class SourceBlocks:
    """Block source of a chunk source: states generated on the fly, one chunk per block.

    Parameters
    ----------
    source : callable or re-iterable
        ``source()`` (or ``iter(source)``) yields ``(features_chunk, prior_chunk)`` pairs,
        ``prior_chunk`` an array of unnormalised weights or None (uniform), or bare
        feature chunks; the same states in the same order on every pass.
    m : int
        Number of constraints (columns of every chunk).
    names, from_mapping
        Constraint names and whether they were given (for messages).
    """

    prior_is_log: bool = False
    stores_p: bool = False  # p is returned lazily

    def __init__(self, source: Any, m: int, names: tuple[str, ...], from_mapping: bool) -> None:
        self.source = source
        self.m = int(m)
        self.n: int | None = None  # counted by the first pass
        self.validate: Callable[[Any, Any, int], BlockCheck] | None = partial(
            _check_block, names=names, from_mapping=from_mapping
        )

    def blocks(self, chunk_size: int) -> Iterator[Any]:
        """The chunks of one pass as blocks, in order; for :class:`IndexedChunks`,
        deferred runs of blocks, generated by the worker that reduces them (see
        :meth:`IndexedChunks.deferred_blocks`)."""
        if isinstance(self.source, IndexedChunks):
            yield from self.source.deferred_blocks(chunk_size)
            return
        row = 0
        for item in _iterate(self.source):
            fc, qc = _as_chunk(item, row, self.m)
            yield fc, qc, row
            row += fc.shape[0]

    def lazy_p(self, gibbs: Gibbs) -> StreamedProbabilities:
        """p as a :class:`StreamedProbabilities` (nothing per state stored)."""
        assert self.n is not None
        return StreamedProbabilities(self.source, gibbs, self.n, self.m)


class StreamedProbabilities:
    """The maximum-entropy distribution of a chunk-source solve, as a function of the states.

    Nothing per state is stored: ``p(features_chunk, prior_chunk)`` evaluates
    :math:`p_i = q_i e^{-\\lambda \\cdot F_i} / Z` for any states (e.g. one chunk of the
    source, or a few configurations of interest), and :meth:`chunks` walks the source
    once, yielding p chunk by chunk in the source's order.  ``np.asarray(p)`` builds the
    whole array (only for problems that fit in memory).

    Attributes
    ----------
    shape : tuple of int
        ``(n_states,)``.
    """

    dtype = np.dtype(np.float64)
    ndim = 1

    def __init__(self, source: Any, gibbs: Gibbs, n: int, m: int) -> None:
        self._source = source
        self._gibbs = gibbs
        self.shape = (int(n),)
        self._m = m

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"StreamedProbabilities(n_states={self.shape[0]})"

    def __call__(
        self, features_chunk: ArrayLike, prior_chunk: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """p of the states with these feature rows (and prior weights; uniform if None)."""
        fc, qc = _as_chunk((features_chunk, prior_chunk), 0, self._m)
        return self._gibbs.p(fc, qc)

    def chunks(self) -> Iterator[NDArray[np.float64]]:
        """Yield p for each chunk of the source, in order (one pass over the source)."""
        row = 0
        for item in _iterate(self._source):
            fc, qc = _as_chunk(item, row, self._m)
            row += fc.shape[0]
            yield self(fc, qc)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        out = np.concatenate(list(self.chunks())) if self.shape[0] else np.zeros(0)
        return out if dtype is None else out.astype(dtype)


# -- helpers for users -------------------------------------------------------------------------
def generated_features(
    make_chunk: Callable[[int, int], ArrayLike],
    n_states: int,
    n_constraints: int,
    *,
    chunk_size: int = 1 << 20,
) -> Any:
    """A dask array whose blocks are generated on demand by ``make_chunk(start, stop)``.

    For state spaces enumerated by index (spin configurations, lattice-gas occupations):
    ``make_chunk(start, stop)`` returns the ``(stop - start, n_constraints)`` features of
    states ``start .. stop - 1``.  Nothing is stored; every pass of :func:`maxent.solve`
    regenerates the blocks where it runs, on the local threads or on a dask.distributed
    cluster, so memory is a few blocks per worker whatever ``n_states``.
    ``make_chunk`` must be picklable for a distributed cluster (a module-level function
    or a :func:`functools.partial` of one).

    Examples
    --------
    >>> import numpy as np, maxent
    >>> from maxent.streaming import generated_features
    >>> F = generated_features(lambda a, b: np.arange(a, b)[:, None] % 6 + 1.0, 6, 1,
    ...                        chunk_size=4)
    >>> res = maxent.solve(F, [4.5])
    >>> np.round(res.p.compute(), 4)
    array([0.0544, 0.0788, 0.1142, 0.1654, 0.2398, 0.3475])
    """
    import dask
    import dask.array as da

    make_chunk, n_states, n_constraints, rows = _indexed_args(
        make_chunk, n_states, n_constraints, chunk_size, allow_none=False
    )
    assert rows is not None
    chunk_size = rows
    starts = range(0, n_states, chunk_size)
    token = uuid.uuid4().hex
    blocks = []
    for a in starts:
        b = min(a + chunk_size, n_states)
        d = dask.delayed(_generate, pure=True)(
            make_chunk, a, b, n_constraints, dask_key_name=f"maxent-gen-{token}-{a}"
        )
        blocks.append(da.from_delayed(d, shape=(b - a, n_constraints), dtype=np.float64))
    return da.concatenate(blocks, axis=0)


class IndexedChunks:
    """A chunk source of numbered states: ``make_chunk(start, stop)`` gives their features.

    For state spaces enumerated by index (spin configurations, lattice-gas occupations)
    solved on this machine: ``make_chunk(start, stop)`` returns the
    ``(stop - start, n_constraints)`` features of states ``start .. stop - 1`` (any range,
    the same numbers every time).  Like any chunk source nothing is stored; unlike one
    that must be read in order, the states of each pass are cut into blocks of about
    512 KB of features, and every worker thread generates the blocks it reduces, so
    generation runs on all threads, overlapped with the passes, and each block is
    reduced while it is still in cache.  Iterating over it yields
    ``(features_chunk, None)`` pairs of ``chunk_size`` rows (65,536 by default), so it
    works wherever a chunk source does (e.g. :meth:`StreamedProbabilities.chunks`).
    For a dask cluster, see :func:`generated_features`.

    Parameters
    ----------
    make_chunk : callable
        ``make_chunk(start, stop)`` -> array of shape ``(stop - start, n_constraints)``
        (or ``(stop - start,)`` for one constraint).  Called from several threads at once,
        so it must not modify shared state; numpy releases the GIL in its array
        operations, which is what lets the threads run side by side.
    n_states, n_constraints : int
        Number of states and of constraints (columns).
    chunk_size : int, optional
        States per generated block; by default about 512 KB of features in a solve (at
        most the solver's ``chunk_size``) and 65,536 states when iterated over.  Give
        it when ``make_chunk`` costs as much for part of a block as for the whole (e.g.
        one random stream seeded per block of states): the blocks then start at
        multiples of ``chunk_size``.

    Raises
    ------
    InvalidInputError
        If ``make_chunk`` is not callable or a count is not a positive integer; during a
        solve, if ``make_chunk`` returns an array of the wrong shape or not real numbers.
        Anything else ``make_chunk`` raises reaches the caller unchanged.

    Examples
    --------
    >>> import numpy as np, maxent
    >>> from maxent.streaming import IndexedChunks
    >>> die = IndexedChunks(lambda a, b: np.arange(a, b) % 6 + 1.0, 6, 1, chunk_size=4)
    >>> res = maxent.solve(die, [4.5])
    >>> np.round(res.p(np.arange(1.0, 7.0)), 4)
    array([0.0544, 0.0788, 0.1142, 0.1654, 0.2398, 0.3475])
    """

    def __init__(
        self,
        make_chunk: Callable[[int, int], ArrayLike],
        n_states: int,
        n_constraints: int,
        *,
        chunk_size: int | None = None,
    ) -> None:
        self.make_chunk, self.n_states, self.n_constraints, self.chunk_size = _indexed_args(
            make_chunk, n_states, n_constraints, chunk_size, allow_none=True
        )

    def __repr__(self) -> str:
        return (
            f"IndexedChunks(n_states={self.n_states}, n_constraints={self.n_constraints}, "
            f"chunk_size={self.chunk_size})"
        )

    def __iter__(self) -> Iterator[tuple[NDArray[np.float64], None]]:
        rows = self.chunk_size or 1 << 16
        for a in range(0, self.n_states, rows):
            b = min(a + rows, self.n_states)
            yield _generate(self.make_chunk, a, b, self.n_constraints), None

    def deferred_blocks(self, chunk_size: int) -> Iterator[Callable[[], Iterator[Block]]]:
        """One pass's blocks, deferred: runs of about 4 MB of features, each a callable
        that generates its blocks one at a time (where they are reduced).

        Blocks have the source's ``chunk_size`` rows if it has one, else about 512 KB of
        features (at most the solver's ``chunk_size`` rows): generated and reduced in
        L2 cache, a one-thread solve with a cheap generator took 6-27% less CPU time
        than in the solver's 1-2 MB chunks (``benchmarks/bench_scale.py``'s Weyl
        features, m = 4 to 50).
        """
        m = self.n_constraints
        rows = self.chunk_size or min(chunk_size, max(256, _GENERATED_ELEMENTS // m))
        run = rows * max(1, _RUN_ELEMENTS // (rows * m))
        for a in range(0, self.n_states, run):
            b = min(a + run, self.n_states)
            yield partial(_indexed_blocks, self.make_chunk, a, b, m, rows)


def _indexed_args(
    make_chunk: Any, n_states: Any, n_constraints: Any, chunk_size: Any, *, allow_none: bool
) -> tuple[Callable[[int, int], ArrayLike], int, int, int | None]:
    """The arguments of :func:`generated_features` and :class:`IndexedChunks`, checked."""
    if not callable(make_chunk):
        raise InvalidInputError(
            "`make_chunk` must be a function make_chunk(start, stop) returning the features "
            f"of states start .. stop - 1; got {type(make_chunk).__name__}."
        )
    n = _checks.integer(n_states, "n_states", minimum=1)
    m = _checks.integer(n_constraints, "n_constraints", minimum=1)
    rows = _checks.integer(chunk_size, "chunk_size", minimum=1, allow_none=allow_none)
    assert n is not None and m is not None
    return make_chunk, n, m, rows


def _indexed_blocks(
    make_chunk: Callable[[int, int], ArrayLike], a: int, b: int, m: int, rows: int
) -> Iterator[Block]:
    """The blocks of ``rows`` states from ``a`` to ``b - 1`` (uniform prior), each
    generated as it is reached (where it is reduced)."""
    for c in range(a, b, rows):
        d = min(c + rows, b)
        yield _generate(make_chunk, c, d, m), None, c


def _generate(
    make_chunk: Callable[[int, int], ArrayLike], a: int, b: int, m: int
) -> NDArray[np.float64]:
    """The block of states ``a .. b - 1``, checked: ``(b - a, m)`` real numbers (or
    ``b - a`` of them for one constraint)."""
    chunk = make_chunk(a, b)  # what it raises reaches the caller as it is
    try:
        out = np.asarray(chunk, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"`make_chunk({a}, {b})` must return real numbers; got {exc}."
        ) from None
    if out.shape not in ((b - a, m),) + (((b - a,),) if m == 1 else ()):
        raise InvalidInputError(
            f"`make_chunk({a}, {b})` returned an array of shape {out.shape}; expected "
            f"{(b - a, m)} (one row per state, one column per constraint)."
        )
    return out.reshape(b - a, m)


def open_lazy(
    features: Any, prior: Any, chunk_size: int | None, names: Sequence[str] | None
) -> tuple[MomentEngine, tuple[str, ...], bool]:
    """The streaming engine for ``features``, with the constraint names.

    Returns ``(engine, names, from_mapping)``.  Only shapes are checked here; the values
    are checked by the first pass.
    """
    if isinstance(features, Mapping):
        import dask.array as da

        if names is not None:
            raise InvalidInputError(
                "give constraint names either as `names` or as the keys "
                "of a `features` mapping, not both."
            )
        keys = tuple(str(k) for k in features)
        cols: list[Any] = []
        for key, col in features.items():
            col = col if _is_dask(col) else np.asarray(col, dtype=np.float64)
            if col.ndim != 1:
                raise InvalidInputError(
                    f"`features[{key!r}]` must be 1-D; got an array of shape {col.shape}."
                )
            if cols and col.shape[0] != cols[0].shape[0]:
                raise InvalidInputError(
                    f"`features[{key!r}]` has {col.shape[0]} entries but "
                    f"`features[{keys[0]!r}]` has {cols[0].shape[0]}; every column needs "
                    "one per state."
                )
            cols.append(da.asarray(col))
        stacked = da.stack(cols, axis=1)
        return _dask_engine(stacked, prior, chunk_size, keys, True), keys, True
    if _is_dask(features):
        if features.ndim not in (1, 2):
            raise InvalidInputError(
                f"`features` must be 1-D or 2-D; got an array of shape {features.shape}."
            )
        m = 1 if features.ndim == 1 else features.shape[1]
        named = _names(names, m)
        return (_dask_engine(features, prior, chunk_size, *named),) + named
    check_source(features)
    if prior is not None and isinstance(features, IndexedChunks):
        raise InvalidInputError(
            "`prior` cannot be given with IndexedChunks (its states have equal prior "
            "weights); for a prior, pass a chunk source that yields `(features_chunk, "
            "prior_chunk)` pairs."
        )
    if prior is not None:
        raise InvalidInputError(
            "`prior` cannot be given with a chunk source: yield `(features_chunk, "
            "prior_chunk)` pairs instead."
        )
    if isinstance(features, IndexedChunks):
        m = features.n_constraints
    else:  # peek at the first chunk for the number of constraints (and to check `names`)
        first = next(_iterate(features), None)
        if first is None:
            raise InvalidInputError("`features` has no rows; give at least one state.")
        m = _as_chunk(first, 0, None)[0].shape[1]
    named = _names(names, m)
    return (MomentEngine(SourceBlocks(features, m, *named), chunk_size=chunk_size),) + named


def _dask_engine(
    features: Any,
    prior: Any,
    chunk_size: int | None,
    names: tuple[str, ...],
    from_mapping: bool,
) -> MomentEngine:
    return MomentEngine(
        DaskBlocks(features, prior, names, from_mapping),
        chunk_size=chunk_size,
        executor=DaskExecutor(),
    )


def _names(names: Sequence[str] | None, m: int) -> tuple[tuple[str, ...], bool]:
    if names is None:
        return tuple(f"f{k}" for k in range(m)), False
    names = tuple(str(k) for k in names)
    if len(names) != m or len(set(names)) != m:
        raise InvalidInputError(
            f"`names` must hold {m} distinct names, one per column of `features` (the "
            f"chunks have {m}); got {list(names)}."
        )
    return names, True
