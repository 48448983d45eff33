"""solve(): maximum entropy under linear moment constraints, by Newton's method on the dual.

The problem
    minimise KL(p || q)  subject to  sum_i p_i F[i, k] = b_k
has the solution p_i = q_i exp(-lambda . F_i) / Z(lambda), where lambda minimises the
convex dual Gamma(lambda) = log Z(lambda) + lambda . b, whose gradient is b - E_p[F] and
whose Hessian is Cov_p[F].  This module validates the input, runs the
stages and wraps the result:

- :mod:`maxent._moments`: every pass over F (the moment engine: block source + executor);
- :mod:`maxent._faces`: faces of the convex hull (targets on its boundary, infinite
  multipliers) and infeasible targets, by cheap certificates, a linear program last;
- :mod:`maxent._newton`: the trust-region Newton loop on the dual;
- here: equality constraints (alternating faces and Newton), inequality constraints (an
  active set over equalities), and the result in the caller's units.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks, streaming
from ._faces import check_ranges, flat_directions, raise_no_common_state, record_face
from ._kernel import SCREEN_EXACT, PassRequest
from ._moments import EmptySupportError, Evaluation, MomentEngine
from ._newton import newton
from ._parallel import blas_limited
from ._problem import Problem
from .errors import ConvergenceWarning, InfeasibleTargetsError, InvalidInputError
from .result import MaxEntResult

__all__ = ["solve"]


def solve(
    features: ArrayLike | Mapping[str, ArrayLike] | Callable[[], Iterable[Any]],
    targets: ArrayLike | Mapping[str, ArrayLike] | None = None,
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
        Stopping rule: :math:`|E_p[F_k] - b_k| \le \mathrm{tol}\cdot s_k + 64\,\epsilon
        \max_i |F_{ik}|` for every constraint (:math:`\epsilon` the double-precision
        rounding unit), with :math:`s_k` the standard deviation of feature ``k`` under the
        prior on the support (its range when that is below :math:`10^{-6}` of the range;
        its magnitude when the feature is constant).  The same tolerance decides
        feasibility: targets within it of the edge of what the features allow are treated
        as on the edge, targets beyond it outside are infeasible.
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
        ``residual``, ``converged``, ``n_iter``, ``message``, ``covariance``, ``status``
        and ``to_xarray()``.  For dask input ``p`` is a lazy dask array chunked like
        ``features``; for a chunk source it is a
        :class:`maxent.streaming.StreamedProbabilities`, a function of the states that
        stores nothing per state.  The result is a value: it keeps no reference to
        ``features`` (``covariance`` is computed during the solve, in its last pass).

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

    Any finite features work, from subnormal numbers to the largest floats: the solver
    maps each feature by a power of two (exactly) and an offset.  The multipliers are
    reported in the caller's units; for features near the subnormal range they can
    exceed the float range and are then reported as ``+-inf`` although the solution is
    interior (``p`` and the moments are exact).  Nearly collinear features with targets
    close to a vertex need multipliers that cancel to many digits; when rounding of the
    log-weights then keeps the residual above ``tol``, the result has ``converged=False``
    and a :class:`~maxent.errors.ConvergenceWarning` says so.

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
        return _solve(
            features,
            targets,
            prior,
            lower,
            upper,
            sigma,
            initial_multipliers,
            tol,
            max_iter,
            chunk_size,
            names,
        )


_SINGLE_MIN_M = 64  # from this many constraints the prior pass tries single precision


def _solve(
    features,
    targets,
    prior,
    lower,
    upper,
    sigma,
    initial_multipliers,
    tol,
    max_iter,
    chunk_size,
    names,
):
    tol = _checks.real_number(tol, "tol", minimum=0.0, strict=True)
    max_iter = _checks.integer(max_iter, "max_iter", minimum=0)
    chunk_size = _checks.integer(chunk_size, "chunk_size", minimum=1, allow_none=True)
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
        lo = (
            -inf
            if lower is None
            else _checks.constraint_vector(lower, "lower", names, from_mapping, allow_inf=True)
        )
        hi = (
            inf
            if upper is None
            else _checks.constraint_vector(upper, "upper", names, from_mapping, allow_inf=True)
        )
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
        sigma_user = sig
    else:
        sigma_user = np.zeros(m)
    lam0 = np.zeros(m)
    if initial_multipliers is not None:
        lam0 = _checks.constraint_vector(
            initial_multipliers, "initial_multipliers", names, from_mapping
        )

    # First pass: prior moments, covariance and per-feature ranges over the support.
    # With many constraints the covariance (n m^2 work, most of the pass) is taken in
    # single precision first, and again in double only if the constraints turn out
    # nearly dependent (see _single_suffices).
    prior_pass = PassRequest(
        lam=np.zeros(m), covariance=True, precision=_prior_precision(engine), axis_ranges=True
    )
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ev0 = engine.evaluate(prior_pass)
    if not all(np.all(np.isfinite(x)) for x in (ev0.dir_min, ev0.dir_max, ev0.log_Z)):
        # A NaN or inf anywhere in F reaches these; find and name it.
        engine.validate()
    shift, scale = _affine_map(ev0)
    if shift is not None:
        # Large offsets or extreme magnitudes: work with (F - shift) / scale instead, so the
        # log-weights and second moments keep full precision.  Targets follow the features.
        engine.set_transform(shift, scale)
        ev0 = engine.evaluate(prior_pass)
        # Divide first: b - shift may overflow near the largest float; b / scale cannot.
        b = None if b is None else b / scale - shift / scale
        lo = None if lo is None else lo / scale - shift / scale
        hi = None if hi is None else hi / scale - shift / scale
        lam0 = lam0 * scale
    ev0 = _centred(engine, ev0)
    if ev0.single and not _single_suffices(ev0):
        ev0 = _centred(engine, engine.evaluate(_prior_request(m)))
    # sigma beyond 1e150 spreads leaves the multiplier 0 to double precision; capping it
    # keeps sigma^2 finite.
    sigma2 = np.minimum(sigma_user / (1.0 if scale is None else scale), 1e150) ** 2
    fmin, fmax = ev0.dir_min, ev0.dir_max
    std = np.sqrt(np.clip(np.diag(ev0.cov), 0.0, None))
    magnitude = np.maximum(np.abs(fmin), np.abs(fmax))
    if shift is not None:
        # Rounding happens in the caller's units, offset included.
        magnitude = magnitude + np.abs(shift) / scale
    width = fmax - fmin
    # The scale of the tolerance: the standard deviation under the prior; the range when
    # that is below 1e-6 of the range (a prior concentrated on a few states, whose
    # variance would not even be computed accurately); the magnitude for a constant.
    spread = np.where(
        std > 1e-6 * width,
        std,
        np.where(width > 0, width, np.where(magnitude > 0, magnitude, 1.0)),
    )
    prob = Problem(
        engine,
        names,
        from_mapping,
        spread,
        magnitude,
        float(tol),
        int(max_iter),
        np.zeros(m) if shift is None else shift,
        np.ones(m) if scale is None else scale,
        ev0.log_Z,
    )

    if b is not None:
        out = _solve_equalities(prob, b, sigma2, np.arange(m), lam0, ev0)
        targets_out = b_user
    else:
        out, targets_out = _solve_bounds(prob, lo, hi, lam0, ev0)

    return _finish(prob, out, targets_out, b is not None, sigma2, lo, hi)


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
    # Normal powers of two only, so that 1 / scale is finite too; a constant feature is
    # measured by its value.
    size = np.where(half > 0, half, np.abs(shift))
    exponent = np.clip(np.round(np.log2(np.where(size > 0, size, 1.0))), -1022, 1023)
    scale = np.where(size > 0, 2.0**exponent, 1.0)
    return shift, scale


def _prior_precision(engine):
    """How the first pass takes the covariance: ``"single"`` precision for in-memory
    features with many constraints (n m^2 work dominates the pass), else double."""
    m, n = engine.m, engine.n
    return "single" if engine.keeps_p and m >= _SINGLE_MIN_M and n >= 16 * m else "double"


def _prior_request(m, center=None):
    """The pass under the prior: moments, covariance (about ``center``), feature ranges."""
    return PassRequest(lam=np.zeros(m), covariance=True, center=center, axis_ranges=True)


def _single_suffices(ev):
    """Whether a prior covariance from single-precision second moments decides what
    double precision would: every feature's standard deviation above 1e-6 of its range
    (the tolerance's scale is then the deviation) and the correlation matrix's smallest
    eigenvalue above 1e-3, so that no combination of constraints is anywhere near the
    1e-12 at which :func:`flat_directions` calls it dependent (single precision moves the
    eigenvalues by ~1e-6).  Newton's first Hessian is then accurate to ~1e-6 relative."""
    d = np.sqrt(np.diag(ev.cov))
    width = ev.dir_max - ev.dir_min
    if not (np.all(np.isfinite(ev.cov)) and np.all(d > 1e-6 * width) and np.all(d > 0)):
        return False
    corr = ev.cov / np.outer(d, d)
    try:
        np.linalg.cholesky(corr - 1e-3 * np.eye(d.size))
    except np.linalg.LinAlgError:
        return False
    return True


def _centred(eng, ev):
    """The prior pass again with second moments about the mean, when E[FF] - E[F]E[F]
    lost more than three digits (a concentrated prior): the correlations decide which
    constraints are dependent, at the 1e-12 level."""
    var = np.diag(ev.cov)
    if not np.any(ev.mean**2 > 1e3 * np.maximum(var, 1e-300)):
        return ev
    return eng.evaluate(_prior_request(ev.mean.shape[0], ev.mean))


@dataclass
class _Outcome:
    lam: NDArray[np.float64]  # finite part of the multipliers
    inf_sign: NDArray[np.float64]  # +1 / -1 where a multiplier diverges
    ev: Evaluation  # evaluation at lam on the final support
    converged: bool
    message: str
    status: str  # "converged", "face", "max_iter" or "stalled"


def _with_infinities(lam, inf_sign):
    """The reported multipliers: +-inf where the solution is a limit, else the finite part."""
    return np.where(inf_sign != 0, np.copysign(np.inf, inf_sign), lam)


def _solve_equalities(prob, b, sigma2, J, lam0, ev_prior):
    """Equality (and noisy) constraints J; the others keep multiplier 0.

    A face within tolerance of the targets along one direction (a feature's range, a thin
    direction of the hull found by the LP) can leave them clearly off the face in the
    other features; the checks on the face then object.  Such faces are undone and the
    solve starts again with strict faces only (targets at or beyond an end), so Newton's
    method runs on to the interior solution.
    """
    eng = prob.engine
    entry = eng.support
    try:
        return _equalities(prob, b, sigma2, J, lam0, ev_prior)
    except InfeasibleTargetsError:
        if prob.lp_off or len(eng.faces) == len(entry.faces):
            raise
    eng.restore_support(entry)  # the support of ev_prior again
    prob.lp_off = prob.lp_done = True
    return _equalities(prob, b, sigma2, J, lam0, ev_prior)


def _equalities(prob, b, sigma2, J, lam0, ev_prior):
    """One attempt of :func:`_solve_equalities`.

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
    pinned: list[int] = []  # features whose range faces were recorded by the last round
    near: set[int] = set()  # targets only near their range's end (not faces)
    undo = None  # (faces, inf_sign, lam) before the last round of range faces
    while True:
        if not first:
            try:
                ev0 = _centred(eng, eng.evaluate(_prior_request(m)))
            except EmptySupportError:
                raise_no_common_state(prob, pinned)
        first = False
        exact = [k for k in free if sigma2[k] == 0]
        const = [k for k in exact if ev0.dir_max[k] - ev0.dir_min[k] <= prob.dir_tol(eye[k])]
        try:
            faces = check_ranges(prob, b, exact, ev0, near)
        except InfeasibleTargetsError:
            if undo is None:
                raise
            # Targets within tolerance of their ranges' ends one by one, but the faces
            # together move another moment out of reach: they were only near the ends
            # (p concentrated near a vertex, finite multipliers).  Undo that round and
            # let Newton take those constraints.
            faces_before, inf_sign, lam = undo
            eng.restore_support(faces_before)
            near.update(pinned)
            undo, pinned = None, []
            continue
        if faces:
            # Every range face at once (zero-target indicators, targets at a feature's
            # end): the solution lies on all of them, so one pass checks what is left.
            undo = (eng.support, inf_sign.copy(), lam.copy())
            for k, sign in faces:
                bound = ev0.dir_min[k] if sign > 0 else -ev0.dir_max[k]
                lam = record_face(prob, sign * eye[k], inf_sign, lam, bound)
            pinned = [k for k, _ in faces]
            continue
        undo = None
        for k in const:  # constant on the support and equal to its target: no role left
            free.remove(k)
        exact = [k for k in exact if k not in const]
        lam[[k for k in range(m) if k not in free]] = 0.0
        null = flat_directions(prob, b, exact, ev0)
        if isinstance(null, tuple):  # a face along a dependent combination
            lam = record_face(prob, null[0], inf_sign, lam)
            continue
        basis = _reduced_basis(prob, free, null, ev0)
        status, lam, ev, d = newton(prob, b, sigma2, free, exact, basis, lam, ev0)
        if status == "face":
            for direction, margin in d:
                lam = record_face(prob, direction, inf_sign, lam, margin=margin)
            continue
        converged = status == "converged"
        if converged:
            msg = f"converged in {prob.n_iter} Newton steps"
        elif status == "stalled":
            msg = (
                f"stopped after {prob.n_iter} Newton steps: the line search could not "
                "decrease the dual any further (rounding limits the accuracy)"
            )
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
        if converged and np.any(inf_sign != 0):
            status = "face"
        return _Outcome(lam, inf_sign, ev, converged, msg, status)


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
    # A prior concentrated far below the features' range (weights spanning 1e-300..1)
    # has a covariance that says nothing about the scale of the problem: keep the
    # directions' relative scales but measure the steps in at least 1% of the spread.
    top = float(w[-1])
    if not top >= 1e-4:
        w = w * (1e-4 / top) if top > 1e-300 else np.full_like(w, 1e-4)
    w = np.maximum(w, 1e-16 * float(w[-1]))
    return e @ (v / np.sqrt(w))


def _solve_bounds(prob, lo, hi, lam0, ev0):
    """Inequality constraints lower <= E[F] <= upper by an active-set loop over equalities."""
    m = prob.engine.m
    state = np.zeros(m, dtype=int)  # 0 inactive, +1 at upper, -1 at lower, 2 equality
    state[lo == hi] = 2
    b = np.where(lo == hi, lo, 0.0)
    sigma2 = np.zeros(m)
    lam = lam0.copy()
    base = prob.engine.support
    for _ in range(4 * m + 4):
        active = np.flatnonzero(state != 0)
        b = np.where(state == 1, hi, np.where(state == -1, lo, b))
        prob.engine.restore_support(base)
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
        targets = np.where(
            state == 1, hi, np.where(state == -1, lo, np.where(state == 2, lo, mean))
        )
        return out, targets
    raise InfeasibleTargetsError(  # pragma: no cover - cycling active set
        "the active-set iteration for `lower`/`upper` did not settle; check the bounds."
    )


def _finish(prob, out, targets, user_targets, sigma2, lo, hi):
    """Assemble the result in the caller's units (targets already are when user_targets).

    ``sigma2`` is in the engine's units, like ``out``.
    """
    eng = prob.engine
    ev = out.ev
    shift, scale = prob.shift, prob.scale
    engine_targets = targets / scale - shift / scale if user_targets else targets
    rel = np.max(np.abs(ev.mean - engine_targets) / prob.spread, initial=0.0)
    cov = _reported_covariance(eng, ev)
    covariance = _caller_covariance(cov, eng, scale)
    p, entropy, cross = eng.finalize(ev)
    log_z = ev.log_Z - prob.log_mass  # normalised prior: log Z = 0 at lambda = 0
    lam = out.lam
    mean = ev.mean
    if eng.shift is not None:  # back from the engine's units to the caller's
        log_z -= float(lam @ (shift / scale))
        with np.errstate(over="ignore"):  # subnormal features: lambda beyond 1.8e308
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
    viol = mean - targets
    if np.any(sigma2):  # optimality condition m - b = sigma^2 lambda, in the engine's units
        viol = scale * (
            ev.mean - engine_targets - sigma2 * np.where(out.inf_sign != 0, 0.0, out.lam)
        )
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
        p=_read_only(p),
        multipliers=_read_only(mult),
        log_Z=float(log_z),
        entropy=entropy,
        kl_divergence=kl,
        moments=_read_only(mean.copy()),
        targets=_read_only(np.array(targets, dtype=np.float64)),
        residual=residual,
        converged=bool(converged),
        n_iter=int(prob.n_iter),
        message=out.message,
        constraint_names=prob.names,
        n_passes=int(eng.n_passes),
        covariance=covariance,
        status=out.status,
    )


def _caller_covariance(cov, eng, scale):
    """A covariance from engine units to the caller's, symmetric and read-only."""
    if eng.shift is not None:  # caller's units; beyond float64's range (|F| > ~1e154) inf
        with np.errstate(over="ignore"):  # one factor at a time: 0 stays 0, never inf * 0
            cov = cov * scale[:, None] * scale[None, :]
    return _read_only(0.5 * (cov + cov.T))


def _reported_covariance(eng, ev):
    """Cov_p(F) at evaluation ``ev``, in engine units, exact to rounding.

    From the last pass when it took the covariance over every state that carries weight,
    in double precision and about a point close enough to the mean; else from one more
    pass (which also keeps p for :meth:`MomentEngine.finalize`).
    """
    cov = ev.cov
    exact = ev.screen is None or ev.screen >= SCREEN_EXACT
    if cov is not None and exact and not ev.single and not ev.projected:
        off = ev.mean if ev.center is None else ev.mean - ev.center
        if not np.any(off**2 > 1e4 * np.maximum(np.diag(cov), 1e-300)):
            return cov
    # Second moments about the mean (no cancellation however concentrated p is).
    request = PassRequest(
        lam=ev.lam,
        covariance=True,
        center=ev.mean,
        screen=SCREEN_EXACT,
        entropy=True,
        keep_p=eng.keeps_p,
    )
    return eng.evaluate(request).cov


def _read_only(x):
    """Lock an array the result owns (never one of the caller's: those are copied first)."""
    if isinstance(x, np.ndarray):
        x.flags.writeable = False
    return x
