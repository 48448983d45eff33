"""Log-space primitives shared by every module: log Z, normalised p, entropy.

All of maxent's probabilities are computed from *log-weights*
:math:`a_i = \\log q_i - \\sum_k \\lambda_k F_{ik}` through a log-sum-exp, so nothing
overflows for any finite input.  The convention :math:`0 \\log 0 = 0` lives here and
nowhere else: states of weight zero (``a_i = -inf``) contribute nothing.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["entropy_from_log_p", "log_normalize", "log_sum_exp"]


def log_sum_exp(log_w: ArrayLike, axis: int = -1) -> NDArray[np.float64]:
    """Stable :math:`\\log \\sum_i e^{a_i}` along ``axis``; ``-inf`` entries are zero weights.

    Returns ``-inf`` where every entry is ``-inf`` (an empty sum).
    """
    a = np.asarray(log_w, dtype=np.float64)
    a_max = np.max(a, axis=axis, keepdims=True)
    a_max = np.where(np.isfinite(a_max), a_max, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - a_max), axis=axis, keepdims=True)) + a_max
    return np.squeeze(out, axis=axis)


def log_normalize(
    log_w: ArrayLike, axis: int = -1
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Normalise log-weights: return ``(log_Z, log_p, p)`` along ``axis``.

    ``log_p`` is ``-inf`` exactly where the weight is zero, and ``p`` is 0 there.
    """
    a = np.asarray(log_w, dtype=np.float64)
    log_z = log_sum_exp(a, axis=axis)
    log_p = a - np.expand_dims(log_z, axis)
    return log_z, log_p, np.exp(log_p)


def entropy_from_log_p(p: ArrayLike, log_p: ArrayLike, axis: int = -1) -> NDArray[np.float64]:
    """Shannon entropy :math:`-\\sum_i p_i \\log p_i` in nats, with :math:`0 \\log 0 = 0`."""
    p = np.asarray(p, dtype=np.float64)
    log_p = np.asarray(log_p, dtype=np.float64)
    terms = np.where(p > 0, p * np.where(p > 0, log_p, 0.0), 0.0)
    return np.maximum(-np.sum(terms, axis=axis), 0.0)
