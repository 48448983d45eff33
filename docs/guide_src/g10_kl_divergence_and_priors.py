r"""
10. KL divergence and priors
============================

Maximum entropy assumes every state equally likely before the constraints.  When there
is a better starting point, a prior (or reference measure) :math:`q`, the principle
becomes *minimum relative entropy*: minimise the Kullback-Leibler divergence

.. math:: \mathrm{KL}(p\,\|\,q) = \sum_i p_i \ln\frac{p_i}{q_i} \ \ge 0

subject to the constraints.  The solution is :math:`p_i = q_i e^{-\lambda\cdot F_i}/Z`.
With no constraint, :math:`p = q` and :math:`\mathrm{KL} = 0`; with a uniform
:math:`q`, :math:`\mathrm{KL}(p\|q) = \ln I - S(p)`, so nothing changes.  In physics,
degeneracies are a prior: a level with :math:`g` states weighs :math:`g` times more.
"""

import matplotlib.pyplot as plt
import numpy as np

import maxent

faces = np.arange(1.0, 7.0)
q = np.array([1, 1, 1, 1, 1, 3.0])  # a prior belief: the six is suspicious
res = maxent.solve(faces[:, None], [4.5], prior=q)
flat = maxent.solve(faces[:, None], [4.5])
print("with prior:   ", res.p.round(4), f" KL = {res.kl_divergence:.6f}")
print("uniform prior:", flat.p.round(4), f" KL = {flat.kl_divergence:.6f}")

qn = q / q.sum()
print(f"KL by hand: {np.sum(res.p * np.log(res.p / qn)):.6f}")
print(f"uniform prior: ln 6 - S = {np.log(6) - flat.entropy:.6f}")

# %%
# The prior's shape survives where the data say nothing: the ratio :math:`p_i/q_i` is
# still a pure exponential in the face.

print("p/q ratios:", (res.p / qn)[1:] / (res.p / qn)[:-1])

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.bar(faces - 0.3, qn, width=0.3, label="prior q (normalised)")
ax.bar(faces, res.p, width=0.3, label="p with prior, mean 4.5")
ax.bar(faces + 0.3, flat.p, width=0.3, label="p with uniform prior, mean 4.5")
ax.set_xlabel("face")
ax.set_ylabel("probability")
ax.legend(fontsize="small")
fig.tight_layout()

# %%
# Degeneracies as a prior: the canonical ensemble of levels with degeneracies ``g`` is
# the solve over levels with ``prior=g``.

lv = maxent.EnergyLevels([0.0, 1.0, 2.0], degeneracy=[1, 3, 5])
ens = maxent.canonical(lv, temperature=1.5)
via_solve = maxent.solve(lv.energies[:, None], [ens.internal_energy], prior=lv.degeneracy)
print(ens.p.round(6), via_solve.p.round(6), f"beta = {via_solve.multipliers[0]:.6f}")
