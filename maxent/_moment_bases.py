r"""Polynomial bases for moment constraints, and exact changes of basis between them.

Raw power moments :math:`E[x^k]` make a badly conditioned dual problem (the Hessian is a
Hankel matrix, condition number :math:`\sim 10^{16}` by 12-16 moments on [0, 1]).  The
solver works instead with polynomials that are nearly orthogonal under the densities it
meets, in a variable :math:`z = (x - o)/s` that puts the support in a standard place:

=============  ============  ==========================================================
support        variable      family
=============  ============  ==========================================================
[a, b]         z in [-1, 1]  Chebyshev :math:`T_k` (or Legendre :math:`P_k`)
[a, inf)       z >= 0        Laguerre :math:`L_k` (orthonormal under :math:`e^{-z}`)
(-inf, inf)    z real        Hermite :math:`He_k / 2^{r_k}` with :math:`2^{r_k}\approx
                             \sqrt{k!}` (nearly orthonormal under :math:`e^{-z^2/2}`)
=============  ============  ==========================================================

In 2-D and 3-D the features are products over the axes, one factor per exponent.  The
change of basis from power moments is exact: the targets, ``o`` and ``s`` are binary
fractions, the families have rational coefficients, and the products are taken with
python-flint's exact rationals (``fmpq``), so no digit of the caller's moments is lost
before the solver sees them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import flint
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FAMILIES",
    "Basis",
    "ExactMap",
    "evaluate_family",
    "exact",
    "family_coefficients",
    "noise_directions",
    "standard_moments",
    "starting_multipliers",
]

FAMILIES = ("power", "chebyshev", "legendre", "laguerre", "hermite")
Exponent = tuple[int, ...]


def exact(value: float) -> flint.fmpq:
    """The float ``value`` as the exact rational it is."""
    num, den = float(value).as_integer_ratio()
    return flint.fmpq(num, den)


def _hermite_shift(k: int) -> int:
    """:math:`r_k` with :math:`2^{r_k}` the power of two nearest :math:`\\sqrt{k!}`."""
    return round(0.5 * math.lgamma(k + 1) / math.log(2.0))


@functools.lru_cache(maxsize=64)
def _coefficients(family: str, degree: int) -> tuple[tuple[flint.fmpq, ...], ...]:
    """Exact coefficients: row k holds :math:`\\psi_k(z) = \\sum_j c_{kj} z^j`, j <= k."""
    zero, one = flint.fmpq(0), flint.fmpq(1)
    rows: list[list[flint.fmpq]] = [[one]]
    if degree >= 1:
        rows.append([one, -one] if family == "laguerre" else [zero, one])
    for k in range(1, degree):
        prev, cur = rows[k - 1] + [zero, zero], rows[k] + [zero]
        shifted = [zero, *cur[:-1]]  # z * psi_k
        if family == "power":
            new = shifted
        elif family == "chebyshev":
            new = [2 * s - p for s, p in zip(shifted, prev, strict=False)]
        elif family == "legendre":
            new = [
                ((2 * k + 1) * s - k * p) / (k + 1) for s, p in zip(shifted, prev, strict=False)
            ]
        elif family == "laguerre":
            new = [
                ((2 * k + 1) * c - s - k * p) / (k + 1)
                for c, s, p in zip(cur, shifted, prev, strict=False)
            ]
        else:  # probabilists' Hermite, He_{k+1} = z He_k - k He_{k-1}
            new = [s - k * p for s, p in zip(shifted, prev, strict=False)]
        rows.append(new[: k + 2])
    if family == "hermite":
        rows = [
            [c / flint.fmpq(2) ** _hermite_shift(k) for c in row] for k, row in enumerate(rows)
        ]
    return tuple(tuple(row) for row in rows)


def family_coefficients(family: str, degree: int) -> NDArray[np.float64]:
    """Row k: the coefficients of :math:`\\psi_k(z)` in powers of z (rounded to floats)."""
    out = np.zeros((degree + 1, degree + 1))
    for k, row in enumerate(_coefficients(family, degree)):
        out[k, : len(row)] = [float(c) for c in row]
    return out


def starting_multipliers(
    family: str, mean: NDArray[np.float64], var: NDArray[np.float64], k: int
) -> NDArray[np.float64]:
    r"""A start for Newton in ``family``'s basis, one row per problem: the Gaussian with the
    standard variable's mean and variance, :math:`(z - m)^2 / 2v` written in the basis,
    where it is narrower than the reference (uniform on [-1, 1], :math:`e^{-z}` on the
    half-line); else the reference (zeros; :math:`\lambda_1 = -1` for Laguerre)."""
    mean, var = np.broadcast_arrays(np.asarray(mean, float), np.asarray(var, float))
    out = np.zeros(mean.shape + (k,))
    if family == "laguerre":
        out[..., 0] = -1.0
    if k < 2:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        if family == "hermite":  # z standardised: e^{-z^2/2}, He_2 = z^2 - 1
            out[..., 1] = 0.5 * 2.0 ** _hermite_shift(2)
            return out
        if family == "laguerre":  # mean 1: (y - 1)^2 / 2v = (2 L_2 - 2 L_1 + 1) / 2v
            narrow = (var > 0) & (var < 1.0)
            out[..., 0] = np.where(narrow, -1.0 / var, -1.0)
            out[..., 1] = np.where(narrow, 1.0 / var, 0.0)
            return out
        narrow = (var > 0) & (var < 1.0 / 3.0)  # u in [-1, 1]: u^2 = (T_2 + 1)/2 = (2 P_2 + 1)/3
        out[..., 0] = np.where(narrow, -mean / var, 0.0)
        out[..., 1] = np.where(narrow, (0.25 if family == "chebyshev" else 1 / 3) / var, 0.0)
    return out


def evaluate_family(family: str, z: NDArray[np.float64], degree: int) -> NDArray[np.float64]:
    """:math:`\\psi_0(z), \\dots, \\psi_{degree}(z)` by the three-term recurrence, shape
    ``z.shape + (degree + 1,)``."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty(z.shape + (degree + 1,))
    out[..., 0] = 1.0
    if degree >= 1:
        out[..., 1] = 1.0 - z if family == "laguerre" else z
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, degree):
            prev, cur = out[..., k - 1], out[..., k]
            if family == "power":
                out[..., k + 1] = z * cur
            elif family == "chebyshev":
                out[..., k + 1] = 2.0 * z * cur - prev
            elif family == "legendre":
                out[..., k + 1] = ((2 * k + 1) * z * cur - k * prev) / (k + 1)
            elif family == "laguerre":
                out[..., k + 1] = ((2 * k + 1 - z) * cur - k * prev) / (k + 1)
            else:  # normalised Hermite: ratios of powers of two keep it exact in scale
                r0, r1, r2 = (_hermite_shift(i) for i in (k - 1, k, k + 1))
                out[..., k + 1] = z * cur * 2.0 ** (r1 - r2) - k * prev * 2.0 ** (r0 - r2)
    return out


@dataclass(frozen=True)
class Basis:
    r"""Features :math:`\psi_\alpha(x) = \prod_i P^{(i)}_{\alpha_i}((x_i - o_i)/s_i)`.

    One family, origin and scale per axis; ``exponents`` lists the multi-indices
    :math:`\alpha` (one feature each, never the constant).
    """

    families: tuple[str, ...]
    origins: tuple[float, ...]
    scales: tuple[float, ...]
    exponents: tuple[Exponent, ...]

    @property
    def dim(self) -> int:
        return len(self.families)

    def evaluate(self, coords: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
        """Feature values at points given one array per axis (broadcast together):
        shape ``broadcast shape + (n_features,)``."""
        arrays = np.broadcast_arrays(*[np.asarray(c, dtype=np.float64) for c in coords])
        out = np.ones(arrays[0].shape + (len(self.exponents),))
        for i, (fam, o, s) in enumerate(
            zip(self.families, self.origins, self.scales, strict=True)
        ):
            degrees = np.array([e[i] for e in self.exponents])
            if not np.any(degrees):
                continue
            table = evaluate_family(fam, (arrays[i] - o) / s, int(degrees.max()))
            with np.errstate(over="ignore", invalid="ignore"):
                out *= table[..., degrees]
        return out


@dataclass(frozen=True)
class ExactMap:
    r"""The exact linear map from power moments to the moments of a :class:`Basis`.

    ``matrix[a][b]`` is the coefficient of :math:`x^{\beta_b}` in :math:`\psi_{\alpha_a}`,
    with rows for the basis exponents and columns for ``columns`` (the constant first,
    then the power exponents, in the caller's order).
    """

    matrix: flint.fmpq_mat  # (K, K + 1)
    columns: tuple[Exponent, ...]

    @classmethod
    def build(cls, basis: Basis, powers: Sequence[Exponent]) -> ExactMap:
        """The map for ``basis``; ``powers`` must hold every exponent below each row's
        (componentwise), as total-order sets do."""
        columns = ((0,) * basis.dim, *powers)
        where = {e: j for j, e in enumerate(columns)}
        axis_rows = [
            _axis_polynomials(f, o, s, max(e[i] for e in basis.exponents))
            for i, (f, o, s) in enumerate(
                zip(basis.families, basis.origins, basis.scales, strict=True)
            )
        ]
        mat = flint.fmpq_mat(len(basis.exponents), len(columns))
        for a, alpha in enumerate(basis.exponents):
            for beta in np.ndindex(*[k + 1 for k in alpha]):
                coef = math.prod(
                    (axis_rows[i][alpha[i]][beta[i]] for i in range(basis.dim)),
                    start=flint.fmpq(1),
                )
                if coef != 0:
                    mat[a, where[tuple(beta)]] += coef
        return cls(mat, columns)

    def apply(self, moments: Sequence[flint.fmpq]) -> list[flint.fmpq]:
        """Exact basis moments from exact power moments (``moments`` without the 1)."""
        vec = flint.fmpq_mat(len(self.columns), 1, [flint.fmpq(1), *moments])
        out = self.matrix * vec
        return [out[a, 0] for a in range(out.nrows())]

    def noise(self, deltas: NDArray[np.float64]) -> NDArray[np.float64]:
        r"""First-order bound on each basis moment's change when power moment ``b``
        moves by ``deltas[b]``: :math:`\sum_b |M_{ab}|\,\delta_b`."""
        absm = np.abs(self.float_matrix()[:, 1:])
        return absm @ np.asarray(deltas, dtype=np.float64)

    def float_matrix(self) -> NDArray[np.float64]:
        m = self.matrix
        return np.array(
            [[float(m[a, b]) for b in range(m.ncols())] for a in range(m.nrows())],
            dtype=np.float64,
        ).reshape(m.nrows(), m.ncols())

    def pull_back(self, multipliers: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        r"""Power-basis multipliers: :math:`\sum_a \lambda_a \psi_a(x) = \theta_0 +
        \sum_b \theta_b x^{\beta_b}`, exactly from the float :math:`\lambda`;
        returns :math:`(\theta_0, \theta)`."""
        lam = flint.fmpq_mat(1, self.matrix.nrows(), [exact(v) for v in multipliers])
        theta = lam * self.matrix
        vals = [float(theta[0, b]) for b in range(theta.ncols())]
        return vals[0], np.array(vals[1:], dtype=np.float64)


def _axis_polynomials(
    family: str, origin: float, scale: float, degree: int
) -> list[list[flint.fmpq]]:
    r"""Exact coefficients of :math:`\psi_k((x - o)/s)` in powers of :math:`x`, k <= degree."""
    o, s = exact(origin), exact(scale)
    # (x - o)^i / s^i = sum_j C(i, j) x^j (-o)^(i - j) / s^i
    zpow = [
        [flint.fmpq(math.comb(i, j)) * (-o) ** (i - j) / s**i for j in range(i + 1)]
        for i in range(degree + 1)
    ]
    rows = []
    for coeffs in _coefficients(family, degree):
        row = [flint.fmpq(0)] * (degree + 1)
        for i, c in enumerate(coeffs):
            if c != 0:
                for j in range(i + 1):
                    row[j] += c * zpow[i][j]
        rows.append(row)
    return rows


def noise_directions(
    emap: ExactMap, deltas: NDArray[np.float64], targets: Sequence[flint.fmpq]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    r"""Directions of basis-moment space ordered by how well the power moments fix them.

    If power moment ``b`` is known to :math:`\pm\delta_b`, the basis moments are known
    up to the covariance :math:`C = M D M^T` (:math:`D = \mathrm{diag}(\delta^2)`).
    Returns ``(U, sigma, rotated)``: orthonormal eigenvectors of ``C`` as columns,
    :math:`\sigma_i = \sqrt{\text{eigenvalue}}` ascending, and the rotated targets
    :math:`U^T c`.  ``C`` spans dozens of orders of magnitude for many power moments,
    so it is formed and diagonalised in ball arithmetic with enough bits for its
    smallest eigenvalues (python-flint's ``acb_mat.eig``).
    """
    m = emap.float_matrix()[:, 1:]
    d = np.asarray(deltas, dtype=np.float64)
    spread = np.abs(m).max() * d.max() / max(d[d > 0].min(), 1e-300)
    prec = 200 + 2 * math.ceil(math.log2(max(spread, 2.0)))
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        k = m.shape[0]
        scaled = flint.arb_mat(k, k)
        for a in range(k):
            for b in range(k):
                scaled[a, b] = flint.arb(emap.matrix[a, b + 1]) * flint.arb(float(d[b]))
        cov = scaled * scaled.transpose()
        values, vectors = flint.acb_mat(cov).eig(right=True, algorithm="approx")
        u = np.array([[float(vectors[a, i].real) for i in range(k)] for a in range(k)])
        u /= np.linalg.norm(u, axis=0)
        lam = np.array([max(float(v.real), 0.0) for v in values])
        order = np.argsort(lam)
        u, lam = u[:, order], lam[order]
        c = flint.arb_mat(k, 1, [flint.arb(t) for t in targets])
        rot = flint.arb_mat(u.T.tolist()) * c
        rotated = np.array([float(rot[i, 0].mid()) for i in range(k)])
    finally:
        flint.ctx.prec = old
    return u, np.sqrt(lam), rotated


def standard_moments(
    b: NDArray[np.float64], shift: NDArray[np.float64], stretch: NDArray[np.float64]
) -> NDArray[np.float64]:
    r""":math:`E[z^j]`, j = 0..K, for :math:`z = (x - \mathrm{shift})/\mathrm{stretch}`."""
    n, k = b.shape
    mu = np.concatenate([np.ones((n, 1)), b], axis=1)
    out = np.zeros((n, k + 1))
    for j in range(k + 1):
        for i in range(j + 1):
            out[:, j] += math.comb(j, i) * mu[:, i] * (-shift) ** (j - i)
        out[:, j] /= stretch**j
    return out
