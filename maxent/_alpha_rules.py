"""Alpha rules of :func:`maxent.fit`: the scan over alpha and how each rule picks from it.

A :class:`_Path` holds every solution computed, each warm-starting its nearest converged
neighbour.  The rules: ``historic`` (chi^2 = N) and ``classic`` (-2 alpha S = N_good,
Gull 1989) are roots found by Brent's method between the scan points where their
condition changes sign; ``gcv`` is a bounded minimum; ``lcurve`` the largest curvature of
log chi^2 against log alpha on the scan; ``bryan`` the posterior average over alpha
(Bryan 1990).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from ._mem import _Point
from .errors import ConvergenceWarning

__all__: list[str] = []

class _Path:
    """Solutions computed so far, each one warm-starting its nearest neighbour in alpha."""

    def __init__(self, solver):
        self.solver = solver
        self.points: list[_Point] = []

    def at(self, alpha: float) -> _Point:
        start = None
        good = [p for p in self.points if p.converged and math.isfinite(p.alpha)]
        if good and math.isfinite(alpha):
            start = min(good, key=lambda p: abs(math.log(p.alpha / alpha))).state
        point = self.solver.solve(alpha, start)
        self.points.append(point)
        return point

    def scan(self, alphas: NDArray[np.float64], done=None) -> list[_Point]:
        """Solve from the largest alpha down; stop early once ``done(points)`` is true."""
        points: list[_Point] = []
        for a in sorted(alphas, reverse=True):
            points.append(self.at(float(a)))
            if done is not None and done(points):
                break
        return points

    def sorted(self) -> list[_Point]:
        return sorted(self.points, key=lambda p: -p.alpha)


def _classic_condition(p: _Point) -> float:
    """:math:`\\log(2\\alpha P) - \\log N_\\mathrm{good}`, zero at the classic alpha."""
    if p.penalty <= 0 or p.n_good <= 0:
        return math.nan
    return math.log(2.0 * p.alpha * p.penalty) - math.log(p.n_good)


def _scan_done(rule: str, n_data: int, points: list[_Point]) -> bool:
    """Whether a default scan may stop: chi^2 has levelled off and the rule has its bracket.

    Levelled off means less than 3 % lower than a decade (4 steps) before: below that the
    fit only chases noise (and the entropy solution grows exponents of hundreds).
    """
    if len(points) < 8:
        return False
    before, last_chi2 = points[-5].chi2, points[-1].chi2
    if before - last_chi2 >= 0.03 * before:
        return False
    last = points[-1]
    if rule == "historic":
        return last.chi2 < n_data
    if rule == "classic":
        return _classic_condition(last) < 0
    if rule == "gcv":
        values = [_gcv_value(p, n_data) for p in points]
        return int(np.argmin(values)) < len(points) - 3
    if rule == "bryan":
        le = np.array([p.log_evidence for p in points])
        return bool(le[-1] < np.nanmax(le) - 10.0)
    return True


def _root_in_log_alpha(path: _Path, scan: list[_Point], f, name: str):
    """Solve f(point) = 0 on the bracket of scan points where f changes sign."""
    values = np.array([f(p) for p in scan])
    ok = np.isfinite(values)
    brackets = [i for i in range(len(scan) - 1)
                if ok[i] and ok[i + 1] and np.sign(values[i]) != np.sign(values[i + 1])]
    if not brackets:
        return None, (f"no alpha in [{scan[-1].alpha:.3g}, {scan[0].alpha:.3g}] meets the "
                      f"{name} condition; pass a wider `alphas` grid")
    if len(brackets) > 1:
        i = max(brackets, key=lambda j: scan[j].log_evidence if math.isfinite(
            scan[j].log_evidence) else -math.inf)
    else:
        i = brackets[0]
    if values[i] == 0:
        return scan[i], ""
    lo, hi = math.log(scan[i + 1].alpha), math.log(scan[i].alpha)
    log_a = scipy.optimize.brentq(lambda la: f(path.at(math.exp(la))), lo, hi,
                                  xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=200)
    return path.at(math.exp(log_a)), ""


def _lcurve_index(scan: list[_Point]) -> int:
    """Largest curvature of log10(chi^2) against log10(alpha), by finite differences."""
    la = np.log10([p.alpha for p in scan])
    lc = np.log10(np.maximum([p.chi2 for p in scan], np.finfo(float).tiny))
    d1 = np.gradient(lc, la)
    d2 = np.gradient(d1, la)
    kappa = d2 / (1.0 + d1**2) ** 1.5
    kappa[[0, -1]] = -np.inf
    return int(np.argmax(kappa))


def _bryan_weights(points: list[_Point]) -> tuple[NDArray[np.float64], float]:
    """Posterior weights of alpha (Jeffreys prior, trapezoid rule in log alpha)."""
    la = np.log([p.alpha for p in points])
    le = np.array([p.log_evidence for p in points])
    dx = np.abs(np.diff(la))
    trap = np.zeros(la.size)
    trap[:-1] += dx / 2
    trap[1:] += dx / 2
    log_w = le + np.log(np.where(trap > 0, trap, np.finfo(float).tiny))
    top = np.max(log_w)
    w = np.exp(log_w - top)
    total = w.sum()
    return w / total, float(top + np.log(total))


def _default_alphas(solver, penalty: str) -> NDArray[np.float64]:
    """4 per decade, from where the penalty dominates down (the scan usually stops early)."""
    if penalty in ("entropy", "l2"):
        hi, decades = 10.0 * solver.lambda_max(), 30
    elif penalty == "nonneg":
        hi, decades = 10.0 * solver.alpha_max(), 8
    else:
        hi, decades = solver.alpha_max(), 10
    return hi * 10.0 ** (-np.arange(4 * decades + 1) / 4.0)


def _choose(rule: str, path: _Path, scan: list[_Point], n_data: int):
    """Apply an alpha rule to the scan: (chosen point, Bryan's average, message), one None.

    Bryan's average is (points, posterior weights, log of the evidence integral).
    """
    if rule == "historic":
        point, msg = _root_in_log_alpha(path, scan, lambda p: p.chi2 / n_data - 1.0,
                                        "historic (chi2 = N)")
    elif rule == "classic":
        point, msg = _root_in_log_alpha(path, scan, _classic_condition,
                                        "classic (-2 alpha S = N_good)")
    elif rule == "lcurve":
        point, msg = scan[_lcurve_index(scan)], ""
    elif rule == "gcv":
        point, msg = _gcv(path, scan, n_data), ""
    else:  # bryan
        return _bryan(path, scan)
    if point is None:
        le = [p.log_evidence for p in scan]
        best = int(np.nanargmax(le)) if np.any(np.isfinite(le)) else len(scan) - 1
        point = scan[best]
        warnings.warn(f"fit(): {msg}; returning alpha = {point.alpha:.3g}.",
                      ConvergenceWarning, stacklevel=3)
        return point, None, msg
    return point, None, msg


def _gcv_value(p: _Point, n_data: int) -> float:
    dof = n_data - p.n_good
    return n_data * p.chi2 / dof**2 if dof > 0 else math.inf


def _gcv(path: _Path, scan: list[_Point], n_data: int) -> _Point:
    values = [_gcv_value(p, n_data) for p in scan]
    i = int(np.argmin(values))
    if 0 < i < len(scan) - 1:
        lo, hi = math.log(scan[i + 1].alpha), math.log(scan[i - 1].alpha)
        res = scipy.optimize.minimize_scalar(
            lambda la: _gcv_value(path.at(math.exp(la)), n_data), bounds=(lo, hi),
            method="bounded", options={"xatol": 1e-6})
        best = path.at(math.exp(res.x))
        if _gcv_value(best, n_data) <= values[i]:
            return best
    return scan[i]


def _bryan(path: _Path, scan: list[_Point]):
    """Average over alpha (Bryan 1990) where the evidence is within e^-10 of its peak.

    The scan is extended (same ratio) at an end where the evidence has not yet fallen by
    e^10, as long as the solver converges there; each interval that matters is then
    refined with 3 more points.
    """
    cut = 10.0
    ratio = scan[0].alpha / scan[1].alpha
    for _ in range(40):
        le = np.array([p.log_evidence for p in scan])
        top = np.nanmax(le)
        grew = False
        if le[0] >= top - cut:
            new = path.at(scan[0].alpha * ratio)
            if new.converged:
                scan.insert(0, new)
                grew = True
        if le[-1] >= top - cut:
            new = path.at(scan[-1].alpha / ratio)
            if new.converged:
                scan.append(new)
                grew = True
        if not grew:
            break
    le = np.array([p.log_evidence for p in scan])
    keep = np.nonzero(le >= np.nanmax(le) - cut)[0]
    i0, i1 = max(keep[0] - 1, 0), min(keep[-1] + 1, len(scan) - 1)
    fine = [a for k in range(i0, i1)
            for a in np.geomspace(scan[k].alpha, scan[k + 1].alpha, 5)[1:-1]]
    points = sorted(path.scan(np.array(fine)) + scan[i0:i1 + 1], key=lambda p: -p.alpha)
    weights, log_ev = _bryan_weights(points)
    message = ""
    if weights[0] > 1e-3 or weights[-1] > 1e-3:
        message = ("the posterior of alpha is not negligible at the end of the grid; "
                   "pass a wider `alphas` grid")
        warnings.warn(f"fit(): {message}.", ConvergenceWarning, stacklevel=4)
    return None, (points, weights, log_ev), message
