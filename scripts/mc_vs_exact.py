"""Monte Carlo and Wang-Landau against the exact 2D Ising model (L = 16 and 32).

    PYTHONPATH=. python3 scripts/mc_vs_exact.py [--sweeps N] [--wl-lnf X] [--sizes 16 32]

For each L: Metropolis and Wolff chains at T = 1.5, 2.269, 3.0 (``maxent.sample_sweep``)
and one Wang-Landau density of states (``maxent.wang_landau``, then
``maxent.temperature_sweep`` on it) give <E> and C, compared with the exact values of
``maxent.models.ising_2d_thermo`` (Kaufman's closed form, finite L); the column ``dev``
is (estimate - exact) / standard error.  For Wang-Landau the error of <E> and C comes
from the spread of the independent walks (each walk's own thermodynamics), and ln g is
compared with the exact spectrum of ``maxent.models.ising_2d_log_degeneracy`` after fixing
g(E_0) = 2.  Wall times are printed; the machine may be shared.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import maxent

TEMPERATURES = [1.5, 2.269, 3.0]


def mc_rows(side: int, sweeps: int, seed: int):
    model = maxent.IsingModel((side, side))
    exact = maxent.models.ising_2d_thermo(side, TEMPERATURES)
    n = side * side
    for sampler in ("metropolis", "wolff"):
        start = time.perf_counter()
        ds = maxent.sample_sweep(
            model,
            TEMPERATURES,
            sampler=sampler,
            n_sweeps=sweeps,
            n_equilibration=max(1000, sweeps // 10),
            seed=seed,
        )
        elapsed = time.perf_counter() - start
        for k, t in enumerate(TEMPERATURES):
            for name in ("internal_energy", "heat_capacity"):
                value = float(ds[name][k])
                err = float(ds[f"{name}_error"][k])
                ref = float(exact[f"{name}_per_site"][k]) * n
                yield (
                    f"L={side} {sampler}",
                    t,
                    name,
                    value,
                    err,
                    ref,
                    (value - ref) / err,
                    float(ds.autocorrelation_time_energy[k]),
                    elapsed,
                )


def wang_landau_rows(side: int, ln_f_final: float, walks: int, seed: int):
    model = maxent.IsingModel((side, side))
    start = time.perf_counter()
    dos = maxent.wang_landau(
        model, ln_f_final=ln_f_final, n_walks=walks, seed=seed, progress=False
    )
    elapsed = time.perf_counter() - start
    energies, log_g = maxent.models.ising_2d_log_degeneracy(side)
    same = np.array_equal(dos.energies, energies)
    if same:
        diff = dos.log_degeneracy - log_g
        max_fixed = float(
            np.max(np.abs((dos.log_degeneracy - dos.log_degeneracy[0]) - (log_g - log_g[0])))
        )
        ratio = float(np.max(np.abs(diff) / dos.log_degeneracy_error))
    else:
        max_fixed = ratio = np.nan
    print(
        f"\nWang-Landau L={side}: {walks} walks, ln_f_final={ln_f_final:g}, "
        f"{dos.n_sweeps} sweeps in {elapsed:.1f} s; energies as exact: {same}; "
        f"max |ln g - exact| with g(E_0)=2: {max_fixed:.4f}; max |dev|/error "
        f"(normalised to 2^N): {ratio:.2f}; largest error estimate "
        f"{float(np.max(dos.log_degeneracy_error)):.4f}"
    )
    sweep = maxent.temperature_sweep(dos, TEMPERATURES)
    exact = maxent.models.ising_2d_thermo(side, TEMPERATURES)
    # error bars: the spread of the walks' own thermodynamics
    per_walk = [
        maxent.temperature_sweep(
            maxent.EnergyLevels(dos.energies, log_degeneracy=lg), TEMPERATURES
        )
        for lg in dos.walk_log_degeneracy
    ]
    n = side * side
    for name in ("internal_energy", "heat_capacity"):
        spread = np.std([ds[name].values for ds in per_walk], axis=0, ddof=1) / np.sqrt(walks)
        for k, t in enumerate(TEMPERATURES):
            value = float(sweep[name][k])
            ref = float(exact[f"{name}_per_site"][k]) * n
            yield (
                f"L={side} wang-landau",
                t,
                name,
                value,
                float(spread[k]),
                ref,
                (value - ref) / float(spread[k]),
                np.nan,
                elapsed,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[16, 32])
    parser.add_argument("--sweeps", type=int, default=200_000)
    parser.add_argument("--wl-lnf", type=float, default=1e-6)
    parser.add_argument("--wl-walks", type=int, default=4)
    parser.add_argument("--wl-sizes", type=int, nargs="*", default=[16])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="run chains and walks on a LocalCluster of this many processes",
    )
    args = parser.parse_args()
    if args.workers:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=args.workers, threads_per_worker=1, dashboard_address=None
        )
        client = Client(cluster)
        print(f"dask LocalCluster: {args.workers} single-threaded worker processes")
    else:
        client = None
    try:
        _run(args)
    finally:
        if client is not None:
            client.close()
            cluster.close()


def _run(args) -> None:
    header = (
        f"{'case':22s} {'T':>6s} {'quantity':16s} {'estimate':>12s} {'stderr':>9s} "
        f"{'exact':>12s} {'dev':>6s} {'tau_E':>7s} {'time_s':>7s}"
    )
    print(header)
    rows = []
    for side in args.sizes:
        for row in mc_rows(side, args.sweeps, args.seed):
            rows.append(row)
            print(_fmt(row), flush=True)
    for side in args.wl_sizes:
        for row in wang_landau_rows(side, args.wl_lnf, args.wl_walks, args.seed):
            rows.append(row)
            print(_fmt(row), flush=True)
    if not rows:
        return
    devs = np.array([abs(r[6]) for r in rows])
    print(
        f"\n{np.sum(devs < 3)} of {devs.size} estimates within 3 standard errors of exact; "
        f"largest |dev| = {devs.max():.2f}"
    )


def _fmt(row):
    case, t, name, value, err, ref, dev, tau, elapsed = row
    return (
        f"{case:22s} {t:6.3f} {name:16s} {value:12.4f} {err:9.4f} {ref:12.4f} "
        f"{dev:6.2f} {tau:7.2f} {elapsed:7.1f}"
    )


if __name__ == "__main__":
    main()
