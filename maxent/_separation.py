r"""Whether the unpenalised pseudo-likelihood of a Potts model has a finite maximum.

The pseudo-likelihood is a product of conditionals :math:`P(x_i \mid x_{\setminus i})`,
each a multinomial logistic regression of site i on the others.  Its maximum lies at
infinity exactly when the data are *separable*: some direction :math:`d` of the
(unpenalised) parameters raises, or leaves unchanged, the log-odds of every observed
state against every other state of its site, and raises at least one.  Along such a
direction every conditional is non-decreasing, so the objective keeps falling and no
minimiser exists (a perfectly correlated pair is the simplest case, but not the only
one: three 0/1 sites that always hold one or two ones are separable although every pair
of states of every pair of sites is seen).

The test is a linear programme in :math:`d`: maximise the sum of the log-odds changes
:math:`m = A d` subject to :math:`0 \le A d \le 1`, one row of :math:`A` per distinct
sample, site and alternative state; the maximum is positive exactly when the data are
separable.  It is run on problems whose matrix :math:`A` is small (``MAX_ENTRIES``).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._potts_model import Problem
from .errors import InvalidInputError

__all__ = ["MAX_ENTRIES", "one_hot", "refuse_face", "refuse_separable", "separation_rows"]

#: Largest number of nonzero entries of the constraint matrix the test builds.
MAX_ENTRIES = 2_000_000

_POSITIVE = 1e-7  # a maximum above this (in units of the bound 1 per row) is separation


def _size(codes: NDArray[np.int8], q: int) -> int:
    n, n_sites = codes.shape
    return n * n_sites * (q - 1) * 2 * n_sites


def one_hot(problem: Problem, codes: NDArray[np.int8]) -> Any:
    """Sparse one-hot features of configurations (rows), in the layout of theta: the
    state of each site, then the pair of states of each pair of sites (missing entries
    left out), so that ``one_hot(codes) @ theta`` are their log-weights."""
    from scipy import sparse

    q, n_sites = problem.q, problem.n_sites
    nh = n_sites * q
    x = codes.astype(np.int64)
    n = x.shape[0]
    rows, cols = [], []
    for i in range(n_sites):
        seen = x[:, i] >= 0
        rows.append(np.flatnonzero(seen))
        cols.append(i * q + x[seen, i])
    for p, (lo, hi) in enumerate(itertools.combinations(range(n_sites), 2)):
        seen = (x[:, lo] >= 0) & (x[:, hi] >= 0)
        rows.append(np.flatnonzero(seen))
        cols.append(nh + p * q * q + x[seen, lo] * q + x[seen, hi])
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(r.size), (r, c)), shape=(n, problem.n_params))


def separation_rows(problem: Problem, codes: NDArray[np.int8]) -> tuple:
    """The sparse matrix A of the log-odds of each observed state against each other
    state of its site, one row per (sample, site, other state), and the site of each
    row: ``A @ theta`` are those log-odds."""
    from scipy import sparse

    own = one_hot(problem, codes)
    blocks, site_of = [], []
    for i in range(problem.n_sites):
        for b in range(problem.q):
            use = (codes[:, i] >= 0) & (codes[:, i] != b)
            if not np.any(use):
                continue
            other = codes[use].copy()
            other[:, i] = b
            blocks.append(own[np.flatnonzero(use)] - one_hot(problem, other))
            site_of.append(np.full(int(use.sum()), i))
    if not blocks:
        return sparse.csr_matrix((0, problem.n_params)), np.zeros(0, np.int64)
    matrix = sparse.vstack(blocks).tocsr()
    matrix.eliminate_zeros()
    return matrix, np.concatenate(site_of)


def _free(problem: Problem) -> NDArray[np.bool_]:
    """The parameters without a penalty (the only ones a road to infinity may use)."""
    nh = problem.n_sites * problem.q
    free = np.ones(problem.n_params, dtype=bool)
    if problem.l2_fields > 0:
        free[:nh] = False
    if problem.l2_couplings > 0:
        free[nh:] = False
    return free


def _observed(problem: Problem) -> NDArray[np.int8]:
    return np.unique(problem.codes[problem.weights > 0], axis=0)


def refuse_separable(problem: Problem) -> bool:
    """Raise if the unpenalised parameters can make some observed conditional certain
    (no finite pseudo-likelihood fit).  Returns whether the test ran (False: a penalty
    on every parameter, or a problem too large for it)."""
    if problem.l2_fields > 0 and problem.l2_couplings > 0:
        return False
    codes = _observed(problem)
    if _size(codes, problem.q) > MAX_ENTRIES:
        return False
    from scipy.optimize import linprog
    from scipy.sparse import vstack

    matrix, site_of = separation_rows(problem, codes)
    if matrix.shape[0] == 0:
        return True
    a = matrix[:, _free(problem)]
    ones = np.ones(a.shape[0])
    res = linprog(
        -(a.T @ ones),
        A_ub=vstack([a, -a]).tocsr(),
        b_ub=np.concatenate([ones, np.zeros(a.shape[0])]),
        bounds=(None, None),
        method="highs",
    )
    if res.status == 0 and -res.fun > _POSITIVE:
        i = int(site_of[int(np.argmax(a @ res.x))])
        raise InvalidInputError(
            f"`samples` admit no finite pseudo-likelihood fit: the state of site {i} "
            "(and possibly others) is determined by the other sites in the samples (the "
            "conditionals can be made certain, so the parameters grow without bound); "
            "pass `l2` > 0 for a finite, penalised fit."
        )
    return True


def refuse_face(problem: Problem, states: NDArray[np.int8]) -> bool:
    """Raise if the samples lie on a proper face of what the model can reach: a
    direction of the unpenalised parameters raises the log-weight of every observed
    configuration to the largest over all ``states`` and leaves some state below, so
    the likelihood rises without bound along it.  A linear programme over every state
    (exact fits: ``states`` enumerates them).  Returns whether the test ran."""
    if problem.l2_fields > 0 and problem.l2_couplings > 0:
        return False
    free = _free(problem)
    if states.shape[0] * (problem.n_sites + problem.n_pairs) > MAX_ENTRIES:
        return False
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, hstack, vstack

    phi = one_hot(problem, states)[:, free]
    seen = one_hot(problem, _observed(problem))[:, free]
    n = phi.shape[0]
    upper = hstack([phi, csr_matrix(-np.ones((n, 1)))])  # phi d - t: at most 0, above -1
    res = linprog(
        np.append(np.asarray(phi.sum(axis=0)).ravel(), -n),
        A_ub=vstack([upper, -upper]).tocsr(),
        b_ub=np.concatenate([np.zeros(n), np.ones(n)]),
        A_eq=hstack([seen, csr_matrix(-np.ones((seen.shape[0], 1)))]).tocsr(),
        b_eq=np.zeros(seen.shape[0]),
        bounds=(None, None),
        method="highs",
    )
    if res.status == 0 and -res.fun > _POSITIVE:
        raise InvalidInputError(
            "`samples` admit no finite maximum-likelihood fit: they lie on a face of what "
            "the model can reach (the parameters can raise every observed configuration "
            "above some never observed one without bound, e.g. one spin a function of "
            "others); pass `l2` > 0 for a finite, penalised fit."
        )
    return True
