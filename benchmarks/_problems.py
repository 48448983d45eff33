"""Problem families shared by the solver benchmarks (see bench_solve.py)."""

from __future__ import annotations

import numpy as np


def easy_problem(n, m, seed=0):
    """Standard-normal features; targets the moments of a Dirichlet(1) distribution."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n, m))
    r = rng.dirichlet(np.ones(n))
    return features, r @ features


def hard_problem(n, m, seed=0):
    """Correlated features (pairwise 0.9), scales 1e-3..1e3, Gibbs targets with theta ~ 3/scale.

    The generating distribution r is proportional to exp(-F theta), so the exact
    multipliers are theta: large, with the solution concentrated on a few states.
    """
    rng = np.random.default_rng(seed)
    rho = 0.9
    common = rng.standard_normal((n, 1))
    z = np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.standard_normal((n, m))
    scales = np.logspace(-3, 3, m)
    features = z * scales
    theta = 3.0 * rng.uniform(0.5, 1.5, m) * rng.choice([-1.0, 1.0], m) / scales
    a = -(features @ theta)
    w = np.exp(a - a.max())
    r = w / w.sum()
    return features, r @ features, theta
