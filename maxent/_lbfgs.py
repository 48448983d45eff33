"""Limited-memory BFGS for large smooth convex objectives, in float32 or float64.

scipy's L-BFGS-B works in float64 and keeps about ``2 m + 5`` copies of the parameters;
a Potts model of a protein family has 10^7-10^8 parameters, so the fits of
:mod:`maxent.pairwise` use this minimiser instead: the parameters, the gradient and the
``m`` correction pairs are stored in the caller's dtype (float32 halves the memory), the
scalars (objective, inner products) are float64.  The step length comes from Moré and
Thuente's line search (strong Wolfe conditions, sufficient decrease 1e-4 and slope 0.9,
safeguarded cubic and quadratic steps), as in libLBFGS, which plmc uses; with its
memory (6), its first step (unit length along the gradient) and no preconditioner the
iterates are plmc's.  Near the minimum, where a step's predicted change of the
objective is below the rounding of its value, steps are chosen by the slope alone.  A
correction pair is kept only when its curvature ``s.y`` is positive, so the
inverse-Hessian estimate stays positive definite.  An optional diagonal preconditioner
scales the initial inverse-Hessian estimate.

References: J. J. Moré and D. J. Thuente, ACM Trans. Math. Softw. 20, 286 (1994);
J. Nocedal, Math. Comp. 35, 773 (1980).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Minimum", "minimize"]

Objective = Callable[[NDArray[np.floating]], tuple[float, NDArray[np.floating]]]
Progress = Callable[[int, float, float], None]

_ARMIJO = 1e-4  # sufficient decrease
_WOLFE = 0.9  # curvature: |g_new . d| <= 0.9 |g . d|
_MAX_EVALS = 40  # evaluations per line search
_MIN_STEP, _MAX_STEP = 1e-20, 1e20
_NOISE = 1e-12  # relative rounding of an objective summed over samples


@dataclass(frozen=True)
class Minimum:
    """Where :func:`minimize` stopped."""

    x: NDArray[np.floating]
    value: float
    gradient_norm: float  # max |g|
    n_iter: int
    n_eval: int
    converged: bool
    message: str


def _dot(a: NDArray[np.floating], b: NDArray[np.floating]) -> float:
    return float(np.dot(a, b.astype(a.dtype, copy=False)))


def _norm(a: NDArray[np.floating]) -> float:
    return _dot(a, a) ** 0.5


def _direction(
    g: NDArray[np.floating],
    pairs: deque[tuple[NDArray, NDArray, float]],
    inverse_diagonal: NDArray[np.floating] | None,
) -> NDArray[np.floating]:
    """-H g by the two-loop recursion over the stored pairs (s, y, 1 / y.s), from the
    initial inverse Hessian gamma * inverse_diagonal (or gamma * I)."""
    d = -g
    alphas = []
    for s, y, rho in reversed(pairs):
        alpha = rho * _dot(s, d)
        d -= alpha * y
        alphas.append(alpha)
    if inverse_diagonal is not None:
        d *= inverse_diagonal
    if pairs:
        s, y, rho = pairs[-1]
        dy = y if inverse_diagonal is None else y * inverse_diagonal
        d *= 1.0 / (rho * _dot(y, dy))
    for (s, y, rho), alpha in zip(pairs, reversed(alphas), strict=True):
        beta = rho * _dot(y, d)
        d += (alpha - beta) * s
    return d


def _below_noise(f: float, change: float) -> bool:
    """Whether a predicted change of the objective is below the rounding of its value
    (a sum over many samples: ~1e-13 relative measured); values cannot then rank steps."""
    return abs(change) <= _NOISE * max(abs(f), 1.0)


@dataclass
class _Bracket:
    """The interval of uncertainty of the line search: the best step ``x`` so far (value
    ``fx``, slope ``dx``), the other end ``y``, and whether a minimum is bracketed."""

    x: float
    fx: float
    dx: float
    y: float
    fy: float
    dy: float
    bracketed: bool = False


def _cubic(u: float, fu: float, du: float, v: float, fv: float, dv: float) -> float:
    """Minimiser of the cubic through (u, fu, du) and (v, fv, dv)."""
    d = v - u
    theta = 3.0 * (fu - fv) / d + du + dv
    scale = max(abs(theta), abs(du), abs(dv))
    a = theta / scale
    gamma = scale * np.sqrt(max(a * a - (du / scale) * (dv / scale), 0.0))
    if v < u:
        gamma = -gamma
    return u + (gamma - du + theta) / (2.0 * gamma - du + dv) * d


def _secant(u: float, du: float, v: float, dv: float) -> float:
    """Zero of the slope interpolated linearly between (u, du) and (v, dv)."""
    return v + dv / (dv - du) * (u - v)


def _trial(b: _Bracket, t: float, ft: float, dt: float, tmin: float, tmax: float) -> float:
    """Moré & Thuente's safeguarded step (their four cases) from the bracket and the
    trial (t, ft, dt); updates the bracket."""
    opposite = dt * np.sign(b.dx) < 0.0
    bound = True
    if ft > b.fx:  # higher value: the minimum is bracketed
        b.bracketed = True
        mc = _cubic(b.x, b.fx, b.dx, t, ft, dt)
        mq = b.x + b.dx / ((b.fx - ft) / (t - b.x) + b.dx) / 2.0 * (t - b.x)
        new = mc if abs(mc - b.x) < abs(mq - b.x) else mc + 0.5 * (mq - mc)
    elif opposite:  # lower value, slopes of opposite signs: bracketed
        b.bracketed, bound = True, False
        mc = _cubic(b.x, b.fx, b.dx, t, ft, dt)
        mq = _secant(b.x, b.dx, t, dt)
        new = mc if abs(mc - t) > abs(mq - t) else mq
    elif abs(dt) < abs(b.dx):  # lower value, same sign, the slope's magnitude falls
        mc = _cubic_extrapolated(b.x, b.fx, b.dx, t, ft, dt, tmin, tmax)
        mq = _secant(b.x, b.dx, t, dt)
        closer = abs(t - mc) < abs(t - mq)
        new = (mc if closer else mq) if b.bracketed else (mq if closer else mc)
    else:  # lower value, same sign, the slope does not fall
        bound = False
        if b.bracketed:
            new = _cubic(t, ft, dt, b.y, b.fy, b.dy)
        else:
            new = tmax if b.x < t else tmin
    if ft > b.fx:
        b.y, b.fy, b.dy = t, ft, dt
    else:
        if opposite:
            b.y, b.fy, b.dy = b.x, b.fx, b.dx
        b.x, b.fx, b.dx = t, ft, dt
    new = min(max(new, tmin), tmax)
    if b.bracketed and bound:
        mid = b.x + 0.66 * (b.y - b.x)
        new = min(new, mid) if b.x < b.y else max(new, mid)
    return new


def _cubic_extrapolated(
    u: float, fu: float, du: float, v: float, fv: float, dv: float, tmin: float, tmax: float
) -> float:
    """The cubic's minimiser beyond v when it exists, else the end of [tmin, tmax] the
    cubic decreases towards."""
    d = v - u
    theta = 3.0 * (fu - fv) / d + du + dv
    scale = max(abs(theta), abs(du), abs(dv))
    a = theta / scale
    gamma = scale * np.sqrt(max(0.0, a * a - (du / scale) * (dv / scale)))
    if u < v:
        gamma = -gamma
    r = (gamma - dv + theta) / (2.0 * gamma - dv + du)
    if r < 0.0 and gamma != 0.0:
        return v - r * d
    return tmax if a < 0 else tmin


Line = Callable[[float], tuple[float, NDArray[np.floating], float]]


def _line_search(line: Line, f0: float, slope0: float, t: float) -> tuple | None:
    """A step satisfying the strong Wolfe conditions (sufficient decrease 1e-4, slope
    0.9) by Moré & Thuente's algorithm; ``line(t) -> (f, g, g . d)``.  Returns ``(t, f,
    g, n_eval)`` or None when rounding stops it before a step with a lower value."""
    b = _Bracket(0.0, f0, slope0, 0.0, f0, slope0)
    test = _ARMIJO * slope0
    stage1, width, prev_width = True, _MAX_STEP, 2.0 * _MAX_STEP
    best = None
    for n_eval in range(1, _MAX_EVALS + 1):
        lo, hi = (min(b.x, b.y), max(b.x, b.y)) if b.bracketed else (b.x, t + 4.0 * (t - b.x))
        t = min(max(t, _MIN_STEP), _MAX_STEP)
        if b.bracketed and (t <= lo or t >= hi or hi - lo <= 1e-16 * hi):
            t = b.x
        f, g, slope = line(t)
        if np.isfinite(f) and f < f0 and (best is None or f < best[1]):
            best = (t, f, g, n_eval)
        sufficient = f <= f0 + t * test
        if np.isfinite(f) and _below_noise(f0, t * slope0):  # slopes only
            if abs(slope) <= _WOLFE * -slope0:
                return t, f, g, n_eval
            t = t * slope0 / (slope0 - slope) if slope > 0.0 else 4.0 * t
            continue
        if sufficient and abs(slope) <= _WOLFE * -slope0:
            return t, f, g, n_eval
        if b.bracketed and (t <= lo or t >= hi or hi - lo <= 1e-16 * hi):
            break
        if not np.isfinite(f):  # overflow: back off towards the best step
            b.bracketed, b.y, b.fy, b.dy = True, t, np.inf, np.inf
            t = b.x + 0.5 * (t - b.x)
            continue
        if stage1 and sufficient and min(_ARMIJO, _WOLFE) * slope0 <= slope:
            stage1 = False
        if stage1 and f > f0 + t * test and f <= b.fx:  # the modified function
            m = _Bracket(
                b.x,
                b.fx - b.x * test,
                b.dx - test,
                b.y,
                b.fy - b.y * test,
                b.dy - test,
                b.bracketed,
            )
            t = _trial(m, t, f - t * test, slope - test, lo, hi)
            b = _Bracket(
                m.x,
                m.fx + m.x * test,
                m.dx + test,
                m.y,
                m.fy + m.y * test,
                m.dy + test,
                m.bracketed,
            )
        else:
            t = _trial(b, t, f, slope, lo, hi)
        if b.bracketed:
            if abs(b.y - b.x) >= 0.66 * prev_width:
                t = b.x + 0.5 * (b.y - b.x)
            prev_width, width = width, abs(b.y - b.x)
    return None if best is None else (*best[:3], n_eval)


def minimize(
    fun: Objective,
    x0: NDArray[np.floating],
    *,
    gtol: float,
    max_iter: int,
    memory: int = 5,
    diagonal: NDArray[np.floating] | None = None,
    progress: Progress | None = None,
) -> Minimum:
    """Minimise ``fun`` (returning value and gradient) from ``x0`` until max |g| <= gtol.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (value, gradient)``, the gradient in the dtype of ``x``.
    x0 : ndarray, 1-D
        Start (float32 or float64; not modified).
    gtol : float
        Stop when the largest component of the gradient is at most this.
    max_iter : int
        Stop after this many iterations (line searches).
    memory : int, default 5
        Correction pairs kept.
    diagonal : ndarray, optional
        A positive estimate of the Hessian's diagonal (preconditioner): the initial
        inverse-Hessian estimate of each iteration is gamma / diagonal instead of gamma.
    progress : callable, optional
        Called as ``progress(iteration, value, max |g|)`` after each iteration.

    Returns
    -------
    Minimum
    """
    x = np.array(x0, copy=True)
    inverse_diagonal = None if diagonal is None else (1.0 / diagonal).astype(x.dtype)
    f, g = fun(x)
    n_eval = 1
    pairs: deque[tuple[NDArray, NDArray, float]] = deque(maxlen=memory)
    gmax = float(np.max(np.abs(g))) if g.size else 0.0
    it = 0
    while gmax > gtol:
        if it >= max_iter:
            return Minimum(x, f, gmax, it, n_eval, False, f"stopped after {it} iterations")
        d = _direction(g, pairs, inverse_diagonal)
        slope = _dot(g, d)
        if not slope < 0:  # not a descent direction (rounding): restart from -g
            pairs.clear()
            d = -g
            slope = _dot(g, d)
        t = 1.0 if pairs or diagonal is not None else 1.0 / max(_norm(d), 1e-300)

        def line(step: float, x: NDArray = x, d: NDArray = d) -> tuple:
            f_t, g_t = fun(x + float(step) * d)  # a Python float keeps the dtype of d
            return f_t, g_t, _dot(g_t, d)

        found = _line_search(line, f, slope, t)
        if found is None:
            return Minimum(
                x,
                f,
                gmax,
                it,
                n_eval + _MAX_EVALS,
                False,
                f"line search found no decrease after {it} iterations (max |g| = {gmax:.3g}): "
                "the objective is flat to rounding here",
            )
        t, f_new, g_new, used = found
        n_eval += used
        x_new = x + float(t) * d
        s = x_new - x
        y = g_new - g
        ys = _dot(y, s)
        if ys > 1e-12 * _dot(y, y) ** 0.5 * _dot(s, s) ** 0.5:
            pairs.append((s, y, 1.0 / ys))
        x, f, g = x_new, f_new, g_new
        gmax = float(np.max(np.abs(g)))
        it += 1
        if progress is not None:
            progress(it, f, gmax)
    return Minimum(x, f, gmax, it, n_eval, True, f"max |gradient| {gmax:.3g} <= {gtol:g}")
