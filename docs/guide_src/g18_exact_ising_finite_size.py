r"""
18. The exact 2D Ising model and finite-size scaling
====================================================

The square-lattice Ising model :math:`E = -J\sum_{\langle ij\rangle} s_i s_j` (here
:math:`J = k_B = 1`, so temperatures are in units of :math:`J/k_B`) is solved exactly on
any :math:`L \times M` torus.  maxent has it twice:

* :func:`maxent.models.ising_2d` gives the exact **levels** (energies and integer
  degeneracies) of a finite torus, for any ensemble or sweep;
* :func:`maxent.models.ising_2d_thermo` gives the thermodynamics **per site** straight
  from Kaufman's closed form, for tori up to :math:`2^{20}` a side and for the infinite
  lattice (Onsager, ``side=np.inf``).

A finite lattice has no phase transition: its heat capacity is smooth, with a peak
that grows and moves towards Onsager's :math:`T_c = 2/\ln(1+\sqrt2)` as the lattice
grows.  How it grows is finite-size scaling.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import minimize_scalar

import maxent
from maxent.models import ising_2d, ising_2d_thermo

T_c = 2 / np.log(1 + np.sqrt(2))

# %%
# Totals and per-site values
# --------------------------
# A sweep over the levels gives **totals** for the whole lattice (``heat_capacity``);
# :func:`~maxent.models.ising_2d_thermo` gives values **per site**, and says so in every
# name (``heat_capacity_per_site``), as :doc:`/conventions` describes.  On the same
# 8 x 8 torus the two routes, one a sum over 63 levels and one Kaufman's formula, agree
# once the total is divided by the 64 sites:

T = np.linspace(1.0, 4.0, 61)
total = maxent.temperature_sweep(ising_2d(8), T)
per_site = ising_2d_thermo(8, T)
n_sites = 8 * 8
diff = np.abs(total.heat_capacity / n_sites - per_site.heat_capacity_per_site)
name_total = total.heat_capacity.attrs["long_name"]
name_site = per_site.heat_capacity_per_site.attrs["long_name"]
print(f"{name_total!r} / {n_sites} sites against {name_site!r}: max difference {diff.max():.1e}")

# %%
# The heat capacity from 4 x 4 to the infinite lattice
# -----------------------------------------------------
# The per-site heat capacity of tori of growing size, against Onsager's
# :math:`c(T)`, which diverges like :math:`\ln|T - T_c|`:

sides = [4, 8, 16, 32, 64, 128]
T = np.linspace(1.6, 3.4, 721)
fig, ax = plt.subplots(figsize=(6.4, 4))
for L in sides:
    ax.plot(T, ising_2d_thermo(L, T).heat_capacity_per_site, lw=1.2, label=f"L = {L}")
onsager = ising_2d_thermo(np.inf, T)
ax.plot(T, onsager.heat_capacity_per_site, "k--", lw=1.2, label="infinite (Onsager)")
ax.axvline(T_c, color="0.7", lw=0.8, zorder=0)
ax.set_xlabel(r"temperature $k_BT$ [units of $J$]")
ax.set_ylabel(r"heat capacity per site $C/(Nk_B)$")
ax.set_ylim(0, 3.2)
ax.legend(fontsize="small")
fig.tight_layout()

# %%
# Away from :math:`T_c` a finite torus is the infinite lattice up to corrections that
# vanish exponentially in L (the correlation length is finite there); close to
# :math:`T_c` they fall only like a power of 1/L.  The internal energy per site:

u_inf = ising_2d_thermo(np.inf, [1.8, T_c, 3.0]).internal_energy_per_site.values
print("L      |u_L - u_inf| at T = 1.8, T_c, 3.0")
for L in (8, 16, 32, 64):
    u_L = ising_2d_thermo(L, [1.8, T_c, 3.0]).internal_energy_per_site.values
    print(f"{L:<6d} " + "  ".join(f"{d:8.1e}" for d in np.abs(u_L - u_inf)))

# %%
# The peak: height and position
# -----------------------------
# Ferdinand and Fisher (1969) showed that the peak of the torus grows like
# :math:`\ln L` with the amplitude of Onsager's divergence,
# :math:`c(T) \simeq -A \ln|1 - T/T_c|` with :math:`A = 8K_c^2/\pi`
# (:math:`K_c = 1/T_c`), and that it sits above :math:`T_c` at a distance proportional
# to :math:`1/L` (the correlation-length exponent is :math:`\nu = 1`).  Each peak is
# found by a bounded scalar search on Kaufman's formula, up to L = 1024; the table gives
# the slope of :math:`c_{\max}` against :math:`\ln L` between successive sizes and the
# shift scaled by L, which both level off:


def peak(L):
    """(T at the maximum, the maximum) of the per-site heat capacity of the L x L torus."""
    found = minimize_scalar(
        lambda t: -float(ising_2d_thermo(L, [t]).heat_capacity_per_site[0]),
        bounds=(2.0, 3.0),
        method="bounded",
        options={"xatol": 1e-9},
    )
    return found.x, -found.fun


sides = np.array([8, 16, 32, 64, 128, 256, 512, 1024])
T_max, c_max = np.array([peak(L) for L in sides]).T
A = 8 / (np.pi * T_c**2)
local_slope = np.diff(c_max) / np.diff(np.log(sides))  # between L/2 and L
scaled_shift = sides * (T_max - T_c) / T_c
print("    L    T_max     c_max   dc_max/dlnL   L (T_max - T_c)/T_c")
for i, (L, t, c) in enumerate(zip(sides, T_max, c_max, strict=True)):
    d = f"{local_slope[i - 1]:.4f}" if i else "      "
    print(f"{L:5d}  {t:.5f}  {c:.4f}      {d}        {scaled_shift[i]:.4f}")
print(f"8 K_c^2 / pi = {A:.4f}")

# %%
# The local slope comes down to :math:`8K_c^2/\pi` from above (the corrections fall like
# :math:`\ln L / L`), and the scaled shift levels off near 0.36.  The slope of Onsager's
# divergence itself, from two temperatures just above :math:`T_c`, is the same number:

t = np.array([1e-6, 1e-5])
c_inf = ising_2d_thermo(np.inf, T_c * (1 + t)).heat_capacity_per_site.values
print(f"Onsager: -dc/d ln|t| = {-(c_inf[1] - c_inf[0]) / np.log(t[1] / t[0]):.4f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
axes[0].plot(sides, c_max, "o", label="exact peaks (Kaufman)")
axes[0].plot(
    sides,
    c_max[-1] + A * np.log(sides / sides[-1]),
    "k-",
    lw=0.8,
    label=r"slope $8K_c^2/\pi$ in $\ln L$",
)
axes[0].set_xscale("log", base=2)
axes[0].set_xlabel("side L of the torus")
axes[0].set_ylabel(r"peak heat capacity per site $C_{\max}/(Nk_B)$")
axes[0].legend()
axes[1].plot(sides, scaled_shift, "o")
axes[1].set_xscale("log", base=2)
axes[1].set_xlabel("side L of the torus")
axes[1].set_ylabel(r"$L\,(T_{\max} - T_c)/T_c$")
axes[1].set_ylim(0, 0.45)
fig.tight_layout()

# %%
# The finite torus is also where the exact levels and any sampler meet: a Monte Carlo
# estimate of :math:`C` on an :math:`L \times L` lattice is compared with
# ``ising_2d_thermo(L, T)`` times :math:`L^2`, not with the infinite lattice
# (:doc:`g16_lattices_and_sampling`).
#
# References: L. Onsager, Phys. Rev. 65, 117 (1944); B. Kaufman, Phys. Rev. 76, 1232
# (1949); A. E. Ferdinand and M. E. Fisher, Phys. Rev. 185, 832 (1969).

# %%
# The claims of this page, checked at every build:

assert diff.max() < 1e-12  # totals / N = per-site values
assert abs(local_slope[-1] - A) < 2e-3 and np.all(np.diff(local_slope) < 0)  # from above
assert 0.35 < scaled_shift[-1] < 0.37
