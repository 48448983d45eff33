r"""
3. Lagrange multipliers
=======================

Maximise :math:`f(x, y) = -(x-2)^2 - (y-1)^2 + 10` subject to the constraint
:math:`x = y`.  Write the constraint as :math:`g(x, y) = x - y = c` with :math:`c = 0`
and look for a stationary point of the Lagrangian

.. math:: \mathcal{L}(x, y, \lambda) = f(x, y) - \lambda\,(g(x, y) - c).

:math:`\partial_x \mathcal{L} = -2(x-2) - \lambda = 0`,
:math:`\partial_y \mathcal{L} = -2(y-1) + \lambda = 0` and :math:`x = y` give
:math:`x = y = 3/2`, :math:`\lambda = 1` and :math:`f = 9.5`.  At the optimum the
gradient of :math:`f` is :math:`\lambda` times the gradient of the constraint: the level
curve of :math:`f` touches the line :math:`x = y`.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import minimize


def f(v):
    x, y = v
    return -((x - 2) ** 2) - (y - 1) ** 2 + 10


opt = minimize(
    lambda v: -f(v),
    x0=[0.0, 0.0],
    method="SLSQP",
    constraints=[{"type": "eq", "fun": lambda v: v[0] - v[1]}],
)
x, y = opt.x
lam = -2 * (x - 2)  # from the stationarity condition in x
print(f"optimum (x, y) = ({x:.6f}, {y:.6f}),  f = {f(opt.x):.6f},  lambda = {lam:.6f}")

# %%
# The multiplier has a meaning: it is the rate at which the best value changes when the
# constraint is moved, :math:`\lambda = d f^\ast / d c`.  With :math:`x = y + c` the
# optimum is :math:`f^\ast(c) = 10 - (c-1)^2/2`, so :math:`d f^\ast/dc = 1` at
# :math:`c = 0`.  Numerically:


def best(c):
    r = minimize(
        lambda v: -f(v),
        x0=[0.0, 0.0],
        method="SLSQP",
        tol=1e-12,
        constraints=[{"type": "eq", "fun": lambda v: v[0] - v[1] - c}],
    )
    return f(r.x)


h = 1e-4
print(f"d f*/dc = {(best(h) - best(-h)) / (2 * h):.6f}")

X, Y = np.meshgrid(np.linspace(-0.5, 3.5, 200), np.linspace(-0.5, 3.5, 200))
fig, ax = plt.subplots(figsize=(5, 4.5))
cs = ax.contour(X, Y, f((X, Y)), levels=np.arange(2, 10.5, 0.5), cmap="viridis")
ax.clabel(cs, fontsize=7)
ax.plot([-0.5, 3.5], [-0.5, 3.5], "k-", lw=1, label="constraint $x = y$")
ax.plot(2, 1, "k+", ms=10, label="unconstrained maximum (2, 1)")
ax.plot(x, y, "ro", label=f"constrained maximum ({x:.2f}, {y:.2f}), f = 9.5")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_aspect("equal")
ax.legend(fontsize="small", loc="lower right")
fig.tight_layout()

# %%
# The same object in :func:`maxent.solve`
# ----------------------------------------
# Maximum entropy is the same problem: maximise :math:`S(p)` subject to
# :math:`\sum_i p_i F_{ik} = b_k` (and :math:`\sum_i p_i = 1`).  With the Lagrangian
# :math:`S - \sum_k \lambda_k (\sum_i p_i F_{ik} - b_k) - \mu(\sum_i p_i - 1)`,
# stationarity gives :math:`\ln p_i = -\sum_k \lambda_k F_{ik} - \text{const}`: the
# exponential family :math:`p_i \propto e^{-\lambda \cdot F_i}`.  ``res.multipliers``
# *is* that :math:`\lambda`, and, as above, it is the slope of the best value against the
# constraint: :math:`\lambda_k = \partial S_{\max} / \partial b_k`.
#
# Check it on a die whose mean face is required to be :math:`b`:

import maxent

faces = np.arange(1.0, 7.0)
res = maxent.solve(faces[:, None], [4.5])
db = 1e-5
slope = (
    maxent.solve(faces[:, None], [4.5 + db]).entropy
    - maxent.solve(faces[:, None], [4.5 - db]).entropy
) / (2 * db)
print(f"lambda = {res.multipliers[0]:.6f};  dS/db = {slope:.6f}")
