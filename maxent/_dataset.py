"""One way to build the package's xarray Datasets: CF attributes and the version stamp.

Every ``to_xarray()`` and every Dataset-returning function builds its result through
:func:`dataset`, so the global attributes (``Conventions``, ``maxent_version``, ``title``)
are the same everywhere, and :func:`variable` writes a variable's CF attributes in one line.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from ._version import __version__

CONVENTIONS = "CF-1.10"


def variable(
    dims: str | tuple[str, ...],
    values: Any,
    long_name: str,
    units: str | None = None,
    description: str = "",
) -> tuple[tuple[str, ...], Any, dict[str, str]]:
    """A ``(dims, values, attrs)`` triple with CF attributes.

    Parameters
    ----------
    dims : str or tuple of str
        Dimension names (a single name for one dimension, ``()`` for a scalar).
    values : array_like
        The data.
    long_name : str
        CF ``long_name``.
    units : str, optional
        CF ``units`` (``"1"`` for dimensionless); omitted when the unit is unknown, in
        which case ``description`` should say what the values are measured in.
    description : str, optional
        Free text: the formula or the convention behind the values.

    Examples
    --------
    >>> variable("state", [0.5, 0.5], "probability", "1")
    (('state',), [0.5, 0.5], {'long_name': 'probability', 'units': '1'})
    """
    attrs = {"long_name": long_name}
    if units is not None:
        attrs["units"] = units
    if description:
        attrs["description"] = description
    return ((dims,) if isinstance(dims, str) else tuple(dims)), values, attrs


def dataset(
    data_vars: Mapping[Hashable, Any],
    coords: Mapping[Hashable, Any] | None = None,
    *,
    title: str,
    **attrs: Any,
) -> Any:
    """An :class:`xarray.Dataset` stamped with the package's global attributes.

    Parameters
    ----------
    data_vars, coords : mapping
        As for :class:`xarray.Dataset` (values are usually :func:`variable` triples).
    title : str
        CF ``title`` of the Dataset.
    **attrs
        Further global attributes (str, int or float, so ``to_netcdf()`` works as is).

    Returns
    -------
    xarray.Dataset
        With ``Conventions``, ``title`` and ``maxent_version`` first, then ``attrs``.

    Examples
    --------
    >>> ds = dataset({"x": variable("i", [1.0], "x", "1")}, title="demo", n=1)
    >>> ds.attrs["Conventions"], ds.attrs["title"], ds.attrs["n"]
    ('CF-1.10', 'demo', 1)
    """
    import xarray as xr

    stamped = {"Conventions": CONVENTIONS, "title": title, "maxent_version": __version__}
    stamped.update(attrs)
    return xr.Dataset(data_vars, coords=coords, attrs=stamped)
