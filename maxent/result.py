"""Result objects: frozen dataclasses with fixed fields that convert to xarray."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from ._dataset import dataset, variable
from ._summary import summary_repr

__all__ = ["MaxEntResult"]


@dataclass(frozen=True)
class MaxEntResult:
    """Solution of a maximum-entropy problem, as returned by :func:`maxent.solve`.

    Attributes
    ----------
    p : ndarray, dask array or StreamedProbabilities, shape (n_states,)
        The maximum-entropy distribution; 0 outside the support (zero prior weight, or
        states off the face of the hull that boundary targets touch).  An ndarray for
        in-memory input; a lazy dask array (chunked like ``features``, nothing computed
        until asked) for dask input; for a chunk source a
        :class:`maxent.streaming.StreamedProbabilities`: ``p(features_chunk,
        prior_chunk)`` gives p of any states and ``p.chunks()`` walks the source once,
        chunk by chunk.  ``to_xarray()`` keeps a dask ``p`` lazy; it builds a streamed
        ``p`` in memory, so convert only results that fit.
    multipliers : ndarray, shape (n_constraints,)
        Lagrange multipliers :math:`\\lambda_k` with :math:`p_i \\propto q_i
        e^{-\\sum_k \\lambda_k F_{ik}}`.  ``+inf``/``-inf`` where a target sits on the
        lower/upper end of its feature's range (the limiting distribution); for
        linearly dependent constraints the minimum-norm choice is reported.
    log_Z : float
        :math:`\\log Z(\\lambda) = \\log \\sum_i q_i e^{-\\lambda \\cdot F_i}` with ``q``
        normalised to 1; with infinite multipliers, the finite limit of
        :math:`\\log Z + \\lambda \\cdot b` restricted to the face is reported through
        ``log_Z = log(sum of q on the face) + finite part``.
    entropy : float
        Shannon entropy :math:`-\\sum_i p_i \\log p_i` in nats.
    kl_divergence : float
        :math:`\\mathrm{KL}(p\\,\\|\\,q)` against the normalised prior (uniform if none).
    moments : ndarray, shape (n_constraints,)
        :math:`\\sum_i p_i F_{ik}` actually reached.
    targets : ndarray, shape (n_constraints,)
        The equality targets; for inequality constraints the value of the bound that is
        active, or the reached moment where neither bound is active.
    residual : float
        Largest constraint violation, in the units of the features: for equality
        constraints :math:`\\max_k |m_k - b_k|`; with ``sigma`` the violation of the
        optimality condition :math:`m_k - b_k = \\sigma_k^2 \\lambda_k`; with bounds, the
        distance of the moments outside ``[lower, upper]`` (with ``sigma``, for a bound
        that is not active) and the complementarity gap.
    converged : bool
        Whether the stopping rule was met.
    n_iter : int
        Newton steps taken on the whole problem (a step proposed by a solve on a working
        set of heavy states counts as one; see ``n_passes``).
    message : str
        How the solver ended.
    constraint_names : tuple of str
        One name per constraint (``"f0"``, ``"f1"``, ... unless given by a mapping).
    n_passes : int
        Passes over the whole feature matrix made (evaluations of log Z, moments,
        covariance, ranges and certificates), the solver's unit of cost.  Where p sits on
        a small part of the states, Newton's steps are solved on a copy of those states
        (a working set, at most a quarter of them) and checked by a pass over all; the
        passes over working sets are not counted.
    covariance : ndarray, shape (n_constraints, n_constraints), or None
        :math:`\\mathrm{Cov}_p(F_k, F_l)` under the returned ``p``, in the units of the
        features (squared): the fluctuations at the solution, the Hessian of the dual
        :math:`\\log Z + \\lambda \\cdot b` and :math:`-\\partial \\langle F_k \\rangle /
        \\partial \\lambda_l` (susceptibilities, heat capacities, error bars on the
        multipliers).  On a face (infinite multipliers) it is the covariance of the
        limiting distribution, supported on the face: the row and column of a feature
        pinned to an end of its range are 0, and every combination constant on the face
        has zero variance; it is the dual's Hessian restricted to the face.  With
        ``sigma`` it is still :math:`\\mathrm{Cov}_p(F)` (the dual's Hessian adds
        :math:`\\mathrm{diag}(\\sigma^2)`); with bounds it covers every constraint,
        active or not.  Entries beyond the float64 range (features above ~1e154) are
        ``inf``.

        It is computed during the solve, in its last pass when that pass can take it
        (a step predicted to end the solve asks for it), else in one more pass with the
        returned ``p``: a value like every field, independent of ``features`` once
        :func:`maxent.solve` has returned.  None when the solve was asked not to compute
        it (``solve(..., covariance=False)``: it is :math:`n m^2` work, most of a solve
        with hundreds of constraints); the repr then says "not computed
        (covariance=False)" and ``to_xarray()`` holds NaN with that description.
    status : str
        How the solver ended, one of a fixed vocabulary: ``"converged"`` (tolerance
        met, finite multipliers), ``"face"`` (tolerance met by the limiting distribution
        on a face: some multipliers infinite), ``"max_iter"`` (out of Newton steps) or
        ``"stalled"`` (rounding stopped the progress first).  ``message`` says it in
        words.

    The arrays are read-only and owned by the result (never views of the caller's input).
    """

    p: Any  # ndarray; a dask array or streaming.StreamedProbabilities for lazy input
    multipliers: NDArray[np.float64]
    log_Z: float
    entropy: float
    kl_divergence: float
    moments: NDArray[np.float64]
    targets: NDArray[np.float64]
    residual: float
    converged: bool
    n_iter: int
    message: str
    constraint_names: tuple[str, ...]
    n_passes: int
    covariance: NDArray[np.float64] | None = field(repr=False)
    status: str

    def __repr__(self) -> str:
        cov = _NOT_COMPUTED if self.covariance is None else self.covariance
        return summary_repr(self, covariance=cov)

    def to_xarray(self) -> xr.Dataset:
        """The result as an :class:`xarray.Dataset` with dims ``state`` and ``constraint``.

        Every variable has a ``long_name``; dimensionless ones say ``units = "1"`` and
        those in the features' own (unknown) units carry a ``description`` instead of a
        unit, so ``ds.pint.quantify()`` works.  The attributes hold only str, int and
        float values, so ``to_netcdf()`` works as is.
        """
        names = list(self.constraint_names)
        in_feature_units = "in the units of feature k"
        return dataset(
            {
                "probability": variable("state", self.p, "maximum-entropy probability", "1"),
                "multipliers": variable(
                    "constraint",
                    self.multipliers,
                    "Lagrange multiplier",
                    description="lambda_k, in the inverse units of feature k",
                ),
                "moments": variable(
                    "constraint",
                    self.moments,
                    "moment reached",
                    description=f"sum_i p_i F_ik, {in_feature_units}",
                ),
                "targets": variable(
                    "constraint",
                    self.targets,
                    "target moment",
                    description=f"b_k, {in_feature_units}",
                ),
                "covariance": variable(
                    ("constraint", "constraint_"),
                    _covariance_values(self.covariance, len(names)),
                    "covariance of the features",
                    description="Cov_p(F_k, F_l) = -d<F_k>/d lambda_l at the solution, "
                    "in the units of feature k times feature l"
                    + ("" if self.covariance is not None else f"; {_NOT_COMPUTED}"),
                ),
                "log_Z": variable((), self.log_Z, "log partition function", "1"),
                "entropy": variable((), self.entropy, "Shannon entropy", "nat"),
                "kl_divergence": variable(
                    (), self.kl_divergence, "KL divergence from the prior", "nat"
                ),
            },
            coords={
                "state": variable("state", np.arange(self.p.shape[0]), "state index", "1"),
                "constraint": variable(
                    "constraint",
                    names,
                    "constraint name",
                    description="the name of feature column k",
                ),
                "constraint_": variable(
                    "constraint_",
                    names,
                    "constraint name (second index)",
                    description="the name of feature column l",
                ),
            },
            title="maximum-entropy distribution under moment constraints",
            solver="maxent.solve (dual Newton)",
            residual=float(self.residual),
            converged=int(self.converged),
            n_iter=int(self.n_iter),
            n_passes=int(self.n_passes),
            message=self.message,
            status=self.status,
        )


class _NotComputed:
    """What the repr shows for a covariance the solve was asked not to compute."""

    def __repr__(self) -> str:
        return "not computed (covariance=False)"


_NOT_COMPUTED = _NotComputed()


def _covariance_values(cov: NDArray[np.float64] | None, m: int) -> NDArray[np.float64]:
    return np.full((m, m), np.nan) if cov is None else cov
