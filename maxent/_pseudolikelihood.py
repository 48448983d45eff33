r"""Symmetric pseudo-likelihood of a Potts model, minimised by L-BFGS (as plmc does).

The objective is the weighted negative log pseudo-likelihood
:math:`-\sum_s w_s \sum_i \log P(x_{si} \mid x_{s,\setminus i})` plus the L2 penalty of
:mod:`maxent._potts_model`, per effective sample; couplings are shared by the
conditionals of both their sites (symmetric).  Each evaluation runs the compiled site
kernel (:func:`maxent._potts_kernels.pseudolikelihood_sites`) on blocks of sites in
worker threads: memory is one (n_samples, q) array of potentials per thread beyond the
parameters, the gradient and the minimiser's correction pairs.  Missing entries (code
-1) are left out of every conditional, as plmc's ``-g`` leaves out gaps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import _potts_kernels as kern
from ._lbfgs import minimize
from ._parallel import ThreadExecutor, worker_count
from ._potts_model import Fit, Problem, check_finite_fit, diverging_message
from .errors import InvalidInputError

__all__ = ["PseudoLikelihood", "pseudolikelihood_objective"]

_DIVERGED = 1.0  # growth of a parameter (nats) under a 100-fold tighter tolerance


def pseudolikelihood_objective(
    problem: Problem,
) -> Callable[[NDArray[np.floating]], tuple[float, NDArray[np.floating]]]:
    """``f(theta) -> (F, grad F)`` for the problem (F per effective sample)."""
    codes_t = np.ascontiguousarray(problem.codes.T)
    weights = problem.weights
    n_eff = problem.n_effective
    n_sites = problem.n_sites
    workers = worker_count()
    size = max(1, -(-n_sites // (4 * workers)))
    blocks = [(a, min(a + size, n_sites)) for a in range(0, n_sites, size)]
    upper = np.empty((problem.n_pairs, problem.q, problem.q), dtype=problem.dtype)

    def objective(theta: NDArray[np.floating]) -> tuple[float, NDArray[np.floating]]:
        h, e = problem.split(theta)
        grad = np.empty_like(theta)
        grad_h, grad_e = problem.split(grad)

        def task(spec: None, block: tuple[int, int]) -> float:
            return float(
                kern.pseudolikelihood_sites(
                    codes_t, weights, h, e, problem.pair_of, block[0], block[1],
                    grad_h, grad_e, upper,
                )
            )

        value = ThreadExecutor(workers).reduce(task, None, blocks, lambda spec, parts: sum(parts))
        grad_e += upper
        value += problem.add_penalty(theta, grad)
        grad *= 1.0 / n_eff
        return float(value) / n_eff, grad

    return objective


def _site_counts(problem: Problem) -> NDArray[np.float64]:
    counts = np.zeros((problem.n_sites, problem.q))
    for a in range(problem.q):
        counts[:, a] = problem.weights @ (problem.codes == a)
    return counts


def _start(problem: Problem, counts: NDArray[np.float64]) -> NDArray[np.floating]:
    """Independent-site start, as plmc's: h_i(a) = log(count + 1), centred; e = 0."""
    h0 = np.log(counts + 1.0)
    h0 -= h0.mean(axis=1, keepdims=True)
    theta = problem.zeros()
    problem.split(theta)[0][...] = h0
    return theta


def _curvature(problem: Problem, counts: NDArray[np.float64]) -> NDArray[np.floating]:
    """Diagonal of the objective's Hessian for independent sites at the data's
    frequencies f: f_i(a) (1 - f_i(a)) for fields, 2 f_i(a) f_j(b) for couplings (two
    conditionals), plus the penalty's 2 lambda / n_eff; the preconditioner of L-BFGS."""
    present = np.maximum(counts.sum(axis=1, keepdims=True), 1e-300)
    f = counts / present
    n_eff = problem.n_effective
    diag = problem.zeros()
    dh, de = problem.split(diag)
    dh[...] = f * (1.0 - f) * (present / n_eff) + 2.0 * problem.l2_fields / n_eff
    iu = np.triu_indices(problem.n_sites, 1)
    de[...] = 2.0 * f[iu[0], :, None] * f[iu[1], None, :] + 2.0 * problem.l2_couplings / n_eff
    floor = 1e-3 * float(np.mean(diag))
    return np.maximum(diag, floor)


@dataclass(frozen=True)
class PseudoLikelihood:
    """Symmetric pseudo-likelihood, L-BFGS; missing entries allowed."""

    allows_missing: bool = True

    def fit(self, problem: Problem) -> Fit:
        check_finite_fit(problem)
        opt = problem.options
        objective = pseudolikelihood_objective(problem)
        counts = _site_counts(problem)
        diagonal = _curvature(problem, counts) if opt.get("precondition", True) else None
        res = minimize(
            objective, _start(problem, counts), gtol=opt["tol"], max_iter=opt["max_iter"],
            memory=opt["memory"], diagonal=diagonal,
        )
        if res.converged and (problem.l2_fields == 0 or problem.l2_couplings == 0):
            tighter = minimize(
                objective, res.x, gtol=opt["tol"] / 100, max_iter=min(opt["max_iter"], 500),
                memory=opt["memory"], diagonal=diagonal,
            )
            if np.max(np.abs(tighter.x - res.x)) > _DIVERGED:
                raise InvalidInputError(
                    diverging_message(problem, res.x, tighter.x, "pseudo-likelihood")
                )
        return Fit(
            res.x, res.converged, res.n_iter,
            f"L-BFGS ({res.n_eval} evaluations): {res.message}", res.value,
        )
