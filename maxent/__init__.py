"""maxent: maximum-entropy statistical physics.

The least-biased distribution that matches given averages,
:math:`p_i = q_i e^{-\\sum_k \\lambda_k F_{ik}} / Z(\\lambda)`, found by Newton's method
on the convex dual :math:`\\log Z(\\lambda) + \\lambda \\cdot b`.  With one energy
constraint :math:`\\lambda = \\beta = 1/k_B T` (``k_B = 1`` unless a unit system says
otherwise).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ConvergenceWarning, InfeasibleTargetsError, InvalidInputError, MaxEntError
from .fitting import FitResult, fit
from .result import MaxEntResult
from .solver import solve

__all__ = [
    # functions
    "fit",
    "solve",
    # results
    "FitResult",
    "MaxEntResult",
    # errors and warnings
    "ConvergenceWarning",
    "InfeasibleTargetsError",
    "InvalidInputError",
    "MaxEntError",
    # metadata
    "__version__",
]
