"""Dot products to twice the working precision (Ogita, Rump and Oishi's Dot2).

Where the multipliers are large and the features nearly collinear, the terms of
``F @ lam`` cancel to many digits and the plain dot product's rounding (``eps`` of the
terms) is far above the log-weights' own; the moment kernel then takes the log-weights
by :func:`accurate_dot` (see :class:`maxent._kernel.PassRequest`, ``accurate``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["accurate_dot"]

Array = NDArray[np.float64]

_SPLITTER = 134217729.0  # 2^27 + 1: Dekker's split of a double into two halves


def _split(x: Any) -> tuple[Any, Any]:
    """``x = hi + lo`` exactly, each half with at most 26 significant bits (Dekker)."""
    y = x * _SPLITTER
    hi = y - (y - x)
    return hi, x - hi


def accurate_dot(fc: Array, lam: Array) -> Array:
    """``fc @ lam`` to about ``eps |fc @ lam| + eps^2 sum_k |fc_k lam_k|`` per row.

    Ogita, Rump and Oishi's Dot2: each product's rounding error exactly (Dekker's
    TwoProduct), each sum's by Knuth's TwoSum, the errors summed apart and added at the
    end.  Where the multipliers are large and the features nearly collinear, the products
    cancel to many digits and the plain dot product's rounding (``eps`` of the products)
    is far above the log-weights' own; this costs some 20 vector operations per column.
    Needs ``|fc| < 1e290`` and ``|lam| < 1e290`` (the split must not overflow); columns
    where ``lam`` is 0 are skipped.

    References
    ----------
    T. Ogita, S. M. Rump and S. Oishi, "Accurate sum and dot product", SIAM J. Sci.
    Comput. 26, 1955-1988 (2005).
    """
    rows = fc.shape[0]
    s = np.zeros(rows)
    c = np.zeros(rows)
    for k in np.flatnonzero(lam):
        lk = float(lam[k])
        lh, ll = _split(lk)
        x = np.asarray(fc[:, k], dtype=np.float64)  # (chunks are float64: no copy)
        xh, xl = _split(x)
        p = x * lk
        err = ((xh * lh - p) + xh * ll + xl * lh) + xl * ll  # p + err = x lk exactly
        t = s + p
        z = t - s
        c += ((s - (t - z)) + (p - z)) + err  # t + (...) = s + p exactly
        s = t
    out: Array = s + c
    return out
