"""Pairwise and Potts fits: time, memory and agreement with independent codes.

    PYTHONPATH=. python3 benchmarks/bench_pairwise.py [--quick] [--plmc PATH] [--load]
        [--skip ising,stream,dhfr,scale] [--converged]

Four parts, each printing ``case  maxent_s  baseline_s  ratio  ...``:

- ``ising``: inverse Ising, N = 15, 30, 60 spins, 1e5 samples (2e4 with ``--quick``) of an
  SK-like model (h ~ N(0, 0.2^2), J ~ N(0, (0.5/sqrt N)^2)) drawn by heat-bath chains.
  maxent's pseudo-likelihood against the asymmetric pseudo-likelihood as N logistic
  regressions (scikit-learn, lbfgs, symmetrised), and Boltzmann learning; rms error of
  the couplings against the truth.
- ``stream``: ``maxent.solve`` on ``features.pairwise(n)`` streamed (chunks generated on
  every pass) against the same matrix in memory, n = 14, 16, 18 (the target: within 2x).
- ``dhfr``: plmc's DHFR example (tests/data/DHFR.a2m.xz, focus DYR_ECOLI, 3616 sequences x
  159 columns, ``l2=(0.01, 16)``, 80% reweighting, gaps missing).  maxent on plmc's
  L-BFGS path (``precondition=False``) stopped after 100 iterations as ``plmc -m 100``
  is (and with ``--converged`` to tolerance 1e-3, preconditioned); with ``--plmc``,
  plmc itself (``-le 16 -lh 0.01 -m 100 -g -f DYR_ECOLI``, OpenMP on every core) timed
  side by side.  Spearman correlation and top-L/2 overlap with plmc's reference scores
  (tests/data/DHFR_plmc.couplings.xz, plmc -m 100) and between the fits.
- ``scale``: L = 300 sites, 1e4 sequences, q = 21 (synthetic: site profiles plus 300
  planted pairs copying a permuted state), float32, tolerance 1e-3, 80% reweighting; time
  and peak memory of the fit in a child process, and how many planted pairs are among
  the 300 top scores; with ``--plmc``, plmc on the same data (``-m 100``).

``--load`` runs a CPU-bound process beside every timing (the measurements are meant
under load).  Threads: maxent uses ``MAXENT_NUM_THREADS`` (default: every core).
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

import maxent
from maxent import _potts_kernels as kern

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


@contextmanager
def load(on: bool) -> Iterator[None]:
    """A CPU-bound child process for the duration (when ``on``)."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if on else None
    try:
        yield
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


# -- ising ---------------------------------------------------------------------------------
def ising_samples(n: int, n_samples: int, rng: np.random.Generator) -> tuple:
    h = rng.normal(0.0, 0.2, n)
    couplings = np.triu(rng.normal(0.0, 0.5 / np.sqrt(n), (n, n)), 1)
    couplings = couplings + couplings.T
    iu = np.triu_indices(n, 1)
    sign = np.array([-1.0, 1.0])
    fields, pair = h[:, None] * sign, couplings[iu][:, None, None] * np.outer(sign, sign)
    codes = rng.integers(0, 2, (500, n)).astype(np.int8)
    table = kern.pair_table(n)
    kern.gibbs_sweeps(codes, fields, pair, table, 1000, 1)
    out = []
    while len(out) * 500 < n_samples:
        kern.gibbs_sweeps(codes, fields, pair, table, 10, len(out) + 2)
        out.append(2 * codes.astype(int) - 1)
    return np.concatenate(out)[:n_samples], couplings


def logistic_baseline(s: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    n = s.shape[1]
    couplings = np.zeros((n, n))
    for i in range(n):
        rest = np.delete(np.arange(n), i)
        clf = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=1000)
        clf.fit(s[:, rest], s[:, i])
        couplings[i, rest] = clf.coef_[0] / 2.0  # P(s_i | rest) ~ exp(2 s_i theta_i)
    return 0.5 * (couplings + couplings.T)


def part_ising(quick: bool, busy: bool) -> None:
    n_samples = 20_000 if quick else 100_000
    rng = np.random.default_rng(3)
    print(f"\n[ising] {n_samples} samples; rms error of J against the truth")
    print(
        f"{'case':8s} {'maxent_s':>9s} {'baseline_s':>10s} {'ratio':>6s} {'boltzmann_s':>11s} "
        f"{'rmsJ_pl':>8s} {'rmsJ_base':>9s} {'rmsJ_bl':>8s}"
    )
    for n in (15, 30, 60):
        s, couplings = ising_samples(n, n_samples, rng)
        iu = np.triu_indices(n, 1)

        def err(c: np.ndarray, couplings: np.ndarray = couplings, iu: tuple = iu) -> float:
            return float(np.sqrt(np.mean((c - couplings)[iu] ** 2)))

        with load(busy):
            pl, t_pl = timed(lambda s=s: maxent.fit_pairwise(s, method="pseudolikelihood"))
            bl, t_bl = timed(lambda s=s: maxent.fit_pairwise(s, method="boltzmann", seed=0))
            base, t_base = timed(lambda s=s: logistic_baseline(s))
        print(
            f"N={n:<6d} {t_pl:9.2f} {t_base:10.2f} {t_base / t_pl:6.1f} {t_bl:11.2f} "
            f"{err(pl.to_values()[1]):8.4f} {err(base):9.4f} {err(bl.to_values()[1]):8.4f}"
        )


# -- stream --------------------------------------------------------------------------------
def part_stream(busy: bool) -> None:
    print("\n[stream] solve on features.pairwise(n): streamed chunks against the matrix in memory")
    print(f"{'case':8s} {'maxent_s':>9s} {'baseline_s':>10s} {'ratio':>6s} {'newton_steps':>12s}")
    rng = np.random.default_rng(0)
    for n in (14, 16, 18):
        fs = maxent.features.pairwise(n)
        mat = fs.to_numpy()
        iu = np.triu_indices(n, 1)
        theta = np.concatenate([rng.normal(0, 0.3, n), rng.normal(0, 0.3, iu[0].size)])
        lw = mat @ theta
        p = np.exp(lw - lw.max())
        targets = (p / p.sum()) @ mat
        with load(busy):
            best_mem = best_stream = np.inf
            for _ in range(3):
                res, t = timed(lambda mat=mat, b=targets: maxent.solve(mat, b))
                best_mem = min(best_mem, t)
                res_s, t = timed(lambda fs=fs, b=targets: maxent.solve(fs, b, names=fs.names))
                best_stream = min(best_stream, t)
        print(
            f"n={n:<6d} {best_stream:9.2f} {best_mem:10.2f} {best_stream / best_mem:6.2f} "
            f"{res_s.n_iter:>6d}/{res.n_iter:<5d}"
        )


# -- dhfr ----------------------------------------------------------------------------------
def top(scores: np.ndarray, k: int) -> set[int]:
    return set(np.argsort(-scores)[:k].tolist())


def compare(a: np.ndarray, b: np.ndarray, k: int) -> str:
    return f"{spearmanr(a, b).statistic:.5f} {len(top(a, k) & top(b, k)):4d}/{k}"


def run_plmc(plmc: str, args: list[str], alignment: Path) -> tuple[np.ndarray, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scores"
        cmd = [plmc, "-c", str(out), *args, str(alignment)]
        env = {**os.environ, "OMP_NUM_THREADS": str(os.cpu_count())}
        _, t = timed(lambda: subprocess.run(cmd, check=True, capture_output=True, env=env))
        return np.loadtxt(out, usecols=5), t


def part_dhfr(plmc: str | None, busy: bool, converged: bool) -> None:
    ali = maxent.read_alignment(
        DATA / "DHFR.a2m.xz", focus="DYR_ECOLI", alphabet=maxent.PROTEIN_ALPHABET
    )
    with lzma.open(DATA / "DHFR_plmc.couplings.xz", "rt") as fh:
        reference = np.loadtxt(fh, usecols=5)
    n = len(ali.sequences[0])
    iu, k = np.triu_indices(n, 1), n // 2
    print(f"\n[dhfr] {ali}; Spearman / top-L/2 overlap against plmc's reference (plmc -m 100)")
    print(f"{'case':28s} {'seconds':>8s} {'iter':>5s} {'vs reference':>18s}")
    kwargs = {
        "alphabet": maxent.PROTEIN_ALPHABET,
        "missing": "-",
        "l2": (0.01, 16.0),
        "reweight": 0.8,
        "method": "pseudolikelihood",
    }
    cases = [("maxent as plmc -m 100", {"max_iter": 100, "precondition": False})]
    if converged:
        cases.append(("maxent tol=1e-3", {"tol": 1e-3}))
    with load(busy):
        rows = []
        for label, extra in cases:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", maxent.ConvergenceWarning)
                fit, t = timed(
                    lambda extra=extra: maxent.fit_pairwise(ali.sequences, **kwargs, **extra)
                )
            rows.append((label, t))
            s = fit.coupling_scores()[iu]
            print(f"{label:28s} {t:8.1f} {fit.n_iter:5d} {compare(s, reference, k):>18s}")
        if plmc:
            with tempfile.NamedTemporaryFile("w", suffix=".a2m", delete=False) as fh:
                with lzma.open(DATA / "DHFR.a2m.xz", "rt") as src:
                    fh.write(src.read())
            scores, t = run_plmc(
                plmc,
                ["-le", "16", "-lh", "0.01", "-m", "100", "-g", "-f", "DYR_ECOLI"],
                Path(fh.name),
            )
            os.unlink(fh.name)
            print(
                f"{'plmc -m 100 (baseline)':28s} {t:8.1f} {100:5d} "
                f"{compare(scores, reference, k):>18s}"
            )
            print(f"ratio plmc / maxent (100 iterations each): {t / rows[0][1]:.2f}")


# -- scale ---------------------------------------------------------------------------------
ALPHABET = maxent.PROTEIN_ALPHABET


def synthetic_family(n_sites: int, n_seqs: int, seed: int) -> tuple[list[str], list[tuple]]:
    rng = np.random.default_rng(seed)
    q = len(ALPHABET)
    profiles = rng.dirichlet(np.full(q, 0.5), n_sites)
    cum = profiles.cumsum(axis=1)
    codes = (rng.random((n_seqs, n_sites, 1)) > cum[None]).sum(axis=2).clip(0, q - 1)
    pairs = set()
    while len(pairs) < n_sites:
        i, j = sorted(rng.choice(n_sites, 2, replace=False).tolist())
        if j - i > 5:
            pairs.add((i, j))
    for i, j in sorted(pairs):
        perm = rng.permutation(q)
        copy = rng.random(n_seqs) < 0.7
        codes[copy, j] = perm[codes[copy, i]]
    letters = np.array(list(ALPHABET))
    return ["".join(row) for row in letters[codes]], sorted(pairs)


CHILD = """
import json, resource, sys, time, numpy as np, maxent
seqs = json.load(open(sys.argv[1]))
t = time.perf_counter()
fit = maxent.fit_pairwise(seqs, alphabet=maxent.PROTEIN_ALPHABET, l2=(0.01, 16.0),
    reweight=0.8, dtype=np.float32, tol=1e-3, method="pseudolikelihood")
t = time.perf_counter() - t
np.save(sys.argv[2], fit.coupling_scores())
use = resource.getrusage(resource.RUSAGE_SELF)
peak, cpu = use.ru_maxrss / 1024**2, use.ru_utime + use.ru_stime
print(json.dumps({"seconds": t, "cpu_seconds": cpu, "peak_gb": peak, "n_iter": fit.n_iter,
                  "message": fit.message}))
"""


def part_scale(quick: bool, plmc: str | None, busy: bool) -> None:
    n_sites, n_seqs = (120, 4000) if quick else (300, 10_000)
    seqs, pairs = synthetic_family(n_sites, n_seqs, 0)
    print(f"\n[scale] L = {n_sites}, {n_seqs} sequences, q = 21, float32, tol = 1e-3")
    print(
        f"{'case':28s} {'seconds':>8s} {'cpu_s':>8s} {'peak_GB':>8s} {'iter':>5s} "
        f"{'planted in top L':>17s}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "seqs.json", Path(tmp) / "scores.npy"
        data.write_text(json.dumps(seqs))
        with load(busy):
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, str(data), str(out)],
                check=True,
                capture_output=True,
                text=True,
                env=os.environ,
            )
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        scores = np.load(out)
        iu = np.triu_indices(n_sites, 1)
        best = np.argsort(-scores[iu])[:n_sites]
        found = len({(int(iu[0][b]), int(iu[1][b])) for b in best} & set(pairs))
        print(
            f"{'maxent pseudo-likelihood':28s} {info['seconds']:8.1f} {info['cpu_seconds']:8.1f} "
            f"{info['peak_gb']:8.2f} "
            f"{info['n_iter']:5d} {found:8d}/{len(pairs)}"
        )
        if plmc:
            fasta = Path(tmp) / "family.fasta"
            fasta.write_text("".join(f">s{k}\n{s}\n" for k, s in enumerate(seqs)))
            with load(busy):
                plmc_scores, t = run_plmc(plmc, ["-le", "16", "-lh", "0.01", "-m", "100"], fasta)
            top_plmc = np.argsort(-plmc_scores)[:n_sites]
            found = len({(int(iu[0][b]), int(iu[1][b])) for b in top_plmc} & set(pairs))
            print(
                f"{'plmc -m 100 (baseline)':28s} {t:8.1f} {'':>8s} {'':>8s} {100:5d} "
                f"{found:8d}/{len(pairs)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--load", action="store_true", help="a CPU-bound process beside")
    parser.add_argument("--plmc", help="path of a plmc binary to time side by side")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip")
    parser.add_argument(
        "--converged", action="store_true", help="dhfr: also fit DHFR to tolerance 1e-3"
    )
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    print(
        f"maxent {maxent.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"MAXENT_NUM_THREADS={os.environ.get('MAXENT_NUM_THREADS', 'unset')}, "
        f"load={'on' if args.load else 'off'}"
    )
    if "ising" not in skip:
        part_ising(args.quick, args.load)
    if "stream" not in skip:
        part_stream(args.load)
    if "dhfr" not in skip:
        part_dhfr(args.plmc, args.load, args.converged)
    if "scale" not in skip:
        part_scale(args.quick, args.plmc, args.load)


if __name__ == "__main__":
    main()
