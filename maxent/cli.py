"""The ``maxent-sweep`` command: a temperature sweep written to netCDF and PNG.

With no arguments it sweeps the exactly enumerated 4 x 4 periodic Ising lattice
(J = k_B = 1) over the default temperature range and writes ``maxent_sweep.nc`` and
``maxent_sweep.png`` in the current directory.  The default range follows the spectrum:
from an eighth of the smallest level spacing to three times the infinite-temperature
spread of the energy, :math:`3\\sigma_\\infty(E)` (unbounded models: 1/8 to 3 times their
energy scale), in the user's units (kelvin when the energies carry a unit).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .errors import InvalidInputError, MaxEntError

__all__ = ["default_temperature_range", "main"]

#: model -> (options it uses, energy-scale symbol for axis labels)
MODELS: dict[str, tuple[tuple[str, ...], str]] = {
    "ising2d": (("L",), "J"),
    "ising-chain": (("N",), "J"),
    "two-level": (("gap",), "Δ"),
    "equally-spaced": (("N", "gap"), "ε"),
    "harmonic": (("gap",), "ħω"),
    "rotor": (("gap",), "B"),
    "paramagnet": (("N", "gap"), "μB"),
    "einstein": (("N", "gap"), "ħω"),
    "atom": (("element",), ""),
}
_UNBOUNDED = ("harmonic", "rotor", "einstein")
_DEFAULTS = {"L": 4, "N": 10, "gap": 1.0, "element": "Fe"}
#: largest probability table (temperatures x levels) the command keeps for the heat map
_MAX_TABLE = 5_000_000


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="maxent-sweep",
        description="Canonical-ensemble temperature sweep of a built-in model or a level "
        "file; writes a netCDF file and a PNG figure.  Temperatures are in kelvin when the "
        "energies carry a unit, else in the energy unit (k_B = 1); the thermodynamics are "
        "totals for the whole system.",
        allow_abbrev=False,  # --n-temperatures is never typed as --n, nor --N as --n
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _system_options(p.add_argument_group("the system"))
    _temperature_options(p.add_argument_group("the temperatures"))
    _output_options(p.add_argument_group("the outputs"))
    return p


def _system_options(g: Any) -> None:
    src = g.add_mutually_exclusive_group()
    src.add_argument(
        "--model", choices=tuple(MODELS), default=None, help="built-in system (default ising2d)"
    )
    src.add_argument(
        "--levels",
        metavar="FILE",
        type=Path,
        help="level table (.csv or .json; see data/README.md)",
    )
    g.add_argument(
        "--L",
        type=int,
        default=None,
        help="ising2d: side of the L x L lattice, exact for any L >= 2 (default 4)",
    )
    g.add_argument(
        "--N",
        type=int,
        default=None,
        help="ising-chain, paramagnet: spins; equally-spaced: levels; einstein: "
        "oscillators (default 10)",
    )
    g.add_argument(
        "--gap",
        type=float,
        default=None,
        help="energy scale of two-level (gap), equally-spaced (spacing), "
        "harmonic and einstein (hbar omega), rotor (B), paramagnet (mu B); "
        "default 1",
    )
    g.add_argument("--element", default=None, help="atom: H, C, O, Na or Fe (default Fe)")
    g.add_argument(
        "--units",
        default=None,
        help="'natural' (k_B = 1) or an energy unit (eV, meV, cm^-1, kJ/mol, K, "
        "...; T in kelvin); default: the levels' own unit",
    )


def _temperature_options(g: Any) -> None:
    g.add_argument(
        "--tmin",
        type=float,
        default=None,
        help="lowest temperature; default: an eighth of the smallest level spacing "
        "(harmonic, rotor, einstein: of the energy scale --gap), in temperature units",
    )
    g.add_argument(
        "--tmax",
        type=float,
        default=None,
        help="highest temperature; default: three times the spread of the energy at "
        "infinite temperature, 3 sigma(E) (harmonic, rotor, einstein: 3 --gap)",
    )
    g.add_argument(
        "--n-temperatures",
        type=int,
        default=200,
        metavar="COUNT",
        help="number of temperatures from --tmin to --tmax (default 200)",
    )
    g.add_argument(
        "--spacing",
        choices=("log", "linear"),
        default="log",
        help="temperature grid spacing (default log)",
    )


def _output_options(g: Any) -> None:
    g.add_argument(
        "--out",
        type=Path,
        default=Path("maxent_sweep.nc"),
        help="netCDF output, *.nc (default maxent_sweep.nc)",
    )
    g.add_argument(
        "--png",
        type=Path,
        default=Path("maxent_sweep.png"),
        help="PNG figure, *.png (default maxent_sweep.png)",
    )
    g.add_argument("--dpi", type=int, default=200, help="PNG resolution (default 200)")


def _check_options(args: argparse.Namespace) -> None:
    """Refuse options the chosen system does not use, and fill in the defaults."""
    if args.levels is not None:
        used: tuple[str, ...] = ()
        what = "--levels"
    else:
        args.model = args.model or "ising2d"
        used = MODELS[args.model][0]
        what = f"--model {args.model}"
    for opt in _DEFAULTS:
        if getattr(args, opt) is not None and opt not in used:
            raise InvalidInputError(f"--{opt} does not apply to {what}.")
        if getattr(args, opt) is None:
            setattr(args, opt, _DEFAULTS[opt])
    for opt in ("tmin", "tmax"):
        v = getattr(args, opt)
        if v is not None and not (np.isfinite(v) and v > 0):
            raise InvalidInputError(f"--{opt} must be finite and > 0; got {v}.")
        if v is not None and v < np.finfo(np.float64).tiny:
            raise InvalidInputError(
                f"--{opt} must be at least {np.finfo(np.float64).tiny:.4g}, so that beta = 1/T "
                f"is finite; got {v}."
            )
    if args.tmin is not None and args.tmax is not None and not args.tmin < args.tmax:
        raise InvalidInputError(
            f"need --tmin < --tmax; got --tmin {args.tmin}, --tmax {args.tmax}."
        )
    if args.n_temperatures < 2:
        raise InvalidInputError(f"--n-temperatures must be >= 2; got {args.n_temperatures}.")
    if args.dpi < 1:
        raise InvalidInputError(f"--dpi must be >= 1; got {args.dpi}.")
    if args.out.suffix.lower() != ".nc":
        raise InvalidInputError(f"--out writes netCDF and must end in .nc; got {args.out}.")
    if args.png.suffix.lower() != ".png":
        raise InvalidInputError(f"--png writes a PNG and must end in .png; got {args.png}.")
    if args.out.resolve() == args.png.resolve():
        raise InvalidInputError(f"--out and --png are the same file {args.out}.")


def build_levels(args: argparse.Namespace, max_temperature: float | None = None) -> Any:
    """The EnergyLevels the command-line arguments describe.

    Unbounded models are truncated for ``max_temperature`` (in the model's energy unit).
    """
    from . import models
    from .levels import EnergyLevels

    if args.levels is not None:
        path = Path(args.levels)
        if not path.is_file():
            raise InvalidInputError(f"--levels {path}: no such file.")
        if path.suffix.lower() == ".json":
            return EnergyLevels.from_json(path)
        return EnergyLevels.from_csv(path)
    t_max = max_temperature if max_temperature is not None else args.tmax
    builders: dict[str, Callable[[], Any]] = {
        "ising2d": lambda: models.ising_2d(args.L),
        "ising-chain": lambda: models.ising_chain(args.N),
        "two-level": lambda: models.two_level(args.gap),
        "equally-spaced": lambda: models.equally_spaced(args.N, args.gap),
        "harmonic": lambda: models.harmonic_oscillator(args.gap, max_temperature=t_max),
        "rotor": lambda: models.rigid_rotor(args.gap, max_temperature=t_max),
        "paramagnet": lambda: models.paramagnet(args.N, args.gap),
        "einstein": lambda: models.einstein_solid(args.N, args.gap, max_temperature=t_max),
        "atom": lambda: models.atom(args.element),
    }
    return builders[args.model]()


def _round2(x: float) -> float:
    return float(f"{x:.2g}")


def default_temperature_range(levels: Any, k_b: float = 1.0) -> tuple[float, float]:
    r"""Temperatures that show a spectrum's thermal physics: from 1/8 of the smallest level
    spacing to :math:`3\sigma_\infty(E)` (the energy spread at :math:`T = \infty`), divided
    by ``k_b`` (energy unit per temperature unit), rounded to two digits.

    Examples
    --------
    >>> from maxent import cli, models
    >>> cli.default_temperature_range(models.two_level(1.0))
    (0.12, 1.5)
    """
    e = np.unique(levels.energies)
    if e.size < 2:
        raise InvalidInputError("the levels have a single energy: give --tmin and --tmax.")
    log_g = levels.log_degeneracy
    w = np.exp(log_g - np.max(log_g))
    w /= w.sum()
    centre = levels.energies - w @ levels.energies
    size = float(np.max(np.abs(centre))) or 1.0  # scaled: E = 1e300 has no square
    spread = 3.0 * size * float(np.sqrt(w @ ((centre / size) ** 2)))
    low = float(np.min(np.diff(e))) / 8.0
    low = max(low, spread * 1e-4)
    return _round2(low / k_b), _round2(spread / k_b)


def _temperature_grid(args: argparse.Namespace) -> tuple[Any, Any]:
    """The levels and the temperatures, the defaults filled in from the spectrum."""
    from ._units import resolve_units

    if args.model in _UNBOUNDED and args.levels is None:
        k_b = resolve_units(args.units, "1").boltzmann_constant  # energy unit per T unit
        lo, hi = _round2(args.gap / 8.0 / k_b), _round2(3.0 * args.gap / k_b)
        tmin = args.tmin if args.tmin is not None else lo
        tmax = args.tmax if args.tmax is not None else max(hi, 2 * tmin)
        if not tmin < tmax:
            raise InvalidInputError(f"need --tmin < --tmax; got --tmin {tmin}, --tmax {tmax}.")
        levels = build_levels(args, max_temperature=tmax * k_b)  # in the energy unit
    else:
        levels = build_levels(args)
        us = resolve_units(args.units, levels.unit)
        lo, hi = default_temperature_range(levels, us.boltzmann_constant)
        tmin = args.tmin if args.tmin is not None else lo
        tmax = args.tmax if args.tmax is not None else max(hi, 2 * tmin)
        if not tmin < tmax:
            raise InvalidInputError(f"need --tmin < --tmax; got --tmin {tmin}, --tmax {tmax}.")
    grid = np.geomspace if args.spacing == "log" else np.linspace
    return levels, grid(tmin, tmax, args.n_temperatures)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stage(path: Path, option: str, write: Callable[[str], None]) -> str:
    """Write through ``write`` to a temporary file beside ``path``; its name, or a maxent
    error naming ``option`` and ``path`` (never the temporary file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise InvalidInputError(f"{option} {path}: {exc.strerror or exc}.") from None
    try:
        write(tmp)
        # mkstemp makes the file private (0600): give it the mode a plain open() would
        # (the umask's), or keep the mode of the file it replaces
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
    except Exception as exc:
        os.unlink(tmp)
        if not isinstance(exc, (OSError, RuntimeError, MaxEntError)):
            raise
        reason = getattr(exc, "strerror", None) or str(exc).replace(tmp, str(path))
        raise InvalidInputError(f"{option} {path}: cannot write it ({reason}).") from None
    return tmp


def _write_outputs(
    outputs: Sequence[tuple[Path, str, Callable[[str], None]]],
) -> list[Path]:
    """Write every output or none: each to a temporary file first, then all renamed into
    place.  Returns the outputs that replaced an existing file."""
    staged: list[tuple[Path, str, str]] = []
    try:
        for path, option, write in outputs:
            staged.append((path, option, _stage(path, option, write)))
        replaced = [path for path, _, _ in staged if path.exists()]
        done: list[Path] = []
        for path, option, tmp in staged:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                note = f"; replaced already: {', '.join(map(str, done))}" if done else ""
                raise InvalidInputError(f"{option} {path}: {exc.strerror or exc}{note}.") from None
            done.append(path)
        return replaced
    finally:
        for _, _, tmp in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)


def heat_capacity_summary(ds: Any) -> str:
    """'heat capacity maximum C = ... at T = ...' for an interior maximum, else where it is."""
    c = np.asarray(ds["heat_capacity"].values)
    t = np.asarray(ds["temperature"].values)
    tu = str(ds["temperature"].attrs.get("units", ""))
    unit = "" if tu == "1" else f" {tu}"
    i = int(np.nanargmax(c))
    if 0 < i < c.size - 1 and c[i] > c[0] and c[i] > c[-1]:
        return f"heat capacity maximum C = {c[i]:.4g} k_B at T = {t[i]:.4g}{unit}"
    edge = "lowest" if i == 0 else "highest"
    return (
        f"heat capacity has no interior maximum in this range: it is largest at the "
        f"{edge} temperature, C = {c[i]:.4g} k_B at T = {t[i]:.4g}{unit}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sweep command; returns the exit status."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_sweep
    from .sweep import temperature_sweep

    args = _parser().parse_args(argv)
    try:
        _check_options(args)
        start = time.perf_counter()
        levels, temperatures = _temperature_grid(args)
        table = temperatures.size * levels.n_levels <= _MAX_TABLE
        ds = temperature_sweep(levels, temperatures, units=args.units, probability=table)
        ds.attrs["command"] = "maxent-sweep " + " ".join(sys.argv[1:] if argv is None else argv)
        if args.levels is None and MODELS[args.model][1]:
            ds.attrs["energy_scale"] = MODELS[args.model][1]
        fig = plot_sweep(ds, populations=table)
        try:
            replaced = _write_outputs(
                (
                    (args.out, "--out", ds.to_netcdf),
                    (args.png, "--png", lambda tmp: fig.savefig(tmp, dpi=args.dpi, format="png")),
                )
            )
        finally:
            plt.close(fig)
    except (MaxEntError, OSError) as exc:
        print(f"maxent-sweep: error: {exc}", file=sys.stderr)
        return 2
    tu = ds["temperature"].attrs["units"]
    tu = "k_B = 1, T in energy units" if tu == "1" else tu
    t = ds["temperature"].values
    states = (
        f"{levels.n_states:g}"
        if np.isfinite(levels.n_states)
        else f"exp({levels.log_n_states:.6g})"
    )
    print(
        f"{ds.attrs['system']}: {levels.n_levels} levels, {states} states; "
        f"{t.size} temperatures from {t[0]:g} to {t[-1]:g} ({tu})"
    )
    print(f"{heat_capacity_summary(ds)} ({time.perf_counter() - start:.2f} s)")
    if not table:
        print(
            f"population map left out: {t.size} x {levels.n_levels} probabilities would "
            f"need {t.size * levels.n_levels * 8 / 1e9:.1f} GB"
        )
    for path in (args.out, args.png):
        print(f"{'replaced' if path in replaced else 'wrote'} {path.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
