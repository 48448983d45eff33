"""The caller's input to :func:`maxent.density`: support, targets and units, read once.

A support is ``((lower, upper), ...)`` (one pair per coordinate, each end possibly
infinite, pint Quantities converted to the unit of the first end given); the targets are
a :class:`Spec`: what they are moments of (powers, Chebyshev or Legendre polynomials, or
named callables), their exponents and names, and their values (``(K,)``, or
``(n_problems, K)`` for a batch), power moments converted to the support's unit to the
k-th power.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks
from ._density_result import to_unit
from ._units import is_quantity
from .errors import InvalidInputError

__all__ = [
    "BASES",
    "Spec",
    "one_problem",
    "read_support",
    "read_targets",
    "standard_axes",
    "typical_sizes",
]

Exponent = tuple[int, ...]
BASES = ("power", "chebyshev", "legendre")
_AXES = ("x", "y", "z")


@dataclass(frozen=True)
class Spec:
    """The caller's constraints: what they are moments of, their names and values."""

    kind: str  # "power", "chebyshev", "legendre" or "features"
    exponents: tuple[Exponent, ...]  # one per constraint (empty for custom features)
    names: tuple[str, ...]
    targets: NDArray[np.float64]  # (K,) or (n_problems, K)
    callables: tuple[Callable[..., ArrayLike], ...]

    @property
    def batch(self) -> bool:
        return self.targets.ndim == 2


def _scalar_like(value: Any) -> bool:
    if is_quantity(value):
        return np.ndim(getattr(value, "magnitude", getattr(value, "value", value))) == 0
    return np.ndim(value) == 0 and not isinstance(value, (str, bytes))


def read_support(support: Any) -> tuple[tuple[tuple[float, float], ...], tuple[str, ...]]:
    """``support`` as ``((lower, upper), ...)`` and one unit string per axis."""
    if is_quantity(support):
        mag = np.asarray(getattr(support, "magnitude", support))
        pairs: list[Any] = [support] if mag.ndim == 1 else [support[i] for i in range(len(mag))]
    elif isinstance(support, (str, bytes, Mapping)) or not hasattr(support, "__len__"):
        raise InvalidInputError(
            "`support` must be a pair (lower, upper), e.g. (0, 1) or (0, inf), or a list of "
            f"pairs for 2-D and 3-D boxes; got {type(support).__name__}."
        )
    elif len(support) == 2 and all(_scalar_like(v) for v in support):
        pairs = [support]
    else:
        pairs = list(support)
    if not 1 <= len(pairs) <= 3:
        raise InvalidInputError(
            f"`support` must have 1 to 3 (lower, upper) pairs; got {len(pairs)}."
        )
    name = (lambda i: "support") if len(pairs) == 1 else (lambda i: f"support[{i}]")
    read = [_read_interval(p, name(i)) for i, p in enumerate(pairs)]
    if len(read) > 1 and not all(np.isfinite(lo) and np.isfinite(hi) for lo, hi, _ in read):
        raise InvalidInputError(
            "in 2-D and 3-D the support must be a bounded box; got "
            f"{[(lo, hi) for lo, hi, _ in read]}."
        )
    return tuple((lo, hi) for lo, hi, _ in read), tuple(u for _, _, u in read)


def _read_interval(pair: Any, name: str) -> tuple[float, float, str]:
    """One ``(lower, upper)`` pair, converted to the unit of its first quantity."""
    if is_quantity(pair):
        unit = str(getattr(pair, "units", getattr(pair, "unit", "1")))
        values = to_unit(pair, unit, name)
        if values.shape != (2,):
            raise InvalidInputError(
                f"`{name}` must be a pair (lower, upper); got shape {values.shape}."
            )
        ends = [float(values[0]), float(values[1])]
    else:
        try:
            items = list(pair)
        except TypeError:
            raise InvalidInputError(
                f"`{name}` must be a pair (lower, upper); got {type(pair).__name__}."
            ) from None
        if len(items) != 2:
            raise InvalidInputError(
                f"`{name}` must be a pair (lower, upper); got {len(items)} values."
            )
        unit = next(
            (str(getattr(v, "units", getattr(v, "unit", "1"))) for v in items if is_quantity(v)),
            "1",
        )
        ends = [float(to_unit(v, unit, name)) if is_quantity(v) else v for v in items]
    lo = _checks.real_number(ends[0], f"{name}[0]", allow_inf=True)
    hi = _checks.real_number(ends[1], f"{name}[1]", allow_inf=True)
    assert lo is not None and hi is not None
    if not lo < hi or lo == math.inf or hi == -math.inf:
        raise InvalidInputError(
            f"`{name}` = ({lo}, {hi}) is empty: need lower < upper, lower < inf and upper > -inf."
        )
    return lo, hi, "1" if unit in ("", "dimensionless") else unit


def read_targets(
    targets: Any,
    bounds: tuple[tuple[float, float], ...],
    units: tuple[str, ...],
    basis: Any,
    features: Any,
) -> Spec:
    if features is not None:
        if basis != "power":
            raise InvalidInputError("give either `basis` or `features`, not both.")
        return _read_feature_targets(targets, features)
    if not isinstance(basis, str) or basis not in BASES:
        raise InvalidInputError(f"`basis` must be one of {list(BASES)}; got {basis!r}.")
    if basis != "power":
        if len(bounds) > 1:
            raise InvalidInputError(
                f"`basis` = {basis!r} is for 1-D supports; in 2-D and 3-D give power moments."
            )
        if not all(np.isfinite(bounds[0])):
            raise InvalidInputError(
                f"`basis` = {basis!r} needs a bounded support (it is a basis on [a, b]); got "
                f"`support` = {bounds[0]}; give power moments on infinite supports."
            )
    if len(bounds) == 1:
        return _read_1d_targets(targets, basis, units[0])
    return _read_nd_targets(targets, units)


def _power_unit(units: Sequence[str], exponent: Exponent) -> str:
    parts = [f"({u})**{e}" for u, e in zip(units, exponent, strict=True) if e and u != "1"]
    return "*".join(parts) if parts else "1"


def _read_1d_targets(targets: Any, basis: str, unit: str) -> Spec:
    if isinstance(targets, Mapping):
        raise InvalidInputError(
            "in 1-D, `targets` must be an array of K moments (or n_problems x K); a mapping "
            "is for 2-D and 3-D supports and for `features`."
        )

    def unit_of(k: int) -> str:
        return _power_unit((unit,), (k,)) if basis == "power" else "1"

    if is_quantity(targets):
        mag = np.asarray(getattr(targets, "magnitude", getattr(targets, "value", targets)))
        if basis == "power" and unit != "1" and mag.shape[-1:] != (1,):
            raise InvalidInputError(
                "`targets` is one quantity with one unit, but E[x^k] has the unit of "
                "`support` to the k; give a list of quantities [E[x], E[x^2], ...] or plain "
                "numbers in the support's unit."
            )
        arr = to_unit(targets, unit_of(1), "targets")
    elif isinstance(targets, (list, tuple)) and any(is_quantity(t) for t in targets):
        arr = np.array(
            [float(to_unit(t, unit_of(k + 1), f"targets[{k}]")) for k, t in enumerate(targets)]
        )
    else:
        arr = _checks.as_float_array(targets, "targets", ndim=(1, 2))
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0 or arr.size == 0:
        raise InvalidInputError(
            f"`targets` must hold at least one moment, shape (K,) or (n_problems, K); got "
            f"shape {arr.shape}."
        )
    _checks.check_finite(arr, "targets")
    k = arr.shape[-1]
    symbol = {"power": "x^{}", "chebyshev": "T_{}", "legendre": "P_{}"}[basis]
    names = tuple(symbol.format(i) for i in range(1, k + 1))
    exps = tuple((i,) for i in range(1, k + 1))
    return Spec(basis, exps, names, np.array(arr, dtype=np.float64), ())


def _read_nd_targets(targets: Any, units: tuple[str, ...]) -> Spec:
    dim = len(units)
    if not isinstance(targets, Mapping):
        raise InvalidInputError(
            f"in {dim}-D, `targets` must be a mapping from exponent tuples to power moments, "
            f"e.g. {{(1, 0): E[x], (0, 2): E[y^2]}}; got {type(targets).__name__}."
        )
    exps: list[Exponent] = []
    values: list[float] = []
    for key, value in targets.items():
        e = _exponent(key, dim)
        v = to_unit(value, _power_unit(units, e), f"targets[{key!r}]")
        if v.ndim != 0:
            raise InvalidInputError(f"`targets[{key!r}]` must be one number; got shape {v.shape}.")
        _checks.check_finite(v.reshape(1), f"targets[{key!r}]")
        if not any(e):
            if float(v) != 1.0:
                raise InvalidInputError(
                    f"`targets[{key!r}]` = {float(v)}: a density integrates to 1."
                )
            continue
        if e in exps:
            raise InvalidInputError(f"`targets` names the exponent {e} twice.")
        exps.append(e)
        values.append(float(v))
    if not exps:
        raise InvalidInputError("`targets` must hold at least one moment.")
    for e in exps:
        for lower in np.ndindex(*[i + 1 for i in e]):
            if any(lower) and lower not in exps:
                raise InvalidInputError(
                    f"`targets` has {e} but not {tuple(lower)}: give every lower moment "
                    "(all moments up to a total order, for instance)."
                )
    names = tuple(" ".join(f"{a}^{i}" for a, i in zip(_AXES, e, strict=False) if i) for e in exps)
    return Spec("power", tuple(exps), names, np.array(values), ())


def _exponent(key: Any, dim: int) -> Exponent:
    if (
        not isinstance(key, tuple)
        or len(key) != dim
        or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) and i >= 0 for i in key
        )
    ):
        raise InvalidInputError(
            f"`targets` keys must be tuples of {dim} non-negative integers (exponents); got "
            f"{key!r}."
        )
    return tuple(int(i) for i in key)


def _read_feature_targets(targets: Any, features: Any) -> Spec:
    if not isinstance(features, Mapping) or not features:
        raise InvalidInputError(
            "`features` must be a non-empty mapping name -> callable, e.g. "
            "{'x': lambda x: x, 'log x': np.log}."
        )
    names = tuple(str(k) for k in features)
    for key, f in features.items():
        if not callable(f):
            raise InvalidInputError(
                f"`features[{key!r}]` must be callable; got {type(f).__name__}."
            )
    if isinstance(targets, Mapping):
        targets = {
            k: (to_unit(v, "1", f"targets[{k!r}]") if is_quantity(v) else v)
            for k, v in targets.items()
        }
    vec = _checks.constraint_vector(targets, "targets", names, True)
    return Spec("features", (), names, vec, tuple(features.values()))


def typical_sizes(spec: Spec, bounds: Sequence[tuple[float, float]]) -> NDArray[np.float64]:
    """A size for each power moment, for the tolerance: ``|b|``, or for moments near 0
    the product of typical ``|x_i|`` (from the second moments) to the exponents."""
    dim = len(bounds)
    lookup = dict(zip(spec.exponents, spec.targets, strict=True))
    typical = []
    for i, (lo, hi) in enumerate(bounds):
        e1 = tuple(1 if j == i else 0 for j in range(dim))
        e2 = tuple(2 if j == i else 0 for j in range(dim))
        size = math.sqrt(abs(lookup[e2])) if e2 in lookup else abs(lookup.get(e1, 0.0))
        if size == 0.0:
            size = 0.5 * (hi - lo) if np.isfinite(hi - lo) else 1.0
        typical.append(size)
    fallback = np.array(
        [math.prod(t**k for t, k in zip(typical, e, strict=True)) for e in spec.exponents]
    )
    return np.maximum(np.abs(spec.targets), fallback)


def standard_axes(
    spec: Spec, bounds: Sequence[tuple[float, float]]
) -> list[tuple[str, float, float]]:
    """Per axis ``(kind, origin, scale)`` of the standard variable ``(x - origin)/scale``:
    [0, 1] for intervals, >= 0 for half-lines, mean 0 and variance 1 on the real line."""
    lookup = dict(zip(spec.exponents, spec.targets, strict=True))
    out = []
    for lo, hi in bounds:
        mean = lookup.get((1,), 0.0)
        if np.isfinite(lo) and np.isfinite(hi):
            out.append(("hausdorff", lo, hi - lo))
        elif np.isfinite(lo):
            out.append(("stieltjes", lo, mean - lo if mean > lo else 1.0))
        elif np.isfinite(hi):
            out.append(("stieltjes", hi, -(hi - mean) if mean < hi else -1.0))
        else:
            var = lookup.get((2,), 0.0) - mean**2
            out.append(("hamburger", mean, math.sqrt(var) if var > 0 else 1.0))
    return out


def one_problem(spec: Spec, row: NDArray[np.float64]) -> Spec:
    """One problem of a batch as a single-problem spec."""
    return Spec(spec.kind, spec.exponents, spec.names, np.array(row, dtype=np.float64), ())
