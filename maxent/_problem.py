"""The validated problem a solve works on, shared by the solver's stages.

:class:`Problem` holds the moment engine, the constraint names, the per-feature scales
(spread under the prior, magnitude for rounding) and the bookkeeping of a solve; its
helpers translate directions and values back into the caller's units for messages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import _checks
from ._moments import MomentEngine

__all__ = ["EPS", "Problem"]

EPS = np.finfo(np.float64).eps


@dataclass
class Problem:
    """Validated input and the bookkeeping shared by the stages of a solve."""

    engine: MomentEngine
    names: tuple[str, ...]
    from_mapping: bool
    spread: NDArray[np.float64]  # per-feature scale: std under the prior on the support
    magnitude: NDArray[np.float64]  # per-feature max |F| on the support (rounding scale)
    tol: float
    max_iter: int
    shift: NDArray[np.float64]  # the engine works with (F - shift) / scale
    scale: NDArray[np.float64]
    log_mass: float  # log of the prior's total weight on the support
    n_iter: int = 0
    lp_done: bool = False
    lp_off: bool = False  # strict faces: set when a face within tolerance proved wrong
    shrink: bool = True  # Newton may solve on a working set of heavy states (not nested)

    def label(self, name, k):
        return _checks.label(name, self.names, k, self.from_mapping)

    def user(self, k, value):
        """A value of feature k, from the engine's units back to the caller's."""
        return self.shift[k] + self.scale[k] * value

    def user_combo(self, d, value):
        """Direction d and a value of F' @ d, in the caller's units (up to a positive factor).

        The scales are powers of two, so ``d / scale`` is rescaled by the largest of
        ``1 / scale`` first: no overflow for subnormal features.
        """
        e = np.log2(self.scale)
        emin = float(np.min(e[d != 0])) if np.any(d) else 0.0
        du = d * 2.0 ** (emin - e)
        return du, 2.0**emin * (value + float(d @ (self.shift / self.scale)))

    def combo(self, d):
        """Human-readable linear combination sum_k d_k f_k of the named features."""
        scale = np.max(np.abs(d))
        terms = []
        for k in np.flatnonzero(np.abs(d) > 1e-8 * scale):
            terms.append(f"{d[k] / scale:+.3g}*{self.names[k]}")
        return " ".join(terms).lstrip("+") if terms else "0"

    def involved(self, d):
        scale = np.max(np.abs(d))
        return [self.names[k] for k in np.flatnonzero(np.abs(d) > 1e-8 * scale)]

    def dir_tol(self, d):
        """Tolerance on F @ d implied by the per-feature tolerance and by rounding."""
        a = np.abs(d)
        return float(self.tol * (a @ self.spread) + 64 * EPS * (a @ self.magnitude))
