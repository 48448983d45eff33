"""Throughput and peak memory of streaming solves (chunk source, dask) against in-memory.

Problem: m features (``--m``, 4 by default), regenerated for every pass by a *generator*
(so a streamed solve never holds more than a few chunks), with targets inside their range:

- ``rng``: standard-normal features from a seeded RNG per chunk (an expensive generator:
  drawing the normals costs more than the pass's own work on them);
- ``weyl``: ``frac(i * alpha_k) - 1/2`` from the state index i (a few arithmetic
  operations per feature: cheap, like spins read off the bits of an index);
- ``copy``: chunks copied out of an array already in memory (a file in the page cache).

Streamed modes, each the same generator ``make(start, stop)``:

- ``source``: a chunk source, a callable returning a fresh generator of 8 MB chunks
  (``2**20 // m`` states); the calling thread generates the next chunks while the worker
  threads reduce the previous ones;
- ``indexed``: ``maxent.streaming.IndexedChunks(make, n, m)``: the worker threads
  generate their own blocks (about 512 KB) and reduce each at once; for ``rng``, whose
  cost is that of a whole chunk for any part of it, the blocks are its chunks
  (``chunk_size=2**20 // m``);
- ``dask`` (with ``--dask``): ``generated_features(make, n, m)``.

The in-memory baseline solves the same states as one (n, m) array and includes building
that array once with the same generator (8 n m bytes, so only up to ``--max-memory-mb``).
Every case runs in its own subprocess, which reports its peak resident memory
(``ru_maxrss``), so the figures do not contaminate each other; each case is the fastest
of ``--repeats`` runs, the modes interleaved.  ``--threads N`` sets
``MAXENT_NUM_THREADS`` for every case.

Columns: case, maxent_s (streaming wall time), baseline_s (in-memory wall time, building
the array included), speed = baseline_s / maxent_s (the streaming solve's speed as a
fraction of in-memory speed; goal for a cheap generator: >= 0.8), gen_s (one pass of the
generator alone in 8 MB chunks, no solve), newton_steps, passes_over_F, states/s/core
(= n * passes / wall / cores), peak_MB of the streaming run and of the baseline; comment
lines with the CPU seconds (all threads) of both runs, and the speed against the
in-memory solve alone (the array's build not counted: from the baseline's own run).

Run:  python benchmarks/bench_scale.py                       (n = 1e7, every generator)
      python benchmarks/bench_scale.py --generators weyl --sizes 2e6 --m 20 50
      python benchmarks/bench_scale.py --sizes 1e6 1e7 1e8   (1e8: streaming only)
      python benchmarks/bench_scale.py --generators weyl copy --load   (a busy machine)
      python benchmarks/bench_scale.py --dask                (also dask arrays)
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

M = 4  # features per state (``--m``; set per child process)
CHUNK = 1 << 18  # states per generated chunk: 2**20 // m, 8 MB of features (set with M)
# Weyl rates: the first four as before, then frac(sqrt(p)) for the primes p from 5 on
# (rationally independent, so the features fill the cube evenly).
_PRIMES = [p for p in range(5, 1000) if all(p % d for d in range(2, int(p**0.5) + 1))]
_ALPHA = np.array(
    [0.6180339887498949, 0.7548776662466927, 0.5698402909980532, 0.4142135623730950]
    + [float(np.sqrt(p) % 1.0) for p in _PRIMES]
)
_STORED: dict[str, np.ndarray] = {}  # the array the ``copy`` generator reads (per process)


def targets_for(generator, m):
    """Targets inside the features' range: the first four as before, then small ones."""
    k = np.arange(m)
    if generator == "weyl":  # features uniform on [-1/2, 1/2)
        extra, head = 0.04 * np.cos(1.3 * k), [0.05, -0.02, 0.1, 0.0]
    else:  # standard normals
        extra, head = 0.08 * np.sin(1.7 * k + 0.5), [0.1, -0.05, 0.2, 0.0]
    out = extra.copy()
    out[: min(m, 4)] = head[: min(m, 4)]
    return out.tolist()


def chunk_rng(a, b, seed=0):
    """Standard-normal features of states a..b-1: the same numbers on every pass."""
    out = np.empty((b - a, M))
    for c0 in range(a - a % CHUNK, b, CHUNK):
        block = np.random.default_rng([seed, c0 // CHUNK]).standard_normal((CHUNK, M))
        lo, hi = max(a, c0), min(b, c0 + CHUNK)
        out[lo - a : hi - a] = block[lo - c0 : hi - c0]
    return out


def chunk_weyl(a, b):
    """frac(i * alpha_k) - 1/2 for states i = a..b-1 (a Weyl sequence per feature)."""
    i = np.arange(a, b, dtype=np.float64)[:, None]
    out = i * _ALPHA[:M]
    out -= np.floor(out)
    out -= 0.5
    return out


def chunk_copy(a, b):
    """Rows a..b-1 of the stored array, copied (as reading them from a cached file)."""
    return np.array(_STORED["F"][a:b])


GENERATORS = {"rng": chunk_rng, "weyl": chunk_weyl, "copy": chunk_copy}


def source_for(generator, n):
    """A chunk source: a fresh generator of ``(features_chunk, None)`` on every call."""
    make = GENERATORS[generator]

    def chunks():
        for a in range(0, n, CHUNK):
            yield make(a, min(a + CHUNK, n)), None

    return chunks


def whole_array(generator, n):
    """All n states as one array, built chunk by chunk with the generator."""
    out = np.empty((n, M))
    make = GENERATORS[generator]
    for a in range(0, n, CHUNK):
        b = min(a + CHUNK, n)
        out[a:b] = make(a, b)
    return out


def run_case(mode, generator, n, m):
    """One solve in this process; prints a JSON line with the figures."""
    global M, CHUNK
    M, CHUNK = m, (1 << 20) // m
    import maxent

    # Warm up (imports, thread pools, threadpoolctl's scan of the BLAS libraries): the
    # figures are the solves', not the first call's.
    warm = chunk_weyl(0, 4096)
    maxent.solve(warm, targets_for("weyl", M))
    maxent.solve(lambda: iter([(warm, None)]), targets_for("weyl", M))
    if generator == "copy":
        _STORED["F"] = chunk_rng(0, n)  # the "file": not timed
    targets = targets_for(generator, M)
    t0, c0 = time.perf_counter(), time.process_time()
    if mode == "source":
        res = maxent.solve(source_for(generator, n), targets)
    elif mode == "indexed":
        from maxent.streaming import IndexedChunks

        # rng draws a whole chunk's stream for any part of it: blocks are its chunks
        rows = CHUNK if generator == "rng" else None
        res = maxent.solve(IndexedChunks(GENERATORS[generator], n, M, chunk_size=rows), targets)
    elif mode == "dask":
        from maxent.streaming import generated_features

        make = GENERATORS[generator]
        res = maxent.solve(generated_features(make, n, M, chunk_size=4 * CHUNK), targets)
    elif mode == "generate":  # one pass of the generator alone
        for _ in source_for(generator, n)():
            pass
        res = None
    else:
        F = whole_array(generator, n)
        built = time.perf_counter()
        res = maxent.solve(F, targets)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"wall": wall, "cpu": cpu, "peak_mb": peak_mb}
    if mode == "memory":
        out["solve_wall"] = wall - (built - t0)  # the solve alone, the array built
    if res is not None:
        out.update(
            n_iter=res.n_iter,
            passes=res.n_passes,
            converged=res.converged,
            residual=res.residual,
            lam=list(map(float, res.multipliers)),
        )
    print(json.dumps(out))


def measure(mode, generator, n, m, threads):
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(here)] + [p for p in [env.get("PYTHONPATH")] if p]
    )
    if threads is not None:
        env["MAXENT_NUM_THREADS"] = str(threads)
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, generator, str(n), str(m)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_of(modes, generator, n, m, args):
    """The fastest of ``args.repeats`` runs of each mode (each in a fresh subprocess),
    the modes interleaved so that a change of the machine's load hits them alike."""
    runs: dict[str, list] = {mode: [] for mode in modes}
    for _ in range(args.repeats):
        for mode in modes:
            runs[mode].append(measure(mode, generator, n, m, args.threads))
    return {mode: min(r, key=lambda x: x["wall"]) for mode, r in runs.items()}


def table(args):
    cores = os.cpu_count() or 1
    threads = "as installed" if args.threads is None else f"MAXENT_NUM_THREADS={args.threads}"
    print(
        f"# chunks of 2**20 // m states (8 MB), {cores} cores, threads {threads}; peak = max RSS"
    )
    print(f"# load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'case':<28}{'maxent_s':>10}{'baseline_s':>12}{'speed':>7}{'gen_s':>8}"
        f"{'newton_steps':>14}{'passes_over_F':>15}{'states/s/core':>15}{'peak_MB':>9}"
        f"{'base_MB':>9}"
    )
    streamed = ["source", "indexed"] + (["dask"] if args.dask else [])
    for m in args.m:
        for n in (int(s) for s in args.sizes):
            for generator in args.generators:
                in_memory = 8e-6 * n * m <= args.max_memory_mb
                modes = streamed + ["generate"] + (["memory"] if in_memory else [])
                fastest = best_of(modes, generator, n, m, args)
                base, gen = fastest.get("memory"), fastest["generate"]
                for mode in streamed:
                    row(f"{mode} {generator} n={n:.0e} m={m}", fastest[mode], base, gen, n, cores)
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def row(name, r, base, gen, n, cores):
    rate = n * r["passes"] / r["wall"] / cores
    bs = f"{base['wall']:.2f}" if base else "-"
    speed = f"{base['wall'] / r['wall']:.2f}" if base else "-"
    bm = f"{base['peak_mb']:.0f}" if base else "-"
    print(
        f"{name:<28}{r['wall']:>10.2f}{bs:>12}{speed:>7}{gen['wall']:>8.2f}{r['n_iter']:>14}"
        f"{r['passes']:>15}{rate:>15.3g}{r['peak_mb']:>9.0f}{bm:>9}",
        flush=True,
    )
    if base:
        dl = np.max(np.abs(np.subtract(r["lam"], base["lam"])))
        print(
            f"#   max |lambda_stream - lambda_memory| = {dl:.2e}; "
            f"converged={r['converged']}, residual={r['residual']:.2e}; in memory: "
            f"{base['n_iter']} steps, {base['passes']} passes; CPU s streamed "
            f"{r['cpu']:.2f}, in memory {base['cpu']:.2f}, generator pass {gen['cpu']:.2f}"
        )
        print(
            f"#   in-memory solve alone (array built, not timed) {base['solve_wall']:.2f} s: "
            f"speed against it {base['solve_wall'] / r['wall']:.2f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e7])
    parser.add_argument(
        "--m", nargs="+", type=int, default=[4], help="features per state (one table row each)"
    )
    parser.add_argument(
        "--generators", nargs="+", choices=sorted(GENERATORS), default=["weyl", "copy", "rng"]
    )
    parser.add_argument(
        "--max-memory-mb",
        type=float,
        default=800,
        help="largest feature array (8 n m bytes) solved in memory as the baseline",
    )
    parser.add_argument("--repeats", type=int, default=2, help="runs per case (fastest kept)")
    parser.add_argument(
        "--threads", type=int, default=None, help="MAXENT_NUM_THREADS for every case"
    )
    parser.add_argument("--dask", action="store_true", help="also time dask arrays")
    parser.add_argument(
        "--load", action="store_true", help="keep a CPU-heavy process running meanwhile"
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, generator, n, m = args.child
        run_case(mode, generator, int(float(n)), int(m))
        return
    if max(args.m) > len(_ALPHA):
        parser.error(f"--m at most {len(_ALPHA)}")
    load = None
    if args.load:  # the load of bench_solve.py: a 1500 x 1500 matmul loop, one BLAS thread
        from bench_solve import start_load

        load = start_load(1)
        load.stdout.readline()  # "ready"
    print(f"# load: {'ON (numpy 1500x1500 matmul loop)' if load else 'off'}")
    try:
        table(args)
    finally:
        if load is not None:
            load.kill()
            load.wait()


if __name__ == "__main__":
    main()
