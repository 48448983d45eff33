r"""Monte Carlo thermodynamics of a lattice model over a grid of temperatures.

:func:`sample_sweep` runs independent chains at every temperature (or parallel
tempering over the whole grid) and reduces them to averages with error bars: means by
blocking, functions of several means (heat capacity, susceptibility, Binder cumulant) by
a jackknife over blocks, then combined over the chains; the chains are compared at each
temperature and a :class:`~maxent.ConvergenceWarning` names the temperatures where they
disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from ._checks import dimensionless_array, integer, random_generator
from ._dataset import dataset, variable
from ._samplers import sampler_named
from .errors import InvalidInputError
from .montecarlo import (
    RHAT_LIMIT,
    Z_LIMIT,
    active_client,
    check_model,
    run_chains,
    warn_if_disagree,
)
from .timeseries import blocking_error, chain_agreement, integrated_autocorrelation_time, jackknife

__all__ = ["chain_statistics", "sample_sweep"]

_SWEEP_VARS = {  # totals for the lattice (per site: divide by the attribute n_sites)
    "internal_energy": ("internal energy", "1", "<E>, total for the lattice"),
    "heat_capacity": ("heat capacity", "k_B", "beta^2 (<E^2> - <E>^2), total for the lattice"),
    "magnetization": ("magnetization", "1", "<M>, total for the lattice"),
    "abs_magnetization": ("absolute magnetization", "1", "<|M|>, total for the lattice"),
    "susceptibility": (
        "magnetic susceptibility",
        "1",
        "beta (<M^2> - <|M|>^2), the finite-lattice estimator, total for the lattice",
    ),
    "binder_cumulant": ("Binder cumulant", "1", "1 - <M^4> / (3 <M^2>^2)"),
}


def _heat_capacity(beta: float) -> Callable[[NDArray[np.float64]], float]:
    return lambda e: beta**2 * float(np.var(e)) if np.isfinite(beta) else 0.0


def _susceptibility(beta: float) -> Callable[[NDArray[np.float64]], float]:
    def chi(m: NDArray[np.float64]) -> float:
        a = np.abs(m)
        return beta * float(np.mean(m * m) - np.mean(a) ** 2) if np.isfinite(beta) else 0.0

    return chi


def _binder(m: NDArray[np.float64]) -> float:
    m2 = float(np.mean(m * m))
    return 1.0 - float(np.mean(m**4)) / (3.0 * m2 * m2) if m2 > 0 else 2.0 / 3.0


def chain_statistics(
    energy: NDArray[np.float64], magnet: NDArray[np.float64], beta: float, n_blocks: int = 32
) -> dict[str, tuple[float, float]]:
    """Thermodynamic averages of one chain with their errors: name -> (value, error).

    Means get blocking errors; the heat capacity, susceptibility and Binder cumulant
    (functions of several means) a jackknife over ``n_blocks`` contiguous blocks.
    """
    n_blocks = min(n_blocks, energy.size)
    out = {
        "internal_energy": (float(energy.mean()), blocking_error(energy)),
        "magnetization": (float(magnet.mean()), blocking_error(magnet)),
        "abs_magnetization": (float(np.abs(magnet).mean()), blocking_error(np.abs(magnet))),
    }
    for name, func, series in (
        ("heat_capacity", _heat_capacity(beta), energy),
        ("susceptibility", _susceptibility(beta), magnet),
        ("binder_cumulant", _binder, magnet),
    ):
        _, err = jackknife(func, series, n_blocks=n_blocks)
        out[name] = (func(series), err)  # the plain estimate, with the jackknife's error
    out["autocorrelation_time_energy"] = (integrated_autocorrelation_time(energy), np.nan)
    return out


def _combine(
    energy: NDArray[np.float64], magnet: NDArray[np.float64], beta: float, n_blocks: int
) -> dict[str, tuple[float, float]]:
    """Statistics of several chains (rows): the mean of the chains' values, with the
    error of that mean; plus their agreement (split R-hat, z) on the energy."""
    per = [chain_statistics(e, m, beta, n_blocks) for e, m in zip(energy, magnet, strict=True)]
    k = len(per)
    out = {
        name: (
            float(np.mean([p[name][0] for p in per])),
            float(np.sqrt(np.sum(np.square([p[name][1] for p in per]))) / k),
        )
        for name in per[0]
    }
    agree = chain_agreement(energy) if k > 1 and energy.shape[1] >= 8 else (np.nan, np.nan)
    out["rhat_energy"] = (agree[0], np.nan)
    out["z_max_energy"] = (agree[1], np.nan)
    return out


def _point(model: Any, t: float, options: dict[str, Any], seed: Any, n_blocks: int) -> dict:
    out = run_chains(model, t, seed=seed, **options)
    return _combine(out["energy"], out["magnetization"], out["beta"], n_blocks)


def _tempering_points(
    model: Any, temps: NDArray[np.float64], options: dict[str, Any], seed: Any, n_blocks: int
) -> list[dict]:
    from .tempering import run_tempering

    opts = dict(options)
    n_chains, initial = opts.pop("n_chains"), opts.pop("initial")
    opts["sampler"] = opts.pop("base_sampler")
    if isinstance(initial, str) and initial == "hot_and_cold":
        starts = ["random", "ordered"]
    else:
        starts = [initial]
    runs = [
        run_tempering(model, temps, initial=starts[c % len(starts)], seed=r, **opts)
        for c, r in enumerate(random_generator(seed).spawn(n_chains))
    ]
    order = np.argsort(temps)  # run_tempering sorts the ladder
    rank = np.empty_like(order)
    rank[order] = np.arange(temps.size)
    points = []
    for k, t in enumerate(temps):
        row = rank[k]
        e = np.stack([r["energy"][row] for r in runs])
        m = model.magnetization_from_count(np.stack([r["n0"][row] for r in runs]))
        points.append(_combine(e, m, 1.0 / t, n_blocks))
    return points


def sample_sweep(
    model: Any,
    temperatures: ArrayLike,
    *,
    sampler: str = "metropolis",
    n_sweeps: int = 10_000,
    n_equilibration: int | None = None,
    thin: int = 1,
    n_chains: int = 2,
    initial: str | ArrayLike = "hot_and_cold",
    n_blocks: int = 32,
    exchange_every: int = 1,
    tempering_sampler: str = "metropolis",
    seed: int | np.random.Generator | None = None,
    progress: bool = False,
) -> xr.Dataset:
    r"""Monte Carlo thermodynamics of a lattice model over a grid of temperatures.

    ``n_chains`` independent chains per temperature (seeded from ``seed`` by
    :meth:`numpy.random.Generator.spawn`, so the result does not depend on where they
    run).  With a :class:`distributed.Client` active, the temperatures are spread over
    its workers (each chain single-threaded); otherwise the chains of a temperature run
    in threads.  With ``sampler="parallel_tempering"`` the grid is the ladder of
    :func:`maxent.tempering.parallel_tempering`, run ``n_chains`` times (hot and cold
    starts), each time with ``tempering_sampler`` between exchanges.

    Parameters
    ----------
    model : IsingModel or PottsModel
        The lattice model.
    temperatures : array_like, shape (n_temperatures,)
        Temperatures >= 0 in the model's energy unit (k_B = 1); > 0, finite and distinct
        for parallel tempering.
    sampler : {"metropolis", "heat_bath", "wolff", "parallel_tempering"}
        The sampler; default "metropolis".
    n_sweeps, n_equilibration, thin, n_chains, initial
        As for :func:`maxent.monte_carlo`, for every temperature.
    n_blocks : int, default 32
        Blocks of the jackknife for the heat capacity, susceptibility and Binder
        cumulant (each block should hold many autocorrelation times).
    exchange_every : int, default 1
        Sweeps between exchanges (parallel tempering only).
    tempering_sampler : str, default "metropolis"
        The move between exchanges (parallel tempering only).
    seed : int or numpy.random.Generator, optional
        Seeds all chains.
    progress : bool, default False
        Show a progress bar over temperatures (local runs).

    Returns
    -------
    xarray.Dataset
        Along ``temperature`` (coordinate ``beta`` too): ``internal_energy``,
        ``heat_capacity``, ``magnetization``, ``abs_magnetization``, ``susceptibility``,
        ``binder_cumulant``, each with a standard error ``<name>_error`` (the mean over
        chains and its error), ``autocorrelation_time_energy`` (in records, mean over
        chains), ``rhat_energy`` and ``z_max_energy`` (agreement of the chains).
        Extensive quantities are totals for the lattice, not per site (the naming rule
        of :doc:`/conventions`: per-site values would end in ``_per_site``); the
        attribute ``n_sites`` converts them.

    Raises
    ------
    InvalidInputError
        As for :func:`maxent.monte_carlo`, or if ``temperatures`` is not a 1-D array of
        numbers >= 0.

    Warns
    -----
    ConvergenceWarning
        Naming the temperatures where the chains disagree.

    See Also
    --------
    monte_carlo : the chains themselves at one temperature.
    temperature_sweep : the same quantities from exact levels.
    maxent.models.ising_2d_thermo : exact values of the 2D Ising model to compare with.

    References
    ----------
    .. [1] M. E. J. Newman and G. T. Barkema, *Monte Carlo Methods in Statistical
       Physics* (Oxford University Press, 1999).
    .. [2] H. Flyvbjerg and H. G. Petersen, "Error estimates on averages of correlated
       data", J. Chem. Phys. 91, 461 (1989).
    .. [3] K. Binder, "Finite size scaling analysis of Ising model block distribution
       functions", Z. Phys. B 43, 119 (1981).

    Examples
    --------
    >>> import maxent
    >>> ds = maxent.sample_sweep(maxent.IsingModel((4, 4)), [1.0, 5.0], n_sweeps=2000,
    ...                          seed=0)
    >>> bool(ds.internal_energy[0] < ds.internal_energy[1])
    True
    """
    check_model(model)
    temps = dimensionless_array(temperatures, "temperatures", ndim=(0, 1)).reshape(-1)
    bad = ~(temps >= 0)
    if np.any(bad):
        k = int(np.argmax(bad))
        raise InvalidInputError(f"`temperatures` must be >= 0; got {temps[k]} at index {k}.")
    integer(n_blocks, "n_blocks", minimum=2)
    options = {
        "n_sweeps": n_sweeps,
        "n_equilibration": n_equilibration,
        "thin": thin,
        "n_chains": n_chains,
        "initial": initial,
    }
    if sampler == "parallel_tempering":
        options.update(exchange_every=exchange_every, base_sampler=tempering_sampler)
        points = _tempering_points(model, temps, options, seed, int(n_blocks))
    else:
        sampler_named(sampler)  # before any chain runs
        options["sampler"] = sampler
        points = _grid_points(model, temps, options, seed, int(n_blocks), progress)
    rhat = np.array([p["rhat_energy"][0] for p in points])
    z = np.array([p["z_max_energy"][0] for p in points])
    bad_t = temps[(rhat > RHAT_LIMIT) | (z > Z_LIMIT)]
    if bad_t.size:
        worst = int(np.nanargmax(np.where(np.isfinite(z), z, 1e300)))
        warn_if_disagree(
            float(rhat[worst]),
            float(z[worst]),
            f"sample_sweep() at T = {', '.join(f'{t:g}' for t in bad_t[:10])}",
        )
    return _sweep_dataset(model, temps, points, sampler, n_sweeps)


def _grid_points(
    model: Any,
    temps: NDArray[np.float64],
    options: dict[str, Any],
    seed: Any,
    n_blocks: int,
    progress: bool,
) -> list[dict]:
    rngs = random_generator(seed).spawn(temps.size)
    client = active_client()
    if client is not None:
        futures = [
            client.submit(_point, model, float(t), options, r, n_blocks, pure=False)
            for t, r in zip(temps, rngs, strict=True)
        ]
        return list(client.gather(futures))
    from tqdm.auto import tqdm

    bar = tqdm(temps, desc="sample_sweep", disable=not progress, leave=False)
    return [_point(model, float(t), options, r, n_blocks) for t, r in zip(bar, rngs, strict=True)]


def _sweep_dataset(
    model: Any, temps: NDArray[np.float64], points: list[dict], sampler: str, n_sweeps: object
) -> xr.Dataset:
    data: dict[Hashable, Any] = {}
    for name, (long_name, units, desc) in _SWEEP_VARS.items():
        data[name] = variable(
            "temperature", np.array([p[name][0] for p in points]), long_name, units, desc
        )
        data[f"{name}_error"] = variable(
            "temperature",
            np.array([p[name][1] for p in points]),
            f"standard error of {long_name}",
            units,
        )
    for name, long_name, desc in (
        ("autocorrelation_time_energy", "integrated autocorrelation time of E", "in records"),
        ("rhat_energy", "split R-hat of E over the chains", "near 1 when they agree"),
        ("z_max_energy", "largest difference of chain means of E", "in standard errors"),
    ):
        data[name] = variable(
            "temperature", np.array([p[name][0] for p in points]), long_name, "1", desc
        )
    with np.errstate(divide="ignore"):
        beta = 1.0 / temps
    return dataset(
        data,
        coords={
            "temperature": variable("temperature", temps, "temperature", "1"),
            "beta": variable("temperature", beta, "inverse temperature", "1"),
        },
        title="Monte Carlo temperature sweep of a lattice model",
        ensemble="canonical (Monte Carlo)",
        sampler=sampler,
        n_sweeps=int(n_sweeps),  # type: ignore[call-overload]
        model=repr(model),
        n_sites=model.n_sites,
    )
