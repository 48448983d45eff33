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
    print(f"T = {T:>8g}:  Z = {np.exp(ens.log_Z):12.2f}   S = {ens.entropy:.6f}"
          f"   p per state of the top level = {ens.p[-1] / lv.degeneracy[-1]:.3e}")
print(f"1/I = {1 / I:.3e}")

# %%
ds = maxent.temperature_sweep(lv, np.geomspace(0.5, 1e4, 200))
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogx(ds.temperature, np.exp(ds.log_Z) / I, label="Z / I")
ax.semilogx(ds.temperature, ds.entropy / np.log(I), label=r"S / ln I")
ax.axhline(1.0, color="grey", ls="--", lw=1)
ax.set_xlabel("T (J = k_B = 1)")
ax.set_yscale("log")
ax.set_title("4 x 4 Ising lattice: approach to the uniform distribution")
ax.legend()
fig.tight_layout()
