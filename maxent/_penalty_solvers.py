"""Penalised least-squares solvers at one alpha, one per penalty (for :func:`maxent.fit`).

Every solver works in *whitened* units: ``kernel`` is :math:`\\tilde K = L^{-1} K` and
``data`` is :math:`\\tilde y = L^{-1} y` with :math:`C = L L^T` the data covariance, so
:math:`\\chi^2(x) = \\|\\tilde K x - \\tilde y\\|^2`.  Each minimises

.. math:: Q(x) = \\tfrac12 \\chi^2(x) + \\alpha P(x)

for its penalty :math:`P` and returns a :class:`Point`.  The maximum-entropy solver
(:class:`EntropySolver`, :math:`P = -S`) is Bryan's Newton iteration in the singular
subspace of the kernel; ``l2`` is closed form; ``l1`` and ``elastic_net`` call
scikit-learn (LARS, coordinate descent as fallback); ``nonneg`` is an exact active-set
method (:func:`scipy.optimize.nnls` for the hard constraint).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import rel_entr

from .errors import InvalidInputError, MaxEntError

__all__ = [
    "ElasticNetSolver",
    "EntropySolver",
    "L2Solver",
    "NonnegSolver",
    "Point",
    "Solver",
    "symmetric_from_factors",
]

_EPS = np.finfo(np.float64).eps
_RCOND = 1e-13  # singular values below _RCOND * s_max are dropped (no information there)
_MU_UP, _MU_MIN, _MU_DOWN, _MU_ZERO = 10.0, 1.0, 10.0, 1.0  # Marquardt damping schedule


@dataclass
class Point:
    """One solution on the alpha path."""

    alpha: float
    x: NDArray[np.float64]
    chi2: float
    penalty: float  # P(x); -S for entropy
    n_good: float  # effective number of parameters the data determine
    log_evidence: float  # log P(data | alpha) up to an alpha-independent constant; NaN if none
    converged: bool
    n_iter: int
    state: Any = None  # warm start for the next alpha


def _thin_svd(
    a: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    keep = s > _RCOND * (s[0] if s.size else 0.0)
    return u[:, keep], s[keep], vt[keep].T


def _gaussian_log_evidence(alpha: float, lam: NDArray[np.float64], q: float) -> float:
    """:math:`-\\frac12\\sum_i \\log(1 + \\lambda_i/\\alpha) - Q` (Gull 1989; Jarrell 1996)."""
    return float(-0.5 * np.sum(np.log1p(lam / alpha)) - q)


_PHI_SERIES = np.array([(k - 1) / math.factorial(k) for k in range(16, 1, -1)])


def _phi(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """:math:`\\varphi(a) = a e^a - e^a + 1 \\ge 0`; :math:`-S = \\sum_i M_i \\varphi(a_i)`.

    Summed as its Taylor series :math:`\\sum_{k\\ge2} (k-1) a^k / k!` for :math:`|a| < 0.1`,
    where the closed form loses digits to cancellation (-S is second order in a).
    """
    small = np.abs(a) < 0.1
    with np.errstate(over="ignore", invalid="ignore"):
        closed = a * np.exp(a) - np.expm1(a)
    series = np.polyval(_PHI_SERIES, np.where(small, a, 0.0)) * a * a
    return np.where(small, series, closed)


def symmetric_from_factors(
    d: NDArray[np.float64], minus: NDArray[np.float64], plus: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """:math:`\\mathrm{diag}(d) - A A^T + B B^T` (A = ``minus``, B = ``plus``), symmetric."""
    cov = -(minus @ minus.T)
    if plus is not None and plus.shape[1]:
        cov += plus @ plus.T
    cov[np.diag_indices(d.size)] += d
    return 0.5 * (cov + cov.T)


class Solver:
    r"""Shared pieces of every penalty's solver: the whitened problem and chi^2.

    The protocol :func:`maxent.fit` relies on:

    - ``solve(alpha, start) -> Point``, ``start`` being a neighbour's ``Point.state``;
    - ``alpha_top()``: where the penalty dominates (the default alpha scan starts there)
      and ``decades``, how far down the default scan may go;
    - ``has_posterior``: whether the Gaussian posterior (evidence, covariance) exists;
    - ``continuation``: whether a fixed small alpha is reached from ``alpha_top()``;
    - ``covariance_factors(point) -> (d, G)`` with the posterior covariance
      :math:`\mathrm{diag}(d) - G G^T` (``G`` has at most rank-of-K columns), or None.
    """

    has_posterior = False
    continuation = False
    decades = 10

    def __init__(self, kernel: NDArray[np.float64], data: NDArray[np.float64]) -> None:
        self.kernel = kernel
        self.data = data

    def chi2(self, x: NDArray[np.float64]) -> float:
        r = self.kernel @ x - self.data
        return float(r @ r)

    def covariance_factors(
        self, point: Point
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        return None

    def covariance(self, point: Point) -> NDArray[np.float64]:
        """The full (n, n) posterior covariance (NaN where there is no posterior)."""
        factors = self.covariance_factors(point)
        n = self.kernel.shape[1]
        if factors is None:
            return np.full((n, n), np.nan)
        d, g = factors
        return symmetric_from_factors(d, g)


class EntropySolver(Solver):
    r"""Maximum-entropy fit by Newton's method in the singular subspace (Bryan 1990).

    With :math:`q_i = w_i p_i`, :math:`M_i = w_i m_i` and :math:`K'_{ji} = \tilde K_{ji}/w_i`
    the problem is the unweighted one, :math:`S = \sum_i q_i - M_i - q_i \ln(q_i/M_i)`.
    At the minimum of :math:`Q`, :math:`\ln(q/M) = -K'^T r/\alpha` lies in the row space
    of :math:`K' = U \Sigma V^T`, so :math:`q = M e^{V u}` with :math:`u \in
    \mathbb{R}^s` (s = rank, at most the number of data).  The Newton equation for
    :math:`g(u) = \alpha u + \Sigma U^T r = 0` is symmetrised by :math:`\Sigma`:
    :math:`(\alpha + \mu) I + \Sigma T \Sigma` with :math:`T = V^T \mathrm{diag}(q) V`,
    and Marquardt's :math:`\mu` keeps every accepted step downhill in :math:`Q`.
    The eigenvalues of :math:`\Sigma T \Sigma` are the :math:`\lambda_i` of the
    evidence and of :math:`N_\mathrm{good}`.
    """

    has_posterior = True
    continuation = True
    decades = 30

    def __init__(
        self,
        kernel: NDArray[np.float64],
        data: NDArray[np.float64],
        weights: NDArray[np.float64],
        model: NDArray[np.float64],
        *,
        tol: float,
        max_iter: int,
    ) -> None:
        super().__init__(kernel, data)
        self.weights = weights
        self.model = model
        self.tol = tol
        self.max_iter = max_iter
        self.kq = kernel / weights
        self.abs_kq = np.abs(self.kq)
        self.big_m = weights * model
        self.log_big_m = np.log(self.big_m)
        self.log_floor = np.log(np.finfo(np.float64).tiny) + 40.0 - self.log_big_m
        self.u_svd, self.s, self.v = _thin_svd(self.kq)
        self.n_passes = 1

    def _evaluate(
        self, u: NDArray[np.float64], alpha: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float, float]:
        # ln(q/M) is floored where q would leave the normal floating-point range (1e-290),
        # so that p stays positive in floating point too
        a = np.maximum(self.v @ u, self.log_floor)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            q = np.where(a > -700.0, self.big_m * np.exp(a), np.exp(self.log_big_m + a))
            r = self.kq @ q - self.data
            chi2 = float(r @ r)
            minus_s = float(self.big_m @ _phi(a))  # -S >= 0
            obj = 0.5 * chi2 + alpha * minus_s
        return q, r, chi2, minus_s, obj

    def lambdas(self, q: NDArray[np.float64]) -> NDArray[np.float64]:
        st = self.s[:, None] * ((self.v.T * q) @ self.v) * self.s[None, :]
        return np.clip(np.linalg.eigvalsh(st), 0.0, None)

    def solve(self, alpha: float, start: Any = None) -> Point:
        rank = self.s.size
        if np.isinf(alpha):
            return self._point(alpha, np.zeros(rank), True, 0)
        # Start from the neighbour's u rescaled by alpha_old / alpha (exact where the
        # residual no longer changes with alpha, and inside Newton's basin far more often
        # than u itself, even when its Q is higher); from u = 0 if that overflows.
        u = np.zeros(rank)
        if start is not None:
            u_old, alpha_old = start
            u = u_old * (alpha_old / alpha)
        q, r, _, _, obj = self._evaluate(u, alpha)
        if not np.isfinite(obj):
            u = np.zeros(rank)
            q, r, _, _, obj = self._evaluate(u, alpha)
        mu = 0.0
        converged = False
        n_iter = stalled = 0
        best = obj
        while True:
            sur = self.s * (self.u_svd.T @ r)
            g = alpha * u + sur
            g_norm = np.linalg.norm(g)
            # rounding floor of g: the residual is a sum of terms as large as |K||q| + |y|
            noise = 8 * _EPS * self.s[0] * np.linalg.norm(self.abs_kq @ q + np.abs(self.data))
            scale = alpha * np.linalg.norm(u) + np.linalg.norm(sur)
            if g_norm <= max(self.tol * scale, noise) or scale == 0.0:
                converged = True
                break
            if n_iter == self.max_iter:
                break
            sts = self.s[:, None] * ((self.v.T * q) @ self.v) * self.s[None, :]
            mu_max = 1e12 * (alpha + np.max(sts, initial=0.0))
            # diagonalise once per step (Bryan 1990): every trial mu is then a division
            lam, basis = np.linalg.eigh(sts)
            lam = np.clip(lam, 0.0, None)
            rhs = basis.T @ (-g / self.s)
            accepted = False
            if mu > 0.0:
                # Marquardt failed last time: backtrack along the Gauss-Newton step first
                # (a descent direction of Q, since its matrix is positive definite); far
                # from the solution exp(V u) makes the full step overshoot, but a shorter
                # one goes much further downhill than a heavily damped one
                step = self.s * (basis @ (rhs / (lam + alpha)))
                t = 0.5
                while t > 1e-3:
                    u_new = u + t * step
                    q_n, r_n, _, _, obj_n = self._evaluate(u_new, alpha)
                    if np.isfinite(obj_n) and obj_n < obj:
                        accepted = True
                        mu = 0.0
                        break
                    t *= 0.25
            while not accepted and mu <= mu_max:
                u_new = u + self.s * (basis @ (rhs / (lam + alpha + mu)))
                q_n, r_n, _, _, obj_n = self._evaluate(u_new, alpha)
                if np.isfinite(obj_n) and obj_n <= obj + 1e-13 * abs(obj):
                    accepted = True
                    break
                mu = max(_MU_UP * mu, _MU_MIN * alpha)
            if not accepted:  # no downhill step left: the precision of Q is exhausted
                converged = bool(g_norm <= np.sqrt(self.tol) * scale)
                break
            n_iter += 1
            log_p_change = np.max(np.abs(self.v @ (u_new - u)))
            stalled = stalled + 1 if obj_n >= best - 1e-14 * abs(best) else 0
            best = min(best, obj_n)
            u, q, r, obj = u_new, q_n, r_n, obj_n
            mu = 0.0 if mu < _MU_ZERO * alpha else mu / _MU_DOWN
            if log_p_change <= self.tol and mu == 0.0:  # a full Newton step moved p < tol
                converged = True
                break
            if stalled >= 5:  # Q no longer decreases in floating point: precision exhausted
                converged = bool(g_norm <= np.sqrt(self.tol) * scale)
                break
        return self._point(alpha, u, converged, n_iter)

    def _point(self, alpha: float, u: NDArray[np.float64], converged: bool, n_iter: int) -> Point:
        q, _, chi2, minus_s, obj = self._evaluate(u, 0.0 if np.isinf(alpha) else alpha)
        x = q / self.weights
        if np.isinf(alpha):
            x = self.model.copy()
            chi2, minus_s = self.chi2(x), 0.0
            lam = self.lambdas(self.big_m)
            n_good, log_ev = 0.0, float("nan")
        else:
            lam = self.lambdas(q)
            n_good = float(np.sum(lam / (alpha + lam)))
            log_ev = _gaussian_log_evidence(alpha, lam, 0.5 * chi2 + alpha * minus_s)
        return Point(alpha, x, chi2, minus_s, n_good, log_ev, converged, n_iter, state=(u, alpha))

    def lambda_max(self) -> float:
        lam = self.lambdas(self.big_m)
        return float(lam.max()) if lam.size else 1.0

    def alpha_top(self) -> float:
        return 10.0 * self.lambda_max()

    def penalty_of(self, x: NDArray[np.float64]) -> float:
        """:math:`-S(x; m)` (for an average of solutions)."""
        return float(np.sum(self.weights * (self.model - x + rel_entr(x, self.model))))

    def covariance_factors(self, point: Point) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        r"""Inverse Hessian of Q in x, :math:`(\tilde K^T \tilde K + \alpha W/X)^{-1}`, factored.

        In the singular subspace (:math:`K' = U\Sigma V^T`, :math:`T = V^T Q V`,
        :math:`\Sigma T \Sigma = B \Lambda B^T`), Woodbury's identity gives
        :math:`\mathrm{diag}(x/\alpha w) - G G^T` with
        :math:`G = X V \Sigma B (\alpha(\alpha + \Lambda))^{-1/2}`: an s x s
        eigenproblem, whatever the number of data N and grid points n.
        """
        x, alpha = point.x, point.alpha
        n = x.size
        if np.isinf(alpha):
            return np.zeros(n), np.zeros((n, 0))
        q = x * self.weights
        sts = self.s[:, None] * ((self.v.T * q) @ self.v) * self.s[None, :]
        lam, basis = np.linalg.eigh(sts)
        lam = np.clip(lam, 0.0, None)
        g = (self.v * x[:, None]) @ (self.s[:, None] * basis)
        g *= 1.0 / (np.sqrt(alpha) * np.sqrt(alpha + lam))  # no underflow of the product
        return x / (alpha * self.weights), g


class L2Solver(Solver):
    """Ridge, :math:`P = \\|x\\|^2`: :math:`x = V\\,\\mathrm{diag}(s/(s^2 + 2\\alpha))\\,U^T y`."""

    has_posterior = True
    decades = 30

    def __init__(self, kernel: NDArray[np.float64], data: NDArray[np.float64]) -> None:
        super().__init__(kernel, data)
        self.u_svd, self.s, self.v = _thin_svd(kernel)
        self.uty = self.u_svd.T @ data
        self.lam = 0.5 * self.s**2  # eigenvalues of K^T K / 2, relative to alpha

    def solve(self, alpha: float, start: Any = None) -> Point:
        n = self.kernel.shape[1]
        if np.isinf(alpha):
            x = np.zeros(n)
            return Point(alpha, x, self.chi2(x), 0.0, 0.0, float("nan"), True, 0)
        x = self.v @ (self.s / (self.s**2 + 2.0 * alpha) * self.uty)
        chi2 = self.chi2(x)
        pen = float(x @ x)
        n_good = float(np.sum(self.lam / (alpha + self.lam)))
        log_ev = _gaussian_log_evidence(alpha, self.lam, 0.5 * chi2 + alpha * pen)
        return Point(alpha, x, chi2, pen, n_good, log_ev, True, 0)

    def lambda_max(self) -> float:
        return float(self.lam.max()) if self.lam.size else 1.0

    def alpha_top(self) -> float:
        return 10.0 * self.lambda_max()

    def penalty_of(self, x: NDArray[np.float64]) -> float:
        return float(x @ x)

    def covariance_factors(self, point: Point) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """:math:`(\\tilde K^T \\tilde K + 2\\alpha I)^{-1} = I/2\\alpha - G G^T`."""
        n = self.kernel.shape[1]
        if np.isinf(point.alpha):
            return np.zeros(n), np.zeros((n, 0))
        two_a = 2.0 * point.alpha
        g = self.v * (self.s / (np.sqrt(two_a) * np.sqrt(self.s**2 + two_a)))
        return np.full(n, 1.0 / two_a), g


def _effective_parameters(
    kernel: NDArray[np.float64], x: NDArray[np.float64], ridge: float = 0.0
) -> float:
    """tr of the hat matrix on the active set: :math:`\\sum s^2/(s^2 + \\text{ridge})`."""
    active = x != 0
    if not np.any(active):
        return 0.0
    s = np.linalg.svd(kernel[:, active], compute_uv=False)
    s = s[s > _RCOND * s[0]]
    return float(np.sum(s**2 / (s**2 + ridge)))


class ElasticNetSolver(Solver):
    r"""L1 and elastic net: scikit-learn's LARS homotopy (exact), coordinate descent if needed.

    Ours: :math:`\tfrac12\chi^2 + \alpha(\rho\|x\|_1 + (1-\rho)\|x\|^2)`.  scikit-learn's
    :math:`\frac{1}{2N}\|y - Xw\|^2 + a\,r\|w\|_1 + \frac{a}{2}(1-r)\|w\|^2` is the same
    problem divided by N with :math:`a = \alpha(2-\rho)/N`, :math:`r = \rho/(2-\rho)`.
    """

    def __init__(
        self,
        kernel: NDArray[np.float64],
        data: NDArray[np.float64],
        *,
        l1_ratio: float,
        tol: float,
        max_iter: int,
    ) -> None:
        super().__init__(kernel, data)
        try:
            import sklearn.linear_model  # noqa: F401
        except ImportError:  # pragma: no cover - exercised only without scikit-learn
            raise MaxEntError(
                "penalty='l1' and penalty='elastic_net' need scikit-learn; "
                "install it with `pip install maxent[fit]`."
            ) from None
        self.l1_ratio = l1_ratio
        self.tol = tol
        self.max_iter = max_iter
        self._path: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None

    def sklearn_params(self, alpha: float) -> dict[str, float]:
        rho, n_data = self.l1_ratio, self.kernel.shape[0]
        return {"alpha": alpha * (2.0 - rho) / n_data, "l1_ratio": rho / (2.0 - rho)}

    def solve(self, alpha: float, start: Any = None) -> Point:
        n = self.kernel.shape[1]
        rho = self.l1_ratio
        converged = True
        if np.isinf(alpha):
            x = np.zeros(n)
        else:
            x = self._polish(alpha, self._lars(alpha))
            if not self._optimal(alpha, x):  # LARS lost its way: coordinate descent
                x, converged = self._coordinate_descent(alpha, x)
                x = self._polish(alpha, x)
                converged = converged or self._optimal(alpha, x)
        pen = float(rho * np.sum(np.abs(x)) + (1.0 - rho) * (x @ x))
        ridge = 0.0 if np.isinf(alpha) else 2.0 * alpha * (1.0 - rho)
        n_good = _effective_parameters(self.kernel, x, ridge)
        return Point(alpha, x, self.chi2(x), pen, n_good, float("nan"), converged, 0, state=x)

    def _lars(self, alpha: float) -> NDArray[np.float64]:
        r"""Exact homotopy (LARS-lasso); the ridge part as extra rows
        :math:`\sqrt{2\alpha(1-\rho)}\,I`."""
        from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
        from sklearn.linear_model import LassoLars

        rho = self.l1_ratio
        kt, y = self.kernel, self.data
        if rho == 1.0:  # the lasso path is piecewise linear in alpha: compute it once
            return self._on_lasso_path(alpha)
        if rho < 1.0:
            n = kt.shape[1]
            kt = np.vstack([kt, math.sqrt(2.0 * alpha * (1.0 - rho)) * np.eye(n)])
            y = np.concatenate([y, np.zeros(n)])
        with _sklearn_overflow(alpha), warnings.catch_warnings():
            warnings.simplefilter("ignore", SkConvergenceWarning)
            model = LassoLars(
                alpha=alpha * rho / kt.shape[0],
                fit_intercept=False,
                max_iter=self.max_iter,
                eps=_EPS,
            )
            model.fit(kt, y)
        return np.asarray(model.coef_, dtype=np.float64).copy()

    def _on_lasso_path(self, alpha: float) -> NDArray[np.float64]:
        """The exact lasso solution at alpha, interpolated on the LARS path (computed once;
        scikit-learn's alphas are ours divided by N)."""
        from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
        from sklearn.linear_model import lars_path

        if self._path is None:
            with _sklearn_overflow(alpha), warnings.catch_warnings():
                warnings.simplefilter("ignore", SkConvergenceWarning)
                alphas, _, coefs = lars_path(
                    self.kernel, self.data, method="lasso", max_iter=self.max_iter, eps=_EPS
                )
            self._path = (alphas[::-1] * self.kernel.shape[0], coefs[:, ::-1])
        knots, coefs = self._path  # ascending alpha
        if alpha >= knots[-1]:
            return coefs[:, -1].copy()
        if alpha <= knots[0]:
            return coefs[:, 0].copy()
        j = int(np.searchsorted(knots, alpha))
        t = (alpha - knots[j - 1]) / (knots[j] - knots[j - 1])
        return (1.0 - t) * coefs[:, j - 1] + t * coefs[:, j]

    def _optimal(self, alpha: float, x: NDArray[np.float64]) -> bool:
        """Optimality (KKT) conditions of the fit, to ``tol`` relative to their scale."""
        rho = self.l1_ratio
        grad = self.kernel.T @ (self.kernel @ x - self.data) + 2 * alpha * (1 - rho) * x
        active = x != 0
        scale = max(alpha * rho, float(np.max(np.abs(self.kernel.T @ self.data))))
        tol = max(self.tol, 1e-8) * scale
        on = np.abs(grad[active] + alpha * rho * np.sign(x[active]))
        off = np.abs(grad[~active]) - alpha * rho
        return bool(np.all(on <= tol) and np.all(off <= tol))

    def _coordinate_descent(
        self, alpha: float, start: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], bool]:
        from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
        from sklearn.linear_model import ElasticNet

        # scikit-learn stops when the duality gap < tol * |y|^2; our tol is relative to
        # the scale of chi^2 that matters, N (|y|^2 can be many orders larger)
        y2 = float(self.data @ self.data)
        tol = self.tol * min(1.0, self.data.size / y2) if y2 > 0 else self.tol
        model = ElasticNet(
            **self.sklearn_params(alpha),
            fit_intercept=False,
            tol=tol,
            max_iter=self.max_iter,
            warm_start=True,
        )
        model.coef_ = np.array(start)
        with _sklearn_overflow(alpha), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SkConvergenceWarning)
            model.fit(self.kernel, self.data)
        converged = not any(issubclass(w.category, SkConvergenceWarning) for w in caught)
        return np.asarray(model.coef_, dtype=np.float64).copy(), converged

    def _polish(self, alpha: float, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Solve exactly on the support and signs coordinate descent found, if consistent.

        Given the signs s on the support A, the minimum is the least-squares problem
        :math:`\\min \\tfrac12\\|K_A x - y\\|^2 + \\alpha(1-\\rho)\\|x\\|^2
        + \\alpha\\rho\\, s^T x`;
        it is kept only if the signs stay and the optimality conditions hold off A.
        """
        active = x != 0
        if not np.any(active) or np.count_nonzero(active) > self.kernel.shape[0]:
            return x
        rho = self.l1_ratio
        ka = self.kernel[:, active]
        k = ka.shape[1]
        mat = np.vstack([ka, np.sqrt(2.0 * alpha * (1.0 - rho)) * np.eye(k)])
        rhs = np.concatenate([self.data, np.zeros(k)])
        with np.errstate(all="ignore"):
            xa = _ls_linear(mat, rhs, alpha * rho * np.sign(x[active]))
        if not np.all(np.isfinite(xa)) or np.any(np.sign(xa) != np.sign(x[active])):
            return x
        polished = np.zeros_like(x)
        polished[active] = xa
        grad = self.kernel.T @ (self.kernel @ polished - self.data)
        if np.any(np.abs(grad[~active]) > alpha * rho * (1 + 1e-9)):
            return x
        return polished

    def alpha_max(self) -> float:
        """Smallest alpha at which x = 0: :math:`\\max_i |\\tilde K^T \\tilde y|_i / \\rho`."""
        return float(np.max(np.abs(self.kernel.T @ self.data))) / self.l1_ratio

    def alpha_top(self) -> float:
        return self.alpha_max()


@contextlib.contextmanager
def _sklearn_overflow(alpha: float) -> Iterator[None]:
    """scikit-learn's overflow (it keeps some of the path in single precision) as a maxent
    error: the whitened problem is too large for it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=RuntimeWarning, message="overflow")
        try:
            yield
        except RuntimeWarning as exc:
            raise InvalidInputError(
                f"scikit-learn's lasso overflowed at alpha = {alpha:.3g} ({exc}): the kernel "
                "and data in units of `sigma` are too large for it; express x in a unit "
                "where K x is closer to the errors."
            ) from None


def _ls_linear(
    mat: NDArray[np.float64], rhs: NDArray[np.float64], cost: NDArray[np.float64]
) -> NDArray[np.float64]:
    r""":math:`\arg\min_z \tfrac12\|Mz - b\|^2 + c^T z` over the row space of M.

    With :math:`M = U S V^T` (thin): :math:`z = V S^{-1}(U^T b - S^{-1} V^T c)`, no normal
    equations formed; columns that depend on the others (more columns than data, or
    :math:`K_i` and :math:`-K_i` together) get the minimum-norm solution.
    """
    u, s, vt = np.linalg.svd(mat, full_matrices=False)
    keep = s > _RCOND * (s[0] if s.size else 0.0)
    u, s, vt = u[:, keep], s[keep], vt[keep]
    return vt.T @ ((u.T @ rhs - (vt @ cost) / s) / s)


def _nnls_linear(
    mat: NDArray[np.float64], rhs: NDArray[np.float64], cost: NDArray[np.float64], *, max_iter: int
) -> tuple[NDArray[np.float64], bool]:
    r"""Lawson-Hanson active set for :math:`\min_{z \ge 0} \tfrac12\|Mz - b\|^2 + c^T z`.

    The classic NNLS algorithm (Lawson & Hanson 1974, ch. 23) with the linear term in the
    gradient :math:`w = M^T(b - Mz) - c` and in each passive-set solve
    :math:`R z_P = Q^T b - R^{-T} c_P` (:math:`M_P = QR`).  Returns (z, converged).
    """
    n = mat.shape[1]
    z = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    scale = max(float(np.max(np.abs(mat.T @ rhs))), float(np.max(cost)), 1e-300)
    tol = 1e-12 * scale

    def sub_solve(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        out = np.zeros(n)
        out[mask] = _ls_linear(mat[:, mask], rhs, cost[mask])
        return out

    for _ in range(max_iter):
        w = mat.T @ (rhs - mat @ z) - cost
        w[passive] = -np.inf
        j = int(np.argmax(w))
        if w[j] <= tol:
            return z, True
        passive[j] = True
        with np.errstate(divide="ignore", invalid="ignore"):
            for _ in range(n):
                trial = sub_solve(passive)
                if np.all(trial[passive] > 0):
                    z = trial
                    break
                bad = passive & (trial <= 0)
                step = np.min(z[bad] / (z[bad] - trial[bad]))
                z = z + step * (trial - z)
                passive &= z > 1e-15 * np.max(np.abs(z), initial=0.0)
                z[~passive] = 0.0
    return z, False


class NonnegSolver(Solver):
    r"""Soft penalty :math:`P = \sum_i \max(0, -x_i)`; hard constraint x >= 0 at alpha = inf.

    With :math:`x = a - b`, :math:`a, b \ge 0`, the soft problem is
    :math:`\min \tfrac12\chi^2(a - b) + \alpha \sum_i b_i`, solved exactly by the
    Lawson-Hanson active-set method with a linear term (:func:`_nnls_linear`); at
    alpha = inf, :func:`scipy.optimize.nnls`.  For alpha above the largest multiplier of
    the hard problem the two agree (the penalty is exact).
    """

    decades = 8

    def __init__(
        self, kernel: NDArray[np.float64], data: NDArray[np.float64], *, max_iter: int
    ) -> None:
        super().__init__(kernel, data)
        self.max_iter = max_iter

    def solve(self, alpha: float, start: Any = None) -> Point:
        kt, y = self.kernel, self.data
        n = kt.shape[1]
        if np.isinf(alpha):
            import scipy.optimize  # only the nonneg penalty needs it

            x, _ = scipy.optimize.nnls(kt, y, maxiter=max(self.max_iter, 3 * n))
            converged = True
        else:
            z, converged = _nnls_linear(
                np.hstack([kt, -kt]),
                y,
                np.concatenate([np.zeros(n), np.full(n, alpha)]),
                max_iter=max(self.max_iter, 6 * n),
            )
            x = z[:n] - z[n:]
        pen = float(np.sum(np.maximum(-x, 0.0)))
        n_good = _effective_parameters(kt, x)
        return Point(alpha, x, self.chi2(x), pen, n_good, float("nan"), converged, 0, state=x)

    def alpha_max(self) -> float:
        """The largest Lagrange multiplier of the hard problem (soft = hard above it)."""
        x = self.solve(np.inf).x
        grad = self.kernel.T @ (self.kernel @ x - self.data)
        return float(max(np.max(np.abs(grad)), 1e-300))

    def alpha_top(self) -> float:
        return 10.0 * self.alpha_max()
