"""Seed distributions for bench_solve.py (``--seeds K``): every family over K seeds per size.

A benchmark tuned on one instance says little about the next user's problem, so each
family (easy, hard, marginal, ising, pairwise) is drawn again with seeds 0 .. K-1
(``--seed-start S``: S .. S + K - 1, to report seeds other than those tuned on; the
hard family's seed draws the features and the multipliers; pairwise's the sampled states
and the couplings), and every instance is timed once with ``covariance=True`` (the
default) and once with ``covariance=False``, against a plain pass ``F @ x`` over the same
matrix measured just before and just after them (the faster: a moment of heavier load
during one measurement does not flatter the solver).  Each group (family and size)
starts with an untimed small solve of the same width, so that no seed is charged for
loading or compiling the kernels it needs.  Reported per size: the median and the worst of the
time-equivalent passes (solve time / one ``F @ x``) and of the solver's own passes
(``n_passes``), the statuses, and the worst relative residual.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
from _problems import easy_problem, hard_problem, ising_problem, marginal_problem, pairwise_problem
from threadpoolctl import threadpool_limits

import maxent

__all__ = ["run_seeds"]


def _pass_seconds(features, min_loop_s=0.05):
    """Seconds of one ``F @ x`` (the faster of BLAS as installed and pinned to one thread;
    each a loop of at least ``min_loop_s``)."""
    if not isinstance(features, np.ndarray):
        return np.nan
    x = np.ones(features.shape[1], dtype=features.dtype)
    best = np.inf
    for pinned in (True, False, True, False):
        with threadpool_limits(1 if pinned else None):
            k, t = 1, 0.0
            while True:
                t0 = time.perf_counter()
                for _ in range(k):
                    features @ x
                t = time.perf_counter() - t0
                if t >= min_loop_s or k >= 1 << 16:
                    break
                k *= 2
        best = min(best, t / k)
    return best


def _solve(features, targets, covariance, budget_s=1.0, repeats=3):
    """The fastest of up to ``repeats`` solves (again only while their total stays under
    ``budget_s``: millisecond cases vary by tens of percent under load)."""
    best, res, total = np.inf, None, 0.0
    for _ in range(repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            res = maxent.solve(features, targets, covariance=covariance)
            t = time.perf_counter() - t0
        best, total = min(best, t), total + t
        if total >= budget_s:
            break
    return best, res


def _warm_up(features):
    """Solve a small problem of the same width first (first 2,000 rows, their mean as
    targets), with and without the covariance: the compiled loops a group needs are then
    loaded (or, after a change of their source, compiled) before anything is timed, so a
    seed's solve is never charged for compilation (which also used up its repeats)."""
    if not isinstance(features, np.ndarray):
        return
    head = np.ascontiguousarray(features[:2000])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cov in (True, False):
            maxent.solve(head, head.mean(axis=0), covariance=cov)


def _residual(features, targets, res):
    if not isinstance(features, np.ndarray):
        return float(np.max(np.abs(np.asarray(res.moments) - targets) / np.abs(targets).clip(1)))
    std = features.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return float(np.max(np.abs(np.asarray(res.p) @ features - targets) / std))


def _instances(args):
    """(group name, seed, features, targets) for every family, size and seed."""
    start = getattr(args, "seed_start", 0)
    seeds = range(start, start + args.seeds)
    sizes = [int(n) for n in (args.sizes or [1e4, 1e5, 1e6])]
    for family in args.families:
        if family in ("easy", "hard"):
            for m in args.constraints:
                for n in sizes:
                    name = f"{family} n=1e{round(np.log10(n))} m={m}"
                    for seed in seeds:
                        if family == "easy":
                            f, b = easy_problem(n, m, seed=seed)
                        else:
                            f, b, _ = hard_problem(n, m, seed=seed)
                        yield name, seed, f, b
        elif family == "marginal":
            f, b = marginal_problem()
            yield "marginal RdnUnqXor", 0, f, b  # one instance: the distribution is fixed
        elif family == "ising":
            for n_spins in args.spins or [10, 14, 18]:
                for seed in seeds:
                    f, b = ising_problem(n_spins, seed=seed)
                    yield f"ising N={n_spins}", seed, f, b
        elif family == "pairwise":
            for n_spins in args.pairwise_spins:
                name = f"pairwise N={n_spins} n=2^{round(np.log2(args.pairwise_states))}"
                for seed in seeds:
                    f, b = pairwise_problem(n_spins, args.pairwise_states, seed=seed)
                    yield name, seed, f, b
        else:
            raise SystemExit(f"unknown family {family!r}")


def _summary(name, rows):
    """One line: median and worst of each measure over the seeds."""
    out = [f"{name:<28}{len(rows):>6}"]
    for key in ("tp", "np", "tp_nc", "np_nc"):
        v = np.array([r[key] for r in rows], dtype=float)
        fmt = "{:>9.0f}{:>9.0f}" if key.startswith("np") else "{:>9.1f}{:>9.1f}"
        out.append(fmt.format(np.nanmedian(v), np.nanmax(v)))
    statuses = sorted({r["status"] for r in rows})
    worst = max(r["resid"] for r in rows)
    out.append(f"{worst:>9.0e}  {','.join(statuses)}")
    return "".join(out)


def run_seeds(args):
    """Run every family over ``args.seeds`` seeds; print per instance and per size."""
    maxent.solve(*easy_problem(1000, 3))  # warm-up (imports, thread pool)
    print("load average at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    header = (
        f"{'case':<28}{'seeds':>6}{'tp_med':>9}{'tp_max':>9}{'np_med':>9}{'np_max':>9}"
        f"{'tpnc_med':>9}{'tpnc_max':>9}{'npnc_med':>9}{'npnc_max':>9}{'resid':>9}  status"
    )
    groups: dict[str, list[dict]] = {}
    for name, seed, f, b in _instances(args):
        if name not in groups:
            _warm_up(f)
        t_pass = _pass_seconds(f)
        t_me, res = _solve(f, b, True)
        t_nc, res_nc = _solve(f, b, False)
        t_pass = min(t_pass, _pass_seconds(f))  # before and after: the faster
        row = {
            "tp": t_me / t_pass,
            "np": res.n_passes,
            "tp_nc": t_nc / t_pass,
            "np_nc": res_nc.n_passes,
            "status": res.status,
            "resid": _residual(f, b, res),
        }
        groups.setdefault(name, []).append(row)
        print(
            f"  {name} seed={seed}: {t_me:.3f} s = {row['tp']:.1f} passes ({res.n_passes} own, "
            f"{res.n_iter} steps); covariance=False {t_nc:.3f} s = {row['tp_nc']:.1f} "
            f"({res_nc.n_passes} own); {res.status}, residual {row['resid']:.1e}",
            flush=True,
        )
        del f, b
    print("\nper size, over the seeds (tp: time-equivalent passes, np: own passes;")
    print("nc: covariance=False):")
    print(header)
    print("-" * len(header))
    for name, rows in groups.items():
        print(_summary(name, rows))
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return groups
