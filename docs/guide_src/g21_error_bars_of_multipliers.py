r"""
21. Fluctuations and error bars of the multipliers
==================================================

Targets measured from data are uncertain, and so are the multipliers fitted to them.
When the targets are sample means of the features over :math:`N` independent draws
from :math:`p`, :math:`\hat b = \frac1N \sum_{n} F(x_n)`, their covariance is
:math:`\mathrm{Cov}_p(F)/N`.  The multipliers are a function of the targets whose
Jacobian is minus the inverse of the same covariance,
:math:`\partial\lambda/\partial b = -\mathrm{Cov}_p(F)^{-1}` (the dual's Hessian is
:math:`\mathrm{Cov}_p(F)`), so to first order in :math:`1/\sqrt N`

.. math:: \mathrm{Cov}(\hat\lambda) \simeq \mathrm{Cov}_p(F)^{-1}\,
          \mathrm{Cov}_p(F)\, \mathrm{Cov}_p(F)^{-1} / N = \mathrm{Cov}_p(F)^{-1} / N .

The result of :func:`maxent.solve` carries ``covariance``, :math:`\mathrm{Cov}_p(F)` at
the solution, so error bars on the multipliers are one matrix inverse away.  For
maximum-entropy models this is also the classical (Cramér-Rao) bound: :math:`\hat\lambda`
is the maximum-likelihood estimate of an exponential family, and
:math:`N\,\mathrm{Cov}_p(F)` is its Fisher information.  This page checks the formula
by fitting many synthetic data sets.
"""

import matplotlib.pyplot as plt
import numpy as np

import maxent

# %%
# One data set
# ------------
# A die whose faces :math:`x = 1, \dots, 6` are weighted by
# :math:`p(x) \propto e^{-\lambda_1 x - \lambda_2 x^2}`, here with
# :math:`\lambda = (0.5, -0.1)` (sixes and ones favoured, the middle less so).  We
# observe :math:`N = 200` rolls, take the mean of :math:`x` and of :math:`x^2`, and fit:

x = np.arange(1.0, 7.0)
features = np.stack([x, x**2], axis=1)
true_multipliers = np.array([0.5, -0.1])
p_true = np.exp(-features @ true_multipliers)
p_true /= p_true.sum()
N = 200
rng = np.random.default_rng(2024)


def fit_rolls(n_rolls):
    """Roll the die n_rolls times, fit the two multipliers, return them and their errors."""
    counts = rng.multinomial(n_rolls, p_true)
    res = maxent.solve(features, counts @ features / n_rolls)
    cov_lambda = np.linalg.inv(res.covariance) / n_rolls
    return res.multipliers, cov_lambda


lam, cov_lam = fit_rolls(N)
err = np.sqrt(np.diag(cov_lam))
rho = cov_lam[0, 1] / (err[0] * err[1])
for k in range(2):
    print(f"lambda_{k + 1} = {lam[k]:+.3f} +- {err[k]:.3f}   (true {true_multipliers[k]:+.3f})")
print(f"correlation of the two estimates: {rho:+.3f}")

# %%
# The two multipliers are strongly anti-correlated: :math:`x` and :math:`x^2` are
# nearly collinear on six faces, so a larger :math:`\lambda_1` is almost compensated by
# a larger :math:`\lambda_2`.  Quoting the two error bars alone would hide that; the
# full matrix is what propagates into anything computed from :math:`\lambda`.
#
# Many data sets
# --------------
# The prediction is checked by repeating the experiment: 400 data sets of 200 rolls,
# each fitted, each with its own error bars from its own ``covariance`` (what one has in
# practice, not the unknown true covariance).  The spread of the fitted multipliers
# should match the predicted error bars, and about 68 % of the intervals
# :math:`\hat\lambda_k \pm \sigma_k` should contain the true value.

n_sets = 400
fits = [fit_rolls(N) for _ in range(n_sets)]
lams = np.array([f[0] for f in fits])
errs = np.array([np.sqrt(np.diag(f[1])) for f in fits])
cov_pred = np.linalg.inv(np.cov(features.T, aweights=p_true, bias=True)) / N
z = (lams - true_multipliers) / errs
print("               spread over sets   predicted (true p)   median own error bar")
for k in range(2):
    print(
        f"lambda_{k + 1}        {lams[:, k].std(ddof=1):.4f}             "
        f"{np.sqrt(cov_pred[k, k]):.4f}              {np.median(errs[:, k]):.4f}"
    )
print(
    f"correlation:   {np.corrcoef(lams.T)[0, 1]:+.3f}            "
    f"{cov_pred[0, 1] / np.sqrt(cov_pred[0, 0] * cov_pred[1, 1]):+.3f}"
)
print("mean miss in standard errors of the mean:", np.round(z.mean(axis=0) * np.sqrt(n_sets), 2))
print("within 1 error bar:", np.round(np.mean(np.abs(z) < 1, axis=0), 3), "(expected 0.683)")
print("within 2 error bars:", np.round(np.mean(np.abs(z) < 2, axis=0), 3), "(expected 0.954)")

# %%
# The fitted pairs against the predicted one- and two-sigma ellipses of
# :math:`\mathrm{Cov}_p(F)^{-1}/N`, and the misses in units of each set's own error bar
# against a standard normal:

fig, axes = plt.subplots(1, 2, figsize=(9.5, 4))
axes[0].plot(lams[:, 0], lams[:, 1], ".", ms=3, alpha=0.6, label=f"{n_sets} fits")
angle = np.linspace(0, 2 * np.pi, 200)
circle = np.stack([np.cos(angle), np.sin(angle)])
root = np.linalg.cholesky(cov_pred)
for n_sigma, style in ((1, "k-"), (2, "k--")):
    ellipse = true_multipliers[:, None] + n_sigma * root @ circle
    axes[0].plot(*ellipse, style, lw=1, label=f"{n_sigma} sigma (predicted)")
axes[0].plot(*true_multipliers, "r+", ms=12, mew=2, label="true")
axes[0].set_xlabel(r"$\lambda_1$ (multiplier of $x$)")
axes[0].set_ylabel(r"$\lambda_2$ (multiplier of $x^2$)")
axes[0].legend(fontsize="small")
bins = np.linspace(-4, 4, 33)
t = np.linspace(-4, 4, 200)
for k in range(2):
    axes[1].hist(z[:, k], bins=bins, density=True, histtype="step", label=rf"$\lambda_{k + 1}$")
axes[1].plot(t, np.exp(-(t**2) / 2) / np.sqrt(2 * np.pi), "k-", lw=1, label="N(0, 1)")
axes[1].set_xlabel(r"$(\hat\lambda_k - \lambda_k) / \sigma_k$ (own error bar)")
axes[1].set_ylabel("density")
axes[1].legend(fontsize="small")
fig.tight_layout()

# %%
# Where the formula stops
# -----------------------
# The error bars are first order in :math:`1/\sqrt N`: they hold when the sample means
# sit well inside the range the features allow, and the distribution of
# :math:`\hat\lambda` is then close to Gaussian.  With few rolls it is skewed and the
# first-order bars are too short.  On the edge itself (all rolls on one face, on two
# neighbouring faces, or on faces 1 and 6 only: the boundary of the set of reachable
# :math:`(\langle x\rangle, \langle x^2\rangle)`) a multiplier is infinite and has no
# error bar at all.  With 20 rolls instead of 200:

small = [fit_rolls(20) for _ in range(200)]
z_small = np.array([(f[0] - true_multipliers) / np.sqrt(np.diag(f[1])) for f in small])
finite = np.all(np.isfinite(z_small), axis=1)
print(f"N = 20: {np.sum(~finite)} of 200 fits with an infinite multiplier")
print("within 1 error bar:", np.round(np.mean(np.abs(z_small[finite]) < 1, axis=0), 3))
print("within 2 error bars:", np.round(np.mean(np.abs(z_small[finite]) < 2, axis=0), 3))

# %%
# One constraint: a thermometer
# -----------------------------
# With the energy as the only feature, :math:`\lambda = \beta` and
# :math:`\mathrm{Cov}_p(E) = \mathrm{Var}(E) = C/(k_B\beta^2)`, so :math:`N` energies
# measured in equilibrium determine the inverse temperature to
# :math:`\sigma_\beta = \beta/\sqrt{N C/k_B}`: a large heat capacity makes a good
# thermometer.  On the exact levels of the 4 x 4 Ising lattice at :math:`k_BT = 3J`,
# ``covariance`` of a one-constraint solve is this variance:

levels = maxent.models.ising_2d(4)
ens = maxent.canonical(levels, temperature=3.0)
res = maxent.solve(levels.energies[:, None], [ens.internal_energy], prior=levels.degeneracy)
print(f"beta from solve = {res.multipliers[0]:.6f} (1/T = {1 / 3:.6f})")
print(f"Cov_p(E) = {res.covariance[0, 0]:.6f}, C / beta^2 = {ens.heat_capacity * 3.0**2:.6f}")
print(f"100 energies measure beta to +- {1 / np.sqrt(100 * res.covariance[0, 0]):.4f}")

# %%
# At 20 rolls the one-sigma intervals cover visibly less than 68 % (printed above), while
# the two-sigma ones still hold here: the distribution of the misses is no longer the
# standard normal of the first order.  For small samples, or to be sure,
# repeat the fit on resampled data (the bootstrap) instead of trusting the first order.

# %%
# The claims of this page, checked at every build (binomial tolerances of three
# standard errors for the coverage of 400 intervals):

tolerance = 3 * np.sqrt(0.683 * 0.317 / n_sets)
assert np.all(np.abs(np.mean(np.abs(z) < 1, axis=0) - 0.683) < tolerance)
assert np.allclose(lams.std(axis=0, ddof=1), np.sqrt(np.diag(cov_pred)), rtol=0.1)
assert np.all(np.mean(np.abs(z_small[finite]) < 1, axis=0) < 0.683)
assert np.isclose(res.covariance[0, 0], ens.heat_capacity * 3.0**2, rtol=1e-10)
