"""What one pass over the states computes: the pass request and the chunk kernels.

A pass is asked for with a :class:`PassRequest`, a frozen value naming what it must
compute at multipliers ``lam``.  Always: :math:`\\log Z` and the moments :math:`E_p[F]`
over the support.  On request: the covariance (about a ``center``; of the features or of
their projections ``(F - center) @ projection``; over all states or screened to those that
carry weight; in double or single precision), the ranges of ``F @ d`` for a few directions
or of the features themselves, the information terms of the entropy, and per-state values
kept in memory (the weights, so p needs no pass of its own; the log-weights and
projections on a line, so a line search needs no pass).

A kernel (:class:`MomentKernel`) turns one chunk of states into a :class:`Partial`;
partials merge by a streaming log-sum-exp (:func:`merge_partials`), whatever back end runs
them.  A kernel declares in ``supports`` which of the optional capabilities it implements
(:data:`OPTIONAL`); the engine asks only for those (:meth:`PassRequest.within`) and falls
back for the others (double precision, no screening, no kept line, projections taken from
the plain covariance), so a new back end can start from the mandatory part.
:class:`maxent._numpy_kernel.NumpyKernel` implements everything.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ACCURATE_LOG_WEIGHTS",
    "KEPT_LINE",
    "OPTIONAL",
    "PROJECTION",
    "SCREENING",
    "SCREEN_EXACT",
    "SCREEN_NEWTON",
    "SINGLE_PRECISION",
    "ChunkInfo",
    "HeavyStates",
    "MomentKernel",
    "MomentReduction",
    "PassRequest",
    "Partial",
    "Screen",
    "Sinks",
    "merge_partials",
]

Array = NDArray[np.float64]

# Optional capabilities of a kernel (the mandatory part: log Z, moments, the covariance in
# double precision about a center, ranges, the entropy's information terms, kept p).
SINGLE_PRECISION = "single_precision"  # second moments in float32 (for Newton's first Hessian)
SCREENING = "screening"  # second moments only over the states above a log-weight floor
PROJECTION = "projection"  # second moments of (F - center) @ D, each state projected first
KEPT_LINE = "kept_line"  # per-state log-weights and F @ d kept for line searches
# log q - F @ lam by a compensated dot product (large multipliers on nearly collinear
# features, where the products cancel to many digits: see accurate_dot)
ACCURATE_LOG_WEIGHTS = "accurate_log_weights"
OPTIONAL = frozenset({SINGLE_PRECISION, SCREENING, PROJECTION, KEPT_LINE, ACCURATE_LOG_WEIGHTS})

# Screening windows, in nats below the heaviest state (plus log n): states further down
# carry together less than e^-36 (2e-16) of p, below what Newton's Hessian resolves; or
# each one's weight underflows to 0 relative to the heaviest (e^-745), so that leaving
# them out changes nothing: the covariance a result reports.
SCREEN_NEWTON = 36.0
SCREEN_EXACT = 745.0
# Heaviest states a pass reports (screening's floor at the next one).  One suffices: where
# a step moves p's heaviest state, the next ones move too, and a floor from a few dozen
# was no tighter (measured on hard_problem(10**6, 200)); finding it costs nothing more.
HEAVY_COUNT = 1


def _frozen(x: Any) -> Array | None:
    if x is None:
        return None
    out = np.array(x, dtype=np.float64)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, kw_only=True, eq=False)
class PassRequest:
    """What one pass over the states must compute at multipliers ``lam`` (a value).

    Attributes
    ----------
    lam : ndarray, shape (m,)
        Multipliers; every pass returns log Z and E_p[F] there.
    covariance : bool
        Also the covariance (second moments about ``center``).
    precision : {"double", "single"}
        Of the second moments.  ``"single"``: each chunk centred on its own mean and
        multiplied in float32 (~1e-6 of each entry's scale): Newton's first Hessian.
    center : ndarray, shape (m,), optional
        Second moments about this point (near the mean: no cancellation however
        concentrated p is).
    screen : float, optional
        Second moments only over the states whose log-weight is within ``screen + log n``
        nats of the heaviest one: :data:`SCREEN_NEWTON` for Newton's Hessian (the others
        carry below ``e^-36`` of p), :data:`SCREEN_EXACT` for a covariance exact to
        rounding.
    projection : ndarray, shape (m, k), optional
        The covariance of ``(F - center) @ projection`` instead of ``F``'s: each state
        projected first, which resolves combinations constant up to rounding.
    ranges : ndarray, shape (m, k), optional
        Min and max over the support of ``F @ d`` for each column ``d``.
    axis_ranges : bool
        Min and max of each feature over the support (instead of ``ranges``).
    entropy : bool
        The information terms of each chunk (entropy and cross-entropy of p, without
        anything per state).
    keep_p : bool
        Keep every state's weight (in memory), so that p needs no pass of its own;
        implies ``entropy``.
    line : ndarray, shape (m,), optional
        Keep every state's log-weight and ``F @ line`` (in memory) for line searches
        along ``lam + s * line``.
    accurate : bool
        The log-weights ``log q - F @ lam`` to about ``eps`` of their own size rather than
        of ``sum_k |F_k lam_k|``, by a compensated dot product (:func:`accurate_dot`):
        for multipliers so large that the products cancel to many digits.
    """

    lam: Array
    covariance: bool = False
    precision: Literal["double", "single"] = "double"
    center: Array | None = None
    screen: float | None = None
    projection: Array | None = None
    ranges: Array | None = None
    axis_ranges: bool = False
    entropy: bool = False
    keep_p: bool = False
    line: Array | None = None
    accurate: bool = False

    def __post_init__(self) -> None:
        for name in ("lam", "center", "projection", "ranges", "line"):
            if (value := getattr(self, name)) is not None:
                object.__setattr__(self, name, _frozen(value))
        if self.keep_p:
            object.__setattr__(self, "entropy", True)
        if self.ranges is not None and self.axis_ranges:
            raise ValueError("a pass computes `ranges` or `axis_ranges`, not both")
        if self.precision not in ("double", "single"):
            raise ValueError(f"unknown precision {self.precision!r}")

    def optional_parts(self) -> frozenset[str]:
        """The optional capabilities this request uses (see :data:`OPTIONAL`)."""
        used = set()
        if self.covariance and self.precision == "single":
            used.add(SINGLE_PRECISION)
        if self.covariance and self.screen is not None:
            used.add(SCREENING)
        if self.covariance and self.projection is not None:
            used.add(PROJECTION)
        if self.line is not None:
            used.add(KEPT_LINE)
        if self.accurate:
            used.add(ACCURATE_LOG_WEIGHTS)
        return frozenset(used)

    def within(self, supports: frozenset[str]) -> PassRequest:
        """This request without the optional parts a kernel lacks (each has an exact
        fallback except the projection, which the engine then takes from the covariance)."""
        if supports >= OPTIONAL:
            return self
        missing = self.optional_parts() - supports
        if not missing:
            return self
        changes: dict[str, Any] = {}
        if SINGLE_PRECISION in missing:
            changes["precision"] = "double"
        if SCREENING in missing:
            changes["screen"] = None
        if PROJECTION in missing:
            changes["projection"] = None
        if KEPT_LINE in missing:
            changes["line"] = None
        if ACCURATE_LOG_WEIGHTS in missing:
            changes["accurate"] = False
        return dataclasses.replace(self, **changes)


class ChunkInfo(NamedTuple):
    """What normalising a chunk's kept weights and its entropy terms need."""

    start: int  # first state of the chunk
    stop: int
    top: float  # the chunk's largest log-weight; its weights are exp(a - top)
    weight: float  # sum of its weights
    weight_log: float  # sum w (a - top)
    weight_log_prior: float  # sum w log q


@dataclass(frozen=True)
class HeavyStates:
    """The (at most :data:`HEAVY_COUNT`) heaviest states of a pass: their log-weights, feature
    rows (engine units) and log prior weights.  At other multipliers, the largest of
    their log-weights bounds the heaviest state's from below: the floor of screening."""

    log_weights: Array
    rows: Array
    log_prior: Array

    @staticmethod
    def of(a: Array, rows: Array, lq: Array | None, i_top: int) -> HeavyStates:
        """The heaviest states of a chunk with log-weights ``a`` (finite ones only; the
        heaviest is ``i_top``, and finite)."""
        if HEAVY_COUNT == 1:  # the common case, in three small arrays
            lq_top = 0.0 if lq is None else float(lq[i_top])
            return HeavyStates(
                a[i_top : i_top + 1].copy(), rows[i_top : i_top + 1].copy(), np.array([lq_top])
            )
        idx = np.argpartition(a, -HEAVY_COUNT)[-HEAVY_COUNT:] if a.size > HEAVY_COUNT else None
        top_a = a if idx is None else a[idx]
        keep = np.isfinite(top_a)
        pick = np.flatnonzero(keep) if idx is None else idx[keep]
        return HeavyStates(a[pick], rows[pick], np.zeros(pick.size) if lq is None else lq[pick])

    def merge(self, other: HeavyStates) -> HeavyStates:
        if HEAVY_COUNT == 1:
            return self if self.log_weights[0] >= other.log_weights[0] else other
        a = np.concatenate([self.log_weights, other.log_weights])
        rows = np.concatenate([self.rows, other.rows])
        lq = np.concatenate([self.log_prior, other.log_prior])
        if a.size > HEAVY_COUNT:
            idx = np.argpartition(a, -HEAVY_COUNT)[-HEAVY_COUNT:]
            a, rows, lq = a[idx], rows[idx], lq[idx]
        return HeavyStates(a, rows, lq)


@dataclass(frozen=True)
class Partial:
    """Partial sums of a pass over some states, scaled by ``exp(-top)``.

    ``s1`` are first moments (about the request's center when it has one and asks for the
    covariance); ``second`` the triple ``(weight, first, second moments)`` over the states
    and in the coordinates the covariance covers (screened, projected).
    """

    top: float  # running max of the log-weights
    s0: float
    s1: Array
    second: tuple[float, Array, Array] | None
    dmin: Array | None
    dmax: Array | None
    heavy: HeavyStates | None = None  # the heaviest states seen
    chunks: tuple[ChunkInfo, ...] = ()  # with ``entropy``: one per chunk
    covered: int = 0  # states the second moments cover


def merge_partials(a: Partial | None, b: Partial | None) -> Partial | None:
    """Combine two partial reductions (log-sum-exp merge of the weighted sums).

    Both are consumed: their arrays are scaled and summed in place (a pass's partials
    are made fresh per chunk and merged once), so a merge allocates nothing m x m.
    """
    if a is None or b is None:
        return b if a is None else a
    big = max(a.top, b.top)
    if big == -np.inf:
        sa = sb = 1.0
    else:
        sa, sb = math.exp(a.top - big), math.exp(b.top - big)
    second = None
    if a.second is not None and b.second is not None:
        second = (
            a.second[0] * sa + b.second[0] * sb,
            _scaled_sum(a.second[1], sa, b.second[1], sb),
            _scaled_sum(a.second[2], sa, b.second[2], sb),
        )
    heavy = a.heavy if b.heavy is None else b.heavy if a.heavy is None else a.heavy.merge(b.heavy)
    return Partial(
        big,
        a.s0 * sa + b.s0 * sb,
        _scaled_sum(a.s1, sa, b.s1, sb),
        second,
        None if a.dmin is None or b.dmin is None else np.minimum(a.dmin, b.dmin, out=a.dmin),
        None if a.dmax is None or b.dmax is None else np.maximum(a.dmax, b.dmax, out=a.dmax),
        heavy,
        a.chunks + b.chunks,
        a.covered + b.covered,
    )


def _scaled_sum(x: Array, sx: float, y: Array, sy: float) -> Array:
    """``x * sx + y * sy`` in x's memory (y scaled in its own: both are consumed)."""
    if sx != 1.0:
        x *= sx
    if sy != 1.0:
        y *= sy
    x += y
    return x


@dataclass(frozen=True)
class Sinks:
    """Per-state arrays a pass writes in memory (rows by global state index)."""

    p: Array | None = None  # each state's weight exp(a - top of its chunk)
    line_log_weights: Array | None = None
    line_projections: Array | None = None


@dataclass(frozen=True)
class Screen:
    """Which states a screened covariance may leave out: those with a log-weight below
    ``floor`` (a bound the engine derives from the last pass), or more than ``window``
    below the heaviest state of their own chunk (a lower bound on the heaviest of all;
    the window includes ``log n`` and the rounding of the log-weights)."""

    floor: float | None
    window: float | None


class MomentKernel(Protocol):
    """Computes a pass request on one chunk of states.

    ``supports``: the optional capabilities implemented (:data:`OPTIONAL`).
    ``plan(request, screen)``: whatever the kernel precomputes once per pass (picklable;
    ``screen`` says which states a screened request may leave out, or None).
    ``chunk(plan, features, log_prior, first_row, sinks)``: the chunk's :class:`Partial`
    (features in engine units, log prior ``-inf`` off the support); per-state values go
    into ``sinks`` at rows ``first_row...``.
    """

    supports: frozenset[str]

    def plan(self, request: PassRequest, screen: Screen | None) -> Any: ...

    def chunk(
        self,
        plan: Any,
        features: Array,
        log_prior: Array | None,
        first_row: int,
        sinks: Sinks | None,
    ) -> Partial: ...


@dataclass(frozen=True)
class MomentReduction:
    """A moment pass as a reduction (:class:`maxent._blocks.Reduction`)."""

    kernel: MomentKernel
    plan: Any
    sinks: Sinks | None

    def chunk(self, features: Array, log_prior: Array | None, first_row: int) -> Partial:
        return self.kernel.chunk(self.plan, features, log_prior, first_row, self.sinks)

    def merge(self, a: Partial | None, b: Partial | None) -> Partial | None:
        return merge_partials(a, b)
