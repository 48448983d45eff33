"""Cost per move of maxent's lattice samplers against plain baselines, one core.

    python3 benchmarks/bench_mc.py [--quick] [--load]

Metropolis on the square-lattice Ising model (J = 1, h = 0) at T_c = 2.269 for
L = 64, 100, 128, 256: maxent's one-site kernel (any geometry, neighbour table), its
multi-spin-coded kernel (64 spins of one sublattice per machine word; sides multiples of
128) and the baseline, a plain vectorised numpy checkerboard, all in this process, best
of ``REPEATS``; ``one/multi`` is the one-site kernel's cost over the multi-spin one.
Then Wolff at T_c: maxent's kernel (which also tracks the energy) against a plain
compiled textbook Wolff loop (numba, flip on push, no bookkeeping) written below, in ns
per flipped spin.  Also the first-call compile (or cache load) time of each kernel, in a
fresh process.  ``--load`` runs a CPU-heavy numpy loop in a second process meanwhile.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
from numba import njit

import maxent
from maxent import _samplers
from maxent import _spin_kernels as kern

T_C = 2.0 / np.log(1.0 + np.sqrt(2.0))
REPEATS = 3


def best_of(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def numpy_checkerboard(spins, beta, rng, n_sweeps):
    """The baseline: vectorised checkerboard Metropolis (even sides), np.roll neighbours."""
    masks = [np.indices(spins.shape).sum(axis=0) % 2 == p for p in (0, 1)]
    for _ in range(n_sweeps):
        for mask in masks:
            nb = np.roll(spins, 1, 0) + np.roll(spins, -1, 0)
            nb += np.roll(spins, 1, 1) + np.roll(spins, -1, 1)
            de = 2.0 * spins * nb
            accept = mask & (rng.random(spins.shape) < np.exp(-beta * np.maximum(de, 0.0)))
            spins[accept] *= -1
    return spins


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


def metropolis_rows(side: int, sweeps: int, base_sweeps: int) -> list[tuple]:
    model = maxent.IsingModel((side, side))
    beta = 1.0 / T_C
    rng = np.random.default_rng(0)
    chain = _samplers.new_chain(model, beta, model.to_states(model.random_configuration(rng)), rng)
    metro = _samplers.SAMPLERS["metropolis"]
    n = model.n_sites
    spins = model.random_configuration(rng)
    base = best_of(lambda: numpy_checkerboard(spins, beta, rng, base_sweeps)) / (base_sweeps * n)
    out_e, out_n = np.empty(0), np.empty(0, np.int64)
    prob, de = _samplers.acceptance(beta, model.energy_changes()), model.energy_changes()
    order = model.lattice.sweep_order()

    def one_site():
        chain.energy, chain.n0 = kern.metropolis(
            chain.states, model.lattice.neighbors, order, 2, prob, de, chain.rng, 0, sweeps,
            2**62, chain.energy, chain.n0, out_e, out_n,
        )  # fmt: skip

    one_site()
    t_one = best_of(one_site) / (sweeps * n)
    rows = [(f"metropolis L={side} one-site kernel", t_one, base, np.nan)]
    if _samplers._packable(chain):

        def multi():
            metro.sweeps(chain, 0, sweeps, 2**62, out_e, out_n)

        multi()
        t_multi = best_of(multi) / (sweeps * n)
        rows.append((f"metropolis L={side} multi-spin kernel", t_multi, base, np.nan))
        rows[0] = rows[0][:3] + (t_one / t_multi,)
    return rows


def wolff_row(side: int, sweeps: int) -> tuple:
    model = maxent.IsingModel((side, side))
    beta = 1.0 / T_C
    rng = np.random.default_rng(1)
    wolff = _samplers.SAMPLERS["wolff"]
    chain = _samplers.new_chain(model, beta, model.to_states(model.random_configuration(rng)), rng)
    _samplers.advance(wolff, chain, 50)
    wolff.prepare(chain)
    out_e, out_n = np.empty(1), np.empty(1, np.int64)
    chain.work["flipped"] = np.zeros(1, np.int64)

    def ours() -> float:
        chain.work["flipped"][:] = 0
        start = time.perf_counter()
        wolff.sweeps(chain, 0, sweeps, sweeps, out_e, out_n)
        return (time.perf_counter() - start) / int(chain.work["flipped"][0])

    ours()
    t = min(ours() for _ in range(REPEATS))
    spins = model.random_configuration(rng).reshape(-1)
    nb = model.lattice.neighbors
    p_add = float(-np.expm1(-2.0 * beta))
    n_clusters = sweeps * chain.work["per_sweep"]
    plain_wolff(spins, nb, p_add, n_clusters, 0)

    def plain(seed: int) -> float:
        start = time.perf_counter()
        flips = plain_wolff(spins, nb, p_add, n_clusters, seed)
        return (time.perf_counter() - start) / flips

    t_plain = min(plain(k + 1) for k in range(REPEATS))
    return (f"wolff L={side}", t, t_plain)


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


def main(quick: bool = False, load: bool = False) -> None:
    burner = None
    if load:
        burner = multiprocessing.Process(target=_burn, daemon=True)
        burner.start()
    try:
        print(f"T = T_c = {T_C:.4f}; one core, best of {REPEATS}; load: {load}")
        print("first call per kernel, fresh process:", compile_times().strip())
        print(f"{'case':40s} {'ns/move':>9s} {'numpy_ns':>9s} {'ratio':>7s} {'one/multi':>10s}")
        for side, sweeps, base_sweeps in (
            (64, 200 if quick else 2000, 20 if quick else 100),
            (100, 100 if quick else 1000, 10 if quick else 50),
            (128, 50 if quick else 500, 5 if quick else 30),
            (256, 20 if quick else 200, 2 if quick else 10),
        ):
            for case, t, base, rel in metropolis_rows(side, sweeps, base_sweeps):
                print(f"{case:40s} {t * 1e9:9.2f} {base * 1e9:9.2f} {base / t:7.1f} {rel:10.2f}")
        print()
        print(f"{'case':40s} {'ns/flip':>9s} {'plain_ns':>9s} {'plain/ours':>10s}")
        for side, sweeps in ((64, 50 if quick else 500), (256, 5 if quick else 50)):
            case, t, plain = wolff_row(side, sweeps)
            print(f"{case:40s} {t * 1e9:9.2f} {plain * 1e9:9.2f} {plain / t:10.2f}")
    finally:
        if burner is not None:
            burner.terminate()


if __name__ == "__main__":
    main(quick="--quick" in sys.argv, load="--load" in sys.argv)
