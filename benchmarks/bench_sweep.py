"""Time maxent.temperature_sweep against the exp limit: numpy's exp over the same elements.

    python3 benchmarks/bench_sweep.py [--load] [--repeats R] [N_T x N_LEVELS ...]

Default cases: 10,000 temperatures x 10,000 levels and 1,000 temperatures x 10^6 levels,
thermodynamics without the probability table (``probability=False``), then the first case
as called by default (``probability`` left out: the table is kept only when it has at most
``max(2**20, n_levels)`` entries) and with the table (``probability=True``).  The last
line compares the default with the no-table sweep (goal: within 1.2x for large level
counts, issue 24).  The baseline is the least any Boltzmann sweep must do: one ``np.exp`` per
(temperature, level), here over the same number of elements in cache-sized chunks (the
sweep's own chunk size) written into a reused buffer.  Both run in this process, as
installed (BLAS threads as configured); each repeat times maxent and the baseline back to
back, so both see the same load; the times are the best of ``--repeats`` and ``ratio`` is the
median over the repeats of maxent / baseline (the goal: <= 3).  ``--load`` keeps one busy
CPU process running meanwhile.  Levels sorted by energy let the sweep skip levels whose
weight is exactly 0 at low temperature, so it may evaluate fewer exps than the baseline.

The sweep's ln Z and heat capacity are checked against a direct log-sum-exp on a few
temperatures, so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

import maxent
from maxent._boltzmann import MAX_CHUNK_ELEMENTS


def exp_limit(n_elements: int, chunk: int = MAX_CHUNK_ELEMENTS) -> None:
    """np.exp over n_elements values (in [-20, 0], like Boltzmann exponents), chunk-wise."""
    x = np.random.default_rng(0).uniform(-20.0, 0.0, chunk)
    y = np.empty_like(x)
    done = 0
    while done < n_elements:
        k = min(chunk, n_elements - done)
        np.exp(x[:k], out=y[:k])
        done += k


def best_of(repeats: int, fn, *args, **kwargs):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times), out


def check(levels: maxent.EnergyLevels, temperatures: np.ndarray, ds) -> None:
    """ln Z and C at three temperatures against a plain log-sum-exp."""
    e, log_g = levels.energies, levels.log_degeneracy
    for i in (0, temperatures.size // 2, temperatures.size - 1):
        b = 1.0 / temperatures[i]
        a = log_g - b * e
        m = a.max()
        w = np.exp(a - m)
        z = w.sum()
        p = w / z
        mean = p @ e
        c = b * b * (p @ (e - mean) ** 2)
        np.testing.assert_allclose(ds.log_Z.values[i], m + np.log(z), rtol=1e-10)
        np.testing.assert_allclose(ds.heat_capacity.values[i], c, rtol=1e-7)


def run_case(n_t: int, n_levels: int, probability: bool | None, repeats: int) -> float:
    rng = np.random.default_rng(1)
    energies = np.sort(rng.uniform(0.0, 50.0, n_levels))
    degeneracy = rng.integers(1, 10, n_levels).astype(float)
    temperatures = np.geomspace(0.05, 500.0, n_t)
    levels = maxent.EnergyLevels(energies, degeneracy)
    pairs = []  # (maxent, exp) timed back to back: the same load
    options = {} if probability is None else {"probability": probability}
    for _ in range(repeats):
        t_sweep, ds = best_of(1, maxent.temperature_sweep, levels, temperatures, **options)
        t_exp, _ = best_of(1, exp_limit, n_t * n_levels)
        pairs.append((t_sweep, t_exp))
        del ds
    _, ds = best_of(
        1, maxent.temperature_sweep, levels, temperatures[:: max(1, n_t // 50)], probability=False
    )
    check(levels, temperatures[:: max(1, n_t // 50)], ds)
    ratio = float(np.median([a / b for a, b in pairs]))
    t_sweep, t_exp = min(a for a, _ in pairs), min(b for _, b in pairs)
    mode = {None: "default", True: "table", False: "no table"}[probability]
    case = f"{n_t}T x {n_levels}lv {mode}"
    print(f"{case:<34}{t_sweep:>10.3f}{t_exp:>12.3f}{ratio:>8.2f}", flush=True)
    return ratio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="N_TxN_LEVELS, e.g. 10000x10000")
    parser.add_argument("--load", action="store_true", help="run one busy CPU process too")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    cases: list[tuple[int, int, bool | None]] = [
        (int(a), int(b), False) for a, b in (c.split("x") for c in args.cases)
    ] or [
        (10_000, 10_000, False),
        (1_000, 1_000_000, False),
        (10_000, 10_000, None),
        (10_000, 10_000, True),
    ]
    load = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.load else None
    try:
        print(f"{'case':<34}{'maxent_s':>10}{'baseline_s':>12}{'ratio':>8}")
        ratios = {case: run_case(*case, args.repeats) for case in cases}
        no_table, default = ratios.get((10_000, 10_000, False)), ratios.get((10_000, 10_000, None))
        if no_table and default:
            print(
                f"default / no-table sweep at 10000T x 10000lv: {default / no_table:.2f} "
                "(each as a median ratio to numpy's exp in the same run; goal <= 1.2)"
            )
    finally:
        if load is not None:
            load.kill()
            load.wait()
    print(
        f"(baseline = numpy exp over the same number of elements; times best of "
        f"{args.repeats}; ratio = median of maxent / baseline timed back to back"
        f"{'; one busy CPU process running' if load else ''})"
    )


if __name__ == "__main__":
    main()
