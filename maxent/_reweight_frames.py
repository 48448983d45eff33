"""The frames of a reweighting problem, whatever back end holds them.

:func:`maxent.reweight` sees its simulation through a *frames* value: where the rows of
``calc`` come from (an in-memory array, a dask array, a chunk source), with the
observables already mapped to the space in which they are averaged (``x**-p`` for
power-averaged data) and the prior's log-weights.  A frames value offers

- ``features(columns)`` and ``prior()``: what :func:`maxent.solve` is given for a subset
  of the observables (the solver's own back end does the passes of each solve);
- ``chunks()``: the rows again, chunk by chunk, as float64, for the few passes that are not
  solves (prior averages and ranges, the observables left out of a solve, the final
  log-weights); the first pass (:func:`frame_pass` with ``ranges``) checks the values
  (messages name ``calc``, ``prior`` or ``log_prior`` and the frame);
- ``outputs(lam, log_norm)``: the weights in the back end's own form (arrays for arrays,
  lazy dask arrays for dask, :class:`StreamedFrames` for a chunk source).

The passes merge chunks with a running maximum (a streaming log-sum-exp), so nothing
overflows and memory is a few chunks.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import check_finite
from .errors import InvalidInputError

__all__ = ["Frames", "PassSums", "StreamedFrames", "frame_pass", "open_frames"]

_CHUNK_ROWS_ELEMENTS = 1 << 21  # ~16 MB of float64 per chunk of a pass
#: in-memory arrays larger than this (as float64) are streamed to the solver chunk by
#: chunk instead of being converted (float32 or memory-mapped ``calc`` beyond memory)
_CONVERT_LIMIT_BYTES = 1 << 29

#: (calc block as float64 in the averaged space, log prior block or None, first frame)
Chunk = tuple[NDArray[np.float64], "NDArray[np.float64] | None", int]


def _chunk_rows(m: int) -> int:
    return max(1024, _CHUNK_ROWS_ELEMENTS // max(m, 1))


def _is_dask(x: Any) -> bool:
    return type(x).__module__.startswith("dask.") and hasattr(x, "__dask_graph__")


def _is_source(x: Any) -> bool:
    if callable(x):
        return True
    return (
        isinstance(x, Iterable)
        and not hasattr(x, "__array__")
        and not isinstance(x, (list, tuple, dict, str, bytes))
    )


def check_block(block: NDArray[np.float64], first_row: int) -> None:
    """Raise, naming the frame and observable, unless every value of ``block`` is finite."""
    bad = ~np.isfinite(block)
    if np.any(bad):
        i, k = (int(v) for v in np.argwhere(bad)[0])
        raise InvalidInputError(
            f"`calc` must be finite; got {block[i, k]} at frame {first_row + i}, observable {k}."
        )


def to_linear(
    block: Any, powers: NDArray[np.float64], first_row: int, *, check: bool = True
) -> NDArray[np.float64]:
    """A block of ``calc`` as float64 (a new array), power-averaged columns mapped to
    ``x**-p``; ``check`` checks finiteness (else the first pass does, from the ranges)."""
    out = np.array(block, dtype=np.float64, copy=True)
    if out.ndim == 1:
        out = out[:, None]
    if check:
        check_block(out, first_row)
    cols = np.flatnonzero(powers > 0)
    if cols.size:
        sub = out[:, cols]
        if np.any(sub <= 0):
            i, j = (int(v) for v in np.argwhere(sub <= 0)[0])
            raise InvalidInputError(
                f"`calc` must be > 0 where `power` applies (x**-p); got {sub[i, j]} at frame "
                f"{first_row + i}, observable {int(cols[j])}."
            )
        with np.errstate(over="ignore", under="ignore"):
            out[:, cols] = sub ** -powers[cols]
        check_finite(out[:, cols], "calc**-power")
    return out


def log_prior_block(q: Any, kind: str, first_row: int, n_rows: int) -> NDArray[np.float64] | None:
    """Validated log-weights of one block of the prior (``kind``: "prior" or "log_prior")."""
    if q is None:
        return None
    arr = np.asarray(q, dtype=np.float64).reshape(-1)
    if arr.shape[0] != n_rows:
        raise InvalidInputError(
            f"`{kind}` has {arr.shape[0]} entries for {n_rows} frames of `calc` "
            f"(from frame {first_row}); give one per frame."
        )
    if kind == "log_prior":
        bad = np.isnan(arr) | (arr == np.inf)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise InvalidInputError(
                f"`log_prior` must be finite or -inf (weight 0); got {arr[i]} at frame "
                f"{first_row + i}."
            )
        return arr
    bad = ~np.isfinite(arr) | (arr < 0)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise InvalidInputError(
            f"`prior` must be finite and >= 0; got {arr[i]} at frame {first_row + i}."
        )
    with np.errstate(divide="ignore"):
        return np.log(arr)


# ----------------------------------------------------------------------------- passes
@dataclass
class PassSums:
    """One pass over the frames at multipliers ``lam`` (zeros: the prior).

    With :math:`a_i = \\log q_i - \\lambda \\cdot F_i`: ``log_norm`` is
    :math:`\\log\\sum_i e^{a_i}`, ``log_norm2`` :math:`\\log\\sum_i e^{2a_i}` (Kish's
    effective sample size is :math:`e^{2\\,\\mathrm{log\\_norm} - \\mathrm{log\\_norm2}}`),
    ``mean`` the weighted averages of every observable, ``fmin``/``fmax`` their range over
    the frames of positive prior weight, ``n_frames`` and ``n_support`` the frames and
    those of positive prior weight, ``covariance`` the weighted covariance when asked.
    """

    n_frames: int
    n_support: int
    log_norm: float
    log_norm2: float
    mean: NDArray[np.float64]
    fmin: NDArray[np.float64]
    fmax: NDArray[np.float64]
    covariance: NDArray[np.float64] | None


class _Accumulator:
    """Streaming log-sum-exp sums of the weights and, on request, the weighted sums (means,
    second moments) and the ranges over the frames of positive prior weight."""

    def __init__(self, m: int, lam: NDArray[np.float64], what: frozenset[str]):
        self.lam, self.m, self.what = lam, m, what
        self.tilted = bool(np.any(lam != 0))
        self.top = -np.inf
        self.s1 = self.s2 = 0.0
        self.sf = np.zeros(m)
        self.sff = np.zeros((m, m)) if "covariance" in what else None
        self.fmin, self.fmax = np.full(m, np.inf), np.full(m, -np.inf)
        self.n = self.n_support = 0

    def _ranges(self, f: NDArray[np.float64], support: Any, start: int) -> None:
        lo, hi = f.min(axis=0), f.max(axis=0)
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            check_block(f, start)  # NaN or inf: name the frame
        if support is not None:
            lo, hi = f[support].min(axis=0), f[support].max(axis=0)
        self.fmin, self.fmax = np.minimum(self.fmin, lo), np.maximum(self.fmax, hi)

    def add(self, f: NDArray[np.float64], lq: NDArray[np.float64] | None, start: int) -> None:
        self.n += f.shape[0]
        a = -(f @ self.lam) if self.tilted else np.zeros(f.shape[0])
        support = None
        if lq is not None:
            a = a + lq
            if np.any(lq == -np.inf):
                support = lq > -np.inf
        n_in = f.shape[0] if support is None else int(np.count_nonzero(support))
        self.n_support += n_in
        if "ranges" in self.what and n_in:
            self._ranges(f, support, start)
        if n_in == 0:
            return
        top = max(self.top, float(a.max()))
        if top > self.top:  # rescale what was summed to the new maximum
            shift = np.exp(self.top - top) if np.isfinite(self.top) else 0.0
            self.s1 *= shift
            self.s2 *= shift * shift
            self.sf *= shift
            if self.sff is not None:
                self.sff *= shift
            self.top = top
        e = np.exp(a - top)  # 0 outside the support (a = -inf)
        self.s1 += float(e.sum())
        self.s2 += float(e @ e)
        if "means" in self.what:
            self.sf += e @ f
        if self.sff is not None:
            self.sff += (f * e[:, None]).T @ f

    def result(self) -> PassSums:
        if self.n_support == 0:
            raise InvalidInputError(
                "every frame has prior weight 0 (`prior` or `log_prior`): nothing to reweight."
            )
        mean = self.sf / self.s1
        cov = None
        if self.sff is not None:
            cov = self.sff / self.s1 - np.outer(mean, mean)
            cov = 0.5 * (cov + cov.T)
        return PassSums(
            n_frames=self.n,
            n_support=self.n_support,
            log_norm=self.top + float(np.log(self.s1)),
            log_norm2=2.0 * self.top + float(np.log(self.s2)),
            mean=mean,
            fmin=self.fmin,
            fmax=self.fmax,
            covariance=cov,
        )


def frame_pass(
    frames: Frames,
    lam: NDArray[np.float64] | None = None,
    *,
    means: bool = True,
    ranges: bool = False,
    covariance: bool = False,
) -> PassSums:
    """One pass over every frame (see :class:`PassSums`); ``lam`` None is the prior.

    The log-sum-exp sums are always taken; ``means``, ``ranges`` and ``covariance`` add
    the weighted averages, the ranges (and the check that every value is finite: the
    first pass asks for them) and the weighted covariance.  Fields not asked for are
    zeros or infinities.
    """
    m = len(frames.names)
    what = frozenset(k for k, on in (("means", means), ("ranges", ranges),
                                     ("covariance", covariance)) if on)  # fmt: skip
    acc = _Accumulator(m, np.zeros(m) if lam is None else np.asarray(lam, float), what)
    for f, lq, start in frames.chunks():
        acc.add(f, lq, start)
    return acc.result()


# ----------------------------------------------------------------------------- back ends
class Frames:
    """Base of the three back ends.

    ``names`` and ``powers`` describe the observables; ``prior_sums`` is the first pass
    (:func:`frame_pass` at the prior, with ranges), set by the caller once made: it gives
    the number of frames and the prior's normalisation to the outputs.
    """

    names: tuple[str, ...]
    powers: NDArray[np.float64]
    lazy = False
    prior_sums: PassSums | None = None

    def chunks(self) -> Iterator[Chunk]:  # pragma: no cover - abstract
        raise NotImplementedError

    def features(self, columns: NDArray[np.int64]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def prior(self) -> Any:
        return None

    def prior_log_norm(self) -> float:
        assert self.prior_sums is not None, "the first pass sets prior_sums"
        return self.prior_sums.log_norm

    def outputs(self, lam: NDArray[np.float64], log_norm: float) -> tuple[Any, Any, Any]:
        """(weights, log_weights, prior_weights) in the back end's form (here: arrays,
        from one walk over the chunks)."""
        l0 = self.prior_log_norm()
        parts = [_weights_of(f, lq, lam, log_norm, l0) for f, lq, _ in self.chunks()]
        cols = [np.concatenate([p[k] for p in parts]) for k in range(3)]
        return cols[0], cols[1], cols[2]


def _weights_of(
    f: NDArray[np.float64],
    lq: NDArray[np.float64] | None,
    lam: NDArray[np.float64],
    log_norm: float,
    prior_log_norm: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(weights, log-weights, prior weights) of one chunk, normalised over all frames."""
    lq = np.zeros(f.shape[0]) if lq is None else lq
    with np.errstate(invalid="ignore"):
        log_w = np.where(lq > -np.inf, lq - f @ lam - log_norm, -np.inf)
    return np.exp(log_w), log_w, np.exp(lq - prior_log_norm)


class ArrayFrames(Frames):
    """Frames in an in-memory (or memory-mapped) array.

    A float64 array without power averaging is read as it is.  Others up to
    :data:`_CONVERT_LIMIT_BYTES` as float64 are converted once (and ``x**-p`` taken);
    larger ones (float32 ``calc`` beyond memory, memory maps) are handed to the solver as
    a chunk source over row blocks, converted block by block.
    """

    def __init__(
        self,
        calc: Any,
        log_q: NDArray[np.float64] | None,
        names: tuple[str, ...],
        powers: NDArray[np.float64],
    ):
        self.names, self.powers = names, powers
        self.raw = calc
        self.log_q = log_q
        self.n = int(calc.shape[0])
        if calc.dtype == np.float64 and not np.any(powers > 0):
            self.lin = calc  # read as it is (never written), whatever its size
        elif calc.shape[0] * calc.shape[1] * 8 <= _CONVERT_LIMIT_BYTES:
            self.lin = to_linear(calc, powers, 0, check=False)
        else:
            self.lin = None
        self.rows = _chunk_rows(len(names))

    def chunks(self) -> Iterator[Chunk]:
        for a in range(0, self.n, self.rows):
            b = min(a + self.rows, self.n)
            if self.lin is not None:
                f = self.lin[a:b]
            else:
                f = to_linear(self.raw[a:b], self.powers, a, check=False)
            yield f, None if self.log_q is None else self.log_q[a:b], a

    def features(self, columns: NDArray[np.int64]) -> Any:
        if self.lin is not None:
            return self.lin if columns.size == len(self.names) else self.lin[:, columns]
        top = 0.0 if self.log_q is None else float(np.max(self.log_q))

        def source() -> Iterator[tuple[Any, Any]]:
            for f, lq, _ in self.chunks():
                yield f[:, columns], None if lq is None else np.exp(lq - top)

        return source

    def prior(self) -> Any:
        if self.log_q is None or self.lin is None:
            return None
        return np.exp(self.log_q - np.max(self.log_q))

    def subset(self, rows: NDArray[np.int64], columns: NDArray[np.int64]) -> ArrayFrames:
        """The frames ``rows`` and observables ``columns`` (in memory), for cross-validation."""
        calc = self.lin if self.lin is not None else to_linear(self.raw, self.powers, 0)
        sub = ArrayFrames.__new__(ArrayFrames)
        sub.names = tuple(self.names[k] for k in columns)
        sub.powers = np.zeros(columns.size)
        sub.raw = sub.lin = np.ascontiguousarray(calc[np.ix_(rows, columns)])
        sub.log_q = None if self.log_q is None else self.log_q[rows]
        sub.n, sub.rows = int(rows.size), _chunk_rows(columns.size)
        sub.prior_sums = None
        return sub


class DaskFrames(Frames):
    """Frames in a dask array chunked along the frames (its own back end for the solves).

    ``prior`` is the dask (or in-memory) array of prior weights or log-weights (``kind``
    ``"prior"`` or ``"log_prior"``), validated block by block on the first walk.
    """

    lazy = True

    def __init__(
        self,
        calc: Any,
        prior: Any,
        kind: str,
        names: tuple[str, ...],
        powers: NDArray[np.float64],
    ):
        import dask.array as da

        self.names, self.powers = names, powers
        self.raw = calc.rechunk({1: -1}) if calc.ndim == 2 else calc[:, None]
        self.lin = self.raw.map_blocks(_dask_linear, powers=powers, dtype=np.float64)
        self.prior_raw, self.kind = prior, kind
        self.log_q = None
        if prior is not None:
            q = da.asarray(prior).rechunk(self.raw.chunks[0])
            self.log_q = q if kind == "log_prior" else q.map_blocks(_log, dtype=np.float64)

    def chunks(self) -> Iterator[Chunk]:
        import dask

        blocks = self.raw.to_delayed().ravel()
        starts = np.concatenate([[0], np.cumsum(self.raw.chunks[0])[:-1]]).astype(int)
        for block, start in zip(blocks, starts, strict=True):
            f = to_linear(dask.compute(block)[0], self.powers, int(start), check=False)
            lq = None
            if self.prior_raw is not None:
                q = np.asarray(self.prior_raw[start : start + f.shape[0]], dtype=np.float64)
                lq = log_prior_block(q, self.kind, int(start), f.shape[0])
            yield f, lq, int(start)

    def features(self, columns: NDArray[np.int64]) -> Any:
        return self.lin if columns.size == len(self.names) else self.lin[:, columns]

    def prior(self) -> Any:
        if self.log_q is None:
            return None
        import dask.array as da

        return da.exp(self.log_q - da.max(self.log_q))

    def outputs(self, lam: NDArray[np.float64], log_norm: float) -> tuple[Any, Any, Any]:
        """Lazy dask arrays, chunked like ``calc``."""
        import dask.array as da

        rows = self.lin.chunks[0]
        lq = da.zeros(self.lin.shape[0], chunks=rows) if self.log_q is None else self.log_q
        log_w = da.blockwise(
            _dask_log_weights, "i", self.lin, "ij", lq.rechunk(rows), "i", concatenate=True,
            lam=lam, log_norm=log_norm, dtype=np.float64, meta=np.empty(0),
        )  # fmt: skip
        return da.exp(log_w), log_w, da.exp(lq - self.prior_log_norm())


def _log(q: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(q)


def _dask_linear(block: NDArray[np.float64], *, powers: NDArray[np.float64]) -> Any:
    # Row numbers are not known inside a block; the first walk (chunks) checked the values.
    return to_linear(block, powers, 0, check=False)


def _dask_log_weights(
    f: NDArray[np.float64], lq: NDArray[np.float64], *, lam: NDArray[np.float64], log_norm: float
) -> NDArray[np.float64]:
    with np.errstate(invalid="ignore"):
        return np.where(lq > -np.inf, lq - f @ lam - log_norm, -np.inf)


class SourceFrames(Frames):
    """Frames from a chunk source: ``source()`` yields ``(calc_chunk, prior_chunk)`` pairs
    (``prior_chunk`` None for equal weights) or bare chunks, the same on every call."""

    lazy = True

    def __init__(self, source: Any, names: tuple[str, ...], powers: NDArray[np.float64]):
        self.source, self.names, self.powers = source, names, powers

    def _raw(self) -> Iterator[tuple[Any, Any]]:
        chunks = self.source() if callable(self.source) else self.source
        for item in chunks:
            yield item if isinstance(item, tuple) and len(item) == 2 else (item, None)

    def chunks(self) -> Iterator[Chunk]:
        row = 0
        for fc, qc in self._raw():
            f = to_linear(np.asarray(fc), self.powers, row, check=False)
            if f.shape[1] != len(self.names):
                raise InvalidInputError(
                    f"the chunk of `calc` starting at frame {row} has {f.shape[1]} columns "
                    f"but there are {len(self.names)} observables."
                )
            yield f, log_prior_block(qc, "prior", row, f.shape[0]), row
            row += f.shape[0]

    def features(self, columns: NDArray[np.int64]) -> Any:
        def source() -> Iterator[tuple[Any, Any]]:
            for f, lq, _ in self.chunks():
                yield f[:, columns], None if lq is None else np.exp(lq)  # the weights given

        return source

    def outputs(self, lam: NDArray[np.float64], log_norm: float) -> tuple[Any, Any, Any]:
        """:class:`StreamedFrames`: computed chunk by chunk when walked."""
        assert self.prior_sums is not None
        n = self.prior_sums.n_frames
        w, lw, w0 = (StreamedFrames(self, lam, log_norm, k, n) for k in range(3))
        return w, lw, w0


class StreamedFrames:
    """Per-frame weights of a chunk-source reweighting, computed when walked.

    Nothing per frame is stored: :meth:`chunks` walks the chunk source once and yields
    the values chunk by chunk, in the source's order; ``np.asarray(w)`` builds the whole
    array (only for problems that fit in memory).

    Attributes
    ----------
    shape : tuple of int
        ``(n_frames,)``.
    """

    dtype = np.dtype(np.float64)
    ndim = 1
    _KINDS = ("weights", "log_weights", "prior_weights")

    def __init__(self, frames: SourceFrames, lam: NDArray[np.float64], log_norm: float,
                 kind: int, n: int):  # fmt: skip
        self._frames, self._lam, self._log_norm, self._kind = frames, lam, log_norm, kind
        self.shape = (int(n),)

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"StreamedFrames({self._KINDS[self._kind]}, n_frames={self.shape[0]})"

    def chunks(self) -> Iterator[NDArray[np.float64]]:
        """Yield the values for each chunk of the source, in order (one walk)."""
        fr = self._frames
        l0 = fr.prior_log_norm()
        for f, lq, _ in fr.chunks():
            yield _weights_of(f, lq, self._lam, self._log_norm, l0)[self._kind]

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[Any]:
        out = np.concatenate(list(self.chunks())) if self.shape[0] else np.zeros(0)
        return out if dtype is None else out.astype(dtype)


# ----------------------------------------------------------------------------- opening
def _check_source(source: Any) -> None:
    if inspect.isgenerator(source) or (not callable(source) and iter(source) is source):
        raise InvalidInputError(
            "`calc` is an iterator, which can be read only once; pass a callable that "
            "returns a fresh iterable of `(calc_chunk, prior_chunk)` pairs (one per pass)."
        )


def _first_width(source: Any) -> int:
    chunks = source() if callable(source) else source
    for item in chunks:
        fc = item[0] if isinstance(item, tuple) and len(item) == 2 else item
        arr = np.asarray(fc)
        if arr.ndim not in (1, 2):
            raise InvalidInputError(
                f"the chunks of `calc` must be 1-D or 2-D; got an array of shape {arr.shape}."
            )
        return 1 if arr.ndim == 1 else int(arr.shape[1])
    raise InvalidInputError("`calc` has no frames; give at least two.")


def open_frames(
    calc: Any,
    prior: Any,
    kind: str,
    names: Callable[[int], tuple[str, ...]],
    powers: Callable[[int], NDArray[np.float64]],
) -> Frames:
    """The back end for ``calc`` (array, dask array or chunk source).

    ``prior`` holds the frames' prior weights (``kind="prior"``) or log-weights
    (``kind="log_prior"``), or is None; ``names(m)`` and ``powers(m)`` give the
    observables' names and powers once their number is known.
    """
    if _is_dask(calc):
        if calc.ndim not in (1, 2):
            raise InvalidInputError(f"`calc` must be 1-D or 2-D; got shape {calc.shape}.")
        m = 1 if calc.ndim == 1 else int(calc.shape[1])
        return DaskFrames(calc, prior, kind, names(m), powers(m))
    if _is_source(calc):
        _check_source(calc)
        if prior is not None:
            raise InvalidInputError(
                f"`{kind}` cannot be given with a chunk source: yield "
                "`(calc_chunk, prior_chunk)` pairs instead."
            )
        m = _first_width(calc)
        return SourceFrames(calc, names(m), powers(m))
    arr = np.asarray(calc)
    if arr.dtype.kind not in "fiu" or arr.ndim not in (1, 2):
        raise InvalidInputError(
            f"`calc` must be a 1-D or 2-D array of real numbers; got dtype {arr.dtype} and "
            f"shape {arr.shape}."
        )
    if arr.ndim == 1:
        arr = arr[:, None]
    n, m = (int(v) for v in arr.shape)
    log_q = None if prior is None else log_prior_block(prior, kind, 0, n)
    return ArrayFrames(arr, log_q, names(m), powers(m))
