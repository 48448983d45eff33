"""maxent: maximum-entropy statistical physics.

The least-biased distribution that matches given averages,
:math:`p_i = q_i e^{-\\sum_k \\lambda_k F_{ik}} / Z(\\lambda)`, found by Newton's method
on the convex dual :math:`\\log Z(\\lambda) + \\lambda \\cdot b`.  With one energy
constraint :math:`\\lambda = \\beta = 1/k_B T` (``k_B = 1`` unless a unit system says
otherwise).
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import features, models
from .ensembles import (
    CanonicalResult,
    GrandCanonicalResult,
    canonical,
    grand_canonical,
    softmax,
)
from .errors import ConvergenceWarning, InfeasibleTargetsError, InvalidInputError, MaxEntError
from .fitting import FitResult, fit
from .lattice import IsingModel, PottsModel
from .levels import EnergyLevels
from .montecarlo import monte_carlo, sample_sweep
from .pairwise import PairwiseResult, fit_pairwise
from .plotting import plot_populations, plot_sweep
from .result import MaxEntResult
from .solver import solve
from .sweep import temperature_sweep
from .wang_landau import SampledEnergyLevels, wang_landau

__all__ = [
    # functions
    "canonical",
    "fit",
    "fit_pairwise",
    "grand_canonical",
    "monte_carlo",
    "plot_populations",
    "plot_sweep",
    "sample_sweep",
    "softmax",
    "solve",
    "temperature_sweep",
    "wang_landau",
    # data and models
    "EnergyLevels",
    "IsingModel",
    "PottsModel",
    "SampledEnergyLevels",
    "features",
    "models",
    # results
    "CanonicalResult",
    "FitResult",
    "GrandCanonicalResult",
    "MaxEntResult",
    "PairwiseResult",
    # errors and warnings
    "ConvergenceWarning",
    "InfeasibleTargetsError",
    "InvalidInputError",
    "MaxEntError",
    # metadata
    "__version__",
]
