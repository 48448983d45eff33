"""solve(): maximum entropy under linear moment constraints, by Newton's method on the dual.

The problem
    minimise KL(p || q)  subject to  sum_i p_i F[i, k] = b_k
has the solution p_i = q_i exp(-lambda . F_i) / Z(lambda), where lambda minimises the
convex dual Gamma(lambda) = log Z(lambda) + lambda . b, whose gradient is b - E_p[F] and
whose Hessian is Cov_p[F].  This module validates the input, makes the prior pass, runs
the stages and wraps the result:

- :mod:`maxent._moments`: every pass over F (the moment engine; its docstring maps it);
- :mod:`maxent._stages`: equality constraints (alternating faces and Newton) and
  inequality constraints (an active set over equalities);
- :mod:`maxent._faces`: faces of the convex hull (targets on its boundary, infinite
  multipliers) and infeasible targets, by cheap certificates, a linear program last;
- :mod:`maxent._newton`: the trust-region Newton loop on the dual;
- here: validation (:class:`_Constraints`), the prior pass and the affine map of the
  features, and the result in the caller's units, covariance included.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks, streaming
from ._kernel import SCREEN_EXACT, PassRequest
from ._moments import Evaluation, MomentEngine
from ._parallel import blas_limited
from ._problem import EPS, Problem
from ._stages import (
    Equalities,
    Outcome,
    centred,
    prior_request,
    solve_bounds,
    solve_equalities,
    with_infinities,
)
from .errors import ConvergenceWarning, InvalidInputError
from .result import MaxEntResult

__all__ = ["solve"]


def solve(
    features: ArrayLike | Mapping[str, ArrayLike] | Callable[[], Iterable[Any]] | Iterable[Any],
    targets: ArrayLike | Mapping[str, ArrayLike] | None = None,
    *,
    prior: ArrayLike | None = None,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    sigma: ArrayLike | None = None,
    initial_multipliers: ArrayLike | None = None,
    tol: float = 1e-10,
    atol: ArrayLike | Mapping[str, ArrayLike] | None = None,
    max_iter: int = 100,
    chunk_size: int | None = None,
    names: Sequence[str] | None = None,
    covariance: bool = True,
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
        constraint exact.  With ``lower``/``upper``: noisy one-sided (or interval) data,
        penalised only beyond a bound (the multiplier of a bound that is not active is 0;
        an active one satisfies :math:`E_p[F_k] - \mathrm{bound}_k = \sigma_k^2
        \lambda_k`, with the sign of the side it is on).
    initial_multipliers : array_like, shape (n_constraints,), optional
        Warm start for :math:`\lambda` (e.g. the solution of a neighbouring problem).
    tol : float
        Stopping rule: :math:`|E_p[F_k] - b_k| \le \mathrm{tol}\cdot s_k +
        \mathrm{atol}_k + 64\,\epsilon \max_i |F_{ik} - c_k| + \epsilon |c_k|` for every
        constraint (:math:`\epsilon` the double-precision rounding unit), with :math:`s_k`
        the standard deviation of feature ``k`` under the prior on the support (its range
        when that is below :math:`10^{-6}` of the range; its magnitude when the feature is
        constant) and :math:`c_k` the offset the solver removes (exactly) from a feature
        whose values sit far from 0 compared with their spread (else 0).  The same
        tolerance decides feasibility: targets within it of the edge of what the features
        allow are treated as on the edge, targets beyond it outside are infeasible.
        Precision by default: once the rule is met, Newton's method goes on while each
        step still cuts the residual fourfold, to :math:`10^{-13} s_k +
        \mathrm{atol}_k + 64\,\epsilon \max_i |F_{ik} - c_k|` (one pass per step;
        usually one step), so the moments are exact to near machine precision where the
        data allow it.
    atol : array_like or mapping, shape (n_constraints,), optional
        Absolute tolerance of each constraint, in the units of its feature (added to the
        relative one; 0 by default): for constraints whose required accuracy is set by
        their own scale rather than by the feature's spread.
    max_iter : int
        Most Newton steps.
    chunk_size : int, optional
        States per chunk in the passes over ``features`` (memory beyond ``features`` is a
        few chunks); chosen automatically by default.
    names : sequence of str, optional
        Constraint names for a chunk source or a dask array (default ``f0, f1, ...``);
        ``targets`` may then be a mapping by name.
    covariance : bool
        Compute :math:`\mathrm{Cov}_p(F)` for the result (``covariance``; True by
        default).  It costs :math:`n m^2` work, usually inside the last pass; with many
        constraints (hundreds) that is most of a solve, and ``covariance=False`` leaves
        the result's field None and skips it.

    Returns
    -------
    MaxEntResult
        ``p``, ``multipliers``, ``log_Z``, ``entropy``, ``kl_divergence``, ``moments``,
        ``residual``, ``converged``, ``n_iter``, ``message``, ``covariance``, ``status``
        and ``to_xarray()``.  For dask input ``p`` is a lazy dask array chunked like
        ``features``; for a chunk source it is a
        :class:`maxent.streaming.StreamedProbabilities`, a function of the states that
        stores nothing per state.  The result is a value: it keeps no reference to
        ``features`` (``covariance`` is computed during the solve, in its last pass, or
        None with ``covariance=False``).

    Raises
    ------
    InvalidInputError
        NaN or inf in ``features``, ``prior``, ``targets``, ``sigma`` or ``atol``;
        negative prior weights, ``sigma`` or ``atol``; an empty support; shapes or names
        that do not match; ``targets`` given together with bounds, or neither.
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
    close to a vertex need multipliers that cancel to many digits; the log-weights are
    then computed by a compensated dot product, and the moments reported are always those
    of the returned ``p``.  When rounding (of the multipliers themselves, at worst) still
    keeps the residual above ``tol``, the result has ``converged=False`` and a
    :class:`~maxent.errors.ConvergenceWarning` says so.

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
        tol_ = _checks.real_number(tol, "tol", minimum=0.0, strict=True)
        report = _checks.boolean(covariance, "covariance")
        max_iter_ = _checks.integer(max_iter, "max_iter", minimum=0)
        assert tol_ is not None and max_iter_ is not None  # (None only where allowed)
        rows = _checks.integer(chunk_size, "chunk_size", minimum=1, allow_none=True)
        engine, names, from_mapping = _make_engine(features, prior, rows, names)
        given = _Given(
            names=names,
            from_mapping=from_mapping,
            targets=targets,
            lower=lower,
            upper=upper,
            sigma=sigma,
            atol=atol,
            initial_multipliers=initial_multipliers,
        )
        cons = _constraints(engine.m, given)
        return _solve(engine, given, cons, tol_, max_iter_, report)


_SINGLE_MIN_M = 64  # from this many constraints the prior pass tries single precision
Array = NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class _Given:
    """The constraint arguments of :func:`solve` as the caller gave them."""

    names: tuple[str, ...]
    from_mapping: bool
    targets: Any
    lower: Any
    upper: Any
    sigma: Any
    atol: Any
    initial_multipliers: Any

    def vector(self, value: Any, name: str, *, allow_inf: bool = False) -> Array:
        out: Array = _checks.constraint_vector(
            value, name, self.names, self.from_mapping, allow_inf=allow_inf
        )
        return out

    def label(self, name: str, k: int) -> str:
        return _checks.label(name, self.names, k, self.from_mapping)


@dataclass(frozen=True, kw_only=True)
class _Constraints:
    """Validated constraints: equality targets (with noise) or bounds, and a warm start.

    In the caller's units as given; :meth:`in_engine_units` maps them with the features.
    """

    targets: Array | None  # equality targets b; None with bounds
    lower: Array | None  # bounds (-inf / +inf where open); None with targets
    upper: Array | None
    sigma: Array  # standard deviation of each target (0: exact)
    atol: Array  # absolute tolerance of each constraint (0: none)
    lam0: Array  # warm start of the multipliers
    user_targets: Array | None = None  # the targets as given (reported exactly)

    def in_engine_units(self, shift: Array | None, scale: Array | None) -> _Constraints:
        """The same constraints for features mapped to ``(F - shift) / scale``."""
        if shift is None or scale is None:
            return self

        def mapped(x: Array | None) -> Array | None:
            # Divide first: b - shift may overflow near the largest float; b / scale cannot.
            return None if x is None else x / scale - shift / scale

        return _Constraints(
            targets=mapped(self.targets),
            lower=mapped(self.lower),
            upper=mapped(self.upper),
            sigma=self.sigma / scale,
            atol=self.atol / scale,
            lam0=self.lam0 * scale,
            user_targets=self.user_targets,
        )

    @property
    def sigma2(self) -> Array:
        # sigma beyond 1e150 spreads leaves the multiplier 0 to double precision; capping
        # it keeps sigma^2 finite.
        out: Array = np.minimum(self.sigma, 1e150) ** 2
        return out


def _constraints(m: int, given: _Given) -> _Constraints:
    """Validate ``targets`` or ``lower``/``upper``, ``sigma`` and ``initial_multipliers``."""
    targets = lower = upper = None
    if given.lower is None and given.upper is None:
        if given.targets is None:
            raise InvalidInputError(
                "give `targets`, or bounds `lower`/`upper` for inequality constraints."
            )
        targets = given.vector(given.targets, "targets")
    else:
        lower, upper = _bounds(m, given)
    lam0 = np.zeros(m)
    if given.initial_multipliers is not None:
        lam0 = given.vector(given.initial_multipliers, "initial_multipliers")
    return _Constraints(
        targets=targets,
        lower=lower,
        upper=upper,
        sigma=_nonnegative(m, given, "sigma"),
        atol=_nonnegative(m, given, "atol"),
        lam0=lam0,
        user_targets=targets,
    )


def _nonnegative(m: int, given: _Given, name: Literal["sigma", "atol"]) -> Array:
    """A per-constraint vector that must be finite and >= 0 (zeros when not given)."""
    value = getattr(given, name)
    if value is None:
        return np.zeros(m)
    out = given.vector(value, name)
    if np.any(out < 0):
        k = int(np.argmax(out < 0))
        raise InvalidInputError(f"`{given.label(name, k)}` must be >= 0; got {out[k]}.")
    return out


def _bounds(m: int, given: _Given) -> tuple[Array, Array]:
    """Validated ``lower`` and ``upper`` (open sides as -inf / +inf)."""
    if given.targets is not None:
        raise InvalidInputError(
            "give either `targets` (equality constraints) or `lower`/`upper` "
            "(inequality constraints), not both."
        )
    inf = np.full(m, np.inf)
    lo = -inf if given.lower is None else given.vector(given.lower, "lower", allow_inf=True)
    hi = inf if given.upper is None else given.vector(given.upper, "upper", allow_inf=True)
    for k in range(m):
        if lo[k] > hi[k] or lo[k] == np.inf or hi[k] == -np.inf:
            raise InvalidInputError(
                f"`{given.label('lower', k)}` = {lo[k]} and `{given.label('upper', k)}` = "
                f"{hi[k]} leave no room: need lower <= upper, lower < inf and upper > -inf."
            )
    return lo, hi


def _solve(
    engine: MomentEngine,
    given: _Given,
    cons: _Constraints,
    tol: float,
    max_iter: int,
    covariance: bool,
) -> MaxEntResult:
    """The stages: the prior pass, equalities or bounds, and the result."""
    ev0, shift, scale = _prior_pass(engine)
    cons = cons.in_engine_units(shift, scale)
    prob = _problem(engine, given, ev0, shift, scale, tol=tol, atol=cons.atol, max_iter=max_iter)
    prob = dataclasses.replace(prob, covariance=covariance)
    if cons.targets is not None:
        task = Equalities(b=cons.targets, sigma2=cons.sigma2, active=list(range(engine.m)))
        out = solve_equalities(prob, task, cons.lam0, ev0)
        return _finish(prob, out, cons, cons.targets)
    assert cons.lower is not None and cons.upper is not None
    out, reached = solve_bounds(prob, cons.lower, cons.upper, cons.sigma2, cons.lam0, ev0)
    return _finish(prob, out, cons, reached)


def _prior_pass(engine: MomentEngine) -> tuple[Evaluation, Array | None, Array | None]:
    """The first pass: prior moments, covariance and per-feature ranges over the support,
    and the affine map ``(shift, scale)`` of the features (None, None when not needed).

    With many constraints the covariance (n m^2 work, most of the pass) is taken in
    single precision first, and again in double only if the constraints turn out nearly
    dependent (see _single_suffices).
    """
    m = engine.m
    request = PassRequest(
        lam=np.zeros(m), covariance=True, precision=_prior_precision(engine), axis_ranges=True
    )
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ev0 = engine.evaluate(request)
    assert ev0.dir_min is not None and ev0.dir_max is not None
    if not (
        math.isfinite(ev0.log_Z)
        and np.isfinite(ev0.dir_min).all()
        and np.isfinite(ev0.dir_max).all()
    ):
        # A NaN or inf anywhere in F reaches these; find and name it.
        engine.validate()
    shift, scale = _affine_map(ev0)
    if shift is not None and scale is not None:
        # Large offsets or extreme magnitudes: work with (F - shift) / scale instead, so the
        # log-weights and second moments keep full precision.  Targets follow the features.
        engine.set_transform(shift, scale)
        ev0 = engine.evaluate(request)
    ev0 = centred(engine, ev0)
    if ev0.single and not _single_suffices(ev0):
        ev0 = centred(engine, engine.evaluate(prior_request(m)))
    return ev0, shift, scale


def _problem(
    engine: MomentEngine,
    given: _Given,
    ev0: Evaluation,
    shift: Array | None,
    scale: Array | None,
    *,
    tol: float,
    atol: Array,
    max_iter: int,
) -> Problem:
    """The problem the stages share: the scales of the tolerance and of rounding."""
    m = engine.m
    assert ev0.dir_min is not None and ev0.dir_max is not None and ev0.cov is not None
    fmin, fmax = ev0.dir_min, ev0.dir_max
    std = np.sqrt(np.maximum(ev0.cov.diagonal(), 0.0))
    magnitude = np.maximum(np.abs(fmin), np.abs(fmax))
    offset = np.zeros(m) if shift is None or scale is None else np.abs(shift) / scale
    width = fmax - fmin
    # The scale of the tolerance: the standard deviation under the prior; the range when
    # that is below 1e-6 of the range (a prior concentrated on a few states, whose
    # variance would not even be computed accurately); the magnitude for a constant.
    spread = np.where(
        std > 1e-6 * width,
        std,
        np.where(width > 0, width, np.where(magnitude + offset > 0, magnitude + offset, 1.0)),
    )
    # Rounding: the engine computes with the features less their offset, exactly (the
    # offset is removed by a power-of-two map), so its rounding is relative to what is
    # left; the caller's features and targets are each given to half an ulp of their own
    # magnitude, offset included.
    return Problem(
        engine=engine,
        names=given.names,
        from_mapping=given.from_mapping,
        spread=spread,
        magnitude=magnitude,
        tol=tol,
        max_iter=max_iter,
        atol=atol,
        rounding=64 * EPS * magnitude,
        given=EPS * offset,
        shift=np.zeros(m) if shift is None else shift,
        scale=np.ones(m) if scale is None else scale,
        log_mass=ev0.log_Z,
    )


def _make_engine(
    features: Any, prior: Any, chunk_size: int | None, names: Sequence[str] | None
) -> tuple[MomentEngine, tuple[str, ...], bool]:
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
    # A float32 matrix is read as it is, each chunk converted in its pass (no copy of F).
    F, names, from_mapping = _checks.feature_matrix(features, check=False, single=True)
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


def _affine_map(ev0: Evaluation) -> tuple[Array | None, Array | None]:
    """(shift, scale) that bring every feature to O(1) values, or (None, None) if not needed.

    Needed when a feature's mean is large compared with its spread (second moments would
    cancel) or when its magnitude is extreme (squares would overflow or underflow).
    ``scale`` is a power of two, so dividing by it is exact.
    """
    fmin, fmax = ev0.dir_min, ev0.dir_max
    assert fmin is not None and fmax is not None and ev0.cov is not None
    if fmin.size == 0:
        return None, None
    var = ev0.cov.diagonal()
    magnitude = np.maximum(np.abs(fmin), np.abs(fmax))
    half = fmax / 2 - fmin / 2
    tiny = (magnitude > 0) & (magnitude < 1e-100)
    with np.errstate(invalid="ignore"):
        offset = np.abs(ev0.mean) > 1e4 * np.sqrt(np.maximum(var, 0.0))
    bad = ~np.isfinite(var) | ~np.isfinite(ev0.mean) | (magnitude > 1e100) | tiny
    if not (bad | (offset & (half > 0))).any():
        return None, None
    shift = fmin / 2 + fmax / 2
    # Normal powers of two only, so that 1 / scale is finite too; a constant feature is
    # measured by its value.
    size = np.where(half > 0, half, np.abs(shift))
    exponent = np.clip(np.round(np.log2(np.where(size > 0, size, 1.0))), -1022, 1023)
    scale = np.where(size > 0, 2.0**exponent, 1.0)
    return shift, scale


def _prior_precision(engine: MomentEngine) -> Literal["double", "single"]:
    """How the first pass takes the covariance: ``"single"`` precision for in-memory
    features with many constraints (n m^2 work dominates the pass), else double."""
    m, n = engine.m, engine.n or 0
    return "single" if engine.keeps_p and m >= _SINGLE_MIN_M and n >= 16 * m else "double"


def _single_suffices(ev: Evaluation) -> bool:
    """Whether a prior covariance from single-precision second moments decides what
    double precision would: every feature's standard deviation above 1e-6 of its range
    (the tolerance's scale is then the deviation) and the correlation matrix's smallest
    eigenvalue above 1e-3, so that no combination of constraints is anywhere near the
    1e-12 at which :func:`flat_directions` calls it dependent (single precision moves the
    eigenvalues by ~1e-6).  Newton's first Hessian is then accurate to ~1e-6 relative."""
    assert ev.cov is not None and ev.dir_max is not None and ev.dir_min is not None
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


def _finish(prob: Problem, out: Outcome, cons: _Constraints, reached: Array) -> MaxEntResult:
    """Assemble the result in the caller's units; ``reached`` are the targets met, in the
    engine's units (the equality targets, or for bounds the active ones)."""
    eng = prob.engine
    ev = out.ev
    covariance = None
    if prob.covariance:
        covariance = _caller_covariance(_reported_covariance(eng, ev), eng, prob.scale)
    engine_mean = eng.moments_of_p(ev)  # those of the p returned (see moments_of_p)
    out = _judged_again(prob, out, engine_mean, reached, cons)
    p, entropy, cross = eng.finalize(ev)
    lam, mean, log_z = out.lam, engine_mean, ev.log_Z - prob.log_mass  # log Z = 0 at lambda = 0
    targets = cons.user_targets if cons.user_targets is not None else reached
    lo, hi = cons.lower, cons.upper
    if eng.shift is not None:  # back from the engine's units to the caller's
        shift, scale = prob.shift, prob.scale
        log_z -= float(lam @ (shift / scale))
        with np.errstate(over="ignore"):  # subnormal features: lambda beyond 1.8e308
            lam = lam / scale
        mean = shift + scale * mean
        if cons.user_targets is None:
            targets = shift + scale * reached
        lo = None if lo is None else shift + scale * lo
        hi = None if hi is None else shift + scale * hi
    viol = mean - targets
    if cons.sigma2.any():  # optimality condition m - b = sigma^2 lambda, in the engine's units
        finite = np.where(out.inf_sign != 0, 0.0, out.lam)
        viol = prob.scale * (engine_mean - reached - cons.sigma2 * finite)
    if lo is not None and hi is not None:
        # Outside the bounds, except by the sigma^2 lambda that noise allows an active one.
        outside = np.maximum(mean - hi, lo - mean)
        outside[(cons.sigma2 > 0) & (out.lam != 0)] = 0.0
        viol = np.maximum(np.abs(viol), outside)
    residual = float(np.max(np.abs(viol), initial=0.0))
    if not out.converged:
        rel = np.max(np.abs(engine_mean - reached) / prob.spread, initial=0.0)
        _warn(prob, out, residual, rel)
    # KL(p || q / sum q) = sum p log p - sum p log q + log sum q  (q = 1 without a prior)
    entropy = max(float(entropy), 0.0)
    return MaxEntResult(
        p=_read_only(p),
        multipliers=_read_only(with_infinities(lam, out.inf_sign)),
        log_Z=float(log_z),
        entropy=entropy,
        kl_divergence=max(-entropy - cross + prob.log_mass, 0.0),
        moments=_read_only(mean.copy()),
        targets=_read_only(np.array(targets, dtype=np.float64)),
        residual=residual,
        converged=bool(out.converged),
        n_iter=int(prob.progress.n_iter),
        message=out.message,
        constraint_names=prob.names,
        n_passes=int(eng.n_passes),
        covariance=covariance,
        status=out.status,
    )


def _judged_again(
    prob: Problem, out: Outcome, mean: Array, reached: Array, cons: _Constraints
) -> Outcome:
    """The outcome, no longer converged if the moments of the p returned (``mean``, engine
    units) miss exact equality targets by more than the tolerance although those of the
    pass the stopping rule judged met it (they differ only where rounding of the
    log-weights does; see :meth:`MomentEngine.moments_of_p`)."""
    if not out.converged or cons.targets is None or np.array_equal(mean, out.ev.mean):
        return out
    exact = cons.sigma2 == 0
    miss = np.abs(mean - reached) / prob.spread > prob.threshold
    if not np.any(miss & exact):
        return out
    return dataclasses.replace(
        out,
        converged=False,
        status="stalled",
        message=f"stopped after {prob.progress.n_iter} Newton steps: rounding of the "
        "log-weights limits the accuracy of p",
    )


def _warn(prob: Problem, out: Outcome, residual: float, rel: float) -> None:
    warnings.warn(
        f"solve() {out.message} with max |E_p[F] - b| = {residual:.3g} "
        f"({rel:.3g} of the features' spread) > tol = {prob.tol:g}; increase `max_iter`, "
        "loosen `tol`, or move `targets` away from the edge of what `features` allows.",
        ConvergenceWarning,
        stacklevel=4,
    )


def _caller_covariance(cov: Array, eng: MomentEngine, scale: Array) -> Array:
    """A covariance from engine units to the caller's, symmetric and read-only."""
    if eng.shift is not None:  # caller's units; beyond float64's range (|F| > ~1e154) inf
        with np.errstate(over="ignore"):  # one factor at a time: 0 stays 0, never inf * 0
            cov = cov * scale[:, None] * scale[None, :]
    return _read_only(0.5 * (cov + cov.T))


def _reported_covariance(eng: MomentEngine, ev: Evaluation) -> Array:
    """Cov_p(F) at evaluation ``ev``, in engine units, exact to rounding.

    From the last pass when it took the covariance over every state that carries weight,
    in double precision and about a point close enough to the mean; else from one more
    pass (which also keeps p for :meth:`MomentEngine.finalize`).
    """
    cov = ev.cov
    exact = ev.screen is None or ev.screen >= SCREEN_EXACT
    if cov is not None and exact and not ev.single and not ev.projected:
        off = ev.mean if ev.center is None else ev.mean - ev.center
        if not (off**2 > 1e4 * np.maximum(cov.diagonal(), 1e-300)).any():
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
    out = eng.evaluate(request).cov
    assert out is not None
    return out


def _read_only(x: Any) -> Any:
    """Lock an array the result owns (never one of the caller's: those are copied first)."""
    if isinstance(x, np.ndarray):
        x.flags.writeable = False
    return x
