"""The validated problem a solve works on, shared by the solver's stages.

:class:`Problem` (frozen) holds the moment engine, the constraint names, the per-feature
scales (spread under the prior, magnitude for rounding), the tolerances and the affine map
into the engine's units; its helpers translate directions and values back into the
caller's units for messages.  What the stages learn as they go (Newton steps taken,
whether the linear program has run on the current support, strict faces) is the one
mutable part, kept apart in :class:`Progress`.

Newton's method (:mod:`maxent._newton`) works on a :class:`NewtonTask` (the constraints
in reduced coordinates) and ends with a :class:`Verdict`; the dual and its residuals are
functions of the task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from . import _checks
from ._moments import Evaluation, MomentEngine

__all__ = [
    "EPS",
    "FaceList",
    "FreeSlices",
    "NewtonTask",
    "Problem",
    "Progress",
    "Verdict",
    "dual_value",
    "residuals",
]

EPS = float(np.finfo(np.float64).eps)
# Precision by default: Newton goes on past ``tol`` to this (relative to the spread, plus
# the rounding allowance) while its steps still contract; one more step costs one pass.
POLISH = 1e-13
Array = NDArray[np.float64]
Status = Literal["converged", "face", "stalled", "max_iter"]
FaceList = tuple[tuple[Array, float], ...]  # faces the targets touch: (direction d, margin)


@dataclass
class Progress:
    """What a solve has done so far (updated by the stages as they go)."""

    n_iter: int = 0  # Newton steps on the whole problem
    lp_done: bool = False  # the linear program has checked the current support
    lp_off: bool = False  # strict faces: set when a face within tolerance proved wrong


@dataclass(frozen=True, kw_only=True)
class Problem:
    """Validated input of a solve and the scales its stages measure with."""

    engine: MomentEngine
    names: tuple[str, ...]
    from_mapping: bool
    spread: Array  # per-feature scale: std under the prior on the support
    magnitude: Array  # per-feature max |F| on the support, engine units (rounding scale)
    tol: float
    max_iter: int
    # Per-feature absolute allowances (engine units): the caller's ``atol``; ``rounding``,
    # the engine's (64 eps of the magnitude it computes with); ``given``, that of the
    # caller's data: features and targets each to half an ulp of their own magnitude,
    # offset included (the engine's differences to them are exact).
    atol: Array
    rounding: Array
    given: Array
    polish: float = POLISH  # relative goal past tol (see threshold and goal)
    covariance: bool = True  # the result reports Cov_p(F) (the last pass takes it)
    shift: Array  # the engine works with (F - shift) / scale
    scale: Array
    log_mass: float  # log of the prior's total weight on the support
    shrink: bool = True  # Newton may solve on a working set of heavy states (not nested)
    progress: Progress = field(default_factory=Progress)

    def label(self, name: str, k: int) -> str:
        return _checks.label(name, self.names, k, self.from_mapping)

    def user(self, k: int, value: float) -> float:
        """A value of feature k, from the engine's units back to the caller's."""
        return float(self.shift[k] + self.scale[k] * value)

    def user_combo(self, d: Array, value: float) -> tuple[Array, float]:
        """Direction d and a value of F' @ d, in the caller's units (up to a positive factor).

        The scales are powers of two, so ``d / scale`` is rescaled by the largest of
        ``1 / scale`` first: no overflow for subnormal features.
        """
        e = np.log2(self.scale)
        emin = float(np.min(e[d != 0])) if np.any(d) else 0.0
        du = d * 2.0 ** (emin - e)
        return du, 2.0**emin * (value + float(d @ (self.shift / self.scale)))

    def combo(self, d: Array) -> str:
        """Human-readable linear combination sum_k d_k f_k of the named features."""
        scale = np.max(np.abs(d))
        terms = []
        for k in np.flatnonzero(np.abs(d) > 1e-8 * scale):
            terms.append(f"{d[k] / scale:+.3g}*{self.names[k]}")
        return " ".join(terms).lstrip("+") if terms else "0"

    def involved(self, d: Array) -> list[str]:
        scale = np.max(np.abs(d))
        return [self.names[k] for k in np.flatnonzero(np.abs(d) > 1e-8 * scale)]

    def dir_tol(self, d: Array) -> float:
        """Tolerance on F @ d implied by the per-feature tolerance and by rounding."""
        return float(np.abs(d) @ self.unit_tol)

    @cached_property
    def unit_tol(self) -> Array:
        """:meth:`dir_tol` of each feature's own direction (the unit vectors)."""
        out: Array = self.threshold * self.spread
        return out

    @cached_property
    def threshold(self) -> Array:
        """Per-feature tolerance on ``|E_p[F] - b|`` in units of the spread: ``tol``
        plus the absolute allowances (the caller's ``atol``, rounding)."""
        out: Array = self.tol + (self.atol + self.rounding + self.given) / self.spread
        return out

    @cached_property
    def goal(self) -> Array:
        """Where Newton stops while its steps still cut the residual (precision by
        default): ``polish`` spreads plus ``atol``, never looser than :attr:`threshold`
        (rounding stops the steps' progress first where it is coarser)."""
        out: Array = np.minimum(self.threshold, self.polish + self.atol / self.spread)
        return out


def dual_value(
    ev: Evaluation, lam: Array, b: Array, sigma2: Array, free: NDArray[np.intp]
) -> float:
    """The dual log Z + lambda . b + sigma^2 lambda^2 / 2 over the free constraints."""
    lf = lam[free]
    value = ev.log_Z + float(lf @ b[free])
    s2 = sigma2[free]
    if s2.any():
        value += 0.5 * float(s2[s2 > 0] @ lf[s2 > 0] ** 2)
    return value


def residuals(task: NewtonTask, ev: Evaluation, lam: Array) -> Array:
    """Per-constraint violation of the optimality condition, in units of the spread."""
    free, on = task.free, task.on_free
    r = ev.mean[free] - on.b - on.sigma2 * lam[free]
    out: Array = np.abs(r) / on.spread
    return out


class FreeSlices(NamedTuple):
    """Targets, noise variances, spreads, tolerance and goal (:class:`Problem`'s
    ``threshold`` and ``goal``) of a task's free constraints, in its order."""

    b: Array
    sigma2: Array
    spread: Array
    threshold: Array
    goal: Array


@dataclass(frozen=True, kw_only=True, eq=False)
class NewtonTask:
    """What stays fixed during one Newton solve: the constraints and their coordinates."""

    prob: Problem
    b: Array  # targets (engine units)
    sigma2: Array  # noise variances (0: exact constraint)
    free: NDArray[np.intp]  # constraints Newton works on (the others keep multiplier 0)
    exact: list[int]  # the free constraints without noise (sigma = 0): faces are theirs
    basis: Array  # reduced, whitened coordinates (see solver._reduced_basis)
    max_radius: float = np.inf  # the trust radius grows to this at most (basis units)
    ex_mask: NDArray[np.bool_] = field(init=False)
    free_mask: NDArray[np.bool_] = field(init=False)
    all_exact: bool = field(init=False)  # every constraint free and exact (ex_mask all True)
    all_free: bool = field(init=False)

    def __post_init__(self) -> None:
        m = self.prob.engine.m
        # As an index array: fancy indexing with a list converts it on every use.
        free = np.asarray(self.free, dtype=np.intp)
        ex_mask = np.zeros(m, dtype=bool)
        ex_mask[self.exact] = True
        free_mask = np.zeros(m, dtype=bool)
        free_mask[free] = True
        object.__setattr__(self, "free", free)
        object.__setattr__(self, "ex_mask", ex_mask)
        object.__setattr__(self, "free_mask", free_mask)
        object.__setattr__(self, "all_exact", bool(ex_mask.all()))
        object.__setattr__(self, "all_free", bool(free_mask.all()))

    @property
    def progress(self) -> Progress:
        return self.prob.progress

    # What every Newton step of the task reuses (computed once per task).
    @cached_property
    def on_free(self) -> FreeSlices:
        """The per-constraint values the residuals compare, of the free constraints."""
        f, p = self.free, self.prob
        return FreeSlices(self.b[f], self.sigma2[f], p.spread[f], p.threshold[f], p.goal[f])

    @cached_property
    def spread_outer(self) -> Array:
        """``outer(s, s)`` of the spreads: a covariance over it is in whitened units."""
        s = self.prob.spread
        out: Array = np.outer(s, s)
        return out

    @cached_property
    def sigma_whitened(self) -> Array:
        """The noise variances in whitened units, ``sigma^2 / s^2``."""
        out: Array = self.sigma2 / self.prob.spread**2
        return out

    @cached_property
    def abs_basis(self) -> Array:
        """``|B / s|^T``: the reduced basis in multiplier units, entrywise magnitudes."""
        out: Array = np.abs(self.basis / self.prob.spread[:, None]).T
        return out


@dataclass(frozen=True)
class Verdict:
    """How a Newton solve ended, and where.

    ``status``: "converged"; "face" (the targets touch the faces ``faces``, each
    ``(direction d, margin)``: the face minimising ``F @ d``); "stalled" (rounding stopped
    the progress) or "max_iter".
    """

    status: Status
    lam: Array
    ev: Evaluation
    faces: FaceList = ()
