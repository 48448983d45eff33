"""Argument validation shared by the public functions.

Validation happens once, at the public boundary.  Every failure raises
:class:`~maxent.errors.InvalidInputError` naming the argument, what is required and
what was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InvalidInputError

__all__ = [
    "as_float_array",
    "check_finite",
    "check_nonnegative",
    "check_positive",
    "first_bad_index",
]


def first_bad_index(mask: NDArray[np.bool_]) -> tuple[int, ...] | int:
    """Index of the first True entry of ``mask`` (an int for 1-D arrays)."""
    idx = tuple(int(i) for i in np.argwhere(mask)[0])
    return idx[0] if len(idx) == 1 else idx


def _fmt_index(idx: tuple[int, ...] | int) -> str:
    return str(idx) if isinstance(idx, int) else ", ".join(str(i) for i in idx)


def as_float_array(value: Any, name: str, *, ndim: int | tuple[int, ...] | None = None,
                   ) -> NDArray[np.float64]:
    """Convert ``value`` to a float64 array, checking its number of dimensions.

    Raises
    ------
    InvalidInputError
        If ``value`` cannot be read as real numbers or has the wrong number of dimensions.
    """
    if isinstance(value, Mapping):
        raise InvalidInputError(f"`{name}` must be array-like; got a mapping.")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"`{name}` must be an array of real numbers; got {type(value).__name__} ({exc})."
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise InvalidInputError(
                f"`{name}` must be {want}; got an array of shape {arr.shape}."
            )
    return arr


def check_finite(arr: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    """Raise unless every entry of ``arr`` is finite (no NaN, no inf)."""
    bad = ~np.isfinite(arr)
    if np.any(bad):
        idx = first_bad_index(bad)
        raise InvalidInputError(
            f"`{name}` must be finite; got {arr[idx]} at index {_fmt_index(idx)}."
        )
    return arr


def check_nonnegative(arr: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    """Raise unless ``arr`` is finite and >= 0 everywhere."""
    check_finite(arr, name)
    bad = arr < 0
    if np.any(bad):
        idx = first_bad_index(bad)
        raise InvalidInputError(
            f"`{name}` must be >= 0; got {arr[idx]} at index {_fmt_index(idx)}."
        )
    return arr


def check_positive(arr: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    """Raise unless ``arr`` is finite and > 0 everywhere."""
    check_finite(arr, name)
    bad = arr <= 0
    if np.any(bad):
        idx = first_bad_index(bad)
        raise InvalidInputError(
            f"`{name}` must be > 0; got {arr[idx]} at index {_fmt_index(idx)}."
        )
    return arr
