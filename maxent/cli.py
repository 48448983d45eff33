"""The ``maxent-sweep`` command: a temperature sweep written to netCDF and PNG.

With no arguments it sweeps the exactly enumerated 4 x 4 periodic Ising lattice from
T = 0.5 to 10 (J = k_B = 1) and writes ``maxent_sweep.nc`` and ``maxent_sweep.png`` in the
current directory.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import MaxEntError

__all__ = ["build_levels", "main"]

MODELS = ("ising2d", "ising-chain", "two-level", "equally-spaced", "harmonic", "rotor",
          "paramagnet", "einstein", "atom")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="maxent-sweep",
        description="Canonical-ensemble temperature sweep of a built-in model or a level "
                    "file; writes a netCDF file and a PNG figure.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--model", choices=MODELS, default="ising2d", help="built-in system")
    src.add_argument("--levels", metavar="FILE", type=Path,
                     help="level table (.csv or .json; see data/README.md)")
    p.add_argument("--L", type=int, default=4,
                   help="side of the L x L Ising lattice (exact, any L >= 2)")
    p.add_argument("--N", type=int, default=10,
                   help="spins (ising-chain, paramagnet), levels (equally-spaced) or "
                        "oscillators (einstein)")
    p.add_argument("--gap", type=float, default=1.0,
                   help="energy scale: gap, spacing, hbar omega, B, or mu B")
    p.add_argument("--element", default="Fe", help="atom for --model atom (H, C, O, Na, Fe)")
    p.add_argument("--units", default=None,
                   help="'natural' (k_B = 1) or eV, J, cm-1, K (T in kelvin); default: "
                        "the levels' own unit")
    p.add_argument("--tmin", type=float, default=None,
                   help="lowest temperature (default 0.5, or 1000 K for atoms)")
    p.add_argument("--tmax", type=float, default=None,
                   help="highest temperature (default 10, or 10000 K for atoms)")
    p.add_argument("--n", type=int, default=200, help="number of temperatures")
    p.add_argument("--spacing", choices=("log", "linear"), default="log",
                   help="temperature grid spacing")
    p.add_argument("--out", type=Path, default=Path("maxent_sweep.nc"), help="netCDF output")
    p.add_argument("--png", type=Path, default=Path("maxent_sweep.png"), help="PNG figure")
    p.add_argument("--dpi", type=int, default=200, help="PNG resolution")
    return p


def build_levels(args: argparse.Namespace):
    """The EnergyLevels the command-line arguments describe."""
    from . import models
    from .levels import EnergyLevels

    if args.levels is not None:
        if args.levels.suffix.lower() == ".json":
            return EnergyLevels.from_json(args.levels)
        return EnergyLevels.from_csv(args.levels)
    m, t_max = args.model, args.tmax
    return {
        "ising2d": lambda: models.ising_2d(args.L),
        "ising-chain": lambda: models.ising_chain(args.N),
        "two-level": lambda: models.two_level(args.gap),
        "equally-spaced": lambda: models.equally_spaced(args.N, args.gap),
        "harmonic": lambda: models.harmonic_oscillator(args.gap, max_temperature=t_max),
        "rotor": lambda: models.rigid_rotor(args.gap, max_temperature=t_max),
        "paramagnet": lambda: models.paramagnet(args.N, args.gap),
        "einstein": lambda: models.einstein_solid(args.N, args.gap, max_temperature=t_max),
        "atom": lambda: models.atom(args.element),
    }[m]()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sweep command; returns the exit status."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_sweep
    from .sweep import temperature_sweep

    args = _parser().parse_args(argv)
    kelvin_default = args.levels is None and args.model == "atom"
    if args.tmin is None:
        args.tmin = 1000.0 if kelvin_default else 0.5
    if args.tmax is None:
        args.tmax = 10000.0 if kelvin_default else 10.0
    try:
        if not (0 < args.tmin < args.tmax) or args.n < 2:
            raise MaxEntError(f"need 0 < --tmin < --tmax and --n >= 2; got --tmin "
                              f"{args.tmin}, --tmax {args.tmax}, --n {args.n}.")
        start = time.perf_counter()
        levels = build_levels(args)
        grid = np.geomspace if args.spacing == "log" else np.linspace
        ds = temperature_sweep(levels, grid(args.tmin, args.tmax, args.n), units=args.units)
        ds.attrs["command"] = "maxent-sweep " + " ".join(sys.argv[1:] if argv is None
                                                         else argv)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        ds.to_netcdf(args.out)
        fig = plot_sweep(ds)
        args.png.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.png, dpi=args.dpi)
        plt.close(fig)
    except (MaxEntError, OSError) as exc:
        print(f"maxent-sweep: error: {exc}", file=sys.stderr)
        return 2
    tu = ds["temperature"].attrs["units"]
    tu = "k_B = 1, T in energy units" if tu == "1" else tu
    c = ds["heat_capacity"]
    i = int(np.nanargmax(c.values))
    print(f"{ds.attrs['system']}: {levels.n_levels} levels, {levels.n_states:g} states; "
          f"{args.n} temperatures from {args.tmin:g} to {args.tmax:g} ({tu})")
    print(f"heat capacity maximum C = {float(c[i]):.4g} k_B at T = "
          f"{float(ds.temperature[i]):.4g} ({time.perf_counter() - start:.2f} s)")
    print(f"wrote {args.out.resolve()}")
    print(f"wrote {args.png.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
