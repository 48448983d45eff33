"""The reweighting at one theta: :func:`maxent.solve` with noise, in three loops.

At a fixed theta the weights minimise
:math:`\\theta\\,\\mathrm{KL}(w\\,\\|\\,w_0) + \\tfrac12\\sum_k r_k^2` with
:math:`r_k = (g_k(\\langle F\\rangle_w) - t_k)/\\sigma_k`, where :math:`F` are the
observables as averaged (``x**-p`` for power averaging) and :math:`g` maps averages to
predicted data (identity; ``a m + b`` with nuisance parameters; a forward model).  For
two-sided data and the identity this is exactly ``maxent.solve(F, t,
sigma=sqrt(theta) sigma, prior=w0)``; the rest is three loops around it:

- **one-sided data** (``bounds``): :math:`r_k` counts only violations, so the dual's
  multiplier is sign-constrained; a primal-dual active set over the bounded observables
  (observables outside the set are left out of the solve, so their multiplier is 0);
- **nuisance parameters** fitted jointly: alternating minimisation (weighted least squares
  for ``a, b`` at fixed weights, a solve at fixed ``a, b``), each step exact, the
  objective never increasing;
- **a forward model** ``g = f`` (elementwise, non-linear): Gauss-Newton on the averages,
  each step the solve of the problem linearised at the current averages; its fixed point
  is the exact stationary point (the multipliers then equal
  :math:`f'(m)(f(m) - t)/(\\theta\\sigma^2)`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._reweight_frames import Frames, PassSums, frame_pass
from .errors import ConvergenceWarning, InvalidInputError
from .solver import solve

__all__ = ["Data", "Model", "Setup", "State", "chi2", "fit_at", "predicted", "residuals"]

Forward = tuple[Callable[[NDArray[np.float64]], Any], Callable[[NDArray[np.float64]], Any]]

_MAX_OUTER = 200  # nuisance or forward-model iterations
_OUTER_TOL = 1e-8  # change of the predicted data (units of sigma) that ends an outer loop
_SIDE_TOL = 1e-9  # in units of sigma: how far past a bound counts as a violation


@dataclass(frozen=True)
class Data:
    """Experimental data in the space the averages are compared in (after ``power``).

    ``side`` is 0 for two-sided data, +1 for an upper bound (only averages above the
    target are penalised), -1 for a lower bound.
    """

    targets: NDArray[np.float64]
    sigma: NDArray[np.float64]
    side: NDArray[np.int8]


@dataclass(frozen=True)
class Model:
    """How averages become predicted data: nuisance ``"scale"``/``"scale+offset"``
    (fitted once at the prior weights, or jointly), or a forward model ``(f, df)``."""

    nuisance: str | None = None
    joint: bool = False
    forward: Forward | None = None


@dataclass
class Setup:
    """Everything that does not depend on theta."""

    frames: Frames
    data: Data
    model: Model
    prior: PassSums


@dataclass
class State:
    """The solution at one theta (and how it was reached)."""

    theta: float
    lam: NDArray[np.float64]
    mean: NDArray[np.float64]
    active: NDArray[np.bool_]
    scale: float
    offset: float
    point: NDArray[np.float64]
    kl: float
    log_z: float  # log sum_i w0_i exp(-lam . F_i), w0 normalised (the solver's log Z)
    converged: bool
    status: str
    message: str
    n_solves: int
    n_iter: int
    solved: Any  # the last MaxEntResult (over the active observables), or None

    def covariance(self) -> NDArray[np.float64] | None:
        """Cov_w of the observables in the last solve (the active ones), or None.

        For in-memory frames the solver computes it when first read (one pass), so it is
        read only where needed: the final result, and the "gcv" rule.
        """
        return None if self.solved is None else np.array(self.solved.covariance)


# ----------------------------------------------------------------------------- data space
def _forward_values(forward: Forward, mean: NDArray[np.float64]) -> tuple[Any, Any]:
    f, df = forward
    out = []
    for name, fn in (("forward[0]", f), ("forward[1]", df)):
        value = np.asarray(fn(mean.copy()), dtype=np.float64)
        if value.shape != mean.shape or not np.all(np.isfinite(value)):
            raise InvalidInputError(
                f"`{name}` must return {mean.shape[0]} finite values (one per observable) "
                f"for the averages it is given; got {value!r:.80}."
            )
        out.append(value)
    return out[0], out[1]


def predicted(
    model: Model, mean: NDArray[np.float64], scale: float, offset: float
) -> NDArray[np.float64]:
    """The data the averages predict: ``f(mean)``, or ``scale * mean + offset``."""
    if model.forward is not None:
        return _forward_values(model.forward, mean)[0]
    return scale * mean + offset


def residuals(data: Data, pred: NDArray[np.float64]) -> NDArray[np.float64]:
    """:math:`(g - t)/\\sigma`, 0 where one-sided data are met."""
    r = (pred - data.targets) / data.sigma
    return np.where(data.side * r < 0, 0.0, r)


def chi2(data: Data, pred: NDArray[np.float64]) -> float:
    """BME's chi2: the mean over observables of the squared residuals."""
    return float(np.mean(residuals(data, pred) ** 2)) if pred.size else 0.0


def nuisance_fit(kind: str, mean: NDArray[np.float64], data: Data) -> tuple[float, float]:
    """Weighted least squares (weights 1/sigma^2) of the targets on the averages."""
    w = 1.0 / data.sigma**2
    t = data.targets
    if kind == "scale":
        den = float(w @ (mean * mean))
        a, b = (float(w @ (mean * t)) / den if den > 0 else math.nan), 0.0
    else:
        mm, tm = float(w @ mean) / w.sum(), float(w @ t) / w.sum()
        den = float(w @ (mean - mm) ** 2)
        a = float(w @ ((mean - mm) * (t - tm))) / den if den > 0 else math.nan
        b = tm - a * mm
    if not (math.isfinite(a) and a != 0):
        raise InvalidInputError(
            f"`fit`={kind!r}: the averages of `calc` do not determine a scale (the fitted "
            f"scale is {a}); the observables' averages must vary with the data."
        )
    return a, b


# ----------------------------------------------------------------------------- one solve
def _solve(
    frames: Frames,
    cols: NDArray[np.int64],
    targets: NDArray[np.float64],
    sigma: NDArray[np.float64],
    lam0: NDArray[np.float64],
) -> Any:
    """``maxent.solve`` on the columns ``cols``; its ConvergenceWarning is left to the
    caller, who words it for reweighting (``converged`` and ``message`` say the same)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        res = solve(
            frames.features(cols),
            targets,
            sigma=sigma,
            prior=frames.prior(),
            initial_multipliers=lam0,
        )
    for w in caught:  # anything else is the caller's to see
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return res


def _update_active(
    side: NDArray[np.int8],
    active: NDArray[np.bool_],
    lam: NDArray[np.float64],
    gap: NDArray[np.float64],
    one_at_a_time: bool,
) -> NDArray[np.bool_]:
    """KKT of one-sided data: drop bounds whose multiplier has the wrong sign, add the
    violated ones (``gap`` = (mean - target)/sigma, ``lam`` scaled to units of sigma)."""
    wrong = active & (side != 0) & (side * lam < -_SIDE_TOL)
    violated = ~active & (side != 0) & (side * gap > _SIDE_TOL)
    new = active.copy()
    if one_at_a_time:
        score = np.where(wrong, -side * lam, 0.0) + np.where(violated, side * gap, 0.0)
        if np.any(score > 0):
            k = int(np.argmax(score))
            new[k] = not new[k]
        return new
    new[wrong] = False
    new[violated] = True
    return new


def solve_linear(
    setup: Setup, data: Data, theta: float, start: State
) -> tuple[State, PassSums | None]:
    """The linear problem (targets, sigma, sides of ``data``) by an active set of solves.

    Returns the state (``scale``, ``offset``, ``point`` copied from ``start``) and the
    pass over all frames made for the observables outside the solve (or None).
    """
    m = data.targets.size
    frames = setup.frames
    side = data.side
    gap0 = (start.mean - data.targets) / data.sigma
    active = (side == 0) | start.active | (side * gap0 > _SIDE_TOL)
    lam = np.where(active, start.lam, 0.0)
    n_solves = n_iter = 0
    s_theta = math.sqrt(theta) * data.sigma
    for it in range(2 * m + 10):
        cols = np.flatnonzero(active)
        full = None
        if cols.size:
            res = _solve(frames, cols, data.targets[cols], s_theta[cols], lam[cols])
            n_solves, n_iter = n_solves + 1, n_iter + res.n_iter
            lam = np.zeros(m)
            lam[cols] = res.multipliers
            kl, log_z, solved = float(res.kl_divergence), float(res.log_Z), res
            ok, status, message = res.converged, res.status, res.message
            if not ok:
                message += f" (largest residual {res.residual:.3g} in the averaged units)"
        else:
            lam, kl, log_z, solved = np.zeros(m), 0.0, 0.0, None
            ok, status, message = True, "converged", "no data to fit: the prior"
        if cols.size == m:
            mean = np.array(res.moments)
        else:
            full = frame_pass(frames, lam)
            mean = full.mean
        gap = (mean - data.targets) / data.sigma
        new = _update_active(side, active, lam * theta * data.sigma, gap, it >= 5)
        if np.array_equal(new, active) or not ok:
            break
        active = new
    else:
        ok, status = False, "max_iter"
        message = f"the active set of the one-sided data did not settle in {it + 1} solves"
    state = replace(
        start, theta=theta, lam=lam, mean=mean, active=active, kl=kl, log_z=log_z, converged=ok,
        status=status, message=message, n_solves=start.n_solves + n_solves,
        n_iter=start.n_iter + n_iter, solved=solved,
    )  # fmt: skip
    return state, full


# ----------------------------------------------------------------------------- outer loops
def _linearised(setup: Setup, state: State) -> Data:
    """The linear problem on the averages: targets, sigma and sides for the solve."""
    d, model = setup.data, setup.model
    if model.forward is not None:
        f0, df = _forward_values(model.forward, state.point)
        if np.any(df == 0):
            k = int(np.argmax(df == 0))
            raise InvalidInputError(
                f"`forward[1]` (the derivative) is 0 for observable {k} at the averages "
                f"{state.point[k]:.6g}: the datum does not depend on the average there."
            )
        slope, shift = df, f0 - df * state.point
    else:
        slope, shift = np.full(d.targets.size, state.scale), np.full(d.targets.size, state.offset)
    sign = np.sign(slope).astype(np.int8)
    return Data((d.targets - shift) / slope, d.sigma / np.abs(slope), d.side * sign)


def initial_state(setup: Setup) -> State:
    """Multipliers 0 at the prior, nuisance parameters fitted at the prior's averages."""
    m = setup.data.targets.size
    mean = setup.prior.mean
    a, b = 1.0, 0.0
    if setup.model.nuisance is not None:
        a, b = nuisance_fit(setup.model.nuisance, mean, setup.data)
    return State(
        theta=math.inf, lam=np.zeros(m), mean=mean, active=np.zeros(m, bool), scale=a,
        offset=b, point=mean.copy(), kl=0.0, log_z=0.0, converged=True, status="converged",
        message="the prior", n_solves=0, n_iter=0, solved=None,
    )  # fmt: skip


def fit_at(setup: Setup, theta: float, start: State | None = None) -> State:
    """The weights at ``theta`` (warm-started from ``start``): the loops of the module."""
    model = setup.model
    state = initial_state(setup) if start is None else start
    if model.nuisance is not None and model.joint:
        return _joint_nuisance(setup, theta, state)
    step = [1.0, math.inf]  # forward model: damping factor, last move
    for _ in range(_MAX_OUTER):
        state, _ = solve_linear(setup, _linearised(setup, state), theta, state)
        if not state.converged or model.forward is None or _next_point(setup, state, step):
            return state
    state.converged, state.status = False, "max_iter"
    state.message = f"the forward model's Gauss-Newton loop did not settle in {_MAX_OUTER} steps"
    return state


def _next_point(setup: Setup, state: State, step: list[float]) -> bool:
    """Move the linearisation point towards the averages; True once they agree.

    The move is measured in units of each datum's sigma; the step is halved when the
    move grows (oscillation) and doubled back towards 1 when it shrinks.
    """
    assert setup.model.forward is not None
    slope = _forward_values(setup.model.forward, state.point)[1]
    move = state.mean - state.point
    size = float(np.max(np.abs(move * slope) / setup.data.sigma, initial=0.0))
    if size <= _OUTER_TOL:
        return True
    step[0] = step[0] / 2 if size > step[1] else min(1.0, 2 * step[0])
    step[1] = size
    state.point = state.point + step[0] * move
    return False


def _joint_nuisance(setup: Setup, theta: float, start: State) -> State:
    r"""Weights and nuisance parameters at the joint minimum.

    The profile :math:`V(a, b) = \min_w \theta\mathrm{KL} + \tfrac12\sum_k r_k^2` is
    minimised over ``a, b`` by BFGS; each value is one (warm-started) solve and its
    gradient is exact by the envelope theorem, :math:`\partial V/\partial a = \sum_k
    r_k \langle F_k\rangle/\sigma_k`, :math:`\partial V/\partial b = \sum_k
    r_k/\sigma_k`.  The variables are scaled so that both gradients are sums of
    residuals in units of sigma.
    """
    import scipy.optimize

    d = setup.data
    offset = setup.model.nuisance == "scale+offset"
    m_scale = float(np.linalg.norm(start.mean / d.sigma)) or 1.0
    b_scale = float(np.linalg.norm(1.0 / d.sigma))
    units = np.array([m_scale, b_scale][: 1 + offset])
    box = [start]

    def value(x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        ab = x / units
        state = replace(box[0], scale=float(ab[0]), offset=float(ab[1]) if offset else 0.0)
        state, _ = solve_linear(setup, _linearised(setup, state), theta, state)
        box[0] = state
        r = residuals(d, state.scale * state.mean + state.offset)
        grad = np.array([r @ (state.mean / d.sigma), np.sum(r / d.sigma)][: 1 + offset])
        return theta * state.kl + 0.5 * float(r @ r), grad / units

    x0 = np.array([start.scale, start.offset][: 1 + offset]) * units
    out = scipy.optimize.minimize(
        value, x0, jac=True, method="BFGS", options={"gtol": _OUTER_TOL, "maxiter": _MAX_OUTER}
    )
    state = box[0]
    if not np.allclose(out.x / units, [state.scale, state.offset][: 1 + offset], rtol=0, atol=0):
        value(out.x)  # the last evaluation was not at the optimum: solve there
        state = box[0]
    if state.converged and not out.success:
        grad = float(np.max(np.abs(out.jac)))
        state.converged = grad <= 1e3 * _OUTER_TOL  # rounding of the solves limits BFGS
        if not state.converged:
            state.status = "max_iter"
            state.message = (
                f"the joint nuisance fit stopped with gradient {grad:.2g}: {out.message}"
            )
    return state
