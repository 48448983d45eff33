r"""Exact spectrum of the square-lattice Ising model on an L x M torus (Kaufman, Beale).

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

:func:`ising_2d_degeneracies` expands it exactly, as Beale (1996) did, into the
polynomial :math:`Z e^{-2LMK} = \sum_k g_k e^{-2Kk}` whose integer coefficients are the
numbers of configurations with ``k`` unsatisfied bonds (:math:`E = -2LM + 2k`).  The
thermodynamics of lattices far too large to expand come from the same formula in
:mod:`maxent.ising_thermo`.

References
----------
B. Kaufman, Phys. Rev. 76, 1232 (1949).  P. D. Beale, Phys. Rev. Lett. 76, 78 (1996).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ._cache import read_entry, write_entry
from ._checks import integer
from .errors import InvalidInputError, MaxEntError

__all__ = ["ising_2d_degeneracies", "ising_2d_log_degeneracy"]

_CACHE_KIND = "ising2d_exact"  # entries: g_k in hexadecimal, one a line

#: Most sites L x M whose spectrum is expanded exactly (128 x 128).  L = 32 takes about a
#: second, L = 64 tens of seconds, and the work grows steeply with L: beyond this limit a
#: call would run for hours, so it is refused at once.
MAX_EXACT_SITES = 128 * 128


def lattice_shape(side: object, columns: object = None) -> tuple[int, int]:
    """(rows, columns) of an L x M torus from ``side`` and ``columns``, validated."""
    rows = cast(int, integer(side, "side", minimum=2))
    return rows, rows if columns is None else cast(int, integer(columns, "columns", minimum=2))


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


def _product(polys: list[Any]) -> Any:
    """Product of arb polynomials by a balanced tree (fast multiplication at the top)."""
    from flint import arb_poly

    if not polys:
        return arb_poly([1])
    while len(polys) > 1:
        polys = [
            polys[i] * polys[i + 1] if i + 1 < len(polys) else polys[i]
            for i in range(0, len(polys), 2)
        ]
    return polys[0]


def _kaufman_term(rows: int, cols: int, even_k: bool, plus: bool) -> Any:
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
    single: list[Any] = []
    double: list[Any] = []
    unpaired: list[Any] = []
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
                if mult > 2:  # cannot happen: roots are at most double
                    raise MaxEntError(f"internal error: root multiplicity {mult}")
    half = _product(double)
    return _product(single + unpaired) * (half * half)


def _kaufman_term_even(rows: int, cols: int, even_k: bool, plus: bool) -> Any:
    r"""The same term for even L and M, as a polynomial in :math:`w = z^2` (half the degree).

    For even L and M the values :math:`u` come in pairs :math:`\pm u` (k -> M - k,
    :math:`\phi \to \pi - \phi`), and each pair of quartics is a quartic in :math:`w`:
    :math:`(w + 1)^4 - 4u^2 w (w - 1)^2`.  The unpaired k = 0 and k = M factors are
    multiplied together exactly; their product is even in z.
    """
    from flint import arb, arb_poly, fmpq, fmpz_poly

    sign = 1 if plus else -1
    angles = _angle_multiplicities(plus, rows)
    single: list[Any] = []
    double: list[Any] = []
    for k in range(2 if even_k else 1, cols, 2):
        c_k = arb.cos_pi_fmpq(fmpq(k, cols))
        for a, mult in angles.items():
            mirror = (cols - k, rows - a)
            if (k, a) > mirror:
                continue  # taken with its partner
            if angles[rows - a] != mult or mult > 2:
                raise MaxEntError("internal error: unpaired roots for even L")
            if (k, a) == mirror:  # u = 0: (z^2 + 1)^2 = (w + 1)^2
                factor = arb_poly([1, 2, 1])
            else:
                u = c_k + arb.cos_pi_fmpq(fmpq(a, rows))
                u4 = 4 * u * u
                factor = arb_poly([1, 4 - u4, 6 + 2 * u4, 4 - u4, 1])
            (single if mult == 1 else double).append(factor)
    if even_k:  # k = 0 and k = M, exactly
        z_l = fmpz_poly([0] * rows + [1])
        zm1, zp1 = fmpz_poly([-1, 1]) ** rows, fmpz_poly([1, 1]) ** rows
        both = (z_l * zm1 + sign * zp1) * (z_l * zp1 + sign * zm1)
        coeffs = both.coeffs()
        if any(coeffs[1::2]):
            raise MaxEntError("internal error: k = 0, M factor not even in z")
        single.append(arb_poly([arb(int(c)) for c in coeffs[0::2]]))
    half = _product(double)
    return _product(single) * (half * half)


def _exact_counts(
    rows: int, cols: int, progress: bool, *, half_degree: bool = True
) -> tuple[int, ...]:
    """g_k for k = 0, 2, ..., 2LM unsatisfied bonds, by exact expansion of Kaufman's Z.

    ``half_degree``: work in w = z^2 when L and M are even (False: always in z).
    """
    from flint import arb, ctx
    from tqdm.auto import tqdm

    n_sites = rows * cols
    prec = n_sites + 2 * max(rows, cols) + 64  # bits; enough by tests up to L = 96
    old_prec = ctx.prec
    try:
        for _attempt in range(4):
            ctx.prec = prec
            with tqdm(
                total=4,
                desc=f"Ising {rows}x{cols} exact (Kaufman)",
                unit="term",
                disable=not progress,
                leave=False,
            ) as bar:
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
            prec = 2 * prec  # a ball held two integers: retry
        else:
            raise MaxEntError(
                f"internal error: Ising {rows}x{cols} coefficients not certified "
                f"as integers at {prec} bits."
            )
    finally:
        ctx.prec = old_prec
    coeffs = [int(c) for c in exact.coeffs()]
    if in_w:  # w^j = z^(2j): spread out again
        coeffs = [x for c in coeffs for x in (c, 0)][:-1]
    coeffs += [0] * (2 * n_sites + 1 - len(coeffs))
    by_k = coeffs[::-1]  # z^(LM - k) holds g_k
    g = tuple(by_k[0::2])
    _certify(g, by_k[1::2], rows, cols)
    return g


def _certify(g: tuple[int, ...], odd: list[int], rows: int, cols: int) -> None:
    n_sites = rows * cols
    if len(g) != n_sites + 1 or any(odd) or min(g) < 0 or sum(g) != 2**n_sites or g[0] != 2:
        raise MaxEntError(
            f"internal error: Ising {rows}x{cols} degeneracies fail their "
            "checks (count, parity, sign, sum 2^(LM), g(E_0) = 2)."
        )


def _read_cache(rows: int, cols: int) -> tuple[int, ...] | None:
    """The degeneracies this version cached for the lattice, if they pass their checks."""
    body = read_entry(_CACHE_KIND, {"rows": rows, "columns": cols})
    if body is None:
        return None
    try:
        g = tuple(int(x, 16) for x in body.split())
        _certify(g, [], rows, cols)
    except (ValueError, MaxEntError):
        return None
    return g


@functools.cache
def _counts(rows: int, cols: int, progress: bool) -> tuple[int, ...]:
    rows, cols = min(rows, cols), max(rows, cols)  # the spectrum is that of the transpose
    g = _read_cache(rows, cols)
    if g is None:
        g = _exact_counts(rows, cols, progress)
        write_entry(_CACHE_KIND, {"rows": rows, "columns": cols}, "\n".join(f"{x:x}" for x in g))
    return g


def ising_2d_degeneracies(
    side: int, columns: int | None = None, *, progress: bool | None = None
) -> dict[int, int]:
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
        If ``side`` or ``columns`` is not an int >= 2, or the lattice has more than
        ``MAX_EXACT_SITES`` (128 x 128) sites.

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
    else ``$XDG_CACHE_HOME/maxent`` or ``~/.cache/maxent``; L = 64 takes 2 MB), keyed by
    the package version and the lattice, written atomically (processes computing the
    same lattice at once each leave a complete entry) and checked again when read.

    Examples
    --------
    >>> import maxent
    >>> maxent.models.ising_2d_degeneracies(2)
    {-8: 2, 0: 12, 8: 2}
    >>> g = maxent.models.ising_2d_degeneracies(32)
    >>> g[-2048], g[-2040], g[-2036]
    (2, 2048, 4096)
    """
    rows, cols = lattice_shape(side, columns)
    n_sites = rows * cols
    if n_sites > MAX_EXACT_SITES:
        raise InvalidInputError(
            f"a {rows} x {cols} lattice (`side`"
            + ("" if columns is None else ", `columns`")
            + f") has {n_sites} sites, more than the {MAX_EXACT_SITES} whose exact spectrum "
            "maxent expands (maxent.ising_exact.MAX_EXACT_SITES); "
            "maxent.models.ising_2d_thermo gives the thermodynamics of any size."
        )
    show = n_sites >= 2000 if progress is None else bool(progress)
    g = _counts(rows, cols, show)
    return {
        2 * k - 2 * n_sites: gk
        for k, gk in zip(range(0, 2 * n_sites + 1, 2), g, strict=True)
        if gk
    }


def ising_2d_log_degeneracy(
    side: int, columns: int | None = None, *, progress: bool | None = None
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
