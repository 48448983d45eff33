"""How precisely maxent meets the peers' own test cases at its default tolerance.

For every case of the peers' suites that maxent's tests port (``tests/test_reference.py``,
``tests/test_density_pymaxent.py``, the loaded die of maxentropy's ``tests/test_loaded_die.py``
and Berger's example of its ``tests/test_berger.py``), the script reports

* ``p_err``: max |p - p*| / max p*, against the exact answer p* (Newton on the dual in
  extended precision, ``np.longdouble``; for the Ising chain, enumeration);
* ``mom_err``: max |sum p F - b| / s, the moments' miss in units of each feature's spread
  under the prior (for the densities: the relative miss of each power moment, by quadrature);
* the same two for the peer's own answer where one is at hand: maxentropy's fit (when the
  package is importable: ``pip install maxentropy==0.3.0``), PyMaxEnt's gold values, or
  the general-purpose minimiser ``tests/test_reference.py`` compares with.

It ends with the distribution of maxent's errors by decade and the cases above 1e-12.

Usage::

    PYTHONPATH=$PWD python3 benchmarks/peer_precision.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import integrate, stats
from scipy.optimize import minimize
from scipy.special import logsumexp

import maxent

ROOT = Path(__file__).resolve().parents[1]
GOLD = np.load(ROOT / "tests" / "data" / "pymaxent_gold_standards.npz")
DIE = np.arange(1.0, 7.0)
Array = NDArray[np.float64]


@dataclass
class Case:
    name: str
    source: str
    features: Array  # (n, m)
    targets: Array  # (m,)
    prior: Array | None = None
    peer: Callable[[], Array | None] | None = None  # the peer's p
    exact_p: Array | None = None  # when known in closed form or by enumeration


# ---------------------------------------------------------------------------- exact answers
def exact(features: Array, targets: Array, prior: Array | None) -> Array:
    """The maximum-entropy p by damped Newton on the dual in extended precision."""
    f = features.astype(np.longdouble)
    b = targets.astype(np.longdouble)
    q = np.ones(len(f)) if prior is None else prior
    lq = np.log(q.astype(np.longdouble) / q.sum())
    mu, s = f.mean(axis=0), f.std(axis=0)
    s[s == 0] = 1
    z, c = (f - mu) / s, (b - mu) / s
    lam = np.zeros(f.shape[1], dtype=np.longdouble)

    def state(lam):
        a = lq - z @ lam
        amax = np.max(a)
        w = np.exp(a - amax)
        return amax + np.log(w.sum()) + lam @ c, w / w.sum()

    value, p = state(lam)
    for _ in range(500):
        g = c - p @ z
        dz = z - p @ z
        h = (dz * p[:, None]).T @ dz + np.eye(len(lam), dtype=np.longdouble) * 1e-30
        step = np.linalg.solve(h.astype(np.float64), g.astype(np.float64)).astype(np.longdouble)
        if np.max(np.abs(g)) < 1e-18:
            break
        t = np.longdouble(1)
        v, pn = state(lam - step)
        # a line search far from the answer; near it (where the dual's change falls below
        # its rounding) the full Newton step, which converges quadratically
        while v > value and np.max(np.abs(g)) > 1e-6 and t > 1e-12:
            t /= 2
            v, pn = state(lam - t * step)
        lam, value, p = lam - t * step, v, pn
    return np.asarray(p, dtype=np.float64)


def spread(features: Array, prior: Array | None) -> Array:
    q = np.ones(len(features)) if prior is None else prior / prior.sum()
    q = q / q.sum()
    mean = q @ features
    s = np.sqrt(q @ (features - mean) ** 2)
    return np.where(s > 0, s, 1.0)


# ---------------------------------------------------------------------------- the cases
def _maxentropy_p(features: Array, targets: Array, prior: Array | None) -> Array | None:
    """maxentropy's own answer (its default algorithm, CG), if the package is importable."""
    try:
        import maxentropy  # noqa: F401
        from maxentropy.skmaxent import MinDivergenceModel
    except ImportError:
        return None
    cols = [features[:, k] for k in range(features.shape[1])]
    index = {x: i for i, x in enumerate(range(len(features)))}
    funcs = [lambda x, col=col: col[index[x]] for col in cols]
    log_prior = None if prior is None else np.log(prior / prior.sum())
    kwargs = {} if log_prior is None else {"prior_log_pdf": lambda x: log_prior[x]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MinDivergenceModel(funcs, list(range(len(features))), **kwargs)
        model.fit(np.atleast_2d(targets))
        return np.asarray(model.probdist(), dtype=np.float64)


def _die_cases() -> list[Case]:
    out = []
    priors = {
        "flat": None,
        "6..1": np.arange(6.0, 0.0, -1.0),
        "1..6": np.arange(1.0, 7.0),
        "one face x5": np.array([1.0, 1.0, 1.0, 1.0, 1.0, 5.0]),
    }
    for label, prior in priors.items():
        for mean in (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5):
            f, b = DIE[:, None], np.array([mean])
            out.append(
                Case(
                    f"loaded die E={mean} prior {label}",
                    "maxentropy test_loaded_die",
                    f,
                    b,
                    prior,
                    lambda f=f, b=b, q=prior: _maxentropy_p(f, b, q),
                )
            )
    for seed in range(10):  # "with data": the mean of 1000 rolls of 3..6
        rolls = np.random.default_rng(seed).integers(3, 7, size=1000)
        f, b = DIE[:, None], np.array([rolls.mean()])
        out.append(
            Case(
                f"loaded die with data, seed {seed}",
                "maxentropy test_loaded_die",
                f,
                b,
                None,
                lambda f=f, b=b: _maxentropy_p(f, b, None),
            )
        )
    berger = np.array([[1, 1], [1, 0], [0, 1], [0, 0], [0, 0]], dtype=float)
    b = np.array([0.3, 0.5])
    out.append(
        Case(
            "Berger dans/en/a", "maxentropy test_berger", berger, b, None,
            lambda: _maxentropy_p(berger, b, None),
        )
    )  # fmt: skip
    return out


def _bfgs_p(features: Array, targets: Array, prior: Array | None) -> Array:
    """The general-purpose minimiser of tests/test_reference.py (BFGS, gtol 1e-12)."""
    n, m = features.shape
    log_q = np.log(np.full(n, 1.0 / n) if prior is None else prior / prior.sum())

    def dual(lam):
        a = log_q - features @ lam
        log_z = logsumexp(a)
        p = np.exp(a - log_z)
        return log_z + lam @ targets, targets - p @ features

    out = minimize(
        dual, np.zeros(m), jac=True, method="BFGS", options={"gtol": 1e-12, "maxiter": 10_000}
    )
    a = log_q - features @ out.x
    return np.exp(a - logsumexp(a))


def _reference_cases() -> list[Case]:
    out = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n, m = 300, 1 + seed % 4
        f = rng.standard_normal((n, m)) * rng.uniform(0.5, 3.0, m)
        prior = rng.uniform(0.1, 2.0, n) if seed % 2 else None
        b = rng.dirichlet(np.ones(n)) @ f
        out.append(
            Case(
                f"dual vs BFGS, seed {seed}", "test_reference", f, b, prior,
                lambda f=f, b=b, q=prior: _bfgs_p(f, b, q),
            )
        )  # fmt: skip
    rng = np.random.default_rng(7)
    f = rng.integers(-3, 4, (40, 2)).astype(float)
    out.append(Case("LP vertices, 40 states", "test_reference", f, rng.dirichlet(np.ones(40)) @ f))
    conf = 1 - 2 * ((np.arange(2**8)[:, None] >> np.arange(8)) & 1)
    energy = -np.sum(conf * np.roll(conf, 1, axis=1), axis=1).astype(float)
    magnet = conf.sum(axis=1).astype(float)
    w = np.exp(-0.4 * (energy - 0.3 * magnet))
    p = w / w.sum()
    f = np.column_stack([energy, magnet])
    out.append(Case("Ising chain of 8", "test_reference", f, p @ f, None, None, p))
    return out


def _pymaxent_discrete() -> list[Case]:
    out = []
    for case, targets in (("D2", [3.5]), ("D3", [float(np.array([1, 1, 1, 2, 3, 4]) @ DIE / 12)])):
        gold = np.asarray(GOLD[f"{case}_sol"], dtype=np.float64)
        out.append(
            Case(
                f"PyMaxEnt {case}", "PyMaxEnt gold", DIE[:, None], np.array(targets), None,
                lambda g=gold: g,
            )
        )  # fmt: skip
    return out


def run_discrete(cases: list[Case]) -> list[tuple[str, str, float, float, float, float]]:
    rows = []
    for c in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = maxent.solve(c.features, c.targets, prior=c.prior)
        ref = c.exact_p if c.exact_p is not None else exact(c.features, c.targets, c.prior)
        s = spread(c.features, c.prior)
        p_err = float(np.max(np.abs(res.p - ref)) / ref.max())
        m_err = float(np.max(np.abs(res.p @ c.features - c.targets) / s))
        peer = c.peer() if c.peer is not None else None
        pp = pm = np.nan
        if peer is not None:
            pp = float(np.max(np.abs(peer - ref)) / ref.max())
            pm = float(np.max(np.abs(peer @ c.features - c.targets) / s))
        rows.append((c.name, c.source, p_err, m_err, pp, pm))
    return rows


# ---------------------------------------------------------------------------- densities
def _two_gaussians(x):
    return 0.5 * stats.norm.pdf(x, 0.25, 1 / 14) + 0.5 * stats.norm.pdf(x, 0.5, 1 / 20)


DENSITIES = {
    "C1": (lambda x: stats.norm.pdf(x, 1.0, 0.2), 3, (0.0, 2.0)),
    "C2": (_two_gaussians, 5, (0.0, 1.0)),
    "C3": (_two_gaussians, 10, (0.0, 1.0)),
    "C4": (lambda x: _two_gaussians(x) + 0.5 * stats.norm.pdf(x, 0.75, 1 / 20), 5, (0.0, 1.0)),
    "C5": (lambda x: _two_gaussians(x) + 0.5 * stats.norm.pdf(x, 0.75, 1 / 20), 13, (0.0, 1.0)),
    "C6a": (stats.beta(3, 9).pdf, 3, (0.0, 1.0)),
    "C6b": (stats.beta(3, 9).pdf, 5, (0.0, 1.0)),
    "C7a": (stats.beta(0.5, 0.5).pdf, 3, (0.0, 1.0)),
    "C7b": (stats.beta(0.5, 0.5).pdf, 5, (0.0, 1.0)),
    "C8a": (stats.lognorm(0.25, loc=0.2).pdf, 3, (0.0, 5.0)),
    "C8b": (stats.lognorm(0.25, loc=0.2).pdf, 5, (0.0, 5.0)),
}


def _moments(f, k, bounds, **precision):
    """Power moments 0..k-1 by quad (its defaults: the numbers PyMaxEnt's generator made)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return np.array(
            [integrate.quad(lambda x, i=i: x**i * f(x), *bounds, **precision)[0] for i in range(k)]
        )


PRECISE = {"epsabs": 0.0, "epsrel": 2e-14, "limit": 400}


def run_densities() -> list[tuple[str, str, float, float, float, float]]:
    rows = []
    for case, (f, k, bounds) in DENSITIES.items():
        mu = _moments(f, k, bounds)
        d = maxent.density(mu[1:] / mu[0], support=bounds)
        ours = _moments(lambda x, d=d, mu0=mu[0]: mu0 * d.pdf(x), k, bounds, **PRECISE)
        gold = GOLD[f"{case}_lambdas"]
        theirs = _moments(lambda x, g=gold: np.exp(np.polyval(g[::-1], x)), k, bounds, **PRECISE)
        rows.append(
            (
                f"PyMaxEnt {case} ({k - 1} power moments)",
                "PyMaxEnt gold (density)",
                np.nan,
                float(np.max(np.abs(ours / mu - 1))),
                np.nan,
                float(np.max(np.abs(theirs / mu - 1))),
            )
        )
    return rows


# ---------------------------------------------------------------------------- report
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="discrete cases only")
    args = ap.parse_args(argv)
    cases = _die_cases() + _reference_cases() + _pymaxent_discrete()
    rows = run_discrete(cases)
    if not args.quick:
        rows += run_densities()
    print(f"maxent {maxent.__version__}, default tolerance; peer = the peer's own answer")
    print(f"{'case':<40}{'source':<28}{'p_err':>10}{'mom_err':>10}{'peer p':>10}{'peer mom':>10}")
    for name, source, pe, me, pp, pm in rows:
        print(f"{name:<40}{source:<28}{pe:>10.2g}{me:>10.2g}{pp:>10.2g}{pm:>10.2g}")
    worst = np.array([np.nanmax([pe, me]) for _, _, pe, me, _, _ in rows])
    edges = [0, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, np.inf]
    print(f"\n{len(rows)} cases; maxent's error (the larger of p_err and mom_err) by decade:")
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        print(f"  ({lo:.0e}, {hi:.0e}]: {int(np.sum((worst > lo) & (worst <= hi)))}")
    print(f"  exactly 0: {int(np.sum(worst == 0))}")
    beaten = [
        f"{r[0]} ({np.nanmax(r[2:4]):.2g} vs {np.nanmax(r[4:6]):.2g})"
        for r in rows
        if not np.all(np.isnan(r[4:6])) and np.nanmax(r[2:4]) > 10 * np.nanmax(r[4:6])
    ]
    print(f"cases where the peer is more than 10x more precise: {beaten or 'none'}")
    over = [(r[0], float(np.nanmax(r[2:4]))) for r in rows if np.nanmax(r[2:4]) > 1e-12]
    print("cases above 1e-12:" + ("" if over else " none"))
    for name, err in over:
        print(f"  {name}: {err:.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
