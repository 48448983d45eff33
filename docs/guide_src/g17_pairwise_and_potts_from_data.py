r"""
17. Pairwise and Potts models from data
=======================================

Given samples of n variables, the maximum-entropy distribution that keeps their one- and
two-site marginals is the pairwise model

.. math:: P(x) = \frac{1}{Z}\exp\Big(\sum_i h_i(x_i) + \sum_{i<j} J_{ij}(x_i, x_j)\Big),

the Ising model for spins and the Potts model for q states, and fitting it is maximum
likelihood.  :func:`maxent.fit_pairwise` does it exactly when the :math:`q^n` states can
be enumerated (up to :math:`2^{20}`), by pseudo-likelihood beyond, and by Boltzmann
learning on request.  First spins, then 0/1 occupations, then the Potts model of a
protein family: direct-coupling analysis (DCA), whose strongest couplings mark residues
in contact.
"""

import itertools
import lzma
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import logsumexp
from scipy.stats import spearmanr

import maxent

# %%
# Spins: an 8-spin Ising model and 20000 samples of it
# ----------------------------------------------------
# The true fields and couplings are random; the samples are drawn from the exactly
# enumerated distribution :math:`P(s) \propto \exp(\sum_i h_i s_i + \sum_{i<j} J_{ij}
# s_i s_j)`.

rng = np.random.default_rng(1)
n = 8
h_true = rng.normal(0, 0.3, n)
J_true = np.triu(rng.normal(0, 0.5 / np.sqrt(n), (n, n)), 1)
J_true += J_true.T
iu = np.triu_indices(n, 1)
states = np.array(list(itertools.product([-1, 1], repeat=n)))
log_w = states @ h_true + np.einsum("si,ij,sj->s", states, np.triu(J_true), states)
p = np.exp(log_w - logsumexp(log_w))
samples = states[rng.choice(len(states), 20_000, p=p)]

exact = maxent.fit_pairwise(samples)  # "auto": 2^8 states, so exact maximum likelihood
pseudo = maxent.fit_pairwise(samples, method="pseudolikelihood")
print(exact)

# %%
# The fit keeps every state's parameters (two per spin, four per pair, in the zero-sum
# gauge); :meth:`~maxent.PairwiseResult.to_values` gives the Ising fields and couplings
# in the convention of the data, here :math:`s = \pm 1`.

h_ml, J_ml = exact.to_values((-1, 1))
h_pl, J_pl = pseudo.to_values((-1, 1))
fig, ax = plt.subplots(figsize=(4.6, 4.2))
ax.plot(J_true[iu], J_ml[iu], "o", label="exact maximum likelihood")
ax.plot(J_true[iu], J_pl[iu], "x", label="pseudo-likelihood")
lim = np.abs(J_true).max() * 1.2
ax.plot([-lim, lim], [-lim, lim], "k-", lw=0.6)
ax.set(xlabel="true $J_{ij}$", ylabel="fitted $J_{ij}$", title="8 spins, 20000 samples")
ax.legend()
fig.tight_layout()
print(
    f"largest |J_fit - J_true|: exact {np.abs(J_ml - J_true).max():.3f}, "
    f"pseudo-likelihood {np.abs(J_pl - J_true).max():.3f}"
)

# %%
# Occupations: the same data as 0/1
# ----------------------------------
# Written as occupations :math:`n_i = (s_i + 1)/2` the samples give the same model; only
# its parameters look different.  ``to_values((0, 1))`` returns the lattice-gas ones,
# :math:`P(n) \propto \exp(\sum_i h_i n_i + \sum_{i<j} J_{ij} n_i n_j)`, with
# :math:`J^{01} = 4 J^{\pm}` and :math:`h^{01}_i = 2 h^{\pm}_i - 2\sum_j J^{\pm}_{ij}`
# (:func:`maxent.features.change_values` converts either way).  Energies agree up to
# a constant.

occupations = (samples + 1) // 2
lattice_gas = maxent.fit_pairwise(occupations)
h01, J01 = lattice_gas.to_values((0, 1))
print("J01 / J+- =", np.round(J01[iu][:4] / J_ml[iu][:4], 6))
occ_states = (states + 1) // 2
E_pm = -(states @ h_ml + np.einsum("si,ij,sj->s", states, np.triu(J_ml), states))
E_01 = -(occ_states @ h01 + np.einsum("si,ij,sj->s", occ_states, np.triu(J01), occ_states))
print(f"energy differences agree to {np.ptp(E_pm - E_01):.1e} over all {len(states)} states")

# %%
# The fit returns the distribution, whichever convention it is written in: fitted to the
# exact probabilities of all 256 states (``weights``), both fits give back the true
# model, and :meth:`~maxent.PairwiseResult.energy` (:math:`E = -\log P - \log Z`) of
# every state differs from the truth's :math:`-\log P` by one constant.

truth_pm = maxent.fit_pairwise(states, weights=p)
truth_01 = maxent.fit_pairwise(occ_states, weights=p)
E_true = -log_w
for name, fit, x in (("+-1", truth_pm, states), ("0/1", truth_01, occ_states)):
    print(f"{name}: energy differences off the truth's by {np.ptp(fit.energy(x) - E_true):.1e}")

# %%
# Data the model cannot fit
# -------------------------
# Maximum likelihood needs every state and pair of states inside the model's reach.
# Two spins that are always equal, a spin that never flips, or three 0/1 sites that
# always hold one or two ones (every pair of values is seen, yet the data lie on a face
# of what a pairwise model can reach) have their maximum at infinite couplings: the fit
# is refused and says why.  An L2 penalty (``l2``) makes it finite.

face = list(itertools.product([0, 1], repeat=3))[1:-1]  # one or two ones
face_samples = np.array(face * 50)
try:
    maxent.fit_pairwise(face_samples)
except maxent.InvalidInputError as err:
    print("refused:", str(err)[:120], "...")
penalised = maxent.fit_pairwise(face_samples, l2=0.5)
print("with l2=0.5:", penalised.converged, np.round(penalised.to_values((0, 1))[1][0], 3))

# %%
# Three states: plmc's Potts chain
# --------------------------------
# plmc's ``potts3`` example holds 500 configurations of a 60-site one-dimensional
# three-state Potts chain (states ``_*^``).  Fitted with plmc's penalty, the strongest
# coupling scores are the 59 bonds of the chain.

data = Path(maxent.__file__).resolve().parents[1] / "tests" / "data"
chain = maxent.read_alignment(data / "potts3.a2m.xz")
potts = maxent.fit_pairwise(chain.sequences, alphabet="_*^", l2=(1.0, 1.0))
chain_scores = potts.coupling_scores()
iu60 = np.triu_indices(potts.n_sites, 1)
bond = iu60[1] - iu60[0] == 1
print(
    f"weakest chain bond {chain_scores[iu60][bond].min():.3f} > strongest other pair "
    f"{chain_scores[iu60][~bond].max():.3f}"
)
fig, ax = plt.subplots(figsize=(4.6, 4.2))
image = ax.imshow(chain_scores, cmap="Greys", origin="lower")
ax.set(xlabel="site", ylabel="site", title="potts3: coupling scores (APC)")
fig.colorbar(image, ax=ax, shrink=0.8)
fig.tight_layout()

# %%
# A protein family: direct-coupling analysis of DHFR
# ---------------------------------------------------
# The alignment of dihydrofolate reductase from plmc's examples (3629 sequences,
# ``tests/data/DHFR.a2m.xz``) is read with the E. coli sequence as focus: only its
# upper-case columns are kept, and sequences with a letter outside the 20 amino acids
# and the gap are dropped.  The model has 20 states per site, the gap being treated as
# missing (plmc's ``-g``); sequences are weighted by 1 / (number of sequences at least
# 80% identical), and the L2 penalty is plmc's, ``l2=(0.01, 16)`` for
# ``-lh 0.01 -le 16``.  To build this page in seconds we take the first 30 columns and
# 1000 sequences; plmc's own scores for exactly this subset are stored beside the
# alignment.

ali = maxent.read_alignment(
    data / "DHFR.a2m.xz", focus="DYR_ECOLI", alphabet=maxent.PROTEIN_ALPHABET
)
print(ali)
subset = [s[:30] for s in ali.sequences[:1000]]
start = time.perf_counter()
dca = maxent.fit_pairwise(
    subset, alphabet=maxent.PROTEIN_ALPHABET, missing="-", l2=(0.01, 16.0), reweight=0.8
)
print(f"{time.perf_counter() - start:.1f} s; {dca.message}")
print(f"effective number of sequences: {dca.n_effective:.1f}")

# %%
# Coupling scores: the Frobenius norm of each pair's 20 x 20 couplings (zero-sum gauge),
# average-product corrected.  They match plmc's for the same data and penalty.

scores = dca.coupling_scores()
iu30 = np.triu_indices(30, 1)
with lzma.open(data / "DHFR_30x1000_plmc.couplings.xz", "rt") as fh:
    plmc = np.loadtxt(fh, usecols=5)
rho = spearmanr(scores[iu30], plmc).statistic
print(f"Spearman correlation with plmc's scores: {rho:.5f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 4.6))
ax1.plot(plmc, scores[iu30], ".", ms=3)
ax1.set(xlabel="plmc score", ylabel="maxent score", title=f"Spearman {rho:.4f}")
# the map: maxent above the diagonal, plmc below; circles on each one's 10 strongest pairs
both = np.full((30, 30), np.nan)  # image row = residue on the y axis
both[iu30[1], iu30[0]] = scores[iu30]
both[iu30] = plmc
image = ax2.imshow(both, cmap="Greys", origin="lower", extent=(0.5, 30.5, 0.5, 30.5))
top_ours = np.argsort(-scores[iu30])[:10]
top_plmc = np.argsort(-plmc)[:10]
i, j = ali.positions[iu30[0]], ali.positions[iu30[1]]
style = {"mfc": "none", "ms": 9, "mew": 1.5, "ls": "none"}
ax2.plot(i[top_ours], j[top_ours], "o", mec="C3", label="maxent top 10", **style)
ax2.plot(j[top_plmc], i[top_plmc], "s", mec="C0", label="plmc top 10", **style)
ax2.set(xlabel="residue", ylabel="residue", title="DHFR 1-30: maxent (upper), plmc (lower)")
ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8)
fig.colorbar(image, ax=ax2, shrink=0.8, label="coupling score")
fig.tight_layout()
print("same 10 strongest pairs:", set(top_ours.tolist()) == set(top_plmc.tolist()))
print("strongest pairs (residues):", [(int(i[k]), int(j[k])) for k in top_ours[:6]])

# %%
# Within these 30 residues the strongest couplings join residues one to four apart (8
# and 12, 9 and 13): the local structure, next to the diagonal of the contact map.  The
# long-range contacts that make DCA useful for structure prediction need the whole
# family.
# %%
# The full family (159 columns, 3616 sequences) takes minutes rather than seconds:
# ``python3 benchmarks/bench_pairwise.py`` fits it.  plmc's reference scores
# (``tests/data/DHFR_plmc.couplings.xz``) come from ``plmc -m 100``, stopped after 100
# L-BFGS iterations; ``fit_pairwise(..., precondition=False, max_iter=100)`` follows
# plmc's iterations step for step and gives the same scores (Spearman 0.99994, the same
# 79 strongest pairs).
