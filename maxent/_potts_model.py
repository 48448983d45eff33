r"""The Potts model shared by the pairwise fitting methods: parameters, penalty, gauge.

Parameters live in one flat vector :math:`\theta` = (fields ``h`` (n_sites, q), then the
couplings ``e`` (n_pairs, q, q) of the pairs i < j in row-major order), float32 or
float64; :meth:`Problem.split` gives views of the two parts.  The log-weight of a
configuration is :math:`\sum_i h_i(x_i) + \sum_{i<j} e_{ij}(x_i, x_j)`.

Every method minimises the same kind of objective, per effective sample,

.. math:: F(\theta) = \frac{1}{n_\mathrm{eff}}\Big[-\sum_s w_s \log L_s(\theta)
          + \lambda_h \sum_{i,a} h_i(a)^2 + \lambda_e \sum_{i<j}\sum_{a,b} e_{ij}(a,b)^2\Big]

with :math:`L_s` the likelihood or pseudo-likelihood of sample s and
:math:`n_\mathrm{eff} = \sum_s w_s`: the penalty of plmc (``-lh``, ``-le``), on every
parameter of the over-complete Potts parametrisation, which also fixes its gauge.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from . import _potts_kernels as kern
from .errors import InvalidInputError

_DIVERGENCE_FLOOR = 0.05  # nats: smaller moves are taken for rounding, not divergence
_SUSPECT = 5.0  # nats: fits with no parameter beyond this are not checked for divergence

__all__ = [
    "DataMoments",
    "Fit",
    "Problem",
    "check_finite_fit",
    "margin_bound",
    "refuse_divergence",
    "z_threshold",
    "zero_sum_gauge",
]


@dataclass(frozen=True)
class Problem:
    """Data, penalty and options of one fit (read by every method)."""

    codes: NDArray[np.int8]  # (n_samples, n_sites), -1 missing
    weights: NDArray[np.float64]  # (n_samples,)
    q: int
    l2_fields: float
    l2_couplings: float
    dtype: np.dtype
    options: dict[str, Any]
    pair_of: NDArray[np.int64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pair_of", kern.pair_table(self.n_sites))

    @property
    def n_sites(self) -> int:
        return int(self.codes.shape[1])

    @property
    def n_pairs(self) -> int:
        return self.n_sites * (self.n_sites - 1) // 2

    @property
    def n_params(self) -> int:
        return self.n_sites * self.q + self.n_pairs * self.q * self.q

    @property
    def n_independent(self) -> int:
        """Parameters left after fixing the gauge: L (q - 1) + pairs (q - 1)^2."""
        return self.n_sites * (self.q - 1) + self.n_pairs * (self.q - 1) ** 2

    @property
    def n_effective(self) -> float:
        return float(np.sum(self.weights))

    @property
    def has_missing(self) -> bool:
        return bool(np.any(self.codes < 0))

    def split(self, theta: NDArray[np.floating]) -> tuple[NDArray, NDArray]:
        """Views (h, e) of a flat parameter vector."""
        nh = self.n_sites * self.q
        h = theta[:nh].reshape(self.n_sites, self.q)
        e = theta[nh:].reshape(self.n_pairs, self.q, self.q)
        return h, e

    def zeros(self) -> NDArray[np.floating]:
        return np.zeros(self.n_params, dtype=self.dtype)

    def add_penalty(self, theta: NDArray, grad: NDArray) -> float:
        """Add the gradient of the penalty to ``grad`` (in place, unscaled: per the data's
        sum over samples) and return its value."""
        nh = self.n_sites * self.q
        value = 0.0
        for part, lam in ((slice(0, nh), self.l2_fields), (slice(nh, None), self.l2_couplings)):
            if lam > 0:
                t = theta[part]
                value += lam * float(np.dot(t, t))
                grad[part] += (2.0 * lam) * t
        return value

    def one_hot_sums(self, codes: NDArray[np.int8], weights: NDArray) -> NDArray[np.float64]:
        """sum_s weights[s] f(x_s) of the one-hot features f (flat, in the layout of
        theta): the weighted counts of each state of each site and of each pair of states
        of each pair of sites (missing entries skipped)."""
        out = np.zeros(self.n_params)
        h, e = self.split(out)
        kern.scatter_counts(codes, np.asarray(weights, dtype=np.float64), h, e, self.pair_of)
        return out

    def counts(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Weighted counts of the data, as (n_sites, q) and (n_pairs, q, q)."""
        return self.split(self.one_hot_sums(self.codes, self.weights))

    def log_weights(self, theta: NDArray, codes: NDArray[np.int8]) -> NDArray[np.float64]:
        """Log-weights of configurations (rows of codes) under the parameters."""
        h, e = self.split(theta)
        out = np.empty(codes.shape[0])
        kern.log_weights(codes, h, e, self.pair_of, out)
        return out


@dataclass(frozen=True)
class Fit:
    """What a method returns (before gauge fixing and packaging)."""

    theta: NDArray[np.floating]
    converged: bool
    n_iter: int
    message: str
    objective: float
    max_moment_z: float = math.nan
    z_threshold: float = math.nan
    mle_distance: float = math.nan


@dataclass(frozen=True)
class DataMoments:
    """The data's one-hot frequencies (flat, in the layout of theta), their standard
    errors, the slope of the penalty per sample (2 lambda / n_eff per parameter) and
    Kish's effective sample size."""

    freq: NDArray[np.float64]
    err: NDArray[np.float64]
    lam: NDArray[np.float64]
    n_kish: float

    @classmethod
    def of(cls, problem: Problem) -> DataMoments:
        n_eff = problem.n_effective
        n_kish = n_eff**2 / float(problem.weights @ problem.weights)
        freq = np.concatenate([c.ravel() for c in problem.counts()]) / n_eff
        nh = problem.n_sites * problem.q
        lam = np.full(problem.n_params, 2.0 * problem.l2_couplings / n_eff)
        lam[:nh] = 2.0 * problem.l2_fields / n_eff
        return cls(freq, np.sqrt(freq * (1.0 - freq) / n_kish), lam, n_kish)

    def z_scores(
        self, theta: NDArray, model: NDArray, model_err: NDArray | float = 0.0
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Gradient of the penalised log-likelihood per sample (data - model - penalty
        slope), and it in units of its standard error (0 where that error is 0)."""
        grad = self.freq - model - self.lam * np.asarray(theta, dtype=np.float64)
        err = np.sqrt(self.err**2 + np.square(model_err))
        safe = np.where(err > 0, err, 1.0)
        return grad, np.where(err > 0, grad / safe, 0.0)


def z_threshold(problem: Problem) -> float:
    """|z| that a 1% family-wise test over the independent moments allows."""
    return float(stats.norm.isf(0.005 / problem.n_independent))


def zero_sum_gauge(
    problem: Problem, theta: NDArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Fields (n_sites, q) and couplings (n_sites, n_sites, q, q) in the zero-sum gauge.

    Each coupling block is double-centred (its rows and columns sum to 0); the row and
    column means move into the fields, which are then centred.  The log-weight of every
    configuration without missing entries changes only by a constant.
    """
    h, e = (np.asarray(a, dtype=np.float64) for a in problem.split(theta))
    n = problem.n_sites
    grand = e.mean(axis=(1, 2), keepdims=True)
    rows = e.mean(axis=2, keepdims=True) - grand  # depends on the state of i
    cols = e.mean(axis=1, keepdims=True) - grand  # depends on the state of j
    e0 = e - rows - cols - grand
    fields = h.copy()
    iu = np.triu_indices(n, 1)
    np.add.at(fields, iu[0], rows[:, :, 0])
    np.add.at(fields, iu[1], cols[:, 0, :])
    fields -= fields.mean(axis=1, keepdims=True)
    couplings = np.zeros((n, n, problem.q, problem.q))
    couplings[iu] = e0
    couplings[iu[1], iu[0]] = e0.transpose(0, 2, 1)
    return fields, couplings


def check_finite_fit(problem: Problem) -> None:
    """Refuse data whose unpenalised fit is infinite because a state (with no penalty on
    fields) or a pair of states (with none on couplings) is never seen."""
    if problem.l2_fields > 0 and problem.l2_couplings > 0:
        return
    ch, ce = problem.counts()
    hint = (
        "so the maximum-likelihood (and pseudo-likelihood) parameters are infinite; add "
        "samples, drop the site, or pass `l2` > 0 (e.g. l2=(0.01, 1.0))"
    )
    if problem.l2_fields == 0 or problem.l2_couplings == 0:
        where = np.argwhere(ch <= 0)
        if where.size:
            i, a = (int(v) for v in where[0])
            raise InvalidInputError(
                f"`samples`: state {a} of site {i} never occurs (weighted count 0), {hint}."
            )
    if problem.l2_couplings == 0:
        where = np.argwhere(ce <= 0)
        if where.size:
            p, a, b = (int(v) for v in where[0])
            i, j = (int(v[0]) for v in np.nonzero(problem.pair_of == p))
            raise InvalidInputError(
                f"`samples`: sites {i} and {j} are never seen in states ({a}, {b}) together "
                f"(weighted count 0), {hint}."
            )


def margin_bound(problem: Problem, theta: NDArray) -> float:
    """An upper bound on the log-odds between two states of one site given the others,
    over all configurations: the largest range of a site's field plus the ranges of its
    coupling blocks.  A fit whose conditionals are nowhere nearly certain (a small bound)
    cannot be a point on a road to infinity of the pseudo-likelihood."""
    h, e = (np.asarray(a, dtype=np.float64) for a in problem.split(theta))
    bound = h.max(axis=1) - h.min(axis=1)
    if e.size:
        iu = np.triu_indices(problem.n_sites, 1)
        np.add.at(bound, iu[0], (e.max(axis=1) - e.min(axis=1)).max(axis=1))
        np.add.at(bound, iu[1], (e.max(axis=2) - e.min(axis=2)).max(axis=1))
    return float(bound.max())


def refuse_divergence(
    problem: Problem,
    solve: Callable[[NDArray, float], NDArray],
    theta: NDArray,
    tol: float,
    method: str,
    *,
    suspect: float = _SUSPECT,
    tighter: tuple[float, float] | None = None,
) -> None:
    """Raise if the fit at ``tol`` is a point on a road to infinity, not a minimum.

    Without a penalty on some parameters the optimum can lie at infinity (data on the
    boundary of what the model can reach).  Tightening the tolerance 10-fold twice then
    moves the parameters by about the same amount each time (log(10) over the rate at
    which the gradient decays), where a finite minimum is approached ever faster.  Only
    fits with a parameter beyond ``_SUSPECT`` nats are checked (a point on such a road
    has large parameters: odds of e^10 and more), so the check costs nothing otherwise;
    ``suspect=0`` checks every fit it is given, and ``tighter`` replaces the two
    tighter tolerances (pseudo-likelihood gates the check by :func:`margin_bound`, and
    its road can already be flatter than ``tol / 100``).
    """
    if problem.l2_fields > 0 and problem.l2_couplings > 0:
        return
    if float(np.max(np.abs(theta))) <= suspect:
        return
    tol1, tol2 = tighter if tighter is not None else (tol / 10, tol / 100)
    first = solve(theta, tol1)
    second = solve(first, tol2)
    step1 = float(np.max(np.abs(np.asarray(first, np.float64) - theta)))
    step2 = np.abs(np.asarray(second, np.float64) - np.asarray(first, np.float64))
    if float(np.max(step2)) > max(0.5 * step1, _DIVERGENCE_FLOOR):
        k = int(np.argmax(step2))
        nh = problem.n_sites * problem.q
        if k < nh:
            where = f"the fields of site {k // problem.q}"
        else:
            p = (k - nh) // (problem.q * problem.q)
            i, j = (int(v[0]) for v in np.nonzero(problem.pair_of == p))
            where = f"the couplings of sites {i} and {j}"
        raise InvalidInputError(
            f"`samples` admit no finite {method} fit: {where} keep growing (by "
            f"{step2[k]:.2g} when the tolerance is tightened) -- the data lie on the "
            "boundary of what the model can reach (e.g. one spin a function of others); "
            "pass `l2` > 0 for a finite, penalised fit."
        )
