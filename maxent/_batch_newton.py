r"""Many small maximum-entropy density problems at once: a vectorised Newton method.

For moment closures (Levermore 1996) and per-cell densities, thousands of problems with
a few moments each are solved together.  Each problem's variable is standardised (the
interval mapped to [-1, 1]; on a half-line divided by the mean's distance from the end;
on the real line centred on the mean and divided by the standard deviation), so one
quadrature rule in the standard variable serves them all, and the dual

.. math:: \Gamma(\lambda) = \log \sum_i w_i e^{-\lambda \cdot \psi(z_i)} + \lambda \cdot c

of every problem is minimised by damped Newton steps in lockstep: one ``(n, nodes)``
exponential, one batched ``K x K`` solve per step, backtracking per problem, and only
the problems not yet converged in each step.  Moments are converted to the standard
variable in double precision (fine for the few moments this path is for).  The rule is
refined, and the reach of its nodes on infinite sides extended, for the problems whose
moments move by more than ``tol / 2`` on the next rule or whose density has not
decayed at the last node.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._density_result import DensityResult, Model, frozen
from ._moment_bases import (
    Basis,
    family_coefficients,
    standard_moments,
    starting_multipliers,
)
from ._quadrature import DEMap, de_nodes, gauss_legendre
from .errors import ConvergenceWarning, InfeasibleTargetsError, InvalidInputError

__all__ = ["BatchSpec", "Newton", "batch_density", "newton"]

_MAX_ITER = 40
_NEGLIGIBLE = 40.0  # a node whose share of every moment is below e^-40 is left out
_MAX_LEVEL = 10


@dataclass(frozen=True)
class BatchSpec:
    """A batch as :func:`maxent.density` reads it."""

    kind: str  # "power", "chebyshev" or "legendre"
    names: tuple[str, ...]
    targets: NDArray[np.float64]  # (n, K)
    bounds: tuple[float, float]
    unit: str
    prior: Callable[..., Any] | None
    tol: float


@dataclass(frozen=True)
class _Standard:
    """Per-problem affine maps ``z = (x - shift) / stretch`` and the basis in ``z``."""

    family: str
    shift: NDArray[np.float64]  # (n,)
    stretch: NDArray[np.float64]  # (n,)
    targets: NDArray[np.float64]  # (n, K) moments of psi_k(z)
    dmap: DEMap  # in z
    initial: NDArray[np.float64]  # (n, K)


# -- Newton ------------------------------------------------------------------------------------
class Newton(NamedTuple):
    """What :func:`newton` returns, one row per problem."""

    multipliers: NDArray[np.float64]
    done: NDArray[np.bool_]  # met the tolerance
    steps: NDArray[np.int64]
    log_z: NDArray[np.float64]  # at the multipliers returned
    p: NDArray[np.float64]  # node probabilities there, (n, N)


def newton(
    features: NDArray[np.float64],
    log_weights: NDArray[np.float64],
    targets: NDArray[np.float64],
    initial: NDArray[np.float64],
    tol: float,
) -> Newton:
    r"""Minimise every problem's dual; ``features`` (N, K) shared, ``log_weights`` (N,)
    or (n, N), ``targets`` and ``initial`` (n, K).

    A problem is done when :math:`|E[\psi_k] - c_k| \le \mathrm{tol}\,\max(1, |c_k|)`;
    it stops early when no step along Newton's direction lowers its dual (rounding).  The
    trial point of the line search is the next iterate, so each step costs one pass.
    """
    lam = np.array(initial, dtype=np.float64)
    n = lam.shape[0]
    done = np.zeros(n, dtype=bool)
    steps = np.zeros(n, dtype=np.int64)
    outer = (features[:, :, None] * features[:, None, :]).reshape(features.shape[0], -1)
    k = features.shape[1]
    value, log_z, p = _dual(features, log_weights, targets, lam)
    log_z_out, p_out = log_z.copy(), p.copy()
    active = np.arange(n)
    for _ in range(_MAX_ITER):
        m = p @ features
        grad = targets[active] - m
        ok = np.all(np.abs(grad) <= tol * np.maximum(1.0, np.abs(targets[active])), axis=1)
        done[active[ok]] = True
        keep = ~ok
        active, value, p, m, grad = active[keep], value[keep], p[keep], m[keep], grad[keep]
        if active.size == 0:
            break
        hess = (p @ outer).reshape(-1, k, k) - m[:, :, None] * m[:, None, :]
        step = _solve(hess, -grad)
        lw = log_weights if log_weights.ndim == 1 else log_weights[active]
        new, moved, trial = _backtrack(
            features, lw, targets[active], lam[active], step, value, grad
        )
        lam[active] = new
        steps[active] += 1
        active = active[moved]  # a problem whose dual no step lowers is as good as it gets
        value, log_z, p = (t[moved] for t in trial)
        log_z_out[active], p_out[active] = log_z, p
        if active.size == 0:
            break
    return Newton(lam, done, steps, log_z_out, p_out)


def _dual(
    features: NDArray[np.float64],
    log_weights: NDArray[np.float64],
    targets: NDArray[np.float64],
    lam: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Each problem's dual value, log Z and probabilities on the nodes."""
    a = log_weights - lam @ features.T
    top = np.max(a, axis=1, keepdims=True)
    p = np.exp(a - top)
    total = p.sum(axis=1, keepdims=True)
    log_z = (np.log(total) + top)[:, 0]
    return log_z + np.sum(lam * targets, axis=1), log_z, p / total


def _solve(hess: NDArray[np.float64], rhs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Batched ``hess x = rhs`` in the correlation scaling, with a small diagonal shift;
    a problem whose Hessian is still singular (its density on one node) gets a
    steepest-descent step instead."""
    scale = np.sqrt(np.maximum(np.einsum("nii->ni", hess), 1e-300))
    h = hess / (scale[:, :, None] * scale[:, None, :]) + 1e-10 * np.eye(hess.shape[1])
    b = rhs / scale
    out = b.copy()
    good = np.all(np.isfinite(h), axis=(1, 2)) & np.all(np.isfinite(b), axis=1)
    try:
        out[good] = np.linalg.solve(h[good], b[good][..., None])[..., 0]
    except np.linalg.LinAlgError:
        for i in np.flatnonzero(good):
            out[i] = np.linalg.lstsq(h[i], b[i], rcond=1e-14)[0]
    return out / scale


def _backtrack(
    features: NDArray[np.float64],
    log_weights: NDArray[np.float64],
    targets: NDArray[np.float64],
    lam: NDArray[np.float64],
    step: NDArray[np.float64],
    value: NDArray[np.float64],
    grad: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.bool_], tuple[NDArray[np.float64], ...]]:
    """Armijo backtracking per problem: halve each step until the dual decreases (or
    changes by no more than its rounding).  Returns the new multipliers, which problems
    moved (the others keep their multipliers) and ``(value, log Z, p)`` at the new ones."""
    slope = np.sum(grad * step, axis=1)  # directional derivative of the dual (< 0)
    alpha = np.ones(lam.shape[0])
    new = lam + step
    out_value = np.empty(lam.shape[0])
    out_log_z = np.empty(lam.shape[0])
    out_p = np.empty((lam.shape[0], features.shape[0]))
    pending = np.arange(lam.shape[0])
    for _ in range(12):  # down to a 4000th of Newton's step
        lw = log_weights if log_weights.ndim == 1 else log_weights[pending]
        trial, log_z, p = _dual(features, lw, targets[pending], new[pending])
        rounding = 4e-16 * np.abs(value[pending])
        limit = value[pending] + np.maximum(1e-4 * alpha[pending] * slope[pending], rounding)
        good = np.isfinite(trial) & (trial <= limit)
        accepted = pending[good]
        out_value[accepted], out_log_z[accepted], out_p[accepted] = (
            trial[good],
            log_z[good],
            p[good],
        )
        pending = pending[~good]
        if pending.size == 0:
            break
        alpha[pending] *= 0.5
        new[pending] = lam[pending] + alpha[pending, None] * step[pending]
    moved = np.ones(lam.shape[0], dtype=bool)
    moved[pending] = False
    new[pending] = lam[pending]
    return new, moved, (out_value, out_log_z, out_p)


# -- the batch ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Part:
    """Problems finished on the same rule: their rows, the rule and its features."""

    rows: NDArray[np.intp]
    z: NDArray[np.float64]
    log_w: NDArray[np.float64]  # (N,) or (len(rows), N)
    features: NDArray[np.float64]
    error: NDArray[np.float64]
    done: NDArray[np.bool_]
    level: int
    p: NDArray[np.float64]  # node probabilities at the multipliers, (len(rows), N)
    log_z: NDArray[np.float64]
    stats: tuple[NDArray[np.float64], ...] = ()  # log_p, moments, residual, covariance


def batch_density(spec: BatchSpec) -> DensityResult:
    """Solve every row of ``spec.targets``; one DensityResult with a leading problem axis.

    All problems start on the coarsest rule; those whose moments still move by more than
    ``tol / 2`` on the next rule carry on to it, the others are done (on the rule where
    they met that test; the move is their ``quadrature_error``).
    """
    std = _standardise(spec)
    n, k = spec.targets.shape
    feats = Basis((std.family,), (0.0,), (1.0,), tuple((i,) for i in range(1, k + 1)))
    level = 0 if _gauss(spec) else max(2, math.ceil(math.log2((k + 16) / 4)))
    reach = _start_reach(spec, std)
    max_reach = float(min(1e30, max(600.0, 10.0 ** (150.0 / k))))
    lam = std.initial.copy()
    tol_s = 0.05 * spec.tol
    parts: list[_Part] = []
    todo = np.arange(n)
    while todo.size:
        z, lw = _rule(spec, std, level, reach, todo)
        f = feats.evaluate((z,))
        if todo.size == n:  # the first rule: of the Gaussian and the reference, the better
            lam = _better_start(f, lw, std, lam)
        sol = newton(f, lw, std.targets[todo], lam[todo], tol_s)
        lam[todo], done = sol.multipliers, sol.done
        lam[todo[~done]] = std.initial[todo[~done]]  # too coarse a rule: afresh on the next
        tails, extent = _tails(spec, z, f, sol.p, done)
        if np.any(tails):
            if reach >= max_reach:
                _no_decay(spec, int(todo[np.argmax(tails)]))
            reach = min(reach * (2.0 if _gauss(spec) else 1e4), max_reach)
            continue
        z2, lw2 = _rule(spec, std, level + 1, reach, todo)
        f2 = feats.evaluate((z2,))
        err = np.where(done, _moved(sol, f, (lw2, f2), lam[todo], std.targets[todo]), np.inf)
        last = level + 1 >= _MAX_LEVEL
        ok = (err <= 0.5 * spec.tol) | last
        if np.any(ok):
            lw_ok = lw if lw.ndim == 1 else lw[ok]
            part = _Part(todo[ok], z, lw_ok, f, err[ok], done[ok], level, sol.p[ok], sol.log_z[ok])
            part = _final_newton(spec, std, part, lam, tol_s)
            keep = part.stats[2] <= spec.tol
            if not last and not np.all(keep):  # still missing: on to a finer rule
                ok[np.flatnonzero(ok)[~keep]] = False
                part = _select(part, keep)
            if part.rows.size:
                parts.append(part)
        if _gauss(spec):
            reach = min(reach, max(1.25 * extent, 4.0))
        todo, level = todo[~ok], level + 1
    return _result(spec, std, feats, lam, parts)


def _better_start(
    f: NDArray[np.float64], lw: NDArray[np.float64], std: _Standard, lam: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per problem, the start with the lower dual: ``lam`` (a Gaussian with the problem's
    mean and variance) or the reference density (uniform; e^{-y} on a half-line)."""
    reference = np.zeros(lam.shape[1])
    if std.family == "laguerre":
        reference[0] = -1.0
    ref = np.broadcast_to(reference, lam.shape)
    mine, _, _ = _dual(f, lw, std.targets, lam)
    theirs, _, _ = _dual(f, lw, std.targets, ref)
    return np.where((theirs < mine)[:, None] | ~np.isfinite(mine)[:, None], ref, lam)


def _final_newton(
    spec: BatchSpec, std: _Standard, part: _Part, lam: NDArray[np.float64], tol_s: float
) -> _Part:
    """Newton again, with a tighter tolerance, for the problems whose caller's moments
    still miss by more than ``tol`` on the part's rule (updates ``lam`` in place); the
    part comes back with its statistics."""
    rows, done = part.rows, part.done.copy()
    stats = _stats(spec, std, part.z, part.features, part.p, rows)
    for shrink in (1e-2, 1e-4):
        pick = np.flatnonzero(stats[2] > spec.tol)
        if pick.size == 0:
            break
        lw = part.log_w if part.log_w.ndim == 1 else part.log_w[pick]
        r = rows[pick]
        again = newton(part.features, lw, std.targets[r], lam[r], tol_s * shrink)
        lam[r], done[pick] = again.multipliers, again.done
        part.p[pick], part.log_z[pick] = again.p, again.log_z
        for full, new in zip(
            stats, _stats(spec, std, part.z, part.features, again.p, r), strict=True
        ):
            full[pick] = new
    return replace(part, done=done, stats=stats)


def _select(part: _Part, keep: NDArray[np.bool_]) -> _Part:
    """The part restricted to the problems ``keep`` marks."""
    return _Part(
        part.rows[keep],
        part.z,
        part.log_w if part.log_w.ndim == 1 else part.log_w[keep],
        part.features,
        part.error[keep],
        part.done[keep],
        part.level,
        part.p[keep],
        part.log_z[keep],
        tuple(s[keep] for s in part.stats),
    )


def _gauss(spec: BatchSpec) -> bool:
    """Gauss-Legendre rules unless a prior (perhaps singular at an end) needs DE rules."""
    return spec.prior is None


def _start_reach(spec: BatchSpec, std: _Standard) -> float:
    """Where the standard variable's nodes stop on infinite sides, to begin with: 13
    standard deviations on the real line (a Gaussian falls by e^-84 there); on a
    half-line 1 + 9 of the widest problem's standard deviations (in units of the mean),
    40 means for moments of order 1; the tail checks reach further where that is not
    enough."""
    if bool(np.all(np.isfinite(spec.bounds))):
        return 1.0
    if not _gauss(spec):
        return 60.0
    if not (np.isfinite(spec.bounds[0]) or np.isfinite(spec.bounds[1])):
        return 13.0
    if spec.kind != "power" or spec.targets.shape[1] < 2:
        return 40.0
    z = standard_moments(spec.targets[:, :2], std.shift, std.stretch)
    widest = float(np.sqrt(np.max(np.maximum(z[:, 2] - z[:, 1] ** 2, 0.0))))
    return float(np.clip(1.0 + 9.0 * widest, 4.0, 40.0))


def _standardise(spec: BatchSpec) -> _Standard:
    """The affine maps, basis family and standard-variable targets of every problem."""
    lo, hi = spec.bounds
    b = spec.targets
    n, k = b.shape
    if np.isfinite(lo) and np.isfinite(hi):
        family = "legendre" if spec.kind == "legendre" else "chebyshev"
        shift, stretch = np.full(n, 0.5 * (lo + hi)), np.full(n, 0.5 * (hi - lo))
        dmap = DEMap("tanh-sinh", -1.0, 1.0, -1.0, 2.0)
    elif np.isfinite(lo) or np.isfinite(hi):
        end = lo if np.isfinite(lo) else hi
        family, shift, stretch = "laguerre", np.full(n, end), b[:, 0] - end
        dmap = DEMap("exp-sinh", 0.0, np.inf, 0.0, 1.0)
    else:
        family, shift = "hermite", b[:, 0].copy()
        stretch = np.sqrt(b[:, 1] - b[:, 0] ** 2)
        dmap = DEMap("sinh-sinh", -np.inf, np.inf, 0.0, 1.0)
    if spec.kind == "power":
        z = standard_moments(b, shift, stretch)
        targets = z @ family_coefficients(family, k)[1:].T
        mean, var = z[:, 1], (z[:, 2] - z[:, 1] ** 2 if k > 1 else np.zeros(n))
    else:
        targets = b.copy()
        mean, var = np.zeros(n), np.zeros(n)  # Chebyshev or Legendre moments: start uniform
    initial = starting_multipliers(family, mean, var, k)
    return _Standard(family, shift, stretch, targets, dmap, initial)


def _rule(
    spec: BatchSpec, std: _Standard, level: int, reach: float, rows: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shared nodes in z and log weights ((N,), or (n, N) with a prior)."""
    k = spec.targets.shape[1]
    if _gauss(spec):
        n = int(2 ** math.ceil(math.log2(k + 16))) * 2**level
        lo, hi = spec.bounds
        if np.isfinite(lo) and np.isfinite(hi):
            z, w = gauss_legendre(-1.0, 1.0, n)
        else:
            n = int(2 ** math.ceil(math.log2(2 * reach + k + 16))) * 2**level
            z, w = gauss_legendre(0.0 if np.isfinite(lo) or np.isfinite(hi) else -reach, reach, n)
    else:
        t_lo, t_hi = std.dmap.t_range(reach)
        _, z, w = de_nodes(std.dmap, 2.0**-level, t_lo, t_hi)
    log_w = np.log(w)
    if spec.prior is None:
        return z, log_w
    x = std.shift[rows, None] + std.stretch[rows, None] * z
    q = np.broadcast_to(np.asarray(spec.prior(x), dtype=np.float64), x.shape)
    if np.any(~np.isfinite(q) | (q < 0)):
        raise InvalidInputError("`prior` must be finite and >= 0 on the support.")
    with np.errstate(divide="ignore"):
        return z, log_w + np.log(q)


def _tails(
    spec: BatchSpec,
    z: NDArray[np.float64],
    f: NDArray[np.float64],
    p: NDArray[np.float64],
    done: NDArray[np.bool_],
) -> tuple[NDArray[np.bool_], float]:
    """Which solved problems' densities still matter (above e^-40 of their peak, counting
    the features' size) at the last node of an infinite side, and how far out any does."""
    if bool(np.all(np.isfinite(spec.bounds))):
        return np.zeros(p.shape[0], dtype=bool), math.inf
    with np.errstate(divide="ignore"):
        lp = np.log(p[done]) + np.log1p(np.max(np.abs(f), axis=1))
    matters = lp >= np.max(lp, axis=1, keepdims=True) - _NEGLIGIBLE
    half_line = np.isfinite(spec.bounds[0]) or np.isfinite(spec.bounds[1])
    ends = np.zeros(p.shape[0], dtype=bool)
    ends[done] = matters[:, -1] if half_line else matters[:, 0] | matters[:, -1]
    reach = np.abs(z[np.any(matters, axis=0)])
    return ends, float(np.max(reach)) if reach.size else math.inf


def _no_decay(spec: BatchSpec, i: int) -> None:
    raise InfeasibleTargetsError(
        f"`targets[{i}]` = {spec.targets[i].tolist()}: no maximum-entropy density on "
        f"{spec.bounds} has these moments (the density does not decay towards infinity: "
        "its entropy's supremum is not attained)."
    )


def _moved(
    coarse: Newton,
    f: NDArray[np.float64],
    fine: tuple[NDArray[np.float64], NDArray[np.float64]],
    lam: NDArray[np.float64],
    targets: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per problem: how far the (standard-basis) moments and log Z move from the coarse
    rule's solution to the finer rule, the moments relative to ``max(1, |target|)``."""
    lw2, f2 = fine
    a = lw2 - lam @ f2.T
    log_z = _logsumexp(a)
    m2 = np.exp(a - log_z[:, None]) @ f2
    moved = np.max(np.abs(m2 - coarse.p @ f) / np.maximum(1.0, np.abs(targets)), axis=1)
    return np.maximum(moved, np.abs(log_z - coarse.log_z))


def _stats(
    spec: BatchSpec,
    std: _Standard,
    z: NDArray[np.float64],
    f: NDArray[np.float64],
    p: NDArray[np.float64],
    rows: NDArray[np.intp],
) -> tuple[NDArray[np.float64], ...]:
    """``(log_p, moments, residual, covariance)`` of the caller's features, per problem,
    by products with arrays shared by every problem (powers of z are re-expanded)."""
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    k = f.shape[1]
    if spec.kind != "power":
        m = p @ f
        size = p @ np.abs(f)
        outer = (f[:, :, None] * f[:, None, :]).reshape(f.shape[0], -1)
        cov = (p @ outer).reshape(-1, k, k) - m[:, :, None] * m[:, None, :]
    else:
        zm = p @ (z[:, None] ** np.arange(2 * k + 1))  # E[z^i], i <= 2K
        coef = _expansion(std.shift[rows], std.stretch[rows], k)  # x^j = sum_i a_ji z^i
        m = np.einsum("nji,ni->nj", coef, zm[:, : k + 1])[:, 1:]
        idx = np.arange(k + 1)
        cz = zm[:, idx[:, None] + idx[None, :]] - zm[:, idx, None] * zm[:, None, idx]
        cov = np.einsum("nji,nil,nkl->njk", coef, cz, coef)[:, 1:, 1:]
        ax = np.abs(std.shift[rows, None] + std.stretch[rows, None] * z)
        size = np.stack([np.sum(p * ax**j, axis=1) for j in range(1, k + 1)], axis=1)
    residual = np.max(np.abs(m - spec.targets[rows]) / np.maximum(size, 1e-300), axis=1)
    return log_p, m, residual, cov


def _expansion(
    shift: NDArray[np.float64], stretch: NDArray[np.float64], k: int
) -> NDArray[np.float64]:
    """Coefficients ``a[n, j, i]`` of :math:`x^j = \\sum_i a_{ji} z^i` for
    :math:`x = \\mathrm{shift} + \\mathrm{stretch}\\, z`."""
    out = np.zeros((shift.size, k + 1, k + 1))
    for j in range(k + 1):
        for i in range(j + 1):
            out[:, j, i] = math.comb(j, i) * shift ** (j - i) * stretch**i
    return out


def _result(
    spec: BatchSpec,
    std: _Standard,
    feats: Basis,
    lam: NDArray[np.float64],
    parts: list[_Part],
) -> DensityResult:
    n, k = spec.targets.shape
    moments, residual, err = np.zeros((n, k)), np.zeros(n), np.zeros(n)
    cov, log_z, done, width = np.zeros((n, k, k)), np.zeros(n), np.zeros(n, bool), np.zeros(n)
    flat_x, flat_lp, owner, t_all = [], [], [], []
    for part in parts:
        r = part.rows
        log_p, moments[r], residual[r], cov[r] = part.stats
        log_z[r] = part.log_z
        err[r], done[r] = part.error, part.done
        width[r] = min(0.25, 16.0 / part.z.size) if _gauss(spec) else 4.0 * 2.0**-part.level
        flat_x.append((std.shift[r, None] + std.stretch[r, None] * part.z).ravel())
        flat_lp.append(log_p.ravel())
        owner.append(np.repeat(r, part.z.size))
        t = std.dmap.t(part.z)
        t_all.append(t[np.isfinite(t)])
    log_norm = log_z + np.log(np.abs(std.stretch))
    mult, offset = _user_multipliers(spec, std, lam)
    status, message = _status(spec, residual, err, done)
    t = np.concatenate(t_all)
    model = Model(
        feats,
        frozen(lam),
        frozen(log_norm),
        spec.prior,
        (spec.bounds,),
        frozen(std.shift),
        frozen(std.stretch),
        (frozen(np.concatenate(flat_x)),),
        frozen(np.concatenate(flat_lp)),
        frozen(np.concatenate(owner)),
        std.dmap,
        (float(t.min()) - 0.5, float(t.max()) + 0.5),
        frozen(width),
        (max(part.z.size for part in parts),),
    )
    return DensityResult(
        (spec.bounds,),
        spec.kind,
        spec.names,
        frozen(spec.targets),
        frozen(moments),
        frozen(mult),
        frozen(log_norm + offset),
        frozen(residual),
        frozen(err),
        frozen(cov),
        frozen(status == "converged"),
        frozen(status),
        message,
        spec.tol,
        int(sum(part.z.size for part in parts)),
        (spec.unit,),
        model,
    )


def _status(
    spec: BatchSpec,
    residual: NDArray[np.float64],
    err: NDArray[np.float64],
    done: NDArray[np.bool_],
) -> tuple[NDArray[np.str_], str]:
    """Each problem's status and the batch's message (a warning if some failed)."""
    good = (residual <= spec.tol) & (err <= 0.5 * spec.tol)
    status = np.where(
        good,
        "converged",
        np.where(err > 0.5 * spec.tol, "quadrature", np.where(done, "stalled", "max_iter")),
    )
    message = f"{int(good.sum())} of {good.size} problems converged (tol = {spec.tol:g})"
    if not np.all(good):
        bad = int(np.argmin(good))
        message += (
            f"; problem {bad} ended '{status[bad]}' with residual {residual[bad]:.2g} and "
            f"quadrature error {err[bad]:.2g}: loosen `tol` or solve it on its own"
        )
        warnings.warn(message + ".", ConvergenceWarning, stacklevel=5)
    return status, message + "."


def _user_multipliers(
    spec: BatchSpec, std: _Standard, lam: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The caller's multipliers and the constant they leave in the exponent."""
    if spec.kind != "power":
        return lam, np.zeros(lam.shape[0])
    k = lam.shape[1]
    coef = family_coefficients(std.family, k)
    a = lam @ coef[1:]  # coefficients of z^j, (n, K + 1)
    theta = np.zeros_like(a)
    for j in range(k + 1):
        for i in range(j + 1):
            theta[:, i] += a[:, j] * math.comb(j, i) * (-std.shift) ** (j - i) / std.stretch**j
    return theta[:, 1:], theta[:, 0]


def _logsumexp(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-wise log-sum-exp (the rows' maxima are finite here)."""
    top = np.max(a, axis=1)
    return np.log(np.sum(np.exp(a - top[:, None]), axis=1)) + top
