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

import numpy as np

from ._kernel import PassRequest
from .errors import InfeasibleTargetsError

__all__ = [
    "certificates",
    "check_ranges",
    "flat_directions",
    "lp_faces",
    "raise_no_common_state",
    "raise_outside_hull",
    "record_face",
]

_NULL_EIG = 1e-12  # eigenvalue of the correlation matrix below which a direction is "flat"
_LP_TOL = 1e-9  # feasibility tolerance of the linear programs, in units of the spread
# Wall-clock cap of one linear program: HiGHS can take minutes on a degenerate program
# with hundreds of constraints; the LP is a last-resort check, and without its answer
# Newton simply goes on (a target near, not on, a face converges with finite multipliers).
_LP_SECONDS = 5.0


def record_face(prob, d, inf_sign, lam, dmin=None, margin=0.0):
    """Restrict the support to the face minimising F @ d; lambda -> lambda + inf * d.

    Returns ``lam`` without its component along ``d`` (constant on the face, it would
    only cost precision in the log-weights).
    """
    eng = prob.engine
    if dmin is None:
        dmin = float(eng.project_ranges(d[:, None])[0][0])
    eng.add_face(d, dmin + max(prob.dir_tol(d), margin))
    prob.lp_done = prob.lp_off
    big = np.abs(d) > 1e-8 * np.max(np.abs(d))
    new = big & (inf_sign == 0)
    inf_sign[new] = np.sign(d[new])
    u = d * prob.spread
    u = u / np.linalg.norm(u)
    ls = lam * prob.spread
    return (ls - u * (u @ ls)) / prob.spread


def check_ranges(prob, b, exact, ev0, near=()):
    """Per-feature range test, all features at once.

    Raises for a target outside its feature's range; returns every face ``(k, sign)``
    the targets touch (``sign`` +1: the target at the lower end of feature ``k``, -1: at
    the upper end), so that all of them are recorded together before the next pass.
    A feasible solution lies on all of them at once, so their intersection is the face.
    Features in ``near`` (targets found to be only near an end) are never made faces.
    """
    faces = []
    for k in exact:
        lo, hi = ev0.dir_min[k], ev0.dir_max[k]
        t = prob.dir_tol(np.eye(prob.engine.m)[k])
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
        margin = 0.0 if prob.lp_off else t  # strict faces: at or beyond the end only
        if b[k] <= lo + margin:
            faces.append((k, 1.0))
        elif b[k] >= hi - margin:
            faces.append((k, -1.0))
    return faces


def _ranges_hold(prob, b, exact):
    """Whether every exact target is within its tolerance of its feature's range on the
    current support (one pass): the per-feature test the solver applies next."""
    eye = np.eye(prob.engine.m)
    lo, hi = prob.engine.project_ranges(eye[:, exact])
    t = np.array([prob.dir_tol(eye[k]) for k in exact])
    bx = b[exact]
    return bool(np.all((bx >= lo - t) & (bx <= hi + t)))


def raise_no_common_state(prob, constraints):
    """The faces that targets at the ends of their ranges force have no state in common."""
    names = [prob.names[k] for k in constraints]
    raise InfeasibleTargetsError(
        f"constraints {names} have their targets at an end of their features' ranges, "
        "which only states at those ends can meet, but no state in the support is at all "
        "of those ends together: the targets cannot be met together."
    )


def flat_directions(prob, b, exact, ev0):
    """Linearly dependent exact constraints.

    Returns the orthonormal (scaled) null vectors to project out of Newton's method, or
    ``(d, 'face')`` when the targets sit on the end of a dependent combination's range.
    Raises when dependent constraints have inconsistent targets.
    """
    m = prob.engine.m
    if len(exact) < 2:
        return np.zeros((m, 0))
    s = prob.spread[exact]
    corr = ev0.cov[np.ix_(exact, exact)] / np.outer(s, s)
    w, v = np.linalg.eigh(corr)
    if float(w[-1]) < 1e-6:
        # A prior concentrated far below the features' ranges (the spread fell back to
        # the range): its covariance cannot tell dependent constraints from the others.
        # Take the candidates from the geometry of a few extreme states instead.
        cand = _geometric_null(prob, exact, s)
        if cand.shape[1] == 0:
            return np.zeros((m, 0))
        return _test_null(prob, b, exact, cand)
    flat = w < _NULL_EIG * max(1.0, float(w[-1]))
    if not np.any(flat):
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


def _geometric_null(prob, exact, s):
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
    return vt[rank:].T


def _test_null(prob, b, exact, cand):
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
        if dmax[j] - dmin[j] <= t:
            null.append(vs[:, j])
        elif target <= dmin[j] + (0.0 if prob.lp_off else t):
            return d, "face"
        elif target >= dmax[j] - (0.0 if prob.lp_off else t):
            return -d, "face"
    return np.array(null).T if null else np.zeros((m, 0))


def certificates(prob, b, dirs, ev):
    """Infeasibility or face certificates from the ranges of F @ d computed in the pass.

    For any direction d, a feasible target satisfies b . d >= min_i F_i . d.  A target
    below that is infeasible; one within tolerance of it lies on the face minimising F . d.
    """
    for j in range(dirs.shape[1]):
        d = dirs[:, j]
        if not np.any(d):
            continue
        t = prob.dir_tol(d)
        gap = float(b @ d) - ev.dir_min[j]
        if gap < -t:
            raise_outside_hull(prob, d, float(b @ d), ev.dir_min[j])
        if gap <= t and ev.dir_max[j] - ev.dir_min[j] > t:
            return d
    return None


def raise_outside_hull(prob, d, target, bound):
    du, bound_u = prob.user_combo(d, bound)
    target_u = prob.user_combo(d, target)[1]
    norm = np.max(np.abs(du))
    raise InfeasibleTargetsError(
        "the targets lie outside the convex hull of the feature vectors of the states in "
        f"the support: every state has {prob.combo(du)} >= {bound_u / norm:.10g}, "
        f"but the targets give {target_u / norm:.10g}; constraints "
        f"{prob.involved(du)} cannot be met together."
    )


def lp_faces(prob, b, exact):
    """Decide, by linear programming, whether the targets are infeasible or on a face.

    Cutting planes over the states: each linear program has one variable per constraint
    and a growing subset of the states as rows; one pass over F finds the states that
    violate the current solution.  Returns a face direction, or None for an interior
    target; raises for infeasible targets.
    """
    from scipy.optimize import linprog

    eng = prob.engine
    m = eng.m
    s = prob.spread[exact]
    bx = b[exact]
    rng = np.random.default_rng(0)
    probe = np.zeros((m, 2 * len(exact) + 4))
    probe[exact, : len(exact)] = np.diag(1 / s)
    probe[exact, len(exact) : 2 * len(exact)] = -np.diag(1 / s)
    probe[exact, 2 * len(exact) :] = rng.standard_normal((len(exact), 4)) / s[:, None]
    rows = eng.extreme_rows(probe)  # feature vectors of a few states, grown by cutting planes

    def cutting_plane(objective, margin_var):
        nonlocal rows
        for _ in range(100):
            g = (rows[:, exact] - bx) / s
            k = len(exact)
            if margin_var:  # max t  s.t.  g_i . d >= t
                c = np.r_[np.zeros(k), -1.0]
                a_ub = np.column_stack([-g, np.ones(len(g))])
                bounds = [(-1, 1)] * k + [(None, 1)]
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
            if lp.status != 0:  # pragma: no cover - HiGHS failure
                return None, None
            dvec = lp.x[:k]
            level = lp.x[k] if margin_var else 0.0
            dl = np.zeros(m)
            dl[exact] = dvec / s
            val, cand = eng.lowest_rows(dl, float(b @ dl), 4 * k + 4)
            viol = cand[val < level - 1e-12]
            grown = np.unique(np.vstack([rows, viol]), axis=0)
            if viol.shape[0] == 0 or grown.shape[0] == rows.shape[0]:
                return dl, (-lp.fun if not margin_var else level)
            rows = grown
        return None, None  # pragma: no cover

    def exact_gap(d):
        """b . d - min_i F_i . d from a pass over F: the LP's verdicts carry its own
        tolerance (~1e-9), so they are confirmed against the one of solve()."""
        dmin, _ = eng.project_ranges(d[:, None])
        return float(b @ d) - float(dmin[0]), float(dmin[0])

    d, margin = cutting_plane(None, True)
    if d is None:  # pragma: no cover
        return None
    if margin > prob.dir_tol(d):
        gap, dmin = exact_gap(d)
        if gap < -prob.dir_tol(d):
            raise_outside_hull(prob, d, float(b @ d), dmin)
    # Feasible: is the target on a proper face?  max E_q[F - b] . d over d with F_i . d >= b . d.
    # An optimal vertex may keep some states of a larger face, so repeat on the face found
    # until the target is in the relative interior.
    faces = []
    with eng.tentative_faces():  # the faces tried here are only reported
        for _ in range(m + 1):
            ev_q = eng.evaluate(PassRequest(lam=np.zeros(m)))
            objective = (ev_q.mean[exact] - bx) / s
            d, value = cutting_plane(objective, False)
            if d is None or value <= prob.dir_tol(d):
                break
            gap, dmin = exact_gap(d)
            if abs(gap) > prob.dir_tol(d):
                # Inside by more than the tolerance: not on this face (the LP's tolerance is
                # coarser).  Outside is impossible here: the margin LP found b feasible.
                break
            # States within the LP's own tolerance of the supporting hyperplane are on the face.
            margin = max(prob.dir_tol(d), _LP_TOL * float(np.abs(d) @ prob.spread))
            level = max(float(b @ d), dmin) + margin
            eng.add_face(d, level)
            rows = rows[rows @ d <= level]
            # The target must still be reachable on the face, within tolerance; a target
            # merely close to a face (a distribution concentrated near a vertex, with finite
            # multipliers) is not on it, and restricting to it would leave nothing feasible.
            d_off, off = cutting_plane(None, True) if rows.shape[0] else (None, None)
            if d_off is None or off > prob.dir_tol(d_off) or not _ranges_hold(prob, b, exact):
                break
            faces.append((d, level - float(b @ d)))
    return faces or None
