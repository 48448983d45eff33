"""Does monte_carlo() on the 128 x 128 Ising model at T = 1.5 give the right energy or warn?

    PYTHONPATH=$PWD python3 scripts/mc_trapped_chains.py [n_seeds]

For each seed, ``maxent.monte_carlo(IsingModel((128, 128)), 1.5, seed=seed)`` with its
defaults (a hot and a cold chain, 10,000 sweeps each).  The exact <E> is Kaufman's, from
``maxent.models.ising_2d_thermo``.  Each run is classed as: right (the mean of the chains
within 4 standard errors of exact), warned (ConvergenceWarning), or silently wrong (off
by more than 4 standard errors with no warning: the failure this script looks for).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

import maxent
from maxent.timeseries import blocking_error


def main(n_seeds: int = 30) -> None:
    model = maxent.IsingModel((128, 128))
    thermo = maxent.models.ising_2d_thermo(128, [1.5])
    exact = float(thermo.internal_energy_per_site[0]) * model.n_sites  # per site -> total
    counts = {"right": 0, "warned": 0, "silently wrong": 0}
    print(f"exact <E> = {exact:.2f} (Kaufman), T = 1.5, L = 128")
    print(f"{'seed':>4s} {'<E> chain 0':>12s} {'<E> chain 1':>12s} {'z':>8s}  verdict")
    for seed in range(n_seeds):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = maxent.monte_carlo(model, 1.5, seed=seed)
        warned = any(issubclass(w.category, maxent.ConvergenceWarning) for w in caught)
        e = ds.energy.values
        err = np.hypot(*[blocking_error(x) for x in e]) / 2
        z = (e.mean() - exact) / err
        verdict = "warned" if warned else ("right" if abs(z) < 4 else "silently wrong")
        counts[verdict] += 1
        print(f"{seed:4d} {e[0].mean():12.2f} {e[1].mean():12.2f} {z:8.2f}  {verdict}")
    print(counts)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
