"""The theta-scan figure of a reweighting (matplotlib imported when called)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_theta_scan"]


def plot_theta_scan(result: Any, *, ax: Any = None) -> Any:
    """chi2 and the fraction of effective frames against theta, the chosen theta marked.

    Parameters
    ----------
    result : ReweightResult
        From :func:`maxent.reweight`; its ``scan_*`` fields are drawn (one point for a
        fixed theta).
    ax : matplotlib Axes, optional
        Where to draw (chi2 on this axis, phi on a twin axis on the right); a new figure
        by default.

    Returns
    -------
    matplotlib.axes.Axes
        The axis holding chi2 (``ax.right_axis`` is the twin holding phi).

    Notes
    -----
    Left axis: BME's :math:`\\chi^2` of the whole data after reweighting and, for
    ``theta="cv"``, the held-out data's :math:`\\chi^2` after over before, averaged over
    the splits (below 1: the reweighting predicts data it was not fitted to).  Right
    axis: :math:`\\phi = e^{-\\mathrm{KL}}`.  Theta is on a log scale, decreasing to the
    right as the fit tightens; the dashed line is the chosen theta.

    Examples
    --------
    >>> import numpy as np, maxent
    >>> calc = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> res = maxent.reweight(calc, [2.0], [0.5], theta="lcurve")
    >>> ax = maxent.plot_theta_scan(res)
    >>> ax.get_xscale()
    'log'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    theta = np.asarray(result.scan_theta)
    order = np.argsort(theta)[::-1]
    th = theta[order]
    ax.plot(th, np.asarray(result.scan_chi2)[order], "o-", color="C0", ms=3,
            label=r"$\chi^2$ after (all data)")  # fmt: skip
    validation = np.asarray(result.scan_validation)[order]
    if np.any(np.isfinite(validation)):
        ax.plot(th, validation, "s-", color="C3", ms=3,
                label=r"$\chi^2$ held out, after / before")  # fmt: skip
    ax.axhline(result.chi2_before, color="C0", lw=0.8, ls=":", label=r"$\chi^2$ before")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$\chi^2$ (mean over data)")
    right = ax.twinx()
    right.plot(th, np.asarray(result.scan_phi)[order], "^-", color="C2", ms=3,
               label=r"$\phi = e^{-\mathrm{KL}}$")  # fmt: skip
    right.set_ylim(0.0, 1.05)
    right.set_ylabel(r"fraction of effective frames $\phi$", color="C2")
    ax.axvline(result.theta, color="k", ls="--", lw=1.0,
               label=rf"$\theta$ = {result.theta:.3g} ({result.theta_rule})")  # fmt: skip
    lines = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    # below the axes: the curves fill the panel from corner to corner
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize="small", ncol=2,
              loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)  # fmt: skip
    ax.right_axis = right
    return ax
