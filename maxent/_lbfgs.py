"""Limited-memory BFGS for large smooth convex objectives, in float32 or float64.

scipy's L-BFGS-B works in float64 and keeps about ``2 m + 5`` copies of the parameters;
a Potts model of a protein family has 10^7-10^8 parameters, so the fits of
:mod:`maxent.pairwise` use this minimiser instead: the parameters, the gradient and the
``m`` correction pairs are stored in the caller's dtype (float32 halves the memory), the
scalars (objective, inner products) are float64.  The step length comes from a
backtracking (Armijo) line search (near the minimum, where rounding hides the decrease
of the objective, a step that shrinks the directional derivative is taken instead); a
correction pair is kept only when its curvature ``s.y`` is positive, so the
inverse-Hessian estimate stays positive definite.  An optional diagonal preconditioner
scales the initial inverse-Hessian estimate.
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

_ARMIJO = 1e-4
_MAX_HALVINGS = 40


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


def _accept(f: float, f_new: float, t: float, slope: float, g_new: NDArray, d: NDArray) -> bool:
    """Armijo's sufficient decrease; or, where the objective changes by no more than its
    rounding (near the minimum), a smaller directional derivative |g_new . d| < |g . d|:
    on a convex objective the step then stays short of twice the line's minimum."""
    if not np.isfinite(f_new):
        return False
    if f_new - f <= _ARMIJO * t * slope:
        return True
    rounding = 64 * np.finfo(np.float64).eps * max(abs(f), 1.0)
    return abs(f_new - f) <= rounding and abs(_dot(g_new, d)) < abs(slope)


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
        t = (
            1.0
            if pairs or diagonal is not None
            else min(1.0, 1.0 / max(float(np.linalg.norm(d)), 1e-300))
        )
        for _ in range(_MAX_HALVINGS):
            x_new = x + t * d
            f_new, g_new = fun(x_new)
            n_eval += 1
            if _accept(f, f_new, t, slope, g_new, d):
                break
            t *= 0.5
        else:
            return Minimum(
                x,
                f,
                gmax,
                it,
                n_eval,
                False,
                f"line search found no decrease after {it} iterations (max |g| = {gmax:.3g}): "
                "the objective is flat to rounding here",
            )
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
