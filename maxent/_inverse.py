r"""Multipliers of an ensemble from its mean values, to the precision the targets carry.

:func:`ensemble_multipliers` finds :math:`\lambda` with
:math:`E_p[F] = b` for :math:`p_i \propto q_i e^{-\lambda \cdot F_i}` (one feature for
:func:`maxent.canonical`, two for :func:`maxent.grand_canonical`).  :func:`maxent.solve`
gives a start; its stopping rule is absolute (``tol`` times the spread of each feature),
which is right for a general moment problem but not for temperatures: near a vertex of the
hull (low temperature) the targets sit a distance :math:`\delta` from one state's
:math:`F_r`, and it is :math:`\delta`, not its error of ``tol``, that fixes :math:`T` and
:math:`\mu` (a target 1e-14 away from the ground state with ``tol`` = 1e-13 was taken to
be the ground state itself, or matched with :math:`T` off by a factor of 2).

So the answer is polished by Newton's method on the dual written about that state,

.. math:: D(\lambda) = \lambda \cdot \delta + \ln\Bigl(1 + \sum_{i \ne r}
          \frac{q_i}{q_r} e^{-\lambda \cdot (F_i - F_r)}\Bigr),
          \qquad \delta = b - F_r,

whose value, gradient :math:`\delta - E_p[F - F_r]` and Hessian :math:`\mathrm{Cov}_p(F)`
are all sums of terms as small as the distance to the vertex: every digit of
:math:`\delta` counts, down to the rounding of the targets themselves.  A line search that
also lengthens the step follows the dual when the start is far (there a Newton step gains
only a factor :math:`e` in the distance to the vertex).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ._logspace import log_sum_exp
from .errors import ConvergenceWarning, InfeasibleTargetsError

if TYPE_CHECKING:
    from .result import MaxEntResult

__all__ = ["ensemble_multipliers"]

_EPS = float(np.finfo(np.float64).eps)
#: degeneracies spanning more than e^this are clipped in the prior of maxent.solve's start
_PRIOR_SPAN = 600.0
_MAX_NEWTON = 300


@dataclass(frozen=True)
class _Dual:
    """The dual about state ``r``: columns scaled by ``scale``, ``e_i = (F_i - F_r)/scale``."""

    e: NDArray[np.float64]  # (n, m)
    delta: NDArray[np.float64]  # (m,), (b - F_r) / scale
    log_w: NDArray[np.float64]  # (n,), ln q_i - ln q_r, -inf at r (kept apart)

    def _weights(self, lam: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
        """p_i for i != r, and p_r (whose e_r = 0), from log-weights relative to state r."""
        with np.errstate(over="ignore", invalid="ignore"):
            x = self.log_w - self.e @ lam
        x = np.where(np.isnan(x), -np.inf, x)
        log_norm = float(np.logaddexp(0.0, log_sum_exp(x)))
        return np.exp(x - log_norm), float(np.exp(-log_norm))

    def gradient(self, lam: NDArray[np.float64]) -> NDArray[np.float64]:
        """dD/dlambda = delta - E_p[e], a sum of terms as small as the distance to r."""
        p, _ = self._weights(lam)
        return self.delta - p @ self.e

    def newton_step(
        self, lam: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
        """(gradient of D, Newton direction, the gradient in units of its rounding error)
        at ``lam``; the Hessian is Cov_p(e)."""
        p, p_r = self._weights(lam)
        mean = p @ self.e
        centred = self.e - mean
        hessian = (centred * p[:, None]).T @ centred + p_r * np.outer(mean, mean)
        grad = self.delta - mean
        # each p_i carries the rounding of its log-weight, ~eps (|ln w_i| + |e_i| |lambda|)
        with np.errstate(invalid="ignore"):
            err_x = np.where(p > 0, np.abs(self.log_w) + np.abs(self.e) @ np.abs(lam), 0.0)
        rounding = 16.0 * _EPS * (np.abs(self.delta) + (p * (1.0 + err_x)) @ np.abs(self.e))
        with np.errstate(divide="ignore", invalid="ignore"):
            size = float(np.max(np.where(grad == 0, 0.0, np.abs(grad) / rounding)))
        return grad, np.linalg.lstsq(hessian, -grad, rcond=None)[0], size


def _line_search(dual: _Dual, lam: NDArray[np.float64], step: NDArray[np.float64]) -> float:
    """A step length t where the slope of D along ``step`` is within 1 % of its size at
    t = 0 (D is convex: the slope rises along the line).

    t = 1 (Newton's step) when it is; else doubled while the line still descends (far
    from the answer each unit of t gains only a factor e), then bisected between the last
    t going down and the first going up.  0 if no such t is found (rounding).
    """
    slope0 = float(dual.gradient(lam) @ step)  # < 0
    close = 0.01 * abs(slope0)

    def slope(t: float) -> float:
        value = float(dual.gradient(lam + t * step) @ step)
        return value if np.isfinite(value) else np.inf

    lo, hi, s_hi = 0.0, 1.0, slope(1.0)
    while s_hi < -close and hi < 2.0**60:  # still going down: further
        lo, hi = hi, 2.0 * hi
        s_hi = slope(hi)
    for _ in range(100):
        if abs(s_hi) <= close:
            return hi
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        s_mid = slope(mid)
        if s_mid < -close:
            lo = mid
        else:
            hi, s_hi = mid, s_mid
    return lo


def _minimise(dual: _Dual, lam: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """Newton's method with the line search above, until the gradient is at its rounding
    level, a step no longer descends or moves lambda, or eight steps bring the gradient
    no closer to its rounding level (the best lambda is returned); None if it does not
    end."""
    best, best_norm, stale = lam, np.inf, 0
    for _ in range(_MAX_NEWTON):
        grad, step, size = dual.newton_step(lam)
        norm = float(np.max(np.abs(grad)))
        if norm < 0.5 * best_norm:
            best, best_norm, stale = lam, norm, 0
        else:
            stale += 1
        if size <= 1.0:
            return lam
        if stale >= 8 or not np.all(np.isfinite(step)) or float(grad @ step) >= 0.0:
            return best
        t = _line_search(dual, lam, step)
        if t == 0.0 or np.array_equal(lam + t * step, lam):
            return best if best_norm <= norm else lam
        lam = lam + t * step
    return None


@dataclass(frozen=True)
class _States:
    """The states of an ensemble: features (columns scaled to [-1, 1] about ``centre``
    by ``scale``), log prior, names and the first solve's tolerance."""

    f: NDArray[np.float64]  # (n, m), as given
    log_q: NDArray[np.float64]
    names: tuple[str, ...]
    centre: NDArray[np.float64]
    scale: NDArray[np.float64]
    tol: float

    def solve(self, b: NDArray[np.float64]) -> MaxEntResult:
        """maxent.solve on the scaled features, its warning dropped (polished after).

        Degeneracies spanning more than e^600 would underflow as a prior and shrink the
        support: the prior is clipped there (the same hull, a start only).
        """
        from .solver import solve

        x = (self.f - self.centre) / self.scale
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return solve(
                {k: x[:, j] for j, k in enumerate(self.names)},
                {k: (b[j] - self.centre[j]) / self.scale[j] for j, k in enumerate(self.names)},
                prior=np.exp(np.maximum(self.log_q - np.max(self.log_q), -_PRIOR_SPAN)),
                tol=self.tol,
            )

    def inside_start(
        self, b: NDArray[np.float64], p_face: NDArray[np.float64]
    ) -> NDArray[np.float64] | None:
        """Multipliers for the targets moved away from the face (1e-6 of the spread) along
        their own offset from it; None if they sit on it exactly or the move leaves the
        hull."""
        on_face = p_face @ self.f
        offset = (b - on_face) / self.scale
        size = float(np.max(np.abs(offset)))
        if size == 0.0 or size >= 1e-6:
            return None
        try:
            res = self.solve(on_face + offset * (1e-6 / size) * self.scale)
        except InfeasibleTargetsError:
            return None
        lam = np.asarray(res.multipliers, dtype=np.float64)
        return lam if np.all(np.isfinite(lam)) else None

    def polish(
        self, b: NDArray[np.float64], start: NDArray[np.float64]
    ) -> NDArray[np.float64] | None:
        """Newton on the dual about the state that dominates at ``start`` (scaled)."""
        with np.errstate(over="ignore", invalid="ignore"):
            a = self.log_q - (self.f / self.scale) @ start
        r = int(np.argmax(np.where(np.isnan(a), -np.inf, a)))
        log_w = self.log_q - self.log_q[r]
        log_w[r] = -np.inf
        # exact differences from state r, then scaled
        dual = _Dual((self.f - self.f[r]) / self.scale, (b - self.f[r]) / self.scale, log_w)
        lam = _minimise(dual, start.astype(np.float64))
        return None if lam is None or not np.all(np.isfinite(lam)) else lam


def ensemble_multipliers(
    features: dict[str, NDArray[np.float64]],
    log_q: NDArray[np.float64],
    targets: dict[str, float],
    tol: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    r"""Multipliers :math:`\lambda` with :math:`E_p[F] = b`, :math:`p \propto q e^{-\lambda F}`.

    ``features`` and ``targets`` are named (the names appear in maxent.solve's messages);
    the targets must be feasible (maxent.solve raises otherwise).  Returns ``(lambda,
    p)``: ``p`` is None when ``lambda`` is finite (the caller evaluates the ensemble
    itself), else the distribution on the face of the hull that holds the targets.

    Raises
    ------
    InfeasibleTargetsError
        If no distribution over the states has the targets as means.
    """
    names = tuple(features)
    f = np.column_stack([features[k] for k in names])
    b = np.array([targets[k] for k in names], dtype=np.float64)
    lo, hi = f.min(axis=0), f.max(axis=0)
    scale = 0.5 * (hi - lo)
    states = _States(f, log_q, names, 0.5 * (lo + hi), np.where(scale > 0, scale, 1.0), tol)
    face = None  # the solver's distribution, if it put the targets on a face
    res = states.solve(b)
    start = np.asarray(res.multipliers, dtype=np.float64)
    if not np.all(np.isfinite(start)):  # on a face, to within tol
        face = (start / states.scale, np.asarray(res.p, dtype=np.float64))
        inside = states.inside_start(b, face[1])
        if inside is None:
            return face
        start = inside
    lam = states.polish(b, start)
    if lam is None:
        if face is not None:  # the targets sit on the face in floating point
            return face
        warnings.warn(
            "the multipliers of the ensemble were not refined to the precision of the "
            "targets; they meet them to the solver's `tol` only.",
            ConvergenceWarning,
            stacklevel=3,
        )
        lam = start
    return lam / states.scale, None
