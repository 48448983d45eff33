"""Faces of the convex hull and infeasible targets: where the multipliers diverge.

A target on the boundary of what the features allow (a die's mean equal to 6, a
marginal equal to 0) is reached only in the limit of infinite multipliers, by the
distribution supported on the face of the convex hull of the feature vectors that the
target touches.  A target outside the hull has no solution at all.  This module finds
both, as cheaply as possible:

- :func:`check_ranges`: per-feature ranges from the prior pass (a target outside its
  feature's range is infeasible; one at an end of it puts the solution on a face): all
  such faces in one go, e.g. every zero-target indicator feature at once;
- :func:`flat_directions`: linearly dependent constraints (consistent, inconsistent,
  or with targets at the end of a dependent combination's range);
- :func:`certificates`: the ranges of ``F @ d`` that each Newton pass computes for the
  step direction certify infeasibility, or point at a face;
- :func:`lp_faces`: the last resort, a linear program by cutting planes over the states;
- :func:`record_face`: restricts the support to a face found (multipliers -> +-inf).
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from ._kernel import PassRequest
from ._moments import Evaluation
from ._problem import FaceList, Problem
from .errors import InfeasibleTargetsError

__all__ = [
    "certificates",
    "check_ranges",
    "flat_directions",
    "lp_faces",
    "raise_no_common_state",
    "raise_outside_hull",
    "reachable_on_face",
    "record_face",
]

_NULL_EIG = 1e-12  # eigenvalue of the correlation matrix below which a direction is "flat"
_LP_TOL = 1e-9  # feasibility tolerance of the linear programs, in units of the spread
# Wall-clock cap of one linear program: HiGHS can take minutes on a degenerate program
# with hundreds of constraints; the LP is a last-resort check, and without its answer
# Newton simply goes on (a target near, not on, a face converges with finite multipliers).
_LP_SECONDS = 5.0

Array = NDArray[np.float64]


def record_face(
    prob: Problem,
    d: Array,
    inf_sign: Array,
    lam: Array,
    dmin: float | None = None,
    margin: float = 0.0,
) -> Array:
    """Restrict the support to the face minimising F @ d; lambda -> lambda + inf * d.

    Returns ``lam`` without its component along ``d`` (constant on the face, it would
    only cost precision in the log-weights).
    """
    eng = prob.engine
    if dmin is None:
        dmin = float(eng.project_ranges(d[:, None])[0][0])
    eng.add_face(d, dmin + max(prob.dir_tol(d), margin))
    prob.progress.lp_done = prob.progress.lp_off
    big = np.abs(d) > 1e-8 * np.max(np.abs(d))
    new = big & (inf_sign == 0)
    inf_sign[new] = np.sign(d[new])
    u = d * prob.spread
    u = u / np.linalg.norm(u)
    ls = lam * prob.spread
    out: Array = (ls - u * (u @ ls)) / prob.spread
    return out


def check_ranges(
    prob: Problem, b: Array, exact: list[int], ev0: Evaluation, near: set[int] | tuple[()] = ()
) -> list[tuple[int, float]]:
    """Per-feature range test, all features at once.

    Raises for a target outside its feature's range; returns every face ``(k, sign)``
    the targets touch (``sign`` +1: the target at the lower end of feature ``k``, -1: at
    the upper end), so that all of them are recorded together before the next pass.
    A feasible solution lies on all of them at once, so their intersection is the face.
    Features in ``near`` (targets found to be only near an end) are never made faces.
    """
    assert ev0.dir_min is not None and ev0.dir_max is not None
    # The features whose target is outside its range or within a margin of an end, all
    # at once; then each of them in turn (the others neither raise nor make a face).
    ex = np.asarray(exact, dtype=np.intp)
    lo_x, hi_x, t_x, b_x = ev0.dir_min[ex], ev0.dir_max[ex], prob.unit_tol[ex], b[ex]
    margin_x = 0.0 if prob.progress.lp_off else t_x
    maybe = (b_x < lo_x - t_x) | (b_x > hi_x + t_x) | (b_x <= lo_x + margin_x)
    maybe |= b_x >= hi_x - margin_x
    faces = []
    for k in ex[maybe].tolist():
        lo, hi = ev0.dir_min[k], ev0.dir_max[k]
        t = float(prob.unit_tol[k])
        if b[k] < lo - t or b[k] > hi + t:
            raise InfeasibleTargetsError(
                f"`{prob.label('targets', k)}` = {prob.user(k, b[k]):.10g} is outside "
                f"[{prob.user(k, lo):.10g}, {prob.user(k, hi):.10g}], the range of "
                f"`features[:, {k}]`"
                + (f" ('{prob.names[k]}')" if prob.from_mapping else "")
                + " over the states in the support: no distribution reaches it."
            )
        if hi - lo <= t or k in near:
            continue
        margin = 0.0 if prob.progress.lp_off else t  # strict faces: at or beyond the end only
        if b[k] <= lo + margin:
            faces.append((k, 1.0))
        elif b[k] >= hi - margin:
            faces.append((k, -1.0))
    return faces


def _ranges_hold(prob: Problem, b: Array, exact: list[int]) -> bool:
    """Whether every exact target is within its tolerance of its feature's range on the
    current support (one pass): the per-feature test the solver applies next."""
    lo, hi = prob.engine.feature_ranges(np.asarray(exact, dtype=np.intp))
    t = prob.unit_tol[exact]
    bx = b[exact]
    return bool(np.all((bx >= lo - t) & (bx <= hi + t)))


def raise_no_common_state(prob: Problem, constraints: list[int]) -> NoReturn:
    """The faces that targets at the ends of their ranges force have no state in common."""
    names = [prob.names[k] for k in constraints]
    raise InfeasibleTargetsError(
        f"constraints {names} have their targets at an end of their features' ranges, "
        "which only states at those ends can meet, but no state in the support is at all "
        "of those ends together: the targets cannot be met together."
    )


def prior_eigh(prob: Problem, ev0: Evaluation, exact: list[int]) -> tuple[Array, Array]:
    """Eigenvalues and eigenvectors of the correlation matrix under the prior (``ev0``)
    of the constraints ``exact``."""
    assert ev0.cov is not None
    s = prob.spread[exact]
    ex = np.asarray(exact, dtype=np.intp)
    out: tuple[Array, Array] = np.linalg.eigh(ev0.cov[ex[:, None], ex] / np.outer(s, s))
    return out


def flat_directions(
    prob: Problem,
    b: Array,
    exact: list[int],
    ev0: Evaluation,
    eig: tuple[Array, Array] | None = None,
) -> Array | tuple[Array, str]:
    """Linearly dependent exact constraints.

    Returns the orthonormal (scaled) null vectors to project out of Newton's method, or
    ``(d, 'face')`` when the targets sit on the end of a dependent combination's range.
    Raises when dependent constraints have inconsistent targets.  ``eig``: the
    :func:`prior_eigh` of ``exact``, where the caller has it.
    """
    m = prob.engine.m
    if len(exact) < 2:
        return np.zeros((m, 0))
    s = prob.spread[exact]
    w, v = prior_eigh(prob, ev0, exact) if eig is None else eig
    if float(w[-1]) < 1e-6:
        # A prior concentrated far below the features' ranges (the spread fell back to
        # the range): its covariance cannot tell dependent constraints from the others.
        # Take the candidates from the geometry of a few extreme states instead.
        cand = _geometric_null(prob, exact, s)
        if cand.shape[1] == 0:
            return np.zeros((m, 0))
        return _test_null(prob, b, exact, cand)
    flat = w < _NULL_EIG * max(1.0, float(w[-1]))
    if not flat.any():
        return np.zeros((m, 0))
    cand = v[:, flat]
    if cand.shape[1] > 1:
        # Several tiny eigenvalues: states of negligible prior weight may be all that
        # separates a dependent combination from a narrow one.  The geometry of extreme
        # states decides first; if it finds nothing constant, the covariance of the
        # projected features.
        geo = _geometric_null(prob, exact, s)
        if geo.shape[1]:
            found = _test_null(prob, b, exact, geo)
            if isinstance(found, tuple) or found.shape[1]:
                return found
        # At this noise level the eigenvectors mix exactly constant combinations with
        # merely narrow ones.  Separate them with the covariance of the projected
        # features (one more pass, no cancellation).
        vs = np.zeros((m, cand.shape[1]))
        vs[exact, :] = cand / s[:, None]
        _, u = np.linalg.eigh(prob.engine.projected_covariance(vs, ev0.mean))
        cand = cand @ u
    return _test_null(prob, b, exact, cand)


def _geometric_null(prob: Problem, exact: list[int], s: Array) -> Array:
    """Directions (scaled, over ``exact``) along which the extreme states of the support
    along the axes and a few random directions all have the same F @ d."""
    k = len(exact)
    m = prob.engine.m
    probe = np.zeros((m, 2 * k + 4))
    probe[exact, :k] = np.diag(1 / s)
    probe[exact, k : 2 * k] = -np.diag(1 / s)
    probe[exact, 2 * k :] = np.random.default_rng(1).standard_normal((k, 4)) / s[:, None]
    rows = prob.engine.extreme_rows(probe)[:, exact] / s
    x = rows - rows[0]
    _, sv, vt = np.linalg.svd(x, full_matrices=True)
    rank = int(np.sum(sv > 1e-12 * max(float(sv[0]) if sv.size else 0.0, 1e-300)))
    out: Array = vt[rank:].T
    return out


def _test_null(
    prob: Problem, b: Array, exact: list[int], cand: Array
) -> Array | tuple[Array, str]:
    """Which candidate combinations are constant on the support (null), which put the
    targets on a face or outside; see :func:`flat_directions`."""
    m = prob.engine.m
    vs = np.zeros((m, cand.shape[1]))
    vs[exact, :] = cand
    dirs = vs / prob.spread[:, None]  # directions in multiplier units
    dmin, dmax = prob.engine.project_ranges(dirs)
    null = []
    for j in range(dirs.shape[1]):
        d = dirs[:, j]
        t = prob.dir_tol(d)
        target = float(b @ d)
        if target < dmin[j] - t or target > dmax[j] + t:
            du, lo_u = prob.user_combo(d, dmin[j])
            hi_u = prob.user_combo(d, dmax[j])[1]
            tu = prob.user_combo(d, target)[1]
            norm = np.max(np.abs(du))
            raise InfeasibleTargetsError(
                f"constraints {prob.involved(du)} are linearly dependent on the support: "
                f"{prob.combo(du)} lies in [{lo_u / norm:.10g}, {hi_u / norm:.10g}] on every "
                f"state, but the targets give {tu / norm:.10g}; the targets are inconsistent."
            )
        margin = 0.0 if prob.progress.lp_off else t
        if dmax[j] - dmin[j] <= t:
            null.append(vs[:, j])
        elif target <= dmin[j] + margin and reachable_on_face(prob, b, exact, d, dmin[j]):
            return d, "face"
        elif target >= dmax[j] - margin and reachable_on_face(prob, b, exact, -d, -dmax[j]):
            return -d, "face"
    return np.array(null).T if null else np.zeros((m, 0))


def reachable_on_face(prob: Problem, b: Array, exact: list[int], d: Array, dmin: float) -> bool:
    """Whether every exact target is within its tolerance of its feature's range on the
    face minimising ``F @ d`` (one pass; the face is not kept).

    A combination that is merely narrow (nearly collinear features) can have the targets
    at its minimum to within the tolerance, or to rounding, while the targets are further
    than that from the states at the minimum in the features themselves: p concentrated
    near a vertex, with finite multipliers.  That is not a face.
    """
    eng = prob.engine
    with eng.tentative_faces():  # dropped on leaving
        eng.add_face(d, dmin + prob.dir_tol(d))
        return _ranges_hold(prob, b, exact)


def certificates(
    prob: Problem, b: Array, dirs: Array, ev: Evaluation, exact: list[int]
) -> Array | None:
    """Infeasibility or face certificates from the ranges of F @ d computed in the pass.

    For any direction d, a feasible target satisfies b . d >= min_i F_i . d.  A target
    below that is infeasible; one within tolerance of it may lie on the face minimising
    F . d: a direction is returned (for the linear program to decide) only where every
    exact target is also within its feature's range on that face (one pass,
    :func:`reachable_on_face`), which a target merely near the face (p concentrated near
    a vertex, with finite multipliers) fails.
    """
    assert ev.dir_min is not None and ev.dir_max is not None
    for j in range(dirs.shape[1]):
        d = dirs[:, j]
        if not d.any():
            continue
        t = prob.dir_tol(d)
        gap = float(b @ d) - ev.dir_min[j]
        if gap < -t:
            raise_outside_hull(prob, d, float(b @ d), ev.dir_min[j])
        if (
            gap <= t
            and ev.dir_max[j] - ev.dir_min[j] > t
            and reachable_on_face(prob, b, exact, d, ev.dir_min[j])
        ):
            return d
    return None


def raise_outside_hull(prob: Problem, d: Array, target: float, bound: float) -> NoReturn:
    du, bound_u = prob.user_combo(d, bound)
    target_u = prob.user_combo(d, target)[1]
    norm = np.max(np.abs(du))
    raise InfeasibleTargetsError(
        "the targets lie outside the convex hull of the feature vectors of the states in "
        f"the support: every state has {prob.combo(du)} >= {bound_u / norm:.10g}, "
        f"but the targets give {target_u / norm:.10g}; constraints "
        f"{prob.involved(du)} cannot be met together."
    )


def lp_faces(prob: Problem, b: Array, exact: list[int]) -> FaceList:
    """Decide, by linear programming, whether the targets are infeasible or on a face.

    Cutting planes over the states (:class:`_CuttingPlanes`).  Returns the faces the
    targets touch, each ``(direction d, margin)`` (the face minimising ``F @ d``); none
    for an interior target; raises for infeasible targets.
    """
    lp = _CuttingPlanes(prob, b, exact)
    d, margin = lp.solve(None)
    if d is None:  # pragma: no cover
        return ()
    if margin > prob.dir_tol(d):
        gap, dmin = lp.exact_gap(d)
        if gap < -prob.dir_tol(d):
            raise_outside_hull(prob, d, float(b @ d), dmin)
    # Feasible: is the target on a proper face?  max E_q[F - b] . d over d with F_i . d >= b . d.
    # An optimal vertex may keep some states of a larger face, so repeat on the face found
    # until the target is in the relative interior.
    faces: list[tuple[Array, float]] = []
    eng = prob.engine
    with eng.tentative_faces():  # the faces tried here are only reported
        for _ in range(eng.m + 1):
            face = _next_face(lp)
            if face is None:
                break
            faces.append(face)
    return tuple(faces)


def _next_face(lp: _CuttingPlanes) -> tuple[Array, float] | None:
    """The next face (direction, margin) the targets touch, recorded on the engine; None
    when the targets are in the relative interior of the current support."""
    prob, b, exact, eng = lp.prob, lp.b, lp.exact, lp.prob.engine
    ev_q = eng.evaluate(PassRequest(lam=np.zeros(eng.m)))
    d, value = lp.solve((ev_q.mean[exact] - b[exact]) / lp.s)
    if d is None or value <= prob.dir_tol(d):
        return None
    gap, dmin = lp.exact_gap(d)
    if abs(gap) > prob.dir_tol(d):
        # Inside by more than the tolerance: not on this face (the LP's tolerance is
        # coarser).  Outside is impossible here: the margin LP found b feasible.
        return None
    # States within the LP's own tolerance of the supporting hyperplane are on the face.
    margin = max(prob.dir_tol(d), _LP_TOL * float(np.abs(d) @ prob.spread))
    level = max(float(b @ d), dmin) + margin
    eng.add_face(d, level)
    lp.rows = lp.rows[lp.rows @ d <= level]
    # The target must still be reachable on the face, within tolerance; a target merely
    # close to a face (a distribution concentrated near a vertex, with finite
    # multipliers) is not on it, and restricting to it would leave nothing feasible.
    d_off, off = lp.solve(None) if lp.rows.shape[0] else (None, 0.0)
    if d_off is None or off > prob.dir_tol(d_off) or not _ranges_hold(prob, b, exact):
        return None
    return d, level - float(b @ d)


class _CuttingPlanes:
    """Linear programs over the states by cutting planes: each has one variable per exact
    constraint and a growing subset of the states (``rows``, feature vectors) as its rows;
    one pass over F finds the states that violate the current solution."""

    def __init__(self, prob: Problem, b: Array, exact: list[int]) -> None:
        self.prob, self.b, self.exact = prob, b, exact
        self.s = prob.spread[exact]
        k = len(exact)
        probe = np.zeros((prob.engine.m, 2 * k + 4))
        probe[exact, :k] = np.diag(1 / self.s)
        probe[exact, k : 2 * k] = -np.diag(1 / self.s)
        rng = np.random.default_rng(0)
        probe[exact, 2 * k :] = rng.standard_normal((k, 4)) / self.s[:, None]
        # feature vectors of a few states, grown by the cutting planes
        self.rows = prob.engine.extreme_rows(probe)

    def solve(self, objective: Array | None) -> tuple[Array | None, float]:
        """``max objective . d`` subject to ``g_i . d >= 0`` for every state i, or with no
        objective the margin program ``max t`` subject to ``g_i . d >= t``
        (``g_i = (F_i - b) / s`` on the exact constraints, ``|d| <= 1``).

        Returns the direction in multiplier units and the optimum (None, 0 on failure).
        """
        exact, b, s = self.exact, self.b, self.s
        k = len(exact)
        for _ in range(100):
            g = (self.rows[:, exact] - b[exact]) / s
            lp = _linprog(g, objective)
            if lp is None:  # pragma: no cover - HiGHS failure
                return None, 0.0
            level = lp.x[k] if objective is None else 0.0
            dl = np.zeros(self.prob.engine.m)
            dl[exact] = lp.x[:k] / s
            val, cand = self.prob.engine.lowest_rows(dl, float(b @ dl), 4 * k + 4)
            viol = cand[val < level - 1e-12]
            grown = np.unique(np.vstack([self.rows, viol]), axis=0)
            if viol.shape[0] == 0 or grown.shape[0] == self.rows.shape[0]:
                return dl, float(-lp.fun if objective is not None else level)
            self.rows = grown
        return None, 0.0  # pragma: no cover

    def exact_gap(self, d: Array) -> tuple[float, float]:
        """b . d - min_i F_i . d from a pass over F, and that minimum: the LP's verdicts
        carry its own tolerance (~1e-9), so they are confirmed against the one of solve()."""
        dmin, _ = self.prob.engine.project_ranges(d[:, None])
        return float(self.b @ d) - float(dmin[0]), float(dmin[0])


def _linprog(g: Array, objective: Array | None) -> Any:
    """One linear program of :meth:`_CuttingPlanes.solve` by HiGHS (None on failure)."""
    from scipy.optimize import linprog

    k = g.shape[1]
    if objective is None:  # max t  s.t.  g_i . d >= t
        c = np.r_[np.zeros(k), -1.0]
        a_ub = np.column_stack([-g, np.ones(len(g))])
        bounds: list[tuple[float | None, float | None]] = [(-1, 1)] * k + [(None, 1)]
    else:  # max objective . d  s.t.  g_i . d >= 0
        c = -objective
        a_ub = -g
        bounds = [(-1, 1)] * k
    lp = linprog(
        c,
        A_ub=a_ub,
        b_ub=np.zeros(len(g)),
        bounds=bounds,
        method="highs",
        options={
            "primal_feasibility_tolerance": 1e-10,
            "dual_feasibility_tolerance": 1e-10,
            "time_limit": _LP_SECONDS,
        },
    )
    return lp if lp.status == 0 else None
