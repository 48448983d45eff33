"""The ``maxent-reweight`` command: BME data files in, weights, statistics and a figure out.

::

    maxent-reweight --exp couplings_exp.dat --calc couplings_calc.dat.zip --theta 2 \\
        --validate NOE_exp.dat NOE_calc.dat.zip --out weights.nc

reads BME's file formats (:func:`maxent.read_bme_experiment`,
:func:`maxent.read_bme_calculated`; several ``--exp``/``--calc`` pairs are fitted
together), reweights with :func:`maxent.reweight` and writes the result's Dataset
(weights, averages, statistics in the attributes, validation statistics too) to
``--out``, a PNG (theta scan and the data before and after) next to it, and a summary
on standard output.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidInputError, MaxEntError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from ._version import __version__

    p = argparse.ArgumentParser(
        prog="maxent-reweight",
        description="Reweight simulation frames to experimental data (BME's file formats "
        "and conventions); writes the weights and statistics (netCDF) and a PNG.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--exp", action="append", required=True, type=Path, metavar="FILE",
                   help="experimental data ('# DATA=... [BOUND=UPPER|LOWER]' header, then "
                   "label value sigma); repeat for several data sets")  # fmt: skip
    p.add_argument("--calc", action="append", required=True, type=Path, metavar="FILE",
                   help="calculated data, one line per frame (label, values); plain or "
                   "zipped; one per --exp, in the same order")  # fmt: skip
    p.add_argument("--theta", required=True,
                   help="a positive number, 'cv' (cross-validation) or an alpha rule: "
                   "lcurve, chi2kink, linefit, historic, gcv")  # fmt: skip
    p.add_argument("--fit", default=None,
                   choices=("scale", "scale+offset", "joint scale", "joint scale+offset"),
                   help="nuisance scale (and offset) of the calculated data")  # fmt: skip
    p.add_argument(
        "--prior",
        type=Path,
        default=None,
        metavar="FILE",
        help="initial frame weights, one per line (last column is read)",
    )
    p.add_argument(
        "--validate",
        nargs=2,
        action="append",
        default=[],
        type=Path,
        metavar=("EXP", "CALC"),
        help="data to predict, not fitted (repeatable)",
    )
    p.add_argument("--out", type=Path, default=Path("weights.nc"),
                   help="netCDF output, *.nc (default weights.nc)")  # fmt: skip
    p.add_argument("--png", type=Path, default=None,
                   help="PNG figure (default: --out with .png)")  # fmt: skip
    return p


def _theta(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _read_pair(exp_path: Path, calc_path: Path) -> tuple[Any, Any]:
    from ._bme_files import read_bme_calculated, read_bme_experiment

    exp = read_bme_experiment(exp_path)
    calc = read_bme_calculated(calc_path, names=None)
    if calc.shape[1] != len(exp.names):
        raise InvalidInputError(
            f"{calc_path} has {calc.shape[1]} values per frame but {exp_path} has "
            f"{len(exp.names)} data."
        )
    return exp, calc.values


def _load(args: argparse.Namespace) -> dict[str, Any]:
    """The reweight arguments from the --exp/--calc pairs (observables side by side)."""
    if len(args.exp) != len(args.calc):
        raise InvalidInputError(
            f"give one --calc per --exp; got {len(args.exp)} --exp and {len(args.calc)} --calc."
        )
    pairs = [_read_pair(e, c) for e, c in zip(args.exp, args.calc, strict=True)]
    frames = {c.shape[0] for _, c in pairs}
    if len(frames) != 1:
        raise InvalidInputError(f"the --calc files hold different numbers of frames: {frames}.")
    kw: dict[str, Any] = {
        "calc": np.hstack([c for _, c in pairs]),
        "targets": np.concatenate([e.targets for e, _ in pairs]),
        "sigma": np.concatenate([e.sigma for e, _ in pairs]),
        "bounds": [e.bounds for e, _ in pairs for _ in e.names],
        "power": [e.power for e, _ in pairs for _ in e.names],
        "names": [n for e, _ in pairs for n in e.names],
    }
    if all(p is None for p in kw["power"]):
        kw["power"] = None
    if args.prior is not None:
        try:
            w0 = np.loadtxt(args.prior, ndmin=2)[:, -1]
        except (OSError, ValueError) as exc:
            raise InvalidInputError(
                f"--prior {args.prior}: cannot read weights ({exc})."
            ) from None
        kw["prior"] = w0
    return kw


def _figure(res: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._reweight_plot import plot_theta_scan

    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.2), layout="constrained")
    plot_theta_scan(res, ax=left)
    k = np.arange(len(res.names))
    right.errorbar(k, res.targets, res.sigma, fmt="o", color="k", ms=3, label="experiment")
    right.plot(k, res.averages_before, "x", color="C1", label="prior")
    right.plot(k, res.averages_after, "+", color="C0", ms=8, label="reweighted")
    right.set_xlabel("observable")
    right.set_ylabel("value")
    right.set_title(rf"$\chi^2$ {res.chi2_before:.3g} $\to$ {res.chi2_after:.3g}, "
                    rf"$\phi$ = {res.phi:.3g}", fontsize="medium")  # fmt: skip
    right.legend(fontsize="small", loc="best")
    fig.savefig(path, dpi=150)
    plt.close(fig)


def _validate(res: Any, pairs: list[list[Path]], ds: Any) -> list[str]:
    lines = []
    for exp_path, calc_path in pairs:
        exp, calc = _read_pair(exp_path, calc_path)
        pr = res.predict(calc, exp.targets, exp.sigma, power=exp.power, bounds=exp.bounds)
        tag = exp_path.stem
        for field in ("chi2", "rmsd", "violations"):
            for when in ("before", "after"):
                value = getattr(pr, f"{field}_{when}")
                ds.attrs[f"validation_{tag}_{field}_{when}"] = value
        lines.append(
            f"validation {exp_path.name}: chi2 {pr.chi2_before:.4f} -> {pr.chi2_after:.4f}, "
            f"RMSD {pr.rmsd_before:.4f} -> {pr.rmsd_after:.4f}, violations "
            f"{pr.violations_before} -> {pr.violations_after}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    from .reweighting import reweight

    args = _parser().parse_args(argv)
    png = args.png if args.png is not None else args.out.with_suffix(".png")
    try:
        if args.out.suffix.lower() != ".nc":
            raise InvalidInputError(f"--out writes netCDF and must end in .nc; got {args.out}.")
        start = time.perf_counter()
        res = reweight(**_load(args), theta=_theta(args.theta), fit=args.fit)
        ds = res.to_xarray()
        lines = _validate(res, args.validate, ds)
        ds.attrs["command"] = "maxent-reweight " + " ".join(sys.argv[1:] if argv is None else argv)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        ds.to_netcdf(args.out)
        _figure(res, png)
    except (MaxEntError, OSError) as exc:
        print(f"maxent-reweight: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{len(res.weights)} frames, {len(res.names)} data; theta = {res.theta:.4g} "
        f"({res.theta_rule}); {res.status}"
    )
    print(
        f"chi2 {res.chi2_before:.4f} -> {res.chi2_after:.4f}; phi = {res.phi:.4f}; "
        f"effective frames (Kish) {res.effective_sample_size:.1f} "
        f"({time.perf_counter() - start:.2f} s)"
    )
    for line in lines:
        print(line)
    print(f"wrote {args.out.resolve()}")
    print(f"wrote {png.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
