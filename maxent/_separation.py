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

import numpy as np
from numpy.typing import NDArray

from ._potts_model import Problem
from .errors import InvalidInputError

__all__ = ["MAX_ENTRIES", "refuse_separable", "separation_rows"]

#: Largest number of nonzero entries of the constraint matrix the test builds.
MAX_ENTRIES = 2_000_000

_POSITIVE = 1e-7  # a maximum above this (in units of the bound 1 per row) is separation


def _size(codes: NDArray[np.int8], q: int) -> int:
    n, n_sites = codes.shape
    return n * n_sites * (q - 1) * 2 * n_sites


def separation_rows(problem: Problem, codes: NDArray[np.int8]) -> tuple:
    """The sparse matrix A (rows: sample, site, other state; columns: parameters in the
    layout of theta) and the site of each row."""
    from scipy import sparse

    q, n_sites = problem.q, problem.n_sites
    nh = n_sites * q
    rows, cols, vals, site_of = [], [], [], []
    n_rows = 0
    for i in range(n_sites):
        a = codes[:, i].astype(np.int64)
        for b in range(q):
            use = (a >= 0) & (a != b)
            k = int(np.count_nonzero(use))
            if k == 0:
                continue
            r = n_rows + np.arange(k)
            rows += [r, r]
            cols += [i * q + a[use], np.full(k, i * q + b)]
            vals += [np.ones(k), -np.ones(k)]
            for j in range(n_sites):
                c = codes[use, j].astype(np.int64)
                if j == i:
                    continue
                seen = c >= 0
                base = nh + problem.pair_of[i, j] * q * q
                if i < j:
                    plus, minus = a[use] * q + c, b * q + c
                else:
                    plus, minus = c * q + a[use], c * q + b
                rows += [r[seen], r[seen]]
                cols += [(base + plus)[seen], (base + minus)[seen]]
                vals += [np.ones(int(seen.sum())), -np.ones(int(seen.sum()))]
            site_of.append(np.full(k, i))
            n_rows += k
    matrix = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, problem.n_params),
    )
    return matrix, np.concatenate(site_of) if site_of else np.zeros(0, np.int64)


def refuse_separable(problem: Problem) -> bool:
    """Raise if the unpenalised parameters can make some observed conditional certain
    (no finite pseudo-likelihood fit).  Returns whether the test ran (False: a penalty
    on every parameter, or a problem too large for it)."""
    if problem.l2_fields > 0 and problem.l2_couplings > 0:
        return False
    codes = np.unique(problem.codes[problem.weights > 0], axis=0)
    if _size(codes, problem.q) > MAX_ENTRIES:
        return False
    from scipy.optimize import linprog
    from scipy.sparse import vstack

    matrix, site_of = separation_rows(problem, codes)
    if matrix.shape[0] == 0:
        return True
    nh = problem.n_sites * problem.q
    free = np.ones(problem.n_params, dtype=bool)
    if problem.l2_fields > 0:
        free[:nh] = False
    if problem.l2_couplings > 0:
        free[nh:] = False
    a = matrix[:, free]
    ones = np.ones(a.shape[0])
    res = linprog(
        -(a.T @ ones),
        A_ub=vstack([a, -a]).tocsr(),
        b_ub=np.concatenate([ones, np.zeros(a.shape[0])]),
        bounds=(None, None),
        method="highs",
    )
    if res.status == 0 and -res.fun > _POSITIVE:
        margins = a @ res.x
        i = int(site_of[int(np.argmax(margins))])
        raise InvalidInputError(
            f"`samples` admit no finite pseudo-likelihood fit: the state of site {i} "
            "(and possibly others) is determined by the other sites in the samples (the "
            "conditionals can be made certain, so the parameters grow without bound); "
            "pass `l2` > 0 for a finite, penalised fit."
        )
    return True
