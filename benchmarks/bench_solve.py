"""Time maxent.solve as installed, with BLAS pinned, and scipy on the same dual, in one run.

Families (see ``_problems.py``): *easy* (standard-normal features, Dirichlet(1) targets,
multipliers near 0), *hard* (features correlated at 0.9, scales 1e-3..1e3, Gibbs targets
with large multipliers concentrating on a few states), *marginal* (pairwise marginals of
the RdnUnqXor distribution: 320 indicator features, 224 zero targets) and *ising*
(inverse Ising on all 2^N spin configurations, means and pairwise products).

Timing.  Every timed item (``F @ x``, maxent as installed, maxent pinned, each scipy
baseline) is run again while its own total time stays under 1 s, at most 15 times
(``--max-repeats``; millisecond cases vary by 10-40% from run to run on a busy machine,
more than the ratios the verdict compares) and at least once (a run over 1 s is timed
once); the fastest run is kept.  The pass, the installed and the pinned runs take turns
(pass, pinned, installed, pass, ...) so a change of load hits them alike, and installed
and pinned always get the same number of runs (so do a baseline's two BLAS modes, below).

Accuracy.  resid, lb_res, tr_res are the relative residual max_k |E_p[F_k] - b_k| / std(F_k)
(std over the states, uniform weights) at the end of each solver's run.  The scipy
baselines are timed twice over in the same run: their raw wall time to their own stopping
rule (L-BFGS-B: gtol 1e-14, ftol 0; trust-exact: gtol 1e-12), which may end at a worse or a
better residual than maxent's, and the time at which their residual first fell to the
accuracy maxent reached, target = max(resid, 1e-10) (never tighter than maxent's default
tol).  That residual is read in the callback from the mean E_p[F] the dual already
computed at that point (no extra pass); the callback's own time is left out of the
baseline's clock (both columns), and so is any pass it needs when the point at hand is not
cached (counted in the notes below the table).

Columns, per case:
  pass_s     one plain pass over F, ``F @ x``, measured in the same run (each repeat a
             loop of >= 20 ms of products, per-call time), the faster of BLAS as
             installed and pinned to one thread (the floor: under load a threaded
             product can be many times slower than a one-thread one)
  maxent_s   maxent.solve as installed (default threads); the result's ``covariance`` is
             computed in the solve (the default), so it is included
  nocov_s    the same with ``covariance=False`` (no n m^2 pass for the result's field)
  pinned_s   maxent.solve inside ``threadpoolctl.threadpool_limits(1)`` (entered before
             the clock starts: threadpoolctl's own ~0.5 ms is not counted)
  inst/pin   maxent_s / pinned_s                    (goal: <= 1.3)
  n_pass     the solver's own passes over F (``result.n_passes``)
  t_pass     time-equivalent passes: maxent_s / pass_s (goal, hard n=1e6 m=10: <= 30)
  Fx/pass    n_pass / t_pass: the time of one ``F @ x`` over the time of one of maxent's
             own passes, per-step work included (goal, hard m=200: >= 0.25)
  resid      maxent's relative residual
  lbfgs_s    scipy L-BFGS-B on the dual log Z + lambda . b with its exact gradient, raw
  lb/me      lbfgs_s / maxent_s
  lb_res     L-BFGS-B's relative residual at its end
  lb_acc_s   time at which L-BFGS-B's residual first reached the target; ``n/r``: never
  lbacc/me   lb_acc_s / maxent_s    (goal: >= 1, maxent not slower at equal accuracy);
             ``inf``: the baseline stopped without reaching the target; ``>X``: a run
             was stopped by its time limit (``--baseline-timeout``) before reaching it
  lbacc/nc   lb_acc_s / nocov_s: the same against maxent without the covariance (which
             L-BFGS-B never computes)
  trust_s, tr/me, tr_res, tr_acc_s, tracc/me, tracc/nc
             the same for scipy trust-exact with the exact Hessian Cov_p(F)
  reps       repeats behind maxent_s/pinned_s/lbfgs_s/trust_s (baselines: both modes)
By default each baseline runs both with BLAS as installed and pinned to one thread
(interleaved) and the faster is kept, marked ``p`` when pinned won: a threaded BLAS can slow
small products, and under load several times over, so either alone may flatter maxent.
``--baseline-blas installed`` or ``pinned`` runs one of them (half the baseline time).
A baseline stopped by its time limit is marked ``>``.  A verdict per goal follows the table.

Run:  python benchmarks/bench_solve.py            (full table)
      python benchmarks/bench_solve.py --quick    (n <= 1e5, N <= 14, baselines <= 30 s)
      python benchmarks/bench_solve.py --load     (one CPU-heavy process runs meanwhile;
                                                   --load-threads: its BLAS threads, 1)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from _problems import easy_problem, hard_problem, ising_problem, marginal_problem, pairwise_problem
from _seeds import run_seeds
from scipy.optimize import minimize
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

import maxent

MAX_REPEATS = 15
_REPEATS = {"max": MAX_REPEATS}  # --max-repeats
REPEAT_BUDGET_S = 1.0
ACC_FLOOR = 1e-10  # maxent's default tol: the equal-accuracy target is never tighter
INST_PIN_GOAL = 1.3
PASS_GOAL = 30.0
PASS_GOAL_CASE = "hard n=1e6 m=10"
FX_GOAL = 0.25  # hard m=200: one F @ x over one of maxent's passes

_LOAD_SCRIPT = """
import os, sys
import numpy as np
parent = os.getppid()
a = np.random.default_rng(0).standard_normal((1500, 1500))
print("ready", flush=True)
while os.getppid() == parent:  # exits if the benchmark dies without killing it
    a = a @ a
    a /= np.abs(a).max()
"""


def best_of(*items, groups=None):
    """Run each item (a callable returning (seconds, value)) under the repeat rule, interleaved.

    Items take turns; an item wants another run while its own total time is under
    ``REPEAT_BUDGET_S``, at most ``--max-repeats`` runs, and not after a run marked final
    (``value`` a dict with ``final`` true: a baseline cut by its time limit); every item
    runs at least once.  Items in one of ``groups`` (tuples of indices) run the same number
    of times: all run again while any of them wants to (final ones excepted) and none took
    over ``REPEAT_BUDGET_S`` in one run, so a ratio of two fastest times never compares a
    best of 2 with a best of 1.  Returns, per item,
    (fastest seconds, value of that run, repeats).
    """
    n = len(items)
    groups = [tuple(g) for g in groups or ()]
    grouped = {i for g in groups for i in g}
    groups += [(i,) for i in range(n) if i not in grouped]
    best, total, count, final = [None] * n, [0.0] * n, [0] * n, [False] * n

    def wants(i):
        return not final[i] and count[i] < _REPEATS["max"] and total[i] < REPEAT_BUDGET_S

    def run(i):
        g = group_of[i]
        return count[i] == 0 or (
            not final[i]
            and count[i] < _REPEATS["max"]
            and any(wants(j) for j in g)
            and all(best[j] is None or best[j][0] <= REPEAT_BUDGET_S for j in g)
        )

    group_of = {i: g for g in groups for i in g}
    while any(run(i) for i in range(n)):
        todo = [i for i in range(n) if run(i)]  # decided per round: a group moves together
        for i in todo:
            seconds, value = items[i]()
            total[i] += seconds
            count[i] += 1
            final[i] = isinstance(value, dict) and value.get("final", False)
            if best[i] is None or seconds < best[i][0]:
                best[i] = (seconds, value)
    return [(s, v, c) for (s, v), c in zip(best, count, strict=True)]


def pass_run(features, pinned, min_loop_s=0.02):
    """One repeat = a loop of ``F @ x`` long enough (>= min_loop_s) to time; per-call seconds.

    The loop length is fixed on the first call (timeit's autorange), so a repeat of a
    10-microsecond product is not a single reading that one scheduler hiccup can spoil.
    """
    x = np.ones(features.shape[1])
    loops = [0]

    def timed(k):
        t0 = time.perf_counter()
        for _ in range(k):
            features @ x
        return time.perf_counter() - t0

    def run():
        with threadpool_limits(1 if pinned else None):
            if not loops[0]:
                k = 1
                while timed(k) < min_loop_s and k < 1 << 20:
                    k *= 2
                loops[0] = k
            return timed(loops[0]) / loops[0], None

    return run


def feature_std(features):
    std = features.std(axis=0)
    return np.where(std > 0, std, 1.0)


def relative_residual(features, targets, p, std):
    return float(np.max(np.abs(p @ features - targets) / std))


def maxent_run(features, targets, pinned, covariance=True):
    """One maxent.solve; pinned runs enter threadpool_limits(1) before the clock starts.

    Value: the result (with ``covariance=True``, the default, its ``covariance`` is
    computed in the solve; ``covariance=False`` skips it).
    """

    def solve():
        t0 = time.perf_counter()
        res = maxent.solve(features, targets, covariance=covariance)
        return time.perf_counter() - t0, res

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if pinned:
                with threadpool_limits(1):
                    return solve()
            return solve()

    return run


class _Dual:
    """log Z(lambda) + lambda . b and its derivatives, plain numpy (the scipy baselines).

    Keeps the last two points evaluated, so the callback finds the mean E_p[F] at the
    iterate (trust-exact evaluates a trial point after it) without another pass.
    """

    def __init__(self, features, targets):
        self.F, self.b = features, targets
        self._cache = self._prev = None

    def _eval(self, lam):
        a = -(self.F @ lam)
        log_z = logsumexp(a)
        p = np.exp(a - log_z)
        return (lam.copy(), log_z, p, p @ self.F)

    def _at(self, lam):
        if self._cache is None or not np.array_equal(self._cache[0], lam):
            self._prev, self._cache = self._cache, self._eval(lam)
        return self._cache

    def value_grad(self, lam):
        _, log_z, _, mean = self._at(lam)
        return log_z + lam @ self.b, self.b - mean

    def hess(self, lam):
        _, _, p, mean = self._at(lam)
        fc = self.F - mean
        return (fc.T * p) @ fc

    def p(self, lam):
        return self._at(lam)[2]

    def cached_mean(self, lam):
        """E_p[F] at lam from the cache, or None (the cache is left as it is)."""
        for entry in (self._cache, self._prev):
            if entry is not None and np.array_equal(entry[0], lam):
                return entry[3]
        return None


def scipy_run(features, targets, std, method, timeout, target_resid, pinned):
    """One baseline run: raw net time, time to ``target_resid``, final residual."""

    def run():
        with threadpool_limits(1 if pinned else None):
            return run_unpinned()

    def run_unpinned():
        dual = _Dual(features, targets)
        state = {"cb": 0.0, "t_acc": None, "cut": False, "uncached": 0}
        t0 = time.perf_counter()

        def callback(intermediate_result):
            t_cb = time.perf_counter()
            net = t_cb - t0 - state["cb"]
            try:
                if state["t_acc"] is None:
                    x = intermediate_result.x
                    mean = dual.cached_mean(x)
                    if mean is None:
                        state["uncached"] += 1
                        mean = dual._eval(x)[3]
                    if np.max(np.abs(mean - targets) / std) <= target_resid:
                        state["t_acc"] = net
                if net > timeout:
                    state["cut"] = True
                    raise StopIteration
            finally:
                state["cb"] += time.perf_counter() - t_cb

        kw = {}
        if method == "L-BFGS-B":
            opts = {
                "maxiter": 1_000_000,
                "maxfun": 1_000_000,
                "ftol": 0.0,
                "gtol": 1e-14,
                "maxcor": 20,
            }
        else:
            opts = {"gtol": 1e-12, "maxiter": 10_000}
            kw["hess"] = dual.hess
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = minimize(
                dual.value_grad,
                np.zeros(features.shape[1]),
                jac=True,
                method=method,
                callback=callback,
                options=opts,
                **kw,
            )
        elapsed = time.perf_counter() - t0 - state["cb"]
        resid = relative_residual(features, targets, dual.p(sol.x), std)
        if state["t_acc"] is None and resid <= target_resid:
            state["t_acc"] = elapsed  # met at its last point, after the last callback
        value = {
            "resid": resid,
            "t_acc": state["t_acc"],
            "cut": state["cut"],
            "final": state["cut"],
            "uncached": state["uncached"],
            "message": str(sol.message),
            "nit": int(getattr(sol, "nit", -1)),
        }
        return elapsed, value

    return run


def baseline_acc_time(runs):
    """Fastest time to the target over the repeats, or None when never reached."""
    reached = [v["t_acc"] for v in runs if v["t_acc"] is not None]
    return min(reached) if reached else None


def cases(args):
    sizes = args.sizes or ([1e4, 1e5] if args.quick else [1e4, 1e5, 1e6])
    for family in args.families:
        if family in ("easy", "hard"):
            for m in args.constraints:
                for n in sizes:
                    n = int(n)
                    if family == "easy":
                        f, b = easy_problem(n, m)
                    else:
                        f, b, _ = hard_problem(n, m)
                    yield f"{family} n=1e{round(np.log10(n))} m={m}", f, b
        elif family == "marginal":
            f, b = marginal_problem()
            yield "marginal RdnUnqXor", f, b
        elif family == "ising":
            for n_spins in args.spins or ([10, 14] if args.quick else [10, 14, 18]):
                f, b = ising_problem(n_spins)
                yield f"ising N={n_spins}", f, b
        elif family == "pairwise":
            for n_spins in args.pairwise_spins:
                f, b = pairwise_problem(n_spins, args.pairwise_states)
                yield f"pairwise N={n_spins}", f, b
        else:
            raise SystemExit(f"unknown family {family!r}: easy, hard, marginal or ising")


def ratio_text(seconds, t_me):
    r = seconds / t_me
    return f"{r:.3g}" if r < 1000 else f"{r:.0f}"


def run_baseline(f, b, std, method, args, target, t_me, name, notes):
    """Time one scipy method; the table's fields and the verdict's numbers."""
    runs = []
    timeout = args.baseline_timeout or (30.0 if args.quick else 300.0)
    modes = {"installed": [False], "pinned": [True], "best": [True, False]}[args.baseline_blas]

    def one(pinned):
        def run():
            seconds, value = scipy_run(f, b, std, method, timeout, target, pinned)()
            value["pinned"], value["seconds"] = pinned, seconds
            runs.append(value)
            return seconds, value

        return run

    timed = best_of(*(one(pinned) for pinned in modes), groups=[range(len(modes))])
    t_raw, v, _ = min(timed, key=lambda item: item[0])
    reps = sum(item[2] for item in timed)
    t_acc = baseline_acc_time(runs)
    # Not reached: a run cut by the time limit might have got there later (a lower bound);
    # only when none was cut did the baseline stop for good above the target.
    cut_runs = [r["seconds"] for r in runs if r["cut"]]
    mark = "p" if args.baseline_blas == "best" and v["pinned"] else ""
    raw = (">" if v["cut"] else "") + f"{t_raw:.3g}{mark}"
    acc = "n/r" if t_acc is None else f"{t_acc:.3g}"
    acc_ratio, acc_ratio_s = acc_ratios(t_acc, cut_runs, t_me)
    if t_acc is not None:
        early = []
    else:
        early = {r["pinned"]: r for r in runs if not r["cut"]}.values()
    stops = {}  # one note per distinct stop, naming the BLAS modes that made it
    for r in early:
        text = (
            f"stopped at residual {r['resid']:.1e} > target {target:.1e} after "
            f"{r['nit']} iterations ({r['message']})"
        )
        stops.setdefault(text, []).append("pinned" if r["pinned"] else "as installed")
    for text, blas in stops.items():
        notes.append(f"{name}: {method} (BLAS {' and '.join(blas)}) {text}")
    if t_acc is None and cut_runs:
        notes.append(f"{name}: {method} cut by the time limit before reaching the target")
    uncached = max(r["uncached"] for r in runs)
    if uncached:
        notes.append(
            f"{name}: {method} callback needed {uncached} extra pass(es) per run "
            "(iterate not cached; their time is excluded)"
        )
    return {
        "raw": raw,
        "raw_ratio": ratio_text(t_raw, t_me),
        "res": f"{v['resid']:.1e}",
        "acc": acc,
        "acc_ratio": acc_ratio,
        "acc_ratio_s": acc_ratio_s,
        "raw_s": t_raw,
        "acc_bound": t_acc is None and bool(cut_runs),  # acc_ratio is only a lower bound
        "reps": reps,
        "t_acc": t_acc,
        "cut_runs": cut_runs,
    }


def acc_ratios(t_acc, cut_runs, t_me):
    """Baseline time to the target over maxent's time: (value, text); a run cut by its time
    limit gives a lower bound (``>``), a baseline that never got there ``inf``."""
    if t_acc is not None:
        return t_acc / t_me, ratio_text(t_acc, t_me)
    if cut_runs:
        return min(cut_runs) / t_me, ">" + ratio_text(min(cut_runs), t_me)
    return np.inf, "inf"


def start_load(threads):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return subprocess.Popen(
        [sys.executable, "-c", _LOAD_SCRIPT], stdout=subprocess.PIPE, text=True, env=env
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="n <= 1e5, N <= 14 spins, baselines stopped after 30 s",
    )
    parser.add_argument("--sizes", type=float, nargs="*", default=None)
    parser.add_argument("--constraints", type=int, nargs="*", default=[3, 10, 50, 200])
    parser.add_argument("--spins", type=int, nargs="*", default=None)
    parser.add_argument("--families", nargs="*", default=["easy", "hard", "marginal", "ising"])
    parser.add_argument("--baseline-timeout", type=float, default=None)
    parser.add_argument("--no-trust", action="store_true", help="skip trust-exact")
    parser.add_argument(
        "--no-baselines", action="store_true", help="skip both scipy baselines (maxent only)"
    )
    parser.add_argument(
        "--load",
        action="store_true",
        help="keep a CPU-heavy process (numpy 1500x1500 matmul loop) running meanwhile",
    )
    parser.add_argument(
        "--load-threads", type=int, default=1, help="BLAS threads of the --load process"
    )
    parser.add_argument(
        "--baseline-blas",
        choices=["best", "installed", "pinned"],
        default="best",
        help="BLAS threads of the scipy baselines: as installed, pinned to one, or both "
        "(interleaved, the faster kept; the default)",
    )
    parser.add_argument(
        "--max-repeats",
        type=int,
        default=MAX_REPEATS,
        help=f"most runs per timed item (default {MAX_REPEATS}; more steadies ms-scale cases)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=0,
        help="instead of the table: every family over this many seeds per size (maxent "
        "only, with and without the covariance; median and worst passes; see _seeds.py)",
    )
    parser.add_argument(
        "--seed-start",
        type=int,
        default=0,
        help="first seed of --seeds (seeds seed-start .. seed-start + K - 1): tune on one "
        "range, report another",
    )
    parser.add_argument(
        "--pairwise-spins", type=int, nargs="*", default=[20, 30, 45], help="family pairwise"
    )
    parser.add_argument(
        "--pairwise-states", type=int, default=1 << 16, help="sampled states of pairwise"
    )
    args = parser.parse_args()
    _REPEATS["max"] = max(1, args.max_repeats)

    load = None
    try:
        if args.load:
            load = start_load(args.load_threads)
            load.stdout.readline()  # "ready": numpy imported, the matmul loop starts
            print(
                f"load: ON (pid {load.pid}, numpy 1500x1500 matmul loop, "
                f"{args.load_threads} BLAS thread(s)); {os.cpu_count()} CPUs",
                flush=True,
            )
        else:
            print(f"load: off; {os.cpu_count()} CPUs", flush=True)
        blas = {
            "best": "as installed and pinned to one thread, the faster kept",
            "installed": "as installed",
            "pinned": "pinned to one thread",
        }[args.baseline_blas]
        print(f"scipy baselines: BLAS {blas}", flush=True)
        if args.seeds:
            run_seeds(args)
            return
        rows = run_table(args)
    finally:
        if load is not None:
            load.kill()
            load.wait()
            print("load: stopped", flush=True)
    verdict(rows, args)


def run_table(args):
    maxent.solve(*easy_problem(1000, 3))  # warm-up (imports, thread pool)
    with threadpool_limits(1):
        maxent.solve(*easy_problem(1000, 3))
    header = (
        f"{'case':<20}{'pass_s':>9}{'maxent_s':>9}{'nocov_s':>9}{'pinned_s':>9}"
        f"{'inst/pin':>9}{'n_pass':>7}{'t_pass':>7}{'Fx/pass':>8}{'resid':>8}"
        f"{'lbfgs_s':>9}{'lb/me':>7}{'lb_res':>8}{'lb_acc_s':>9}{'lbacc/me':>9}{'lbacc/nc':>9}"
        f"{'trust_s':>9}{'tr/me':>7}{'tr_res':>8}{'tr_acc_s':>9}{'tracc/me':>9}{'tracc/nc':>9}"
        f"{'reps':>12}  status"
    )
    print(header)
    print("-" * len(header), flush=True)
    rows, notes = [], []
    for name, f, b in cases(args):
        std = feature_std(f)
        timed = best_of(
            pass_run(f, pinned=True),
            pass_run(f, pinned=False),
            maxent_run(f, b, pinned=True),
            maxent_run(f, b, pinned=False),
            maxent_run(f, b, pinned=False, covariance=False),
            groups=[(2, 3, 4)],
        )
        (t_pass_pin, _, _), (t_pass_inst, _, _), (t_pin, _, n_pin), (t_me, me, n_me) = timed[:4]
        t_nc = timed[4][0]
        res = me
        t_pass = min(t_pass_pin, t_pass_inst)
        resid = relative_residual(f, b, np.asarray(res.p), std)
        target = max(resid, ACC_FLOOR)
        if args.no_baselines:
            lb = _not_run()
        else:
            lb = run_baseline(f, b, std, "L-BFGS-B", args, target, t_me, name, notes)
        if args.no_trust or args.no_baselines:
            tr = _not_run()
        else:
            tr = run_baseline(f, b, std, "trust-exact", args, target, t_me, name, notes)
        reps = f"{n_me}/{n_pin}/{lb['reps']}/{tr['reps']}"
        lb_nc = _nocov_ratio(lb, t_nc)
        tr_nc = _nocov_ratio(tr, t_nc)
        print(
            f"{name:<20}{t_pass:>9.2e}{t_me:>9.3f}{t_nc:>9.3f}{t_pin:>9.3f}{t_me / t_pin:>9.2f}"
            f"{res.n_passes:>7d}{t_me / t_pass:>7.0f}{res.n_passes * t_pass / t_me:>8.3f}"
            f"{resid:>8.0e}"
            f"{lb['raw']:>9}{lb['raw_ratio']:>7}{lb['res']:>8}{lb['acc']:>9}"
            f"{lb['acc_ratio_s']:>9}{lb_nc[1]:>9}"
            f"{tr['raw']:>9}{tr['raw_ratio']:>7}{tr['res']:>8}{tr['acc']:>9}"
            f"{tr['acc_ratio_s']:>9}{tr_nc[1]:>9}{reps:>12}  {res.status}",
            flush=True,
        )
        rows.append(
            {
                "name": name,
                "inst_pin": t_me / t_pin,
                "t_pass": t_me / t_pass,
                "t_me": t_me,
                "lb_acc_ratio": lb["acc_ratio"],
                "lb_nc_ratio": lb_nc[0],
                "tr_nc_ratio": tr_nc[0],
                "fx_per_pass": res.n_passes * t_pass / t_me,
                "lb_acc_bound": lb["acc_bound"],
                "tr_acc_ratio": tr.get("acc_ratio", np.inf),
                "tr_acc_bound": tr.get("acc_bound", False),
                "lb_raw_ratio": lb["raw_s"] / t_me,
            }
        )
        del f, b
    for note in notes:
        print("note:", note)
    return rows


def _not_run():
    """The table fields of a baseline that was not run."""
    out = dict.fromkeys(("raw", "raw_ratio", "res", "acc", "acc_ratio_s"), "-")
    out.update(reps=0, acc_ratio=np.nan, acc_bound=False, raw_s=np.nan, t_acc=None)
    out.update(cut_runs=[], run=False)
    return out


def _nocov_ratio(baseline, t_nc):
    """(value, text) of a baseline's time to the target over maxent's without covariance."""
    if not baseline.get("run", True):
        return np.nan, "-"
    return acc_ratios(baseline["t_acc"], baseline["cut_runs"], t_nc)


def _ahead(rows, key, label, bound):
    """One verdict line: maxent not slower than a baseline at equal accuracy."""
    ratios = [(r["name"], r[key], r[bound]) for r in rows if not np.isnan(r[key])]
    if not ratios:
        return
    slower = [f"{n} ({v:.2f})" for n, v, b in ratios if v < 1.0 and not b]
    open_ = [f"{n} (>{v:.2f})" for n, v, b in ratios if v < 1.0 and b]
    print(
        f"  not slower than {label} at equal accuracy: "
        + ("holds on every case" if not slower else "FAILS on " + ", ".join(slower))
        + ("" if not open_ else "; undecided (time limit too short): " + ", ".join(open_))
    )


def verdict(rows, args):
    if not rows:
        return
    print("\nverdict")
    slow = [f"{r['name']} ({r['inst_pin']:.2f})" for r in rows if r["inst_pin"] > INST_PIN_GOAL]
    print(
        f"  inst/pin <= {INST_PIN_GOAL}: "
        + ("holds on every case" if not slow else "FAILS on " + ", ".join(slow))
    )
    if args.no_baselines:
        print("  ahead of L-BFGS-B and trust-exact at equal accuracy: not run (--no-baselines)")
    else:
        for key, label in (
            ("lb_acc_ratio", "L-BFGS-B, maxent with the covariance (default)"),
            ("lb_nc_ratio", "L-BFGS-B, maxent with covariance=False"),
            ("tr_acc_ratio", "trust-exact, maxent with the covariance (default)"),
            ("tr_nc_ratio", "trust-exact, maxent with covariance=False"),
        ):
            _ahead(rows, key, label, "tr_acc_bound" if key.startswith("tr") else "lb_acc_bound")
    raw = [f"{r['name']} ({r['lb_raw_ratio']:.2f})" for r in rows if r["lb_raw_ratio"] < 1.0]
    if raw:
        print("    (raw L-BFGS-B run, its own stopping rule, faster on: " + ", ".join(raw) + ")")
    fx = [r for r in rows if r["name"].startswith("hard") and r["name"].endswith("m=200")]
    if fx:
        parts = [f"{r['name']} {r['fx_per_pass']:.2f}" for r in fx]
        ok = all(r["fx_per_pass"] >= FX_GOAL for r in fx)
        print(
            f"  hard m=200 at >= {FX_GOAL} of one F@x per pass: "
            + ("holds" if ok else "FAILS")
            + " ("
            + ", ".join(parts)
            + ")"
        )
    target = [r for r in rows if r["name"] == PASS_GOAL_CASE]
    if target:
        tp = target[0]["t_pass"]
        ok = "holds" if tp <= PASS_GOAL else "FAILS"
        print(f"  {PASS_GOAL_CASE}: {tp:.1f} time-equivalent passes vs {PASS_GOAL:.0f}: {ok}")
    else:
        print(f"  {PASS_GOAL_CASE}: not run (needs --families hard --sizes 1e6 --constraints 10)")
    print(f"  load: {'on' if args.load else 'off'}")


if __name__ == "__main__":
    main()
