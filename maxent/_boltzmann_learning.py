r"""Boltzmann learning of a Potts model: moments from Monte Carlo, Newton-like steps.

Persistent heat-bath chains (started at data samples, so near equilibrium) give the
model's one-hot marginals at the current parameters; a step
:math:`\Delta\theta = (\mathrm{Cov}_\theta[f] + \text{ridge})^{-1} g` follows the
gradient g of the penalised log-likelihood per sample, with the covariance of the
sampled features (conjugate gradients on covariance-vector products, two kernel calls
each), capped in the metric of that covariance.  A step that makes the moments worse
(their sum of squared z-scores) is taken back and the ridge raised
(Levenberg-Marquardt).  The fit has converged when every moment agrees with the data to
sampling error (data and Monte Carlo) and the distance to the maximum-likelihood fit that
the next Newton step predicts is below ``tol`` (in the fit's own standard errors).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from . import _potts_kernels as kern
from ._exact_potts import all_states
from ._parallel import ThreadExecutor
from ._potts_model import DataMoments, Fit, Problem, check_finite_fit, z_threshold
from ._pseudolikelihood import PseudoLikelihood
from ._separation import MAX_ENTRIES, refuse_face
from .errors import InvalidInputError

__all__ = ["BoltzmannLearning", "Chains", "moment_check"]

MAX_PARAMS = 2_000_000  # Boltzmann learning keeps a few (20, n_params) arrays
_GROUPS = 20  # chains are pooled in this many groups for the Monte Carlo error bars
_CHAINS_PER_TASK = 16


@dataclass
class Chains:
    """Persistent heat-bath chains of the model and the records they yield."""

    codes: NDArray[np.int8]  # (n_chains, n_sites)
    rng: np.random.Generator
    n_records: int
    sweeps_between: int

    @classmethod
    def from_data(
        cls,
        problem: Problem,
        rng: np.random.Generator,
        n_chains: int,
        n_records: int,
        sweeps_between: int,
    ) -> Chains:
        p = problem.weights / problem.n_effective
        start = problem.codes[rng.choice(problem.codes.shape[0], n_chains, p=p)]
        return cls(np.ascontiguousarray(start), rng, n_records, sweeps_between)

    def advance(self, problem: Problem, theta: NDArray, n_sweeps: int) -> None:
        """Run every chain ``n_sweeps`` sweeps (blocks of chains on worker threads, each
        block with its own seed drawn here, so results do not depend on thread count)."""
        h, e = problem.split(np.asarray(theta, dtype=np.float64))
        n = self.codes.shape[0]
        blocks = [
            (a, min(a + _CHAINS_PER_TASK, n), int(self.rng.integers(2**31)))
            for a in range(0, n, _CHAINS_PER_TASK)
        ]

        def task(spec: None, b: tuple[int, int, int]) -> None:
            kern.gibbs_sweeps(self.codes[b[0] : b[1]], h, e, problem.pair_of, n_sweeps, b[2])

        ThreadExecutor().reduce(task, None, blocks, lambda spec, parts: None)

    def records(self, problem: Problem, theta: NDArray) -> NDArray[np.int8]:
        """(n_records, n_chains, n_sites) configurations, ``sweeps_between`` apart."""
        out = np.empty((self.n_records,) + self.codes.shape, dtype=np.int8)
        for r in range(self.n_records):
            self.advance(problem, theta, self.sweeps_between)
            out[r] = self.codes
        return out


def _marginals(problem: Problem, configs: NDArray[np.int8], weight: float) -> NDArray:
    return problem.one_hot_sums(configs, np.full(configs.shape[0], weight))


def _model_moments(problem: Problem, records: NDArray[np.int8]) -> tuple[NDArray, NDArray]:
    """Model marginals and their standard errors from the spread over groups of chains."""
    n_rec, n_chains, _ = records.shape
    groups = np.array_split(np.arange(n_chains), min(_GROUPS, n_chains))
    parts = np.stack(
        [
            _marginals(problem, records[:, g].reshape(-1, problem.n_sites), 1.0 / (n_rec * g.size))
            for g in groups
        ]
    )
    sizes = np.array([g.size for g in groups], dtype=np.float64) / n_chains
    mean = sizes @ parts
    err = np.sqrt(np.maximum(sizes @ (parts - mean) ** 2, 0.0) / max(len(groups) - 1, 1))
    return mean, err


def _newton_step(
    problem: Problem,
    records: NDArray[np.int8],
    model: NDArray,
    grad: NDArray,
    lam: NDArray,
    damping: float,
) -> tuple[NDArray, float]:
    """(Cov + ridge) step = grad by CG on sampled configurations, the step capped; also
    grad . step of the uncapped step."""
    opt = problem.options
    x = records.reshape(-1, problem.n_sites)
    if x.shape[0] > opt["hessian_samples"]:
        x = x[np.linspace(0, x.shape[0] - 1, opt["hessian_samples"]).astype(int)]
    k = x.shape[0]
    ridge = damping * float(np.mean(model * (1.0 - model))) + 1e-12 + lam

    def matvec(v: NDArray) -> NDArray:
        u = problem.log_weights(v, x)
        u -= u.mean()
        return problem.one_hot_sums(x, u / k) + ridge * v

    op = sparse.linalg.LinearOperator((problem.n_params,) * 2, matvec=matvec, dtype=np.float64)
    step, _ = sparse.linalg.cg(op, grad, rtol=1e-6, maxiter=200)
    size = float(np.sqrt(max(step @ matvec(step), 0.0)))
    newton = float(grad @ step)
    scale = max(size, float(np.max(np.abs(step))))
    if scale > opt["max_step"]:
        step *= opt["max_step"] / scale
    return step, newton


def moment_check(
    problem: Problem, theta: NDArray, rng: np.random.Generator
) -> tuple[float, float]:
    """Largest |z| of the penalised moment condition from a Monte Carlo run as large as
    the data, and the threshold it is judged by."""
    opt = problem.options
    n_records = max(20, -(-problem.codes.shape[0] // opt["n_chains"]))
    chains = Chains.from_data(problem, rng, opt["n_chains"], n_records, opt["sweeps_between"])
    chains.advance(problem, theta, opt["n_burn"])
    model, model_err = _model_moments(problem, chains.records(problem, theta))
    _, z = DataMoments.of(problem).z_scores(theta, model, model_err)
    return float(np.max(np.abs(z))), z_threshold(problem)


@dataclass(frozen=True)
class BoltzmannLearning:
    """Start (pseudo-likelihood or independent sites), then Newton-like steps on Monte
    Carlo moments."""

    allows_missing: bool = False

    def fit(self, problem: Problem) -> Fit:
        if problem.n_params > MAX_PARAMS:
            raise InvalidInputError(
                f"method 'boltzmann' keeps a few arrays of all {problem.n_params} parameters "
                f"per iteration and allows at most {MAX_PARAMS}; use 'pseudolikelihood'."
            )
        check_finite_fit(problem)
        if problem.q**problem.n_sites * (problem.n_sites + problem.n_pairs) <= MAX_ENTRIES:
            refuse_face(problem, all_states(problem.n_sites, problem.q))  # whatever the start
        opt = problem.options
        data = DataMoments.of(problem)
        theta = self._start(problem, data)
        rng = opt["seed"]
        chains = Chains.from_data(
            problem, rng, opt["n_chains"], opt["n_records"], opt["sweeps_between"]
        )
        chains.advance(problem, theta, opt["n_burn"])
        return self._iterate(problem, data, chains, theta)

    def _start(self, problem: Problem, data: DataMoments) -> NDArray[np.float64]:
        opt = problem.options
        if opt["start"] == "pseudolikelihood":
            tol, max_iter = opt["pl_defaults"]
            pl = replace(problem, options={**opt, "tol": tol, "max_iter": max_iter})
            return np.asarray(PseudoLikelihood().fit(pl).theta, dtype=np.float64)
        theta = np.zeros(problem.n_params)
        h = problem.split(theta)[0]
        f = problem.split(data.freq)[0]
        h[...] = np.log(np.maximum(f, 0.5 / problem.n_effective))
        h -= h.mean(axis=1, keepdims=True)
        return theta

    def _iterate(self, problem: Problem, data: DataMoments, chains: Chains, theta: NDArray) -> Fit:
        opt = problem.options
        limit = z_threshold(problem)
        damping, best = opt["damping"], None
        z = np.full(1, np.inf)
        distance = np.inf
        for it in range(1, opt["max_iter"] + 1):
            records = chains.records(problem, theta)
            model, model_err = _model_moments(problem, records)
            grad, z = data.z_scores(theta, model, model_err)
            chi2 = float(z @ z)
            if best is not None and chi2 > best[0]:  # worse: take the step back
                damping = min(10.0 * damping, 1e6)
                chi2, theta, z, records, grad, model = best
            else:
                damping = max(damping / 3.0, 1e-6)
                best = (chi2, theta, z, records, grad, model)
            step, newton = _newton_step(problem, records, model, grad, data.lam, damping)
            distance = float(np.sqrt(max(data.n_kish * newton / problem.n_independent, 0.0)))
            zmax = float(np.max(np.abs(z)))
            if zmax < limit and distance < opt["tol"]:
                message = (
                    f"converged after {it - 1} Newton-like steps: estimated distance to the "
                    f"maximum-likelihood fit {distance:.2f} < tol = {opt['tol']:g} (rms, in its "
                    f"standard errors); max |z| = {zmax:.2f} < {limit:.2f}."
                )
                return Fit(theta, True, it - 1, message, np.nan, zmax, limit, distance)
            theta = theta + step
        zmax = float(np.max(np.abs(z)))
        message = (
            f"stopped after {opt['max_iter']} Newton-like steps with estimated distance to the "
            f"maximum-likelihood fit {distance:.2f} (tol = {opt['tol']:g}) and max |z| = "
            f"{zmax:.2f} (threshold {limit:.2f}); increase `max_iter` or `n_records`, or raise "
            "`tol`"
        )
        return Fit(theta, False, opt["max_iter"], message, np.nan, zmax, limit, distance)
