"""Time maxent.solve as installed, with BLAS pinned, and scipy on the same dual, in one run.

Families (see ``_problems.py``): *easy* (standard-normal features, Dirichlet(1) targets,
multipliers near 0), *hard* (features correlated at 0.9, scales 1e-3..1e3, Gibbs targets
with large multipliers concentrating on a few states), *marginal* (pairwise marginals of
the RdnUnqXor distribution: 320 indicator features, 224 zero targets) and *ising*
(inverse Ising on all 2^N spin configurations, means and pairwise products).

Columns, per case:
  pass_s     one plain pass over F, ``F @ x`` (fastest of 7), measured in the same run
  maxent_s   maxent.solve as installed (default threads)
  pinned_s   maxent.solve inside ``threadpoolctl.threadpool_limits(1)``
  inst/pin   maxent_s / pinned_s            (goal: <= 1.3)
  n_pass     the solver's own passes over F (``result.n_passes``)
  t_pass     time-equivalent passes: maxent_s / pass_s
  lbfgs_s    scipy L-BFGS-B on the dual log Z + lambda . b with its exact gradient
  lb/me      lbfgs_s / maxent_s              (goal: >= 1, maxent not slower)
  trust_s    scipy trust-exact on the same dual with the exact Hessian Cov_p(F)
  tr/me      trust_s / maxent_s
  *_res      max_k |E_p[F_k] - b_k| / std(F_k) reached
A baseline stopped by its time limit is marked ``>``.

Run:  python benchmarks/bench_solve.py            (full table)
      python benchmarks/bench_solve.py --quick    (n <= 1e5, N <= 14, baselines <= 30 s)
Run it while another CPU-heavy job runs to see the behaviour on a busy machine.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _problems import easy_problem, hard_problem, ising_problem, marginal_problem
from scipy.optimize import minimize
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

import maxent


def pass_time(features, repeats=7):
    """Fastest of a few plain passes over F (a matrix-vector product): the floor."""
    x = np.ones(features.shape[1])
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        features @ x
        times.append(time.perf_counter() - t0)
    return float(np.min(times))


def relative_residual(features, targets, p):
    std = features.std(axis=0)
    return float(np.max(np.abs(p @ features - targets) / np.where(std > 0, std, 1.0)))


def run_maxent(features, targets, pinned):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        if pinned:
            with threadpool_limits(1):
                res = maxent.solve(features, targets)
        else:
            res = maxent.solve(features, targets)
        elapsed = time.perf_counter() - t0
    return elapsed, res


class _Dual:
    """log Z(lambda) + lambda . b and its derivatives, plain numpy (the scipy baselines)."""

    def __init__(self, features, targets):
        self.F, self.b = features, targets
        self._cache = None

    def _at(self, lam):
        if self._cache is None or not np.array_equal(self._cache[0], lam):
            a = -(self.F @ lam)
            log_z = logsumexp(a)
            p = np.exp(a - log_z)
            self._cache = (lam.copy(), log_z, p, p @ self.F)
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


def run_scipy(features, targets, method, timeout):
    dual = _Dual(features, targets)
    t0 = time.perf_counter()
    stopped = [False]

    def stop(intermediate_result):
        if time.perf_counter() - t0 > timeout:
            stopped[0] = True
            raise StopIteration

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
            callback=stop,
            options=opts,
            **kw,
        )
    elapsed = time.perf_counter() - t0
    return elapsed, relative_residual(features, targets, dual.p(sol.x)), stopped[0]


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
    args = parser.parse_args()
    timeout = args.baseline_timeout or (30.0 if args.quick else 300.0)

    maxent.solve(*easy_problem(1000, 3))  # warm-up (imports, thread pool)
    header = (
        f"{'case':<22}{'pass_s':>8}{'maxent_s':>9}{'pinned_s':>9}{'inst/pin':>9}"
        f"{'n_pass':>7}{'t_pass':>8}{'resid':>9}{'lbfgs_s':>9}{'lb/me':>7}"
        f"{'lb_res':>9}{'trust_s':>9}{'tr/me':>7}{'tr_res':>9}  status"
    )
    print(header)
    print("-" * len(header))
    for name, f, b in cases(args):
        t_pass = pass_time(f)
        t_pin, _ = run_maxent(f, b, pinned=True)
        t_me, res = run_maxent(f, b, pinned=False)
        resid = relative_residual(f, b, np.asarray(res.p))
        t_lb, r_lb, cut_lb = run_scipy(f, b, "L-BFGS-B", timeout)
        if args.no_trust:
            tr = "-"
            tr_ratio = tr_res = "-"
        else:
            t_tr, r_tr, cut_tr = run_scipy(f, b, "trust-exact", timeout)
            tr = (">" if cut_tr else "") + f"{t_tr:.3g}"
            tr_ratio, tr_res = f"{t_tr / t_me:.1f}", f"{r_tr:.1e}"
        lb = (">" if cut_lb else "") + f"{t_lb:.3g}"
        print(
            f"{name:<22}{t_pass:>8.4f}{t_me:>9.3f}{t_pin:>9.3f}{t_me / t_pin:>9.2f}"
            f"{res.n_passes:>7d}{t_me / t_pass:>8.1f}{resid:>9.1e}{lb:>9}"
            f"{t_lb / t_me:>7.1f}{r_lb:>9.1e}{tr:>9}{tr_ratio:>7}{tr_res:>9}  "
            f"{res.status}",
            flush=True,
        )


if __name__ == "__main__":
    main()
