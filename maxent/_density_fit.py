r"""The adaptive loop behind :func:`maxent.density`: quadrature nodes, solve, refine.

A density :math:`p(x) \propto q(x)\, e^{-\lambda \cdot \psi(x)}` on a continuous support
is found as the maximum-entropy distribution on quadrature nodes :math:`x_i` with the
quadrature weights times the prior as the reference measure (:func:`maxent.solve`
does the Newton work).  The rule is refined level by level until the moments of the
solution, evaluated on the next finer rule, move by less than half the tolerance; that
change is the reported ``quadrature_error``, and the answer is re-solved on the finer
rule.  On an infinite side, nodes whose share of every moment is below
:math:`e^{-80}` of the largest are left out, and the nodes reach further out (up to
where the features stay finite) while the density has not decayed at the last one; if
it never does, no maximum-entropy density exists (mass would escape to infinity).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import special

from ._quadrature import DEMap, de_nodes, gauss_legendre, tensor_rule
from .errors import ConvergenceWarning, InfeasibleTargetsError, InvalidInputError
from .result import MaxEntResult
from .solver import solve

__all__ = ["Axis", "FeatureMap", "Fit", "Problem", "Rotated", "Rule", "fit", "user_residual"]

_NEGLIGIBLE = 80.0  # log of the share below which a node is left out
_REACH_GROWTH = 1e4


class FeatureMap(Protocol):
    """Features evaluated at points given one array per axis: shape ``(..., K)``."""

    def evaluate(self, coords: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]: ...


@dataclass(frozen=True)
class Rotated:
    """Fixed linear combinations of another map's features: ``base(x) @ directions``."""

    base: FeatureMap
    directions: NDArray[np.float64]  # (K_base, K)

    def evaluate(self, coords: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
        return self.base.evaluate(coords) @ self.directions


@dataclass(frozen=True)
class Axis:
    """One coordinate: its interval, the rule used on it and its DE map."""

    lower: float
    upper: float
    rule: str  # "gauss-legendre" or "de"
    dmap: DEMap
    reach: float  # how far (in units of the map's scale) the nodes go on an infinite side
    max_reach: float

    @property
    def infinite(self) -> bool:
        return not (np.isfinite(self.lower) and np.isfinite(self.upper))


@dataclass(frozen=True)
class Problem:
    """What the loop solves: features, targets, prior and the tolerance."""

    axes: tuple[Axis, ...]
    features: FeatureMap  # the (well-conditioned) features handed to the solver
    targets: NDArray[np.float64]
    user: FeatureMap  # the caller's features, for moments and the quadrature error
    user_targets: NDArray[np.float64]
    prior: Callable[..., Any] | None
    tol: float
    start_level: int
    initial: NDArray[np.float64]
    base_points: tuple[int, ...]  # Gauss-Legendre nodes per axis at level 0


@dataclass(frozen=True)
class Rule:
    """Quadrature nodes (one array per axis), log weights (prior included) and features."""

    coords: tuple[NDArray[np.float64], ...]
    log_weights: NDArray[np.float64]
    features: NDArray[np.float64]
    tail: bool  # the density is not negligible at the last node of an infinite side
    step: float  # DE step (or 1/n for Gauss-Legendre), for the cdf panels


@dataclass(frozen=True)
class Fit:
    """The answer on the finest rule used."""

    rule: Rule
    multipliers: NDArray[np.float64]
    log_norm: float  # log of the integral of q e^{-lambda.psi}
    log_p: NDArray[np.float64]  # log of each node's probability
    result: MaxEntResult
    quadrature_error: float
    level: int


def fit(problem: Problem, max_level: int) -> Fit:
    """Solve on rules of increasing level until the quadrature error is below tol / 2."""
    problem, rule, sol = _first_solve(problem, max_level)
    while True:
        problem, rule, sol = _settle_tails(problem, rule, sol)
        finer = _rule(problem, sol.level + 1, sol.multipliers)
        err = _quadrature_error(problem, rule, sol, finer)
        if err <= 0.5 * problem.tol or sol.level + 1 >= max_level:
            final = _final_solve(problem, finer, sol)
            return replace(final, quadrature_error=err)
        rule, sol = finer, _solve_rule(problem, finer, sol.multipliers, sol.level + 1)


def user_residual(problem: Problem, rule: Rule, log_p: NDArray[np.float64]) -> float:
    """Largest ``|E[phi_k] - target_k| / E|phi_k|`` over the caller's features."""
    p = np.exp(log_p)
    user = problem.user.evaluate(rule.coords)
    scale = np.maximum(p @ np.abs(user), 1e-300)
    return float(np.max(np.abs(p @ user - problem.user_targets) / scale))


def _first_solve(problem: Problem, max_level: int) -> tuple[Problem, Rule, Fit]:
    """A first solve, refining the rule while the solver finds the targets unreachable
    on it (a rule too coarse for a narrow density)."""
    level = problem.start_level
    while True:
        rule = _rule(problem, level, problem.initial)
        try:
            return problem, rule, _solve_rule(problem, rule, problem.initial, level)
        except InfeasibleTargetsError:
            if level + 1 >= max_level:
                raise
            level += 1


def _final_solve(problem: Problem, rule: Rule, sol: Fit) -> Fit:
    """The solve on the finest rule, with the solver's tolerance tightened while the
    caller's features miss their targets by more than tol / 2."""
    tighten = 1.0
    final = _solve_rule(problem, rule, sol.multipliers, sol.level + 1)
    while user_residual(problem, rule, final.log_p) > 0.5 * problem.tol and tighten > 1e-5:
        tighten *= 0.01
        final = _solve_rule(problem, rule, final.multipliers, final.level, tighten)
    return final


def _settle_tails(problem: Problem, rule: Rule, sol: Fit) -> tuple[Problem, Rule, Fit]:
    """Re-solve while the solution's significant nodes differ from the rule's (infinite
    sides): reach further out where the last node still matters, pull in where the
    density lives in a small part of the nodes' span, re-prune."""
    if not any(a.infinite for a in problem.axes):
        return problem, rule, sol
    for _ in range(16):
        current = _rule(problem, sol.level, sol.multipliers)
        escaping = current.tail
        problem = _reach_further(problem) if escaping else _reach_less(problem, current, sol)
        again = _rule(problem, sol.level, sol.multipliers)
        if not again.tail and np.array_equal(again.coords[0], rule.coords[0]):
            break
        try:
            sol = _solve_rule(problem, again, sol.multipliers, sol.level)
        except InfeasibleTargetsError:
            if escaping:  # the mass ran off to the end of the nodes and stays out of reach
                raise _no_decay(problem) from None
            raise
        rule = again
    return problem, rule, sol


def _reach_further(problem: Problem) -> Problem:
    axes = []
    for a in problem.axes:
        if a.infinite and a.reach >= a.max_reach:
            raise _no_decay(problem)
        if a.infinite:
            growth = 2.0 if a.rule == "gauss-legendre" else _REACH_GROWTH
            a = replace(a, reach=min(a.reach * growth, a.max_reach))
        axes.append(a)
    return replace(problem, axes=tuple(axes))


def _reach_less(problem: Problem, rule: Rule, sol: Fit) -> Problem:
    """A Gauss-Legendre rule on an infinite side is brought in to 1.25 times as far as
    the density matters, when that is under half its reach (so the nodes sit where the
    density is)."""
    axis = problem.axes[0]
    if axis.rule != "gauss-legendre" or not axis.infinite:
        return problem
    shares = _shares(rule.log_weights, rule.features, sol.multipliers)
    x = rule.coords[0][shares >= -_NEGLIGIBLE]
    finite_end = np.isfinite(axis.lower) or np.isfinite(axis.upper)
    centre = (
        (axis.lower if np.isfinite(axis.lower) else axis.upper) if finite_end else axis.dmap.origin
    )
    extent = float(np.max(np.abs(x - centre))) / abs(axis.dmap.scale)
    if extent >= 0.5 * axis.reach:
        return problem
    return replace(problem, axes=(replace(axis, reach=max(1.25 * extent, 4.0)),))


def _no_decay(problem: Problem) -> InfeasibleTargetsError:
    a = problem.axes[0]
    return InfeasibleTargetsError(
        f"no maximum-entropy density on [{a.lower}, {a.upper}] has these moments: the "
        "density does not decay towards infinity (the entropy's supremum is approached by "
        "moving a vanishing mass ever further out, and is not attained); add a higher "
        "moment or change the targets."
    )


def _solve_rule(
    problem: Problem,
    rule: Rule,
    lam: NDArray[np.float64],
    level: int,
    tighten: float = 1.0,
) -> Fit:
    """maxent.solve on the rule's nodes, with the quadrature weights as the prior."""
    shift = float(np.max(rule.log_weights))
    prior = np.exp(rule.log_weights - shift)
    tol_s = max(_solver_tol(problem, rule, prior) * tighten, 1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = solve(
            rule.features,
            problem.targets,
            prior=prior,
            initial_multipliers=lam,
            tol=tol_s,
            max_iter=300,
        )
    mult = np.asarray(res.multipliers, dtype=np.float64)
    if not np.all(np.isfinite(mult)):
        raise InfeasibleTargetsError(
            "the targets sit on the boundary of what densities on the support allow "
            "(the solver's limiting distribution has infinite multipliers: point masses)."
        )
    log_q = rule.log_weights - rule.features @ mult
    log_norm = float(special.logsumexp(log_q))
    return Fit(rule, mult, log_norm, log_q - log_norm, res, math.inf, level)


def _solver_tol(problem: Problem, rule: Rule, prior: NDArray[np.float64]) -> float:
    """The solver's tolerance (relative to each feature's spread under the prior) that
    meets ``tol`` in the features' own scale, at most ``tol / 20``."""
    q = prior / prior.sum()
    mean = q @ rule.features
    spread = np.sqrt(np.maximum(q @ (rule.features - mean) ** 2, 1e-300))
    target_scale = np.maximum(np.abs(problem.targets), 1.0)
    return float(
        np.clip(0.05 * problem.tol * np.min(target_scale / spread), 1e-15, 0.05 * problem.tol)
    )


def _quadrature_error(problem: Problem, rule: Rule, sol: Fit, finer: Rule) -> float:
    """How much the moments (and log Z) of ``sol``'s multipliers move on the finer rule."""
    log_q = finer.log_weights - finer.features @ sol.multipliers
    log_norm = float(special.logsumexp(log_q))
    p_fine = np.exp(log_q - log_norm)
    p = np.exp(sol.log_p)
    user = problem.user.evaluate(rule.coords)
    user_fine = problem.user.evaluate(finer.coords)
    scale = np.maximum(p @ np.abs(user), 1e-300)
    moved = np.abs(p_fine @ user_fine - p @ user) / scale
    return float(max(np.max(moved, initial=0.0), abs(log_norm - sol.log_norm)))


# -- rules -------------------------------------------------------------------------------------
def _rule(problem: Problem, level: int, lam: NDArray[np.float64]) -> Rule:
    """The level's nodes, with infinite sides pruned to where ``lam``'s density matters."""
    if len(problem.axes) > 1 or problem.axes[0].rule == "gauss-legendre":
        return _gauss_rule(problem, level, lam)
    return _de_rule(problem, level, lam)


def _interval(axis: Axis) -> tuple[float, float]:
    """The interval a Gauss-Legendre rule covers: the support, or on an infinite side
    ``reach`` lengths of the map's scale from its finite end (or centre)."""
    if not axis.infinite:
        return axis.lower, axis.upper
    span = axis.reach * abs(axis.dmap.scale)
    if np.isfinite(axis.lower):
        return axis.lower, axis.lower + span
    if np.isfinite(axis.upper):
        return axis.upper - span, axis.upper
    return axis.dmap.origin - span, axis.dmap.origin + span


def _gauss_rule(problem: Problem, level: int, lam: NDArray[np.float64]) -> Rule:
    axes_rules = [
        gauss_legendre(*_interval(a), n * 2**level)
        for a, n in zip(problem.axes, problem.base_points, strict=True)
    ]
    nodes, weights = tensor_rule(axes_rules)
    coords = tuple(nodes[:, i].copy() for i in range(nodes.shape[1]))
    with np.errstate(divide="ignore"):
        log_w = np.log(weights) + _log_prior(problem, coords)
    feats = _features(problem, coords)
    tail = False
    axis = problem.axes[0]
    if axis.infinite:  # 1-D: does the density still matter at the last node?
        shares = _shares(log_w, feats, lam)
        ends = shares[-1] if np.isfinite(axis.lower) else shares[0]
        if not (np.isfinite(axis.lower) or np.isfinite(axis.upper)):
            ends = max(shares[0], shares[-1])
        tail = bool(ends >= -_NEGLIGIBLE)
    return Rule(coords, log_w, feats, tail, 1.0 / axes_rules[0][0].size)


def _de_rule(problem: Problem, level: int, lam: NDArray[np.float64]) -> Rule:
    axis = problem.axes[0]
    step = 2.0 ** (-level)
    t_lo, t_hi = axis.dmap.t_range(axis.reach)
    _, x, w = de_nodes(axis.dmap, step, t_lo, t_hi)
    coords = (x,)
    with np.errstate(divide="ignore"):
        log_w = np.log(w) + _log_prior(problem, coords)
    feats = _features(problem, coords, allow_end_overflow=True)
    keep = np.flatnonzero(np.all(np.isfinite(feats), axis=1))
    lo, hi = int(keep[0]), int(keep[-1]) + 1
    if not axis.infinite:
        return Rule((x[lo:hi],), log_w[lo:hi], feats[lo:hi], False, step)
    significant = np.flatnonzero(_shares(log_w[lo:hi], feats[lo:hi], lam) >= -_NEGLIGIBLE)
    a, b = lo + int(significant[0]), lo + int(significant[-1]) + 1
    tail = (np.isinf(axis.upper) and b == hi) or (np.isinf(axis.lower) and a == lo)
    a, b = max(lo, a - 2), min(hi, b + 2)
    return Rule((x[a:b],), log_w[a:b], feats[a:b], bool(tail), step)


def _shares(
    log_w: NDArray[np.float64], feats: NDArray[np.float64], lam: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per node, the log of its largest share of any moment (the density's own, or
    :math:`\\int |\\psi_k| p`) under the multipliers ``lam``."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        log_p = log_w - feats @ lam
        parts = np.column_stack([log_p, log_p[:, None] + np.log(np.abs(feats))])
    parts = np.where(np.isfinite(parts), parts, -np.inf)
    return np.max(parts - special.logsumexp(parts, axis=0), axis=1)


def _log_prior(problem: Problem, coords: tuple[NDArray[np.float64], ...]) -> NDArray[np.float64]:
    """``log prior`` at the nodes (0 without a prior), checking what the callable returns."""
    if problem.prior is None:
        return np.zeros(coords[0].shape)
    try:
        values = np.asarray(problem.prior(*coords), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"`prior` must be a callable returning real values for arrays of points; it "
            f"raised {type(exc).__name__}: {exc}"
        ) from None
    values = np.broadcast_to(values, coords[0].shape)
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        i = int(np.argmax(bad))
        where = ", ".join(f"{c[i]:.6g}" for c in coords)
        raise InvalidInputError(
            f"`prior` must be finite and >= 0 on the support; it returned {values[i]} at "
            f"x = ({where})."
        )
    with np.errstate(divide="ignore"):
        return np.log(values)


def _features(
    problem: Problem,
    coords: tuple[NDArray[np.float64], ...],
    *,
    allow_end_overflow: bool = False,
) -> NDArray[np.float64]:
    """The solver's features at the nodes; non-finite values only in runs at the ends
    of a 1-D node list (beyond where the features can be represented)."""
    feats = np.asarray(problem.features.evaluate(coords), dtype=np.float64)
    finite = np.all(np.isfinite(feats), axis=1)
    if np.all(finite):
        return feats
    good = np.flatnonzero(finite)
    inner = bool(good.size) and bool(np.any(~finite[good[0] : good[-1] + 1]))
    if not allow_end_overflow or good.size < 2 or inner:
        i = int(np.argmin(finite))
        where = ", ".join(f"{c[i]:.6g}" for c in coords)
        raise InvalidInputError(
            f"the features are not finite at x = ({where}) inside the support; every "
            "feature must be finite on the open support."
        )
    return feats
