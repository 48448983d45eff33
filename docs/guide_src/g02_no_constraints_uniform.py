r"""
2. No constraints: the uniform distribution
===========================================

With nothing known but the list of :math:`I` possible states, the distribution of
largest entropy is the uniform one, :math:`p_i = 1/I`, with :math:`S = \ln I`.  Any
other distribution is more peaked and claims knowledge we do not have.

A quick check: the entropy of random distributions over :math:`I = 6` states never
exceeds :math:`\ln 6`, and only the uniform one reaches it.
"""

import matplotlib.pyplot as plt
import numpy as np

import maxent

rng = np.random.default_rng(0)
I = 6
samples = rng.dirichlet(np.ones(I), size=20_000)  # random distributions over 6 states
S = -np.sum(samples * np.log(samples), axis=1)
print(f"ln {I} = {np.log(I):.6f};  largest of 20000 random entropies = {S.max():.6f}")

res = maxent.solve(np.zeros((I, 1)), [0.0])  # a constraint that says nothing
print("maximum-entropy p:", res.p, " 1/I =", 1 / I)
print(f"its entropy {res.entropy:.6f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.hist(S, bins=80, color="C0", alpha=0.7)
ax.axvline(np.log(I), color="k", ls="--", label=r"$\ln I$ (uniform)")
ax.set_xlabel("entropy of a random distribution over 6 states (nats)")
ax.set_ylabel("count")
ax.legend()
fig.tight_layout()

# %%
# The same holds in physics: with no energy information (infinite temperature, see
# :doc:`g07_high_temperature`) every microstate is equally likely.  The canonical
# ensemble at :math:`T = \infty` returns exactly :math:`1/I`:

print(maxent.canonical(np.arange(5.0), temperature=np.inf).p)
