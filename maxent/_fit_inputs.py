"""Reading the inputs of :func:`maxent.fit`: errors (a vector or a covariance), alpha,
per-grid-point vectors and windows, and the scale of the whitened problem."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ._alpha_rules import ALPHA_RULES
from ._checks import as_float_array, check_finite, check_positive, real_number
from .errors import InvalidInputError

__all__ = ["check_alpha", "check_sigma", "check_whitened_scale", "check_windows", "grid_vector"]


def check_sigma(sigma: Any, n_data: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return (Cholesky factor L or the vector sigma, sqrt(diag C))."""
    arr = as_float_array(sigma, "sigma", ndim=(0, 1, 2))
    if arr.ndim == 0:
        arr = np.full(n_data, float(arr))
    if arr.ndim == 1:
        if arr.shape[0] != n_data:
            raise InvalidInputError(
                f"`sigma` has {arr.shape[0]} entries but `data` has {n_data} (one error each)."
            )
        check_positive(arr, "sigma")
        arr = arr.copy()  # the result owns (and freezes) it, never the caller's array
        return arr, arr
    if arr.shape != (n_data, n_data):
        raise InvalidInputError(
            f"`sigma` as a covariance matrix must have shape ({n_data}, {n_data}); "
            f"got {arr.shape}."
        )
    check_finite(arr, "sigma")
    if not np.allclose(arr, arr.T, rtol=1e-10, atol=0.0):
        raise InvalidInputError("`sigma` as a covariance matrix must be symmetric.")
    try:
        chol = np.linalg.cholesky(arr)
    except np.linalg.LinAlgError:
        raise InvalidInputError(
            "`sigma` as a covariance matrix must be positive definite; its Cholesky "
            "factorisation failed."
        ) from None
    # numpy's stubs type the factor as floating[Any]; a float64 input gives float64
    return cast(NDArray[np.float64], chol), np.sqrt(np.diag(arr))


#: data beyond this many errors from zero are refused: the residual y - K x cannot be
#: computed to better than a few eps |y|, so chi^2 would be rounding noise
_MAX_SIGNAL = 1e15
#: data below this many errors are refused: they carry no information, and the alpha scan
#: (alpha ~ (K / sigma)^2 x) would leave the float range
_MIN_SIGNAL = 1e-100
#: the kernel in units of the errors is refused beyond this ratio from 1: its square (the
#: curvature of chi^2) would leave the float range
_MAX_KERNEL = 1e140


def check_whitened_scale(kt: NDArray[np.float64], yt: NDArray[np.float64]) -> None:
    """Refuse data closer to their errors than double precision resolves, or 1e100 times
    below them, and a kernel whose square in units of the errors leaves the float range."""
    with np.errstate(over="ignore"):
        d, k = float(np.max(np.abs(yt))), float(np.max(np.abs(kt)))
    if not d <= _MAX_SIGNAL:
        raise InvalidInputError(
            f"`sigma` is below 1e-15 of the data (max |y| / sigma = {d:.3g}): the residual "
            "y - K x cannot be computed that closely in double precision, so chi^2 would "
            "be rounding noise; give errors of at least 1e-15 of the data."
        )
    if 0 < d < _MIN_SIGNAL:
        raise InvalidInputError(
            f"`sigma` is over 1e100 times the data (max |y| / sigma = {d:.3g}): the data "
            "carry no information at that scale; give the errors in the data's unit."
        )
    if not 1 / _MAX_KERNEL <= k <= _MAX_KERNEL:
        raise InvalidInputError(
            f"`kernel` / `sigma` reaches {k:.3g}, more than 1e140 away from 1: the curvature "
            "of chi^2, its square, would leave the float range; express x in a unit where "
            "the kernel is closer to the errors."
        )


def check_alpha(alpha: Any) -> float | str:
    names = ", ".join(ALPHA_RULES)
    if isinstance(alpha, str):
        if alpha not in ALPHA_RULES:
            raise InvalidInputError(
                f"`alpha` must be a positive number or one of {names}; got {alpha!r}."
            )
        return alpha
    try:
        return cast(float, real_number(alpha, "alpha", minimum=0.0, strict=True, allow_inf=True))
    except InvalidInputError as exc:
        raise InvalidInputError(f"{exc} (`alpha` may also be one of {names}.)") from None


def grid_vector(value: Any, name: str, n: int) -> NDArray[np.float64]:
    arr = as_float_array(value, name, ndim=(0, 1))
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape[0] != n:
        raise InvalidInputError(
            f"`{name}` has {arr.shape[0]} entries but `kernel` has {n} columns "
            "(one per grid point)."
        )
    return arr


def check_windows(windows: Any) -> NDArray[np.float64]:
    if windows is None:
        return np.zeros((0, 2))
    win = check_finite(as_float_array(windows, "windows", ndim=(1, 2)), "windows")
    if win.ndim == 1:
        win = win.reshape(1, -1)
    if win.shape[1] != 2:
        raise InvalidInputError(
            f"`windows` must be pairs (lower, upper); got an array of shape {win.shape}."
        )
    bad = np.nonzero(win[:, 0] > win[:, 1])[0]
    if bad.size:
        raise InvalidInputError(f"`windows[{bad[0]}]` = {tuple(win[bad[0]])} has lower > upper.")
    return win
