r"""Pairwise maximum-entropy (inverse Ising) models learned from samples of spins.

The maximum-entropy distribution that reproduces the means :math:`\langle s_i\rangle`
and pair correlations :math:`\langle s_i s_j\rangle` of data is

.. math:: P(s) = \frac{1}{Z} \exp\Big(\sum_i h_i s_i + \sum_{i<j} J_{ij} s_i s_j\Big),

and matching those moments is maximum likelihood for this exponential family.
:func:`fit_pairwise` estimates the fields :math:`h` and couplings :math:`J` by one of the
methods in :data:`METHODS`:

- ``"pseudolikelihood"``: maximise :math:`\sum_i \log P(s_i \mid s_{\setminus i})`
  (symmetric couplings, L-BFGS); consistent and fast, but not the maximum-likelihood fit.
- ``"boltzmann"`` (default): start from pseudo-likelihood, then Boltzmann learning:
  model moments from persistent Monte Carlo chains (heat bath), and Newton-like steps
  :math:`\Delta\theta = \mathrm{Cov}_\theta[f]^{-1}(\bar f_{data} - \langle f\rangle_\theta)`
  with the covariance of the sampled features (conjugate gradients, the step length
  capped in the metric of that covariance), until the moments agree to sampling error.
- ``"exact"``: :func:`maxent.solve` on :func:`maxent.features.pairwise` (all
  :math:`2^N` states, streamed; N <= 20).

Convergence is reported honestly: ``moment_z`` holds the differences between data and
model moments in units of their combined sampling error (data and Monte Carlo), and
``mle_distance`` the distance to the maximum-likelihood fit that the next Newton step
predicts, in units of that fit's standard errors; Boltzmann learning has ``converged``
when the largest ``|moment_z|`` is below the 1% family-wise threshold for that many
moments and ``mle_distance`` is below ``tol``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, sparse, stats

from . import _spin_kernels as kern
from .errors import ConvergenceWarning, InvalidInputError

__all__ = ["METHODS", "PairwiseResult", "fit_pairwise"]

_EXACT_MAX_SPINS = 20


# -- data --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Data:
    spins: NDArray[np.float64]  # (n_samples, N) of +-1
    means: NDArray[np.float64]  # (N,)
    correlations: NDArray[np.float64]  # (N, N) <s_i s_j>, diagonal 1
    mean_error: NDArray[np.float64]  # standard errors, (N,)
    correlation_error: NDArray[np.float64]  # (N, N)

    @property
    def n_spins(self) -> int:
        return self.spins.shape[1]


def _read_samples(samples: ArrayLike, values: tuple[float, float]) -> _Data:
    x = np.asarray(samples)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise InvalidInputError(
            "`samples` must be 2-D, (n_samples, n_spins) with at least 2 of each; got "
            f"shape {x.shape}."
        )
    lo, hi = values
    is_lo, is_hi = x == lo, x == hi
    bad = ~(is_lo | is_hi)
    if np.any(bad):
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise InvalidInputError(
            f"`samples` must hold only the values {values}; got {x[i, j]} at index "
            f"({i}, {j}) (pass `values=(0, 1)` for 0/1 data)."
        )
    s = np.where(is_hi, 1.0, -1.0)
    constant = np.flatnonzero(np.all(s == s[:1], axis=0))
    if constant.size:
        raise InvalidInputError(
            f"`samples`: spin {int(constant[0])} takes one value in every sample, so its "
            "field is infinite (no finite maximum-likelihood fit); drop it or add samples."
        )
    n = s.shape[0]
    means = s.mean(axis=0)
    corr = s.T @ s / n
    mean_err = np.sqrt(np.maximum(1.0 - means**2, 0.0) / n)
    corr_err = np.sqrt(np.maximum(1.0 - corr**2, 0.0) / n)
    return _Data(s, means, corr, mean_err, corr_err)


def _pack(h, couplings):
    iu = np.triu_indices(h.size, 1)
    return np.concatenate([h, couplings[iu]])


def _unpack(theta, n):
    h = theta[:n].copy()
    couplings = np.zeros((n, n))
    iu = np.triu_indices(n, 1)
    couplings[iu] = theta[n:]
    return h, couplings + couplings.T


# -- result ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PairwiseResult:
    r"""A fitted pairwise maximum-entropy model, as returned by :func:`fit_pairwise`.

    Attributes
    ----------
    fields : ndarray, shape (n_spins,)
        :math:`h_i`.
    couplings : ndarray, shape (n_spins, n_spins)
        :math:`J_{ij}`, symmetric, zero diagonal.
    converged : bool
        Whether the method's stopping rule was met (for ``"boltzmann"``: the moments agree
        with the data to sampling error; see ``moment_z``).
    method : str
        The method used.
    n_iter : int
        Iterations (L-BFGS steps for pseudo-likelihood, Newton-like steps for Boltzmann
        learning, Newton steps for exact).
    moment_z : ndarray, shape (n_spins + n_spins (n_spins - 1) / 2,)
        (data moment - model moment) / combined standard error, for the features
        :math:`s_i` then :math:`s_i s_j` (i < j, row-major); model moments from Monte
        Carlo chains (``"pseudolikelihood"``, ``"boltzmann"``) or exact (``"exact"``).
    z_threshold : float
        The value ``max |moment_z|`` had to stay below for ``converged`` (Boltzmann): the
        Gaussian quantile of a 1% family-wise error over all moments.
    mle_distance : float
        Estimated distance to the maximum-likelihood fit, rms over parameter directions
        in units of the fit's own standard errors:
        :math:`\sqrt{n\,\Delta\theta^T \mathrm{Cov}[f]\,\Delta\theta / m}` for the
        Newton step :math:`\Delta\theta` from the sampled moments (0 for ``"exact"``).
        Conservative: the Monte Carlo error of the moments adds about
        :math:`n / n_{\mathrm{model}}` to its square; but chains that mix slowly (strong
        couplings) bias the model moments towards the data they started from, which
        this estimate cannot see.
    n_samples : int
        Number of data samples.
    message : str
        How the fit ended.
    """

    fields: NDArray[np.float64]
    couplings: NDArray[np.float64]
    converged: bool
    method: str
    n_iter: int
    moment_z: NDArray[np.float64]
    z_threshold: float
    mle_distance: float
    n_samples: int
    message: str

    @property
    def max_moment_z(self) -> float:
        """Largest moment residual in units of its sampling error."""
        return float(np.max(np.abs(self.moment_z)))

    def to_xarray(self) -> xr.Dataset:
        """Fields, couplings and moment residuals as a Dataset (dims ``spin``,
        ``spin_j``, ``moment``)."""
        n = self.fields.size
        return xr.Dataset(
            {
                "fields": ("spin", self.fields, {"long_name": "field h", "units": "1"}),
                "couplings": (
                    ("spin", "spin_j"),
                    self.couplings,
                    {
                        "long_name": "coupling J",
                        "units": "1",
                        "description": "symmetric, zero diagonal",
                    },
                ),
                "moment_z": (
                    "moment",
                    self.moment_z,
                    {
                        "long_name": "moment residual in standard errors",
                        "units": "1",
                        "description": "(data - model) / combined standard error",
                    },
                ),
            },
            coords={
                "spin": ("spin", np.arange(n), {"long_name": "spin", "units": "1"}),
                "spin_j": ("spin_j", np.arange(n), {"long_name": "spin", "units": "1"}),
                "moment": (
                    "moment",
                    np.arange(self.moment_z.size),
                    {"long_name": "moment index", "units": "1"},
                ),
            },
            attrs={
                "Conventions": "CF-1.10",
                "method": self.method,
                "converged": int(self.converged),
                "n_iter": self.n_iter,
                "z_threshold": float(self.z_threshold),
                "mle_distance": float(self.mle_distance),
                "max_moment_z": self.max_moment_z,
                "n_samples": self.n_samples,
                "message": self.message,
                "convention": "P(s) = exp(sum_i h_i s_i + sum_{i<j} J_ij s_i s_j) / Z",
            },
        )


# -- Monte Carlo moments -----------------------------------------------------------------------
@dataclass
class _Chains:
    """Persistent heat-bath chains and what one round of sampling measured."""

    spins: NDArray[np.int8]
    state: NDArray[np.uint64]
    n_records: int
    sweeps_between: int

    def sample(self, h, couplings) -> NDArray[np.int8]:
        """Records (n_records, n_chains, N) from the chains at the current parameters."""
        out = np.empty((self.n_records,) + self.spins.shape, dtype=np.int8)
        for r in range(self.n_records):
            kern.heat_bath_pairwise(self.spins, h, couplings, self.state, self.sweeps_between)
            out[r] = self.spins
        return out


def _model_moments(records):
    """Moments and standard errors from records (n_records, n_chains, N).

    Each chain's averages are computed first (chains in blocks, a few MB of floats at a
    time); the errors are the spread of the chain averages over sqrt(n_chains).
    """
    n_rec, n_chains, n = records.shape
    chain_means = np.empty((n_chains, n))
    chain_corr = np.empty((n_chains, n, n))
    block = max(1, 2_000_000 // (n_rec * n))
    for a in range(0, n_chains, block):
        xc = np.ascontiguousarray(
            records[:, a : a + block].transpose(1, 0, 2), dtype=np.float64
        )  # (chains, records, N)
        chain_means[a : a + block] = xc.mean(axis=1)
        chain_corr[a : a + block] = np.matmul(xc.transpose(0, 2, 1), xc) / n_rec
    means, corr = chain_means.mean(axis=0), chain_corr.mean(axis=0)
    mean_err = chain_means.std(axis=0, ddof=1) / np.sqrt(n_chains)
    corr_err = chain_corr.std(axis=0, ddof=1) / np.sqrt(n_chains)
    return means, corr, mean_err, corr_err


def _z_scores(data: _Data, means, corr, mean_err, corr_err):
    """(data - model) / sqrt(data error^2 + model error^2), and the differences."""
    iu = np.triu_indices(data.n_spins, 1)
    diff = np.concatenate([data.means - means, (data.correlations - corr)[iu]])
    err = np.sqrt(
        np.concatenate([data.mean_error**2, data.correlation_error[iu] ** 2])
        + np.concatenate([mean_err**2, corr_err[iu] ** 2])
    )
    return diff / np.maximum(err, 1e-300), diff


def _distance(data: _Data, newton_norm: float) -> float:
    """Distance to the ML fit predicted by a Newton step, rms over parameter directions in
    units of the fit's standard errors: sqrt(n_data * grad' Cov^-1 grad / m).

    Conservative: the Monte Carlo error of the model moments adds about
    n_data / n_model to its square.
    """
    m = data.n_spins * (data.n_spins + 1) // 2
    return float(np.sqrt(max(data.spins.shape[0] * newton_norm / m, 0.0)))


def _threshold(m: int) -> float:
    return float(stats.norm.isf(0.005 / m))


# -- methods -----------------------------------------------------------------------------------
class Method(Protocol):
    """A fitting method: ``fit(data, options) -> (h, J, converged, n_iter, z, message)``."""

    def fit(self, data: _Data, opt: dict) -> tuple: ...


def _pseudolikelihood(data: _Data, l2: float, theta0=None, max_iter: int = 500):
    s = data.spins
    n_samples, n = s.shape

    def objective(theta):
        h, couplings = _unpack(theta, n)
        field = s @ couplings + h
        # -mean sum_i log P(s_i | rest) = mean sum_i [log(2 cosh theta_i) - s_i theta_i]
        a = np.abs(field)
        value = np.sum(a + np.log1p(np.exp(-2.0 * a)) + np.log(2.0) - s * field) / n_samples
        r = (s - np.tanh(field)) / n_samples
        g = s.T @ r
        grad_j = g + g.T
        grad = -_pack(r.sum(axis=0), grad_j)
        value += 0.5 * l2 * float(theta[n:] @ theta[n:])
        grad[n:] += l2 * theta[n:]
        return value, grad

    theta0 = np.zeros(n + n * (n - 1) // 2) if theta0 is None else theta0
    res = optimize.minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": 1e-9, "ftol": 1e-14},
    )
    return res.x, bool(res.success), int(res.nit), str(res.message)


@dataclass(frozen=True)
class PseudoLikelihood:
    """Symmetric pseudo-likelihood maximised by L-BFGS (optional L2 on couplings)."""

    def fit(self, data, opt):
        theta, ok, nit, msg = _pseudolikelihood(data, opt["l2"])
        h, couplings = _unpack(theta, data.n_spins)
        n_data = data.spins.shape[0]  # a moment check as large as the data suffices here
        chains = _new_chains(data, {**opt, "n_records": max(20, -(-n_data // opt["n_chains"]))})
        records = chains.sample(h, couplings)
        moments = _model_moments(records)
        z, diff = _z_scores(data, *moments)
        _, norm = _newton_step(records, diff, np.triu_indices(data.n_spins, 1), 1e-6, opt)
        distance = _distance(data, norm)
        return h, couplings, ok, nit, z, distance, f"L-BFGS: {msg}"


def _new_chains(data, opt):
    rng = np.random.default_rng(opt["seed"])
    start = data.spins[rng.integers(0, data.spins.shape[0], opt["n_chains"])]
    chains = _Chains(
        start.astype(np.int8), kern.rng_state(rng), opt["n_records"], opt["sweeps_between"]
    )
    return chains


@dataclass(frozen=True)
class BoltzmannLearning:
    """Pseudo-likelihood start, then Newton-like steps on Monte Carlo moments."""

    def fit(self, data, opt):
        n = data.n_spins
        if opt["start"] == "pseudolikelihood":
            theta, _, _, _ = _pseudolikelihood(data, opt["l2"])
        else:  # independent spins: h = artanh <s>, J = 0
            theta = np.concatenate([np.arctanh(data.means), np.zeros(n * (n - 1) // 2)])
        chains = _new_chains(data, opt)  # started at data samples: near equilibrium
        h, couplings = _unpack(theta, n)
        for _ in range(opt["n_burn"]):
            chains.sample(h, couplings)
        m = theta.size
        threshold = _threshold(m)
        iu = np.triu_indices(n, 1)
        z = np.full(m, np.inf)
        # Levenberg-Marquardt-like damping: a step that makes the moments worse (sum of
        # z^2) is taken back and the ridge on the covariance raised; a good one lowers it
        damping, best = opt["damping"], None
        distance = np.inf
        for it in range(1, opt["max_iter"] + 1):
            records = chains.sample(h, couplings)
            moments = _model_moments(records)
            z, diff = _z_scores(data, *moments)
            chi2 = float(z @ z)
            if best is not None and chi2 > best[0]:
                damping = min(10.0 * damping, 1e6)
                chi2, theta, z, records, diff, moments = best
                h, couplings = _unpack(theta, n)
            else:
                damping = max(damping / 3.0, 1e-6)
                best = (chi2, theta, z, records, diff, moments)
            grad = diff - opt["l2"] * np.concatenate([np.zeros(n), theta[n:]])
            step, newton_norm = _newton_step(records, grad, iu, damping, opt)
            distance = _distance(data, newton_norm)
            if np.max(np.abs(z)) < threshold and distance < opt["tol"]:
                return (
                    h,
                    couplings,
                    True,
                    it - 1,
                    z,
                    distance,
                    (
                        f"converged after {it - 1} Newton-like steps: estimated distance to the "
                        f"maximum-likelihood fit {distance:.2f} < tol = {opt['tol']:g} (rms, in "
                        f"its standard errors); max |z| = {np.max(np.abs(z)):.2f} < "
                        f"{threshold:.2f}."
                    ),
                )
            theta = theta + step
            h, couplings = _unpack(theta, n)
        return (
            h,
            couplings,
            False,
            opt["max_iter"],
            z,
            distance,
            (
                f"stopped after {opt['max_iter']} Newton-like steps with estimated distance to "
                f"the maximum-likelihood fit {distance:.2f} (tol = {opt['tol']:g}) and max |z| = "
                f"{np.max(np.abs(z)):.2f} (threshold {threshold:.2f}); increase `max_iter` or "
                "`n_records`, or raise `tol`"
            ),
        )


def _newton_step(records, grad, iu, damping, opt):
    """Solve (Cov[f] + damping * mean variance) step = grad by conjugate gradients on
    sampled features.

    The step is capped so that sqrt(step' Cov step) <= ``max_step`` (the standard
    deviation of the change of log P under the model) and no parameter moves by more
    than ``max_step``.  Also returns grad' step of the uncapped step: times n_data, the
    squared Mahalanobis distance to the maximum-likelihood fit that the step predicts.
    """
    x = records.reshape(-1, records.shape[-1]).astype(np.float64)
    if x.shape[0] > opt["hessian_samples"]:
        x = x[np.linspace(0, x.shape[0] - 1, opt["hessian_samples"]).astype(int)]
    f = np.concatenate([x, x[:, iu[0]] * x[:, iu[1]]], axis=1)
    f -= f.mean(axis=0)
    k = f.shape[0]
    ridge = damping * float(np.mean(f * f)) + 1e-12 + opt["l2"]

    def matvec(v):
        return f.T @ (f @ v) / k + ridge * v

    op = sparse.linalg.LinearOperator((f.shape[1],) * 2, matvec=matvec, dtype=np.float64)
    step, _ = sparse.linalg.cg(op, grad, rtol=1e-6, maxiter=200)
    size = float(np.sqrt(max(step @ matvec(step), 0.0)))
    newton_norm = float(grad @ step)  # step' (Cov + ridge) step
    scale = max(size, float(np.max(np.abs(step))))
    if scale > opt["max_step"]:
        step *= opt["max_step"] / scale
    return step, newton_norm


@dataclass(frozen=True)
class Exact:
    """maxent.solve on all 2^N states (features.pairwise, streamed)."""

    def fit(self, data, opt):
        from .features import pairwise
        from .solver import solve

        n = data.n_spins
        if n > _EXACT_MAX_SPINS:
            raise InvalidInputError(
                f"method 'exact' enumerates 2^N states and allows N <= {_EXACT_MAX_SPINS}; "
                f"got N = {n} (use 'boltzmann')."
            )
        fs = pairwise(n)
        iu = np.triu_indices(n, 1)
        targets = np.concatenate([data.means, data.correlations[iu]])
        res = solve(fs, targets, names=fs.names, tol=1e-10, max_iter=max(opt["max_iter"], 100))
        h, couplings = _unpack(-res.multipliers, n)
        moments = res.moments
        err = np.concatenate([data.mean_error, data.correlation_error[iu]])
        z = (targets - moments) / np.maximum(err, 1e-300)
        return h, couplings, bool(res.converged), int(res.n_iter), z, 0.0, res.message


#: Fitting methods by name: objects with ``fit(data, options)``.
METHODS: dict[str, Method] = {
    "pseudolikelihood": PseudoLikelihood(),
    "boltzmann": BoltzmannLearning(),
    "exact": Exact(),
}


def fit_pairwise(
    samples: ArrayLike,
    *,
    method: str = "boltzmann",
    values: tuple[float, float] = (-1, 1),
    l2: float = 0.0,
    max_iter: int = 50,
    n_chains: int = 200,
    n_records: int | None = None,
    sweeps_between: int = 2,
    max_step: float = 1.0,
    start: str = "pseudolikelihood",
    tol: float = 1.0,
    seed: int | np.random.Generator | None = None,
) -> PairwiseResult:
    r"""Fit a pairwise maximum-entropy (inverse Ising) model to samples of spins.

    Convention: ``samples`` is an array (n_samples, n_spins) of +-1 values (or of 0/1
    values with ``values=(0, 1)``, mapped to -1/+1), and the model is

    .. math:: P(s) = \exp\Big(\sum_i h_i s_i + \sum_{i<j} J_{ij} s_i s_j\Big) / Z

    with ``fields`` = h (n_spins,) and ``couplings`` = J (n_spins, n_spins), symmetric
    with zero diagonal.  (:func:`maxent.solve` writes :math:`p \propto e^{-\lambda\cdot
    F}`, so on :func:`maxent.features.pairwise` its multipliers are :math:`-h` and
    :math:`-J_{ij}`.)

    Parameters
    ----------
    samples : array_like, shape (n_samples, n_spins)
        Observed configurations.
    method : {"boltzmann", "pseudolikelihood", "exact"}, default "boltzmann"
        A name from :data:`METHODS` (see the module docstring).
    values : pair, default (-1, 1)
        The two values in ``samples`` standing for spin down and spin up.
    l2 : float, default 0
        Penalty :math:`\tfrac{l_2}{2}\sum_{i<j} J_{ij}^2` per sample (0: maximum
        likelihood / pseudo-likelihood).
    max_iter : int, default 50
        Newton-like steps of Boltzmann learning (Newton steps for ``"exact"``).
    n_chains : int, default 200
        Persistent heat-bath chains (Boltzmann learning; also used to measure the
        moment residuals of pseudo-likelihood).
    n_records : int, optional
        Records per chain and iteration (default: enough for 4 / tol^2 times as many
        model samples as data samples, at least 20, so that the Monte Carlo error alone
        adds about tol / 2 to ``mle_distance``).
    sweeps_between : int, default 2
        Heat-bath sweeps between records.
    max_step : float, default 1
        Cap on a Newton-like step, in standard deviations of the change of log P.
    tol : float, default 1
        Boltzmann learning stops when the estimated distance to the maximum-likelihood
        fit (``mle_distance``, rms in units of its standard errors) is below ``tol`` and
        every moment agrees with the data to sampling error (``max |moment_z|`` below
        ``z_threshold``).  Smaller ``tol`` needs more Monte Carlo samples.
    start : {"pseudolikelihood", "independent"}, default "pseudolikelihood"
        Where Boltzmann learning starts: the pseudo-likelihood estimate, or independent
        spins (:math:`h_i = \operatorname{artanh}\langle s_i\rangle`, J = 0).
    seed : int or numpy.random.Generator, optional
        Seeds the chains.

    Returns
    -------
    PairwiseResult
        ``fields``, ``couplings``, ``converged``, ``moment_z`` and ``to_xarray()``.

    Raises
    ------
    InvalidInputError
        If ``samples`` is not 2-D, holds other values than ``values``, or a spin never
        changes (infinite field); if ``method`` is unknown or ``"exact"`` with N > 20.

    Warns
    -----
    ConvergenceWarning
        If the method stopped before its criterion was met.

    Examples
    --------
    >>> import numpy as np, maxent
    >>> rng = np.random.default_rng(0)
    >>> s = np.where(rng.random((20000, 2)) < 0.5, -1, 1)
    >>> s[:, 1] = np.where(rng.random(20000) < 0.8, s[:, 0], -s[:, 0])  # correlated
    >>> fit = maxent.fit_pairwise(s, method="exact")
    >>> round(float(fit.couplings[0, 1]), 1)  # artanh(0.6) = 0.69
    0.7
    """
    if method not in METHODS:
        raise InvalidInputError(f"`method` must be one of {sorted(METHODS)}; got {method!r}.")
    vals = tuple(values)
    if len(vals) != 2 or vals[0] == vals[1]:
        raise InvalidInputError(f"`values` must be two distinct values; got {values!r}.")
    data = _read_samples(samples, vals)
    l2 = float(l2)
    if not (np.isfinite(l2) and l2 >= 0):
        raise InvalidInputError(f"`l2` must be finite and >= 0; got {l2!r}.")
    for name, value in (
        ("max_iter", max_iter),
        ("n_chains", n_chains),
        ("sweeps_between", sweeps_between),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InvalidInputError(f"`{name}` must be an int >= 1; got {value!r}.")
    if n_chains < 2:
        raise InvalidInputError(f"`n_chains` must be >= 2 (for error bars); got {n_chains}.")
    tol_ = float(tol)
    if not (np.isfinite(tol_) and tol_ > 0):
        raise InvalidInputError(f"`tol` must be finite and > 0; got {tol!r}.")
    if start not in ("pseudolikelihood", "independent"):
        raise InvalidInputError(
            f"`start` must be 'pseudolikelihood' or 'independent'; got {start!r}."
        )
    n_samples = data.spins.shape[0]
    if n_records is None:
        n_records = max(20, -(-int(4 * n_samples / tol_**2) // n_chains))
    opt = {
        "l2": l2,
        "max_iter": int(max_iter),
        "n_chains": int(n_chains),
        "n_records": int(n_records),
        "sweeps_between": int(sweeps_between),
        "max_step": float(max_step),
        "start": start,
        "seed": seed,
        "n_burn": 10,
        "tol": tol_,
        "hessian_samples": 20_000,
        "damping": 1e-3,
    }
    h, couplings, converged, n_iter, z, distance, message = METHODS[method].fit(data, opt)
    if not converged:
        warnings.warn(
            f"fit_pairwise(method={method!r}) did not converge: {message}",
            ConvergenceWarning,
            stacklevel=2,
        )
    threshold = _threshold(z.size)
    return PairwiseResult(
        h,
        couplings,
        bool(converged),
        method,
        int(n_iter),
        z,
        threshold,
        float(distance),
        int(n_samples),
        message,
    )
