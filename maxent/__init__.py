"""maxent: maximum-entropy statistical physics.

The least-biased distribution that matches given averages,
:math:`p_i = q_i e^{-\\sum_k \\lambda_k F_{ik}} / Z(\\lambda)`, found by Newton's method
on the convex dual :math:`\\log Z(\\lambda) + \\lambda \\cdot b`.  With one energy
constraint :math:`\\lambda = \\beta = 1/k_B T` (``k_B = 1`` unless a unit system says
otherwise).

The public names below are imported on first use (PEP 562), so ``import maxent`` is
fast; ``from maxent import solve``, ``maxent.models`` and ``dir(maxent)`` work as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # the same names, imported eagerly for type checkers and IDEs
    from . import features, models
    from .alignment import PROTEIN_ALPHABET, Alignment, read_alignment
    from .density_of_states import SampledEnergyLevels, wang_landau
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

# public name -> submodule that defines it (a submodule itself maps to None)
_LAZY: dict[str, str | None] = {
    "features": None,
    "models": None,
    "PROTEIN_ALPHABET": "alignment",
    "Alignment": "alignment",
    "read_alignment": "alignment",
    "CanonicalResult": "ensembles",
    "GrandCanonicalResult": "ensembles",
    "canonical": "ensembles",
    "grand_canonical": "ensembles",
    "softmax": "ensembles",
    "ConvergenceWarning": "errors",
    "InfeasibleTargetsError": "errors",
    "InvalidInputError": "errors",
    "MaxEntError": "errors",
    "FitResult": "fitting",
    "fit": "fitting",
    "IsingModel": "lattice",
    "PottsModel": "lattice",
    "EnergyLevels": "levels",
    "monte_carlo": "montecarlo",
    "sample_sweep": "montecarlo",
    "PairwiseResult": "pairwise",
    "fit_pairwise": "pairwise",
    "plot_populations": "plotting",
    "plot_sweep": "plotting",
    "MaxEntResult": "result",
    "solve": "solver",
    "temperature_sweep": "sweep",
    "SampledEnergyLevels": "density_of_states",
    "wang_landau": "density_of_states",
}

__all__ = [
    # functions
    "canonical",
    "fit",
    "fit_pairwise",
    "grand_canonical",
    "monte_carlo",
    "plot_populations",
    "plot_sweep",
    "read_alignment",
    "sample_sweep",
    "softmax",
    "solve",
    "temperature_sweep",
    "wang_landau",
    # data and models
    "PROTEIN_ALPHABET",
    "Alignment",
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


def __getattr__(name: str) -> Any:
    """Import a public name on first access and cache it in the module (PEP 562)."""
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'maxent' has no attribute {name!r}") from None
    if module is None:
        value: Any = importlib.import_module(f".{name}", __name__)
    else:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
