"""Cost of one moment pass against its floor, single-threaded, and which passes a solve asks for.

Issue 25 wants the fused passes near their floor: the light pass (log Z and E_p[F]) within
1.2x of one ``F @ x``, the covariance pass within 2x of a BLAS ``syrk`` of the same size
(``F^T F``).  This script times, on ``hard_problem(n, m)`` (``_problems.py``) at
multipliers ``0.7 theta`` (a concentrated p, as late in a solve), one pass of
``MomentEngine.evaluate`` for each kind of request the solver makes:

- ``light``: log Z and the moments only;
- ``line``: what the solver's line searches ask for (ranges of ``F @ lam`` and of
  ``F @ d``, the line ``d`` kept, the entropy terms, p kept in memory);
- ``cov``: with the covariance (all states);
- ``cov_screened``: with the covariance over the states within 36 nats (Newton's Hessian);

each as the fastest of ``--repeats`` rounds, the kinds and the floors interleaved round by
round (so a change of load hits them alike), with BLAS and the engine pinned to one
thread.  Columns: ``F@x`` and ``syrk`` in ms, then each pass over ``F@x`` (and the
covariance passes also over ``syrk``).

``--census`` also solves ``hard_problem(n, m, seed)`` for each ``--seeds`` and counts the
passes by kind (the fields of the requests), to show which kinds matter end to end (each
plan of the kernel counts: passes over working sets of states too).

Run:  python benchmarks/bench_pass.py                    (n=1e6 m=10 and n=1e5 m=200)
      python benchmarks/bench_pass.py --cases 1e6x10 --census --seeds 2000 2001
"""

from __future__ import annotations

import argparse
import collections
import os
import time

os.environ.setdefault("MAXENT_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from _problems import hard_problem  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import maxent  # noqa: E402
from maxent import _numpy_kernel  # noqa: E402
from maxent._kernel import SCREEN_NEWTON, PassRequest  # noqa: E402
from maxent._moments import MomentEngine  # noqa: E402


def requests(lam, d):
    """The kinds of pass timed, at multipliers ``lam`` with a line along ``d``."""
    return {
        "light": PassRequest(lam=lam),
        "line": PassRequest(
            lam=lam, ranges=np.stack([lam, d], 1), entropy=True, keep_p=True, line=d
        ),
        "cov": PassRequest(lam=lam, covariance=True),
        "cov_screened": PassRequest(lam=lam, covariance=True, screen=SCREEN_NEWTON),
    }


def timed(f):
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def pass_costs(n, m, repeats):
    features, _, theta = hard_problem(n, m, 0)
    engine = MomentEngine(features)
    lam = 0.7 * theta
    d = np.random.default_rng(1).standard_normal(m)
    kinds = requests(lam, d)
    x = np.ones(m)
    floors = {"F@x": lambda: features @ x, "syrk": lambda: features.T @ features}
    best = collections.defaultdict(lambda: np.inf)
    for r in kinds.values():
        engine.evaluate(r)  # warm: scratch buffers, the kept p
    for _ in range(repeats):
        for name, f in floors.items():
            best[name] = min(best[name], timed(f))
        for name, r in kinds.items():
            best[name] = min(best[name], timed(lambda r=r: engine.evaluate(r)))
    fx, syrk = best["F@x"], best["syrk"]
    cells = [f"{name} {best[name] / fx:.2f}" for name in kinds]
    cells += [f"{name}/syrk {best[name] / syrk:.2f}" for name in ("cov", "cov_screened")]
    print(
        f"n={n:.0e} m={m}: F@x {fx * 1e3:.1f} ms, syrk {syrk * 1e3:.1f} ms;  " + "  ".join(cells)
    )


def census(n, m, seeds):
    """Solve the hard instances, counting the kernel's plans (one per pass) by kind."""
    seen = collections.Counter()
    plan = _numpy_kernel.NumpyKernel.plan

    def counted(self, request, screen):
        parts = [
            "cov" if request.covariance else "moments",
            *(["screened"] if request.covariance and request.screen is not None else []),
            *(["ranges"] if request.ranges is not None or request.axis_ranges else []),
            *(["line"] if request.line is not None else []),
            *(["entropy"] if request.entropy else []),
            *(["keep_p"] if request.keep_p else []),
            *(["accurate"] if request.accurate else []),
        ]
        seen["+".join(parts)] += 1
        return plan(self, request, screen)

    _numpy_kernel.NumpyKernel.plan = counted
    try:
        for seed in seeds:
            features, target, _ = hard_problem(n, m, seed)
            result = maxent.solve(features, target)
            print(f"  seed {seed}: {result.n_passes} passes over F")
    finally:
        _numpy_kernel.NumpyKernel.plan = plan
    for kind, count in seen.most_common():
        print(f"  {count:4d}  {kind}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=["1e6x10", "1e5x200"], help="n x m")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--census", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="*", default=[2000, 2001, 2002])
    args = parser.parse_args()
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with threadpool_limits(1):
        for case in args.cases:
            n, m = case.split("x")
            pass_costs(int(float(n)), int(m), args.repeats)
            if args.census:
                census(int(float(n)), int(m), args.seeds)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
