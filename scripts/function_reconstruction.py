"""Error of maximum-entropy reconstructions against the number of moments.

    python scripts/function_reconstruction.py [--orders 2 4 8 ...] [--plot out.png]

The four kinds of test function of Biswas & Bhattacharya, "Function reconstruction as a
classical moment problem: a maximum entropy approach", J. Phys. A 43, 405003 (2010), as
densities on [0, 1] (their parameters are chosen here):

- ``step``: 3/2 on [0, 1/2), 1/2 on [1/2, 1] (a jump);
- ``oscillating``: 1 + sin(16 pi x) / 2 (eight periods);
- ``singular``: |x - 1/2|^(-1/2) / (2 sqrt 2) (an integrable singularity inside);
- ``logistic``: 1 / (pi sqrt(x (1 - x))), the natural (invariant) density of the logistic
  map x -> 4 x (1 - x).

Each is given by its first K Chebyshev moments (computed here to ~1e-14 by quadrature
adapted to the jump and singularities; the logistic density's are all 0) and rebuilt
by ``maxent.density(..., basis="chebyshev")``; the table shows the L1 distance
:math:`\\int |p_K - f|` and the Kullback-Leibler divergence :math:`\\int f \\ln(f/p_K)`
for each K, the error-against-moments curves of the paper.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from numpy.polynomial import chebyshev
from scipy import special

import maxent


def _rule(n: int, pieces: list[tuple[float, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes on [0, 1] in pieces; a piece (a, b, e) with e > 0 clusters
    nodes at a by x = a + (b - a) s^e (removing an |x - a|^(-1/2) singularity for e = 2)."""
    s, w = special.roots_legendre(n)
    s, w = (s + 1) / 2, w / 2
    xs, ws = [], []
    for a, b, e in pieces:
        xs.append(a + (b - a) * s**e)
        ws.append(abs(b - a) * e * s ** (e - 1) * w)
    return np.concatenate(xs), np.concatenate(ws)


TESTS = {
    "step": (lambda x: np.where(x < 0.5, 1.5, 0.5), [(0, 0.5, 1), (0.5, 1, 1)]),
    "oscillating": (
        lambda x: 1 + 0.5 * np.sin(16 * np.pi * x),
        [(i / 8, (i + 1) / 8, 1) for i in range(8)],
    ),
    "singular": (
        lambda x: np.abs(x - 0.5) ** -0.5 / (2 * np.sqrt(2)),
        [(0.5, 0.0, 2), (0.5, 1.0, 2)],
    ),
    "logistic": (
        lambda x: 1 / (np.pi * np.sqrt(x * (1 - x))),
        [(0.0, 0.5, 2), (1.0, 0.5, 2)],
    ),
}


def errors(name: str, orders: list[int]) -> list[tuple[int, float, float]]:
    """``(K, L1, KL)`` for each order K."""
    f, pieces = TESTS[name]
    x, w = _rule(400, pieces)
    fx = f(x)
    moments = (w * fx) @ chebyshev.chebvander(2 * x - 1, max(orders))[:, 1:]
    if name == "logistic":
        moments[:] = 0.0  # exactly: the Chebyshev polynomials are orthogonal under it
    out = []
    for k in orders:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", maxent.ConvergenceWarning)
            d = maxent.density(moments[:k], support=(0, 1), basis="chebyshev", tol=1e-9)
        p = d.pdf(x)
        out.append((k, float(w @ np.abs(p - fx)), float(w @ (fx * np.log(fx / p)))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[2, 4, 8, 16, 32, 64, 128])
    parser.add_argument("--plot", metavar="PNG", help="save the error curves")
    args = parser.parse_args()
    table = {name: errors(name, args.orders) for name in TESTS}
    print(f"{'K':>5}" + "".join(f"{name + ' L1':>16}{'KL':>10}" for name in TESTS))
    for i, k in enumerate(args.orders):
        print(f"{k:>5}" + "".join(f"{t[i][1]:>16.2e}{t[i][2]:>10.1e}" for t in table.values()))
    if args.plot:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        for name, rows in table.items():
            ax.loglog([r[0] for r in rows], [r[1] for r in rows], "o-", label=name)
        ax.set_xlabel("number of Chebyshev moments K")
        ax.set_ylabel("L1 error")
        ax.legend(fontsize="small")
        fig.tight_layout()
        fig.savefig(args.plot)


if __name__ == "__main__":
    main()
