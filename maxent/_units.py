"""Unit systems and unit conversion: Boltzmann's constant, and quantities read with pint.

With no unit (energies in ``"1"``, unit system ``"natural"``) :math:`k_B = 1` and
temperatures are measured in the energy unit.  With any energy unit pint knows (``"meV"``,
``"kJ/mol"``, ``"kcal/mol"``, ``"hartree"``, ``"cm^-1"``, ``"K"``, ``"J"``, ``"eV"``,
``"THz"``, ...) temperatures are in kelvin and :math:`k_B` is expressed in energy unit per
kelvin, from the exact SI values of 2019 (the same as :mod:`scipy.constants`).  Wavenumbers,
frequencies, temperatures and molar energies count as energies through
:math:`E = hc\\tilde\\nu = h\\nu = k_B T = E_\\mathrm{molar}/N_A`.

pint (and astropy, read through its unit string) Quantities, and lists of them, are accepted
wherever a number is, and converted; a number is taken to be in the unit system's own unit.
Nothing is ever stripped: :func:`read_quantity` is the one place a quantity is read (every
array and scalar check of :mod:`maxent._checks` goes through it), a dimensionless quantity
becomes its number (``5 %`` -> 0.05), and a quantity that cannot be converted raises
:class:`InvalidInputError` naming the argument.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidInputError

__all__ = [
    "BOLTZMANN",
    "UNIT_SYSTEMS",
    "UnitSystem",
    "compact_unit",
    "convert",
    "energy_unit_name",
    "is_quantity",
    "is_temperature",
    "joule_per",
    "magnitude",
    "plain_magnitude",
    "quantity",
    "read_quantity",
    "resolve_units",
    "short_unit",
    "split_quantity",
]

# The exact SI values (2019): J/K, J s, m/s, C, 1/mol (scipy.constants has the same numbers;
# written here so that reading a number never imports scipy).
BOLTZMANN = 1.380649e-23
_PLANCK = 6.62607015e-34
_LIGHT = 299792458.0
_ELEMENTARY_CHARGE = 1.602176634e-19
_AVOGADRO = 6.02214076e23

#: Unit strings of earlier maxent versions (and of the shipped atomic tables) -> pint.
_ALIASES = {"cm-1": "cm^-1", "1/cm": "cm^-1", "cm**-1": "cm^-1"}
#: Unit strings that mean "no unit".
_NO_UNIT = ("1", "", "dimensionless")


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
        return float(q.to("K").magnitude) * BOLTZMANN
    if dims == ureg.Quantity(1.0, "1/m").dimensionality:
        return float(q.to("1/m").magnitude) * _PLANCK * _LIGHT
    if dims == ureg.Quantity(1.0, "Hz").dimensionality:
        return float(q.to("Hz").magnitude) * _PLANCK
    if dims == ureg.Quantity(1.0, "J/mol").dimensionality:
        return float(q.to("J/mol").magnitude) / _AVOGADRO
    raise InvalidInputError(
        f"`{name}` = {unit!r} is not an energy (nor a temperature, wavenumber, frequency or "
        f"molar energy); it has dimension {dims}."
    )


def compact_unit(unit: str) -> str:
    """pint's short form of ``unit`` that pint parses again (``millielectron_volt`` ->
    ``meV``), else ``unit``."""
    try:
        return f"{_registry().Unit(_ALIASES.get(unit, unit)):~}" or "1"
    except Exception:  # noqa: BLE001 - a unit pint cannot print is kept as it is
        return unit


def short_unit(unit: str) -> str:
    """pint's short pretty form of ``unit`` (``electron_volt`` -> ``eV``), else ``unit``."""
    try:
        return f"{_registry().Unit(_ALIASES.get(unit, unit)):~P}"
    except Exception:  # noqa: BLE001 - a unit pint cannot print is shown as it is
        return unit


def energy_unit_name(unit: str, name: str = "unit") -> str:
    """The unit as stored in Datasets: ``"1"`` or a string pint parses (``cm-1`` -> ``cm^-1``).

    ``"1"``, ``""`` and ``"dimensionless"`` mean energies without a unit (:math:`k_B = 1`).

    Raises
    ------
    InvalidInputError
        If ``unit`` is no energy equivalent pint knows, or is dimensionless with a scale
        factor (``"percent"``).
    """
    if unit in _NO_UNIT:
        return "1"
    u = _pint_unit(unit, name)
    if u.dimensionless:
        factor = float(_registry().Quantity(1.0, u).to("").magnitude)
        if factor != 1.0:
            raise InvalidInputError(
                f"`{name}` = {unit!r} is dimensionless with a scale factor {factor:g}; give "
                "energies without a unit as '1' (k_B = 1) or in an energy unit."
            )
        return "1"
    joule_per(unit, name)  # validate
    return _ALIASES.get(unit, unit)


#: :math:`k_B` in each legacy named unit system's energy unit per kelvin.
UNIT_SYSTEMS: dict[str, float] = {
    "eV": BOLTZMANN / _ELEMENTARY_CHARGE,
    "J": BOLTZMANN,
    "cm-1": BOLTZMANN / (_PLANCK * _LIGHT) * 0.01,
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
    try:
        eu = energy_unit_name(units, "units")
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"`units` must be 'natural' or an energy unit pint knows (meV, kJ/mol, cm^-1, K, "
            f"...); got {units!r}: {exc}"
        ) from None
    if eu == "1":  # "1", "dimensionless": energies without a unit, k_B = 1
        if eu_levels != "1":
            raise InvalidInputError(
                f"`units` = {units!r} (energies without a unit) contradicts the energy unit "
                f"{level_unit!r} of `levels`; units='natural' gives k_B = 1 in {level_unit!r}."
            )
        return UnitSystem("natural (k_B = 1)", "1", "1", 1.0, "1")
    if eu_levels not in ("1", eu) and joule_per(eu) != joule_per(eu_levels):
        raise InvalidInputError(
            f"`units` = {units!r} contradicts the energy unit {level_unit!r} of `levels`."
        )
    if eu_levels != "1":
        eu = eu_levels
    k_b = 1.0 if eu == "K" else BOLTZMANN / joule_per(eu)
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


def _split_one(value: Any, name: str) -> tuple[Any, str]:
    """``(magnitude, unit string)`` of one pint or astropy quantity."""
    if hasattr(value, "magnitude") and hasattr(value, "units"):  # pint
        return np.asarray(value.magnitude), str(value.units)
    unit = value.unit  # astropy
    try:
        mag = np.asarray(value.to_value(unit))
    except Exception as exc:  # noqa: BLE001 - any failure of a foreign library
        raise InvalidInputError(f"`{name}`: cannot read the quantity ({exc}).") from None
    text = unit.to_string() if hasattr(unit, "to_string") else str(unit)
    return mag, (text.strip() or "1")


def _first_leaf(value: Any) -> Any:
    """The first scalar of a nested list or tuple (``value`` itself otherwise)."""
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return value


def _list_of_quantities(value: list[Any] | tuple[Any, ...], name: str) -> tuple[Any, str]:
    """A (nested) list of quantities as one magnitude array in the first entry's unit."""
    unit: str | None = None

    def walk(item: Any, label: str) -> Any:
        nonlocal unit
        if isinstance(item, (list, tuple)):
            return [walk(x, f"{label}[{i}]") for i, x in enumerate(item)]
        if not is_quantity(item):
            raise InvalidInputError(
                f"`{name}` mixes quantities and plain numbers (`{label}` = {item!r} has no "
                "unit); give every entry a unit, or none."
            )
        mag, u = _split_one(item, label)
        if unit is None:
            unit = u
            return mag
        return convert(mag, u, unit, label)

    mags = walk(value, name)
    try:
        arr = np.asarray(mags, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"`{name}` must be an array of real numbers; got a ragged list ({exc})."
        ) from None
    assert unit is not None  # the first leaf is a quantity
    return arr, unit


def read_quantity(value: Any, name: str) -> tuple[Any, str | None]:
    """``(magnitude, unit string)`` of a quantity or a list of quantities; ``(value, None)``
    for anything without a unit.

    The one place maxent reads a quantity (pint, astropy, or a nested list of either, all
    converted to the unit of the first entry).

    Raises
    ------
    InvalidInputError
        If a list mixes quantities and plain numbers, or its units do not convert.
    """
    if is_quantity(value):
        return _split_one(value, name)
    if isinstance(value, (list, tuple)) and is_quantity(_first_leaf(value)):
        return _list_of_quantities(value, name)
    return value, None


#: the name of :func:`read_quantity` in earlier code (reweighting reads quantities with it)
split_quantity = read_quantity


def plain_magnitude(value: Any, name: str) -> Any:
    """``value`` as a plain number: a dimensionless quantity becomes its number (``5 %`` ->
    0.05), anything without a unit passes unchanged.

    Raises
    ------
    InvalidInputError
        If ``value`` carries a unit with a dimension: the argument takes a plain number
        (nothing is ever stripped).
    """
    mag, unit = read_quantity(value, name)
    if unit is None:
        return value
    return _dimensionless(
        mag,
        unit,
        name,
        f"`{name}` has unit {short_unit(unit)!r} but takes a plain number here (a "
        "dimensionless quantity at most); convert it to the unit the rest of the input "
        "is in, e.g. `.to(...).magnitude`.",
    )


def _dimensionless(mag: Any, unit: str, name: str, refusal: str) -> Any:
    """The number a dimensionless quantity stands for (``5 %`` -> 0.05); ``refusal`` is
    raised for any other."""
    if unit in _NO_UNIT:
        return mag
    u = _pint_unit(unit, name)
    if not u.dimensionless:
        raise InvalidInputError(refusal)
    factor = float(_registry().Quantity(1.0, u).to("").magnitude)
    return mag if factor == 1.0 else np.asarray(mag, dtype=np.float64) * factor


def magnitude(value: Any, name: str, us: UnitSystem, kind: str) -> Any:
    """``value`` as a number in the unit system's unit for ``kind``.

    ``kind`` is ``"energy"`` (energy unit), ``"temperature"`` (temperature unit) or
    ``"beta"`` (1 / energy unit).  A plain number passes through unchanged, and a
    dimensionless quantity is its number (in the same units as a plain number).

    Raises
    ------
    InvalidInputError
        If ``value`` is a quantity whose unit cannot be converted to the one required
        (for example a temperature in kelvin while the energies carry no unit).
    """
    mag, unit = read_quantity(value, name)
    if unit is None:
        return value
    mag = np.asarray(mag, dtype=np.float64)
    if us.energy_unit == "1" or unit in _NO_UNIT or _pint_unit(unit, name).dimensionless:
        # a dimensionless quantity is its number, in the unit system's own unit (as a
        # plain number is); with energies without a unit nothing else is accepted
        return _unitless(mag, unit, name)
    if kind == "beta":
        return _inverse_energy(mag, unit, name, us)
    if kind == "temperature" and not us.natural and is_temperature(unit, name):
        return convert(mag, unit, "K", name)  # offsets (degC) allowed
    # an energy (or k_B T): in the energy unit, or for a temperature in kelvin
    to = "K" if kind == "temperature" and not us.natural else us.energy_unit
    return mag * (joule_per(unit, name) / joule_per(to))


def _unitless(mag: Any, unit: str, name: str) -> Any:
    """A quantity where the energies carry no unit: only a dimensionless one is accepted."""
    return _dimensionless(
        mag,
        unit,
        name,
        f"`{name}` has unit {short_unit(unit)!r} but the energies carry no unit (k_B = 1); "
        f"give `{name}` as a plain number, or give the levels an energy unit "
        "(`EnergyLevels(..., unit=...)`) or `units=`.",
    )


def is_temperature(unit: str, name: str = "unit") -> bool:
    """Whether ``unit`` measures a temperature (K, degC, ...) rather than an energy."""
    if unit in _NO_UNIT:
        return False
    return bool(_pint_unit(unit, name).dimensionality == _registry().Unit("K").dimensionality)


def _inverse_energy(mag: Any, unit: str, name: str, us: UnitSystem) -> Any:
    """beta in ``unit`` (1/energy, or 1/temperature with k_B) in 1 / the energy unit."""
    inv = 1.0 / _registry().Quantity(1.0, _pint_unit(unit, name))
    try:  # beta = mag / (inv.magnitude * inv.units): joules per unit of 1/beta
        joules = joule_per(f"{inv.units}", name) * float(inv.magnitude)
    except InvalidInputError:
        raise InvalidInputError(
            f"`{name}` has unit {short_unit(unit)!r}, which is not an inverse energy (give "
            "beta in 1/meV, 1/eV, 1/K, ... or as a plain number in 1 / the energy unit)."
        ) from None
    return mag / (joules / joule_per(us.energy_unit))


def quantity(value: Any, unit: str) -> Any:
    """``value`` as a pint Quantity in ``unit`` (``"1"``: dimensionless; ``"k_B"``: in units
    of Boltzmann's constant, J/K)."""
    return _registry().Quantity(value, "" if unit in _NO_UNIT else _ALIASES.get(unit, unit))


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
