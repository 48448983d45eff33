"""Newton's direction on the dual: the Hessian a step uses and the step it gives.

The covariance (the Hessian, ``n m^2`` work) is computed only when a step needs a new one
(:func:`refresh_hessian`), screened to the states that carry weight
(:func:`hessian_request`); in between the reduced Hessian is reused with secant (BFGS)
updates (:func:`secant_update`).  :func:`direction` solves for the step in the reduced,
whitened coordinates of the task, truncated to the trust radius (the exact trust-region
step, :func:`_shift_to_radius`), and decides what the trial pass at its end computes.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from ._kernel import SCREEN_NEWTON, PassRequest
from ._moments import Evaluation
from ._newton_state import CG_GUESS, State, Step, Trial, gradient, step_terms
from ._parallel import blas_limited
from ._problem import EPS, NewtonTask

__all__ = [
    "covariance_cheap",
    "dense_algebra",
    "direction",
    "hessian_request",
    "hessian_stale",
    "refresh_hessian",
    "report_pays",
    "sampling_pays",
    "screening_pays",
    "secant_update",
]

Array = NDArray[np.float64]

_REFRESH = 0.5  # a step contracting the residual less than this gets a new covariance
_LIGHT = 0.3  # ... and one contracting it more reuses (secant-updated) curvature
_SHRINK_LENGTH = 4.0  # whitened step length after which p is expected concentrated
# Full steps take the covariance after their trial pass (see direction) from this many
# constraints, where the last one covered less than this share of the states.
_SCREEN_M = 40
_SCREEN_SHARE = 0.25
# Up to this many free constraints the covariance is cheap in a trial pass, and reused
# Hessians are refreshed there while they contract too slowly (see _fresh_pays).
_FEW_M = 12
# ... and so are those of up to this many states times free constraints squared: there
# the second moments cost less than a Newton step's fixed work (see covariance_cheap).
_FEW_FLOPS = 1e7
# From this many reduced coordinates every step tries a certified Cholesky step first
# (see _certified_step): the eigenvalues of 16 x 16 cost ~30 us, of 55 x 55 ~200 us, the
# two factorizations 5-30 us.
_CERTIFIED_M = 16
# From this many reduced coordinates a step's dense algebra runs on one BLAS thread (see
# dense_algebra).
_DENSE_M = 128
# Below this many free constraints a step expected to end the solve takes the reported
# covariance in its trial pass (see report_pays).
_REPORT_M = 256
# Newton's Hessian from a sample of _SAMPLE_PER states per free constraint, from _SAMPLE_M
# free constraints (see sampling_pays).
_SAMPLE_M = 64
_SAMPLE_PER = 16


def hessian_request(task: NewtonTask, st: State, lam: Array) -> PassRequest:
    """A pass at ``lam`` with Newton's (screened) covariance: of the features, or of the
    states projected on the reduced basis once rounding calls for it."""
    if st.project:
        about = st.ev.mean if st.center is None else st.center
        return PassRequest(
            lam=lam,
            covariance=True,
            center=about,
            projection=task.basis / task.prob.spread[:, None],
            screen=SCREEN_NEWTON,
        )
    center = st.center
    if center is None and len(task.free) >= _SCREEN_M:
        # With many constraints centring a chunk (n m) costs little beside its second
        # moments (n m^2), and second moments about 0 would cancel wherever p has
        # concentrated, which would cost a second covariance pass (see refresh_hessian).
        center = st.ev.mean
    return PassRequest(lam=lam, covariance=True, center=center, screen=SCREEN_NEWTON)


def hessian_stale(st: State) -> bool:
    """Whether the reduced Hessian in use should be refreshed before the next step: none
    yet, the last step contracted poorly, the dual stopped moving short of the tolerance,
    or a poor trial asked for it."""
    # (Past the tolerance the dual changes by rounding only, so "stuck" says nothing
    # there: polishing steps keep the curvature in use.)
    stuck = st.stuck and st.ratio > 1.0
    return bool(st.hr is None or st.contraction > _REFRESH or stuck or st.refresh)


def refresh_hessian(task: NewtonTask, st: State) -> None:
    """Evaluate the covariance at lam again when the one in use is stale or imprecise."""
    eng = task.prob.engine
    stale = hessian_stale(st)
    st.refresh = False
    if st.ev.cov is None and stale:
        # The last step, taken with an older Hessian, did not contract well, or the dual
        # has reached its rounding floor (no secant updates there): refresh.
        sampled = None
        if sampling_pays(task, st):
            proj = hessian_request(task, st, st.lam).projection
            sampled = eng.sampled_covariance(st.ev, _sample_size(task), proj)
        st.ev = eng.evaluate(hessian_request(task, st, st.lam)) if sampled is None else sampled
        st.cg_iter = CG_GUESS  # a fresh preconditioner for truncated steps
    if st.ev.cov is not None and not st.ev.projected:
        if _cancels(st.ev, task.free, st.ev.center):
            # Concentrated p: E[FF] - E[F]E[F] about the pass's center cancelled; take
            # the second moments about the current mean instead (from now on).
            st.center = st.ev.mean.copy()
            st.ev = eng.evaluate(hessian_request(task, st, st.lam))
        elif _cancels(st.ev, task.free, None):
            # (About the mean already, e.g. the targets of a pass for the result: they
            # would have cancelled about 0, so the next passes are centred too.)
            st.center = st.ev.mean.copy()
    if st.center is not None:
        st.center = st.ev.mean.copy()


def _hessian_from_covariance(task: NewtonTask, st: State) -> None:
    """st.hr, the reduced Hessian, from st.ev's covariance when it has one."""
    ev, s, basis = st.ev, task.prob.spread, task.basis
    if ev.cov is not None:
        st.estimated = ev.single
    if ev.cov is not None and task.prob.engine.n:
        st.share = ev.covered / task.prob.engine.n
    if ev.cov is not None and ev.projected:  # Cov of the projected states: B^T Cov B itself
        bs = basis / s[:, None]
        with dense_algebra(bs.shape[1]):
            st.hr = ev.cov + (bs.T * task.sigma2) @ bs
    elif ev.cov is not None:
        h = ev.cov / task.spread_outer
        h.flat[:: h.shape[0] + 1] += task.sigma_whitened  # the diagonal (h is a new array)
        with dense_algebra(basis.shape[1]):
            st.hr = basis.T @ h @ basis


def dense_algebra(k: int) -> AbstractContextManager[None]:
    """BLAS on one thread for a step's ``k x k`` algebra from :data:`_DENSE_M` reduced
    coordinates (none of the solve's passes run meanwhile).

    On a busy machine OpenBLAS's threaded LAPACK stalls: with two cores loaded, Cholesky
    of 1,000 x 1,000 took 0.94-1.2 s on two threads against 11 ms on one, eigh 2.2-2.9 s
    against 0.18 s, and even the product of two such matrices 47-84 ms against 26 ms.
    """
    return blas_limited(1) if k >= _DENSE_M else nullcontext()


def _reduced_hessian(task: NewtonTask, st: State, fresh: bool) -> tuple[Array, Array]:
    """Eigenvalues and eigenvectors of the reduced Hessian (st.hr, refreshed from st.ev's
    covariance when it has one, unless ``fresh``: already done)."""
    ev, s, basis = st.ev, task.prob.spread, task.basis
    if not fresh:
        _hessian_from_covariance(task, st)
    assert st.hr is not None
    with dense_algebra(st.hr.shape[0]):
        w, v = np.linalg.eigh(st.hr)
    if w.size and w[0] < _curvature_noise(task, st, float(w[-1])):
        # B^T Cov B lost its small curvatures to rounding (nearly collinear features,
        # the basis stretching a thin direction): project each state first (one more
        # pass), and from now on in the pass that takes the covariance.
        st.project = True
        bs = basis / s[:, None]
        proj = task.prob.engine.projected_covariance(bs, ev.mean, st.lam)
        with dense_algebra(st.hr.shape[0]):
            st.hr = proj + (bs.T * task.sigma2) @ bs
            w, v = np.linalg.eigh(st.hr)
    return w, v


def _curvature_noise(task: NewtonTask, st: State, top: float) -> float:
    """How far rounding may have moved the curvatures of a reduced Hessian from st.ev's
    covariance, ``top`` (a bound on) the largest: :func:`_rounding_bound` for a covariance
    in double precision, 0 otherwise (none, or an estimate: single precision, taken only
    far from the solution of a problem whose prior covariance showed no nearly dependent
    constraints, or a sample; or projected states, which cancel nothing)."""
    ev = st.ev
    if ev.cov is None or ev.projected or ev.single:
        return 0.0
    return _rounding_bound(task, st, top)


def _rounding_bound(task: NewtonTask, st: State, top: float) -> float:
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
    second = np.maximum(ev.cov.diagonal(), 0.0) + off**2
    v = task.abs_basis @ np.sqrt(second)
    bound = 100 * EPS * float(v @ v)
    return bound if bound > top * st.rel_floor else 0.0


def direction(task: NewtonTask, st: State, shrinkable: bool) -> Step | None:
    """Newton step in whitened coordinates, truncated to the trust radius (or None)."""
    prob, s, ev = task.prob, task.prob.spread, st.ev
    g = gradient(task, ev, st.lam)
    gr = task.basis.T @ g
    step_r, length, floored = _reduced_step(task, st, gr)
    assert st.hr is not None
    d = (task.basis @ step_r) / s  # multiplier units
    slope = float((g * s) @ d)
    if not slope < 0:
        return None
    f0, noise, dirs = step_terms(task, st, d)
    # Skip the covariance (most of a pass's cost) at the trial point when the Hessian
    # will still be good there: Newton is contracting fast, or the step is short (in
    # whitened units the Hessian changes by about the step length).  The reused Hessian
    # gets a secant (BFGS) update from the gradients at both ends of each such step
    # (secant_update); if a step then contracts poorly, it is refreshed at that point.
    close = st.rmax < 0.1 * math.sqrt(prob.tol)
    light = close or (length <= st.radius and (st.contraction < _LIGHT or length < 0.3))
    # (A Hessian from a sample or in single precision is an estimate: as is.)
    rate = min(st.contraction, 1.0) ** (2 if ev.cov is not None and not ev.single else 1)
    if light and _fresh_pays(task, st, rate):
        light = False
    if not light and length >= _SHRINK_LENGTH and shrinkable:
        # A long step: p at its end is likely concentrated on a few states, and the
        # next step a working-set one, which needs no covariance over all of them.
        light = True
    refresh = False
    if not light and (screening_pays(task, st) or sampling_pays(task, st)):
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
    return Step(
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


def _reduced_step(task: NewtonTask, st: State, gr: Array) -> tuple[Array, float, bool]:
    """The trust-region Newton step in reduced coordinates, its length, and whether the
    curvature floor (rather than the radius) limited some component.

    From the eigenvalues of the reduced Hessian (the exact trust-region step, curvatures
    below ``rel_floor`` of the largest raised to it); from :data:`_CERTIFIED_M` reduced
    coordinates first by Cholesky where that is provably the same step
    (:func:`_certified_step`: two factorizations cost a fraction of the eigenvalues, ~70
    against ~200 us at 55 coordinates, ~20 against ~180 ms at 1,000).
    """
    fresh = False
    if gr.size >= _CERTIFIED_M:
        _hessian_from_covariance(task, st)
        fresh = True
        with dense_algebra(gr.size):
            fast = _certified_step(task, st, gr)
        if fast is not None:
            return fast, math.sqrt(fast @ fast), False
    w, v = _reduced_hessian(task, st, fresh)
    floor = max(float(w[-1]) * st.rel_floor, 1e-300)
    floored = bool((w < floor).any())
    w = np.maximum(w, floor)
    gv = v.T @ gr
    with np.errstate(over="ignore"):  # p collapsed onto a few states: curvature ~ 0
        coef = gv / w
        length = math.sqrt(coef @ coef)
    floored = floored and length <= st.radius  # the floor, not the radius, set the step
    if not length <= st.radius:  # also inf
        coef = gv / (w + _shift_to_radius(w, gv, st.radius))
    out: Array = -(v @ coef)
    return out, length, floored


def _certified_step(task: NewtonTask, st: State, gr: Array) -> Array | None:
    """The step of the eigenvalue path (:func:`_reduced_step`) by Cholesky, where it is
    provably that step; else None.

    A Cholesky factorization of ``hr - c I`` exists only if every eigenvalue of ``hr``
    exceeds ``c``.  With ``c`` 100 times the curvature floor (relative to the 1-norm of
    ``hr``, at least its largest eigenvalue), and for an exact covariance above what
    rounding may have moved its curvatures (:func:`_curvature_noise`), the eigenvalue
    path would raise no curvature and project nothing: its step is Newton's,
    ``-hr^-1 gr``, where that lies inside the trust radius.  (Both solves are backward
    stable: the step is as accurate by either.  On the hard family at n = 1e5, m = 200,
    seed 100, curvatures reach 1e-12 of the largest: the same 31 steps as by eigh.)
    """
    hr = st.hr
    assert hr is not None
    top = float(np.abs(hr).sum(axis=0).max())  # the 1-norm: at least the largest eigenvalue
    c = max(top * 100.0 * st.rel_floor, _curvature_noise(task, st, top))
    if not c > 1e-300:  # also NaN
        return None
    # (LAPACK directly: scipy.linalg's checks cost more than the factorizations here.)
    shifted = hr.copy()
    shifted.flat[:: gr.size + 1] -= c  # hr - c I
    if scipy.linalg.lapack.dpotrf(shifted, lower=1, clean=0, overwrite_a=1)[1] != 0:
        return None
    factor, info = scipy.linalg.lapack.dpotrf(hr, lower=1, clean=0)
    if info != 0:
        return None
    x, info = scipy.linalg.lapack.dpotrs(factor, gr, lower=1)
    if info != 0:
        return None
    step: Array = -x
    return step if math.sqrt(step @ step) <= st.radius else None


def covariance_cheap(task: NewtonTask) -> bool:
    """Whether the covariance adds little to a trial pass: few free constraints, whose
    second moments the kernel's compiled loop takes for about half a pass more; or few
    states for their number (``n m^2`` up to :data:`_FEW_FLOPS`), where the second
    moments cost less than the rest of a Newton step (the eigenvalues, the bookkeeping):
    a fresh Hessian then saves steps for less than they cost (seeds 100-109, time per
    solve: inverse Ising on all states of 8 to 11 spins 0.73-0.90, the easy family at
    n = 1e3-1e4, m = 20-50 0.81-0.95, the hard one 0.93-1.0; ~1.05 at n m^2 = 2.5e7)."""
    m = len(task.free)
    n = task.prob.engine.n
    return m <= _FEW_M or (n is not None and n * m * m <= _FEW_FLOPS)


def _fresh_pays(task: NewtonTask, st: State, rate: float) -> bool:
    """Whether a step that could reuse the Hessian should take a fresh one in its trial
    pass: where the covariance is cheap (:func:`covariance_cheap`), once a step has shown
    the factor by which reused (secant-updated) Hessians contract the residual (a fresh
    one at each step converges quadratically), unless two steps at that factor reach the
    polishing goal.

    On the hard family at n = 1e6, m = 10 (seeds 100-109) the reused Hessians contracted
    by 0.02-0.3 a step from residuals of 1e-3 down to 1e-13, where Newton's squared
    them: up to 13 passes instead of 8.  Even a fast factor (1e-4..1e-3, the easy family)
    leaves a step to save: at n = 1e4, m = 3-10 (seeds 100-107) 4 passes instead of 5 on
    most seeds, 0.92-0.96 of the time; no pass more or less at n = 1e5-1e6.
    """
    c = min(st.contraction, 1.0)
    return bool(covariance_cheap(task) and st.steps > 0 and st.goal * rate * c > 1.0)


def report_pays(task: NewtonTask) -> bool:
    """Whether a step expected to end the solve takes the covariance the result reports
    in its trial pass (else, if it does end it, a pass of its own follows: one light pass
    more).  Only where a wrong guess costs little: below :data:`_REPORT_M` free
    constraints, where a covariance pass costs up to about six light ones (``1 + m / 40``
    on the model of :func:`maxent._newton_cg._budget`).  Beyond, a step's contraction
    near the rounding floor does not predict the next one well enough for a guess that
    costs tens of light passes when wrong (hard n = 1e5, m = 1,000, seeds 100-104: seed
    103 took 45 passes instead of 17 with guesses; at m = 200 they save a pass or two:
    easy seeds 0-3 7 -> 5-6 passes, 0.9x the time; hard seeds 100-105 the same or one
    fewer)."""
    return len(task.free) < _REPORT_M


def screening_pays(task: NewtonTask, st: State) -> bool:
    """Whether a full step's covariance is cheaper taken at the accepted point (after its
    light pass) than at the trial point: many constraints, in memory, and p on a small
    share of the states (see direction)."""
    eng = task.prob.engine
    return len(task.free) >= _SCREEN_M and eng.keeps_p and st.share < _SCREEN_SHARE


def sampling_pays(task: NewtonTask, st: State) -> bool:
    """Whether Newton's Hessian is estimated from a sample of the states
    (:meth:`maxent._moments.MomentEngine.sampled_covariance`): many free constraints over
    many more states in memory, not at the rounding floor (projected first where exact
    Hessians are: see ``_reduced_hessian``)."""
    eng = task.prob.engine
    m = len(task.free)
    return bool(
        not st.stuck  # at the rounding floor an estimate cannot tell steps apart: exact ones
        and m >= _SAMPLE_M
        and eng.keeps_p
        and (eng.n or 0) >= 4 * _sample_size(task)
    )


def _sample_size(task: NewtonTask) -> int:
    return _SAMPLE_PER * len(task.free)


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


def secant_update(task: NewtonTask, st: State, step: Step, trial: Trial) -> None:
    """BFGS update of the reduced Hessian along a step taken without a new covariance.

    The gradients at both ends give the average curvature along the step; the update
    makes the reused Hessian exact along it (the next steps then converge superlinearly
    without the n m^2 cost of a new covariance).
    """
    assert trial.ev is not None and trial.lam is not None
    assert st.hr is not None and step.step_r is not None and step.gr is not None
    y = task.basis.T @ gradient(task, trial.ev, trial.lam) - step.gr
    sr = trial.t * step.step_r
    ys = float(y @ sr)
    hs = st.hr @ sr
    shs = float(sr @ hs)
    if not (ys > 1e-12 * shs > 0.0):  # rounding or no curvature information: keep H
        return
    st.hr = st.hr - np.outer(hs, hs) / shs + np.outer(y, y) / ys


def _cancels(ev: Evaluation, free: NDArray[np.intp], center: Array | None) -> bool:
    """Whether Cov = E[FF] - E[F]E[F] about ``center`` (None: 0) loses more than ~6 digits."""
    assert ev.cov is not None
    var = ev.cov.diagonal()[free]
    off = (ev.mean if center is None else ev.mean - center)[free]
    return bool((off**2 > 1e6 * np.maximum(var, 1e-300)).any())
