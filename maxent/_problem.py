"""The validated problem a solve works on, shared by the solver's stages.

:class:`Problem` (frozen) holds the moment engine, the constraint names, the per-feature
scales (spread under the prior, magnitude for rounding), the tolerances and the affine map
into the engine's units; its helpers translate directions and values back into the
caller's units for messages.  What the stages learn as they go (Newton steps taken,
whether the linear program has run on the current support, strict faces) is the one
mutable part, kept apart in :class:`Progress`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from . import _checks
from ._moments import MomentEngine

__all__ = ["EPS", "Problem", "Progress"]

EPS = float(np.finfo(np.float64).eps)
Array = NDArray[np.float64]


@dataclass
class Progress:
    """What a solve has done so far (updated by the stages as they go)."""

    n_iter: int = 0  # Newton steps on the whole problem
    lp_done: bool = False  # the linear program has checked the current support
    lp_off: bool = False  # strict faces: set when a face within tolerance proved wrong


@dataclass(frozen=True, kw_only=True)
class Problem:
    """Validated input of a solve and the scales its stages measure with."""

    engine: MomentEngine
    names: tuple[str, ...]
    from_mapping: bool
    spread: Array  # per-feature scale: std under the prior on the support
    magnitude: Array  # per-feature max |F| on the support (rounding scale)
    tol: float
    max_iter: int
    shift: Array  # the engine works with (F - shift) / scale
    scale: Array
    log_mass: float  # log of the prior's total weight on the support
    shrink: bool = True  # Newton may solve on a working set of heavy states (not nested)
    progress: Progress = field(default_factory=Progress)

    def label(self, name: str, k: int) -> str:
        return _checks.label(name, self.names, k, self.from_mapping)

    def user(self, k: int, value: float) -> float:
        """A value of feature k, from the engine's units back to the caller's."""
        return float(self.shift[k] + self.scale[k] * value)

    def user_combo(self, d: Array, value: float) -> tuple[Array, float]:
        """Direction d and a value of F' @ d, in the caller's units (up to a positive factor).

        The scales are powers of two, so ``d / scale`` is rescaled by the largest of
        ``1 / scale`` first: no overflow for subnormal features.
        """
        e = np.log2(self.scale)
        emin = float(np.min(e[d != 0])) if np.any(d) else 0.0
        du = d * 2.0 ** (emin - e)
        return du, 2.0**emin * (value + float(d @ (self.shift / self.scale)))

    def combo(self, d: Array) -> str:
        """Human-readable linear combination sum_k d_k f_k of the named features."""
        scale = np.max(np.abs(d))
        terms = []
        for k in np.flatnonzero(np.abs(d) > 1e-8 * scale):
            terms.append(f"{d[k] / scale:+.3g}*{self.names[k]}")
        return " ".join(terms).lstrip("+") if terms else "0"

    def involved(self, d: Array) -> list[str]:
        scale = np.max(np.abs(d))
        return [self.names[k] for k in np.flatnonzero(np.abs(d) > 1e-8 * scale)]

    def dir_tol(self, d: Array) -> float:
        """Tolerance on F @ d implied by the per-feature tolerance and by rounding."""
        a = np.abs(d)
        return float(self.tol * (a @ self.spread) + 64 * EPS * (a @ self.magnitude))
