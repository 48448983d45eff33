"""Matplotlib views of a temperature sweep (matplotlib is imported only when plotting).

:func:`plot_sweep` draws U, S, C and F against T (and, by default, the level populations
as a heat map); :func:`plot_populations` draws the heat map alone.  Labels and units come
from the Dataset's ``long_name`` and ``units`` attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InvalidInputError

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_populations", "plot_sweep"]

_PANELS = (
    ("internal_energy", "U"),
    ("entropy", "S"),
    ("heat_capacity", "C"),
    ("free_energy", "F"),
)


def _unit_text(units: str) -> str:
    if units in ("1", ""):
        return ""
    if units == "k_B":
        return r" [$k_B$]"
    if units == "cm-1":
        return r" [cm$^{-1}$]"
    return f" [{units}]"


def _label(da: Any, symbol: str) -> str:
    words = str(da.attrs.get("long_name", da.name)).split(" = ")[0].split()
    name = " ".join(words[:-1] if len(words) > 1 and words[-1] == symbol else words)
    return f"{name[0].upper()}{name[1:]} ${symbol}$" + _unit_text(str(da.attrs.get("units", "")))


def _check(ds: Any) -> None:
    missing = [v for v in ("probability", "internal_energy", "entropy", "heat_capacity",
                           "free_energy") if v not in getattr(ds, "data_vars", {})]
    if missing:
        raise InvalidInputError(
            f"`ds` must be a Dataset from maxent.temperature_sweep; missing {missing}."
        )


def _temperature_axis(ds: Any) -> tuple[np.ndarray, bool, str]:
    """Finite temperatures to plot, whether a log axis suits them, and the axis label."""
    t = np.asarray(ds["temperature"].values, dtype=np.float64)
    keep = np.isfinite(t)
    pos = t[keep & (t > 0)]
    log = bool(np.all(t[keep] >= 0) and pos.size > 1 and pos.max() / pos.min() >= 10)
    if log:
        keep &= t > 0                                  # T = 0 has no place on a log axis
    units = str(ds["temperature"].attrs.get("units", ""))
    return keep, log, "Temperature $T$" + _unit_text(units)


def plot_populations(ds: xr.Dataset, *, ax: Axes | None = None, floor: float = 1e-6) -> Axes:
    """Heat map of the level populations against temperature.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep from :func:`maxent.temperature_sweep`.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    floor : float, default 1e-6
        Lowest population on the logarithmic colour scale (smaller ones share its colour).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InvalidInputError
        If ``ds`` is not a sweep Dataset.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    _check(ds)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    keep, log, t_label = _temperature_axis(ds)
    t = ds["temperature"].values[keep]
    order = np.argsort(t)
    t = t[order]
    p = np.asarray(ds["probability"].values)[keep][order]
    energy = np.asarray(ds["energy"].values) if "energy" in ds.coords else \
        np.arange(p.shape[1], dtype=float)
    levels = np.argsort(energy, kind="stable")
    p = p[:, levels]
    n = p.shape[1]
    # cell edges: geometric/arithmetic midpoints in T, level index on the vertical axis
    if t.size > 1:
        mid = np.sqrt(t[1:] * t[:-1]) if log else 0.5 * (t[1:] + t[:-1])
        first = t[0] ** 2 / mid[0] if log else 2 * t[0] - mid[0]
        last = t[-1] ** 2 / mid[-1] if log else 2 * t[-1] - mid[-1]
        x_edges = np.concatenate([[first], mid, [last]])
    else:
        x_edges = np.array([t[0] * 0.9, t[0] * 1.1]) if t.size else np.array([0.0, 1.0])
    mesh = ax.pcolormesh(x_edges, np.arange(n + 1) - 0.5, np.clip(p.T, floor, 1.0),
                         norm=LogNorm(vmin=floor, vmax=1.0), cmap="viridis", shading="flat",
                         rasterized=True)
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(t_label)
    e_units = _unit_text(str(ds["energy"].attrs.get("units", ""))) if "energy" in ds.coords \
        else ""
    if n <= 25:
        ax.set_yticks(np.arange(n))
        ax.set_yticklabels([f"{e:g}".replace("-", "\u2212") for e in energy[levels]])
        ax.set_ylabel("Level energy $E_l$" + e_units)
    else:
        ax.set_ylabel("Level index (by energy)")
    cbar = ax.figure.colorbar(mesh, ax=ax)
    cbar.set_label("Level population $p_l$")
    ax.set_title("Level populations", fontsize="medium")
    return ax


def plot_sweep(ds: xr.Dataset, *, populations: bool = True, title: str | None = None
               ) -> Figure:
    """Publication-style figure of a temperature sweep: U, S, C and F against T.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep from :func:`maxent.temperature_sweep`.
    populations : bool, default True
        Add a heat map of the level populations (see :func:`plot_populations`).
    title : str, optional
        Figure title (default: the Dataset's ``system`` attribute).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InvalidInputError
        If ``ds`` is not a sweep Dataset.

    Notes
    -----
    Temperatures 0 and ±inf are left out of the curves; the temperature axis is
    logarithmic when every plotted temperature is positive and they span a decade or more.
    """
    import matplotlib.pyplot as plt

    _check(ds)
    keep, log, t_label = _temperature_axis(ds)
    t = np.asarray(ds["temperature"].values)[keep]
    order = np.argsort(t)
    width = 11.5 if populations else 7.5
    fig = plt.figure(figsize=(width, 5.6), layout="constrained")
    grid = fig.add_gridspec(2, 3 if populations else 2,
                            width_ratios=[1, 1, 1.25] if populations else [1, 1])
    colours = ("#1f4e79", "#2e7d32", "#b23a48", "#6a3d9a")
    for k, (var, symbol) in enumerate(_PANELS):
        ax = fig.add_subplot(grid[k // 2, k % 2])
        y = np.asarray(ds[var].values)[keep][order]
        ax.plot(t[order], y, color=colours[k], lw=1.8)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(t_label)
        ax.set_ylabel(_label(ds[var], symbol))
        ax.grid(True, which="major", alpha=0.3)
        ax.tick_params(direction="in", which="both", top=True, right=True)
        ax.text(0.03, 0.95, "abcd"[k], transform=ax.transAxes, fontweight="bold",
                va="top")
        if var == "heat_capacity" and y.size:
            i = int(np.nanargmax(y))
            ax.plot(t[order][i], y[i], "o", ms=4, color=colours[k])
            ax.text(0.97, 0.95, f"$C_{{\\max}}$ = {y[i]:.4g} at $T$ = {t[order][i]:.4g}",
                    transform=ax.transAxes, ha="right", va="top", fontsize="small")
        ax.margins(y=0.3 if var == "heat_capacity" else 0.12)  # room for the label
    if populations:
        plot_populations(ds, ax=fig.add_subplot(grid[:, 2]))
    if title is None:
        title = str(ds.attrs.get("system", ""))
        if ds.attrs.get("boltzmann_constant_units") == "1":
            title += r" ($k_B = 1$)"
    fig.suptitle(title)
    return fig
