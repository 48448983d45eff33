"""Alpha rules of :func:`maxent.fit`: the scan over alpha and how each rule picks from it.

A :class:`Path` holds every solution computed, each warm-starting its nearest converged
neighbour.  Every rule is an object with a small protocol, chosen by name in
:data:`ALPHA_RULES`:

- ``needs_posterior``: the rule needs the Bayesian evidence (entropy and l2 only);
- ``done(points, n_data)``: whether a default scan (large alpha down) may stop;
- ``choose(context, scan) -> Choice``: the chosen point, or Bryan's average.

The rules (references in :func:`maxent.fit`):

``historic`` and ``classic``
    roots (Brent's method in log alpha) of :math:`\\chi^2 = N` and of
    :math:`-2\\alpha S = N_\\mathrm{good}` (Gull 1989) between the scan points where the
    condition changes sign;
``lcurve``
    the largest curvature of :math:`\\log\\chi^2` against :math:`\\log\\alpha` on the scan
    (TRIQS/maxent's ``Chi2CurvatureAnalyzer``);
``chi2kink``
    a logistic curve :math:`a + b/(1 + e^{-d(x - c)})` fitted to :math:`y = \\log_{10}\\chi^2`
    against :math:`x = \\log_{10}\\alpha`; :math:`\\alpha = 10^{c - 2.5/d}`, just below the
    kink on the noise-fitting side (ana_cont, Kaufmann & Held 2023; ACFlow, Huang 2023);
``linefit``
    two straight lines through :math:`\\log\\chi^2` against :math:`\\log\\alpha`, one on
    the flat noise-fitting plateau and one on the steep information-fitting slope; alpha
    at their intersection (TRIQS/maxent's ``LineFitAnalyzer``, Kraberger et al. 2017);
``gcv``
    the minimum of :math:`N\\chi^2/(N - N_\\mathrm{good})^2` (bounded search);
``bryan``
    the posterior average over alpha (Bryan 1990), with a prior from :data:`ALPHA_PRIORS`:
    Jeffreys' :math:`d\\log\\alpha`, a uniform :math:`d\\alpha`, or ana_cont's
    :math:`\\alpha\\,d\\alpha`.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._penalty_solvers import Point
from .errors import ConvergenceWarning

__all__ = ["ALPHA_PRIORS", "ALPHA_RULES", "Choice", "Path", "ScanContext", "default_alphas"]

#: prior of alpha in Bryan's average -> the power k of :math:`P(\\alpha)\\,d\\alpha \\propto
#: \\alpha^k\\,d\\log\\alpha`: Jeffreys' scale-invariant :math:`d\\log\\alpha`, a uniform
#: :math:`d\\alpha`, and :math:`\\alpha\\,d\\alpha`, what ana_cont's ``solve_bryan`` integrates
#: (its probability carries a factor alpha and is integrated over alpha)
ALPHA_PRIORS: dict[str, int] = {"jeffreys": 0, "uniform": 1, "ana_cont": 2}


class Path:
    """Solutions computed so far, each one warm-starting its nearest neighbour in alpha."""

    def __init__(self, solver: Any, *, progress: bool | None = False) -> None:
        self.solver = solver
        self.points: list[Point] = []
        self.progress = progress

    def at(self, alpha: float) -> Point:
        start = None
        good = [p for p in self.points if p.converged and math.isfinite(p.alpha)]
        if good and math.isfinite(alpha):
            start = min(good, key=lambda p: abs(math.log(p.alpha / alpha))).state
        point = self.solver.solve(alpha, start)
        self.points.append(point)
        return point

    def scan(
        self, alphas: NDArray[np.float64], done: Callable[[list[Point]], bool] | None = None
    ) -> list[Point]:
        """Solve from the largest alpha down; stop early once ``done(points)`` is true.

        A progress bar (tqdm, on standard error) appears when the scan lasts over a
        second and ``progress`` is true, or None and standard error is a terminal.
        """
        points: list[Point] = []
        disable = None if self.progress is None else not self.progress
        with _progress_bar(
            disable,
            total=len(alphas),
            desc="fit: alpha scan",
            unit="alpha",
            delay=1.0,
            leave=False,
        ) as bar:
            for a in sorted(alphas, reverse=True):
                points.append(self.at(float(a)))
                bar.update()
                bar.set_postfix_str(f"alpha={a:.3g}", refresh=False)
                if done is not None and done(points):
                    break
        return points

    def sorted(self) -> list[Point]:
        return sorted(self.points, key=lambda p: -p.alpha)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _NoBar:
    """What the scan asks of a tqdm bar, doing nothing (tqdm is not imported for it)."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self) -> None:
        return None

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        return None


def _progress_bar(disable: bool | None, **options: Any) -> Any:
    """A tqdm bar, or a stand-in when it is disabled (importing tqdm costs ~30 ms): by
    ``disable``, or by ``disable=None`` (tqdm's "only on a terminal") off a terminal."""
    if disable or (disable is None and not _is_terminal(sys.stderr)):
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(disable=disable, **options)


@dataclass
class ScanContext:
    """What a rule may use: the path (to solve at new alphas), N and the alpha prior."""

    path: Path
    n_data: int
    alpha_prior: str = "jeffreys"


@dataclass
class Choice:
    """A rule's answer: one point, or Bryan's (points, weights, log evidence integral)."""

    point: Point | None
    average: tuple[list[Point], NDArray[np.float64], float] | None = None
    message: str = ""


def default_alphas(solver: Any) -> NDArray[np.float64]:
    """4 per decade, from where the penalty dominates down (the scan usually stops early)."""
    return solver.alpha_top() * 10.0 ** (-np.arange(4 * solver.decades + 1) / 4.0)


def _levelled_off(points: list[Point]) -> bool:
    """chi^2 less than 3 % lower than a decade (4 steps) before: the fit chases noise."""
    if len(points) < 8:
        return False
    before, last_chi2 = points[-5].chi2, points[-1].chi2
    return before - last_chi2 < 0.03 * before


def _fallback(
    context: ScanContext, scan: list[Point], message: str, stacklevel: int = 5
) -> Choice:
    """No alpha met the rule: warn and return the most probable (or last) point."""
    le = [p.log_evidence for p in scan]
    best = int(np.nanargmax(le)) if np.any(np.isfinite(le)) else len(scan) - 1
    point = scan[best]
    warnings.warn(
        f"fit(): {message}; returning alpha = {point.alpha:.3g}.",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )
    return Choice(point, None, message)


def _log_chi2_curve(scan: list[Point]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    ok = [p for p in scan if math.isfinite(p.alpha) and p.chi2 > 0 and p.converged]
    ok.sort(key=lambda p: p.alpha)
    x = np.log10([p.alpha for p in ok])
    y = np.log10([p.chi2 for p in ok])
    return x, y


# ----------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class _RootRule:
    """alpha where ``condition(point)`` changes sign (Brent's method in log alpha)."""

    label: str
    needs_posterior: bool = False

    def condition(self, p: Point, n_data: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def done(self, points: list[Point], n_data: int) -> bool:
        return _levelled_off(points) and self.condition(points[-1], n_data) < 0

    def remedy(self, scan: list[Point], n_data: int) -> str:
        """What to do when the scan holds no root."""
        return "pass a wider `alphas` grid"

    def choose(self, context: ScanContext, scan: list[Point]) -> Choice:
        path, n_data = context.path, context.n_data
        values = np.array([self.condition(p, n_data) for p in scan])
        ok = np.isfinite(values)
        brackets = [
            i
            for i in range(len(scan) - 1)
            if ok[i] and ok[i + 1] and np.sign(values[i]) != np.sign(values[i + 1])
        ]
        if not brackets:
            return _fallback(
                context,
                scan,
                f"no alpha in [{scan[-1].alpha:.3g}, {scan[0].alpha:.3g}] meets "
                f"the {self.label} condition; {self.remedy(scan, n_data)}",
            )
        i = max(
            brackets,
            key=lambda j: (
                scan[j].log_evidence if math.isfinite(scan[j].log_evidence) else -math.inf
            ),
        )
        if values[i] == 0:
            return Choice(scan[i])
        lo, hi = math.log(scan[i + 1].alpha), math.log(scan[i].alpha)

        def f(log_a: float) -> float:
            value = self.condition(path.at(math.exp(log_a)), n_data)
            if not math.isfinite(value):
                raise ValueError(f"the {self.label} condition is not finite there")
            return value

        try:
            import scipy.optimize  # imported by the rules that need it (~0.1 s)

            log_a = scipy.optimize.brentq(
                f, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=200
            )
        except (ValueError, RuntimeError) as exc:
            # the condition is not monotone between re-solved neighbours (a solve that did
            # not converge): keep the bracket end closer to zero
            j = i if abs(values[i]) <= abs(values[i + 1]) else i + 1
            message = (
                f"the root of the {self.label} condition could not be refined "
                f"between alpha = {scan[i + 1].alpha:.3g} and {scan[i].alpha:.3g} "
                f"({exc}); kept the nearer end"
            )
            warnings.warn(f"fit(): {message}.", ConvergenceWarning, stacklevel=4)
            return Choice(scan[j], None, message)
        return Choice(path.at(math.exp(log_a)))


class _Historic(_RootRule):
    def condition(self, p: Point, n_data: int) -> float:
        return p.chi2 / n_data - 1.0

    def remedy(self, scan: list[Point], n_data: int) -> str:
        """chi^2 levelled off above N: the error bars, not the grid, are at fault."""
        low = min(p.chi2 for p in scan)
        if low > n_data and _levelled_off(sorted(scan, key=lambda p: -p.alpha)):
            return (
                f"chi^2 levels off at {low:.4g} > N = {n_data} as alpha falls, so no alpha "
                "reaches chi^2 = N: `sigma` is likely too small (or the model cannot "
                "represent the data); a wider grid will not help"
            )
        return super().remedy(scan, n_data)


class _Classic(_RootRule):
    def condition(self, p: Point, n_data: int) -> float:
        """:math:`\\log(2\\alpha P) - \\log N_\\mathrm{good}`, zero at the classic alpha."""
        if p.penalty <= 0 or p.n_good <= 0:
            return math.nan
        return math.log(2.0 * p.alpha * p.penalty) - math.log(p.n_good)


@dataclass(frozen=True)
class _LCurve:
    needs_posterior: bool = False

    def done(self, points: list[Point], n_data: int) -> bool:
        return _levelled_off(points)

    def choose(self, context: ScanContext, scan: list[Point]) -> Choice:
        """Largest curvature of log10(chi^2) against log10(alpha), by finite differences."""
        la = np.log10([p.alpha for p in scan])
        lc = np.log10(np.maximum([p.chi2 for p in scan], np.finfo(float).tiny))
        d1 = np.gradient(lc, la)
        d2 = np.gradient(d1, la)
        kappa = d2 / (1.0 + d1**2) ** 1.5
        kappa[[0, -1]] = -np.inf
        return Choice(scan[int(np.argmax(kappa))])


def _logistic(
    x: NDArray[np.float64], a: float, b: float, c: float, d: float
) -> NDArray[np.float64]:
    return a + b / (1.0 + np.exp(-d * (x - c)))


@dataclass(frozen=True)
class _Chi2Kink:
    """ana_cont's rule: alpha at :math:`c - 2.5/d` of a logistic fit of log chi^2."""

    fit_position: float = 2.5
    needs_posterior: bool = False

    def done(self, points: list[Point], n_data: int) -> bool:
        return _levelled_off(points)

    def choose(self, context: ScanContext, scan: list[Point]) -> Choice:
        x, y = _log_chi2_curve(scan)
        if x.size < 5 or np.ptp(y) <= 0:
            return _fallback(
                context,
                scan,
                "chi2kink needs at least 5 converged points "
                "with chi^2 changing; pass a wider `alphas` grid",
            )
        lo, hi = float(y.min()), float(y.max())
        mid = int(np.argmin(np.abs(y - 0.5 * (lo + hi))))
        slope = float(np.max(np.gradient(y, x)))
        p0 = (lo, hi - lo, float(x[mid]), max(4.0 * slope / (hi - lo), 1e-3))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import scipy.optimize

                popt, _ = scipy.optimize.curve_fit(_logistic, x, y, p0=p0, maxfev=20000)
        except (RuntimeError, ValueError) as exc:
            return _fallback(context, scan, f"the logistic fit of chi2kink failed ({exc})")
        _, b, c, d = popt
        if not (np.all(np.isfinite(popt)) and b > 0 and d > 0):
            return _fallback(
                context,
                scan,
                "the logistic fit of chi2kink has no rising "
                f"step (b = {b:.3g}, d = {d:.3g}); pass a wider `alphas` grid",
            )
        log_a = c - self.fit_position / d
        if not x[0] <= log_a <= x[-1]:
            return _fallback(
                context,
                scan,
                f"the chi2kink alpha 10^{log_a:.3g} lies outside "
                "the scan; pass a wider `alphas` grid",
            )
        return Choice(context.path.at(10.0**log_a))


@dataclass(frozen=True)
class _LineFit:
    """Intersection of a line on the noise-fitting plateau and one on the steep slope."""

    needs_posterior: bool = False

    def done(self, points: list[Point], n_data: int) -> bool:
        return _levelled_off(points)

    def choose(self, context: ScanContext, scan: list[Point]) -> Choice:
        x, y = _log_chi2_curve(scan)
        # below half-way up the step: the plateau and the steep part (the default-model
        # plateau at large alpha would bend a straight line)
        lower = y <= y.min() + 0.5 * np.ptp(y) if x.size else np.zeros(0, bool)
        top = int(np.nonzero(lower)[0].max()) + 1 if np.any(lower) else 0
        x, y = x[:top], y[:top]
        if x.size < 6:
            return _fallback(
                context,
                scan,
                "linefit needs at least 6 converged points "
                "below the chi^2 step; pass a wider `alphas` grid",
            )
        best = None
        for k in range(3, x.size - 2):
            left = np.polyfit(x[:k], y[:k], 1, full=True)
            right = np.polyfit(x[k:], y[k:], 1, full=True)
            sse = sum(float(r[1][0]) if r[1].size else 0.0 for r in (left, right))
            if best is None or sse < best[0]:
                best = (sse, left[0], right[0])
        assert best is not None  # x.size >= 6: the loop ran at least once
        _, (m1, c1), (m2, c2) = best
        if not m2 > m1:
            return _fallback(
                context,
                scan,
                "linefit found no steeper line at large alpha; pass a wider `alphas` grid",
            )
        log_a = (c1 - c2) / (m2 - m1)
        log_a = float(np.clip(log_a, x[0], x[-1]))
        return Choice(context.path.at(10.0**log_a))


@dataclass(frozen=True)
class _GCV:
    needs_posterior: bool = False

    @staticmethod
    def value(p: Point, n_data: int) -> float:
        dof = n_data - p.n_good
        return n_data * p.chi2 / dof**2 if dof > 0 else math.inf

    def done(self, points: list[Point], n_data: int) -> bool:
        if not _levelled_off(points):
            return False
        values = [self.value(p, n_data) for p in points]
        return int(np.argmin(values)) < len(points) - 3

    def choose(self, context: ScanContext, scan: list[Point]) -> Choice:
        path, n_data = context.path, context.n_data
        values = [self.value(p, n_data) for p in scan]
        i = int(np.argmin(values))
        if 0 < i < len(scan) - 1:
            lo, hi = math.log(scan[i + 1].alpha), math.log(scan[i - 1].alpha)
            import scipy.optimize

            res = scipy.optimize.minimize_scalar(
                lambda la: self.value(path.at(math.exp(la)), n_data),
                bounds=(lo, hi),
                method="bounded",
                options={"xatol": 1e-3},
            )
            best = path.at(math.exp(res.x))
            if self.value(best, n_data) <= values[i]:
                return Choice(best)
        return Choice(scan[i])


def bryan_weights(
    points: list[Point], prior: str = "jeffreys"
) -> tuple[NDArray[np.float64], float]:
    """Posterior weights of alpha on the points (trapezoid rule in log alpha).

    The weight of each point is :math:`P(y|\\alpha)\\,\\alpha^k\\,\\Delta\\log\\alpha` with
    ``k = ALPHA_PRIORS[prior]``: 0 for ``"jeffreys"`` (:math:`d\\log\\alpha`), 1 for
    ``"uniform"`` (:math:`d\\alpha = \\alpha\\,d\\log\\alpha`), 2 for ``"ana_cont"``
    (:math:`\\alpha\\,d\\alpha`).  Returns (weights summing to 1, log of the evidence integral).
    """
    la = np.log([p.alpha for p in points])
    le = np.array([p.log_evidence for p in points])
    dx = np.abs(np.diff(la))
    trap = np.zeros(la.size)
    trap[:-1] += dx / 2
    trap[1:] += dx / 2
    log_w = le + np.log(np.where(trap > 0, trap, np.finfo(float).tiny)) + ALPHA_PRIORS[prior] * la
    top = np.max(log_w)
    w = np.exp(log_w - top)
    total = w.sum()
    return w / total, float(top + np.log(total))


@dataclass(frozen=True)
class _Bryan:
    """Average over alpha (Bryan 1990) where the posterior is within e^-10 of its peak."""

    cut: float = 10.0
    needs_posterior: bool = True

    def done(self, points: list[Point], n_data: int) -> bool:
        if not _levelled_off(points):
            return False
        le = np.array([p.log_evidence for p in points])
        return bool(le[-1] < np.nanmax(le) - self.cut)

    def choose(self, context: ScanContext, scan: list[Point]) -> Choice:
        """The scan is extended (same ratio) at an end where the posterior has not yet
        fallen by e^10, as long as the solver converges there; each interval that matters
        is then refined with 3 more points."""
        path, prior = context.path, context.alpha_prior
        scan = list(scan)
        ratio = scan[0].alpha / scan[1].alpha

        def log_post(points: list[Point]) -> NDArray[np.float64]:
            le = np.array([p.log_evidence for p in points])
            return le + ALPHA_PRIORS[prior] * np.log([p.alpha for p in points])

        for _ in range(40):
            lp = log_post(scan)
            top = np.nanmax(lp)
            grew = False
            if lp[0] >= top - self.cut:
                new = path.at(scan[0].alpha * ratio)
                if new.converged:
                    scan.insert(0, new)
                    grew = True
            if lp[-1] >= top - self.cut:
                new = path.at(scan[-1].alpha / ratio)
                if new.converged:
                    scan.append(new)
                    grew = True
            if not grew:
                break
        lp = log_post(scan)
        keep = np.nonzero(lp >= np.nanmax(lp) - self.cut)[0]
        i0, i1 = max(keep[0] - 1, 0), min(keep[-1] + 1, len(scan) - 1)
        fine = [
            a
            for k in range(i0, i1)
            for a in np.geomspace(scan[k].alpha, scan[k + 1].alpha, 5)[1:-1]
        ]
        points = sorted(path.scan(np.array(fine)) + scan[i0 : i1 + 1], key=lambda p: -p.alpha)
        weights, log_ev = bryan_weights(points, prior)
        message = ""
        if weights[0] > 1e-3 or weights[-1] > 1e-3:
            message = (
                "the posterior of alpha is not negligible at the end of the grid; "
                "pass a wider `alphas` grid"
            )
            warnings.warn(f"fit(): {message}.", ConvergenceWarning, stacklevel=4)
        return Choice(None, (points, weights, log_ev), message)


#: name -> rule object (``needs_posterior``, ``done``, ``choose``)
ALPHA_RULES: dict[str, Any] = {
    "historic": _Historic("historic (chi2 = N)"),
    "classic": _Classic("classic (-2 alpha S = N_good)", needs_posterior=True),
    "bryan": _Bryan(),
    "lcurve": _LCurve(),
    "chi2kink": _Chi2Kink(),
    "linefit": _LineFit(),
    "gcv": _GCV(),
}
