"""Result objects: frozen dataclasses with fixed fields that convert to xarray."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from ._summary import summary_repr

__all__ = ["MaxEntResult"]


class Deferred:
    """A result field's value computed on first access (by ``compute()``, once).

    ``shape`` is the value's, known in advance (shown by ``repr`` without computing).
    The computation runs under a lock, so threads reading the field at once compute it
    once; ``compute`` is dropped afterwards, with whatever it referenced.
    """

    def __init__(self, compute: Callable[[], Any], shape: tuple[int, ...]):
        self._compute: Callable[[], Any] | None = compute
        self._value: Any = None
        self._lock = threading.Lock()
        self.shape = shape

    def value(self) -> Any:
        with self._lock:
            if self._compute is not None:
                self._value = self._compute()
                self._compute = None
            return self._value

    @property
    def pending(self) -> bool:
        """Whether the value has not been computed yet."""
        return self._compute is not None


class _DeferredField:
    """Data descriptor for a dataclass field that may hold a :class:`Deferred`.

    Reading the field returns the value, computing it on first access; the instance
    stores what ``__init__`` was given under the field's own name.  Installed on the
    class after the dataclass is made (the field keeps no default).
    """

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            raise AttributeError(self.name)
        value = obj.__dict__[self.name]
        return value.value() if isinstance(value, Deferred) else value

    def __set__(self, obj: Any, value: Any) -> None:
        # Only dataclass __init__ gets here (object.__setattr__); frozen otherwise.
        obj.__dict__[self.name] = value


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
        distance of the moments outside ``[lower, upper]`` and the complementarity gap.
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
        passes over working sets are not counted, nor is the one that computes
        ``covariance`` when it is first read.
    covariance : ndarray, shape (n_constraints, n_constraints)
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

        For in-memory features it is computed when first read (one pass over the
        features with the returned ``p``, :math:`O(n m^2)` work that a solve whose caller
        never reads it does not pay), so it needs ``features`` unchanged until then:
        if the array was modified in between, reading it raises
        :class:`~maxent.InvalidInputError` (the pass checks that ``p`` still reproduces
        ``moments``).  Read it, or ``to_xarray()``, before reusing the array.  For dask
        arrays and chunk sources it is computed during the solve.
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
    covariance: NDArray[np.float64]  # may be Deferred: see the _DeferredField below
    status: str

    def __repr__(self) -> str:
        return summary_repr(self)

    def __getstate__(self) -> dict[str, Any]:
        # Pickles and copies carry the covariance itself, not how to compute it.
        state = dict(self.__dict__)
        state["covariance"] = self.covariance
        return state

    def to_xarray(self) -> xr.Dataset:
        """The result as an :class:`xarray.Dataset` with dims ``state`` and ``constraint``.

        Every variable has a ``long_name``; dimensionless ones say ``units = "1"`` and
        those in the features' own (unknown) units carry a ``description`` instead of a
        unit, so ``ds.pint.quantify()`` works.  The attributes hold only str, int and
        float values, so ``to_netcdf()`` works as is.
        """
        from . import __version__

        names = list(self.constraint_names)
        ds = xr.Dataset(
            {
                "probability": (
                    "state",
                    self.p,
                    {"long_name": "maximum-entropy probability", "units": "1"},
                ),
                "multipliers": (
                    "constraint",
                    self.multipliers,
                    {
                        "long_name": "Lagrange multiplier",
                        "description": "lambda_k, in the inverse units of feature k",
                    },
                ),
                "moments": (
                    "constraint",
                    self.moments,
                    {
                        "long_name": "moment reached",
                        "description": "sum_i p_i F_ik, in the units of feature k",
                    },
                ),
                "targets": (
                    "constraint",
                    self.targets,
                    {
                        "long_name": "target moment",
                        "description": "b_k, in the units of feature k",
                    },
                ),
                "covariance": (
                    ("constraint", "constraint_"),
                    self.covariance,
                    {
                        "long_name": "covariance of the features",
                        "description": "Cov_p(F_k, F_l) = -d<F_k>/d lambda_l at the solution, "
                        "in the units of feature k times feature l",
                    },
                ),
                "log_Z": ((), self.log_Z, {"long_name": "log partition function", "units": "1"}),
                "entropy": ((), self.entropy, {"long_name": "Shannon entropy", "units": "nat"}),
                "kl_divergence": (
                    (),
                    self.kl_divergence,
                    {"long_name": "KL divergence from the prior", "units": "nat"},
                ),
            },
            coords={
                "state": (
                    "state",
                    np.arange(self.p.shape[0]),
                    {"long_name": "state index", "units": "1"},
                ),
                "constraint": (
                    "constraint",
                    names,
                    {
                        "long_name": "constraint name",
                        "description": "the name of feature column k",
                    },
                ),
                "constraint_": (
                    "constraint_",
                    names,
                    {
                        "long_name": "constraint name (second index)",
                        "description": "the name of feature column l",
                    },
                ),
            },
            attrs={
                "Conventions": "CF-1.10",
                "maxent_version": __version__,
                "solver": "maxent.solve (dual Newton)",
                "residual": float(self.residual),
                "converged": int(self.converged),
                "n_iter": int(self.n_iter),
                "n_passes": int(self.n_passes),
                "message": self.message,
                "status": self.status,
            },
        )
        return ds


# After @dataclass: __init__ stores through the descriptor (object.__setattr__ honours it).
MaxEntResult.covariance = _DeferredField("covariance")  # type: ignore[assignment]
