"""Problem families shared by the solver benchmarks (see bench_solve.py)."""

from __future__ import annotations

import numpy as np

import maxent


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
    features = rng.standard_normal((n, m))  # built in place: one n x m array at a time
    features *= np.sqrt(1 - rho)
    features += np.sqrt(rho) * common
    scales = np.logspace(-3, 3, m)
    features *= scales
    theta = 3.0 * rng.uniform(0.5, 1.5, m) * rng.choice([-1.0, 1.0], m) / scales
    a = -(features @ theta)
    w = np.exp(a - a.max())
    r = w / w.sum()
    return features, r @ features, theta


def marginal_problem():
    """Pairwise marginals of the "RdnUnqXor" distribution (dit-style indicator features).

    Five uniform independent bits a, b, c, x, y; X = (a, b, x), Y = (a, c, y),
    Z = (a, b, c, x xor y): 8, 8 and 16 values, 1,024 joint states (X, Y, Z).  Features:
    indicators of every value pair of (X, Y), (X, Z) and (Y, Z), 320 of them, 224 with
    target 0.  The maximum-entropy distribution has H = 6 bits.
    """
    bits = (np.arange(32)[:, None] >> np.arange(5)[::-1]) & 1  # a b c x y
    a, b, c, x, y = bits.T
    xv, yv, zv = a * 4 + b * 2 + x, a * 4 + c * 2 + y, a * 8 + b * 4 + c * 2 + (x ^ y)
    joint = np.zeros((8, 8, 16))
    np.add.at(joint, (xv, yv, zv), 1 / 32)
    gx, gy, gz = (
        g.ravel() for g in np.meshgrid(np.arange(8), np.arange(8), np.arange(16), indexing="ij")
    )
    cols, targets = [], []
    for (u, nu), (v, nv), axis in (
        ((gx, 8), (gy, 8), 2),
        ((gx, 8), (gz, 16), 1),
        ((gy, 8), (gz, 16), 0),
    ):
        marginal = joint.sum(axis=axis)
        for i in range(nu):
            for j in range(nv):
                cols.append(((u == i) & (v == j)).astype(float))
                targets.append(marginal[i, j])
    return np.column_stack(cols), np.array(targets)


def ising_problem(n_spins, seed=0):
    """Inverse Ising: all 2^N configurations, features s_i and s_i s_j (i < j).

    Targets are the means and pairwise products of a random pairwise model
    p(s) ~ exp(h . s + sum_{i<j} J_ij s_i s_j), h ~ N(0, 0.3^2), J ~ N(0, 0.5^2 / N).
    """
    rng = np.random.default_rng(seed)
    states = 1.0 - 2.0 * ((np.arange(2**n_spins)[:, None] >> np.arange(n_spins)) & 1)
    i, j = np.triu_indices(n_spins, 1)
    features = np.column_stack([states, states[:, i] * states[:, j]])
    theta = np.concatenate(
        [rng.normal(0, 0.3, n_spins), rng.normal(0, 0.5 / np.sqrt(n_spins), i.size)]
    )
    a = features @ theta
    w = np.exp(a - a.max())
    return features, (w / w.sum()) @ features


def pairwise_problem(n_spins, n_states, seed=0):
    """Inverse Ising on sampled states: ``n_states`` configurations of ``n_spins`` spins
    drawn uniformly, features ``s_i`` and ``s_i s_j`` from ``maxent.features.pairwise``
    (its public API: ``evaluate`` on the sampled configurations), targets the averages of
    a random pairwise model over those states, p(s) ~ exp(h . s + sum J_ij s_i s_j) with
    h ~ N(0, 0.3^2), J ~ N(0, 0.5^2 / N).

    float32 features (built chunk by chunk) when float64 would exceed 1 GB: N = 45 with
    2^20 states is 4.3 GB of float32.
    """
    rng = np.random.default_rng(seed)
    fs = maxent.features.pairwise(n_spins)
    m = fs.n_features
    configs = rng.integers(0, 2, size=(n_states, n_spins), dtype=np.int8)
    dtype = np.float32 if n_states * m * 8 > 1 << 30 else np.float64
    features = np.empty((n_states, m), dtype=dtype)
    for a in range(0, n_states, 1 << 14):
        features[a : a + (1 << 14)] = fs.evaluate(configs[a : a + (1 << 14)])
    theta = np.concatenate(
        [rng.normal(0, 0.3, n_spins), rng.normal(0, 0.5 / np.sqrt(n_spins), m - n_spins)]
    )
    a = np.empty(n_states)
    for c in range(0, n_states, 1 << 14):
        a[c : c + (1 << 14)] = features[c : c + (1 << 14)] @ theta
    w = np.exp(a - a.max())
    targets = np.zeros(m)
    for c in range(0, n_states, 1 << 14):
        targets += w[c : c + (1 << 14)] @ features[c : c + (1 << 14)].astype(np.float64)
    return features, targets / w.sum()
