"""Markov-chain moves of lattice models, by name: Metropolis, heat bath, Wolff.

A :class:`Chain` is the mutable state of one Markov chain (the model's states in the
Potts form, the generator, the tracked numbers of satisfied bonds and of sites in state
0, and the sampler's work arrays).  A sampler is an object of :data:`SAMPLERS` with

- ``check(model, beta)``: refuse what it cannot sample (raises InvalidInputError);
- ``prepare(chain)``: tune itself before the recorded sweeps (Wolff: clusters a sweep);
- ``kernel(chain, n_sweeps)``: the name of the compiled kernel a call would run
  ("multi-spin", "one-site", "heat-bath" or "cluster");
- ``sweeps(chain, sweep0, n_sweeps, thin, out_e, out_n0)``: run sweeps in compiled code.

:func:`advance` cuts a run into chunks of about ``_CHUNK_MOVES`` moves so that Ctrl-C
(KeyboardInterrupt) is honoured between them.  Nothing here asks which model it has:
the model supplies its Potts form and its energy-change table.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from . import _multispin as msc
from . import _spin_kernels as kern
from ._bitops import rng_state, thresholds
from .errors import InvalidInputError

__all__ = [
    "SAMPLERS",
    "Chain",
    "acceptance",
    "advance",
    "heat_bath_probability",
    "in_threads",
    "new_chain",
    "sampler_named",
]

_CHUNK_MOVES = 1 << 23  # moves per compiled call: ~10-50 ms
_NO_RECORD = 2**62  # a `thin` that never records
_PACK_MOVES = 1 << 10  # moves per call from which the multi-spin kernel pays off
# sites per word from which the multi-spin kernel beats one site at a time: a word costs
# about as much as 7 one-site moves (45 vs 6.3 ns here; benchmarks/bench_mc.py)
_MIN_LANES = 8.0
_EMPTY_E = np.empty(0)  # the records of a run that records nothing
_EMPTY_N0 = np.empty(0, np.int64)


@dataclass
class Chain:
    """Mutable state of one chain (private to the samplers and their drivers): the
    states, the generator, the number of satisfied bonds and of sites in state 0 (the
    energy follows from them exactly) and the sampler's work arrays."""

    model: Any
    beta: float
    states: NDArray[np.int8]
    rng: NDArray[np.uint64]
    satisfied: int
    n0: int
    work: dict[str, Any] = field(default_factory=dict)
    stop: threading.Event | None = None  # set by the caller to stop between chunks

    @property
    def energy(self) -> float:
        """The energy of the states, from the satisfied bonds and the sites in state 0."""
        _, jp, hp, offset = self.model.potts_form
        return float(-jp * self.satisfied - hp * self.n0 + offset)


def new_chain(
    model: Any, beta: float, states: NDArray[np.int8], rng: np.random.Generator
) -> Chain:
    """A chain at ``beta`` from flat ``states`` (copied), its counts recomputed."""
    states = np.array(states, dtype=np.int8).reshape(-1)
    bonds = model.lattice.bonds
    satisfied = int(np.count_nonzero(states[bonds[:, 0]] == states[bonds[:, 1]]))
    return Chain(
        model, beta, states, rng_state(rng), satisfied, int(np.count_nonzero(states == 0))
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


def heat_bath_probability(beta: float, de: NDArray[np.float64]) -> NDArray[np.float64]:
    """Probability 1 / (1 + exp(beta dE)) of the other state of a two-state site: the
    heat bath (Glauber) rule for q = 2 (1/2 at dE = 0, a step function at beta = inf)."""
    if not np.isfinite(beta):
        return np.where(de == 0, 0.5, (de < 0) * 1.0)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(beta * np.asarray(de, dtype=np.float64)))


@functools.lru_cache(maxsize=8)
def _site_tables(lattice: Any) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """The kernels' neighbour table and sweep order (colour by colour), as int32."""
    return lattice.neighbors.astype(np.int32), lattice.sweep_order().astype(np.int32)


@functools.lru_cache(maxsize=8)
def _layout(lattice: Any) -> msc.Layout | None:
    return msc.layout(lattice)


def _tables(chain: Chain) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    if "sites" not in chain.work:
        chain.work["sites"] = _site_tables(chain.model.lattice)
    return chain.work["sites"]


def _form(chain: Chain) -> NDArray[np.float64]:
    if "form" not in chain.work:
        _, jp, hp, offset = chain.model.potts_form
        chain.work["form"] = np.array([jp, hp, offset], dtype=np.float64)
    return chain.work["form"]


def _packing(chain: Chain, n_sweeps: int) -> msc.Layout | None:
    """The multi-spin layout if it applies to this call: q = 2 (Ising), a lattice with a
    packing (chain, square, triangular, honeycomb, cubic; any side, sign, field) of at
    least ``_MIN_LANES`` sites a word on average, and enough moves to pay for packing."""
    if chain.model.potts_form.q != 2 or n_sweeps * chain.states.size < _PACK_MOVES:
        return None
    if "layout" not in chain.work:
        packing = _layout(chain.model.lattice)
        fast = packing is not None and packing.lanes >= _MIN_LANES
        chain.work["layout"] = packing if fast else None
    return chain.work["layout"]


def _local_moves(
    chain: Chain,
    probability: Callable[[float, NDArray[np.float64]], NDArray[np.float64]],
    sweep0: int,
    n_sweeps: int,
    thin: int,
    out_e: NDArray[np.float64],
    out_n0: NDArray[np.int64],
) -> None:
    """Single-site moves to another state accepted with ``probability(beta, dE)``: the
    multi-spin kernel where it applies, else one site at a time."""
    packing = _packing(chain, n_sweeps)
    key = f"rule {probability.__name__}"
    if packing is not None:
        if key not in chain.work:
            _, jp, hp, _ = chain.model.potts_form
            z = chain.model.lattice.neighbors.shape[1]
            rule = msc.flip_rule(z, jp, hp, chain.beta, probability)
            chain.work[key] = (rule.classes, rule.bounds, rule.digits, rule.class_thresholds)
        words = packing.words()
        msc.pack(chain.states, packing.site_word, packing.site_bit, words)
        chain.satisfied, chain.n0 = msc.sweeps(
            words, packing.geometry, chain.work[key], chain.rng, sweep0, n_sweeps, thin,
            chain.satisfied, chain.n0, _form(chain), out_e, out_n0,
        )  # fmt: skip
        msc.unpack(words, packing.site_word, packing.site_bit, chain.states)
        return
    key += " one site"
    if key not in chain.work:
        chain.work[key] = thresholds(probability(chain.beta, chain.model.energy_changes())).ravel()
    neighbors, order = _tables(chain)
    chain.satisfied, chain.n0 = kern.metropolis(
        chain.states, neighbors, order, chain.model.potts_form.q, chain.work[key], chain.rng,
        sweep0, n_sweeps, thin, chain.satisfied, chain.n0, _form(chain), out_e, out_n0,
    )  # fmt: skip


class Sampler(Protocol):
    """What a sampler provides (see the module docstring)."""

    @property
    def name(self) -> str: ...

    def check(self, model: Any, beta: float) -> None: ...

    def prepare(self, chain: Chain) -> None: ...

    def kernel(self, chain: Chain, n_sweeps: int) -> str: ...

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

    def kernel(self, chain: Chain, n_sweeps: int) -> str:
        """Which kernel a call of ``n_sweeps`` sweeps runs: "multi-spin" or "one-site"."""
        return "one-site" if _packing(chain, n_sweeps) is None else "multi-spin"


@dataclass(frozen=True)
class Metropolis(_SingleSite):
    """Checkerboard single-site Metropolis (any model, field, geometry).

    Sites are visited colour by colour; each proposes another state (uniformly among
    the q - 1 others) accepted with min(1, exp(-beta dE)) (1/2 at dE = 0, see
    :func:`acceptance`).  For the Ising model on the chain, square, triangular,
    honeycomb and cubic lattices (any side, either sign of J, any field), 64 sites are
    updated at once (multi-spin coding, :mod:`maxent._multispin`): the same Markov chain
    in distribution, in another order of sites, many times faster.
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
        _local_moves(chain, acceptance, sweep0, n_sweeps, thin, out_e, out_n0)


@dataclass(frozen=True)
class HeatBath(_SingleSite):
    """Checkerboard heat bath: each site drawn from its conditional distribution (for
    the Ising model: flip with probability 1 / (1 + exp(beta dE)), multi-spin coded
    where Metropolis is)."""

    name: str = "heat_bath"

    def kernel(self, chain: Chain, n_sweeps: int) -> str:
        return super().kernel(chain, n_sweeps) if chain.model.potts_form.q == 2 else "heat-bath"

    def sweeps(
        self,
        chain: Chain,
        sweep0: int,
        n_sweeps: int,
        thin: int,
        out_e: NDArray[np.float64],
        out_n0: NDArray[np.int64],
    ) -> None:
        q, jp, hp, _ = chain.model.potts_form
        if q == 2:
            _local_moves(chain, heat_bath_probability, sweep0, n_sweeps, thin, out_e, out_n0)
            return
        if "weights" not in chain.work:
            z = chain.model.lattice.neighbors.shape[1]
            gain = jp * (np.arange(-z, z + 1)[:, None]) + hp * (np.arange(3)[None, :] - 1.0)
            with np.errstate(over="ignore"):
                weights = np.exp(chain.beta * gain) if np.isfinite(chain.beta) else gain >= 0
            chain.work["weights"] = np.where(gain == 0, 1.0, weights).ravel()
        neighbors, order = _tables(chain)
        chain.satisfied, chain.n0 = kern.heat_bath(
            chain.states, neighbors, order, q, chain.work["weights"], chain.rng, sweep0,
            n_sweeps, thin, chain.satisfied, chain.n0, _form(chain), out_e, out_n0,
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

    def kernel(self, chain: Chain, n_sweeps: int) -> str:
        return "cluster"

    def _work(self, chain: Chain) -> dict[str, Any]:
        w = chain.work
        if "stack" not in w:
            jp = chain.model.potts_form.coupling
            w["stack"] = np.empty(chain.states.size, np.int32)
            w["add"] = thresholds(-np.expm1(-chain.beta * jp) if jp > 0 else 0.0)[()]
            w["per_sweep"] = 0
        return w

    def _run(
        self,
        chain: Chain,
        sweep0: int,
        n_sweeps: int,
        per_sweep: int,
        thin: int,
        out: tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]],
    ) -> None:
        w = self._work(chain)
        neighbors, _ = _tables(chain)
        chain.satisfied, chain.n0 = kern.wolff(
            chain.states, neighbors, chain.model.potts_form.q, w["add"], chain.rng, sweep0,
            n_sweeps, per_sweep, thin, chain.satisfied, chain.n0, _form(chain), *out, w["stack"],
        )  # fmt: skip

    def pilot(self, chain: Chain) -> tuple[int, int]:
        """Clusters until >= N sites moved: (clusters, moved)."""
        n_sites = chain.states.size
        clusters, moved, chunk = 0, 0, 1
        out = (np.empty(1), np.empty(1, np.int64), np.zeros(1, np.int64))
        while moved < n_sites:
            self._run(chain, 0, 1, chunk, 1, out)
            clusters += chunk
            moved += int(out[2][0])
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
            for sweep in range(sweep0, sweep0 + n_sweeps):
                self.pilot(chain)
                if (sweep + 1) % thin == 0:
                    out_e[(sweep + 1) // thin - 1] = chain.energy
                    out_n0[(sweep + 1) // thin - 1] = chain.n0
            return
        flips = w.setdefault("flipped", np.zeros(out_e.size, np.int64))
        self._run(chain, sweep0, n_sweeps, w["per_sweep"], thin, (out_e, out_n0, flips))


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
