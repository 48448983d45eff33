r"""Which moment sequences some density has: Hankel and localizing matrices.

A sequence :math:`m_0 = 1, m_1, \dots, m_K` is the moment sequence of a density on a
set exactly when certain symmetric matrices built from it are positive definite (the
interior of the moment space; on its boundary only finitely many point masses have the
moments):

- Hamburger (real line): the Hankel matrix :math:`[m_{i+j}]`;
- Stieltjes (half-line :math:`y \ge 0`): also :math:`[m_{i+j+1}]` (localized by :math:`y`);
- Hausdorff (:math:`[0, 1]`, and boxes): also the matrices localized by :math:`y`,
  :math:`1 - y` and :math:`y(1 - y)`, per axis in 2-D and 3-D (necessary there, not
  sufficient).

The matrices are factored :math:`L D L^T` one row at a time; pivot :math:`D_r` is
affine in the highest moment it involves, so the first pivot that fails names the first
offending moment and the value it must exceed (or stay below).  Power moments are
factored in exact rational arithmetic; Chebyshev moments (where :math:`T_i T_j =
\tfrac12(T_{i+j} + T_{|i-j|})` keeps the matrices well conditioned) in double precision.

Moments are only known to a tolerance, so a pivot is judged against how much the
moments within that tolerance can move it (to first order, :math:`\partial D_r /
\partial m = ` the coefficients of :math:`\pi_r^2 \ell`, with :math:`\pi_r` the monic
orthogonal polynomial and :math:`\ell` the localizer): a pivot below that is infeasible
(or on the boundary) if the tolerance resolves it (the spread is below a thousandth of
the size the pivot would have if the sequence went on as its lower pivots began, scaled
by a reference density's), and undecided otherwise; the solver decides those.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import flint
import numpy as np
from numpy.typing import NDArray
from scipy import linalg

from ._density_input import Spec, one_problem, standard_axes, typical_sizes
from ._moment_bases import Basis, ExactMap, exact, standard_moments
from .errors import InfeasibleTargetsError

__all__ = [
    "Localizer",
    "Violation",
    "check_batch",
    "check_targets",
    "first_violation",
    "stacked_min_eigenvalues",
]

Exponent = tuple[int, ...]
_RESOLVED = 1e-3
_AXES = ("x", "y", "z")


@dataclass(frozen=True)
class Localizer:
    """A polynomial :math:`\\ell \\ge 0` on the support, as ``[(exponent, coefficient)]``
    in the algebra's basis (powers of y, or Chebyshev polynomials of u)."""

    name: str
    terms: tuple[tuple[Exponent, float], ...]

    @property
    def degree(self) -> Exponent:
        dims = len(self.terms[0][0])
        return tuple(max(e[i] for e, _ in self.terms) for i in range(dims))


@dataclass(frozen=True)
class Violation:
    """The first pivot that fails: its highest moment and how to read the bound."""

    exponent: Exponent  # the highest moment the pivot involves
    pivot: float  # D_r (<= its spread)
    slope: float  # dD_r / dm_exponent
    localizer: str


def _rows(dim: int, degree: int) -> NDArray[np.int64]:
    """Monomial exponents of total degree <= ``degree``, graded: shape (n, dim)."""
    rows = [e for e in itertools.product(range(degree + 1), repeat=dim) if sum(e) <= degree]
    rows.sort(key=lambda e: (sum(e), tuple(-i for i in e)))
    return np.array(rows, dtype=np.int64).reshape(len(rows), dim)


def _terms(algebra: str, rows: NDArray[np.int64], loc: Localizer) -> list[tuple[Any, float]]:
    """The matrix ``E[l(x) f_i(x) f_j(x)]`` as terms ``(exponents (n, n, dim), weight)``:
    entry (i, j) is the sum over terms of weight * moment[exponents[i, j]]."""
    out: list[tuple[Any, float]] = []
    if algebra == "power":
        pair = rows[:, None, :] + rows[None, :, :]
        for shift, c in loc.terms:
            out.append((pair + np.array(shift), c))
        return out
    i, j = rows[:, 0][:, None], rows[:, 0][None, :]
    for e in (i + j, np.abs(i - j)):  # T_i T_j = (T_{i+j} + T_{|i-j|}) / 2
        for term, c in loc.terms:  # T_e T_s = (T_{e+s} + T_{|e-s|}) / 2
            out.append(((e + term[0])[..., None], 0.25 * c))
            out.append((np.abs(e - term[0])[..., None], 0.25 * c))
    return out


def first_violation(
    moments: dict[Exponent, Any],
    spread: dict[Exponent, float],
    reference: dict[Exponent, Any],
    localizers: Sequence[Localizer],
    algebra: str,
    max_degree: int,
) -> Violation | None:
    """The first failing pivot, in order of the highest moment involved, or None.

    ``moments`` maps every exponent of total degree <= ``max_degree`` (the constant
    included) to its value (float, or ``fmpq`` for exact arithmetic); ``spread`` to how
    far it may be off; ``reference`` to a reference density's moments.  ``algebra`` is
    ``"power"`` (moments of monomials, any dimension) or ``"chebyshev"`` (1-D moments of
    Chebyshev polynomials).
    """
    dim = len(next(iter(moments)))
    book = _Book(moments, spread, reference)
    found: list[tuple[tuple[int, int], Violation]] = []
    for order, loc in enumerate(localizers):
        n = (max_degree - sum(loc.degree)) // 2
        if n < 0:
            continue
        rows = _rows(dim, n)
        hit = _scan(_terms(algebra, rows, loc), book, rows, loc)
        if hit is not None:
            found.append(((sum(hit.exponent), order), hit))
    return min(found, key=lambda f: f[0])[1] if found else None


class _Book:
    """Moments, spreads and reference moments as arrays indexed by exponent code."""

    def __init__(
        self,
        moments: dict[Exponent, Any],
        spread: dict[Exponent, float],
        reference: dict[Exponent, Any],
    ):
        exps = list(moments)
        self.dim = len(exps[0])
        self.base = max(max(e) for e in exps) + 1
        self.exact = not isinstance(next(iter(moments.values())), (float, np.floating))
        size = self.base**self.dim
        self.values = np.zeros(size, dtype=object if self.exact else np.float64)
        if self.exact:
            self.values[:] = exact(0.0)
        self.spread = np.zeros(size)
        self.reference = np.zeros(size)
        for e in exps:
            c = self.code(np.array(e))
            self.values[c] = moments[e]
            self.spread[c] = spread[e]
            self.reference[c] = float(reference[e])

    def code(self, exps: NDArray[np.int64]) -> Any:
        """Position of each exponent (last axis) in the arrays."""
        return np.ravel_multi_index(tuple(np.moveaxis(exps, -1, 0)), (self.base,) * self.dim)

    def matrix(self, terms: list[tuple[Any, float]], which: str) -> NDArray[Any]:
        table = {"values": self.values, "spread": self.spread, "reference": self.reference}[which]
        out = None
        for exps, w in terms:
            weight: Any = abs(w) if which == "spread" else w
            if which == "values" and self.exact:
                weight = exact(w)
            part = table[self.code(exps)] * weight
            out = part if out is None else out + part
        assert out is not None
        return out


def _scan(
    terms: list[tuple[Any, float]], book: _Book, rows: NDArray[np.int64], loc: Localizer
) -> Violation | None:
    pivots, inverse = _pivots(book.matrix(terms, "values"))
    ref = _pivots(book.matrix(terms, "reference"))[0]
    noise = book.matrix(terms, "spread")
    top_shift = np.array(max(loc.terms, key=lambda t: sum(t[0]))[0])
    for r, d in enumerate(pivots):
        v = np.array([float(x) for x in inverse[r, : r + 1]])
        wobble = float(np.abs(v) @ noise[: r + 1, : r + 1] @ np.abs(v))
        if float(d) > wobble:
            continue
        if r >= len(ref):
            return None
        # the size this pivot would have if the sequence went on as it began: the last
        # pivot times the reference density's growth from there
        expected = ref[0] if r == 0 else float(pivots[r - 1]) * ref[r] / ref[r - 1]
        if not wobble <= _RESOLVED * expected:
            return None  # undecided at this tolerance: leave it to the solver
        top = 2 * rows[r] + top_shift
        code = book.code(top)
        vv = np.outer(v, v)
        slope = sum(
            float(np.sum(vv[book.code(e[: r + 1, : r + 1]) == code])) * w for e, w in terms
        )
        return Violation(tuple(int(i) for i in top), float(d), slope, loc.name)
    return None


def _pivots(mat: NDArray[Any]) -> tuple[list[Any], NDArray[Any]]:
    """``LDL^T`` pivots of ``mat`` row by row, and the rows of ``L^{-1}`` (the monic
    orthogonal polynomials' coefficients); stops after the first pivot <= 0."""
    n = mat.shape[0]
    exact = mat.dtype == object
    lower = np.zeros_like(mat)
    inverse = np.zeros_like(mat)
    pivots: list[Any] = []
    for r in range(n):
        if r:
            y = _forward(lower[:r, :r], mat[r, :r], exact)  # L y = m_r, y = D l_r
            lrow = y / np.array(pivots, dtype=mat.dtype)
            lower[r, :r] = lrow
            d = mat[r, r] - np.dot(lrow, y)
            inverse[r, :] = -(lrow @ inverse[:r, :])
        else:
            d = mat[0, 0]
        lower[r, r] = 1
        inverse[r, r] = 1
        pivots.append(d)
        if not d > 0:
            break
    return pivots, inverse


def _forward(lower: NDArray[Any], rhs: NDArray[Any], exact: bool) -> NDArray[Any]:
    if not exact:
        return linalg.solve_triangular(
            lower.astype(np.float64), rhs.astype(np.float64), lower=True, unit_diagonal=True
        )
    out = rhs.copy()
    for i in range(out.shape[0]):
        out[i] = rhs[i] - np.dot(lower[i, :i], out[:i]) if i else rhs[i]
    return out


def stacked_min_eigenvalues(
    moments: NDArray[np.float64],
    reference: NDArray[np.float64],
    localizers: Sequence[Localizer],
    algebra: str,
) -> NDArray[np.float64]:
    """For many 1-D moment sequences at once (rows of ``moments``, index = degree): the
    smallest eigenvalue, over the localizers, of each Hankel or Gram matrix after scaling
    by the reference density's diagonal; <= 0 marks a sequence to check exactly."""
    n, size = moments.shape
    lowest = np.full(n, np.inf)
    for loc in localizers:
        m = (size - 1 - sum(loc.degree)) // 2
        if m < 0:
            continue
        rows = _rows(1, m)
        mat = np.zeros((n, m + 1, m + 1))
        ref = np.zeros((m + 1, m + 1))
        for exps, w in _terms(algebra, rows, loc):
            mat += w * moments[:, exps[..., 0]]
            ref += w * reference[exps[..., 0]]
        d = 1.0 / np.sqrt(np.abs(np.diag(ref)))
        with np.errstate(invalid="ignore"):
            eig = np.linalg.eigvalsh(mat * d[:, None] * d[None, :])[:, 0]
        lowest = np.minimum(lowest, np.where(np.isfinite(eig), eig, -np.inf))
    return lowest


# -- the caller's moments ------------------------------------------------------------------------
def check_targets(spec: Spec, bounds: tuple[tuple[float, float], ...], tol: float) -> None:
    """Raise InfeasibleTargetsError naming the first moment that no density can have."""
    if spec.kind == "power":
        _check_power(spec, bounds, tol)
    else:
        _check_orthogonal(spec, bounds, tol)


def _check_power(spec: Spec, bounds: tuple[tuple[float, float], ...], tol: float) -> None:
    dim = len(bounds)
    order = max(sum(e) for e in spec.exponents)
    complete = len(spec.exponents) == math.comb(order + dim, dim) - 1
    if not complete:
        return  # the moment matrices need every moment up to a total order
    axes = standard_axes(spec, bounds)
    std = Basis(
        ("power",) * dim,
        tuple(o for _, o, _ in axes),
        tuple(s for _, _, s in axes),
        spec.exponents,
    )
    emap = ExactMap.build(std, spec.exponents)
    moments = emap.apply([exact(v) for v in spec.targets])
    spread = emap.noise(tol * typical_sizes(spec, bounds))
    zero = (0,) * dim
    kinds = {k for k, _, _ in axes}
    ref = {zero: 1.0, **{e: _reference_moment(axes, e) for e in spec.exponents}}
    found = first_violation(
        {zero: flint.fmpq(1), **dict(zip(spec.exponents, moments, strict=True))},
        {zero: 0.0, **dict(zip(spec.exponents, spread.tolist(), strict=True))},
        ref,
        _power_localizers(dim, kinds),
        "power",
        order,
    )
    if found is None:
        return
    k = spec.exponents.index(found.exponent)
    slope = found.slope * math.prod(
        (1.0 / s) ** e for (_, _, s), e in zip(axes, found.exponent, strict=True)
    )
    raise _infeasible(spec, bounds, k, spec.targets[k] - found.pivot / slope, slope, found.pivot)


def _reference_moment(axes: Sequence[tuple[str, float, float]], e: Exponent) -> float:
    """Moments of the reference densities: uniform on [0, 1], Exp(1), N(0, 1)."""
    out = 1.0
    for (kind, _, _), k in zip(axes, e, strict=True):
        if kind == "hausdorff":
            out *= 1.0 / (k + 1)
        elif kind == "stieltjes":
            out *= float(math.factorial(k))
        else:
            out *= 0.0 if k % 2 else float(math.prod(range(k - 1, 0, -2)))
    return out


def _power_localizers(dim: int, kinds: set[str]) -> list[Localizer]:
    zero = (0,) * dim
    locs = [Localizer("", ((zero, 1.0),))]
    for i in range(dim):
        e1 = tuple(1 if j == i else 0 for j in range(dim))
        e2 = tuple(2 if j == i else 0 for j in range(dim))
        if kinds & {"hausdorff", "stieltjes"}:
            locs.append(Localizer(f"{_AXES[i]}", ((e1, 1.0),)))
        if "hausdorff" in kinds:
            locs.append(Localizer(f"1 - {_AXES[i]}", ((zero, 1.0), (e1, -1.0))))
            locs.append(Localizer(f"{_AXES[i]}(1 - {_AXES[i]})", ((e1, 1.0), (e2, -1.0))))
    return locs


def _check_orthogonal(spec: Spec, bounds: tuple[tuple[float, float], ...], tol: float) -> None:
    """Chebyshev / Legendre moments: Gram matrices of Chebyshev polynomials."""
    k = spec.targets.size
    if spec.kind == "chebyshev":
        cheb = np.concatenate([[1.0], spec.targets])
        spread = np.concatenate([[0.0], np.full(k, tol)])
        diag = np.ones(k + 1)
    else:
        conv = _legendre_to_chebyshev(k)
        cheb = conv @ np.concatenate([[1.0], spec.targets])
        spread = np.abs(conv[:, 1:]) @ np.full(k, tol)
        diag = np.diag(conv)
    ref: dict[Exponent, Any] = {
        (j,): (0.0 if j % 2 else 1.0 / (1.0 - j * j)) for j in range(k + 1)
    }
    locs = _chebyshev_localizers()
    found = first_violation(
        {(j,): float(c) for j, c in enumerate(cheb)},
        {(j,): float(s) for j, s in enumerate(spread)},
        ref,
        locs,
        "chebyshev",
        k,
    )
    if found is None:
        return
    j = found.exponent[0]
    slope = found.slope * diag[j]
    raise _infeasible(
        spec, bounds, j - 1, spec.targets[j - 1] - found.pivot / slope, slope, found.pivot
    )


def _chebyshev_localizers() -> list[Localizer]:
    """1, 1 + u, 1 - u and 1 - u^2 in the Chebyshev basis (u in [-1, 1])."""
    return [
        Localizer("", (((0,), 1.0),)),
        Localizer("1 + u", (((0,), 1.0), ((1,), 1.0))),
        Localizer("1 - u", (((0,), 1.0), ((1,), -1.0))),
        Localizer("1 - u^2", (((0,), 0.5), ((2,), -0.5))),
    ]


def _legendre_to_chebyshev(k: int) -> NDArray[np.float64]:
    """``A`` with :math:`E[T_j] = \\sum_i A_{ji} E[P_i]` (i, j <= k), by Gauss-Legendre
    quadrature of :math:`T_j P_i` (exact for these degrees)."""
    from numpy.polynomial import chebyshev, legendre

    x, w = np.polynomial.legendre.leggauss(k + 2)
    t = chebyshev.chebvander(x, k)
    p = legendre.legvander(x, k)
    return (t.T * w) @ p * ((2 * np.arange(k + 1) + 1) / 2.0)


def _infeasible(
    spec: Spec,
    bounds: tuple[tuple[float, float], ...],
    k: int,
    bound: float,
    slope: float,
    pivot: float,
) -> InfeasibleTargetsError:
    what = f"E[{spec.names[k]}]" if spec.kind == "power" else f"E[{spec.names[k]}(u)]"
    where = f"targets[{k}]" if len(bounds) == 1 else f"targets[{spec.exponents[k]}]"
    side = ">" if slope > 0 else "<"
    region = " x ".join(f"[{lo:g}, {hi:g}]" for lo, hi in bounds)
    if pivot < 0:
        why = "the moment sequence fails a Hankel (moment-matrix) condition"
    else:
        why = (
            "the sequence lies on the boundary of the moment space (within the tolerance), "
            "where only finitely many point masses have these moments"
        )
    return InfeasibleTargetsError(
        f"`{where}` ({what}) = {spec.targets[k]:.10g}: no density on {region} has these "
        f"moments ({why}); with the lower moments as given, {what} must be {side} "
        f"{bound:.10g}."
    )


def check_batch(spec: Spec, bounds: tuple[tuple[float, float], ...], tol: float) -> None:
    """Screen every problem in double precision; check the suspicious ones exactly and
    raise for the first that no density can have, naming the problem."""
    targets = spec.targets
    k = targets.shape[1]
    if spec.kind == "power":
        lo, hi = bounds[0]
        finite = int(np.isfinite(lo)) + int(np.isfinite(hi))
        kind = ("hamburger", "stieltjes", "hausdorff")[finite]
        origin, scale = _batch_standard(targets, bounds[0], kind)
        moments = standard_moments(targets, origin, scale)
        reference = np.array([_reference_moment([(kind, 0.0, 1.0)], (j,)) for j in range(k + 1)])
        locs = _power_localizers(1, {kind})
        algebra = "power"
    else:
        conv = np.eye(k + 1) if spec.kind == "chebyshev" else _legendre_to_chebyshev(k)
        moments = np.concatenate([np.ones((targets.shape[0], 1)), targets], axis=1) @ conv.T
        reference = np.array([0.0 if j % 2 else 1.0 / (1.0 - j * j) for j in range(k + 1)])
        locs = _chebyshev_localizers()
        algebra = "chebyshev"
    lowest = stacked_min_eigenvalues(moments, reference, locs, algebra)
    for i in np.flatnonzero(~(lowest > 1e-6))[:64]:
        try:
            check_targets(one_problem(spec, targets[i]), bounds, tol)
        except InfeasibleTargetsError as exc:
            raise InfeasibleTargetsError(f"problem {i}: {exc}") from None


def _batch_standard(
    targets: NDArray[np.float64], bounds: tuple[float, float], kind: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-problem origin and scale of the standard variable used for screening."""
    lo, hi = bounds
    n = targets.shape[0]
    mean = targets[:, 0]
    if kind == "hausdorff":
        return np.full(n, lo), np.full(n, hi - lo)
    if kind == "stieltjes":
        end = lo if np.isfinite(lo) else hi
        scale = np.where((mean - end) * (1 if np.isfinite(lo) else -1) > 0, mean - end, 1.0)
        return np.full(n, end), scale
    var = targets[:, 1] - mean**2
    return mean, np.sqrt(np.where(var > 0, var, 1.0))
