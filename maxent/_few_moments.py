r"""One density with a few moments on an interval: a lean Newton method.

Most calls of :func:`maxent.density` in practice (and PyMaxEnt's cases) are one problem
with three to eight moments on a bounded interval and no prior.  For those the general
machinery (exact conversion of the moments, realizability tests in ball arithmetic,
:func:`maxent.solve` on the nodes) costs far more than the answer.  This path works in
the standard variable :math:`z = (x - c)/h \in [-1, 1]` with Chebyshev (or Legendre)
features on a Gauss-Legendre rule whose tables are computed once per size, converts
power moments in double precision, and minimises the dual

.. math:: \Gamma(\lambda) = \log \sum_i w_i e^{-\lambda \cdot \psi(z_i)} + \lambda \cdot c

by damped Newton steps.  The rule is doubled until the moments and :math:`\log Z` move by
less than ``tol / 2`` (the ``quadrature_error``), and the caller's own moments are
checked on the nodes at the end.  A density found this way has the moments, so they are
realizable; whenever the path does not meet the tolerance it returns None and the
general path (with its realizability tests and diagnostics) takes over.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._density_input import Spec
from ._density_result import DensityResult, Model, frozen
from ._moment_bases import (
    Basis,
    evaluate_family,
    family_coefficients,
    power_multipliers,
    standard_moments,
    starting_multipliers,
)
from ._quadrature import DEMap, gauss_legendre

__all__ = ["MAX_MOMENTS", "solve_few"]

#: problems with at most this many moments take this path
MAX_MOMENTS = 8
_MAX_LEVEL = 6  # up to 32 * 2^6 = 2048 nodes
_MAX_ITER = 60
_HALVINGS = 7  # a step cut below 1/64 of Newton's gives up


class _Table(NamedTuple):
    """A Gauss-Legendre rule on [-1, 1] and the features at its nodes (read-only)."""

    z: NDArray[np.float64]
    log_w: NDArray[np.float64]
    features: NDArray[np.float64]  # (N, K)


class _State(NamedTuple):
    """The dual at some multipliers: value, log Z and node probabilities."""

    lam: NDArray[np.float64]
    value: float
    log_z: float
    p: NDArray[np.float64]


@lru_cache(maxsize=64)
def _table(family: str, n: int, k: int) -> _Table:
    z, w = gauss_legendre(-1.0, 1.0, n)
    feats = evaluate_family(family, z, k)[:, 1:]
    for a in (z, w, feats):
        a.setflags(write=False)
    log_w = np.log(w)
    log_w.setflags(write=False)
    return _Table(z, log_w, feats)


def _state(table: _Table, targets: NDArray[np.float64], lam: NDArray[np.float64]) -> _State:
    a = table.log_w - table.features @ lam
    top = float(np.max(a))
    e = np.exp(a - top)
    total = float(np.sum(e))
    log_z = math.log(total) + top
    return _State(lam, log_z + float(lam @ targets), log_z, e / total)


def _newton(
    table: _Table, targets: NDArray[np.float64], start: _State, tol: float
) -> _State | None:
    """Damped Newton steps until every ``|E[psi_k] - c_k| <= tol max(1, |c_k|)``;
    None when a step has to be cut below 1/64 of Newton's first (the general path,
    with its globalisation, then takes over)."""
    cur = start
    limit = tol * np.maximum(1.0, np.abs(targets))
    f = table.features
    for _ in range(_MAX_ITER):
        m = cur.p @ f
        grad = targets - m
        if np.all(np.abs(grad) <= limit):
            return _polished(table, targets, cur, grad)
        step = _newton_step(f, cur.p, m, grad)
        if step is None:
            return None
        slope = float(grad @ step)
        t = 1.0
        for _ in range(_HALVINGS):
            trial = _state(table, targets, cur.lam + t * step)
            if trial.value <= cur.value + max(1e-4 * t * slope, 4e-16 * abs(cur.value)):
                break
            t *= 0.5
        else:  # Newton's model is far off: a rule too coarse for the density, or rounding
            return None
        cur = trial
    return None


def _newton_step(
    f: NDArray[np.float64],
    p: NDArray[np.float64],
    mean: NDArray[np.float64],
    grad: NDArray[np.float64],
) -> NDArray[np.float64] | None:
    """Newton's step ``-Cov_p(f)^-1 grad`` (None when the covariance is singular)."""
    centred = f - mean
    try:
        step: NDArray[np.float64] = np.linalg.solve((centred.T * p) @ centred, -grad)
    except np.linalg.LinAlgError:
        return None
    return step


def _polished(
    table: _Table, targets: NDArray[np.float64], cur: _State, grad: NDArray[np.float64]
) -> _State:
    """Up to two more full Newton steps from a state that meets the tolerance, each kept
    while it brings the largest moment error down: Newton converges quadratically there,
    so a step or two take the moments from the tolerance to rounding (a pass each)."""
    f = table.features
    worst = float(np.max(np.abs(grad), initial=0.0))
    for _ in range(2):
        if worst == 0.0:
            break
        step = _newton_step(f, cur.p, cur.p @ f, grad)
        if step is None:
            break
        trial = _state(table, targets, cur.lam + step)
        trial_grad = targets - trial.p @ f
        trial_worst = float(np.max(np.abs(trial_grad), initial=0.0))
        if not trial_worst < 0.5 * worst:
            break
        cur, grad, worst = trial, trial_grad, trial_worst
    return cur


def _moved(coarse: _Table, fine: _Table, sol: _State) -> float:
    """How far the moments (relative to ``max(1, |m|)``) and log Z move on the finer rule."""
    other = _state(fine, np.zeros_like(sol.lam), sol.lam)
    m, m2 = sol.p @ coarse.features, other.p @ fine.features
    moved = float(np.max(np.abs(m2 - m) / np.maximum(1.0, np.abs(m))))
    return max(moved, abs(other.log_z - sol.log_z))


def solve_few(
    spec: Spec, bounds: tuple[tuple[float, float], ...], units: tuple[str, ...], tol: float
) -> DensityResult | None:
    """The density, or None when this path does not apply or does not meet ``tol``."""
    k = spec.targets.size
    if len(bounds) != 1 or spec.kind == "features" or k > MAX_MOMENTS or spec.batch:
        return None
    lo, hi = bounds[0]
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    centre, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    family = "legendre" if spec.kind == "legendre" else "chebyshev"
    targets, start = _standard_targets(spec, family, centre, half)
    n0 = int(2 ** math.ceil(math.log2(k + 16)))
    table = _table(family, n0, k)
    sol = _better_start(table, targets, start)
    for level in range(_MAX_LEVEL):
        found = _newton(table, targets, sol, 0.05 * tol)
        finer = _table(family, n0 * 2 ** (level + 1), k)
        if found is None:  # too coarse a rule for the density, perhaps: afresh on the next
            table, sol = finer, _better_start(finer, targets, start)
            continue
        err = _moved(table, finer, found)
        if err <= 0.5 * tol:
            return _result(spec, bounds, units, tol, table, found, err, (family, centre, half))
        table, sol = finer, _state(finer, targets, found.lam)
    return None


def _better_start(
    table: _Table, targets: NDArray[np.float64], start: NDArray[np.float64]
) -> _State:
    """Of the Gaussian start and the uniform density, the one with the lower dual."""
    return min(
        (_state(table, targets, start), _state(table, targets, np.zeros(targets.size))),
        key=lambda s: s.value if math.isfinite(s.value) else math.inf,
    )


def _standard_targets(
    spec: Spec, family: str, centre: float, half: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Moments of the features in z, and the Gaussian start (uniform where wider)."""
    k = spec.targets.size
    if spec.kind != "power":
        return spec.targets.astype(np.float64), np.zeros(k)
    zm = standard_moments(spec.targets[None, :], np.array([centre]), np.array([half]))[0]
    targets = family_coefficients(family, k)[1:] @ zm
    var = zm[2] - zm[1] ** 2 if k > 1 else 0.0
    start = starting_multipliers(family, np.array(zm[1]), np.array(var), k)
    return targets, np.asarray(start, dtype=np.float64)


def _result(
    spec: Spec,
    bounds: tuple[tuple[float, float], ...],
    units: tuple[str, ...],
    tol: float,
    table: _Table,
    sol: _State,
    err: float,
    axis: tuple[str, float, float],
) -> DensityResult | None:
    family, centre, half = axis
    k = spec.targets.size
    x = centre + half * table.z
    user = x[:, None] ** np.arange(1, k + 1) if spec.kind == "power" else table.features
    p = sol.p
    moments = p @ user
    size = np.maximum(p @ np.abs(user), 1e-300)
    residual = float(np.max(np.abs(moments - spec.targets) / size))
    if residual > tol:
        return None
    centred = user - moments
    mult, offset = _user_multipliers(spec, family, sol.lam, centre, half)
    log_norm = sol.log_z + math.log(half)
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    lo, hi = bounds[0]
    dmap = DEMap.for_support(lo, hi, lo, hi - lo)
    exps = tuple((i,) for i in range(1, k + 1))
    model = Model(
        Basis((family,), (centre,), (half,), exps), frozen(sol.lam), frozen(np.array(log_norm)),
        None, bounds, np.array(0.0), np.array(1.0), (frozen(x),), frozen(log_p), None, dmap,
        dmap.t_range(1.0), np.array(min(0.25, 16.0 / x.size)), (x.size,),
    )  # fmt: skip
    message = (
        f"moments met to {residual:.2g} (tol = {tol:g}); quadrature error {err:.2g} on "
        f"{x.size} nodes."
    )
    return DensityResult(
        bounds, spec.kind, spec.names, frozen(spec.targets), frozen(moments), frozen(mult),
        float(log_norm + offset), residual, float(err), frozen((centred.T * p) @ centred),
        True, "converged", message, tol, int(x.size), units, model,
    )  # fmt: skip


def _user_multipliers(
    spec: Spec, family: str, lam: NDArray[np.float64], centre: float, half: float
) -> tuple[NDArray[np.float64], float]:
    r"""The caller's multipliers and the constant they leave in the exponent."""
    if spec.kind != "power":
        return lam.copy(), 0.0
    theta, offset = power_multipliers(lam[None, :], family, np.array([centre]), np.array([half]))
    return theta[0], float(offset[0])
