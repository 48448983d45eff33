"""fit(): entropy-regularised and penalised least-squares fits of ill-posed linear problems.

Recover :math:`x` (a spectrum, a density of states, ...) from data
:math:`y = K x + \\text{noise}` by minimising :math:`Q(x) = \\tfrac12 \\chi^2(x) + \\alpha P(x)`
for one of five penalties, with :math:`\\alpha` fixed or chosen by a rule, and return a
:class:`FitResult` with the path of solutions explored, error bars and ``to_xarray()``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import rel_entr

from ._alpha_rules import ALPHA_PRIORS, ALPHA_RULES, Path, ScanContext, default_alphas
from ._checks import as_float_array, check_finite, check_positive, integer, real_number
from ._dataset import dataset, variable
from ._fit_inputs import check_alpha, check_sigma, check_whitened_scale, check_windows, grid_vector
from ._parallel import blas_limited
from ._penalty_solvers import (
    ElasticNetSolver,
    EntropySolver,
    L2Solver,
    NonnegSolver,
    symmetric_from_factors,
)
from ._summary import summary_repr
from .errors import ConvergenceWarning, InvalidInputError

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["FitResult", "fit"]


@dataclass(frozen=True)
class _Setup:
    """Everything a penalty's solver may need, in whitened units."""

    kernel: NDArray[np.float64]
    data: NDArray[np.float64]
    weights: NDArray[np.float64]
    model: NDArray[np.float64]
    tol: float
    max_iter: int
    l1_ratio: float


#: penalty name -> (default tol, solver factory taking a _Setup)
PENALTIES: dict[str, tuple[float, Any]] = {
    "entropy": (
        1e-10,
        lambda s: EntropySolver(
            s.kernel, s.data, s.weights, s.model, tol=s.tol, max_iter=s.max_iter
        ),
    ),
    "l2": (1e-10, lambda s: L2Solver(s.kernel, s.data)),
    "l1": (
        1e-4,
        lambda s: ElasticNetSolver(
            s.kernel, s.data, l1_ratio=1.0, tol=s.tol, max_iter=100 * s.max_iter
        ),
    ),
    "elastic_net": (
        1e-4,
        lambda s: ElasticNetSolver(
            s.kernel, s.data, l1_ratio=s.l1_ratio, tol=s.tol, max_iter=100 * s.max_iter
        ),
    ),
    "nonneg": (1e-10, lambda s: NonnegSolver(s.kernel, s.data, max_iter=s.max_iter)),
}


#: placeholder unit names used inside FitResult.to_xarray -> what the value is measured in
_CALLER_UNITS = {
    "x unit": "in the units of x",
    "x unit^2": "in the units of x squared",
    "grid unit": "in the units of the grid",
    "data unit": "in the units of the data",
    "x unit * grid unit": "in the units of x times the grid",
}


@dataclass(frozen=True)
class FitResult:
    """Solution of a penalised fit, as returned by :func:`maxent.fit`.

    The set of fields never depends on the options; fields that do not apply hold NaN.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The solution on the grid.
    x_error : ndarray, shape (n,)
        Square root of the diagonal of ``covariance`` (pointwise errors are large and
        strongly correlated; the window errors are the meaningful ones).
    covariance : ndarray, shape (n, n)
        Posterior covariance at the solution, the inverse Hessian of :math:`Q` (entropy,
        l2; for ``"bryan"`` averaged over alpha, spread included); NaN for l1, elastic_net
        and nonneg.
    alpha : float
        The regularisation weight used (``"bryan"``: the posterior mean of alpha).
    alpha_rule : str
        What chose alpha: ``"fixed"`` or the rule's name (see :func:`fit`).
    penalty : str
        ``"entropy"``, ``"l2"``, ``"l1"``, ``"elastic_net"`` or ``"nonneg"``.
    chi2 : float
        :math:`\\chi^2 = (y - Kx)^T C^{-1} (y - Kx)`.
    entropy : float
        :math:`S(x; m) = \\sum_i w_i (x_i - m_i - x_i \\ln(x_i/m_i))` (NaN if any x < 0).
    penalty_value : float
        :math:`P(x)` of the chosen penalty (``-entropy`` for entropy).
    n_good : float
        Effective number of parameters the data determine, the trace of the hat matrix:
        :math:`\\sum_i \\lambda_i/(\\alpha + \\lambda_i)` for entropy and l2, the (ridge-
        shrunk) rank of the active columns for the others.
    log_evidence : float
        :math:`\\log P(y \\mid \\alpha)` up to an alpha-independent constant (entropy and
        l2; for ``"bryan"`` the log of its integral over :math:`\\log\\alpha`); NaN otherwise.
    converged : bool
        Whether the solver met ``tol`` and the alpha rule found its alpha.
    n_iter : int
        Newton steps at the chosen alpha (entropy; 0 for the other solvers).
    message : str
        How the fit ended.
    data, data_error, fitted_data : ndarray, shape (N,)
        :math:`y`, :math:`\\sqrt{C_{jj}}` and :math:`K x`.
    default_model, grid, grid_weights : ndarray, shape (n,)
        :math:`m`, the grid points and the quadrature weights :math:`w`.
    windows : ndarray, shape (n_windows, 2)
        ``[lower, upper]`` of each window, in grid units.
    window_integrals, window_errors : ndarray, shape (n_windows,)
        :math:`\\sum_{i \\in W} w_i x_i` over the grid points in each window and its
        posterior standard deviation.
    path_alpha, path_chi2, path_entropy, path_penalty, path_n_good, path_log_evidence :
    ndarray, shape (n_path,)
        Every alpha at which a solution was computed (descending) and the quantities
        above at each one.
    path_x : ndarray, shape (n_path, n)
        The solution at each alpha of the path.
    path_converged : ndarray of bool, shape (n_path,)
    """

    x: NDArray[np.float64]
    x_error: NDArray[np.float64]
    covariance: NDArray[np.float64]
    alpha: float
    alpha_rule: str
    penalty: str
    chi2: float
    entropy: float
    penalty_value: float
    n_good: float
    log_evidence: float
    converged: bool
    n_iter: int
    message: str
    data: NDArray[np.float64]
    data_error: NDArray[np.float64]
    fitted_data: NDArray[np.float64]
    default_model: NDArray[np.float64]
    grid: NDArray[np.float64]
    grid_weights: NDArray[np.float64]
    windows: NDArray[np.float64]
    window_integrals: NDArray[np.float64]
    window_errors: NDArray[np.float64]
    path_alpha: NDArray[np.float64]
    path_chi2: NDArray[np.float64]
    path_entropy: NDArray[np.float64]
    path_penalty: NDArray[np.float64]
    path_n_good: NDArray[np.float64]
    path_log_evidence: NDArray[np.float64]
    path_x: NDArray[np.float64]
    path_converged: NDArray[np.bool_]

    def __repr__(self) -> str:
        return summary_repr(self)

    def to_xarray(self) -> xr.Dataset:
        """The result as an :class:`xarray.Dataset`.

        Dims ``grid`` (and ``grid2`` for the covariance), ``data_point``, ``alpha_path``
        and ``window``; every variable and coordinate has ``long_name`` and ``units``;
        attributes hold only str, int and float, so ``to_netcdf()`` works as is.
        """

        def var(
            dims: str | tuple[str, ...],
            values: ArrayLike,
            long_name: str,
            units: str,
            description: str = "",
        ) -> tuple[tuple[str, ...], Any, dict[str, str]]:
            # units of x, of the grid and of the data are the caller's and unknown here:
            # such variables carry no `units` (never a placeholder) and say what they are in
            if units in _CALLER_UNITS:
                note = _CALLER_UNITS[units] + (f"; {description}" if description else "")
                return variable(dims, np.asarray(values), long_name, None, note)
            return variable(dims, np.asarray(values), long_name, units, description)

        resid = (self.data - self.fitted_data) / self.data_error
        ds = dataset(
            {
                "solution": var("grid", self.x, "fitted x on the grid", "x unit"),
                "solution_error": var("grid", self.x_error, "posterior std of x", "x unit"),
                "default_model": var("grid", self.default_model, "default model m", "x unit"),
                "grid_weights": var("grid", self.grid_weights, "quadrature weight w", "grid unit"),
                "covariance": var(
                    ("grid", "grid2"), self.covariance, "posterior covariance of x", "x unit^2"
                ),
                "data": var("data_point", self.data, "data y", "data unit"),
                "data_error": var(
                    "data_point", self.data_error, "data standard error", "data unit", "sqrt(C_jj)"
                ),
                "fitted_data": var(
                    "data_point", self.fitted_data, "fitted data", "data unit", "K x"
                ),
                "normalized_residual": var(
                    "data_point", resid, "normalised residual", "1", "(y - K x) / sqrt(C_jj)"
                ),
                "window_lower": var(
                    "window", self.windows[:, 0], "window lower edge", "grid unit"
                ),
                "window_upper": var(
                    "window", self.windows[:, 1], "window upper edge", "grid unit"
                ),
                "window_integral": var(
                    "window",
                    self.window_integrals,
                    "window integral",
                    "x unit * grid unit",
                    "sum of w x over the window",
                ),
                "window_error": var(
                    "window",
                    self.window_errors,
                    "posterior std of the window integral",
                    "x unit * grid unit",
                ),
                "alpha": var((), self.alpha, "regularisation weight alpha", "1"),
                "chi2": var((), self.chi2, "chi squared", "1"),
                "entropy": var((), self.entropy, "entropy", "x unit * grid unit", "S(x; m)"),
                "penalty_value": var((), self.penalty_value, "penalty P(x)", "1"),
                "n_good": var((), self.n_good, "number of good measurements", "1"),
                "log_evidence": var((), self.log_evidence, "log evidence (up to a constant)", "1"),
                "path_chi2": var("alpha_path", self.path_chi2, "chi squared", "1"),
                "path_entropy": var(
                    "alpha_path", self.path_entropy, "entropy", "x unit * grid unit", "S(x; m)"
                ),
                "path_penalty": var("alpha_path", self.path_penalty, "penalty P(x)", "1"),
                "path_n_good": var(
                    "alpha_path", self.path_n_good, "number of good measurements", "1"
                ),
                "path_log_evidence": var(
                    "alpha_path", self.path_log_evidence, "log evidence (up to a constant)", "1"
                ),
                "path_solution": var(
                    ("alpha_path", "grid"), self.path_x, "x at each alpha", "x unit"
                ),
                "path_converged": var(
                    "alpha_path",
                    self.path_converged.astype(np.int8),
                    "solver converged (1) or not (0)",
                    "1",
                ),
            },
            coords={
                "grid": var("grid", self.grid, "grid point", "grid unit"),
                "grid2": var("grid2", self.grid, "grid point", "grid unit"),
                "data_point": var("data_point", np.arange(self.data.size), "data index", "1"),
                "alpha_path": var("alpha_path", self.path_alpha, "alpha explored", "1"),
                "window": var("window", np.arange(self.windows.shape[0]), "window index", "1"),
            },
            title=f"maxent.fit: {self.penalty} penalty, alpha by {self.alpha_rule}",
            solver="maxent.fit",
            penalty=self.penalty,
            alpha_rule=self.alpha_rule,
            converged=int(self.converged),
            n_iter=int(self.n_iter),
            message=self.message,
        )
        if not np.any(np.isfinite(self.covariance)):
            note = f"not available: penalty={self.penalty!r} has no posterior"
            for name in ("window_error", "solution_error", "covariance"):
                ds[name].attrs["description"] = note
        return ds


# --------------------------------------------------------------------------- validation


def _flat_default_model(kt: NDArray[np.float64], yt: NDArray[np.float64]) -> float:
    """Least-squares scale c of the flat model: min over c of chi^2(c * 1); 1 if c <= 0."""
    k1 = kt.sum(axis=1)
    norm = float(k1 @ k1)
    c = float(k1 @ yt) / norm if norm > 0 else 0.0
    return c if c > 0 and math.isfinite(c) else 1.0


# --------------------------------------------------------------------------- fit


def fit(
    kernel: ArrayLike,
    data: ArrayLike,
    sigma: ArrayLike,
    *,
    penalty: str = "entropy",
    default_model: ArrayLike | None = None,
    alpha: float | str = "classic",
    alphas: ArrayLike | None = None,
    grid: ArrayLike | None = None,
    grid_weights: ArrayLike | None = None,
    windows: Sequence[tuple[float, float]] | ArrayLike | None = None,
    l1_ratio: float = 0.5,
    tol: float | None = None,
    max_iter: int = 200,
    alpha_prior: str = "jeffreys",
    progress: bool | None = None,
) -> FitResult:
    r"""Regularised solution of an ill-posed linear problem :math:`y = K x + \text{noise}`.

    Minimises :math:`Q(x) = \tfrac12\chi^2(x) + \alpha P(x)` with
    :math:`\chi^2 = (y - Kx)^T C^{-1} (y - Kx)` and the penalty

    - ``"entropy"``: :math:`P = -S = \sum_i w_i (x_i \ln(x_i/m_i) - x_i + m_i)`, the
      maximum-entropy method against the default model :math:`m` (x > 0 by construction);
    - ``"l2"``: :math:`\|x\|^2` (ridge, closed form);
    - ``"l1"``: :math:`\|x\|_1` (lasso, scikit-learn);
    - ``"elastic_net"``: :math:`\rho\|x\|_1 + (1-\rho)\|x\|^2` with
      :math:`\rho` = ``l1_ratio`` (scikit-learn);
    - ``"nonneg"``: :math:`\sum_i \max(0, -x_i)`; at ``alpha=inf`` the hard constraint
      :math:`x \ge 0` (:func:`scipy.optimize.nnls`).

    Parameters
    ----------
    kernel : array_like, shape (N, n)
        :math:`K`, with the quadrature weights already applied:
        :math:`(Kx)_j \approx \int k(t_j, \omega) x(\omega) d\omega`.
    data : array_like, shape (N,)
        Measured :math:`y`.
    sigma : array_like, shape (N,) or (N, N)
        Standard deviations of independent errors, or the full covariance matrix :math:`C`.
    penalty : str
        One of ``"entropy"``, ``"l2"``, ``"l1"``, ``"elastic_net"``, ``"nonneg"``.
    default_model : array_like, shape (n,) or float, optional
        :math:`m > 0`, the entropy solution when the data say nothing.  Default: flat,
        scaled by the least-squares fit of a constant to the data (1 if that scale is not
        positive), which makes it carry the data's normalisation when K has a row (or
        combination of rows) that integrates x.
    alpha : float or str
        A fixed value > 0 (``inf`` returns the default model for entropy, 0 for l2, l1 and
        elastic net, and the hard constraint for nonneg), or the rule that picks it:

        - ``"historic"``: :math:`\chi^2 = N`;
        - ``"classic"``: maximum of the evidence, :math:`-2\alpha S = N_\mathrm{good}`
          (Gull 1989);
        - ``"bryan"``: posterior average over alpha (Bryan 1990), prior ``alpha_prior``;
        - ``"chi2kink"``: ana_cont's rule (also ACFlow's): a logistic curve
          :math:`a + b/(1 + e^{-d(x - c)})` fitted to :math:`\log_{10}\chi^2` against
          :math:`x = \log_{10}\alpha`, and :math:`\alpha = 10^{c - 2.5/d}`, just on the
          noise side of the kink;
        - ``"linefit"``: TRIQS/maxent's ``LineFitAnalyzer``: straight lines through the
          noise-fitting plateau and the information-fitting slope of
          :math:`\log\chi^2(\log\alpha)`, alpha at their intersection;
        - ``"lcurve"``: the largest curvature of :math:`\log\chi^2` against
          :math:`\log\alpha` (TRIQS/maxent's ``Chi2CurvatureAnalyzer``);
        - ``"gcv"``: generalised cross-validation, minimum of
          :math:`N\chi^2/(N - N_\mathrm{good})^2`.

        ``"classic"`` and ``"bryan"`` need the evidence: entropy and l2 only.  The rules
        built on the shape of :math:`\chi^2(\alpha)` (chi2kink, linefit, lcurve) hardly
        depend on the scale of ``sigma``; classic and bryan do, and can over-fit
        (TRIQS/maxent's guide scales its error by 10 for them; on its metallic
        semicircle with the true error, classic has 5 times chi2kink's L1 error).
    alphas : array_like, optional
        The alpha grid to scan, all of it.  Default: 4 values per decade from where the
        penalty dominates (10 times the largest eigenvalue of the data term; for l1 and
        elastic net the smallest alpha at which x = 0) down by up to 30 decades (entropy,
        l2), 8 (nonneg) or 10 (l1, elastic_net), the scan stopping once :math:`\chi^2` has
        levelled off (less than 3 % lower than a decade before) and the rule has what it
        needs (its sign change, its minimum, the evidence fallen by :math:`e^{10}`).
    grid : array_like, shape (n,), optional
        Positions of the grid points (default ``0, 1, ..., n-1``), for ``windows`` and
        the output.
    grid_weights : array_like, shape (n,), optional
        Quadrature weights :math:`w_i > 0` used in :math:`S` (default 1).
    windows : sequence of (lower, upper), optional
        Grid intervals over which :math:`\sum_i w_i x_i` and its error are reported.
    l1_ratio : float
        :math:`\rho \in (0, 1]` of the elastic net.
    tol : float, optional
        Tolerance of the solvers: relative gradient and relative change of x (Newton,
        entropy; default 1e-10); for l1 and elastic_net (default 1e-4) the tolerance of
        the optimality conditions that decide whether the exact LARS solution stands, and
        scikit-learn's duality-gap ``tol`` of the coordinate-descent fallback.  l2 and
        nonneg are solved exactly.
    max_iter : int
        Newton steps per alpha (entropy); coordinate-descent sweeps are allowed 100 times
        as many, active-set steps (nonneg) at least 6 n.
    alpha_prior : {"jeffreys", "uniform", "ana_cont"}
        Prior of alpha in Bryan's average :math:`\bar x = \int x_\alpha
        P(y|\alpha) P(\alpha) d\alpha / \int P(y|\alpha) P(\alpha) d\alpha`.
        ``"jeffreys"`` (default): :math:`P(\alpha) \propto 1/\alpha`, uniform in
        :math:`\log\alpha`, the scale-invariant choice of Jarrell & Gubernatis and
        TRIQS/maxent.  ``"uniform"``: :math:`P(\alpha) = \text{const}`; this weighs large
        alpha more.  ``"ana_cont"``: :math:`P(\alpha) \propto \alpha`, what ana_cont's
        ``solve_bryan`` integrates (its probability of alpha carries a factor alpha and is
        integrated over :math:`d\alpha`); on its two-Gaussian example the mean alpha is
        6.3 (Jeffreys), 7.2 (uniform) and 8.2 (ana_cont), and ``"ana_cont"`` reproduces
        ana_cont's spectrum to 1e-4 of its maximum.
    progress : bool or None
        A tqdm progress bar on standard error for alpha scans lasting over a second:
        None (default) when standard error is a terminal (so never in tests, logs or
        pipes), True always, False never.

    Returns
    -------
    FitResult

    Raises
    ------
    InvalidInputError
        If an argument has the wrong shape, is not finite, ``sigma`` or ``default_model``
        or ``grid_weights`` is not positive, ``sigma`` is below 1e-15 of the data (chi^2
        would be rounding noise) or over 1e100 times the data (no information, and
        alpha beyond the float range), the kernel in units of ``sigma`` is more than
        1e140 away from 1, or an option is unknown.
    MaxEntError
        For ``"l1"``/``"elastic_net"`` without scikit-learn (``pip install maxent[fit]``).

    Warns
    -----
    ConvergenceWarning
        If the solver stops before ``tol`` or the rule finds no alpha in the grid; the
        result then has ``converged=False``.

    See Also
    --------
    maxent.fit_plots.plot_reconstruction : the solution with its error band.
    maxent.fit_plots.plot_data_fit : data, fit and normalised residuals.
    maxent.fit_plots.plot_alpha_scan : chi^2 and evidence against alpha.
    solve : the maximum-entropy problem with exact constraints.

    Notes
    -----
    All work is done in whitened units (rows divided by sigma, or :math:`L^{-1}` with
    :math:`C = LL^T`), with BLAS on one thread (the work per alpha is on matrices of the
    size of the rank of K, where threads only add synchronisation).  The entropy solver is
    Bryan's Newton iteration in the singular subspace of K (at most N unknowns whatever n),
    backtracking along the Gauss-Newton step before Marquardt damping; a fixed alpha is
    reached by continuation from large alpha (4 steps per decade, all kept in the path);
    each rule first scans ``alphas`` from large to small, warm-starting each solve, then
    refines (root of the historic or classic condition, minimum of GCV; the L-curve uses
    the grid; Bryan's average uses the grid refined 4-fold where the evidence is within
    :math:`e^{-10}` of its peak).  l1 and elastic net: scikit-learn's LARS homotopy on the
    whitened problem, no intercept (l1: one path per fit, exact between its knots;
    elastic net: the ridge term as extra rows), then an exact solve on the support and
    signs found; coordinate descent only if the optimality conditions then fail.  Soft
    nonneg: an exact active-set method.
    The posterior covariance is kept as :math:`\mathrm{diag}(d) - G G^T`, G with at
    most rank-of-K columns; the n x n matrix is formed once, for the chosen solution
    (for Bryan's average, once from the stacked factors of the points that matter).
    For the entropy penalty, :math:`\ln(x_i/m_i)` is floored where :math:`x_i` would
    drop below ~1e-290, so that x stays positive in floating point.  The evidence is
    Gull's Gaussian approximation,
    :math:`\log P(y|\alpha) = -\frac12\sum_i\ln(1 + \lambda_i/\alpha) - Q` with
    :math:`\lambda_i` the eigenvalues of :math:`\sqrt{X} K^T C^{-1} K \sqrt{X}`,
    :math:`X = \mathrm{diag}(x/w)` (entropy) or of :math:`K^TC^{-1}K/2` (l2).

    References
    ----------
    S. F. Gull, in *Maximum Entropy and Bayesian Methods* (1989) 53.
    R. K. Bryan, Eur. Biophys. J. 18 (1990) 165.
    M. Jarrell and J. E. Gubernatis, Phys. Rep. 269 (1996) 133.
    G. J. Kraberger, R. Triebl, M. Zingl and M. Aichhorn, Phys. Rev. B 96 (2017) 155128
    (TRIQS/maxent: line fit and chi^2 curvature analyzers).
    J. Kaufmann and K. Held, Comput. Phys. Commun. 282 (2023) 108519 (ana_cont: chi2kink).
    L. Huang, Comput. Phys. Commun. 292 (2023) 108863 (ACFlow).

    Examples
    --------
    >>> import maxent
    >>> res = maxent.fit([[1.0, 0.0], [0.0, 1.0]], [1.0, 3.0], [1.0, 1.0],
    ...                  penalty="l2", alpha=0.5)
    >>> res.x
    array([0.5, 1.5])
    """
    kmat = check_finite(as_float_array(kernel, "kernel", ndim=2), "kernel").copy()
    n_data, n = kmat.shape
    if n_data == 0 or n == 0:
        raise InvalidInputError(
            f"`kernel` must have at least one row and column; got shape {kmat.shape}."
        )
    if not np.any(kmat):
        raise InvalidInputError(
            "`kernel` is all zeros: the data say nothing about x; give a kernel with at "
            "least one non-zero entry."
        )
    y = as_float_array(data, "data", ndim=1).copy()
    if y.shape[0] != n_data:
        raise InvalidInputError(
            f"`data` has {y.shape[0]} entries but `kernel` has {n_data} rows (one per datum)."
        )
    check_finite(y, "data")
    factor, data_error = check_sigma(sigma, n_data)
    if penalty not in PENALTIES:
        raise InvalidInputError(
            f"`penalty` must be one of {', '.join(PENALTIES)}; got {penalty!r}."
        )
    alpha_choice = check_alpha(alpha)
    if alpha_prior not in ALPHA_PRIORS:
        raise InvalidInputError(
            f"`alpha_prior` must be one of {', '.join(ALPHA_PRIORS)}; got {alpha_prior!r}."
        )
    ratio = cast(float, real_number(l1_ratio, "l1_ratio", minimum=0.0, strict=True, maximum=1.0))
    default_tol, make_solver = PENALTIES[penalty]
    tol = real_number(default_tol if tol is None else tol, "tol", minimum=0.0, strict=True)
    max_iter = cast(int, integer(max_iter, "max_iter", minimum=1))

    weights = (
        np.ones(n)
        if grid_weights is None
        else check_positive(grid_vector(grid_weights, "grid_weights", n), "grid_weights").copy()
    )
    grid_pts = (
        np.arange(n, dtype=np.float64)
        if grid is None
        else check_finite(grid_vector(grid, "grid", n), "grid").copy()
    )
    win = check_windows(windows).copy()

    if factor.ndim == 1:
        kt, yt = kmat / factor[:, None], y / factor
    else:
        import scipy.linalg  # a full covariance only (~0.2 s to import)

        kt = scipy.linalg.solve_triangular(factor, kmat, lower=True)
        yt = scipy.linalg.solve_triangular(factor, y, lower=True)
    check_whitened_scale(kt, yt)

    if default_model is None:
        model = np.full(n, _flat_default_model(kt, yt))
    else:
        model = check_positive(
            grid_vector(default_model, "default_model", n), "default_model"
        ).copy()

    # BLAS on one thread while fitting: the work per alpha is on s x s matrices (s <= N)
    # and matrix-vector products, where threaded BLAS only adds synchronisation (20 times
    # slower on a busy 2-core machine).
    with blas_limited(1):
        return _fit_whitened(
            _Setup(kt, yt, weights, model, cast(float, tol), max_iter, ratio),
            make_solver,
            alpha_choice,
            alphas,
            alpha_prior,
            progress,
            penalty,
            n_data,
            (y, data_error, grid_pts, win, kmat),
        )


def _fit_whitened(
    setup: Any,
    make_solver: Callable[[Any], Any],
    alpha_choice: Any,
    alphas: Any,
    alpha_prior: str,
    progress: bool | None,
    penalty: str,
    n_data: int,
    originals: tuple[Any, ...],
) -> FitResult:
    y, data_error, grid_pts, win, kmat = originals
    model, weights = setup.model, setup.weights
    solver = make_solver(setup)
    path = Path(solver, progress=progress)
    message = ""
    average = None
    if isinstance(alpha_choice, float):
        rule = "fixed"
        top = solver.alpha_top() if solver.continuation else 0.0
        if alpha_choice < top:
            # continuation from where the default model is nearly the answer, 4 per decade
            steps = int(math.ceil(4 * math.log10(top / alpha_choice))) + 1
            chosen = path.scan(np.geomspace(top, alpha_choice, steps))[-1]
        else:
            chosen = path.at(alpha_choice)
    else:
        rule = alpha_choice
        rule_obj = ALPHA_RULES[rule]
        if rule_obj.needs_posterior and not solver.has_posterior:
            raise InvalidInputError(
                f"`alpha`={rule!r} needs the Bayesian evidence, which exists for "
                "penalty='entropy' and 'l2' only; use a number or one of "
                + ", ".join(k for k, v in ALPHA_RULES.items() if not v.needs_posterior)
                + "."
            )
        done: Callable[[list[Any]], bool] | None
        if alphas is None:
            grid_alpha = default_alphas(solver)

            def done(points: list[Any]) -> bool:
                return rule_obj.done(points, n_data)
        else:
            grid_alpha = check_positive(as_float_array(alphas, "alphas", ndim=1), "alphas")
            if grid_alpha.size < 3:
                raise InvalidInputError(
                    f"`alphas` must hold at least 3 values; got {grid_alpha.size}."
                )
            done = None
        scan = path.scan(grid_alpha, done)
        choice = rule_obj.choose(ScanContext(path, n_data, alpha_prior), scan)
        chosen, average, message = choice.point, choice.average, choice.message

    return _result(
        solver,
        path,
        chosen,
        average,
        rule,
        penalty,
        message,
        y,
        data_error,
        model,
        grid_pts,
        weights,
        win,
        kmat,
    )


def _entropy_of(
    x: NDArray[np.float64], model: NDArray[np.float64], weights: NDArray[np.float64]
) -> float:
    if np.any(x < 0):
        return math.nan
    return float(np.sum(weights * (x - model - rel_entr(x, model))))


def _window_matrix(
    grid: NDArray[np.float64], weights: NDArray[np.float64], win: NDArray[np.float64]
) -> NDArray[np.float64]:
    return np.array(
        [np.where((grid >= lo) & (grid <= hi), weights, 0.0) for lo, hi in win]
    ).reshape(win.shape[0], grid.size)


def _averaged_covariance(
    solver: Any, points: list[Any], w: NDArray[np.float64], x: NDArray[np.float64]
) -> NDArray[np.float64]:
    """:math:`\\sum_k w_k (C_k + \\delta x_k \\delta x_k^T)`, formed once from the factors.

    Each :math:`C_k = \\mathrm{diag}(d_k) - G_k G_k^T` has rank-of-K columns in
    :math:`G_k`, so the average is one diagonal and one product of stacked factors.
    """
    n = x.size
    use = [(wk, p) for wk, p in zip(w, points, strict=True) if wk > 1e-10]
    factors = [(wk, solver.covariance_factors(p)) for wk, p in use]
    if any(f is None for _, f in factors):
        return np.full((n, n), np.nan)
    diag = sum(wk * d for wk, (d, _) in factors)
    low = np.hstack([np.sqrt(wk) * g for wk, (_, g) in factors])
    spread = np.column_stack([np.sqrt(wk) * (p.x - x) for wk, p in use])
    return symmetric_from_factors(diag, low, spread)


def _result(
    solver: Any,
    path: Path,
    chosen: Any,
    average: Any,
    rule: str,
    penalty: str,
    message: str,
    y: NDArray[np.float64],
    data_error: NDArray[np.float64],
    model: NDArray[np.float64],
    grid_pts: NDArray[np.float64],
    weights: NDArray[np.float64],
    win: NDArray[np.float64],
    kmat: NDArray[np.float64],
) -> FitResult:
    n = grid_pts.size
    if average is None:
        point = chosen
        x, alpha, converged = point.x, point.alpha, point.converged and not message
        cov = solver.covariance(point)
        chi2, pen, n_good = point.chi2, point.penalty, point.n_good
        log_ev, n_iter = point.log_evidence, point.n_iter
    else:  # Bryan's average over alpha
        points, w, log_ev = average
        xs = np.array([p.x for p in points])
        x = w @ xs
        alpha = float(w @ np.array([p.alpha for p in points]))
        converged = all(p.converged for p, wk in zip(points, w, strict=True) if wk > 1e-10)
        converged = converged and not message
        cov = _averaged_covariance(solver, points, w, x)
        chi2 = solver.chi2(x)
        pen = solver.penalty_of(x)
        n_good = float(w @ np.array([p.n_good for p in points]))
        n_iter = int(sum(p.n_iter for p in points))
    if not converged and not message:
        message = (
            f"the {penalty} solver did not reach tol at alpha = {alpha:.3g}; "
            "increase `max_iter` or `tol`"
        )
        warnings.warn(f"fit(): {message}.", ConvergenceWarning, stacklevel=4)
    if not message:
        message = f"converged; alpha chosen by {rule}"
    wmat = _window_matrix(grid_pts, weights, win)
    win_err = np.sqrt(np.maximum(np.einsum("ki,ij,kj->k", wmat, cov, wmat), 0.0))
    pts = path.sorted()
    result = FitResult(
        x=np.array(x),
        x_error=np.sqrt(np.maximum(np.diag(cov), 0.0))
        if np.all(np.isfinite(cov))
        else np.full(n, np.nan),
        covariance=cov,
        alpha=float(alpha),
        alpha_rule=rule,
        penalty=penalty,
        chi2=float(chi2),
        entropy=_entropy_of(x, model, weights),
        penalty_value=float(pen),
        n_good=float(n_good),
        log_evidence=float(log_ev),
        converged=bool(converged),
        n_iter=int(n_iter),
        message=message,
        data=y,
        data_error=data_error,
        fitted_data=kmat @ x,
        default_model=model,
        grid=grid_pts,
        grid_weights=weights,
        windows=win,
        window_integrals=wmat @ x,
        window_errors=win_err,
        path_alpha=np.array([p.alpha for p in pts]),
        path_chi2=np.array([p.chi2 for p in pts]),
        path_entropy=np.array([_entropy_of(p.x, model, weights) for p in pts]),
        path_penalty=np.array([p.penalty for p in pts]),
        path_n_good=np.array([p.n_good for p in pts]),
        path_log_evidence=np.array([p.log_evidence for p in pts]),
        path_x=np.array([p.x for p in pts]).reshape(len(pts), n),
        path_converged=np.array([p.converged for p in pts], dtype=bool),
    )
    for value in vars(result).values():  # the result owns its arrays, read-only
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return result
