"""Truncated Newton for many constraints: the step by conjugate gradients on the dual Hessian.

With hundreds of constraints over many states, the covariance (Newton's Hessian, ``n m^2``
work per pass) costs tens of passes ``F @ x``, while a product ``Cov_p(F) V`` costs about
one (:meth:`maxent._moments.MomentEngine.hessian_products`: ``2 n m k`` work from the
weights the last pass kept).  Where a covariance pass costs more than the products a step
is expected to need (:func:`cg_cheaper`, from the number of constraints and the share of
the states p sits on), :func:`cg_step` computes Newton's step by
preconditioned conjugate gradients instead (Steihaug's truncated CG, stopped at the trust
radius), each iteration one product pass.  The preconditioner is the reduced Hessian in
use (the last covariance, kept current by secant updates along the steps), so a few
iterations correct what changed since; the tolerance of the inner solve tightens with
the gradient (an inexact Newton method converges superlinearly).

The trial pass of such a step is light (it keeps the weights for the next products); a
step predicted to end the solve takes the covariance the result reports, as any other.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from ._newton_state import State, Step, gradient, step_terms
from ._newton_step import dense_algebra
from ._problem import NewtonTask

__all__ = ["cg_cheaper", "cg_pays", "cg_step"]

Array = NDArray[np.float64]

_CG_MIN_M = 32  # fewer free constraints: the covariance costs about a light pass
_CG_MAX_ITER = 40  # products per step at most
# Truncated steps are taken where a covariance pass costs this many times the products the
# last one needed (plus its trial pass): CG's steps also fail their trial more often.
# (Measured on the hard family at n = 1e5, same seed and session: 0.5x the time at
# m = 1,000, but 1.3x at m = 500, where a margin of 2 still chose them.)
_MARGIN = 3.0
_FLOPS_PER_ENTRY = 40.0  # see _budget
_POOR = 0.5  # a truncated step contracting the residual less than this gets a new Hessian


def cg_pays(task: NewtonTask, st: State, stale: bool) -> bool:
    """Whether the next step is truncated Newton's rather than one from a fresh covariance.

    Only where a covariance would be taken (``stale``), with a reduced Hessian to
    precondition with and no covariance at hand, where products are cheaper
    (:func:`cg_cheaper`).
    """
    if not stale or st.hr is None or st.ev.cov is not None:
        return False
    if st.truncated and st.contraction > _POOR and not st.stuck:
        # The last truncated step contracted poorly: its preconditioner (the Hessian in
        # use, secant-updated) is stale; take a fresh one rather than more products.
        return False
    if st.stuck and st.estimated and _products_possible(task, st):
        # At the rounding floor an estimated Hessian cannot tell steps apart; exact
        # products can, for a fraction of an exact covariance's cost with many
        # constraints (preconditioned by the estimate, a few of them).
        return True
    return cg_cheaper(task, st)


def _products_possible(task: NewtonTask, st: State) -> bool:
    return len(task.free) >= _CG_MIN_M and task.prob.engine.keeps_p and st.cg_ok


def cg_cheaper(task: NewtonTask, st: State) -> bool:
    """Whether products beat a covariance here: many constraints, in-memory states (whose
    passes keep the weights), and a covariance pass (:func:`_budget`) costing more than
    the products the last truncated step needed plus one (its trial pass), with a margin."""
    if not _products_possible(task, st):
        return False
    return _budget(task, st) > _MARGIN * (st.cg_iter + 1.0)


def _budget(task: NewtonTask, st: State) -> float:
    """A covariance pass in units of a product pass (both about one read of F): ``1 + c m``
    with ``m`` the free constraints and ``c`` the share of the states the last
    covariance covered over :data:`_FLOPS_PER_ENTRY`, the flops BLAS makes in the time it
    reads one entry of ``F`` (measured 5.5 passes at m = 200, 30 at m = 1,000).  A
    model, not a clock: the same problem takes the same steps on any machine and load."""
    return 1.0 + st.share * len(task.free) / _FLOPS_PER_ENTRY


def cg_step(task: NewtonTask, st: State) -> Step | None:
    """Newton's step by preconditioned CG on the reduced Hessian, truncated at the trust
    radius; None where the products are not available (no kept weights at ``st.lam``)."""
    eng, s, basis = task.prob.engine, task.prob.spread, task.basis
    assert st.hr is not None
    st.refresh = False
    bs = basis / s[:, None]  # reduced coordinates -> multiplier units
    sig = (bs.T * task.sigma2) @ bs  # the noise's part of the reduced Hessian

    def hessian_times(r: Array) -> Array | None:
        cv = eng.hessian_products(st.lam, (bs @ r)[:, None], st.ev.mean)
        if cv is None:
            return None
        out: Array = bs.T @ cv[:, 0] + sig @ r
        return out

    g = gradient(task, st.ev, st.lam)
    gr = basis.T @ g
    solve_m = _preconditioner(st.hr)
    # Inexact Newton: the inner solve to eta |g|, eta -> 0 with the residual
    # (superlinear), never tighter than needed to reach the polishing goal.
    eta = min(0.25, float(np.sqrt(max(st.rmax, 0.0))))
    x = np.zeros_like(gr)
    hx = np.zeros_like(gr)  # H x, from the products (the model's curvature along x)
    r = -gr
    z = solve_m(r)
    d_r = z.copy()
    rz = float(r @ z)
    gnorm = float(np.linalg.norm(gr))
    iters = 0
    boundary = False
    # More products than a covariance costs: stop (and take covariances from now on).
    most = int(min(_CG_MAX_ITER, max(_budget(task, st), 1.0)))
    if st.stuck and st.estimated:  # (an exact covariance is the alternative: see cg_pays)
        most = _CG_MAX_ITER
    for _ in range(most):
        hd = hessian_times(d_r)
        if hd is None:
            st.cg_ok = False
            return None
        iters += 1
        dhd = float(d_r @ hd)
        if not dhd > 0.0:  # rounding: no curvature left along d_r
            break
        alpha = rz / dhd
        x_new = x + alpha * d_r
        if float(np.linalg.norm(x_new)) >= st.radius:
            tau = _to_radius(x, d_r, st.radius)
            x, hx = x + tau * d_r, hx + tau * hd
            boundary = True
            break
        x, hx = x_new, hx + alpha * hd
        r = r - alpha * hd
        if float(np.linalg.norm(r)) <= eta * gnorm:
            break
        z = solve_m(r)
        rz_new = float(r @ z)
        d_r = z + (rz_new / rz) * d_r
        rz = rz_new
    st.cg_iter = float(iters)
    return _step(task, st, (x, hx, gr, g), boundary)


def _step(
    task: NewtonTask, st: State, terms: tuple[Array, Array, Array, Array], boundary: bool
) -> Step | None:
    """The :class:`Step` of reduced step ``x``, with ``hx = H x`` (its model's curvature),
    the reduced gradient ``gr`` and the whitened one ``g``."""
    x, hx, gr, g = terms
    s = task.prob.spread
    d = (task.basis @ x) / s
    slope = float((g * s) @ d)
    if not slope < 0:
        return None
    f0, noise, dirs = step_terms(task, st, d)
    length = float(np.linalg.norm(x))
    rate = min(st.contraction, 1.0)
    return Step(
        d=d,
        length=length if not boundary else max(length, st.radius),
        slope=slope,
        curvature=float(x @ hx),
        f0=f0,
        noise=noise,
        dirs=dirs,
        light=True,
        final=not boundary and st.goal * rate * rate <= 1.0,
        step_r=x,
        gr=gr,
    )


def _to_radius(x: Array, d: Array, radius: float) -> float:
    """tau >= 0 with |x + tau d| = radius (x inside)."""
    a = float(d @ d)
    b = 2.0 * float(x @ d)
    c = float(x @ x) - radius * radius
    return (-b + float(np.sqrt(max(b * b - 4.0 * a * c, 0.0)))) / (2.0 * a)


def _preconditioner(hr: Array) -> _Solve:
    """Solves with the reduced Hessian in use (Cholesky, its smallest curvatures raised to
    1e-12 of the largest: the model's own floor)."""
    top = float(np.max(np.diag(hr), initial=0.0))
    shift = 1e-12 * top if top > 0 else 1.0
    for _ in range(8):
        try:
            with dense_algebra(hr.shape[0]):
                factor = scipy.linalg.cho_factor(
                    hr + shift * np.eye(hr.shape[0]), check_finite=False
                )
            break
        except np.linalg.LinAlgError:
            shift *= 100.0
    else:
        return _Solve(None)
    return _Solve(factor)


class _Solve:
    """``M^-1 r`` for the preconditioner's factor (the identity when there is none)."""

    def __init__(self, factor: tuple[Array, bool] | None) -> None:
        self.factor = factor

    def __call__(self, r: Array) -> Array:
        if self.factor is None:
            return r.copy()
        out: Array = scipy.linalg.cho_solve(self.factor, r, check_finite=False)
        return out
