"""The state of the dual Newton iteration and the values its steps pass around.

:class:`State` is everything :func:`maxent._newton.newton` changes from step to step,
in one place; :class:`Step` a proposed step with its quadratic model (from
:mod:`maxent._newton_step` or a working-set solve), :class:`Trial` what trying it gave,
:class:`Best` the best iterate so far.  :func:`gradient` and :func:`step_terms` are what
every step needs at the current point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._moments import Evaluation
from ._problem import EPS, NewtonTask, Verdict, dual_value

__all__ = ["CG_GUESS", "Best", "State", "Step", "Trial", "gradient", "step_terms"]

Array = NDArray[np.float64]

RADIUS = 10.0  # initial trust radius, in prior standard deviations of the log-weights
CG_GUESS = 4.0  # products a truncated Newton step needs, before one was measured


@dataclass
class State:
    """The iteration's state, all in one place."""

    lam: NDArray[np.float64]
    ev: Evaluation  # evaluation at lam
    radius: float = RADIUS  # trust radius, in whitened units
    hr: NDArray[np.float64] | None = None  # reduced Hessian from the last full evaluation
    center: NDArray[np.float64] | None = None  # second moments about this point (concentrated p)
    rmax: float = np.inf  # largest scaled residual at lam
    rmax_prev: float = np.inf
    ratio: float = np.inf  # largest residual at lam in units of the tolerance (met at <= 1)
    goal: float = np.inf  # ... and of the polishing goal (see Problem.goal)
    polished: int = 0  # steps taken from points that met the tolerance
    contraction: float = 1.0  # residual after / before the last step
    steps: int = 0  # steps taken (contraction is measured from the first on)
    stuck: int = 0  # consecutive full steps that changed the dual only by rounding
    edge: float = np.inf  # where b sits in the range of F @ d for the last direction d
    edge_face: tuple[NDArray[np.float64], float] | None = None  # that d and min F @ d
    # Curvatures below rel_floor * the largest count as rounding noise.  Where p sits on a
    # few states the dual is nearly linear along some directions and their (true) tiny
    # curvature would hold the steps back: the floor is lowered while such floored full
    # steps keep matching the model, and restored after a poor step.
    rel_floor: float = 1e-14
    best: Best | None = None  # the best iterate so far
    working_set: NDArray[np.intp] | None = None  # states of the last working-set solve
    window: float = 0.0  # its window, in nats below the heaviest state
    # Working-set steps are tried while the largest residual is below this: after one
    # fails, only once Newton has brought the residual 100 times lower.
    shrink_below: float = np.inf
    # Once rounding has cost B^T Cov B its small curvatures (see _reduced_hessian), the
    # Hessians of this solve are taken from projected states directly, in one pass.
    project: bool = False
    share: float = 1.0  # share of the states the last covariance covered (screening)
    estimated: bool = False  # the reduced Hessian in use is from a sample (or float32)
    refresh: bool = False  # take the covariance at this point before the next step
    # Truncated Newton (maxent._newton_cg): products the last CG step needed (a guess
    # before the first), and whether products can be had (False once they could not).
    cg_iter: float = CG_GUESS
    cg_ok: bool = True
    truncated: bool = False  # the last step was truncated Newton's
    # Newton's covariances at trial points far from the solution may be taken in single
    # precision: the prior's was, and sufficed (see maxent._newton._trial_request).
    single: bool = False


@dataclass(frozen=True)
class Best:
    """An iterate and its residual in units of the goal and of the tolerance."""

    goal: float
    ratio: float
    lam: Array
    ev: Evaluation
    hr: Array | None  # the reduced Hessian in use there

    @staticmethod
    def key(goal: float, ratio: float) -> tuple[float, float]:
        """Order of iterates: those within the tolerance first, by their goal residual;
        the others by their residual in units of the tolerance."""
        return (max(ratio, 1.0), goal)


@dataclass(frozen=True, kw_only=True)
class Step:
    """A proposed step and its quadratic model."""

    d: NDArray[np.float64]  # direction in multiplier units (t = 1 is the full step)
    length: float  # Newton step length before truncation, whitened units
    slope: float  # directional derivative of the dual at t = 0
    curvature: float  # d^T H d (whitened)
    f0: float  # dual at the current point
    noise: float  # rounding level of the dual
    dirs: NDArray[np.float64]  # directions whose ranges the trial pass also computes
    light: bool  # skip the covariance at the trial point
    floored: bool = False  # some component limited by the curvature floor
    # Expected to end the solve: its passes keep p for the result and take the covariance
    # the result reports.
    final: bool = False
    step_r: NDArray[np.float64] | None = None  # the step in reduced coordinates
    gr: NDArray[np.float64] | None = None  # reduced gradient at the start
    working_set: bool = False  # proposed by a solve on a working set of states
    refresh: bool = False  # light only to take the covariance at the accepted point


@dataclass(frozen=True)
class Trial:
    """What trying a step gave: the point accepted at ``t`` (``lam``, ``ev`` and the dual
    ``value`` there), a face found on the way (``verdict``), or neither (failed)."""

    t: float
    lam: Array | None = None
    ev: Evaluation | None = None
    value: float = 0.0
    verdict: Verdict | None = None
    refresh: bool = False  # the point needs a covariance pass of its own (see _trial_step)


def gradient(task: NewtonTask, ev: Evaluation, lam: Array) -> Array:
    """The dual's gradient over the free constraints, in whitened (spread) units."""
    g: Array = (task.b - ev.mean + task.sigma2 * lam) / task.prob.spread
    if not task.all_free:
        g[~task.free_mask] = 0.0
    return g


def step_terms(task: NewtonTask, st: State, d: Array) -> tuple[float, float, Array]:
    """What a step d from st.lam needs besides its model: the dual there, its rounding
    level, and the directions whose ranges the trial pass computes (d itself, the
    certificate, and lambda, both on the exact constraints)."""
    lam = st.lam
    f0 = dual_value(st.ev, lam, task.b, task.sigma2, task.free)
    # Rounding level of the dual: log Z and lambda . b are each about |lambda| |F|.
    noise = 64 * EPS * (max(1.0, abs(f0)) + float(np.abs(lam) @ task.prob.magnitude))
    dirs = np.zeros((d.size, 2))
    if task.all_exact:
        dirs[:, 0] = d
        dirs[:, 1] = lam
    else:
        dirs[task.ex_mask, 0] = d[task.ex_mask]
        dirs[task.ex_mask, 1] = lam[task.ex_mask]
    return f0, noise, dirs
