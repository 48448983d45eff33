"""The moment engine: every pass :func:`maxent.solve` makes over the feature matrix.

Engine map (where each part lives, and how a pass flows through them):

- :mod:`maxent._kernel` -- *what* a pass computes.  A :class:`~maxent._kernel.PassRequest`
  (frozen) names it: log Z and the moments always; on request the covariance (about a
  center; full, screened to the states that carry weight, or of projected features;
  double or single precision), ranges of ``F @ d``, the entropy's terms, and per-state
  values kept in memory (p; the log-weights and projections on a line for line searches).
  A kernel (:class:`~maxent._kernel.MomentKernel`: ``supports``, ``plan``, ``chunk``)
  computes it on one chunk as a :class:`~maxent._kernel.Partial`; partials merge by a
  streaming log-sum-exp.  :class:`~maxent._numpy_kernel.NumpyKernel` is the one kernel today.
- :mod:`maxent._blocks` -- *where the states come from and who runs the passes*: block
  sources (:class:`~maxent._blocks.ArrayBlocks` in memory; chunk sources and dask arrays in
  :mod:`maxent.streaming`), executors (:class:`maxent._parallel.ThreadExecutor`, dask), and
  the :class:`~maxent._blocks.Support` every back end applies to a chunk first (the exact
  affine map of the features and the recorded faces of the hull).
- :mod:`maxent._kept` -- per-state values kept between passes (p, a line).
- here -- :class:`MomentEngine`: owns the support (read-only ``faces``; ``add_face``,
  ``restore_support`` and the ``tentative_faces`` context), turns a request into one pass
  (``kernel.plan`` once with the screening bounds of :meth:`MomentEngine._screen`,
  ``kernel.chunk`` per chunk, run by the executor over the source's blocks) and the
  merged partial into an :class:`Evaluation`; keeps what the pass kept; and answers the
  face finder's geometric queries (ranges, extreme and lowest states).
- the users: :mod:`maxent._newton` (the trust-region Newton loop on a frozen
  ``NewtonTask``: one request per trial point, a covariance request where the Hessian is
  refreshed, a ``Verdict`` at the end), :mod:`maxent._faces` (faces, certificates, the
  linear program), :mod:`maxent._stages` (equalities and bounds) and
  :mod:`maxent.solver` (validation, the prior pass, the result, whose covariance comes
  from the last pass when a step predicted final asked for it).  They share a frozen
  :class:`maxent._problem.Problem`; what they learn on the way is its ``progress``.

A new back end implements a block source (and, if it runs tasks elsewhere, an executor),
and a kernel when its arrays are not numpy's: the mandatory part of a kernel is log Z,
moments, the covariance in double precision about a center, ranges, the entropy's terms
and kept p.  The optional capabilities (:data:`maxent._kernel.OPTIONAL`) fall back when
absent (:meth:`maxent._kernel.PassRequest.within`): single precision and screening to
exact, slower passes, kept lines to backtracking passes, projection to ``D^T Cov D`` from
the plain covariance (which loses the smallest curvatures of nearly collinear features
to rounding).  ``tests/test_moments.py`` solves with such a minimal kernel.

Hessian-vector products (truncated Newton for many constraints, :mod:`maxent._newton_cg`):
:meth:`MomentEngine.hessian_products` takes ``Cov_p(F) V`` in one pass of ``2 n m k``
work from the weights the last pass kept in memory (no kernel capability: a plain
reduction over the prepared chunks, like the face finder's), instead of the ``n m^2`` of
a covariance.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._blocks import (
    ArrayBlocks,
    BlockSource,
    Executor,
    Face,
    Gibbs,
    PassSpec,
    Reduction,
    Support,
    block_task,
    combine_parts,
    default_chunk_size,
    raise_checks,
)
from ._kept import KeptLine, KeptWeights
from ._kernel import (
    SCREEN_NEWTON,
    HeavyStates,
    MomentKernel,
    MomentReduction,
    Partial,
    PassRequest,
    Screen,
    Sinks,
)
from ._numpy_kernel import NumpyKernel
from ._parallel import ThreadExecutor, blas_single

__all__ = ["EmptySupportError", "Evaluation", "FaceTrial", "MomentEngine"]

Array = NDArray[np.float64]
_EPS = float(np.finfo(np.float64).eps)


class EmptySupportError(ArithmeticError):
    """No state has positive weight on the current support (internal: the solver turns
    it into an InfeasibleTargetsError naming the constraints)."""


@dataclass(frozen=True)
class Evaluation:
    """What one pass over the features returns at multipliers ``lam``."""

    lam: Array
    log_Z: float  # log sum_i q_i exp(-lam . F_i) over the support, q as given (unnormalised)
    mean: Array
    cov: Array | None  # Cov_p(F), or of (F - center) @ projection; None if not asked for
    dir_min: Array | None
    dir_max: Array | None
    center: Array | None = None  # second moments taken about this point
    single: bool = False  # cov from second moments in single precision (~1e-6 relative)
    projected: bool = False  # cov is that of the projected features
    screen: float | None = None  # cov over the states within this window only (None: all)
    covered: int = 0  # states the covariance covered


class FaceTrial:
    """Faces recorded inside :meth:`MomentEngine.tentative_faces`: dropped at its end
    unless :meth:`keep` was called."""

    def __init__(self, engine: MomentEngine) -> None:
        self._engine = engine
        self.saved = engine.support
        self.kept = False

    @property
    def added(self) -> bool:
        """Whether faces were recorded since the trial began."""
        return len(self._engine.faces) > len(self.saved.faces)

    def keep(self) -> None:
        """Keep the faces recorded in the trial."""
        self.kept = True


class MomentEngine:
    """Map-reduce passes over the states of a block source, run by an executor.

    Parameters
    ----------
    source : BlockSource or ndarray
        Where the states come from; an ndarray ``(n_states, n_constraints)`` is wrapped in
        :class:`maxent._blocks.ArrayBlocks` with ``log_prior``.
    log_prior : ndarray or None
        Only with an ndarray ``source``: log prior weights, ``-inf`` off the support.
    chunk_size : int or None
        Rows per chunk; by default about 1-2 MB of features.
    executor : Executor, optional
        Who runs the block tasks; a :class:`maxent._parallel.ThreadExecutor` by default.
    kernel : MomentKernel, optional
        What computes a pass on a chunk; :class:`maxent._numpy_kernel.NumpyKernel` by default.
    """

    def __init__(
        self,
        source: BlockSource | Array,
        log_prior: Array | None = None,
        chunk_size: int | None = None,
        *,
        executor: Executor | None = None,
        kernel: MomentKernel | None = None,
    ) -> None:
        self.source: BlockSource = (
            ArrayBlocks(source, log_prior) if isinstance(source, np.ndarray) else source
        )
        self.executor: Executor = ThreadExecutor() if executor is None else executor
        self.kernel: MomentKernel = NumpyKernel() if kernel is None else kernel
        self.m = int(self.source.m)
        self.chunk_size = int(default_chunk_size(self.m) if chunk_size is None else chunk_size)
        self.n_passes = 0
        self._draws = 0  # samples drawn (see sampled_covariance): the seed of the next
        self._support = Support()
        self._checked = self.source.validate is None
        self._kept: KeptWeights | None = None  # weights kept by the last pass asking for them
        self._p_buffer: Array | None = None  # where kept weights go (reused: only the last counts)
        self._line: KeptLine | None = None
        self._line_buffers: tuple[Array, Array] | None = None
        # the heaviest states of the last pass, and the support they are on
        self._heavy: tuple[Support, HeavyStates] | None = None
        self._magnitude: Array | None = None  # max |F| per feature on the support (engine units)
        self._p_normalised: tuple[KeptWeights, Array] | None = None  # p of the kept weights
        # Every pass takes the log-weights by a compensated dot product (set by the solver
        # where rounding of F @ lam limits the accuracy; see PassRequest.accurate).
        self.accurate = False

    @property
    def n(self) -> int | None:
        """Number of states (None for a chunk source before its first pass)."""
        return self.source.n

    @property
    def keeps_p(self) -> bool:
        """Whether p is collected in memory (kept weights and lines are then possible)."""
        return bool(self.source.stores_p)

    # -- the support: units and faces -----------------------------------------------------
    @property
    def support(self) -> Support:
        """The current support (a value: save it to restore it later)."""
        return self._support

    @property
    def faces(self) -> tuple[Face, ...]:
        """The recorded faces, read-only (change them with :meth:`add_face`,
        :meth:`restore_support` or :meth:`tentative_faces`)."""
        return self._support.faces

    @property
    def shift(self) -> Array | None:
        return self._support.shift

    def set_transform(self, shift: Array, scale: Array) -> None:
        """From now on work with ``(F - shift) / scale``, column by column.

        Used for features with large offsets or extreme magnitudes, so that the log-weights
        and second moments keep full precision and never overflow.  ``scale`` should be a
        power of two (exact).  Everything the engine returns is then in these units.
        """
        self._support = self._support.with_transform(shift, scale)
        self._magnitude = None  # in the old units

    def add_face(self, direction: Array, threshold: float) -> None:
        """Shrink the support to the states with ``F @ direction <= threshold``."""
        self._support = self._support.with_faces((*self.faces, Face(direction, threshold)))

    def restore_support(self, support: Support) -> None:
        """Go back to an earlier support (same units, a prefix of today's faces).

        What was kept on that support (p, a line) is valid again; what was kept since is
        not (kept values belong to the support object they were computed on).
        """
        if (
            support.shift is not self._support.shift
            or support.faces != self.faces[: len(support.faces)]
        ):
            raise ValueError("restore_support: not an earlier support of this engine")
        self._support = support

    @contextmanager
    def tentative_faces(self) -> Iterator[FaceTrial]:
        """Faces recorded inside the block are dropped at its end (also on an exception)
        unless the trial's :meth:`FaceTrial.keep` is called."""
        trial = FaceTrial(self)
        try:
            yield trial
        finally:
            if not trial.kept:
                self.restore_support(trial.saved)

    def validate(self) -> None:
        """Raise InvalidInputError naming the first NaN or inf in the features."""
        check = getattr(self.source, "check_finite", None)
        if check is not None:
            check()

    # -- the pass ------------------------------------------------------------------------
    def _reduce(self, reduction: Reduction) -> Any:
        """One pass: the source's blocks, each cut into chunks and prepared by the
        support, reduced by ``reduction``, run by the executor.  The first pass over lazy
        input also validates it, block by block."""
        self.n_passes += 1
        whole = self._whole_chunk()
        if whole is not None:  # one chunk in memory: inline, without blocks and executor
            fc, lq = self._support.prepare(*whole)
            return reduction.chunk(fc, lq, 0)
        validate = None if self._checked else self.source.validate
        spec = PassSpec(
            reduction,
            self._support,
            self.chunk_size,
            dict(np.geterr()),
            self.source.prior_is_log,
            validate,
        )
        out = self.executor.reduce(
            block_task, spec, self.source.blocks(self.chunk_size), combine_parts
        )
        part, check = (None, None) if out is None else out
        if validate is not None:
            raise_checks(check)
            assert check is not None
            self.source.n = check.rows
            self._checked = True
        return part

    def _whole_chunk(self) -> tuple[Array, Array | None] | None:
        """The features and log prior of an in-memory source that fits in one chunk,
        where a pass may run inline in this thread (as the thread executor would run its
        one block: BLAS already limited to one thread here); else None."""
        src = self.source
        if (
            type(src) is not ArrayBlocks
            or type(self.executor) is not ThreadExecutor
            or not 0 < src.F.shape[0] <= self.chunk_size
            or not blas_single()
        ):
            return None
        return src.F, src.log_prior

    def evaluate(self, request: PassRequest) -> Evaluation:
        """One pass over ``F`` computing ``request`` (see :class:`maxent._kernel.PassRequest`).

        Optional parts the kernel lacks fall back (:meth:`PassRequest.within`); per-state
        values (kept p, a line) are kept only for sources in memory.  Raises
        EmptySupportError when no state is left on the support.
        """
        if self.accurate and not request.accurate:
            request = dataclasses.replace(request, accurate=True)
        req = request.within(self.kernel.supports)
        if request.projection is not None and req.projection is None:
            return self._projected_from_covariance(req, request.projection)
        if not self.keeps_p and (req.keep_p or req.line is not None):
            req = dataclasses.replace(req, keep_p=False, line=None)
        screen = None
        if req.covariance and req.screen is not None:
            screen = self._screen(req.lam, req.screen)
        sinks = self._sinks(req)
        plan = self.kernel.plan(req, screen)
        part: Partial | None = self._reduce(MomentReduction(self.kernel, plan, sinks))
        if part is None or part.s0 == 0.0:
            # Faces recorded together may leave no state: the solver decides.
            raise EmptySupportError("no state of the support lies on every recorded face")
        self._keep(req, part, sinks)
        ev = _evaluation(req, part)
        if ev is None:  # no state above the screening floor: rounding beat its bound
            return self.evaluate(dataclasses.replace(req, screen=None, line=None))
        if screen is None and ev.screen is not None:  # the covariance covered every state
            ev = dataclasses.replace(ev, screen=None)
        return ev

    def _sinks(self, req: PassRequest) -> Sinks | None:
        """The per-state arrays this pass writes (in memory), reused from pass to pass."""
        n = self.n
        if n is None or not (req.keep_p or req.line is not None):
            return None
        p = None
        if req.keep_p:
            self._kept = None  # its weights are about to be overwritten
            if self._p_buffer is None:
                self._p_buffer = np.empty(n)
            p = self._p_buffer
        la = lu = None
        if req.line is not None:
            self._line = None
            if self._line_buffers is None:
                self._line_buffers = (np.empty(n), np.empty(n))
            la, lu = self._line_buffers
        return Sinks(p, la, lu)

    def _keep(self, req: PassRequest, part: Partial, sinks: Sinks | None) -> None:
        """Record what the pass kept: the heaviest state, the line, the weights."""
        if part.heavy is not None and part.heavy.rows.shape[0]:
            self._heavy = (self._support, part.heavy)
        if req.axis_ranges and part.dmin is not None and part.dmax is not None:
            magnitude = np.maximum(np.abs(part.dmin), np.abs(part.dmax))
            if self._magnitude is None:  # faces only shrink the support: the first holds
                self._magnitude = magnitude
        if sinks is not None and req.line is not None:
            assert sinks.line_log_weights is not None and sinks.line_projections is not None
            self._line = KeptLine(
                req.lam, req.line, self._support, sinks.line_log_weights, sinks.line_projections
            )
        if req.entropy:
            p = sinks.p if sinks is not None and req.keep_p else None
            mean = part.s1 / part.s0
            if req.covariance and req.center is not None:  # (the sums are about the center)
                mean = mean + req.center
            self._kept = KeptWeights(
                req.lam, self._support, p, part.chunks, part.top, part.s0, mean
            )

    def _projected_from_covariance(self, req: PassRequest, projection: Array) -> Evaluation:
        """The projected covariance ``D^T Cov D`` from the plain one (kernels without the
        projection capability: rounding of Cov is then not resolved)."""
        ev = self.evaluate(req)
        assert ev.cov is not None
        cov = projection.T @ ev.cov @ projection
        return dataclasses.replace(ev, cov=0.5 * (cov + cov.T), projected=True)

    def _screen(self, lam: Array, window: float) -> Screen | None:
        """The states a covariance screened with ``window`` may leave out at ``lam``: those
        ``window + log n`` nats below the heaviest one, or None (no screening possible).

        Two lower bounds on the heaviest log-weight: the largest at ``lam`` of the
        heaviest states of the last pass (a floor for every chunk), and each chunk's own
        heaviest (known in the pass).  States so far below carry together less than
        ``e^-window`` of p's weight: ``e^-36`` (2e-16) for Newton's curvature, see
        :data:`maxent._kernel.SCREEN_NEWTON` and ``SCREEN_EXACT``.  Both are lowered by the
        rounding of ``F . lam`` (for multipliers so large that it exceeds the window,
        screening is off in effect); the chunks' own bound needs the features'
        magnitudes, known after a pass that took their ranges.
        """
        n = self.n
        if not n:
            return None
        width = window + float(np.log(n))
        floor = None
        if self._heavy is not None and self._heavy[0] is self._support:
            heavy = self._heavy[1]
            rounding = 16 * self.m * _EPS * float((np.abs(heavy.rows) @ np.abs(lam)).max())
            floor = float((heavy.log_prior - heavy.rows @ lam).max()) - width - rounding
            floor = floor if math.isfinite(floor) else None
        chunk_window = None
        if self._magnitude is not None:
            # Both the chunk's heaviest state and the others round by at most this much.
            rounding = 32 * self.m * _EPS * float(self._magnitude @ np.abs(lam))
            chunk_window = width + rounding if math.isfinite(rounding) else None
        if floor is None and chunk_window is None:
            return None
        return Screen(floor, chunk_window)

    # -- what the passes kept ---------------------------------------------------------------
    def line_at(self, lam: Array, line: Array) -> bool:
        """Whether :meth:`line_search` can run along ``lam + s * line`` (kept by the last
        pass that asked for that line, on the current support)."""
        return self._line is not None and self._line.matches(lam, line, self._support)

    def line_search(self, s: float) -> tuple[float, float, float]:
        """log Z, E[F @ d] and Var[F @ d] at ``lam + s * d`` from the kept line (no pass);
        check with :meth:`line_at` first."""
        assert self._line is not None
        return self._line.search(s)

    def kept_line(self, lam: Array, line: Array) -> tuple[Array, Array] | None:
        """The log-weights and ``F @ line`` of every state kept at ``lam`` (no copies:
        valid until the next pass that keeps a line), if :meth:`line_at`; else None."""
        if not self.line_at(lam, line):
            return None
        assert self._line is not None
        return self._line.log_weights, self._line.projections

    def log_weights_at(self, lam: Array) -> Array | None:
        """The log-weight of every state at ``lam`` (``-inf`` off the support), if the last
        pass that kept a line was at ``lam`` on the current support; else None.

        No copy: valid until the next pass that keeps a line.
        """
        line = self._line
        if line is None or line.support is not self._support or not np.array_equal(line.lam, lam):
            return None
        return line.log_weights

    def hessian_products(self, lam: Array, vectors: Array, mean: Array) -> Array | None:
        """``Cov_p(F) @ vectors`` at ``lam`` (one pass, ``2 n m k`` work for ``k`` vectors),
        from the weights the last pass at ``lam`` on this support kept in memory; None
        where there are none.

        ``mean`` is ``E_p[F]`` at ``lam`` (engine units): each state contributes
        ``p_i ((F_i - mean) . v) F_i``, so nothing cancels beyond the rounding of
        ``F_i . v``.  Truncated Newton's products (see :mod:`maxent._newton_cg`).
        """
        p = self._kept_p(lam)
        if p is None:
            return None
        v = np.ascontiguousarray(vectors, dtype=np.float64)
        out: Array = self._reduce(_Products(p, v, mean @ v)).T
        return out

    def _kept_p(self, lam: Array) -> Array | None:
        """p normalised, from the weights the last pass at ``lam`` on this support kept in
        memory (computed once per such pass); None where there are none."""
        kept = self._kept
        if kept is None or kept.p is None or not kept.matches(lam, self._support):
            return None
        if self._p_normalised is None or self._p_normalised[0] is not kept:
            self._p_normalised = (kept, kept.normalised())
        return self._p_normalised[1]

    def subset(
        self, rows: NDArray[np.intp], log_scale: Array | None = None, reuse: bool = False
    ) -> MomentEngine | None:
        """An engine over the states ``rows`` only (on the current support), in the same
        units, their prior weights multiplied by ``exp(log_scale)`` where given; None for
        sources that cannot provide a subset (not in memory).

        Its passes read a copy of those rows (with ``reuse``, in a buffer the source keeps:
        valid until the next such subset): a working set for Newton's method where p is
        concentrated on a small part of the states (see :mod:`maxent._newton`), or a sample
        of the states (:meth:`sampled_covariance`).
        """
        make = getattr(self.source, "subset", None)
        if make is None:
            return None
        source = make(rows, log_scale, reuse) if log_scale is not None or reuse else make(rows)
        sub = MomentEngine(source, executor=self.executor, kernel=self.kernel)
        sub._support = Support(self._support.shift, self._support.inv_scale)
        sub._magnitude = self._magnitude  # of a superset of its states
        sub.accurate = self.accurate
        return sub

    def sampled_covariance(
        self, ev: Evaluation, count: int, projection: Array | None = None
    ) -> Evaluation | None:
        """``ev`` with its covariance estimated from a sample of about ``count`` states,
        drawn from the weights the last pass at ``ev.lam`` kept in memory; None where
        there are none, or where the states that carry weight are not many more.

        Poisson sampling with inclusion probabilities ``pi_i = min(1, c p_i)``, ``c`` such
        that they sum to ``count``: the heaviest states are all in the sample, with their
        own weights, and each lighter one stands, when drawn, for ``1 / pi_i`` like it (the
        sample's prior weights are scaled by ``1 / pi``).  The covariance of the sample
        so weighted estimates ``Cov_p(F)`` with a relative error of about
        ``sqrt(m / count)`` (``m`` features) in ``count m^2`` work instead of ``n m^2``:
        a Newton Hessian for many constraints over many states, where an error of a few
        per cent costs a few per cent of contraction per step (sub-sampled Newton).  The
        draws are seeded by their count: a solve repeats exactly.
        Everything else in ``ev`` (the mean, log Z: the gradient) stays exact.  With a
        ``projection``, the covariance of the sampled states projected first (see
        :class:`maxent._kernel.PassRequest`).
        """
        p = self._kept_p(ev.lam)
        if p is None:
            return None
        pi = _inclusion(p, count)
        if pi is None:
            return None
        self._draws += 1
        rng = np.random.default_rng(self._draws)
        rows = np.flatnonzero(rng.random(p.size) < pi)
        with np.errstate(divide="ignore"):
            sub = self.subset(rows, -np.log(pi[rows]), reuse=True)
        if sub is None:
            return None
        # About the exact mean (a sample is small: centring it costs little), so that
        # E[FF] - E[F]E[F] cannot cancel however concentrated p is.
        request = PassRequest(lam=ev.lam, covariance=True, center=ev.mean, projection=projection)
        est = sub.evaluate(request)
        return dataclasses.replace(
            ev,
            cov=est.cov,
            center=est.center,
            single=True,
            covered=int(rows.size),
            projected=projection is not None,
        )

    def moments_of_p(self, ev: Evaluation) -> Array:
        """E_p[F] of the p that :meth:`finalize` returns at evaluation ``ev``: from the
        pass that keeps its weights (one more pass if the last one at ``ev.lam`` did not).

        Where the multipliers are large, passes at the same multipliers that compute
        ``F @ lam`` along different paths (one column or several) round differently, and
        their moments with them: the moments a result reports are those of its p.
        """
        kept = self._kept_at(ev)
        assert kept.mean is not None
        return kept.mean

    def _kept_at(self, ev: Evaluation) -> KeptWeights:
        """The weights kept by a pass at ``ev.lam`` (one pass if the last one did not)."""
        kept = self._kept
        if kept is None or not kept.matches(ev.lam, self._support):
            self.evaluate(PassRequest(lam=ev.lam, entropy=True, keep_p=self.keeps_p))
            kept = self._kept
        assert kept is not None
        return kept

    def finalize(self, ev: Evaluation) -> tuple[Any, float, float]:
        """p, entropy ``-sum p log p`` and ``sum p log q`` at evaluation ``ev``.

        ``q`` is the prior as given (1 per state without one).  No pass when the last
        pass at ``ev.lam`` kept its weights (in memory) or entropy terms (lazy sources).
        In memory, p is an array with one entry per state (0 off the support); for lazy
        sources it is what the source's ``lazy_p`` builds (nothing per state computed).
        """
        kept = self._kept_at(ev)
        self._kept = None
        if kept.p is not None:
            self._p_buffer = None  # the buffer becomes the result's p
            return kept.normalise()
        entropy, cross = kept.information()
        gibbs = Gibbs(self._support, np.array(kept.lam), kept.log_z, self.accurate)
        p = self.source.lazy_p(gibbs)
        return p, entropy, cross

    # -- geometric queries of the face finder -------------------------------------------------
    def projected_covariance(
        self, directions: Array, center: Array, lam: Array | None = None
    ) -> Array:
        """Covariance of ``(F - center) @ directions`` under the prior, or under p at
        multipliers ``lam`` (one pass; there screened to the states that carry weight).

        Projecting each state first, then taking second moments, resolves combinations of
        features that are constant up to rounding, which ``d^T Cov d`` cannot.
        """
        request = PassRequest(
            lam=np.zeros(self.m) if lam is None else lam,
            covariance=True,
            center=center,
            projection=directions,
            screen=None if lam is None else SCREEN_NEWTON,
        )
        cov = self.evaluate(request).cov
        assert cov is not None
        return cov

    def project_ranges(self, directions: Array) -> tuple[Array, Array]:
        """Min and max over the support of ``F @ directions`` (one pass)."""
        out: tuple[Array, Array] = self._reduce(_Ranges(np.asarray(directions, dtype=np.float64)))
        return out

    def feature_ranges(self, columns: Array) -> tuple[Array, Array]:
        """Min and max over the support of the feature columns ``columns`` (one pass):
        :meth:`project_ranges` on those unit vectors, without a product by them."""
        cols = np.asarray(columns, dtype=np.intp)
        out: tuple[Array, Array] = self._reduce(_ColumnRanges(cols))
        return out

    def extreme_rows(self, directions: Array) -> Array:
        """Feature vectors (engine units) of the states in the support minimising F @ d."""
        _, rows = self._reduce(_Extremes(np.asarray(directions, dtype=np.float64)))
        out: Array = np.unique(rows, axis=0)
        return out

    def lowest_rows(self, direction: Array, offset: float, count: int) -> tuple[Array, Array]:
        """The ``count`` states of the support with the smallest ``F @ d - offset``.

        Returns ``(values, rows)`` sorted by value, rows in engine units (one pass).
        """
        d = np.asarray(direction, dtype=np.float64)
        v, r = self._reduce(_Lowest(d, float(offset), int(count)))
        order = np.argsort(v)
        keep = np.isfinite(v[order])
        return v[order][keep], r[order][keep]


def _evaluation(req: PassRequest, part: Partial) -> Evaluation | None:
    """The evaluation a merged partial gives (None: nothing above the screening floor)."""
    log_z = part.top + np.log(part.s0)
    mean = part.s1 / part.s0  # about the center, if any
    cov = None
    if req.covariance:
        assert part.second is not None
        h0, h1, h2 = part.second
        if not h0 > 0.0:
            return None
        mh = h1 / h0
        cov = h2 / h0
        cov -= mh[:, None] * mh  # (np.outer's products, without its checks)
        cov += cov.T  # (numpy buffers the overlapping transpose: cov + cov.T)
        cov *= 0.5
    center = req.center if req.covariance else None
    if center is not None:
        mean = mean + center
    dmin, dmax = part.dmin, part.dmax
    if req.ranges is not None and req.ranges.shape[1] == 0:  # no directions: empty ranges
        dmin = dmax = np.zeros(0)
    return Evaluation(
        np.array(req.lam),
        float(log_z),
        mean,
        cov,
        dmin,
        dmax,
        None if center is None else np.array(center),
        single=req.covariance and req.precision == "single",
        projected=req.covariance and req.projection is not None,
        screen=req.screen if req.covariance else None,
        covered=part.covered,
    )


# -- the geometric reductions (plain chunk functions; every back end runs them as they are) --
@dataclass(frozen=True)
class _Ranges:
    directions: Array

    def chunk(self, fc: Array, lq: Array | None, first_row: int) -> tuple[Array, Array] | None:
        pk = np.dot(self.directions.T, fc.T)
        if lq is not None:
            pk = pk[:, np.isfinite(lq)]
        if pk.shape[1] == 0:
            return None
        return pk.min(axis=1), pk.max(axis=1)

    def merge(self, a: Any, b: Any) -> Any:
        if a is None or b is None:
            return b if a is None else a
        return np.minimum(a[0], b[0]), np.maximum(a[1], b[1])


@dataclass(frozen=True)
class _ColumnRanges:
    columns: NDArray[np.intp]

    def chunk(self, fc: Array, lq: Array | None, first_row: int) -> tuple[Array, Array] | None:
        rows = fc if lq is None else fc[np.isfinite(lq)]
        if rows.shape[0] == 0:
            return None
        cols = rows[:, self.columns]
        return cols.min(axis=0), cols.max(axis=0)

    merge = _Ranges.merge


def _inclusion(p: Array, count: int) -> Array | None:
    """Inclusion probabilities ``min(1, c p)`` summing to ``count``, or None where fewer
    than ``4 count`` states carry weight (a sample would save little)."""
    if np.count_nonzero(p) < 4 * count:
        return None
    c = count / float(p.sum())
    sure = p >= 1.0 / c
    for _ in range(20):  # the states sure to be drawn, then c for the others, to a fixed point
        k = int(np.count_nonzero(sure))
        if k >= count:
            return None
        rest = float(p[~sure].sum())
        top = float(p[~sure].max())
        if not top * (count - k) < rest * 1e300:  # the others carry (next to) nothing
            return sure.astype(np.float64)
        c = (count - k) / rest
        more = p >= 1.0 / c
        if np.array_equal(more, sure):
            break
        sure = more
    out: Array = np.minimum(c * p, 1.0)
    return out


@dataclass(frozen=True)
class _Products:
    """``sum_i p_i ((F_i - mean) . V) F_i``, shape (k, m), for weights ``p`` of every state
    (in memory, by global row) and ``offset = mean @ V``."""

    p: Array
    vectors: Array
    offset: Array

    def chunk(self, fc: Array, lq: Array | None, first_row: int) -> Array:
        y = np.dot(fc, self.vectors)  # (np.dot releases the GIL: see maxent._kernel)
        y -= self.offset
        y *= self.p[first_row : first_row + fc.shape[0], None]
        out: Array = np.dot(y.T, fc)
        return out

    def merge(self, a: Any, b: Any) -> Any:
        if a is None or b is None:
            return b if a is None else a
        a += b  # (each chunk's array is its own)
        return a


@dataclass(frozen=True)
class _Extremes:
    directions: Array

    def chunk(self, fc: Array, lq: Array | None, first_row: int) -> tuple[Array, Array]:
        pk = np.dot(self.directions.T, fc.T)
        if lq is not None:
            pk = np.where(np.isfinite(lq)[None, :], pk, np.inf)
        i = np.argmin(pk, axis=1)
        return pk[np.arange(pk.shape[0]), i], fc[i]

    def merge(self, a: Any, b: Any) -> Any:
        if a is None or b is None:
            return b if a is None else a
        better = b[0] < a[0]
        return np.where(better, b[0], a[0]), np.where(better[:, None], b[1], a[1])


@dataclass(frozen=True)
class _Lowest:
    direction: Array
    offset: float
    count: int

    def chunk(self, fc: Array, lq: Array | None, first_row: int) -> tuple[Array, Array]:
        v = fc @ self.direction - self.offset
        if lq is not None:
            v = np.where(np.isfinite(lq), v, np.inf)
        return self._lowest(v, fc)

    def merge(self, a: Any, b: Any) -> Any:
        if a is None or b is None:
            return b if a is None else a
        return self._lowest(np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]))

    def _lowest(self, v: Array, rows: Array) -> tuple[Array, Array]:
        """The ``count`` lowest values and their rows (copies, never views of a chunk)."""
        if v.shape[0] > self.count:
            part = np.argpartition(v, self.count - 1)[: self.count]
            return v[part], rows[part]
        return v, np.array(rows)
