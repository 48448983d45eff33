"""Cost per move of maxent's lattice samplers, every kernel path, against the multi-spin
kernel and against plain baselines, one core.

    python3 benchmarks/bench_mc.py [--quick] [--load] [--repeats R] [--only metropolis|wolff]

Metropolis (and heat bath) through the samplers' own entry point (``advance``, which
picks the kernel: multi-spin-coded, or one site at a time where a word would hold fewer
than 8 sites), in ns of CPU time (this thread's, so that time spent descheduled under
load does not count; the wall time is printed beside it) per attempted move, for the
square lattice at L = 16, 32, 63, 64, 100, 101, 128, 256 (Ising J = +1 and -1, Ising in
a field, Potts q = 3, heat bath, and the same bonds given as a general graph, which is
always sampled one site at a time) and for the triangular, honeycomb and cubic lattices
of about L^2 sites.  ``ratio`` divides each cost by that of the reference, the
multi-spin kernel on the square-lattice Ising model at L = 128 (J = +1, h = 0: the one
size at which the kernel of the versions before issue 22 ran), measured in the same run.
The plain baseline is a vectorised numpy checkerboard (even L).  Each case is timed
``REPEATS`` times, the cases interleaved round by round, and the median is printed, so
that a burst of load from other jobs hits every case alike.

Wolff at T_c: maxent's kernel (which also tracks energy and magnetisation) against a
plain compiled textbook Wolff loop (numba, flip on push, nothing else tracked) written
below, from the same equilibrated configuration, the same number of clusters per call
(about 2 million flipped spins), CPU ns per flipped spin, interleaved and repeated,
medians and the range of plain/ours over the repeats.  Also the first-call compile (or
cache load) time of each kernel in a fresh process.  ``--load`` runs a CPU-heavy numpy
loop in a second process meanwhile (the machine's other jobs are load too: the load
average is printed).
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numba import njit

import maxent
from maxent import _samplers
from maxent import lattice as lat

T_C = 2.0 / np.log(1.0 + np.sqrt(2.0))  # square-lattice Ising
T_C_POTTS3 = 1.0 / np.log(1.0 + np.sqrt(3.0))  # square-lattice Potts q = 3
T_C_TRI = 4.0 / np.log(3.0)
T_C_HONEY = 2.0 / np.log(2.0 + np.sqrt(3.0))
T_C_CUBIC = 4.5115
SIDES = (16, 32, 63, 64, 100, 101, 128, 256)
REFERENCE = "L=128 ising J=+1"  # the multi-spin kernel where it always ran


@dataclass
class Case:
    label: str
    model: object
    temperature: float
    sampler: str = "metropolis"
    reference: str = REFERENCE
    chain: object = None
    sweeps: int = 1
    times: list = field(default_factory=list)  # CPU seconds per move
    walls: list = field(default_factory=list)  # wall seconds per move


def square_cases(side: int) -> list[Case]:
    sq = lat.square(side)
    graph = lat.graph(sq.bonds, sq.n_sites)  # the same bonds, never packed
    return [
        Case(f"L={side} ising J=+1", maxent.IsingModel(sq), T_C),
        Case(f"L={side} ising J=-1", maxent.IsingModel(sq, coupling=-1.0), T_C),
        Case(f"L={side} ising h=0.1", maxent.IsingModel(sq, field=0.1), T_C),
        Case(f"L={side} ising as a graph", maxent.IsingModel(graph), T_C),
        Case(f"L={side} potts q=3", maxent.PottsModel(sq, 3), T_C_POTTS3),
        Case(f"L={side} ising heat bath", maxent.IsingModel(sq), T_C, "heat_bath"),
    ]


def geometry_cases(side: int) -> list[Case]:
    """Triangular L x L, honeycomb L x L/2 cells and cubic of about L^2 sites."""
    cubic = {64: (16, 16, 16), 128: (32, 32, 16), 256: (64, 32, 32)}[side]
    out = []
    for name, geo, tc in (
        ("triangular", lat.triangular(side), T_C_TRI),
        ("honeycomb", lat.honeycomb(side, side // 2), T_C_HONEY),
        ("cubic", lat.cubic(*cubic), T_C_CUBIC),
    ):
        for j in (1.0, -1.0):
            model = maxent.IsingModel(geo, coupling=j)
            out.append(Case(f"N={side}^2 {name} J={j:+.0f}", model, tc))
    return out


def prepare(case: Case, seconds: float) -> None:
    """A chain from a random start, warmed up (compiled), sweeps per timing calibrated."""
    model = case.model
    beta = 1.0 / case.temperature
    rng = np.random.default_rng(0)
    start = model.to_states(model.random_configuration(rng))
    case.chain = _samplers.new_chain(model, beta, start, rng)
    smp = _samplers.SAMPLERS[case.sampler]
    sweeps = max(4, (1 << 18) // model.n_sites)  # calls as long as a real run's
    _samplers.advance(smp, case.chain, sweeps)  # compiled (or loaded from the cache)
    while True:
        t0 = time.perf_counter()
        _samplers.advance(smp, case.chain, sweeps)
        dt = time.perf_counter() - t0
        if dt > seconds / 4 or sweeps > 10**6:
            break
        sweeps *= 4
    case.sweeps = max(2, int(sweeps * seconds / max(dt, 1e-9)))


def time_case(case: Case) -> None:
    smp = _samplers.SAMPLERS[case.sampler]
    moves = case.sweeps * case.chain.states.size
    t0, c0 = time.perf_counter(), time.thread_time()
    _samplers.advance(smp, case.chain, case.sweeps)
    case.times.append((time.thread_time() - c0) / moves)
    case.walls.append((time.perf_counter() - t0) / moves)


def numpy_checkerboard(spins, beta, rng, n_sweeps):
    """The plain baseline: vectorised checkerboard Metropolis (even sides), np.roll."""
    masks = [np.indices(spins.shape).sum(axis=0) % 2 == p for p in (0, 1)]
    for _ in range(n_sweeps):
        for mask in masks:
            nb = np.roll(spins, 1, 0) + np.roll(spins, -1, 0)
            nb += np.roll(spins, 1, 1) + np.roll(spins, -1, 1)
            de = 2.0 * spins * nb
            accept = mask & (rng.random(spins.shape) < np.exp(-beta * np.maximum(de, 0.0)))
            spins[accept] *= -1
    return spins


def numpy_cost(side: int, repeats: int) -> float:
    spins = maxent.IsingModel((side, side)).random_configuration(np.random.default_rng(1))
    rng = np.random.default_rng(2)
    sweeps = max(1, 200_000 // spins.size)
    times = []
    for _ in range(repeats):
        t0 = time.thread_time()
        numpy_checkerboard(spins, 1.0 / T_C, rng, sweeps)
        times.append((time.thread_time() - t0) / (sweeps * spins.size))
    return float(np.median(times))


def metropolis_table(quick: bool, repeats: int) -> None:
    sides = (32, 101, 128) if quick else SIDES
    cases = [c for s in sides for c in square_cases(s)]
    cases += [c for s in ((128,) if quick else (64, 128, 256)) for c in geometry_cases(s)]
    seconds = 0.01 if quick else 0.04
    for c in cases:
        prepare(c, seconds)
    for _ in range(repeats):  # interleaved: every case once per round
        for c in cases:
            time_case(c)
    med = {c.label: float(np.median(c.times)) for c in cases}
    print(f"{'case':34s} {'N':>6s} {'kernel':>11s} {'ns/move':>8s} {'spread':>6s} "
          f"{'wall_ns':>8s} {'ref_ns':>7s} {'ratio':>6s}")  # fmt: skip
    for c in cases:
        t = med[c.label]
        ref = med.get(c.reference, np.nan)
        spread = (max(c.times) - min(c.times)) / t
        path = _samplers.SAMPLERS[c.sampler].kernel(c.chain, c.sweeps)
        print(
            f"{c.label:34s} {c.chain.states.size:6d} {path:>11s} {t * 1e9:8.2f} "
            f"{spread:6.2f} {np.median(c.walls) * 1e9:8.2f} {ref * 1e9:7.2f} {t / ref:6.2f}"
        )
    print()
    print(f"{'plain numpy checkerboard':34s} {'N':>6s} {'ns/move':>8s} {'/ multi-spin':>12s}")
    for side in (64, 128):
        base = numpy_cost(side, max(3, repeats // 2))
        print(
            f"{'L=' + str(side):34s} {side * side:6d} {base * 1e9:8.2f} "
            f"{base / med.get(f'L={side} ising J=+1', np.nan):12.1f}"
        )


@njit(cache=True)
def plain_wolff(spins, neighbors, p_add, n_clusters, seed):
    """Textbook Wolff for +-1 spins: flip on push, a stack, nothing else tracked."""
    np.random.seed(seed)  # noqa: NPY002 - numba's generator inside compiled code
    n = spins.shape[0]
    stack = np.empty(n, np.int64)
    flipped = 0
    for _ in range(n_clusters):
        site = np.random.randint(n)  # noqa: NPY002
        old = spins[site]
        spins[site] = -old
        stack[0] = site
        top = 1
        while top > 0:
            top -= 1
            s = stack[top]
            for c in range(neighbors.shape[1]):
                nb = neighbors[s, c]
                if spins[nb] == old and np.random.random() < p_add:  # noqa: NPY002
                    spins[nb] = -old
                    stack[top] = nb
                    top += 1
                    flipped += 1
        flipped += 1
    return flipped


def wolff_timers(side: int) -> tuple[Callable[[], float], Callable[[], float]]:
    """(ours, plain): each runs once and returns seconds per flipped spin.  Both start
    from one configuration equilibrated by 200 sweeps (a plain chain from a random start
    at T_c grows clusters of a few sites for a long while: its cost per flip would be the
    cost of a call), and run the same number of clusters a call, about 2e6 flips."""
    model = maxent.IsingModel((side, side))
    beta = 1.0 / T_C
    rng = np.random.default_rng(1)
    wolff = _samplers.SAMPLERS["wolff"]
    chain = _samplers.new_chain(model, beta, model.to_states(model.random_configuration(rng)), rng)
    _samplers.advance(wolff, chain, 200)
    wolff.prepare(chain)
    sweeps = max(4, (1 << 21) // model.n_sites)
    out_e, out_n = np.empty(1), np.empty(1, np.int64)
    chain.work["flipped"] = np.zeros(1, np.int64)

    def ours() -> float:
        chain.work["flipped"][:] = 0
        start = time.thread_time()
        wolff.sweeps(chain, 0, sweeps, sweeps, out_e, out_n)
        return (time.thread_time() - start) / int(chain.work["flipped"][0])

    spins = model.from_states(chain.states).reshape(-1).copy()  # +-1, equilibrated
    nb = model.lattice.neighbors
    p_add = float(-np.expm1(-2.0 * beta))
    n_clusters = sweeps * chain.work["per_sweep"]
    plain_wolff(spins, nb, p_add, n_clusters, 0)  # compiled (or loaded from the cache)
    seeds = iter(range(1, 10**6))

    def plain() -> float:
        start = time.thread_time()
        flips = plain_wolff(spins, nb, p_add, n_clusters, next(seeds))
        return (time.thread_time() - start) / flips

    ours()
    return ours, plain


def wolff_table(quick: bool, repeats: int) -> None:
    sides = (64, 256) if quick else (32, 64, 128, 256)
    timers = {side: wolff_timers(side) for side in sides}
    times: dict[int, tuple[list[float], list[float]]] = {s: ([], []) for s in timers}
    for rep in range(repeats):
        for side, (ours, plain) in timers.items():
            first, second = (ours, plain) if rep % 2 == 0 else (plain, ours)
            a, b = first(), second()
            t_ours, t_plain = (a, b) if rep % 2 == 0 else (b, a)
            times[side][0].append(t_ours)
            times[side][1].append(t_plain)
    print(f"{'wolff at T_c':34s} {'ns/flip':>8s} {'plain_ns':>9s} {'plain/ours':>10s} "
          f"{'range over repeats':>20s}")  # fmt: skip
    for side, (ours_t, plain_t) in times.items():
        o, p = float(np.median(ours_t)), float(np.median(plain_t))
        r = np.array(plain_t) / np.array(ours_t)
        print(
            f"{'L=' + str(side):34s} {o * 1e9:8.2f} {p * 1e9:9.2f} {p / o:10.2f} "
            f"{r.min():9.2f} - {r.max():.2f}"
        )


def compile_times() -> str:
    """Seconds to import and run each sampler once, in a fresh process (cache warm or not)."""
    code = (
        "import time, warnings\nimport maxent\n"
        "m = maxent.IsingModel((8, 8)); out = []\n"
        "warnings.simplefilter('ignore')\n"
        "for s in ('metropolis', 'heat_bath', 'wolff'):\n"
        "    t = time.perf_counter(); maxent.monte_carlo(m, 2.0, sampler=s, n_sweeps=10)\n"
        "    out.append(f'{s} {time.perf_counter() - t:.2f} s')\n"
        "t = time.perf_counter(); maxent.wang_landau(m, ln_f_final=0.5, n_walks=1)\n"
        "out.append(f'wang_landau {time.perf_counter() - t:.2f} s')\n"
        "t = time.perf_counter(); maxent.models.lattice_spectrum(maxent.IsingModel((2, 2)))\n"
        "out.append(f'lattice_spectrum {time.perf_counter() - t:.2f} s')\n"
        "print('; '.join(out))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout


def _burn() -> None:  # pragma: no cover - the load process
    a = np.random.default_rng(0).random((400, 400))
    while True:
        a = np.tanh(a @ a.T / 400.0)


def main(argv: list[str]) -> None:
    quick, load = "--quick" in argv, "--load" in argv
    repeats = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else 7
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    burner = None
    if load:
        burner = multiprocessing.Process(target=_burn, daemon=True)
        burner.start()
    try:
        print(
            f"one core; medians of {repeats} interleaved repeats; --load: {load}; "
            f"load average before: {os.getloadavg()[0]:.2f}; maxent from {maxent.__file__}"
        )
        if only is None:
            print("first call per kernel, fresh process:", compile_times().strip())
        if only in (None, "metropolis"):
            metropolis_table(quick, repeats)
            print()
        if only in (None, "wolff"):
            wolff_table(quick, repeats)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if burner is not None:
            burner.terminate()


if __name__ == "__main__":
    main(sys.argv[1:])
