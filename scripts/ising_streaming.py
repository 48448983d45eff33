"""Exact canonical thermodynamics of an Ising lattice by streaming over all 2^N configurations.

The states of an Lx x Ly periodic Ising lattice (N = Lx * Ly spins, s = +-1) are enumerated
by index: bit j of the index is spin j (row-major), so a chunk of configurations is a range
of integers and its features come from a few bit operations, never from a stored table.
Features: energy E = -sum_<jk> s_j s_k (J = 1, each bond once) and magnetisation
M = sum_j s_j.  ``maxent.solve`` finds the Boltzmann distribution p ~ exp(-beta E + beta h M)
with the requested <E> and <M> (multipliers lambda = (beta, -beta h)), on a
dask.distributed LocalCluster: every Newton step is one map-reduce over the 2^N states,
with the blocks regenerated on the workers.

Run:  python scripts/ising_streaming.py                 (5 x 5 lattice: 2^25 states, ~1 min)
      python scripts/ising_streaming.py --lx 4 --ly 4 --check   (compare with enumeration)
      python scripts/ising_streaming.py --scheduler tcp://host:8786   (an existing cluster)
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np

import maxent
from maxent.streaming import generated_features


def ising_features(start, stop, lx, ly):
    """(E, M) of configurations start..stop-1 of the periodic lx x ly lattice."""
    n = lx * ly
    x = np.arange(start, stop, dtype=np.uint64)
    mask = np.uint64((1 << n) - 1)
    cols = np.arange(n) % lx
    last = np.uint64(sum(1 << j for j in range(n) if cols[j] == lx - 1))
    # right neighbour of every site (periodic within its row), as a permutation of bits
    right = ((x >> np.uint64(1)) & ~last) | ((x << np.uint64(lx - 1)) & last)
    down = ((x >> np.uint64(lx)) | (x << np.uint64(n - lx))) & mask  # next row, periodic
    unlike = np.zeros(x.shape, dtype=np.int64)
    if lx > 1:
        unlike += np.bitwise_count((x ^ right) & mask)
    if ly > 1:
        unlike += np.bitwise_count(x ^ down)
    n_bonds = (n if lx > 1 else 0) + (n if ly > 1 else 0)
    up = np.bitwise_count(x).astype(np.int64)  # spins with bit 1 are s = -1
    out = np.empty((x.size, 2))
    out[:, 0] = 2 * unlike - n_bonds  # E = -(like - unlike)
    out[:, 1] = n - 2 * up
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lx", type=int, default=5)
    parser.add_argument("--ly", type=int, default=5)
    parser.add_argument("--energy", type=float, default=-1.2, help="target <E> per spin")
    parser.add_argument("--magnetisation", type=float, default=0.3, help="target <M> per spin")
    parser.add_argument("--chunk", type=int, default=1 << 22, help="states per block")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", help="address of an existing dask scheduler")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also solve the enumerated table in memory and compare",
    )
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    lx, ly = args.lx, args.ly
    n_spins, n_states = lx * ly, 2 ** (lx * ly)
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(
            n_workers=args.workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        )
        client = Client(cluster)
    cores = sum(client.nthreads().values())
    make = functools.partial(ising_features, lx=lx, ly=ly)
    features = generated_features(make, n_states, 2, chunk_size=args.chunk)
    targets = [args.energy * n_spins, args.magnetisation * n_spins]
    print(
        f"{lx} x {ly} periodic Ising lattice: {n_states:.4g} configurations, "
        f"{len(features.chunks[0])} blocks, {cores} worker cores"
    )
    t0 = time.perf_counter()
    res = maxent.solve(features, targets, names=["energy", "magnetisation"])
    wall = time.perf_counter() - t0
    beta = res.multipliers[0]
    h = -res.multipliers[1] / beta
    per_state = wall / (n_states * res.n_passes)
    print(res.message)
    print(f"beta = {beta:.12g}   (T = {1 / beta:.10g})")
    print(f"h    = {h:.12g}")
    print(f"<E>/N = {res.moments[0] / n_spins:.12g}, <M>/N = {res.moments[1] / n_spins:.12g}")
    print(
        f"entropy per spin = {res.entropy / n_spins:.12g} nats; "
        f"ln Z (uniform prior) = {res.log_Z:.12g}"
    )
    print(
        f"wall {wall:.1f} s for {res.n_iter} Newton steps, {res.n_passes} passes over "
        f"{n_states:.4g} states: {per_state * 1e9:.2f} ns per configuration and pass "
        f"({per_state * cores * 1e9:.2f} ns per configuration per core)"
    )
    if args.check:
        table = make(0, n_states)
        ref = maxent.solve(table, targets)
        dl = np.max(np.abs(ref.multipliers - res.multipliers))
        print(
            f"in-memory check: max |lambda - lambda_memory| = {dl:.2e}, "
            f"|ln Z - ln Z_memory| = {abs(ref.log_Z - res.log_Z):.2e}"
        )
    client.close()


if __name__ == "__main__":
    main()
