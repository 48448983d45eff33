r"""
11. Penalties on an ill-posed problem
=====================================

Recovering a non-negative function :math:`A(\omega)` (a spectrum, a density of states)
from data :math:`G(\tau) = \int e^{-\tau\omega} A(\omega)\,d\omega + \text{noise}` is
ill-posed: the Laplace kernel smooths away almost all information, so many very
different :math:`A` fit the data equally well.  Least squares alone (minimising
:math:`\chi^2`) amplifies the noise without bound.  A penalty :math:`P` picks one
answer: :func:`maxent.fit` minimises

.. math:: Q(x) = \tfrac12 \chi^2(x) + \alpha P(x),

with :math:`P` the negative entropy against a default model :math:`m` (the
maximum-entropy method, positive by construction), the squared norm (L2, ridge), the
absolute norm (L1, lasso), their mix (elastic net) or a penalty on negative values
(non-negativity; ``alpha=np.inf`` is the hard constraint).  The weight :math:`\alpha` is
chosen by a rule: ``"classic"`` maximises the Bayesian evidence, ``"historic"`` asks for
:math:`\chi^2 = N`, ``"gcv"`` uses generalised cross-validation.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

import maxent

w = np.linspace(0.0, 8.0, 120)  # grid of A(w)
dw = np.full(w.size, w[1] - w[0])
dw[[0, -1]] /= 2  # trapezoid weights
truth = np.exp(-((w - 1.0) ** 2) / 0.125) + 0.5 * np.exp(-((w - 4.0) ** 2))
tau = np.linspace(0.0, 5.0, 40)
kernel = np.exp(-np.outer(tau, w)) * dw
sigma = np.full(tau.size, 1e-3)
data = kernel @ truth + sigma * np.random.default_rng(0).standard_normal(tau.size)
print(
    f"kernel {kernel.shape}: singular values from {np.linalg.svd(kernel)[1][0]:.2g} "
    f"down to {np.linalg.svd(kernel)[1][-1]:.2g}"
)

# %%
# Plain least squares (the minimum-norm solution of the noisy system) and five penalties:

x_ls = np.linalg.lstsq(kernel / sigma[:, None], data / sigma, rcond=None)[0]
with warnings.catch_warnings(record=True) as caught:  # see the note on L1 below
    warnings.simplefilter("always", maxent.ConvergenceWarning)
    l1 = maxent.fit(kernel, data, sigma, penalty="l1", alpha="historic", grid=w, grid_weights=dw)
    enet = maxent.fit(
        kernel,
        data,
        sigma,
        penalty="elastic_net",
        alpha=35.0,
        max_iter=5000,
        grid=w,
        grid_weights=dw,
    )
fits = {
    "entropy, classic": maxent.fit(kernel, data, sigma, grid=w, grid_weights=dw),
    "L2, classic": maxent.fit(kernel, data, sigma, penalty="l2", grid=w, grid_weights=dw),
    "L1, historic": l1,
    "elastic net, alpha = 35": enet,
    "x >= 0 (alpha = inf)": maxent.fit(
        kernel, data, sigma, penalty="nonneg", alpha=np.inf, grid=w, grid_weights=dw
    ),
}
chi2_ls = np.sum(((kernel @ x_ls - data) / sigma) ** 2)
print(f"{'fit':24s} {'alpha':>10s} {'chi2':>9s} {'min x':>9s} {'L2 error':>9s}")
err = lambda x: np.sqrt(np.sum(dw * (x - truth) ** 2) / np.sum(dw * truth**2))  # noqa: E731
print(f"{'least squares':24s} {'-':>10s} {chi2_ls:9.2f} {x_ls.min():9.3g} {err(x_ls):9.3g}")
for name, r in fits.items():
    print(f"{name:24s} {r.alpha:10.3g} {r.chi2:9.2f} {r.x.min():9.3g} {err(r.x):9.3f}")

for warning in caught:
    print("warning:", warning.message)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
axes[0].plot(w, x_ls, color="grey", lw=0.8)
axes[0].plot(w, truth, "k--", lw=1.5)
axes[0].set_title("least squares alone (chi^2 only)")
axes[0].set_xlabel("w")
for name, r in fits.items():
    axes[1].plot(w, r.x, label=name)
axes[1].plot(w, truth, "k--", lw=1.5, label="truth")
axes[1].set_ylim(-0.4, 1.6)
axes[1].set_xlabel("w")
axes[1].set_title("penalised fits")
axes[1].legend(fontsize="x-small")
fig.tight_layout()

# %%
# The L1 (lasso) and elastic-net fits go through scikit-learn's coordinate descent, which converges
# slowly on a kernel this ill-conditioned; maxent says so with a
# :class:`maxent.ConvergenceWarning` (``l1.converged`` is ``False``) instead of returning
# the last iterate silently.  Entropy and L2 are solved by Newton's method and closed
# forms, the hard non-negativity constraint by NNLS.  The elastic net is given a fixed
# :math:`\alpha = 35`, about where the historic rule puts it: its rule scan needs many
# slow scikit-learn solves, too slow for a page that runs at every build.
#
# Pointwise values of a maximum-entropy reconstruction are poorly determined; integrals
# over windows are not.  ``windows`` returns them with their posterior errors:

r = maxent.fit(kernel, data, sigma, grid=w, grid_weights=dw, windows=[(0, 2.5), (2.5, 8)])
true_int = [np.sum((dw * truth)[(w >= a) & (w <= b)]) for a, b in [(0, 2.5), (2.5, 8)]]
for v, e, t in zip(r.window_integrals, r.window_errors, true_int, strict=True):
    print(f"window integral {v:.4f} +- {e:.4f}   (truth {t:.4f})")
print(r)
