"""Spin-flip attempts per second of maxent's Metropolis kernels, and Wolff cluster cost.

    python3 benchmarks/bench_mc.py [--quick]

Metropolis on the square-lattice Ising model (J = 1, h = 0) at T_c = 2.269, started from
an equilibrated-ish configuration, for L = 64 and 256: maxent's multi-spin-coded kernel
(64 spins of one sublattice per machine word; sides that are multiples of 128), its
one-spin-at-a-time compiled kernel (any lattice) and the baseline, a plain vectorised
numpy checkerboard (``maxent.montecarlo.numpy_checkerboard``), all in this process on one
core, best of ``REPEATS``.  Then Wolff at T_c: clusters per second, mean cluster size and
the cost per flipped spin.  The ratio column is baseline time / maxent time per attempt.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import maxent
from maxent import _spin_kernels as kern
from maxent.montecarlo import SAMPLERS, _ising_tables, numpy_checkerboard

T_C = 2.0 / np.log(1.0 + np.sqrt(2.0))
REPEATS = 3


def best_of(fn):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def metropolis_rows(side: int, sweeps: int, baseline_sweeps: int):
    model = maxent.IsingModel((side, side))
    rng = np.random.default_rng(0)
    spins = model.random_configuration(rng)
    state = kern.rng_state(rng)
    beta = 1.0 / T_C
    metro = SAMPLERS["metropolis"]
    metro.run(model, beta, spins, 10, 10, state, 0.0, 0.0)  # compile and warm up
    n = side * side
    base = best_of(lambda: numpy_checkerboard(spins, beta, 1.0, 0.0, rng, baseline_sweeps))
    base_per = base / (baseline_sweeps * n)
    rows = []
    prob, de = _ising_tables(model, beta)
    out = np.empty(sweeps)

    def scalar():
        kern.metropolis_ising_2d(
            spins, prob, de, state, sweeps, 1, float(model.energy(spins)), 0.0, out, out.copy()
        )

    scalar()
    t = best_of(scalar) / (sweeps * n)
    rows.append((f"metropolis L={side} one-spin kernel", t, base_per))
    if side % 128 == 0:

        def packed():
            metro._packed(model, beta, spins, sweeps, 1, state, out, out.copy())

        packed()
        t = best_of(packed) / (sweeps * n)
        rows.append((f"metropolis L={side} multi-spin kernel", t, base_per))
    return rows


def wolff_row(side: int, sweeps: int):
    """Seconds per sweep, mean cluster size and seconds per flipped spin at T_c."""
    model = maxent.IsingModel((side, side))
    rng = np.random.default_rng(1)
    spins = model.random_configuration(rng)
    state = kern.rng_state(rng)
    wolff = SAMPLERS["wolff"]
    e, m = float(model.energy(spins)), float(model.magnetization(spins))
    e, m, _ = wolff.run(model, 1.0 / T_C, spins, 100, 100, state, e, m, equilibrate=True)
    e, m = float(e[-1]), float(m[-1])
    args = wolff._args(model, 1.0 / T_C, spins, state)
    clusters, flipped, e, m = wolff.pilot(args, model.n_sites, e, m)
    per_sweep = max(1, round(model.n_sites * clusters / flipped))
    best, best_flips = np.inf, 1
    for _ in range(REPEATS):
        oe, om, flips = np.empty(1), np.empty(1), np.zeros(1, np.int64)
        start = time.perf_counter()
        kern.wolff(*args, sweeps, per_sweep, sweeps, e, m, oe, om, flips)
        elapsed = time.perf_counter() - start
        e, m = float(oe[0]), float(om[0])
        if elapsed / flips[0] < best / best_flips:
            best, best_flips = elapsed, int(flips[0])
    return best / sweeps, best_flips / (sweeps * per_sweep), best / best_flips


def main(quick: bool = False) -> None:
    print(f"numba: {kern.HAVE_NUMBA}; T = T_c = {T_C:.4f}; one core, best of {REPEATS}")
    print(
        f"{'case':40s} {'ns/attempt':>10s} {'baseline_ns':>11s} {'ratio':>7s} {'attempts/s':>11s}"
    )
    for side, sweeps, base_sweeps in (
        (64, 200 if quick else 2000, 20 if quick else 100),
        (256, 20 if quick else 200, 2 if quick else 10),
    ):
        for case, t, base in metropolis_rows(side, sweeps, base_sweeps):
            print(f"{case:40s} {t * 1e9:10.2f} {base * 1e9:11.2f} {base / t:7.1f} {1 / t:11.3g}")
    print()
    print(f"{'case':40s} {'s/sweep':>10s} {'<cluster>':>11s} {'ns/flipped spin':>16s}")
    for side, sweeps in ((64, 50 if quick else 500), (256, 5 if quick else 50)):
        per_sweep, size, per = wolff_row(side, sweeps)
        print(f"{'wolff L=' + str(side):40s} {per_sweep:10.4f} {size:11.1f} {per * 1e9:16.2f}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
