r"""
1. The entropy of a coin
========================

Shannon's entropy of a distribution :math:`p_1, \dots, p_I` is

.. math:: S = -\sum_i p_i \ln p_i

(in nats: natural logarithms, :math:`k_B = 1`).  It measures how much we do not know
about the outcome.  A coin that shows heads with probability :math:`p` has
:math:`S(p) = -p \ln p - (1-p)\ln(1-p)`: zero when the outcome is certain
(:math:`0 \ln 0 = 0`), largest for the fair coin, where it is :math:`\ln 2`.
"""

import matplotlib.pyplot as plt
import numpy as np

p = np.linspace(0.0, 1.0, 201)
with np.errstate(divide="ignore", invalid="ignore"):
    S = -np.where(p > 0, p * np.log(p), 0.0) - np.where(p < 1, (1 - p) * np.log(1 - p), 0.0)

print(f"S(fair coin) = {S[100]:.6f}   ln 2 = {np.log(2):.6f}")
print(f"S(p = 0.9)   = {S[180]:.6f}")
print(f"largest S at p = {p[np.argmax(S)]}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(p, S)
ax.axhline(np.log(2), color="grey", ls="--", lw=1)
ax.annotate(r"$\ln 2$", (0.02, np.log(2) - 0.06))
ax.set_xlabel("probability of heads $p$")
ax.set_ylabel("entropy $S$ (nats)")
ax.set_title("Entropy of a coin")
fig.tight_layout()

# %%
# maxent computes the same entropy for any distribution it returns (``res.entropy``).
# Asking it for the maximum-entropy distribution of a coin with no information at all
# (one constraint that every distribution satisfies: the average of a zero feature is 0)
# gives the fair coin and :math:`S = \ln 2`:

import maxent

res = maxent.solve(np.zeros((2, 1)), [0.0])
print(res.p, res.entropy, np.isclose(res.entropy, np.log(2)))
