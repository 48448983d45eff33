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
chosen by a rule: ``"historic"`` asks for :math:`\chi^2 = N`, ``"chi2kink"`` for the
kink of :math:`\chi^2(\alpha)`, ``"classic"`` maximises the Bayesian evidence, ``"gcv"``
uses generalised cross-validation.  To compare the penalties alone, every fit below sits
at the same :math:`\chi^2 = N` (the historic rule).  Here :math:`\omega` is in eV,
:math:`\tau` in 1/eV and :math:`A` in 1/eV.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

import maxent

w = np.linspace(0.0, 8.0, 120)  # grid of A(w), eV
dw = np.full(w.size, w[1] - w[0])
dw[[0, -1]] /= 2  # trapezoid weights
truth = np.exp(-((w - 1.0) ** 2) / 0.125) + 0.5 * np.exp(-((w - 4.0) ** 2))
tau = np.linspace(0.0, 5.0, 40)  # 1/eV
kernel = np.exp(-np.outer(tau, w)) * dw
sigma = np.full(tau.size, 1e-3)
data = kernel @ truth + sigma * np.random.default_rng(0).standard_normal(tau.size)
print(
    f"kernel {kernel.shape}: singular values from {np.linalg.svd(kernel)[1][0]:.2g} "
    f"down to {np.linalg.svd(kernel)[1][-1]:.2g}"
)
n = tau.size
chi2_truth = np.sum(((data - kernel @ truth) / sigma) ** 2)
print(f"chi2/N of the truth itself (the noise drawn): {chi2_truth / n:.2f}")

# %%
# Plain least squares (the minimum-norm solution of the noisy system) and five penalties,
# each at :math:`\chi^2 = N` but the hard non-negativity constraint (the least
# :math:`\chi^2` with :math:`x \ge 0`):

x_ls = np.linalg.lstsq(kernel / sigma[:, None], data / sigma, rcond=None)[0]
windows = [(0.0, 2.5), (2.5, 8.0)]
with warnings.catch_warnings(record=True) as caught:  # see the note on L1 below
    warnings.simplefilter("always", maxent.ConvergenceWarning)
    fits = {
        name: maxent.fit(
            kernel,
            data,
            sigma,
            penalty=penalty,
            alpha=alpha,
            grid=w,
            grid_weights=dw,
            windows=windows,
            **options,
        )
        for name, penalty, alpha, options in (
            ("entropy", "entropy", "historic", {}),
            ("L2", "l2", "historic", {}),
            ("L1", "l1", "historic", {}),
            ("elastic net", "elastic_net", "historic", {"max_iter": 5000}),
            ("x >= 0 (alpha = inf)", "nonneg", np.inf, {}),
        )
    }
chi2_ls = np.sum(((kernel @ x_ls - data) / sigma) ** 2)
print(f"{'fit':22s} {'alpha':>10s} {'chi2/N':>7s} {'min x':>10s} {'L2 error':>9s} converged")
err = lambda x: np.sqrt(np.sum(dw * (x - truth) ** 2) / np.sum(dw * truth**2))  # noqa: E731
print(f"{'least squares':22s} {'-':>10s} {chi2_ls / n:7.2f} {x_ls.min():10.3g} {err(x_ls):9.3g}")
for name, r in fits.items():
    print(
        f"{name:22s} {r.alpha:10.3g} {r.chi2 / n:7.2f} {r.x.min():10.3g} {err(r.x):9.3f} "
        f"{r.converged}"
    )
print(f"ConvergenceWarnings raised: {len(caught)}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
axes[0].plot(w, x_ls, color="grey", lw=0.8)
axes[0].plot(w, truth, "k--", lw=1.5)
axes[0].set_title(r"least squares alone ($\chi^2$ only)")
axes[0].set_xlabel(r"$\omega$ [eV]")
axes[0].set_ylabel(r"$A(\omega)$ [1/eV]")
for name, r in fits.items():
    axes[1].plot(w, r.x, label=name)
axes[1].plot(w, truth, "k--", lw=1.5, label="truth")
axes[1].set_ylim(-0.4, 1.6)
axes[1].set_xlabel(r"$\omega$ [eV]")
axes[1].set_ylabel(r"$A(\omega)$ [1/eV]")
axes[1].set_title("penalised fits")
axes[1].legend(fontsize="x-small")
fig.tight_layout()

# %%
# At the same :math:`\chi^2` the penalties pick very different answers: L1 prefers a few
# sharp spikes, L2 lets the solution go negative, the hard constraint alone leaves spikes
# too; only the entropy is both positive and smooth.  The L1 (lasso) and elastic-net fits
# go through scikit-learn (LARS for L1, coordinate descent for the elastic net); here they
# converged, as the table and the warning count above show.  Had a solver stopped short,
# maxent would say so with a :class:`maxent.ConvergenceWarning` and ``converged=False``
# rather than return its last iterate silently.  Entropy and L2 are solved by Newton's
# method and closed forms, the hard non-negativity constraint by NNLS.
#
# Pointwise values of a maximum-entropy reconstruction are poorly determined; integrals
# over windows are not.  ``windows`` returns them with their posterior errors, at the
# chosen :math:`\alpha`: those errors leave out the uncertainty of :math:`\alpha` itself.
# Compare three rules below (``z`` is the miss in units of the error bar).  At
# :math:`\chi^2 = N` the bars are narrow, and where the noise drawn is smaller than
# average (the truth's :math:`\chi^2/N` printed at the top) the fit is pulled too smooth
# and may miss the truth by several of its own errors; the evidence (``"classic"``) picks
# a smaller :math:`\alpha` on this problem, and ``"bryan"`` averages over :math:`\alpha`,
# with wider bars that include its spread.

true_int = np.array([np.sum((dw * truth)[(w >= a) & (w <= b)]) for a, b in windows])
for rule in ("historic", "classic", "bryan"):
    r = maxent.fit(kernel, data, sigma, alpha=rule, grid=w, grid_weights=dw, windows=windows)
    z = (r.window_integrals - true_int) / r.window_errors
    print(
        f"{rule:8s} (alpha {r.alpha:6.3g}, chi2/N {r.chi2 / n:.2f}): "
        + ", ".join(
            f"{v:.3f} +- {e:.3f} (z = {d:+.1f})"
            for v, e, d in zip(r.window_integrals, r.window_errors, z, strict=True)
        )
    )
print(f"truth: {true_int[0]:.3f}, {true_int[1]:.3f} (windows [0, 2.5] and [2.5, 8] eV)")
print(fits["entropy"])
