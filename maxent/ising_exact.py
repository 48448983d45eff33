r"""Exact solution of the square-lattice Ising model on an L x M torus.

Kaufman (1949) wrote the partition function of the periodic :math:`L \times M` lattice
(:math:`E = -\sum_{\langle ij\rangle} s_i s_j`, J = 1, no field, :math:`K = \beta J`) as a
sum of four products over the :math:`M` column wave numbers,

.. math::

    Z = \tfrac12 (2\sinh 2K)^{LM/2} \sum_{i=1}^{4} Z_i, \qquad
    Z_{1,2} = \prod_{r=0}^{M-1} 2\{\cosh, \sinh\}\bigl(\tfrac{L}{2}\gamma_{2r+1}\bigr), \quad
    Z_{3,4} = \prod_{r=0}^{M-1} 2\{\cosh, \sinh\}\bigl(\tfrac{L}{2}\gamma_{2r}\bigr),

with :math:`\cosh\gamma_k = \cosh 2K \coth 2K - \cos(\pi k / M)` for :math:`k \ne 0` and
the *signed* :math:`\gamma_0 = 2K + \ln\tanh K` (negative above :math:`T_c`, which makes
:math:`Z_4 < 0` there).  The formula holds for every :math:`L, M \ge 2`, odd or even.

This module uses it twice:

* :func:`ising_2d_degeneracies` expands it exactly, as Beale (1996) did, into the
  polynomial :math:`Z e^{-2LMK} = \sum_k g_k e^{-2Kk}` whose integer coefficients are the
  numbers of configurations with ``k`` unsatisfied bonds (:math:`E = -2LM + 2k`);
* :func:`ising_2d_thermo` evaluates it in log space with its first two derivatives, for
  lattices far too large to expand (L = 1024 and beyond), and gives Onsager's
  :math:`L \to \infty` limit.

References
----------
B. Kaufman, Phys. Rev. 76, 1232 (1949).  P. D. Beale, Phys. Rev. Lett. 76, 78 (1996).
L. Onsager, Phys. Rev. 65, 117 (1944).  A. E. Ferdinand and M. E. Fisher, Phys. Rev. 185,
832 (1969).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special

from ._cache import cache_dir, write_atomic
from ._checks import as_float_array
from .errors import InvalidInputError, MaxEntError

__all__ = [
    "CRITICAL_TEMPERATURE",
    "ising_2d_degeneracies",
    "ising_2d_log_degeneracy",
    "ising_2d_thermo",
]

#: Onsager's critical temperature :math:`T_c = 2 / \ln(1 + \sqrt 2)` (J = k_B = 1).
CRITICAL_TEMPERATURE = 2.0 / math.log1p(math.sqrt(2.0))

_CACHE_FORMAT = "maxent exact 2D Ising degeneracies v1"

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
_SERIES_MAX_SITES = 1024                   # own spectrum for the series up to this size


def _check_sides(side: object, columns: object) -> tuple[int, int]:
    def as_side(value: object, name: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise InvalidInputError(f"`{name}` must be an int >= 2; got {value!r}.")
        return int(value)

    rows = as_side(side, "side")
    return rows, rows if columns is None else as_side(columns, "columns")


# ---------------------------------------------------------------------------- spectrum
def _angle_multiplicities(odd: bool, size: int) -> Counter[int]:
    """Multiset of ``a`` in [0, size] with :math:`\\cos(\\pi a / size)` over the roots.

    The roots of :math:`T_m(c) \\pm 1` are :math:`\\cos(\\pi(2j+1)/m)` (+, ``odd``) and
    :math:`\\cos(2\\pi j / m)` (-), j = 0 ... m - 1; angles are folded into [0, pi].
    """
    out: Counter[int] = Counter()
    for j in range(size):
        a = (2 * j + 1 if odd else 2 * j) % (2 * size)
        out[min(a, 2 * size - a)] += 1
    return out


def _product(polys: list) -> object:
    """Product of arb polynomials by a balanced tree (fast multiplication at the top)."""
    from flint import arb_poly

    if not polys:
        return arb_poly([1])
    while len(polys) > 1:
        polys = [polys[i] * polys[i + 1] if i + 1 < len(polys) else polys[i]
                 for i in range(0, len(polys), 2)]
    return polys[0]


def _kaufman_term(rows: int, cols: int, even_k: bool, plus: bool) -> object:
    r""":math:`z^{LM}\,(2\sinh 2K)^{LM/2} Z_i` as an arb polynomial in :math:`z = e^{2K}`.

    The wave numbers k and 2M - k share :math:`\gamma_k`; each such pair gives
    :math:`(2\sinh 2K)^L (2\cosh(L\gamma_k) \pm 2) = \prod_j (z^4 - 2u z^3 + 2z^2 + 2uz + 1)
    / z^2`, :math:`u = \cos(\pi k/M) + \cos\phi_j` over the roots :math:`\cos\phi_j` of
    :math:`T_L \pm 1`.  The unpaired k = 0 and k = M factors are
    :math:`(z - 1)^L \pm (1 + 1/z)^L` and :math:`(z + 1)^L \pm (1 - 1/z)^L`.
    """
    from flint import arb, arb_poly, fmpq

    sign = 1 if plus else -1
    ks = range(0, 2 * cols, 2) if even_k else range(1, 2 * cols, 2)
    z_l = arb_poly([0] * rows + [1])
    single, double, unpaired = [], [], []
    angles = _angle_multiplicities(plus, rows)
    for k in ks:
        if k == 0:
            unpaired.append(z_l * arb_poly([-1, 1]) ** rows + sign * arb_poly([1, 1]) ** rows)
        elif k == cols:
            unpaired.append(z_l * arb_poly([1, 1]) ** rows + sign * arb_poly([-1, 1]) ** rows)
        elif k < cols:
            c_k = arb.cos_pi_fmpq(fmpq(k, cols))
            for a, mult in angles.items():
                u2 = 2 * (c_k + arb.cos_pi_fmpq(fmpq(a, rows)))
                quartic = arb_poly([1, u2, 2, -u2, 1])
                (single if mult == 1 else double).append(quartic)
                if mult > 2:                    # cannot happen: roots are at most double
                    raise MaxEntError(f"internal error: root multiplicity {mult}")
    half = _product(double)
    return _product(single + unpaired) * (half * half)


def _kaufman_term_even(rows: int, cols: int, even_k: bool, plus: bool) -> object:
    r"""The same term for even L and M, as a polynomial in :math:`w = z^2` (half the degree).

    For even L and M the values :math:`u` come in pairs :math:`\pm u` (k -> M - k,
    :math:`\phi \to \pi - \phi`), and each pair of quartics is a quartic in :math:`w`:
    :math:`(w + 1)^4 - 4u^2 w (w - 1)^2`.  The unpaired k = 0 and k = M factors are
    multiplied together exactly; their product is even in z.
    """
    from flint import arb, arb_poly, fmpq, fmpz_poly

    sign = 1 if plus else -1
    angles = _angle_multiplicities(plus, rows)
    single, double = [], []
    for k in range(2 if even_k else 1, cols, 2):
        c_k = arb.cos_pi_fmpq(fmpq(k, cols))
        for a, mult in angles.items():
            mirror = (cols - k, rows - a)
            if (k, a) > mirror:
                continue                              # taken with its partner
            if angles[rows - a] != mult or mult > 2:
                raise MaxEntError("internal error: unpaired roots for even L")
            if (k, a) == mirror:                      # u = 0: (z^2 + 1)^2 = (w + 1)^2
                factor = arb_poly([1, 2, 1])
            else:
                u = c_k + arb.cos_pi_fmpq(fmpq(a, rows))
                u4 = 4 * u * u
                factor = arb_poly([1, 4 - u4, 6 + 2 * u4, 4 - u4, 1])
            (single if mult == 1 else double).append(factor)
    if even_k:                                        # k = 0 and k = M, exactly
        z_l = fmpz_poly([0] * rows + [1])
        zm1, zp1 = fmpz_poly([-1, 1]) ** rows, fmpz_poly([1, 1]) ** rows
        both = (z_l * zm1 + sign * zp1) * (z_l * zp1 + sign * zm1)
        coeffs = both.coeffs()
        if any(coeffs[1::2]):
            raise MaxEntError("internal error: k = 0, M factor not even in z")
        single.append(arb_poly([arb(int(c)) for c in coeffs[0::2]]))
    half = _product(double)
    return _product(single) * (half * half)


def _exact_counts(rows: int, cols: int, progress: bool, *,
                  half_degree: bool = True) -> tuple[int, ...]:
    """g_k for k = 0, 2, ..., 2LM unsatisfied bonds, by exact expansion of Kaufman's Z.

    ``half_degree``: work in w = z^2 when L and M are even (False: always in z).
    """
    from flint import arb, ctx
    from tqdm.auto import tqdm

    n_sites = rows * cols
    prec = n_sites + 2 * max(rows, cols) + 64       # bits; enough by tests up to L = 96
    old_prec = ctx.prec
    try:
        for _attempt in range(4):
            ctx.prec = prec
            with tqdm(total=4, desc=f"Ising {rows}x{cols} exact (Kaufman)", unit="term",
                      disable=not progress, leave=False) as bar:
                in_w = half_degree and rows % 2 == 0 and cols % 2 == 0
                term = _kaufman_term_even if in_w else _kaufman_term
                terms = []
                for even_k in (False, True):
                    for plus in (True, False):
                        terms.append(term(rows, cols, even_k, plus))
                        bar.update()
            total = (terms[0] + terms[1] + terms[2] + terms[3]) * arb(0.5)
            exact = total.unique_fmpz_poly()
            if exact is not None:
                break
            prec = 2 * prec                          # a ball held two integers: retry
        else:
            raise MaxEntError(f"internal error: Ising {rows}x{cols} coefficients not certified "
                              f"as integers at {prec} bits.")
    finally:
        ctx.prec = old_prec
    coeffs = [int(c) for c in exact.coeffs()]
    if in_w:                                         # w^j = z^(2j): spread out again
        coeffs = [x for c in coeffs for x in (c, 0)][:-1]
    coeffs += [0] * (2 * n_sites + 1 - len(coeffs))
    by_k = coeffs[::-1]                              # z^(LM - k) holds g_k
    g = tuple(by_k[0::2])
    _certify(g, by_k[1::2], rows, cols)
    return g


def _certify(g: tuple[int, ...], odd: list[int], rows: int, cols: int) -> None:
    n_sites = rows * cols
    if (len(g) != n_sites + 1 or any(odd) or min(g) < 0 or sum(g) != 2**n_sites
            or g[0] != 2):
        raise MaxEntError(f"internal error: Ising {rows}x{cols} degeneracies fail their "
                          "checks (count, parity, sign, sum 2^(LM), g(E_0) = 2).")


def _cache_path(rows: int, cols: int):
    return cache_dir() / f"ising2d_exact_{rows}x{cols}.txt"


def _read_cache(rows: int, cols: int) -> tuple[int, ...] | None:
    try:
        lines = _cache_path(rows, cols).read_text(encoding="ascii").split()
        if lines[:2] != ["#" + _CACHE_FORMAT.replace(" ", "_"), f"{rows}x{cols}"]:
            return None
        g = tuple(int(x, 16) for x in lines[2:])
        _certify(g, [], rows, cols)
    except (OSError, ValueError, IndexError, MaxEntError):
        return None
    return g


@functools.cache
def _counts(rows: int, cols: int, progress: bool) -> tuple[int, ...]:
    rows, cols = min(rows, cols), max(rows, cols)   # the spectrum is that of the transpose
    g = _read_cache(rows, cols)
    if g is None:
        g = _exact_counts(rows, cols, progress)
        header = ["#" + _CACHE_FORMAT.replace(" ", "_"), f"{rows}x{cols}"]
        write_atomic(_cache_path(rows, cols), "\n".join(header + [f"{x:x}" for x in g]) + "\n")
    return g


def ising_2d_degeneracies(side: int, columns: int | None = None, *,
                          progress: bool | None = None) -> dict[int, int]:
    r"""Exact number of configurations :math:`g(E)` of the periodic L x M Ising model.

    :math:`E = -\sum_{\langle ij\rangle} s_i s_j` over the :math:`2LM` bonds (site, right
    neighbour) and (site, lower neighbour) with periodic wrap-around, J = 1, no field, so
    :math:`E = -2LM + 2k` for ``k`` unsatisfied bonds (``k`` is always even).  For a side
    of 2 the two bonds between the same pair of neighbours both count.

    Parameters
    ----------
    side : int
        L >= 2, the number of rows (and of columns, unless ``columns`` is given).
    columns : int, optional
        M >= 2, the number of columns.
    progress : bool, optional
        Show a progress bar (default: for LM >= 2000, a few seconds of work).

    Returns
    -------
    dict of int to int
        ``{E: g(E)}`` for the energies that occur, in increasing order, as exact Python
        integers (they sum to :math:`2^{LM}`).

    Raises
    ------
    InvalidInputError
        If ``side`` or ``columns`` is not an int >= 2.

    Notes
    -----
    Every coefficient is exact for every L, M >= 2, square or rectangular, odd or even.
    Kaufman's four products are expanded as polynomials in :math:`z = e^{2K}` (Beale
    1996): each pair of wave numbers :math:`\pm k` becomes a product of quartics in
    :math:`z` whose coefficients are algebraic numbers, multiplied in ball arithmetic
    (python-flint's arb) at :math:`LM + 2\max(L, M) + 64` bits.  Every coefficient is then
    certified to be a unique integer (its ball holds exactly one), or the work is redone
    at twice the precision; the result is checked to sum to :math:`2^{LM}`, with
    :math:`g = 0` at odd ``k`` and :math:`g(E_0) = 2`.  L = 32 takes about a second,
    L = 64 tens of seconds.  Results are cached in memory and on disk (``$MAXENT_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/maxent`` or ``~/.cache/maxent``; L = 64 takes 2 MB).

    Examples
    --------
    >>> import maxent
    >>> maxent.models.ising_2d_degeneracies(2)
    {-8: 2, 0: 12, 8: 2}
    >>> g = maxent.models.ising_2d_degeneracies(32)
    >>> g[-2048], g[-2040], g[-2036]
    (2, 2048, 4096)
    """
    rows, cols = _check_sides(side, columns)
    n_sites = rows * cols
    show = n_sites >= 2000 if progress is None else bool(progress)
    g = _counts(rows, cols, show)
    return {2 * k - 2 * n_sites: gk for k, gk in zip(range(0, 2 * n_sites + 1, 2), g, strict=True)
            if gk}


def ising_2d_log_degeneracy(side: int, columns: int | None = None, *,
                            progress: bool | None = None
                            ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Energies and :math:`\ln g(E)` of the periodic L x M Ising model, as float arrays.

    The same exact spectrum as :func:`ising_2d_degeneracies`, with each logarithm
    correctly rounded from the exact integer (so no overflow at any size: at L = 64,
    :math:`g` reaches :math:`10^{1232}`).

    Examples
    --------
    >>> import maxent
    >>> e, log_g = maxent.models.ising_2d_log_degeneracy(2)
    >>> e, log_g.round(6)
    (array([-8.,  0.,  8.]), array([0.693147, 2.484907, 0.693147]))
    """
    g = ising_2d_degeneracies(side, columns, progress=progress)
    energies = np.array(list(g), dtype=np.float64)
    return energies, np.array([math.log(x) for x in g.values()], dtype=np.float64)


# ---------------------------------------------------------------------------- thermodynamics
def _log_cosh_terms(u, du, d2u):
    """ln 2cosh(u), its first and second K-derivatives, for u >= 0 (arrays)."""
    e = np.exp(-2.0 * u)
    t = (1.0 - e) / (1.0 + e)                        # tanh u
    sech2 = 4.0 * e / (1.0 + e) ** 2
    return u + np.log1p(e), t * du, t * d2u + sech2 * du * du


def _log_sinh_terms(u, du, d2u):
    """ln 2sinh(u), its first and second K-derivatives, for u > 0 (arrays)."""
    e = np.exp(-2.0 * u)
    coth = (1.0 + e) / -np.expm1(-2.0 * u)
    csch2 = 4.0 * e / np.expm1(-2.0 * u) ** 2
    return u + np.log1p(-e), coth * du, coth * d2u - csch2 * du * du


def _kaufman_thermo(rows: int, cols: int, k_coupling: NDArray[np.float64]):
    """ln Z, d ln Z / dK and d^2 ln Z / dK^2 of the L x M torus, for K > 0 (arrays)."""
    kk = k_coupling[:, None]
    s = np.sinh(2.0 * kk)
    c = np.cosh(2.0 * kk)
    half = 0.5 * rows
    # gamma_k, k = 1 ... 2M - 1 (k = 0 separately); cosh gamma_k = s + 1/s - cos(pi k / M)
    k_idx = np.arange(1, 2 * cols)
    d = (s - 1.0) ** 2 / s + 2.0 * np.sin(0.5 * np.pi * k_idx / cols) ** 2   # cosh g - 1
    sinh_g = np.sqrt(d * (d + 2.0))
    gam = np.log1p(d + sinh_g)
    da = 2.0 * c * (1.0 - 1.0 / s**2)                                        # (s + 1/s)'
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
    for use_odd, hyper in ((True, _log_cosh_terms), (True, _log_sinh_terms),
                           (False, _log_cosh_terms), (False, _log_sinh_terms)):
        sel = odd if use_odd else ~odd
        lg, d1, d2 = hyper(half * gam[:, sel], half * dgam[:, sel], half * d2gam[:, sel])
        a, r1, r2 = lg.sum(axis=1), d1.sum(axis=1), d2.sum(axis=1)
        f, df, d2f = np.ones_like(a), np.zeros_like(a), np.zeros_like(a)
        if not use_odd:                              # the k = 0 factor
            u, du, d2u = half * g0, half * dg0, half * d2g0
            if hyper is _log_cosh_terms:
                lg0, d10, d20 = hyper(np.abs(u), np.sign(u) * du, np.sign(u) * d2u)
                a, r1, r2 = a + lg0, r1 + d10, r2 + d20
            else:                                    # 2 sinh u = e^|u| f: may vanish
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
    ref = r1[2]
    e1 = r1 - ref
    zsum = np.sum(w * f, axis=0)
    mean1 = np.sum(w * (f * e1 + df), axis=0) / zsum
    mean2 = np.sum(w * (f * (r2 + e1 * e1) + 2.0 * df * e1 + d2f), axis=0) / zsum
    log_z = -math.log(2.0) + 0.5 * n_sites * np.log(2.0 * s[:, 0]) + a_max + np.log(zsum)
    dlog_z = n_sites * c[:, 0] / s[:, 0] + ref + mean1
    d2log_z = -2.0 * n_sites / s[:, 0] ** 2 + mean2 - mean1 * mean1
    return log_z, dlog_z, d2log_z


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
    g = _counts(min(rows, cols), max(rows, cols), False)
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
    g = _counts(min(rows, cols), max(rows, cols), False)
    ratio = fmpz_poly([1] + [2 * (-1) ** n for n in range(1, order)])   # (1 - t)/(1 + t)
    ratio2 = (ratio * ratio).truncate(order)
    acc = fmpz_poly([0])
    for gk in reversed(g):                           # sum_k g_k ratio^k over even k
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


def _onsager_thermo(k_coupling: NDArray[np.float64]):
    r"""Per-site ln Z, d ln Z/dK and d^2 ln Z/dK^2 of the infinite lattice (Onsager).

    :math:`\ln Z/N = \ln(2\cosh 2K) + \frac1\pi\int_0^{\pi/2}
    \ln\frac{1 + \sqrt{1 - \kappa^2\sin^2\phi}}{2}\,d\phi`, :math:`\kappa = 2\sinh 2K /
    \cosh^2 2K`; U and C from the complete elliptic integrals of modulus :math:`\kappa`.
    """
    s = np.sinh(2.0 * k_coupling)
    c = np.cosh(2.0 * k_coupling)
    kappa = 2.0 * s / (1.0 + s * s)                  # 2 sinh 2K / cosh^2 2K
    one_minus_k2 = ((1.0 - s) ** 2 / (1.0 + s * s)) * (1.0 + kappa)   # 1 - kappa^2
    ell_k = special.ellipkm1(one_minus_k2)
    ell_e = special.ellipe(kappa * kappa)
    log_z = np.empty_like(k_coupling)
    for i, kap in enumerate(kappa):
        integral, _ = integrate.quad(
            lambda phi, kap=kap: math.log(0.5 * (1.0 + math.sqrt(
                max(0.0, 1.0 - (kap * math.sin(phi)) ** 2)))),
            0.0, 0.5 * math.pi, epsabs=1e-15, epsrel=1e-13, limit=200)
        log_z[i] = math.log(2.0 * c[i]) + integral / math.pi
    # d ln Z/dK = coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K(kappa)], and its derivative with
    # dK/dkappa = E/(kappa (1 - kappa^2)) - K/kappa, 1 - kappa^2 = (1 - s^2)^2 / c^4
    critical = one_minus_k2 == 0.0
    with np.errstate(invalid="ignore"):
        tail = np.where(critical, 0.0, (s * s - 1.0) / (c * c) * ell_k)
        d1 = (c / s) * (1.0 + (2.0 / np.pi) * tail)
        d2 = (-2.0 / s**2 - (4.0 / np.pi) * tail / s**2
              + (4.0 / np.pi) * (c / s) ** 2 * (ell_k - ell_e))
    return log_z, d1, np.where(critical, np.inf, d2)


def ising_2d_thermo(side: float, temperatures: ArrayLike, *,
                    columns: int | None = None) -> xr.Dataset:
    r"""Exact thermodynamics per site of the periodic L x M Ising model, at any size.

    From Kaufman's closed form (see the module docstring), evaluated in log space with
    its analytic first and second derivatives in :math:`K = 1/T` (J = k_B = 1); for
    ``side=np.inf``, Onsager's infinite-lattice solution.

    Parameters
    ----------
    side : int or inf
        L >= 2, the number of rows (and of columns unless ``columns`` is given); any size
        (L = 1024 takes milliseconds per temperature).  ``np.inf`` gives the
        thermodynamic limit.
    temperatures : array_like
        Temperatures :math:`T \ge 0` (``0`` and ``inf`` allowed).
    columns : int, optional
        M >= 2, the number of columns.

    Returns
    -------
    xarray.Dataset
        Dim ``temperature`` with coordinate ``beta``; per-site variables ``log_Z``
        (:math:`\ln Z / LM`), ``free_energy``, ``internal_energy``, ``entropy`` and
        ``heat_capacity``, as :func:`maxent.temperature_sweep` names them.

    Raises
    ------
    InvalidInputError
        If ``side`` or ``columns`` is not an int >= 2 (``side`` may be ``inf``), or a
        temperature is negative or NaN.

    Notes
    -----
    Three regimes, each where it is accurate to about 1e-13 relative:

    * :math:`0.8 \le T \le 10` (:math:`K = 1/T`): Kaufman's closed form.  ``ln Z`` is
      :math:`\ln\tfrac12 + \tfrac{LM}{2}\ln(2\sinh 2K) + \ln\sum_i Z_i` with each
      :math:`\ln|Z_i|` a sum of :math:`\ln 2\cosh` / :math:`\ln 2\sinh` terms.
      :math:`C = K^2\,\partial_K^2 \ln Z` is a sum of per-mode second derivatives plus
      the spread of the four terms' first derivatives (a mixture variance), never a
      difference of two extensive numbers; the one factor that can vanish
      (:math:`\sinh(L\gamma_0/2)` at :math:`T_c`) is kept outside the logarithm.  At
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

    Examples
    --------
    >>> import maxent
    >>> ds = maxent.models.ising_2d_thermo(2, [1.0, float("inf")])
    >>> ds.log_Z.values.round(6)       # ln(2 e^8 + 12 + 2 e^-8) / 4, ln 2
    array([2.17379 , 0.693147])
    >>> round(float(maxent.models.ising_2d_thermo(float("inf"), [1.0]).internal_energy[0]), 6)
    -1.99716
    """
    infinite = isinstance(side, (float, np.floating)) and math.isinf(side) and side > 0
    if infinite:
        if columns is not None:
            raise InvalidInputError("`columns` must be None when `side` is inf; got "
                                    f"{columns!r}.")
        rows = cols = 0
    else:
        rows, cols = _check_sides(side, columns)
    t = as_float_array(temperatures, "temperatures", ndim=1)
    if np.any(np.isnan(t)) or np.any(t < 0):
        bad = int(np.flatnonzero(np.isnan(t) | (t < 0))[0])
        raise InvalidInputError(f"`temperatures` must be >= 0 (not NaN); got {t[bad]!r} at "
                                f"index {bad}.")
    with np.errstate(divide="ignore"):
        beta = 1.0 / t
    n_sites = math.inf if infinite else rows * cols
    log_z, u, cap, entropy = (np.zeros_like(t) for _ in range(4))
    series = _low_t_series(0, 0) if infinite else _low_t_series(rows, cols)
    high_series = _high_t_series(0, 0) if infinite else _high_t_series(rows, cols)
    k_low = _K_LOW_T if series is None else _K_SERIES_LOW_T
    k_high = _K_HIGH_T if high_series is None else _K_SERIES_HIGH_T
    # Kaufman / Onsager between the asymptotic regimes
    mid = (beta >= k_high) & (beta <= k_low)
    if np.any(mid):
        k = beta[mid]
        if infinite:
            lz, d1, d2 = _onsager_thermo(k)
        else:
            lz, d1, d2 = (x / n_sites for x in _kaufman_thermo(rows, cols, k))
        log_z[mid], u[mid], cap[mid], entropy[mid] = lz, -d1, k * k * d2, lz - k * d1
    # high T: the series in t = tanh K, or else (T > 1e4) the leading terms with
    # <E^2>_inf = q N (relative error ~K^2, ~K on a side of 3)
    high = (beta > 0) & (beta < k_high)
    k = beta[high]
    if high_series is not None:
        th = np.tanh(k)[:, None]
        j = np.arange(high_series.size)
        one = 1.0 - th * th                          # dt/dK
        t_j = high_series * th ** j                  # c_j t^j
        t_j1 = high_series * j * th ** np.maximum(j - 1, 0)          # d(c_j t^j)/dt
        t_j2 = high_series * j * (j - 1) * th ** np.maximum(j - 2, 0)
        log_z[high] = math.log(2.0) + 2.0 * np.log(np.cosh(k)) + t_j.sum(axis=1)
        u[high] = -(2.0 * th[:, 0] + one[:, 0] * t_j1.sum(axis=1))
        cap[high] = k * k * (2.0 * one[:, 0] + one[:, 0] ** 2 * t_j2.sum(axis=1)
                             - 2.0 * th[:, 0] * one[:, 0] * t_j1.sum(axis=1))
        entropy[high] = log_z[high] + k * u[high]
    else:
        q = _bond_pair_moment(rows, cols)
        log_z[high], u[high] = math.log(2.0) + 0.5 * q * k * k, -q * k
        cap[high], entropy[high] = q * k * k, math.log(2.0) - 0.5 * q * k * k
    # low T: the series in x = e^(-2K), or else (thin, long lattices, T < 1/8) the ground
    # states and first excitations; T = 0 is their limit
    low = beta > k_low
    k = beta[low]
    ground = 0.0 if infinite else math.log(2.0) / n_sites
    with np.errstate(over="ignore"):
        x = np.exp(-2.0 * k)
    k = np.where(x > 0, k, 0.0)                      # x = 0 from K ~ 370 on (and at T = 0)
    if series is not None:
        j = np.arange(series.size)
        terms = series * x[:, None] ** j
        log_z[low] = 2.0 * beta[low] + ground + terms.sum(axis=1)
        u[low] = -2.0 + terms @ (2.0 * j)
        cap[low] = k * k * (terms @ (4.0 * j * j))
        entropy[low] = ground + terms.sum(axis=1) + 2.0 * k * (terms @ j)
    else:
        x = 0.5 * _first_excitations(rows, cols) * x**4
        w = x / (1.0 + x)
        log_z[low] = 2.0 * beta[low] + (math.log(2.0) + np.log1p(x)) / n_sites
        u[low] = -2.0 + 8.0 * w / n_sites
        cap[low] = 64.0 * k * k * w / (1.0 + x) / n_sites
        entropy[low] = (math.log(2.0) + np.log1p(x) + 8.0 * k * w) / n_sites
    hot = beta == 0
    log_z[hot], u[hot], cap[hot], entropy[hot] = math.log(2.0), 0.0, 0.0, math.log(2.0)
    with np.errstate(invalid="ignore"):
        free = np.where(np.isfinite(beta) & (beta > 0), -t * log_z, 0.0)
    free[np.isinf(beta)], free[hot] = -2.0, -np.inf
    system = ("Ising square lattice, infinite (Onsager)" if infinite
              else f"Ising {rows}x{cols}, periodic, J = 1")
    per_site = {"units": "1"}
    return xr.Dataset(
        {
            "log_Z": ("temperature", log_z,
                      {"long_name": "log partition function per site", **per_site,
                       "description": "ln Z / (L M)"}),
            "free_energy": ("temperature", free,
                            {"long_name": "free energy per site", "units": "J",
                             "description": "F / (L M) = -T ln Z / (L M)"}),
            "internal_energy": ("temperature", u,
                                {"long_name": "internal energy per site", "units": "J",
                                 "description": "U / (L M) = -d ln Z / d beta / (L M)"}),
            "entropy": ("temperature", entropy,
                        {"long_name": "entropy per site", "units": "k_B",
                         "description": "S / (L M) = (ln Z + beta U) / (L M)"}),
            "heat_capacity": ("temperature", cap,
                              {"long_name": "heat capacity per site", "units": "k_B",
                               "description": "C / (L M) = beta^2 d^2 ln Z / d beta^2 / (L M)"}),
        },
        coords={
            "temperature": ("temperature", t, {"long_name": "temperature", "units": "J"}),
            "beta": ("temperature", beta,
                     {"long_name": "inverse temperature", "units": "1/J",
                      "description": "beta = 1 / (k_B T)"}),
        },
        attrs={
            "title": f"exact thermodynamics per site: {system}",
            "system": system,
            "method": "Onsager 1944" if infinite else "Kaufman 1949 closed form",
            "rows": -1 if infinite else rows,
            "columns": -1 if infinite else cols,
            "coupling_J": 1.0,
            "unit_system": "natural (k_B = 1, J = 1)",
            "critical_temperature": CRITICAL_TEMPERATURE,
        },
    )
