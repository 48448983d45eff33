r"""Maximum-entropy densities from 1-D power moments: Newton's method in the orthonormal
polynomials of the current density, on a Gauss-Legendre rule placed where it lives.

The density is :math:`p(z) \propto e^{-Q(z)}` with :math:`Q` a polynomial of degree K in
a standard variable :math:`z = (x - o)/s` (the support mapped onto [-1, 1], a half-line
onto :math:`z \ge 0` with unit mean, the real line to mean 0 and variance 1).  Each
Newton step

1. orthonormalises :math:`1, z, \dots, z^K` under the current density on the nodes
   (the Stieltjes procedure: recurrence coefficients :math:`\alpha_k, \beta_k` and the
   values :math:`\varphi_k(z_i)`), so that the dual's Hessian, the covariance of the
   :math:`\varphi_k`, is close to the identity whatever K;
2. takes the targets :math:`E[\varphi_k]` from the caller's power moments through the
   same recurrence, in arbitrary precision where double precision would lose digits to
   cancellation (python-flint balls, with enough bits that the radius is negligible);
3. solves the K x K Newton system and backtracks (Armijo) along the step.

On an infinite side the rule's interval follows the density: it reaches further while
the density (weighted by :math:`|z|^K`, for the highest moment) still matters at its
last node, and comes back in when the density lives in a small part of it.  A density
that never decays there, however far the nodes reach, has no maximum-entropy density
(its entropy's supremum is approached by sending a vanishing mass to infinity: Dowson &
Wragg 1973 on the half-line, Junk 2000 on the real line).  The final density is checked
beyond the interval (the sign of the leading coefficient, the critical points of
:math:`Q` and an exp-sinh rule over the tail), so the answer holds on the infinite
support, not on a truncated box.

Quadrature error: the moments and :math:`\log Z` moved when the rule's nodes are
doubled; the rule is doubled (and Newton resumed) until that is below ``tol / 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import flint
import numpy as np
from numpy.polynomial import legendre
from numpy.typing import NDArray
from scipy import special

from ._moment_bases import exact

__all__ = ["Fit", "Standard", "fit_power", "standardise"]

_MAX_STEPS = 400
_MAX_NODES = 1 << 14
_EXPAND = 1.6
_TRUST = 4.0
_DEPTH = 43.0
_MAX_EXPANSIONS = 14


@dataclass(frozen=True)
class Moments:
    """Moments :math:`E[z^j]`, j = 0..K: exact (rationals), rounded, and the sum of the
    absolute values of the terms each was made of (for a rounding bound)."""

    exact: tuple[Any, ...]
    approx: NDArray[np.float64]
    spread: NDArray[np.float64]


@dataclass(frozen=True)
class Standard:
    """The caller's power moments and the standard variable ``z = (x - origin) / scale``."""

    targets: NDArray[np.float64]  # the caller's E[x^k], k = 1..K
    origin: float
    scale: float  # may be negative (a half-line (-inf, b] is reflected)
    lower: float  # support in z
    upper: float
    moments: Moments  # E[z^j], j = 0..K

    @property
    def degree(self) -> int:
        return self.targets.size

    @property
    def infinite(self) -> tuple[bool, bool]:
        return (not math.isfinite(self.lower), not math.isfinite(self.upper))


def standardise(targets: NDArray[np.float64], bounds: tuple[float, float]) -> Standard:
    """The standard variable for ``bounds`` and the exact moments of z."""
    lo, hi = bounds
    if math.isfinite(lo) and math.isfinite(hi):
        origin, scale, zlo, zhi = 0.5 * (lo + hi), 0.5 * (hi - lo), -1.0, 1.0
    elif math.isfinite(lo) or math.isfinite(hi):
        end = lo if math.isfinite(lo) else hi
        origin, scale, zlo, zhi = end, float(targets[0] - end), 0.0, math.inf
    else:
        var = float(targets[1] - targets[0] ** 2) if targets.size > 1 else 1.0
        origin, scale = float(targets[0]), math.sqrt(max(var, 1e-300))
        zlo, zhi = -math.inf, math.inf
    m = [flint.fmpq(1)] + [exact(v) for v in targets]
    o, s = exact(origin), exact(scale)
    out, spread = [], []
    for j in range(targets.size + 1):
        terms = [flint.fmpq(math.comb(j, i)) * m[i] * (-o) ** (j - i) for i in range(j + 1)]
        out.append(sum(terms, flint.fmpq(0)) / s**j)
        spread.append(float(sum((abs(t) for t in terms), flint.fmpq(0)) / abs(s) ** j))
    approx = np.array([float(v) for v in out])
    moments = Moments(tuple(out), approx, np.array(spread))
    return Standard(targets, origin, scale, zlo, zhi, moments)


# -- the orthonormal polynomials of the current density ---------------------------------------
def stieltjes(
    z: NDArray[np.float64], p: NDArray[np.float64], k: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    r"""Recurrence coefficients and values of the orthonormal polynomials of the discrete
    measure ``p`` on ``z``: :math:`b_{k+1}\varphi_{k+1} = (z - \alpha_k)\varphi_k -
    b_k \varphi_{k-1}`, :math:`\varphi_0 = 1`.  Returns ``(alpha (k,), b (k + 1,),
    values (N, k + 1))``, ``b[0] = 1``."""
    n = z.size
    values = np.empty((n, k + 1))
    values[:, 0] = 1.0
    alpha = np.empty(k)
    b = np.empty(k + 1)
    b[0] = 1.0
    prev = np.zeros(n)
    for j in range(k):
        cur = values[:, j]
        pc = p * cur
        alpha[j] = pc @ (z * cur)
        v = (z - alpha[j]) * cur - b[j] * prev
        b[j + 1] = math.sqrt(max(float((p * v) @ v), 1e-300))
        values[:, j + 1] = v / b[j + 1]
        prev = cur
    return alpha, b, values


def basis_targets(
    moments: Moments, alpha: NDArray[np.float64], b: NDArray[np.float64], k: int
) -> NDArray[np.float64]:
    r""":math:`E[\varphi_j]` under the caller's moments, j = 0..k, by the mixed moments
    :math:`\sigma_{j,i} = E[\varphi_j z^i]`; in double precision when its rounding
    bound is negligible, otherwise in ball arithmetic with enough bits."""
    est, bound = _mixed(moments.approx[: k + 1], moments.spread[: k + 1], alpha, b, k)
    if np.max(bound) * 4e-16 * (k + 1) <= 1e-17 * max(1.0, float(np.max(np.abs(est)))):
        return est
    prec = 64 + int(math.ceil(math.log2(max(float(np.max(bound)), 2.0))))
    old = flint.ctx.prec
    try:
        while True:
            flint.ctx.prec = prec
            mu = np.array([flint.arb(v) for v in moments.exact[: k + 1]], dtype=object)
            out = _mixed_exact(mu, alpha, b, k)
            if all(float(v.rad()) <= 1e-19 * max(1.0, abs(float(v.mid()))) for v in out):
                return np.array([float(v.mid()) for v in out])
            prec *= 2
    finally:
        flint.ctx.prec = old


def _mixed(
    mu: NDArray[np.float64],
    spread: NDArray[np.float64],
    alpha: NDArray[np.float64],
    b: NDArray[np.float64],
    k: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The mixed-moment recurrence in double precision, with the same recurrence on
    absolute values (a bound on the rounding, relative to double precision)."""
    out, bound = np.empty(k + 1), np.empty(k + 1)
    sig, prev = mu.copy(), np.zeros(k + 2)
    ab, prev_ab = spread.copy(), np.zeros(k + 2)
    out[0], bound[0] = sig[0], ab[0]
    for j in range(k):
        n = k - j
        new = (sig[1 : n + 1] - alpha[j] * sig[:n] - b[j] * prev[:n]) / b[j + 1]
        new_ab = (ab[1 : n + 1] + abs(alpha[j]) * ab[:n] + b[j] * prev_ab[:n]) / b[j + 1]
        prev, sig, prev_ab, ab = sig, new, ab, new_ab
        out[j + 1], bound[j + 1] = sig[0], ab[0]
    return out, bound


def _mixed_exact(
    mu: NDArray[Any], alpha: NDArray[np.float64], b: NDArray[np.float64], k: int
) -> list[Any]:
    out = [mu[0]]
    sig = mu
    prev = np.array([flint.arb(0)] * (k + 2), dtype=object)
    for j in range(k):
        n = k - j
        new = (sig[1 : n + 1] - float(alpha[j]) * sig[:n] - float(b[j]) * prev[:n]) / float(
            b[j + 1]
        )
        prev, sig = sig, new
        out.append(sig[0])
    return out


# -- rules -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """A Gauss-Legendre rule on ``[lower, upper]`` (in z) and the Legendre polynomials at
    its nodes (``Q`` is kept as Legendre coefficients on this interval)."""

    lower: float
    upper: float
    z: NDArray[np.float64]
    log_w: NDArray[np.float64]
    legendre: NDArray[np.float64]  # (N, K + 1), P_j(u_i)
    project: NDArray[np.float64]  # (N, K + 1): coefficients of f = f(nodes) @ project

    @classmethod
    def build(cls, lower: float, upper: float, n: int, k: int) -> Rule:
        u, w = special.roots_legendre(n)
        half = 0.5 * (upper - lower)
        z = lower + half * (1.0 + u)
        vander = legendre.legvander(u, k)
        project = (vander * w[:, None]) * ((2 * np.arange(k + 1) + 1) / 2.0)
        return cls(lower, upper, z, np.log(w * half), vander, project)

    @property
    def n(self) -> int:
        return self.z.size

    def u(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        return (2.0 * z - self.lower - self.upper) / (self.upper - self.lower)


@dataclass(frozen=True)
class Fit:
    """The density found: ``Q`` as Legendre coefficients on the rule's interval."""

    std: Standard
    rule: Rule
    coefficients: NDArray[np.float64]  # of Q on [rule.lower, rule.upper]
    log_z: float  # log of the integral of e^{-Q} dz on the rule
    log_p: NDArray[np.float64]  # log probability of each node
    moments: NDArray[np.float64]  # the caller's E[x^k]
    residual: float
    quadrature_error: float
    steps: int
    status: str  # "converged", "stalled", "max_iter", "quadrature"
    note: str


@dataclass(frozen=True)
class _Grid:
    """A rule with the caller's powers of x at its nodes."""

    rule: Rule
    powers: NDArray[np.float64]  # (N, K): x_i^k
    size: NDArray[np.float64]  # |x_i|^k

    @classmethod
    def build(cls, std: Standard, lower: float, upper: float, n: int) -> _Grid:
        rule = Rule.build(lower, upper, n, std.degree)
        x = std.origin + std.scale * rule.z
        powers = x[:, None] ** np.arange(1, std.degree + 1)
        return cls(rule, powers, np.abs(powers))


@dataclass(frozen=True)
class _Eval:
    """The density of ``Q`` on a grid: log Z, node probabilities, the caller's moments."""

    log_z: float
    p: NDArray[np.float64]
    log_p: NDArray[np.float64]
    moments: NDArray[np.float64]
    size: NDArray[np.float64]
    residual: float

    @classmethod
    def of(cls, std: Standard, grid: _Grid, coef: NDArray[np.float64]) -> _Eval:
        a = grid.rule.log_w - grid.rule.legendre @ coef
        top = float(np.max(a))
        e = np.exp(a - top)
        total = float(np.sum(e))
        p = e / total
        log_z = math.log(total) + top
        moments = p @ grid.powers
        size = np.maximum(p @ grid.size, 1e-300)
        resid = float(np.max(np.abs(moments - std.targets) / size))
        return cls(log_z, p, a - log_z, moments, size, resid)


def fit_power(std: Standard, tol: float) -> Fit:
    """The density on the infinite support (or the interval): solved on an interval that
    grows until the density has decayed at its ends."""
    depth = math.log(1.0 / tol) + 20.0  # log of the share below which a node is negligible
    lo, hi = _first_interval(std, depth)
    n = _first_nodes(std)
    inf_lo, inf_hi = std.infinite
    for _ in range(_MAX_EXPANSIONS):
        fit = _solve_on(std, _Grid.build(std, lo, hi, n), tol)
        level = _levels(std, fit.rule.z, fit.rule.legendre @ fit.coefficients)
        if _ends(std, level) <= -depth:
            return fit
        lo, hi = lo * _EXPAND if inf_lo else lo, hi * _EXPAND if inf_hi else hi
        n = fit.rule.n
    raise _no_decay(std)


def _solve_on(std: Standard, grid: _Grid, tol: float) -> Fit:
    """On the grid's interval: continuation from the starting density to the caller's
    moments, then Newton to ``tol``, doubling the nodes until the quadrature error is
    below ``tol / 2``."""
    grid, coef, steps = _continuation(std, grid, _start(std, grid))
    while True:
        goal = _Goal(std.moments, None, 1.0)
        coef, used, _ = _newton(std, grid, coef, goal, 0.05 * tol, _MAX_STEPS - steps)
        steps += used
        ev = _Eval.of(std, grid, coef)
        fine = _Grid.build(std, grid.rule.lower, grid.rule.upper, 2 * grid.rule.n)
        fine_ev = _Eval.of(std, fine, coef)
        err = max(
            float(np.max(np.abs(fine_ev.moments - ev.moments) / ev.size)),
            abs(fine_ev.log_z - ev.log_z),
        )
        if err > 0.5 * tol and fine.rule.n <= _MAX_NODES and steps < _MAX_STEPS:
            grid = fine
            continue
        if ev.residual <= tol and err <= 0.5 * tol:
            status = "converged"
        elif steps >= _MAX_STEPS:
            status = "max_iter"
        else:
            status = "quadrature" if err > 0.5 * tol else "stalled"
        return Fit(std, grid.rule, coef, ev.log_z, ev.log_p, ev.moments, ev.residual, err,
                   steps, status, "")


def _continuation(
    std: Standard, grid: _Grid, coef: NDArray[np.float64]
) -> tuple[_Grid, NDArray[np.float64], int]:
    """Solve for moments moved from the starting density's towards the caller's,
    ``(1 - s) E_0 + s E``, in steps of ``s`` that double while Newton converges within
    a few iterations and shrink when it does not (the nodes doubled whenever a solution
    is not resolved by them); returns Q near ``s = 1``."""
    start = coef
    s, ds, steps = 0.0, 1.0, 0
    while s < 1.0 and ds > 1e-6 and steps < _MAX_STEPS:
        trial = min(1.0, s + ds)
        goal = _Goal(std.moments, _Eval.of(std, grid, start).p, trial)
        new, used, ok = _newton(std, grid, coef, goal, None, 8)
        steps += used
        if not ok:
            ds *= 0.25
            continue
        if _resolution(std, grid, new) > 1e-8 and 2 * grid.rule.n <= _MAX_NODES:
            grid = _Grid.build(std, grid.rule.lower, grid.rule.upper, 2 * grid.rule.n)
            continue
        s, coef, ds = trial, new, 2.0 * ds
    return grid, coef, steps


@dataclass(frozen=True)
class _Goal:
    """Targets ``(1 - s) E_0[phi] + s E[phi]``: the starting density's node probabilities
    ``start`` and the caller's moments, at ``s``."""

    moments: Moments
    start: NDArray[np.float64] | None
    s: float

    def targets(
        self,
        alpha: NDArray[np.float64],
        b: NDArray[np.float64],
        values: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        caller = basis_targets(self.moments, alpha, b, values.shape[1] - 1)
        if self.start is None or self.s == 1.0:
            return caller
        return (1.0 - self.s) * (self.start @ values) + self.s * caller


def _resolution(std: Standard, grid: _Grid, coef: NDArray[np.float64]) -> float:
    """How much the caller's moments (relative) and log Z move on twice the nodes."""
    ev = _Eval.of(std, grid, coef)
    fine = _Eval.of(std, _Grid.build(std, grid.rule.lower, grid.rule.upper, 2 * grid.rule.n), coef)
    return max(
        float(np.max(np.abs(fine.moments - ev.moments) / ev.size)), abs(fine.log_z - ev.log_z)
    )


def _newton(
    std: Standard,
    grid: _Grid,
    coef: NDArray[np.float64],
    goal: _Goal,
    residual: float | None,
    max_steps: int,
) -> tuple[NDArray[np.float64], int, bool]:
    """Damped Newton steps until the caller's residual is below ``residual`` (or, with
    None, the squared Newton decrement below 1e-12), no step helps, or ``max_steps``;
    returns ``(Q, steps, whether it got there)``."""
    for used in range(max_steps + 1):
        ev = _Eval.of(std, grid, coef)
        if residual is not None and ev.residual <= residual:
            return coef, used, True
        if used == max_steps:
            break
        delta, decrement = _newton_step(std, grid, ev, coef, goal, _DEPTH)
        if residual is None and decrement <= 1e-8:
            return coef, used, True
        if delta is None:
            return coef, used, residual is not None
        coef = coef + delta
    return coef, max_steps, False


def _drive(
    std: Standard, grid: _Grid, coef: NDArray[np.float64], tol: float, max_steps: int
) -> tuple[_Grid, NDArray[np.float64], int, bool]:
    """Newton towards the caller's moments with the rule following the density: its
    interval brought in to where the density matters and pushed out where it matters
    at an infinite end, its nodes doubled while they do not resolve it."""
    goal = _Goal(std.moments, None, 1.0)
    expansions = 0
    for steps in range(max_steps):
        placed = _place(std, grid, coef)
        if placed is not None:
            if placed[1] - placed[0] > grid.rule.upper - grid.rule.lower:
                expansions += 1
                if expansions > 40:
                    raise _no_decay(std)
            grid, coef = _transfer(std, grid, coef, placed, grid.rule.n)
        if placed is not None or steps % 4 == 0:
            while 2 * grid.rule.n <= _MAX_NODES and _resolution(std, grid, coef) > 1e-9:
                grid = _Grid.build(std, grid.rule.lower, grid.rule.upper, 2 * grid.rule.n)
        ev = _Eval.of(std, grid, coef)
        if ev.residual <= 0.05 * tol:
            return grid, coef, steps, True
        delta, _ = _newton_step(std, grid, ev, coef, goal, _DEPTH)
        if delta is None:
            return grid, coef, steps, False
        coef = coef + delta
    return grid, coef, max_steps, False


def _place(
    std: Standard, grid: _Grid, coef: NDArray[np.float64]
) -> tuple[float, float] | None:
    """A better interval on the infinite sides, or None."""
    inf_lo, inf_hi = std.infinite
    if not (inf_lo or inf_hi):
        return None
    rule = grid.rule
    level = _levels(std, rule.z, rule.legendre @ coef)
    lo, hi = rule.lower, rule.upper
    width = hi - lo
    grow_lo = inf_lo and level[0] > -_DEPTH
    grow_hi = inf_hi and level[-1] > -_DEPTH
    if grow_lo or grow_hi:
        return lo - 0.25 * width * grow_lo, hi + 0.25 * width * grow_hi
    keep = rule.z[level > -_DEPTH]
    a, b = float(keep[0]), float(keep[-1])
    span = max(b - a, 1e-3 * width)
    new_lo = max(lo, a - 0.15 * span) if inf_lo else lo
    new_hi = min(hi, b + 0.15 * span) if inf_hi else hi
    if new_hi - new_lo < 0.75 * width:
        return new_lo, new_hi
    return None


def _transfer(
    std: Standard, grid: _Grid, coef: NDArray[np.float64], interval: tuple[float, float], n: int
) -> tuple[_Grid, NDArray[np.float64]]:
    """The same Q as Legendre coefficients on a new rule."""
    new = _Grid.build(std, interval[0], interval[1], n)
    q = legendre.legval(grid.rule.u(new.rule.z), coef)
    return new, q @ new.rule.project


def _first_nodes(std: Standard) -> int:
    return int(2 ** math.ceil(math.log2(4 * std.degree + 32)))


def _first_interval(std: Standard, depth: float) -> tuple[float, float]:
    """Where the starting density matters, and on infinite sides out to 1.3 times the
    outermost node of the caller's moments' own Gauss rule."""
    if std.infinite == (False, False):
        return -1.0, 1.0
    nodes = gauss_nodes(std)
    if std.infinite == (False, True):
        var = _variance(std)
        hi = (1.0 + math.sqrt(2.0 * depth * var)) if var < 1.0 else depth
        return 0.0, max(hi, 1.3 * float(np.max(nodes)))
    reach = math.sqrt(2.0 * depth)
    return min(-reach, 1.3 * float(np.min(nodes))), max(reach, 1.3 * float(np.max(nodes)))


def _variance(std: Standard) -> float:
    return float(std.moments.approx[2] - std.moments.approx[1] ** 2) if std.degree > 1 else math.inf


def _start(std: Standard, grid: _Grid) -> NDArray[np.float64]:
    """Q of the starting density: a Gaussian with the caller's mean and variance (on an
    interval where it is narrower than uniform, on a half-line where it is narrower than
    the exponential), else uniform or the exponential."""
    z = grid.rule.z
    mean, var = float(std.moments.approx[1]), _variance(std)
    inf_lo, inf_hi = std.infinite
    if inf_lo or var < (1.0 / 3.0 if not inf_hi else 1.0):
        q = (z - mean) ** 2 / (2.0 * var)
    else:
        q = z if inf_hi else 0.0 * z
    return q @ grid.rule.project


def gauss_nodes(std: Standard) -> NDArray[np.float64]:
    r"""Nodes of the Gauss rule of the caller's moments (of z): the eigenvalues of the
    Jacobi matrix from the Chebyshev algorithm, run in ball arithmetic (it loses digits
    exponentially in double precision)."""
    n = (std.degree + 1) // 2
    old = flint.ctx.prec
    prec = 64 + 4 * std.degree
    try:
        while True:
            flint.ctx.prec = prec
            mu = [flint.arb(v) for v in std.moments.exact]
            alpha, beta = _chebyshev_algorithm(mu, n)
            if all(float(v.rad()) <= 1e-12 * max(1.0, abs(float(v.mid()))) for v in alpha + beta):
                break
            prec *= 2
    finally:
        flint.ctx.prec = old
    a = np.array([float(v.mid()) for v in alpha])
    off = np.sqrt(np.maximum([float(v.mid()) for v in beta[1:]], 0.0))
    return np.linalg.eigvalsh(np.diag(a) + np.diag(off, 1) + np.diag(off, -1))


def _chebyshev_algorithm(mu: list[Any], n: int) -> tuple[list[Any], list[Any]]:
    """Recurrence coefficients of the monic orthogonal polynomials from the moments
    ``mu[0..2n-1]`` (Gautschi, *Orthogonal Polynomials*, 2004, Algorithm 2.1)."""
    sig_prev = [flint.arb(0)] * (2 * n)
    sig = list(mu[: 2 * n])
    alpha, beta = [mu[1] / mu[0]], [mu[0]]
    for k in range(1, n):
        new = [flint.arb(0)] * (2 * n)
        for l in range(k, 2 * n - k):
            new[l] = sig[l + 1] - alpha[k - 1] * sig[l] - beta[k - 1] * sig_prev[l]
        alpha.append(new[k + 1] / new[k] - sig[k] / sig[k - 1])
        beta.append(new[k] / sig[k - 1])
        sig_prev, sig = sig, new
    return alpha, beta


def _levels(std: Standard, z: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    """At points ``z`` where ``Q = q``: how much the density (or its share of the
    highest moment) matters, the log of the density or of the density times |z|^K,
    relative to the largest over the points."""
    with np.errstate(invalid="ignore", over="ignore"):
        d = -q
        e = d + std.degree * np.log(np.maximum(np.abs(z), 1.0))
        level = np.maximum(d - np.max(d), e - np.max(e))
    return np.where(np.isnan(level), 0.0, level)


def _ends(std: Standard, level: NDArray[np.float64]) -> float:
    """The largest level at an infinite end (-inf on a bounded support)."""
    inf_lo, inf_hi = std.infinite
    ends = ([level[0]] if inf_lo else []) + ([level[-1]] if inf_hi else [])
    return max(ends, default=-math.inf)


def _newton_step(
    std: Standard, grid: _Grid, ev: _Eval, coef: NDArray[np.float64], goal: _Goal, depth: float
) -> tuple[NDArray[np.float64] | None, float]:
    """A damped Newton step towards ``moments`` as a change of Q's Legendre coefficients
    (None when no step lowers the dual beyond its rounding), and the squared Newton
    decrement."""
    k = std.degree
    p = ev.p
    alpha, b, values = stieltjes(grid.rule.z, p, k)
    target = goal.targets(alpha, b, values)
    phi = values[:, 1:]
    mean = p @ phi
    grad = target[1:] - mean
    centred = phi - mean
    hess = (centred * p[:, None]).T @ centred
    try:
        factor = np.linalg.cholesky(hess)
        step = -np.linalg.solve(factor.T, np.linalg.solve(factor, grad))
    except np.linalg.LinAlgError:
        step = -np.linalg.lstsq(hess, grad, rcond=1e-13)[0]
    s = phi @ step
    slope = float(grad @ step)
    if not slope < -1e-30:
        return None, max(-slope, 0.0)
    gain = float(step @ target[1:])
    level = _levels(std, grid.rule.z, grid.rule.legendre @ coef)
    t = _trust(std, grid, level, s, depth)
    for _ in range(40):
        ts = -t * s
        if np.max(np.abs(ts)) < 0.5:
            change = math.log1p(float(p @ np.expm1(ts))) + t * gain
        else:
            change = float(special.logsumexp(ev.log_p + ts)) + t * gain
        if change <= 1e-4 * t * slope:
            return t * (s @ grid.rule.project), -slope
        if abs(change) <= 1e-15 and -slope * t <= 1e-14:
            break
        t *= 0.5
    return None, -slope


def _trust(
    std: Standard, grid: _Grid, level: NDArray[np.float64], s: NDArray[np.float64], depth: float
) -> float:
    """The largest step ``t <= 1`` that raises the log density by at most ``_TRUST``
    wherever it matters (before or after the step): Newton's model sees the density
    through its own weight, and would otherwise grow spikes where it is negligible."""
    t = 1.0
    for _ in range(60):
        after = level - t * s - np.max(level - t * s)
        matters = (level > -depth) | (after > -depth)
        if np.max(-t * s[matters], initial=0.0) <= _TRUST:
            return t
        t *= 0.5
    return t


def _no_decay(std: Standard) -> Exception:
    from .errors import InfeasibleTargetsError

    return InfeasibleTargetsError(
        "no maximum-entropy density has these moments: the density does not decay towards "
        "infinity (the entropy's supremum is approached by sending a vanishing mass ever "
        "further out, and is not attained)."
    )
