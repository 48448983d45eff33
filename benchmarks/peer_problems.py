"""The peers' own test problems for analytic continuation, rebuilt from their descriptions.

Each function returns a :class:`PeerProblem`: the kernel (quadrature weights applied), data,
noise, grid, weights, default model and the true spectrum, ready for :func:`maxent.fit`.

- :func:`ana_cont_two_gaussians`: the fermionic Matsubara example of ana_cont
  (J. Kaufmann and K. Held, Comput. Phys. Commun. 282, 108519 (2023);
  ``scripts/example_fermionic.py``): A(w) = 0.4 exp(-(w - 1.8)^2 / 2) +
  0.6 exp(-(w + 1.8)^2 / 2), normalised, on 501 points in [-10, 10]; beta = 10,
  the first 20 fermionic Matsubara frequencies, kernel 1 / (i w_n - w); complex noise of
  amplitude 1e-4 (``numpy.random.RandomState(4713)``); flat default model 1/20.  The
  real and imaginary parts make 40 real data.
- :func:`triqs_semicircle`: the metallic exercise of the TRIQS/maxent TauMaxEnt guide
  (G. J. Kraberger et al., Phys. Rev. B 96, 155128 (2017)): the semicircular
  A(w) = 2 sqrt(1 - w^2) / pi, G(tau) = -int A(w) e^{-tau w} / (1 + e^{-beta w}) dw at
  beta = 10 on 2501 imaginary times, noise 1e-4, and TRIQS's default
  ``HyperbolicOmegaMesh(-10, 10, 100)`` with a flat default model.

The error measure of both is :math:`\\sum_i w_i |A_i - A^\\mathrm{true}_i|` (ana_cont's
spectrum has unit weight, so this is also the relative L1 error); :func:`relative_l1`
divides by :math:`\\sum_i w_i A^\\mathrm{true}_i`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "PeerProblem",
    "ana_cont_two_gaussians",
    "relative_l1",
    "triqs_semicircle",
    "laplace_problem",
]


@dataclass(frozen=True)
class PeerProblem:
    name: str
    kernel: NDArray[np.float64]
    data: NDArray[np.float64]
    sigma: NDArray[np.float64]
    grid: NDArray[np.float64]
    grid_weights: NDArray[np.float64]
    default_model: NDArray[np.float64]
    truth: NDArray[np.float64]

    def fit_kwargs(self) -> dict:
        return {
            "grid": self.grid,
            "grid_weights": self.grid_weights,
            "default_model": self.default_model,
        }


def trapezoid_weights(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weights of the trapezoid rule on the (possibly non-uniform) points x."""
    dx = np.diff(x)
    w = np.zeros(x.size)
    w[:-1] += dx / 2
    w[1:] += dx / 2
    return w


def relative_l1(problem: PeerProblem, x: NDArray[np.float64]) -> float:
    w = problem.grid_weights
    return float(np.sum(w * np.abs(x - problem.truth)) / np.sum(w * np.abs(problem.truth)))


def ana_cont_two_gaussians() -> PeerProblem:
    w = np.linspace(-10.0, 10.0, 501)
    dw = trapezoid_weights(w)
    spec = 0.4 * np.exp(-0.5 * (w - 1.8) ** 2) + 0.6 * np.exp(-0.5 * (w + 1.8) ** 2)
    spec /= np.sum(dw * spec)
    beta, niw = 10.0, 20
    iw = np.pi / beta * (2.0 * np.arange(niw) + 1.0)
    kernel_c = 1.0 / (1j * iw[:, None] - w[None, :]) * dw
    giw = kernel_c @ spec
    rng = np.random.RandomState(4713)
    giw = giw + 1e-4 * (rng.randn(niw) + 1j * rng.randn(niw))
    kernel = np.vstack([kernel_c.real, kernel_c.imag])
    data = np.concatenate([giw.real, giw.imag])
    return PeerProblem(
        "ana_cont two Gaussians",
        kernel,
        data,
        np.full(2 * niw, 1e-4),
        w,
        dw,
        np.full(w.size, 1.0 / 20.0),
        spec,
    )


def fermionic_tau_kernel(tau, omega, beta):
    """:math:`-e^{-\\tau\\omega}/(1 + e^{-\\beta\\omega})`, without overflow for any sign."""
    t, om = tau[:, None], omega[None, :]
    pos = om >= 0
    return -np.where(
        pos,
        np.exp(-t * np.abs(om)) / (1.0 + np.exp(-beta * np.abs(om))),
        np.exp(-(beta - t) * np.abs(om)) / (1.0 + np.exp(-beta * np.abs(om))),
    )


def triqs_semicircle(
    n_tau: int = 2501, n_omega: int = 100, noise: float = 1e-4, beta: float = 10.0, seed: int = 0
) -> PeerProblem:
    u = np.linspace(-1.0, 1.0, n_omega)
    h = np.sign(u) * (np.sqrt(1.0 + u**2) - 1.0)
    omega = -10.0 + 20.0 * (h - h[0]) / (h[-1] - h[0])
    dw = trapezoid_weights(omega)
    tau = np.linspace(0.0, beta, n_tau)
    truth = np.where(np.abs(omega) < 1, 2.0 / np.pi * np.sqrt(np.clip(1 - omega**2, 0, 1)), 0.0)
    # exact G(tau): w = cos(theta), A dw = (2/pi) sin^2(theta) dtheta, Gauss-Legendre in theta
    nodes, weights = np.polynomial.legendre.leggauss(400)
    theta = 0.5 * np.pi * (nodes + 1.0)
    exact = fermionic_tau_kernel(tau, np.cos(theta), beta) @ (
        0.5 * np.pi * weights * 2.0 / np.pi * np.sin(theta) ** 2
    )
    rng = np.random.default_rng(seed)
    data = exact + noise * rng.standard_normal(n_tau)
    kernel = fermionic_tau_kernel(tau, omega, beta) * dw
    return PeerProblem(
        "TRIQS semicircle",
        kernel,
        data,
        np.full(n_tau, noise),
        omega,
        dw,
        np.full(n_omega, 1.0 / 20.0),
        truth,
    )


def laplace_problem(
    n_data: int = 200, n_grid: int = 2000, noise: float = 1e-4, seed: int = 0
) -> PeerProblem:
    """Two peaks through exp(-tau w) (the size study of issue 13: N = 200, n = 2000)."""
    rng = np.random.default_rng(seed)
    w = np.linspace(0.0, 8.0, n_grid)
    dw = trapezoid_weights(w)
    tau = np.linspace(0.0, 5.0, n_data)
    truth = np.exp(-((w - 1.0) ** 2) / (2 * 0.25**2)) + 0.5 * np.exp(-((w - 4.0) ** 2) / 1.0)
    kernel = np.exp(-np.outer(tau, w)) * dw
    exact = kernel @ truth
    sigma = noise * exact.max() * np.ones(n_data)
    model = np.full(n_grid, float(np.sum(dw * truth) / 8.0))
    return PeerProblem(
        f"Laplace N={n_data} n={n_grid}",
        kernel,
        exact + sigma * rng.standard_normal(n_data),
        sigma,
        w,
        dw,
        model,
        truth,
    )
