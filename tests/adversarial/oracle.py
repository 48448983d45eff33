"""Random moment problems with a known answer, an independent dual solver, and the contract.

Shared by the hypothesis suite in this directory and by the full-size campaign
(``benchmarks/adversarial_campaign.py``).  Nothing here calls maxent's solver internals.

A problem is built on a *unit* problem ``(G, c)`` with O(1) features on a 1/8 grid, then
mapped to the caller's units by ``F = offset + scale * G`` and ``b = offset + scale * c``
with ``scale`` a power of two (subnormal to 1e307) and an offset up to 1e6 spreads.
The oracle reads the unit problem back from the ``F`` actually passed (so it sees the same
rounding as the solver) and decides:

* where the target sits: ``c = (1 - t) * G[j] + t * x`` with ``G[j]`` the vertex that
  minimises ``G @ d`` for a random direction ``d`` and ``x`` a random interior point.
  ``t > 0`` is a convex combination (feasible); ``t < 0`` lies outside the hull by
  ``|t| * (x - G[j]) @ d`` along ``d``, a certificate of infeasibility;
* the maximum-entropy answer, by ``scipy.optimize.minimize`` (trust-exact) on the dual
  ``log sum_i q_i exp(-lambda . G_i) + lambda . c`` in standardised coordinates, with the
  gradient and Hessian summed in extended precision.

The contract for ``maxent.solve`` (tolerance ``tol`` per feature, times the feature's
standard deviation ``s_k`` under the prior, plus rounding ``64 eps max|F_k|``):

* a returned result with ``converged=True`` has a probability vector ``p`` on the support,
  moments within the tolerance of the targets, and Kullback-Leibler divergence from the
  prior equal to the reference's up to what the tolerance allows;
* ``InfeasibleTargetsError`` only when no distribution comes within the tolerance;
  targets outside by more than twice the tolerance must raise it;
* ``converged=False`` (with ``ConvergenceWarning``) counts as giving up; on these
  well-posed problems it is a failure too;
* any other exception, or a maxent ``InvalidInputError`` on valid input, is a failure.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

import maxent

EPS = np.finfo(np.float64).eps
TOL = 1e-10  # solve()'s default tolerance

# Outcome classes, worst first.
SILENT_WRONG = "silent wrong answer"
UNRELATED = "unrelated exception"
HANG = "hang (timeout)"
REJECTED_FEASIBLE = "rejected feasible"
GAVE_UP = "gave up (converged=False)"
OK = "OK"
CLASSES = (SILENT_WRONG, UNRELATED, HANG, REJECTED_FEASIBLE, GAVE_UP, OK)


@dataclass
class Problem:
    """A solve() problem in the caller's units and the unit problem it came from."""

    features: np.ndarray  # (n, m), caller's units
    targets: np.ndarray  # (m,)
    prior: np.ndarray | None  # (n,) or None
    scale: float  # power of two
    offset: np.ndarray  # (m,)
    t: float  # > 0 inside (convex combination), < 0 outside, 0 on a vertex
    direction: np.ndarray  # d with G[vertex] = argmin G @ d
    vertex: int
    interior: np.ndarray  # the point x the target moves towards
    kind: str = ""
    notes: dict = field(default_factory=dict)

    def unit(self):
        """(G, c): the problem read back in unit coordinates, from what solve() is given."""
        g = (self.features - self.offset) / self.scale
        c = (self.targets - self.offset) / self.scale
        return g, c


def _loguniform(rng, lo, hi):
    return float(10 ** rng.uniform(np.log10(lo), np.log10(hi)))


def random_problem(
    rng: np.random.Generator,
    kind: str | None = None,
    *,
    t: float | None = None,
    exponent: int | None = None,
) -> Problem:
    """One random problem of a random (or given) kind.

    Kinds: ``plain``, ``tiny`` (subnormal features), ``huge`` (up to 1e307), ``offset``
    (features riding on an offset 1e3..1e6 spreads), ``collinear`` (a feature equal to
    another up to 1e-6), ``prior`` (prior weights spanning 1e-300..1), ``zeros`` (some
    states outside the support), ``face`` (integer features, targets on or near a face).
    ``t`` (where the target sits, see the module docstring) and ``exponent`` (of the
    power-of-two scale) override the random choices.
    """
    kinds = ("plain", "tiny", "huge", "offset", "collinear", "prior", "zeros", "face")
    kind = kind or kinds[rng.integers(len(kinds))]
    n = int(rng.integers(2, 13))
    m = int(rng.integers(1, 4))
    if kind == "face":
        g = rng.integers(-2, 3, size=(n, m)).astype(float)
    else:
        g = rng.integers(-40, 41, size=(n, m)) / 8.0
    if kind == "collinear" and m >= 2:
        g[:, 1] = g[:, 0] + 2.0 ** -int(rng.integers(10, 24)) * rng.integers(-4, 5, size=n)
    scale = 1.0
    offset = np.zeros(m)
    if kind == "tiny":
        scale = 2.0 ** -int(rng.integers(1022, 1040))
    elif kind == "huge":
        scale = 2.0 ** int(rng.integers(900, 1015))
    elif kind == "plain":
        scale = 2.0 ** int(rng.integers(-60, 61))
    elif kind == "offset":
        scale = 2.0 ** int(rng.integers(-20, 21))
        offset = scale * rng.choice([-1.0, 1.0], size=m) * 10 ** rng.uniform(3, 6, size=m)
    if exponent is not None:
        scale = 2.0 ** int(exponent)
    prior = None
    support = np.ones(n, dtype=bool)
    if kind == "prior":
        prior = 10 ** rng.uniform(-300, 0, size=n)
    elif kind == "zeros" and n > 2:
        prior = rng.uniform(0.1, 1.0, size=n)
        off = rng.choice(n, size=int(rng.integers(1, n - 1)), replace=False)
        prior[off] = 0.0
        support[off] = False
    features = offset + scale * g
    # The unit problem as solve() will see it (offsets round).
    gu = (features - offset) / scale
    gs = gu[support]
    d = rng.standard_normal(m)
    if kind == "face":
        d = np.zeros(m)
        d[rng.integers(m)] = rng.choice([-1.0, 1.0])
    vals = gs @ d
    j_s = int(np.argmin(vals))
    vertex = int(np.flatnonzero(support)[j_s])
    w = rng.dirichlet(np.full(len(gs), 0.7))
    x = w @ gs
    face = np.flatnonzero(vals <= vals[j_s])
    if kind == "face":
        wf = rng.dirichlet(np.ones(len(face)))
        base = wf @ gs[face]
    else:
        base = gs[j_s]
    # Distance along the segment to the interior point: 1e-15..1e-1, either side, or 0.
    u = rng.uniform()
    if t is not None:
        pass
    elif u < 0.1:
        t = 0.0
    elif u < 0.2:
        t = 1.0
    else:
        t = _loguniform(rng, 1e-15, 1e-1) * (1.0 if u < 0.6 else -1.0)
    c = base + t * (x - base)
    targets = offset + scale * c
    return Problem(
        features,
        targets,
        prior,
        scale,
        offset,
        t,
        d,
        vertex,
        x,
        kind,
        {"face_size": len(face), "base": base},
    )


def outside_margin(pb: Problem, spread: np.ndarray) -> float:
    """Lower bound on max_k |E_p[G_k] - c_k| / s_k over all distributions p on the support.

    From the direction d: every state has G @ d >= min, so any p has E_p[G] @ d >= min and
    |E_p[G] - c| @ |d| >= min - c @ d.  Positive only for targets outside the hull.
    """
    g, c = pb.unit()
    sup = _support(pb)
    gap = float(np.min(g[sup] @ pb.direction) - c @ pb.direction)
    return gap / float(np.abs(pb.direction) @ spread)


def inside_distance(pb: Problem, spread: np.ndarray) -> float:
    """Upper bound on the distance of the targets from feasibility, in spreads (0 inside)."""
    if pb.t >= 0:
        return 0.0
    _, c = pb.unit()
    return float(np.max(np.abs(c - pb.notes["base"]) / spread))


def _support(pb):
    return np.ones(pb.features.shape[0], bool) if pb.prior is None else pb.prior > 0


def prior_spread(pb: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(s, magnitude) in unit coordinates: std of each feature under the prior, max |G|.

    Features constant on the support are measured by their magnitude.
    """
    g, _ = pb.unit()
    sup = _support(pb)
    q = np.ones(sup.sum()) if pb.prior is None else pb.prior[sup]
    q = q / q.sum()
    gs = g[sup]
    mean = q @ gs
    s = np.sqrt(q @ (gs - mean) ** 2)
    width = gs.max(0) - gs.min(0)
    mag = np.max(np.abs(pb.features[sup]), axis=0) / pb.scale
    # As documented for solve(): the range when the standard deviation is below 1e-6 of
    # it (prior weights spanning 1e-300..1), the magnitude for a constant feature.
    s = np.where(s > 1e-6 * width, s, np.where(width > 0, width, np.where(mag > 0, mag, 1.0)))
    return s, mag


@dataclass
class Reference:
    p: np.ndarray
    log_p: np.ndarray
    multipliers: np.ndarray  # unit coordinates
    kl: float
    residual: np.ndarray  # |E[G] - c| / s
    ok: bool


def reference_solution(pb: Problem, tol: float = TOL) -> Reference:
    """Independent maximum-entropy solution of the unit problem (scipy trust-exact on the dual)."""
    g, c = pb.unit()
    sup = _support(pb)
    n = g.shape[0]
    gs = g[sup]
    logq = np.zeros(len(gs)) if pb.prior is None else np.log(pb.prior[sup])
    logq = logq - logsumexp(logq)
    s, _ = prior_spread(pb)
    mu = np.exp(logq) @ gs
    # Standardised coordinates; exactly constant features are dropped (they must equal c).
    keep = np.ptp(gs, axis=0) > 0
    z = ((gs - mu) / s)[:, keep].astype(np.longdouble)
    cz = ((c - mu) / s)[keep].astype(np.longdouble)
    lq = logq.astype(np.longdouble)

    def parts(lam):
        a = lq - z @ np.asarray(lam, dtype=np.longdouble)
        amax = np.max(a)
        w = np.exp(a - amax)
        zsum = np.sum(w)
        p = w / zsum
        return amax + np.log(zsum), p

    def fun(lam):
        log_z, _ = parts(lam)
        return float(log_z + np.asarray(lam, dtype=np.longdouble) @ cz)

    def jac(lam):
        _, p = parts(lam)
        return np.asarray(cz - p @ z, dtype=np.float64)

    def hess(lam):
        _, p = parts(lam)
        mean = p @ z
        dz = z - mean
        return np.asarray((dz * p[:, None]).T @ dz, dtype=np.float64)

    k = int(keep.sum())
    lam = np.zeros(k)
    if k:
        last = [lam]

        def record(xk):
            last[0] = np.array(xk, dtype=np.float64)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out = minimize(
                    fun,
                    lam,
                    jac=jac,
                    hess=hess,
                    method="trust-exact",
                    callback=record,
                    options={"gtol": 1e-14, "maxiter": 2000},
                )
                lam = out.x
            except UnboundLocalError:
                # scipy 1.17's trust-exact subproblem can end without a step (its
                # `p` unassigned); the last iterate stands, judged by its residuals.
                lam = last[0]
    log_z, p = parts(lam)
    a = lq - z @ np.asarray(lam, dtype=np.longdouble) - log_z
    log_p = np.full(n, -np.inf)
    log_p[sup] = np.asarray(a, dtype=np.float64)
    p_full = np.zeros(n)
    p_full[sup] = np.asarray(p, dtype=np.float64)
    mom = np.asarray(p @ gs.astype(np.longdouble), dtype=np.float64)
    res = np.abs(mom - c) / s
    kl = float(np.sum(p * (a - lq)))
    mult = np.zeros(g.shape[1])
    mult[keep] = lam / s[keep]
    return Reference(p_full, log_p, mult, max(kl, 0.0), res, bool(np.all(res <= tol)))


@dataclass
class Verdict:
    outcome: str
    detail: str = ""


def kl_to_prior(p: np.ndarray, prior: np.ndarray | None) -> float:
    q = np.ones_like(p) if prior is None else np.asarray(prior, float)
    q = q / q.sum()
    pos = p > 0
    return float(np.sum(p[pos] * (np.log(p[pos]) - np.log(q[pos]))))


def judge(pb: Problem, outcome, ref: Reference | None = None, tol: float = TOL) -> Verdict:
    """Classify what solve() did on ``pb``: a MaxEntResult, or the exception it raised."""
    s, mag = prior_spread(pb)
    margin = outside_margin(pb, s)
    rounding = 64 * EPS * mag / s + 16 * EPS * pb.features.shape[0] * mag / s
    allowed = tol + rounding  # per feature, in units of s
    if isinstance(outcome, BaseException):
        if isinstance(outcome, maxent.InfeasibleTargetsError):
            # The point on the hull the target was moved from is feasible, so the distance
            # of the targets from feasibility is at most this (0 for targets inside).
            upper = inside_distance(pb, s)
            if upper <= tol:
                return Verdict(
                    REJECTED_FEASIBLE,
                    f"t={pb.t:.3g}, within {upper:.3g} spreads of feasible: {str(outcome)[:200]}",
                )
            return Verdict(OK, "infeasible, rejected")
        if isinstance(outcome, TimeoutError):
            return Verdict(HANG, str(outcome))
        return Verdict(UNRELATED, f"{type(outcome).__name__}: {str(outcome)[:200]}")
    res = outcome
    if not res.converged:
        return Verdict(GAVE_UP, res.message[:200])
    if margin > 2 * float(np.max(allowed)) + 1e-12:
        return Verdict(
            SILENT_WRONG,
            f"targets outside the hull by {margin:.3g} spreads "
            f"(t={pb.t:.3g}) but a result came back converged",
        )
    p = np.asarray(res.p, dtype=np.float64)
    g, c = pb.unit()
    sup = _support(pb)
    if p.shape != (g.shape[0],) or not np.all(np.isfinite(p)) or np.any(p < 0):
        return Verdict(SILENT_WRONG, "p is not a finite non-negative vector")
    if abs(p.sum() - 1) > 1e-12 * g.shape[0] or np.any(p[~sup] != 0):
        return Verdict(SILENT_WRONG, f"p sums to {p.sum()!r} or leaves the support")
    mom = p @ g
    err = np.abs(mom - c) / s
    if not np.all(err <= 1.01 * allowed + 1e-13):
        k = int(np.argmax(err / allowed))
        return Verdict(
            SILENT_WRONG,
            f"converged but |E_p[F_{k}] - b_{k}| = {err[k]:.3g} "
            f"spreads > {allowed[k]:.3g} (t={pb.t:.3g})",
        )
    reported = (np.asarray(res.moments) - pb.offset) / pb.scale
    if not np.all(np.abs(reported - mom) / s <= 1e-9 + 4 * rounding):
        return Verdict(SILENT_WRONG, f"reported moments {res.moments} differ from p @ F")
    bad_cov = _covariance_error(pb, res, p, g, s, rounding)
    if bad_cov:
        return Verdict(SILENT_WRONG, bad_cov)
    if ref is None and pb.t > 0:
        ref = reference_solution(pb, tol)
    if ref is not None and ref.ok and margin <= 0:
        kl = kl_to_prior(p, pb.prior)
        # KL of the max-ent solution moves by about |lambda| |delta b| when the moments do.
        slack = float(np.abs(ref.multipliers * s) @ (err + ref.residual + allowed)) * 2
        slack += 1e-9 * (1 + abs(ref.kl))
        if abs(kl - ref.kl) > slack and _gibbs(pb, p, res.multipliers, sup):
            # KL moves with the moments at the rate of the multipliers between the two
            # solutions, so the slack takes the larger of the two sets when solve()'s p
            # is the Gibbs distribution of its own multipliers.  (With nearly collinear
            # features the reference can stop far from converged along the thin
            # combination, with small multipliers there, while solve() meets it.)
            lam_u = np.asarray(res.multipliers, dtype=np.float64) * pb.scale
            wide = np.maximum(np.abs(ref.multipliers), np.abs(lam_u)) * s
            slack = max(slack, float(wide @ (err + ref.residual + allowed)) * 2)
            slack += 1e-9 * (1 + abs(ref.kl))
        if abs(kl - ref.kl) > slack:
            return Verdict(
                SILENT_WRONG,
                f"KL(p||q) = {kl:.12g} but the reference has "
                f"{ref.kl:.12g} (allowed {slack:.3g}; t={pb.t:.3g})",
            )
    return Verdict(OK)


def _covariance_error(pb: Problem, res, p, g, s, rounding) -> str:
    """What is wrong with ``res.covariance`` ('' if nothing): it must be symmetric, free of
    NaN, and (where the features' scale squared stays in float64's normal range) equal to
    Cov_p(G) of the returned p, computed here in the unit problem's coordinates."""
    cov = np.asarray(res.covariance, dtype=np.float64)
    m = g.shape[1]
    if cov.shape != (m, m) or np.any(np.isnan(cov)) or not np.array_equal(cov, cov.T):
        return f"covariance {cov!r} is not a symmetric matrix without NaN"
    if abs(np.log2(pb.scale)) > 400:  # squares overflow or lose digits as subnormals
        return ""
    c = g - p @ g
    ref = (c.T * p) @ c
    cov_u = cov / pb.scale / pb.scale
    # relative to the larger of the prior's spread and p's own (a concentrated prior
    # can leave the first far below the second)
    u = np.maximum(s, np.sqrt(np.clip(np.diag(ref), 0.0, None)))
    allowed = (1e-9 + rounding[:, None] + rounding[None, :]) * np.outer(u, u)
    err = np.abs(cov_u - ref)
    if np.all(err <= allowed):
        return ""
    k, j = np.unravel_index(int(np.argmax(err / allowed)), err.shape)
    return (
        f"covariance[{k}, {j}] = {cov_u[k, j]:.12g} in unit coordinates but Cov_p(F) of the "
        f"returned p is {ref[k, j]:.12g} (allowed {allowed[k, j]:.3g}; t={pb.t:.3g})"
    )


def _gibbs(pb: Problem, p: np.ndarray, multipliers, sup: np.ndarray) -> bool:
    """Whether p is q exp(-lambda . G) / Z for solve()'s (finite) multipliers, to 1e-6 in
    log p on the states where p > 0 (and below e^-700 of the largest where p is 0)."""
    lam = np.asarray(multipliers, dtype=np.float64) * pb.scale
    if not np.all(np.isfinite(lam)):
        return False
    g, _ = pb.unit()
    gs = g[sup]
    a = -(gs - gs.mean(axis=0)) @ lam
    if pb.prior is not None:
        a = a + np.log(pb.prior[sup])
    log_p = a - logsumexp(a)
    ps = p[sup]
    pos = ps > 0
    return bool(
        np.all(np.abs(np.log(ps[pos]) - log_p[pos]) <= 1e-6)
        and np.all(log_p[~pos] < log_p.max() - 700)
    )


def run_solve(pb: Problem, **kwargs):
    """solve() on ``pb`` with warnings as errors except ConvergenceWarning (recorded).

    Returns the MaxEntResult or the exception raised.  A ConvergenceWarning must come with
    ``converged=False``; a result with converged=False and no warning is an exception
    (AssertionError) so that it is counted as a failure.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error")
        warnings.simplefilter("always", maxent.ConvergenceWarning)
        try:
            res = maxent.solve(pb.features, pb.targets, prior=pb.prior, **kwargs)
            _ = res.covariance  # computed when first read: its warnings count here too
        except Exception as exc:  # noqa: BLE001 - classified by judge()
            return exc
    warned = any(issubclass(w.category, maxent.ConvergenceWarning) for w in caught)
    if warned != (not res.converged):
        return AssertionError(f"converged={res.converged} but ConvergenceWarning={warned}")
    return res
