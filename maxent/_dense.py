"""Small dense symmetric algebra of the solver's steps, through LAPACK directly.

The Newton steps of a small problem factor matrices of a few to a few dozen rows, many
times per solve: there numpy's and scipy's wrappers (argument checks, dtype dispatch,
error-state handling) cost several times the factorization itself (``numpy.linalg.eigh``
of 3 x 3: ~4.6 us, LAPACK's ``dsyevd`` called directly: ~1.6 us).  These helpers call
LAPACK and fall back to numpy's routine, with its errors, wherever LAPACK reports a
failure.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

__all__ = ["eigh"]

Array = NDArray[np.float64]


def eigh(a: Array) -> tuple[Array, Array]:
    """Eigenvalues (ascending) and eigenvectors of the symmetric matrix ``a`` (its lower
    triangle is read), as :func:`numpy.linalg.eigh` returns them.

    Raises LinAlgError where numpy's routine does (LAPACK did not converge).
    """
    if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] and a.dtype == np.float64:
        w, v, info = scipy.linalg.lapack.dsyevd(a, compute_v=1, lower=1)
        if info == 0:
            return w, v
    out: tuple[Array, Array] = np.linalg.eigh(a)
    return out
