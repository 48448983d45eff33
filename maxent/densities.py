r"""density(): maximum-entropy densities from moments on intervals, half-lines, the real
line and boxes in 2-D and 3-D.

Among all densities with :math:`E[\phi_k(x)] = b_k`, the one of largest entropy (least
relative entropy to a prior :math:`q`) is :math:`p(x) = q(x)\, e^{-\sum_k \lambda_k
\phi_k(x)} / Z`.  :func:`density` finds it as :func:`maxent.solve` on quadrature nodes
(the quadrature weights times the prior are the solver's prior), in a well-conditioned
polynomial basis (see :mod:`maxent._moment_bases`) into which raw power moments are
converted exactly, with a quadrature rule refined until its error is below the
tolerance (:mod:`maxent._density_fit`), after checking that some density has the
moments at all (:mod:`maxent._realizability`).  Batches of small problems go through a
vectorised Newton method instead (:mod:`maxent._batch_newton`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks
from ._batch_newton import BatchSpec, batch_density
from ._density_fit import Axis, Fit, Problem, Rotated, fit, user_residual
from ._density_input import BASES, Spec, read_support, read_targets, standard_axes, typical_sizes
from ._density_result import DensityResult, Model, frozen
from ._few_moments import solve_few
from ._moment_bases import Basis, ExactMap, exact, noise_directions, starting_multipliers
from ._quadrature import DEMap
from ._realizability import check_batch, check_targets
from .errors import ConvergenceWarning, InfeasibleTargetsError, InvalidInputError

__all__ = ["DensityResult", "density"]

_DEFAULT_TOL = 1e-10
#: a direction of basis-moment space is fixed by the power moments when perturbing them
#: within the tolerance moves it by less than this; the solver tries these in turn
_DETERMINED = (1.0, 1e-3, 1e3, 1e-6, 1e6)
_MAX_GL_1D = 8192
_MAX_NODES_ND = 250_000
_MIN_STEP_EXPONENT = 11
_REACH_START = 60.0


def density(
    targets: ArrayLike | Mapping[Any, Any],
    *,
    support: Any,
    basis: str = "power",
    features: Mapping[str, Callable[..., ArrayLike]] | None = None,
    prior: Callable[..., ArrayLike] | None = None,
    tol: float | None = None,
) -> DensityResult:
    r"""The maximum-entropy density on a continuous support with the given moments.

    Finds :math:`p(x) = q(x)\, e^{-\sum_k \lambda_k \phi_k(x)} / Z` with
    :math:`E_p[\phi_k] = b_k`: of all densities with these moments, the one of largest
    entropy (of least relative entropy to the prior :math:`q`).

    Parameters
    ----------
    targets : array_like or mapping
        1-D: ``targets[k-1]`` :math:`= E[\phi_k(x)]`, k = 1..K, with :math:`\phi_k =
        x^k` (``basis="power"``), :math:`T_k(u)` (``"chebyshev"``) or :math:`P_k(u)`
        (``"legendre"``), :math:`u = (2x - a - b)/(b - a)`.  Shape ``(n_problems, K)``
        solves a batch of problems at once.  2-D and 3-D: a mapping from exponent tuples
        to power moments, ``{(i, j): E[x^i y^j]}``, including every lower moment (as
        all moments up to a total order do).  With ``features``: a mapping with the same
        names.  Power moments may be pint Quantities (``E[x^k]`` in the support's unit
        to the k; a list of quantities for several).
    support : pair or sequence of pairs
        ``(a, b)``; either end may be infinite (``(0, inf)``, ``(-inf, inf)``), and may
        carry a pint unit.  ``[(a, b), (c, d)]`` (and a third pair) for boxes in 2-D
        and 3-D.
    basis : {"power", "chebyshev", "legendre"}
        What ``targets`` are moments of.  Chebyshev and Legendre need a bounded support.
    features : mapping of str to callable, optional
        Custom features instead of a basis, ``{"x": lambda x: x, "log x": np.log}``;
        each takes arrays of points (one per coordinate) and returns values there.
    prior : callable, optional
        A reference density :math:`q(x)` (need not be normalised) for minimum relative
        entropy; called with arrays of points.
    tol : float, optional
        Moments are met to ``tol`` relative to each feature's size,
        :math:`|E[\phi_k] - b_k| \le \mathrm{tol}\, E|\phi_k|`, and the quadrature
        error is kept below ``tol / 2``.  Default 1e-10.

    Returns
    -------
    DensityResult
        A frozen result with scipy.stats methods (``pdf``, ``logpdf``, ``cdf``, ``ppf``,
        ``rvs``, ``mean``, ``var``, ``moment``, ``entropy``, ...) and the fields
        ``multipliers``, ``log_Z``, ``moments``, ``residual``, ``converged``,
        ``status``, ``quadrature_error``, ``covariance`` and ``to_xarray()``.

    Raises
    ------
    InvalidInputError
        Malformed ``targets``, ``support``, ``basis``, ``features`` or ``prior``
        (shapes, NaN, an empty interval, a Chebyshev basis on an infinite support, an
        odd number of power moments on the real line, units that do not convert).
    InfeasibleTargetsError
        No density has the moments: a Hankel (or localizing) matrix of the sequence is
        not positive definite, and the message names the first offending moment and the
        value it must exceed or stay below (on the boundary of the moment space only
        point masses have the moments: E[x^2] = E[x] on [0, 1]); or the moments are
        realizable but no maximum-entropy density attains them (mass escapes to
        infinity: a coefficient of variation above 1 from two moments on the
        half-line).

    Warns
    -----
    ConvergenceWarning
        When the tolerance is not met (``converged`` is then False, ``status`` says why).

    Notes
    -----
    Sign convention as in :func:`maxent.solve`: :math:`p \propto q\, e^{-\lambda\cdot\phi}`.

    *Basis.*  The solver works in a basis that is well conditioned for the support
    (Chebyshev on an interval, Laguerre on a half-line, Hermite on the real line, in a
    variable scaled by the targets' mean and spread).  Raw power moments are converted
    into it exactly (python-flint rationals), so 40 power moments on [0, 1] work where
    double precision stalls at 12-16.  Beyond ~20 power moments on [0, 1] double
    precision no longer fixes every combination of the converted moments (the moment
    space is thinner than the rounding of the inputs); the combinations that the power
    moments do not fix within ``tol`` (an eigen-decomposition of the propagated
    tolerance, in ball arithmetic) are then left free, and the result meets every
    power moment to ``tol``.

    *Quadrature.*  Bounded supports use Gauss-Legendre rules (tensor rules in 2-D and
    3-D); with a prior or custom features (which may be singular at the ends) and on
    infinite supports, double-exponential rules: tanh-sinh, exp-sinh on a half-line and
    sinh-sinh on the real line, which map the whole infinite support (no cut-off box)
    and integrate endpoint singularities and algebraic tails.  Each rule is refined
    until the moments move by less than ``tol / 2`` (``quadrature_error``); nodes in a
    tail where the density is below :math:`e^{-80}` of its bulk are left out.

    *Realizability.*  Hausdorff (bounded), Stieltjes (half-line) and Hamburger (real
    line) conditions are checked before solving, judged against the tolerance: a
    pivot the tolerance cannot resolve is left to the solver.  In 2-D and 3-D the
    moment and localizing matrices give necessary conditions only.

    On an infinite support only the leading power moments that the tolerance fixes in
    double precision are imposed (the others are checked, and ``message`` says so).
    There the answer may sit on the edge of the multipliers' domain: the moments of an
    exponential law on the half-line, or of a Gaussian on the line, have a maximum-entropy
    density whose higher multipliers are 0, and a negative top multiplier is not
    integrable, so Newton's method cannot approach it from inside.  When the full solve
    fails or misses the tolerance, the densities of the first 1, 2, ... moments (even
    counts on the line) are tried, and the first that has all the moments is the answer
    (its entropy is the largest with fewer constraints, and it meets the rest;
    ``message`` says so).  With more than about thirty power moments there, the rules
    may not resolve the density (nor the check the highest moments), and an
    InfeasibleTargetsError says that no density was found.

    *Few moments.*  One problem with at most eight moments on an interval and no prior
    first goes through a lean Newton method in the Chebyshev (or Legendre) basis on
    Gauss-Legendre rules (converting power moments in double precision, refining the
    rule until the quadrature error is below ``tol / 2``); a density found there has
    the moments, so they are realizable.  When it misses the tolerance, the general
    path above (with its realizability tests) takes over.

    *Batches* (``targets`` of shape ``(n_problems, K)``, power, Chebyshev or Legendre
    moments in 1-D) use one Gauss-Legendre rule in a standardised variable for all
    problems (on an infinite support out to where every density has fallen below
    :math:`e^{-40}` of its peak, checked) and a vectorised Newton method, refining the
    rule only for the problems that need it, converting moments in double precision:
    meant for the few moments of moment closures and per-cell problems.  The problems
    are solved in blocks of 2048, in worker threads when maxent may use several
    (``MAXENT_NUM_THREADS``; BLAS single-threaded meanwhile).

    References
    ----------
    .. [1] E. T. Jaynes, "Information theory and statistical mechanics", Phys. Rev.
       106, 620 (1957).
    .. [2] L. R. Mead and N. Papanicolaou, "Maximum entropy in the problem of moments",
       J. Math. Phys. 25, 2404 (1984).
    .. [3] R. N. Silver and H. Röder, "Calculation of densities of states and spectral
       functions by Chebyshev recursion and maximum entropy", Phys. Rev. E 56, 4822
       (1997).
    .. [4] H. Takahasi and M. Mori, "Double exponential formulas for numerical
       integration", Publ. RIMS 9, 721 (1974).
    .. [5] H. Dette and W. J. Studden, *The Theory of Canonical Moments* (Wiley, 1997).

    Examples
    --------
    The exponential law is the maximum-entropy density on the half-line with a given
    mean:

    >>> import numpy as np, maxent
    >>> d = maxent.density([2.0], support=(0, np.inf))
    >>> print(f"{float(d.multipliers[0]):.10f}")  # the rate, 1 / mean
    0.5000000000
    >>> print(f"{float(d.pdf(1.0)):.10f}")  # 0.5 exp(-1/2)
    0.3032653299
    >>> print(f"{float(d.cdf(2.0)):.10f}")  # 1 - exp(-1)
    0.6321205588
    """
    tol_value = _checks.real_number(tol, "tol", minimum=0.0, strict=True, allow_none=True)
    tol_f = _DEFAULT_TOL if tol_value is None else float(tol_value)
    bounds, units = read_support(support)
    spec = read_targets(targets, bounds, units, basis, features)
    if prior is not None and not callable(prior):
        raise InvalidInputError(
            f"`prior` must be a callable density q(x) (or None); got {type(prior).__name__}."
        )
    if spec.batch:
        return _solve_batch(spec, bounds, units, prior, tol_f)
    if spec.kind in BASES:
        if prior is None and (few := solve_few(spec, bounds, units, tol_f)) is not None:
            return few
        check_targets(spec, bounds, tol_f)
    return _solve_single(spec, bounds, units, prior, tol_f)


# -- solving -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _CallableFeatures:
    """The caller's named feature functions, evaluated together."""

    functions: tuple[Callable[..., ArrayLike], ...]
    names: tuple[str, ...]

    def evaluate(self, coords: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
        shape = np.broadcast_shapes(*[np.shape(c) for c in coords])
        cols = []
        for name, f in zip(self.names, self.functions, strict=True):
            try:
                with np.errstate(all="ignore"):
                    value = np.asarray(f(*coords), dtype=np.float64)
                cols.append(np.broadcast_to(value, shape))
            except (TypeError, ValueError) as exc:
                raise InvalidInputError(
                    f"`features[{name!r}]` must return real values for arrays of points; it "
                    f"raised {type(exc).__name__}: {exc}"
                ) from None
        return np.stack(cols, axis=-1)


@dataclass(frozen=True)
class _Plan:
    """The problem as the solver sees it, and how to map back to the caller's basis."""

    problem: Problem
    stable: Any  # FeatureMap of the solver (before any rotation)
    emap: ExactMap | None  # power moments -> stable moments (power bases only)
    exact_targets: list[Any] | None
    deltas: NDArray[np.float64] | None  # tolerance of each power moment
    noise: NDArray[np.float64] | None  # of each stable moment, from deltas
    max_level: int
    dmap: DEMap | None


def _plan(
    spec: Spec,
    bounds: tuple[tuple[float, float], ...],
    prior: Callable[..., ArrayLike] | None,
    tol: float,
) -> _Plan:
    dim = len(bounds)
    if spec.kind == "features":
        return _plan_features(spec, bounds, prior, tol)
    axes = standard_axes(spec, bounds)
    if axes[0][0] == "hamburger" and (spec.targets.size % 2 or spec.targets.size < 2):
        raise InvalidInputError(
            "on (-inf, inf) the maximum-entropy density needs an even number (>= 2) of power "
            f"moments (the highest power's multiplier must be positive); got {spec.targets.size}."
        )
    families, origins, scales = [], [], []
    for (kind, o, s), (lo, hi) in zip(axes, bounds, strict=True):
        if kind == "hausdorff":
            fam = "legendre" if spec.kind == "legendre" else "chebyshev"
            families.append(fam)
            origins.append(0.5 * (lo + hi))
            scales.append(0.5 * (hi - lo))
        else:
            families.append("laguerre" if kind == "stieltjes" else "hermite")
            origins.append(o)
            scales.append(s)
    initial = np.zeros(len(spec.exponents))
    if dim == 1 and spec.kind == "power":  # a Gaussian (or e^{-y}) with the mean and variance
        mean = (spec.targets[0] - origins[0]) / scales[0]
        var = (
            (spec.targets[1] - spec.targets[0] ** 2) / scales[0] ** 2
            if spec.targets.size > 1
            else 0.0
        )
        initial = starting_multipliers(
            families[0], np.array(mean), np.array(var), spec.targets.size
        )
    elif families[0] == "laguerre":
        initial[0] = -1.0
    stable = Basis(tuple(families), tuple(origins), tuple(scales), spec.exponents)
    emap = exact_targets = deltas = noise = None
    targets = spec.targets
    if spec.kind == "power":
        emap = ExactMap.build(stable, spec.exponents)
        exact_targets = emap.apply([exact(v) for v in spec.targets])
        targets = np.array([float(v) for v in exact_targets])
        deltas = tol * typical_sizes(spec, bounds)
        noise = emap.noise(deltas)
    reach = float(min(1e30, max(10 * _REACH_START, 10.0 ** (150.0 / spec.targets.size))))
    axes_q, start, base, max_level = _quadrature_axes(
        spec, bounds, prior, axes[0][1], abs(axes[0][2]), reach
    )
    user = (
        stable
        if spec.kind != "power"
        else Basis(("power",) * dim, (0.0,) * dim, (1.0,) * dim, spec.exponents)
    )
    problem = Problem(
        axes_q, stable, targets, user, spec.targets, prior, tol, start, initial, base
    )
    dmap = axes_q[0].dmap if dim == 1 else None
    return _Plan(problem, stable, emap, exact_targets, deltas, noise, max_level, dmap)


def _plan_features(
    spec: Spec,
    bounds: tuple[tuple[float, float], ...],
    prior: Callable[..., ArrayLike] | None,
    tol: float,
) -> _Plan:
    feats = _CallableFeatures(spec.callables, spec.names)
    lo, hi = bounds[0]
    origin = lo if np.isfinite(lo) else (hi if np.isfinite(hi) else 0.0)
    axes_q, start, base, max_level = _quadrature_axes(spec, bounds, prior, origin, 1.0, 1e30)
    initial = np.zeros(len(spec.names))
    problem = Problem(
        axes_q, feats, spec.targets, feats, spec.targets, prior, tol, start, initial, base
    )
    return _Plan(
        problem,
        feats,
        None,
        None,
        None,
        None,
        max_level,
        axes_q[0].dmap if len(bounds) == 1 else None,
    )


def _quadrature_axes(
    spec: Spec,
    bounds: tuple[tuple[float, float], ...],
    prior: Callable[..., ArrayLike] | None,
    origin: float,
    scale: float,
    max_reach: float,
) -> tuple[tuple[Axis, ...], int, tuple[int, ...], int]:
    """The axes' rules: ``(axes, start level, Gauss-Legendre points at level 0, max level)``.

    Gauss-Legendre for boxes and for intervals with polynomial features and no prior;
    otherwise (infinite ends, a prior or custom features, any of which may make the
    density singular at an end) the double-exponential map of the support.
    """
    dim = len(bounds)
    maps = [DEMap.for_support(lo, hi, origin, scale) for lo, hi in bounds]
    if dim > 1:
        degrees = [max(e[i] for e in spec.exponents) for i in range(dim)]
        base = tuple(int(2 ** math.ceil(math.log2(d + 8))) for d in degrees)
        level = 0
        while math.prod(base) * 2 ** (dim * (level + 1)) <= _MAX_NODES_ND:
            level += 1
        axes = tuple(
            Axis(lo, hi, "gauss-legendre", m, 1.0, 1.0)
            for (lo, hi), m in zip(bounds, maps, strict=True)
        )
        return axes, 0, base, level
    lo, hi = bounds[0]
    k = len(spec.names)
    if np.isfinite(lo) and np.isfinite(hi) and prior is None and spec.kind != "features":
        n0 = int(2 ** math.ceil(math.log2(k + 16)))
        level = max(1, int(math.log2(_MAX_GL_1D // n0)))
        return (Axis(lo, hi, "gauss-legendre", maps[0], 1.0, 1.0),), 0, (n0,), level
    start = max(2, math.ceil(math.log2((k + 16) / 4)))
    axis = Axis(lo, hi, "de", maps[0], _REACH_START, max_reach)
    return (axis,), start, (1,), _MIN_STEP_EXPONENT


def _fit_plan(plan: _Plan) -> tuple[Fit, NDArray[np.float64] | None]:
    """Fit, leaving free the combinations of converted power moments that the power
    moments fix no better than the tolerance (when there are any)."""
    if plan.noise is None or np.max(plan.noise) <= _DETERMINED[0]:
        return fit(plan.problem, plan.max_level), None
    assert plan.emap is not None and plan.deltas is not None and plan.exact_targets is not None
    u, sigma, rotated = noise_directions(plan.emap, plan.deltas, plan.exact_targets)
    best: tuple[float, Fit, NDArray[np.float64]] | None = None
    failure: InfeasibleTargetsError | None = None
    for tau in _DETERMINED:
        keep = sigma <= tau
        if not np.any(keep):
            continue
        problem = Problem(
            **{
                **plan.problem.__dict__,
                "features": Rotated(plan.stable, u[:, keep]),
                "targets": rotated[keep],
                "initial": u[:, keep].T @ plan.problem.initial,
            }
        )
        try:
            fitted = fit(problem, plan.max_level)
        except InfeasibleTargetsError as exc:
            failure = exc
            continue
        miss = user_residual(problem, fitted.rule, fitted.log_p)
        if best is None or miss < best[0]:
            best = (miss, fitted, u[:, keep])
        if miss <= plan.problem.tol:
            break
    if best is None:
        assert failure is not None
        raise failure
    return best[1], best[2]


def _usable_moments(plan: _Plan, bounds: tuple[tuple[float, float], ...]) -> int:
    """How many leading power moments to impose on an infinite support: those whose
    converted moments the tolerance fixes (dropping combinations instead, as on an
    interval, could leave the density without a decaying top power)."""
    k = len(plan.problem.user_targets)
    if plan.noise is None or all(np.isfinite(b).all() for b in bounds):
        return k
    loose = np.flatnonzero(plan.noise > _DETERMINED[0])
    if loose.size == 0:
        return k
    used = int(loose[0])
    if not np.isfinite(bounds[0]).any():
        used -= used % 2  # the real line needs an even top power
    return max(used, 2 if not np.isfinite(bounds[0]).any() else 1)


def _solve_single(
    spec: Spec,
    bounds: tuple[tuple[float, float], ...],
    units: tuple[str, ...],
    prior: Callable[..., ArrayLike] | None,
    tol: float,
) -> DensityResult:
    plan = _plan(spec, bounds, prior, tol)
    used = _usable_moments(plan, bounds)
    lowered = False
    try:
        solved, fitted, lam = _fit_single(spec, plan, used, bounds, prior, tol)
        failure = None
    except InfeasibleTargetsError as exc:
        failure = exc
    if failure is not None or user_residual(plan.problem, fitted.rule, fitted.log_p) > tol:
        lower = _lower_order(spec, plan, used, bounds, prior, tol)
        if lower is not None:
            (solved, fitted, lam, used), lowered, failure = lower, True, None
    if failure is not None:
        raise failure
    mult = np.zeros(spec.targets.size)
    if solved.emap is not None:
        offset, mult[:used] = solved.emap.pull_back(lam)
    else:
        offset, mult = 0.0, lam
    rule = fitted.rule
    p = np.exp(fitted.log_p)
    user = plan.problem.user.evaluate(rule.coords)
    moments = p @ user
    centred = user - moments
    residual = user_residual(plan.problem, rule, fitted.log_p)
    status, message = _status(fitted, residual, tol, plan.max_level)
    if lowered:
        first = "first power moment" if used == 1 else f"first {used} power moments"
        message += (
            f" The maximum-entropy density of the {first} already has the others (to the "
            "tolerance): it is the answer, their multipliers are 0."
        )
    elif used < spec.targets.size:
        message += (
            f" Only the first {used} power moments fix the density to within the tolerance "
            "in double precision on an infinite support; the others were checked, not "
            "imposed."
        )
    model = Model(
        solved.stable,
        frozen(lam),
        frozen(np.array(fitted.log_norm)),
        prior,
        bounds,
        np.array(0.0),
        np.array(1.0),
        tuple(frozen(c) for c in rule.coords),
        frozen(fitted.log_p),
        None,
        plan.dmap,
        _cdf_range(solved, rule),
        np.array(_cdf_width(solved, rule)),
        tuple(solved.problem.base_points[i] * 2**fitted.level for i in range(len(bounds))),
    )
    if status != "converged":
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    return DensityResult(
        bounds, spec.kind, spec.names, frozen(spec.targets), frozen(moments), frozen(mult),
        float(fitted.log_norm + offset), residual, float(fitted.quadrature_error),
        frozen((centred.T * p) @ centred), status == "converged", status, message, tol,
        int(p.size), units, model,
    )  # fmt: skip


def _fit_single(
    spec: Spec,
    plan: _Plan,
    used: int,
    bounds: tuple[tuple[float, float], ...],
    prior: Callable[..., ArrayLike] | None,
    tol: float,
) -> tuple[_Plan, Fit, NDArray[np.float64]]:
    """The fit (of the first ``used`` moments), the plan it solved and its multipliers
    in that plan's basis."""
    try:
        if used < spec.targets.size:
            first = Spec(
                spec.kind, spec.exponents[:used], spec.names[:used], spec.targets[:used], ()
            )
            solved = _plan(first, bounds, prior, tol)
            fitted, directions = fit(solved.problem, solved.max_level), None
        else:
            solved = plan
            fitted, directions = _fit_plan(plan)
    except InfeasibleTargetsError as exc:
        if spec.kind != "power" or all(np.isfinite(b).all() for b in bounds):
            raise
        raise InfeasibleTargetsError(
            f"density() found no maximum-entropy density with these {spec.targets.size} power "
            f"moments on {bounds[0]}: the moments pass the Hankel tests, but either none "
            "exists (the entropy's supremum not attained: mass escaping to infinity) or, "
            "with many moments on an infinite support, the quadrature did not resolve the "
            f"density (try fewer moments, or a bounded support) [{exc}]"
        ) from None
    lam = fitted.multipliers if directions is None else directions @ fitted.multipliers
    return solved, fitted, lam


def _lower_order(
    spec: Spec,
    plan: _Plan,
    used: int,
    bounds: tuple[tuple[float, float], ...],
    prior: Callable[..., ArrayLike] | None,
    tol: float,
) -> tuple[_Plan, Fit, NDArray[np.float64], int] | None:
    """The maximum-entropy density of the fewest leading power moments that has all the
    others too (to ``tol``, with the quadrature error below ``tol / 2``), as
    ``(plan, fit, multipliers, moments imposed)``; None if none has (1-D power moments on
    an infinite support only, where the search is needed).

    Such a density is the answer for all of them: its entropy is the largest among
    densities with fewer constraints, and it meets the rest.  On an infinite support that
    answer sits on the boundary of the multipliers' domain (the top power's multiplier
    0, as for the moments of an exponential law on the half-line or of a Gaussian on the
    line), which Newton's method on a truncated quadrature cannot approach from inside:
    with the top multiplier slightly negative the mass runs off to the rule's end.
    """
    if spec.kind != "power" or len(bounds) != 1 or all(np.isfinite(bounds[0])):
        return None
    line = not np.isfinite(bounds[0]).any()  # the real line needs an even top power
    for k in range(2 if line else 1, min(used, spec.targets.size), 2 if line else 1):
        first = Spec(spec.kind, spec.exponents[:k], spec.names[:k], spec.targets[:k], ())
        try:
            solved = _plan(first, bounds, prior, tol)
            fitted = fit(solved.problem, solved.max_level)
        except InfeasibleTargetsError:
            continue
        if (
            user_residual(plan.problem, fitted.rule, fitted.log_p) <= tol
            and fitted.quadrature_error <= 0.5 * tol
        ):
            return solved, fitted, fitted.multipliers, k
    return None


def _status(fitted: Fit, residual: float, tol: float, max_level: int) -> tuple[str, str]:
    solver = fitted.result
    if residual <= tol and fitted.quadrature_error <= 0.5 * tol:
        return "converged", (
            f"moments met to {residual:.2g} (tol = {tol:g}); quadrature error "
            f"{fitted.quadrature_error:.2g} on {fitted.rule.coords[0].size} nodes."
        )
    if fitted.quadrature_error > 0.5 * tol:
        return "quadrature", (
            f"density() reached the finest quadrature rule it uses (level {max_level}) with a "
            f"quadrature error of {fitted.quadrature_error:.2g} > tol / 2 = {0.5 * tol:g}; the "
            "density is too narrow or too irregular for it: loosen `tol`, or give fewer or "
            "smoother moments."
        )
    kind = solver.status if solver.status in ("max_iter", "stalled") else "stalled"
    return kind, (
        f"density() met the moments only to {residual:.2g} (relative) > tol = {tol:g} "
        f"({solver.message}); loosen `tol`, or move the targets away from the boundary of "
        "what densities on the support allow."
    )


def _cdf_range(plan: _Plan, rule: Any) -> tuple[float, float]:
    """The DE variable's range that the cumulative table covers."""
    if plan.dmap is None:
        return (0.0, 0.0)
    full = plan.dmap.t_range(plan.problem.axes[0].max_reach)
    if plan.dmap.kind == "tanh-sinh":
        return full
    t = plan.dmap.t(rule.coords[0])
    t = t[np.isfinite(t)]
    return (max(full[0], float(t.min()) - 0.5), min(full[1], float(t.max()) + 0.5))


def _cdf_width(plan: _Plan, rule: Any) -> float:
    """Panel width of the cumulative table: about four DE steps, or matched to the
    Gauss-Legendre rule's node spacing."""
    if plan.problem.axes[0].rule == "de":
        return 4.0 * rule.step
    return min(0.25, 16.0 / rule.coords[0].size)


# -- batches -----------------------------------------------------------------------------------
def _solve_batch(
    spec: Spec,
    bounds: tuple[tuple[float, float], ...],
    units: tuple[str, ...],
    prior: Callable[..., ArrayLike] | None,
    tol: float,
) -> DensityResult:
    if len(bounds) > 1 or spec.kind == "features":
        raise InvalidInputError(
            "a batch of targets (a 2-D array) is for 1-D supports with a `basis`; solve "
            "2-D, 3-D and custom-feature problems one at a time."
        )
    lo, hi = bounds[0]
    k = spec.targets.shape[1]
    if not (np.isfinite(lo) or np.isfinite(hi)) and (k % 2 or k < 2):
        raise InvalidInputError(
            "on (-inf, inf) the maximum-entropy density needs an even number (>= 2) of power "
            f"moments (the highest power's multiplier must be positive); got {k}."
        )
    check_batch(spec, bounds, tol)
    batch = BatchSpec(spec.kind, spec.names, spec.targets, bounds[0], units[0], prior, tol)
    return batch_density(batch)
