"""Full-size adversarial campaign: thousands of random moment problems against an oracle,
and random cases on every other surface of the package.

Each problem comes from ``tests/adversarial/oracle.py`` (features from subnormal to 1e307,
offsets, near-collinear columns, priors spanning 1e-300..1, states outside the support,
targets 1e-15..1e-1 inside or outside the hull next to a vertex or a face), is solved by
``maxent.solve`` with warnings as errors, and is judged against an independent dual
solver (scipy trust-exact on the same dual, extended-precision sums) and the hull
geometry.  The summary counts each outcome class: silent wrong answer, unrelated
exception, hang (over ``--timeout`` seconds), rejected feasible, gave up, OK.

``--surfaces`` adds the cases of ``tests/adversarial/surfaces.py``: quantities at every
entry point (judged against pint's own conversions), exact Ising at extreme sides and
signed zeros (against enumeration and Onsager), level files and outputs of maxent-sweep
(against the files left behind), and the hooks for the samplers (both signs of J, 1-3
dimensions, against enumeration within 5 error bars), features with non-integer indices
and pairwise fits on separable data.  Their table adds unsafe results and unclear
messages.

Usage::

    PYTHONPATH=$PWD python3 benchmarks/adversarial_campaign.py [--n 5000] [--seed 0]
        [--timeout 10] [--kinds plain,tiny,...] [--show 3]
        [--surfaces units,ising,cli,samplers,features,pairwise] [--n-surface 300]

Exit status 1 when anything but OK and gave-up was seen (gave-up cases are listed too).
"""

from __future__ import annotations

import argparse
import collections
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "adversarial"))
import oracle  # noqa: E402
import surfaces  # noqa: E402

KINDS = ("plain", "tiny", "huge", "offset", "collinear", "prior", "zeros", "face")


class _Timeout(TimeoutError):
    pass


def _alarm(signum, frame):
    raise _Timeout("solve() still running")


def run(n: int, seed: int, timeout: float, kinds: tuple[str, ...], show: int) -> int:
    signal.signal(signal.SIGALRM, _alarm)
    rng = np.random.default_rng(seed)
    by_class: collections.Counter = collections.Counter()
    by_kind: dict = collections.defaultdict(collections.Counter)
    examples: dict = collections.defaultdict(list)
    position = collections.Counter()
    slowest = (0.0, None)
    start = time.perf_counter()
    for i in range(n):
        kind = kinds[int(rng.integers(len(kinds)))]
        pb = oracle.random_problem(rng, kind)
        position["inside" if pb.t > 0 else "on the hull" if pb.t == 0 else "outside"] += 1
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            outcome = oracle.run_solve(pb)
        except _Timeout as exc:
            outcome = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        dt = time.perf_counter() - t0
        if dt > slowest[0]:
            slowest = (dt, (i, kind))
        verdict = oracle.judge(pb, outcome)
        by_class[verdict.outcome] += 1
        by_kind[kind][verdict.outcome] += 1
        if verdict.outcome != oracle.OK and len(examples[verdict.outcome]) < show:
            examples[verdict.outcome].append((i, kind, pb.t, verdict.detail))
    elapsed = time.perf_counter() - start

    print(
        f"adversarial campaign: {n} random problems, seed {seed}, timeout {timeout:g} s, "
        f"{elapsed:.1f} s in all (slowest solve {slowest[0]:.2f} s, problem {slowest[1]})"
    )
    print("targets: " + ", ".join(f"{k} {v}" for k, v in sorted(position.items())))
    print()
    print(f"{'class':<28}{'count':>8}")
    for cls in oracle.CLASSES:
        print(f"{cls:<28}{by_class[cls]:>8}")
    print()
    header = "".join(f"{k:>10}" for k in kinds)
    print(f"{'by kind':<28}{header}")
    for cls in oracle.CLASSES:
        print(f"{cls:<28}" + "".join(f"{by_kind[k][cls]:>10}" for k in kinds))
    for cls, rows in examples.items():
        print(f"\n{cls}: first {len(rows)}")
        for i, kind, t, detail in rows:
            print(f"  #{i} {kind} t={t:.3g}: {detail}")
    bad = sum(by_class[c] for c in oracle.CLASSES if c not in (oracle.OK, oracle.GAVE_UP))
    return 1 if bad else 0


def run_surfaces(names: tuple[str, ...], n: int, seed: int, timeout: float, show: int) -> int:
    """``n`` random cases of each surface; a table of outcome classes by surface."""
    signal.signal(signal.SIGALRM, _alarm)
    rng = np.random.default_rng(seed)
    counts: dict = {name: collections.Counter() for name in names}
    examples: dict = collections.defaultdict(list)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            for i in range(n):
                make = surfaces.SURFACES[name]
                case = make(rng, Path(work)) if name == "cli" else make(rng)
                signal.setitimer(signal.ITIMER_REAL, timeout)
                try:
                    verdict = case.run()
                except _Timeout:
                    verdict = surfaces.Verdict(oracle.HANG, f"over {timeout:g} s")
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                counts[name][verdict.outcome] += 1
                if verdict.outcome not in (oracle.OK, oracle.GAVE_UP):
                    if len(examples[(name, verdict.outcome)]) < show:
                        examples[(name, verdict.outcome)].append((i, case.label, verdict.detail))
    elapsed = time.perf_counter() - start
    print(f"\nsurfaces: {n} cases each, seed {seed}, timeout {timeout:g} s, {elapsed:.1f} s")
    print(f"{'class':<28}" + "".join(f"{k:>10}" for k in names))
    for cls in surfaces.CLASSES:
        print(f"{cls:<28}" + "".join(f"{counts[k][cls]:>10}" for k in names))
    hooks = [k for k in names if k in surfaces.HOOKS]
    if hooks:
        print(f"(hooks for code owned elsewhere: {', '.join(hooks)})")
    for (name, cls), rows in examples.items():
        print(f"\n{name}, {cls}: first {len(rows)}")
        for i, label, detail in rows:
            print(f"  #{i} {label}: {detail}")
    bad = {oracle.OK, oracle.GAVE_UP}
    return int(any(c not in bad and v for k in names for c, v in counts[k].items()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="number of random problems")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds before a hang")
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated problem kinds")
    ap.add_argument("--show", type=int, default=3, help="examples listed per failing class")
    ap.add_argument(
        "--surfaces",
        default="",
        help=f"comma-separated surfaces beyond solve(), from {tuple(surfaces.SURFACES)}",
    )
    ap.add_argument("--n-surface", type=int, default=300, help="cases per surface")
    args = ap.parse_args(argv)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        ap.error(f"unknown kinds {sorted(unknown)}; choose from {KINDS}")
    names = tuple(k for k in args.surfaces.split(",") if k)
    unknown_surfaces = set(names) - set(surfaces.SURFACES)
    if unknown_surfaces:
        ap.error(
            f"unknown surfaces {sorted(unknown_surfaces)}; choose from {tuple(surfaces.SURFACES)}"
        )
    status = run(args.n, args.seed, args.timeout, kinds, args.show) if args.n else 0
    if names:
        status |= run_surfaces(names, args.n_surface, args.seed, args.timeout, args.show)
    return status


if __name__ == "__main__":
    sys.exit(main())
