"""Exact thermodynamics of long periodic Ising strips by a transfer matrix.

Exact enumeration stops at about 30 sites; a strip of a few sites across and hundreds
along, periodic both ways, is summed exactly by a transfer matrix along its long axis:
Z = Tr T^n, with T[a, b] = exp(-beta (E_slice(a) + E_between(a, b))) over the 2^s states
of a slice of s sites.  It is the exact reference of the samplers on lattices long enough
that a row of spins fills several 64-bit words.  The slices are the sites of equal index
along ``axis`` of the lattice's shape; the lattice must be invariant under a shift by one
along it, with bonds only inside a slice or between neighbouring slices (checked).
"""

from __future__ import annotations

import numpy as np


def _slices(lattice, axis):
    grid = np.arange(lattice.n_sites).reshape(lattice.shape)
    return np.moveaxis(grid, axis, 0).reshape(lattice.shape[axis], -1)


def _log_transfer(model, beta, axis):
    """log T (2^s x 2^s) of the slices along ``axis``, and the number of slices."""
    _, jp, hp, offset = model.potts_form
    slices = _slices(model.lattice, axis)
    n, s = slices.shape
    assert n >= 3, "the slices must be at least three"
    where = np.full(model.lattice.n_sites, -1)
    for c in range(n):
        where[slices[c]] = c
    local = np.empty(model.lattice.n_sites, np.int64)
    local[slices] = np.arange(s)[None, :]
    b = model.lattice.bonds
    ca, cb = where[b[:, 0]], where[b[:, 1]]
    inside = b[(ca == 0) & (cb == 0)]
    forward = np.concatenate([b[(ca == 0) & (cb == 1)], b[(ca == 1) & (cb == 0)][:, ::-1]])
    assert n * (len(inside) + len(forward)) == len(b), "not a strip along this axis"
    states = (np.arange(2**s)[:, None] >> np.arange(s)[None, :]) & 1  # (2^s, s)
    a_in = states[:, local[inside[:, 0]]] == states[:, local[inside[:, 1]]]
    e_slice = -jp * a_in.sum(axis=1) - hp * (states == 0).sum(axis=1) + offset / n
    sat = states[:, None, local[forward[:, 0]]] == states[None, :, local[forward[:, 1]]]
    e_between = -jp * sat.sum(axis=2)
    return -beta * (e_slice[:, None] + e_between), n


def log_partition_function(model, beta, axis):
    """log Z of an Ising model on a periodic strip (slices along ``axis``): the sum of
    the n-th powers of the eigenvalues of T, in units of the largest."""
    log_t, n = _log_transfer(model, beta, axis)
    shift = log_t.max()
    lam = np.linalg.eigvals(np.exp(log_t - shift))
    top = np.abs(lam).max()
    return n * (shift + np.log(top)) + np.log(np.sum((lam / top) ** n).real)


def thermodynamics(model, temperature, axis):
    """(<E>, C) at ``temperature`` by central differences of log Z in beta (5 points,
    step 1e-3: truncation ~1e-12, rounding ~1e-8 of C)."""
    beta, h = 1.0 / temperature, 1e-3
    f = [log_partition_function(model, beta + k * h, axis) for k in (-2, -1, 0, 1, 2)]
    d1 = (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h)
    d2 = (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * h * h)
    return -d1, beta * beta * d2
