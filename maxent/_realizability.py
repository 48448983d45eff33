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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import linalg

from ._moment_bases import exact

__all__ = ["Localizer", "Violation", "first_violation", "stacked_min_eigenvalues"]

Exponent = tuple[int, ...]
_RESOLVED = 1e-3


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
        for (shift,), c in loc.terms:  # T_e T_s = (T_{e+s} + T_{|e-s|}) / 2
            out.append(((e + shift)[..., None], 0.25 * c))
            out.append((np.abs(e - shift)[..., None], 0.25 * c))
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
