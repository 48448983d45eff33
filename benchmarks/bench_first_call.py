"""CPU time of the first call of maxent's main functions in a fresh process.

    python3 benchmarks/bench_first_call.py [--repeats R] [--load]

Each case runs ``import maxent`` and one call in a new interpreter and reports the CPU
seconds of the call (imports included: what a user waits for the first time).  The
baseline is what the call cannot avoid, run the same way: the third-party work its result
needs (numpy for ``canonical``; xarray's first Dataset for ``temperature_sweep``, which
imports dask.array and pint when they are installed; scipy.special and scipy.optimize for
a fit whose alpha rule finds a root, scipy.special alone for a fixed alpha).  Times are
medians of ``--repeats`` processes; ``ratio`` = maxent / baseline.  The maxent imported
is the one on ``PYTHONPATH`` (or installed), never the current directory's: compare two
versions by running the script with each.  ``--load`` keeps one
busy CPU process running meanwhile.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

_FIT = """
import numpy as np
w = np.linspace(0.0, 5.0, 80)
kernel = np.exp(-np.outer(np.linspace(0.0, 3.0, 30), w)) * (w[1] - w[0])
data = kernel @ np.exp(-((w - 1.5) ** 2)) + 1e-3 * np.cos(np.arange(30))
"""

#: case -> (setup, the timed maxent call, the timed baseline)
CASES = {
    "canonical": (
        "",
        "import maxent; maxent.canonical([0.0, 1.0, 2.0], temperature=1.0)",
        "import numpy as np; np.exp(-np.array([0.0, 1.0, 2.0]))",
    ),
    "temperature_sweep": (
        "",
        "import maxent; maxent.temperature_sweep([0.0, 1.0, 2.0], [0.5, 1.0])",
        "import numpy as np, xarray as xr; xr.Dataset({'a': ('t', np.zeros(2))}, "
        "coords={'t': ('t', np.arange(2.0))})",
    ),
    "fit, alpha='classic'": (
        _FIT,
        "import maxent; maxent.fit(kernel, data, np.full(30, 1e-3), grid=w)",
        "import scipy.special, scipy.optimize",
    ),
    "fit, alpha=1.0": (
        _FIT,
        "import maxent; maxent.fit(kernel, data, np.full(30, 1e-3), grid=w, alpha=1.0)",
        "import scipy.special",
    ),
}

_TIMER = """
import time
{setup}
start = time.process_time()
{call}
print(time.process_time() - start)
"""


def cpu_seconds(setup: str, call: str) -> float:
    code = _TIMER.format(setup=setup, call=call)
    out = subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--load", action="store_true", help="run one busy CPU process too")
    args = parser.parse_args(argv)
    load = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.load else None
    try:
        print(f"{'case':<24}{'maxent_s':>10}{'baseline_s':>12}{'ratio':>8}")
        for name, (setup, call, floor) in CASES.items():
            pairs = [
                (cpu_seconds(setup, call), cpu_seconds(setup, floor)) for _ in range(args.repeats)
            ]
            me = statistics.median(a for a, _ in pairs)
            base = statistics.median(b for _, b in pairs)
            print(f"{name:<24}{me:>10.3f}{base:>12.3f}{me / base:>8.2f}", flush=True)
    finally:
        if load is not None:
            load.kill()
            load.wait()
    print(
        f"(CPU seconds of the first call in a fresh process, imports included; median of "
        f"{args.repeats}{'; one busy CPU process running' if load else ''})"
    )


if __name__ == "__main__":
    main()
