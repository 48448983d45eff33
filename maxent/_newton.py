"""Newton's method on the dual, globalised by a trust region: the solver's inner loop.

The dual :math:`\\Gamma(\\lambda) = \\log Z + \\lambda \\cdot b
+ \\tfrac12 \\sum_k \\sigma_k^2 \\lambda_k^2` is minimised over the free constraints in
coordinates whitened under the prior.  The loop has the shape of a trust-region method:
each iteration computes a direction (:func:`direction`), tries the step
(:func:`_trial_step`: a pass at the full step; if the dual does not decrease enough, its
minimum along the line from the per-state values that pass kept, or backtracking passes
for lazy sources), and updates the radius (:func:`_update`) from the ratio of actual to
predicted decrease.  The covariance (the Hessian, ``n m^2`` work) is computed only when a
step needs a new one, screened to the states that carry weight; in between the reduced
Hessian is reused with secant (BFGS) updates (:func:`secant_update`).  Where p sits on a
small part of the states, the direction comes instead from the same Newton method run on
a working set of the heaviest states (:func:`_working_set_step`), a fraction of a pass
per step; the trial pass over all states checks it as any other step.  The state of the
iteration lives in one :class:`maxent._newton_state.State`; its input is a frozen
:class:`maxent._problem.NewtonTask` and it ends with a :class:`maxent._problem.Verdict`.

Every pass is a :class:`maxent._kernel.PassRequest`: a light one at trial points
(:func:`_trial_request`), Newton's covariance where the Hessian is refreshed (screened; of
the states projected on the reduced basis once rounding reaches the curvatures: see
:mod:`maxent._newton_step`), and the covariance the result reports in the pass of a step
predicted to end the solve.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import NDArray

from ._faces import certificates, lp_faces, reachable_on_face
from ._kernel import SCREEN_EXACT, SCREEN_NEWTON, PassRequest
from ._moments import EmptySupportError, Evaluation
from ._newton_cg import cg_cheaper, cg_pays, cg_step
from ._newton_state import Best, State, Step, Trial, gradient, step_terms
from ._newton_step import (
    covariance_cheap,
    direction,
    hessian_request,
    hessian_stale,
    refresh_hessian,
    report_pays,
    sampling_pays,
    screening_pays,
    secant_update,
)
from ._problem import FaceList, NewtonTask, Progress, Verdict, dual_value, residuals
from .errors import InfeasibleTargetsError

__all__ = ["newton"]

Array = NDArray[np.float64]

_LP_AFTER = 40  # Newton steps without convergence before the linear-programming check
# A step the trust radius cut short stops where at least this many times the smallest
# working set's states are left within the window of the heaviest one (see _spread_limit).
_SPREAD_SETS = 2
_POLISH_STEPS = 6  # most steps past the tolerance towards the polishing goal
# Within the tolerance and this close to the polishing goal, a pass that took the
# covariance the result reports ends the solve (see _stopping).
_POLISH_NEAR = 4.0
# Working sets (see _working_set_step): at most this share of the states, only for at
# least _SHRINK_MIN states, and cut this many nats below the heaviest state (after
# 36 + log n, where the states left out carry below 2e-16 of p).
_SHRINK_MIN = 1 << 15
_SHRINK_WINDOWS = (40.0, 32.0, 26.0, 20.0, 15.0)
# After a working-set step fails, full steps until they bring the residual this much lower.
_SHRINK_RETRY = 0.01


@dataclasses.dataclass(frozen=True)
class _Sets:
    """How working sets are cut (see _working_set_step)."""

    share: float  # at most this share of the states
    per_constraint: int  # at least this many states per free constraint
    max_iter: int  # Newton steps of one working-set solve


# Few constraints: a pass costs about a read of F, so the sets stay small and their solves
# converge (tuned on the hard family at n = 1e6, m = 10).  Many: each step of the full
# problem takes a covariance (n m^2), so sets up to a quarter of the states pay, and a few
# steps on a set propose far better than one full step (hard family at n = 1e5, m = 200,
# seeds 104-107: a third less CPU; a full solve on the set costs as much as it saves).
_FEW_SETS = _Sets(share=1.0 / 16.0, per_constraint=64, max_iter=30)
_MANY_SETS = _Sets(share=1.0 / 4.0, per_constraint=16, max_iter=8)
_MANY_M = 32  # from this many free constraints, _MANY_SETS


def _sets(task: NewtonTask) -> _Sets:
    return _MANY_SETS if len(task.free) >= _MANY_M else _FEW_SETS


# Newton's covariance at a trial point is taken in single precision while the largest
# residual (in spreads) is above _SINGLE_RMAX, where the prior's sufficed, from
# _SINGLE_M free constraints over _SINGLE_N states (see _trial_request).
_SINGLE_RMAX = 1e-6
_SINGLE_M = 128
_SINGLE_N = 1 << 16


def newton(task: NewtonTask, lam: Array, ev0: Evaluation) -> Verdict:
    """Trust-region Newton on the dual over the free constraints of ``task``.

    ``ev0`` is the prior pass (lam = 0) or another evaluation at ``lam`` on this very
    support.  Returns the :class:`Verdict`; raises InfeasibleTargetsError on a
    certificate of infeasibility.

    Globalisation: a trust radius on the step, measured in coordinates whitened under the
    prior (where one unit moves the log-weights by about one standard deviation), with a
    backtracking line search inside it.  The radius grows after steps the quadratic model
    predicted well and shrinks after poor ones.
    """
    eng = task.prob.engine
    if not len(task.free):
        return Verdict("converged", lam, eng.evaluate(PassRequest(lam=lam, keep_p=True)))
    if not np.array_equal(ev0.lam, lam):
        ev0 = eng.evaluate(PassRequest(lam=lam, covariance=True))
    st = State(lam, ev0, single=ev0.single)
    if not task.prob.shrink:
        st.shrink_below = -np.inf
    while True:
        verdict = _stopping(task, st)
        if verdict is not None:
            return _at_floor(task, st) if verdict.status == "stalled" else verdict
        step = _working_set_step(task, st)
        truncated = step is None and cg_pays(task, st, hessian_stale(st))
        if truncated:
            step = cg_step(task, st)  # truncated Newton: products, not a covariance
        st.truncated = truncated and step is not None
        if step is None:
            refresh_hessian(task, st)
            step = direction(task, st, _may_shrink(task, st))
            if step is not None and not step.light and not step.final and cg_cheaper(task, st):
                step = dataclasses.replace(step, light=True)  # keep p for the products
        if step is None:  # rounding: no descent direction left
            return _at_floor(task, st)
        st.polished += st.ratio <= 1.0
        trial = _trial_step(task, st, step)
        task.progress.n_iter += 1
        if trial.verdict is not None:  # the targets touch a face
            return trial.verdict
        if trial.lam is None:  # no decrease found
            return _at_floor(task, st)
        _update(task, st, step, trial)


def _measure(task: NewtonTask, ev: Evaluation, lam: Array) -> tuple[float, float, float]:
    """The largest residual in spreads, and the largest in units of the tolerance
    (:attr:`Problem.threshold`: met at <= 1) and of the polishing goal (``Problem.goal``)."""
    res = residuals(task, ev, lam)
    if not res.size:
        return 0.0, 0.0, 0.0
    return (
        float(res.max()),
        float((res / task.on_free.threshold).max()),
        float((res / task.on_free.goal).max()),
    )


def _at_floor(task: NewtonTask, st: State) -> Verdict:
    """Stalled at the precision floor: the best iterate if it meets the tolerance; else
    a few points along Newton's step from it, in case one of them does.

    Where the multipliers are large (nearly dependent features) their float64 grid is
    coarse and the moments computed at neighbouring grid points scatter by more than
    ``tol``: which point Newton's last step lands on is then a matter of rounding.  The
    moments reported are those of the p returned, so any such point that meets the
    tolerance is a correct answer.  Costs at most six light passes, only here.
    """
    assert st.best is not None
    best = st.best
    if best.ratio <= 1.0:
        return _converged(task, best.lam, best.ev, st)
    st.lam, st.ev, st.hr = best.lam, best.ev, best.hr
    if st.hr is None and best.ev.cov is None:
        return Verdict("stalled", best.lam, best.ev)
    step = direction(task, st, _may_shrink(task, st))
    if step is None:
        return Verdict("stalled", best.lam, best.ev)
    for t in (0.5, 1.0, 0.25, 2.0, 0.75, 1.5):
        lt = best.lam + t * step.d
        et = task.prob.engine.evaluate(PassRequest(lam=lt, keep_p=True))
        _, ratio, goal = _measure(task, et, lt)
        if ratio <= 1.0:
            return _converged(task, lt, et, st)
        if ratio < best.ratio:
            best = Best(goal, ratio, lt, et, None)
    return Verdict("stalled", best.lam, best.ev)


def _converged(task: NewtonTask, lam: Array, ev: Evaluation, st: State) -> Verdict:
    """The verdict at a point that meets the tolerance: converged, or on a face."""
    if st.edge < 1e-6 and task.exact and not task.progress.lp_done and _may_touch(task, st):
        # Converged with the step pointing at the edge of the hull: the target may
        # be exactly on a face, reached only in the limit.  The LP decides.
        faces = _lp(task)
        if faces:
            return Verdict("face", lam, ev, faces)
    return Verdict("converged", lam, ev)


def _may_touch(task: NewtonTask, st: State) -> bool:
    """Whether the targets may lie on the face at the edge found by the last step: every
    exact target within its feature's range on it (one pass; a linear program over the
    states costs hundreds).  A target merely near that face is not on it."""
    if st.edge_face is None:
        return True
    d, dmin = st.edge_face
    return reachable_on_face(task.prob, task.b, task.exact, d, dmin)


def _stopping(task: NewtonTask, st: State) -> Verdict | None:
    """The verdict before a step: converged, on a face, stalled, out of steps; or None.

    Converged: at the polishing goal, or within the tolerance once polishing stops
    paying (a step that did not cut the residual fourfold: rounding; or
    :data:`_POLISH_STEPS` of them), at the best iterate then; or within the tolerance and
    :data:`_POLISH_NEAR` of the goal where this point's pass took the covariance the
    result reports: one more step would take it again, the costliest pass, for less.
    (A step predicted to end the solve takes that covariance; the easy family at
    n = 1e5, m = 200, seeds 100-105, missed the goal by 1.04-1.64 on three seeds, then
    paid a second covariance pass, a third of the solve.)
    """
    prob, progress = task.prob, task.progress
    rmax, ratio, goal = _measure(task, st.ev, st.lam)
    if st.best is None or Best.key(goal, ratio) < Best.key(st.best.goal, st.best.ratio):
        st.best = Best(goal, ratio, st.lam, st.ev, st.hr)
    if goal <= 1.0 or (ratio <= 1.0 and goal <= _POLISH_NEAR and _reports(task, st.ev)):
        return _converged(task, st.lam, st.ev, st)
    if ratio <= 1.0 and (st.polished >= _POLISH_STEPS or (st.polished and goal > 0.25 * st.goal)):
        return _converged(task, st.best.lam, st.best.ev, st)
    st.ratio, st.goal = ratio, goal
    if st.stuck >= 2 and rmax > 0.5 * st.rmax_prev:
        # Full steps change the dual only by rounding and the residual no longer
        # shrinks: the precision floor of this problem in float64.
        return Verdict("stalled", st.lam, st.ev)
    st.contraction = rmax / st.rmax_prev if math.isfinite(st.rmax_prev) else 1.0
    st.rmax_prev = st.rmax = rmax
    if progress.n_iter >= prob.max_iter:
        if st.best.ratio <= 1.0:
            return _converged(task, st.best.lam, st.best.ev, st)
        return Verdict("max_iter", st.lam, st.ev)
    if progress.n_iter >= _LP_AFTER and not progress.lp_done and task.exact:
        faces = _lp(task)
        if faces:
            return Verdict("face", st.lam, st.ev, faces)
    return None


def _reports(task: NewtonTask, ev: Evaluation) -> bool:
    """Whether ``ev``'s pass took the covariance the result reports (see
    ``solver._reported_covariance``): screened for the report (exact to rounding), in
    double precision, unprojected."""
    return bool(
        task.prob.covariance
        and ev.cov is not None
        and ev.screen is not None
        and ev.screen >= SCREEN_EXACT
        and not ev.single
        and not ev.projected
    )


def _lp(task: NewtonTask) -> FaceList:
    task.progress.lp_done = True
    return lp_faces(task.prob, task.b, task.exact)


def _working_set(task: NewtonTask, st: State) -> tuple[NDArray[np.intp], float, bool] | None:
    """The states of the next working set, its window and whether it should end the solve
    (see :func:`_working_set_step`); None where none applies."""
    la = task.prob.engine.log_weights_at(st.lam)
    if la is None:
        return None
    n = la.size
    # Close to the solution (the last working set left out only a little of p), the
    # widest window is worth a larger set: it should end the solve.
    close = st.working_set is not None and st.rmax <= 1e4 * task.prob.tol
    limits = _sets(task)
    cap = min(4 * limits.share, 0.5) if close else limits.share
    cap *= n
    top = float(np.max(la))
    full = 36.0 + float(np.log(n))
    # Estimate the counts first, from a strided look at about 16,384 of the states.
    stride = max(1, n // 16384)
    sample = la[::stride]
    # Each working set reaches further down than the last: what the last one left out is
    # what kept its solution from the full problem's.
    for window in (full, *[w for w in _SHRINK_WINDOWS if st.window < w < full]):
        if stride * np.count_nonzero(sample >= top - window) <= cap:
            break
    else:
        return None
    if window <= st.window:
        return None
    on = la >= top - window
    if st.working_set is not None:
        on[st.working_set] = True
    rows = np.flatnonzero(on)
    if rows.size > 1.25 * cap or rows.size < limits.per_constraint * len(task.free):
        return None
    ends = window == full or close
    # The set's solution is off the full problem's by about the share of p it leaves out:
    # where that exceeds the residual its step fails, and a step meant to end the solve
    # must leave out less than the polishing goal (else a full Newton step gets further).
    # Full steps then, until the residual is far lower.  (Hard family at n = 1e6, m = 10,
    # diagnosed on seeds 2000 and 2004: sets leaving out 7e-8 to 1e-5 of p at residuals
    # of 1e-12 to 2.5e-9 gave an ascent direction for the full problem or a gain below
    # rounding, each after a solve on 1e5-2e5 states.  On seeds 100-109 the sets chosen
    # left out 4e-18 to 5e-3 of p at residuals of 4e-13 to 0.65, always less; the one
    # meant to end a solve that left out more than the goal, 1.3e-13 of p on seed 103,
    # reached 5.8e-13 where a full Newton step reached 1.6e-14, one pass fewer.)
    limit = min(st.rmax, float(task.on_free.goal.min())) if ends else st.rmax
    if _left_out(la, rows, top, sample, top - window) > limit:
        st.shrink_below = _SHRINK_RETRY * st.rmax
        return None
    return rows, window, ends


def _left_out(la: Array, rows: NDArray[np.intp], top: float, sample: Array, floor: float) -> float:
    """The share of p outside a working set (states ``rows``, those of the log-weights
    ``la`` at or above ``floor`` and maybe more), at ``la`` (the largest ``top``):
    exact over the set, and outside it from ``sample``, an evenly strided look at the
    log-weights, whose states below ``floor`` each stand for ``la.size / sample.size``
    of them.  (Those each carry under ``e^(floor - top)`` of the heaviest one's weight,
    so the estimate is a sum of many small terms; an estimate, for deciding whether a
    set is worth a solve, which the trial pass over every state then checks.)"""
    with np.errstate(under="ignore"):
        inside = float(np.exp(la[rows] - top).sum())
        below = sample[sample < floor]
        outside = float(np.exp(below - top).sum()) * (la.size / sample.size)
    return outside / (inside + outside)


def _working_set_step(task: NewtonTask, st: State) -> Step | None:
    """Newton's step computed on a working set of states, or None where it does not apply.

    Where p sits on a small part of the states (the log-weights spread over many nats,
    as with large multipliers), solving the dual restricted to the states within a
    window below the heaviest one costs a fraction of a pass per Newton step.  The
    restricted solution is a step proposal for the full problem; the usual trial pass
    over all states checks it (and keeps the log-weights for the next working set), so
    the answer is exactly that of the full problem, and a poor proposal costs a line
    search, as any step.  Working sets grow by union from one step to the next, so the
    states left out of each carry less weight at its solution.  The window is the widest
    of ``36 + log n`` nats (nothing of p left out) and :data:`_SHRINK_WINDOWS` that keeps
    the set within a share of the states (:func:`_sets`: 1/16 with few constraints, 1/4
    with many).

    In-memory features only, from a point whose pass kept the log-weights; after a
    working-set solve fails, only once full Newton steps have brought the residual 100
    times lower.
    """
    if not _may_shrink(task, st):
        return None
    chosen = _working_set(task, st)
    if chosen is None:
        return None
    rows, window, ends = chosen
    sub = task.prob.engine.subset(rows)
    if sub is None:
        st.shrink_below = -np.inf
        return None
    prob = task.prob
    sub_task = dataclasses.replace(
        task,
        prob=dataclasses.replace(
            prob,
            engine=sub,
            # Tighter than the full problem's: what the set leaves out should be all that
            # the trial pass over every state finds.
            tol=prob.tol / 16.0,
            atol=prob.atol / 16.0,
            rounding=prob.rounding / 16.0,
            given=prob.given / 16.0,
            polish=prob.polish / 16.0,
            max_iter=min(_sets(task).max_iter, prob.max_iter),
            shrink=False,
            covariance=False,  # a proposal: nothing of it is reported
            progress=Progress(lp_done=True),  # faces are the full problem's business
        ),
    )
    try:
        ev_sub = sub.evaluate(PassRequest(lam=st.lam, covariance=True, screen=SCREEN_NEWTON))
        verdict = newton(sub_task, st.lam.copy(), ev_sub)
    except (InfeasibleTargetsError, EmptySupportError):
        verdict = None  # the targets are out of this set's reach: it is too small
    if verdict is None or verdict.status not in ("converged", "stalled", "max_iter"):
        st.shrink_below = _SHRINK_RETRY * st.rmax
        return None
    d = verdict.lam - st.lam
    slope = float((gradient(task, st.ev, st.lam) * prob.spread) @ d)
    gain = dual_value(ev_sub, st.lam, task.b, task.sigma2, task.free) - dual_value(
        verdict.ev, verdict.lam, task.b, task.sigma2, task.free
    )
    f0, noise, dirs = step_terms(task, st, d)
    # (A gain below the dual's rounding says nothing either way: near the solution the
    # set's solve changes the dual by far less; the trial pass judges with that noise.)
    if not (slope < 0 and gain > -noise):
        st.shrink_below = _SHRINK_RETRY * st.rmax
        return None
    st.working_set, st.window = rows, window
    st.hr = None  # the next full Newton step, if any, takes a fresh covariance
    step_r = np.linalg.lstsq(task.basis, d * prob.spread, rcond=None)[0]
    return Step(
        d=d,
        length=float(np.linalg.norm(step_r)),
        slope=slope,
        # The model's curvature such that its predicted decrease is the working set's.
        curvature=max(2.0 * (-slope - gain), 0.0),
        f0=f0,
        noise=noise,
        dirs=dirs,
        # With few constraints its pass takes the covariance, which the next step needs
        # unless it is a working-set one too (st.hr is gone): about half a pass more
        # rather than a pass of its own (see covariance_cheap).
        light=not covariance_cheap(task),
        # Solved on a set that leaves out nothing of p, or close to the solution already:
        # this step should end the solve (see _trial_step for what that changes).
        final=verdict.status == "converged" and ends,
        working_set=True,
    )


def _may_shrink(task: NewtonTask, st: State) -> bool:
    """Whether working-set steps may be tried from this point (see _working_set_step)."""
    eng = task.prob.engine
    if sampling_pays(task, st):
        # Newton's Hessian from a sample already costs a fraction of a pass, and a
        # working set's proposals fail more often with many constraints (hard family at
        # n = 1e5, m = 200, seeds 100-109: a third more time with them).
        return False
    return bool(st.rmax < st.shrink_below and eng.keeps_p and (eng.n or 0) >= _SHRINK_MIN)


def _trial_request(
    task: NewtonTask, st: State, step: Step, t: float, hessian: bool
) -> PassRequest:
    """The pass at ``lam + t d``: what the dual, the certificates and the next step need.

    A step expected to end the solve keeps p and the entropy terms, and takes the
    covariance the result reports (exact to rounding: screened only where weights
    underflow) when the solve reports one.  Newton's covariance far from the solution is
    taken in single precision where the prior's sufficed (no constraints nearly
    dependent: see ``solver._single_suffices``), with hundreds of constraints over many
    states: its second moments, most of the pass there, cost ~0.75 of double's; an error
    of ~1e-6 in the curvature changes nothing while the residual is far above it (the
    same steps on seven seeds of the hard family at n = 1e5, m = 200; at n = 4,000,
    m = 80 one seed took 37 steps instead of 31), and the steps near the solution and
    the covariance reported are in double precision.
    """
    eng = task.prob.engine
    report = hessian and step.final and task.prob.covariance
    single = (
        st.single
        and st.rmax >= _SINGLE_RMAX
        and len(task.free) >= _SINGLE_M
        and (eng.n or 0) >= _SINGLE_N
    )
    center = st.center  # about the mean when p is concentrated (see refresh_hessian)
    if report and center is None:
        # Second moments about the targets (where p's mean will be) unless the targets
        # are near 0 anyway: the centred copy of each chunk costs as much as the product.
        s, f = task.prob.spread, task.free
        if np.any(task.b[f] ** 2 > 1e-2 * s[f] ** 2):
            center = task.b
    request = PassRequest(
        lam=st.lam + t * step.d,
        covariance=hessian,
        center=center,
        screen=SCREEN_EXACT if report else SCREEN_NEWTON,
        ranges=step.dirs,
        entropy=step.final,
        keep_p=not hessian or step.final,
        line=step.d if eng.keeps_p and (t == 1.0 or _cut_short(task, st, step)) else None,
        precision="single" if hessian and not report and single else "double",
    )
    if hessian and not report and st.project:  # Newton's covariance, projected
        newton_cov = hessian_request(task, st, request.lam)
        request = dataclasses.replace(
            request, center=newton_cov.center, projection=newton_cov.projection
        )
    return request


def _trial_step(task: NewtonTask, st: State, step: Step) -> Trial:
    """Passes at trial points lam + t d until the dual decreases enough.

    The full step (t = 1) first.  When it fails and the engine kept the line (in-memory
    features: the log-weights and ``F @ d`` of every state), the dual is minimised along
    the line without reading ``F`` (:func:`_line_minimum`) and one pass checks that point;
    otherwise, and if that fails too, backtracking by safeguarded quadratic interpolation.
    """
    prob, eng = task.prob, task.prob.engine
    t = 1.0
    searched = False
    report = step.final and prob.covariance and report_pays(task)
    hessian = not step.light or report
    refresh = False
    for _ in range(60):
        request = _trial_request(task, st, step, t, hessian)
        lt = request.lam
        et = eng.evaluate(request)
        ft = dual_value(et, lt, task.b, task.sigma2, task.free)
        suspect = certificates(prob, task.b, step.dirs, et, task.exact)
        if suspect is not None and not task.progress.lp_done:
            # The certificate suggests a face; its exact normal comes from an LP.
            faces = _lp(task)
            if faces:
                return Trial(t, verdict=Verdict("face", lt, et, faces))
        if ft <= step.f0 + 1e-4 * t * step.slope + step.noise:
            t_spread = None
            if t == 1.0 and request.line is not None and _cut_short(task, st, step):
                t_spread = _spread_limit(task, step, lt)
            if t_spread is None:
                return Trial(t, lt, et, ft, refresh=refresh)
            t, searched = t_spread, True  # (the dual decreases all the way to t = 1)
            continue
        t_line = None
        if not searched and request.line is not None and eng.line_at(lt, step.d):
            searched = True
            t_line = _line_minimum(task, st, step)
        if t_line is not None:
            t = t_line
            # A poor step: the Hessian there is needed, screened to the states that carry
            # weight.  Where that pays (see direction), from the point's own light pass:
            # its heaviest states are not known before it.
            refresh = hessian = True
            if (
                screening_pays(task, st) or sampling_pays(task, st) or cg_cheaper(task, st)
            ) and not report:
                hessian = False
            continue
        # Safeguarded quadratic interpolation of the dual along the step.
        denom = 2.0 * (ft - step.f0 - t * step.slope)
        t_new = -step.slope * t * t / denom if denom > 0 else 0.1 * t
        t = float(np.clip(t_new, 0.1 * t, 0.5 * t))
    return Trial(t)


def _cut_short(task: NewtonTask, st: State, step: Step) -> bool:
    """Whether the trust radius cut ``step`` short, with many constraints over many states
    in memory: its end may be limited by how far p collapses (see :func:`_spread_limit`)."""
    eng = task.prob.engine
    return bool(
        step.length > st.radius
        and not step.working_set
        and len(task.free) >= _MANY_M
        and eng.keeps_p
        and (eng.n or 0) >= _SHRINK_MIN
    )


def _spread_limit(task: NewtonTask, step: Step, lt: Array) -> float | None:
    """Where along a step cut short by the trust radius p still spreads over enough states
    for a working set: the largest ``t < 1`` with at least :data:`_SPREAD_SETS` times the
    smallest working set's states within ``36 + log n`` nats of the heaviest one, from the
    line the pass at ``t = 1`` kept (no read of F); None where ``t = 1`` has as many, or
    none does.

    With many constraints the first steps from the prior, cut at the trust radius, can
    leave p on a single state (its log-weights tens of nats apart): the dual decreases all
    along the step, but the covariance there has lost all but a few of its curvatures, and
    about ten steps with projected covariances follow before p spreads again.  Stopping
    where p still covers a working set's states lets the next step be a working-set one
    (hard family, n = 1e5, m = 200, seeds 100-107).
    """
    eng = task.prob.engine
    line = eng.kept_line(lt, step.d)
    if line is None:
        return None
    la, lu = line
    need = _SPREAD_SETS * _sets(task).per_constraint * len(task.free)
    window = 36.0 + float(np.log(la.size))
    x = np.empty_like(la)

    def enough(t: float) -> bool:
        with np.errstate(invalid="ignore"):  # -inf (off the support) stays -inf
            np.multiply(lu, 1.0 - t, out=x)
            np.add(x, la, out=x)
        return int(np.count_nonzero(x >= np.max(x) - window)) >= need

    if enough(1.0) or not enough(0.0):
        return None
    lo, hi = 0.0, 1.0
    for _ in range(12):  # bisection, to 1/4096 of the step
        mid = 0.5 * (lo + hi)
        if enough(mid):
            lo = mid
        else:
            hi = mid
    return lo if lo > 0.0 else None


def _line_minimum(task: NewtonTask, st: State, step: Step) -> float | None:
    """Minimiser of the dual along lam + t d, 0 < t < 1, from the line the engine kept at
    t = 1 (a few operations per state per trial, no pass over F); None when rounding
    leaves no clear minimum.

    Safeguarded Newton on the derivative within the bracket [0, 1], to
    |phi'(t)| <= 0.05 |phi'(0)|.
    """
    eng = task.prob.engine
    free = task.free
    d = step.d
    bd = float(task.b[free] @ d[free])
    s2 = task.sigma2[free]
    s2dd = float(s2 @ (d[free] * d[free]))
    s2ld = float(s2 @ (st.lam[free] * d[free]))

    def derivatives(t: float) -> tuple[float, float]:
        _, mu, var = eng.line_search(t - 1.0)
        return bd - mu + s2ld + t * s2dd, var + s2dd

    lo, hi = 0.0, 1.0
    g_hi, _ = derivatives(1.0)
    if not (g_hi > 0.0 and step.slope < 0.0):
        return None
    # Start where a quadratic through phi(0), phi'(0) and phi'(1) has its minimum.
    t = float(np.clip(-step.slope / (g_hi - step.slope), 0.05, 0.95))
    for _ in range(30):
        g, h = derivatives(t)
        if abs(g) <= 0.05 * abs(step.slope):
            return t
        if g > 0:
            hi = t
        else:
            lo = t
        t_new = t - g / h if h > 0 else -1.0
        t = t_new if lo < t_new < hi else 0.5 * (lo + hi)
        if hi - lo <= 1e-12:
            break
    return t if lo > 0.0 else None


def _update(task: NewtonTask, st: State, step: Step, trial: Trial) -> None:
    """Accept the trial point and update the trust radius from actual / predicted decrease."""
    t, lt, et, ft = trial.t, trial.lam, trial.ev, trial.value
    assert lt is not None and et is not None
    predicted = -(t * step.slope + 0.5 * t * t * step.curvature)
    ratio = (step.f0 - ft) / predicted if predicted > step.noise else 1.0
    taken = t * min(step.length, st.radius)
    if step.working_set:
        # (A working set's proposal is not bounded by the radius: how far it got says
        # nothing about how far Newton's own model holds.)
        pass
    elif ratio > 0.75 and t == 1.0 and step.length >= 0.99 * st.radius:
        st.radius = min(4.0 * st.radius, task.max_radius)
    elif ratio < 0.25:
        st.radius = max(0.25 * taken, 1e-8)
    if step.floored and ratio > 0.75 and t == 1.0:
        st.rel_floor = max(st.rel_floor * 1e-4, 1e-40)
    elif ratio < 0.25:
        st.rel_floor = 1e-14
    if step.working_set and t < 1.0:
        # The working set misled the step (too few states for what the targets need):
        # full Newton steps until they have brought the residual 100 times lower.
        st.shrink_below = _SHRINK_RETRY * st.rmax
    at_floor = t == 1.0 and abs(ft - step.f0) <= step.noise
    st.stuck = st.stuck + 1 if at_floor else 0
    if (
        et.cov is None
        and st.hr is not None
        and step.step_r is not None
        and abs(ft - step.f0) > 16 * step.noise
    ):
        # (Not where the dual changes only by rounding: the gradients' difference is then
        # mostly rounding too, and would corrupt the curvature.)
        secant_update(task, st, step, trial)
    st.lam, st.ev = lt, et
    st.steps += 1
    st.refresh = step.refresh or (trial.refresh and et.cov is None)
    assert et.dir_max is not None and et.dir_min is not None
    cert = step.dirs[:, 0]
    width = et.dir_max[0] - et.dir_min[0]
    if cert.any() and width > 0:
        st.edge = (float(task.b @ cert) - et.dir_min[0]) / width
        st.edge_face = (cert.copy(), float(et.dir_min[0]))
