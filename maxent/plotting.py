"""Matplotlib views of a temperature sweep (matplotlib is imported only when plotting).

:func:`plot_sweep` draws U, S, C and F against T (and, by default, the level populations
as a heat map); :func:`plot_populations` draws the heat map alone.  Labels and units come
from the Dataset's ``long_name`` and ``units`` attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ._boltzmann import boltzmann
from ._checks import real_number
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


def _pretty_unit(units: str) -> str:
    """A unit string for an axis label: pint's short form, with TeX exponents."""
    from ._units import short_unit

    text = short_unit(units)
    for sup, tex in (("⁻¹", "$^{-1}$"), ("²", "$^2$"), ("³", "$^3$"), ("⁻²", "$^{-2}$")):
        text = text.replace(sup, tex)
    return text.replace("1/cm", "cm$^{-1}$")


def _math(symbol: str) -> str:
    return {"μB": r"$\mu B$", "ħω": r"$\hbar\omega$", "Δ": r"$\Delta$", "ε": r"$\varepsilon$"}.get(
        symbol, f"${symbol}$"
    )


def _unit_text(ds: Any, units: str, kind: str = "energy") -> str:
    """`` [unit]`` for an axis label; in k_B = 1 units ``[units of J]`` (or of the model's
    energy scale: ħω, Δ, ...), never ``[J]``, which reads as joules."""
    if units == "k_B":
        return r" [$k_B$]"
    if units in ("1", ""):
        if kind == "dimensionless":
            return ""
        if not ds.attrs.get("energy_scale"):
            return " [energy units]" if kind == "energy" else " [energy units / $k_B$]"
        scale = _math(str(ds.attrs["energy_scale"]))
        return f" [units of {scale}/$k_B$]" if kind == "temperature" else f" [units of {scale}]"
    return f" [{_pretty_unit(units)}]"


def _panel(ds: Any, var: str, symbol: str) -> tuple[str, str]:
    """The variable a panel draws, and its symbol: the total (``internal_energy``, U) or,
    in a per-site Dataset such as :func:`maxent.models.ising_2d_thermo`'s,
    ``internal_energy_per_site`` (U/N)."""
    if var not in ds.data_vars and f"{var}_per_site" in ds.data_vars:
        return f"{var}_per_site", f"{symbol}/N"
    return var, symbol


def _label(ds: Any, var: str, symbol: str) -> str:
    da = ds[var]
    name = str(da.attrs.get("long_name", var)).split(" = ")[0]
    units = str(da.attrs.get("units", ""))
    kind = "energy" if var.startswith(("internal_energy", "free_energy")) else "dimensionless"
    return f"{name[0].upper()}{name[1:]} ${symbol}$" + _unit_text(ds, units, kind)


def _check(ds: Any, populations: bool = False) -> None:
    data_vars = set(getattr(ds, "data_vars", {}))
    missing = [v for v, _ in _PANELS if not {v, f"{v}_per_site"} & data_vars]
    coords = getattr(ds, "coords", {})
    if populations and "probability" not in data_vars:
        missing += [c for c in _LEVEL_COORDS if c not in coords]
    if missing or "temperature" not in coords:
        raise InvalidInputError(
            f"`ds` must be a Dataset from maxent.temperature_sweep"
            f"{' with its probability table or its levels' if populations else ''}; missing "
            f"{missing or ['temperature']}."
        )


#: what the populations are recomputed from when a sweep has no probability table
_LEVEL_COORDS = ("beta", "energy", "log_degeneracy")
#: temperatures (columns) of a heat map recomputed from the levels
_MAX_COLUMNS = 512
#: largest heat map (temperatures x levels) recomputed from the levels (128 MB)
_MAX_RECOMPUTED = 2**24


def _populations(ds: Any, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(temperatures, p) of the heat map: the sweep's table, or else p recomputed from its
    levels at up to ``_MAX_COLUMNS`` of the temperatures kept."""
    t = np.asarray(ds["temperature"].values, dtype=np.float64)
    if "probability" in ds.data_vars:
        return t[keep], np.asarray(ds["probability"].values)[keep]
    rows = np.flatnonzero(keep)
    if rows.size > _MAX_COLUMNS:  # evenly thinned: a heat map shows no more columns
        rows = rows[np.linspace(0, rows.size - 1, _MAX_COLUMNS).round().astype(int)]
    energies = np.asarray(ds["energy"].values, dtype=np.float64)
    if rows.size * energies.size > _MAX_RECOMPUTED:
        raise InvalidInputError(
            f"`ds` has no probability table and {energies.size} levels: a heat map of "
            f"{rows.size} temperatures x {energies.size} levels is too large to draw; "
            "plot without it (populations=False)."
        )
    beta = np.asarray(ds["beta"].values, dtype=np.float64)[rows]
    log_g = np.asarray(ds["log_degeneracy"].values, dtype=np.float64)
    return t[rows], boltzmann(energies, log_g, beta, with_p=True)["p"]


def _temperature_axis(ds: Any) -> tuple[np.ndarray, bool, str]:
    """Finite temperatures to plot, whether a log axis suits them, and the axis label."""
    t = np.asarray(ds["temperature"].values, dtype=np.float64)
    keep = np.isfinite(t)
    if not np.any(keep):
        raise InvalidInputError(
            f"`ds` has no finite temperature to plot; got {t.size} temperatures."
        )
    pos = t[keep & (t > 0)]
    log = bool(
        np.all(t[keep] >= 0) and pos.size > 1 and np.log10(pos.max()) - np.log10(pos.min()) >= 1
    )
    if log:
        keep &= t > 0  # T = 0 has no place on a log axis
    units = str(ds["temperature"].attrs.get("units", ""))
    return keep, log, "Temperature $T$" + _unit_text(ds, units, "temperature")


def _log_x(ax: Any, t: np.ndarray) -> None:
    """Log temperature axis; under two decades, ticks at 1, 2, 5 x 10^k in plain numbers."""
    from matplotlib import ticker

    ax.set_xscale("log")
    pos = t[np.isfinite(t) & (t > 0)]
    if pos.size and pos.max() / pos.min() < 100:
        ax.xaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())


def interior_maximum(y: np.ndarray) -> int | None:
    """Index of the largest value if it lies strictly inside (above both ends), else None."""
    y = np.asarray(y, dtype=np.float64)
    if y.size < 3 or not np.any(np.isfinite(y)):
        return None
    i = int(np.nanargmax(y))
    return i if 0 < i < y.size - 1 and y[i] > y[0] and y[i] > y[-1] else None


def plot_populations(ds: xr.Dataset, *, ax: Axes | None = None, floor: float = 1e-6) -> Axes:
    """Heat map of the level populations against temperature.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep from :func:`maxent.temperature_sweep`.  Without its ``probability``
        table, the populations are recomputed from the levels (coordinates ``beta``,
        ``energy``, ``log_degeneracy``) at up to 512 of its temperatures.
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
        If ``ds`` is not a sweep Dataset, or has no table and more than 2**24
        (temperatures x levels) populations to recompute.

    See Also
    --------
    plot_sweep : the thermodynamics with this heat map.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    _check(ds, populations=True)
    floor = cast(
        float,
        real_number(floor, "floor", minimum=0.0, strict=True, maximum=1.0, strict_maximum=True),
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    keep, log, t_label = _temperature_axis(ds)
    t, p = _populations(ds, keep)
    order = np.argsort(t)
    t, p = t[order], p[order]
    energy = (
        np.asarray(ds["energy"].values)
        if "energy" in ds.coords
        else np.arange(p.shape[1], dtype=float)
    )
    levels = np.argsort(energy, kind="stable")
    p = p[:, levels]
    n = p.shape[1]
    # cell edges: geometric/arithmetic midpoints in T, level index on the vertical axis
    if t.size > 1:  # in log T where the axis is logarithmic (T = 1e-300 has no square)
        x = np.log(t) if log else t
        mid = 0.5 * (x[1:] + x[:-1])
        x_edges = np.concatenate([[x[0] - (mid[0] - x[0])], mid, [x[-1] + (x[-1] - mid[-1])]])
        x_edges = np.exp(x_edges) if log else x_edges
    else:
        x_edges = np.array([t[0] * 0.9, t[0] * 1.1]) if t.size else np.array([0.0, 1.0])
    mesh = ax.pcolormesh(
        x_edges,
        np.arange(n + 1) - 0.5,
        np.clip(p.T, floor, 1.0),
        norm=LogNorm(vmin=floor, vmax=1.0),
        cmap="viridis",
        shading="flat",
        rasterized=True,
    )
    if log:
        _log_x(ax, t)
    ax.set_xlabel(t_label)
    # rows are levels in order of energy, equally tall: the axis is the level index
    if n <= 25:
        ax.set_yticks(np.arange(n))
        labels = np.asarray(ds["label"].values)[levels] if "label" in ds.coords else levels
        ax.set_yticklabels([str(s) for s in labels], fontsize="small")
        ax.set_ylabel("Level, in order of energy (index, not to scale)")
    else:
        ax.set_ylabel("Level index $l$, in order of energy (not to scale)")
    cbar = ax.figure.colorbar(mesh, ax=ax)
    cbar.set_label("Level population $p_l$")
    ax.set_title("Level populations", fontsize="medium")
    return ax


def plot_sweep(ds: xr.Dataset, *, populations: bool = True, title: str | None = None) -> Figure:
    """Publication-style figure of a temperature sweep: U, S, C and F against T.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep from :func:`maxent.temperature_sweep`.
    populations : bool, default True
        Add a heat map of the level populations (see :func:`plot_populations`; from the
        sweep's ``probability`` table, or recomputed from its levels).
    title : str, optional
        Figure title (default: the Dataset's ``system`` attribute).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InvalidInputError
        If ``ds`` is not a sweep Dataset.

    See Also
    --------
    temperature_sweep : the Dataset it draws.
    plot_populations : the heat map alone, on given axes.

    Notes
    -----
    Temperatures 0 and ±inf are left out of the curves; the temperature axis is
    logarithmic when every plotted temperature is positive and they span a decade or more.
    """
    import matplotlib.pyplot as plt

    _check(ds, populations=populations)
    keep, log, t_label = _temperature_axis(ds)
    t = np.asarray(ds["temperature"].values)[keep]
    order = np.argsort(t)
    width = 11.5 if populations else 7.5
    fig = plt.figure(figsize=(width, 5.6), layout="constrained")
    grid = fig.add_gridspec(
        2, 3 if populations else 2, width_ratios=[1, 1, 1.25] if populations else [1, 1]
    )
    colours = ("#1f4e79", "#2e7d32", "#b23a48", "#6a3d9a")
    for k, panel in enumerate(_PANELS):
        var, symbol = _panel(ds, *panel)
        ax = fig.add_subplot(grid[k // 2, k % 2])
        y = np.asarray(ds[var].values)[keep][order]
        ax.plot(t[order], y, color=colours[k], lw=1.8)
        if log:
            _log_x(ax, t)
        ax.set_xlabel(t_label)
        ax.set_ylabel(_label(ds, var, symbol))
        ax.grid(True, which="major", alpha=0.3)
        ax.tick_params(direction="in", which="both", top=True, right=True)
        ax.text(0.03, 0.95, "abcd"[k], transform=ax.transAxes, fontweight="bold", va="top")
        if var.startswith("heat_capacity") and y.size:
            i = interior_maximum(y)
            if i is None:  # no peak in range: say so, mark nothing
                text = "no interior maximum in range"
            else:
                ax.plot(t[order][i], y[i], "o", ms=4, color=colours[k])
                text = f"$C_{{\\max}}$ = {y[i]:.4g} at $T$ = {t[order][i]:.4g}"
            ax.text(
                0.97, 0.95, text, transform=ax.transAxes, ha="right", va="top", fontsize="small"
            )
        ax.margins(y=0.3 if var.startswith("heat_capacity") else 0.12)  # room for the label
    if populations:
        plot_populations(ds, ax=fig.add_subplot(grid[:, 2]))
    if title is None:
        title = str(ds.attrs.get("system", ""))
        if ds.attrs.get("boltzmann_constant_units") == "1":
            title += r" ($k_B = 1$)"
    fig.suptitle(title)
    return fig
