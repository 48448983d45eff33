"""
``scripts/solve_demo.py``: a tour of the solver
===============================================

The script's output (it writes ``solve_demo.nc`` in the current directory): a loaded
die, a Gaussian on a grid from its mean and variance, a target on the boundary, an
inequality constraint and an impossible target.  Below, the Gaussian case as a figure:
fixing the mean and variance of a distribution on a grid gives
:math:`p(x) \\propto e^{-\\lambda_1 x - \\lambda_2 x^2}`, a sampled Gaussian.
"""

import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import maxent

script = Path(maxent.__file__).resolve().parents[1] / "scripts" / "solve_demo.py"
_ = runpy.run_path(str(script), run_name="__main__")  # its printed tour is the output

# %%
x = np.linspace(-15, 17, 641)
res = maxent.solve({"x": x, "x2": x**2}, {"x": 1.0, "x2": 1.0 + 4.0})  # mean 1, variance 4
gauss = np.exp(-((x - 1.0) ** 2) / 8.0)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(x, res.p, label="maximum entropy, mean 1 and variance 4")
ax.plot(x, gauss / gauss.sum(), "k--", lw=1, label="Gaussian N(1, 4) on the grid")
ax.set_xlabel("x")
ax.set_ylabel("p")
ax.legend()
fig.tight_layout()
print("multipliers:", res.multipliers)
