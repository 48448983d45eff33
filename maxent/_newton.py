"""Newton's method on the dual, globalised by a trust region: the solver's inner loop.

The dual :math:`\\Gamma(\\lambda) = \\log Z + \\lambda \\cdot b
+ \\tfrac12 \\sum_k \\sigma_k^2 \\lambda_k^2` is minimised over the free constraints in
coordinates whitened under the prior.  The loop has the shape of a trust-region method:
each iteration computes a direction (:func:`_direction`), tries the step
(:func:`_trial_step`: a pass at the full step; if the dual does not decrease enough, its
minimum along the line from the per-state values that pass kept, or backtracking passes
for lazy sources), and updates the radius (:func:`_update`) from the ratio of actual to
predicted decrease.  The covariance (the Hessian, ``n m^2`` work) is computed only when a
step needs a new one, screened to the states that carry weight; in between the reduced
Hessian is reused with secant (BFGS) updates (:func:`_secant_update`).  Where p sits on a
small part of the states, the direction comes instead from the same Newton method run on
a working set of the heaviest states (:func:`_working_set_step`), a fraction of a pass
per step; the trial pass over all states checks it as any other step.  The state of the
iteration lives in one :class:`_State`; its input is a frozen
:class:`maxent._problem.NewtonTask` and it ends with a :class:`maxent._problem.Verdict`.

Every pass is a :class:`maxent._kernel.PassRequest`: a light one at trial points
(:func:`_trial_request`), Newton's covariance where the Hessian is refreshed
(:func:`_hessian_request`: screened; of the states projected on the reduced basis once
rounding reaches the curvatures, :func:`_reduced_hessian`), and the covariance the result
reports in the pass of a step predicted to end the solve.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._faces import certificates, lp_faces
from ._kernel import SCREEN_EXACT, SCREEN_NEWTON, PassRequest
from ._moments import EmptySupportError, Evaluation
from ._problem import EPS, FaceList, NewtonTask, Progress, Verdict, dual_value, residuals
from .errors import InfeasibleTargetsError

__all__ = ["newton"]

Array = NDArray[np.float64]

_LP_AFTER = 40  # Newton steps without convergence before the linear-programming check
_POLISH_STEPS = 6  # most steps past the tolerance towards the polishing goal
_REFRESH = 0.5  # a step contracting the residual less than this gets a new covariance
_LIGHT = 0.3  # ... and one contracting it more reuses (secant-updated) curvature
_RADIUS = 10.0  # initial trust radius, in prior standard deviations of the log-weights
# Working sets (see _working_set_step): at most this share of the states, only for at
# least _SHRINK_MIN states, and cut this many nats below the heaviest state (after
# 36 + log n, where the states left out carry below 2e-16 of p).
_SHRINK_SHARE = 1.0 / 16.0
_SHRINK_MIN = 1 << 15
_SHRINK_WINDOWS = (40.0, 32.0, 26.0, 20.0, 15.0)
_SHRINK_ITER = 30  # Newton steps of one working-set solve
_SHRINK_PER_CONSTRAINT = 64  # a working set has at least this many states per constraint
_SHRINK_LENGTH = 4.0  # whitened step length after which p is expected concentrated
# Full steps take the covariance after their trial pass (see _direction) from this many
# constraints, where the last one covered less than this share of the states.
_SCREEN_M = 40
_SCREEN_SHARE = 0.25


@dataclass
class _State:
    """The iteration's state, all in one place."""

    lam: NDArray[np.float64]
    ev: Evaluation  # evaluation at lam
    radius: float = _RADIUS  # trust radius, in whitened units
    hr: NDArray[np.float64] | None = None  # reduced Hessian from the last full evaluation
    center: NDArray[np.float64] | None = None  # second moments about this point (concentrated p)
    rmax: float = np.inf  # largest scaled residual at lam
    rmax_prev: float = np.inf
    ratio: float = np.inf  # largest residual at lam in units of the tolerance (met at <= 1)
    goal: float = np.inf  # ... and of the polishing goal (see Problem.goal)
    polished: int = 0  # steps taken from points that met the tolerance
    contraction: float = 1.0  # residual after / before the last step
    stuck: int = 0  # consecutive full steps that changed the dual only by rounding
    edge: float = np.inf  # where b sits in the range of F @ d for the last direction d
    # Curvatures below rel_floor * the largest count as rounding noise.  Where p sits on a
    # few states the dual is nearly linear along some directions and their (true) tiny
    # curvature would hold the steps back: the floor is lowered while such floored full
    # steps keep matching the model, and restored after a poor step.
    rel_floor: float = 1e-14
    best: _Best | None = None  # the best iterate so far
    working_set: NDArray[np.intp] | None = None  # states of the last working-set solve
    window: float = 0.0  # its window, in nats below the heaviest state
    # Working-set steps are tried while the largest residual is below this: after one
    # fails, only once Newton has brought the residual 100 times lower.
    shrink_below: float = np.inf
    # Once rounding has cost B^T Cov B its small curvatures (see _reduced_hessian), the
    # Hessians of this solve are taken from projected states directly, in one pass.
    project: bool = False
    share: float = 1.0  # share of the states the last covariance covered (screening)
    refresh: bool = False  # take the covariance at this point before the next step


@dataclass(frozen=True)
class _Best:
    """An iterate and its residual in units of the goal and of the tolerance."""

    goal: float
    ratio: float
    lam: Array
    ev: Evaluation
    hr: Array | None  # the reduced Hessian in use there

    @staticmethod
    def key(goal: float, ratio: float) -> tuple[float, float]:
        """Order of iterates: those within the tolerance first, by their goal residual;
        the others by their residual in units of the tolerance."""
        return (max(ratio, 1.0), goal)


@dataclass(frozen=True, kw_only=True)
class _Step:
    """A proposed step and its quadratic model."""

    d: NDArray[np.float64]  # direction in multiplier units (t = 1 is the full step)
    length: float  # Newton step length before truncation, whitened units
    slope: float  # directional derivative of the dual at t = 0
    curvature: float  # d^T H d (whitened)
    f0: float  # dual at the current point
    noise: float  # rounding level of the dual
    dirs: NDArray[np.float64]  # directions whose ranges the trial pass also computes
    light: bool  # skip the covariance at the trial point
    floored: bool = False  # some component limited by the curvature floor
    # Expected to end the solve: its passes keep p for the result and take the covariance
    # the result reports.
    final: bool = False
    step_r: NDArray[np.float64] | None = None  # the step in reduced coordinates
    gr: NDArray[np.float64] | None = None  # reduced gradient at the start
    working_set: bool = False  # proposed by a solve on a working set of states
    refresh: bool = False  # light only to take the covariance at the accepted point


@dataclass(frozen=True)
class _Trial:
    """What trying a step gave: the point accepted at ``t`` (``lam``, ``ev`` and the dual
    ``value`` there), a face found on the way (``verdict``), or neither (failed)."""

    t: float
    lam: Array | None = None
    ev: Evaluation | None = None
    value: float = 0.0
    verdict: Verdict | None = None
    refresh: bool = False  # the point needs a covariance pass of its own (see _trial_step)


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
    st = _State(lam, ev0)
    if not task.prob.shrink:
        st.shrink_below = -np.inf
    while True:
        verdict = _stopping(task, st)
        if verdict is not None:
            return _at_floor(task, st) if verdict.status == "stalled" else verdict
        step = _working_set_step(task, st)
        if step is None:
            _refresh_hessian(task, st)
            step = _direction(task, st)
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
    f = task.free
    return (
        float(np.max(res)),
        float(np.max(res / task.prob.threshold[f])),
        float(np.max(res / task.prob.goal[f])),
    )


def _at_floor(task: NewtonTask, st: _State) -> Verdict:
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
    step = _direction(task, st)
    if step is None:
        return Verdict("stalled", best.lam, best.ev)
    for t in (0.5, 1.0, 0.25, 2.0, 0.75, 1.5):
        lt = best.lam + t * step.d
        et = task.prob.engine.evaluate(PassRequest(lam=lt, keep_p=True))
        _, ratio, goal = _measure(task, et, lt)
        if ratio <= 1.0:
            return _converged(task, lt, et, st)
        if ratio < best.ratio:
            best = _Best(goal, ratio, lt, et, None)
    return Verdict("stalled", best.lam, best.ev)


def _converged(task: NewtonTask, lam: Array, ev: Evaluation, st: _State) -> Verdict:
    """The verdict at a point that meets the tolerance: converged, or on a face."""
    if st.edge < 1e-6 and task.exact and not task.progress.lp_done:
        # Converged with the step pointing at the edge of the hull: the target may
        # be exactly on a face, reached only in the limit.  The LP decides.
        faces = _lp(task)
        if faces:
            return Verdict("face", lam, ev, faces)
    return Verdict("converged", lam, ev)


def _stopping(task: NewtonTask, st: _State) -> Verdict | None:
    """The verdict before a step: converged, on a face, stalled, out of steps; or None.

    Converged: at the polishing goal, or within the tolerance once polishing stops
    paying (a step that did not cut the residual fourfold: rounding; or
    :data:`_POLISH_STEPS` of them), at the best iterate then.
    """
    prob, progress = task.prob, task.progress
    rmax, ratio, goal = _measure(task, st.ev, st.lam)
    if st.best is None or _Best.key(goal, ratio) < _Best.key(st.best.goal, st.best.ratio):
        st.best = _Best(goal, ratio, st.lam, st.ev, st.hr)
    if goal <= 1.0:
        return _converged(task, st.lam, st.ev, st)
    if ratio <= 1.0 and (st.polished >= _POLISH_STEPS or (st.polished and goal > 0.25 * st.goal)):
        return _converged(task, st.best.lam, st.best.ev, st)
    st.ratio, st.goal = ratio, goal
    if st.stuck >= 2 and rmax > 0.5 * st.rmax_prev:
        # Full steps change the dual only by rounding and the residual no longer
        # shrinks: the precision floor of this problem in float64.
        return Verdict("stalled", st.lam, st.ev)
    st.contraction = rmax / st.rmax_prev if np.isfinite(st.rmax_prev) else 1.0
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


def _lp(task: NewtonTask) -> FaceList:
    task.progress.lp_done = True
    return lp_faces(task.prob, task.b, task.exact)


def _hessian_request(task: NewtonTask, st: _State, lam: Array) -> PassRequest:
    """A pass at ``lam`` with Newton's (screened) covariance: of the features, or of the
    states projected on the reduced basis once rounding calls for it."""
    if st.project:
        center = st.ev.mean if st.center is None else st.center
        return PassRequest(
            lam=lam,
            covariance=True,
            center=center,
            projection=task.basis / task.prob.spread[:, None],
            screen=SCREEN_NEWTON,
        )
    return PassRequest(lam=lam, covariance=True, center=st.center, screen=SCREEN_NEWTON)


def _refresh_hessian(task: NewtonTask, st: _State) -> None:
    """Evaluate the covariance at lam again when the one in use is stale or imprecise."""
    eng = task.prob.engine
    # (Past the tolerance the dual changes by rounding only, so "stuck" says nothing
    # there: polishing steps keep the curvature in use.)
    stuck = st.stuck and st.ratio > 1.0
    stale = st.hr is None or st.contraction > _REFRESH or stuck or st.refresh
    st.refresh = False
    if st.ev.cov is None and stale:
        # The last step, taken with an older Hessian, did not contract well, or the dual
        # has reached its rounding floor (no secant updates there): refresh.
        st.ev = eng.evaluate(_hessian_request(task, st, st.lam))
    if st.ev.cov is not None and not st.ev.projected and _cancels(st.ev, st.center, task.free):
        # Concentrated p: E[FF] - E[F]E[F] about the old center would cancel; take the
        # second moments about the current mean instead (from now on).
        st.center = st.ev.mean.copy()
        st.ev = eng.evaluate(_hessian_request(task, st, st.lam))
    if st.center is not None:
        st.center = st.ev.mean.copy()


def _gradient(task: NewtonTask, ev: Evaluation, lam: Array) -> Array:
    """The dual's gradient over the free constraints, in whitened (spread) units."""
    g: Array = (task.b - ev.mean + task.sigma2 * lam) / task.prob.spread
    g[~task.free_mask] = 0.0
    return g


def _reduced_hessian(task: NewtonTask, st: _State) -> tuple[Array, Array]:
    """Eigenvalues and eigenvectors of the reduced Hessian (st.hr, refreshed from st.ev's
    covariance when it has one)."""
    ev, s, basis = st.ev, task.prob.spread, task.basis
    bs = basis / s[:, None]
    if ev.cov is not None and task.prob.engine.n:
        st.share = ev.covered / task.prob.engine.n
    if ev.cov is not None and ev.projected:  # Cov of the projected states: B^T Cov B itself
        st.hr = ev.cov + (bs.T * task.sigma2) @ bs
    elif ev.cov is not None:
        h = ev.cov / np.outer(s, s)
        h[np.diag_indices_from(h)] += task.sigma2 / s**2
        st.hr = basis.T @ h @ basis
    assert st.hr is not None
    w, v = np.linalg.eigh(st.hr)
    if ev.cov is not None and not ev.projected and w.size:
        if w[0] < _rounding_bound(task, st, float(w[-1])):
            # B^T Cov B lost its small curvatures to rounding (nearly collinear features,
            # the basis stretching a thin direction): project each state first (one more
            # pass), and from now on in the pass that takes the covariance.
            st.project = True
            proj = task.prob.engine.projected_covariance(bs, ev.mean, st.lam)
            st.hr = proj + (bs.T * task.sigma2) @ bs
            w, v = np.linalg.eigh(st.hr)
    return w, v


def _rounding_bound(task: NewtonTask, st: _State, top: float) -> float:
    """How far rounding may move the eigenvalues of ``B^T Cov B`` (0 when that cannot
    matter: below the curvature floor every eigenvalue is raised to anyway).

    Each entry of the computed covariance is off by at most ``gamma sqrt(M_kk M_ll)``,
    with M the second moments about the pass's center (Cauchy-Schwarz on the sums of
    products), ``gamma = 100 eps``; so ``B^T Cov B`` is off entrywise by at most
    ``gamma v_i v_j`` with ``v = |B|^T sqrt(diag M)``, whose spectral norm is
    ``gamma |v|^2`` (Weyl: no eigenvalue moves further).
    """
    ev = st.ev
    assert ev.cov is not None
    off = ev.mean if ev.center is None else ev.mean - ev.center
    second = np.clip(np.diag(ev.cov), 0.0, None) + off**2
    v = np.abs(task.basis / task.prob.spread[:, None]).T @ np.sqrt(second)
    bound = 100 * EPS * float(v @ v)
    return bound if bound > top * st.rel_floor else 0.0


def _direction(task: NewtonTask, st: _State) -> _Step | None:
    """Newton step in whitened coordinates, truncated to the trust radius (or None)."""
    prob, s, ev = task.prob, task.prob.spread, st.ev
    g = _gradient(task, ev, st.lam)
    gr = task.basis.T @ g
    w, v = _reduced_hessian(task, st)
    assert st.hr is not None
    floor = max(float(w[-1]) * st.rel_floor, 1e-300)
    floored = bool(np.any(w < floor))
    w = np.maximum(w, floor)
    gv = v.T @ gr
    with np.errstate(over="ignore"):  # p collapsed onto a few states: curvature ~ 0
        coef = gv / w
        length = float(np.linalg.norm(coef))
    floored = floored and length <= st.radius  # the floor, not the radius, set the step
    if not length <= st.radius:  # also inf
        coef = gv / (w + _shift_to_radius(w, gv, st.radius))
    step_r = -(v @ coef)
    d = (task.basis @ step_r) / s  # multiplier units
    slope = float((g * s) @ d)
    if not slope < 0:
        return None
    f0, noise, dirs = _step_terms(task, st, d)
    # Skip the covariance (most of a pass's cost) at the trial point when the Hessian
    # will still be good there: Newton is contracting fast, or the step is short (in
    # whitened units the Hessian changes by about the step length).  The reused Hessian
    # gets a secant (BFGS) update from the gradients at both ends of each such step
    # (_secant_update); if a step then contracts poorly, it is refreshed at that point.
    close = st.rmax < 0.1 * np.sqrt(prob.tol)
    light = close or (length <= st.radius and (st.contraction < _LIGHT or length < 0.3))
    if not light and length >= _SHRINK_LENGTH and _may_shrink(task, st):
        # A long step: p at its end is likely concentrated on a few states, and the
        # next step a working-set one, which needs no covariance over all of them.
        light = True
    refresh = False
    if not light and _screening_pays(task, st):
        # Many constraints and p on a small part of the states: the covariance costs
        # little over the states that carry weight, but a trial point's heaviest state
        # is not known before its pass (the screening floor from the last one can be
        # tens of nats low).  Take the trial light, and the covariance at the accepted
        # point, screened from its light pass's heaviest states.
        light = refresh = True
    # A light step expected to end the solve is marked final: its pass takes the
    # covariance the result reports (a separate pass would cost more than the second
    # moments do inside this one; see _trial_step).  The residual after the step is
    # predicted from the last contraction: squared with a fresh Hessian (Newton converges
    # quadratically), as is with a reused one.  (A full step takes a screened covariance
    # for its next step; a solve it ends makes one more, exact, pass.)
    rate = min(st.contraction, 1.0) ** (2 if ev.cov is not None else 1)
    return _Step(
        d=d,
        length=length,
        slope=slope,
        curvature=float(step_r @ st.hr @ step_r),
        f0=f0,
        noise=noise,
        dirs=dirs,
        light=light,
        floored=floored,
        final=light and st.goal * rate <= 1.0,
        step_r=step_r,
        gr=gr,
        refresh=refresh,
    )


def _screening_pays(task: NewtonTask, st: _State) -> bool:
    """Whether a full step's covariance is cheaper taken at the accepted point (after its
    light pass) than at the trial point: many constraints, in memory, and p on a small
    share of the states (see _direction)."""
    eng = task.prob.engine
    return len(task.free) >= _SCREEN_M and eng.keeps_p and st.share < _SCREEN_SHARE


def _step_terms(task: NewtonTask, st: _State, d: Array) -> tuple[float, float, Array]:
    """What a step d from st.lam needs besides its model: the dual there, its rounding
    level, and the directions whose ranges the trial pass computes (d itself, the
    certificate, and lambda, both on the exact constraints)."""
    lam = st.lam
    f0 = dual_value(st.ev, lam, task.b, task.sigma2, task.free)
    # Rounding level of the dual: log Z and lambda . b are each about |lambda| |F|.
    noise = 64 * EPS * (max(1.0, abs(f0)) + float(np.abs(lam) @ task.prob.magnitude))
    dirs = np.zeros((d.size, 2))
    dirs[task.ex_mask, 0] = d[task.ex_mask]
    dirs[task.ex_mask, 1] = lam[task.ex_mask]
    return f0, noise, dirs


def _working_set(task: NewtonTask, st: _State) -> tuple[NDArray[np.intp], float, bool] | None:
    """The states of the next working set, its window and whether it should end the solve
    (see :func:`_working_set_step`); None where none applies."""
    la = task.prob.engine.log_weights_at(st.lam)
    if la is None:
        return None
    n = la.size
    # Close to the solution (the last working set left out only a little of p), the
    # widest window is worth a larger set: it should end the solve.
    close = st.working_set is not None and st.rmax <= 1e4 * task.prob.tol
    cap = (4 if close else 1) * _SHRINK_SHARE * n
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
    if rows.size > 1.25 * cap or rows.size < _SHRINK_PER_CONSTRAINT * len(task.free):
        return None
    return rows, window, window == full or close


def _working_set_step(task: NewtonTask, st: _State) -> _Step | None:
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
    the set within :data:`_SHRINK_SHARE` of the states.

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
            max_iter=min(_SHRINK_ITER, prob.max_iter),
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
        st.shrink_below = 0.01 * st.rmax
        return None
    d = verdict.lam - st.lam
    slope = float((_gradient(task, st.ev, st.lam) * prob.spread) @ d)
    gain = dual_value(ev_sub, st.lam, task.b, task.sigma2, task.free) - dual_value(
        verdict.ev, verdict.lam, task.b, task.sigma2, task.free
    )
    if not (slope < 0 and gain > 0):
        st.shrink_below = 0.01 * st.rmax
        return None
    st.working_set, st.window = rows, window
    st.hr = None  # the next full Newton step, if any, takes a fresh covariance
    step_r = np.linalg.lstsq(task.basis, d * prob.spread, rcond=None)[0]
    f0, noise, dirs = _step_terms(task, st, d)
    return _Step(
        d=d,
        length=float(np.linalg.norm(step_r)),
        slope=slope,
        # The model's curvature such that its predicted decrease is the working set's.
        curvature=max(2.0 * (-slope - gain), 0.0),
        f0=f0,
        noise=noise,
        dirs=dirs,
        light=True,
        # Solved on a set that leaves out nothing of p, or close to the solution already:
        # this step should end the solve (see _trial_step for what that changes).
        final=verdict.status == "converged" and ends,
        working_set=True,
    )


def _may_shrink(task: NewtonTask, st: _State) -> bool:
    """Whether working-set steps may be tried from this point (see _working_set_step)."""
    eng = task.prob.engine
    return bool(st.rmax < st.shrink_below and eng.keeps_p and (eng.n or 0) >= _SHRINK_MIN)


def _shift_to_radius(w: Array, gv: Array, radius: float) -> float:
    """The Levenberg shift mu >= 0 with |g / (w + mu)| = radius (the exact trust-region step).

    ``w`` are the eigenvalues of the Hessian (positive), ``gv`` the gradient on its
    eigenvectors.  Newton's method on the secular equation 1/|p(mu)| = 1/radius, which is
    nearly linear in mu, from mu = 0 (where |p| > radius), converges monotonically.
    """
    mu = 0.0
    # Where p has collapsed onto a few states the curvatures underflow and g / w would
    # overflow: start instead where no component does and |p| is still beyond the radius.
    start = float(np.max(np.abs(gv))) / (1e6 * radius)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for _ in range(60):
            q = gv / (w + mu)
            norm = float(np.linalg.norm(q))
            if not np.isfinite(norm):
                mu = max(2.0 * mu, start)
                continue
            if abs(norm - radius) <= 1e-3 * radius:
                break
            dnorm = -float(np.sum(q**2 / (w + mu))) / norm  # d|p|/dmu
            mu_new = mu + (1.0 / norm - 1.0 / radius) * norm**2 / dnorm  # Newton on 1/|p|
            if not (np.isfinite(mu_new) and np.isfinite(dnorm)):  # |p| huge: squares overflow
                mu = max(2.0 * mu, start)
                continue
            mu = max(mu_new, 0.5 * mu)
    return mu


def _trial_request(
    task: NewtonTask, st: _State, step: _Step, t: float, hessian: bool
) -> PassRequest:
    """The pass at ``lam + t d``: what the dual, the certificates and the next step need.

    A step expected to end the solve keeps p and the entropy terms, and takes the
    covariance the result reports (exact to rounding: screened only where weights
    underflow) when the solve reports one.
    """
    eng = task.prob.engine
    report = hessian and step.final and task.prob.covariance
    center = st.center  # about the mean when p is concentrated (see _refresh_hessian)
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
        line=step.d if t == 1.0 and eng.keeps_p else None,
    )
    if hessian and not report and st.project:  # Newton's covariance, projected
        newton_cov = _hessian_request(task, st, request.lam)
        request = dataclasses.replace(
            request, center=newton_cov.center, projection=newton_cov.projection
        )
    return request


def _trial_step(task: NewtonTask, st: _State, step: _Step) -> _Trial:
    """Passes at trial points lam + t d until the dual decreases enough.

    The full step (t = 1) first.  When it fails and the engine kept the line (in-memory
    features: the log-weights and ``F @ d`` of every state), the dual is minimised along
    the line without reading ``F`` (:func:`_line_minimum`) and one pass checks that point;
    otherwise, and if that fails too, backtracking by safeguarded quadratic interpolation.
    """
    prob, eng = task.prob, task.prob.engine
    t = 1.0
    searched = False
    hessian = not step.light or (step.final and prob.covariance)
    refresh = False
    for _ in range(60):
        request = _trial_request(task, st, step, t, hessian)
        lt = request.lam
        et = eng.evaluate(request)
        ft = dual_value(et, lt, task.b, task.sigma2, task.free)
        suspect = certificates(prob, task.b, step.dirs, et)
        if suspect is not None and not task.progress.lp_done:
            # The certificate suggests a face; its exact normal comes from an LP.
            faces = _lp(task)
            if faces:
                return _Trial(t, verdict=Verdict("face", lt, et, faces))
        if ft <= step.f0 + 1e-4 * t * step.slope + step.noise:
            return _Trial(t, lt, et, ft, refresh=refresh)
        t_line = None
        if not searched and request.line is not None and eng.line_at(lt, step.d):
            searched = True
            t_line = _line_minimum(task, st, step)
        if t_line is not None:
            t = t_line
            # A poor step: the Hessian there is needed, screened to the states that carry
            # weight.  Where that pays (see _direction), from the point's own light pass:
            # its heaviest states are not known before it.
            refresh = hessian = True
            if _screening_pays(task, st) and not (step.final and prob.covariance):
                hessian = False
            continue
        # Safeguarded quadratic interpolation of the dual along the step.
        denom = 2.0 * (ft - step.f0 - t * step.slope)
        t_new = -step.slope * t * t / denom if denom > 0 else 0.1 * t
        t = float(np.clip(t_new, 0.1 * t, 0.5 * t))
    return _Trial(t)


def _line_minimum(task: NewtonTask, st: _State, step: _Step) -> float | None:
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


def _update(task: NewtonTask, st: _State, step: _Step, trial: _Trial) -> None:
    """Accept the trial point and update the trust radius from actual / predicted decrease."""
    t, lt, et, ft = trial.t, trial.lam, trial.ev, trial.value
    assert lt is not None and et is not None
    predicted = -(t * step.slope + 0.5 * t * t * step.curvature)
    ratio = (step.f0 - ft) / predicted if predicted > step.noise else 1.0
    taken = t * min(step.length, st.radius)
    if ratio > 0.75 and t == 1.0 and step.length >= 0.99 * st.radius:
        st.radius *= 4.0
    elif ratio < 0.25:
        st.radius = max(0.25 * taken, 1e-8)
    if step.floored and ratio > 0.75 and t == 1.0:
        st.rel_floor = max(st.rel_floor * 1e-4, 1e-40)
    elif ratio < 0.25:
        st.rel_floor = 1e-14
    if step.working_set and t < 1.0:
        # The working set misled the step (too few states for what the targets need):
        # full Newton steps until they have brought the residual 100 times lower.
        st.shrink_below = 0.01 * st.rmax
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
        _secant_update(task, st, step, trial)
    st.lam, st.ev = lt, et
    st.refresh = step.refresh or (trial.refresh and et.cov is None)
    assert et.dir_max is not None and et.dir_min is not None
    cert = step.dirs[:, 0]
    width = et.dir_max[0] - et.dir_min[0]
    if np.any(cert) and width > 0:
        st.edge = (float(task.b @ cert) - et.dir_min[0]) / width


def _secant_update(task: NewtonTask, st: _State, step: _Step, trial: _Trial) -> None:
    """BFGS update of the reduced Hessian along a step taken without a new covariance.

    The gradients at both ends give the average curvature along the step; the update
    makes the reused Hessian exact along it (the next steps then converge superlinearly
    without the n m^2 cost of a new covariance).
    """
    assert trial.ev is not None and trial.lam is not None
    assert st.hr is not None and step.step_r is not None and step.gr is not None
    y = task.basis.T @ _gradient(task, trial.ev, trial.lam) - step.gr
    sr = trial.t * step.step_r
    ys = float(y @ sr)
    hs = st.hr @ sr
    shs = float(sr @ hs)
    if not (ys > 1e-12 * shs > 0.0):  # rounding or no curvature information: keep H
        return
    st.hr = st.hr - np.outer(hs, hs) / shs + np.outer(y, y) / ys


def _cancels(ev: Evaluation, center: Array | None, free: NDArray[np.intp]) -> bool:
    """Whether Cov = E[FF] - E[F]E[F] (about center) lost more than ~6 digits."""
    assert ev.cov is not None
    var = np.diag(ev.cov)[free]
    off = (ev.mean if center is None else ev.mean - center)[free]
    return bool(np.any(off**2 > 1e6 * np.maximum(var, 1e-300)))
