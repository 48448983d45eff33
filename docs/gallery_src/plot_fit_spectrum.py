"""
``scripts/fit_spectrum.py``: a two-peak spectrum through a Laplace kernel
=========================================================================

The script recovers a spectrum :math:`A(\\omega)` (two Gaussian peaks) from 60 noisy
values of :math:`G(\\tau) = \\int e^{-\\tau\\omega} A(\\omega)\\,d\\omega` with every
penalty and alpha rule (about a minute).  This page takes the same synthetic problem
from the script and draws the panels of its figure for the maximum-entropy fit with the
classic (evidence) rule: the reconstruction with its pointwise band against the truth,
the data and the residuals, and :math:`\\chi^2` and the evidence against
:math:`\\alpha`.
"""

import runpy
from pathlib import Path

import matplotlib.pyplot as plt

import maxent
from maxent.fit_plots import plot_alpha_scan, plot_data_fit, plot_reconstruction

script = Path(maxent.__file__).resolve().parents[1] / "scripts" / "fit_spectrum.py"
synthetic_problem = runpy.run_path(str(script))["synthetic_problem"]
tau, w, dw, kernel, data, sigma, truth = synthetic_problem(seed=0, noise=1e-4)

res = maxent.fit(
    kernel, data, sigma, grid=w, grid_weights=dw, alpha="classic", windows=[(0.0, 2.5), (2.5, 8.0)]
)
print(res)

fig = plt.figure(figsize=(12, 8))
grid = fig.add_gridspec(2, 2)
ax = fig.add_subplot(grid[0, :])
plot_reconstruction(res, ax=ax, label=f"entropy, classic (alpha = {res.alpha:.3g})")
ax.plot(w, truth, "k--", lw=1.5, label="truth")
ax.set_ylim(-0.2, 1.6)
ax.legend()
sub = grid[1, 0].subgridspec(2, 1, height_ratios=(3, 1), hspace=0.05)
top = fig.add_subplot(sub[0])
bottom = fig.add_subplot(sub[1], sharex=top)
plot_data_fit(res, coords=tau, ax=(top, bottom))
top.set_yscale("log")
bottom.set_xlabel("tau")
plot_alpha_scan(res, ax=fig.add_subplot(grid[1, 1]))
fig.tight_layout()
