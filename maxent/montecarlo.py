r"""Markov-chain Monte Carlo of lattice spin models, with a check across chains.

:func:`monte_carlo` runs independent chains of one model at one temperature, by default
one from a random (hot) and one from an ordered (cold) start, and returns their time
series of energy and magnetisation as an :class:`xarray.Dataset`.  When the chains
disagree (split :math:`\hat R` > 1.1, or chain means more than 5 standard errors apart),
it warns with :class:`~maxent.ConvergenceWarning`: a chain trapped in a metastable state
(a stripe at low temperature, a wrong ordering) looks healthy on its own.  Samplers are
chosen by name:

- ``"metropolis"``: single-site Metropolis, sweeping the lattice colour by colour;
- ``"heat_bath"``: single-site heat bath (each site drawn from its conditional law);
- ``"wolff"``: Wolff single-cluster updates (zero field, J >= 0);
- ``"parallel_tempering"`` (in :func:`sample_sweep`): replica exchange over the
  temperature grid, see :func:`maxent.tempering.parallel_tempering`.

The inner loops are compiled with numba (:mod:`maxent._spin_kernels`) and run in chunks,
so Ctrl-C stops a long run.  Temperatures are in the energy unit of the model (k_B = 1).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, cast

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from ._checks import check_memory, dimensionless_real, integer, random_generator
from ._dataset import dataset, variable
from ._parallel import worker_count
from ._samplers import Chain, advance, in_threads, new_chain, sampler_named
from .errors import ConvergenceWarning, InvalidInputError
from .lattice import is_spin_model
from .timeseries import chain_agreement, equilibration_time, integrated_autocorrelation_time

__all__ = ["RHAT_LIMIT", "Z_LIMIT", "monte_carlo"]

#: Split R-hat above which the chains are said to disagree.
RHAT_LIMIT = 1.1
#: Difference of chain means, in standard errors, above which they are said to disagree.
Z_LIMIT = 5.0
_BYTES_PER_RECORD = 48  # energy, count and their copies in the Dataset


def check_model(model: object) -> None:
    """Raise unless ``model`` is a lattice spin model (IsingModel or PottsModel)."""
    if not is_spin_model(model):
        raise InvalidInputError(
            f"`model` must be a maxent.IsingModel or maxent.PottsModel; got "
            f"{type(model).__name__}."
        )


def check_temperature(temperature: object, name: str = "temperature") -> tuple[float, float]:
    """``(T, beta)`` of a temperature >= 0 (inf allowed; a Quantity must be dimensionless)."""
    t = float(dimensionless_real(temperature, name, minimum=0.0, allow_inf=True))
    return t, (np.inf if t == 0 else 1.0 / t)


def initial_states(model: Any, initial: object, n_chains: int, rngs: list) -> list:
    """Flat starting states of each chain: ``"hot_and_cold"`` (random, ordered, random,
    ...), ``"random"``, ``"ordered"`` (the model's cold start), or configurations (one
    for all chains, or one per chain along a first axis)."""
    if isinstance(initial, str):
        kinds = {
            "random": ["random"],
            "ordered": ["ordered"],
            "hot_and_cold": ["random", "ordered"],
        }
        if initial not in kinds:
            raise InvalidInputError(
                "`initial` must be 'hot_and_cold', 'random', 'ordered' or a configuration; "
                f"got {initial!r}."
            )
        cycle = kinds[initial]
        return [
            model.to_states(model.random_configuration(r))
            if cycle[k % len(cycle)] == "random"
            else model.ordered_states()
            for k, r in enumerate(rngs)
        ]
    arr = np.asarray(initial)
    if arr.shape == model.shape:
        states = model.to_states(arr, "initial")
        return [states.copy() for _ in range(n_chains)]
    if arr.shape == (n_chains,) + model.shape:
        return list(model.to_states(arr, "initial"))
    raise InvalidInputError(
        f"`initial` must have the lattice shape {model.shape} (or ({n_chains},) + that shape, "
        f"one per chain); got an array of shape {arr.shape}."
    )


def check_counts(
    n_sweeps: object, n_equilibration: object, thin: object, n_chains: object
) -> tuple[int, int, int, int]:
    """Checked ``(n_sweeps, n_equilibration, thin, n_chains)``; refuses records that
    would not fit in memory (before anything runs)."""
    n_sweeps = cast(int, integer(n_sweeps, "n_sweeps", minimum=1))
    thin = cast(int, integer(thin, "thin", minimum=1))
    n_chains = cast(int, integer(n_chains, "n_chains", minimum=1))
    if n_sweeps < thin:
        raise InvalidInputError(f"`n_sweeps` = {n_sweeps} must be >= `thin` = {thin}.")
    n_eq = (
        n_sweeps // 10
        if n_equilibration is None
        else cast(int, integer(n_equilibration, "n_equilibration", minimum=0))
    )
    check_memory(
        float(n_chains) * (n_sweeps // thin) * _BYTES_PER_RECORD,
        f"{n_chains} chain(s) of `n_sweeps` / `thin` = {n_sweeps // thin} records",
    )
    return n_sweeps, n_eq, thin, n_chains


def _run_one(sampler: Any, chain: Chain, n_sweeps: int, thin: int) -> dict:
    """The recorded sweeps of one equilibrated chain."""
    sampler.prepare(chain)
    n_out = n_sweeps // thin
    e, n0 = np.empty(n_out), np.empty(n_out, np.int64)
    advance(sampler, chain, n_sweeps, thin, e, n0)
    flips = chain.work.get("flipped")
    per = chain.work.get("per_sweep", 0)
    cluster = float(flips.sum() / (per * thin * n_out)) if flips is not None and per else np.nan
    return {"energy": e, "n0": n0, "states": chain.states.copy(), "cluster": cluster}


def _block_energies(sampler: Any, n_sweeps: int, chain: Chain) -> NDArray[np.float64]:
    e, n0 = np.empty(n_sweeps), np.empty(n_sweeps, np.int64)
    advance(sampler, chain, n_sweeps, 1, e, n0)
    return e


def equilibrate(
    sampler: Any, chains: list[Chain], block: int, cap: int | None, threads: int
) -> int:
    """Run the equilibration sweeps of ``chains``; returns their number.

    With ``cap`` None, ``block`` sweeps.  Otherwise blocks of ``block`` sweeps until the
    chains agree on the energy of the last block (split R-hat and z within
    :data:`RHAT_LIMIT` and :data:`Z_LIMIT`, as for the recorded sweeps), or ``cap``
    sweeps have run: a chain from a random start that is still settling gets more time,
    while one trapped in a metastable state (a stripe) stays trapped and the recorded
    chains still disagree.  Judging needs two chains and blocks of 8 sweeps or more.
    """
    if cap is None or len(chains) < 2 or block < 8:
        in_threads(lambda c: advance(sampler, c, block), chains, threads)
        return block
    done = 0
    while True:
        energies = in_threads(functools.partial(_block_energies, sampler, block), chains, threads)
        done += block
        rhat, z_max = chain_agreement(np.stack(energies))
        if (rhat <= RHAT_LIMIT and z_max <= Z_LIMIT) or done >= cap:
            return done


def _infinite_temperature(model: Any, rng: np.random.Generator, n_out: int) -> dict:
    """beta = 0, an exact limit: every record an independent uniform configuration."""
    q = model.potts_form.q
    e, n0 = np.empty(n_out), np.empty(n_out, np.int64)
    batch = max(1, (1 << 22) // model.n_sites)
    states = np.zeros(model.n_sites, np.int8)
    for a in range(0, n_out, batch):
        b = min(a + batch, n_out)
        s = rng.integers(0, q, size=(b - a, model.n_sites)).astype(np.int8)
        e[a:b], n0[a:b] = model.states_energy(s), (s == 0).sum(axis=1)
        states = s[-1]
    return {"energy": e, "n0": n0, "states": states.copy(), "cluster": np.nan}


def run_chains(
    model: Any,
    temperature: object,
    *,
    sampler: str = "metropolis",
    n_sweeps: int = 10_000,
    n_equilibration: int | None = None,
    thin: int = 1,
    n_chains: int = 2,
    initial: object = "hot_and_cold",
    seed: object = None,
    n_threads: int | None = None,
) -> dict[str, Any]:
    """The work of :func:`monte_carlo` without the Dataset (a dict of arrays)."""
    check_model(model)
    t, beta = check_temperature(temperature)
    smp = sampler_named(sampler)
    smp.check(model, beta)
    n_sweeps, n_eq, thin, n_chains = check_counts(n_sweeps, n_equilibration, thin, n_chains)
    rngs = random_generator(seed).spawn(n_chains)
    starts = initial_states(model, initial, n_chains, rngs)
    if beta == 0:
        runs = [_infinite_temperature(model, r, n_sweeps // thin) for r in rngs]
    else:
        chains = [new_chain(model, beta, s, r) for s, r in zip(starts, rngs, strict=True)]
        threads = worker_count() if n_threads is None else n_threads
        cap = n_sweeps if n_equilibration is None else None
        n_eq = equilibrate(smp, chains, n_eq, cap, threads)
        runs = in_threads(lambda c: _run_one(smp, c, n_sweeps, thin), chains, threads)
    energy = np.stack([r["energy"] for r in runs])
    out = {
        "energy": energy,
        "magnetization": model.magnetization_from_count(np.stack([r["n0"] for r in runs])),
        "configuration": np.stack([model.from_states(r["states"]) for r in runs]),
        "mean_cluster_size": np.array([r["cluster"] for r in runs]),
        "temperature": t,
        "beta": beta,
        "sampler": smp.name,
        "n_equilibration": n_eq,
        "thin": thin,
    }
    out["rhat"], out["z_max"] = (
        chain_agreement(energy) if n_chains > 1 and energy.shape[1] >= 8 else (np.nan, np.nan)
    )
    return out


def warn_if_disagree(rhat: float, z_max: float, where: str, stacklevel: int = 3) -> bool:
    """Warn (ConvergenceWarning) when independent chains disagree; True if it warned."""
    if not (rhat > RHAT_LIMIT or z_max > Z_LIMIT):
        return False
    warnings.warn(
        f"{where}: independent chains disagree on the energy (split R-hat = {rhat:.3g}, "
        f"chain means {z_max:.3g} standard errors apart; limits {RHAT_LIMIT} and {Z_LIMIT}): "
        "a chain is trapped or not yet in equilibrium.  Run longer (`n_sweeps`, "
        "`n_equilibration`), or use sampler='wolff' (ferromagnets) or parallel tempering "
        "(maxent.tempering.parallel_tempering, sample_sweep(sampler='parallel_tempering')).",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )
    return True


def monte_carlo(
    model: Any,
    temperature: float,
    *,
    sampler: str = "metropolis",
    n_sweeps: int = 10_000,
    n_equilibration: int | None = None,
    thin: int = 1,
    n_chains: int = 2,
    initial: str | ArrayLike = "hot_and_cold",
    seed: int | np.random.Generator | None = None,
) -> xr.Dataset:
    r"""Independent Markov chains of a lattice spin model at one temperature.

    Parameters
    ----------
    model : IsingModel or PottsModel
        The lattice model, on any geometry.
    temperature : float
        :math:`T \ge 0` in the model's energy unit (k_B = 1); 0 is a quench
        (only moves that do not raise the energy); at ``inf`` every record is an
        independent uniform configuration (exact).
    sampler : {"metropolis", "heat_bath", "wolff"}, default "metropolis"
        Wolff needs ``field = 0`` and ``coupling >= 0``.
    n_sweeps : int, default 10000
        Sweeps recorded after equilibration, per chain (a sweep is one move per site for
        Metropolis and heat bath, N / (mean cluster size) clusters for Wolff).
    n_equilibration : int, optional
        Sweeps run and discarded first.  By default ``n_sweeps // 10``, then more in
        blocks of that length, while the chains still disagree on the energy of the last
        block (a chain from a random start still settling), up to ``n_sweeps`` more; the
        number run is the attribute ``n_equilibration`` of the result.  A chain trapped
        in a metastable state stays trapped, and the warning below still comes.
    thin : int, default 1
        Record every ``thin``-th sweep.
    n_chains : int, default 2
        Independent chains, run in parallel threads (``MAXENT_NUM_THREADS``).
    initial : {"hot_and_cold", "random", "ordered"} or array_like, default "hot_and_cold"
        Starts: alternately random (T = inf) and ordered (the model's low-energy state:
        all in the favoured state for J >= 0, the lattice colouring for J < 0); all
        random; all ordered; or a configuration (for every chain, or one per chain).
    seed : int or numpy.random.Generator, optional
        Seeds the chains (the same seed gives the same chains).

    Returns
    -------
    xarray.Dataset
        ``energy`` and ``magnetization`` along (``chain``, ``sweep``) (totals for the
        lattice, not per site), ``configuration`` (the last one of each chain, along
        ``chain`` and the lattice axes), per chain ``autocorrelation_time_energy`` (in
        recorded samples), ``equilibration_estimate`` (recorded samples that still look
        like a transient; 0 when ``n_equilibration`` was enough) and
        ``mean_cluster_size`` (Wolff; NaN otherwise); coordinates ``temperature`` and
        ``beta``; attributes ``sampler``, ``n_sites``, ``n_equilibration``, ``thin``,
        ``rhat_energy`` and ``z_max_energy`` (:func:`maxent.timeseries.chain_agreement`).

    Raises
    ------
    InvalidInputError
        If ``model`` is not a lattice model, ``temperature`` is negative, NaN or has a
        unit, ``sampler`` is unknown or cannot sample the model (Wolff with a field or
        J < 0), a count or ``seed`` is not a valid integer, ``initial`` is not a
        configuration, or the records would not fit in memory.

    Warns
    -----
    ConvergenceWarning
        If the chains disagree (split R-hat > :data:`RHAT_LIMIT` or means more than
        :data:`Z_LIMIT` standard errors apart).

    See Also
    --------
    sample_sweep : averages with error bars over a grid of temperatures.
    parallel_tempering : replica exchange, for chains that get trapped.
    maxent.timeseries.chain_agreement : the check of the chains against each other.

    References
    ----------
    .. [1] N. Metropolis, A. W. Rosenbluth, M. N. Rosenbluth, A. H. Teller and E. Teller,
       "Equation of state calculations by fast computing machines", J. Chem. Phys. 21,
       1087 (1953).
    .. [2] U. Wolff, "Collective Monte Carlo updating for spin systems", Phys. Rev. Lett.
       62, 361 (1989).
    .. [3] M. E. J. Newman and G. T. Barkema, *Monte Carlo Methods in Statistical
       Physics* (Oxford University Press, 1999).
    .. [4] A. Vehtari, A. Gelman, D. Simpson, B. Carpenter and P.-C. Bürkner,
       "Rank-normalization, folding, and localization: an improved R-hat for assessing
       convergence of MCMC", Bayesian Analysis 16, 667 (2021).

    Examples
    --------
    >>> import maxent
    >>> run = maxent.monte_carlo(maxent.IsingModel((8, 8)), 1.5, n_sweeps=400, seed=1)
    >>> dict(run.energy.sizes), bool(abs(run.magnetization).mean() > 60)
    ({'chain': 2, 'sweep': 400}, True)
    """
    out = run_chains(
        model,
        temperature,
        sampler=sampler,
        n_sweeps=n_sweeps,
        n_equilibration=n_equilibration,
        thin=thin,
        n_chains=n_chains,
        initial=initial,
        seed=seed,
    )
    warn_if_disagree(out["rhat"], out["z_max"], "monte_carlo()")
    return chain_dataset(model, out)


def _per_chain(series: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    taus = np.array([integrated_autocorrelation_time(x) if x.size > 1 else np.nan for x in series])
    eq = np.array([equilibration_time(x) if x.size >= 8 else 0 for x in series], dtype=np.int64)
    return taus, eq


def chain_dataset(model: Any, out: dict[str, Any]) -> xr.Dataset:
    """The Dataset of :func:`monte_carlo` from the dict of :func:`run_chains`."""
    e, m = out["energy"], out["magnetization"]
    taus, eq = _per_chain(e)
    axes = model.lattice.axes
    sweeps = out["n_equilibration"] + out["thin"] * np.arange(1, e.shape[1] + 1)
    return dataset(
        {
            "energy": variable(
                ("chain", "sweep"), e, "energy", "1", "total energy H of the lattice"
            ),
            "magnetization": variable(
                ("chain", "sweep"), m, "magnetization", "1", "total magnetisation M"
            ),
            "configuration": variable(
                ("chain",) + axes, out["configuration"].copy(), "last configuration", "1"
            ),
            "autocorrelation_time_energy": variable(
                "chain", taus, "integrated autocorrelation time of E", "1", "in records"
            ),
            "equilibration_estimate": variable(
                "chain", eq, "records that still look like a transient", "1"
            ),
            "mean_cluster_size": variable(
                "chain", out["mean_cluster_size"], "mean Wolff cluster size", "1"
            ),
        },
        coords={
            "chain": variable("chain", np.arange(e.shape[0]), "chain", "1"),
            "sweep": variable("sweep", sweeps, "sweep", "1"),
            "temperature": variable((), out["temperature"], "temperature", "1"),
            "beta": variable((), out["beta"], "inverse temperature", "1"),
        },
        title="Monte Carlo chains of a lattice model",
        sampler=out["sampler"],
        model=repr(model),
        n_sites=model.n_sites,
        n_equilibration=out["n_equilibration"],
        thin=out["thin"],
        rhat_energy=float(out["rhat"]),
        z_max_energy=float(out["z_max"]),
    )


def active_client() -> Any:
    """The active :class:`distributed.Client`, or None (none running, or no distributed)."""
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:
        return None
