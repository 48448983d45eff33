"""Unit systems and unit conversion: Boltzmann's constant, and quantities read with pint.

With no unit (energies in ``"1"``, unit system ``"natural"``) :math:`k_B = 1` and
temperatures are measured in the energy unit.  With any energy unit pint knows (``"meV"``,
``"kJ/mol"``, ``"kcal/mol"``, ``"hartree"``, ``"cm^-1"``, ``"K"``, ``"J"``, ``"eV"``,
``"THz"``, ...) temperatures are in kelvin and :math:`k_B` is expressed in energy unit per
kelvin, from :mod:`scipy.constants` (CODATA; exact in the SI since 2019).  Wavenumbers,
frequencies, temperatures and molar energies count as energies through
:math:`E = hc\\tilde\\nu = h\\nu = k_B T = E_\\mathrm{molar}/N_A`.

pint (and astropy, read through its unit string) Quantities are accepted wherever a number
is, and converted; a number is taken to be in the unit system's own unit.  Nothing is ever
stripped: a quantity that cannot be converted raises :class:`InvalidInputError`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import constants

from .errors import InvalidInputError

__all__ = [
    "UNIT_SYSTEMS",
    "UnitSystem",
    "convert",
    "energy_unit_name",
    "is_quantity",
    "joule_per",
    "magnitude",
    "resolve_units",
    "short_unit",
    "split_quantity",
]

#: Unit strings of earlier maxent versions (and of the shipped atomic tables) -> pint.
_ALIASES = {"cm-1": "cm^-1", "1/cm": "cm^-1", "cm**-1": "cm^-1"}


@functools.lru_cache(maxsize=1)
def _registry() -> Any:
    """pint's application registry (the one pint-xarray uses too)."""
    import pint

    return pint.get_application_registry()


def _pint_unit(unit: str, name: str) -> Any:
    import pint

    try:
        return _registry().Unit(_ALIASES.get(unit, unit))
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, AssertionError) as exc:
        raise InvalidInputError(f"`{name}` = {unit!r} is not a unit pint knows ({exc}).") from None


@functools.lru_cache(maxsize=256)
def joule_per(unit: str, name: str = "unit") -> float:
    """Joules per one ``unit`` of energy (or of an energy equivalent: K, cm^-1, Hz, J/mol).

    Raises
    ------
    InvalidInputError
        If pint does not know ``unit`` or it is no energy equivalent.
    """
    ureg = _registry()
    u = _pint_unit(unit, name)
    q = ureg.Quantity(1.0, u)
    dims = q.dimensionality
    if dims == ureg.Quantity(1.0, "J").dimensionality:
        return float(q.to("J").magnitude)
    if dims == ureg.Quantity(1.0, "K").dimensionality:
        if ureg.Quantity(0.0, u).to("K").magnitude != 0.0:
            raise InvalidInputError(
                f"`{name}` = {unit!r} has an offset (use kelvin for an energy scale)."
            )
        return float(q.to("K").magnitude) * constants.k
    if dims == ureg.Quantity(1.0, "1/m").dimensionality:
        return float(q.to("1/m").magnitude) * constants.h * constants.c
    if dims == ureg.Quantity(1.0, "Hz").dimensionality:
        return float(q.to("Hz").magnitude) * constants.h
    if dims == ureg.Quantity(1.0, "J/mol").dimensionality:
        return float(q.to("J/mol").magnitude) / constants.N_A
    raise InvalidInputError(
        f"`{name}` = {unit!r} is not an energy (nor a temperature, wavenumber, frequency or "
        f"molar energy); it has dimension {dims}."
    )


def short_unit(unit: str) -> str:
    """pint's short pretty form of ``unit`` (``electron_volt`` -> ``eV``), else ``unit``."""
    try:
        return f"{_registry().Unit(_ALIASES.get(unit, unit)):~P}"
    except Exception:  # noqa: BLE001 - a unit pint cannot print is shown as it is
        return unit


def energy_unit_name(unit: str, name: str = "unit") -> str:
    """The unit as stored in Datasets: ``"1"`` or a string pint parses (``cm-1`` -> ``cm^-1``)."""
    if unit in ("1", "", "dimensionless"):
        return "1"
    if _pint_unit(unit, name).dimensionless:
        return "1"
    joule_per(unit, name)  # validate
    return _ALIASES.get(unit, unit)


#: :math:`k_B` in each legacy named unit system's energy unit per kelvin.
UNIT_SYSTEMS: dict[str, float] = {
    "eV": constants.k / constants.e,
    "J": constants.k,
    "cm-1": constants.k / (constants.h * constants.c) * 0.01,
    "K": 1.0,
}


@dataclass(frozen=True)
class UnitSystem:
    """Energy and temperature units and :math:`k_B` in energy unit per temperature unit."""

    name: str
    energy_unit: str
    temperature_unit: str
    boltzmann_constant: float
    boltzmann_constant_units: str

    @property
    def beta_unit(self) -> str:
        """Unit of :math:`\\beta = 1/k_B T`."""
        return "1" if self.energy_unit == "1" else f"1/({self.energy_unit})"

    @property
    def natural(self) -> bool:
        """Whether :math:`k_B = 1` (temperatures in the energy unit)."""
        return self.boltzmann_constant_units == "1"


def resolve_units(units: str | None, level_unit: str = "1") -> UnitSystem:
    """The unit system for ``units`` (or, if None, for the levels' own unit).

    ``"natural"`` forces ``k_B = 1`` with temperatures in the energy unit; an energy unit
    says the (unitless) energies are in that unit and temperatures in kelvin, and must
    agree with the unit of the levels unless the levels are unitless (``"1"``).

    Raises
    ------
    InvalidInputError
        If ``units`` is not ``"natural"`` or an energy unit pint knows, or contradicts the
        levels' unit.
    """
    if units is not None and not isinstance(units, str):
        raise InvalidInputError(f"`units` must be a str or None; got {type(units).__name__}.")
    eu_levels = energy_unit_name(level_unit, "unit")
    if units is None:
        units = "natural" if eu_levels == "1" else level_unit
    if units == "natural":
        return UnitSystem("natural (k_B = 1)", eu_levels, eu_levels, 1.0, "1")
    if units == "1":
        if eu_levels != "1":
            raise InvalidInputError(
                f"`units` = '1' contradicts the energy unit {level_unit!r} of `levels`."
            )
        return UnitSystem("natural (k_B = 1)", "1", "1", 1.0, "1")
    try:
        eu = energy_unit_name(units, "units")
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"`units` must be 'natural' or an energy unit pint knows (meV, kJ/mol, cm^-1, K, "
            f"...); got {units!r}: {exc}"
        ) from None
    if eu_levels not in ("1", eu) and joule_per(eu) != joule_per(eu_levels):
        raise InvalidInputError(
            f"`units` = {units!r} contradicts the energy unit {level_unit!r} of `levels`."
        )
    if eu_levels != "1":
        eu = eu_levels
    k_b = 1.0 if eu == "K" else constants.k / joule_per(eu)
    return UnitSystem(f"energies in {eu}, temperature in K", eu, "K", k_b, f"({eu})/K")


# ---------------------------------------------------------------------------- quantities
def is_quantity(value: object) -> bool:
    """Whether ``value`` carries a unit (a pint or astropy Quantity)."""
    if isinstance(value, (str, bytes, np.generic, int, float, complex)):
        return False
    if isinstance(value, np.ndarray) and type(value) is np.ndarray:
        return False  # astropy Quantities subclass ndarray
    pint_like = hasattr(value, "magnitude") and hasattr(value, "units") and hasattr(value, "to")
    astropy_like = hasattr(value, "unit") and hasattr(value, "to_value")
    return pint_like or astropy_like


def split_quantity(value: Any, name: str) -> tuple[Any, str | None]:
    """``(magnitude, unit string)`` of a quantity, or ``(value, None)`` for a number."""
    if not is_quantity(value):
        return value, None
    if hasattr(value, "magnitude") and hasattr(value, "units"):  # pint
        return np.asarray(value.magnitude), str(value.units)
    unit = value.unit  # astropy
    try:
        mag = np.asarray(value.to_value(unit))
    except Exception as exc:  # noqa: BLE001 - any failure of a foreign library
        raise InvalidInputError(f"`{name}`: cannot read the quantity ({exc}).") from None
    text = unit.to_string() if hasattr(unit, "to_string") else str(unit)
    return mag, (text.strip() or "1")


def magnitude(value: Any, name: str, us: UnitSystem, kind: str) -> Any:
    """``value`` as a number in the unit system's unit for ``kind``.

    ``kind`` is ``"energy"`` (energy unit), ``"temperature"`` (temperature unit) or
    ``"beta"`` (1 / energy unit).  A plain number passes through unchanged.

    Raises
    ------
    InvalidInputError
        If ``value`` is a quantity whose unit cannot be converted to the one required
        (for example a temperature in kelvin while the energies carry no unit).
    """
    mag, unit = split_quantity(value, name)
    if unit is None:
        return value
    ureg = _registry()
    mag = np.asarray(mag, dtype=np.float64)
    if kind == "temperature" and not us.natural:  # to kelvin, offsets allowed
        try:
            return ureg.Quantity(mag, _pint_unit(unit, name)).to("K").magnitude
        except InvalidInputError:
            raise
        except Exception:  # noqa: BLE001 - not a temperature: try an energy equivalent
            pass
        return mag * (joule_per(unit, name) / constants.k)
    target = us.energy_unit
    if target == "1":
        dimless = _pint_unit(unit, name).dimensionless
        if not dimless:
            raise InvalidInputError(
                f"`{name}` has unit {unit!r} but the energies carry no unit (k_B = 1); give "
                f"`{name}` as a plain number, or give the levels an energy unit "
                "(`EnergyLevels(..., unit=...)`) or `units=`."
            )
        return mag * float(ureg.Quantity(1.0, _pint_unit(unit, name)).to("").magnitude)
    if kind == "beta":
        # beta in 1/(energy): its inverse is an energy
        inverse = _inverse_unit(unit, name)
        return mag / (joule_per(inverse, name) / joule_per(target))
    return mag * (joule_per(unit, name) / joule_per(target))


def convert(value: Any, unit: str, target: str, name: str) -> Any:
    """``value`` (a magnitude in ``unit``) in ``target``, any dimension pint knows.

    Raises
    ------
    InvalidInputError
        If the two units have different dimensions (the message names ``name``).
    """
    ureg = _registry()
    q = ureg.Quantity(np.asarray(value, dtype=np.float64), _pint_unit(unit, name))
    try:
        return q.to(_pint_unit(target, name)).magnitude
    except Exception:  # noqa: BLE001 - pint's DimensionalityError and relatives
        raise InvalidInputError(
            f"`{name}` is in {unit!r}, which does not convert to {target!r}."
        ) from None


def _inverse_unit(unit: str, name: str) -> str:
    ureg = _registry()
    inv = 1.0 / ureg.Quantity(1.0, _pint_unit(unit, name))
    if inv.magnitude != 1.0:
        raise InvalidInputError(f"`{name}` has unit {unit!r}, not an inverse energy.")
    return str(inv.units)
