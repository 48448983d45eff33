r"""Exact (penalised) maximum likelihood of a Potts model by enumerating its states.

With all :math:`q^L` configurations at hand (codes cached once, at most
:data:`MAX_STATES` of them), :math:`\log Z`, the model's marginals and the product of
their covariance with a vector are each one pass over the states.  The objective
:math:`\log Z(\theta) - \theta\cdot\bar f + \text{penalty}/n_\mathrm{eff}` is convex; it
is minimised by Newton's method, each step found by conjugate gradients on
covariance-vector products, to moments matched to ``tol``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator, cg
from scipy.special import logsumexp

from ._potts_model import (
    DataMoments,
    Fit,
    Problem,
    check_finite_fit,
    refuse_divergence,
    z_threshold,
)
from ._separation import refuse_face
from .errors import InvalidInputError

__all__ = ["MAX_STATES", "Exact", "all_states", "model_marginals"]

#: Most configurations that ``"exact"`` enumerates (and ``"auto"`` chooses it for).
MAX_STATES = 1 << 20

_RIDGE = 1e-10


def all_states(n_sites: int, q: int) -> NDArray[np.int8]:
    """Every configuration of ``n_sites`` sites with ``q`` states, (q^n_sites, n_sites),
    site 0 the fastest digit."""
    n = q**n_sites
    idx = np.arange(n, dtype=np.int64)
    out = np.empty((n, n_sites), dtype=np.int8)
    for i in range(n_sites):
        idx, digit = np.divmod(idx, q)
        out[:, i] = digit
    return out


def model_marginals(
    problem: Problem, theta: NDArray, states: NDArray[np.int8]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """log Z, the probabilities of ``states`` and the model's one-hot marginals (flat,
    in the layout of theta)."""
    lw = problem.log_weights(theta, states)
    log_z = float(logsumexp(lw))
    p = np.exp(lw - log_z)
    return log_z, p, problem.one_hot_sums(states, p)


@dataclass(frozen=True)
class _Newton:
    x: NDArray[np.float64]
    value: float
    n_iter: int


def _newton(
    fun: Callable[[NDArray], tuple[float, NDArray]],
    hessp: Callable[[NDArray, NDArray], NDArray],
    x: NDArray[np.float64],
    gtol: float,
    max_iter: int,
) -> _Newton:
    """Inexact Newton: CG on Hessian-vector products, then a step accepted when it
    lowers the objective (Armijo) or, near the minimum where rounding hides changes of
    the objective, the gradient."""
    f, g = fun(x)
    for it in range(max_iter):
        gnorm = float(np.linalg.norm(g))
        if np.max(np.abs(g)) <= gtol:
            return _Newton(x, f, it)
        # the ridge bounds the steps along gauge directions (no curvature there), where
        # rounding leaves a gradient of order 1e-16 that CG could not reduce
        op = LinearOperator((x.size, x.size), matvec=lambda v, x=x: hessp(x, v) + _RIDGE * v)
        d, _ = cg(op, -g, rtol=min(0.5, np.sqrt(gnorm)), maxiter=min(10 * x.size, 500))
        slope = float(g @ d)
        if not slope < 0:
            d, slope = -g, -float(g @ g)
        t = 1.0
        for _ in range(60):
            f_new, g_new = fun(x + t * d)
            if f_new <= f + 1e-4 * t * slope or float(np.linalg.norm(g_new)) < 0.5 * gnorm:
                break
            t *= 0.5
        x, f, g = x + t * d, f_new, g_new
    return _Newton(x, f, max_iter)


@dataclass(frozen=True)
class Exact:
    """Penalised maximum likelihood over all q^L states (q^L <= 2^20)."""

    allows_missing: bool = False

    def fit(self, problem: Problem) -> Fit:
        n_states = problem.q**problem.n_sites
        if n_states > MAX_STATES:
            raise InvalidInputError(
                f"method 'exact' enumerates q^L = {problem.q}^{problem.n_sites} states and "
                f"allows at most 2^20 = {MAX_STATES}; use 'pseudolikelihood' or 'boltzmann'."
            )
        check_finite_fit(problem)
        states = all_states(problem.n_sites, problem.q)
        tested = refuse_face(problem, states)
        data = DataMoments.of(problem)
        freq, lam = data.freq, data.lam
        cache: dict[str, NDArray] = {}

        def fun(theta: NDArray) -> tuple[float, NDArray]:
            log_z, p, marg = model_marginals(problem, theta, states)
            cache["p"], cache["theta"] = p, theta
            value = log_z - float(theta @ freq) + 0.5 * float(theta @ (lam * theta))
            return value, marg - freq + lam * theta

        def hessp(theta: NDArray, v: NDArray) -> NDArray:
            if "theta" not in cache or not np.array_equal(cache["theta"], theta):
                fun(theta)
            p = cache["p"]
            u = problem.log_weights(v, states)
            u -= p @ u
            return problem.one_hot_sums(states, p * u) + lam * v

        def solve(theta0: NDArray, gtol: float) -> _Newton:
            return _newton(fun, hessp, theta0, gtol, problem.options["max_iter"])

        tol = problem.options["tol"]
        res = solve(np.zeros(problem.n_params), tol)
        if not tested:
            refuse_divergence(
                problem, lambda x, gtol: solve(x, gtol).x, res.x, tol, "maximum-likelihood"
            )
        _, _, model = model_marginals(problem, res.x, states)
        grad, z = data.z_scores(res.x, model)
        gmax = float(np.max(np.abs(grad)))
        converged = bool(gmax <= tol)
        message = (
            f"Newton (conjugate gradients), {res.n_iter} steps: max |model - data moment + "
            f"penalty gradient| = {gmax:.2g} " + ("<=" if converged else ">") + f" tol = {tol:g}"
        )
        return Fit(
            res.x.astype(problem.dtype),
            converged,
            int(res.n_iter),
            message,
            float(res.value),
            float(np.max(np.abs(z))),
            z_threshold(problem),
            0.0,
        )
