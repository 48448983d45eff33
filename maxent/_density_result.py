r"""DensityResult: a maximum-entropy density that behaves like a frozen scipy.stats law."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from ._checks import as_float_array
from ._dataset import dataset, variable
from ._quadrature import Cumulative, DEMap, gauss_legendre, tensor_rule
from ._summary import summary_repr
from ._units import split_quantity
from .errors import InvalidInputError

__all__ = ["DensityResult", "Model", "frozen", "to_unit"]

Coords = tuple[NDArray[np.float64], ...]
_GRID_1D = 201
_GRID_ND = {2: 81, 3: 25}


@dataclass(frozen=True)
class Model:
    r"""How to evaluate :math:`\log p(x) = \log q(x) - \lambda \cdot \psi(z) - A` with
    :math:`z = (x - \mathrm{shift}) / \mathrm{stretch}` (per problem in a batch).

    ``nodes``/``log_p`` hold the final quadrature rule (flat, in the caller's
    coordinates; ``owner`` names each node's problem in a batch) and the log probability
    of each node: moments, mean, variance and entropy are sums over them.  The
    cumulative tables behind ``cdf`` and ``ppf`` (1-D) are built on first use, in the
    DE variable of ``cdf_map`` (of z in a batch), with panels ``cdf_width`` wide (per
    problem in a batch).
    """

    features: Any  # FeatureMap in z
    multipliers: NDArray[np.float64]  # (K,) or (n, K)
    log_norm: NDArray[np.float64]  # () or (n,), includes log|stretch|
    prior: Callable[..., Any] | None
    bounds: tuple[tuple[float, float], ...]
    shift: NDArray[np.float64]  # () or (n,), 1-D batches only
    stretch: NDArray[np.float64]
    nodes: Coords  # flat, one array per axis
    log_p: NDArray[np.float64]  # flat
    owner: NDArray[np.intp] | None  # flat, batches only
    cdf_map: DEMap | None
    cdf_range: tuple[float, float]
    cdf_width: NDArray[np.float64]  # () or (n,)
    axis_points: tuple[int, ...]  # nodes per axis of the final rule (d-D cdf)
    _tables: dict[float, tuple[NDArray[np.intp], Cumulative]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def batch(self) -> bool:
        return self.multipliers.ndim == 2

    @property
    def reversed(self) -> bool:
        """Whether the table's variable runs against x (a batch on (-inf, b])."""
        return bool(np.all(self.stretch < 0))

    def log_density(self, coords: Coords, index: NDArray[np.intp] | None) -> NDArray[np.float64]:
        """:math:`\\log p` at points (flat arrays, one per axis) of problems ``index``."""
        z = coords
        lam, norm = self.multipliers, self.log_norm
        if index is not None:
            z = ((coords[0] - self.shift[index]) / self.stretch[index],)
            lam, norm = lam[index], norm[index]
        feats = self.features.evaluate(z)
        with np.errstate(over="ignore", invalid="ignore"):
            expo = (
                -np.einsum("...k,...k->...", feats, lam) if index is not None else -(feats @ lam)
            )
        out = expo - norm
        if self.prior is not None:
            with np.errstate(divide="ignore"):
                out = out + np.log(np.asarray(self.prior(*coords), dtype=np.float64))
        inside = np.ones(out.shape, dtype=bool)
        for c, (lo, hi) in zip(coords, self.bounds, strict=True):
            inside &= (c >= lo) & (c <= hi)
        return np.where(inside & ~np.isnan(out), out, -np.inf)

    def node_sum(self, values: NDArray[np.float64]) -> Any:
        """:math:`\\sum_i p_i v_i` over the rule (per problem in a batch)."""
        weighted = np.exp(self.log_p) * values
        if self.owner is None:
            return float(np.sum(weighted))
        return np.bincount(self.owner, weighted, minlength=self.multipliers.shape[0])

    def cdf(self, x: NDArray[np.float64], index: NDArray[np.intp] | None) -> NDArray[np.float64]:
        """The cumulative distribution at points ``x`` (1-D) of problems ``index``."""
        out = np.empty(x.shape)
        lo, hi = self.bounds[0]
        inside = (x > lo) & (x < hi)
        if not np.all(inside):
            out[~inside] = np.where(x[~inside] <= lo, 0.0, 1.0)
            if np.any(inside):
                sub = None if index is None else index[inside]
                out[inside] = self.cdf(x[inside], sub)
            return out
        for sel, rows, table in self._route(index, x.shape):
            z = (
                x[sel]
                if index is None
                else (x[sel] - self.shift[index[sel]]) / self.stretch[index[sel]]
            )
            below = table(z, rows)
            out[sel] = 1.0 - below if self.reversed else below
        return out

    def ppf(self, q: NDArray[np.float64], index: NDArray[np.intp] | None) -> NDArray[np.float64]:
        """Points with cumulative probability ``q`` (0 < q < 1)."""
        out = np.empty(q.shape)
        for sel, rows, table in self._route(index, q.shape):
            z = table.invert(1.0 - q[sel] if self.reversed else q[sel], rows)
            out[sel] = (
                z if index is None else self.shift[index[sel]] + self.stretch[index[sel]] * z
            )
        return out

    def _route(
        self, index: NDArray[np.intp] | None, shape: tuple[int, ...]
    ) -> list[tuple[Any, NDArray[np.intp] | None, Cumulative]]:
        """Which table serves which points: ``(selection, rows in the table, table)``."""
        if index is None:
            return [(slice(None), None, self._table(float(self.cdf_width)))]
        out = []
        widths = self.cdf_width[index]
        for w in np.unique(widths):
            sel = widths == w
            members, table = self._group(float(w))
            rows = np.searchsorted(members, index[sel])
            out.append((sel, rows, table))
        return out

    def _table(self, width: float) -> Cumulative:
        with self._lock:
            if width not in self._tables:
                assert self.cdf_map is not None
                table = Cumulative.build(
                    self.cdf_map, self.cdf_range, width, lambda x, i: self.log_density((x,), None)
                )
                self._tables[width] = (np.zeros(0, dtype=np.intp), table)
            return self._tables[width][1]

    def _group(self, width: float) -> tuple[NDArray[np.intp], Cumulative]:
        """The table of every problem whose panels are ``width`` wide (built once)."""
        with self._lock:
            if width not in self._tables:
                assert self.cdf_map is not None
                members = np.flatnonzero(self.cdf_width == width)

                def log_z(
                    z: NDArray[np.float64], rows: NDArray[np.intp] | None
                ) -> NDArray[np.float64]:
                    assert rows is not None
                    i = members[rows]
                    x = self.shift[i] + self.stretch[i] * z
                    return self.log_density((x,), i) + np.log(np.abs(self.stretch[i]))

                table = Cumulative.build(self.cdf_map, self.cdf_range, width, log_z, members.size)
                self._tables[width] = (members, table)
            return self._tables[width]


@dataclass(frozen=True)
class DensityResult:
    r"""A maximum-entropy density, as returned by :func:`maxent.density`.

    The density is :math:`p(x) = q(x)\, e^{-\log Z - \sum_k \lambda_k \phi_k(x)}` on the
    support, with :math:`\phi_k` the caller's features (powers :math:`x^k`, Chebyshev
    :math:`T_k(u)` or Legendre :math:`P_k(u)` of :math:`u = (2x - a - b)/(b - a)`, or the
    named callables) and :math:`q` the prior (1 without one).  Methods follow
    :mod:`scipy.stats` frozen distributions (``pdf``, ``logpdf``, ``cdf``, ``sf``,
    ``ppf``, ``isf``, ``rvs(size, random_state)``, ``mean()``, ``var()``, ``std()``,
    ``moment(order)``, ``entropy()``, ``median()``, ``interval()``, ``support()``,
    ``expect()``), broadcasting the same way, so code written for scipy takes it as is.

    Attributes
    ----------
    bounds : tuple of (float, float)
        The support, one ``(lower, upper)`` per axis (infinite ends as ``inf``), in the
        unit of ``units``.
    basis : str
        ``"power"``, ``"chebyshev"``, ``"legendre"`` or ``"features"``.
    constraint_names : tuple of str
        One name per constraint (``"x^2"``, ``"T_3"``, ``"x^1 y^2"``, or the caller's).
    targets, moments : ndarray, shape (K,) or (n_problems, K)
        Requested and reached :math:`E[\phi_k]`.
    multipliers : ndarray, shape (K,) or (n_problems, K)
        :math:`\lambda_k`; for power moments the coefficients of the powers (large and
        cancelling for many moments: ``pdf`` works in the well-conditioned basis).
    log_Z : float or ndarray
        The normaliser in the formula above.
    residual : float or ndarray
        :math:`\max_k |E[\phi_k] - b_k| / E|\phi_k|`: relative to the size of each
        feature under the density.
    quadrature_error : float or ndarray
        How much the moments and :math:`\log Z` moved when the quadrature rule was
        refined once more (in the units of ``residual``); kept below ``tol / 2``.
    covariance : ndarray, shape (K, K) or (n_problems, K, K)
        :math:`\mathrm{Cov}_p(\phi_k, \phi_l)`.
    converged : bool or ndarray of bool
        ``residual`` and ``quadrature_error`` below the tolerance.
    status : str or ndarray of str
        ``"converged"``, ``"quadrature"`` (the finest rule allowed did not reach the
        tolerance), ``"max_iter"`` or ``"stalled"`` (the solver stopped first).
    message : str
        The same in words.
    tol : float
        The tolerance asked for.
    n_nodes : int
        Quadrature nodes of the final rule.
    units : tuple of str
        Unit of each coordinate (``"1"`` when the support has none); ``pdf`` is per
        unit of each.

    The arrays are read-only and owned by the result.  In a batch (``targets`` of shape
    ``(n_problems, K)``) every per-problem field has a leading axis of length
    ``n_problems`` and the methods broadcast their arguments against it, as scipy does
    for array parameters.
    """

    bounds: tuple[tuple[float, float], ...]
    basis: str
    constraint_names: tuple[str, ...]
    targets: NDArray[np.float64]
    moments: NDArray[np.float64]
    multipliers: NDArray[np.float64]
    log_Z: Any
    residual: Any
    quadrature_error: Any
    covariance: NDArray[np.float64]
    converged: Any
    status: Any
    message: str
    tol: float
    n_nodes: int
    units: tuple[str, ...]
    model: Model = field(repr=False, compare=False)

    def __repr__(self) -> str:
        return summary_repr(self)

    # -- evaluation ----------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        """Number of coordinates (1, 2 or 3)."""
        return len(self.bounds)

    def logpdf(self, *x: ArrayLike) -> NDArray[np.float64]:
        """Log of the density at ``x`` (one array per coordinate, broadcast together and,
        in a batch, against the problems); ``-inf`` outside the support."""
        coords, index, shape = self._points(x, "x")
        return self.model.log_density(coords, index).reshape(shape)[()]

    def pdf(self, *x: ArrayLike) -> NDArray[np.float64]:
        """The density at ``x`` (per unit of each coordinate); 0 outside the support."""
        with np.errstate(over="ignore"):
            return np.exp(self.logpdf(*x))

    def cdf(self, *x: ArrayLike) -> NDArray[np.float64]:
        r""":math:`P(X \le x)` (in 2-D and 3-D, :math:`P(X \le x, Y \le y, ...)`)."""
        if self.dim > 1:
            return self._box_cdf(x)
        coords, index, shape = self._points(x, "x")
        return self.model.cdf(coords[0], index).reshape(shape)[()]

    def sf(self, *x: ArrayLike) -> NDArray[np.float64]:
        """Survival function ``1 - cdf``."""
        return 1.0 - self.cdf(*x)

    def logcdf(self, *x: ArrayLike) -> NDArray[np.float64]:
        with np.errstate(divide="ignore"):
            return np.log(self.cdf(*x))

    def logsf(self, *x: ArrayLike) -> NDArray[np.float64]:
        with np.errstate(divide="ignore"):
            return np.log(self.sf(*x))

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Quantile function, the inverse of ``cdf`` (1-D); NaN outside [0, 1]."""
        self._one_dimensional("ppf")
        (qq,), index, shape = self._points((q,), "q")
        out = np.full(qq.shape, np.nan)
        lo = np.array(self.bounds[0][0]) if index is None else np.full(qq.shape, self.bounds[0][0])
        hi = np.array(self.bounds[0][1]) if index is None else np.full(qq.shape, self.bounds[0][1])
        out = np.where(qq == 0, lo, out)
        out = np.where(qq == 1, hi, out)
        inner = (qq > 0) & (qq < 1)
        if np.any(inner):
            out[inner] = self.model.ppf(qq[inner], None if index is None else index[inner])
        return out.reshape(shape)[()]

    def isf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Inverse survival function."""
        return self.ppf(1.0 - np.asarray(q, dtype=np.float64))

    def median(self) -> Any:
        return self.ppf(0.5)

    def interval(self, confidence: ArrayLike) -> tuple[Any, Any]:
        """Equal-tailed interval holding probability ``confidence``."""
        c = np.asarray(confidence, dtype=np.float64)
        return self.ppf(0.5 * (1.0 - c)), self.ppf(0.5 * (1.0 + c))

    def rvs(
        self, size: int | tuple[int, ...] | None = None, random_state: Any = None
    ) -> NDArray[np.float64]:
        """Random draws, by inversion of the cdf (1-D) or by rejection from the box (2-D,
        3-D; the last axis holds the coordinates).  ``random_state`` as in scipy: None
        (numpy's global state), an int seed, a ``RandomState`` or a ``Generator``."""
        rng = _random_state(random_state)
        if self.dim > 1:
            return self._rejection(size, rng)
        shape = (
            self.model.log_norm.shape
            if size is None
            else np.broadcast_shapes(
                (size,) if isinstance(size, (int, np.integer)) else tuple(size),
                self.model.log_norm.shape,
            )
        )
        return self.ppf(_uniform(rng, shape))

    # -- moments -------------------------------------------------------------------------------
    def expect(self, func: Callable[..., ArrayLike]) -> Any:
        """:math:`E[f(X)]` over the density (by its quadrature rule)."""
        values = np.broadcast_to(
            np.asarray(func(*self.model.nodes), dtype=np.float64), self.model.log_p.shape
        )
        return self.model.node_sum(values)

    def moment(self, order: int | Sequence[int]) -> Any:
        """Non-central moment :math:`E[x^n]` (in 2-D and 3-D ``order`` is a tuple of
        exponents, one per axis)."""
        exps: tuple[Any, ...] = (order,) if np.ndim(order) == 0 else tuple(order)  # type: ignore[arg-type]
        if len(exps) != self.dim or any(int(e) != e or e < 0 for e in exps):
            want = (
                "a non-negative integer" if self.dim == 1 else f"{self.dim} non-negative integers"
            )
            raise InvalidInputError(f"`order` must be {want}; got {order!r}.")
        powers = [int(e) for e in exps]
        return self.expect(
            lambda *x: np.prod([c**e for c, e in zip(x, powers, strict=True)], axis=0)
        )

    def mean(self) -> Any:
        """:math:`E[X]` (an array of the coordinates' means in 2-D and 3-D)."""
        if self.dim == 1:
            return self.moment(1)
        return np.array([self.expect(lambda *x, i=i: x[i]) for i in range(self.dim)])

    def var(self) -> Any:
        """Variance (per coordinate in 2-D and 3-D)."""
        m = np.asarray(self.mean())
        if self.dim == 1:
            centre = m if self.model.owner is None else m[self.model.owner]
            return self.expect(lambda x: (x - centre) ** 2)
        return np.array([self.expect(lambda *x, i=i: (x[i] - m[i]) ** 2) for i in range(self.dim)])

    def std(self) -> Any:
        return np.sqrt(self.var())

    def stats(self, moments: str = "mv") -> tuple[Any, ...]:
        """Mean (``m``), variance (``v``), skewness (``s``) and excess kurtosis (``k``), as
        :meth:`scipy.stats.rv_frozen.stats` (1-D)."""
        self._one_dimensional("stats")
        mean = np.asarray(self.mean())
        centre = mean if self.model.owner is None else mean[self.model.owner]
        c = [self.expect(lambda x, j=j: (x - centre) ** j) for j in (2, 3, 4)]
        table = {
            "m": mean[()],
            "v": c[0],
            "s": c[1] / np.asarray(c[0]) ** 1.5,
            "k": c[2] / np.asarray(c[0]) ** 2 - 3.0,
        }
        return tuple(table[key] for key in moments)

    def entropy(self) -> Any:
        r"""Differential entropy :math:`-\int p \log p` in nats."""
        p = np.exp(self.model.log_p)
        coords = tuple(np.ravel(c) for c in self.model.nodes)
        index = None if not self.model.batch else np.repeat(np.arange(p.shape[0]), p.shape[1])
        logpdf = self.model.log_density(coords, index).reshape(p.shape)
        return -np.sum(p * np.where(p > 0, logpdf, 0.0), axis=-1)[()]

    def support(self) -> Any:
        """``(lower, upper)`` (1-D), or one such pair per coordinate."""
        return self.bounds[0] if self.dim == 1 else self.bounds

    # -- helpers -------------------------------------------------------------------------------
    def _one_dimensional(self, what: str) -> None:
        if self.dim > 1:
            raise InvalidInputError(
                f"`{what}` is defined for 1-D densities; this one is {self.dim}-D."
            )

    def _points(
        self, args: Sequence[ArrayLike], name: str
    ) -> tuple[Coords, NDArray[np.intp] | None, tuple[int, ...]]:
        """Arguments as flat float arrays (in the support's units), broadcast together
        and against the problems of a batch; ``(coords, index or None, shape)``."""
        want = 1 if name == "q" else self.dim
        if len(args) != want:
            names = ", ".join(_AXES[:want])
            raise InvalidInputError(f"give {want} array(s) of points ({names}); got {len(args)}.")
        units = ("1",) if name == "q" else self.units
        arrays = [
            to_unit(a, u, name if want == 1 else f"{name}[{i}]")
            for i, (a, u) in enumerate(zip(args, units, strict=True))
        ]
        if not self.model.batch:
            b = np.broadcast_arrays(*arrays)
            return tuple(np.ravel(v) for v in b), None, b[0].shape
        n = self.model.multipliers.shape[0]
        b = np.broadcast_arrays(*arrays, np.arange(n))
        return tuple(np.ravel(v) for v in b[:-1]), np.ravel(b[-1]), b[0].shape

    def _box_cdf(self, args: Sequence[ArrayLike]) -> NDArray[np.float64]:
        coords, _, shape = self._points(args, "x")
        n = min(max(self.model.axis_points), 48)
        xi, wi = gauss_legendre(0.0, 1.0, n)
        lows = [lo for lo, _ in self.bounds]
        unit_nodes, unit_w = tensor_rule([(xi, wi)] * self.dim)
        out = np.empty(coords[0].shape)
        chunk = max(1, 200_000 // unit_nodes.shape[0])
        for s in range(0, out.size, chunk):
            pts = [
                np.clip(c[s : s + chunk], lo, hi)
                for c, (lo, hi) in zip(coords, self.bounds, strict=True)
            ]
            width = [p - lo for p, lo in zip(pts, lows, strict=True)]
            nodes = tuple(
                (lo + w[:, None] * unit_nodes[:, i]).ravel()
                for i, (lo, w) in enumerate(zip(lows, width, strict=True))
            )
            logd = self.model.log_density(nodes, None).reshape(len(pts[0]), -1)
            vol = np.prod(width, axis=0)
            out[s : s + chunk] = vol * (np.exp(logd) @ unit_w)
        return np.clip(out, 0.0, 1.0).reshape(shape)[()]

    def _rejection(self, size: int | tuple[int, ...] | None, rng: Any) -> NDArray[np.float64]:
        shape = (
            ()
            if size is None
            else ((size,) if isinstance(size, (int, np.integer)) else tuple(size))
        )
        count = int(np.prod(shape))
        lows = np.array([lo for lo, _ in self.bounds])
        widths = np.array([hi - lo for lo, hi in self.bounds])
        log_top = float(np.max(self.model.log_density(self.model.nodes, None))) + np.log(2.0)
        taken: list[NDArray[np.float64]] = []
        while sum(t.shape[0] for t in taken) < count:
            draw = _uniform(rng, (max(1024, 2 * count), self.dim))
            pts = lows + widths * draw
            logd = self.model.log_density(tuple(pts.T), None)
            if np.any(logd > log_top):  # the envelope was too low: raise it, start again
                log_top = float(np.max(logd)) + np.log(2.0)
                taken = []
                continue
            taken.append(pts[np.log(_uniform(rng, (pts.shape[0],))) < logd - log_top])
        return np.concatenate(taken)[:count].reshape(shape + (self.dim,))

    # -- xarray --------------------------------------------------------------------------------
    def to_xarray(self) -> xr.Dataset:
        """The density as a Dataset: ``pdf`` (and in 1-D ``cdf``) on a grid over the
        support (its central 1 - 2e-7 of probability on infinite supports), the
        multipliers, moments, targets and covariance by ``constraint``; in a batch with a
        leading ``problem`` dimension and ``x`` a 2-D coordinate."""
        grid, coords = self._grid()
        pdf = self.pdf(*grid)
        unit = " ".join(self.units) if any(u != "1" for u in self.units) else "1"
        inv = "1" if unit == "1" else f"1/({'*'.join(u for u in self.units)})"
        lead = ("problem",) if self.model.batch else ()
        dims = lead + tuple(_AXES[: self.dim]) if not self.model.batch else ("problem", "point")
        data: dict[Hashable, Any] = {
            "pdf": variable(dims, pdf, "probability density", inv),
            "multipliers": variable(
                lead + ("constraint",),
                self.multipliers,
                "Lagrange multiplier",
                description="lambda_k, in the inverse units of feature k",
            ),
            "moments": variable(
                lead + ("constraint",),
                self.moments,
                "moment reached",
                description="E[phi_k], in the units of feature k",
            ),
            "targets": variable(
                lead + ("constraint",),
                self.targets,
                "target moment",
                description="b_k, in the units of feature k",
            ),
            "covariance": variable(
                lead + ("constraint", "constraint_"),
                self.covariance,
                "covariance of the features",
                description="Cov_p(phi_k, phi_l)",
            ),
            "log_Z": variable(lead, self.log_Z, "log normaliser", "1"),
            "entropy": variable(lead, self.entropy(), "differential entropy", "nat"),
            "residual": variable(lead, self.residual, "relative moment residual", "1"),
            "quadrature_error": variable(
                lead, self.quadrature_error, "quadrature error estimate", "1"
            ),
        }
        if self.dim == 1:
            data["cdf"] = variable(dims, self.cdf(*grid), "cumulative distribution", "1")
        names = list(self.constraint_names)
        coords["constraint"] = variable("constraint", names, "constraint name")
        coords["constraint_"] = variable("constraint_", names, "constraint name (second index)")
        return dataset(
            data,
            coords,
            title="maximum-entropy density",
            solver="maxent.density (maxent.solve on quadrature nodes)",
            basis=self.basis,
            support_lower=[float(lo) for lo, _ in self.bounds],
            support_upper=[float(hi) for _, hi in self.bounds],
            tol=float(self.tol),
            n_nodes=int(self.n_nodes),
            converged=int(np.all(self.converged)),
            message=self.message,
        )

    def _grid(self) -> tuple[list[NDArray[np.float64]], dict[Hashable, Any]]:
        """Points for ``to_xarray`` and their coordinate variables."""
        if self.dim > 1:
            g = _GRID_ND[self.dim]
            axes = [lo + (hi - lo) * (np.arange(g) + 0.5) / g for lo, hi in self.bounds]
            mesh = np.meshgrid(*axes, indexing="ij")
            coords: dict[Hashable, Any] = {
                name: variable(name, ax, f"coordinate {name}", u)
                for name, ax, u in zip(_AXES, axes, self.units, strict=False)
            }
            return list(mesh), coords
        lo, hi = self.bounds[0]
        if np.isfinite(lo) and np.isfinite(hi) and not self.model.batch:
            x = lo + (hi - lo) * (np.arange(_GRID_1D) + 0.5) / _GRID_1D
            return [x], dict(x=variable("x", x, "coordinate x", self.units[0]))
        ends = (
            self.ppf(np.array([1e-7, 1.0 - 1e-7])[:, None])
            if self.model.batch
            else self.ppf([1e-7, 1 - 1e-7])
        )
        if not self.model.batch:
            x = np.linspace(ends[0], ends[1], _GRID_1D)
            return [x], dict(x=variable("x", x, "coordinate x", self.units[0]))
        frac = np.linspace(0.0, 1.0, _GRID_1D)
        x = ends[0][:, None] + (ends[1] - ends[0])[:, None] * frac
        return [x], dict(x=variable(("problem", "point"), x, "coordinate x", self.units[0]))


_AXES = ("x", "y", "z")


def _random_state(seed: Any) -> Any:
    """scipy's convention: None -> numpy's global RandomState; int -> a new RandomState;
    a RandomState or Generator as is."""
    if seed is None:
        return np.random.mtrand._rand
    if isinstance(seed, (np.random.RandomState, np.random.Generator)):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.RandomState(int(seed))
    raise InvalidInputError(
        f"`random_state` must be None, an int seed, a numpy RandomState or Generator; got "
        f"{type(seed).__name__}."
    )


def _uniform(rng: Any, shape: tuple[int, ...]) -> NDArray[np.float64]:
    if isinstance(rng, np.random.RandomState):
        return rng.random_sample(shape)
    return rng.random(shape)


def to_unit(value: Any, unit: str, name: str) -> NDArray[np.float64]:
    """``value`` as floats in ``unit``: a pint (or astropy) Quantity is converted, a plain
    number is taken to be in ``unit`` already; a quantity that does not convert raises."""
    mag, given = split_quantity(value, name)
    if given is None:
        return as_float_array(value, name)
    import pint

    ureg = pint.get_application_registry()
    try:
        q = ureg.Quantity(np.asarray(mag, dtype=np.float64), given)
        return np.asarray(q.to(unit if unit != "1" else "").magnitude, dtype=np.float64)
    except (pint.errors.PintError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInputError(
            f"`{name}` has unit {given!r}, which does not convert to "
            f"{'a plain number' if unit == '1' else repr(unit)} ({exc})."
        ) from None


def frozen(value: Any) -> Any:
    """A read-only copy of ``value`` as an array (owned by the result, never the caller's)."""
    out = np.array(value)
    out.setflags(write=False)
    return out
