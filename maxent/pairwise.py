r"""Pairwise maximum-entropy models learned from samples: inverse Ising and Potts (DCA).

The maximum-entropy distribution that reproduces the one- and two-site marginals of
data on n sites with q states each is the Potts model

.. math:: P(x) = \frac{1}{Z} \exp\Big(\sum_i h_i(x_i) + \sum_{i<j} J_{ij}(x_i, x_j)\Big),

and matching those marginals is maximum likelihood for this exponential family.  With
two states (spins, occupations) it is the Ising model; with the 20 amino acids and a
gap it is the model of direct-coupling analysis (DCA) of protein families.
:func:`fit_pairwise` estimates h and J by one of the methods in :data:`METHODS`:

- ``"exact"``: penalised maximum likelihood with all :math:`q^n` states enumerated
  (at most :math:`2^{20}`; Newton's method on the exact moments).
- ``"pseudolikelihood"``: maximise the symmetric pseudo-likelihood
  :math:`\sum_s w_s \sum_i \log P(x_{si} \mid x_{s,\setminus i})` (L-BFGS; float32 or
  float64; blocks of sites on worker threads) -- plmc's method, consistent and fast but
  not the maximum-likelihood fit.
- ``"boltzmann"``: start from pseudo-likelihood, then Boltzmann learning (Monte Carlo
  moments, Newton-like steps) until the moments agree with the data to sampling error.
- ``"auto"`` (default): ``"exact"`` when the states can be enumerated and no entry is
  missing, ``"pseudolikelihood"`` otherwise.

All methods minimise the same penalised objective,
:math:`-\sum_s w_s \log L_s + \lambda_h \sum_{i,a} h_i(a)^2 + \lambda_e \sum_{i<j}
\sum_{a,b} J_{ij}(a,b)^2` (``l2 = (lambda_h, lambda_e)``), with the likelihood or
pseudo-likelihood :math:`L_s` of sample s, sample weights :math:`w_s` and the penalty on
every parameter of the over-complete Potts parametrisation -- plmc's scaling, so that
``l2=(0.01, 16)`` reproduces ``plmc -lh 0.01 -le 16``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _potts_kernels as kern
from ._boltzmann_learning import BoltzmannLearning, moment_check
from ._checks import boolean, integer, random_generator, real_number
from ._dataset import dataset, variable
from ._exact_potts import MAX_STATES, Exact, all_states
from ._pairwise_data import Encoding, encode, sequence_weights
from ._parallel import blas_limited
from ._potts_model import Fit, Problem, zero_sum_gauge
from ._pseudolikelihood import PseudoLikelihood
from ._summary import summary_repr
from .errors import ConvergenceWarning, InvalidInputError
from .features import change_values

__all__ = ["METHODS", "PairwiseResult", "fit_pairwise"]


class Method(Protocol):
    """A fitting method: ``fit(problem) -> Fit``; ``allows_missing`` says whether it
    takes samples with missing entries."""

    @property
    def allows_missing(self) -> bool: ...

    def fit(self, problem: Problem) -> Fit: ...


#: Fitting methods by name (``"auto"`` chooses one of them).
METHODS: dict[str, Method] = {
    "exact": Exact(),
    "pseudolikelihood": PseudoLikelihood(),
    "boltzmann": BoltzmannLearning(),
}

# method -> (tol, max_iter) by default
_DEFAULTS = {"exact": (1e-10, 200), "pseudolikelihood": (1e-4, 2000), "boltzmann": (1.0, 50)}


def _frozen(a: ArrayLike) -> NDArray[np.float64]:
    out = np.array(a, dtype=np.float64)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, repr=False)
class PairwiseResult:
    r"""A fitted pairwise (Potts) model, as returned by :func:`fit_pairwise`.

    :math:`P(x) \propto \exp(\sum_i h_i(x_i) + \sum_{i<j} J_{ij}(x_i, x_j))` with the
    parameters in the zero-sum gauge: :math:`\sum_a h_i(a) = 0` and every row and
    column of every :math:`J_{ij}` sums to 0 (any other gauge gives the same P).

    Attributes
    ----------
    fields : ndarray, shape (n_sites, q)
        :math:`h_i(a)`, read-only.
    couplings : ndarray, shape (n_sites, n_sites, q, q)
        :math:`J_{ij}(a, b)` with ``couplings[j, i] = couplings[i, j].T`` and
        ``couplings[i, i] = 0``, read-only.
    alphabet : tuple
        The symbol of each state: ``(-1, 1)`` for spins, ``(0, 1)`` for occupations,
        ``(0, ..., q-1)`` for integer data, the letters of ``alphabet`` otherwise.
    missing : object
        The symbol of a missing entry in the samples (None: none).
    method : str
        The method used (``"auto"`` resolved).
    converged : bool
        Whether the method's stopping rule was met (see ``message``).
    n_iter : int
        Iterations of the method.
    message : str
        How the fit ended.
    n_samples : int
        Number of samples.
    n_effective : float
        Sum of the sample weights.
    l2 : tuple of float
        :math:`(\lambda_h, \lambda_e)`.
    max_moment_z : float
        Largest gradient component of the penalised log-likelihood per sample (data
        moment - model moment - penalty slope) in units of its sampling error: exact
        model moments for ``"exact"``, Monte Carlo for ``"boltzmann"`` and for
        ``"pseudolikelihood"`` with ``check=True``; NaN when not measured.
    z_threshold : float
        What ``max_moment_z`` must stay below: the Gaussian quantile of a 1% family-wise
        error over the independent moments.
    mle_distance : float
        Boltzmann learning: estimated distance to the maximum-likelihood fit, rms over
        parameter directions in its standard errors; 0 for ``"exact"``; NaN otherwise.
    """

    fields: NDArray[np.float64]
    couplings: NDArray[np.float64]
    alphabet: tuple[Any, ...]
    missing: Any
    method: str
    converged: bool
    n_iter: int
    message: str
    n_samples: int
    n_effective: float
    l2: tuple[float, float]
    max_moment_z: float
    z_threshold: float
    mle_distance: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))
        object.__setattr__(self, "couplings", _frozen(self.couplings))

    @property
    def n_sites(self) -> int:
        """Number of sites (spins, alignment columns)."""
        return int(self.fields.shape[0])

    @property
    def q(self) -> int:
        """Number of states per site."""
        return int(self.fields.shape[1])

    def _encoding(self) -> Encoding:
        kind = "alphabet" if all(isinstance(s, str) for s in self.alphabet) else "values"
        return Encoding(tuple(self.alphabet), kind, self.missing)

    def __repr__(self) -> str:
        return summary_repr(self, n_sites=self.n_sites, q=self.q)

    def coupling_scores(self, *, apc: bool = True) -> NDArray[np.float64]:
        r"""Coupling strength of every pair of sites: the Frobenius norm
        :math:`\|J_{ij}\|_F` of the zero-sum-gauge couplings, average-product corrected.

        Parameters
        ----------
        apc : bool, default True
            Subtract :math:`S_{i\cdot} S_{\cdot j} / S_{\cdot\cdot}` (the means of the
            norms over the other sites of i, of j, and over all pairs), as plmc and
            DCA do, to remove the part of the scores that each site carries alone.

        Returns
        -------
        ndarray, shape (n_sites, n_sites)
            Symmetric, 0 on the diagonal.
        """
        norms = np.sqrt(np.einsum("ijab,ijab->ij", self.couplings, self.couplings))
        n = self.n_sites
        if apc and n > 2:
            site = norms.sum(axis=1) / (n - 1)
            overall = norms.sum() / (n * (n - 1))
            norms = norms - np.outer(site, site) / overall
        np.fill_diagonal(norms, 0.0)
        return norms

    def energy(self, states: Any) -> NDArray[np.float64]:
        r"""Energy :math:`E(x) = -\sum_i h_i(x_i) - \sum_{i<j} J_{ij}(x_i, x_j)` of
        configurations, so that :math:`P(x) = e^{-E(x)}/Z`.

        Parameters
        ----------
        states : array_like, shape (n, n_sites) or (n_sites,)
            Configurations written like the samples (values, integers, or strings with
            the alphabet); missing entries contribute nothing.

        Returns
        -------
        ndarray, shape (n,)
        """
        single = not isinstance(states, (list, tuple)) and np.ndim(states) == 1
        if single and not isinstance(states, str):
            states = [states]
        if isinstance(states, str):
            states = [states]
        codes = self._encoding().codes_of(states, "states")
        if codes.shape[1] != self.n_sites:
            raise InvalidInputError(
                f"`states` has {codes.shape[1]} sites but the model has {self.n_sites}."
            )
        h, e = _unique(self.fields, self.couplings)
        out = np.empty(codes.shape[0])
        kern.log_weights(codes, h, e, kern.pair_table(self.n_sites), out)
        return -out

    def to_values(
        self, values: Sequence[float] = (-1, 1)
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        r"""Fields and couplings of a two-state model in the convention
        :math:`P(x) \propto \exp(\sum_i h_i x_i + \sum_{i<j} J_{ij} x_i x_j)` with each
        :math:`x_i` one of ``values`` (state 0 is ``values[0]``).

        ``(-1, 1)`` gives the Ising fields and couplings of spins; ``(0, 1)`` the
        lattice-gas ones of occupations (:math:`J^{01}_{ij} = 4 J^{\pm}_{ij}`,
        :math:`h^{01}_i = 2 h^{\pm}_i - 4 \sum_{j} J^{\pm}_{ij}`).  Energy differences
        are the same in every convention.

        Returns
        -------
        fields : ndarray, shape (n_sites,)
        couplings : ndarray, shape (n_sites, n_sites)
            Symmetric, zero diagonal.

        Raises
        ------
        InvalidInputError
            If the model does not have two states, or ``values`` is not two distinct
            numbers.
        """
        if self.q != 2:
            raise InvalidInputError(
                f"to_values needs a two-state model; this one has q = {self.q} states."
            )
        j = self.couplings
        lattice_j = j[..., 1, 1] - j[..., 1, 0] - j[..., 0, 1] + j[..., 0, 0]
        lattice_h = (
            self.fields[:, 1] - self.fields[:, 0] + (j[..., 1, 0] - j[..., 0, 0]).sum(axis=1)
        )
        h, c = change_values(lattice_h, lattice_j, old=(0, 1), new=values)
        return _frozen(h), _frozen(c)

    def sample(
        self, n: int, *, seed: int | np.random.Generator | None = None, n_sweeps: int = 100
    ) -> NDArray[Any]:
        """Draw configurations from the model, written like the samples.

        Exact (from the enumerated probabilities) when the model has at most 2^20 states;
        otherwise heat-bath Monte Carlo: ``n`` independent chains from uniformly random
        starts, each run ``n_sweeps`` sweeps (increase it for strongly coupled models).

        Returns
        -------
        ndarray, shape (n, n_sites)
        """
        count = integer(n, "n", minimum=1)
        sweeps = integer(n_sweeps, "n_sweeps", minimum=1)
        assert count is not None and sweeps is not None
        rng = random_generator(seed)
        h, e = _unique(self.fields, self.couplings)
        pair_of = kern.pair_table(self.n_sites)
        if self.q**self.n_sites <= MAX_STATES:
            states = all_states(self.n_sites, self.q)
            lw = np.empty(states.shape[0])
            kern.log_weights(states, h, e, pair_of, lw)
            p = np.exp(lw - lw.max())
            codes = states[rng.choice(p.size, size=count, p=p / p.sum())]
        else:
            codes = rng.integers(0, self.q, size=(count, self.n_sites)).astype(np.int8)
            kern.gibbs_sweeps(codes, h, e, pair_of, sweeps, int(rng.integers(2**31)))
        return self._encoding().symbols_of(codes)

    def to_xarray(self) -> Any:
        """Fields, couplings and coupling scores as an :class:`xarray.Dataset` (dims
        ``site``, ``site_j``, ``state``, ``state_j``)."""
        n = self.n_sites
        labels = [str(s) for s in self.alphabet]
        return dataset(
            {
                "fields": variable(("site", "state"), self.fields, "field h_i(a)", "1"),
                "couplings": variable(
                    ("site", "site_j", "state", "state_j"),
                    self.couplings,
                    "coupling J_ij(a, b)",
                    "1",
                    "zero-sum gauge; couplings[j, i] = couplings[i, j].T",
                ),
                "coupling_scores": variable(
                    ("site", "site_j"),
                    self.coupling_scores(apc=True),
                    "coupling score",
                    "1",
                    "Frobenius norm of J_ij, average-product corrected",
                ),
            },
            coords={
                "site": variable("site", np.arange(n), "site", "1"),
                "site_j": variable("site_j", np.arange(n), "site", "1"),
                "state": variable("state", labels, "state symbol"),
                "state_j": variable("state_j", labels, "state symbol"),
            },
            title="pairwise maximum-entropy (Potts) model",
            convention="P(x) = exp(sum_i h_i(x_i) + sum_{i<j} J_ij(x_i, x_j)) / Z",
            method=self.method,
            converged=int(self.converged),
            n_iter=self.n_iter,
            message=self.message,
            n_samples=self.n_samples,
            n_effective=float(self.n_effective),
            l2_fields=float(self.l2[0]),
            l2_couplings=float(self.l2[1]),
            max_moment_z=float(self.max_moment_z),
            z_threshold=float(self.z_threshold),
            mle_distance=float(self.mle_distance),
        )


def _unique(fields: NDArray, couplings: NDArray) -> tuple[NDArray, NDArray]:
    iu = np.triu_indices(fields.shape[0], 1)
    return np.ascontiguousarray(fields), np.ascontiguousarray(couplings[iu])


def _read_l2(l2: Any) -> tuple[float, float]:
    pair = (l2, l2) if np.ndim(l2) == 0 else tuple(l2)
    if len(pair) != 2:
        raise InvalidInputError(
            f"`l2` must be a number or a pair (fields, couplings); got {l2!r}."
        )
    lam = tuple(real_number(v, "l2", minimum=0.0) for v in pair)
    return lam  # type: ignore[return-value]


def _choose(method: Any, q: int, n_sites: int, has_missing: bool) -> str:
    if method == "auto":
        return "exact" if q**n_sites <= MAX_STATES and not has_missing else "pseudolikelihood"
    if method not in METHODS:
        raise InvalidInputError(
            f"`method` must be 'auto' or one of {sorted(METHODS)}; got {method!r}."
        )
    if has_missing and not METHODS[method].allows_missing:
        raise InvalidInputError(
            f"method {method!r} needs complete samples, but `samples` has missing entries "
            f"(`missing`); use 'pseudolikelihood', which leaves them out of each conditional."
        )
    return str(method)


def _options(
    name: str,
    n_samples: int,
    *,
    tol: Any,
    max_iter: Any,
    n_chains: Any,
    n_records: Any,
    sweeps_between: Any,
    max_step: Any,
    start: Any,
    seed: Any,
) -> dict[str, Any]:
    tol_default, iter_default = _DEFAULTS[name]
    tol_ = real_number(tol if tol is not None else tol_default, "tol", minimum=0.0, strict=True)
    chains = integer(n_chains, "n_chains", minimum=2)
    assert tol_ is not None and chains is not None
    if start not in ("pseudolikelihood", "independent"):
        raise InvalidInputError(
            f"`start` must be 'pseudolikelihood' or 'independent'; got {start!r}."
        )
    if n_records is None:  # 4 / tol^2 times as many model samples as data (Boltzmann)
        distance = tol_ if name == "boltzmann" else 1.0
        n_records = max(20, -(-int(4 * n_samples / distance**2) // chains))
    return {
        "tol": tol_,
        "max_iter": integer(
            max_iter if max_iter is not None else iter_default, "max_iter", minimum=1
        ),
        "memory": 6,  # as libLBFGS (plmc)
        "n_chains": chains,
        "n_records": integer(n_records, "n_records", minimum=1),
        "sweeps_between": integer(sweeps_between, "sweeps_between", minimum=1),
        "max_step": real_number(max_step, "max_step", minimum=0.0, strict=True),
        "start": start,
        "seed": random_generator(seed),
        "n_burn": 10,
        "hessian_samples": 20_000,
        "damping": 1e-3,
        "pl_defaults": _DEFAULTS["pseudolikelihood"],
    }


def _read_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise InvalidInputError(f"`dtype` must be float32 or float64; got {dtype!r}.")
    return dt


def fit_pairwise(
    samples: ArrayLike | Sequence[str],
    *,
    q: int | None = None,
    values: Sequence[float] | None = None,
    alphabet: str | None = None,
    missing: Any = None,
    method: str = "auto",
    l2: float | Sequence[float] = 0.0,
    weights: ArrayLike | None = None,
    reweight: float | None = None,
    dtype: Any = np.float64,
    tol: float | None = None,
    max_iter: int | None = None,
    check: bool = False,
    precondition: bool = True,
    n_chains: int = 200,
    n_records: int | None = None,
    sweeps_between: int = 2,
    max_step: float = 1.0,
    start: str = "pseudolikelihood",
    seed: int | np.random.Generator | None = None,
) -> PairwiseResult:
    r"""Fit a pairwise maximum-entropy (Ising or Potts) model to samples.

    Parameters
    ----------
    samples : array_like, shape (n_samples, n_sites), or sequence of str
        Observed configurations: two-state values (+-1 spins or 0/1 occupations are
        recognised; other pairs with ``values``), integers 0 .. q-1 (``q``), or aligned
        sequences, one string per sample, with ``alphabet``.
    q : int, optional
        Number of states of integer data (default: the largest value + 1).
    values : pair of float, optional
        The two values standing for state 0 and state 1 (e.g. ``(-1, 1)``).
    alphabet : str, optional
        One character per state, for string samples (e.g.
        :data:`maxent.PROTEIN_ALPHABET`, the 20 amino acids and the gap).
    missing : optional
        A value or character read as a missing entry (e.g. ``"-"``: gaps left out of the
        model, as plmc's ``-g``); only ``"pseudolikelihood"`` (and ``"auto"``) take them.
    method : {"auto", "exact", "pseudolikelihood", "boltzmann"}, default "auto"
        See :mod:`maxent.pairwise`; ``"auto"`` is ``"exact"`` up to 2^20 states.
    l2 : float or (float, float), default 0
        :math:`(\lambda_h, \lambda_e)`, or one number for both: the penalty
        :math:`\lambda_h \sum h_i(a)^2 + \lambda_e \sum_{i<j} \sum_{a,b} J_{ij}(a,b)^2`
        added to the weighted negative log-(pseudo)likelihood summed over samples
        (plmc's ``-lh``, ``-le``).  0 is maximum likelihood, which does not exist
        when a state or pair of states is never seen (refused, see Raises).
    weights : array_like, shape (n_samples,), optional
        Weight of each sample (default 1).
    reweight : float, optional
        Weight each sample by 1 / (number of samples, itself included, identical to it
        at this fraction of sites or more): 0.8 is the usual choice for protein families
        (plmc's ``-t 0.2``).  Not with ``weights``.
    dtype : {float64, float32}, default float64
        Precision of the parameters during a pseudo-likelihood fit (float32 halves the
        memory, about 1 GB for 300 sites and 21 states).
    tol : float, optional
        When to stop: ``"exact"``, the largest gradient component per sample (moments,
        default 1e-10); ``"pseudolikelihood"``, the same for its objective (default
        1e-4: coupling scores then agree with the converged ones to a Spearman
        correlation of about 0.99999; 1e-3 gives about 0.9998 in half the time);
        ``"boltzmann"``, the estimated distance to the maximum-likelihood fit in its
        standard errors (default 1).
    max_iter : int, optional
        Iterations (default 200, 2000, 50 by method).
    check : bool, default False
        For ``"pseudolikelihood"``: also measure ``max_moment_z`` by Monte Carlo.
    precondition : bool, default True
        For ``"pseudolikelihood"``: start each L-BFGS step from the curvature of
        independent sites (1.2-1.5x fewer evaluations on protein families).  False runs
        plmc's L-BFGS step for step (memory 6, Moré-Thuente line search, the same
        start): ``max_iter=100`` then gives the answer of ``plmc -m 100``.
    n_chains, n_records, sweeps_between, max_step, start
        Boltzmann learning: persistent heat-bath chains (also used by ``check``),
        records per chain and iteration (default: 4 / tol^2 times as many model samples
        as data samples, at least 20), sweeps between records, the cap on a step (in
        standard deviations of the change of log P), and where it starts
        (``"pseudolikelihood"`` or ``"independent"`` sites).
    seed : int or numpy.random.Generator, optional
        Seeds the Monte Carlo chains.

    Returns
    -------
    PairwiseResult
        Fields and couplings (zero-sum gauge), ``coupling_scores()``, ``energy()``,
        ``to_values()``, ``sample()``, ``to_xarray()``.

    Raises
    ------
    InvalidInputError
        If ``samples`` cannot be read as configurations (shape, values outside the
        states, unequal sequence lengths); an option is invalid; ``"exact"`` would
        enumerate more than 2^20 states; or, with a zero penalty, the fit is infinite:
        a state (``l2`` fields 0) or a pair of states (``l2`` couplings 0) is never seen,
        or the parameters keep growing when the tolerance is tightened (data on the
        boundary of the model's reach, e.g. one spin a function of others).

    Warns
    -----
    ConvergenceWarning
        If the method stopped before its criterion was met.

    Notes
    -----
    Two-state data give a model with q = 2 in the zero-sum gauge; ``to_values((-1,
    1))`` returns its Ising fields and couplings, ``to_values((0, 1))`` the lattice-gas
    ones.  Pseudo-likelihood and ``l2`` follow plmc: the same ``l2`` and ``reweight``
    on the same alignment give the same coupling scores (tests/test_pairwise_dca.py).

    References
    ----------
    Ekeberg, Lovkvist, Lan, Weigt & Aurell, Phys. Rev. E 87, 012707 (2013);
    Hopf et al., Nat. Biotechnol. 35, 128 (2017) (plmc);
    Ackley, Hinton & Sejnowski, Cogn. Sci. 9, 147 (1985) (Boltzmann learning).

    Examples
    --------
    >>> import numpy as np, maxent
    >>> rng = np.random.default_rng(0)
    >>> s = np.where(rng.random((20000, 2)) < 0.5, -1, 1)
    >>> s[:, 1] = np.where(rng.random(20000) < 0.8, s[:, 0], -s[:, 0])  # correlated
    >>> fit = maxent.fit_pairwise(s)  # exact: 4 states
    >>> h, J = fit.to_values((-1, 1))
    >>> round(float(J[0, 1]), 1)  # artanh(0.6) = 0.69
    0.7
    """
    codes, enc = encode(samples, q=q, values=values, alphabet=alphabet, missing=missing)
    n_samples, n_sites = codes.shape
    if n_samples < 2:
        raise InvalidInputError(f"`samples` must hold at least 2 samples; got {n_samples}.")
    lam = _read_l2(l2)
    do_check = boolean(check, "check")
    scaled = boolean(precondition, "precondition")
    precision = _read_dtype(dtype)
    name = _choose(method, enc.q, n_sites, bool(np.any(codes < 0)))
    opts = _options(
        name,
        n_samples,
        tol=tol,
        max_iter=max_iter,
        n_chains=n_chains,
        n_records=n_records,
        sweeps_between=sweeps_between,
        max_step=max_step,
        start=start,
        seed=seed,
    )
    w = sequence_weights(codes, weights=weights, reweight=reweight)  # after cheap checks
    problem = Problem(codes, w, enc.q, lam[0], lam[1], precision, {**opts, "precondition": scaled})
    with blas_limited(1):  # the kernels' blocks run on maxent's threads; BLAS on one
        fit = METHODS[name].fit(problem)
        if do_check and name == "pseudolikelihood":
            zmax, limit = moment_check(problem, fit.theta, random_generator(seed))
            fit = dataclasses.replace(fit, max_moment_z=zmax, z_threshold=limit)
    if not fit.converged:
        warnings.warn(
            f"fit_pairwise(method={name!r}) did not converge: {fit.message}",
            ConvergenceWarning,
            stacklevel=2,
        )
    fields, couplings = zero_sum_gauge(problem, fit.theta)
    return PairwiseResult(
        fields,
        couplings,
        enc.symbols,
        enc.missing,
        name,
        bool(fit.converged),
        int(fit.n_iter),
        fit.message,
        int(n_samples),
        problem.n_effective,
        lam,
        float(fit.max_moment_z),
        float(fit.z_threshold),
        float(fit.mle_distance),
    )
