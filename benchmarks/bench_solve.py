"""Time maxent.solve against L-BFGS-B (and cvxpy, when installed) on the same problems.

Two families (see ``_problems.py``): *easy* (standard-normal features, Dirichlet(1)
targets, multipliers near 0) and *hard* (features correlated at 0.9 with scales spread
over 1e-3..1e3, targets of a Gibbs distribution with large multipliers that concentrates
on a few states).  In the same run it times one pass over F (``F @ x``) and expresses the
solve time in passes.  The residual is max_k |E_p[F_k] - b_k| / std(F_k).

Run:  python benchmarks/bench_solve.py            (full table; L-BFGS-B up to 600 s a case)
      python benchmarks/bench_solve.py --quick    (n <= 1e5, baseline up to 60 s)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _problems import easy_problem, hard_problem
from scipy.optimize import minimize
from scipy.special import logsumexp

import maxent


def pass_time(features, repeats=7):
    """Median time of one pass over F (a matrix-vector product)."""
    x = np.ones(features.shape[1])
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        features @ x
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def relative_residual(features, targets, p):
    return float(np.max(np.abs(p @ features - targets) / features.std(axis=0)))


def run_maxent(features, targets):
    t0 = time.perf_counter()
    res = maxent.solve(features, targets)
    elapsed = time.perf_counter() - t0
    return elapsed, res.n_iter, relative_residual(features, targets, res.p), res.converged


def run_lbfgs(features, targets, timeout):
    """L-BFGS-B on the same dual, log Z(lambda) + lambda . b, with its exact gradient."""
    n = features.shape[0]
    calls = [0]
    t0 = time.perf_counter()

    def dual(lam):
        calls[0] += 1
        a = -(features @ lam)
        log_z = logsumexp(a) - np.log(n)
        p = np.exp(a - log_z - np.log(n))
        return log_z + lam @ targets, targets - p @ features

    def stop(intermediate_result):
        if time.perf_counter() - t0 > timeout:
            raise StopIteration

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sol = minimize(dual, np.zeros(features.shape[1]), jac=True, method="L-BFGS-B",
                       callback=stop,
                       options={"maxiter": 1_000_000, "maxfun": 1_000_000, "ftol": 0.0,
                                "gtol": 1e-14, "maxcor": 20})
    elapsed = time.perf_counter() - t0
    a = -(features @ sol.x)
    p = np.exp(a - logsumexp(a))
    return elapsed, calls[0], relative_residual(features, targets, p)


def run_cvxpy(features, targets, timeout):
    try:
        import cvxpy as cp
    except ImportError:
        return None
    n = features.shape[0]
    p = cp.Variable(n)
    prob = cp.Problem(cp.Maximize(cp.sum(cp.entr(p))), [p >= 0, cp.sum(p) == 1,
                                                         features.T @ p == targets])
    t0 = time.perf_counter()
    try:
        prob.solve()
    except Exception:  # noqa: BLE001 - solver failures are reported, not raised
        return time.perf_counter() - t0, float("nan")
    elapsed = time.perf_counter() - t0
    if p.value is None:
        return elapsed, float("nan")
    return elapsed, relative_residual(features, targets, np.clip(p.value, 0, None))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n <= 1e5, baseline <= 60 s")
    parser.add_argument("--sizes", type=float, nargs="*", default=None)
    parser.add_argument("--constraints", type=int, nargs="*", default=[3, 10])
    parser.add_argument("--families", nargs="*", default=["easy", "hard"])
    parser.add_argument("--baseline-timeout", type=float, default=None)
    parser.add_argument("--cvxpy-max-n", type=float, default=1e5,
                        help="skip cvxpy above this many states (it builds the problem densely)")
    args = parser.parse_args()
    sizes = args.sizes or ([1e4, 1e5] if args.quick else [1e4, 1e5, 1e6])
    timeout = args.baseline_timeout or (60.0 if args.quick else 600.0)

    maxent.solve(*easy_problem(1000, 3))  # warm-up (imports, thread pool)
    header = (f"{'case':<16}{'pass_s':>9}{'maxent_s':>10}{'passes':>8}{'newton':>7}"
              f"{'resid':>10}{'lbfgs_s':>10}{'evals':>7}{'lbfgs_res':>11}{'ratio':>8}"
              f"{'cvxpy_s':>9}{'cvx_res':>9}")
    print(header)
    print("-" * len(header))
    for family in args.families:
        for m in args.constraints:
            for n in sizes:
                n = int(n)
                if family == "easy":
                    features, targets = easy_problem(n, m)
                else:
                    features, targets, _ = hard_problem(n, m)
                t_pass = pass_time(features)
                t_me, steps, res_me, ok = run_maxent(features, targets)
                t_lb, evals, res_lb = run_lbfgs(features, targets, timeout)
                cvx = run_cvxpy(features, targets, timeout) if n <= args.cvxpy_max_n else None
                cvx_s = "-" if cvx is None else f"{cvx[0]:.3g}"
                cvx_r = "-" if cvx is None else f"{cvx[1]:.1e}"
                flag = "" if ok else " (not converged)"
                print(f"{family + f' n=1e{round(np.log10(n))} m={m}':<16}{t_pass:>9.4f}"
                      f"{t_me:>10.4f}{t_me / t_pass:>8.1f}{steps:>7d}{res_me:>10.1e}"
                      f"{t_lb:>10.3f}{evals:>7d}{res_lb:>11.1e}{t_lb / t_me:>8.1f}"
                      f"{cvx_s:>9}{cvx_r:>9}{flag}", flush=True)


if __name__ == "__main__":
    main()
