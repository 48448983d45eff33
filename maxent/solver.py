"""solve(): maximum entropy under linear moment constraints, by Newton's method on the dual.

The problem
    minimise KL(p || q)  subject to  sum_i p_i F[i, k] = b_k
has the solution p_i = q_i exp(-lambda . F_i) / Z(lambda), where lambda minimises the
convex dual Gamma(lambda) = log Z(lambda) + lambda . b, whose gradient is b - E_p[F] and
whose Hessian is Cov_p[F].  This module runs a globalised Newton iteration on Gamma in
coordinates scaled by each feature's spread, detects faces of the convex hull (targets
on its boundary) and infeasible targets by cheap certificates, with a linear program as
the last resort, and wraps the result.  All passes over F go through
:class:`maxent._moments.MomentEngine`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks, streaming
from ._moments import Evaluation, MomentEngine
from ._parallel import blas_limited
from .errors import ConvergenceWarning, InfeasibleTargetsError, InvalidInputError
from .result import MaxEntResult

__all__ = ["solve"]

_EPS = np.finfo(np.float64).eps
_NULL_EIG = 1e-12  # eigenvalue of the correlation matrix below which a direction is "flat"
_LP_AFTER = 40  # Newton steps without convergence before the linear-programming check
_RADIUS = 10.0  # initial trust radius, in prior standard deviations of the log-weights
_LP_TOL = 1e-9  # feasibility tolerance of the linear programs, in units of the spread


@dataclass
class _Problem:
    """Validated input and the bookkeeping shared by the stages of a solve."""

    engine: MomentEngine
    names: tuple[str, ...]
    from_mapping: bool
    spread: NDArray[np.float64]  # per-feature scale: std under the prior on the support
    magnitude: NDArray[np.float64]  # per-feature max |F| on the support (rounding scale)
    tol: float
    max_iter: int
    shift: NDArray[np.float64]  # the engine works with (F - shift) / scale
    scale: NDArray[np.float64]
    log_mass: float  # log of the prior's total weight on the support
    n_iter: int = 0
    lp_done: bool = False

    def label(self, name, k):
        return _checks.label(name, self.names, k, self.from_mapping)

    def user(self, k, value):
        """A value of feature k, from the engine's units back to the caller's."""
        return self.shift[k] + self.scale[k] * value

    def user_combo(self, d, value):
        """Direction d and a value of F' @ d, in the caller's units."""
        du = d / self.scale
        return du, value + float(du @ self.shift)

    def combo(self, d):
        """Human-readable linear combination sum_k d_k f_k of the named features."""
        scale = np.max(np.abs(d))
        terms = []
        for k in np.flatnonzero(np.abs(d) > 1e-8 * scale):
            terms.append(f"{d[k] / scale:+.3g}*{self.names[k]}")
        return " ".join(terms).lstrip("+") if terms else "0"

    def involved(self, d):
        scale = np.max(np.abs(d))
        return [self.names[k] for k in np.flatnonzero(np.abs(d) > 1e-8 * scale)]

    def dir_tol(self, d):
        """Tolerance on F @ d implied by the per-feature tolerance and by rounding."""
        a = np.abs(d)
        return float(self.tol * (a @ self.spread) + 64 * _EPS * (a @ self.magnitude))


def solve(
    features: ArrayLike,
    targets: ArrayLike | None = None,
    *,
    prior: ArrayLike | None = None,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    sigma: ArrayLike | None = None,
    initial_multipliers: ArrayLike | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
    chunk_size: int | None = None,
    names: Sequence[str] | None = None,
) -> MaxEntResult:
    r"""Maximum-entropy distribution that matches linear moment constraints.

    Minimises :math:`\mathrm{KL}(p\,\|\,q)` (maximises the entropy when the prior
    :math:`q` is uniform) subject to :math:`\sum_i p_i F_{ik} = b_k`, by Newton's method
    on the convex dual :math:`\Gamma(\lambda) = \log Z(\lambda) + \lambda \cdot b`.  The
    solution is :math:`p_i = q_i e^{-\sum_k \lambda_k F_{ik}} / Z(\lambda)`.

    Parameters
    ----------
    features : array_like, shape (n_states, n_constraints), or mapping
        Constraint functions evaluated on each state, :math:`F_{ik}`; a 1-D array is one
        constraint.  A mapping ``name -> column`` names the constraints (the names flow
        into the result and its xarray form).  For state spaces beyond memory (see
        :mod:`maxent.streaming`): a dask array chunked along the state axis (or a mapping
        of dask columns), solved by one ``dask.compute`` per pass (on a
        ``distributed.Client``'s cluster when one is active); or a *chunk source*, a
        callable returning a fresh iterable of ``(features_chunk, prior_chunk)`` pairs
        (``prior_chunk`` None for a uniform prior) on every call, one call per pass, or an
        object whose ``__iter__`` starts again each time.  Lazy input is validated chunk
        by chunk in the first pass (messages name the global state index).
    targets : array_like or mapping, shape (n_constraints,), optional
        Required averages :math:`b_k` (a mapping with the names of ``features``).  May be
        omitted when ``lower``/``upper`` are given.
    prior : array_like, shape (n_states,), optional
        Reference measure :math:`q` (need not be normalised); states of weight 0 are
        outside the support.  Uniform by default.  May be a dask array (with dask
        ``features``); a chunk source yields its prior with its chunks instead.
    lower, upper : array_like or mapping, shape (n_constraints,), optional
        Inequality constraints :math:`\mathrm{lower}_k \le E_p[F_k] \le \mathrm{upper}_k`
        (``-inf``/``+inf`` where a side is open), instead of ``targets``.
    sigma : array_like or mapping, shape (n_constraints,), optional
        Standard deviation of each target, for noisy moments: the constraint is relaxed by
        a Gaussian penalty, the dual gains :math:`\tfrac12\sum_k \sigma_k^2\lambda_k^2` and
        the solution satisfies :math:`E_p[F_k] - b_k = \sigma_k^2 \lambda_k`.  0 keeps a
        constraint exact.
    initial_multipliers : array_like, shape (n_constraints,), optional
        Warm start for :math:`\lambda` (e.g. the solution of a neighbouring problem).
    tol : float
        Stopping rule: :math:`|E_p[F_k] - b_k| \le \mathrm{tol}\cdot s_k` for every
        constraint, with :math:`s_k` the standard deviation of feature ``k`` under the
        prior.  Targets within that distance of the edge of what the features allow are
        treated as on the edge.
    max_iter : int
        Most Newton steps.
    chunk_size : int, optional
        States per chunk in the passes over ``features`` (memory beyond ``features`` is a
        few chunks); chosen automatically by default.
    names : sequence of str, optional
        Constraint names for a chunk source or a dask array (default ``f0, f1, ...``);
        ``targets`` may then be a mapping by name.

    Returns
    -------
    MaxEntResult
        ``p``, ``multipliers``, ``log_Z``, ``entropy``, ``kl_divergence``, ``moments``,
        ``residual``, ``converged``, ``n_iter``, ``message`` and ``to_xarray()``.  For
        dask input ``p`` is a lazy dask array chunked like ``features``; for a chunk
        source it is a :class:`maxent.streaming.StreamedProbabilities`, a function of the
        states that stores nothing per state.

    Raises
    ------
    InvalidInputError
        NaN or inf in ``features``, ``prior``, ``targets`` or ``sigma``; negative prior
        weights; an empty support; shapes or names that do not match; ``targets`` given
        together with bounds, or neither.
    InfeasibleTargetsError
        No distribution on the support meets the constraints: a target outside its
        feature's range, linearly dependent constraints with inconsistent targets, or
        targets outside the convex hull of the states' feature vectors.  The message
        names the constraints involved.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` Newton steps do not meet ``tol``; ``converged`` is then False.

    Notes
    -----
    Sign convention: :math:`p \propto q\, e^{-\lambda \cdot F}`, so for a single energy
    constraint the multiplier is :math:`\beta = 1/k_B T`.

    Targets on the boundary of the convex hull of the feature vectors (a die's mean equal
    to 6, a mean energy equal to the ground-state energy) give the limiting distribution,
    supported on the face they touch; the multipliers that diverge there are reported as
    ``+inf`` or ``-inf``, and ``log_Z`` is then that of the face.  Linearly dependent but
    consistent constraints are solved; their multipliers are the minimum-norm choice.

    Examples
    --------
    >>> import maxent
    >>> res = maxent.solve([[0.0], [1.0]], [0.25])
    >>> res.p
    array([0.75, 0.25])
    >>> round(float(res.multipliers[0]), 6)  # log 3
    1.098612
    >>> maxent.solve({"face": [1, 2, 3, 4, 5, 6]}, {"face": 6.0}).p
    array([0., 0., 0., 0., 0., 1.])
    """
    # One level of parallelism: maxent's worker threads (see maxent._parallel), with BLAS
    # single-threaded throughout, also for the small dense algebra of the Newton steps
    # (a team of BLAS threads on m x m matrices costs more than it gains, above all on a
    # busy machine).
    with blas_limited(1):
        return _solve(features, targets, prior, lower, upper, sigma, initial_multipliers,
                      tol, max_iter, chunk_size, names)


def _solve(features, targets, prior, lower, upper, sigma, initial_multipliers, tol,
           max_iter, chunk_size, names):
    if chunk_size is not None and (int(chunk_size) != chunk_size or chunk_size < 1):
        raise InvalidInputError(f"`chunk_size` must be a positive integer; got {chunk_size}.")
    engine, names, from_mapping = _make_engine(features, prior, chunk_size, names)
    m = engine.m
    if lower is None and upper is None:
        if targets is None:
            raise InvalidInputError(
                "give `targets`, or bounds `lower`/`upper` for inequality constraints."
            )
        b = _checks.constraint_vector(targets, "targets", names, from_mapping)
        b_user = b
        lo = hi = None
    else:
        if targets is not None:
            raise InvalidInputError(
                "give either `targets` (equality constraints) or `lower`/`upper` "
                "(inequality constraints), not both."
            )
        if sigma is not None:
            raise InvalidInputError("`sigma` applies to `targets`, not to `lower`/`upper`.")
        inf = np.full(m, np.inf)
        lo = -inf if lower is None else _checks.constraint_vector(
            lower, "lower", names, from_mapping, allow_inf=True)
        hi = inf if upper is None else _checks.constraint_vector(
            upper, "upper", names, from_mapping, allow_inf=True)
        for k in range(m):
            if lo[k] > hi[k] or lo[k] == np.inf or hi[k] == -np.inf:
                raise InvalidInputError(
                    f"`{_checks.label('lower', names, k, from_mapping)}` = {lo[k]} and "
                    f"`{_checks.label('upper', names, k, from_mapping)}` = {hi[k]} leave "
                    "no room: need lower <= upper, lower < inf and upper > -inf."
                )
        b = None
    sigma2 = np.zeros(m)
    if sigma is not None:
        sig = _checks.constraint_vector(sigma, "sigma", names, from_mapping)
        if np.any(sig < 0):
            k = int(np.argmax(sig < 0))
            raise InvalidInputError(
                f"`{_checks.label('sigma', names, k, from_mapping)}` must be >= 0; got {sig[k]}."
            )
        sigma2 = sig**2
    sigma2_user = sigma2
    lam0 = np.zeros(m)
    if initial_multipliers is not None:
        lam0 = _checks.constraint_vector(
            initial_multipliers, "initial_multipliers", names, from_mapping)
    if not (np.isfinite(tol) and tol > 0):
        raise InvalidInputError(f"`tol` must be a positive number; got {tol}.")
    if int(max_iter) != max_iter or max_iter < 0:
        raise InvalidInputError(f"`max_iter` must be a non-negative integer; got {max_iter}.")

    # First pass: prior moments, covariance and per-feature ranges over the support.
    eye = np.eye(m)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ev0 = engine.evaluate(np.zeros(m), directions=eye)
    if not all(np.all(np.isfinite(x)) for x in (ev0.dir_min, ev0.dir_max, ev0.log_Z)):
        # A NaN or inf anywhere in F reaches these; find and name it.
        engine.validate()
    shift, scale = _affine_map(ev0)
    if shift is not None:
        # Large offsets or extreme magnitudes: work with (F - shift) / scale instead, so the
        # log-weights and second moments keep full precision.  Targets follow the features.
        engine.set_transform(shift, scale)
        ev0 = engine.evaluate(np.zeros(m), directions=eye)
        b = None if b is None else (b - shift) / scale
        lo = None if lo is None else (lo - shift) / scale
        hi = None if hi is None else (hi - shift) / scale
        sigma2 = np.minimum(np.sqrt(sigma2) / scale, 1e150) ** 2
        lam0 = lam0 * scale
    fmin, fmax = ev0.dir_min, ev0.dir_max
    std = np.sqrt(np.clip(np.diag(ev0.cov), 0.0, None))
    magnitude = np.maximum(np.abs(fmin), np.abs(fmax))
    width = fmax - fmin
    spread = np.where(std > 64 * _EPS * magnitude, std, np.where(width > 0, width, 1.0))
    prob = _Problem(engine, names, from_mapping, spread, magnitude, float(tol), int(max_iter),
                    np.zeros(m) if shift is None else shift,
                    np.ones(m) if scale is None else scale, ev0.log_Z)

    if b is not None:
        out = _solve_equalities(prob, b, sigma2, np.arange(m), lam0, ev0)
        targets_out = b_user
    else:
        out, targets_out = _solve_bounds(prob, lo, hi, lam0, ev0)

    return _finish(prob, out, targets_out, b is not None, sigma2_user, lo, hi)


def _make_engine(features, prior, chunk_size, names):
    """The back end for ``features``: in memory, dask array, or chunk source.

    Returns ``(engine, names, from_mapping)``.  In-memory input is validated here; lazy
    input (dask arrays, chunk sources) by the engine's first pass, chunk by chunk.
    """
    if streaming.is_lazy(features):
        return streaming.open_lazy(features, prior, chunk_size, names)
    if names is not None:
        raise InvalidInputError(
            "`names` is for chunk sources and dask arrays; name the columns of an in-memory "
            "`features` with a mapping name -> column."
        )
    # Finiteness of F is checked from the first pass's sums (see solve), not by a pass here.
    F, names, from_mapping = _checks.feature_matrix(features, check=False)
    n = F.shape[0]
    log_prior = None
    if prior is not None:
        q = _checks.as_float_array(prior, "prior", ndim=1)
        if q.shape[0] != n:
            raise InvalidInputError(
                f"`prior` has {q.shape[0]} entries but `features` has {n} rows (one per state)."
            )
        _checks.check_nonnegative(q, "prior")
        if not np.any(q > 0):
            raise InvalidInputError("`prior` is zero everywhere: the support is empty.")
        with np.errstate(divide="ignore"):
            log_prior = np.log(q)
    return MomentEngine(F, log_prior, chunk_size), names, from_mapping


def _affine_map(ev0):
    """(shift, scale) that bring every feature to O(1) values, or (None, None) if not needed.

    Needed when a feature's mean is large compared with its spread (second moments would
    cancel) or when its magnitude is extreme (squares would overflow or underflow).
    ``scale`` is a power of two, so dividing by it is exact.
    """
    fmin, fmax = ev0.dir_min, ev0.dir_max
    if fmin.size == 0:
        return None, None
    var = np.diag(ev0.cov)
    magnitude = np.maximum(np.abs(fmin), np.abs(fmax))
    half = fmax / 2 - fmin / 2
    tiny = (magnitude > 0) & (magnitude < 1e-100)
    with np.errstate(invalid="ignore"):
        offset = np.abs(ev0.mean) > 1e4 * np.sqrt(np.clip(var, 0, None))
    bad = ~np.isfinite(var) | ~np.isfinite(ev0.mean) | (magnitude > 1e100) | tiny
    if not np.any(bad | (offset & (half > 0))):
        return None, None
    shift = fmin / 2 + fmax / 2
    scale = np.where(half > 0, 2.0 ** np.round(np.log2(np.where(half > 0, half, 1.0))), 1.0)
    return shift, scale


@dataclass
class _Outcome:
    lam: NDArray[np.float64]  # finite part of the multipliers
    inf_sign: NDArray[np.float64]  # +1 / -1 where a multiplier diverges
    ev: Evaluation  # evaluation at lam on the final support
    converged: bool
    message: str


def _with_infinities(lam, inf_sign):
    """The reported multipliers: +-inf where the solution is a limit, else the finite part."""
    return np.where(inf_sign != 0, np.copysign(np.inf, inf_sign), lam)


def _solve_equalities(prob, b, sigma2, J, lam0, ev_prior):
    """Equality (and noisy) constraints J; the others keep multiplier 0.

    Alternates between face discovery (ranges, dependent constraints, certificates) and
    Newton's method on the remaining constraints, until Newton converges.
    """
    eng = prob.engine
    m = eng.m
    eye = np.eye(m)
    free = [int(k) for k in J]
    inf_sign = np.zeros(m)
    lam = np.zeros(m)
    lam[free] = lam0[free]
    ev0 = ev_prior
    first = True
    while True:
        if not first:
            ev0 = eng.evaluate(np.zeros(m), directions=eye)
        first = False
        exact = [k for k in free if sigma2[k] == 0]
        const = [k for k in exact if ev0.dir_max[k] - ev0.dir_min[k] <= prob.dir_tol(eye[k])]
        face = _check_ranges(prob, b, exact, ev0)
        if face is not None:
            k, sign = face
            bound = ev0.dir_min[k] if sign > 0 else -ev0.dir_max[k]
            lam = _record_face(prob, sign * eye[k], inf_sign, lam, bound)
            continue
        for k in const:  # constant on the support and equal to its target: no role left
            free.remove(k)
        exact = [k for k in exact if k not in const]
        lam[[k for k in range(m) if k not in free]] = 0.0
        null = _flat_directions(prob, b, exact, ev0)
        if isinstance(null, tuple):  # a face along a dependent combination
            lam = _record_face(prob, null[0], inf_sign, lam)
            continue
        basis = _reduced_basis(prob, free, null, ev0)
        status, lam, ev, d = _newton(prob, b, sigma2, free, exact, basis, lam, ev0)
        if status == "face":
            for direction, margin in d:
                lam = _record_face(prob, direction, inf_sign, lam, margin=margin)
            continue
        converged = status == "converged"
        if converged:
            msg = f"converged in {prob.n_iter} Newton steps"
        elif status == "stalled":
            msg = (f"stopped after {prob.n_iter} Newton steps: the line search could not "
                   "decrease the dual any further (rounding limits the accuracy)")
        else:
            msg = f"stopped after {prob.n_iter} Newton steps (max_iter = {prob.max_iter})"
        if np.any(inf_sign != 0):
            msg += "; targets on the boundary of the feasible set: the solution is the limit"
            msg += " supported on the face they touch"
        # Report the minimum-norm finite part: remove components along flat directions.
        if null.shape[1]:
            ls = lam * prob.spread
            ls = ls - null @ (null.T @ ls)
            lam = ls / prob.spread
        return _Outcome(lam, inf_sign, ev, converged, msg)


def _record_face(prob, d, inf_sign, lam, dmin=None, margin=0.0):
    """Restrict the support to the face minimising F @ d; lambda -> lambda + inf * d.

    Returns ``lam`` without its component along ``d`` (constant on the face, it would
    only cost precision in the log-weights).
    """
    eng = prob.engine
    if dmin is None:
        dmin = float(eng.project_ranges(d[:, None])[0][0])
    eng.add_face(d, dmin + max(prob.dir_tol(d), margin))
    prob.lp_done = False
    big = np.abs(d) > 1e-8 * np.max(np.abs(d))
    new = big & (inf_sign == 0)
    inf_sign[new] = np.sign(d[new])
    u = d * prob.spread
    u = u / np.linalg.norm(u)
    ls = lam * prob.spread
    return (ls - u * (u @ ls)) / prob.spread


def _check_ranges(prob, b, exact, ev0):
    """Per-feature range test: raise for a target outside, return a face (k, sign) if on an end."""
    for k in exact:
        lo, hi = ev0.dir_min[k], ev0.dir_max[k]
        t = prob.dir_tol(np.eye(prob.engine.m)[k])
        if b[k] < lo - t or b[k] > hi + t:
            raise InfeasibleTargetsError(
                f"`{prob.label('targets', k)}` = {prob.user(k, b[k]):.10g} is outside "
                f"[{prob.user(k, lo):.10g}, {prob.user(k, hi):.10g}], the range of "
                f"`features[:, {k}]`"
                + (f" ('{prob.names[k]}')" if prob.from_mapping else "")
                + " over the states in the support: no distribution reaches it."
            )
        if hi - lo <= t:
            continue
        if b[k] <= lo + t:
            return k, 1.0
        if b[k] >= hi - t:
            return k, -1.0
    return None


def _flat_directions(prob, b, exact, ev0):
    """Linearly dependent exact constraints.

    Returns the orthonormal (scaled) null vectors to project out of Newton's method, or
    ``(d, 'face')`` when the targets sit on the end of a dependent combination's range.
    Raises when dependent constraints have inconsistent targets.
    """
    m = prob.engine.m
    if len(exact) < 2:
        return np.zeros((m, 0))
    s = prob.spread[exact]
    corr = ev0.cov[np.ix_(exact, exact)] / np.outer(s, s)
    w, v = np.linalg.eigh(corr)
    flat = w < _NULL_EIG * max(1.0, float(w[-1]))
    if not np.any(flat):
        return np.zeros((m, 0))
    cand = v[:, flat]
    if cand.shape[1] > 1:
        # Several tiny eigenvalues: at this noise level the eigenvectors mix exactly
        # constant combinations with merely narrow ones.  Separate them with the
        # covariance of the projected features (one more pass, no cancellation).
        vs = np.zeros((m, cand.shape[1]))
        vs[exact, :] = cand / s[:, None]
        _, u = np.linalg.eigh(prob.engine.projected_covariance(vs, ev0.mean))
        cand = cand @ u
    vs = np.zeros((m, cand.shape[1]))
    vs[exact, :] = cand
    dirs = vs / prob.spread[:, None]  # directions in multiplier units
    dmin, dmax = prob.engine.project_ranges(dirs)
    null = []
    for j in range(dirs.shape[1]):
        d = dirs[:, j]
        t = prob.dir_tol(d)
        target = float(b @ d)
        if target < dmin[j] - t or target > dmax[j] + t:
            du, lo_u = prob.user_combo(d, dmin[j])
            hi_u = prob.user_combo(d, dmax[j])[1]
            tu = prob.user_combo(d, target)[1]
            norm = np.max(np.abs(du))
            raise InfeasibleTargetsError(
                f"constraints {prob.involved(du)} are linearly dependent on the support: "
                f"{prob.combo(du)} lies in [{lo_u / norm:.10g}, {hi_u / norm:.10g}] on every "
                f"state, but the targets give {tu / norm:.10g}; the targets are inconsistent."
            )
        if dmax[j] - dmin[j] <= t:
            null.append(vs[:, j])
        elif target <= dmin[j] + t:
            return d, "face"
        elif target >= dmax[j] - t:
            return -d, "face"
    return np.array(null).T if null else np.zeros((m, 0))


def _reduced_basis(prob, free, null, ev0):
    """Coordinates for Newton's method: whitened under the prior, flat directions removed.

    Columns span the free constraints (in scaled coordinates) orthogonally to the null
    vectors, and are scaled so that the prior covariance is the identity in them.  Newton's
    step does not depend on the coordinates, but its regularisation of tiny curvatures
    does: whitening keeps nearly dependent constraints (a combination with a tiny but
    non-zero spread) from being mistaken for flat ones.
    """
    m = prob.engine.m
    e = np.zeros((m, len(free)))
    e[free, np.arange(len(free))] = 1.0
    if null is not None and null.shape[1]:
        proj = e - null @ (null.T @ e)
        u, sv, _ = np.linalg.svd(proj, full_matrices=False)
        e = u[:, sv > 0.5]
    if e.shape[1] == 0:
        return e
    s = prob.spread
    corr = e.T @ (ev0.cov / np.outer(s, s)) @ e
    w, v = np.linalg.eigh(0.5 * (corr + corr.T))
    w = np.maximum(w, 1e-16 * max(float(w[-1]), 1e-300))
    return e @ (v / np.sqrt(w))


def _dual_value(ev, lam, b, sigma2, free):
    lf = lam[free]
    return ev.log_Z + float(lf @ b[free]) + 0.5 * float(sigma2[free] @ lf**2)


def _residuals(prob, ev, lam, b, sigma2, free):
    """Per-constraint violation of the optimality condition, in units of the spread."""
    r = ev.mean[free] - b[free] - sigma2[free] * lam[free]
    return np.abs(r) / prob.spread[free]


def _newton(prob, b, sigma2, free, exact, basis, lam, ev0):
    """Damped Newton on the dual over the free constraints.

    Returns (status, lam, evaluation, faces) with status one of "converged", "face"
    (faces: list of (direction d, margin): the targets touch the face minimising F @ d),
    "stalled" or "max_iter".  Raises InfeasibleTargetsError on a certificate of
    infeasibility.

    Globalisation: a trust radius on the step, measured in coordinates whitened under the
    prior (where one unit moves the log-weights by about one standard deviation), with a
    backtracking line search inside it.  The radius grows after steps the quadratic model
    predicted well and shrinks after poor ones.
    """
    eng = prob.engine
    m = eng.m
    s = prob.spread
    ex_mask = np.zeros(m, dtype=bool)
    ex_mask[exact] = True
    if not free:
        return "converged", lam, eng.evaluate(lam, hessian=False), None
    # The prior pass was at lam = 0 on this very support: reuse it as the first step.
    ev = ev0 if not np.any(lam) else eng.evaluate(lam)
    stuck = 0  # consecutive full steps that changed the dual only by rounding
    rmax_prev = np.inf
    edge = np.inf  # where b sits in the range of F @ d for the last Newton direction d
    center = None  # second moments about this point once p is concentrated
    radius = _RADIUS
    hr = None  # Hessian in the reduced coordinates, from the last full evaluation
    contraction = 1.0  # residual after / before the last step
    while True:
        res = _residuals(prob, ev, lam, b, sigma2, free)
        rmax = float(np.max(res)) if res.size else 0.0
        if rmax <= prob.tol:
            if edge < 1e-6 and exact and not prob.lp_done:
                # Converged with the step pointing at the edge of the hull: the target may
                # be exactly on a face, reached only in the limit.  The LP decides.
                prob.lp_done = True
                faces = _lp_check(prob, b, exact)
                if faces is not None:
                    return "face", lam, ev, faces
            return "converged", lam, ev, None
        if stuck >= 2 and rmax > 0.5 * rmax_prev:
            # Full steps change the dual only by rounding and the residual no longer
            # shrinks: the precision floor of this problem in float64.
            return "stalled", lam, ev, None
        contraction = rmax / rmax_prev if np.isfinite(rmax_prev) else 1.0
        rmax_prev = rmax
        if prob.n_iter >= prob.max_iter:
            return "max_iter", lam, ev, None
        if prob.n_iter >= _LP_AFTER and not prob.lp_done and exact:
            prob.lp_done = True
            faces = _lp_check(prob, b, exact)
            if faces is not None:
                return "face", lam, ev, faces
        if ev.cov is None and (hr is None or contraction > 0.25):
            # The last step, taken with an older Hessian, did not contract well: refresh.
            ev = eng.evaluate(lam, center=center)
        if ev.cov is not None and _cancels(ev, center, free):
            # Concentrated p: E[FF] - E[F]E[F] about the old center would cancel; take the
            # second moments about the current mean instead (from now on).
            center = ev.mean.copy()
            ev = eng.evaluate(lam, center=center)
        if center is not None:
            center = ev.mean.copy()
        # Newton direction in scaled coordinates mu = lam * s, on the (whitened) basis.
        g = (b - ev.mean + sigma2 * lam) / s
        g[[k for k in range(m) if k not in free]] = 0.0
        if ev.cov is not None:
            h = ev.cov / np.outer(s, s) + np.diag(sigma2 / s**2)
            hr = basis.T @ h @ basis
        gr = basis.T @ g
        w, v = np.linalg.eigh(hr)
        floor = max(float(w[-1]), 1e-300) * 1e-14
        coef = (v.T @ gr) / np.maximum(w, floor)
        length = float(np.linalg.norm(coef))
        if length > radius:
            coef *= radius / length
        step_r = -(v @ coef)
        d = (basis @ step_r) / s  # multiplier units
        slope = float((g * s) @ d)
        if not slope < 0:  # rounding: no descent direction left
            return "stalled", lam, ev, None
        curvature = float(step_r @ hr @ step_r)
        f0 = _dual_value(ev, lam, b, sigma2, free)
        # Rounding level of the dual: log Z and lambda . b are each about |lambda| |F|.
        noise = 64 * _EPS * (max(1.0, abs(f0)) + float(np.abs(lam) @ prob.magnitude))
        cert = np.where(ex_mask, d, 0.0)
        dirs = np.column_stack([cert, np.where(ex_mask, lam, 0.0)])
        # Skip the covariance (most of a pass's cost) at the trial point when the Hessian
        # will still be good there: Newton is contracting fast, or the step is short (in
        # whitened units the Hessian changes by about the step length).  If the next step
        # then contracts poorly, the Hessian is refreshed at that point.
        light = rmax < 0.1 * np.sqrt(prob.tol) or (
            ev.cov is not None and length <= radius and (contraction < 0.1 or length < 0.3))
        t = 1.0
        accepted = None
        for _ in range(60):
            lt = lam + t * d
            et = eng.evaluate(lt, hessian=not light, directions=dirs, center=center)
            ft = _dual_value(et, lt, b, sigma2, free)
            suspect = _certificates(prob, b, dirs, et)
            if suspect is not None and not prob.lp_done:
                # The certificate suggests a face; its exact normal comes from an LP.
                prob.lp_done = True
                faces = _lp_check(prob, b, exact)
                if faces is not None:
                    return "face", lt, et, faces
            if ft <= f0 + 1e-4 * t * slope + noise:
                accepted = (lt, et)
                break
            # Safeguarded quadratic interpolation of the dual along the step.
            denom = 2.0 * (ft - f0 - t * slope)
            t_new = -slope * t * t / denom if denom > 0 else 0.1 * t
            t = float(np.clip(t_new, 0.1 * t, 0.5 * t))
        prob.n_iter += 1
        if accepted is None:
            return "stalled", lam, ev, None
        predicted = -(t * slope + 0.5 * t * t * curvature)
        ratio = (f0 - ft) / predicted if predicted > noise else 1.0
        taken = t * min(length, radius)
        if ratio > 0.75 and t == 1.0 and length >= 0.99 * radius:
            radius *= 4.0
        elif ratio < 0.25:
            radius = max(0.25 * taken, 1e-8)
        at_floor = t == 1.0 and abs(ft - f0) <= noise
        stuck = stuck + 1 if at_floor else 0
        lam, ev = accepted
        width = ev.dir_max[0] - ev.dir_min[0]
        if np.any(cert) and width > 0:
            edge = (float(b @ cert) - ev.dir_min[0]) / width


def _cancels(ev, center, free):
    """Whether Cov = E[FF] - E[F]E[F] (about center) lost more than ~6 digits."""
    var = np.diag(ev.cov)[free]
    off = (ev.mean if center is None else ev.mean - center)[free]
    return bool(np.any(off**2 > 1e6 * np.maximum(var, 1e-300)))


def _certificates(prob, b, dirs, ev):
    """Infeasibility or face certificates from the ranges of F @ d computed in the pass.

    For any direction d, a feasible target satisfies b . d >= min_i F_i . d.  A target
    below that is infeasible; one within tolerance of it lies on the face minimising F . d.
    """
    for j in range(dirs.shape[1]):
        d = dirs[:, j]
        if not np.any(d):
            continue
        t = prob.dir_tol(d)
        gap = float(b @ d) - ev.dir_min[j]
        if gap < -t:
            _raise_outside_hull(prob, d, float(b @ d), ev.dir_min[j])
        if gap <= t and ev.dir_max[j] - ev.dir_min[j] > t:
            return d
    return None


def _raise_outside_hull(prob, d, target, bound):
    du, bound_u = prob.user_combo(d, bound)
    target_u = prob.user_combo(d, target)[1]
    norm = np.max(np.abs(du))
    raise InfeasibleTargetsError(
        "the targets lie outside the convex hull of the feature vectors of the states in "
        f"the support: every state has {prob.combo(du)} >= {bound_u / norm:.10g}, "
        f"but the targets give {target_u / norm:.10g}; constraints "
        f"{prob.involved(du)} cannot be met together."
    )


def _lp_check(prob, b, exact):
    """Decide, by linear programming, whether the targets are infeasible or on a face.

    Cutting planes over the states: each linear program has one variable per constraint
    and a growing subset of the states as rows; one pass over F finds the states that
    violate the current solution.  Returns a face direction, or None for an interior
    target; raises for infeasible targets.
    """
    from scipy.optimize import linprog

    eng = prob.engine
    m = eng.m
    s = prob.spread[exact]
    bx = b[exact]
    rng = np.random.default_rng(0)
    probe = np.zeros((m, 2 * len(exact) + 4))
    probe[exact, : len(exact)] = np.diag(1 / s)
    probe[exact, len(exact): 2 * len(exact)] = -np.diag(1 / s)
    probe[exact, 2 * len(exact):] = rng.standard_normal((len(exact), 4)) / s[:, None]
    rows = eng.extreme_rows(probe)  # feature vectors of a few states, grown by cutting planes

    def cutting_plane(objective, margin_var):
        nonlocal rows
        for _ in range(100):
            g = (rows[:, exact] - bx) / s
            k = len(exact)
            if margin_var:  # max t  s.t.  g_i . d >= t
                c = np.r_[np.zeros(k), -1.0]
                a_ub = np.column_stack([-g, np.ones(len(g))])
                bounds = [(-1, 1)] * k + [(None, 1)]
            else:  # max objective . d  s.t.  g_i . d >= 0
                c = -objective
                a_ub = -g
                bounds = [(-1, 1)] * k
            lp = linprog(c, A_ub=a_ub, b_ub=np.zeros(len(g)), bounds=bounds, method="highs",
                         options={"primal_feasibility_tolerance": 1e-10,
                                  "dual_feasibility_tolerance": 1e-10})
            if lp.status != 0:  # pragma: no cover - HiGHS failure
                return None, None
            dvec = lp.x[:k]
            level = lp.x[k] if margin_var else 0.0
            dl = np.zeros(m)
            dl[exact] = dvec / s
            val, cand = eng.lowest_rows(dl, float(b @ dl), 4 * k + 4)
            viol = cand[val < level - 1e-12]
            grown = np.unique(np.vstack([rows, viol]), axis=0)
            if viol.shape[0] == 0 or grown.shape[0] == rows.shape[0]:
                return dl, (-lp.fun if not margin_var else level)
            rows = grown
        return None, None  # pragma: no cover

    d, margin = cutting_plane(None, True)
    if d is None:  # pragma: no cover
        return None
    if margin > prob.dir_tol(d):
        dmin, _ = eng.project_ranges(d[:, None])
        _raise_outside_hull(prob, d, float(b @ d), float(dmin[0]))
    # Feasible: is the target on a proper face?  max E_q[F - b] . d over d with F_i . d >= b . d.
    # An optimal vertex may keep some states of a larger face, so repeat on the face found
    # until the target is in the relative interior.
    faces = []
    saved = list(eng.faces)
    for _ in range(m + 1):
        ev_q = eng.evaluate(np.zeros(m), hessian=False)
        objective = (ev_q.mean[exact] - bx) / s
        d, value = cutting_plane(objective, False)
        if d is None or value <= prob.dir_tol(d):
            break
        # States within the LP's own tolerance of the supporting hyperplane are on the face.
        margin = max(prob.dir_tol(d), _LP_TOL * float(np.abs(d) @ prob.spread))
        faces.append((d, margin))
        eng.add_face(d, float(b @ d) + margin)
        rows = rows[rows @ d <= float(b @ d) + margin]
    eng.faces = saved
    return faces or None


def _solve_bounds(prob, lo, hi, lam0, ev0):
    """Inequality constraints lower <= E[F] <= upper by an active-set loop over equalities."""
    m = prob.engine.m
    state = np.zeros(m, dtype=int)  # 0 inactive, +1 at upper, -1 at lower, 2 equality
    state[lo == hi] = 2
    b = np.where(lo == hi, lo, 0.0)
    sigma2 = np.zeros(m)
    lam = lam0.copy()
    base_faces = list(prob.engine.faces)
    for _ in range(4 * m + 4):
        active = np.flatnonzero(state != 0)
        b = np.where(state == 1, hi, np.where(state == -1, lo, b))
        prob.engine.faces = list(base_faces)
        lam = np.where(state != 0, lam, 0.0)
        out = _solve_equalities(prob, b, sigma2, active, lam, ev0)
        mean = out.ev.mean
        mult = _with_infinities(out.lam, out.inf_sign)
        t = prob.tol * prob.spread
        viol = np.where(state == 0, np.maximum(mean - hi, lo - mean) / prob.spread, -np.inf)
        wrong = np.where(state == 1, -mult, np.where(state == -1, mult, -np.inf))
        if np.max(viol, initial=-np.inf) > prob.tol:
            k = int(np.argmax(viol))
            state[k] = 1 if mean[k] - hi[k] > t[k] else -1
            lam = out.lam
            continue
        if np.max(wrong, initial=-np.inf) > 0:
            k = int(np.argmax(wrong))
            state[k] = 0
            lam = out.lam
            continue
        targets = np.where(state == 1, hi, np.where(state == -1, lo, np.where(state == 2, lo,
                                                                              mean)))
        return out, targets
    raise InfeasibleTargetsError(  # pragma: no cover - cycling active set
        "the active-set iteration for `lower`/`upper` did not settle; check the bounds."
    )


def _finish(prob, out, targets, user_targets, sigma2, lo, hi):
    """Assemble the result in the caller's units (targets already are when user_targets)."""
    eng = prob.engine
    ev = out.ev
    shift, scale = prob.shift, prob.scale
    engine_targets = (targets - shift) / scale if user_targets else targets
    rel = np.max(np.abs(ev.mean - engine_targets) / prob.spread, initial=0.0)
    p, entropy, cross = eng.finalize(ev)
    log_z = ev.log_Z - prob.log_mass  # normalised prior: log Z = 0 at lambda = 0
    lam = out.lam
    mean = ev.mean
    if eng.shift is not None:  # back from the engine's units to the caller's
        log_z -= float((lam / scale) @ shift)
        lam = lam / scale
        mean = shift + scale * mean
        if not user_targets:
            targets = shift + scale * targets
        lo = None if lo is None else shift + scale * lo
        hi = None if hi is None else shift + scale * hi
    # KL(p || q / sum q) = sum p log p - sum p log q + log sum q  (q = 1 without a prior)
    entropy = max(float(entropy), 0.0)
    kl = max(-entropy - cross + prob.log_mass, 0.0)
    mult = _with_infinities(lam, out.inf_sign)
    viol = mean - targets - sigma2 * np.where(np.isfinite(mult), mult, 0.0)
    if lo is not None:
        viol = np.maximum(np.abs(viol), np.maximum(mean - hi, lo - mean))
    residual = float(np.max(np.abs(viol), initial=0.0))
    converged = out.converged
    if not converged:
        warnings.warn(
            f"solve() {out.message} with max |E_p[F] - b| = {residual:.3g} "
            f"({rel:.3g} of the features' spread) > tol = {prob.tol:g}; increase `max_iter`, "
            "loosen `tol`, or move `targets` away from the edge of what `features` allows.",
            ConvergenceWarning,
            stacklevel=4,
        )
    return MaxEntResult(
        p=p,
        multipliers=mult,
        log_Z=float(log_z),
        entropy=entropy,
        kl_divergence=kl,
        moments=mean.copy(),
        targets=np.asarray(targets, dtype=np.float64).copy(),
        residual=residual,
        converged=bool(converged),
        n_iter=int(prob.n_iter),
        message=out.message,
        constraint_names=prob.names,
        n_passes=int(eng.n_passes),
    )
