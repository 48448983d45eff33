r"""Markov-chain Monte Carlo of lattice spin models: Metropolis and Wolff samplers.

:func:`monte_carlo` runs one chain at one temperature and returns its time series of
energy and magnetisation as an :class:`xarray.Dataset`, with the integrated
autocorrelation times and an equilibration check in its attributes.  Samplers are chosen
by name from :data:`SAMPLERS`:

- ``"metropolis"``: single-spin-flip Metropolis, sweeping the lattice in checkerboard
  order (one sublattice, then the other), acceptance probabilities from a lookup table.
- ``"wolff"``: Wolff single-cluster updates (zero field only); one *sweep* is a fixed
  number of clusters, N divided by the mean cluster size of a pilot run, so that a sweep
  flips about N spins and costs about as much as a Metropolis sweep.

The inner loops are compiled with numba when it is installed (single-threaded; see
:mod:`maxent._spin_kernels`); without numba the Metropolis sampler falls back to a
vectorised numpy checkerboard (:func:`numpy_checkerboard`, even side lengths only) and
the other kernels run as plain Python (slow).

Temperatures are in the energy unit of the model (k_B = 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from . import _spin_kernels as kern
from .errors import InvalidInputError
from .lattice import IsingModel, PottsModel, is_spin_model
from .timeseries import equilibration_time, integrated_autocorrelation_time

__all__ = [
    "SAMPLERS",
    "active_client",
    "chain_statistics",
    "check_model",
    "monte_carlo",
    "numpy_checkerboard",
    "run_chain",
    "sample_sweep",
]

_AXES = ("x", "y", "z")


class Sampler(Protocol):
    """What a sampler provides: a name, a check of the model, and a run of sweeps."""

    @property
    def name(self) -> str: ...

    def check(self, model: IsingModel | PottsModel, beta: float) -> None: ...

    def run(
        self,
        model,
        beta: float,
        spins: NDArray[np.int8],
        n_sweeps: int,
        thin: int,
        state: NDArray[np.uint64],
        energy: float,
        magnet: float,
        equilibrate: bool = False,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], float]: ...


def _ising_tables(model: IsingModel, beta: float) -> tuple[NDArray, NDArray]:
    """Acceptance probability and energy change of a flip, by (spin, neighbour sum)."""
    z = 2 * model.dimension
    s = np.array([-1.0, 1.0])[:, None]
    nb = (2 * np.arange(z + 1) - z)[None, :]
    de = 2.0 * s * (model.coupling * nb + model.field)
    return _acceptance(beta, de), de


def _potts_tables(model: PottsModel, beta: float) -> tuple[NDArray, NDArray]:
    """Acceptance and energy change by (field change + 1, n_new - n_old + z)."""
    z = 2 * model.dimension
    f = (np.arange(3) - 1.0)[:, None]
    d = (np.arange(2 * z + 1) - z)[None, :]
    de = -model.coupling * d - model.field * f
    return _acceptance(beta, de), de


def _acceptance(beta: float, de: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(over="ignore"):
        return (
            np.minimum(1.0, np.exp(-beta * de))
            if np.isfinite(beta)
            else (de <= 0).astype(np.float64)
        )


def _checkerboard_order(shape: tuple[int, ...]) -> NDArray[np.int64]:
    parity = np.indices(shape).sum(axis=0).ravel() % 2
    return np.concatenate([np.flatnonzero(parity == 0), np.flatnonzero(parity == 1)])


def numpy_checkerboard(
    spins: NDArray[np.int8],
    beta: float,
    coupling: float,
    field: float,
    rng: np.random.Generator,
    n_sweeps: int,
) -> NDArray[np.int8]:
    """Plain vectorised numpy checkerboard Metropolis for the Ising model (even sides).

    Each half-sweep updates one sublattice at once: neighbour sums by ``np.roll``,
    acceptance by comparison with uniform random numbers for every site.  The baseline
    of ``benchmarks/bench_mc.py`` and the fallback when numba is missing.
    """
    if any(n % 2 for n in spins.shape):
        raise InvalidInputError(
            f"the numpy checkerboard needs even side lengths; got shape {spins.shape} "
            "(install numba for odd sides)."
        )
    masks = [np.indices(spins.shape).sum(axis=0) % 2 == p for p in (0, 1)]
    for _ in range(n_sweeps):
        for mask in masks:
            nb = np.zeros(spins.shape, dtype=np.int8)
            for axis in range(spins.ndim):
                nb += np.roll(spins, 1, axis) + np.roll(spins, -1, axis)
            de = 2.0 * spins * (coupling * nb + field)
            accept = mask & (rng.random(spins.shape) < np.exp(-beta * np.maximum(de, 0.0)))
            spins[accept] *= -1
    return spins


def _packable(model) -> bool:
    """Whether the multi-spin-coded kernel applies: 2-D Ising, h = 0, J > 0, sides fit."""
    return (
        kern.HAVE_NUMBA
        and isinstance(model, IsingModel)
        and model.dimension == 2
        and model.field == 0
        and model.coupling > 0
        and model.shape[0] % 2 == 0
        and model.shape[1] % 128 == 0
    )


@dataclass(frozen=True)
class Metropolis:
    """Checkerboard single-spin-flip Metropolis (Ising and Potts, any field).

    For the square-lattice Ising model in zero field with J > 0 and the second side a
    multiple of 128, 64 spins of one sublattice are updated at once (multi-spin coding,
    :func:`maxent._spin_kernels.metropolis_ising_2d_packed`); the same Markov chain in
    distribution, several times faster.
    """

    name: str = "metropolis"

    def check(self, model, beta):
        pass

    def run(self, model, beta, spins, n_sweeps, thin, state, energy, magnet, equilibrate=False):
        n_out = n_sweeps // thin
        out_e, out_m = np.empty(n_out), np.empty(n_out)
        extra = np.nan
        if isinstance(model, IsingModel):
            prob, de = _ising_tables(model, beta)
            if not kern.HAVE_NUMBA and not any(n % 2 for n in model.shape):
                return self._numpy(model, beta, spins, n_sweeps, thin, state, out_e, out_m)
            if _packable(model):
                self._packed(model, beta, spins, n_sweeps, thin, state, out_e, out_m)
            elif model.dimension == 2:
                kern.metropolis_ising_2d(
                    spins, prob, de, state, n_sweeps, thin, energy, magnet, out_e, out_m
                )
            else:
                flat = spins.reshape(-1)
                kern.metropolis_ising(
                    flat,
                    model.neighbours,
                    _checkerboard_order(model.shape),
                    prob,
                    de,
                    state,
                    n_sweeps,
                    thin,
                    energy,
                    magnet,
                    out_e,
                    out_m,
                )
        else:
            prob, de = _potts_tables(model, beta)
            with np.errstate(over="ignore"):
                kern.metropolis_potts(
                    spins.reshape(-1),
                    model.neighbours,
                    _checkerboard_order(model.shape),
                    model.q,
                    prob,
                    de,
                    state,
                    n_sweeps,
                    thin,
                    energy,
                    magnet,
                    out_e,
                    out_m,
                )
        return out_e, out_m, extra

    @staticmethod
    def _packed(model, beta, spins, n_sweeps, thin, state, out_e, out_m):
        p = float(np.exp(-4.0 * beta * model.coupling))
        always = p >= 1.0
        threshold = np.uint64(0 if always else min(int(p * 2.0**64), 2**64 - 1))
        words = kern.pack_spins(spins)
        with np.errstate(over="ignore"):
            kern.metropolis_ising_2d_packed(
                words, threshold, always, state, n_sweeps, thin, model.coupling, out_e, out_m
            )
        spins[...] = kern.unpack_spins(words)

    @staticmethod
    def _numpy(model, beta, spins, n_sweeps, thin, state, out_e, out_m):
        rng = np.random.default_rng(state)
        for k in range(n_sweeps // thin):
            numpy_checkerboard(spins, beta, model.coupling, model.field, rng, thin)
            out_e[k] = float(model.energy(spins))
            out_m[k] = float(model.magnetization(spins))
        return out_e, out_m, np.nan


@dataclass(frozen=True)
class Wolff:
    """Wolff single-cluster updates (Ising and Potts, zero field).

    A sweep is a fixed number of clusters, N / (mean cluster size), the mean measured
    by a pilot of clusters totalling at least N flipped spins just before the recorded
    sweeps.  (Stopping each sweep after N flipped spins would bias the samples; during
    equilibration, which is not recorded, each sweep is such a pilot, so a chain started
    far from equilibrium does not run with a stale cluster count.)
    """

    name: str = "wolff"

    def check(self, model, beta):
        if model.field != 0:
            raise InvalidInputError(
                f"sampler 'wolff' needs `field` = 0; got {model.field!r} (use 'metropolis')."
            )

    @staticmethod
    def _args(model, beta, spins, state):
        j = model.coupling
        if isinstance(model, IsingModel):
            q, p_add = 0, -np.expm1(-2.0 * beta * j) if j > 0 else 0.0
        else:
            q, p_add = model.q, -np.expm1(-beta * j) if j > 0 else 0.0
        return (spins.reshape(-1), model.neighbours, q, float(p_add), j, state)

    @staticmethod
    def pilot(args, n_sites, energy, magnet):
        """Clusters until >= N spins flipped; (clusters, flipped, energy, magnet)."""
        e, m, f = np.empty(1), np.empty(1), np.zeros(1, np.int64)
        clusters, flipped, chunk = 0, 0, 1
        with np.errstate(over="ignore"):
            while flipped < n_sites:
                kern.wolff(*args, 1, chunk, 1, energy, magnet, e, m, f)
                energy, magnet = float(e[0]), float(m[0])
                clusters += chunk
                flipped += int(f[0])
                chunk = (
                    min(2 * chunk, max(1, (n_sites - flipped) * clusters // flipped))
                    if flipped < n_sites
                    else chunk
                )
        return clusters, flipped, energy, magnet

    def run(self, model, beta, spins, n_sweeps, thin, state, energy, magnet, equilibrate=False):
        args = self._args(model, beta, spins, state)
        n_out = n_sweeps // thin
        out_e, out_m = np.empty(n_out), np.empty(n_out)
        if equilibrate:
            for _ in range(n_sweeps):
                _, _, energy, magnet = self.pilot(args, model.n_sites, energy, magnet)
            out_e[-1], out_m[-1] = energy, magnet
            return out_e, out_m, np.nan
        clusters, flipped, energy, magnet = self.pilot(args, model.n_sites, energy, magnet)
        per_sweep = max(1, round(model.n_sites * clusters / flipped))
        flips = np.zeros(n_out, dtype=np.int64)
        with np.errstate(over="ignore"):
            kern.wolff(*args, n_sweeps, per_sweep, thin, energy, magnet, out_e, out_m, flips)
        mean_cluster = flips.sum() / (per_sweep * thin * n_out) if n_out else np.nan
        return out_e, out_m, float(mean_cluster)


#: Samplers by name: objects with ``name``, ``check(model, beta)`` and ``run(...)``.
SAMPLERS: dict[str, Sampler] = {s.name: s for s in (Metropolis(), Wolff())}


def check_model(model: object) -> None:
    """Raise unless ``model`` is an :class:`IsingModel` or :class:`PottsModel`."""
    if not is_spin_model(model):
        raise InvalidInputError(
            f"`model` must be a maxent.IsingModel or maxent.PottsModel; got "
            f"{type(model).__name__}."
        )


def _beta(temperature: object) -> tuple[float, float]:
    try:
        t = float(temperature)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInputError(f"`temperature` must be a number; got {temperature!r}.") from None
    if not (t >= 0) or np.isnan(t):
        raise InvalidInputError(f"`temperature` must be >= 0 (or inf); got {t!r}.")
    return t, (np.inf if t == 0 else 1.0 / t)


def _initial(model, initial, rng) -> NDArray[np.int8]:
    if isinstance(initial, str):
        if initial == "random":
            return model.random_configuration(rng)
        if initial == "ordered":
            fill = 1 if isinstance(model, IsingModel) else 0
            return np.full(model.shape, fill, dtype=np.int8)
        raise InvalidInputError(
            f"`initial` must be 'random', 'ordered' or a configuration; got {initial!r}."
        )
    spins = np.asarray(initial)
    model.energy(spins)  # validates shape and values
    if spins.shape != model.shape:
        raise InvalidInputError(
            f"`initial` must have the lattice shape {model.shape}; got {spins.shape}."
        )
    return spins.astype(np.int8).copy()


def _count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidInputError(f"`{name}` must be an int >= {minimum}; got {value!r}.")
    return int(value)


def run_chain(
    model,
    temperature: float,
    *,
    sampler: str = "metropolis",
    n_sweeps: int = 10_000,
    n_equilibration: int | None = None,
    thin: int = 1,
    initial: str | ArrayLike = "random",
    seed=None,
) -> dict:
    """The work of :func:`monte_carlo` without building the Dataset (a dict of arrays)."""
    check_model(model)
    t, beta = _beta(temperature)
    if sampler not in SAMPLERS:
        raise InvalidInputError(f"`sampler` must be one of {sorted(SAMPLERS)}; got {sampler!r}.")
    smp = SAMPLERS[sampler]
    smp.check(model, beta)
    n_sweeps = _count(n_sweeps, "n_sweeps", 1)
    thin = _count(thin, "thin", 1)
    if n_sweeps < thin:
        raise InvalidInputError(f"`n_sweeps` = {n_sweeps} must be >= `thin` = {thin}.")
    n_eq = (
        n_sweeps // 10
        if n_equilibration is None
        else _count(n_equilibration, "n_equilibration", 0)
    )
    rng = np.random.default_rng(seed)
    spins = _initial(model, initial, rng)
    state = kern.rng_state(rng)
    if beta == 0:
        return _infinite_temperature(model, t, spins, sampler, n_sweeps, thin, n_eq, rng)
    energy, magnet = float(model.energy(spins)), float(model.magnetization(spins))
    if n_eq:
        e, m, _ = smp.run(model, beta, spins, n_eq, n_eq, state, energy, magnet, equilibrate=True)
        energy, magnet = float(e[-1]), float(m[-1])
    e, m, cluster = smp.run(model, beta, spins, n_sweeps, thin, state, energy, magnet)
    return {
        "energy": e,
        "magnetization": m,
        "configuration": spins,
        "temperature": t,
        "beta": beta,
        "sampler": sampler,
        "n_equilibration": n_eq,
        "thin": thin,
        "mean_cluster_size": cluster,
    }


def _infinite_temperature(model, t, spins, sampler, n_sweeps, thin, n_eq, rng) -> dict:
    """beta = 0, an exact limit: every record an independent uniform configuration.

    (A Metropolis sweep at beta = 0 flips every spin, a deterministic map, so the
    chain itself would not sample the uniform distribution.)
    """
    n_out = n_sweeps // thin
    e, m = np.empty(n_out), np.empty(n_out)
    batch = max(1, (1 << 22) // model.n_sites)
    for a in range(0, n_out, batch):
        b = min(a + batch, n_out)
        configs = np.stack([model.random_configuration(rng) for _ in range(b - a)])
        e[a:b], m[a:b] = model.energy(configs), model.magnetization(configs)
        spins[...] = configs[-1]
    return {
        "energy": e,
        "magnetization": m,
        "configuration": spins,
        "temperature": t,
        "beta": 0.0,
        "sampler": sampler,
        "n_equilibration": n_eq,
        "thin": thin,
        "mean_cluster_size": np.nan,
    }


def monte_carlo(
    model: IsingModel | PottsModel,
    temperature: float,
    *,
    sampler: str = "metropolis",
    n_sweeps: int = 10_000,
    n_equilibration: int | None = None,
    thin: int = 1,
    initial: str | ArrayLike = "random",
    seed: int | np.random.Generator | None = None,
) -> xr.Dataset:
    r"""One Markov chain of a lattice spin model at one temperature.

    Parameters
    ----------
    model : IsingModel or PottsModel
        The lattice model.
    temperature : float
        :math:`T \ge 0` in the model's energy unit (k_B = 1); 0 is a quench
        (only moves that do not raise the energy); at ``inf`` every record is an
        independent uniform configuration (exact; a Metropolis sweep would flip every
        spin).
    sampler : {"metropolis", "wolff"}, default "metropolis"
        A name from :data:`SAMPLERS`.
    n_sweeps : int, default 10000
        Sweeps recorded after equilibration (a sweep is N attempted flips for
        Metropolis, N / (mean cluster size) clusters for Wolff).
    n_equilibration : int, optional
        Sweeps run and discarded first (default ``n_sweeps // 10``).
    thin : int, default 1
        Record every ``thin``-th sweep.
    initial : {"random", "ordered"} or array_like, default "random"
        Starting configuration: random (T = inf), all up / all in state 0, or given.
    seed : int or numpy.random.Generator, optional
        Seeds the chain (the same seed gives the same chain).

    Returns
    -------
    xarray.Dataset
        ``energy`` and ``magnetization`` along ``sweep`` (totals for the lattice,
        not per spin), ``configuration`` (the last one, along the lattice axes);
        coordinates ``temperature`` and ``beta``; attributes ``sampler``,
        ``n_sites``, ``n_equilibration``, ``thin``, ``mean_cluster_size`` (Wolff; NaN
        for Metropolis), ``autocorrelation_time_energy`` and
        ``autocorrelation_time_magnetization`` (in recorded samples) and
        ``equilibration_estimate`` (recorded samples that still look like a transient;
        0 when ``n_equilibration`` was enough).

    Raises
    ------
    InvalidInputError
        If ``model`` is not a lattice model, ``temperature`` is negative or NaN,
        ``sampler`` is unknown, or Wolff is asked for with a field.

    Examples
    --------
    >>> import maxent
    >>> run = maxent.monte_carlo(maxent.IsingModel((8, 8)), 1.0, n_sweeps=200, seed=1)
    >>> run.energy.sizes["sweep"], float(abs(run.magnetization).mean()) > 60
    (200, True)
    """
    out = run_chain(
        model,
        temperature,
        sampler=sampler,
        n_sweeps=n_sweeps,
        n_equilibration=n_equilibration,
        thin=thin,
        initial=initial,
        seed=seed,
    )
    return chain_dataset(model, out)


def chain_dataset(model, out: dict) -> xr.Dataset:
    """The Dataset of :func:`monte_carlo` from the dict of :func:`run_chain`."""
    e, m = out["energy"], out["magnetization"]
    dims = _AXES[: model.dimension]
    taus = [integrated_autocorrelation_time(x) if x.size > 1 else np.nan for x in (e, m)]
    eq = equilibration_time(e) if e.size >= 8 else 0
    ds = xr.Dataset(
        {
            "energy": (
                "sweep",
                e,
                {
                    "long_name": "energy",
                    "units": "1",
                    "description": "total energy H of the lattice",
                },
            ),
            "magnetization": (
                "sweep",
                m,
                {
                    "long_name": "magnetization",
                    "units": "1",
                    "description": "total magnetisation M",
                },
            ),
            "configuration": (
                dims,
                out["configuration"].copy(),
                {"long_name": "last configuration", "units": "1"},
            ),
        },
        coords={
            "sweep": (
                "sweep",
                out["n_equilibration"] + out["thin"] * np.arange(1, e.size + 1),
                {"long_name": "sweep", "units": "1"},
            ),
            "temperature": ((), out["temperature"], {"long_name": "temperature", "units": "1"}),
            "beta": ((), out["beta"], {"long_name": "inverse temperature", "units": "1"}),
        },
        attrs={
            "Conventions": "CF-1.10",
            "sampler": out["sampler"],
            "model": repr(model),
            "n_sites": model.n_sites,
            "n_equilibration": out["n_equilibration"],
            "thin": out["thin"],
            "mean_cluster_size": float(out["mean_cluster_size"]),
            "autocorrelation_time_energy": float(taus[0]),
            "autocorrelation_time_magnetization": float(taus[1]),
            "equilibration_estimate": int(eq),
        },
    )
    return ds


# -- temperature sweeps -----------------------------------------------------------------------
_SWEEP_VARS = {
    "internal_energy": ("internal energy", "1", "<E>, total for the lattice"),
    "heat_capacity": ("heat capacity", "k_B", "beta^2 (<E^2> - <E>^2)"),
    "magnetization": ("magnetization", "1", "<M>, total for the lattice"),
    "abs_magnetization": ("absolute magnetization", "1", "<|M|>"),
    "susceptibility": (
        "magnetic susceptibility",
        "1",
        "beta (<M^2> - <|M|>^2), the finite-lattice estimator",
    ),
    "binder_cumulant": ("Binder cumulant", "1", "1 - <M^4> / (3 <M^2>^2)"),
}


def _heat_capacity(beta):
    return lambda e: beta**2 * float(np.var(e)) if np.isfinite(beta) else 0.0


def _susceptibility(beta):
    def chi(m):
        a = np.abs(m)
        return beta * float(np.mean(m * m) - np.mean(a) ** 2) if np.isfinite(beta) else 0.0

    return chi


def _binder(m):
    m2 = float(np.mean(m * m))
    return 1.0 - float(np.mean(m**4)) / (3.0 * m2 * m2) if m2 > 0 else 2.0 / 3.0


def chain_statistics(
    energy: NDArray[np.float64], magnet: NDArray[np.float64], beta: float, n_blocks: int = 32
) -> dict[str, tuple[float, float]]:
    """Thermodynamic averages of one chain with their errors: name -> (value, error).

    Means get blocking errors; the heat capacity, susceptibility and Binder cumulant
    (functions of several means) a jackknife over ``n_blocks`` contiguous blocks.
    """
    from .timeseries import blocking_error, jackknife

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


def _sweep_point(
    model, temperature, sampler, n_sweeps, n_equilibration, thin, initial, seed, n_blocks
):
    out = run_chain(
        model,
        temperature,
        sampler=sampler,
        n_sweeps=n_sweeps,
        n_equilibration=n_equilibration,
        thin=thin,
        initial=initial,
        seed=seed,
    )
    return chain_statistics(out["energy"], out["magnetization"], out["beta"], n_blocks)


def active_client():
    """The active :class:`distributed.Client`, or None (none running, or no distributed)."""
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:
        return None


def sample_sweep(
    model: IsingModel | PottsModel,
    temperatures: ArrayLike,
    *,
    sampler: str = "metropolis",
    n_sweeps: int = 10_000,
    n_equilibration: int | None = None,
    thin: int = 1,
    initial: str | ArrayLike = "random",
    n_blocks: int = 32,
    seed: int | np.random.Generator | None = None,
    progress: bool = False,
) -> xr.Dataset:
    r"""Monte Carlo thermodynamics of a lattice model over a grid of temperatures.

    One independent chain per temperature (seeded from ``seed`` by
    :meth:`numpy.random.Generator.spawn`, so the result does not depend on where the
    chains run).  With a :class:`distributed.Client` active, the temperatures are spread
    over its workers (each chain is single-threaded); otherwise they run one after the
    other in this process.

    Parameters
    ----------
    model : IsingModel or PottsModel
        The lattice model.
    temperatures : array_like, shape (n_temperatures,)
        Temperatures >= 0 in the model's energy unit (k_B = 1).
    sampler, n_sweeps, n_equilibration, thin, initial
        As for :func:`monte_carlo`, for every chain.
    n_blocks : int, default 32
        Blocks of the jackknife for the heat capacity, susceptibility and Binder
        cumulant (each block should hold many autocorrelation times).
    seed : int or numpy.random.Generator, optional
        Seeds all chains.
    progress : bool, default False
        Show a progress bar over temperatures (local runs).

    Returns
    -------
    xarray.Dataset
        Along ``temperature`` (coordinate ``beta`` too): ``internal_energy``,
        ``heat_capacity``, ``magnetization``, ``abs_magnetization``, ``susceptibility``,
        ``binder_cumulant``, each with a standard error ``<name>_error``, and
        ``autocorrelation_time_energy`` (in recorded samples).  Extensive quantities
        are totals for the lattice, not per spin.

    Raises
    ------
    InvalidInputError
        As for :func:`monte_carlo`, or if ``temperatures`` is not a 1-D array of
        numbers >= 0.

    Examples
    --------
    >>> import maxent
    >>> ds = maxent.sample_sweep(maxent.IsingModel((4, 4)), [1.0, 5.0], n_sweeps=2000,
    ...                          seed=0)
    >>> bool(ds.internal_energy[0] < ds.internal_energy[1])
    True
    """
    from ._checks import as_float_array

    check_model(model)
    temps = as_float_array(temperatures, "temperatures", ndim=(0, 1)).reshape(-1)
    bad = ~(temps >= 0)
    if np.any(bad):
        k = int(np.argmax(bad))
        raise InvalidInputError(f"`temperatures` must be >= 0; got {temps[k]} at index {k}.")
    _count(n_blocks, "n_blocks", 2)
    rngs = np.random.default_rng(seed).spawn(temps.size)
    args = (sampler, n_sweeps, n_equilibration, thin, initial)
    run_chain(
        model,
        temps[0] if temps.size else 1.0,
        sampler=sampler,
        n_sweeps=thin,
        n_equilibration=0,
        thin=thin,
        initial=initial,
        seed=0,
    )  # validate once
    client = active_client()
    if client is not None:
        futures = [
            client.submit(_sweep_point, model, float(t), *args, r, n_blocks, pure=False)
            for t, r in zip(temps, rngs, strict=True)
        ]
        points = client.gather(futures)
    else:
        from tqdm.auto import tqdm

        points = [
            _sweep_point(model, float(t), *args, r, n_blocks)
            for t, r in zip(
                tqdm(temps, desc="sample_sweep", disable=not progress, leave=False),
                rngs,
                strict=True,
            )
        ]
    return _sweep_dataset(model, temps, points, sampler, n_sweeps)


def _sweep_dataset(model, temps, points, sampler, n_sweeps) -> xr.Dataset:
    from . import __version__

    data = {}
    for name, (long_name, units, desc) in _SWEEP_VARS.items():
        values = np.array([p[name][0] for p in points])
        errors = np.array([p[name][1] for p in points])
        data[name] = (
            "temperature",
            values,
            {"long_name": long_name, "units": units, "description": desc},
        )
        data[f"{name}_error"] = (
            "temperature",
            errors,
            {"long_name": f"standard error of {long_name}", "units": units},
        )
    data["autocorrelation_time_energy"] = (
        "temperature",
        np.array([p["autocorrelation_time_energy"][0] for p in points]),
        {
            "long_name": "integrated autocorrelation time of E",
            "units": "1",
            "description": "in recorded samples",
        },
    )
    with np.errstate(divide="ignore"):
        beta = 1.0 / temps
    return xr.Dataset(
        data,
        coords={
            "temperature": ("temperature", temps, {"long_name": "temperature", "units": "1"}),
            "beta": ("temperature", beta, {"long_name": "inverse temperature", "units": "1"}),
        },
        attrs={
            "Conventions": "CF-1.10",
            "maxent_version": __version__,
            "ensemble": "canonical (Monte Carlo)",
            "sampler": sampler,
            "n_sweeps": int(n_sweeps),
            "model": repr(model),
            "n_sites": model.n_sites,
        },
    )
