"""Argument validation shared by the public functions.

Validation happens once, at the public boundary.  Every failure raises
:class:`~maxent.errors.InvalidInputError` naming the argument, what is required and
what was given.  Every number and array goes through :func:`as_float_array`,
:func:`real_number` or :func:`integer`, which read units with
:func:`maxent._units.plain_magnitude` (a dimensionless quantity is its number, any other
is refused; arguments that take a unit convert it first with :func:`maxent._units.magnitude`).
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._units import is_quantity, plain_magnitude
from .errors import InvalidInputError

__all__ = [
    "as_float_array",
    "integer",
    "is_int",
    "real_number",
    "boolean",
    "text",
    "constraint_vector",
    "feature_matrix",
    "label",
    "check_finite",
    "check_span",
    "check_nonnegative",
    "check_positive",
    "check_memory",
    "dimensionless_array",
    "dimensionless_real",
    "first_bad_index",
    "random_generator",
]


def first_bad_index(mask: NDArray[np.bool_]) -> tuple[int, ...] | int:
    """Index of the first True entry of ``mask`` (an int for 1-D arrays)."""
    idx = tuple(int(i) for i in np.argwhere(mask)[0])
    return idx[0] if len(idx) == 1 else idx


def _fmt_index(idx: tuple[int, ...] | int) -> str:
    return str(idx) if isinstance(idx, int) else ", ".join(str(i) for i in idx)


def _refuse_text(value: Any, name: str) -> None:
    """Text is not a number, even when numpy would parse it ('1' in a list of numbers)."""
    try:
        kind = (value if isinstance(value, np.ndarray) else np.asarray(value)).dtype.kind
    except (TypeError, ValueError):  # ragged or mixed: the conversion says why
        return
    if kind in "US":
        raise InvalidInputError(
            f"`{name}` must be an array of real numbers; got text ({type(value).__name__} "
            "holding str)."
        )


def as_float_array(
    value: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
) -> NDArray[np.float64]:
    """Convert ``value`` to a float64 array, checking its number of dimensions.

    Raises
    ------
    InvalidInputError
        If ``value`` cannot be read as real numbers or has the wrong number of dimensions.
    """
    if isinstance(value, Mapping):
        raise InvalidInputError(f"`{name}` must be array-like; got a mapping.")
    value = plain_magnitude(value, name)  # a quantity: its number if dimensionless, else refused
    if isinstance(value, (list, tuple)) and _holds_quantity(value):  # not at its first entry
        raise InvalidInputError(
            f"`{name}` mixes plain numbers and quantities; give every entry a unit, or none."
        )
    if isinstance(value, (str, bytes)):
        raise InvalidInputError(f"`{name}` must be an array of real numbers; got str {value!r}.")
    _refuse_text(value, name)
    try:
        is_complex = np.iscomplexobj(value)
    except (TypeError, ValueError):  # ragged or mixed: np.asarray below says why
        is_complex = False
    if is_complex:
        # numpy would drop the imaginary part with only a ComplexWarning.
        raise InvalidInputError(
            f"`{name}` must be an array of real numbers; got complex values "
            f"({np.asarray(value).dtype})."
        )
    try:
        arr = np.asarray(value, dtype=np.float64)
    except OverflowError:
        raise InvalidInputError(
            f"`{name}` holds a number too large for a float (beyond 1.8e308)."
        ) from None
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"`{name}` must be an array of real numbers; got {type(value).__name__} ({exc})."
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise InvalidInputError(f"`{name}` must be {want}; got an array of shape {arr.shape}.")
    return arr


def _holds_quantity(value: list[Any] | tuple[Any, ...]) -> bool:
    """Whether a (nested) list holds a quantity anywhere."""
    return any(
        _holds_quantity(v) if isinstance(v, (list, tuple)) else is_quantity(v) for v in value
    )


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def _real_kind(
    minimum: float | None, strict: bool, maximum: float | None = None, strict_max: bool = False
) -> str:
    if maximum is not None:
        if minimum is None:
            return f"a number {'<' if strict_max else '<='} {maximum:g}"
        return (
            f"a number in {'(' if strict else '['}{minimum:g}, {maximum:g}"
            f"{')' if strict_max else ']'}"
        )
    if minimum is None:
        return "a real number"
    if minimum == 0:
        return "a positive number" if strict else "a non-negative number"
    return f"a number {'>' if strict else '>='} {minimum:g}"


def real_number(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    strict: bool = False,
    maximum: float | None = None,
    strict_maximum: bool = False,
    allow_inf: bool = False,
    allow_none: bool = False,
) -> float | None:
    """Read a real scalar keyword (``tol``, ``temperature``, ...) as a Python float.

    Accepts Python and numpy reals (``np.float32(0.5)``, ``np.int64(3)``, 0-d arrays) and
    dimensionless quantities; refuses bool, complex, strings, None (unless ``allow_none``),
    NaN, infinities (unless ``allow_inf``), integers beyond the float range, and values
    below ``minimum`` (or equal to it when ``strict``) or above ``maximum`` (or equal to it
    when ``strict_maximum``).

    Examples
    --------
    >>> real_number(np.float32(0.5), "tol", minimum=0.0, strict=True)
    0.5
    >>> real_number("a", "tol", minimum=0.0, strict=True)
    Traceback (most recent call last):
        ...
    maxent.errors.InvalidInputError: `tol` must be a positive number; got str 'a'.
    >>> real_number(1.5, "l1_ratio", minimum=0.0, strict=True, maximum=1.0)
    Traceback (most recent call last):
        ...
    maxent.errors.InvalidInputError: `l1_ratio` must be a number in (0, 1]; got 1.5.
    """
    kind = _real_kind(minimum, strict, maximum, strict_maximum)
    if value is None:
        if allow_none:
            return None
        raise InvalidInputError(f"`{name}` must be {kind}; got None.")
    value = plain_magnitude(value, name)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidInputError(f"`{name}` must be {kind}; got {_describe(value)}.")
    try:
        x = float(value)
    except OverflowError:
        raise InvalidInputError(
            f"`{name}` must be {kind} within the float range (up to 1.8e308); got "
            f"{'an integer' if isinstance(value, numbers.Integral) else 'a number'} of "
            f"about 2**{abs(int(math.trunc(value))).bit_length()}."
        ) from None
    if np.isnan(x):
        raise InvalidInputError(f"`{name}` must be {kind}; got nan.")
    if np.isinf(x) and not allow_inf:
        raise InvalidInputError(f"`{name}` must be {kind} and finite; got {x}.")
    if minimum is not None and (x < minimum or (strict and x == minimum)):
        raise InvalidInputError(f"`{name}` must be {kind}; got {x!r}.")
    if maximum is not None and (x > maximum or (strict_maximum and x == maximum)):
        raise InvalidInputError(f"`{name}` must be {kind}; got {x!r}.")
    return x


def integer(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    allow_none: bool = False,
    maximum: int = 2**63 - 1,
) -> int | None:
    """Read an integer keyword (``max_iter``, ``chunk_size``, ...) as a Python int.

    Anything with ``__index__`` is accepted (``int``, ``np.int64``, 0-d integer arrays,
    dimensionless quantities of them); bool, floats (even ``100.0``), strings, None
    (unless ``allow_none``) and values outside ``[minimum, maximum]`` (by default the
    int64 range) are refused.

    Examples
    --------
    >>> integer(np.int32(7), "max_iter", minimum=0)
    7
    >>> integer(float("nan"), "chunk_size", minimum=1)
    Traceback (most recent call last):
        ...
    maxent.errors.InvalidInputError: `chunk_size` must be a positive integer; got float nan.
    """
    bounded = maximum != 2**63 - 1  # a range of the caller's, e.g. [-ndim, ndim - 1]
    kind = (
        f"an integer in [{minimum}, {maximum}]"
        if bounded and minimum is not None
        else "an integer"
        if minimum is None
        else "a non-negative integer"
        if minimum == 0
        else "a positive integer"
        if minimum == 1
        else f"an integer >= {minimum}"
    )
    if value is None:
        if allow_none:
            return None
        raise InvalidInputError(f"`{name}` must be {kind}; got None.")
    value = plain_magnitude(value, name)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)):
        raise InvalidInputError(f"`{name}` must be {kind}; got {_describe(value)}.")
    try:
        k = operator.index(value)
    except TypeError:
        raise InvalidInputError(f"`{name}` must be {kind}; got {_describe(value)}.") from None
    if minimum is not None and k < minimum:
        raise InvalidInputError(f"`{name}` must be {kind}; got {k}.")
    if k > maximum:
        got = str(k) if k.bit_length() <= 64 else f"an integer of {k.bit_length()} bits"
        limit = "" if bounded and minimum is not None else f" up to {maximum}"
        raise InvalidInputError(f"`{name}` must be {kind}{limit}; got {got}.")
    return k


def is_int(value: Any) -> bool:
    """Whether ``value`` is a Python or numpy integer (bool is not), for arguments whose
    meaning depends on it (a bare int where a shape tuple is wanted).

    Examples
    --------
    >>> is_int(np.int64(3)), is_int(True), is_int(3.0)
    (True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def boolean(value: Any, name: str) -> bool:
    """Read a flag (``probability``, ``zero_point``, ...): True or False (numpy's too).

    Examples
    --------
    >>> boolean(np.True_, "probability")
    True
    >>> boolean(1, "probability")
    Traceback (most recent call last):
        ...
    maxent.errors.InvalidInputError: `probability` must be True or False; got int 1.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidInputError(f"`{name}` must be True or False; got {_describe(value)}.")
    return bool(value)


def text(value: Any, name: str, *, allow_empty: bool = True) -> str:
    """Read a name or label that ends up in a Dataset or a file: a str without NUL that
    UTF-8 can encode (no lone surrogates), so a netCDF round trip gives it back whole.

    Examples
    --------
    >>> text("Fe I", "name")
    'Fe I'
    >>> text("a\\x00b", "name")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    maxent.errors.InvalidInputError: `name` must not contain NUL (netCDF text ends there); ...
    """
    if not isinstance(value, str):
        raise InvalidInputError(f"`{name}` must be a str; got {_describe(value)}.")
    if "\x00" in value:
        raise InvalidInputError(
            f"`{name}` must not contain NUL (netCDF text ends there); got {value[:40]!r}."
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"`{name}` must be text UTF-8 can encode; got {value[:40]!r} ({exc.reason} at "
            f"position {exc.start})."
        ) from None
    if not allow_empty and not value.strip():
        raise InvalidInputError(f"`{name}` must be a non-empty str; got {value!r}.")
    return value


def check_finite(arr: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    """Raise unless every entry of ``arr`` is finite (no NaN, no inf)."""
    bad = ~np.isfinite(arr)
    if np.any(bad):
        idx = first_bad_index(bad)
        raise InvalidInputError(
            f"`{name}` must be finite; got {arr[idx]} at index {_fmt_index(idx)}."
        )
    return arr


def check_span(arr: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    """Raise unless ``max(arr) - min(arr)`` is finite (differences stay in the float range)."""
    with np.errstate(over="ignore"):
        span = float(np.max(arr) - np.min(arr)) if arr.size else 0.0
    if not np.isfinite(span):
        raise InvalidInputError(
            f"`{name}` must span less than the float range (max - min finite); got "
            f"{float(np.min(arr))!r} to {float(np.max(arr))!r}."
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


def feature_matrix(
    features: Any,
    *,
    check: bool = True,
    single: bool = False,
) -> tuple[NDArray[Any], tuple[str, ...], bool]:
    """Read ``features``: a 2-D array (1-D means one constraint) or a mapping name -> column.

    Returns the (n_states, n_constraints) float64 array (not copied when already one),
    the constraint names, and whether the names came from a mapping.  ``check=False``
    leaves the finiteness of an array to the caller (a mapping's columns are always
    checked), who can fold it into a pass it makes anyway.  ``single=True`` returns a
    float32 ndarray (or memory map) as it is, not converted, for callers that read it
    chunk by chunk.
    """
    if isinstance(features, Mapping):
        if not features:
            raise InvalidInputError("`features` is an empty mapping; give at least one column.")
        names = tuple(text(str(k), "features") for k in features)
        if len(set(names)) != len(names):
            keys = list(features)
            dup = next(k for k in names if names.count(k) > 1)
            same = [k for k in keys if str(k) == dup]
            raise InvalidInputError(
                f"`features` keys {same[0]!r} and {same[1]!r} both name the constraint "
                f"{dup!r}; constraint names (keys, as str) must be distinct."
            )
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
        keep = single and isinstance(features, np.ndarray) and features.dtype == np.float32
        mat = features if keep else as_float_array(features, "features", ndim=(1, 2))
        if mat.ndim not in (1, 2):
            raise InvalidInputError(
                f"`features` must be 1-D or 2-D; got an array of shape {mat.shape}."
            )
        if mat.ndim == 1:
            mat = mat[:, None]
        names = tuple(f"f{k}" for k in range(mat.shape[1]))
        if check:
            check_finite(mat, "features")
        from_mapping = False
    if mat.shape[0] == 0:
        raise InvalidInputError("`features` has no rows; give at least one state.")
    return mat, names, from_mapping


def constraint_vector(
    value: Any, name: str, names: tuple[str, ...], from_mapping: bool, *, allow_inf: bool = False
) -> NDArray[np.float64]:
    """Read a per-constraint vector (targets, bounds, sigma), as an array or a mapping by name."""
    m = len(names)
    if isinstance(value, Mapping):
        if not from_mapping:
            raise InvalidInputError(
                f"`{name}` is a mapping but `features` is an array; give `{name}` as an "
                f"array of {m} entries, or `features` as a mapping of named columns."
            )
        keys = [str(k) for k in value]
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if keys.count(k) > 1)
            raise InvalidInputError(
                f"`{name}` has several keys named {dup!r} (keys are compared as str)."
            )
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
                + " and ".join(parts)
                + "."
            )
        lookup = {str(k): v for k, v in value.items()}
        arr = np.array(
            [as_float_array(lookup[k], f"{name}[{k!r}]", ndim=0) for k in names], dtype=np.float64
        )
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


def available_memory() -> int:
    """Bytes this process may still allocate: ``MemAvailable`` of /proc/meminfo (Linux),
    else the physical memory."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        pass
    try:  # pragma: no cover - not Linux
        import os

        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover
        return 2**62


def check_memory(n_bytes: float, what: str) -> None:
    """Refuse, before allocating, what needs more memory than is available.

    Raises
    ------
    InvalidInputError
        If ``n_bytes`` exceeds the memory available now (:func:`available_memory`).
    """
    free = available_memory()
    if not n_bytes <= free:
        raise InvalidInputError(
            f"{what} needs about {n_bytes / 2**30:.3g} GiB, more than the "
            f"{free / 2**30:.3g} GiB of memory available; make it smaller."
        )


def random_generator(seed: Any, name: str = "seed") -> np.random.Generator:
    """A :class:`numpy.random.Generator` from a seed: None, an int >= 0, a
    :class:`numpy.random.SeedSequence` or a Generator (used as is).

    Examples
    --------
    >>> random_generator(-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    maxent.errors.InvalidInputError: `seed` must be None, an int >= 0, ...; got -1.
    """
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    want = "None, an int >= 0, a SeedSequence or a numpy Generator"
    if isinstance(seed, (bool, np.bool_)):
        raise InvalidInputError(f"`{name}` must be {want}; got {_describe(seed)}.")
    try:
        k = operator.index(seed)
    except TypeError:
        raise InvalidInputError(f"`{name}` must be {want}; got {_describe(seed)}.") from None
    if k < 0:
        raise InvalidInputError(f"`{name}` must be {want}; got {k}.")
    return np.random.default_rng(k)


def dimensionless_real(value: Any, name: str, **options: Any) -> float:
    """:func:`real_number` for a model parameter without a unit (couplings, fields and
    temperatures of lattice models, k_B = 1); :func:`real_number` itself reads a
    dimensionless quantity as its number and refuses any other.

    Examples
    --------
    >>> import pint
    >>> dimensionless_real(pint.Quantity(150.0, "percent"), "coupling")
    1.5
    """
    return real_number(value, name, **options)  # type: ignore[return-value]


def dimensionless_array(value: Any, name: str, **options: Any) -> NDArray[np.float64]:
    """:func:`as_float_array` for model parameters without a unit (temperatures of a
    lattice model); it reads quantities, and lists of them, itself."""
    return as_float_array(value, name, **options)
