"""Short ``repr`` of result dataclasses: summary lines, never an array dump.

Every result class defines ``__repr__`` as ``summary_repr(self)``.  Scalars and strings are
shown with their values, arrays of up to ``SMALL`` entries with their values, larger arrays
(and lazy ones: dask arrays, streamed probabilities) by name, shape and kind only, so the
text stays short for any size of problem; the data are in the attributes.  A result held
by another (the levels of a canonical ensemble) is one line, ``EnergyLevels(n_levels=505,
...)``; long text is cut between words, never inside one.  A class adds derived
quantities (``n_levels``) by a method ``_summary_extra()`` returning them as a dict.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["MAX_CHARS", "SMALL", "summary_repr"]

SMALL = 6  # arrays with at most this many entries are shown in full
MAX_CHARS = 990  # hard cap on the whole text
_WIDTH = 88
_STR_CHARS = 72
_NESTED_CHARS = 78  # a nested result on one line after "  name="


def _scalar(value: Any) -> str | None:
    """Text of a scalar-like value, or None if it is array-like."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return repr(bool(value)) if value is not None else "None"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, str):
        return repr(_cut(value, _STR_CHARS))
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        if len(value) <= SMALL:
            return repr(value)
        return f"({', '.join(repr(v) for v in value[:3])}, ... {len(value)} names)"
    if isinstance(value, np.ndarray) and value.size <= SMALL:
        with np.printoptions(precision=4, threshold=SMALL, linewidth=10_000):
            return " ".join(np.array2string(value, separator=" ").split())
    if hasattr(value, "shape"):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _nested(value)
    return _cut(repr(value), _STR_CHARS)


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut between words and marked ``...``."""
    if len(text) <= limit:
        return text
    head = text[: limit - 4]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(",;:") + " ..."


def _items(obj: Any, extra: dict[str, Any]) -> list[tuple[str, Any]]:
    """(name, value) of the derived quantities and the fields shown in a summary."""
    derived = getattr(obj, "_summary_extra", None)
    items = {**(derived() if callable(derived) else {}), **extra}
    for f in dataclasses.fields(obj):
        if f.repr and f.name not in items:
            items[f.name] = _peek(obj, f.name)
    return list(items.items())


def _nested(obj: Any) -> str:
    """One line for a result held by another: its scalars, whole, up to ``_NESTED_CHARS``."""
    parts: list[str] = []
    for name, value in _items(obj, {}):
        text = None if _pending(value) or dataclasses.is_dataclass(value) else _scalar(value)
        if text is None:
            continue
        item = f"{name}={text}"
        if len(", ".join([*parts, item])) > _NESTED_CHARS - len(type(obj).__name__) - 7:
            parts.append("...")
            break
        parts.append(item)
    return f"{type(obj).__name__}({', '.join(parts)})"


def _peek(obj: Any, name: str) -> Any:
    """A field's value, or its pending lazy value (an object with ``pending`` and
    ``value``; not computed here: a repr never starts a pass over the data)."""
    value = obj.__dict__.get(name) if hasattr(obj, "__dict__") else None
    if _pending(value):
        return value
    return getattr(obj, name)


def _pending(value: Any) -> bool:
    return bool(getattr(value, "pending", False)) and hasattr(value, "value")


def _array(name: str, value: Any) -> str:
    shape = tuple(int(n) for n in getattr(value, "shape", ()))
    if _pending(value):
        return f"{name} {shape} (computed when first read)"
    cls = type(value)
    package = cls.__module__.split(".")[0]
    kind = "" if isinstance(value, np.ndarray) else f" {package}.{cls.__name__}"
    return f"{name} {shape}{kind}"


def _pack(items: list[str], first: str, indent: str, sep: str) -> list[str]:
    """Items joined by ``sep`` into lines of at most ``_WIDTH`` characters (items whole)."""
    lines: list[str] = []
    line = first
    for item in items:
        if line not in (first, indent) and len(line) + len(sep) + len(item) > _WIDTH:
            lines.append(line + sep.rstrip())
            line = indent
        line += item if line in (first, indent) else sep + item
    return [*lines, line]


def summary_repr(obj: Any, **extra: Any) -> str:
    """Summary of a dataclass instance: one block of ``name=value`` lines, one of arrays.

    ``extra`` adds derived quantities (shown first, e.g. ``n_levels``).  The result is at
    most ``MAX_CHARS`` characters whatever the sizes of the arrays.

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> @dataclasses.dataclass
    ... class R:
    ...     p: np.ndarray
    ...     log_Z: float
    ...     message: str
    >>> print(summary_repr(R(np.zeros(1000), 1.0 / 3.0, "converged")))
    R
      log_Z=0.333333  message='converged'
      arrays: p (1000,)
    """
    scalars, arrays = [], []
    for name, value in _items(obj, extra):
        text = None if _pending(value) else _scalar(value)
        if text is None:
            arrays.append(_array(name, value))
        else:
            scalars.append(f"{name}={text}")
    lines = [type(obj).__name__, *_pack(scalars, "  ", "  ", "  ")]
    if arrays:
        lines += _pack(arrays, "  arrays: ", "    ", ", ")
    text = "\n".join(lines)
    if len(text) > MAX_CHARS:  # whole lines only
        text = text[: MAX_CHARS - 27].rsplit("\n", 1)[0] + "\n  ... (see the attributes)"
    return text
