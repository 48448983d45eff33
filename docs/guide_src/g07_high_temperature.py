r"""
7. High temperature: Z → I and p → 1/I
======================================

As :math:`T \to \infty` (:math:`\beta \to 0`) every Boltzmann factor tends to 1, so
:math:`Z \to \sum_l g_l = I`, the number of states, and every state has
:math:`p = 1/I`: the uniform distribution of :doc:`g02_no_constraints_uniform`.  The
entropy tends to :math:`\ln I`.  maxent computes the limit exactly at ``temperature=inf``
(``beta=0``), not by overflow-prone division.

Below: the 4 × 4 periodic Ising lattice, :math:`I = 2^{16} = 65536` states in 15 energy
levels.
"""

import matplotlib.pyplot as plt
import numpy as np

import maxent

lv = maxent.models.ising_2d(4)
I = lv.n_states
print(f"I = {I:.0f} states, ln I = {np.log(I):.6f}")
for T in (2.0, 10.0, 1e3, 1e6, np.inf):
    ens = maxent.canonical(lv, temperature=T)
    print(
        f"T = {T:>8g}:  Z = {np.exp(ens.log_Z):12.2f}   S = {ens.entropy:.6f}"
        f"   p per state of the top level = {ens.p[-1] / lv.degeneracy[-1]:.3e}"
    )
print(f"1/I = {1 / I:.3e}")

# %%
# Left: the probability of one microstate of the ground, a middle and the top level
# (:math:`p_l / g_l`) against temperature, all tending to :math:`1/I`.  Right:
# :math:`\ln Z - \ln I \to 0` and :math:`S \to \ln I`.

ds = maxent.temperature_sweep(lv, np.geomspace(0.5, 1e4, 200))
per_state = ds.probability.values / lv.degeneracy  # (temperature, level)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for level in (0, lv.n_levels // 2, lv.n_levels - 1):
    axes[0].loglog(
        ds.temperature, per_state[:, level], label=f"one state at E = {lv.energies[level]:g}"
    )
axes[0].axhline(1 / I, color="k", ls="--", lw=1, label="1/I")
axes[0].set_ylim(1e-12, 1)
axes[0].set_xlabel("T (J = k_B = 1)")
axes[0].set_ylabel("probability of one microstate")
axes[0].legend(fontsize="small")
axes[1].semilogx(ds.temperature, ds.log_Z - np.log(I), label=r"$\ln Z - \ln I$")
axes[1].semilogx(ds.temperature, np.log(I) - ds.entropy, label=r"$\ln I - S$")
axes[1].axhline(0.0, color="grey", ls="--", lw=1)
axes[1].set_xlabel("T (J = k_B = 1)")
axes[1].legend()
fig.suptitle("4 x 4 Ising lattice: approach to the uniform distribution")
fig.tight_layout()
