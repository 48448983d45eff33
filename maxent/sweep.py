r"""Temperature sweeps of the canonical ensemble as an :class:`xarray.Dataset`.

:func:`temperature_sweep` evaluates the canonical ensemble on a grid of temperatures in
one vectorised pass (chunks of the temperature x level matrix, so temporary memory stays
bounded), and returns a Dataset that plots and writes to netCDF as is.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from ._checks import as_float_array, first_bad_index
from ._units import UNIT_SYSTEMS, UnitSystem, resolve_units
from .ensembles import _MAX_CHUNK_ELEMENTS, _beta_from_temperature, _boltzmann
from .errors import InvalidInputError
from .levels import EnergyLevels, as_levels

__all__ = ["UNIT_SYSTEMS", "temperature_sweep"]


def temperature_sweep(levels: EnergyLevels | ArrayLike, temperatures: ArrayLike, *,
                      units: str | None = None, chunk_size: int | None = None) -> xr.Dataset:
    r"""Canonical thermodynamics over a grid of temperatures.

    Parameters
    ----------
    levels : EnergyLevels or array_like, shape (n_levels,)
        The levels; a plain array is read as energies of non-degenerate states.
    temperatures : array_like or dask array, shape (n_temperatures,)
        Temperatures; ``0`` (ground level), ``inf`` (:math:`p \propto g`) and negative
        values (negative temperature) are allowed.  A dask array gives a lazy,
        dask-backed Dataset with one chunk per chunk of temperatures (the temperature
        values themselves are read at once, for the index): nothing is computed until
        asked, and ``to_netcdf`` / ``to_zarr`` write it chunk by chunk.
    units : str, optional
        ``"natural"`` (:math:`k_B = 1`, T in the energy unit) or a named system
        ``"eV"``, ``"J"``, ``"cm-1"``, ``"K"``: energies in that unit and T in kelvin, with
        :math:`k_B` from :mod:`scipy.constants`.  Default: the levels' unit if it is a
        named system (as for the shipped atomic tables, in cm-1), else natural.
    chunk_size : int, optional
        Temperatures evaluated together (default: as many as keep a chunk of the
        temperature x level matrix near 2 MB, cache-sized).

    Returns
    -------
    xarray.Dataset
        Dims ``temperature`` and ``state`` (one entry per level); coordinate ``beta``
        along ``temperature`` and ``energy``, ``degeneracy``, ``label`` along ``state``;
        variables ``probability`` (temperature, state), ``log_Z``, ``free_energy``,
        ``internal_energy``, ``entropy`` and ``heat_capacity`` (temperature).  Every
        variable and coordinate has ``long_name`` and ``units``; entropy and heat capacity
        are in units of :math:`k_B`.  Global attrs: ``maxent_version``, ``ensemble``,
        ``unit_system``, ``energy_unit``, ``temperature_unit``, ``boltzmann_constant``,
        ``boltzmann_constant_units``, ``system``, ``n_levels``, ``n_states``.

    Raises
    ------
    InvalidInputError
        If ``temperatures`` is not a 1-D array without NaN, ``units`` is unknown or
        contradicts the levels' unit, ``chunk_size`` is not a positive int, or ``levels``
        is invalid.

    Notes
    -----
    Memory: the output ``probability`` holds ``n_temperatures * n_levels`` floats; beyond
    it, temporaries are bounded by the chunk.  Each temperature is exactly what
    :func:`maxent.canonical` returns.

    Examples
    --------
    >>> import maxent
    >>> ds = maxent.temperature_sweep([0.0, 1.0], [0.0, 1.0, float("inf")])
    >>> ds.internal_energy.values
    array([0.        , 0.26894142, 0.5       ])
    """
    lv = as_levels(levels)
    us = resolve_units(units, lv.unit)
    blocks = None
    if hasattr(temperatures, "__dask_graph__"):  # a dask array: one output chunk per chunk
        blocks = temperatures.chunks[0] if temperatures.ndim == 1 else None
        temperatures = temperatures.compute()  # the axis itself is small; the output is not
    t = as_float_array(temperatures, "temperatures", ndim=1)
    if np.any(np.isnan(t)):
        idx = first_bad_index(np.isnan(t))
        raise InvalidInputError(f"`temperatures` must not be nan; got nan at index {idx}.")
    if t.size == 0:
        raise InvalidInputError("`temperatures` must hold at least one temperature.")
    if chunk_size is None:
        max_elements = _MAX_CHUNK_ELEMENTS
    else:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
                or chunk_size < 1:
            raise InvalidInputError(f"`chunk_size` must be a positive int; got {chunk_size!r}.")
        max_elements = int(chunk_size) * lv.n_levels
    beta = _beta_from_temperature(t, us.boltzmann_constant)
    if blocks is None:
        th = _boltzmann(lv.energies, lv.log_degeneracy, beta, max_elements=max_elements)
    else:
        th = _lazy_boltzmann(lv.energies, lv.log_degeneracy, beta, blocks, max_elements)
    return _sweep_dataset(lv, us, t, beta, th, ensemble="canonical")


def _lazy_boltzmann(energies, log_g, beta, blocks, max_elements):
    """:func:`_boltzmann` as dask arrays, one task per block of temperatures.

    Each task computes every quantity of its block once; the variables are views of it,
    so computing or writing the Dataset evaluates (and holds) one block at a time per
    worker.
    """
    import dask
    import dask.array as da

    edges = np.concatenate([[0], np.cumsum(blocks)]).astype(int)
    n = energies.size
    columns: dict[str, list] = {k: [] for k in _SWEEP_KEYS}
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        part = dask.delayed(_boltzmann, pure=True)(energies, log_g, beta[a:b],
                                                  max_elements=max_elements)
        for key in _SWEEP_KEYS:
            shape = (b - a, n) if key == "p" else (b - a,)
            columns[key].append(da.from_delayed(part[key], shape=shape, dtype=np.float64))
    return {k: da.concatenate(v, axis=0) for k, v in columns.items()}


_SWEEP_KEYS = ("p", "log_Z", "internal_energy", "entropy", "heat_capacity", "free_energy")


def _sweep_dataset(lv: EnergyLevels, us: UnitSystem, temperature: NDArray[np.float64],
                   beta: NDArray[np.float64], th: dict[str, NDArray[np.float64]], *,
                   ensemble: str) -> xr.Dataset:
    """Assemble the sweep Dataset (shared with CanonicalResult.to_xarray)."""
    from . import __version__

    eu, tu = us.energy_unit, us.temperature_unit
    td = ("temperature",)
    ds = xr.Dataset(
        {
            "probability": (("temperature", "state"), th["p"],
                            {"long_name": "level population p_l = g_l exp(-beta E_l) / Z",
                             "units": "1"}),
            "log_Z": (td, th["log_Z"], {"long_name": "log partition function ln Z",
                                        "units": "1"}),
            "free_energy": (td, th["free_energy"],
                            {"long_name": "Helmholtz free energy F = -k_B T ln Z",
                             "units": eu}),
            "internal_energy": (td, th["internal_energy"],
                                {"long_name": "internal energy U = <E>", "units": eu}),
            "entropy": (td, th["entropy"], {"long_name": "entropy S", "units": "k_B"}),
            "heat_capacity": (td, th["heat_capacity"],
                              {"long_name": "heat capacity C = Var(E) / (k_B T^2)",
                               "units": "k_B"}),
        },
        coords={
            "temperature": ("temperature", np.asarray(temperature, dtype=np.float64),
                            {"long_name": "temperature T", "units": tu}),
            "beta": ("temperature", np.asarray(beta, dtype=np.float64),
                     {"long_name": "inverse temperature beta = 1 / (k_B T)",
                      "units": us.beta_unit}),
            "state": ("state", np.arange(lv.n_levels),
                      {"long_name": "level index", "units": "1"}),
            "energy": ("state", lv.energies, {"long_name": "level energy E_l", "units": eu}),
            "degeneracy": ("state", lv.degeneracy,
                           {"long_name": "level degeneracy g_l", "units": "1"}),
            "label": ("state", np.array(lv.labels, dtype=str),
                      {"long_name": "level label", "units": "1"}),
        },
        attrs={
            "title": f"canonical ensemble temperature sweep{': ' + lv.name if lv.name else ''}",
            "maxent_version": __version__,
            "ensemble": ensemble,
            "system": lv.name or "unnamed",
            "unit_system": us.name,
            "energy_unit": eu,
            "temperature_unit": tu,
            "boltzmann_constant": float(us.boltzmann_constant),
            "boltzmann_constant_units": us.boltzmann_constant_units,
            "n_levels": int(lv.n_levels),
            "n_states": float(lv.n_states),
        },
    )
    return ds
