r"""
6. The partition function
=========================

The normalisation :math:`Z(\beta) = \sum_l g_l e^{-\beta E_l}` (a sum over levels with
degeneracies :math:`g_l`) generates all of equilibrium thermodynamics:

.. math::

   U = -\frac{\partial \ln Z}{\partial \beta}, \qquad
   F = -k_B T \ln Z, \qquad
   S/k_B = \beta (U - F), \qquad
   C/k_B = \beta^2 \operatorname{Var}(E) = \beta^2 \frac{\partial^2 \ln Z}{\partial \beta^2}.

Here we check these against finite differences of :math:`\ln Z` for a two-level system
(gap :math:`\Delta = 1`), where :math:`Z = 1 + e^{-\beta}` in closed form.
"""

import matplotlib.pyplot as plt
import numpy as np

import maxent

lv = maxent.models.two_level(1.0)
print(lv)

beta, h = 0.7, 1e-4
ens = maxent.canonical(lv, beta=beta)
log_Z = lambda b: maxent.canonical(lv, beta=b).log_Z  # noqa: E731
print(f"ln Z = {ens.log_Z:.10f}   closed form ln(1 + e^-beta) = {np.log1p(np.exp(-beta)):.10f}")
U_fd = -(log_Z(beta + h) - log_Z(beta - h)) / (2 * h)
C_fd = beta**2 * (log_Z(beta + h) - 2 * log_Z(beta) + log_Z(beta - h)) / h**2
print(f"U = {ens.internal_energy:.8f}   -d lnZ/d beta = {U_fd:.8f}")
print(f"C = {ens.heat_capacity:.6f}   beta^2 d2 lnZ/d beta2 = {C_fd:.6f}")
S_thermo = beta * (ens.internal_energy - ens.free_energy)
print(f"S = {ens.entropy:.8f}   beta (U - F) = {S_thermo:.8f}")

# %%
# The heat capacity of the two-level system has the Schottky peak, at
# :math:`k_B T \approx 0.42\,\Delta`:

ds = maxent.temperature_sweep(lv, np.geomspace(0.05, 10, 300))
T_peak = float(ds.heat_capacity.idxmax("temperature"))
print(f"Schottky peak at T = {T_peak:.3f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
axes[0].semilogx(ds.temperature, ds.log_Z, label=r"$\ln Z$")
axes[0].axhline(np.log(2), color="grey", ls="--", lw=1, label=r"$\ln 2$ ($T\to\infty$)")
axes[0].set_xlabel("T")
axes[0].legend()
axes[1].semilogx(ds.temperature, ds.heat_capacity)
axes[1].axvline(T_peak, color="grey", ls=":", lw=1)
axes[1].set_xlabel("T")
axes[1].set_ylabel("C / k_B")
axes[1].set_title("Schottky anomaly")
fig.tight_layout()

# %%
# ``canonical`` reports :math:`\ln Z` of the *unnormalised* sum over levels, the
# physicist's partition function.  :func:`maxent.solve` normalises its prior, so its
# ``log_Z`` is :math:`\ln Z - \ln \sum_l g_l`; the two differ by the log of the number of
# states (see :doc:`../conventions`).

res = maxent.solve(lv.energies[:, None], [ens.internal_energy], prior=lv.degeneracy)
print(f"solve: log_Z = {res.log_Z:.10f};  canonical log_Z - ln 2 = {ens.log_Z - np.log(2):.10f}")
