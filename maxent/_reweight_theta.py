"""How :func:`maxent.reweight` chooses theta: a number, an alpha rule of the fits, or "cv".

theta weighs the relative entropy against :math:`\\tfrac12\\chi^2` exactly as alpha
weighs the penalty in :func:`maxent.fit`, so the fits' rules apply as they are
(:data:`maxent._alpha_rules.ALPHA_RULES`, through their :class:`~maxent._alpha_rules.Path`
protocol): :class:`ThetaSolver` solves at one theta and reports the path point (chi^2 as
a sum over the data, the relative entropy as the penalty, the number of well-determined
data from the covariance of the observables).  ``"cv"`` is cross-validation over
observables and frames (:func:`cross_validate`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._alpha_rules import ALPHA_RULES, Path, ScanContext, default_alphas
from ._penalty_solvers import Point
from ._reweight_fit import Data, Setup, State, chi2, fit_at, initial_state, predicted
from ._reweight_frames import ArrayFrames, frame_pass
from .errors import ConvergenceWarning, InvalidInputError

__all__ = ["THETA_RULES", "ThetaChoice", "choose_theta"]

#: the rules theta may name: the fits' rules that need no Bayesian evidence, and "cv"
THETA_RULES = tuple(k for k, v in ALPHA_RULES.items() if not v.needs_posterior) + ("cv",)

N_FOLDS = 5  # cross-validation: random splits
TRAIN_OBSERVABLES = 0.75  # fraction of the observables fitted in each split
TRAIN_FRAMES = 0.8  # fraction of the frames the weights are fitted on in each split
CV_SEED = 20240521  # the splits are fixed: the same data give the same theta


@dataclass
class ThetaChoice:
    """The chosen theta, its solution, and the scan that chose it."""

    theta: float
    rule: str
    state: State
    scan_theta: NDArray[np.float64]  # descending
    scan_chi2: NDArray[np.float64]  # BME's chi2 (mean over data) of the full fit
    scan_phi: NDArray[np.float64]  # exp(-KL) of the full fit
    scan_validation: NDArray[np.float64]  # cv: validation chi2 after / before; else NaN
    message: str


def _whitened_top(setup: Setup, state: State) -> float:
    """Largest eigenvalue of the prior covariance of the observables in units of sigma."""
    cov = frame_pass(setup.frames, covariance=True).covariance
    assert cov is not None
    d = setup.data
    slope = np.abs(state.scale) if setup.model.forward is None else 1.0
    s = d.sigma / slope
    top = float(np.linalg.eigvalsh(cov / np.outer(s, s))[-1]) if s.size else 0.0
    return top if top > 0 else 1.0


class ThetaSolver:
    """The reweighting as a solver of the alpha rules' :class:`Path` (alpha = theta)."""

    decades = 8
    has_posterior = False
    continuation = False

    def __init__(self, setup: Setup, start: State, need_n_good: bool):
        self.setup, self.start, self.need_n_good = setup, start, need_n_good

    def alpha_top(self) -> float:
        """Ten times the largest curvature of the data term: the prior nearly unchanged."""
        return 10.0 * _whitened_top(self.setup, self.start)

    def solve(self, alpha: float, start: Any = None) -> Point:
        state = fit_at(self.setup, alpha, self.start if start is None else start)
        m = self.setup.data.targets.size
        pred = predicted(self.setup.model, state.mean, state.scale, state.offset)
        return Point(
            alpha=alpha,
            x=state.lam,
            chi2=m * chi2(self.setup.data, pred),
            penalty=state.kl,
            n_good=self._n_good(state) if self.need_n_good else math.nan,
            log_evidence=math.nan,
            converged=state.converged,
            n_iter=state.n_iter,
            state=state,
        )

    def _n_good(self, state: State) -> float:
        """:math:`\\sum_i \\mu_i/(\\theta + \\mu_i)`, :math:`\\mu` the eigenvalues of the
        covariance of the fitted observables in units of their (linearised) sigma."""
        cols = np.flatnonzero(state.active)
        cov = state.covariance()
        if cols.size == 0 or cov is None:
            return 0.0
        s = self.setup.data.sigma[cols] / abs(state.scale)
        mu = np.clip(np.linalg.eigvalsh(cov / np.outer(s, s)), 0.0, None)
        return float(np.sum(mu / (state.theta + mu)))


def _rewarn(caught: list[warnings.WarningMessage]) -> str:
    """Re-issue the rules' warnings in reweight's words; return the first message."""
    first = ""
    for w in caught:
        text = str(w.message).replace("fit():", "reweight():").replace("`alphas`", "`thetas`")
        text = text.replace("alpha", "theta")
        first = first or text
        warnings.warn(text, w.category, stacklevel=4)
    return first


def _scan_arrays(points: list[Point], m: int) -> tuple[NDArray[np.float64], ...]:
    pts = sorted(points, key=lambda p: -p.alpha)
    return (
        np.array([p.alpha for p in pts]),
        np.array([p.chi2 / max(m, 1) for p in pts]),
        np.exp(-np.array([p.penalty for p in pts])),
    )


def _by_rule(
    setup: Setup, start: State, rule: str, thetas: NDArray[np.float64] | None
) -> ThetaChoice:
    rule_obj = ALPHA_RULES[rule]
    m = setup.data.targets.size
    path = Path(ThetaSolver(setup, start, need_n_good=(rule == "gcv")), progress=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        if thetas is None:
            scan = path.scan(default_alphas(path.solver), lambda pts: rule_obj.done(pts, m))
        else:
            scan = path.scan(thetas)
        choice = rule_obj.choose(ScanContext(path, m), scan)
    message = _rewarn(caught)
    assert choice.point is not None  # rules with a posterior average are refused
    theta_s, chi2_s, phi_s = _scan_arrays(path.points, m)
    return ThetaChoice(
        theta=float(choice.point.alpha), rule=rule, state=choice.point.state,
        scan_theta=theta_s, scan_chi2=chi2_s, scan_phi=phi_s,
        scan_validation=np.full(theta_s.size, np.nan), message=message or choice.message,
    )  # fmt: skip


def choose_theta(
    setup: Setup, theta: float | str, thetas: NDArray[np.float64] | None
) -> ThetaChoice:
    """The solution at a fixed theta, or at the theta a rule or cross-validation picks."""
    start = initial_state(setup)
    if isinstance(theta, str):
        if theta == "cv":
            return _by_cross_validation(setup, start, thetas)
        return _by_rule(setup, start, theta, thetas)
    state, message = _continued(setup, theta, start)
    pred = predicted(setup.model, state.mean, state.scale, state.offset)
    return ThetaChoice(
        theta=theta, rule="fixed", state=state, scan_theta=np.array([theta]),
        scan_chi2=np.array([chi2(setup.data, pred)]), scan_phi=np.exp(-np.array([state.kl])),
        scan_validation=np.array([np.nan]), message=message,
    )  # fmt: skip


def _continued(setup: Setup, theta: float, start: State) -> tuple[State, str]:
    """The solution at ``theta`` from the prior, or, where that solve fails (weights that
    concentrate on few frames at small theta), by continuation: 4 thetas per decade
    from where the prior is nearly unchanged, each solve warm-started by the last."""
    state = fit_at(setup, theta, start)
    if state.converged or state.status not in ("max_iter", "stalled"):
        return state, ""
    top = 10.0 * _whitened_top(setup, start)
    if not theta < top:
        return state, ""
    steps = int(math.ceil(4 * math.log10(top / theta))) + 1
    path = start
    for th in np.geomspace(top, theta, steps):
        path = fit_at(setup, float(th), path)
        if not path.converged:
            return path, ""
    return path, f"reached by continuation in theta ({steps} steps from {top:.3g})"


# ----------------------------------------------------------------------------- cross-validation
def _cv_grid(setup: Setup, start: State, thetas: NDArray[np.float64] | None) -> Any:
    if thetas is not None:
        return np.sort(thetas)[::-1]
    top = 10.0 * _whitened_top(setup, start)
    return top * 10.0 ** (-np.arange(11) / 2.0)  # 5 decades, 2 values per decade


def _splits(n: int, m: int) -> list[tuple[NDArray[np.int64], ...]]:
    """(train frames, test frames, train observables, test observables) of each fold."""
    if m < 2 or n < 5:
        raise InvalidInputError(
            f"`theta`='cv' holds out observables and frames: it needs at least 2 observables "
            f"and 5 frames; got {m} and {n}."
        )
    rng = np.random.default_rng(CV_SEED)
    n_obs = min(m - 1, max(1, round(TRAIN_OBSERVABLES * m)))
    n_fr = min(n - 1, max(2, round(TRAIN_FRAMES * n)))
    out: list[tuple[NDArray[np.int64], ...]] = []
    for _ in range(N_FOLDS):
        fr, ob = rng.permutation(n), rng.permutation(m)
        out.append(
            (np.sort(fr[:n_fr]), np.sort(fr[n_fr:]), np.sort(ob[:n_obs]), np.sort(ob[n_obs:]))
        )
    return out


def _sub_setup(setup: Setup, rows: NDArray[np.int64], cols: NDArray[np.int64]) -> Setup:
    frames = setup.frames
    assert isinstance(frames, ArrayFrames)
    sub = frames.subset(rows, cols)
    d = setup.data
    data = Data(d.targets[cols], d.sigma[cols], d.side[cols])
    sub.prior_sums = frame_pass(sub, ranges=True)
    return Setup(sub, data, setup.model, sub.prior_sums)


class _Fold:
    """One split: the training problem, and the held-out data scored on held-out frames."""

    def __init__(self, setup: Setup, split: tuple[NDArray[np.int64], ...]):
        train_rows, test_rows, self.train_cols, test_cols = split
        assert isinstance(setup.frames, ArrayFrames)
        self.train = _sub_setup(setup, train_rows, self.train_cols)
        self.test = setup.frames.subset(test_rows, np.arange(len(setup.frames.names)))
        d = setup.data
        self.data = Data(d.targets[test_cols], d.sigma[test_cols], d.side[test_cols])
        self.test_cols = test_cols
        self.before = frame_pass(self.test).mean[test_cols]

    def score(self, state: State) -> float:
        """chi2 of the held-out data after / before (the training fit's scale and offset)."""
        lam = np.zeros(len(self.test.names))
        lam[self.train_cols] = state.lam
        after = frame_pass(self.test, lam).mean[self.test_cols]
        c0 = chi2(self.data, state.scale * self.before + state.offset)
        c1 = chi2(self.data, state.scale * after + state.offset)
        return c1 / c0 if c0 > 0 else math.nan


def _check_cv(setup: Setup) -> None:
    if not isinstance(setup.frames, ArrayFrames):
        raise InvalidInputError(
            "`theta`='cv' needs `calc` in memory (an array); for a dask array or a chunk "
            "source choose theta on a subsample of the frames, or use an alpha rule."
        )
    if setup.model.forward is not None:
        raise InvalidInputError(
            "`theta`='cv' cannot be combined with `forward` (the forward model maps all "
            "observables at once); choose theta by an alpha rule or give a number."
        )


def _by_cross_validation(
    setup: Setup, start: State, thetas: NDArray[np.float64] | None
) -> ThetaChoice:
    _check_cv(setup)
    assert isinstance(setup.frames, ArrayFrames)
    grid = _cv_grid(setup, start, thetas)
    scores = np.full((grid.size, N_FOLDS), np.nan)
    for f, split in enumerate(_splits(setup.frames.n, setup.data.targets.size)):
        fold = _Fold(setup, split)
        state = None
        for i, th in enumerate(grid):
            state = fit_at(fold.train, float(th), state)
            if state.converged:
                scores[i, f] = fold.score(state)
    ok = np.isfinite(scores)
    counts = ok.sum(axis=1)
    total = np.where(ok, scores, 0.0).sum(axis=1)
    mean = np.where(counts > 0, total / np.maximum(counts, 1), np.nan)
    full: list[State] = []
    state = start
    for th in grid:
        state = fit_at(setup, float(th), state)
        full.append(state)
    best = int(np.nanargmin(mean)) if np.any(counts > 0) else 0
    preds = [predicted(setup.model, s.mean, s.scale, s.offset) for s in full]
    return ThetaChoice(
        theta=float(grid[best]), rule="cv", state=full[best], scan_theta=grid.astype(float),
        scan_chi2=np.array([chi2(setup.data, p) for p in preds]),
        scan_phi=np.exp(-np.array([s.kl for s in full])), scan_validation=mean, message="",
    )  # fmt: skip
