"""Exceptions and warnings raised by maxent.

Every error is a :class:`MaxEntError`; the ones caused by the caller's input are
also :class:`ValueError`, so ``except ValueError`` keeps working for code that does
not know about maxent.
"""

from __future__ import annotations

__all__ = ["ConvergenceWarning", "InfeasibleTargetsError", "InvalidInputError", "MaxEntError"]


class MaxEntError(Exception):
    """Base class of every error raised by maxent."""


class InvalidInputError(MaxEntError, ValueError):
    """An argument has the wrong shape, type or value (NaN, negative weight, ...)."""


class InfeasibleTargetsError(MaxEntError, ValueError):
    """No probability distribution on the support meets the requested moments."""


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before meeting its tolerance."""
