"""Throughput and peak memory of streaming solves (chunk source, dask) against in-memory.

Problem: m = 4 standard-normal features, regenerated for every pass from a seeded RNG per
chunk index (so the chunk source never holds more than a few chunks), targets
b = (0.1, -0.05, 0.2, 0.0), for which the multipliers are close to -b.  The in-memory
baseline solves the same states as one (n, 4) array, where it fits (n <= 1e7 by default:
the array alone is 32 n bytes).  Every case runs in its own subprocess, which reports its
peak resident memory (``ru_maxrss``), so the figures do not contaminate each other.

Columns: case, maxent_s (streaming wall time), baseline_s (in-memory wall time, including
generating the array), ratio, newton_steps, passes_over_F, states/s/core
(= n * passes / wall / cores), peak_MB of the streaming run and of the baseline.

Run:  python benchmarks/bench_scale.py                  (1e7 and 1e8 states)
      python benchmarks/bench_scale.py --sizes 1e6 1e7  (quicker)
      python benchmarks/bench_scale.py --dask           (also dask arrays, threaded scheduler)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

M = 4
TARGETS = [0.1, -0.05, 0.2, 0.0]
CHUNK = 1 << 18  # states per generated chunk (8 MB of features)


def make_chunk(a, b, seed=0):
    """Features of states a..b-1: the same numbers on every pass (seeded per chunk)."""
    out = np.empty((b - a, M))
    for c0 in range(a - a % CHUNK, b, CHUNK):
        block = np.random.default_rng([seed, c0 // CHUNK]).standard_normal((CHUNK, M))
        lo, hi = max(a, c0), min(b, c0 + CHUNK)
        out[lo - a : hi - a] = block[lo - c0 : hi - c0]
    return out


def source_for(n):
    def chunks():
        for a in range(0, n, CHUNK):
            yield make_chunk(a, min(a + CHUNK, n)), None

    return chunks


def run_case(mode, n):
    """One solve in this process; prints a JSON line with the figures."""
    import maxent

    t0 = time.perf_counter()
    if mode == "source":
        res = maxent.solve(source_for(n), TARGETS)
    elif mode == "dask":
        from maxent.streaming import generated_features

        res = maxent.solve(generated_features(make_chunk, n, M, chunk_size=4 * CHUNK), TARGETS)
    else:
        features = make_chunk(0, n)
        res = maxent.solve(features, TARGETS)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall": wall,
                "n_iter": res.n_iter,
                "passes": res.n_passes,
                "peak_mb": peak_mb,
                "converged": res.converged,
                "residual": res.residual,
                "lam": list(map(float, res.multipliers)),
            }
        )
    )


def measure(mode, n):
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(here)] + [p for p in [env.get("PYTHONPATH")] if p]
    )
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(n)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e7, 1e8])
    parser.add_argument(
        "--max-memory-n",
        type=float,
        default=1e7,
        help="largest n solved in memory as the baseline",
    )
    parser.add_argument("--dask", action="store_true", help="also time dask arrays")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_case(args.child[0], int(float(args.child[1])))
        return
    cores = os.cpu_count() or 1
    print(f"# m = {M}, chunk = {CHUNK} states, {cores} cores; peak = max resident set size")
    print(
        f"{'case':<18}{'maxent_s':>10}{'baseline_s':>12}{'ratio':>8}{'newton_steps':>14}"
        f"{'passes_over_F':>15}{'states/s/core':>15}{'peak_MB':>9}{'base_MB':>9}"
    )
    for n in (int(s) for s in args.sizes):
        base = measure("memory", n) if n <= args.max_memory_n else None
        for mode in ["source"] + (["dask"] if args.dask else []):
            r = measure(mode, n)
            rate = n * r["passes"] / r["wall"] / cores
            bs = f"{base['wall']:.2f}" if base else "-"
            ratio = f"{r['wall'] / base['wall']:.2f}" if base else "-"
            bm = f"{base['peak_mb']:.0f}" if base else "-"
            print(
                f"{mode + ' n=' + format(n, '.0e'):<18}{r['wall']:>10.2f}{bs:>12}{ratio:>8}"
                f"{r['n_iter']:>14}{r['passes']:>15}{rate:>15.3g}{r['peak_mb']:>9.0f}"
                f"{bm:>9}"
            )
            if base:
                dl = np.max(np.abs(np.subtract(r["lam"], base["lam"])))
                print(
                    f"#   max |lambda_stream - lambda_memory| = {dl:.2e}; "
                    f"converged={r['converged']}, residual={r['residual']:.2e}"
                )
            else:
                print(
                    f"#   lambda = {np.round(r['lam'], 5).tolist()}; "
                    f"converged={r['converged']}, residual={r['residual']:.2e}"
                )


if __name__ == "__main__":
    main()
