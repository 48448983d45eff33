"""solve(): dual Newton for linear moment constraints (being written)."""

from __future__ import annotations

from .result import MaxEntResult


def solve(features, targets=None, *, prior=None, lower=None, upper=None, sigma=None,
          initial_multipliers=None, tol=1e-10, max_iter=100, chunk_size=None) -> MaxEntResult:
    """Maximum-entropy distribution matching linear moment constraints (in progress)."""
    raise NotImplementedError
