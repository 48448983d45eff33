r"""
13. Dask: state spaces beyond memory
====================================

Everything :func:`maxent.solve` needs per Newton step is one pass over the feature matrix
:math:`F` (log-sum-exp, moments and covariance, merged stably across chunks).  So
:math:`F` need never be in memory: give a chunked :mod:`dask.array` (or a generator of
chunks) and every pass becomes a map-reduce, on local threads or on a dask cluster.

Here the states of the 4 × 4 periodic Ising lattice are generated *by index* (bit
:math:`j` of the index is spin :math:`j`) inside each chunk, with energy and
magnetisation as the two features.  Solving for the mean energy and magnetisation of
the canonical ensemble at :math:`T = 3`, :math:`h = 0` must return
:math:`\lambda = (\beta, -\beta h) = (1/3, 0)`, and the answer is checked against the
exactly enumerated levels.  The same code runs for :math:`2^{25}` states and more (see
``scripts/ising_streaming.py``).
"""

import numpy as np

import maxent
from maxent.streaming import generated_features

L = 4
n_states = 2 ** (L * L)


def ising_features(start, stop):
    """Energy (J = 1, each bond once) and magnetisation of configurations start..stop-1."""
    idx = np.arange(start, stop, dtype=np.int64)
    spins = 2 * ((idx[:, None] >> np.arange(L * L)) & 1) - 1  # (chunk, L*L) of +-1
    s = spins.reshape(-1, L, L)
    energy = -(s * np.roll(s, 1, axis=1) + s * np.roll(s, 1, axis=2)).sum(axis=(1, 2))
    return np.column_stack([energy, s.sum(axis=(1, 2))]).astype(np.float64)


F = generated_features(ising_features, n_states, 2, chunk_size=1 << 13)
print(F)

exact = maxent.canonical(maxent.models.ising_2d(L), temperature=3.0)
res = maxent.solve(F, [exact.internal_energy, 0.0], names=["energy", "magnetisation"])
print(res)
print(f"beta = {res.multipliers[0]:.10f}  (exact 1/3 = {1 / 3:.10f})")
print(
    f"ln Z(solve) + ln 2^16 = {res.log_Z + np.log(n_states):.10f};"
    f"  ln Z(canonical) = {exact.log_Z:.10f}"
)

# %%
# ``res.p`` stays a lazy dask array: computing a summary reads the chunks again and never
# holds all of p at once.

print(type(res.p).__name__, res.p.shape, res.p.chunks[0][:3], "...")
total, largest = float(res.p.sum().compute()), float(res.p.max().compute())
print(f"sum of p = {total:.12f};  largest p = {largest:.3e}")

# %%
# Without dask: :class:`maxent.streaming.IndexedChunks` takes the same ``make_chunk`` and
# runs the passes on this machine's threads, each worker thread generating the small
# blocks it reduces (so generation is spread over the threads and stays in cache).  The
# answer is the same; ``p`` is then a function of the states.

from maxent.streaming import IndexedChunks

states = IndexedChunks(ising_features, n_states, 2)
local = maxent.solve(states, [exact.internal_energy, 0.0], names=["energy", "magnetisation"])
print(states)
print(
    f"beta = {local.multipliers[0]:.10f};  |difference from dask| = "
    f"{abs(local.multipliers[0] - res.multipliers[0]):.1e}"
)
print(
    "p of the two ground states:",
    local.p(ising_features(0, 1)),
    local.p(ising_features(n_states - 1, n_states)),
)
