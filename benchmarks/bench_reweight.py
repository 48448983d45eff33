"""Time ``maxent.reweight`` against BME's own optimiser on BME's data, and at scale.

    python benchmarks/bench_reweight.py --bme DIR [--repeat R] [--load]
    python benchmarks/bench_reweight.py --scale [--frames 1e6] [--observables 1000] [--load]
    python benchmarks/bench_reweight.py --stream [--frames 1e8] [--observables 4]

**BME's data** (``tests/data/bme``): BME's tests one to four and seven (couplings at theta
0.5, NOEs with power 6, 3, 4, RDCs with a fitted scale at theta 100) solved by
``maxent.reweight`` and by BME's ``Reweight.fit`` (L-BFGS-B on its dual) in the same run,
from the same arrays (file parsing excluded from both), best of ``--repeat``.  BME is
imported from ``--bme DIR`` (a checkout of KULL-Centre/BME: ``BME.py`` and
``BME_tools.py``; never part of maxent) and runs in a scratch directory (it writes log
files).  BME's ``fit="scale"`` fails on numpy 2 (a TypeError formatting its log), so for
case seven BME is given the calculated RDCs pre-scaled exactly as its ``fit="scale"``
would.  ``ratio`` = BME_s / maxent_s; ``dchi2`` and ``dphi`` = maxent - BME.

**Scale** (``--scale``): ``--frames`` x ``--observables`` float32 ``calc`` (default 1e6 x
1e3, 4 GB) written once to a ``.npy`` file (``--scratch``) and passed to ``maxent.reweight``
memory-mapped (``np.load(..., mmap_mode="r")``): arrays beyond 512 MB are streamed to the
solver in row blocks, converted block by block.  The observables are 20 latent Gaussian
factors mixed and blurred by noise; the data are the averages of an exponential tilt along
three factors plus noise of the stated sigma.  Reported: wall time; peak anonymous memory
(``RssAnon``, sampled every 50 ms: the process's own memory; the mapped file's pages are
page cache, shown apart as ``RssFile``); the solves, Newton steps and passes over ``calc``
of the solver, the passes reweight makes itself (prior averages, statistics), the time of
each, and the time of one plain pass (reading the file and one float32 matrix-vector
product per block) for scale.

**Stream** (``--stream``): ``--frames`` frames (default 1e8) generated chunk by chunk by a
chunk source (nothing stored), ``--observables`` of them (default 4).

``--load`` keeps a second CPU-heavy process (a numpy matmul loop) running meanwhile.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import maxent

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "bme"


# ----------------------------------------------------------------------------- helpers
@contextlib.contextmanager
def cpu_load(active: bool) -> Iterator[None]:
    """A second CPU-heavy process (numpy matmul loop) while the block runs."""
    if not active:
        yield
        return
    code = "import numpy as np\na = np.random.rand(600, 600)\nwhile True:\n    a = a @ a / 600\n"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        time.sleep(1.0)
        yield
    finally:
        proc.terminate()
        proc.wait()


class MemoryPeak:
    """Peak RssAnon and RssFile of this process, sampled every 50 ms."""

    def __init__(self) -> None:
        self.anon = self.file = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("RssAnon:"):
                    self.anon = max(self.anon, int(line.split()[1]) * 1024)
                elif line.startswith("RssFile:"):
                    self.file = max(self.file, int(line.split()[1]) * 1024)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(0.05)

    def __enter__(self) -> MemoryPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - start)
    return best, out


# ----------------------------------------------------------------------------- BME's data
def bme_cases() -> list[dict[str, Any]]:
    def load(exp_file: str, calc_file: str) -> tuple[Any, np.ndarray]:
        exp = maxent.read_bme_experiment(DATA / exp_file)
        return exp, np.asarray(maxent.read_bme_calculated(DATA / calc_file).values)

    cpl = load("couplings_exp.dat", "couplings_calc.dat.zip")
    noe = load("NOE_exp.dat", "NOE_calc.dat.zip")
    rdc = load("RDC_TL.exp.dat", "RDC_TL.calc.dat.zip")
    return [
        {"case": "one: couplings", "data": cpl, "theta": 0.5, "power": None, "fit": None},
        {"case": "two: NOE p=6", "data": noe, "theta": 0.5, "power": 6, "fit": None},
        {"case": "three: NOE p=3", "data": noe, "theta": 0.5, "power": 3, "fit": None},
        {"case": "four: NOE p=4", "data": noe, "theta": 0.5, "power": 4, "fit": None},
        {"case": "seven: RDC scale", "data": rdc, "theta": 100.0, "power": None, "fit": "scale"},
    ]


def run_bme(bme: Any, case: dict[str, Any]) -> tuple[float, float, float]:
    """BME's Reweight.fit on the case's arrays (its own transforms: power, scale)."""
    exp, calc = case["data"]
    p = case["power"]
    e = np.column_stack([exp.targets, exp.sigma, np.zeros(exp.targets.size)])
    c = np.array(calc, dtype=np.float64)
    if p:
        e[:, 0], e[:, 1] = exp.targets**-p, p * exp.targets**-p * exp.sigma / exp.targets
        c = c**-p
    if case["fit"] == "scale":  # what BME's fit_and_scale does before it fails on numpy 2
        avg, w = c.mean(axis=0), 1 / exp.sigma**2
        c = c * (np.sum(w * avg * exp.targets) / np.sum(w * avg * avg))
    rew = bme.Reweight("bench")
    rew.load_array(list(exp.names), e, c)
    with contextlib.redirect_stdout(io.StringIO()):
        return tuple(float(v) for v in rew.fit(theta=case["theta"]))  # type: ignore[return-value]


def bench_bme(bme_dir: Path | None, repeat: int) -> None:
    bme = None
    if bme_dir is not None:
        sys.path.insert(0, str(bme_dir))
        import BME as bme  # noqa: N813 - BME's own module name

        os.chdir(tempfile.mkdtemp(prefix="bench_bme_"))  # BME writes <name>.log files
    print(f"{'case':18s} {'maxent_s':>9s} {'BME_s':>8s} {'ratio':>6s} {'chi2_before':>11s} "
          f"{'chi2_after':>10s} {'phi':>8s} {'dchi2':>9s} {'dphi':>9s} {'steps':>5s}")  # fmt: skip
    for case in bme_cases():
        exp, calc = case["data"]

        def ours(case: dict[str, Any] = case, exp: Any = exp, calc: Any = calc) -> Any:
            return maxent.reweight(calc, exp.targets, exp.sigma, theta=case["theta"],
                                   power=case["power"], fit=case["fit"])  # fmt: skip

        t_m, res = best_of(repeat, ours)
        steps = res.message.split("solves, ")[-1].split(" Newton")[0]
        line = (f"{case['case']:18s} {t_m:9.3f} ")  # fmt: skip
        if bme is None:
            print(line + f"{'-':>8s} {'-':>6s} {res.chi2_before:11.5f} {res.chi2_after:10.5f} "
                  f"{res.phi:8.5f} {'-':>9s} {'-':>9s} {steps:>5s}")  # fmt: skip
            continue
        t_b, ref = best_of(repeat, lambda case=case: run_bme(bme, case))
        print(line + f"{t_b:8.3f} {t_b / t_m:6.1f} {res.chi2_before:11.5f} {res.chi2_after:10.5f} "
              f"{res.phi:8.5f} {res.chi2_after - ref[1]:9.1e} {res.phi - ref[2]:9.1e} "
              f"{steps:>5s}")  # fmt: skip


# ----------------------------------------------------------------------------- scale
def synthetic_calc(path: Path, n: int, m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Write (once) float32 calc of n frames x m observables; return (targets, sigma)."""
    rng = np.random.default_rng(seed)
    k = 20
    mix = (rng.standard_normal((k, m)) / np.sqrt(k)).astype(np.float32)
    tilt = np.zeros(k)
    tilt[:3] = (0.4, -0.3, 0.2)
    rows = 1 << 16
    fresh = not path.exists()
    out = np.lib.format.open_memmap(path, mode="w+" if fresh else "r", dtype=np.float32,
                                    shape=(n, m))  # fmt: skip
    num, top, den = np.zeros(m), -np.inf, 0.0
    for a in range(0, n, rows):
        b = min(a + rows, n)
        g = np.random.default_rng([seed, a])
        lat = g.standard_normal((b - a, k)).astype(np.float32)
        if fresh:
            out[a:b] = lat @ mix + 0.5 * g.standard_normal((b - a, m)).astype(np.float32)
        log_w = lat @ tilt
        new_top = max(top, float(log_w.max()))
        scale = np.exp(top - new_top) if np.isfinite(top) else 0.0
        e = np.exp(log_w - new_top)
        num, den, top = num * scale + e @ out[a:b], den * scale + e.sum(), new_top
    if fresh:
        out.flush()
    del out
    sigma = np.full(m, 0.1)
    return num / den + sigma * rng.standard_normal(m), sigma


def plain_pass(path: Path) -> float:
    """Seconds for one read of the file with a float32 matrix-vector product per block."""
    calc = np.load(path, mmap_mode="r")
    x = np.ones(calc.shape[1], dtype=np.float32)
    start = time.perf_counter()
    rows = max(1024, (1 << 21) // calc.shape[1])
    for a in range(0, calc.shape[0], rows):
        np.asarray(calc[a : a + rows]) @ x
    return time.perf_counter() - start


def covariance_floor(path: Path) -> float:
    """Seconds of BLAS for one covariance pass (F^T diag(w) F in float64, n m^2 work),
    from one block timed and scaled to all the rows."""
    calc = np.load(path, mmap_mode="r")
    rows = max(1024, (1 << 21) // calc.shape[1])
    block = np.asarray(calc[:rows], dtype=np.float64)
    w = np.full(rows, 1.0 / rows)
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        (block * w[:, None]).T @ block
        best = min(best, time.perf_counter() - start)
    return best * calc.shape[0] / rows


class Tally:
    """Counts and times the solves and the reweighting's own passes."""

    def __init__(self) -> None:
        import maxent._reweight_fit as fit
        import maxent._reweight_frames as frames
        import maxent.reweighting as rw

        self.solves: list[tuple[float, int, int]] = []
        self.passes: list[float] = []
        solve, frame_pass = fit.solve, frames.frame_pass

        def timed_solve(*args: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            res = solve(*args, **kw)
            _ = res.covariance  # computed during the solve for streamed frames
            self.solves.append((time.perf_counter() - start, res.n_iter, res.n_passes))
            return res

        def timed_pass(*args: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            out = frame_pass(*args, **kw)
            self.passes.append(time.perf_counter() - start)
            return out

        fit.solve = timed_solve
        for module in (fit, rw, __import__("maxent._reweight_theta", fromlist=["x"])):
            module.frame_pass = timed_pass  # type: ignore[attr-defined]


def bench_scale(scratch: Path, n: int, m: int, theta: float, load: bool) -> None:
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"calc_{n}x{m}_float32.npy"
    start = time.perf_counter()
    targets, sigma = synthetic_calc(path, n, m)
    print(f"calc {n} x {m} float32 ({path.stat().st_size / 1e9:.1f} GB) ready in "
          f"{time.perf_counter() - start:.1f} s: {path}")  # fmt: skip
    tally = Tally()
    with cpu_load(load):
        one = min(plain_pass(path) for _ in range(2))
        cov_floor = covariance_floor(path)
        calc = np.load(path, mmap_mode="r")
        with MemoryPeak() as mem, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            res = maxent.reweight(calc, targets, sigma, theta=theta)
            wall = time.perf_counter() - start
    solve_s = sum(t for t, _, _ in tally.solves)
    print(f"reweight: {wall:.1f} s wall, peak RssAnon {mem.anon / 1e9:.2f} GB "
          f"(RssFile {mem.file / 1e9:.2f} GB, the mapped file), status {res.status}; "
          f"{len(caught)} warnings")  # fmt: skip
    print(f"  chi2 {res.chi2_before:.4f} -> {res.chi2_after:.4f}, phi {res.phi:.3f}, "
          f"Kish frames {res.effective_sample_size:.0f}")  # fmt: skip
    print(f"  solves: {len(tally.solves)}, {solve_s:.1f} s, Newton steps "
          f"{sum(s for _, s, _ in tally.solves)}, solver passes "
          f"{sum(p for _, _, p in tally.solves)}")  # fmt: skip
    print(f"  reweight's own passes: {len(tally.passes)}, {sum(tally.passes):.1f} s")
    print(f"  one plain pass (read + float32 matvec): {one:.2f} s; wall = {wall / one:.0f} "
          "plain passes")  # fmt: skip
    print(f"  BLAS floor of one covariance pass (n m^2 float64): {cov_floor:.1f} s; solver "
          f"passes x floor = {sum(p for _, _, p in tally.solves) * cov_floor:.0f} s")  # fmt: skip


def bench_stream(n: int, m: int, load: bool) -> None:
    rows = 1 << 18
    mix = np.random.default_rng(1).standard_normal((m, m)) / np.sqrt(m)

    def source() -> Iterator[np.ndarray]:
        for a in range(0, n, rows):
            g = np.random.default_rng([7, a])
            yield g.standard_normal((min(rows, n - a), m)) @ mix

    targets, sigma = np.full(m, 0.05), np.full(m, 0.02)
    with cpu_load(load), MemoryPeak() as mem:
        start = time.perf_counter()
        res = maxent.reweight(source, targets, sigma, theta=1.0)
        wall = time.perf_counter() - start
    print(f"stream {n:.0e} x {m}: {wall:.1f} s, peak RssAnon {mem.anon / 1e9:.2f} GB, "
          f"{res.status}; chi2 {res.chi2_before:.3f} -> {res.chi2_after:.3f}, "
          f"phi {res.phi:.3f}; {res.message}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--bme",
        type=Path,
        default=os.environ.get("BME_DIR"),
        help="directory with BME.py and BME_tools.py (KULL-Centre/BME)",
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", action="store_true", help="the frames x observables case")
    ap.add_argument("--stream", action="store_true", help="frames from a chunk source")
    ap.add_argument("--frames", type=float, default=None)
    ap.add_argument("--observables", type=int, default=None)
    ap.add_argument("--theta", type=float, default=100.0)
    ap.add_argument(
        "--scratch", type=Path, default=Path(tempfile.gettempdir()) / "maxent_bench_reweight"
    )
    ap.add_argument("--load", action="store_true", help="a second CPU-heavy process meanwhile")
    args = ap.parse_args()
    if args.scale:
        bench_scale(args.scratch, int(args.frames or 1e6), args.observables or 1000,
                    args.theta, args.load)  # fmt: skip
    elif args.stream:
        bench_stream(int(args.frames or 1e8), args.observables or 4, args.load)
    else:
        with cpu_load(args.load):
            bench_bme(args.bme, args.repeat)


if __name__ == "__main__":
    main()
