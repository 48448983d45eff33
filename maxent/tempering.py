r"""Parallel tempering (replica exchange) of lattice spin models over a temperature ladder.

One replica per temperature runs the single-site or cluster sampler; every
``exchange_every`` sweeps, neighbouring temperatures :math:`\beta_i, \beta_{i+1}`
(alternately the even and the odd pairs) swap configurations with probability
:math:`\min(1, e^{(\beta_i - \beta_{i+1})(E_i - E_{i+1})})`, which keeps every replica
in its Boltzmann distribution.  A configuration trapped at a low temperature climbs to
a high one, melts and comes back down: the remedy for chains that freeze into stripes
or wrong orderings below a transition.

The replicas run in threads (the compiled kernels release the GIL; each is
single-threaded, ``MAXENT_NUM_THREADS`` of them at once); the swaps draw from their
own seeded generator, so a run does not depend on the number of threads.

References
----------
R. H. Swendsen and J.-S. Wang, Phys. Rev. Lett. 57, 2607 (1986);
K. Hukushima and K. Nemoto, J. Phys. Soc. Jpn. 65, 1604 (1996).
"""

from __future__ import annotations

import functools
from typing import Any, cast

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from ._checks import dimensionless_array, integer, random_generator
from ._dataset import dataset, variable
from ._parallel import worker_count
from ._samplers import Chain, advance, in_threads, new_chain, sampler_named
from .errors import InvalidInputError
from .montecarlo import check_counts, check_model, initial_states

__all__ = ["ladder", "parallel_tempering"]

_THREADED_MOVES = 1 << 14  # moves per replica and round from which threads pay off


def ladder(temperatures: ArrayLike, name: str = "temperatures") -> np.ndarray:
    """Sorted temperatures of a ladder: at least 2, finite, > 0 and distinct."""
    t = dimensionless_array(temperatures, name, ndim=1)
    if t.size < 2 or not np.all(np.isfinite(t) & (t > 0)) or np.unique(t).size != t.size:
        raise InvalidInputError(
            f"`{name}` must hold at least 2 distinct temperatures, finite and > 0, for "
            f"parallel tempering; got {t.tolist()[:8]}."
        )
    return np.sort(t)


def _advance_slot(
    smp: Any, n: int, thin: int, outputs: tuple | None, sweep0: int, chain: Chain
) -> None:
    """``n`` sweeps of the replica at one temperature slot, recorded into its row."""
    if outputs is None:
        advance(smp, chain, n)
        return
    slot = chain.work["slot"]
    advance(smp, chain, n, thin, outputs[0][slot], outputs[1][slot], sweep0)


def _swap(chains: list[Chain], pair: int) -> None:
    a, b = chains[pair], chains[pair + 1]
    a.states, b.states = b.states, a.states
    a.satisfied, b.satisfied = b.satisfied, a.satisfied
    a.n0, b.n0 = b.n0, a.n0


def _exchange(
    chains: list[Chain], parity: int, rng: np.random.Generator, accepted: np.ndarray
) -> None:
    """Attempt swaps of the pairs (i, i + 1) with i = parity, parity + 2, ..."""
    for i in range(parity, len(chains) - 1, 2):
        delta = (chains[i].beta - chains[i + 1].beta) * (chains[i].energy - chains[i + 1].energy)
        if delta >= 0 or rng.random() < np.exp(delta):
            _swap(chains, i)
            accepted[i] += 1


def run_tempering(
    model: Any,
    temperatures: ArrayLike,
    *,
    sampler: str = "metropolis",
    n_sweeps: int = 10_000,
    n_equilibration: int | None = None,
    thin: int = 1,
    exchange_every: int = 1,
    initial: object = "random",
    seed: object = None,
    n_threads: int | None = None,
) -> dict[str, Any]:
    """The work of :func:`parallel_tempering` without the Dataset (a dict of arrays)."""
    check_model(model)
    temps = ladder(temperatures)
    betas = 1.0 / temps
    smp = sampler_named(sampler)
    for b in betas:
        smp.check(model, b)
    every = cast(int, integer(exchange_every, "exchange_every", minimum=1))
    k = temps.size
    n_sweeps, n_eq, thin, _ = check_counts(n_sweeps, n_equilibration, thin, k)
    rngs = random_generator(seed).spawn(k + 1)
    starts = initial_states(model, initial, k, rngs[:k])
    chains = [new_chain(model, b, s, r) for b, s, r in zip(betas, starts, rngs[:k], strict=True)]
    swap_rng = rngs[k]
    threads = worker_count() if n_threads is None else int(n_threads)
    if model.n_sites * every < _THREADED_MOVES:
        threads = 1
    n_out = n_sweeps // thin
    out_e = np.empty((k, n_out))
    out_n0 = np.empty((k, n_out), np.int64)
    for slot, c in enumerate(chains):
        c.work["slot"] = slot
    accepted = np.zeros(k - 1, np.int64)
    attempts = np.zeros(k - 1, np.int64)

    def rounds(total: int, record: bool) -> None:
        done, parity = 0, 0
        while done < total:
            n = min(every, total - done)
            outputs = (out_e, out_n0) if record else None
            in_threads(
                functools.partial(_advance_slot, smp, n, thin, outputs, done), chains, threads
            )
            done += n
            if record and done == total:
                break  # the last records belong to the configurations left
            attempts[parity::2] += record
            _exchange(chains, parity, swap_rng, accepted if record else np.zeros(k - 1))
            parity ^= 1

    rounds(n_eq, False)
    for c in chains:
        smp.prepare(c)
    rounds(n_sweeps, True)
    return {
        "temperatures": temps,
        "energy": out_e,
        "n0": out_n0,
        "states": np.stack([c.states for c in chains]),
        "swap_acceptance": accepted / np.maximum(attempts, 1),
        "sampler": smp.name,
        "n_equilibration": n_eq,
        "thin": thin,
        "exchange_every": every,
    }


def parallel_tempering(
    model: Any,
    temperatures: ArrayLike,
    *,
    sampler: str = "metropolis",
    n_sweeps: int = 10_000,
    n_equilibration: int | None = None,
    thin: int = 1,
    exchange_every: int = 1,
    initial: str | ArrayLike = "random",
    seed: int | np.random.Generator | None = None,
) -> xr.Dataset:
    r"""Replica-exchange Monte Carlo of a lattice model over a ladder of temperatures.

    Parameters
    ----------
    model : IsingModel or PottsModel
        The lattice model, on any geometry.
    temperatures : array_like, shape (n_replicas,)
        The ladder: at least 2 distinct temperatures, finite and > 0 (sorted here).
        Neighbouring temperatures should overlap in energy: the swap acceptance of
        every pair (returned) should not be small (say above 0.2).
    sampler : {"metropolis", "heat_bath", "wolff"}, default "metropolis"
        The move of each replica between exchanges.
    n_sweeps, n_equilibration, thin
        As for :func:`maxent.monte_carlo`, for every replica.
    exchange_every : int, default 1
        Sweeps between two rounds of exchanges.
    initial : {"random", "ordered"} or array_like, default "random"
        Start of every replica (or one configuration per replica along a first axis).
    seed : int or numpy.random.Generator, optional
        Seeds the replicas and the exchanges (the result does not depend on threads).

    Returns
    -------
    xarray.Dataset
        ``energy`` and ``magnetization`` along (``temperature``, ``sweep``) (the
        replica at each temperature, whichever configuration it holds), the last
        ``configuration`` at each temperature, ``swap_acceptance`` along ``pair``
        (between temperature ``pair`` and the next); coordinates ``temperature``,
        ``beta``; attributes as for :func:`maxent.monte_carlo` and ``exchange_every``.

    Raises
    ------
    InvalidInputError
        If the ladder is not at least 2 distinct finite temperatures > 0, or as for
        :func:`maxent.monte_carlo`.

    See Also
    --------
    monte_carlo : independent chains at one temperature.
    sample_sweep : averages with error bars (``sampler="parallel_tempering"``).

    References
    ----------
    .. [1] R. H. Swendsen and J.-S. Wang, "Replica Monte Carlo simulation of spin-glasses",
       Phys. Rev. Lett. 57, 2607 (1986).
    .. [2] K. Hukushima and K. Nemoto, "Exchange Monte Carlo method and application to spin
       glass simulations", J. Phys. Soc. Jpn. 65, 1604 (1996).

    Examples
    --------
    >>> import maxent
    >>> ds = maxent.parallel_tempering(maxent.IsingModel((6, 6)), [1.5, 2.0, 2.5, 3.0],
    ...                                n_sweeps=500, seed=0)
    >>> dict(ds.energy.sizes), bool((ds.swap_acceptance > 0.1).all())
    ({'temperature': 4, 'sweep': 500}, True)
    """
    out = run_tempering(
        model,
        temperatures,
        sampler=sampler,
        n_sweeps=n_sweeps,
        n_equilibration=n_equilibration,
        thin=thin,
        exchange_every=exchange_every,
        initial=initial,
        seed=seed,
    )
    return _tempering_dataset(model, out)


def _tempering_dataset(model: Any, out: dict[str, Any]) -> xr.Dataset:
    temps = out["temperatures"]
    e = out["energy"]
    sweeps = out["n_equilibration"] + out["thin"] * np.arange(1, e.shape[1] + 1)
    config = np.stack([model.from_states(s) for s in out["states"]])
    return dataset(
        {
            "energy": variable(("temperature", "sweep"), e, "energy", "1", "total energy H"),
            "magnetization": variable(
                ("temperature", "sweep"),
                model.magnetization_from_count(out["n0"]),
                "magnetization",
                "1",
                "total magnetisation M",
            ),
            "configuration": variable(
                ("temperature",) + model.lattice.axes, config, "last configuration", "1"
            ),
            "swap_acceptance": variable(
                "pair",
                out["swap_acceptance"],
                "swap acceptance rate",
                "1",
                "accepted / attempted exchanges between temperature[pair] and the next",
            ),  # fmt: skip
        },
        coords={
            "temperature": variable("temperature", temps, "temperature", "1"),
            "beta": variable("temperature", 1.0 / temps, "inverse temperature", "1"),
            "sweep": variable("sweep", sweeps, "sweep", "1"),
            "pair": variable("pair", np.arange(temps.size - 1), "temperature pair", "1"),
        },
        title="parallel tempering of a lattice model",
        sampler=out["sampler"],
        model=repr(model),
        n_sites=model.n_sites,
        n_equilibration=out["n_equilibration"],
        thin=out["thin"],
        exchange_every=out["exchange_every"],
    )
