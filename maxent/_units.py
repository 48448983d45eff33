"""Unit systems: the value of Boltzmann's constant and the names of the units.

With ``k_B = 1`` (the default, unit system ``"natural"``) temperatures are measured in
the energy unit.  A named unit system (``"eV"``, ``"J"``, ``"cm-1"``, ``"K"``) says the
energies are in that unit and temperatures in kelvin; ``k_B`` then comes from
:mod:`scipy.constants` (CODATA).
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import constants

from .errors import InvalidInputError

__all__ = ["UNIT_SYSTEMS", "UnitSystem", "resolve_units"]


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
        return "1" if self.energy_unit == "1" else f"1/{self.energy_unit}"


# k_B in each energy unit per kelvin
UNIT_SYSTEMS: dict[str, float] = {
    "eV": constants.k / constants.e,
    "J": constants.k,
    "cm-1": constants.k / (constants.h * constants.c) * 0.01,
    "K": 1.0,
}


def resolve_units(units: str | None, level_unit: str = "1") -> UnitSystem:
    """The unit system for ``units`` (or, if None, for the levels' own unit).

    ``"natural"`` forces ``k_B = 1`` with temperatures in the energy unit; a named
    system must agree with the unit of the levels unless the levels are unitless
    (``"1"``).

    Raises
    ------
    InvalidInputError
        If ``units`` is not a known unit system or contradicts the levels' unit.
    """
    if units is None:
        units = level_unit if level_unit in UNIT_SYSTEMS else "natural"
    if units == "natural":
        return UnitSystem("natural (k_B = 1)", level_unit, level_unit, 1.0,
                          "1")
    if units not in UNIT_SYSTEMS:
        raise InvalidInputError(
            f"`units` must be 'natural' or one of {sorted(UNIT_SYSTEMS)}; got {units!r}."
        )
    if level_unit not in ("1", units):
        raise InvalidInputError(
            f"`units` = {units!r} contradicts the energy unit {level_unit!r} of `levels`."
        )
    return UnitSystem(f"energies in {units}, temperature in K", units, "K",
                      UNIT_SYSTEMS[units], f"{units}/K")
