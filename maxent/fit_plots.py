"""Matplotlib views of a :class:`~maxent.FitResult` (matplotlib is imported lazily).

Each function draws on the axes it is given (or on new ones) and returns them, so that
views can be combined in one figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import as_float_array, check_finite, text
from .errors import InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .fitting import FitResult

__all__ = ["plot_alpha_scan", "plot_data_fit", "plot_reconstruction"]


def _new_axes(n: int = 1, **kwargs: Any) -> Any:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(n, 1, **kwargs)
    return axes


def _check_result(result: object) -> None:
    from .fitting import FitResult

    if not isinstance(result, FitResult):
        raise InvalidInputError(
            f"`result` must be a FitResult (from maxent.fit); got {type(result).__name__}."
        )


def _check_ax(ax: object, name: str = "ax") -> None:
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise InvalidInputError(
            f"`{name}` must be matplotlib Axes (or None for new ones); got {type(ax).__name__}."
        )


def _along(values: ArrayLike, name: str, n: int, what: str) -> NDArray[np.float64]:
    """``values`` as n finite numbers, one per ``what``."""
    arr = check_finite(as_float_array(values, name, ndim=1), name)
    if arr.size != n:
        raise InvalidInputError(f"`{name}` has {arr.size} entries but the fit has {n} {what}.")
    return arr


def plot_reconstruction(
    result: FitResult,
    *,
    truth: ArrayLike | None = None,
    ax: Axes | None = None,
    label: str | None = None,
    band: bool = True,
    default_model: bool = True,
    grid_name: str = "grid",
    x_name: str = "x",
) -> Axes:
    """The solution on the grid with its ±1σ posterior band and the default model.

    Parameters
    ----------
    result : FitResult
    truth : array_like, shape (n,), optional
        A known answer to draw for comparison.
    ax : matplotlib Axes, optional
    label : str, optional
        Legend label of the solution (default: penalty and alpha rule).
    band : bool
        Draw the ±1σ band (pointwise posterior errors, where they exist).
    default_model : bool
        Draw the default model (entropy fits).
    grid_name, x_name : str
        What the grid and the solution are, for the axis labels, e.g.
        ``r"$\\omega$"`` and ``r"$A(\\omega)$"``.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InvalidInputError
        If ``result`` is not a FitResult, ``truth`` has not one finite value per grid
        point, ``ax`` is not Axes, or a name is not a str.
    """
    _check_result(result)
    truth_values = (
        None if truth is None else _along(truth, "truth", result.grid.size, "grid points")
    )
    for value, name in ((grid_name, "grid_name"), (x_name, "x_name")):
        text(value, name)
    if label is not None:
        text(label, "label")
    if ax is None:
        ax = _new_axes()
    _check_ax(ax)
    grid = result.grid
    label = label or f"{result.penalty} ({result.alpha_rule}, alpha={result.alpha:.3g})"
    (line,) = ax.plot(grid, result.x, label=label)
    if band and np.all(np.isfinite(result.x_error)):
        ax.fill_between(
            grid,
            result.x - result.x_error,
            result.x + result.x_error,
            color=line.get_color(),
            alpha=0.25,
            linewidth=0,
        )
    if default_model and result.penalty == "entropy":
        ax.plot(grid, result.default_model, ":", color="0.5", label="default model")
    if truth_values is not None:
        ax.plot(grid, truth_values, "k--", label="truth")
    ax.set_xlabel(grid_name)
    ax.set_ylabel(x_name)
    ax.legend(fontsize="small")
    return ax


def plot_data_fit(
    result: FitResult,
    *,
    coords: ArrayLike | None = None,
    ax: tuple[Axes, Axes] | None = None,
    coord_name: str | None = None,
    data_name: str = "data",
) -> tuple[Axes, Axes]:
    """Data with error bars against the fitted data, and residuals normalised by sigma.

    Parameters
    ----------
    result : FitResult
    coords : array_like, shape (N,), optional
        Positions of the data points (default: their index).
    ax : pair of matplotlib Axes, optional
        Where to draw the data and the residuals (default: a new figure).
    coord_name, data_name : str, optional
        What the data coordinate and the data are, for the labels, e.g.
        ``r"$\\tau$"`` and ``r"$G(\\tau)$"`` (default: "data point" or "coordinate",
        and "data").

    Returns
    -------
    (Axes, Axes)
        The data panel and the residual panel.

    Raises
    ------
    InvalidInputError
        If ``result`` is not a FitResult, ``coords`` has not one finite value per data
        point, ``ax`` is not a pair of Axes, or a name is not a str.
    """
    _check_result(result)
    n = result.data.size
    t = np.arange(n) if coords is None else _along(coords, "coords", n, "data points")
    text(data_name, "data_name")
    if coord_name is not None:
        text(coord_name, "coord_name")
    if ax is None:
        ax = tuple(_new_axes(2, sharex=True, height_ratios=(3, 1)))
    if not isinstance(ax, (tuple, list)) or len(ax) != 2:
        raise InvalidInputError(
            f"`ax` must be a pair of matplotlib Axes (data, residuals); got {ax!r:.60}."
        )
    top, bottom = ax
    _check_ax(top, "ax[0]")
    _check_ax(bottom, "ax[1]")
    top.errorbar(t, result.data, yerr=result.data_error, fmt=".", ms=3, label=data_name)
    top.plot(t, result.fitted_data, "-", label=f"fit ({result.penalty})")
    top.set_ylabel(data_name)
    top.legend(fontsize="small")
    resid = (result.data - result.fitted_data) / result.data_error
    bottom.axhline(0.0, color="0.5", linewidth=0.8)
    bottom.plot(t, resid, ".", ms=3)
    bottom.set_ylabel(r"residual / $\sigma$")
    if coord_name is None:
        coord_name = "data point" if coords is None else "coordinate"
    bottom.set_xlabel(coord_name)
    return top, bottom


def plot_alpha_scan(result: FitResult, *, ax: Axes | None = None) -> Axes:
    """chi^2 (left axis) and the log evidence (right axis, where defined) against alpha.

    The chosen alpha is marked by a vertical line, and the line chi^2 = N is drawn.

    Returns
    -------
    matplotlib Axes
        The chi^2 axes (the evidence is on its twin).

    Raises
    ------
    InvalidInputError
        If ``result`` is not a FitResult or ``ax`` is not Axes.
    """
    _check_result(result)
    if ax is None:
        ax = _new_axes()
    _check_ax(ax)
    finite = np.isfinite(result.path_alpha)
    alpha, chi2 = result.path_alpha[finite], result.path_chi2[finite]
    ax.loglog(alpha, chi2, "o-", ms=3, label=r"$\chi^2$")
    ax.axhline(result.data.size, color="0.5", linestyle=":", label=r"$\chi^2 = N$")
    if np.isfinite(result.alpha):
        ax.axvline(result.alpha, color="C3", label=f"{result.alpha_rule}: {result.alpha:.3g}")
    ax.set_xlabel(r"$\alpha$")
    ax.set_ylabel(r"$\chi^2$")
    handles, labels = ax.get_legend_handles_labels()
    evidence = result.path_log_evidence[finite]
    if np.any(np.isfinite(evidence)):
        twin = ax.twinx()
        ok = np.isfinite(evidence)
        (line,) = twin.semilogx(alpha[ok], evidence[ok], "s-", ms=3, color="C2")
        twin.set_ylabel("log evidence", color="C2")
        top = np.max(evidence[ok])
        twin.set_ylim(top - 50.0, top + 5.0)
        handles, labels = [*handles, line], [*labels, "log evidence"]
    # chi^2 rises with alpha and the evidence peaks at small alpha: lower right is free
    ax.legend(handles, labels, fontsize="small", loc="lower right")
    return ax
