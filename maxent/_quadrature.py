r"""Quadrature rules for densities on intervals, half-lines, the real line and boxes.

Two families of rules, both refined by levels (each level about doubles the nodes):

- Gauss-Legendre on a bounded interval: spectral accuracy for smooth integrands (the
  densities :math:`e^{-\sum_k \lambda_k \phi_k(x)}` with polynomial features and a
  smooth or absent prior); boxes in 2-D and 3-D use its tensor product.
- Double-exponential (DE) rules: the trapezoid rule in a variable :math:`t` after a change
  of variable that sends the ends of the support to :math:`t = \pm\infty` with
  double-exponential decay (Takahasi & Mori 1974):

  ========================  =============================================================
  ``tanh-sinh``  [a, b]     :math:`x = a + (b - a)\,\mathrm{expit}(\pi \sinh t)`
  ``exp-sinh``   [a, inf)   :math:`x = a + L\, e^{\frac{\pi}{2}\sinh t}` (mirrored for
                            :math:`(-\infty, b]`)
  ``sinh-sinh``  (-inf, inf) :math:`x = c + L \sinh(\tfrac{\pi}{2}\sinh t)`
  ========================  =============================================================

  They integrate endpoint singularities of the integrand (:math:`x^{\alpha - 1}` near
  0, :math:`1/\sqrt{1 - x^2}`) and slowly decaying tails as accurately as smooth
  integrands, and halving the step nests the nodes.  The map covers the whole infinite
  support: no box is cut off; nodes far out in a tail are dropped by the caller only
  where the density there is negligible (see :func:`maxent.density`).

The cumulative integrals behind a density's ``cdf`` and ``ppf`` are taken in the DE
variable :math:`t`, on panels of 16-point Gauss-Legendre rules (:class:`Cumulative`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = [
    "Cumulative",
    "DEMap",
    "de_nodes",
    "gauss_legendre",
    "tensor_rule",
]

#: largest argument of the logistic function whose complement is still a normal float
_EXPIT_EDGE = 700.0
#: smallest y = |x - origin| / scale reached on the finite side of a half-line
_TINY_OFFSET = 1e-300
_PANEL_NODES = 16


@functools.lru_cache(maxsize=32)
def _legendre(n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    nodes, weights = special.roots_legendre(n)
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


def gauss_legendre(
    lower: float, upper: float, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The ``n``-point Gauss-Legendre rule on ``[lower, upper]``: nodes and weights."""
    xi, wi = _legendre(n)
    half = 0.5 * (upper - lower)
    return lower + half * (1.0 + xi), half * wi


@dataclass(frozen=True)
class DEMap:
    """A double-exponential change of variable :math:`x(t)` onto one coordinate's support.

    ``kind`` is ``"tanh-sinh"`` (``[lower, upper]`` bounded), ``"exp-sinh"`` (one end
    infinite; ``origin`` is the finite end) or ``"sinh-sinh"`` (the real line, centred
    on ``origin``).  ``scale`` is the length :math:`L` of the infinite maps.
    """

    kind: str
    lower: float
    upper: float
    origin: float
    scale: float

    @classmethod
    def for_support(cls, lower: float, upper: float, origin: float, scale: float) -> DEMap:
        """The map for ``[lower, upper]`` (either end may be infinite)."""
        if np.isfinite(lower) and np.isfinite(upper):
            return cls("tanh-sinh", lower, upper, lower, upper - lower)
        if np.isfinite(lower):
            return cls("exp-sinh", lower, upper, lower, scale)
        if np.isfinite(upper):
            return cls("exp-sinh", lower, upper, upper, -scale)
        return cls("sinh-sinh", lower, upper, origin, scale)

    def x(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """The point :math:`x(t)`, computed from the nearer end where that keeps digits."""
        s = np.sinh(t)
        with np.errstate(over="ignore", under="ignore"):
            if self.kind == "tanh-sinh":
                left = self.lower + self.scale * special.expit(np.pi * s)
                right = self.upper - self.scale * special.expit(-np.pi * s)
                return np.where(t < 0, left, right)
            if self.kind == "exp-sinh":
                return self.origin + self.scale * np.exp(0.5 * np.pi * s)
            return self.origin + self.scale * np.sinh(0.5 * np.pi * s)

    def dxdt(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """The Jacobian :math:`|dx/dt|` (0 where it underflows)."""
        s = np.sinh(t)
        c = np.cosh(t)
        with np.errstate(over="ignore", under="ignore"):
            if self.kind == "tanh-sinh":
                a = np.pi * s
                return self.scale * np.pi * c * special.expit(a) * special.expit(-a)
            if self.kind == "exp-sinh":
                return abs(self.scale) * 0.5 * np.pi * c * np.exp(0.5 * np.pi * s)
            return self.scale * 0.5 * np.pi * c * np.cosh(0.5 * np.pi * s)

    def t(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """The inverse map :math:`t(x)` (``-inf``/``inf`` at the ends of the support)."""
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.kind == "tanh-sinh":
                s = np.log(x - self.lower) - np.log(self.upper - x)
                return np.arcsinh(s / np.pi)
            if self.kind == "exp-sinh":
                return np.arcsinh(np.log((x - self.origin) / self.scale) / (0.5 * np.pi))
            return np.arcsinh(np.arcsinh((x - self.origin) / self.scale) / (0.5 * np.pi))

    def t_range(self, reach: float) -> tuple[float, float]:
        """The ``t`` interval whose nodes are distinct floats inside the support.

        On an infinite side the nodes stop where :math:`|x - \\mathrm{origin}| = L \\cdot`
        ``reach``; on a finite side where the offset from the end underflows.
        """
        if self.kind == "tanh-sinh":
            edge = math.asinh(_EXPIT_EDGE / math.pi)
            return -edge, edge
        far = math.asinh(math.log(reach) / (0.5 * math.pi))
        if self.kind == "exp-sinh":
            return math.asinh(math.log(_TINY_OFFSET) / (0.5 * math.pi)), far
        far = math.asinh(math.asinh(reach) / (0.5 * math.pi))
        return -far, far


def de_nodes(
    dmap: DEMap, step: float, t_lo: float, t_hi: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Trapezoid nodes :math:`t_j = j h` in ``[t_lo, t_hi]``: ``(t, x, weights)``.

    Nodes whose ``x`` rounds onto an end of the support, or whose weight underflows, are
    left out (their share of any integrable density is below the rounding of the rest).
    """
    j = np.arange(math.ceil(t_lo / step), math.floor(t_hi / step) + 1)
    t = j.astype(np.float64) * step
    x = dmap.x(t)
    w = step * dmap.dxdt(t)
    keep = (w > 0) & np.isfinite(w) & np.isfinite(x) & (x > dmap.lower) & (x < dmap.upper)
    return t[keep], x[keep], w[keep]


def tensor_rule(
    axes: list[tuple[NDArray[np.float64], NDArray[np.float64]]],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The tensor product of 1-D rules: nodes of shape ``(n, d)`` and weights ``(n,)``."""
    grids = np.meshgrid(*[x for x, _ in axes], indexing="ij")
    weights = functools.reduce(np.multiply.outer, [w for _, w in axes])
    nodes = np.stack([g.ravel() for g in grids], axis=-1)
    return nodes, np.asarray(weights, dtype=np.float64).ravel()


#: ``log_f(x, index)``: log of the integrand at points ``x`` (m,) of problems ``index``
#: (m,) (None for a single problem)
LogDensity = Callable[[NDArray[np.float64], "NDArray[np.intp] | None"], NDArray[np.float64]]


@dataclass(frozen=True)
class Cumulative:
    r"""Cumulative integrals :math:`\int_{a}^{x} f` of non-negative functions on a DE map.

    The ``t`` range is cut into panels, each integrated by a 16-point Gauss-Legendre rule
    in ``t`` (the map makes endpoint singularities and tails smooth); ``edges`` holds the
    cumulative integral at the panel edges, one row per problem, normalised so that the
    total is 1.  A value between edges is the edge's plus a 16-point rule on the rest.
    """

    dmap: DEMap
    t_edges: NDArray[np.float64]  # (n_panels + 1,)
    edges: NDArray[np.float64]  # (n_problems, n_panels + 1), 0 ... 1
    log_total: NDArray[np.float64]  # (n_problems,) log of the raw total
    log_f: LogDensity

    @classmethod
    def build(
        cls,
        dmap: DEMap,
        t_range: tuple[float, float],
        width: float,
        log_f: LogDensity,
        n_problems: int | None = None,
    ) -> Cumulative:
        """Panels of ``t`` width at most ``width`` over ``t_range``."""
        t_lo, t_hi = t_range
        n = max(1, math.ceil((t_hi - t_lo) / width))
        t_edges = np.linspace(t_lo, t_hi, n + 1)
        rows = 1 if n_problems is None else n_problems
        left = np.tile(t_edges[:-1], rows)
        right = np.tile(t_edges[1:], rows)
        index = None if n_problems is None else np.repeat(np.arange(rows), n)
        log_parts = _log_panel_integrals(dmap, log_f, left, right, index).reshape(rows, n)
        shift = np.max(log_parts, axis=1, keepdims=True)
        parts = np.exp(log_parts - shift)
        total = parts.sum(axis=1, keepdims=True)
        edges = np.concatenate([np.zeros((rows, 1)), np.cumsum(parts, axis=1)], axis=1)
        edges = edges / total
        edges[:, -1] = 1.0
        return cls(dmap, t_edges, edges, (np.log(total) + shift)[:, 0], log_f)

    def __call__(
        self, x: NDArray[np.float64], index: NDArray[np.intp] | None = None
    ) -> NDArray[np.float64]:
        """The normalised cumulative integral at the points ``x`` (1-D) of ``index``."""
        row = np.zeros(x.shape, dtype=np.intp) if index is None else index
        t = np.clip(self.dmap.t(x), self.t_edges[0], self.t_edges[-1])
        k = np.clip(np.searchsorted(self.t_edges, t, side="right") - 1, 0, self.t_edges.size - 2)
        left = self.t_edges[k]
        log_part = _log_panel_integrals(self.dmap, self.log_f, left, t, index)
        part = np.where(t > left, np.exp(log_part - self.log_total[row]), 0.0)
        return np.clip(self.edges[row, k] + part, 0.0, 1.0)

    def invert(
        self, q: NDArray[np.float64], index: NDArray[np.intp] | None = None
    ) -> NDArray[np.float64]:
        """Points ``x`` (1-D) with cumulative integral ``q`` (0 < q < 1).

        The panel comes from the edge table; inside it, safeguarded Newton steps in ``t``
        (bisection whenever a step leaves the bracket) until ``t`` stops changing.
        """
        row = np.zeros(q.shape, dtype=np.intp) if index is None else index
        k = np.empty(q.shape, dtype=np.intp)
        for r in np.unique(row):
            sel = row == r
            k[sel] = np.searchsorted(self.edges[r], q[sel], side="right") - 1
        k = np.clip(k, 0, self.t_edges.size - 2)
        lo, hi = self.t_edges[k].copy(), self.t_edges[k + 1].copy()
        below, above = self.edges[row, k], self.edges[row, k + 1]
        t = lo + np.clip((q - below) / np.maximum(above - below, 1e-300), 0.0, 1.0) * (hi - lo)
        for _ in range(80):
            x = self.dmap.x(t)
            err = self(x, index) - q
            lo, hi = np.where(err < 0, t, lo), np.where(err > 0, t, hi)
            dens = np.exp(self.log_f(x, index) - self.log_total[row]) * self.dmap.dxdt(t)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = t - err / dens
            bad = ~np.isfinite(step) | (step <= lo) | (step >= hi)
            new = np.where(bad, 0.5 * (lo + hi), step)
            done = np.all(np.abs(new - t) <= 4e-16 * np.maximum(1.0, np.abs(t)))
            t = new
            if done:
                break
        return self.dmap.x(t)


def _log_panel_integrals(
    dmap: DEMap,
    log_f: LogDensity,
    t_left: NDArray[np.float64],
    t_right: NDArray[np.float64],
    index: NDArray[np.intp] | None,
) -> NDArray[np.float64]:
    r""":math:`\log \int_{t_l}^{t_r} f(x(t))\, x'(t)\, dt` by 16-point Gauss-Legendre, one
    value per panel (``index`` names each panel's problem)."""
    xi, wi = _legendre(_PANEL_NODES)
    half = 0.5 * (t_right - t_left)
    t = (t_left + half)[:, None] + half[:, None] * xi  # (m, 16)
    x = dmap.x(t)
    rows = None if index is None else np.repeat(index, _PANEL_NODES)
    with np.errstate(divide="ignore"):
        log_jac = np.log(dmap.dxdt(t) * wi) + np.log(np.abs(half))[:, None]
        vals = log_f(x.ravel(), rows).reshape(x.shape)
    vals = np.where((x > dmap.lower) & (x < dmap.upper), vals, -np.inf)
    return special.logsumexp(vals + log_jac, axis=-1)
