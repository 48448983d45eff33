"""Time maxent.temperature_sweep against a plain per-temperature numpy loop.

    python3 benchmarks/bench_sweep.py [n_temperatures] [n_levels]

Default: 10,000 temperatures x 10,000 levels.  Both compute the same quantities (level
populations, ln Z, F, U, S and C) in log space; the loop does one temperature at a time,
the sweep evaluates chunks of the temperature x level matrix.  Both are run in this
process, best of ``REPEATS``, and their results are compared.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import maxent

REPEATS = 3


def loop_sweep(energies: np.ndarray, degeneracy: np.ndarray, temperatures: np.ndarray):
    """Baseline: one log-sum-exp per temperature, results into preallocated arrays."""
    n_t, n = temperatures.size, energies.size
    p = np.empty((n_t, n))
    log_z, f, u, s, c = (np.empty(n_t) for _ in range(5))
    log_g = np.log(degeneracy)
    e0 = energies.min()
    es = energies - e0
    for i, t in enumerate(temperatures):
        beta = 1.0 / t
        a = log_g - beta * es
        m = a.max()
        w = np.exp(a - m)
        z = w.sum()
        pi = w / z
        lz = m + np.log(z)
        ui = pi @ es
        var = pi @ (es - ui) ** 2
        p[i] = pi
        log_z[i] = lz - beta * e0
        u[i] = ui + e0
        s[i] = beta * ui + lz
        c[i] = beta**2 * var
        f[i] = e0 - lz / beta
    return p, log_z, f, u, s, c


def best_of(fn, *args):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - start)
    return min(times), out


def main(n_t: int = 10_000, n_levels: int = 10_000) -> None:
    rng = np.random.default_rng(1)
    energies = np.sort(rng.uniform(0.0, 50.0, n_levels))
    degeneracy = rng.integers(1, 10, n_levels).astype(float)
    temperatures = np.geomspace(0.05, 500.0, n_t)
    levels = maxent.EnergyLevels(energies, degeneracy)

    t_sweep, ds = best_of(maxent.temperature_sweep, levels, temperatures)
    t_loop, (p, log_z, f, u, s, c) = best_of(loop_sweep, energies, degeneracy, temperatures)
    for name, ref in (("probability", p), ("log_Z", log_z), ("free_energy", f),
                      ("internal_energy", u), ("entropy", s), ("heat_capacity", c)):
        np.testing.assert_allclose(ds[name].values, ref, rtol=1e-9, atol=1e-12,
                                   err_msg=name)
    case = f"sweep {n_t}T x {n_levels}levels"
    print(f"{'case':<32}{'maxent_s':>10}{'baseline_s':>12}{'ratio':>8}")
    print(f"{case:<32}{t_sweep:>10.3f}{t_loop:>12.3f}{t_loop / t_sweep:>8.2f}")
    print(f"(ratio = baseline / maxent; > 1 means the vectorised sweep is faster; "
          f"best of {REPEATS}; results agree to rtol 1e-9)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
