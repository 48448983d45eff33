"""maxent: maximum-entropy statistical physics.

The least-biased distribution that matches given averages,
:math:`p_i = q_i e^{-\\sum_k \\lambda_k F_{ik}} / Z(\\lambda)`, found by Newton's method
on the convex dual :math:`\\log Z(\\lambda) + \\lambda \\cdot b`.  With one energy
constraint :math:`\\lambda = \\beta = 1/k_B T` (``k_B = 1`` unless a unit system says
otherwise).

The public names below are imported on first use (PEP 562), so ``import maxent`` is
fast; ``from maxent import solve``, ``maxent.models``, every public submodule
(``maxent.streaming``, ``maxent.fit_plots``, ...) and ``dir(maxent)`` work as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # the same names, imported eagerly for type checkers and IDEs
    from . import features, models
    from ._bme_files import BMEExperiment, read_bme_calculated, read_bme_experiment
    from ._reweight_plot import plot_theta_scan
    from .alignment import PROTEIN_ALPHABET, Alignment, read_alignment
    from .densities import DensityResult, density
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
    from .mc_sweep import sample_sweep
    from .montecarlo import monte_carlo
    from .pairwise import PairwiseResult, fit_pairwise
    from .plotting import plot_populations, plot_sweep
    from .result import MaxEntResult
    from .reweighting import ReweightPrediction, ReweightResult, reweight
    from .solver import solve
    from .sweep import temperature_sweep
    from .tempering import parallel_tempering

# public name -> submodule that defines it (a submodule itself maps to None)
_LAZY: dict[str, str | None] = {
    "features": None,
    "models": None,
    "PROTEIN_ALPHABET": "alignment",
    "Alignment": "alignment",
    "read_alignment": "alignment",
    "CanonicalResult": "ensembles",
    "GrandCanonicalResult": "ensembles",
    "DensityResult": "densities",
    "density": "densities",
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
    "sample_sweep": "mc_sweep",
    "parallel_tempering": "tempering",
    "PairwiseResult": "pairwise",
    "fit_pairwise": "pairwise",
    "plot_populations": "plotting",
    "plot_sweep": "plotting",
    "MaxEntResult": "result",
    "ReweightPrediction": "reweighting",
    "ReweightResult": "reweighting",
    "reweight": "reweighting",
    "BMEExperiment": "_bme_files",
    "read_bme_calculated": "_bme_files",
    "read_bme_experiment": "_bme_files",
    "plot_theta_scan": "_reweight_plot",
    "solve": "solver",
    "temperature_sweep": "sweep",
    "SampledEnergyLevels": "density_of_states",
    "wang_landau": "density_of_states",
}

__all__ = [
    # functions
    "canonical",
    "density",
    "fit",
    "fit_pairwise",
    "grand_canonical",
    "monte_carlo",
    "parallel_tempering",
    "plot_populations",
    "plot_sweep",
    "plot_theta_scan",
    "read_alignment",
    "read_bme_calculated",
    "read_bme_experiment",
    "reweight",
    "sample_sweep",
    "softmax",
    "solve",
    "temperature_sweep",
    "wang_landau",
    # data and models
    "Alignment",
    "BMEExperiment",
    "EnergyLevels",
    "IsingModel",
    "PROTEIN_ALPHABET",
    "PottsModel",
    "SampledEnergyLevels",
    "features",
    "models",
    # results
    "CanonicalResult",
    "DensityResult",
    "FitResult",
    "GrandCanonicalResult",
    "MaxEntResult",
    "PairwiseResult",
    "ReweightPrediction",
    "ReweightResult",
    # errors and warnings
    "ConvergenceWarning",
    "InfeasibleTargetsError",
    "InvalidInputError",
    "MaxEntError",
    # metadata
    "__version__",
]


def _submodules() -> frozenset[str]:
    """Public submodules (``maxent.streaming``, ``maxent.lattice``, ...), found on disk."""
    import pkgutil

    return frozenset(m.name for m in pkgutil.iter_modules(__path__) if m.name[0] != "_")


def __getattr__(name: str) -> Any:
    """Import a public name or submodule on first access and cache it (PEP 562)."""
    if name in _LAZY:
        module = _LAZY[name]
        if module is None:
            value: Any = importlib.import_module(f".{name}", __name__)
        else:
            value = getattr(importlib.import_module(f".{module}", __name__), name)
    elif name in _submodules():  # documented as maxent.streaming, maxent.fit_plots, ...
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'maxent' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _submodules())
