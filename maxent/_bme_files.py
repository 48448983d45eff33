"""Readers for the data files of BME (KULL-Centre/BME), for :func:`maxent.reweight`.

Experimental files start with a header line ``# DATA=<kind> [BOUND=UPPER|LOWER]
[POWER=<p>]`` followed by one ``label value sigma`` line per datum.  Calculated files hold
one line per frame: a frame label, then one value per datum in the order of the
experimental file; they may be zipped (the first member is read) or compressed with
gzip, bzip2 or xz.  Lines starting with ``#`` are comments.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._summary import summary_repr
from .errors import InvalidInputError

__all__ = ["BMEExperiment", "read_bme_calculated", "read_bme_experiment"]

#: data kinds BME knows; NOE data are averaged as <r^-6>^(-1/6) unless POWER says otherwise
KINDS = ("NOE", "JCOUPLINGS", "CS", "SAXS", "RDC")
_BOUNDS = {"UPPER": "upper", "LOWER": "lower"}
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


@dataclass(frozen=True)
class BMEExperiment:
    """The contents of a BME experimental file, as returned by :func:`read_bme_experiment`.

    Attributes
    ----------
    kind : str
        ``DATA=`` of the header (``"NOE"``, ``"JCOUPLINGS"``, ``"CS"``, ``"SAXS"``, ``"RDC"``).
    names : tuple of str
        The label of each datum.
    targets, sigma : ndarray, shape (n_data,)
        Measured values and their errors.
    bounds : str or None
        ``"upper"`` or ``"lower"`` for one-sided data (``BOUND=``), None otherwise.
    power : float or None
        The averaging power for :func:`maxent.reweight`: ``POWER=`` of the header, else 6
        for NOE data (BME's ``averaging="auto"``), else None (linear averages).
    """

    kind: str
    names: tuple[str, ...]
    targets: NDArray[np.float64]
    sigma: NDArray[np.float64]
    bounds: str | None
    power: float | None

    def __repr__(self) -> str:
        return summary_repr(self)


def _read_text(path: str | os.PathLike[str], name: str) -> str:
    """The text of a plain, zipped or compressed file."""
    path = os.fspath(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                members = [i for i in z.infolist() if not i.is_dir()]
                if not members:
                    raise InvalidInputError(f"`{name}`: the zip file {path!r} is empty.")
                return z.read(members[0]).decode("utf-8")
        opener: Any = _OPENERS.get(os.path.splitext(path)[1].lower(), open)
        with opener(path, "rt", encoding="utf-8") as fh:
            return str(fh.read())
    except (OSError, UnicodeDecodeError, EOFError, lzma.LZMAError) as exc:
        raise InvalidInputError(f"`{name}`: cannot read {path!r} ({exc}).") from None


def _header_field(header: str, key: str) -> str | None:
    for token in header.lstrip("#").split():
        if token.upper().startswith(key + "="):
            return token.split("=", 1)[1].strip()
    return None


def _header(first: str, path: str) -> tuple[str, str | None, float | None]:
    """(kind, bounds, power) from the header line."""
    if not first.startswith("#") or _header_field(first, "DATA") is None:
        raise InvalidInputError(
            f"{path!r}: the first line must be the header '# DATA=<kind> "
            f"[BOUND=UPPER|LOWER]' (kind one of {', '.join(KINDS)}); got {first[:60]!r}."
        )
    kind = str(_header_field(first, "DATA")).upper()
    bound = _header_field(first, "BOUND")
    if bound is not None and bound.upper() not in _BOUNDS:
        raise InvalidInputError(
            f"{path!r}: BOUND={bound} in the header; BME knows BOUND=UPPER and BOUND=LOWER."
        )
    power_text = _header_field(first, "POWER")
    power: float | None = 6.0 if kind == "NOE" else None
    if power_text is not None:
        try:
            power = float(power_text)
        except ValueError:
            raise InvalidInputError(f"{path!r}: POWER={power_text} is not a number.") from None
    return kind, None if bound is None else _BOUNDS[bound.upper()], power


def read_bme_experiment(path: str | os.PathLike[str]) -> BMEExperiment:
    """Read a BME experimental data file.

    Parameters
    ----------
    path : str or path-like
        A text file (or a zipped or compressed one): the header ``# DATA=<kind>
        [BOUND=UPPER|LOWER] [POWER=<p>]``, then ``label value sigma`` per datum.

    Returns
    -------
    BMEExperiment
        ``kind``, ``names``, ``targets``, ``sigma``, ``bounds`` and ``power``, ready for
        :func:`maxent.reweight`.

    Raises
    ------
    InvalidInputError
        A missing or malformed header, a line without exactly three fields, a value that
        is not a number, ``sigma <= 0``, or no data.

    Examples
    --------
    >>> import pathlib, tempfile, maxent
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "noe.dat"
    >>> _ = path.write_text("# DATA=NOE BOUND=UPPER\\nH1-H2 4.2 0.4\\nH1-H3 2.8 0.2\\n")
    >>> exp = maxent.read_bme_experiment(path)
    >>> exp.kind, exp.names, exp.targets, exp.bounds, exp.power
    ('NOE', ('H1-H2', 'H1-H3'), array([4.2, 2.8]), 'upper', 6.0)
    """
    where = os.fspath(path)
    lines = _read_text(path, "path").splitlines()
    kind, bounds, power = _header(lines[0] if lines else "", where)
    names, values = [], []
    for i, line in enumerate(lines[1:], start=2):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) != 3:
            raise InvalidInputError(
                f"{where!r} line {i}: expected 'label value sigma'; got {line.strip()!r}."
            )
        try:
            values.append((float(fields[1]), float(fields[2])))
        except ValueError:
            raise InvalidInputError(
                f"{where!r} line {i}: value and sigma must be numbers; got {line.strip()!r}."
            ) from None
        names.append(fields[0])
    if not names:
        raise InvalidInputError(f"{where!r} holds no data lines after its header.")
    arr = np.array(values, dtype=np.float64)
    bad = ~np.isfinite(arr).all(axis=1) | (arr[:, 1] <= 0)
    if np.any(bad):
        k = int(np.argmax(bad))
        raise InvalidInputError(
            f"{where!r}: datum {names[k]!r} needs a finite value and sigma > 0; got "
            f"{arr[k, 0]} +- {arr[k, 1]}."
        )
    targets, sigma = arr[:, 0].copy(), arr[:, 1].copy()
    targets.flags.writeable = sigma.flags.writeable = False
    return BMEExperiment(kind, tuple(names), targets, sigma, bounds, power)


def read_bme_calculated(
    path: str | os.PathLike[str], *, names: tuple[str, ...] | list[str] | None = None
) -> Any:
    """Read a BME file of calculated data: one line per frame, a label then the values.

    Parameters
    ----------
    path : str or path-like
        A text file, zipped (BME ships them so: the first member is read) or compressed
        (``.gz``, ``.bz2``, ``.xz``).
    names : sequence of str, optional
        Observable names (e.g. ``read_bme_experiment(...).names``) for the
        ``observable`` coordinate; default ``o0, o1, ...``.

    Returns
    -------
    xarray.DataArray, shape (n_frames, n_observables)
        Dims ``frame`` (coordinate: the frame labels as str) and ``observable``; pass it
        to :func:`maxent.reweight` as ``calc``.

    Raises
    ------
    InvalidInputError
        An unreadable file, rows of different lengths, values that are not numbers, no
        frames, or ``names`` of the wrong length.

    Examples
    --------
    >>> import pathlib, tempfile, maxent
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "calc.dat"
    >>> _ = path.write_text("frame0 1.0 2.0\\nframe1 3.0 4.0\\n")
    >>> calc = maxent.read_bme_calculated(path, names=["a", "b"])
    >>> calc.dims, calc.values.tolist(), calc.frame.values.tolist()
    (('frame', 'observable'), [[1.0, 2.0], [3.0, 4.0]], ['frame0', 'frame1'])
    """
    import xarray as xr

    where = os.fspath(path)
    lines = [
        line for line in _read_text(path, "path").splitlines() if line.split("#", 1)[0].strip()
    ]
    if not lines:
        raise InvalidInputError(f"{where!r} holds no frames.")
    width = len(lines[0].split())
    if width < 2:
        raise InvalidInputError(f"{where!r}: each line needs a frame label and values.")
    try:
        values = np.loadtxt(lines, dtype=np.float64, usecols=range(1, width), ndmin=2)
    except ValueError as exc:
        raise InvalidInputError(
            f"{where!r}: not a table of numbers after the labels ({exc})."
        ) from None
    labels = [line.split(None, 1)[0] for line in lines]
    m = values.shape[1]
    obs = [f"o{k}" for k in range(m)] if names is None else [str(k) for k in names]
    if len(obs) != m:
        raise InvalidInputError(
            f"`names` has {len(obs)} entries but {where!r} has {m} values per frame."
        )
    return xr.DataArray(
        values,
        dims=("frame", "observable"),
        coords={"frame": labels, "observable": obs},
        name="calc",
        attrs={"long_name": "calculated observable", "source": os.path.basename(where)},
    )
