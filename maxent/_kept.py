"""Per-state values the moment engine keeps between passes, so that later steps need no pass.

- :class:`KeptWeights`: the weights of every state from the last pass that asked for
  them (in memory), with each chunk's normalisation and entropy terms; turning them into
  p and the entropy costs a scaling, not a pass.  For lazy sources only the per-chunk
  terms are kept (the entropy without anything per state).
- :class:`KeptLine`: every state's log-weight at ``lam`` and projection ``F @ d`` on a
  line ``lam + s d``; the dual along the line is then a few operations per state and
  trial point, with no read of ``F``.

Each belongs to the multipliers and the support (:class:`maxent._blocks.Support`, compared
by identity) it was computed at; the engine checks both before use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ._blocks import Support
from ._kernel import ChunkInfo

__all__ = ["KeptLine", "KeptWeights"]

Array = NDArray[np.float64]


@dataclass
class KeptWeights:
    """Weights of every state at ``lam`` (``p`` in memory, or None), per-chunk terms."""

    lam: Array
    support: Support
    p: Array | None  # per state exp(a - top of its chunk); normalised by :meth:`normalise`
    chunks: tuple[ChunkInfo, ...]
    top: float  # largest log-weight of the pass
    s0: float  # sum of exp(a - top) over the pass
    mean: Array | None = None  # E_p[F] of these very weights (from the same pass)

    def matches(self, lam: Array, support: Support) -> bool:
        return self.support is support and np.array_equal(self.lam, lam)

    @property
    def log_z(self) -> float:
        """log of the sum of the weights (log Z of this very pass)."""
        return float(self.top + np.log(self.s0))

    def _terms(self, scale_p: bool) -> tuple[float, float]:
        log_z = self.log_z
        plogp = 0.0
        cross = 0.0
        for info in self.chunks:
            if info.top == -np.inf:  # no state of the support in this chunk: p = 0 there
                continue
            scale = float(np.exp(info.top - self.top)) / self.s0
            if scale_p and self.p is not None:
                self.p[info.start : info.stop] *= scale
            plogp += scale * (info.weight_log + (info.top - log_z) * info.weight)
            cross += scale * info.weight_log_prior
        return max(-plogp, 0.0), cross

    def information(self) -> tuple[float, float]:
        """The entropy ``-sum p log p`` and ``sum p log q`` of p (q as given)."""
        return self._terms(scale_p=False)

    def normalised(self) -> Array:
        """p as a new array (normalised; the kept weights stay as they are)."""
        assert self.p is not None
        out = np.zeros_like(self.p)
        for info in self.chunks:
            if info.top == -np.inf:  # no state of the support in this chunk
                continue
            scale = float(np.exp(info.top - self.top)) / self.s0
            np.multiply(self.p[info.start : info.stop], scale, out=out[info.start : info.stop])
        return out

    def normalise(self) -> tuple[Array, float, float]:
        """p (the kept weights, normalised in place), the entropy and ``sum p log q``."""
        assert self.p is not None
        entropy, cross = self._terms(scale_p=True)
        return self.p, entropy, cross


@dataclass
class KeptLine:
    """Log-weights ``la`` at ``lam`` and projections ``lu = F @ direction`` of every state."""

    lam: Array
    direction: Array
    support: Support
    log_weights: Array
    projections: Array
    _segment: tuple[Array, Array] | None = field(default=None, repr=False)
    _work: tuple[Array, Array] | None = field(default=None, repr=False)

    def matches(self, lam: Array, direction: Array, support: Support) -> bool:
        return (
            self.support is support
            and np.array_equal(self.lam, lam)
            and np.array_equal(self.direction, direction)
        )

    def search(self, s: float) -> tuple[float, float, float]:
        """log Z, E[F @ d] and Var[F @ d] at ``lam + s * d`` (no read of ``F``).

        For ``-1 <= s <= 0`` only the states that can carry weight somewhere on that
        segment take part (found once per line: a log-weight more than ``40 + log n``
        below the largest at every point of the segment changes nothing in float64);
        other ``s`` use every state.
        """
        la, lu = self.log_weights, self.projections
        if -1.0 <= s <= 0.0:
            if self._segment is None:
                self._segment = _segment_states(la, lu)
            la, lu = self._segment
        # Two work arrays per line, reused from one trial point to the next (fresh arrays
        # of a million states cost page faults comparable to the arithmetic).
        if self._work is None or self._work[0].shape != la.shape:
            self._work = (np.empty_like(la), np.empty_like(la))
        x, du = self._work
        with np.errstate(invalid="ignore"):  # -inf (off the support) - s * u stays -inf
            np.multiply(lu, -s, out=x)
            x += la
        top = float(np.max(x, initial=-np.inf))
        if top == -np.inf:
            return -np.inf, 0.0, 0.0
        w = np.exp(np.subtract(x, top, out=x), out=x)
        s0 = float(w.sum())
        mu = float(w @ lu) / s0
        np.subtract(lu, mu, out=du)
        du *= du
        var = float(w @ du) / s0
        return top + float(np.log(s0)), mu, max(var, 0.0)


def _segment_states(la: Array, lu: Array) -> tuple[Array, Array]:
    """Log-weights and projections of the states that matter for ``-1 <= s <= 0``.

    The log-weight ``la - s lu`` is linear in s, so its largest value on the segment is
    ``la + max(lu, 0)``; the largest log-weight of all states at any s is at least
    ``max(la + min(lu, 0))``.  States whose best is ``40 + log n`` below that carry
    less than ``e^-40`` of the weight everywhere on the segment.
    """
    with np.errstate(invalid="ignore"):
        floor = float(np.max(la + np.minimum(lu, 0.0), initial=-np.inf))
        cut = floor - 40.0 - np.log(max(la.size, 1))
        on = la + np.maximum(lu, 0.0) >= cut
    if np.count_nonzero(on) > 0.7 * la.size:
        return la, lu
    return la[on], lu[on]
