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
from ._potts_model import Fit, Problem, check_finite_fit, margin_bound, refuse_divergence
from ._separation import refuse_separable

__all__ = ["PseudoLikelihood", "pseudolikelihood_objective"]


Objective = Callable[[NDArray[np.floating]], tuple[float, NDArray[np.floating]]]

# one-hot matrix products beat the site kernel for few states (measured: 3.5x at q = 2,
# even at q = 8, 0.6x at q = 12) unless the model is tiny; the (L q)^2 matrix stays small
_DENSE_MAX_Q = 4
_DENSE_WIDTH = (16, 4096)
_CHUNK_BYTES = 1 << 24
# unpenalised fits too large for the separation test (maxent._separation) whose
# conditionals reach odds of e^8 somewhere are checked for a road to infinity, by
# minimising to these gradients (on a road the parameters then keep growing by about
# log(100) over the decay rate; at a finite minimum they barely move)
_SUSPECT_MARGIN = 8.0
_ROAD_TOLERANCES = (1e-9, 1e-11)


def pseudolikelihood_objective(problem: Problem) -> Objective:
    """``f(theta) -> (F, grad F)`` for the problem (F per effective sample): one-hot
    matrix products for few states, the compiled site kernel otherwise."""
    width = problem.n_sites * problem.q
    if problem.q <= _DENSE_MAX_Q and _DENSE_WIDTH[0] <= width <= _DENSE_WIDTH[1]:
        return _dense_objective(problem)
    return _site_objective(problem)


def _dense_objective(problem: Problem) -> Objective:
    """The objective by matrix products: with X the one-hot samples (n, L q), the
    potentials of every site are X W + h (W the symmetric matrix of coupling blocks) and
    the couplings' gradient is X^T R, R the weighted residuals; chunks of samples run
    on worker threads, each with single-threaded BLAS."""
    n, n_sites = problem.codes.shape
    q, width = problem.q, problem.n_sites * problem.q
    rows = max(1, _CHUNK_BYTES // (8 * width))
    chunks = [(a, min(a + rows, n)) for a in range(0, n, rows)]
    iu = np.triu_indices(n_sites, 1)

    def task(
        spec: tuple[NDArray, NDArray], chunk: tuple[int, int]
    ) -> tuple[float, NDArray, NDArray]:
        w_full, h = spec
        codes = problem.codes[chunk[0] : chunk[1]]
        x = np.zeros((codes.shape[0], width), dtype=w_full.dtype)
        kern.one_hot(codes, x)
        pot = (x @ w_full).reshape(-1, n_sites, q) + h
        nll = kern.all_residuals(pot, codes, problem.weights[chunk[0] : chunk[1]])
        resid = pot.reshape(-1, width)
        return float(nll), x.T @ resid, resid.sum(axis=0)

    def objective(theta: NDArray[np.floating]) -> tuple[float, NDArray[np.floating]]:
        h, e = problem.split(theta)
        w_full = np.zeros((n_sites, n_sites, q, q), dtype=theta.dtype)
        w_full[iu] = e
        w_full[iu[1], iu[0]] = e.transpose(0, 2, 1)
        w_full = w_full.transpose(0, 2, 1, 3).reshape(width, width)
        nll, g_w, g_h = ThreadExecutor().reduce(task, (w_full, h), chunks, _add_parts)
        g_w = g_w.reshape(n_sites, q, n_sites, q).transpose(0, 2, 1, 3)
        grad = np.empty_like(theta)
        grad_h, grad_e = problem.split(grad)
        grad_h[...] = g_h.reshape(n_sites, q)
        grad_e[...] = g_w[iu] + g_w[iu[1], iu[0]].transpose(0, 2, 1)
        value = nll + problem.add_penalty(theta, grad)
        grad *= 1.0 / problem.n_effective
        return value / problem.n_effective, grad

    return objective


def _add_parts(spec: object, parts: list[tuple]) -> tuple:
    return tuple(sum(p[k] for p in parts) for k in range(len(parts[0])))


def _site_objective(problem: Problem) -> Objective:
    """The objective by the compiled site kernel, blocks of sites on worker threads."""
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
                    codes_t,
                    weights,
                    h,
                    e,
                    problem.pair_of,
                    block[0],
                    block[1],
                    grad_h,
                    grad_e,
                    upper,
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
    """Independent-site start, as plmc's: h_i(a) = log(n_eff f_i(a) + 1), centred, with
    f_i the frequencies among the samples where site i is present (flat where it never
    is); e = 0."""
    present = counts.sum(axis=1, keepdims=True)
    freq = np.divide(counts, present, out=np.full_like(counts, 1.0 / problem.q), where=present > 0)
    h0 = np.log(problem.n_effective * freq + 1.0)
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
        tested = refuse_separable(problem)
        opt = problem.options
        objective = pseudolikelihood_objective(problem)
        counts = _site_counts(problem)
        diagonal = _curvature(problem, counts) if opt.get("precondition", True) else None
        res = minimize(
            objective,
            _start(problem, counts),
            gtol=opt["tol"],
            max_iter=opt["max_iter"],
            memory=opt["memory"],
            diagonal=diagonal,
        )
        if res.converged and not tested and margin_bound(problem, res.x) > _SUSPECT_MARGIN:
            refuse_divergence(
                problem,
                lambda x, gtol: (
                    minimize(
                        objective,
                        x,
                        gtol=gtol,
                        max_iter=min(opt["max_iter"], 500),
                        memory=opt["memory"],
                        diagonal=diagonal,
                    ).x
                ),
                res.x,
                opt["tol"],
                "pseudo-likelihood",
                suspect=0.0,
                tighter=_ROAD_TOLERANCES,
            )
        return Fit(
            res.x,
            res.converged,
            res.n_iter,
            f"L-BFGS ({res.n_eval} evaluations): {res.message}",
            res.value,
        )
