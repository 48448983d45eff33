"""Time an entropy fit's alpha scan against a general-purpose minimiser of Q at each alpha.

    python benchmarks/bench_fit.py [--repeat R]

Problem: a two-peak spectrum through a Laplace kernel, N = 100 data, n = 1000 grid
points, noise 1e-3 of the largest datum.  Both methods solve the same 40 alphas (a
geometric grid from 1e4 to 1e-2 times the classic alpha), from large to small, each solve
warm-started from the previous one:

- maxent: ``maxent.fit(..., alpha="lcurve", alphas=grid)`` (Bryan's Newton iteration in
  the singular subspace, at most N unknowns);
- baseline: ``scipy.optimize.minimize(method="L-BFGS-B")`` on Q in the n variables
  ln(p/m) with the exact gradient.

Columns: ``newton_steps`` (Newton steps for maxent, L-BFGS-B iterations for the baseline)
and ``passes_over_F`` (products with the N x n kernel: one per evaluation of Q for maxent,
two per function-and-gradient evaluation for the baseline).  ``max_rel_dx`` is the largest
relative difference of the two solutions over the grid and alphas, in the 2-norm.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.optimize

import maxent
import maxent._mem as mem


def problem(n_data=100, n_grid=1000, noise=1e-3, seed=0):
    rng = np.random.default_rng(seed)
    w = np.linspace(0.0, 8.0, n_grid)
    dw = np.full(n_grid, w[1] - w[0])
    dw[[0, -1]] /= 2
    tau = np.linspace(0.0, 5.0, n_data)
    truth = np.exp(-((w - 1.0) ** 2) / (2 * 0.25**2)) + 0.5 * np.exp(-((w - 4.0) ** 2) / 1.0)
    kernel = np.exp(-np.outer(tau, w)) * dw
    exact = kernel @ truth
    sigma = noise * exact.max() * np.ones(n_data)
    return kernel, exact + sigma * rng.standard_normal(n_data), sigma, w, dw


def run_maxent(kernel, data, sigma, dw, alphas):
    evaluations = 0
    original = mem._EntropySolver._evaluate

    def counted(self, u, alpha):
        nonlocal evaluations
        evaluations += 1
        return original(self, u, alpha)

    mem._EntropySolver._evaluate = counted
    try:
        start = time.perf_counter()
        res = maxent.fit(kernel, data, sigma, grid_weights=dw, alpha="lcurve", alphas=alphas)
        elapsed = time.perf_counter() - start
    finally:
        mem._EntropySolver._evaluate = original
    path = {float(a): x for a, x in zip(res.path_alpha, res.path_x, strict=True)}
    return elapsed, path, res, evaluations


def run_baseline(kernel, data, sigma, dw, model, alphas):
    kt, yt = kernel / sigma[:, None], data / sigma
    a = np.zeros(kernel.shape[1])
    path, iterations, evaluations = {}, 0, 0
    start = time.perf_counter()
    for alpha in sorted(alphas, reverse=True):
        def q_of(a, alpha=alpha):
            p = model * np.exp(a)
            r = kt @ p - yt
            value = 0.5 * r @ r + alpha * np.sum(dw * (p * a - p + model))
            return value, p * (kt.T @ r + alpha * dw * a)

        res = scipy.optimize.minimize(q_of, a, jac=True, method="L-BFGS-B",
                                      options={"ftol": 1e-15, "gtol": 1e-10,
                                               "maxiter": 20000, "maxfun": 40000})
        a = res.x
        path[float(alpha)] = model * np.exp(a)
        iterations += res.nit
        evaluations += res.nfev
    return time.perf_counter() - start, path, iterations, evaluations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="maxent timings: best of R")
    args = parser.parse_args()

    kernel, data, sigma, w, dw = problem()
    classic = maxent.fit(kernel, data, sigma, grid_weights=dw, alpha="classic")
    alphas = np.geomspace(1e4 * classic.alpha, 1e-2 * classic.alpha, 40)

    times = []
    for _ in range(args.repeat):
        t, path_m, res, evals_m = run_maxent(kernel, data, sigma, dw, alphas)
        times.append(t)
    t_m = min(times)
    solver = mem._EntropySolver(kernel / sigma[:, None], data / sigma, dw,
                                res.default_model, tol=1e-10, max_iter=200)
    steps_m = 0
    state = None
    for alpha in sorted(alphas, reverse=True):  # the same solves, to count Newton steps
        point = solver.solve(float(alpha), state)
        state, steps_m = point.state, steps_m + point.n_iter

    t_b, path_b, steps_b, evals_b = run_baseline(kernel, data, sigma, dw, res.default_model,
                                                 alphas)
    dx = max(np.linalg.norm(path_m[a] - path_b[a]) / np.linalg.norm(path_m[a])
             for a in path_b)
    q_m = q_b = 0.0
    kt, yt = kernel / sigma[:, None], data / sigma
    for a in path_b:  # which solution has the lower Q, summed over alphas
        for x, acc in ((path_m[a], "m"), (path_b[a], "b")):
            r = kt @ x - yt
            val = 0.5 * r @ r + a * np.sum(dw * (x * np.log(x / res.default_model) - x
                                                 + res.default_model))
            if acc == "m":
                q_m += val
            else:
                q_b += val

    print(f"N = {kernel.shape[0]}, n = {kernel.shape[1]}, {alphas.size} alphas "
          f"[{alphas.min():.3g}, {alphas.max():.3g}], classic alpha {classic.alpha:.3g}; "
          f"all maxent solves converged: {bool(np.all(res.path_converged))}")
    print(f"{'case':28s} {'maxent_s':>9s} {'baseline_s':>11s} {'ratio':>8s} "
          f"{'newton_steps':>13s} {'passes_over_F':>14s}")
    print(f"{'entropy scan, maxent':28s} {t_m:9.3f} {'':>11s} {'':>8s} {steps_m:13d} "
          f"{evals_m:14d}")
    print(f"{'entropy scan, L-BFGS-B':28s} {'':>9s} {t_b:11.3f} {t_b / t_m:8.1f} "
          f"{steps_b:13d} {2 * evals_b:14d}")
    print(f"max_rel_dx = {dx:.2e}; sum over alphas of Q: maxent {q_m:.10g}, "
          f"baseline {q_b:.10g} (lower is better)")


if __name__ == "__main__":
    main()
