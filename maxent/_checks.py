"""Argument validation shared by the public functions.

Validation happens once, at the public boundary.  Every failure raises
:class:`~maxent.errors.InvalidInputError` naming the argument, what is required and
what was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import InvalidInputError

__all__ = [
    "as_float_array",
    "constraint_vector",
    "feature_matrix",
    "label",
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


def feature_matrix(features: Any, *, check: bool = True,
                   ) -> tuple[NDArray[np.float64], tuple[str, ...], bool]:
    """Read ``features``: a 2-D array (1-D means one constraint) or a mapping name -> column.

    Returns the (n_states, n_constraints) float64 array (not copied when already one),
    the constraint names, and whether the names came from a mapping.  ``check=False``
    leaves the finiteness of an array to the caller (a mapping's columns are always
    checked), who can fold it into a pass it makes anyway.
    """
    if isinstance(features, Mapping):
        if not features:
            raise InvalidInputError("`features` is an empty mapping; give at least one column.")
        names = tuple(str(k) for k in features)
        cols = []
        length = None
        for key, col in features.items():
            arr = as_float_array(col, f"features[{key!r}]", ndim=1)
            if length is None:
                length = arr.shape[0]
            elif arr.shape[0] != length:
                raise InvalidInputError(
                    f"`features[{key!r}]` has {arr.shape[0]} entries but "
                    f"`features[{names[0]!r}]` has {length}; every column needs one per state."
                )
            check_finite(arr, f"features[{key!r}]")
            cols.append(arr)
        mat = np.column_stack(cols)
        from_mapping = True
    else:
        mat = as_float_array(features, "features", ndim=(1, 2))
        if mat.ndim == 1:
            mat = mat[:, None]
        names = tuple(f"f{k}" for k in range(mat.shape[1]))
        if check:
            check_finite(mat, "features")
        from_mapping = False
    if mat.shape[0] == 0:
        raise InvalidInputError("`features` has no rows; give at least one state.")
    return mat, names, from_mapping


def constraint_vector(value: Any, name: str, names: tuple[str, ...], from_mapping: bool,
                      *, allow_inf: bool = False) -> NDArray[np.float64]:
    """Read a per-constraint vector (targets, bounds, sigma), as an array or a mapping by name."""
    m = len(names)
    if isinstance(value, Mapping):
        if not from_mapping:
            raise InvalidInputError(
                f"`{name}` is a mapping but `features` is an array; give `{name}` as an "
                f"array of {m} entries, or `features` as a mapping of named columns."
            )
        keys = [str(k) for k in value]
        missing = [k for k in names if k not in keys]
        extra = [k for k in keys if k not in names]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if extra:
                parts.append(f"unknown {extra}")
            raise InvalidInputError(
                f"`{name}` must have the same names as `features` {list(names)}; "
                + " and ".join(parts) + "."
            )
        lookup = {str(k): v for k, v in value.items()}
        arr = np.array([as_float_array(lookup[k], f"{name}[{k!r}]", ndim=0) for k in names],
                       dtype=np.float64)
    else:
        arr = as_float_array(value, name, ndim=(0, 1))
        arr = np.atleast_1d(arr)
        if arr.shape[0] != m:
            raise InvalidInputError(
                f"`{name}` has {arr.shape[0]} entries but `features` has {m} columns "
                "(one per constraint)."
            )
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if np.any(bad):
        k = int(np.argmax(bad))
        what = "must not be NaN" if allow_inf else "must be finite"
        raise InvalidInputError(f"`{label(name, names, k, from_mapping)}` {what}; got {arr[k]}.")
    return arr


def label(name: str, names: tuple[str, ...], k: int, from_mapping: bool) -> str:
    """``name[k]`` for array input, ``name['energy']`` for named constraints."""
    return f"{name}[{names[k]!r}]" if from_mapping else f"{name}[{k}]"
