"""Finite-size scaling of the exact 2D Ising heat capacity (Kaufman 1949, Ferdinand & Fisher 1969).

Exact C(T) per site of periodic L x L lattices from Kaufman's closed form
(``maxent.models.ising_2d_thermo``), for L = 4, 8, 16, 32, 64 in one figure with
Onsager's infinite lattice and T_c marked; the peak position T_peak(L) and height
C_max(L) (found by a bounded scalar maximisation) for these and larger lattices, against
ln L, compared with the asymptotic slope (8/pi) K_c^2 of C_max per site.

Run:  PYTHONPATH=$PWD python3 scripts/ising_finite_size.py            (a few seconds)
      PYTHONPATH=$PWD python3 scripts/ising_finite_size.py --check    (also compare with
          temperature_sweep over the exact spectra, ising_2d(L); L = 64 takes ~30 s cold)
Writes ising_finite_size.nc and ising_finite_size.png (``--out`` sets the stem).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import xarray as xr
from scipy import optimize

import maxent
from maxent import models
from maxent.ising_thermo import CRITICAL_TEMPERATURE

T_C = CRITICAL_TEMPERATURE  # 2 / ln(1 + sqrt 2)
K_C = 1.0 / T_C
SLOPE = 8.0 / math.pi * K_C**2  # Ferdinand & Fisher: C_max/N ~ SLOPE ln L + const


def heat_capacity(side: float, temperatures: np.ndarray) -> np.ndarray:
    return models.ising_2d_thermo(side, temperatures).heat_capacity_per_site.values


def peak(side: int) -> tuple[float, float]:
    """(T_peak, C_max) per site of the L x L torus, by bounded maximisation."""
    grid = np.linspace(2.0, 3.2, 241)
    c = heat_capacity(side, grid)
    i = int(np.argmax(c))
    res = optimize.minimize_scalar(
        lambda t: -heat_capacity(side, np.array([t]))[0],
        bounds=(grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return float(res.x), float(-res.fun)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    ap.add_argument(
        "--peak-sizes", type=int, nargs="+", default=[4, 8, 16, 32, 64, 128, 256, 512, 1024]
    )
    ap.add_argument(
        "--check",
        action="store_true",
        help="compare with temperature_sweep over the exact spectra",
    )
    ap.add_argument("--out", default="ising_finite_size")
    args = ap.parse_args()

    t = np.linspace(1.0, 4.0, 1201)
    curves = np.array([heat_capacity(side, t) for side in args.sizes])
    onsager = heat_capacity(np.inf, t)
    peaks = np.array([peak(side) for side in args.peak_sizes])
    log_l = np.log(args.peak_sizes)
    fit_slope, fit_icept = np.polyfit(log_l[-4:], peaks[-4:, 1], 1)

    print(f"T_c = {T_C:.10f};  (8/pi) K_c^2 = {SLOPE:.6f}")
    print(f"{'L':>6} {'T_peak':>14} {'T_peak - T_c':>14} {'C_max/N':>12} {'dC_max/dlnL':>12}")
    for j, (side, (tp, cm)) in enumerate(zip(args.peak_sizes, peaks, strict=True)):
        d = "" if j == 0 else f"{(cm - peaks[j - 1, 1]) / (log_l[j] - log_l[j - 1]):12.6f}"
        print(f"{side:6d} {tp:14.10f} {tp - T_C:14.6e} {cm:12.8f} {d}")
    print(
        f"slope of C_max/N against ln L over L = {args.peak_sizes[-4]}..{args.peak_sizes[-1]}:"
        f" {fit_slope:.6f}  (Ferdinand & Fisher: {SLOPE:.6f})"
    )

    if args.check:
        for side in args.sizes:
            t0 = time.perf_counter()
            lv = models.ising_2d(side)
            t_spec = time.perf_counter() - t0
            sweep = maxent.temperature_sweep(lv, t)
            ds = models.ising_2d_thermo(side, t)
            worst = {
                name: float(
                    np.max(
                        np.abs(ds[f"{name}_per_site"].values * side**2 / sweep[name].values - 1.0)
                    )
                )
                for name in ("log_Z", "internal_energy", "heat_capacity", "entropy")
            }
            print(
                f"L = {side:3d}: spectrum in {t_spec:6.2f} s; max relative difference "
                "Kaufman closed form vs sweep over the spectrum, T = 1..4: "
                + ", ".join(f"{k} {v:.1e}" for k, v in worst.items())
            )

    ds = xr.Dataset(
        {
            "heat_capacity_per_site": (
                ("side", "temperature"),
                curves,
                {"long_name": "heat capacity per site", "units": "k_B"},
            ),
            "heat_capacity_per_site_onsager": (
                "temperature",
                onsager,
                {"long_name": "heat capacity per site, infinite lattice", "units": "k_B"},
            ),
            "peak_temperature": (
                "peak_side",
                peaks[:, 0],
                {"long_name": "temperature of the heat-capacity maximum", "units": "1"},
            ),
            "peak_heat_capacity_per_site": (
                "peak_side",
                peaks[:, 1],
                {"long_name": "maximum heat capacity per site", "units": "k_B"},
            ),
        },
        coords={
            "side": ("side", np.array(args.sizes), {"long_name": "lattice side L", "units": "1"}),
            "peak_side": (
                "peak_side",
                np.array(args.peak_sizes),
                {"long_name": "lattice side L", "units": "1"},
            ),
            "temperature": (
                "temperature",
                t,
                {"long_name": "temperature", "units": "1", "description": "in units of J / k_B"},
            ),
        },
        attrs={
            "title": "exact heat capacity of periodic L x L Ising lattices",
            "method": "Kaufman 1949 closed form (maxent.models.ising_2d_thermo)",
            "critical_temperature": T_C,
            "ferdinand_fisher_slope": SLOPE,
            "fitted_slope": float(fit_slope),
            "maxent_version": maxent.__version__,
        },
    )
    ds.to_netcdf(f"{args.out}.nc")
    plot(ds, fit_slope, fit_icept, f"{args.out}.png")
    print(f"wrote {args.out}.nc and {args.out}.png")


def plot(ds: xr.Dataset, fit_slope: float, fit_icept: float, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx, cx) = plt.subplots(
        1, 3, figsize=(15, 4.6), gridspec_kw={"width_ratios": [1.5, 1, 1]}
    )
    t = ds.temperature.values
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, ds.side.size))
    for side, color in zip(ds.side.values, colors, strict=True):
        ax.plot(t, ds.heat_capacity_per_site.sel(side=side), color=color, label=f"L = {side}")
    ax.plot(t, ds.heat_capacity_per_site_onsager, "k--", lw=1, label=r"L = $\infty$ (Onsager)")
    ax.axvline(T_C, color="0.5", lw=0.8, ls=":")
    ax.text(T_C + 0.03, 0.05, r"$T_c$", color="0.3")
    ax.set(
        xlabel=r"$T$ [units of $J/k_B$]",
        ylabel=r"$C / N$ [$k_B$]",
        ylim=(0, 3.0),
        title=r"exact heat capacity of the periodic $L\times L$ Ising model",
    )
    ax.legend(frameon=False)

    sides = ds.peak_side.values
    log_l = np.log(sides)
    shown = np.isin(sides, ds.side.values)
    bx.plot(
        log_l[shown], ds.peak_heat_capacity_per_site[shown], "o", color="C0", label="L in figure"
    )
    bx.plot(
        log_l[~shown],
        ds.peak_heat_capacity_per_site[~shown],
        "s",
        mfc="none",
        color="C0",
        label="larger L",
    )
    x = np.linspace(log_l.min(), log_l.max(), 50)
    bx.plot(x, fit_icept + SLOPE * x, "k--", lw=1, label=rf"slope $(8/\pi)K_c^2$ = {SLOPE:.4f}")
    bx.set(
        xlabel=r"$\ln L$",
        ylabel=r"$C_{\max} / N$ [$k_B$]",
        title=f"peak height (fitted slope {fit_slope:.4f})",
    )
    bx.legend(frameon=False)

    cx.plot(1.0 / sides[shown], ds.peak_temperature[shown], "o", color="C1")
    cx.plot(1.0 / sides[~shown], ds.peak_temperature[~shown], "s", mfc="none", color="C1")
    cx.axhline(T_C, color="0.5", lw=0.8, ls=":")
    cx.text(0.06, T_C + 0.003, r"$T_c = 2/\ln(1+\sqrt{2})$", color="0.3")
    cx.set(
        xlabel=r"$1/L$", ylabel=r"$T_{\mathrm{peak}}$ [units of $J/k_B$]", title="peak position"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


if __name__ == "__main__":
    main()
