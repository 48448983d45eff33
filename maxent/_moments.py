"""Chunked evaluation of log Z, moments and covariance: the solver's one pass over F.

Everything :func:`maxent.solve` needs from the feature matrix goes through
:class:`MomentEngine`.  One call of :meth:`MomentEngine.evaluate` reads ``F`` once,
chunk by chunk over states, and returns

- :math:`\\log Z(\\lambda) = \\log \\sum_i q_i e^{-\\lambda \\cdot F_i}` (``q`` normalised),
- the moments :math:`E_p[F]` and, on request, the covariance :math:`\\mathrm{Cov}_p[F]`,
- on request, the smallest and largest value of :math:`F_i \\cdot d` over the support
  for a few directions ``d`` (feature ranges, certificates of infeasibility and faces).

Chunks are merged with a running maximum (a streaming log-sum-exp), so memory beyond
``F`` is a few chunks of ``chunk_size`` rows; a later back end can feed the same
reduction from disk or from a distributed array.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Evaluation", "MomentEngine"]

_WORKERS = max(1, min(os.cpu_count() or 1, 8))
_POOL: ThreadPoolExecutor | None = None


def _map_blocks(n, chunk_size, func):
    """Apply ``func(r0, r1)`` to contiguous blocks of rows, one per worker thread.

    numpy releases the GIL in its kernels, so blocks run in parallel on the cores.
    Small problems run inline.
    """
    global _POOL
    workers = min(_WORKERS, max(1, n // (4 * chunk_size)))
    if workers == 1:
        return [func(0, n)]
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="maxent")
    edges = np.linspace(0, n, workers + 1).astype(int)
    edges[1:-1] = (edges[1:-1] // chunk_size) * chunk_size
    futures = [_POOL.submit(func, int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
    return [f.result() for f in futures]


def _merge(parts):
    """Combine partial reductions (log-sum-exp merge of the weighted sums)."""
    big = max(p[0] for p in parts)
    s0 = 0.0
    s1 = s2 = None
    dmin = dmax = None
    for pbig, ps0, ps1, ps2, pmin, pmax in parts:
        scale = np.exp(pbig - big) if pbig > -np.inf else 0.0
        s0 += ps0 * scale
        s1 = ps1 * scale if s1 is None else s1 + ps1 * scale
        if ps2 is not None:
            s2 = ps2 * scale if s2 is None else s2 + ps2 * scale
        dmin = pmin if dmin is None else np.minimum(dmin, pmin)
        dmax = pmax if dmax is None else np.maximum(dmax, pmax)
    return big, s0, s1, s2, dmin, dmax

_CHUNK_ELEMENTS = 1 << 16  # ~0.5 MB of float64 per chunk: stays in cache between steps


@dataclass
class Evaluation:
    """What one pass over the features returns at multipliers ``lam``."""

    lam: NDArray[np.float64]
    log_Z: float
    mean: NDArray[np.float64]
    cov: NDArray[np.float64] | None
    dir_min: NDArray[np.float64] | None
    dir_max: NDArray[np.float64] | None


class MomentEngine:
    """Streaming reductions over the rows (states) of a feature matrix.

    Parameters
    ----------
    features : ndarray, shape (n_states, n_constraints)
        The feature matrix, read but never copied or modified.
    log_prior : ndarray, shape (n_states,), or None
        Unnormalised log prior weights; ``-inf`` marks states outside the support.
        ``None`` is the uniform prior on all states (the fast path).
    chunk_size : int or None
        Rows per chunk; by default about 65,536 matrix entries per chunk.
    """

    def __init__(self, features, log_prior=None, chunk_size=None):
        self.F = features
        self.n, self.m = features.shape
        if chunk_size is None:
            chunk_size = max(1024, _CHUNK_ELEMENTS // max(self.m, 1))
        self.chunk_size = int(chunk_size)
        self.n_passes = 0
        self.shift = None  # affine map of the features, see set_transform
        self.inv_scale = None
        self.set_log_prior(log_prior)

    def set_transform(self, shift, scale):
        """From now on work with ``(F - shift) / scale``, column by column.

        Used for features with large offsets or extreme magnitudes, so that the log-weights
        and second moments keep full precision and never overflow.  ``scale`` should be a
        power of two (exact).  Everything the engine returns is then in these units.
        """
        self.shift = np.asarray(shift, dtype=np.float64)
        self.inv_scale = 1.0 / np.asarray(scale, dtype=np.float64)

    def _block(self, c0, c1):
        fc = self.F[c0:c1]
        if self.shift is not None:
            fc = (fc - self.shift) * self.inv_scale
        return fc

    # -- support -----------------------------------------------------------------------
    def set_log_prior(self, log_prior):
        """Use ``log_prior`` (``-inf`` off the support) from now on."""
        if log_prior is None:
            self.log_prior = None
            self.log_norm = -np.log(self.n)
            self.all_in_support = True
            return
        self.log_prior = log_prior
        finite = np.isfinite(log_prior)
        self.all_in_support = bool(np.all(finite))
        top = np.max(log_prior[finite])
        self.log_norm = -(top + np.log(np.sum(np.exp(log_prior[finite] - top))))

    def support_size(self):
        """Number of states in the support."""
        if self.log_prior is None:
            return self.n
        return int(np.count_nonzero(np.isfinite(self.log_prior)))

    def _chunks(self):
        for r0 in range(0, self.n, self.chunk_size):
            r1 = min(r0 + self.chunk_size, self.n)
            lq = None if self.log_prior is None else self.log_prior[r0:r1]
            yield r0, r1, self._block(r0, r1), lq

    # -- the pass ----------------------------------------------------------------------
    def evaluate(self, lam, *, hessian=True, directions=None):
        """One pass over ``F`` at multipliers ``lam``.

        Parameters
        ----------
        lam : ndarray, shape (m,)
            Finite multipliers.
        hessian : bool
            Accumulate second moments (the covariance) as well.
        directions : ndarray, shape (m, k), optional
            Also return min and max over the support of ``F @ directions``.
        """
        self.n_passes += 1
        lam = np.asarray(lam, dtype=np.float64)
        cols = lam[None, :] if directions is None else np.vstack([lam, np.asarray(directions).T])
        parts = _map_blocks(self.n, self.chunk_size,
                            lambda r0, r1: self._partial(r0, r1, cols, hessian))
        big, s0, s1, s2, dmin, dmax = _merge(parts)
        k = cols.shape[0] - 1
        if s0 == 0.0:  # pragma: no cover - the support is never empty
            raise FloatingPointError("empty support")
        log_z = big + np.log(s0) + self.log_norm
        mean = s1 / s0
        cov = None
        if hessian:
            cov = s2 / s0 - np.outer(mean, mean)
            cov = 0.5 * (cov + cov.T)
        given = directions is not None
        return Evaluation(lam.copy(), float(log_z), mean, cov,
                          dmin if given else None, dmax if given else None)

    def _partial(self, r0, r1, cols, hessian):
        """The reduction over rows r0:r1, chunk by chunk (runs in a worker thread)."""
        m = self.m
        k = cols.shape[0] - 1
        dmin = np.full(k, np.inf)
        dmax = np.full(k, -np.inf)
        big = -np.inf  # running maximum of the log-weights
        s0 = 0.0
        s1 = np.zeros(m)
        s2 = np.zeros((m, m)) if hessian else None
        buf = np.empty((m, self.chunk_size)) if hessian else None
        lq_all = self.log_prior
        for c0 in range(r0, r1, self.chunk_size):
            c1 = min(c0 + self.chunk_size, r1)
            fc = self._block(c0, c1)
            proj = np.dot(cols, fc.T)  # (1 + k, rows): contiguous rows, fast reductions
            a = proj[0]
            np.negative(a, out=a)
            if lq_all is not None:
                a += lq_all[c0:c1]
            if k:
                pk = proj[1:]
                if not self.all_in_support:
                    pk = pk[:, np.isfinite(a)]
                if pk.shape[1]:
                    np.minimum(dmin, pk.min(axis=1), out=dmin)
                    np.maximum(dmax, pk.max(axis=1), out=dmax)
            top = a.max()
            if top == -np.inf:
                continue
            if top > big:
                if s0:
                    scale = np.exp(big - top)
                    s0 *= scale
                    s1 *= scale
                    if hessian:
                        s2 *= scale
                big = top
            a -= big
            w = np.exp(a, out=a)
            s0 += w.sum()
            if hessian:
                wf = np.multiply(fc.T, w, out=buf[:, : fc.shape[0]])
                s1 += wf.sum(axis=1)
                s2 += wf @ fc
            else:
                s1 += w @ fc
        return big, s0, s1, s2, dmin, dmax

    def project_ranges(self, directions):
        """Min and max over the support of ``F @ directions`` (one pass)."""
        self.n_passes += 1
        d = np.asarray(directions, dtype=np.float64)
        dmin = np.full(d.shape[1], np.inf)
        dmax = np.full(d.shape[1], -np.inf)
        for _, _, fc, lq in self._chunks():
            pk = fc @ d
            if lq is not None and not self.all_in_support:
                pk = pk[np.isfinite(lq)]
            if pk.shape[0]:
                np.minimum(dmin, pk.min(axis=0), out=dmin)
                np.maximum(dmax, pk.max(axis=0), out=dmax)
        return dmin, dmax

    def restrict(self, direction, threshold):
        """Shrink the support to the states with ``F @ direction <= threshold`` (one pass).

        Returns the number of states left.
        """
        self.n_passes += 1
        if self.log_prior is None:
            new = np.full(self.n, 0.0)
        else:
            new = self.log_prior.copy()
        for r0, r1, fc, _ in self._chunks():
            off = (fc @ direction) > threshold
            new[r0:r1][off] = -np.inf
        self.set_log_prior(new)
        return self.support_size()

    def log_probabilities(self, ev):
        """``log p_i = log q_i - lam . F_i - log Z`` for every state, at evaluation ``ev``."""
        self.n_passes += 1
        out = np.empty(self.n)
        for r0, r1, fc, lq in self._chunks():
            a = -(fc @ ev.lam)
            if lq is not None:
                a += lq
            out[r0:r1] = a + (self.log_norm - ev.log_Z)
        return out

    def sample_extremes(self, directions):
        """Indices of the states in the support that minimise ``F @ d`` for each column d."""
        self.n_passes += 1
        best = np.full(directions.shape[1], np.inf)
        arg = np.zeros(directions.shape[1], dtype=np.int64)
        for r0, _, fc, lq in self._chunks():
            pk = fc @ directions
            if lq is not None and not self.all_in_support:
                pk = np.where(np.isfinite(lq)[:, None], pk, np.inf)
            i = np.argmin(pk, axis=0)
            v = pk[i, np.arange(pk.shape[1])]
            better = v < best
            best[better] = v[better]
            arg[better] = i[better] + r0
        return arg

    def most_violated(self, direction, offset, count):
        """States in the support with the smallest ``F @ direction - offset`` (one pass)."""
        self.n_passes += 1
        keep_val = np.empty(0)
        keep_idx = np.empty(0, dtype=np.int64)
        for r0, _, fc, lq in self._chunks():
            v = fc @ direction - offset
            if lq is not None and not self.all_in_support:
                v = np.where(np.isfinite(lq), v, np.inf)
            if v.shape[0] > count:
                part = np.argpartition(v, count - 1)[:count]
            else:
                part = np.arange(v.shape[0])
            keep_val = np.concatenate([keep_val, v[part]])
            keep_idx = np.concatenate([keep_idx, part + r0])
            if keep_val.shape[0] > 4 * count:
                sel = np.argpartition(keep_val, count - 1)[:count]
                keep_val, keep_idx = keep_val[sel], keep_idx[sel]
        order = np.argsort(keep_val)[:count]
        return keep_idx[order], keep_val[order]

    def rows(self, idx):
        """The feature vectors of the given states (no pass)."""
        fc = np.asarray(self.F[np.sort(idx)])
        if self.shift is not None:
            fc = (fc - self.shift) * self.inv_scale
        return fc
