"""Reading and checking the arguments of :func:`maxent.reweight` and ``predict``.

Everything the caller passes is validated here, once: units (pint quantities converted to
the unit of ``calc``, or refused), xarray labels, per-observable vectors, ``bounds``,
``power``, ``fit``, ``forward`` and ``theta``.  The experimental data are then mapped to
the space in which they are compared with averages: BME's power averaging
:math:`\\langle x^{-p}\\rangle^{-1/p}` fits :math:`x^{-p}` linearly, with the target
:math:`t^{-p}`, the error propagated linearly, :math:`p\\,t^{-p}\\sigma/t`, and an upper
bound on :math:`x` becoming a lower bound on :math:`x^{-p}`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._alpha_rules import ALPHA_RULES
from ._checks import as_float_array, check_finite, check_positive, real_number
from ._reweight_fit import Data, Model
from ._reweight_theta import THETA_RULES
from ._units import convert, is_quantity, split_quantity
from .errors import InvalidInputError

__all__ = [
    "FITS",
    "check_bounds",
    "check_model",
    "check_powers",
    "check_theta",
    "check_thetas",
    "data_space",
    "observable_names",
    "observable_vector",
    "prior_argument",
    "strip_units",
]

#: ``fit`` -> (nuisance parameters, fitted jointly with the weights)
FITS: dict[str, tuple[str, bool]] = {
    "scale": ("scale", False),
    "scale+offset": ("scale+offset", False),
    "joint scale": ("scale", True),
    "joint scale+offset": ("scale+offset", True),
}
_SIDES = {None: 0, "none": 0, "upper": 1, "lower": -1}


def _is_data_array(x: Any) -> bool:
    return type(x).__name__ == "DataArray" and hasattr(x, "dims")


def _from_data_array(calc: Any) -> tuple[Any, tuple[str, ...] | None]:
    """(values with frames first, names from the observable coordinate or None)."""
    if calc.ndim == 2 and "frame" in calc.dims and calc.dims[0] != "frame":
        calc = calc.transpose("frame", ...)
    names = None
    if calc.ndim == 2:
        dim = calc.dims[1]
        if dim in calc.coords:
            names = tuple(str(v) for v in calc.coords[dim].values)
    return calc.data, names


def strip_units(
    calc: Any, targets: Any, sigma: Any
) -> tuple[Any, Any, Any, str | None, tuple[str, ...] | None]:
    """(calc, targets, sigma as magnitudes in calc's unit, the unit, names from xarray).

    Either all three carry units (targets and sigma are converted to the unit of calc)
    or none does; anything else would mean guessing a unit.
    """
    names = None
    if _is_data_array(calc):
        calc, names = _from_data_array(calc)
    calc, unit = split_quantity(calc, "calc") if is_quantity(calc) else (calc, None)
    out = []
    for name, value in (("targets", targets), ("sigma", sigma)):
        if _is_data_array(value):
            value = value.data
        mag, vunit = split_quantity(value, name)
        if (unit is None) != (vunit is None):
            have, lack = (name, "calc") if unit is None else ("calc", name)
            raise InvalidInputError(
                f"`{have}` carries a unit but `{lack}` does not; give `calc`, `targets` and "
                "`sigma` all as quantities (they are converted to the unit of `calc`) or "
                "all as plain numbers."
            )
        out.append(mag if unit is None else convert(mag, str(vunit), str(unit), name))
    return calc, out[0], out[1], unit, names


def observable_names(
    given: Sequence[str] | None, from_xarray: tuple[str, ...] | None
) -> Callable[[int], tuple[str, ...]]:
    """``names(m)``: the observables' names once their number is known."""

    def names(m: int) -> tuple[str, ...]:
        if given is None:
            return from_xarray if from_xarray is not None else tuple(f"o{k}" for k in range(m))
        if isinstance(given, str):
            raise InvalidInputError("`names` must be a sequence of str, one per observable.")
        out = tuple(str(k) for k in given)
        if len(out) != m or len(set(out)) != m:
            raise InvalidInputError(
                f"`names` must hold {m} distinct names, one per observable (column of "
                f"`calc`); got {len(out)} names ({len(set(out))} distinct)."
            )
        return out

    return names


def observable_vector(value: Any, name: str, m: int) -> NDArray[np.float64]:
    """A finite per-observable vector (a scalar is repeated), owned by the caller of this."""
    arr = as_float_array(value, name, ndim=(0, 1))
    if arr.ndim == 0:
        arr = np.full(m, float(arr))
    if arr.shape[0] != m:
        raise InvalidInputError(
            f"`{name}` has {arr.shape[0]} entries but `calc` has {m} observables (columns)."
        )
    return check_finite(arr.copy(), name)


def check_bounds(bounds: Any, m: int) -> NDArray[np.int8]:
    """+1 for "upper", -1 for "lower", 0 for None, per observable."""
    if bounds is None or isinstance(bounds, str):
        bounds = [bounds] * m
    bounds = list(bounds)
    if len(bounds) != m:
        raise InvalidInputError(
            f"`bounds` has {len(bounds)} entries but `calc` has {m} observables."
        )
    out = np.zeros(m, dtype=np.int8)
    for k, b in enumerate(bounds):
        key = b.lower() if isinstance(b, str) else b
        if key not in _SIDES:
            raise InvalidInputError(f'`bounds[{k}]` must be "upper", "lower" or None; got {b!r}.')
        out[k] = _SIDES[key]
    return out


def check_powers(power: Any) -> Callable[[int], NDArray[np.float64]]:
    """``powers(m)``: p > 0 per observable for ``<x**-p>**(-1/p)`` averaging, 0 for linear."""

    def powers(m: int) -> NDArray[np.float64]:
        if power is None:
            return np.zeros(m)
        if np.ndim(power) == 0:
            values = [power] * m
        else:
            values = list(power)
            if len(values) != m:
                raise InvalidInputError(
                    f"`power` has {len(values)} entries but `calc` has {m} observables."
                )
        out = np.zeros(m)
        for k, p in enumerate(values):
            if p is not None:
                out[k] = real_number(p, f"power[{k}]" if np.ndim(power) else "power",
                                     minimum=0.0, strict=True)  # fmt: skip
        return out

    return powers


def data_space(
    targets: NDArray[np.float64],
    sigma: NDArray[np.float64],
    side: NDArray[np.int8],
    powers: NDArray[np.float64],
) -> Data:
    """The data as compared with the averages: ``t**-p`` etc. where ``power`` applies."""
    check_positive(sigma, "sigma")
    on = powers > 0
    if np.any(on & (targets <= 0)):
        k = int(np.argmax(on & (targets <= 0)))
        raise InvalidInputError(
            f"`targets[{k}]` = {targets[k]} must be > 0 for power averaging (x**-p)."
        )
    p = np.where(on, powers, 1.0)
    t = np.where(on, targets, 1.0)
    with np.errstate(over="ignore", under="ignore"):
        t_lin = np.where(on, t**-p, targets)
        s_lin = np.where(on, p * t_lin * sigma / t, sigma)
    check_finite(t_lin, "targets**-power")
    check_positive(s_lin, "sigma propagated to x**-power")
    return Data(t_lin, s_lin, np.where(on, -side, side).astype(np.int8))


def check_model(fit: str | None, forward: Any, power: Any) -> Model:
    """Nuisance parameters or a forward model (not both, and no forward with power)."""
    if fit is not None and fit not in FITS:
        raise InvalidInputError(f"`fit` must be None or one of {', '.join(FITS)}; got {fit!r}.")
    if forward is None:
        nuisance, joint = FITS[fit] if fit is not None else (None, False)
        return Model(nuisance, joint, None)
    if not (
        isinstance(forward, (tuple, list)) and len(forward) == 2 and all(map(callable, forward))
    ):
        raise InvalidInputError(
            "`forward` must be a pair (f, df) of functions of the vector of averages: the "
            "predicted data and their derivatives, one per observable."
        )
    if fit is not None or power is not None:
        raise InvalidInputError(
            "`forward` cannot be combined with `fit` or `power`: fold scale, offset or "
            "power into the forward model."
        )
    return Model(None, False, (forward[0], forward[1]))


def check_theta(theta: Any) -> float | str:
    """A positive finite number, or the name of a rule that chooses theta."""
    if isinstance(theta, str):
        if theta in THETA_RULES:
            return theta
        if theta in ALPHA_RULES:
            raise InvalidInputError(
                f"`theta`={theta!r} needs the Bayesian evidence of the fits, which "
                f"reweighting does not compute; use one of {', '.join(THETA_RULES)}."
            )
        raise InvalidInputError(
            f"`theta` must be a positive number or one of {', '.join(THETA_RULES)}; got {theta!r}."
        )
    value = real_number(theta, "theta", minimum=0.0, strict=True)
    assert value is not None
    return value


def check_thetas(thetas: Any) -> NDArray[np.float64] | None:
    if thetas is None:
        return None
    grid = check_positive(as_float_array(thetas, "thetas", ndim=1), "thetas").copy()
    if grid.size < 3:
        raise InvalidInputError(f"`thetas` must hold at least 3 values; got {grid.size}.")
    return grid


def prior_argument(prior: Any, log_prior: Any) -> tuple[Any, str]:
    """(the prior weights or log-weights, "prior" or "log_prior"), dimensionless."""
    if prior is not None and log_prior is not None:
        raise InvalidInputError("give `prior` or `log_prior`, not both.")
    kind = "prior" if log_prior is None else "log_prior"
    value = prior if log_prior is None else log_prior
    if _is_data_array(value):
        value = value.data
    if is_quantity(value):
        mag, unit = split_quantity(value, kind)
        value = convert(mag, str(unit), "dimensionless", kind)
    return value, kind
