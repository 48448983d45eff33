r"""
4. Jaynes' loaded die
=====================

A die is thrown many times and the average face is reported as 4.5 instead of 3.5.
Which probabilities :math:`p_1, \dots, p_6` should we assign?  Infinitely many
distributions have mean 4.5; maximum entropy picks the one that assumes nothing else
(Jaynes 1957):

.. math:: p_i = \frac{e^{-\lambda i}}{Z}, \qquad
          Z = \sum_{i=1}^{6} e^{-\lambda i}, \qquad \sum_i i\, p_i = 4.5 .

A negative :math:`\lambda` tilts the weight towards high faces.
"""

import matplotlib.pyplot as plt
import numpy as np

import maxent

faces = np.arange(1, 7)
res = maxent.solve({"face": faces}, {"face": 4.5})
print(res)

# %%
# ``res.p`` is the distribution, ``res.multipliers`` the Lagrange multiplier
# :math:`\lambda \approx -0.371`, ``res.moments`` the mean actually reached.  The
# probabilities are a geometric sequence: each face is :math:`e^{0.371} \approx 1.45`
# times as likely as the one below it.

print("p =", res.p.round(4))
print("ratios p[i+1]/p[i] =", (res.p[1:] / res.p[:-1]).round(6))
print("exp(-lambda) =", np.exp(-res.multipliers[0]).round(6))

fig, ax = plt.subplots(figsize=(6, 3.5))
means = [2.5, 3.5, 4.5, 5.5]
for k, b in enumerate(means):
    r = maxent.solve({"face": faces}, {"face": b})
    ax.bar(
        faces + (k - 1.5) * 0.2,
        r.p,
        width=0.2,
        label=rf"mean {b}: $\lambda$ = {r.multipliers[0]:+.3f}",
    )
ax.set_xlabel("face")
ax.set_ylabel("probability")
ax.set_title("Maximum-entropy dice for four reported means")
ax.legend(fontsize="small")
fig.tight_layout()

# %%
# The edges are exact: a mean of 6 leaves only the face 6, with an infinite multiplier,
# and a mean outside [1, 6] is impossible, which maxent says rather than returning NaN.

print(
    maxent.solve({"face": faces}, {"face": 6.0}).p,
    maxent.solve({"face": faces}, {"face": 6.0}).multipliers,
)
try:
    maxent.solve({"face": faces}, {"face": 7.0})
except maxent.InfeasibleTargetsError as err:
    print("InfeasibleTargetsError:", err)
