r"""Built-in level schemes: textbook systems, exact Ising spectra and NIST atoms.

Every function returns :class:`~maxent.EnergyLevels`.  Energies are dimensionless
(``unit="1"``, use with :math:`k_B = 1`) except for :func:`atom` (cm⁻¹, so temperatures
are in kelvin).  Unbounded spectra (harmonic oscillator, rigid rotor, Einstein solid) are
truncated so that the neglected Boltzmann weight at the highest requested temperature is
below ``tol`` (relative to :math:`Z`).
"""

from __future__ import annotations

import math
from importlib import resources
from typing import TYPE_CHECKING, Any, TypedDict, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from ._checks import as_float_array, integer, real_number
from ._dataset import dataset, variable
from ._units import (
    BOLTZMANN,
    compact_unit,
    energy_unit_name,
    is_temperature,
    joule_per,
    magnitude,
    read_quantity,
    resolve_units,
)
from ._units import quantity as _quantity
from .enumeration import lattice_spectrum
from .errors import InvalidInputError
from .ising_exact import ising_2d_degeneracies, ising_2d_log_degeneracy
from .ising_thermo import ising_2d_thermo
from .levels import EnergyLevels

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "ATOMS",
    "MAX_LEVELS",
    "atom",
    "debye_solid",
    "einstein_solid",
    "equally_spaced",
    "harmonic_oscillator",
    "ising_2d",
    "ising_2d_degeneracies",
    "ising_2d_log_degeneracy",
    "ising_2d_thermo",
    "ising_chain",
    "lattice_spectrum",
    "paramagnet",
    "rigid_rotor",
    "spin_paramagnet",
    "two_level",
]

#: Neutral atoms whose NIST level tables ship with maxent.
ATOMS = ("C", "Fe", "H", "Na", "O")


def _positive_scalar(value: object, name: str) -> float:
    return cast(float, real_number(value, name, minimum=0.0, strict=True))


def _positive_int(value: object, name: str, minimum: int = 1, maximum: int = 2**63 - 1) -> int:
    """An int in [minimum, maximum] (``maximum``: the levels it makes stay bounded)."""
    return cast(int, integer(value, name, minimum=minimum, maximum=maximum))


def _energy_scale(value: object, name: str) -> tuple[float, str]:
    """A positive energy scale and its unit: ``"1"`` for a number (or a dimensionless
    quantity), else the unit of an energy-like quantity (meV, K, cm^-1, kJ/mol, ...)."""
    mag, unit = read_quantity(value, name)
    if unit is None or energy_unit_name(unit, name) == "1":
        return _positive_scalar(value, name), "1"
    return _positive_scalar(np.asarray(mag)[()], name), compact_unit(energy_unit_name(unit, name))


def _zeeman_scale(field: object, moment: object) -> tuple[float, str]:
    """mu B and its unit: numbers, or quantities whose product is an energy (T and J/T,
    T and bohr_magneton, ...)."""
    parts: list[Any] = []
    for value, name in ((field, "field"), (moment, "moment")):
        mag, unit = read_quantity(value, name)
        _positive_scalar(np.asarray(mag)[()] if unit is not None else value, name)
        parts.append(value if unit is None else _quantity(mag, unit))
    product = parts[0] * parts[1]
    if all(hasattr(x, "units") for x in parts):  # a Zeeman energy from T and J/T (or mu_B)
        try:
            product = product.to("meV")
        except Exception:  # noqa: BLE001 - not an energy: refused below, naming both
            pass
    return _energy_scale(product, "field * moment")


def _unit_text(unit: str) -> str:
    return "" if unit == "1" else f" {unit}"


def _max_temperature(
    temperatures: ArrayLike, unit: str = "1", name: str = "max_temperature"
) -> float:
    """The largest temperature as k_B T in the energy ``unit`` (kelvin when it has one)."""
    if unit == "1":
        t = as_float_array(temperatures, name)
    else:
        us = resolve_units(unit, unit)  # temperatures in kelvin, k_B in unit per kelvin
        t = as_float_array(magnitude(temperatures, name, us, "temperature"), name)
        t = t * us.boltzmann_constant
    t_max = float(np.max(np.abs(t))) if t.size else np.nan
    if not (np.isfinite(t_max) and t_max > 0) or np.any(t < 0):
        raise InvalidInputError(
            f"`{name}` must be finite and > 0 (an unbounded spectrum has no T = inf or "
            f"T < 0 limit); got {t_max!r}."
        )
    return t_max


def _check_tol(tol: float) -> float:
    return cast(
        float, real_number(tol, "tol", minimum=0.0, strict=True, maximum=1.0, strict_maximum=True)
    )


#: Most levels a truncated model may hold (memory and time stay bounded).
MAX_LEVELS = 10**7


def _check_level_count(n_estimate: float, what: str) -> None:
    if not n_estimate <= MAX_LEVELS:
        raise InvalidInputError(
            f"{what} needs about {n_estimate:.3g} levels, more than the limit "
            f"{MAX_LEVELS:.0e} (maxent.models.MAX_LEVELS); lower `max_temperature`, raise "
            "the energy scale or raise `tol`."
        )


def _log_binomial(n: NDArray[np.float64] | float, k: NDArray[np.float64]) -> NDArray[np.float64]:
    """:math:`\\ln \\binom{n}{k}` by log-gamma functions (any size)."""
    return special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0)


class _Degeneracy(TypedDict, total=False):
    """One of the two degeneracy keywords of :class:`EnergyLevels`."""

    degeneracy: NDArray[np.float64]
    log_degeneracy: NDArray[np.float64]


def _binomial_degeneracy(n: int, k: NDArray[np.int64]) -> _Degeneracy:
    """``degeneracy`` exactly (correctly rounded) while it fits, else ``log_degeneracy``."""
    if n <= 1000 and k.size <= 10**4:
        return {"degeneracy": np.array([float(math.comb(n, int(i))) for i in k])}
    return {"log_degeneracy": _log_binomial(float(n), k.astype(np.float64))}


# ---------------------------------------------------------------------------- simple
def two_level(gap: float = 1.0) -> EnergyLevels:
    r"""Two non-degenerate levels at 0 and ``gap`` (:math:`\Delta`): the Schottky system.

    Examples
    --------
    >>> import maxent
    >>> maxent.models.two_level(2.0).energies
    array([0., 2.])
    """
    gap, unit = _energy_scale(gap, "gap")
    return EnergyLevels(
        [0.0, gap],
        labels=("ground", "excited"),
        unit=unit,
        name=f"two-level, gap Δ = {gap:g}{_unit_text(unit)}",
    )


def equally_spaced(n_levels: int, spacing: float = 1.0) -> EnergyLevels:
    r"""``n_levels`` non-degenerate levels :math:`E_n = n\,\epsilon`, n = 0 ... n_levels - 1.

    Examples
    --------
    >>> import maxent
    >>> maxent.models.equally_spaced(3, spacing=0.5).energies
    array([0. , 0.5, 1. ])
    """
    n = _positive_int(n_levels, "n_levels", maximum=MAX_LEVELS)
    eps, unit = _energy_scale(spacing, "spacing")
    return EnergyLevels(
        eps * np.arange(n),
        unit=unit,
        name=f"{n} equally spaced levels, ε = {eps:g}{_unit_text(unit)}",
    )


def _negative_binomial_cutoff(n_osc: int, beta_hw: float, tol: float, what: str) -> int:
    """Smallest q_max such that P(q > q_max) < tol for N oscillators at beta hbar omega."""
    p = -math.expm1(-beta_hw)  # 1 - e^{-beta hw}, accurately
    occupation = 1.0 / math.expm1(beta_hw) if beta_hw < 700 else 0.0
    mean = n_osc * occupation
    spread = math.sqrt(n_osc * occupation) * math.sqrt(1.0 + occupation)  # no overflow
    # generous a-priori bound: mean + tail of a geometric / Gaussian tail
    tail = (math.log(1.0 / tol) + 1.0) * (1.0 + occupation) + 10.0 * spread
    _check_level_count(mean + tail, what)
    q = int(stats.nbinom.isf(tol, n_osc, p))
    while stats.nbinom.sf(q, n_osc, p) >= tol:
        q += 1
    return q


def harmonic_oscillator(
    hbar_omega: float = 1.0,
    *,
    max_temperature: ArrayLike = 10.0,
    tol: float = 1e-12,
    zero_point: bool = True,
) -> EnergyLevels:
    r"""Quantum harmonic oscillator :math:`E_n = \hbar\omega (n + 1/2)`, truncated.

    Parameters
    ----------
    hbar_omega : float, default 1
        Level spacing :math:`\hbar\omega`.
    max_temperature : float or array_like, default 10
        The highest temperature to be used (or the grid itself; its maximum is used).
    tol : float, default 1e-12
        The levels kept carry all but a fraction ``tol`` of :math:`Z` at every
        temperature up to ``max_temperature``: the neglected weight is
        :math:`x^{n}` with :math:`x = e^{-\hbar\omega/k_B T}`, so ``n`` levels are kept with
        :math:`x^n < \mathrm{tol}`.
    zero_point : bool, default True
        Include the zero-point energy :math:`\hbar\omega/2`.

    Raises
    ------
    InvalidInputError
        If ``hbar_omega`` or ``max_temperature`` is not finite and positive, or
        ``tol`` is not in (0, 1).

    Examples
    --------
    >>> import maxent
    >>> maxent.models.harmonic_oscillator(1.0, max_temperature=0.1, tol=1e-6).energies
    array([0.5, 1.5])
    """
    hw, unit = _energy_scale(hbar_omega, "hbar_omega")
    t_max = _max_temperature(max_temperature, unit)
    tol = _check_tol(tol)
    n = (
        _negative_binomial_cutoff(
            1, hw / t_max, tol, f"`hbar_omega` = {hw:g} at `max_temperature` = {t_max:g}"
        )
        + 1
    )
    e = hw * (np.arange(n) + (0.5 if zero_point else 0.0))
    return EnergyLevels(
        e,
        labels=[f"n={i}" for i in range(n)],
        unit=unit,
        name=f"harmonic oscillator, ħω = {hw:g}{_unit_text(unit)}, {n} levels",
    )


def einstein_solid(
    n_oscillators: int,
    hbar_omega: float = 1.0,
    *,
    max_temperature: ArrayLike = 10.0,
    tol: float = 1e-12,
    zero_point: bool = True,
) -> EnergyLevels:
    r"""Einstein solid of N oscillators: :math:`E_q = \hbar\omega (q + N/2)`, truncated.

    Level ``q`` (``q`` quanta shared among ``N`` oscillators) has degeneracy
    :math:`g_q = \binom{q + N - 1}{q}`.  Truncated at the smallest ``q_max`` for which
    the probability of more quanta at ``max_temperature`` (a negative binomial tail) is
    below ``tol``.

    Raises
    ------
    InvalidInputError
        As for :func:`harmonic_oscillator`, or if ``n_oscillators`` is not an int >= 1.

    Examples
    --------
    >>> import maxent
    >>> maxent.models.einstein_solid(3, max_temperature=0.2, tol=1e-3).degeneracy
    array([1., 3.])
    """
    n_osc = _positive_int(n_oscillators, "n_oscillators")
    hw, unit = _energy_scale(hbar_omega, "hbar_omega")
    t_max = _max_temperature(max_temperature, unit)
    tol = _check_tol(tol)
    q = np.arange(
        _negative_binomial_cutoff(
            n_osc,
            hw / t_max,
            tol,
            f"`n_oscillators` = {n_osc} with `hbar_omega` = {hw:g} at `max_temperature` = "
            f"{t_max:g}",
        )
        + 1
    )
    # g_q = C(q + N - 1, q): exact while it fits, else ln g by log-gamma functions
    g: _Degeneracy
    if q.size <= 10**4 and n_osc + q[-1] <= 1030:
        g = {"degeneracy": np.array([float(math.comb(int(i) + n_osc - 1, int(i))) for i in q])}
    else:
        g = {
            "log_degeneracy": _log_binomial(
                (q + (n_osc - 1.0)).astype(np.float64), q.astype(np.float64)
            )
        }
    e = hw * (q + (0.5 * n_osc if zero_point else 0.0))
    return EnergyLevels(
        e,
        **g,
        labels=[f"q={i}" for i in q],
        unit=unit,
        name=f"Einstein solid, {n_osc} oscillators, ħω = {hw:g}{_unit_text(unit)}",
    )


def rigid_rotor(
    rotational_constant: float = 1.0, *, max_temperature: ArrayLike = 10.0, tol: float = 1e-12
) -> EnergyLevels:
    r"""Rigid rotor :math:`E_J = B J (J + 1)`, :math:`g_J = 2J + 1`, truncated.

    Levels :math:`J \le J_{\max}` are kept, with :math:`J_{\max}` the smallest value for
    which the tail :math:`\sum_{J > J_{\max}} g_J e^{-\beta E_J}` is below
    ``tol`` :math:`\le` ``tol`` :math:`Z` at ``max_temperature``; the bound used is
    :math:`\int_{J_{\max}}^\infty (2x + 1) e^{-\beta B x(x+1)} dx
    = e^{-\beta B J_{\max}(J_{\max}+1)} / (\beta B)` (valid where the terms decrease).

    Raises
    ------
    InvalidInputError
        If ``rotational_constant`` or ``max_temperature`` is not finite and positive, or
        ``tol`` is not in (0, 1).

    Examples
    --------
    >>> import maxent
    >>> rot = maxent.models.rigid_rotor(1.0, max_temperature=0.1, tol=1e-3)
    >>> rot.energies, rot.degeneracy
    (array([0., 2.]), array([1., 3.]))
    """
    b_rot, unit = _energy_scale(rotational_constant, "rotational_constant")
    t_max = _max_temperature(max_temperature, unit)
    tol = _check_tol(tol)
    a = b_rot / t_max

    def enough(j: float) -> bool:
        return (2 * j + 1) ** 2 * a > 2 and -a * j * (j + 1) - math.log(a) < math.log(tol)

    # smallest integer J above both bounds (solved for J), then checked exactly
    r = -math.log(tol) - math.log(a)
    bound = max(
        (math.sqrt(2.0 / a) - 1.0) / 2.0, (math.sqrt(1.0 + 4.0 * max(r, 0.0) / a) - 1.0) / 2.0, 0.0
    )
    _check_level_count(
        bound + 1.0, f"`rotational_constant` = {b_rot:g} at `max_temperature` = {t_max:g}"
    )
    j = max(int(bound) - 2, 0)
    while not enough(j):
        j += 1
    js = np.arange(j + 1)
    return EnergyLevels(
        b_rot * js * (js + 1),
        degeneracy=2 * js + 1,
        labels=[f"J={i}" for i in js],
        unit=unit,
        name=f"rigid rotor, B = {b_rot:g}{_unit_text(unit)}, J ≤ {j}",
    )


def paramagnet(n_spins: int = 1, field: float = 1.0, *, moment: float = 1.0) -> EnergyLevels:
    r"""N spin-1/2 moments in a field: :math:`E_k = -\mu B (N - 2k)`, :math:`g_k = \binom{N}{k}`.

    ``k`` is the number of moments anti-aligned with the field, k = 0 ... N.  The
    closed forms are :math:`U = -N \mu B \tanh(\beta\mu B)` and
    :math:`C = N (\beta\mu B)^2 / \cosh^2(\beta\mu B)`.

    Raises
    ------
    InvalidInputError
        If ``n_spins`` is not an int >= 1 (and below ``MAX_LEVELS``) or
        ``field``/``moment`` not finite and positive.

    Examples
    --------
    >>> import maxent
    >>> pm = maxent.models.paramagnet(2, field=0.5)
    >>> pm.energies, pm.degeneracy
    (array([-1.,  0.,  1.]), array([1., 2., 1.]))
    """
    n = _positive_int(n_spins, "n_spins", maximum=MAX_LEVELS - 1)
    mb, unit = _zeeman_scale(field, moment)
    k = np.arange(n + 1)
    return EnergyLevels(
        -mb * (n - 2 * k),
        **_binomial_degeneracy(n, k),
        labels=[f"{k_} down" for k_ in k],
        unit=unit,
        name=f"spin-1/2 paramagnet, {n} spins, μB = {mb:g}{_unit_text(unit)}",
    )


def spin_paramagnet(
    n_spins: int = 1, field: float = 1.0, *, spin: float = 1.0, moment: float = 1.0
) -> EnergyLevels:
    r"""N spin-J moments in a field: the spectrum behind the Brillouin function.

    Each spin has levels :math:`m = -J, \dots, J` with energy :math:`-\mu B\, m / J`
    (``moment`` :math:`\mu` is the moment of a fully aligned spin, as in
    :func:`paramagnet`, which is the case J = 1/2).  Level ``k`` of the N spins
    (:math:`k = \sum_i (J - m_i)`) has :math:`E_k = -\mu B (N J - k)/J` and degeneracy the
    coefficient of :math:`t^k` in :math:`(1 + t + \dots + t^{2J})^N`, computed in log
    space.  Closed forms: :math:`U = -N \mu B\, B_J(\beta\mu B)` with the Brillouin
    function :math:`B_J`, and
    :math:`\ln Z = N \ln[\sinh((2J+1)x/2J) / \sinh(x/2J)]`, :math:`x = \beta\mu B`.

    Raises
    ------
    InvalidInputError
        If ``spin`` is not a positive multiple of 1/2, ``n_spins`` is not an int >= 1,
        ``n_spins * 2J`` exceeds 20000 (J > 1/2; use :func:`paramagnet` for J = 1/2), or
        ``field``/``moment`` are not finite and positive.

    Examples
    --------
    >>> import maxent
    >>> lv = maxent.models.spin_paramagnet(2, spin=1)
    >>> lv.energies, lv.degeneracy
    (array([-2., -1.,  0.,  1.,  2.]), array([1., 2., 3., 2., 1.]))
    """
    n = _positive_int(n_spins, "n_spins")
    j2 = 2.0 * _positive_scalar(spin, "spin")
    if j2 != round(j2):
        raise InvalidInputError(f"`spin` must be a multiple of 1/2; got {spin!r}.")
    j2 = int(round(j2))
    mb, unit = _zeeman_scale(field, moment)
    if j2 == 1:
        lv = paramagnet(n, mb)
        return EnergyLevels(
            lv.energies,
            log_degeneracy=lv.log_degeneracy,
            labels=lv.labels,
            unit=unit,
            name=f"spin-1/2 paramagnet, {n} spins, μB = {mb:g}{_unit_text(unit)}",
        )
    if n * j2 > 20000:
        raise InvalidInputError(
            f"`n_spins` * 2 `spin` = {n * j2} exceeds 20000 for an exact spin-J spectrum; "
            "use fewer spins (the Brillouin closed form scales with N)."
        )
    # ln of the coefficients of (1 + t + ... + t^{2J})^N, one spin at a time
    log_c = np.zeros(1)
    for _ in range(n):
        shifted = np.full((j2 + 1, log_c.size + j2), -np.inf)
        for m in range(j2 + 1):
            shifted[m, m : m + log_c.size] = log_c
        top = np.max(shifted, axis=0)
        log_c = top + np.log(np.sum(np.exp(shifted - top), axis=0))
    k = np.arange(log_c.size)
    exact = np.all(log_c < 36.0)  # below 4e15: round to the integer
    g = {"degeneracy": np.round(np.exp(log_c))} if exact else {"log_degeneracy": log_c}
    spin_text = f"{j2 // 2}" if j2 % 2 == 0 else f"{j2}/2"
    return EnergyLevels(
        -mb * (n * j2 / 2.0 - k) / (j2 / 2.0),
        **g,
        unit=unit,
        name=f"spin-{spin_text} paramagnet, {n} spins, μB = {mb:g}{_unit_text(unit)}",
    )


def debye_solid(
    temperatures: ArrayLike,
    debye_temperature: float = 1.0,
    *,
    n_atoms: int = 1,
    zero_point: bool = True,
) -> xr.Dataset:
    r"""Thermodynamics of the Debye solid by its exact integrals (no mode sum).

    :math:`3N` modes with the Debye density of states up to :math:`k_B\Theta_D`; with
    :math:`x = \Theta_D/T` and the Debye function
    :math:`D_3(x) = 3x^{-3}\int_0^x t^3/(e^t - 1)\,dt`:
    :math:`U = \tfrac98 N k_B\Theta_D + 3N k_B T D_3(x)`,
    :math:`F = \tfrac98 N k_B\Theta_D + 3N k_B T \ln(1 - e^{-x}) - N k_B T D_3(x)`,
    :math:`S/k_B = 4N D_3(x) - 3N\ln(1 - e^{-x})`,
    :math:`C/k_B = 3N[4 D_3(x) - 3x/(e^x - 1)]`.

    Parameters
    ----------
    temperatures : array_like or Quantity
        Temperatures > 0 (numbers: k_B = 1, in the unit of ``debye_temperature``).
    debye_temperature : float or Quantity, default 1
        :math:`\Theta_D`, or the energy :math:`k_B\Theta_D`.  Quantities (for both
        arguments, temperatures or energies) are converted: T in kelvin, U and F in the
        energy unit of ``debye_temperature`` (kelvin, i.e. :math:`k_B` K, if it is a
        temperature).
    n_atoms : int, default 1
        N (3N modes).
    zero_point : bool, default True
        Include the zero-point energy :math:`\tfrac98 N k_B \Theta_D`.

    Returns
    -------
    xarray.Dataset
        ``log_Z``, ``free_energy``, ``internal_energy``, ``entropy`` and
        ``heat_capacity`` along ``temperature`` (the variables of a sweep, without
        level populations); with pint-xarray imported, ``ds.pint.quantify()`` gives
        Quantities.

    Raises
    ------
    InvalidInputError
        If a temperature or ``debye_temperature`` is not finite and positive, only one
        of the two carries a unit, or a unit is not a temperature or an energy.

    Examples
    --------
    >>> import maxent
    >>> ds = maxent.models.debye_solid([100.0], debye_temperature=1.0)
    >>> round(float(ds.heat_capacity[0]), 4)                     # Dulong-Petit: 3 N
    3.0
    """
    t, theta, eu = _debye_inputs(temperatures, debye_temperature)
    n = _positive_int(n_atoms, "n_atoms")
    d3, log1m, bose = _debye_functions(theta / t)
    e0 = 9.0 / 8.0 * n * theta if zero_point else 0.0
    u = e0 + 3.0 * n * t * d3
    f = e0 + 3.0 * n * t * log1m - n * t * d3
    s = 4.0 * n * d3 - 3.0 * n * log1m
    c = 3.0 * n * (4.0 * d3 - 3.0 * bose)
    to_eu = 1.0 if eu in ("1", "K") else BOLTZMANN / joule_per(eu)  # k_B K in eu
    tu = "1" if eu == "1" else "K"
    td = "temperature"
    return dataset(
        {
            "log_Z": variable(td, -f / t, "log partition function", "1", "ln Z = -F / (k_B T)"),
            "free_energy": variable(
                td, f * to_eu, "Helmholtz free energy", eu, "F, Debye integral"
            ),
            "internal_energy": variable(td, u * to_eu, "internal energy", eu, "U, Debye integral"),
            "entropy": variable(td, s, "entropy", "k_B", "S / k_B = 4 N D_3 - 3 N ln(1 - e^-x)"),
            "heat_capacity": variable(
                td,
                c,
                "heat capacity",
                "k_B",
                "C / k_B = 3 N (4 D_3(x) - 3 x / (e^x - 1)), x = Theta_D / T",
            ),
        },
        coords={"temperature": variable(td, t, "temperature", tu)},
        title=f"Debye solid, {n} atoms",
        system=f"Debye solid, {n} atoms, Θ_D = {theta:g}{_unit_text(tu)}",
        unit_system="natural (k_B = 1)" if eu == "1" else f"energies in {eu}, temperature in K",
        energy_unit=eu,
        temperature_unit=tu,
        debye_temperature=theta,
        n_atoms=n,
        boltzmann_constant=to_eu,
        boltzmann_constant_units="1" if eu == "1" else f"({eu})/K",
    )


def _debye_inputs(
    temperatures: ArrayLike, debye_temperature: object
) -> tuple[NDArray[np.float64], float, str]:
    """T and Theta_D as numbers (kelvin if they carry units) and the energy unit."""
    units = [
        read_quantity(temperatures, "temperatures")[1],
        read_quantity(debye_temperature, "debye_temperature")[1],
    ]
    if all(u is None for u in units):
        eu, us = "1", None
    elif any(u is None for u in units):
        raise InvalidInputError(
            "give `temperatures` and `debye_temperature` both with units or both as numbers "
            f"(got units {units[0]!r} and {units[1]!r})."
        )
    else:
        theta_unit = cast(str, units[1])
        eu = "K" if is_temperature(theta_unit, "debye_temperature") else theta_unit
        eu = compact_unit(energy_unit_name(eu, "debye_temperature"))
        us = resolve_units("K", "K")  # numbers in kelvin, k_B = 1 K/K
    if us is not None:
        temperatures = magnitude(temperatures, "temperatures", us, "temperature")
        debye_temperature = magnitude(debye_temperature, "debye_temperature", us, "temperature")
    t = np.atleast_1d(as_float_array(temperatures, "temperatures", ndim=(0, 1)))
    if t.size == 0 or not np.all(np.isfinite(t) & (t > 0)):
        raise InvalidInputError("`temperatures` must be finite and > 0.")
    return t, _positive_scalar(debye_temperature, "debye_temperature"), eu


def _debye_functions(
    x: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """D_3(x), ln(1 - e^-x) and x / (e^x - 1), without overflow."""
    from scipy import integrate

    def planck(u: float) -> float:  # u^3 / (e^u - 1), no overflow
        return float(u**3 * np.exp(-u) / -np.expm1(-u)) if u > 0 else 0.0

    def debye3(xi: float) -> float:
        if xi > 60.0:  # all but a tail below e^-60
            tail = (
                integrate.quad(planck, xi, np.inf, epsabs=0, epsrel=1e-13)[0] if xi < 700 else 0.0
            )
            return 3.0 / xi**3 * (np.pi**4 / 15.0 - tail)
        val = integrate.quad(planck, 0.0, xi, epsabs=0, epsrel=1e-13, limit=200)[0]
        return 3.0 / xi**3 * val

    d3 = np.array([debye3(float(xi)) for xi in x])
    with np.errstate(over="ignore"):
        log1m = np.log(-np.expm1(-x))  # ln(1 - e^{-x})
        bose = np.where(x < 700, x / np.expm1(np.minimum(x, 700)), 0.0)
    return d3, log1m, bose


# ---------------------------------------------------------------------------- Ising
def ising_chain(n_spins: int) -> EnergyLevels:
    r"""Exact spectrum of the periodic Ising chain, :math:`E = -\sum_i s_i s_{i+1}`, J = 1.

    With ``k`` unsatisfied bonds (domain walls; ``k`` even on a ring) the energy is
    :math:`-N + 2k` and there are :math:`2\binom{N}{k}` configurations; the degeneracies
    sum to :math:`2^N`.

    Examples
    --------
    >>> import maxent
    >>> ring = maxent.models.ising_chain(4)
    >>> ring.energies, ring.degeneracy
    (array([-4.,  0.,  4.]), array([ 2., 12.,  2.]))
    """
    n = _positive_int(n_spins, "n_spins", maximum=2 * MAX_LEVELS)
    k = np.arange(0, n + 1, 2)
    g = _binomial_degeneracy(n, k)
    g = (
        {"degeneracy": 2.0 * g["degeneracy"]}
        if "degeneracy" in g
        else {"log_degeneracy": math.log(2.0) + g["log_degeneracy"]}
    )
    return EnergyLevels(-n + 2.0 * k, **g, name=f"Ising chain, {n} spins, periodic, J = 1")


def _enumerate_ising_2d(side: int, progress: bool) -> NDArray[np.int64]:
    """Histogram over the number of unsatisfied bonds (0 ... 2 L^2), by enumeration.

    A configuration is an integer whose bit ``r L + c`` is the spin at row r, column c
    (1 = down).  Row patterns are looked up in tables: the unsatisfied horizontal bonds
    within a row, popcount(row XOR rotate(row)), and the unsatisfied vertical bonds
    between two rows, popcount(row_a XOR row_b).  Spin-flip symmetry halves the work.
    """
    from tqdm.auto import tqdm

    n_sites = side * side
    mask = (1 << side) - 1
    rows = np.arange(1 << side, dtype=np.int64)
    rot = ((rows << 1) | (rows >> (side - 1))) & mask

    def popcount(x: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.bitwise_count(x.astype(np.uint64)).astype(np.int64)

    horizontal = popcount(rows ^ rot)
    vertical = popcount(rows[:, None] ^ rows[None, :])
    counts = np.zeros(2 * n_sites + 1, dtype=np.int64)
    total = 1 << (n_sites - 1)  # last spin fixed up; flip symmetry doubles
    chunk = 1 << min(20, n_sites - 1)
    with tqdm(
        total=total,
        desc=f"Ising {side}x{side} enumeration",
        unit="config",
        unit_scale=True,
        disable=not progress,
        leave=False,
    ) as bar:
        for start in range(0, total, chunk):
            c = np.arange(start, min(start + chunk, total), dtype=np.int64)
            row = [(c >> (r * side)) & mask for r in range(side)]
            k = horizontal[row[0]]
            for r in range(1, side):
                k += horizontal[row[r]]
            for r in range(side):
                k += vertical[row[r], row[(r + 1) % side]]
            counts += np.bincount(k, minlength=counts.size)
            bar.update(c.size)
    return 2 * counts


def ising_2d(
    side: int, columns: int | None = None, *, progress: bool | None = None
) -> EnergyLevels:
    r"""Exact spectrum of the periodic L x M Ising model, :math:`E = -\sum_{\langle ij\rangle}
    s_i s_j`, J = 1, no field, for any L, M >= 2 (Kaufman 1949, expanded as Beale 1996).

    The bonds are the :math:`2LM` pairs (site, right neighbour) and (site, lower
    neighbour) with periodic wrap-around (for a side of 2 each pair of neighbours is
    therefore joined by two bonds).  Energies are :math:`-2LM + 2k` for ``k``
    unsatisfied bonds; only energies that occur are returned, with degeneracies summing
    to :math:`2^{LM}`.

    Parameters
    ----------
    side : int
        L >= 2, the number of rows (and of columns unless ``columns`` is given).
    columns : int, optional
        M >= 2, the number of columns (a rectangular torus).
    progress : bool, optional
        Show a progress bar (default: for LM >= 2000).

    Raises
    ------
    InvalidInputError
        If ``side`` or ``columns`` is not an int >= 2.

    See Also
    --------
    maxent.models.ising_2d_thermo : per-site thermodynamics without the levels.
    maxent.models.lattice_spectrum : exact levels of small lattices of any geometry.

    Notes
    -----
    Every degeneracy is an exact integer, for square and rectangular tori, odd or even:
    :func:`ising_2d_degeneracies` returns them as Python ints and describes the method
    and its certificate.  Here ``degeneracy`` holds them as correctly rounded floats
    while their sum :math:`2^{LM}` is a float (LM < 1024); from 32 x 32 on, the levels
    carry ``log_degeneracy`` (:math:`\ln g`, correctly rounded from the exact integers)
    and ``degeneracy`` is :math:`e^{\ln g}`, ``inf`` where :math:`g > 10^{308}`.
    :func:`ising_2d_thermo` gives the thermodynamics of far larger lattices straight from
    Kaufman's closed form.  L = 32 takes about a second, L = 64 under a minute; results
    are cached in memory and on disk (``$MAXENT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/maxent`` or ``~/.cache/maxent``).

    References
    ----------
    .. [1] B. Kaufman, "Crystal statistics. II. Partition function evaluated by spinor
       analysis", Phys. Rev. 76, 1232 (1949).
    .. [2] P. D. Beale, "Exact distribution of energies in the two-dimensional Ising model",
       Phys. Rev. Lett. 76, 78 (1996).

    Examples
    --------
    >>> import maxent
    >>> sq = maxent.models.ising_2d(2)
    >>> sq.energies, sq.degeneracy
    (array([-8.,  0.,  8.]), array([ 2., 12.,  2.]))
    >>> maxent.models.ising_2d(3, 2).degeneracy
    array([ 2., 18., 26., 12.,  6.])
    """
    g = ising_2d_degeneracies(side, columns, progress=progress)
    rows, cols = side, side if columns is None else columns
    energies = np.array(list(g), dtype=np.float64)
    name = f"Ising {rows}x{cols}, periodic, J = 1"
    if rows * cols < 1024:  # g and their sum 2^(LM) are floats
        return EnergyLevels(
            energies, degeneracy=np.array([float(x) for x in g.values()]), name=name
        )
    return EnergyLevels(
        energies,
        log_degeneracy=ising_2d_log_degeneracy(side, columns, progress=progress)[1],
        name=name,
    )


# ---------------------------------------------------------------------------- atoms
def atom(symbol: str) -> EnergyLevels:
    r"""NIST energy levels of a neutral atom (energies in cm⁻¹, :math:`g = 2J + 1`).

    Tables shipped with maxent for ``"H"``, ``"C"``, ``"O"``, ``"Na"`` and ``"Fe"``
    (:data:`ATOMS`), extracted from the NIST Atomic Spectra Database as distributed with
    PyNeb by ``scripts/extract_nist_levels.py`` (see ``data/README.md``).  Only the bound
    levels listed there are included, so the partition function is that of the tabulated
    levels (the usual truncation of atomic partition functions).

    Raises
    ------
    InvalidInputError
        If no table ships for ``symbol``.

    Examples
    --------
    >>> import maxent
    >>> h = maxent.models.atom("H")
    >>> h.unit, h.degeneracy[:3]
    ('cm-1', array([ 2.,  8., 18.]))
    """
    key = str(symbol).strip().capitalize()
    if key not in ATOMS:
        raise InvalidInputError(f"`symbol` must be one of {list(ATOMS)}; got {symbol!r}.")
    ref = resources.files("maxent") / "data" / f"levels_{key}.csv"
    with resources.as_file(ref) as path:
        return EnergyLevels.from_csv(path)
