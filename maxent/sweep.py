r"""Temperature sweeps of the canonical ensemble as an :class:`xarray.Dataset`.

:func:`temperature_sweep` evaluates the canonical ensemble on a grid of temperatures in
one vectorised pass (chunks of the temperature x level matrix, so temporary memory stays
bounded), and returns a Dataset that plots and writes to netCDF as is.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from ._boltzmann import (
    MAX_CHUNK_ELEMENTS,
    THERMO_KEYS,
    beta_from_temperature,
    boltzmann,
    sweep_dataset,
)
from ._checks import as_float_array, boolean, first_bad_index, integer
from ._units import magnitude, resolve_units
from .errors import InvalidInputError
from .levels import EnergyLevels, as_levels

__all__ = ["PROBABILITY_TABLE_LIMIT", "temperature_sweep"]

#: Largest probability table (temperatures x levels) a sweep keeps by default (8 MB).
PROBABILITY_TABLE_LIMIT = 2**20


def temperature_sweep(
    levels: EnergyLevels | ArrayLike,
    temperatures: ArrayLike,
    *,
    units: str | None = None,
    chunk_size: int | None = None,
    probability: bool | None = None,
) -> xr.Dataset:
    r"""Canonical thermodynamics over a grid of temperatures.

    Parameters
    ----------
    levels : EnergyLevels or array_like, shape (n_levels,)
        The levels; a plain array is read as energies of non-degenerate states.
    temperatures : array_like, dask array or Quantity, shape (n_temperatures,)
        Temperatures (a pint or astropy Quantity is converted to the unit system's
        temperature unit: kelvin when the energies carry a unit); ``0`` (ground level),
        ``inf`` (:math:`p \propto g`) and negative values (negative temperature) are
        allowed.  A dask array gives a lazy,
        dask-backed Dataset with one chunk per chunk of temperatures (the temperature
        values themselves are read at once, for the index): nothing is computed until
        asked, and ``to_netcdf`` / ``to_zarr`` write it chunk by chunk.
    units : str, optional
        ``"natural"`` (:math:`k_B = 1`, T in the energy unit) or an energy unit pint
        knows (``"meV"``, ``"kJ/mol"``, ``"cm^-1"``, ``"K"``, ...): unitless energies are
        in that unit and T in kelvin, with :math:`k_B` from :mod:`scipy.constants`.
        Default: the levels' unit (kelvin temperatures) if they have one, else natural.
    chunk_size : int, optional
        Temperatures evaluated together (default: as many as keep a chunk of the
        temperature x level matrix near 2 MB, cache-sized).
    probability : bool, optional
        Keep the (temperature x level) table ``probability``: ``True`` always, ``False``
        never, and by default (``None``) when it is small, at most
        ``max(PROBABILITY_TABLE_LIMIT, n_levels)`` entries (8 MB, or one row per level:
        every one-temperature sweep keeps it).  Without the table the thermodynamics need
        memory for one chunk only, whatever the size (e.g. 1,000 temperatures x 10^6
        levels), and the Dataset has attribute ``probability_table = 0``;
        :func:`maxent.plot_sweep` then recomputes the populations it draws from the
        coordinates ``beta``, ``energy`` and ``log_degeneracy``.

    Returns
    -------
    xarray.Dataset
        Dims ``temperature`` and ``state`` (one entry per level); coordinate ``beta``
        along ``temperature`` and ``energy``, ``degeneracy``, ``log_degeneracy``,
        ``label`` along ``state``; variables ``probability`` (temperature, state; see
        ``probability``), ``log_Z``, ``free_energy``, ``internal_energy``, ``entropy``
        and ``heat_capacity`` (temperature), totals for the whole system.  Every
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

    See Also
    --------
    canonical : one temperature, as a result with fields.
    plot_sweep : the Dataset as a figure.
    sample_sweep : the same quantities of a lattice model by Monte Carlo.
    maxent.models.ising_2d_thermo : exact per-site thermodynamics of the 2D Ising model.

    Notes
    -----
    Memory: the table ``probability`` holds ``n_temperatures * n_levels`` floats; beyond
    it, temporaries are bounded by the chunk.  Writing a large table costs more than the
    sweep itself (its first write touches every page of fresh memory: a sweep of 10^4
    temperatures x 10^4 levels takes about twice as long with it), hence the default.
    Each temperature is exactly what :func:`maxent.canonical` returns: a one-temperature
    sweep equals ``canonical(levels, temperature=T).to_xarray()``.

    References
    ----------
    .. [1] R. K. Pathria and P. D. Beale, *Statistical Mechanics*, 3rd ed. (Academic
       Press, 2011), ch. 3.

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
    temperatures = magnitude(temperatures, "temperatures", us, "temperature")
    if hasattr(temperatures, "__dask_graph__"):  # a dask array: one output chunk per chunk
        lazy = cast(Any, temperatures)  # dask has no type information
        blocks = lazy.chunks[0] if lazy.ndim == 1 else None
        temperatures = lazy.compute()  # the axis itself is small; the output is not
    t = as_float_array(temperatures, "temperatures", ndim=1)
    if np.any(np.isnan(t)):
        idx = first_bad_index(np.isnan(t))
        raise InvalidInputError(f"`temperatures` must not be nan; got nan at index {idx}.")
    if t.size == 0:
        raise InvalidInputError("`temperatures` must hold at least one temperature.")
    if chunk_size is None:
        max_elements = MAX_CHUNK_ELEMENTS
    else:
        max_elements = cast(int, integer(chunk_size, "chunk_size", minimum=1)) * lv.n_levels
    if probability is None:
        probability = t.size * lv.n_levels <= max(PROBABILITY_TABLE_LIMIT, lv.n_levels)
    probability = boolean(probability, "probability")
    beta = beta_from_temperature(t, us.boltzmann_constant)
    if blocks is None:
        th = boltzmann(
            lv.energies,
            lv.log_degeneracy,
            beta,
            with_p=bool(probability),
            max_elements=max_elements,
        )
    else:
        th = _lazy_boltzmann(
            lv.energies, lv.log_degeneracy, beta, blocks, max_elements, bool(probability)
        )
    return sweep_dataset(lv, us, t, beta, th, ensemble="canonical")


def _lazy_boltzmann(
    energies: NDArray[np.float64],
    log_g: NDArray[np.float64],
    beta: NDArray[np.float64],
    blocks: tuple[int, ...],
    max_elements: int,
    with_p: bool,
) -> dict[str, Any]:
    """:func:`boltzmann` as dask arrays, one task per block of temperatures.

    Each task computes every quantity of its block once; the variables are views of it,
    so computing or writing the Dataset evaluates (and holds) one block at a time per
    worker.
    """
    import dask
    import dask.array as da

    keys = (("p",) if with_p else ()) + THERMO_KEYS
    edges = np.concatenate([[0], np.cumsum(blocks)]).astype(int)
    n = energies.size
    columns: dict[str, list[Any]] = {k: [] for k in keys}
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        part = dask.delayed(boltzmann, pure=True)(
            energies, log_g, beta[a:b], with_p=with_p, max_elements=max_elements
        )
        for key in keys:
            shape = (b - a, n) if key == "p" else (b - a,)
            columns[key].append(da.from_delayed(part[key], shape=shape, dtype=np.float64))
    return {k: da.concatenate(v, axis=0) for k, v in columns.items()}
