"""The solver's stages between the prior pass and the result: equalities, then bounds.

- :func:`solve_equalities`: equality (and noisy) constraints, alternating rounds of face
  discovery (per-feature ranges, dependent combinations, Newton's certificates and the
  linear program, all in :mod:`maxent._faces`) with Newton's method on the constraints
  left (:mod:`maxent._newton`), until Newton converges;
- :func:`solve_bounds`: inequality constraints ``lower <= E[F] <= upper`` by an active-set
  loop over equality solves, each from the same support (:meth:`MomentEngine.tentative_faces`).

Each stage takes the frozen :class:`maxent._problem.Problem` and its input as values
(:class:`Equalities`) and returns an :class:`Outcome`; what they learn on the way is in
``prob.progress`` and the faces on the engine.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ._blocks import Support
from ._faces import (
    check_ranges,
    flat_directions,
    prior_eigh,
    raise_no_common_state,
    record_face,
)
from ._kernel import PassRequest
from ._moments import EmptySupportError, Evaluation, MomentEngine
from ._newton import newton
from ._problem import EPS, NewtonTask, Problem, Verdict, residuals
from .errors import InfeasibleTargetsError

__all__ = [
    "Equalities",
    "Outcome",
    "centred",
    "prior_request",
    "solve_bounds",
    "solve_equalities",
    "with_infinities",
]

Array = NDArray[np.float64]


def prior_request(m: int, center: Array | None = None) -> PassRequest:
    """The pass under the prior: moments, covariance (about ``center``), feature ranges."""
    return PassRequest(lam=np.zeros(m), covariance=True, center=center, axis_ranges=True)


def centred(eng: MomentEngine, ev: Evaluation) -> Evaluation:
    """The prior pass again with second moments about the mean, when E[FF] - E[F]E[F]
    lost more than three digits (a concentrated prior): the correlations decide which
    constraints are dependent, at the 1e-12 level."""
    assert ev.cov is not None
    var = ev.cov.diagonal()
    if not (ev.mean**2 > 1e3 * np.maximum(var, 1e-300)).any():
        return ev
    return eng.evaluate(prior_request(ev.mean.shape[0], ev.mean))


@dataclass(frozen=True)
class Outcome:
    """Where the equality stage ended."""

    lam: Array  # finite part of the multipliers
    inf_sign: Array  # +1 / -1 where a multiplier diverges
    ev: Evaluation  # evaluation at lam on the final support
    converged: bool
    message: str
    status: str  # "converged", "face", "max_iter" or "stalled"


@dataclass(frozen=True, kw_only=True)
class Equalities:
    """Input of the equality stage (engine units): targets, noise, the active constraints
    (the others keep multiplier 0)."""

    b: Array
    sigma2: Array
    active: list[int]


def with_infinities(lam: Array, inf_sign: Array) -> Array:
    """The reported multipliers: +-inf where the solution is a limit, else the finite part."""
    out: Array = np.where(inf_sign != 0, np.copysign(np.inf, inf_sign), lam)
    return out


def solve_equalities(prob: Problem, eq: Equalities, lam0: Array, ev_prior: Evaluation) -> Outcome:
    """Equality (and noisy) constraints ``eq.active``; the others keep multiplier 0.

    A face within tolerance of the targets along one direction (a feature's range, a thin
    direction of the hull found by the LP) can leave them clearly off the face in the
    other features; the checks on the face then object.  Such faces are undone and the
    solve starts again with strict faces only (targets at or beyond an end), so Newton's
    method runs on to the interior solution.
    """
    with prob.engine.tentative_faces() as trial:
        try:
            out = _equalities(prob, eq, lam0, ev_prior)
        except InfeasibleTargetsError:
            if prob.progress.lp_off or not trial.added:
                trial.keep()  # nothing to undo: the error stands
                raise
        else:
            trial.keep()
            return out
    # Back on the support of ev_prior: strict faces only.
    prob.progress.lp_off = prob.progress.lp_done = True
    return _equalities(prob, eq, lam0, ev_prior)


@dataclass
class _Rounds:
    """State of the equality stage's rounds of face discovery."""

    free: list[int]  # constraints still in play
    inf_sign: Array
    lam: Array
    pinned: list[int] = field(default_factory=list)  # range faces of the last round
    near: set[int] = field(default_factory=set)  # targets only near a range's end
    undo: tuple[Support, Array, Array] | None = None  # before the last round of range faces


def _equalities(prob: Problem, eq: Equalities, lam0: Array, ev_prior: Evaluation) -> Outcome:
    """One attempt of :func:`solve_equalities`.

    Alternates between face discovery (ranges, dependent constraints, certificates) and
    Newton's method on the remaining constraints, until Newton converges.
    """
    eng = prob.engine
    m = eng.m
    st = _Rounds(free=[int(k) for k in eq.active], inf_sign=np.zeros(m), lam=np.zeros(m))
    st.lam[st.free] = lam0[st.free]
    ev0 = ev_prior
    first = True
    while True:
        if not first:
            try:
                ev0 = centred(eng, eng.evaluate(prior_request(m)))
            except EmptySupportError:
                raise_no_common_state(prob, st.pinned)
        first = False
        if _range_faces(prob, eq, st, ev0):
            continue
        exact = [k for k in st.free if eq.sigma2[k] == 0]
        const = _constant(prob, ev0, exact)
        for k in const:  # constant on the support and equal to its target: no role left
            st.free.remove(k)
        exact = [k for k in exact if k not in const]
        free_set = set(st.free)
        st.lam[[k for k in range(m) if k not in free_set]] = 0.0
        # Every constraint exact and free, in order: the dependent constraints and the
        # whitened coordinates come from the same correlation matrix, factored once.
        whole = len(exact) >= 2 and exact == st.free == list(range(m))
        eig = prior_eigh(prob, ev0, exact) if whole else None
        null = flat_directions(prob, eq.b, exact, ev0, eig)
        if isinstance(null, tuple):  # a face along a dependent combination
            st.lam = record_face(prob, null[0], st.inf_sign, st.lam)
            continue
        basis = _reduced_basis(prob, st.free, null, ev0, eig=eig)
        free = np.asarray(st.free, dtype=np.intp)
        b = _consistent_targets(prob, eq.b, null, ev0)
        task = NewtonTask(prob=prob, b=b, sigma2=eq.sigma2, free=free, exact=exact, basis=basis)
        verdict = _newton_past_stalls(task, st.lam, ev0, null)
        if verdict.status == "face":
            st.lam = verdict.lam
            for direction, margin in verdict.faces:
                st.lam = record_face(prob, direction, st.inf_sign, st.lam, margin=margin)
            continue
        return _outcome(prob, verdict, st.inf_sign, null)


def _consistent_targets(prob: Problem, b: Array, null: Array, ev0: Evaluation) -> Array:
    """The targets Newton aims at where constraints are dependent (``null``: orthonormal
    columns, scaled coordinates): ``b`` moved the least, in units of each constraint's
    tolerance, onto the values the dependent combinations take on every state.

    :func:`maxent._faces.flat_directions` accepts targets within the tolerance of those
    values (rounding: e.g. targets of features on a common offset of 1e6, each rounded to
    its own ulp).  Newton's steps leave the null directions alone, so whatever gap is left
    stays in the moments; aimed at ``b`` itself it would be spread in whitened units
    (each constraint's share by its spread), which can put a multiple of a wide
    feature's tolerance on it while a narrow one, with an absolute allowance far above its
    spread, could take the gap.  Least squares weighted by the tolerances puts each share
    where its allowance is.  (For consistent targets the move is rounding: ``b`` stays.)
    """
    if not null.shape[1]:
        return b
    d = null / prob.spread[:, None]  # the combinations, in multiplier units
    gap = b @ d - ev0.mean @ d  # (the prior's mean of a combination constant on the support)
    tau2 = prob.unit_tol**2
    weighted = d * tau2[:, None]
    try:
        coef = np.linalg.solve(d.T @ weighted, gap)
    except np.linalg.LinAlgError:
        return b
    out: Array = b - weighted @ coef
    return out


def _newton_past_stalls(task: NewtonTask, lam: Array, ev0: Evaluation, null: Array) -> Verdict:
    """Newton's method (:func:`maxent._newton.newton`), and where rounding may have
    decided its end, up to two more attempts; the best verdict of those made.

    - Where the log-weights' rounding (``eps sum_k |F_k lam_k|``, large multipliers on
      nearly collinear features) may be what stopped it short of the tolerance, or what
      it met the tolerance by (above ``tol / 10``: the moments computed at neighbouring
      multipliers then scatter by about the tolerance, and which of them a pass sees is
      a matter of rounding): on from there with every pass taking them by a compensated
      dot product (``MomentEngine.accurate``, kept to the end of the solve).
    - Where it stalls (also after that): again from the start in coordinates
      standardised under the prior but not whitened.  Whitening measures a step by how
      far it moves the log-weights, so that along a combination that is nearly constant
      under the prior (nearly collinear features; a prior concentrated on a few states,
      spanning hundreds of decades) the first steps can take the multipliers far out, to
      where p sits on one state or the dual is flat to rounding; in standardised
      coordinates the trust region grows the multipliers from small values, and no
      faster than :data:`_PLAIN_RADIUS` spreads a step, as a plain trust-region method
      does: the targets are then met (to the tolerance) where the multipliers are
      smallest along the way.
    """
    prob, eng = task.prob, task.prob.engine
    start = lam.copy()
    verdict = newton(task, lam, ev0)
    level = {"stalled": 1e-14, "converged": 0.1 * prob.tol}.get(verdict.status)
    if level is not None and not eng.accurate and _rounds_log_weights(prob, verdict.lam, level):
        eng.accurate = True
        verdict = _better(task, verdict, newton(task, verdict.lam.copy(), ev0))
    if verdict.status == "stalled":
        plain = _reduced_basis(prob, [int(k) for k in task.free], null, ev0, whiten=False)
        budget = min(prob.max_iter, task.progress.n_iter + _PLAIN_STEPS)
        plain_task = dataclasses.replace(
            task,
            basis=plain,
            max_radius=_PLAIN_RADIUS,
            prob=dataclasses.replace(prob, max_iter=budget),
        )
        again = newton(plain_task, start, ev0)
        if again.status == "max_iter" and budget < prob.max_iter:  # (not the caller's limit)
            again = Verdict("stalled", again.lam, again.ev)
        verdict = _better(task, verdict, again)
    return verdict


# The largest trust radius of the standardised attempt (as scipy's trust-region methods):
# a nearly flat combination then grows its multiplier by at most this many spreads a step.
_PLAIN_RADIUS = 1e3
_PLAIN_STEPS = 60  # most Newton steps of that attempt (what rounding stops costs no more)


def _better(task: NewtonTask, old: Verdict, new: Verdict) -> Verdict:
    """The new verdict if it converged or found faces, or ended closer to the targets."""
    if new.status in ("converged", "face"):
        return new
    return new if _worst(task, new) < _worst(task, old) else old


def _rounds_log_weights(prob: Problem, lam: Array, level: float) -> bool:
    """Whether rounding ``F @ lam`` (``eps sum_k |F_k lam_k|``) moves the log-weights by
    more than ``level`` (and a compensated product of them cannot overflow)."""
    size = float(np.abs(lam) @ prob.magnitude)
    return bool(level < EPS * size and size < 1e280)


def _worst(task: NewtonTask, verdict: Verdict) -> float:
    """The verdict's largest residual in units of the tolerance (as computed: where the
    log-weights' rounding scatters the moments, one draw of it)."""
    res = residuals(task, verdict.ev, verdict.lam)
    return float(np.max(res / task.prob.threshold[task.free], initial=0.0))


def _constant(prob: Problem, ev0: Evaluation, exact: list[int]) -> list[int]:
    """The constraints of ``exact`` whose feature is constant on the support (to the
    tolerance)."""
    assert ev0.dir_max is not None and ev0.dir_min is not None
    ex = np.asarray(exact, dtype=np.intp)
    out: list[int] = ex[ev0.dir_max[ex] - ev0.dir_min[ex] <= prob.unit_tol[ex]].tolist()
    return out


def _range_faces(prob: Problem, eq: Equalities, st: _Rounds, ev0: Evaluation) -> bool:
    """Record every face the per-feature ranges put the targets on (or undo the last round
    of them); whether the support changed, so that a new round begins."""
    eng = prob.engine
    exact = [k for k in st.free if eq.sigma2[k] == 0]
    try:
        faces = check_ranges(prob, eq.b, exact, ev0, st.near)
    except InfeasibleTargetsError:
        if st.undo is None:
            raise
        # Targets within tolerance of their ranges' ends one by one, but the faces
        # together move another moment out of reach: they were only near the ends
        # (p concentrated near a vertex, finite multipliers).  Undo that round and
        # let Newton take those constraints.
        support, st.inf_sign, st.lam = st.undo
        eng.restore_support(support)
        st.near.update(st.pinned)
        st.undo, st.pinned = None, []
        return True
    if not faces:
        st.undo = None
        return False
    # Every range face at once (zero-target indicators, targets at a feature's end): the
    # solution lies on all of them, so one pass checks what is left.
    assert ev0.dir_min is not None and ev0.dir_max is not None
    st.undo = (eng.support, st.inf_sign.copy(), st.lam.copy())
    eye = np.eye(eng.m)
    for k, sign in faces:
        bound = ev0.dir_min[k] if sign > 0 else -ev0.dir_max[k]
        st.lam = record_face(prob, sign * eye[k], st.inf_sign, st.lam, bound)
    st.pinned = [k for k, _ in faces]
    return True


def _outcome(prob: Problem, verdict: Verdict, inf_sign: Array, null: Array) -> Outcome:
    """The equality stage's result from Newton's verdict (faces already recorded)."""
    n_iter = prob.progress.n_iter
    converged = verdict.status == "converged"
    if converged:
        msg = f"converged in {n_iter} Newton steps"
    elif verdict.status == "stalled":
        msg = (
            f"stopped after {n_iter} Newton steps: the line search could not "
            "decrease the dual any further (rounding limits the accuracy)"
        )
    else:
        msg = f"stopped after {n_iter} Newton steps (max_iter = {prob.max_iter})"
    faces = bool((inf_sign != 0).any())
    if faces:
        msg += "; targets on the boundary of the feasible set: the solution is the limit"
        msg += " supported on the face they touch"
    # Report the minimum-norm finite part: remove components along flat directions.
    lam = verdict.lam
    if null.shape[1]:
        ls = lam * prob.spread
        ls = ls - null @ (null.T @ ls)
        lam = ls / prob.spread
    status = "face" if converged and faces else verdict.status
    return Outcome(lam, inf_sign, verdict.ev, converged, msg, status)


def _reduced_basis(
    prob: Problem,
    free: list[int],
    null: Array | None,
    ev0: Evaluation,
    *,
    whiten: bool = True,
    eig: tuple[Array, Array] | None = None,
) -> Array:
    """Coordinates for Newton's method: whitened under the prior (unless not ``whiten``:
    then standardised, scaled by each feature's spread), flat directions removed.

    Columns span the free constraints (in scaled coordinates) orthogonally to the null
    vectors, and are scaled so that the prior covariance is the identity in them.  Newton's
    step does not depend on the coordinates, but its regularisation of tiny curvatures
    does: whitening keeps nearly dependent constraints (a combination with a tiny but
    non-zero spread) from being mistaken for flat ones.  ``eig``: the prior correlation's
    eigenvalues and eigenvectors over every constraint in order
    (:func:`maxent._faces.prior_eigh`), where the caller has them.
    """
    m = prob.engine.m
    e = np.zeros((m, len(free)))
    e[free, np.arange(len(free))] = 1.0
    if null is not None and null.shape[1]:
        proj = e - null @ (null.T @ e)
        u, sv, _ = np.linalg.svd(proj, full_matrices=False)
        e = u[:, sv > 0.5]
    if e.shape[1] == 0 or not whiten:
        return e
    if eig is not None and (null is None or not null.shape[1]):
        # (The correlation of every constraint, in order: e is the identity.)
        w, v = eig
    else:
        assert ev0.cov is not None
        s = prob.spread
        corr = e.T @ (ev0.cov / np.outer(s, s)) @ e
        w, v = np.linalg.eigh(0.5 * (corr + corr.T))
    # A prior concentrated far below the features' range (weights spanning 1e-300..1)
    # has a covariance that says nothing about the scale of the problem: keep the
    # directions' relative scales but measure the steps in at least 1% of the spread.
    top = float(w[-1])
    if not top >= 1e-4:
        w = w * (1e-4 / top) if top > 1e-300 else np.full_like(w, 1e-4)
    w = np.maximum(w, 1e-16 * float(w[-1]))
    out: Array = e @ (v / np.sqrt(w))
    return out


def solve_bounds(
    prob: Problem, lower: Array, upper: Array, sigma2: Array, lam0: Array, ev0: Evaluation
) -> tuple[Outcome, Array]:
    """Inequality constraints lower <= E[F] <= upper by an active-set loop over equalities.

    With noise (``sigma2 > 0``) an active bound is a noisy equality: the dual's multiplier
    keeps the sign of its side, and the moment may pass the bound by ``sigma2 * lam``.
    Returns the outcome and the targets it reached: the active bounds, and the moments
    where neither bound is active.
    """
    lo, hi = lower, upper
    m = prob.engine.m
    state = np.zeros(m, dtype=int)  # 0 inactive, +1 at upper, -1 at lower, 2 equality
    state[lo == hi] = 2
    b = np.where(lo == hi, lo, 0.0)
    lam = lam0.copy()
    for _ in range(4 * m + 4):
        b = np.where(state == 1, hi, np.where(state == -1, lo, b))
        lam = np.where(state != 0, lam, 0.0)
        eq = Equalities(b=b, sigma2=sigma2, active=list(np.flatnonzero(state != 0)))
        with prob.engine.tentative_faces() as trial:  # each active set from the same support
            out = solve_equalities(prob, eq, lam, ev0)
            k, side = _bound_to_change(prob, out, state, lo, hi)
            if k is None:
                trial.keep()  # the solution: on its own support
                reached = np.where(state == 1, hi, np.where(state == -1, lo, out.ev.mean))
                return out, np.where(state == 2, lo, reached)
        state[k] = side
        lam = out.lam
    raise InfeasibleTargetsError(  # pragma: no cover - cycling active set
        "the active-set iteration for `lower`/`upper` did not settle; check the bounds."
    )


def _bound_to_change(
    prob: Problem, out: Outcome, state: NDArray[np.int_], lo: Array, hi: Array
) -> tuple[int | None, int]:
    """The constraint whose state the active-set loop changes next, and its new state
    (+1 at upper, -1 at lower, 0 inactive); None when the bounds all hold."""
    mean = out.ev.mean
    mult = with_infinities(out.lam, out.inf_sign)
    t = prob.threshold * prob.spread
    viol = np.where(state == 0, np.maximum(mean - hi, lo - mean) / t, -np.inf)
    if np.max(viol, initial=-np.inf) > 1.0:
        k = int(np.argmax(viol))
        return k, 1 if mean[k] - hi[k] > t[k] else -1
    wrong = np.where(state == 1, -mult, np.where(state == -1, mult, -np.inf))
    if np.max(wrong, initial=-np.inf) > 0:
        return int(np.argmax(wrong)), 0
    return None, 0
