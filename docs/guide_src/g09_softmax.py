r"""
9. Softmax is a Boltzmann layer
===============================

The last layer of a neural-network classifier turns scores (logits) :math:`z_i` into
probabilities with the softmax,

.. math:: p_i = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}},

which is the Boltzmann distribution of states with energies :math:`E_i = -z_i` at
temperature :math:`T` ("temperature scaling" in machine learning).  It is therefore also
the maximum-entropy distribution with a prescribed mean score.  :func:`maxent.softmax`
computes it with the same log-sum-exp as :func:`maxent.canonical`, so huge logits do
not overflow, :math:`T = 0` is the argmax and :math:`T = \infty` the uniform
distribution.
"""

import matplotlib.pyplot as plt
import numpy as np

import maxent

z = np.array([3.0, 1.5, 1.0, 0.2, -1.0])
for T in (0.0, 0.5, 1.0, 5.0, np.inf):
    p = maxent.softmax(z, temperature=T)
    same = np.allclose(p, maxent.canonical(-z, temperature=T).p)
    print(f"T = {T:>4}: p = {p.round(4)}   equals canonical(-z): {same}")

print("no overflow:", maxent.softmax([1000.0, 999.0]))

# %%
# The mean score of the softmax output is a moment constraint; maximum entropy with that
# target returns the same distribution, with :math:`\lambda = -1/T`:

p = maxent.softmax(z, temperature=0.5)
res = maxent.solve(z[:, None], [p @ z])
print("solve:", res.p.round(4), " lambda =", res.multipliers.round(6))

fig, ax = plt.subplots(figsize=(6, 3.5))
for k, T in enumerate((0.25, 1.0, 4.0)):
    ax.bar(
        np.arange(z.size) + (k - 1) * 0.27,
        maxent.softmax(z, temperature=T),
        width=0.27,
        label=f"T = {T}",
    )
ax.set_xticks(np.arange(z.size), [f"z = {v}" for v in z])
ax.set_ylabel("probability")
ax.set_title("softmax at three temperatures")
ax.legend()
fig.tight_layout()
