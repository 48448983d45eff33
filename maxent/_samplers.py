"""Markov-chain moves of lattice models, by name: Metropolis, heat bath, Wolff.

A :class:`Chain` is the mutable state of one Markov chain (the model's states in the
Potts form, the generator, the tracked energy and number of sites in state 0, and the
sampler's work arrays).  A sampler is an object of :data:`SAMPLERS` with

- ``check(model, beta)``: refuse what it cannot sample (raises InvalidInputError);
- ``prepare(chain)``: tune itself before the recorded sweeps (Wolff: clusters a sweep);
- ``sweeps(chain, sweep0, n_sweeps, thin, out_e, out_n0)``: run sweeps in compiled code.

:func:`advance` cuts a run into chunks of about ``_CHUNK_MOVES`` moves so that Ctrl-C
(KeyboardInterrupt) is honoured between them.  Nothing here asks which model it has:
the model supplies its Potts form and its energy-change table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from . import _spin_kernels as kern
from .errors import InvalidInputError

__all__ = ["SAMPLERS", "Chain", "advance", "in_threads", "new_chain", "sampler_named"]

_CHUNK_MOVES = 1 << 23  # moves per compiled call: ~10-50 ms
_NO_RECORD = 2**62  # a `thin` that never records
_PACK_MOVES = 1 << 16  # moves per call from which the multi-spin kernel pays off
_EMPTY_E = np.empty(0)  # the records of a run that records nothing
_EMPTY_N0 = np.empty(0, np.int64)


@dataclass
class Chain:
    """Mutable state of one chain (private to the samplers and their drivers)."""

    model: Any
    beta: float
    states: NDArray[np.int8]
    rng: NDArray[np.uint64]
    energy: float
    n0: int
    work: dict[str, Any] = field(default_factory=dict)
    stop: threading.Event | None = None  # set by the caller to stop between chunks


def new_chain(
    model: Any, beta: float, states: NDArray[np.int8], rng: np.random.Generator
) -> Chain:
    """A chain at ``beta`` from flat ``states`` (copied), energy and count recomputed."""
    states = np.array(states, dtype=np.int8).reshape(-1)
    return Chain(
        model,
        beta,
        states,
        kern.rng_state(rng),
        float(model.states_energy(states)),
        int(np.count_nonzero(states == 0)),
    )


def acceptance(beta: float, de: NDArray[np.float64]) -> NDArray[np.float64]:
    """Metropolis acceptance min(1, exp(-beta dE)), with 1/2 for dE = 0.

    A move that leaves the energy unchanged is accepted with probability 1/2 (a valid
    acceptance: its reverse has the same probability).  Accepting it always would make
    a checkerboard sweep deterministic for such moves, and on a chain the domain walls
    then travel in lock-step and never meet: the chain does not mix.
    """
    with np.errstate(over="ignore"):
        p = np.minimum(1.0, np.exp(-beta * de)) if np.isfinite(beta) else (de < 0) * 1.0
    return np.where(de == 0, 0.5, p)


def _packable(chain: Chain) -> bool:
    """The multi-spin kernel applies: square lattice, q = 2, h = 0, J > 0, a side even."""
    model = chain.model
    q, jp, hp, _ = model.potts_form
    shape = model.lattice.shape
    return (
        model.lattice.family == "square"
        and q == 2
        and hp == 0
        and jp > 0
        and np.isfinite(chain.beta)
        and (shape[0] % 2 == 0 or shape[1] % 2 == 0)
    )


class Sampler(Protocol):
    """What a sampler provides (see the module docstring)."""

    @property
    def name(self) -> str: ...

    def check(self, model: Any, beta: float) -> None: ...

    def prepare(self, chain: Chain) -> None: ...

    def sweeps(
        self,
        chain: Chain,
        sweep0: int,
        n_sweeps: int,
        thin: int,
        out_e: NDArray[np.float64],
        out_n0: NDArray[np.int64],
    ) -> None: ...


class _SingleSite:
    """Samplers of single-site moves: valid for every model, nothing to tune."""

    def check(self, model: Any, beta: float) -> None:
        return None

    def prepare(self, chain: Chain) -> None:
        return None


@dataclass(frozen=True)
class Metropolis(_SingleSite):
    """Checkerboard single-site Metropolis (any model, field, geometry).

    Sites are visited colour by colour; each proposes another state (uniformly among
    the q - 1 others) accepted with min(1, exp(-beta dE)) (1/2 at dE = 0, see
    :func:`acceptance`).  For the square-lattice Ising model in zero field with J > 0
    and a side of even length, up to 64 sites of one colour in a row are updated at
    once (multi-spin coding, :func:`maxent._spin_kernels.metropolis_ising_2d_packed`):
    the same Markov chain in distribution, about ten times faster.
    """

    name: str = "metropolis"

    def sweeps(
        self,
        chain: Chain,
        sweep0: int,
        n_sweeps: int,
        thin: int,
        out_e: NDArray[np.float64],
        out_n0: NDArray[np.int64],
    ) -> None:
        # packing costs O(N) per call: worth it only for enough moves (not for the short
        # rounds of parallel tempering on a small lattice)
        if n_sweeps * chain.states.size >= _PACK_MOVES and _packable(chain):
            self._packed(chain, sweep0, n_sweeps, thin, out_e, out_n0)
            return
        if "tables" not in chain.work:
            de = chain.model.energy_changes()
            chain.work["tables"] = (acceptance(chain.beta, de), de)
            chain.work["order"] = chain.model.lattice.sweep_order()
        prob, de = chain.work["tables"]
        q = chain.model.potts_form.q
        nb = chain.model.lattice.neighbors
        chain.energy, chain.n0 = kern.metropolis(
            chain.states, nb, chain.work["order"], q, prob, de, chain.rng, sweep0, n_sweeps,
            thin, chain.energy, chain.n0, out_e, out_n0,
        )  # fmt: skip

    @staticmethod
    def _packed(
        chain: Chain,
        sweep0: int,
        n_sweeps: int,
        thin: int,
        out_e: NDArray[np.float64],
        out_n0: NDArray[np.int64],
    ) -> None:
        model = chain.model
        j = model.potts_form.coupling / 2.0
        p = float(np.exp(-4.0 * chain.beta * j))
        always = p >= 1.0
        threshold = np.uint64(0 if always else min(int(p * 2.0**64), 2**64 - 1))
        spins = (1 - 2 * chain.states).reshape(model.lattice.shape).astype(np.int8)
        transpose = spins.shape[1] % 2 == 1  # the square lattice is symmetric: use the even side
        if transpose:
            spins = spins.T
        n2 = spins.shape[1]
        planes = kern.pack_spins(spins)
        kern.metropolis_ising_2d_packed(
            planes, n2, threshold, always, chain.rng, sweep0, n_sweeps, thin, j, out_e, out_n0
        )
        spins = kern.unpack_spins(planes, n2)
        if transpose:
            spins = spins.T
        chain.states[:] = ((1 - spins) // 2).reshape(-1)
        chain.energy = float(model.states_energy(chain.states))
        chain.n0 = int(np.count_nonzero(chain.states == 0))


@dataclass(frozen=True)
class HeatBath(_SingleSite):
    """Checkerboard heat bath: each site drawn from its conditional distribution."""

    name: str = "heat_bath"

    def sweeps(
        self,
        chain: Chain,
        sweep0: int,
        n_sweeps: int,
        thin: int,
        out_e: NDArray[np.float64],
        out_n0: NDArray[np.int64],
    ) -> None:
        order = chain.work.setdefault("order", chain.model.lattice.sweep_order())
        q, jp, hp, _ = chain.model.potts_form
        chain.energy, chain.n0 = kern.heat_bath(
            chain.states, chain.model.lattice.neighbors, order, q, chain.beta, jp, hp,
            chain.rng, sweep0, n_sweeps, thin, chain.energy, chain.n0, out_e, out_n0,
        )  # fmt: skip


@dataclass(frozen=True)
class Wolff:
    """Wolff single-cluster updates (zero field, J >= 0).

    A sweep is a fixed number of clusters, N / (mean cluster size), the mean measured
    by a pilot of clusters totalling at least N moved sites (:meth:`prepare`, just
    before the recorded sweeps; stopping each sweep after N moved sites would bias the
    samples).  During equilibration each sweep is such a pilot.
    """

    name: str = "wolff"

    def check(self, model: Any, beta: float) -> None:
        q, jp, hp, _ = model.potts_form
        if hp != 0:
            raise InvalidInputError(
                f"sampler 'wolff' needs `field` = 0; got {model.field!r} (use 'metropolis')."
            )
        if jp < 0:
            raise InvalidInputError(
                f"sampler 'wolff' needs `coupling` >= 0; got {model.coupling!r}.  Wolff "
                "clusters join aligned neighbours with probability 1 - exp(-beta J), which "
                "is not a probability for J < 0: it is not a valid cluster move for an "
                "antiferromagnet (use 'metropolis', 'heat_bath' or 'parallel_tempering')."
            )

    def _work(self, chain: Chain) -> dict[str, Any]:
        w = chain.work
        if "stack" not in w:
            n = chain.states.size
            jp = chain.model.potts_form.coupling
            w["stack"] = np.empty(n, np.int64)
            w["mark"] = np.zeros(n, np.int64)
            w["cluster_id"] = 0
            w["p_add"] = float(-np.expm1(-chain.beta * jp)) if jp > 0 else 0.0
            w["per_sweep"] = 0
        return w

    def _clusters(self, chain: Chain, n_clusters: int, out_flipped: NDArray[np.int64]) -> None:
        """``n_clusters`` clusters as one recorded 'sweep' into ``out_flipped[0]``."""
        w = self._work(chain)
        e, n0 = np.empty(1), np.empty(1, np.int64)
        chain.energy, chain.n0, w["cluster_id"] = kern.wolff(
            chain.states, chain.model.lattice.neighbors, chain.model.potts_form.q, w["p_add"],
            chain.model.potts_form.coupling, chain.rng, 0, 1, n_clusters, 1, chain.energy,
            chain.n0, e, n0, out_flipped, w["stack"], w["mark"], w["cluster_id"],
        )  # fmt: skip

    def pilot(self, chain: Chain) -> tuple[int, int]:
        """Clusters until >= N sites moved: (clusters, moved)."""
        n_sites = chain.states.size
        clusters, moved, chunk = 0, 0, 1
        f = np.zeros(1, np.int64)
        while moved < n_sites:
            self._clusters(chain, chunk, f)
            clusters += chunk
            moved += int(f[0])
            chunk = min(2 * chunk, max(1, (n_sites - moved) * clusters // max(moved, 1)))
        return clusters, moved

    def prepare(self, chain: Chain) -> None:
        clusters, moved = self.pilot(chain)
        self._work(chain)["per_sweep"] = max(1, round(chain.states.size * clusters / moved))

    def sweeps(
        self,
        chain: Chain,
        sweep0: int,
        n_sweeps: int,
        thin: int,
        out_e: NDArray[np.float64],
        out_n0: NDArray[np.int64],
    ) -> None:
        w = self._work(chain)
        if w["per_sweep"] == 0:  # not prepared: equilibration, each sweep a pilot
            for _ in range(n_sweeps):
                self.pilot(chain)
            return
        flips = w.setdefault("flipped", np.zeros(out_e.size, np.int64))
        chain.energy, chain.n0, w["cluster_id"] = kern.wolff(
            chain.states, chain.model.lattice.neighbors, chain.model.potts_form.q, w["p_add"],
            chain.model.potts_form.coupling, chain.rng, sweep0, n_sweeps, w["per_sweep"], thin,
            chain.energy, chain.n0, out_e, out_n0, flips, w["stack"], w["mark"], w["cluster_id"],
        )  # fmt: skip


#: Samplers by name: objects with ``name``, ``check``, ``prepare`` and ``sweeps``.
SAMPLERS: dict[str, Sampler] = {s.name: s for s in (Metropolis(), HeatBath(), Wolff())}


def sampler_named(name: object) -> Sampler:
    """The sampler called ``name`` (raises InvalidInputError naming the choices)."""
    if not isinstance(name, str) or name not in SAMPLERS:
        raise InvalidInputError(f"`sampler` must be one of {sorted(SAMPLERS)}; got {name!r}.")
    return SAMPLERS[name]


def advance(
    sampler: Sampler,
    chain: Chain,
    n_sweeps: int,
    thin: int = _NO_RECORD,
    out_e: NDArray[np.float64] | None = None,
    out_n0: NDArray[np.int64] | None = None,
    sweep0: int = 0,
) -> None:
    """Run ``n_sweeps`` sweeps in chunks (KeyboardInterrupt works between chunks),
    recording every ``thin``-th sweep (none by default)."""
    if out_e is None or out_n0 is None:
        out_e, out_n0 = _EMPTY_E, _EMPTY_N0
    chunk = max(1, _CHUNK_MOVES // max(chain.states.size, 1))
    done = 0
    while done < n_sweeps:
        if chain.stop is not None and chain.stop.is_set():
            raise KeyboardInterrupt
        step = min(chunk, n_sweeps - done)
        sampler.sweeps(chain, sweep0 + done, step, thin, out_e, out_n0)
        done += step


def in_threads(task: Callable[[Chain], Any], chains: Sequence[Chain], n_threads: int) -> list[Any]:
    """``task(chain)`` for every chain, over up to ``n_threads`` threads (the kernels
    release the GIL; each is single-threaded).  Ctrl-C stops every chain at its next
    chunk."""
    if n_threads <= 1 or len(chains) <= 1:
        return [task(c) for c in chains]
    stop = threading.Event()
    for c in chains:
        c.stop = stop
    pool = ThreadPoolExecutor(max_workers=min(n_threads, len(chains)))
    try:
        futures = [pool.submit(task, c) for c in chains]
        return [f.result() for f in futures]
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True)
        for c in chains:
            c.stop = None
