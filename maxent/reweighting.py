"""reweight(): simulation ensembles reweighted to experimental data, with BME's conventions.

The frames of a simulation (MD, Monte Carlo) carry weights :math:`w^0`; their computed
observables :math:`F_{ik}` average to :math:`\\langle F_k\\rangle_{w^0}`, which disagree
with measured :math:`t_k \\pm \\sigma_k`.  The Bayesian/maximum-entropy reweighting (BME,
Bottaro, Bengtsen & Lindorff-Larsen 2020; EROS; BioEn) changes the weights as little as
possible in relative entropy while fitting the data within their errors:

.. math::

    w = \\arg\\min_w\\; \\theta\\,\\mathrm{KL}(w\\,\\|\\,w^0)
        + \\tfrac12\\sum_k \\frac{(\\langle F_k\\rangle_w - t_k)^2}{\\sigma_k^2},

whose solution is :math:`w_i \\propto w^0_i e^{-\\lambda\\cdot F_i}`: the moment problem of
:func:`maxent.solve` with the prior :math:`w^0` and Gaussian noise of variance
:math:`\\theta\\sigma_k^2` on each target.  This module is the user's side of it: BME's
conventions and statistics, one-sided data, power averaging, nuisance parameters,
forward models and the choice of theta, on in-memory, dask or streamed frames.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp

from . import _reweight_inputs as inputs
from ._checks import check_positive
from ._dataset import dataset, variable
from ._reweight_fit import Data, Setup, State, chi2, initial_state, predicted, residuals
from ._reweight_frames import Frames, PassSums, frame_pass, open_frames, to_linear
from ._reweight_theta import ThetaChoice, choose_theta
from ._summary import summary_repr
from .errors import ConvergenceWarning, InvalidInputError

__all__ = ["ReweightPrediction", "ReweightResult", "reweight"]

#: Kish effective sample size below which the weights count as collapsed onto few frames
_COLLAPSED_ESS = 2.0


def _read_only(*arrays: Any) -> None:
    for a in arrays:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False


def _unit_attrs(unit: str | None, what: str) -> tuple[str | None, str]:
    """(units, description) of a variable in the observables' unit."""
    return (unit, "") if unit else (None, f"{what}, in the units of `calc`")


def _data_stats(
    avg: NDArray[np.float64], targets: NDArray[np.float64], sigma: NDArray[np.float64],
    side: NDArray[np.int8],
) -> tuple[float, float, int]:  # fmt: skip
    """BME's statistics of averages against data: chi2, RMSD, violations (> 1 sigma)."""
    r = residuals(Data(targets, sigma, side), avg)
    diff = r * sigma
    return (
        float(np.mean(r**2)) if r.size else 0.0,
        float(np.sqrt(np.mean(diff**2))) if r.size else 0.0,
        int(np.sum(np.abs(r) > 1.0)),
    )


@dataclass(frozen=True)
class ReweightPrediction:
    """Agreement of other data with the ensemble, before and after reweighting.

    Returned by :meth:`ReweightResult.predict` (BME's ``predict``).

    Attributes
    ----------
    names : tuple of str
        One per observable.
    targets, sigma : ndarray, shape (n_observables,)
        The data and their errors, as given.
    averages_before, averages_after : ndarray, shape (n_observables,)
        Ensemble averages at the prior and at the reweighted weights
        (:math:`\\langle x^{-p}\\rangle^{-1/p}` where ``power`` applies).
    chi2_before, chi2_after : float
        Mean over observables of :math:`((\\langle x\\rangle - t)/\\sigma)^2`; one-sided data
        count only violations.
    rmsd_before, rmsd_after : float
        Root mean square of :math:`\\langle x\\rangle - t` (one-sided: violations only).
    violations_before, violations_after : int
        Data more than one sigma off (one-sided: on the violating side).
    """

    names: tuple[str, ...]
    targets: NDArray[np.float64]
    sigma: NDArray[np.float64]
    averages_before: NDArray[np.float64]
    averages_after: NDArray[np.float64]
    chi2_before: float
    chi2_after: float
    rmsd_before: float
    rmsd_after: float
    violations_before: int
    violations_after: int

    def __repr__(self) -> str:
        return summary_repr(self)

    def to_xarray(self) -> Any:
        """The prediction as an :class:`xarray.Dataset` with dim ``observable``."""
        desc = "in the units of the data"
        return dataset(
            {
                "targets": variable("observable", self.targets, "experimental value",
                                    description=desc),
                "sigma": variable("observable", self.sigma, "experimental error",
                                  description=desc),
                "averages_before": variable("observable", self.averages_before,
                                            "ensemble average at the prior", description=desc),
                "averages_after": variable("observable", self.averages_after,
                                           "reweighted ensemble average", description=desc),
                "chi2_before": variable((), self.chi2_before, "chi2 at the prior", "1"),
                "chi2_after": variable((), self.chi2_after, "chi2 after reweighting", "1"),
                "rmsd_before": variable((), self.rmsd_before, "RMSD at the prior",
                                        description=desc),
                "rmsd_after": variable((), self.rmsd_after, "RMSD after reweighting",
                                       description=desc),
            },
            {"observable": variable("observable", list(self.names), "observable name")},
            title="maxent.reweight prediction",
            violations_before=self.violations_before,
            violations_after=self.violations_after,
        )  # fmt: skip


@dataclass(frozen=True)
class ReweightResult:
    """Weights of the frames after reweighting to data, as returned by :func:`reweight`.

    The set of fields never depends on the options: without ``fit`` the scale is 1 and the
    offset 0; for a fixed theta the scan holds that one theta.

    Attributes
    ----------
    weights : ndarray, dask array or StreamedFrames, shape (n_frames,)
        The reweighted, normalised weights :math:`w_i \\propto w^0_i e^{-\\lambda\\cdot F_i}`
        (:math:`F` the observables as averaged: :math:`x^{-p}` where ``power`` applies).
        An ndarray for in-memory ``calc``, a lazy dask array for a dask array, and for a
        chunk source a :class:`maxent._reweight_frames.StreamedFrames` (``.chunks()``
        walks the source once; ``np.asarray`` builds the array).
    log_weights : same kind, shape (n_frames,)
        :math:`\\log w_i`, computed from the log prior and :math:`\\lambda\\cdot F_i` (never
        as the log of an underflowed weight); ``-inf`` where the prior weight is 0.
    prior_weights : same kind, shape (n_frames,)
        The normalised prior :math:`w^0`.
    multipliers : ndarray, shape (n_observables,)
        :math:`\\lambda_k`, in the inverse units of :math:`F_k` (BME's "lambdas"); 0 for
        one-sided data that the weights meet.  With ``fit``, for the unscaled ``calc``.
    covariance : ndarray, shape (n_observables, n_observables)
        :math:`\\mathrm{Cov}_w(F_k, F_l)` at the solution.  The sensitivity of the
        multipliers to the targets is :math:`(C + \\theta\\,\\mathrm{diag}\\,\\sigma^2)^{-1}`
        (fitted observables, :math:`\\sigma` as fitted).
    theta : float
        The weight of the relative entropy against :math:`\\tfrac12\\chi^2`.
    theta_rule : str
        ``"fixed"``, or the rule that chose theta (``"cv"``, ``"lcurve"``, ...).
    chi2_before, chi2_after : float
        BME's :math:`\\chi^2`: the mean over observables of
        :math:`((g(\\langle F\\rangle) - t)/\\sigma)^2` in the space of the fit (for
        ``power`` data :math:`x^{-p}` with the propagated error; with ``fit`` the scaled
        averages), counting only violations of one-sided data; at the prior and at ``w``.
    phi : float
        :math:`e^{-\\mathrm{KL}(w\\,\\|\\,w^0)}`, BME's fraction of effective frames.
    effective_sample_size : float
        Kish's :math:`(\\sum_i w_i)^2/\\sum_i w_i^2`, from the log-weights (no underflow).
    relative_entropy : float
        :math:`\\mathrm{KL}(w\\,\\|\\,w^0) = \\sum_i w_i\\log(w_i/w^0_i)` in nats.
    converged : bool
        Whether every solve and loop met its tolerance.
    status : str
        ``"converged"``; ``"unreachable"`` (converged, but some data lie more than one
        sigma beyond what any weighting of the frames can give: an observable constant
        over the frames, or a target outside its range); ``"collapsed"`` (converged with
        the weights on fewer than two effective frames); ``"max_iter"`` or ``"stalled"``
        (a solve or loop stopped first).  ``message`` says it in words, and every status
        but ``"converged"`` comes with a warning.
    message : str
        How the reweighting ended.
    names : tuple of str
        One per observable.
    targets, sigma : ndarray, shape (n_observables,)
        The data as given (in the unit of ``calc`` when they carried units).
    bounds : tuple of str
        ``"upper"``, ``"lower"`` or ``"none"`` per observable, as given.
    power : ndarray, shape (n_observables,)
        The averaging power :math:`p` per observable, 0 for linear averages.
    averages_before, averages_after : ndarray, shape (n_observables,)
        The data the ensemble predicts at the prior and at ``w``, in the data's own space
        (:math:`(a\\langle x^{-p}\\rangle + b)^{-1/p}` with power averaging, :math:`a
        \\langle x\\rangle + b` with ``fit``, ``f(<x>)`` with ``forward``).
    scale, offset : float
        The nuisance parameters :math:`a, b` (1 and 0 without ``fit``).
    scan_theta : ndarray, shape (n_scan,)
        The thetas solved at while choosing theta (descending); the one theta if fixed.
    scan_chi2, scan_phi : ndarray, shape (n_scan,)
        ``chi2_after`` and ``phi`` of the whole data at each of them.
    scan_validation : ndarray, shape (n_scan,)
        For ``"cv"``: the held-out data's :math:`\\chi^2` after over before, averaged over
        the splits; NaN otherwise.
    unit : str
        The unit of ``calc`` (``""`` for plain numbers).

    The arrays are read-only copies owned by the result.
    """

    weights: Any
    log_weights: Any
    prior_weights: Any
    multipliers: NDArray[np.float64]
    covariance: NDArray[np.float64]
    theta: float
    theta_rule: str
    chi2_before: float
    chi2_after: float
    phi: float
    effective_sample_size: float
    relative_entropy: float
    converged: bool
    status: str
    message: str
    names: tuple[str, ...]
    targets: NDArray[np.float64]
    sigma: NDArray[np.float64]
    bounds: tuple[str, ...]
    power: NDArray[np.float64]
    averages_before: NDArray[np.float64]
    averages_after: NDArray[np.float64]
    scale: float
    offset: float
    scan_theta: NDArray[np.float64]
    scan_chi2: NDArray[np.float64]
    scan_phi: NDArray[np.float64]
    scan_validation: NDArray[np.float64]
    unit: str

    def __repr__(self) -> str:
        return summary_repr(self, n_frames=len(self.weights))

    def predict(
        self,
        calc: ArrayLike,
        targets: ArrayLike,
        sigma: ArrayLike,
        *,
        power: float | Sequence[float | None] | None = None,
        bounds: str | Sequence[str | None] | None = None,
        names: Sequence[str] | None = None,
    ) -> ReweightPrediction:
        """How well the reweighted ensemble predicts other data (BME's ``predict``).

        Parameters
        ----------
        calc : array_like, shape (n_frames, n_other)
            The other observables computed on the same frames, in the same order.
        targets, sigma : array_like, shape (n_other,)
            Their measured values and errors.
        power : float or sequence, optional
            :math:`\\langle x^{-p}\\rangle^{-1/p}` averaging (NOE distances: 6).
        bounds : str or sequence, optional
            ``"upper"``/``"lower"`` for one-sided data, per observable or for all.
        names : sequence of str, optional
            Observable names (default ``o0, o1, ...`` or the DataArray's coordinate).

        Returns
        -------
        ReweightPrediction
            Averages, :math:`\\chi^2`, RMSD and violations before and after.  The weights
            are used as they are: this result's nuisance scale and offset (``fit``) apply
            to its own data, not to these.

        Raises
        ------
        InvalidInputError
            Shapes that do not match the frames, non-finite values, ``sigma <= 0``.
        """
        calc, targets, sigma, _, xr_names = inputs.strip_units(calc, targets, sigma)
        arr = np.asarray(calc, dtype=np.float64)
        arr = arr[:, None] if arr.ndim == 1 else arr
        n = len(self.weights)
        if arr.ndim != 2 or arr.shape[0] != n:
            raise InvalidInputError(
                f"`calc` must have one row per frame ({n}); got shape {arr.shape}."
            )
        m = arr.shape[1]
        names_out = inputs.observable_names(names, xr_names)(m)
        t = inputs.observable_vector(targets, "targets", m)
        s = inputs.observable_vector(sigma, "sigma", m)
        check_positive(s, "sigma")
        side = inputs.check_bounds(bounds, m)
        p = inputs.check_powers(power)(m)
        lin = to_linear(arr, p, 0)
        avg = [np.asarray(w, dtype=np.float64) @ lin for w in (self.prior_weights, self.weights)]
        on = p > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            avg = [np.where(on, a ** (-1.0 / np.where(on, p, 1.0)), a) for a in avg]
        before, after = (_data_stats(a, t, s, side) for a in avg)
        _read_only(t, s, *avg)
        return ReweightPrediction(
            names_out, t, s, avg[0], avg[1], before[0], after[0], before[1], after[1],
            before[2], after[2],
        )  # fmt: skip

    def to_xarray(self) -> Any:
        """The result as an :class:`xarray.Dataset` with dims ``frame``, ``observable``
        (and ``observable_`` for the covariance, ``theta_scan`` for the scan).

        Every variable has ``long_name`` and ``units`` (or a ``description`` when in the
        unknown units of ``calc``); attributes hold only str, int and float, so
        ``to_netcdf()`` works as is.  Lazy weights (dask, chunk source) are kept lazy
        (dask) or built in memory (chunk source).
        """
        unit, desc = _unit_attrs(self.unit or None, "data")
        frame = np.arange(len(self.weights))
        w = self.weights
        w = w if hasattr(w, "__dask_graph__") else np.asarray(w)
        lw = self.log_weights
        lw = lw if hasattr(lw, "__dask_graph__") else np.asarray(lw)
        w0 = self.prior_weights
        w0 = w0 if hasattr(w0, "__dask_graph__") else np.asarray(w0)
        obs = list(self.names)
        return dataset(
            {
                "weights": variable("frame", w, "reweighted frame weight", "1"),
                "log_weights": variable("frame", lw, "log of the frame weight", "1"),
                "prior_weights": variable("frame", w0, "prior frame weight", "1"),
                "multipliers": variable("observable", self.multipliers, "Lagrange multiplier",
                                        description="lambda_k, in the inverse units of F_k"),
                "covariance": variable(("observable", "observable_"), self.covariance,
                                       "covariance of the observables under the weights",
                                       description="Cov_w(F_k, F_l), F as averaged"),
                "targets": variable("observable", self.targets, "experimental value",
                                    unit, desc),
                "sigma": variable("observable", self.sigma, "experimental error", unit, desc),
                "averages_before": variable("observable", self.averages_before,
                                            "predicted data at the prior", unit, desc),
                "averages_after": variable("observable", self.averages_after,
                                           "predicted data after reweighting", unit, desc),
                "power": variable("observable", self.power, "averaging power p", "1",
                                  "<x^-p>^(-1/p) averaging; 0 for linear averages"),
                "bounds": variable("observable", list(self.bounds), "one-sided data"),
                "scan_chi2": variable("theta_scan", self.scan_chi2, "chi2 after reweighting",
                                      "1"),
                "scan_phi": variable("theta_scan", self.scan_phi,
                                     "fraction of effective frames", "1"),
                "scan_validation": variable("theta_scan", self.scan_validation,
                                            "cross-validated chi2, after / before", "1"),
            },
            {
                "frame": variable("frame", frame, "frame index", "1"),
                "observable": variable("observable", obs, "observable name"),
                "observable_": variable("observable_", obs, "observable name (second index)"),
                "theta_scan": variable("theta_scan", self.scan_theta, "theta scanned", "1"),
            },
            title="maxent.reweight result",
            theta=float(self.theta), theta_rule=self.theta_rule,
            chi2_before=float(self.chi2_before), chi2_after=float(self.chi2_after),
            phi=float(self.phi), effective_sample_size=float(self.effective_sample_size),
            relative_entropy=float(self.relative_entropy), scale=float(self.scale),
            offset=float(self.offset), converged=int(self.converged), status=self.status,
            message=self.message, unit=self.unit,
        )  # fmt: skip


def reweight(
    calc: Any,
    targets: ArrayLike,
    sigma: ArrayLike,
    *,
    theta: float | str,
    prior: ArrayLike | None = None,
    log_prior: ArrayLike | None = None,
    bounds: str | Sequence[str | None] | None = None,
    power: float | Sequence[float | None] | None = None,
    forward: tuple[Any, Any] | None = None,
    fit: str | None = None,
    names: Sequence[str] | None = None,
    thetas: ArrayLike | None = None,
) -> ReweightResult:
    r"""Reweight the frames of a simulation so that averages match data within their errors.

    Minimises :math:`\theta\,\mathrm{KL}(w\,\|\,w^0) + \tfrac12\sum_k
    ((g_k(\langle F\rangle_w) - t_k)/\sigma_k)^2` over the frame weights :math:`w`
    (Bayesian/maximum-entropy reweighting, BME), by :func:`maxent.solve` with the prior
    :math:`w^0` and noise of variance :math:`\theta\sigma_k^2` on each target; the
    solution is :math:`w_i \propto w^0_i e^{-\lambda\cdot F_i}`.

    Parameters
    ----------
    calc : array_like, DataArray, dask array or chunk source, shape (n_frames, n_observables)
        The observables computed on each frame, :math:`F_{ik}`.  A DataArray with dims
        ``frame`` and another one names the observables by that dimension's coordinate.
        float32 arrays are accepted: those beyond 512 MB as float64 (e.g. a
        memory-mapped ``.npy`` file) are streamed to the solver block by block, converted
        as they are read.  ``calc`` is only read, never modified.  For more
        frames than memory: a dask array chunked along the frames, or a *chunk source*, a
        callable returning a fresh iterable of ``(calc_chunk, prior_chunk)`` pairs
        (``prior_chunk`` None for equal weights) on every call.
    targets, sigma : array_like, shape (n_observables,)
        Measured values :math:`t_k` and their errors :math:`\sigma_k > 0` (a scalar
        ``sigma`` applies to all).  pint quantities are converted to the unit of ``calc``
        (which must then be a quantity too); mixing quantities and plain numbers is refused.
    theta : float or str
        The weight of the relative entropy (> 0; small theta fits the data closely, large
        theta keeps the prior), or how to choose it:

        - ``"cv"``: cross-validation, as BME's ``theta_scan``: in each of 5 fixed random
          splits the weights are fitted on 75 % of the observables and 80 % of the frames
          at every theta of the grid, and the other 25 % of the observables are scored on
          the other 20 % of the frames (weighted by :math:`w^0_i e^{-\lambda\cdot F_i}`
          with the fitted multipliers; BME scores them on the training frames) as
          :math:`\chi^2` after over before; theta minimises the mean over the splits.
          Needs ``calc`` in memory and no ``forward``.  Default grid: 11 values, 2 per
          decade over 5 decades, down from ten times the largest eigenvalue of the prior
          covariance of the observables in units of sigma (where the prior is nearly
          unchanged).
        - an alpha rule of :func:`maxent.fit` on :math:`\chi^2(\theta)` (theta plays
          alpha, the relative entropy the penalty): ``"lcurve"`` (largest curvature of
          :math:`\log\chi^2` against :math:`\log\theta`), ``"chi2kink"``, ``"linefit"``,
          ``"historic"`` (:math:`\chi^2 = N`, the sum over the data) or ``"gcv"`` (with
          the number of well-determined data
          :math:`\sum_i\mu_i/(\theta+\mu_i)`, :math:`\mu` the eigenvalues of the
          covariance of the observables in units of sigma).  The rules that need the
          Bayesian evidence (``"classic"``, ``"bryan"``) are refused.  Default scan: 4
          values per decade from the same top, down to where the rule has what it needs.
    prior, log_prior : array_like, shape (n_frames,), optional
        The frames' initial weights :math:`w^0` (need not be normalised; 0 excludes a
        frame), or their logarithms (``-inf`` excludes a frame) for weights beyond the
        float range (biased sampling, replica exchange).  Uniform by default.  Not with a
        chunk source (its chunks carry the prior).
    bounds : str or sequence of {"upper", "lower", None}, optional
        One-sided data (BME's ``BOUND=UPPER|LOWER``): for ``"upper"`` only averages above
        the target are penalised (an upper bound with noise), for ``"lower"`` only those
        below.  One value for all observables or one each.
    power : float or sequence, optional
        :math:`p > 0`: the datum is :math:`\langle x^{-p}\rangle^{-1/p}` (NOE distances,
        :math:`p = 6`), fitted as BME does: :math:`x^{-p}` is averaged linearly against
        :math:`t^{-p}` with the error propagated linearly, :math:`p\,t^{-p}\sigma/t`, and
        bounds change sides.  One value for all or one per observable (None for linear).
    forward : (callable, callable), optional
        A non-linear forward model of the averages (PRE intensities from rates, ...):
        ``f(m)`` maps the vector of averages :math:`\langle F\rangle_w` to the predicted
        data and ``df(m)`` returns its elementwise derivative.  Solved exactly by
        Gauss-Newton on the averages, each step a solve of the problem linearised there.
        Not with ``fit`` or ``power``.
    fit : str, optional
        Nuisance parameters :math:`g = a\langle F\rangle + b` shared by all observables:
        ``"scale"`` (b = 0) or ``"scale+offset"``, fitted once by weighted least squares
        at the prior averages and kept (BME's ``fit=``); ``"joint scale"`` or
        ``"joint scale+offset"`` refits them with the weights to a joint minimum (BME's
        ``ibme``, BioEn), alternating exact steps.
    names : sequence of str, optional
        Observable names (default: a DataArray's coordinate, else ``o0, o1, ...``).
    thetas : array_like, optional
        The grid of thetas a rule or ``"cv"`` scans, all of it (at least 3 values).

    Returns
    -------
    ReweightResult
        ``weights``, ``log_weights``, ``multipliers``, ``covariance``, ``theta``,
        ``chi2_before``/``chi2_after``, ``phi``, ``effective_sample_size``,
        ``relative_entropy``, ``converged``, ``status``, the theta scan,
        ``predict(...)`` and ``to_xarray()``.

    Raises
    ------
    InvalidInputError
        ``calc`` with fewer than two frames (or two of positive prior weight), NaN or inf
        in ``calc``, ``targets``, ``sigma`` or the prior; ``sigma <= 0``; shapes, names or
        options that do not match; units that do not convert.

    Warns
    -----
    ConvergenceWarning
        When a solve or one of the loops stops before its tolerance (``status``
        ``"max_iter"`` or ``"stalled"``).
    UserWarning
        When the data cannot be met (``status`` ``"unreachable"``: named observables
        constant over the frames or with targets beyond their range) or the weights
        collapse onto one or two frames (``"collapsed"``).

    Notes
    -----
    theta weighs KL against :math:`\tfrac12\chi^2` with :math:`\chi^2` the *sum* over the
    data, as in BME (whose reported ``chi2`` is the mean); with errors that describe the
    data, theta of order one to a few hundred is usual.  The multipliers keep the sign of
    :func:`maxent.solve`.  One-sided data are an active set of solves (observables whose
    bound is met are left out of the solve; their multiplier is 0 exactly, as BME's
    bounded L-BFGS-B gives); power averaging, nuisance parameters and forward models
    loop around the same solves (see :mod:`maxent._reweight_fit`).  The relative entropy
    comes from the solver, the effective sample size from a log-sum-exp of
    :math:`2\log w_i`, so neither underflows however concentrated the weights.

    References
    ----------
    S. Bottaro, T. Bengtsen and K. Lindorff-Larsen, in *Structural Bioinformatics*,
    Methods Mol. Biol. 2112 (2020) 219 (BME; KULL-Centre/BME).
    J. Köfinger, L. S. Stelzl, K. Reuter, C. Allande, K. Reichel and G. Hummer, J. Chem.
    Theory Comput. 15 (2019) 3390 (BioEn).
    L. Kish, *Survey Sampling* (Wiley, 1965) (effective sample size).

    Examples
    --------
    >>> import numpy as np, maxent
    >>> calc = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> res = maxent.reweight(calc, [2.0], [0.1], theta=1e-6)
    >>> round(float(res.weights @ calc[:, 0]), 4)
    2.0
    >>> round(res.chi2_before, 6), res.status
    (25.0, 'converged')
    """
    calc, targets, sigma, unit, xr_names = inputs.strip_units(calc, targets, sigma)
    theta_arg = inputs.check_theta(theta)
    grid = inputs.check_thetas(thetas)
    model = inputs.check_model(fit, forward, power)
    prior_value, kind = inputs.prior_argument(prior, log_prior)
    powers_of = inputs.check_powers(power)
    frames = open_frames(
        calc, prior_value, kind, inputs.observable_names(names, xr_names), powers_of
    )
    m = len(frames.names)
    t = inputs.observable_vector(targets, "targets", m)
    s = inputs.observable_vector(sigma, "sigma", m)
    side = inputs.check_bounds(bounds, m)
    data = inputs.data_space(t, s, side, frames.powers)
    prior_pass = frame_pass(frames, ranges=True)  # checks the values, counts the frames
    _check_frames(prior_pass)
    frames.prior_sums = prior_pass
    setup = Setup(frames, data, model, prior_pass)
    choice = choose_theta(setup, theta_arg, grid)
    return _result(setup, choice, t, s, side, unit or "")


def _check_frames(sums: PassSums) -> None:
    if sums.n_frames < 2:
        raise InvalidInputError(
            f"`calc` has {sums.n_frames} frame: reweighting needs at least two frames."
        )
    if sums.n_support < 2:
        raise InvalidInputError(
            "only one frame has positive prior weight (`prior`/`log_prior`): reweighting "
            "needs at least two."
        )


def _data_averages(
    setup: Setup, mean: NDArray[np.float64], scale: float, offset: float
) -> NDArray[np.float64]:
    """What the averages predict, in the data's own space (powers undone)."""
    pred = predicted(setup.model, mean, scale, offset)
    p = setup.frames.powers
    on = p > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        back = np.where(on & (pred > 0), pred ** (-1.0 / np.where(on, p, 1.0)), np.nan)
    return np.where(on, back, pred)


def _diagnosis(setup: Setup, state: State, ess: float) -> tuple[str, str]:
    """(status, message) of a converged fit: data no weighting can meet, collapsed weights."""
    d, ranges = setup.data, setup.prior
    slope = state.scale if setup.model.forward is None else 1.0
    lo, hi = slope * ranges.fmin + state.offset, slope * ranges.fmax + state.offset
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    if setup.model.forward is not None:
        lo, hi = np.full(lo.size, -np.inf), np.full(hi.size, np.inf)  # unknown range
    # an upper bound (side +1) is out of reach when every frame lies above it, a lower
    # bound when every frame lies below it; two-sided data either way
    below = (d.side >= 0) & (d.targets < lo - d.sigma)
    above = (d.side <= 0) & (d.targets > hi + d.sigma)
    bad = np.flatnonzero(below | above)
    if bad.size:
        names = setup.frames.names
        parts = []
        for k in bad[:5]:
            what = "constant over the frames" if ranges.fmin[k] == ranges.fmax[k] else "ranging"
            parts.append(
                f"{names[k]!r} ({what} {lo[k]:.4g}..{hi[k]:.4g}, target {d.targets[k]:.4g} "
                f"+- {d.sigma[k]:.3g})"
            )
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        return "unreachable", (
            "no weighting of the frames can reach the data of "
            + ", ".join(parts)
            + more
            + " (in the space of the fit); these data stay unmet whatever theta"
        )
    if ess < _COLLAPSED_ESS:
        return "collapsed", (
            f"the weights sit on {ess:.3g} effective frames (Kish); theta = "
            f"{state.theta:.3g} over-fits: increase theta"
        )
    return "converged", f"converged ({state.n_solves} solves, {state.n_iter} Newton steps)"


def _status(setup: Setup, choice: ThetaChoice, ess: float) -> tuple[str, str]:
    state = choice.state
    if not state.converged:
        message = f"reweight() at theta = {state.theta:.4g}: {state.message.rstrip('.')}"
        warnings.warn(
            message + "; the weights are the last iterate (raise theta, or check the data).",
            ConvergenceWarning,
            stacklevel=4,
        )
        return state.status, message
    status, message = _diagnosis(setup, state, ess)
    if status != "converged":
        warnings.warn(f"reweight(): {message}.", UserWarning, stacklevel=4)
    if choice.message:
        message += f"; theta: {choice.message}"
    return status, message


def _result(
    setup: Setup, choice: ThetaChoice, t: NDArray[np.float64], s: NDArray[np.float64],
    side: NDArray[np.int8], unit: str,
) -> ReweightResult:  # fmt: skip
    frames: Frames = setup.frames
    state = choice.state
    lam = state.lam
    if np.all(state.active):
        cov = state.covariance()
    else:  # observables outside the last solve: one pass for all of them
        cov = frame_pass(frames, lam, means=False, covariance=True).covariance
    assert cov is not None
    log_norm = setup.prior.log_norm + state.log_z
    weights, log_weights, prior_weights = frames.outputs(lam, log_norm)
    if frames.lazy:
        sums = frame_pass(frames, lam, means=False)
        ess = math.exp(2 * sums.log_norm - sums.log_norm2)
    else:
        ess = math.exp(-float(logsumexp(2.0 * log_weights)))
    ess = min(ess, float(setup.prior.n_support))
    status, message = _status(setup, choice, ess)
    start = initial_state(setup)
    before = predicted(setup.model, setup.prior.mean, start.scale, start.offset)
    after = predicted(setup.model, state.mean, state.scale, state.offset)
    arrays = [
        np.array(state.lam, dtype=np.float64), np.array(cov, dtype=np.float64), t, s,
        frames.powers.copy(), _data_averages(setup, setup.prior.mean, start.scale, start.offset),
        _data_averages(setup, state.mean, state.scale, state.offset), choice.scan_theta.copy(),
        choice.scan_chi2.copy(), choice.scan_phi.copy(), choice.scan_validation.copy(),
    ]  # fmt: skip
    _read_only(*arrays, weights, log_weights, prior_weights)
    return ReweightResult(
        weights=weights, log_weights=log_weights, prior_weights=prior_weights,
        multipliers=arrays[0], covariance=arrays[1], theta=float(choice.theta),
        theta_rule=choice.rule, chi2_before=chi2(setup.data, before),
        chi2_after=chi2(setup.data, after), phi=math.exp(-state.kl),
        effective_sample_size=ess, relative_entropy=float(state.kl),
        converged=bool(state.converged), status=status, message=message, names=frames.names,
        targets=arrays[2], sigma=arrays[3],
        bounds=tuple({1: "upper", -1: "lower", 0: "none"}[int(v)] for v in side),
        power=arrays[4], averages_before=arrays[5], averages_after=arrays[6],
        scale=float(state.scale), offset=float(state.offset), scan_theta=arrays[7],
        scan_chi2=arrays[8], scan_phi=arrays[9], scan_validation=arrays[10], unit=unit,
    )  # fmt: skip
