"""Time every alpha rule of ``maxent.fit`` on the peers' test problems, against ana_cont.

    python benchmarks/bench_fit.py [--quick] [--size N n] [--repeat R] [--no-baseline]

Cases (built in ``benchmarks/peer_problems.py`` from the peers' own descriptions):

- ``ana_cont``: ana_cont's two-Gaussian Matsubara example, 40 real data, n = 501;
- ``triqs``: the TRIQS/maxent TauMaxEnt guide's semicircle, N = 2501 imaginary times,
  n = 100 (hyperbolic mesh);
- ``tau N x n``: the same semicircle at N = 200, n = 2000 (``--size``), which ana_cont
  can also solve (its own time kernel);
- ``laplace N x n``: two peaks through exp(-tau w), N = 200, n = 2000 (``--size``).

For each case and rule: wall and CPU time of ``maxent.fit`` (best of ``--repeat``; on a
busy machine the CPU time is the steadier one, maxent running BLAS on one thread), the chosen
alpha, chi^2/N and the L1 error :math:`\\sum w|A - A_\\mathrm{true}| / \\sum w A_\\mathrm{true}`.
The baseline is ana_cont (``pip install --no-build-isolation ana_cont``; numpy >= 2.4
needs the ``np.trapz`` shim set below), its ``maxent_svd`` solver with the same data,
errors, grid and flat default model, no preblur, for the rules it has (chi2kink,
classic, bryan, historic), run in the same process.  ``ratio`` = baseline_s / maxent_s.
An ana_cont run is stopped after ``--limit`` seconds (its Bryan loop can run for
minutes).  ``--quick`` runs one repeat, skips the N = 2501 baseline and stops ana_cont
after 8 s (under two minutes in all); a progress bar (tqdm) shows where it is.
Everything goes through the public API.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import signal
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

import maxent

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_problems import (  # noqa: E402
    PeerProblem,
    ana_cont_two_gaussians,
    laplace_problem,
    relative_l1,
    triqs_semicircle,
)

RULES = ("chi2kink", "linefit", "lcurve", "historic", "classic", "bryan", "gcv")
ANA_CONT_RULES = {
    "chi2kink": "chi2kink",
    "classic": "classic",
    "bryan": "bryan",
    "historic": "historic",
}


def time_maxent(prob: PeerProblem, rule: str, repeat: int):
    best, cpu, res, n_warn = np.inf, np.inf, None, 0
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", maxent.ConvergenceWarning)
            res = maxent.fit(prob.kernel, prob.data, prob.sigma, alpha=rule, **prob.fit_kwargs())
        best = min(best, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
        n_warn = len(caught)
    return best, cpu, res, n_warn


def ana_cont_available() -> bool:
    if not hasattr(np, "trapz"):  # ana_cont calls np.trapz, removed in numpy 2.4
        np.trapz = np.trapezoid  # noqa: NPY201
    try:
        import ana_cont.continuation  # noqa: F401
    except ImportError:
        return False
    return True


def ana_cont_problem(case: str, prob: PeerProblem, extra: dict):
    import ana_cont.continuation as cont

    if case == "ana_cont":
        niw = prob.data.size // 2
        giw = prob.data[:niw] + 1j * prob.data[niw:]
        return cont.AnalyticContinuationProblem(
            im_axis=extra["iw"], re_axis=prob.grid, im_data=giw, kernel_mode="freq_fermionic"
        ), prob.sigma[:niw]
    # ana_cont's time kernel is +e^{-tau w}/(1 + e^{-beta w}): it takes -G(tau)
    return cont.AnalyticContinuationProblem(
        im_axis=extra["tau"],
        re_axis=prob.grid,
        im_data=-prob.data,
        kernel_mode="time_fermionic",
        beta=extra["beta"],
    ), prob.sigma


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def time_ana_cont(case: str, prob: PeerProblem, extra: dict, rule: str, limit: int):
    """ana_cont's solve, stopped after ``limit`` seconds (SIGALRM) if it runs longer."""
    problem, err = ana_cont_problem(case, prob, extra)
    kwargs = {
        "method": "maxent_svd",
        "optimizer": "newton",
        "alpha_determination": rule,
        "model": prob.default_model / np.sum(prob.grid_weights * prob.default_model),
        "stdev": err,
        "alpha_start": 1e12,
        "alpha_end": 1e-2,
        "interactive": False,
        "verbose": False,
    }
    sink = io.StringIO()
    start = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(limit)
    try:
        with contextlib.redirect_stdout(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol, _ = problem.solve(**kwargs)
    except _Timeout:
        return time.perf_counter() - start, None, f"ana_cont stopped after {limit} s"
    except Exception as exc:  # report, do not hide: the row says what failed
        return time.perf_counter() - start, None, f"{type(exc).__name__}: {exc}"[:60]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - start
    return elapsed, np.asarray(sol.A_opt, dtype=float), ""


def cases(args):
    n_data, n_grid = args.size
    beta = 10.0
    iw = np.pi / beta * (2.0 * np.arange(20) + 1.0)
    out = [("ana_cont", "ana_cont 40 x 501", ana_cont_two_gaussians, {"iw": iw})]
    out.append(
        (
            "triqs",
            "triqs 2501 x 100",
            triqs_semicircle,
            {"tau": np.linspace(0, beta, 2501), "beta": beta},
        )
    )
    out.append(
        (
            "tau",
            f"tau {n_data} x {n_grid}",
            lambda: triqs_semicircle(n_tau=n_data, n_omega=n_grid),
            {"tau": np.linspace(0, beta, n_data), "beta": beta},
        )
    )
    out.append(
        ("laplace", f"laplace {n_data} x {n_grid}", lambda: laplace_problem(n_data, n_grid), {})
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="one repeat, no ana_cont run on the 2501-point case"
    )
    parser.add_argument(
        "--size",
        type=int,
        nargs=2,
        default=(200, 2000),
        metavar=("N", "n"),
        help="data and grid size of the big cases",
    )
    parser.add_argument("--repeat", type=int, default=3, help="maxent timings: best of R")
    parser.add_argument("--no-baseline", action="store_true", help="skip ana_cont")
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="stop an ana_cont run after this many seconds (default 60; 8 with --quick)",
    )
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    limit = args.limit or (8 if args.quick else 60)
    baseline = not args.no_baseline and ana_cont_available()

    rows = []
    todo = cases(args)
    with tqdm(total=len(todo) * len(RULES), desc="bench_fit", unit="fit") as bar:
        for case, label, build, extra in todo:
            prob = build()
            for rule in RULES:
                bar.set_postfix_str(f"{label}: {rule}")
                t_m, cpu_m, res, n_warn = time_maxent(prob, rule, repeat)
                row = [
                    label,
                    rule,
                    t_m,
                    cpu_m,
                    None,
                    res.alpha,
                    res.chi2 / prob.data.size,
                    relative_l1(prob, res.x),
                    None,
                    n_warn,
                    "",
                ]
                skip = args.quick and case == "triqs"
                if baseline and rule in ANA_CONT_RULES and case != "laplace" and not skip:
                    t_b, a_b, note = time_ana_cont(case, prob, extra, ANA_CONT_RULES[rule], limit)
                    row[4] = t_b
                    if a_b is not None:
                        row[8] = relative_l1(prob, a_b)
                    row[10] = note
                rows.append(row)
                bar.update()

    print(
        f"maxent {maxent.__version__}; baseline: "
        + (
            "ana_cont (maxent_svd, newton, no preblur)"
            if baseline
            else "none (--no-baseline)"
            if args.no_baseline
            else "none (ana_cont not installed; see the figures quoted in issue 13)"
        )
        + f"; best of {repeat}"
    )
    print(
        f"{'case':18s} {'rule':9s} {'maxent_s':>9s} {'cpu_s':>6s} {'baseline_s':>10s} "
        f"{'ratio':>7s} "
        f"{'alpha':>9s} {'chi2/N':>7s} {'L1':>7s} {'L1_base':>8s} {'warn':>4s}"
    )
    for label, rule, t_m, cpu_m, t_b, alpha, chi2n, l1, l1_b, n_warn, note in rows:
        tb = f"{t_b:10.2f}" if t_b is not None else f"{'-':>10s}"
        ratio = f"{t_b / t_m:7.1f}" if t_b is not None else f"{'-':>7s}"
        lb = f"{l1_b:8.4f}" if l1_b is not None else f"{'-':>8s}"
        print(
            f"{label:18s} {rule:9s} {t_m:9.3f} {cpu_m:6.2f} {tb} {ratio} {alpha:9.3g} "
            f"{chi2n:7.3f} {l1:7.4f} {lb} {n_warn:4d} {note}"
        )


if __name__ == "__main__":
    main()
