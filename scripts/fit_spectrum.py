"""Recover a two-peak spectrum seen through a Laplace kernel, with every penalty and alpha rule.

    python scripts/fit_spectrum.py [--output-dir DIR] [--seed N] [--noise REL]

The truth A(w) (two Gaussian peaks, w in eV, A in 1/eV) is seen through
G(tau) = int exp(-tau w) A(w) dw at N = 60 imaginary times tau (in 1/eV) with Gaussian
noise of relative size ``--noise``; the grid has n = 200 points (trapezoid weights).
Writes ``fit_spectrum.nc`` (one row per fit, plus the whole flagship fit, maximum entropy
with ana_cont's chi2kink rule, in the group ``entropy_chi2kink``) and ``fit_spectrum.png``
(reconstructions against the truth, data fit, alpha scan).  The table gives chi2/N of
each fit beside that of the truth itself (the noise drawn): a fit well below it fits the
noise (the classic evidence rule here), one well above it misses structure.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

import maxent  # noqa: E402
from maxent.fit_plots import plot_alpha_scan, plot_data_fit, plot_reconstruction  # noqa: E402

FLAGSHIP = "entropy/chi2kink"
OMEGA, SPECTRUM = r"$\omega$ [eV]", r"$A(\omega)$ [1/eV]"
TAU, DATA = r"$\tau$ [1/eV]", r"$G(\tau)$"

FITS = [
    ("entropy", "chi2kink"),
    ("entropy", "classic"),
    ("entropy", "bryan"),
    ("entropy", "historic"),
    ("entropy", "lcurve"),
    ("entropy", "linefit"),
    ("entropy", "gcv"),
    ("l2", "classic"),
    ("l2", "gcv"),
    ("l1", "historic"),
    ("l1", "lcurve"),
    ("elastic_net", "historic"),
    ("elastic_net", "gcv"),
    ("nonneg", "lcurve"),
    ("nonneg", np.inf),
]


def synthetic_problem(seed: int, noise: float):
    """tau [1/eV], w [eV], dw, kernel (dw applied), data G(tau), sigma, truth A(w) [1/eV]."""
    rng = np.random.default_rng(seed)
    w = np.linspace(0.0, 8.0, 200)
    dw = np.full(w.size, w[1] - w[0])
    dw[[0, -1]] /= 2
    tau = np.linspace(0.0, 5.0, 60)
    truth = np.exp(-((w - 1.0) ** 2) / (2 * 0.25**2)) + 0.5 * np.exp(-((w - 4.0) ** 2) / 1.0)
    kernel = np.exp(-np.outer(tau, w)) * dw
    exact = kernel @ truth
    sigma = noise * exact.max() * np.ones(tau.size)
    data = exact + sigma * rng.standard_normal(tau.size)
    return tau, w, dw, kernel, data, sigma, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path("."))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise", type=float, default=1e-4)
    args = parser.parse_args()
    args.output_dir.mkdir(parents=True, exist_ok=True)

    tau, w, dw, kernel, data, sigma, truth = synthetic_problem(args.seed, args.noise)
    windows = [(0.0, 2.5), (2.5, 8.0)]
    true_integrals = [float(np.sum((dw * truth)[(w >= lo) & (w <= hi)])) for lo, hi in windows]
    results = {}
    chi2_truth = float(np.sum(((data - kernel @ truth) / sigma) ** 2))
    print(
        f"N = {tau.size} data; chi2/N of the truth itself (the noise drawn): "
        f"{chi2_truth / tau.size:.2f}"
    )
    print(
        f"{'penalty':12s} {'rule':9s} {'alpha':>10s} {'chi2/N':>8s} {'N_good':>7s} "
        f"{'L2 err':>7s} {'time_s':>7s}  window integrals (truth {true_integrals[0]:.3f}, "
        f"{true_integrals[1]:.3f})"
    )
    for penalty, rule in FITS:
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", maxent.ConvergenceWarning)
            res = maxent.fit(
                kernel,
                data,
                sigma,
                penalty=penalty,
                alpha=rule,
                grid=w,
                grid_weights=dw,
                windows=windows,
            )
        elapsed = time.perf_counter() - start
        err = np.sqrt(np.sum(dw * (res.x - truth) ** 2) / np.sum(dw * truth**2))
        name = f"{penalty}/{res.alpha_rule if rule != np.inf else 'inf'}"
        results[name] = res
        note = "" if not caught else f"  [warning: {caught[0].message}]"
        errs = ", ".join(
            f"{v:.3f}±{e:.3f}" if np.isfinite(e) else f"{v:.3f}"
            for v, e in zip(res.window_integrals, res.window_errors, strict=True)
        )
        if not np.all(np.isfinite(res.window_errors)):
            errs += "  (errors not available: no posterior)"
        print(
            f"{penalty:12s} {str(rule):9s} {res.alpha:10.3g} {res.chi2 / tau.size:8.2f} "
            f"{res.n_good:7.2f} {err:7.3f} {elapsed:7.2f}  {errs}{note}"
        )

    names = list(results)
    ds = xr.Dataset(
        {
            "solution": (
                ("fit", "grid"),
                np.array([results[k].x for k in names]),
                {"long_name": "reconstructed spectrum A(w)", "units": "1/eV"},
            ),
            "solution_error": (
                ("fit", "grid"),
                np.array([results[k].x_error for k in names]),
                {"long_name": "posterior std of A(w) (NaN: none)", "units": "1/eV"},
            ),
            "alpha": (
                "fit",
                [results[k].alpha for k in names],
                {"long_name": "regularisation weight", "units": "1"},
            ),
            "chi2": (
                "fit",
                [results[k].chi2 for k in names],
                {"long_name": "chi squared", "units": "1"},
            ),
            "n_good": (
                "fit",
                [results[k].n_good for k in names],
                {"long_name": "number of good measurements", "units": "1"},
            ),
            "window_integral": (
                ("fit", "window"),
                np.array([results[k].window_integrals for k in names]),
                {"long_name": "integral of A over the window", "units": "1"},
            ),
            "truth": ("grid", truth, {"long_name": "true spectrum", "units": "1/eV"}),
            "data": ("tau", data, {"long_name": "G(tau) with noise", "units": "1"}),
            "sigma": ("tau", sigma, {"long_name": "noise std", "units": "1"}),
        },
        coords={
            "fit": ("fit", names, {"long_name": "penalty/alpha rule", "units": "1"}),
            "grid": ("grid", w, {"long_name": "frequency w", "units": "eV"}),
            "tau": ("tau", tau, {"long_name": "imaginary time", "units": "1/eV"}),
            "window": (
                "window",
                [f"[{lo}, {hi}]" for lo, hi in windows],
                {"long_name": "integration window in w", "units": "1"},
            ),
        },
        attrs={
            "maxent_version": maxent.__version__,
            "seed": args.seed,
            "noise": args.noise,
            "kernel": "exp(-tau w) dw",
        },
    )
    nc_path = args.output_dir / "fit_spectrum.nc"
    ds.to_netcdf(nc_path)
    results[FLAGSHIP].to_xarray().to_netcdf(nc_path, mode="a", group="entropy_chi2kink")

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    ax = axes[0, 0]
    for i, name in enumerate(
        (
            FLAGSHIP,
            "entropy/classic",
            "entropy/bryan",
            "entropy/historic",
            "entropy/lcurve",
            "entropy/gcv",
        )
    ):
        res = results[name]
        plot_reconstruction(
            res,
            ax=ax,
            label=f"{name} (alpha={res.alpha:.3g})",
            band=i == 0,
            default_model=i == 0,
            grid_name=OMEGA,
            x_name=SPECTRUM,
        )
    ax.plot(w, truth, "k--", lw=1.5, label="truth")
    ax.set_ylim(-0.2, 1.6)
    ax.legend(fontsize="small")
    ax.set_title("maximum entropy: alpha rules (band: chi2kink, pointwise ±1 sigma)")
    ax = axes[0, 1]
    for name in (
        "l2/classic",
        "l1/historic",
        "elastic_net/historic",
        "nonneg/lcurve",
        "nonneg/inf",
    ):
        res = results[name]
        ax.plot(w, res.x, label=f"{name} (alpha={res.alpha:.3g})")
    ax.plot(w, results[FLAGSHIP].x, lw=2, color="C0", alpha=0.5, label=FLAGSHIP)
    ax.plot(w, truth, "k--", lw=1.5, label="truth")
    ax.set_ylim(-0.6, 2.0)
    ax.set_xlabel(OMEGA)
    ax.set_ylabel(SPECTRUM)
    ax.set_title("other penalties")
    ax.legend(fontsize="small")
    sub = axes[1, 0].get_subplotspec().subgridspec(2, 1, height_ratios=(3, 1), hspace=0.05)
    axes[1, 0].remove()
    top = fig.add_subplot(sub[0])
    bottom = fig.add_subplot(sub[1], sharex=top)
    plot_data_fit(results[FLAGSHIP], coords=tau, ax=(top, bottom), coord_name=TAU, data_name=DATA)
    top.set_yscale("log")
    top.set_title(f"{FLAGSHIP}: data and fit")
    plot_alpha_scan(results[FLAGSHIP], ax=axes[1, 1])
    axes[1, 1].set_title(r"entropy: $\chi^2$ and evidence against $\alpha$")
    fig.tight_layout()
    png_path = args.output_dir / "fit_spectrum.png"
    fig.savefig(png_path, dpi=110)
    print(f"wrote {nc_path} and {png_path}")


if __name__ == "__main__":
    main()
