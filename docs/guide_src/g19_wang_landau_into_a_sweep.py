r"""
19. Wang-Landau: a density of states into a temperature sweep
=============================================================

A Metropolis run samples one temperature.  Wang-Landau sampling estimates the density
of states :math:`g(E)` itself, by a random walk in energy that is pushed away from
energies it has already visited until its histogram is flat; once :math:`g(E)` is
known, every temperature follows from the sums

.. math:: Z(T) = \sum_E g(E)\, e^{-E/k_BT}, \qquad
          p(E) = g(E)\, e^{-E/k_BT} / Z,

which is what :func:`maxent.temperature_sweep` computes from any levels.  So
:func:`maxent.wang_landau` returns a :class:`~maxent.SampledEnergyLevels`, usable as any
:class:`~maxent.EnergyLevels`, with the walk-to-walk scatter of :math:`\ln g`.  Here it is
checked on the 8 x 8 periodic Ising lattice (:math:`J = k_B = 1`), whose exact
degeneracies are known (:func:`maxent.models.ising_2d`: integer counts of all
:math:`2^{64}` configurations by energy).
"""

import matplotlib.pyplot as plt
import numpy as np

import maxent

model = maxent.IsingModel((8, 8))
dos = maxent.wang_landau(model, ln_f_final=1e-5, n_walks=4, seed=1)
exact = maxent.models.ising_2d(8)
dos

# %%
# The estimate next to the exact counts
# -------------------------------------
# The 8 x 8 torus has 63 energies, :math:`E = -128 + 4m` for :math:`m = 0, \dots, 64`
# except :math:`m = 1` and :math:`63` (no configuration has exactly two unsatisfied
# bonds); the walk finds all of them.  It normalises :math:`\ln g` so that
# :math:`\sum_E g(E) = 2^{64}`, so the estimate and the exact counts compare level by
# level, in units of the estimate's own error bar:

print("same energies:", np.array_equal(np.sort(dos.energies), np.sort(exact.energies)))
order = np.argsort(dos.energies)
E = dos.energies[order]
ln_g = dos.log_degeneracy[order]
ln_g_err = dos.log_degeneracy_error[order]
ln_g_exact = exact.log_degeneracy[np.argsort(exact.energies)]
z = (ln_g - ln_g_exact) / ln_g_err
print(f"ln g from {ln_g_exact.min():.3f} to {ln_g_exact.max():.2f}")
print(f"max |ln g - exact| = {np.abs(ln_g - ln_g_exact).max():.3f}")
print(f"median error bar   = {np.median(ln_g_err):.3f}")
print(f"levels within 2 error bars: {np.mean(np.abs(z) < 2):.0%} of {z.size}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
axes[0].plot(E, ln_g_exact, "k-", lw=1, label="exact (Beale)")
axes[0].plot(E, ln_g, "o", ms=3, label="Wang-Landau, 4 walks")
axes[0].set_xlabel(r"energy $E$ [units of $J$]")
axes[0].set_ylabel(r"$\ln g(E)$")
axes[0].legend()
axes[1].errorbar(E, ln_g - ln_g_exact, yerr=ln_g_err, fmt="o", ms=3, capsize=2)
axes[1].axhline(0, color="k", lw=0.8)
axes[1].set_xlabel(r"energy $E$ [units of $J$]")
axes[1].set_ylabel(r"$\ln g - \ln g_\mathrm{exact}$ (1 error bar)")
fig.tight_layout()

# %%
# Into a temperature sweep
# ------------------------
# The estimate goes into :func:`maxent.temperature_sweep` like any levels; the sweep
# gives totals for the whole lattice (:doc:`/conventions`), divided here by the 64 sites.
# An error bar for each thermodynamic quantity comes from the walks:
# ``walk_log_degeneracy`` holds each walk's :math:`\ln g`, each walk is swept on its own,
# and the standard error of their mean is the scatter over :math:`\sqrt{n_\mathrm{walks}}`.

T = np.linspace(1.0, 5.0, 161)
n_sites = model.n_sites
sweep = maxent.temperature_sweep(dos, T)
sweep_exact = maxent.temperature_sweep(exact, T)
per_walk = np.array(
    [
        maxent.temperature_sweep(
            maxent.EnergyLevels(dos.energies, log_degeneracy=walk), T
        ).heat_capacity.values
        for walk in dos.walk_log_degeneracy
    ]
)
n_walks = per_walk.shape[0]
C_err = per_walk.std(axis=0, ddof=1) / np.sqrt(n_walks)
C, C_exact = sweep.heat_capacity.values, sweep_exact.heat_capacity.values
z_C = (C - C_exact) / C_err
print(f"C/N: max |WL - exact| = {np.abs(C - C_exact).max() / n_sites:.4f}")
print(f"peak: WL at T = {T[C.argmax()]:.3f}, exact at T = {T[C_exact.argmax()]:.3f}")
print(f"|C - C_exact| / error: median {np.median(np.abs(z_C)):.2f}, max {np.abs(z_C).max():.2f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
axes[0].plot(T, C_exact / n_sites, "k-", lw=1, label="exact levels")
axes[0].fill_between(
    T,
    (C - 2 * C_err) / n_sites,
    (C + 2 * C_err) / n_sites,
    alpha=0.4,
    label=r"Wang-Landau $\pm$ 2 error bars",
)
axes[0].set_xlabel(r"temperature $k_BT$ [units of $J$]")
axes[0].set_ylabel(r"heat capacity per site $C/(Nk_B)$")
axes[0].legend()
axes[1].plot(T, z_C, lw=1)
axes[1].axhspan(-2, 2, color="0.9", zorder=0)
axes[1].set_xlabel(r"temperature $k_BT$ [units of $J$]")
axes[1].set_ylabel(r"$(C - C_\mathrm{exact})$ / error bar")
fig.tight_layout()

# %%
# What the error bars do and do not cover
# ---------------------------------------
# The deviations of :math:`\ln g` are not independent from level to level: they form a
# smooth bow over the energies, and fewer levels lie within two error bars than the 95 %
# independent Gaussian errors would give.  That is a bias common to the four walks (a
# final modification factor :math:`\ln f` that is still large for this lattice leaves
# a systematic error of order :math:`\sqrt{\ln f}` in :math:`\ln g`), which their
# scatter cannot see; and the scatter of four walks is itself uncertain (three degrees
# of freedom).  The heat capacity inherits both: within about two of its error bars near
# the peak, a little beyond at the ends of the range.  A smaller ``ln_f_final`` (cost
# :math:`\propto 1/\ln f`) shrinks the bias, more walks make the error bar itself
# trustworthy; comparing with an exact small lattice, as here, is how to tell whether a
# setting is good enough before trusting it on a lattice that has no exact answer.

# %%
# The claims of this page, checked at every build:

assert np.array_equal(np.sort(dos.energies), np.sort(exact.energies))
assert 0.5 < np.mean(np.abs(z) < 2) < 0.95  # fewer than independent errors would give
assert np.all(np.abs(z_C[(T > 2.0) & (T < 3.0)]) < 2.5)  # near the peak
assert np.abs(z_C).max() < 4
