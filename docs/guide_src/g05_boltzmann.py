r"""
5. The energy constraint gives Boltzmann
========================================

Replace the die's faces by the energies :math:`E_i` of a physical system and require the
mean energy :math:`\langle E \rangle = U`.  Maximum entropy gives

.. math:: p_i = \frac{e^{-\lambda E_i}}{Z(\lambda)},

the Boltzmann distribution, and comparing with thermodynamics
(:math:`\partial S / \partial U = 1/T`, and :math:`\lambda = \partial S_{\max}/\partial U`
from :doc:`g03_lagrange_multipliers`) identifies the multiplier:
:math:`\lambda = \beta = 1/k_B T`.  maxent uses :math:`k_B = 1`, so :math:`T` is in
energy units unless a unit system says otherwise (:doc:`../conventions`).
"""

import matplotlib.pyplot as plt
import numpy as np

import maxent

E = np.array([0.0, 1.0, 2.0, 3.0, 4.0])  # five levels, one state each
res = maxent.solve({"energy": E}, {"energy": 1.2})
beta = res.multipliers[0]
print(f"lambda = {beta:.6f}  ->  T = 1/lambda = {1 / beta:.6f}")

ens = maxent.canonical(E, temperature=1 / beta)  # the canonical ensemble at that T
print("p from solve:    ", res.p.round(6))
print("p from canonical:", ens.p.round(6))
print(f"U = {ens.internal_energy:.6f}")

# %%
# :func:`maxent.canonical` does the inverse problem too: give :math:`U`, get :math:`T`.

print(maxent.canonical(E, internal_energy=1.2))

# %%
# On a log scale a Boltzmann distribution is a straight line of slope :math:`-\beta`:

fig, ax = plt.subplots(figsize=(6, 3.5))
for U in (0.5, 1.2, 2.0):
    r = maxent.solve({"energy": E}, {"energy": U})
    ax.semilogy(E, r.p, "o-", label=rf"$U$ = {U}: $\beta$ = {r.multipliers[0]:.3f}")
ax.set_xlabel("energy $E_i$")
ax.set_ylabel("$p_i$")
ax.legend()
ax.set_title(r"$\ln p_i = -\beta E_i - \ln Z$")
fig.tight_layout()
