"""The campaign's surfaces for the feature builders and pairwise fits (owned with
``maxent/features.py`` and ``maxent/pairwise.py``; ``surfaces.py`` lists them).

- ``features``: indices and digits of every kind (integers, integral and fractional
  floats, bools, NaN, strings, out of range) given to ``marginals``, ``pairwise``'s
  ``bonds`` and ``moments``; and random small feature sets (spin values, bonds,
  marginal structures) whose matrices, streamed chunks, moments, ``digits`` and
  ``change_values`` are checked against a brute-force enumeration written here.
- ``pairwise``: separable data (a locked or anti-locked pair, a constant site, data on
  a face of the marginal polytope with every pair of states seen, a majority spin) as
  +-1 spins, 0/1 occupations or three-state Potts sites, for every method, with and
  without a penalty.  Unpenalised, the maximum lies at infinity: the fit must be refused
  with a maxent error naming ``samples`` (or warn); penalised, it must be finite, and the
  exact and pseudo-likelihood answers must match a general-purpose minimiser of the same
  penalised objective (energy differences of every state).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

import maxent

try:
    from . import oracle
    from .surfaces import REJECTED, Case, Verdict, _call, _refusal
except ImportError:  # imported as a top-level module by benchmarks/adversarial_campaign.py
    import oracle  # type: ignore[no-redef]
    from surfaces import REJECTED, Case, Verdict, _call, _refusal  # type: ignore[no-redef]

# ------------------------------------------------------------------------------ features
_INDICES = (0, 1, 2, 5, -1, np.int64(1), 1.0, np.float64(0.0), 0.9, 1.5, -0.5, True, np.nan, "1")


def _is_index(value: object, size: int) -> bool:
    """An index the house accepts: an integer (not bool, not float) in range."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    return ok and 0 <= int(value) < size  # type: ignore[arg-type]


def _is_number(value: object, allowed: range) -> bool | None:
    """Data (samples, an array of bonds): a real number equal to an allowed integer (1.0
    reads as 1); None for a bool (numpy reads True as 1: accepting or refusing it are
    both fair); never text."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, str):
        return False
    v = float(value)  # type: ignore[arg-type]
    return v == int(v) and int(v) in allowed if np.isfinite(v) else False


def _brute_states(n: int, q: int = 2) -> np.ndarray:
    return np.array(list(itertools.product(range(q), repeat=n)))[:, ::-1]  # site 0 fastest


def _index_case(rng: np.random.Generator) -> Case:
    index = _INDICES[int(rng.integers(len(_INDICES)))]
    which = ("marginals", "bonds", "moments")[int(rng.integers(3))]
    label = f"features {which} given {index!r}"

    def run() -> Verdict:
        if which == "marginals":
            got, exc = _call(lambda: maxent.features.marginals([3, 2], [(index,)]))
            valid, names = _is_index(index, 2), ("structure",)
        elif which == "bonds":
            got, exc = _call(lambda: maxent.features.pairwise(3, bonds=[(0, index)]))
            valid, names = _is_number(index, range(1, 3)), ("bonds",)
        else:
            fs = maxent.features.pairwise(2)
            got, exc = _call(lambda: fs.moments([[0, index]]))
            valid, names = _is_number(index, range(2)), ("samples",)
        if valid is None:  # a bool: either answer, but the right one if accepted
            valid = exc is None
        if not valid:
            if exc is None:
                return Verdict(oracle.SILENT_WRONG, f"accepted {index!r}")
            return _refusal(exc, names)
        if exc is not None:
            kind = REJECTED if isinstance(exc, maxent.MaxEntError) else oracle.UNRELATED
            return Verdict(kind, str(exc)[:200])
        if which == "moments":  # the same answer as the integer digit
            want = maxent.features.pairwise(2).moments([[0, int(float(index))]])
            if not np.array_equal(got, want):
                return Verdict(oracle.SILENT_WRONG, f"{got} != {want}")
        return Verdict(oracle.OK)

    return Case("features", label, run)


def _spin_case(rng: np.random.Generator) -> Case:
    n = int(rng.integers(2, 6))
    values = tuple(float(v) for v in rng.choice([-1.0, 0.0, 1.0, 2.5, -3.0], 2, replace=False))
    all_bonds = list(itertools.combinations(range(n), 2))
    pick = rng.random(len(all_bonds)) < 0.6
    bonds = [b for b, k in zip(all_bonds, pick, strict=True) if k] or None
    label = f"pairwise({n}, values={values}, bonds={bonds})"

    def run() -> Verdict:
        got, exc = _call(
            lambda: maxent.features.pairwise(n, values=values, bonds=bonds, chunk_size=3)
        )
        if exc is not None:
            return Verdict(oracle.UNRELATED, f"{type(exc).__name__}: {exc}"[:200])
        fs = got
        digits = _brute_states(n)
        s = np.where(digits == 1, values[1], values[0])
        pairs = bonds if bonds is not None else all_bonds
        want = np.hstack([s, np.column_stack([s[:, i] * s[:, j] for i, j in pairs])])
        whole = fs.to_numpy()
        streamed = np.vstack([chunk for chunk, _ in fs])
        samples = digits[rng.integers(len(digits), size=7)]
        checks = {
            "to_numpy": np.allclose(whole, want, rtol=1e-15, atol=0),
            "streamed": np.array_equal(streamed, whole),
            "moments": np.allclose(fs.moments(samples), want[_rows(samples)].mean(axis=0)),
            "digits": np.array_equal(
                fs.digits(np.where(samples == 1, values[1], values[0])), samples
            ),
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            return Verdict(oracle.SILENT_WRONG, f"{', '.join(bad)} differ from enumeration")
        return _change_values_check(n, pairs, values, rng)

    return Case("features", label, run)


def _rows(samples: np.ndarray) -> np.ndarray:
    """Configuration index of rows of 0/1 digits (site 0 the fastest)."""
    return samples @ (1 << np.arange(samples.shape[1]))


def _change_values_check(
    n: int, pairs: list, values: tuple[float, float], rng: np.random.Generator
) -> Verdict:
    """change_values to 0/1 and back: the log-weight of every state moves by a constant."""
    h = rng.normal(size=n)
    coupling = np.zeros((n, n))
    for i, j in pairs:
        coupling[i, j] = coupling[j, i] = rng.normal()
    got, exc = _call(lambda: maxent.features.change_values(h, coupling, old=values, new=(0, 1)))
    if exc is not None:
        return Verdict(oracle.UNRELATED, f"{type(exc).__name__}: {exc}"[:200])
    h01, j01 = got  # type: ignore[misc]
    d = _brute_states(n).astype(float)
    s = np.where(d == 1, values[1], values[0])
    iu = np.triu_indices(n, 1)
    before = s @ h + (s[:, iu[0]] * s[:, iu[1]]) @ coupling[iu]
    after = d @ h01 + (d[:, iu[0]] * d[:, iu[1]]) @ np.asarray(j01)[iu]
    if not np.allclose(before - before[0], after - after[0], atol=1e-10):
        return Verdict(oracle.SILENT_WRONG, "change_values altered energy differences")
    return Verdict(oracle.OK)


def _marginal_case(rng: np.random.Generator) -> Case:
    n = int(rng.integers(2, 4))
    sizes = [int(q) for q in rng.integers(2, 4, size=n)]
    terms = [(i,) for i in range(n)] + [
        p for p in itertools.combinations(range(n), 2) if rng.random() < 0.5
    ]
    label = f"marginals({sizes}, {terms})"

    def run() -> Verdict:
        got, exc = _call(lambda: maxent.features.marginals(sizes, terms))
        if exc is not None:
            return Verdict(oracle.UNRELATED, f"{type(exc).__name__}: {exc}"[:200])
        states = np.array(list(itertools.product(*[range(q) for q in reversed(sizes)])))[:, ::-1]
        cols = []
        for t in terms:
            for combo in itertools.product(*[range(sizes[i]) for i in reversed(t)]):
                combo = combo[::-1]
                cols.append(np.all(states[:, list(t)] == combo, axis=1))
        want = np.column_stack(cols).astype(float)
        whole = got.to_numpy()  # type: ignore[attr-defined]
        if whole.shape != want.shape or not _same_columns(whole, want):
            return Verdict(oracle.SILENT_WRONG, "indicators differ from enumeration")
        return Verdict(oracle.OK)

    return Case("features", label, run)


def _same_columns(a: np.ndarray, b: np.ndarray) -> bool:
    """The same indicator columns, in any order (the builder's order of states)."""
    key = lambda m: sorted(map(tuple, m.T.astype(int).tolist()))  # noqa: E731
    return key(a) == key(b)


def features_case(rng: np.random.Generator) -> Case:
    """One random case of the ``features`` surface."""
    make = (_index_case, _index_case, _spin_case, _marginal_case)[int(rng.integers(4))]
    return make(rng)


# ------------------------------------------------------------------------------ pairwise
_KINDS = ("locked", "anti", "constant", "face", "majority")
_CODINGS = ("spins", "occupations", "potts")


def _separable(kind: str, coding: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """0/1 data of ``kind`` (see the module docstring) over 3 or 4 sites, then coded."""
    n = 4 if kind == "majority" else 3
    x = rng.integers(0, 2, size=(400, n))
    if kind == "locked":
        x[:, 1] = x[:, 0]
    elif kind == "anti":
        x[:, 1] = 1 - x[:, 0]
    elif kind == "constant":
        x[:, 2] = 1
    elif kind == "face":
        x = x[(x.sum(axis=1) >= 1) & (x.sum(axis=1) <= 2)]
    elif kind == "majority":
        x[:, 3] = (x[:, :3].sum(axis=1) >= 2).astype(int)
    if coding == "spins":
        return 2 * x - 1, 2
    if coding == "potts":  # site 0 in states 0 and 2 of three
        return np.column_stack([2 * x[:, 0], x[:, 1:]]), 3
    return x, 2


def _one_hot(x: np.ndarray, q: int) -> np.ndarray:
    """Rows of one-hot features of configurations: every (site, state), then every
    (pair of sites, pair of states), in the layout of maxent's Potts parameters."""
    n = x.shape[1]
    cols = [x[:, i] == a for i in range(n) for a in range(q)]
    for i, j in itertools.combinations(range(n), 2):
        cols += [(x[:, i] == a) & (x[:, j] == b) for a in range(q) for b in range(q)]
    return np.column_stack(cols).astype(float)


def _penalised(method: str, x: np.ndarray, q: int, lam: float) -> np.ndarray | None:
    """Energies of every state at the penalised optimum found by scipy's BFGS on the
    objective written here, with its gradient (None for Boltzmann learning, a
    stochastic method)."""
    n = x.shape[1]
    states = np.array(list(itertools.product(range(q), repeat=n)))
    phi_states, phi_data = _one_hot(states, q), _one_hot(x, q)
    data_sum = phi_data.sum(axis=0)

    def likelihood(theta: np.ndarray) -> tuple[float, np.ndarray]:
        lw = phi_states @ theta
        lz = logsumexp(lw)
        p = np.exp(lw - lz)
        value = -data_sum @ theta + len(x) * lz + lam * theta @ theta
        return float(value), -data_sum + len(x) * (phi_states.T @ p) + 2 * lam * theta

    flips = []
    for i in range(n):
        for b in range(q):
            y = x.copy()
            y[:, i] = b
            flips.append(_one_hot(y, q))

    def pseudo(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = lam * float(theta @ theta), 2 * lam * theta - n * data_sum
        value -= n * float(data_sum @ theta)
        for i in range(n):
            options = flips[i * q : (i + 1) * q]
            lw = np.stack([f @ theta for f in options])  # (q, n_samples)
            lz = logsumexp(lw, axis=0)
            value += float(lz.sum())
            p = np.exp(lw - lz)
            grad = grad + sum(f.T @ p[b] for b, f in enumerate(options))
        return value, grad

    objective = {"exact": likelihood, "pseudolikelihood": pseudo}.get(method)
    if objective is None:
        return None
    ref = minimize(objective, np.zeros(phi_data.shape[1]), jac=True, method="BFGS", tol=1e-10)
    return -(phi_states @ ref.x)


def pairwise_case(rng: np.random.Generator) -> Case:
    """One random case of the ``pairwise`` surface."""
    kind = _KINDS[int(rng.integers(len(_KINDS)))]
    coding = _CODINGS[int(rng.integers(len(_CODINGS)))]
    method = ("exact", "pseudolikelihood", "boltzmann")[int(rng.integers(3))]
    lam = (0.0, 0.5)[int(rng.integers(2))]
    data_seed = int(rng.integers(2**31))
    label = f"fit_pairwise({kind} {coding}, method={method!r}, l2={lam})"

    def run() -> Verdict:
        s, q = _separable(kind, coding, np.random.default_rng(data_seed))
        q_arg = None if coding == "spins" else q
        tol = {"boltzmann": None}.get(method, 1e-7)  # the oracle's precision, not the default
        got, exc = _call(
            lambda: maxent.fit_pairwise(s, q=q_arg, method=method, l2=lam, tol=tol, seed=0)
        )
        if lam == 0.0:
            if exc is None:
                return Verdict(oracle.SILENT_WRONG, "a finite fit where none exists")
            if isinstance(exc, maxent.ConvergenceWarning):
                return Verdict(oracle.GAVE_UP)
            return _refusal(exc, ("samples",))
        if isinstance(exc, maxent.ConvergenceWarning):
            return Verdict(oracle.GAVE_UP)
        if exc is not None:
            kind_ = REJECTED if isinstance(exc, maxent.MaxEntError) else oracle.UNRELATED
            return Verdict(kind_, f"{type(exc).__name__}: {exc}"[:200])
        fit = got
        if not np.all(np.isfinite(fit.couplings)):  # type: ignore[attr-defined]
            return Verdict(oracle.SILENT_WRONG, "non-finite couplings")
        x = s if coding != "spins" else (s + 1) // 2
        want = _penalised(method, x, q, lam)
        if want is None:
            return Verdict(oracle.OK)
        states = np.array(list(itertools.product(range(q), repeat=x.shape[1])))
        if coding == "spins":
            states = 2 * states - 1
        ours = fit.energy(states)  # type: ignore[attr-defined]
        if not np.allclose(ours - ours[0], want - want[0], atol=2e-4):
            err = float(np.max(np.abs((ours - ours[0]) - (want - want[0]))))
            return Verdict(oracle.SILENT_WRONG, f"energies off the penalised optimum by {err:.2g}")
        return Verdict(oracle.OK)

    return Case("pairwise", label, run)
