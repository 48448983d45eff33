"""fit_pairwise against external references: plmc (DCA of protein families, a Potts
chain) and the ConIII test systems (inverse Ising).  Data: tests/data/README.md."""

import lzma
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import spearmanr

import maxent
from maxent._pairwise_data import sequence_weights

DATA = Path(__file__).parent / "data"


def _plmc_scores(name):
    with lzma.open(DATA / name, "rt") as fh:
        return np.loadtxt(fh, usecols=5)


def _top(scores, k):
    return set(np.argsort(-scores)[:k].tolist())


@pytest.fixture(scope="module")
def dhfr():
    return maxent.read_alignment(
        DATA / "DHFR.a2m.xz", focus="DYR_ECOLI", alphabet=maxent.PROTEIN_ALPHABET
    )


def test_dhfr_alignment_is_read_as_plmc_reads_it(dhfr):
    assert len(dhfr.sequences) == 3616 and dhfr.n_dropped == 13  # 'X' in 13 sequences
    assert len(dhfr.sequences[0]) == 159 and dhfr.positions[0] == 1
    assert dhfr.sequences[0].startswith("MISLIAALAVDRVIGMENAMPWNLPADLAWFKRNTLNKPVIMGRHTWESIGRPLP")


def test_dhfr_weights_are_plmcs(dhfr):
    with lzma.open(DATA / "DHFR_plmc_weights.txt.xz", "rt") as fh:
        ref = np.loadtxt(fh)
    ref = ref[ref > 0]  # plmc writes 0 for the dropped sequences
    codes = np.array([[maxent.PROTEIN_ALPHABET.index(c) for c in s] for s in dhfr.sequences])
    w = sequence_weights(codes.astype(np.int8), weights=None, reweight=0.8)
    np.testing.assert_allclose(w, ref, rtol=1e-12)


def test_dhfr_subset_coupling_scores_are_plmcs(dhfr):
    # plmc -le 16 -lh 0.01 -g, run to convergence on 1000 sequences x 30 focus columns
    fit = maxent.fit_pairwise(
        [s[:30] for s in dhfr.sequences[:1000]],
        alphabet=maxent.PROTEIN_ALPHABET,
        missing="-",
        l2=(0.01, 16.0),
        reweight=0.8,
    )
    assert fit.converged and fit.q == 20  # the gap is left out, as plmc -g does
    ours = fit.coupling_scores()[np.triu_indices(30, 1)]
    ref = _plmc_scores("DHFR_30x1000_plmc.couplings.xz")
    assert spearmanr(ours, ref).statistic >= 0.999
    assert _top(ours, 15) == _top(ref, 15)


def test_potts_chain_couplings_are_found_and_match_plmc():
    ali = maxent.read_alignment(DATA / "potts3.a2m.xz")
    fit = maxent.fit_pairwise(ali.sequences, alphabet="_*^", l2=(1.0, 1.0))
    n = fit.n_sites
    iu = np.triu_indices(n, 1)
    ours = fit.coupling_scores()[iu]
    chain = iu[1] - iu[0] == 1
    assert ours[chain].min() > ours[~chain].max()  # the 59 chain bonds score highest
    ref = _plmc_scores("potts3_plmc.couplings.xz")
    assert spearmanr(ours, ref).statistic >= 0.999


def _coniii_system(n, seed):
    """ConIII's test system (coniii/test_solvers.py): fields and couplings N(0, 0.1^2),
    10000 samples drawn from the exact distribution."""
    rng = np.random.RandomState(seed)
    h = rng.normal(scale=0.1, size=n)
    couplings = rng.normal(scale=0.1, size=n * (n - 1) // 2)
    s = 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1) - 1
    iu = np.triu_indices(n, 1)
    lw = s @ h + (s[:, iu[0]] * s[:, iu[1]]) @ couplings
    p = np.exp(lw - logsumexp(lw))
    return s, p, s[rng.choice(2**n, size=10_000, p=p)], np.concatenate([h, couplings])


@pytest.mark.parametrize("n", [3, 5])
def test_coniii_systems_exact_and_pseudolikelihood_agree(n):
    s, p, samples, truth = _coniii_system(n, 0)
    iu = np.triu_indices(n, 1)

    def params(fit):
        h, j = fit.to_values((-1, 1))
        return np.concatenate([h, j[iu]])

    # ConIII's Enumerate check: the exact correlations give back the multipliers
    np.testing.assert_allclose(params(maxent.fit_pairwise(s, weights=p)), truth, atol=1e-8)
    exact = maxent.fit_pairwise(samples, method="exact")
    pseudo = maxent.fit_pairwise(samples, method="pseudolikelihood", tol=1e-8)
    # ConIII's Pseudo check: its model reproduces the sample correlations to 1e-2
    model = pseudo.sample(200_000, seed=0)
    corr = np.concatenate([model.mean(axis=0), (model[:, iu[0]] * model[:, iu[1]]).mean(axis=0)])
    data = np.concatenate(
        [samples.mean(axis=0), (samples[:, iu[0]] * samples[:, iu[1]]).mean(axis=0)]
    )
    np.testing.assert_allclose(corr, data, atol=1e-2)
    # and pseudo-likelihood is within a fraction of the exact fit's standard error (~0.01)
    np.testing.assert_allclose(params(pseudo), params(exact), atol=3e-3)
