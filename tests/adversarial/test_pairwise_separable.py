"""Pairwise fits on separable data (issue 23): no silent divergent answer.

Without a penalty, data whose maximum (pseudo-)likelihood lies at infinity are refused
with a maxent error; with ``l2`` > 0 the fit is finite and is the penalised optimum,
checked here against a general-purpose minimiser of the same objective written
independently (enumeration of every state for the likelihood; the conditionals for the
pseudo-likelihood).
"""

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

import maxent
from maxent.errors import InvalidInputError

METHODS = ["exact", "pseudolikelihood", "boltzmann"]
STATES = np.array(list(itertools.product([0, 1], repeat=3)))


def _face(n: int = 600, seed: int = 0) -> np.ndarray:
    """Three 0/1 sites holding one or two ones: every pair of states of every pair of
    sites is seen, yet the data lie on a face of what a pairwise model can reach."""
    allowed = STATES[(STATES.sum(axis=1) >= 1) & (STATES.sum(axis=1) <= 2)]
    return allowed[np.random.default_rng(seed).integers(len(allowed), size=n)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("spins", [False, True])
def test_data_on_a_face_with_every_pair_seen_are_refused(method, spins):
    # was: converged=True with 0/1 couplings of -15 (pseudo-likelihood, Boltzmann)
    x = _face()
    pairs = {(a, b) for i, j in itertools.combinations(range(3), 2) for a, b in x[:, [i, j]]}
    assert len(pairs) == 4  # nothing for the zero-count check to find
    s = 2 * x - 1 if spins else x
    with pytest.raises(InvalidInputError, match="no finite"):
        maxent.fit_pairwise(s, method=method, seed=0)


@pytest.mark.parametrize("method", METHODS)
def test_a_constant_site_is_refused_and_named(method):
    x = np.random.default_rng(1).integers(0, 2, size=(300, 3))
    x[:, 2] = 1
    with pytest.raises(InvalidInputError, match="state 0 of site 2 never occurs"):
        maxent.fit_pairwise(x, method=method, seed=0)


def _potts_terms(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Log-weight of rows of 0/1 configurations for Potts parameters (h (3, 2), then
    e (3 pairs, 2, 2)) in the one-hot form, written out site by site."""
    h, e = theta[:6].reshape(3, 2), theta[6:].reshape(3, 2, 2)
    out = sum(h[i, x[:, i]] for i in range(3))
    for p, (i, j) in enumerate(itertools.combinations(range(3), 2)):
        out = out + e[p, x[:, i], x[:, j]]
    return out


def _neg_log_likelihood(theta: np.ndarray, x: np.ndarray, lam: float) -> float:
    lw = _potts_terms(theta, x)
    return float(-lw.sum() + len(x) * logsumexp(_potts_terms(theta, STATES)) + lam * theta @ theta)


def _neg_log_pseudolikelihood(theta: np.ndarray, x: np.ndarray, lam: float) -> float:
    total = lam * float(theta @ theta)
    for i in range(3):
        flipped = x.copy()
        flipped[:, i] = 1 - x[:, i]
        own, other = _potts_terms(theta, x), _potts_terms(theta, flipped)
        total -= float(np.sum(own - np.logaddexp(own, other)))
    return total


@pytest.mark.parametrize(
    ("method", "objective"),
    [("exact", _neg_log_likelihood), ("pseudolikelihood", _neg_log_pseudolikelihood)],
)
def test_a_penalty_gives_the_penalised_optimum_of_separable_data(method, objective):
    x, lam = _face(), 0.5
    fit = maxent.fit_pairwise(x, method=method, l2=lam, tol=1e-9)
    assert fit.converged, fit.message
    ref = minimize(objective, np.zeros(18), args=(x, lam), method="BFGS")
    assert np.max(np.abs(ref.jac)) < 1e-3 * len(x)  # at its minimum (finite differences)
    # the penalised optimum is unique: its energy differences between states must agree
    ours = fit.energy(STATES)
    theirs = -_potts_terms(ref.x, STATES)
    np.testing.assert_allclose(ours - ours[0], theirs - theirs[0], atol=1e-4)


def test_boltzmann_learning_from_independent_sites_refuses_a_face_too():
    # was: converged=True with a 0/1 coupling of 4.5 (no pseudo-likelihood start to refuse)
    with pytest.raises(InvalidInputError, match="lie on a face"):
        maxent.fit_pairwise(_face(), method="boltzmann", start="independent", seed=0)
