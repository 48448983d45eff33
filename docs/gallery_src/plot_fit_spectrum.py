"""
``scripts/fit_spectrum.py``: a two-peak spectrum through a Laplace kernel
=========================================================================

The script recovers a spectrum :math:`A(\\omega)` (two Gaussian peaks, :math:`\\omega` in
eV) from 60 noisy values of :math:`G(\\tau) = \\int e^{-\\tau\\omega} A(\\omega)\\,d\\omega`
with every penalty and alpha rule.  This page takes the same synthetic problem from the
script and draws the maximum-entropy fit with ana_cont's ``"chi2kink"`` rule: the
reconstruction with its pointwise band against the truth, the data and the residuals,
and :math:`\\chi^2` against :math:`\\alpha`.

A fit should come as close to the data as the truth itself does, and no closer: the
noise drawn here gives the true spectrum :math:`\\chi^2/N` below 1, and a rule that goes
well below that value fits the noise.  The classic (evidence) rule does so on this
problem; its line is printed for comparison.  The guide page
:doc:`../guide/g22_which_alpha_rule` compares every rule on this problem.
"""

import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import maxent
from maxent.fit_plots import plot_alpha_scan, plot_data_fit, plot_reconstruction

script = Path(maxent.__file__).resolve().parents[1] / "scripts" / "fit_spectrum.py"
synthetic_problem = runpy.run_path(str(script))["synthetic_problem"]
tau, w, dw, kernel, data, sigma, truth = synthetic_problem(seed=0, noise=1e-4)
windows = [(0.0, 2.5), (2.5, 8.0)]

res = maxent.fit(kernel, data, sigma, grid=w, grid_weights=dw, alpha="chi2kink", windows=windows)
classic = maxent.fit(kernel, data, sigma, grid=w, grid_weights=dw, alpha="classic")

n = tau.size
chi2_truth = np.sum(((data - kernel @ truth) / sigma) ** 2)
print(f"N = {n} data; the truth itself has chi2/N = {chi2_truth / n:.2f} (the noise drawn)")
for name, r in (("chi2kink", res), ("classic", classic)):
    print(
        f"{name:8s}: alpha = {r.alpha:6.3g}, chi2/N = {r.chi2 / n:.2f}, "
        f"N_good = {r.n_good:.1f}, largest pointwise error {r.x_error.max():.2f} (1/eV)"
    )
true_integrals = [np.sum((dw * truth)[(w >= a) & (w <= b)]) for a, b in windows]
rows = zip(windows, res.window_integrals, res.window_errors, true_integrals, strict=True)
for (a, b), v, e, t in rows:
    print(f"integral of A over [{a:g}, {b:g}] eV: {v:.3f} +- {e:.3f} (truth {t:.3f})")

# %%
# The reconstruction (band: pointwise one standard deviation of the posterior), the data
# with the fit and the residuals in units of their error, and the alpha scan.

fig = plt.figure(figsize=(12, 8))
grid = fig.add_gridspec(2, 2)
ax = fig.add_subplot(grid[0, :])
label = (
    f"maximum entropy, chi2kink ($\\alpha$ = {res.alpha:.3g}, $\\chi^2/N$ = {res.chi2 / n:.2f})"
)
plot_reconstruction(
    res,
    ax=ax,
    label=label,
    grid_name=r"$\omega$ [eV]",
    x_name=r"$A(\omega)$ [1/eV]",
)
ax.plot(w, truth, "k--", lw=1.5, label="truth")
ax.set_ylim(-0.2, 1.8)
ax.legend()
sub = grid[1, 0].subgridspec(2, 1, height_ratios=(3, 1), hspace=0.05)
top = fig.add_subplot(sub[0])
bottom = fig.add_subplot(sub[1], sharex=top)
plot_data_fit(
    res, coords=tau, ax=(top, bottom), coord_name=r"$\tau$ [1/eV]", data_name=r"$G(\tau)$"
)
top.set_yscale("log")
plot_alpha_scan(res, ax=fig.add_subplot(grid[1, 1]))
fig.tight_layout()
