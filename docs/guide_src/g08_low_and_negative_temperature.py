r"""
8. Low and negative temperatures
================================

As :math:`T \to 0^+` (:math:`\beta \to +\infty`) the distribution collapses onto the
ground level (shared among its :math:`g_0` states, so :math:`S \to \ln g_0`).  For a
spectrum bounded above, :math:`\beta` can also be negative: then higher levels are *more*
populated (population inversion, as in a laser or a nuclear spin system after a field
reversal), and :math:`\beta \to -\infty` (:math:`T \to 0^-`) puts everything in the top
level.  In terms of :math:`\beta` the sequence is continuous:
:math:`+\infty \to 0 \to -\infty`, i.e. :math:`T = 0^+ \to +\infty = -\infty \to 0^-`;
negative temperatures are *hotter* than any positive one.

:math:`\beta = \partial S / \partial U` is negative when adding energy lowers the
entropy, which happens above the middle of a bounded spectrum.
"""

import matplotlib.pyplot as plt
import numpy as np

import maxent

lv = maxent.models.paramagnet(n_spins=10, field=1.0)  # 11 levels, binomial degeneracies
print(lv)
for T in (0.0, 0.5, np.inf, -0.5, -0.0):
    ens = maxent.canonical(lv, temperature=T)
    print(
        f"T = {T:>5}:  beta = {ens.beta:>6.3g}  U = {ens.internal_energy:+.4f}"
        f"  S = {ens.entropy:.4f}  p(ground) = {ens.p[np.argmin(lv.energies)]:.4f}"
    )

# %%
# Ask for a mean energy above the middle and maxent finds a negative temperature:

hot = maxent.canonical(lv, internal_energy=5.0)
print(f"U = 5: T = {hot.temperature:.6f}, beta = {hot.beta:.6f}")

beta = np.linspace(-3, 3, 301)
rows = [maxent.canonical(lv, beta=b) for b in beta]
U = np.array([r.internal_energy for r in rows])
S = np.array([r.entropy for r in rows])
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
axes[0].plot(U, S)
axes[0].set_xlabel("U")
axes[0].set_ylabel("S / k_B")
axes[0].set_title(r"slope $\partial S/\partial U = \beta$")
for i, b in enumerate((2.0, 0.3, -0.3, -2.0)):
    r = maxent.canonical(lv, beta=b)
    axes[1].bar(lv.energies + (i - 1.5) * 0.4, r.p, width=0.4, label=rf"$\beta$ = {b}")
axes[1].set_xlabel("level energy")
axes[1].set_ylabel("population")
axes[1].legend(fontsize="small")
fig.tight_layout()
