"""Newton's method on the dual, globalised by a trust region: the solver's inner loop.

The dual :math:`\\Gamma(\\lambda) = \\log Z + \\lambda \\cdot b
+ \\tfrac12 \\sum_k \\sigma_k^2 \\lambda_k^2` is minimised over the free constraints in
coordinates whitened under the prior.  The loop has the shape of a trust-region method:
each iteration computes a direction (:func:`_direction`), tries the step
(:func:`_trial_step`: a pass at the trial point, with a backtracking line search inside the
radius), and updates the radius (:func:`_update_radius`) from the ratio of actual to
predicted decrease.  The state of the iteration lives in one :class:`_State`.
"""

from __future__ import annotations

import numpy as np

from ._faces import certificates, lp_faces
from ._problem import EPS

__all__ = ["dual_value", "newton", "residuals"]

_LP_AFTER = 40  # Newton steps without convergence before the linear-programming check
_RADIUS = 10.0  # initial trust radius, in prior standard deviations of the log-weights


def dual_value(ev, lam, b, sigma2, free):
    lf = lam[free]
    return ev.log_Z + float(lf @ b[free]) + 0.5 * float(sigma2[free] @ lf**2)


def residuals(prob, ev, lam, b, sigma2, free):
    """Per-constraint violation of the optimality condition, in units of the spread."""
    r = ev.mean[free] - b[free] - sigma2[free] * lam[free]
    return np.abs(r) / prob.spread[free]


def newton(prob, b, sigma2, free, exact, basis, lam, ev0):
    """Damped Newton on the dual over the free constraints.

    Returns (status, lam, evaluation, faces) with status one of "converged", "face"
    (faces: list of (direction d, margin): the targets touch the face minimising F @ d),
    "stalled" or "max_iter".  Raises InfeasibleTargetsError on a certificate of
    infeasibility.

    Globalisation: a trust radius on the step, measured in coordinates whitened under the
    prior (where one unit moves the log-weights by about one standard deviation), with a
    backtracking line search inside it.  The radius grows after steps the quadratic model
    predicted well and shrinks after poor ones.
    """
    eng = prob.engine
    m = eng.m
    s = prob.spread
    ex_mask = np.zeros(m, dtype=bool)
    ex_mask[exact] = True
    if not free:
        return "converged", lam, eng.evaluate(lam, hessian=False), None
    # The prior pass was at lam = 0 on this very support: reuse it as the first step.
    ev = ev0 if not np.any(lam) else eng.evaluate(lam)
    stuck = 0  # consecutive full steps that changed the dual only by rounding
    rmax_prev = np.inf
    edge = np.inf  # where b sits in the range of F @ d for the last Newton direction d
    center = None  # second moments about this point once p is concentrated
    radius = _RADIUS
    hr = None  # Hessian in the reduced coordinates, from the last full evaluation
    contraction = 1.0  # residual after / before the last step
    while True:
        res = residuals(prob, ev, lam, b, sigma2, free)
        rmax = float(np.max(res)) if res.size else 0.0
        if rmax <= prob.tol:
            if edge < 1e-6 and exact and not prob.lp_done:
                # Converged with the step pointing at the edge of the hull: the target may
                # be exactly on a face, reached only in the limit.  The LP decides.
                prob.lp_done = True
                faces = lp_faces(prob, b, exact)
                if faces is not None:
                    return "face", lam, ev, faces
            return "converged", lam, ev, None
        if stuck >= 2 and rmax > 0.5 * rmax_prev:
            # Full steps change the dual only by rounding and the residual no longer
            # shrinks: the precision floor of this problem in float64.
            return "stalled", lam, ev, None
        contraction = rmax / rmax_prev if np.isfinite(rmax_prev) else 1.0
        rmax_prev = rmax
        if prob.n_iter >= prob.max_iter:
            return "max_iter", lam, ev, None
        if prob.n_iter >= _LP_AFTER and not prob.lp_done and exact:
            prob.lp_done = True
            faces = lp_faces(prob, b, exact)
            if faces is not None:
                return "face", lam, ev, faces
        if ev.cov is None and (hr is None or contraction > 0.25):
            # The last step, taken with an older Hessian, did not contract well: refresh.
            ev = eng.evaluate(lam, center=center)
        if ev.cov is not None and _cancels(ev, center, free):
            # Concentrated p: E[FF] - E[F]E[F] about the old center would cancel; take the
            # second moments about the current mean instead (from now on).
            center = ev.mean.copy()
            ev = eng.evaluate(lam, center=center)
        if center is not None:
            center = ev.mean.copy()
        # Newton direction in scaled coordinates mu = lam * s, on the (whitened) basis.
        g = (b - ev.mean + sigma2 * lam) / s
        g[[k for k in range(m) if k not in free]] = 0.0
        if ev.cov is not None:
            h = ev.cov / np.outer(s, s) + np.diag(sigma2 / s**2)
            hr = basis.T @ h @ basis
        gr = basis.T @ g
        w, v = np.linalg.eigh(hr)
        floor = max(float(w[-1]), 1e-300) * 1e-14
        coef = (v.T @ gr) / np.maximum(w, floor)
        length = float(np.linalg.norm(coef))
        if length > radius:
            coef *= radius / length
        step_r = -(v @ coef)
        d = (basis @ step_r) / s  # multiplier units
        slope = float((g * s) @ d)
        if not slope < 0:  # rounding: no descent direction left
            return "stalled", lam, ev, None
        curvature = float(step_r @ hr @ step_r)
        f0 = dual_value(ev, lam, b, sigma2, free)
        # Rounding level of the dual: log Z and lambda . b are each about |lambda| |F|.
        noise = 64 * EPS * (max(1.0, abs(f0)) + float(np.abs(lam) @ prob.magnitude))
        cert = np.where(ex_mask, d, 0.0)
        dirs = np.column_stack([cert, np.where(ex_mask, lam, 0.0)])
        # Skip the covariance (most of a pass's cost) at the trial point when the Hessian
        # will still be good there: Newton is contracting fast, or the step is short (in
        # whitened units the Hessian changes by about the step length).  If the next step
        # then contracts poorly, the Hessian is refreshed at that point.
        light = rmax < 0.1 * np.sqrt(prob.tol) or (
            ev.cov is not None and length <= radius and (contraction < 0.1 or length < 0.3))
        t = 1.0
        accepted = None
        for _ in range(60):
            lt = lam + t * d
            et = eng.evaluate(lt, hessian=not light, directions=dirs, center=center)
            ft = dual_value(et, lt, b, sigma2, free)
            suspect = certificates(prob, b, dirs, et)
            if suspect is not None and not prob.lp_done:
                # The certificate suggests a face; its exact normal comes from an LP.
                prob.lp_done = True
                faces = lp_faces(prob, b, exact)
                if faces is not None:
                    return "face", lt, et, faces
            if ft <= f0 + 1e-4 * t * slope + noise:
                accepted = (lt, et)
                break
            # Safeguarded quadratic interpolation of the dual along the step.
            denom = 2.0 * (ft - f0 - t * slope)
            t_new = -slope * t * t / denom if denom > 0 else 0.1 * t
            t = float(np.clip(t_new, 0.1 * t, 0.5 * t))
        prob.n_iter += 1
        if accepted is None:
            return "stalled", lam, ev, None
        predicted = -(t * slope + 0.5 * t * t * curvature)
        ratio = (f0 - ft) / predicted if predicted > noise else 1.0
        taken = t * min(length, radius)
        if ratio > 0.75 and t == 1.0 and length >= 0.99 * radius:
            radius *= 4.0
        elif ratio < 0.25:
            radius = max(0.25 * taken, 1e-8)
        at_floor = t == 1.0 and abs(ft - f0) <= noise
        stuck = stuck + 1 if at_floor else 0
        lam, ev = accepted
        width = ev.dir_max[0] - ev.dir_min[0]
        if np.any(cert) and width > 0:
            edge = (float(b @ cert) - ev.dir_min[0]) / width


def _cancels(ev, center, free):
    """Whether Cov = E[FF] - E[F]E[F] (about center) lost more than ~6 digits."""
    var = np.diag(ev.cov)[free]
    off = (ev.mean if center is None else ev.mean - center)[free]
    return bool(np.any(off**2 > 1e6 * np.maximum(var, 1e-300)))
