"""Time ``maxent.density`` on the cases of issue 20, against baselines in the same run.

    python benchmarks/bench_density.py [--load] [--quick] [--pymaxent DIR] [--batch N]

Cases (a table row each: ``case  maxent_s  baseline_s  ratio  residual  quad_err  L1
status``; ratio = baseline_s / maxent_s):

- ``cheb K``: K = 10, 30, 100, 300 Chebyshev moments on [0, 1] of a three-Gaussian density
  (L1 = distance to it); baseline: ``maxent.solve`` on a fixed 4000-node Gauss-Legendre
  grid with the Chebyshev features (what one writes by hand).
- ``power 40``: 40 raw power moments of the same density; baseline: ``maxent.solve`` with
  the raw powers on the same grid (its residual shows where double precision stalls).
- ``half-line 40``, ``real line 40``: 40 power moments of a two-Gamma and a two-Gaussian
  mixture (no baseline).
- ``2-D order 8`` (44 constraints) and ``3-D order 6`` (83), the largest cases of Abramov
  (Commun. Math. Sci. 8, 377, 2010), moments of smooth densities on the unit box; baseline:
  ``maxent.solve`` with the raw monomials on a fixed 100 x 100 / 40^3 tensor grid.
- ``batch ...``: ``--batch`` (default 10,000) four-moment problems at once, on the real line
  and on [0, inf) (moments of perturbed Gaussians and exponentials, :math:`e^{-P_4}`, as
  moment closures meet them) and on [0, 1] (Beta laws); the rate in solves per second;
  baseline: the same problems one ``maxent.density`` call at a time (a sample of 40,
  scaled).
- ``pymaxent ...`` (with ``--pymaxent DIR``, the directory holding PyMaxEnt's
  ``pymaxent.py``, used only here, never shipped): its 11 continuous gold cases, moments
  by ``scipy.integrate.quad`` as its generator makes them, each solved by PyMaxEnt's
  ``reconstruct`` (scipy ``root`` + ``quad``) and by ``maxent.density``; ``total`` sums them.

``--load`` keeps one CPU-bound numpy process running meanwhile; ``--quick`` times each case
once.  Times are the best of up to 3 runs (while under 2 s in all); the batch rows also
give the rate per CPU second of that run (steadier than the wall rate on a shared
machine).  Run it as installed (``pip install .``), not from a source tree.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.polynomial import chebyshev
from scipy import integrate, special, stats

import maxent

HOG = "import numpy as np\na = np.random.rand(400, 400)\nwhile True:\n    a = np.tanh(a @ a)\n"
ROWS: list[tuple[str, ...]] = []


CPU = {"last": math.nan}  # CPU seconds of the fastest run timed last


def best_time(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out, spent = math.inf, None, 0.0
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = run()
        took = time.perf_counter() - start
        if took < best:
            CPU["last"] = time.process_time() - start_cpu
        best, spent = min(best, took), spent + took
        if spent > 2.0:
            break
    return best, out


def time_maxent(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    """``best_time`` of a maxent call, keeping its CPU seconds for the row."""
    best, out = best_time(run, repeat)
    CPU["mine"] = CPU["last"]
    return best, out


def row(case: str, me: float, base: float | None, res: object, l1: float | None = None) -> None:
    """A table row; ``CPU["mine"]`` holds the CPU seconds of maxent's fastest run."""
    ratio = "-" if base is None else f"{base / me:.1f}"
    resid = getattr(res, "residual", float("nan"))
    quad = getattr(res, "quadrature_error", float("nan"))
    status = getattr(res, "status", str(res)[:40])
    ROWS.append(
        (
            case,
            f"{me:.3g}",
            f"{CPU['mine']:.3g}",
            "-" if base is None else f"{base:.3g}",
            ratio,
            f"{np.max(resid):.1e}",
            f"{np.max(quad):.1e}",
            "-" if l1 is None else f"{l1:.1e}",
            str(status if isinstance(status, str) else np.unique(status)),
        )
    )
    print("  ".join(f"{c:>12}" for c in ROWS[-1]), flush=True)


# -- 1-D on [0, 1] -----------------------------------------------------------------------------
GRID_X, GRID_W = special.roots_legendre(4000)
GRID_X, GRID_W = (GRID_X + 1) / 2, GRID_W / 2


def three_gaussians(x: np.ndarray) -> np.ndarray:
    g = stats.norm.pdf
    p = 0.3 * g(x, 0.25, 0.07) + 0.4 * g(x, 0.5, 0.05) + 0.3 * g(x, 0.75, 0.08)
    return p / np.sum(
        GRID_W
        * (0.3 * g(GRID_X, 0.25, 0.07) + 0.4 * g(GRID_X, 0.5, 0.05) + 0.3 * g(GRID_X, 0.75, 0.08))
    )


def interval_cases(repeat: int) -> None:
    p = three_gaussians(GRID_X)
    cheb = chebyshev.chebvander(2 * GRID_X - 1, 300)[:, 1:]
    for k in (10, 30, 100, 300):
        b = (GRID_W * p) @ cheb[:, :k]
        me, d = time_maxent(
            lambda b=b: maxent.density(b, support=(0, 1), basis="chebyshev"), repeat
        )
        base, _ = best_time(lambda b=b, k=k: maxent.solve(cheb[:, :k], b, prior=GRID_W), repeat)
        row(f"cheb {k}", me, base, d, float(np.sum(GRID_W * np.abs(d.pdf(GRID_X) - p))))
    powers = GRID_X[:, None] ** np.arange(1, 41)
    b = (GRID_W * p) @ powers
    me, d = time_maxent(lambda: maxent.density(b, support=(0, 1)), repeat)
    base, naive = best_time(lambda: maxent.solve(powers, b, prior=GRID_W), repeat)
    row("power 40", me, base, d, float(np.sum(GRID_W * np.abs(d.pdf(GRID_X) - p))))
    miss = np.max(np.abs(naive.moments / b - 1))
    print(
        f"{'':>12}  (baseline: raw powers reach moments to {miss:.1e} relative, "
        f"status {naive.status!r})"
    )


def infinite_cases(repeat: int) -> None:
    def gamma_moment(a: float, th: float, k: int) -> float:
        return th**k * math.exp(special.gammaln(a + k) - special.gammaln(a))

    half = np.array(
        [0.6 * gamma_moment(3.0, 0.5, k) + 0.4 * gamma_moment(8.0, 0.6, k) for k in range(1, 41)]
    )
    line = np.array(
        [
            0.5 * stats.norm(-1, 0.7).moment(k) + 0.5 * stats.norm(1.5, 0.9).moment(k)
            for k in range(1, 41)
        ]
    )
    for name, b, support in (
        ("half-line 40", half, (0, np.inf)),
        ("real line 40", line, (-np.inf, np.inf)),
    ):
        try:
            me, d = time_maxent(lambda b=b, s=support: maxent.density(b, support=s), repeat)
            row(name, me, None, d)
        except maxent.MaxEntError as exc:
            CPU["mine"] = math.nan
            row(name, math.nan, None, type(exc).__name__)


# -- boxes -------------------------------------------------------------------------------------
def box_cases(repeat: int) -> None:
    for dim, order, n in ((2, 8, 100), (3, 6, 40)):
        x, w = special.roots_legendre(n)
        x, w = (x + 1) / 2, w / 2
        grids = np.meshgrid(*([x] * dim), indexing="ij")
        weight = np.prod(np.meshgrid(*([w] * dim), indexing="ij"), axis=0)
        centre = np.array([0.4, 0.55, 0.6])[:dim]
        r2 = sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True))
        p = np.exp(-r2 / 0.06 + 0.8 * np.prod(grids, axis=0))
        p /= np.sum(weight * p)
        exps = [e for e in np.ndindex(*([order + 1] * dim)) if 0 < sum(e) <= order]
        mono = np.stack(
            [np.prod([g**i for g, i in zip(grids, e, strict=True)], axis=0).ravel() for e in exps],
            axis=1,
        )
        b = (weight.ravel() * p.ravel()) @ mono
        targets = dict(zip(exps, b.tolist(), strict=True))
        me, d = time_maxent(
            lambda t=targets, s=[(0, 1)] * dim: maxent.density(t, support=s), repeat
        )
        base, _ = best_time(
            lambda m=mono, b=b, w=weight: maxent.solve(m, b, prior=w.ravel()), repeat
        )
        row(f"{dim}-D order {order}", me, base, d)


# -- batches -----------------------------------------------------------------------------------
def batch_targets(n: int, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, tuple]:
    if kind == "real line":
        z = np.linspace(-12, 12, 4001)
        a1, a3 = rng.normal(0, 0.3, n), rng.normal(0, 0.05, n)
        a4, mu, sig = rng.uniform(0.01, 0.1, n), rng.normal(0, 2, n), rng.uniform(0.5, 2, n)
        logp = -(a1[:, None] * z + z**2 / 2 + a3[:, None] * z**3 + a4[:, None] * z**4)
        p = np.exp(logp - logp.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        x = mu[:, None] + sig[:, None] * z
        return np.stack([(p * x**k).sum(axis=1) for k in range(1, 5)], axis=1), (-np.inf, np.inf)
    if kind == "[0, 1]":
        m, s2 = rng.uniform(0.2, 0.8, n), rng.uniform(0.005, 0.03, n)
        law = stats.beta(m * (m * (1 - m) / s2 - 1), (1 - m) * (m * (1 - m) / s2 - 1))
        return np.stack([law.moment(k) for k in range(1, 5)], axis=1), (0, 1)
    y = np.linspace(0, 30, 6001)[1:]
    a2, a3 = rng.uniform(0.0, 0.5, n), rng.uniform(-0.05, 0.05, n)
    a4, scale = rng.uniform(0.005, 0.05, n), rng.uniform(0.5, 2, n)
    logp = -(y + a2[:, None] * y**2 + a3[:, None] * y**3 + a4[:, None] * y**4)
    p = np.exp(logp - logp.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    x = scale[:, None] * y
    return np.stack([(p * x**k).sum(axis=1) for k in range(1, 5)], axis=1), (0, np.inf)


def batch_cases(n: int, repeat: int) -> None:
    rng = np.random.default_rng(1)
    for kind in ("real line", "[0, 1]", "[0, inf)"):
        b, support = batch_targets(n, kind, rng)
        me, d = time_maxent(lambda b=b, s=support: maxent.density(b, support=s), repeat)
        cpu = CPU["mine"]
        sample = 40
        one, _ = best_time(
            lambda b=b[:sample], s=support: [maxent.density(r, support=s) for r in b], 1
        )
        row(f"batch {kind}", me, one * n / sample, d)
        print(
            f"{'':>12}  ({n / me:,.0f} solves/s, {n / cpu:,.0f} per CPU second; one at a "
            f"time {sample / one:,.0f}/s; {int(np.sum(d.converged))} of {n} converged)"
        )


# -- PyMaxEnt ----------------------------------------------------------------------------------
def pymaxent_cases(path: str, repeat: int) -> None:
    sys.path.insert(0, path)
    import pymaxent  # type: ignore[import-not-found]

    g = stats.norm.pdf
    two = lambda x: 0.5 * g(x, 0.25, 1 / 14) + 0.5 * g(x, 0.5, 1 / 20)  # noqa: E731
    three = lambda x: two(x) + 0.5 * g(x, 0.75, 1 / 20)  # noqa: E731
    lognormal = stats.lognorm(0.25, loc=0.2).pdf
    cases = {
        "C1": (lambda x: g(x, 1.0, 0.2), 3, (0, 2)),
        "C2": (two, 5, (0, 1)),
        "C3": (two, 10, (0, 1)),
        "C4": (three, 5, (0, 1)),
        "C5": (three, 13, (0, 1)),
        "C6a": (stats.beta(3, 9).pdf, 3, (0, 1)),
        "C6b": (stats.beta(3, 9).pdf, 5, (0, 1)),
        "C7a": (stats.beta(0.5, 0.5).pdf, 3, (0, 1)),
        "C7b": (stats.beta(0.5, 0.5).pdf, 5, (0, 1)),
        "C8a": (lognormal, 3, (0, 5)),
        "C8b": (lognormal, 5, (0, 5)),
    }
    total_me = total_base = 0.0
    for name, (f, k, bounds) in cases.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mu = np.array(
                [integrate.quad(lambda x, i=i, f=f: x**i * f(x), *bounds)[0] for i in range(k)]
            )
        me, d = time_maxent(
            lambda mu=mu, b=bounds: maxent.density(mu[1:] / mu[0], support=b), repeat
        )
        with contextlib.redirect_stdout(io.StringIO()):
            base, _ = best_time(
                lambda mu=mu, b=bounds: pymaxent.reconstruct(mu, bnds=list(b)), repeat
            )
        total_me, total_base = total_me + me, total_base + base
        row(f"pymaxent {name}", me, base, d)
    CPU["mine"] = math.nan
    row("pymaxent total", total_me, total_base, "all 11 cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", action="store_true", help="one CPU-bound process alongside")
    parser.add_argument("--quick", action="store_true", help="time each case once")
    parser.add_argument("--pymaxent", metavar="DIR", help="directory holding pymaxent.py")
    parser.add_argument("--batch", type=int, default=10_000, help="problems in each batch")
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    hog = subprocess.Popen([sys.executable, "-c", HOG]) if args.load else None
    try:
        print(
            f"maxent {maxent.__version__} from {Path(maxent.__file__).parent}"
            + (" (one CPU-bound process alongside)" if hog else "")
        )
        head = (
            "case",
            "maxent_s",
            "maxent_cpu",
            "baseline_s",
            "ratio",
            "residual",
            "quad_err",
            "L1",
            "status",
        )
        with warnings.catch_warnings():  # imports and caches, outside the timings
            warnings.simplefilter("ignore")
            maxent.density([0.3, 0.2], support=(0, 1), basis="chebyshev")
        print("  ".join(f"{c:>12}" for c in head))
        interval_cases(repeat)
        infinite_cases(repeat)
        box_cases(repeat)
        batch_cases(args.batch, repeat)
        if args.pymaxent:
            pymaxent_cases(args.pymaxent, repeat)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


if __name__ == "__main__":
    main()
