"""Moment problems and a plain computation of the moments, shared by the engine's and the
solver's tests (benchmarks/_problems.py has the benchmark families themselves)."""

import numpy as np


def hard_problem(n, m, seed):
    """benchmarks/_problems.hard_problem: correlated features over 6 decades of scale,
    Gibbs targets with large multipliers (the solution sits near a vertex of the hull).

    Returns ``(features, targets, theta)``; theta are the exact multipliers.
    """
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((n, 1))
    z = np.sqrt(0.9) * common + np.sqrt(0.1) * rng.standard_normal((n, m))
    scales = np.logspace(-3, 3, m)
    features = z * scales
    theta = 3.0 * rng.uniform(0.5, 1.5, m) * rng.choice([-1.0, 1.0], m) / scales
    a = -(features @ theta)
    w = np.exp(a - a.max())
    return features, (w / w.sum()) @ features, theta


def plain_moments(feats, lam):
    """log Z, p, mean and covariance at multipliers lam, in plain numpy."""
    a = -(feats @ lam)
    top = a.max()
    w = np.exp(a - top)
    p = w / w.sum()
    mean = p @ feats
    c = feats - mean
    return top + np.log(w.sum()), p, mean, (c.T * p) @ c
