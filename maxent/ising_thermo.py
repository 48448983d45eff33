r"""Exact thermodynamics of the periodic L x M Ising model up to L, M = 2**20, and L = infinity.

:func:`ising_2d_thermo` evaluates Kaufman's (1949) closed form for the partition function
of the torus (see :mod:`maxent.ising_exact`) in log space with its first two derivatives,
for lattices far too large to expand (L = 1024 and beyond); below T = 0.8 and above
T = 10 it switches to the exact low- and high-temperature series of the same lattice, and
for L = infinity it gives Onsager's (1944) solution.

References
----------
B. Kaufman, Phys. Rev. 76, 1232 (1949).  L. Onsager, Phys. Rev. 65, 117 (1944).
A. E. Ferdinand and M. E. Fisher, Phys. Rev. 185, 832 (1969).  C. Domb, Adv. Phys. 9,
149 (1960) (series).
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special

from ._checks import as_float_array
from ._dataset import dataset, variable
from .errors import InvalidInputError
from .ising_exact import ising_2d_degeneracies, lattice_shape

__all__ = ["CRITICAL_TEMPERATURE", "MAX_THERMO_SIDE", "ising_2d_thermo"]

#: Longest side the closed form evaluates (two terms per wave number of the columns, about
#: a second per temperature at this size; longer sides lose digits in sums of L-sized terms).
MAX_THERMO_SIDE = 2**20

#: Onsager's critical temperature :math:`T_c = 2 / \ln(1 + \sqrt 2)` (J = k_B = 1).
CRITICAL_TEMPERATURE = 2.0 / math.log1p(math.sqrt(2.0))


# K = J / k_B T above which the two ground states and the first excitations (gap 8) give
# every quantity to a relative 2 e^(-4K) < 3e-14, and below which the leading
# high-temperature terms are used (relative error ~K^2; the closed form loses ~1e-16/K^2)
_K_LOW_T = 8.0
_K_HIGH_T = 1e-4
# series in x = e^(-2K) (low T) and t = tanh K (high T) to order 32, used for K > 1.25
# (T < 0.8) and K < 0.1 (T > 10), where their truncation errors are below 1e-16
_SERIES_ORDER = 32
_K_SERIES_LOW_T = 1.25
_K_SERIES_HIGH_T = 0.1
_SERIES_MAX_SITES = 1024  # own spectrum for the series up to this size


def _log_cosh_terms(
    u: NDArray[np.float64], du: NDArray[np.float64], d2u: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """ln 2cosh(u), its first and second K-derivatives, for u >= 0 (arrays)."""
    e = np.exp(-2.0 * u)
    t = (1.0 - e) / (1.0 + e)  # tanh u
    sech2 = 4.0 * e / (1.0 + e) ** 2
    return u + np.log1p(e), t * du, t * d2u + sech2 * du * du


def _log_sinh_terms(
    u: NDArray[np.float64], du: NDArray[np.float64], d2u: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """ln 2sinh(u), its first and second K-derivatives, for u > 0 (arrays)."""
    e = np.exp(-2.0 * u)
    coth = (1.0 + e) / -np.expm1(-2.0 * u)
    csch2 = 4.0 * e / np.expm1(-2.0 * u) ** 2
    return u + np.log1p(-e), coth * du, coth * d2u - csch2 * du * du


def _kaufman_thermo(
    rows: int, cols: int, k_coupling: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """ln Z, d ln Z / dK and d^2 ln Z / dK^2 of the L x M torus, for K > 0 (arrays)."""
    kk = k_coupling[:, None]
    s = np.sinh(2.0 * kk)
    c = np.cosh(2.0 * kk)
    half = 0.5 * rows
    # gamma_k, k = 1 ... 2M - 1 (k = 0 separately); cosh gamma_k = s + 1/s - cos(pi k / M).
    # k and 2M - k have the same gamma and parity: k < M counted twice, k = M once
    k_idx = np.arange(1, cols + 1)
    twice = np.where(k_idx < cols, 2.0, 1.0)
    pi = np.arccos(k_coupling.dtype.type(-1.0))  # in the precision of K (float64 or extended)
    d = (s - 1.0) ** 2 / s + 2.0 * np.sin(0.5 * pi * k_idx / cols) ** 2  # cosh g - 1
    sinh_g = np.sqrt(d * (d + 2.0))
    gam = np.log1p(d + sinh_g)
    da = 2.0 * c * (1.0 - 1.0 / s**2)  # (s + 1/s)'
    d2a = 4.0 * s - 4.0 / s + 8.0 * c * c / s**3
    dgam = da / sinh_g
    d2gam = (d2a - (1.0 + d) * dgam * dgam) / sinh_g
    # the signed gamma_0 = 2K + ln tanh K and its derivatives
    log_tanh = np.log(np.tanh(k_coupling))
    g0 = 2.0 * k_coupling + log_tanh
    dg0 = 2.0 + 2.0 / s[:, 0]
    d2g0 = -4.0 * c[:, 0] / s[:, 0] ** 2

    odd = k_idx % 2 == 1
    terms = []
    for use_odd, hyper in (
        (True, _log_cosh_terms),
        (True, _log_sinh_terms),
        (False, _log_cosh_terms),
        (False, _log_sinh_terms),
    ):
        sel = odd if use_odd else ~odd
        lg, d1, d2 = hyper(half * gam[:, sel], half * dgam[:, sel], half * d2gam[:, sel])
        a, r1, r2 = lg @ twice[sel], d1 @ twice[sel], d2 @ twice[sel]
        f, df, d2f = np.ones_like(a), np.zeros_like(a), np.zeros_like(a)
        if not use_odd:  # the k = 0 factor
            u, du, d2u = half * g0, half * dg0, half * d2g0
            if hyper is _log_cosh_terms:
                sign = np.where(u < 0, -1.0, 1.0)  # cosh is even: +-1 at u = 0 (not 0)
                lg0, d10, d20 = hyper(np.abs(u), sign * du, sign * d2u)
                a, r1, r2 = a + lg0, r1 + d10, r2 + d20
            else:  # 2 sinh u = e^|u| f: may vanish
                e = np.exp(-2.0 * np.abs(u))
                a = a + np.abs(u)
                f = np.sign(u) * -np.expm1(-2.0 * np.abs(u))
                df = (1.0 + e) * du
                d2f = f * du * du + (1.0 + e) * d2u
        terms.append((a, r1, r2, f, df, d2f))
    # Z = (1/2) (2 sinh 2K)^(LM/2) sum_i e^(a_i) f_i; mixture of the four terms about
    # the derivative of the always-positive Z_3 (see _mixture)
    n_sites = rows * cols
    a, r1, r2, f, df, d2f = (np.stack(x) for x in zip(*terms, strict=True))
    a_max = a.max(axis=0)
    w = np.exp(a - a_max)
    zsum = np.sum(w * f, axis=0)

    def mixture(
        ref: NDArray[np.float64],
    ) -> tuple[
        NDArray[np.float64], NDArray[np.float64]
    ]:  # moments of the terms' derivatives about ref
        e1 = r1 - ref
        mean1 = np.sum(w * (f * e1 + df), axis=0) / zsum
        mean2 = np.sum(w * (f * (r2 + e1 * e1) + 2.0 * df * e1 + d2f), axis=0) / zsum
        return mean1, mean2

    # about the derivative of Z_3 (always positive), then again about the mean itself, so
    # that the variance is no difference of squares as large as (LM)^2 (long strips)
    centre = r1[2] + mixture(r1[2])[0]
    mean1, mean2 = mixture(centre)
    log_z = -math.log(2.0) + 0.5 * n_sites * np.log(2.0 * s[:, 0]) + a_max + np.log(zsum)
    dlog_z = n_sites * c[:, 0] / s[:, 0] + centre + mean1
    d2log_z = -2.0 * n_sites / s[:, 0] ** 2 + mean2 - mean1 * mean1
    return log_z, dlog_z, d2log_z


def _degeneracies_by_k(rows: int, cols: int) -> list[int]:
    """g_k for k = 0, 2, ..., 2N unsatisfied bonds (zeros included), exact ints."""
    n_sites = rows * cols
    g = [0] * (n_sites + 1)
    for energy, count in ising_2d_degeneracies(rows, cols, progress=False).items():
        g[(energy + 2 * n_sites) // 4] = count
    return g


def _log_series(a: list[Fraction]) -> list[Fraction]:
    """Power series of ln(a), a_0 = 1, to the length of ``a``."""
    b = [Fraction(0)] * len(a)
    for n in range(1, len(a)):
        b[n] = a[n] - sum((k * b[k] * a[n - k] for k in range(1, n)), Fraction(0)) / n
    return b


@functools.cache
def _low_t_series(rows: int, cols: int) -> NDArray[np.float64] | None:
    r"""Per-site :math:`c_j` with :math:`\ln(Z e^{-2NK}/2)/N = \sum_j c_j x^j`,
    :math:`x = e^{-2K}`, j <= 32.

    The logarithm of the exact polynomial :math:`\sum_k g_k x^k / 2` as a power series
    (exact rationals).  A torus differs from the infinite lattice only from order
    :math:`x^{2\min(L, M)}` on (a band of flipped spins around the torus), so a torus
    with both sides above 16, and the infinite lattice (``rows = 0``), use the
    coefficients of the 20 x 20 torus.  Thinner lattices use their own spectrum if it has
    at most 1024 sites; else there is no series (None).
    """
    if rows == 0 or min(rows, cols) > _SERIES_ORDER // 2:
        rows, cols = 20, 20
    elif rows * cols > _SERIES_MAX_SITES:
        return None
    g = _degeneracies_by_k(rows, cols)
    a = [Fraction(0)] * (_SERIES_ORDER + 1)
    for k in range(0, min(_SERIES_ORDER, 2 * rows * cols) + 1, 2):
        a[k] = Fraction(g[k // 2], 2)
    return np.array([float(c / (rows * cols)) for c in _log_series(a)])


@functools.cache
def _high_t_series(rows: int, cols: int) -> NDArray[np.float64] | None:
    r"""Per-site :math:`c_j` with :math:`\ln(Z / 2^N \cosh^{2N}K)/N = \sum_j c_j t^j`,
    :math:`t = \tanh K`, j <= 32 (the high-temperature graph expansion).

    From the spectrum, :math:`Z / 2^N\cosh^{2N}K = 2^{-N}\sum_k g_k (1+t)^{2N-k}(1-t)^k`
    (exact integers, truncated power series).  Loops around the torus enter at order
    :math:`t^{\min(L, M)}`: a torus with both sides above 32, and the infinite lattice,
    use the infinite-lattice coefficients, which by Kramers-Wannier self-duality are
    those of the low-temperature series.  Thinner lattices use their own spectrum if it
    has at most 1024 sites; else None.
    """
    if rows == 0 or min(rows, cols) > _SERIES_ORDER:
        return _low_t_series(0, 0)
    if rows * cols > _SERIES_MAX_SITES:
        return None
    from flint import fmpz_poly

    n_sites, order = rows * cols, _SERIES_ORDER + 1
    g = _degeneracies_by_k(rows, cols)
    ratio = fmpz_poly([1] + [2 * (-1) ** n for n in range(1, order)])  # (1 - t)/(1 + t)
    ratio2 = (ratio * ratio).truncate(order)
    acc = fmpz_poly([0])
    for gk in reversed(g):  # sum_k g_k ratio^k over even k
        acc = (acc * ratio2).truncate(order) + gk
    phi = (acc * fmpz_poly([1, 1]).pow_trunc(2 * n_sites, order)).truncate(order)
    coeffs = [int(c) for c in phi.coeffs()] + [0] * order
    a = [Fraction(c, 2**n_sites) for c in coeffs[:order]]
    return np.array([float(c / n_sites) for c in _log_series(a)])


def _first_excitations(rows: int, cols: int) -> int:
    """Number of states at E_0 + 8: single flips, plus 2 x k blocks on a side of 2."""
    n_sites = rows * cols
    if rows == cols == 2:
        return 12
    if min(rows, cols) == 2:
        other = max(rows, cols)
        return 2 * n_sites + other * (other - 1)
    return 2 * n_sites


def _bond_pair_moment(rows: int, cols: int) -> float:
    """<E^2> / N at infinite temperature: sum over neighbour pairs of (bonds per pair)^2 / N.

    Each direction gives 1 per site, or 2 if its rings have length 2 (two bonds join the
    same two sites).
    """
    return (2.0 if rows == 2 else 1.0) + (2.0 if cols == 2 else 1.0)


# The critical coupling ln(1 + sqrt 2) / 2 as a sum of two doubles (hi + lo).
_K_C_HI = float.fromhex("0x1.c34366179d427p-2")
_K_C_LO = -float.fromhex("0x1.9f270661722dbp-57")


def _onsager_thermo(
    k_coupling: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    r"""Per-site ln Z, d ln Z/dK and d^2 ln Z/dK^2 of the infinite lattice (Onsager).

    :math:`\ln Z/N = \ln(2\cosh 2K) + \frac1\pi\int_0^{\pi/2}
    \ln\frac{1 + \sqrt{1 - \kappa^2\sin^2\phi}}{2}\,d\phi`, :math:`\kappa = 2\sinh 2K /
    \cosh^2 2K`; U and C from the complete elliptic integrals of modulus :math:`\kappa`.
    """
    # sinh 2K - 1 from the distance to the critical coupling: sinh 2K rounds to 1 for
    # couplings within an ulp or so of K_c (how, depends on the machine's sinh), where
    # C is large but finite.  With 2K = 2K_c + delta and sinh 2K_c = 1, cosh 2K_c = sqrt 2:
    # sinh 2K - 1 = sqrt 2 sinh delta + 2 sinh^2(delta / 2), delta to rounding of its own
    # size (K - K_c is exact near K_c, and K_c is kept to ~1e-33).
    delta = 2.0 * (k_coupling - _K_C_HI) - 2.0 * _K_C_LO
    s_minus_1 = math.sqrt(2.0) * np.sinh(delta) + 2.0 * np.sinh(0.5 * delta) ** 2
    s = 1.0 + s_minus_1
    c = np.cosh(2.0 * k_coupling)
    kappa = 2.0 * s / (1.0 + s * s)  # 2 sinh 2K / cosh^2 2K
    one_minus_k2 = (s_minus_1**2 / (1.0 + s * s)) * (1.0 + kappa)  # 1 - kappa^2
    ell_k = special.ellipkm1(one_minus_k2)
    ell_e = special.ellipe(kappa * kappa)
    log_z = np.empty_like(k_coupling)
    for i, kap in enumerate(kappa):
        integral, _ = integrate.quad(
            lambda phi, kap=kap: math.log(
                0.5 * (1.0 + math.sqrt(max(0.0, 1.0 - (kap * math.sin(phi)) ** 2)))
            ),
            0.0,
            0.5 * math.pi,
            epsabs=1e-15,
            epsrel=1e-13,
            limit=200,
        )
        log_z[i] = math.log(2.0 * c[i]) + integral / math.pi
    # d ln Z/dK = coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K(kappa)], and its derivative with
    # dK/dkappa = E/(kappa (1 - kappa^2)) - K/kappa, 1 - kappa^2 = (1 - s^2)^2 / c^4
    critical = one_minus_k2 == 0.0
    with np.errstate(invalid="ignore"):
        tail = np.where(critical, 0.0, s_minus_1 * (s + 1.0) / (c * c) * ell_k)
        d1 = (c / s) * (1.0 + (2.0 / np.pi) * tail)
        d2 = (
            -2.0 / s**2
            - (4.0 / np.pi) * tail / s**2
            + (4.0 / np.pi) * (c / s) ** 2 * (ell_k - ell_e)
        )
    return log_z, d1, np.where(critical, np.inf, d2)


def ising_2d_thermo(
    side: float, temperatures: ArrayLike, *, columns: int | None = None
) -> xr.Dataset:
    r"""Exact thermodynamics per site of the periodic L x M Ising model, up to 2**20 a side.

    From Kaufman's closed form (see the module docstring), evaluated in log space with
    its analytic first and second derivatives in :math:`K = 1/T` (J = k_B = 1); for
    ``side=np.inf``, Onsager's infinite-lattice solution.

    Parameters
    ----------
    side : int or inf
        L >= 2, the number of rows (and of columns unless ``columns`` is given), up to
        ``MAX_THERMO_SIDE`` = 2**20 (L = 1024 takes milliseconds per temperature, L = 2**20
        about a second).  ``np.inf`` gives the thermodynamic limit.
    temperatures : array_like
        Temperatures :math:`T \ge 0` (``0`` and ``inf`` allowed).
    columns : int, optional
        M >= 2, the number of columns.

    Returns
    -------
    xarray.Dataset
        Dim ``temperature`` with coordinate ``beta``; variables ``log_Z_per_site``
        (:math:`\ln Z / LM`), ``free_energy_per_site``, ``internal_energy_per_site``,
        ``entropy_per_site`` and ``heat_capacity_per_site``: the totals of
        :func:`maxent.temperature_sweep` over the exact levels
        (:func:`maxent.models.ising_2d`) divided by the number of sites (see
        :doc:`/conventions`).

    Raises
    ------
    InvalidInputError
        If ``side`` or ``columns`` is not an integer in [2, 2**20] (``side`` may be
        ``inf``), or a temperature is negative (``-0.0`` included: the limit T = 0 from
        below) or NaN.

    See Also
    --------
    maxent.models.ising_2d : the exact levels of the same lattice (totals by a sweep).
    temperature_sweep : thermodynamics of any levels.

    Notes
    -----
    Three regimes, each where it is accurate to about 1e-13 relative:

    * :math:`0.8 \le T \le 10` (:math:`K = 1/T`): Kaufman's closed form.  ``ln Z`` is
      :math:`\ln\tfrac12 + \tfrac{LM}{2}\ln(2\sinh 2K) + \ln\sum_i Z_i` with each
      :math:`\ln|Z_i|` a sum of :math:`\ln 2\cosh` / :math:`\ln 2\sinh` terms.
      :math:`C = K^2\,\partial_K^2 \ln Z` is a sum of per-mode second derivatives plus
      the spread of the four terms' first derivatives (a mixture variance), never a
      difference of two extensive numbers; the one factor that can vanish
      (:math:`\sinh(L\gamma_0/2)` at :math:`T_c`) is kept outside the logarithm.  Near
      :math:`T_c` the four terms' weights come from sums of :math:`LM/2` terms, which
      lose about :math:`LM\,\epsilon` relative: lattices of more than 2**16 sites are
      summed there in extended precision (``np.longdouble``; C to ~1e-13 at L = 600,
      ~1e-8 at L = 2**20 on x86-64, where it has 64 bits of mantissa).  At
      L = inf, Onsager's integral (``scipy.integrate.quad``) and elliptic integrals;
      C diverges logarithmically at :math:`T_c` (``inf`` only where :math:`\sinh 2K`
      rounds to exactly 1).
    * T < 0.8: the low-temperature series :math:`\ln(Z e^{-2NK}/2)/N = \sum_{j \le 32}
      c_j e^{-2Kj}`, the exact logarithm of the spectrum's polynomial (its own for
      :math:`LM \le 1024`, else that of the 20 x 20 torus, equal to the lattice's own
      below order :math:`2\min(L, M)`); there the closed form would lose C, which falls
      like :math:`e^{-8K}`, to rounding.  T = 0 is its limit (:math:`U = -2`,
      :math:`S = \ln 2 / LM`, ``log_Z = inf``).
    * T > 10: the high-temperature series in :math:`\tanh K` (by self-duality the same
      coefficients for the infinite lattice), where the closed form would lose U and C
      to cancellation (~1e-16 T^2).  T = inf gives :math:`\ln Z = LM \ln 2`, U = C = 0.

    Lattices with a side of at most 16 (low T) or 32 (high T) and more than 1024 sites
    have no series: there the closed form runs down to T = 1/8 and up to T = 1e4, below
    and above which the first excitations and the leading high-temperature terms are
    used (errors up to ~1e-8 relative near T = 1e4, and an absolute ~1e-14 in C per site
    at low T).  :math:`S = \ln Z + U/T` in the closed-form regime.  Negative
    temperatures are refused (use the exact spectrum of :func:`maxent.models.ising_2d`
    with :func:`maxent.temperature_sweep`).

    References
    ----------
    .. [1] L. Onsager, "Crystal statistics. I. A two-dimensional model with an
       order-disorder transition", Phys. Rev. 65, 117 (1944).
    .. [2] B. Kaufman, "Crystal statistics. II. Partition function evaluated by spinor
       analysis", Phys. Rev. 76, 1232 (1949).
    .. [3] A. E. Ferdinand and M. E. Fisher, "Bounded and inhomogeneous Ising models. I.
       Specific-heat anomaly of a finite lattice", Phys. Rev. 185, 832 (1969).

    Examples
    --------
    >>> import maxent
    >>> ds = maxent.models.ising_2d_thermo(2, [1.0, float("inf")])
    >>> ds.log_Z_per_site.values.round(6)       # ln(2 e^8 + 12 + 2 e^-8) / 4, ln 2
    array([2.17379 , 0.693147])
    >>> onsager = maxent.models.ising_2d_thermo(float("inf"), [1.0])
    >>> round(float(onsager.internal_energy_per_site[0]), 6)
    -1.99716
    """
    infinite = isinstance(side, (float, np.floating)) and math.isinf(side) and side > 0
    if infinite:
        if columns is not None:
            raise InvalidInputError(f"`columns` must be None when `side` is inf; got {columns!r}.")
        rows = cols = 0
    else:
        rows, cols = _evaluable_shape(side, columns)
    t = as_float_array(temperatures, "temperatures", ndim=1)
    bad = np.isnan(t) | np.signbit(t)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"`temperatures` must be >= 0 and not NaN (negative temperatures, and -0.0, the "
            f"limit T = 0 from below, need the exact spectrum: maxent.models.ising_2d with "
            f"maxent.temperature_sweep); got {float(t[i])!r} at index {i}."
        )
    with np.errstate(divide="ignore"):
        beta = 1.0 / t
    # the torus transposed is the same lattice: the closed form sums over the wave numbers
    # of the columns, so a long side goes to the rows (a 6 x 2**20 strip costs a 2**20 x 6)
    long_columns = cols > max(rows, _LONG_SIDE)
    thermo = _per_site(cols, rows, beta) if long_columns else _per_site(rows, cols, beta)
    return _thermo_dataset(t, beta, thermo, rows, cols)


#: columns beyond this (and beyond the rows) are summed over as rows, the cheaper side
_LONG_SIDE = 4096


def _evaluable_shape(side: object, columns: object) -> tuple[int, int]:
    """(rows, columns), both within the closed form's reach."""
    rows, cols = lattice_shape(side, columns)
    if max(rows, cols) > MAX_THERMO_SIDE:
        names = "`side`" if columns is None else "`side`, `columns`"
        raise InvalidInputError(
            f"a {rows} x {cols} lattice ({names}) is beyond the closed form's reach: it sums "
            f"two terms per wave number of a side of up to {MAX_THERMO_SIDE} (about a second "
            "per temperature), and its sums of L-sized terms would lose all digits on longer "
            "sides; on a square lattice that large the finite-size corrections are below "
            "1e-6 except for the logarithm of C at T_c, so side=np.inf (Onsager) gives the "
            "answer."
        )
    return rows, cols


def _per_site(rows: int, cols: int, beta: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """ln Z, U, C and S per site at each beta >= 0 (rows = 0: the infinite lattice)."""
    infinite = rows == 0
    out = {k: np.zeros_like(beta) for k in _KEYS}
    series = high_series = None  # built only when needed
    if np.any(beta > _K_SERIES_LOW_T):
        series = _low_t_series(0, 0) if infinite else _low_t_series(rows, cols)
    if np.any((beta > 0) & (beta < _K_SERIES_HIGH_T)):
        high_series = _high_t_series(0, 0) if infinite else _high_t_series(rows, cols)
    k_low = _K_LOW_T if series is None else _K_SERIES_LOW_T
    k_high = _K_HIGH_T if high_series is None else _K_SERIES_HIGH_T
    regimes = (
        ((beta >= k_high) & (beta <= k_low), lambda k: _closed_form(rows, cols, k)),
        ((beta > 0) & (beta < k_high), lambda k: _high_t(rows, cols, k, high_series)),
        (beta > k_low, lambda k: _low_t(rows, cols, k, series)),
    )
    for mask, regime in regimes:
        if np.any(mask):
            for key, values in zip(_KEYS, regime(beta[mask]), strict=True):
                out[key][mask] = values
    hot = beta == 0
    for key, value in zip(_KEYS, (math.log(2.0), 0.0, 0.0, math.log(2.0)), strict=True):
        out[key][hot] = value
    return out


_KEYS = ("log_Z", "internal_energy", "heat_capacity", "entropy")
_Thermo = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
#: wave numbers x temperatures evaluated at once by the closed form (16 MB per array)
_CHUNK = 2**21
#: lattices of more sites than this are summed in extended precision (np.longdouble where
#: the platform has it; 2.2 times the time) within 100 / min(L, M) of K_c: there the
#: weights of Kaufman's four terms come from sums of LM/2 terms, and C loses ~LM eps
#: relative (3e-5 at 2**20 a side in float64, ~1e-8 in 80-bit extended precision)
_EXTENDED_SITES = 2**16
_K_C = 0.5 * math.log1p(math.sqrt(2.0))


def _kaufman_per_site(
    rows: int, cols: int, k: NDArray[np.float64], dtype: type
) -> tuple[NDArray[np.float64], ...]:
    """ln Z and its first two K-derivatives per site, summed in ``dtype``; a sum over the
    wave numbers of the columns, in chunks of temperatures so that memory stays bounded."""
    step = max(1, _CHUNK // (2 * cols))
    wide: NDArray[np.float64] = k.astype(dtype)  # (np.longdouble: the same operations)
    parts = [_kaufman_thermo(rows, cols, wide[i : i + step]) for i in range(0, k.size, step)]
    return tuple(
        np.asarray(np.concatenate(x) / (rows * cols), dtype=np.float64)
        for x in zip(*parts, strict=True)
    )


def _closed_form(rows: int, cols: int, k: NDArray[np.float64]) -> _Thermo:
    """Kaufman (or Onsager for rows = 0) between the asymptotic regimes: ln Z, U, C, S."""
    if rows == 0:
        lz, d1, d2 = _onsager_thermo(k)
    else:
        near = np.abs(k / _K_C - 1.0) < 100.0 / min(rows, cols)
        near &= rows * cols > _EXTENDED_SITES
        lz, d1, d2 = (np.empty_like(k) for _ in range(3))
        for mask, dtype in ((near, np.longdouble), (~near, np.float64)):
            if np.any(mask):
                lz[mask], d1[mask], d2[mask] = _kaufman_per_site(rows, cols, k[mask], dtype)
    return lz, -d1, k * k * d2, lz - k * d1


def _high_t(rows: int, cols: int, k: NDArray[np.float64], series: Any) -> _Thermo:
    """High T: the series in t = tanh K, or else (T > 1e4) the leading terms with
    <E^2>_inf = q N (relative error ~K^2, ~K on a side of 3)."""
    if series is None:
        q = _bond_pair_moment(rows, cols)
        return (
            math.log(2.0) + 0.5 * q * k * k,
            -q * k,
            q * k * k,
            math.log(2.0) - 0.5 * q * k * k,
        )
    th = np.tanh(k)[:, None]
    j = np.arange(series.size)
    one = 1.0 - th[:, 0] ** 2  # dt/dK
    t_j = (series * th**j).sum(axis=1)  # sum_j c_j t^j
    t_j1 = (series * j * th ** np.maximum(j - 1, 0)).sum(axis=1)  # its t-derivative
    t_j2 = (series * j * (j - 1) * th ** np.maximum(j - 2, 0)).sum(axis=1)
    log_z = math.log(2.0) + 2.0 * np.log(np.cosh(k)) + t_j
    u = -(2.0 * th[:, 0] + one * t_j1)
    cap = k * k * (2.0 * one + one**2 * t_j2 - 2.0 * th[:, 0] * one * t_j1)
    return log_z, u, cap, log_z + k * u


def _low_t(rows: int, cols: int, beta: NDArray[np.float64], series: Any) -> _Thermo:
    """Low T: the series in x = e^(-2K), or else (thin, long lattices, T < 1/8) the ground
    states and first excitations; T = 0 (beta = inf) is their limit."""
    n_sites = math.inf if rows == 0 else rows * cols
    ground = 0.0 if rows == 0 else math.log(2.0) / n_sites
    with np.errstate(over="ignore"):
        x = np.exp(-2.0 * beta)
    k = np.where(x > 0, beta, 0.0)  # x = 0 from K ~ 370 on (and at T = 0)
    if series is not None:
        j = np.arange(series.size)
        terms = series * x[:, None] ** j
        return (
            2.0 * beta + ground + terms.sum(axis=1),
            -2.0 + terms @ (2.0 * j),
            k * k * (terms @ (4.0 * j * j)),
            ground + terms.sum(axis=1) + 2.0 * k * (terms @ j),
        )
    x = 0.5 * _first_excitations(rows, cols) * x**4
    w = x / (1.0 + x)
    return (
        2.0 * beta + (math.log(2.0) + np.log1p(x)) / n_sites,
        -2.0 + 8.0 * w / n_sites,
        64.0 * k * k * w / (1.0 + x) / n_sites,
        (math.log(2.0) + np.log1p(x) + 8.0 * k * w) / n_sites,
    )


def _thermo_dataset(
    t: NDArray[np.float64],
    beta: NDArray[np.float64],
    thermo: dict[str, NDArray[np.float64]],
    rows: int,
    cols: int,
) -> xr.Dataset:
    """The per-site Dataset of :func:`ising_2d_thermo` (rows = 0: the infinite lattice)."""
    infinite = rows == 0
    hot = beta == 0
    with np.errstate(invalid="ignore"):
        free = np.where(np.isfinite(beta) & (beta > 0), -t * thermo["log_Z"], 0.0)
    free[np.isinf(beta)], free[hot] = -2.0, -np.inf
    system = (
        "Ising square lattice, infinite (Onsager)"
        if infinite
        else f"Ising {rows}x{cols}, periodic, J = 1"
    )
    td = "temperature"
    return dataset(
        {
            "log_Z_per_site": variable(
                td,
                thermo["log_Z"],
                "log partition function per site",
                "1",
                "ln Z / N, N = L M sites",
            ),
            "free_energy_per_site": variable(
                td,
                free,
                "Helmholtz free energy per site",
                "1",
                "F / N = -k_B T ln Z / N, in units of J",
            ),
            "internal_energy_per_site": variable(
                td,
                thermo["internal_energy"],
                "internal energy per site",
                "1",
                "U / N = -d ln Z / d beta / N, in units of J",
            ),
            "entropy_per_site": variable(
                td,
                thermo["entropy"],
                "entropy per site",
                "k_B",
                "S / (k_B N) = (ln Z + beta U) / N",
            ),
            "heat_capacity_per_site": variable(
                td,
                thermo["heat_capacity"],
                "heat capacity per site",
                "k_B",
                "C / (k_B N) = beta^2 d^2 ln Z / d beta^2 / N",
            ),
        },
        coords={
            "temperature": variable(td, t, "temperature", "1", "k_B T in units of J"),
            "beta": variable(td, beta, "inverse temperature", "1", "beta = J / (k_B T)"),
        },
        title=f"exact thermodynamics per site: {system}",
        system=system,
        method="Onsager 1944"
        if infinite
        else "Kaufman 1949 closed form; exact low- and high-temperature series",
        rows=-1 if infinite else rows,
        columns=-1 if infinite else cols,
        coupling_J=1.0,
        energy_scale="J",
        unit_system="natural (k_B = 1, J = 1)",
        critical_temperature=CRITICAL_TEMPERATURE,
    )
