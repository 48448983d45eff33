"""Energy-level schemes: energies, degeneracies and labels, and their file formats.

An :class:`EnergyLevels` is the input of every ensemble in maxent.  Each *level* ``l``
has an energy :math:`E_l` and a degeneracy :math:`g_l > 0` (the number of states that
share the energy; non-integer weights are allowed).  Level tables load from CSV or JSON;
the tables shipped with maxent (NIST atomic levels) live in ``maxent/data``.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import as_float_array, check_finite, check_positive, check_span, text
from ._logspace import log_sum_exp
from ._summary import summary_repr
from ._units import compact_unit, energy_unit_name, joule_per, read_quantity
from .errors import InvalidInputError

__all__ = ["EnergyLevels"]

_LOG_FLOAT_MAX = float(np.log(np.finfo(np.float64).max))

_ENERGY_KEYS = ("energy", "energies", "e")
_DEGENERACY_KEYS = ("degeneracy", "g", "weight")
_LABEL_KEYS = ("label", "labels", "name", "term")


@dataclass(frozen=True)
class EnergyLevels:
    r"""A validated table of energy levels with degeneracies.

    Parameters
    ----------
    energies : array_like, shape (n_levels,)
        Level energies :math:`E_l`, finite, in ``unit``.
    degeneracy : array_like, shape (n_levels,), optional
        Degeneracies :math:`g_l > 0` (default 1 for every level).
    labels : sequence of str, optional
        One label per level (default ``"0"``, ``"1"``, ...).
    unit : str, optional
        Energy unit: ``"1"`` (dimensionless, used with :math:`k_B = 1`; the default), or
        any energy unit pint knows (``"meV"``, ``"kJ/mol"``, ``"cm^-1"``, ``"K"``, ...);
        with a unit, temperatures are in kelvin (see :func:`maxent.canonical`).
    name : str, optional
        A short description of the system, recorded in the sweep's attributes.
    log_degeneracy : array_like, shape (n_levels,), optional
        :math:`\ln g_l` (finite), instead of ``degeneracy``: for spectra whose
        degeneracies exceed the float range (:math:`g > 10^{308}`, e.g. exact Ising
        lattices or Wang-Landau estimates).  Give at most one of the two.

    Attributes
    ----------
    log_degeneracy : ndarray
        :math:`\ln g_l`, always finite: every computation uses it.
    degeneracy : ndarray
        :math:`g_l` as given, or :math:`e^{\ln g_l}`; ``inf`` where :math:`g_l` exceeds
        the float range (use ``log_degeneracy`` there).

    Raises
    ------
    InvalidInputError
        If ``energies`` is not a finite 1-D array (or spans more than the float range),
        ``degeneracy`` is not positive and finite, ``log_degeneracy`` is not finite (or
        spans more than the float range), both
        are given, either has another length, or ``labels`` has another length.

    Notes
    -----
    Levels are kept in the order given; they need not be sorted or distinct.  The number
    of *states* is :math:`\sum_l g_l` (``log_n_states`` is its logarithm).

    Examples
    --------
    >>> import maxent
    >>> lv = maxent.EnergyLevels([0.0, 1.0], degeneracy=[1, 3])
    >>> lv.n_levels, lv.n_states
    (2, 4.0)
    >>> big = maxent.EnergyLevels([0.0, 1.0], log_degeneracy=[0.0, 1000.0])
    >>> big.degeneracy, big.log_n_states
    (array([ 1., inf]), 1000.0)
    """

    # stored validated (__post_init__): float arrays, a tuple of labels
    energies: NDArray[np.float64]
    degeneracy: NDArray[np.float64] = field(default=None)  # type: ignore[arg-type]
    labels: tuple[str, ...] = field(default=None)  # type: ignore[arg-type]
    unit: str = "1"
    name: str = ""
    log_degeneracy: NDArray[np.float64] = field(default=None, kw_only=True)  # type: ignore[arg-type]

    if TYPE_CHECKING:
        # what the generated __init__ accepts (array-likes, None, a Quantity for energies);
        # at run time the dataclass __init__ is used unchanged
        def __init__(
            self,
            energies: ArrayLike,
            degeneracy: ArrayLike | None = None,
            labels: Sequence[str] | None = None,
            unit: str = "1",
            name: str = "",
            *,
            log_degeneracy: ArrayLike | None = None,
        ) -> None: ...

    def __repr__(self) -> str:
        return summary_repr(self)

    def _summary_extra(self) -> dict[str, Any]:
        """Derived quantities shown first in the summary (and in a nested one line)."""
        return {
            "n_levels": self.n_levels,
            "name": self.name,
            "n_states": self.n_states,
            "log_n_states": self.log_n_states,
        }

    def __post_init__(self) -> None:
        unit = text(self.unit, "unit", allow_empty=False).strip()
        if energy_unit_name(unit, "unit") == "1":  # "1", "dimensionless": no unit
            unit = "1"
        energies, q_unit = read_quantity(self.energies, "energies")
        if q_unit is not None:  # a Quantity: its unit, or converted to `unit`
            if unit == "1":
                unit = compact_unit(energy_unit_name(q_unit, "energies"))
            elif energy_unit_name(q_unit, "energies") != "1":
                energies = np.asarray(energies, dtype=np.float64) * (
                    joule_per(q_unit, "energies") / joule_per(unit)
                )
        e = check_finite(as_float_array(energies, "energies", ndim=1), "energies")
        if e.size == 0:
            raise InvalidInputError("`energies` must hold at least one level; got none.")
        check_span(e, "energies")
        if self.degeneracy is not None and self.log_degeneracy is not None:
            raise InvalidInputError("give `degeneracy` or `log_degeneracy`, not both.")
        if self.log_degeneracy is not None:
            log_g = check_finite(
                as_float_array(self.log_degeneracy, "log_degeneracy", ndim=1), "log_degeneracy"
            )
            self._check_length(log_g, "log_degeneracy", e.size)
            log_g = check_span(log_g, "log_degeneracy").copy()
            with np.errstate(over="ignore"):
                g = np.exp(log_g)
        elif self.degeneracy is not None:
            g = check_positive(as_float_array(self.degeneracy, "degeneracy", ndim=1), "degeneracy")
            self._check_length(g, "degeneracy", e.size)
            g = g.copy()
            log_g = np.log(g)
        else:
            g = np.ones_like(e)
            log_g = np.zeros_like(e)
        if self.labels is None:
            labels = tuple(str(i) for i in range(e.size))
        else:
            if isinstance(self.labels, str):
                raise InvalidInputError("`labels` must be a sequence of str; got one str.")
            try:
                labels = tuple(text(str(s), f"labels[{i}]") for i, s in enumerate(self.labels))
            except TypeError:
                raise InvalidInputError(
                    f"`labels` must be a sequence of str; got {type(self.labels).__name__}."
                ) from None
            if len(labels) != e.size:
                raise InvalidInputError(
                    f"`labels` has {len(labels)} entries but `energies` has {e.size} "
                    "(one per level)."
                )
        e = e.copy()
        for arr in (e, g, log_g):
            arr.setflags(write=False)
        object.__setattr__(self, "energies", e)
        object.__setattr__(self, "degeneracy", g)
        object.__setattr__(self, "log_degeneracy", log_g)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "name", text(str(self.name), "name"))

    @staticmethod
    def _check_length(arr: NDArray[np.float64], name: str, n: int) -> None:
        if arr.size != n:
            raise InvalidInputError(
                f"`{name}` has {arr.size} entries but `energies` has {n} (one per level)."
            )

    # ------------------------------------------------------------------ properties
    @property
    def n_levels(self) -> int:
        """Number of levels (distinct table rows)."""
        return int(self.energies.size)

    @property
    def n_states(self) -> float:
        r"""Number of states, :math:`\sum_l g_l` (``inf`` beyond the float range)."""
        if self.log_n_states > _LOG_FLOAT_MAX:  # the count itself is beyond the float range
            return float("inf")
        with np.errstate(over="ignore"):  # finite g whose sum rounds past the float range
            return float(np.sum(self.degeneracy))

    @property
    def log_n_states(self) -> float:
        r""":math:`\ln \sum_l g_l`, finite for any degeneracies."""
        return float(log_sum_exp(self.log_degeneracy))

    @property
    def ground_energy(self) -> float:
        """Lowest energy :math:`E_{\\min}`."""
        return float(np.min(self.energies))

    @property
    def top_energy(self) -> float:
        """Highest energy :math:`E_{\\max}`."""
        return float(np.max(self.energies))

    def __len__(self) -> int:
        return self.n_levels

    # ------------------------------------------------------------------ loaders
    @classmethod
    def from_csv(
        cls, path: str | os.PathLike[str], *, unit: str | None = None, name: str | None = None
    ) -> EnergyLevels:
        """Read a level table from a CSV file.

        The file has a header row naming the columns: ``energy`` (required),
        ``g`` or ``degeneracy`` (optional), ``J`` (optional; gives ``g = 2J + 1`` when
        there is no ``g`` column) and ``label`` (optional).  Lines starting with ``#``
        are comments; a comment ``# unit: cm-1`` sets the energy unit and
        ``# name: ...`` the system's name.

        Parameters
        ----------
        path : path-like
            The CSV file.
        unit : str, optional
            The energy unit of the result.  When the file declares its unit (``# unit:``),
            its energies are converted to ``unit``; when it declares none, ``unit`` says
            what its numbers are in.
        name : str, optional
            Overrides the name found in the file.

        Raises
        ------
        InvalidInputError
            If the file has no ``energy`` column, a value is not a number, ``unit`` cannot
            be converted from the file's unit (one of them dimensionless, or no energy
            equivalent), or the levels fail the checks of :class:`EnergyLevels`.
        """
        path = Path(path)
        meta: dict[str, str] = {}
        rows: list[str] = []
        for line in _read_text(path).splitlines(keepends=True):
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("#"):
                key, sep, value = stripped[1:].partition(":")
                if sep:
                    meta[key.strip().lower()] = value.strip()
                continue
            rows.append(line)
        reader = csv.DictReader(rows)
        if reader.fieldnames is None:
            raise InvalidInputError(f"`path` {str(path)!r} holds no CSV header row.")
        columns = _columns(reader.fieldnames, str(path))
        records = [
            {k.strip().lower(): (v or "").strip() for k, v in r.items() if k} for r in reader
        ]
        levels = cls._from_records(
            records,
            columns,
            str(path),
            unit=meta.get("unit", unit or "1"),
            name=name if name is not None else meta.get("name", path.stem),
        )
        return levels._in_unit(unit, str(path))

    @classmethod
    def from_json(
        cls, path: str | os.PathLike[str], *, unit: str | None = None, name: str | None = None
    ) -> EnergyLevels:
        """Read a level table from a JSON file.

        Either an object ``{"energies": [...], "degeneracy": [...], "labels": [...],
        "unit": "eV", "name": "..."}`` (only ``energies`` required) or a list of records
        ``[{"energy": 0.0, "g": 2, "label": "1s"}, ...]`` (``J`` may replace ``g``).
        ``unit`` converts a declared ``"unit"`` as in :meth:`from_csv`, or says what the
        numbers are in when the file declares none; ``name`` overrides the file's.

        Raises
        ------
        InvalidInputError
            If the JSON has neither form, ``unit`` cannot be converted from the file's
            unit, or the levels fail the checks of :class:`EnergyLevels`.
        """
        path = Path(path)
        source = str(path)

        def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            _columns([k for k, _ in pairs], source)  # a key given twice (any case) is refused
            return dict(pairs)

        try:
            data = json.loads(_read_text(path), object_pairs_hook=unique_keys)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"`path` {source!r} is not valid JSON ({exc}).") from None
        if isinstance(data, dict):
            keys = {k.lower(): k for k in data}
            ek = _one_of(_ENERGY_KEYS, keys, source)
            if ek is None:
                raise InvalidInputError(
                    f"`path` {source!r}: JSON object needs an 'energies' entry; "
                    f"got keys {sorted(data)}."
                )
            gk = _one_of(_DEGENERACY_KEYS, keys, source)
            # "name" is the system's name in this form, never the labels
            lk = next((keys[k] for k in _LABEL_KEYS if k in keys and k != "name"), None)
            levels = cls(
                data[keys[ek]],
                degeneracy=data[keys[gk]] if gk else None,
                labels=data[lk] if lk else None,
                unit=data.get("unit", unit or "1"),
                name=name if name is not None else data.get("name", path.stem),
            )
            return levels._in_unit(unit, source)
        if isinstance(data, list) and all(isinstance(r, dict) for r in data) and data:
            records = [{str(k).lower(): v for k, v in r.items()} for r in data]
            columns = {k: k for r in records for k in r}
            return cls._from_records(
                records,
                columns,
                source,
                unit=unit or "1",
                name=name if name is not None else path.stem,
            )
        raise InvalidInputError(
            f"`path` {str(path)!r}: JSON must be an object with 'energies' or a non-empty "
            f"list of level records; got {type(data).__name__}."
        )

    def _in_unit(self, unit: str | None, source: str) -> EnergyLevels:
        """These levels (as read from ``source``) converted to ``unit``; never relabelled."""
        if unit is None:
            return self
        target = energy_unit_name(text(unit, "unit", allow_empty=False).strip(), "unit")
        if target == energy_unit_name(self.unit, "unit"):
            return self
        if "1" in (target, self.unit):
            raise InvalidInputError(
                f"`unit` {unit!r} cannot be converted from the unit of {source!r} "
                f"({'dimensionless' if self.unit == '1' else repr(self.unit)}): one of them "
                "has no energy unit; convert the file or leave `unit` out."
            )
        scale = joule_per(self.unit, "unit") / joule_per(target, "unit")
        converted = type(self)(
            self.energies * scale, labels=self.labels, unit=unit.strip(), name=self.name
        )
        # the degeneracies exactly as read (read-only arrays, shared by two values)
        object.__setattr__(converted, "degeneracy", self.degeneracy)
        object.__setattr__(converted, "log_degeneracy", self.log_degeneracy)
        return converted

    @classmethod
    def _from_records(
        cls, records: list[dict], columns: dict[str, str], source: str, *, unit: str, name: str
    ) -> EnergyLevels:
        ek = _one_of(_ENERGY_KEYS, columns, source)
        if ek is None:
            raise InvalidInputError(
                f"`path` {source!r} needs an 'energy' column; got columns {sorted(columns)}."
            )
        gk = _one_of(_DEGENERACY_KEYS, columns, source)
        lk = next((k for k in _LABEL_KEYS if k in columns), None)
        jk = "j" if "j" in columns else None

        def number(value: object, what: str, row: int) -> float:
            try:
                if isinstance(value, str) and "/" in value:
                    num, den = value.split("/")
                    return float(num) / float(den)
                return float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError, ZeroDivisionError):
                raise InvalidInputError(
                    f"`path` {source!r}: {what} in level {row} must be a number; got {value!r}."
                ) from None

        energies = [number(r.get(ek), ek, i) for i, r in enumerate(records)]
        if gk is not None:
            g = [number(r.get(gk), gk, i) for i, r in enumerate(records)]
        elif jk is not None:
            g = [2.0 * number(r.get(jk), "J", i) + 1.0 for i, r in enumerate(records)]
        else:
            g = None
        labels = [str(r.get(lk, "")) for r in records] if lk is not None else None
        return cls(energies, degeneracy=g, labels=labels, unit=unit, name=name)


def _columns(fieldnames: Sequence[str], source: str) -> dict[str, str]:
    """Column key (stripped, lower case) -> header; a header given twice is refused."""
    columns: dict[str, str] = {}
    for c in fieldnames:
        key = (c or "").strip().lower()
        if key in columns:
            raise InvalidInputError(
                f"`path` {source!r} has two columns named {key!r} ({columns[key]!r} and "
                f"{c!r}); give each column once."
            )
        columns[key] = c
    return columns


def _one_of(keys: tuple[str, ...], columns: Mapping[str, object], source: str) -> str | None:
    """The one column among the synonyms ``keys``; several of them are refused."""
    found = [k for k in keys if k in columns]
    if len(found) > 1:
        raise InvalidInputError(
            f"`path` {source!r} has columns {found} that mean the same thing; keep one."
        )
    return found[0] if found else None


def _read_text(path: Path) -> str:
    """The file's text; a missing, unreadable or non-UTF-8 file names `path`."""
    if not path.is_file():
        raise InvalidInputError(f"`path` {str(path)!r} is not a file.")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"`path` {str(path)!r} is not UTF-8 text ({exc}).") from None
    except OSError as exc:
        raise InvalidInputError(f"`path` {str(path)!r} cannot be read ({exc}).") from None


def as_levels(levels: EnergyLevels | ArrayLike, name: str = "levels") -> EnergyLevels:
    """``levels`` as :class:`EnergyLevels`; a plain array is read as energies with g = 1."""
    if isinstance(levels, EnergyLevels):
        return levels
    try:
        return EnergyLevels(levels)
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"`{name}` must be EnergyLevels or a 1-D array of energies: {exc}"
        ) from None
