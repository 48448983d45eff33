"""Exact thermodynamics of small lattice models by enumeration or transfer matrix (tests)."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.special import logsumexp


def enumerate_configurations(model):
    """All configurations of a small model, as a (q^N, *shape) int8 array."""
    values = (-1, 1) if model.q == 2 and type(model).__name__ == "IsingModel" else range(model.q)
    configs = np.array(list(itertools.product(values, repeat=model.n_sites)), dtype=np.int8)
    return configs.reshape((-1,) + model.shape)


def exact_moments(model, temperature):
    """Exact <E>, C, <M>, <|M|>, <M^2>, <M^4> from enumerating every configuration."""
    configs = enumerate_configurations(model)
    e = model.energy(configs)
    m = model.magnetization(configs)
    beta = 1.0 / temperature
    logw = -beta * e
    p = np.exp(logw - logsumexp(logw))
    mean_e = p @ e
    return {
        "energy": mean_e,
        "heat_capacity": beta**2 * (p @ (e - mean_e) ** 2),
        "magnetization": p @ m,
        "abs_magnetization": p @ np.abs(m),
        "m2": p @ m**2,
        "m4": p @ m**4,
    }


def strip_thermo(rows, columns, temperature, coupling=1.0):
    """Exact <E> and C of the periodic rows x columns Ising model by a transfer matrix
    along the columns (2^rows states), differentiating ln Z numerically."""
    states = np.array(list(itertools.product((-1, 1), repeat=rows)), dtype=float)
    intra = (states * np.roll(states, -1, axis=1)).sum(axis=1)
    inter = states @ states.T

    def log_z(beta):
        t = beta * coupling * (0.5 * (intra[:, None] + intra[None, :]) + inter)
        shift = t.max()
        lam = np.linalg.eigvalsh(np.exp(t - shift))
        return columns * shift + logsumexp(
            columns * np.log(np.abs(lam)), b=np.sign(lam) ** columns
        )

    beta, h = 1.0 / temperature, 1e-4
    f0, fp, fm = log_z(beta), log_z(beta + h), log_z(beta - h)
    energy = -(fp - fm) / (2 * h)
    heat = beta**2 * (fp - 2 * f0 + fm) / h**2
    return energy, heat
