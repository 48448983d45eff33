"""Time and peak memory of the exact Ising spectrum ``maxent.models.ising_2d(L)``, cold cache.

    python3 benchmarks/bench_ising.py [L ...] [--load]

Default L = 5, 8, 16, 32, 48, 64.  Every case runs in a fresh Python process with an
empty ``MAXENT_CACHE_DIR`` (no disk or memory cache), which reports the wall time of the
call and its peak resident memory above the process's footprint after imports.  The
baseline, run the same way in the same session, is the expansion of Kaufman's products
in z = e^{2K} without the even-lattice halving to w = z^2 (``half_degree=False``), and
for L = 5 the brute-force enumeration of all 2^25 configurations that ``ising_2d`` used
before.  ``--load`` keeps one extra CPU-bound process busy during the measurements.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
side, how = int(sys.argv[1]), sys.argv[2]
from maxent import ising_exact, models
import flint  # noqa: F401  (imported before the baseline memory reading)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
if how == "maxent":
    lv = models.ising_2d(side, progress=False)
    n = lv.n_levels
elif how == "z":
    n = sum(1 for g in ising_exact._exact_counts(side, side, False, half_degree=False) if g)
else:
    n = int((models._enumerate_ising_2d(side, progress=False) > 0).sum())
dt = time.perf_counter() - t0
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": dt, "peak_mib": (rss1 - rss0) / 1024, "levels": n}))
"""

HOG = "import time\nt = time.time()\nwhile time.time() - t < 3600:\n    sum(range(10**6))\n"


def run(side: int, how: str) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, MAXENT_CACHE_DIR=cache)
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(side), how],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    load = "--load" in argv
    sides = [int(a) for a in argv if a != "--load"] or [5, 8, 16, 32, 48, 64]
    hog = subprocess.Popen([sys.executable, "-c", HOG]) if load else None
    try:
        extra = ", one extra CPU job running" if load else ""
        print(f"exact spectrum ising_2d(L), cold cache{extra}")
        print(
            f"{'case':>10} {'maxent_s':>9} {'baseline':>12} {'baseline_s':>10} {'ratio':>7} "
            f"{'peak_MiB':>9} {'base_MiB':>9} {'levels':>7}"
        )
        for side in sides:
            mine = run(side, "maxent")
            how = "enumerate" if side <= 5 else ("z" if side % 2 == 0 else None)
            base = run(side, how) if how else None
            label = {"enumerate": "enumeration", "z": "in z"}.get(how, "-")
            base_s = f"{base['seconds']:10.3f}" if base else f"{'-':>10}"
            ratio = f"{base['seconds'] / mine['seconds']:7.1f}" if base else f"{'-':>7}"
            base_m = f"{base['peak_mib']:9.1f}" if base else f"{'-':>9}"
            print(
                f"{f'L={side}':>10} {mine['seconds']:9.3f} {label:>12} {base_s} {ratio} "
                f"{mine['peak_mib']:9.1f} {base_m} {mine['levels']:7d}",
                flush=True,
            )
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
