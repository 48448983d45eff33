r"""
14. Continuous densities from moments
=====================================

On a continuous support the principle is the same: of all densities with
:math:`E[\phi_k(x)] = b_k`, take the one of largest differential entropy
:math:`-\int p \ln p`.  Its form follows as before,

.. math:: p(x) = \frac{q(x)}{Z}\, e^{-\sum_k \lambda_k \phi_k(x)},

with :math:`q` a prior density (1 if none).  :func:`maxent.density` finds it: it solves
the same dual problem as :func:`maxent.solve`, on quadrature nodes of the support whose
weights play the prior, refining the rule until its error is below the tolerance.
Bounded supports use Gauss-Legendre rules; infinite ones and priors use
double-exponential maps of the whole support (tanh-sinh, exp-sinh, sinh-sinh), so nothing
is cut off.  The result behaves like a frozen :mod:`scipy.stats` distribution.

The first three cases are the lecture's classics.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from scipy import special, stats

import maxent

# %%
# The mean on the half-line gives the exponential law
# ----------------------------------------------------
# With :math:`\phi_1 = x` on :math:`[0, \infty)`, :math:`p \propto e^{-\lambda x}`, and the
# mean fixes :math:`\lambda = 1/\langle x\rangle`.

expo = maxent.density([2.0], support=(0, np.inf))
x = np.linspace(0, 12, 7)
print("lambda =", expo.multipliers, "(1 / mean = 0.5)")
print("largest |pdf - exponential|:", np.max(np.abs(expo.pdf(x) - stats.expon(scale=2).pdf(x))))
print(f"entropy {expo.entropy():.12f} = 1 + ln 2 = {1 + np.log(2):.12f}")

# %%
# Mean and variance on the line give the Gaussian
# -----------------------------------------------
# Power moments :math:`E[x] = \mu`, :math:`E[x^2] = \mu^2 + \sigma^2` on
# :math:`(-\infty, \infty)`: a quadratic exponent, the normal law.

gauss = maxent.density([1.0, 1.0 + 0.5**2], support=(-np.inf, np.inf))
x = np.linspace(-1, 3, 9)
print("multipliers:", gauss.multipliers, "(-mu/sigma^2 = -4, 1/(2 sigma^2) = 2)")
print("largest |cdf - normal cdf|:", np.max(np.abs(gauss.cdf(x) - stats.norm(1, 0.5).cdf(x))))

# %%
# More moments of the same laws: an answer on the edge
# ----------------------------------------------------
# Give the exponential law's first six moments, :math:`E[x^k] = k!\,2^k`.  The density of
# largest entropy with the mean alone already has them all, so it is the answer: the
# multipliers of :math:`x^2, \dots, x^6` are 0.  That answer sits on the edge of the
# multipliers' domain (with a negative multiplier on the top power the density would not
# be integrable), where Newton's method on the quadrature nodes cannot arrive from
# inside; :func:`maxent.density` then tries the densities of the first 1, 2, ... moments
# and returns the first that has them all, and ``message`` says so.  The same holds for
# the Gaussian's moments on the line.

six = maxent.density([math.factorial(k) * 2.0**k for k in range(1, 7)], support=(0, np.inf))
print("multipliers:", six.multipliers, "| status:", six.status)
print(six.message)
m = [1.0, 1.0]  # moments of N(1, 0.5^2): E[x^k] = mu E[x^(k-1)] + (k-1) sigma^2 E[x^(k-2)]
for k in range(2, 7):
    m.append(m[k - 1] + (k - 1) * 0.25 * m[k - 2])
gauss6 = maxent.density(m[1:], support=(-np.inf, np.inf))
print("Gaussian, 6 moments, multipliers:", gauss6.multipliers)

# %%
# The mean and the mean logarithm give the Gamma law
# --------------------------------------------------
# Custom features are callables; with :math:`\phi = (x, \ln x)` the exponent is
# :math:`-\lambda_1 x - \lambda_2 \ln x`, a Gamma density of shape :math:`1 - \lambda_2`
# and rate :math:`\lambda_1`.  Shape 0.6 makes it singular at 0; the exp-sinh map
# integrates that as well as a smooth density.

shape, scale = 0.6, 1.5
gamma = maxent.density(
    {"x": shape * scale, "log x": special.digamma(shape) + np.log(scale)},
    support=(0, np.inf),
    features={"x": lambda x: x, "log x": np.log},
)
law = stats.gamma(shape, scale=scale)
print("shape", 1 - gamma.multipliers[1], " rate", gamma.multipliers[0], "(0.6, 0.6667)")
x = np.array([1e-3, 0.1, 1.0, 5.0])
print("pdf relative error:", np.max(np.abs(gamma.pdf(x) / law.pdf(x) - 1)))

fig, axes = plt.subplots(1, 3, figsize=(9, 2.8))
for ax, d, ref, grid, title in (
    (axes[0], expo, stats.expon(scale=2), np.linspace(0, 10, 200), "E[x] = 2 on [0, inf)"),
    (axes[1], gauss, stats.norm(1, 0.5), np.linspace(-1, 3, 200), "mean, variance on R"),
    (axes[2], gamma, law, np.linspace(0.01, 4, 200), "E[x], E[ln x] on [0, inf)"),
):
    ax.plot(grid, ref.pdf(grid), lw=4, alpha=0.35, label="closed form")
    ax.plot(grid, d.pdf(grid), "k", lw=1, label="maxent.density")
    ax.set_title(title, fontsize="small")
    ax.set_xlabel("x")
axes[0].set_ylabel("p(x)")
axes[0].legend(fontsize="x-small")
fig.tight_layout()

# %%
# Kernel-polynomial densities of states
# -------------------------------------
# The density of states of a large Hamiltonian is a density on the band
# :math:`[-W, W]` whose Chebyshev moments :math:`\mu_k = \mathrm{Tr}\,T_k(H/W)/N` come
# cheaply: one sparse product per moment and random vector, with the trace estimated
# from a few random vectors :math:`v` (:math:`\mathrm{Tr}\,A \approx \langle v^T A v
# \rangle` for random signs; Weiße et al., Rev. Mod. Phys. 78, 275, 2006).  The moments so
# estimated are exactly those of a positive measure, so maximum entropy always applies
# (Silver & Röder, Phys. Rev. E 56, 4822, 1997).  Here the tight-binding chain of
# :math:`10^5` sites (:math:`H = -t\sum_i c_i^\dagger c_{i+1} + \mathrm{h.c.}`, band
# :math:`[-2t, 2t]`, arcsine law :math:`1/\pi\sqrt{4t^2 - E^2}`) and the square lattice of
# :math:`316^2` sites (band :math:`[-4t, 4t]`, a logarithmic van Hove singularity at
# :math:`E = 0`: :math:`\rho = K(1 - E^2/16t^2)/2\pi^2 t`).

from scipy import sparse


def chain(n):
    """Periodic tight-binding chain, t = 1."""
    hop = sparse.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], format="lil")
    hop[0, n - 1] = hop[n - 1, 0] = 1.0
    return -hop.tocsr()


def square(side):
    c, eye = chain(side), sparse.identity(side, format="csr")
    return (sparse.kron(c, eye) + sparse.kron(eye, c)).tocsr()


def chebyshev_moments(h, width, order, n_vectors, rng):
    """Stochastic-trace Chebyshev moments of the density of states of ``h / width``."""
    hs = h / width
    mu = np.zeros(order + 1)
    for _ in range(n_vectors):
        v = rng.choice([-1.0, 1.0], h.shape[0]) / np.sqrt(h.shape[0])
        prev, cur = v, hs @ v
        mu[0] += v @ prev
        mu[1] += v @ cur
        for k in range(2, order + 1):
            prev, cur = cur, 2.0 * (hs @ cur) - prev
            mu[k] += v @ cur
    return mu / mu[0]


rng = np.random.default_rng(1)
lattices = {
    "chain, N = 100000": (chain(100_000), 2.0, lambda u: 1 / (np.pi * np.sqrt(1 - u**2))),
    "square, N = 99856": (square(316), 4.0, lambda u: 2 / np.pi**2 * special.ellipk(1 - u**2)),
}
orders = [10, 20, 40, 80, 160]
u = np.linspace(-1, 1, 4001)[1:-1] + 1e-7  # avoid the van Hove point itself
errors = {}
fits = {}
for name, (h, width, exact) in lattices.items():
    mu = chebyshev_moments(h, width, max(orders), 3, rng)
    errors[name] = []
    for k in orders:
        d = maxent.density(mu[1 : k + 1], support=(-1, 1), basis="chebyshev", tol=1e-8)
        errors[name].append(np.trapezoid(np.abs(d.pdf(u) - exact(u)), u))
        fits[name, k] = d
    print(name, " L1 error by order:", np.round(errors[name], 4))

# %%
# The error falls with the number of moments until the singularities (the arcsine law's
# inverse square roots at the band edges, the square lattice's logarithm at the centre)
# and the noise of the stochastic trace (three vectors here) stop it: with 160 moments
# the density starts to follow that noise.  It never goes negative, unlike a truncated
# Chebyshev series.
# Giving the Chebyshev weight :math:`1/\pi\sqrt{1-u^2}` as the prior removes the edge
# singularities from what the exponent has to fit: for the chain the answer is then the
# prior itself, up to the noise of the moments.

fig, axes = plt.subplots(1, 3, figsize=(10, 3))
for ax, name in zip(axes[:2], lattices, strict=True):
    exact = lattices[name][2]
    ax.plot(u, exact(u), lw=4, alpha=0.35, label="exact")
    for k in (20, 160):
        ax.plot(u, fits[name, k].pdf(u), lw=1, label=f"maxent, {k} moments")
    ax.set_ylim(0, 1.6)
    ax.set_title(name, fontsize="small")
    ax.set_xlabel("E / W")
axes[0].set_ylabel("density of states")
axes[0].legend(fontsize="x-small")
for name, errs in errors.items():
    axes[2].loglog(orders, errs, "o-", label=name.split(",")[0])
axes[2].set_xlabel("number of Chebyshev moments")
axes[2].set_ylabel("L1 error")
axes[2].legend(fontsize="x-small")
fig.tight_layout()

mu_chain = chebyshev_moments(lattices["chain, N = 100000"][0], 2.0, 40, 3, rng)
weight = lambda v: 1 / (np.pi * np.sqrt(1 - v**2))  # noqa: E731
with_prior = maxent.density(
    mu_chain[1:], support=(-1, 1), basis="chebyshev", prior=weight, tol=1e-8
)
err = np.trapezoid(np.abs(with_prior.pdf(u) - weight(u)), u)
print(f"chain, 40 moments, Chebyshev-weight prior: L1 error {err:.4f}")
