r"""Feature builders for maximum-entropy models of discrete variables: lazy, chunked, named.

A :class:`StateFeatures` describes the constraint functions :math:`F_{ik}` of a
maximum-entropy problem on *all* configurations of a few discrete variables without
storing them: configuration ``i`` (0 ... n_states - 1) is read in mixed radix, variable
``j`` being digit ``j`` (base ``alphabet_sizes[j]``, variable 0 the fastest), and its
features are computed chunk by chunk on demand.  The same object feeds
:func:`maxent.solve` in three ways:

- streamed (a re-iterable chunk source; memory is a few chunks):
  ``maxent.solve(fs, targets, names=fs.names)``;
- on dask (one lazy block per chunk, on a ``distributed`` cluster when a Client is
  active): ``maxent.solve(fs.to_dask(), targets, names=fs.names)``;
- in memory, named: ``maxent.solve(fs.to_mapping(), targets)`` (or unnamed,
  ``maxent.solve(fs.to_numpy(), targets)``).

:meth:`StateFeatures.moments` gives the targets from data (the empirical averages of the
features over samples), so ``solve(fs, fs.moments(samples))`` is the maximum-likelihood
fit of the exponential family to the samples.

Builders: :func:`pairwise` (spins: fields and couplings, the Ising / inverse-Ising
family) and :func:`marginals` (indicator functions of chosen single-site and pair
marginals of categorical variables, the Potts / direct-coupling-analysis family).  Both
take the bonds of any geometry (a lattice's ``bonds``, or an (n_bonds, 2) array of site
pairs) to couple only neighbours.

Spin values and data: :func:`pairwise` numbers the two values of each spin by its
*digit* 0 or 1 (bit j of the configuration index), and ``values`` only says which
numbers those digits stand for in the features.  So ``pairwise(n, values=(0, 1))`` has
the lattice-gas features :math:`n_i, n_i n_j` and ``pairwise(n)`` the Ising features
:math:`s_i, s_i s_j` of the *same* configurations; :meth:`StateFeatures.moments` takes
samples as digits (0/1) either way (:meth:`StateFeatures.digits` converts samples
written in ``values``).  The multipliers of the two conventions describe the same
distribution; :func:`change_values` converts fields and couplings between them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _potts_kernels as kern
from ._checks import as_float_array, check_finite, first_bad_index, integer
from .errors import InvalidInputError

__all__ = ["StateFeatures", "change_values", "marginals", "pairwise"]

_CHUNK_BYTES = 1 << 21  # default chunks of about 2 MB: made and read while in cache
_MAX_INDEX = 2**62  # configurations are numbered by int64
_MAX_FEATURES = 10**7  # names and one row of features must fit in memory


def _check_int(value: object, name: str, minimum: int) -> int:
    k = integer(value, name, minimum=minimum)
    assert k is not None
    return k


@dataclass(frozen=True)
class StateFeatures:
    r"""Features of every configuration of discrete variables, generated chunk by chunk.

    Built by :func:`pairwise` or :func:`marginals`; see the module docstring for use with
    :func:`maxent.solve`.  Iterating over it yields ``(features_chunk, None)`` pairs
    covering all configurations in order (so it is a chunk source for ``solve``).

    Attributes
    ----------
    alphabet_sizes : tuple of int
        Number of values of each variable.
    terms : tuple of tuple of int
        The variables each block of features involves (one or two).
    kind : {"spin", "indicator"}
        ``"spin"``: products of spin values (:func:`pairwise`); ``"indicator"``:
        indicators of joint values (:func:`marginals`).
    values : tuple of float
        Spin values for ``kind = "spin"`` (value of digit 0 and digit 1).
    names : tuple of str
        One name per feature.
    chunk_size : int
        Configurations per chunk (by default about 2 MB of features).
    """

    alphabet_sizes: tuple[int, ...]
    terms: tuple[tuple[int, ...], ...]
    kind: str
    values: tuple[float, ...] = (-1.0, 1.0)
    chunk_size: int | None = None
    names: tuple[str, ...] = dataclass_field(init=False)
    _plan: tuple[NDArray[np.int64], ...] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        first = np.array([t[0] for t in self.terms], dtype=np.int64)
        second = np.array([t[1] if len(t) == 2 else -1 for t in self.terms], dtype=np.int64)
        sizes = np.array(self.alphabet_sizes, dtype=np.int64)
        if self.kind == "spin":
            names = [f"s{t[0]}" if len(t) == 1 else f"s{t[0]}*s{t[1]}" for t in self.terms]
            widths = np.ones(len(self.terms), dtype=np.int64)
        else:
            names = []
            for t in self.terms:
                for vals in itertools.product(*(range(self.alphabet_sizes[i]) for i in t)):
                    names.append(",".join(f"x{i}={v}" for i, v in zip(t, vals, strict=True)))
            widths = np.array([np.prod([self.alphabet_sizes[i] for i in t]) for t in self.terms])
        offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "_plan", (first, second, sizes, offsets))
        if self.chunk_size is None:
            rows = max(1024, _CHUNK_BYTES // (8 * max(len(names), 1)))
            object.__setattr__(self, "chunk_size", int(rows))

    # ------------------------------------------------------------------ sizes
    @property
    def n_variables(self) -> int:
        """Number of variables (spins or sites)."""
        return len(self.alphabet_sizes)

    @property
    def n_states(self) -> int:
        r"""Number of configurations, :math:`\prod_j q_j`."""
        return int(np.prod(self.alphabet_sizes, dtype=object))

    @property
    def n_features(self) -> int:
        """Number of features (columns)."""
        return len(self.names)

    # ------------------------------------------------------------------ evaluation
    def configurations(self, start: int, stop: int) -> NDArray[np.int64]:
        """Digits of configurations ``start`` to ``stop - 1``: shape (stop - start, n_vars)."""
        idx = np.arange(start, stop, dtype=np.int64)
        out = np.empty((idx.size, self.n_variables), dtype=np.int64)
        for j, q in enumerate(self.alphabet_sizes):
            idx, out[:, j] = np.divmod(idx, q)
        return out

    def _digits(self, configurations: ArrayLike, name: str) -> NDArray[np.int64]:
        x = as_float_array(configurations, name, ndim=2)
        if x.shape[1] != self.n_variables:
            raise InvalidInputError(
                f"`{name}` must have shape (n, {self.n_variables}); got {x.shape}."
            )
        check_finite(x, name)
        q = np.asarray(self.alphabet_sizes)
        bad = (x < 0) | (x >= q) | (x != np.floor(x))
        if np.any(bad):
            idx = first_bad_index(bad)
            raise InvalidInputError(
                f"`{name}` must hold digits 0 .. q - 1 of each variable (integers); got "
                f"{float(x[idx])!r} at index {idx}."
            )
        return x.astype(np.int64)

    def evaluate(self, configurations: ArrayLike) -> NDArray[np.float64]:
        """Features of given configurations (digits 0 .. q - 1), shape (n, n_features)."""
        return self._features(self._digits(configurations, "configurations"))

    def _features(self, codes: NDArray[np.int64] | None, start: int = 0, stop: int = 0) -> Any:
        """Features of the rows of ``codes``, or (``codes`` None) of configurations
        ``start`` to ``stop - 1`` generated from their index."""
        first, second, sizes, offsets = self._plan
        rows = codes if codes is not None else np.empty((0, self.n_variables), np.int64)
        out = np.empty((stop - start if codes is None else codes.shape[0], self.n_features))
        if self.kind == "spin":
            values = np.asarray(self.values, dtype=np.float64)
            ones = np.where(second < 0, self.n_variables, second)
            kern.product_features(start, rows, values, self.n_variables, first, ones, out)
        else:
            kern.indicator_features(start, rows, sizes, first, second, offsets, out)
        return out

    def chunk(self, start: int, stop: int) -> NDArray[np.float64]:
        """Features of configurations ``start`` to ``stop - 1``."""
        return self._features(None, start, stop)

    def __iter__(self) -> Iterator[tuple[NDArray[np.float64], None]]:
        size = int(self.chunk_size)  # type: ignore[arg-type]  # set in __post_init__
        for a in range(0, self.n_states, size):
            yield self.chunk(a, min(a + size, self.n_states)), None

    def to_numpy(self) -> NDArray[np.float64]:
        """All features as one (n_states, n_features) array (small problems only)."""
        return self.chunk(0, self.n_states)

    def to_mapping(self) -> dict[str, NDArray[np.float64]]:
        """All features as a mapping name -> column (small problems only), for a named
        in-memory :func:`maxent.solve`."""
        mat = self.to_numpy()
        return {name: mat[:, k] for k, name in enumerate(self.names)}

    def to_dask(self, chunk_size: int | None = None) -> Any:
        """A lazy dask array of the features, one block per chunk (generated where used)."""
        from .streaming import generated_features

        return generated_features(
            self.chunk,
            self.n_states,
            self.n_features,
            chunk_size=int(chunk_size or self.chunk_size),  # type: ignore[arg-type]
        )

    def digits(self, samples: ArrayLike) -> NDArray[np.int64]:
        """Samples written in the spin ``values`` (e.g. +-1) as digits 0/1, the form
        :meth:`moments` and :meth:`evaluate` take (``kind = "spin"`` only)."""
        if self.kind != "spin":
            raise InvalidInputError(
                "digits() converts spin values; these features are indicators."
            )
        x = as_float_array(samples, "samples", ndim=2)
        out = np.full(x.shape, -1, dtype=np.int64)
        out[x == self.values[0]] = 0
        out[x == self.values[1]] = 1
        bad = out < 0
        if np.any(bad):
            idx = first_bad_index(bad)
            raise InvalidInputError(
                f"`samples` must hold the spin values {self.values}; got {float(x[idx])!r} "
                f"at index {idx}."
            )
        return self._digits(out, "samples")

    def moments(self, samples: ArrayLike) -> NDArray[np.float64]:
        """Empirical averages of the features over samples (rows of digits 0 .. q-1; for
        samples written in spin values use ``moments(digits(samples))``), the targets of
        a maximum-likelihood fit."""
        return self._features(self._digits(samples, "samples")).mean(axis=0)


def _chunk(chunk_size: int | None) -> int | None:
    return None if chunk_size is None else _check_int(chunk_size, "chunk_size", 1)


def _read_bonds(bonds: Any, n_sites: int) -> tuple[tuple[int, int], ...]:
    """Site pairs of a lattice (its ``bonds``) or of an (n_bonds, 2) array, each once."""
    raw = getattr(bonds, "bonds", bonds)
    arr = check_finite(as_float_array(raw, "bonds", ndim=2), "bonds")
    if arr.shape[1] != 2:
        raise InvalidInputError(f"`bonds` must have shape (n_bonds, 2); got {arr.shape}.")
    bad = (arr != np.floor(arr)) | (arr < 0) | (arr >= n_sites)
    if np.any(bad):
        idx = first_bad_index(bad)
        raise InvalidInputError(
            f"`bonds` must hold site indices 0 .. {n_sites - 1} (integers); got "
            f"{float(arr[idx])!r} "
            f"at index {idx}."
        )
    pairs = np.sort(arr.astype(np.int64), axis=1)
    loops = np.flatnonzero(pairs[:, 0] == pairs[:, 1])
    if loops.size:
        raise InvalidInputError(
            f"`bonds[{int(loops[0])}]` joins site {int(pairs[loops[0], 0])} to itself."
        )
    _, first, counts = np.unique(pairs, axis=0, return_index=True, return_counts=True)
    if np.any(counts > 1):
        k = int(first[np.argmax(counts > 1)])
        raise InvalidInputError(f"`bonds` lists the bond {tuple(pairs[k].tolist())} twice.")
    return tuple((int(i), int(j)) for i, j in pairs)


def _n_sites(n_spins: Any, bonds: Any) -> tuple[int, Any]:
    """Number of sites and bonds from an int or a lattice (whose bonds are the default)."""
    if hasattr(n_spins, "n_sites") and hasattr(n_spins, "bonds"):
        if bonds is not None:
            raise InvalidInputError("pass a lattice or `bonds`, not both.")
        return _check_int(n_spins.n_sites, "n_spins.n_sites", 1), n_spins
    return _check_int(n_spins, "n_spins", 1), bonds


def pairwise(
    n_spins: Any,
    *,
    bonds: Any = None,
    values: Sequence[float] = (-1, 1),
    chunk_size: int | None = None,
) -> StateFeatures:
    r"""Fields and couplings of ``n_spins`` spins: features :math:`s_i` and
    :math:`s_i s_j` (all i < j, or the bonds given) on all :math:`2^N` configurations.

    The maximum-entropy distribution with these features is the pairwise (Ising)
    model :math:`P(s) \propto \exp(\sum_i h_i s_i + \sum_{i<j} J_{ij} s_i s_j)`; with
    :func:`maxent.solve`'s convention :math:`p \propto e^{-\lambda\cdot F}`, the fields
    are :math:`h = -\lambda` of the first ``n_spins`` multipliers and the couplings
    :math:`J_{ij} = -\lambda` of the feature ``"si*sj"``.

    Parameters
    ----------
    n_spins : int or lattice
        N >= 1 (at most 62: configurations are numbered by int64; enumeration is
        practical up to about 25, streamed), or a lattice (``n_sites`` and ``bonds``),
        whose bonds are then the couplings.
    bonds : lattice or array_like of int, shape (n_bonds, 2), optional
        The coupled pairs (each once, in any order); default all pairs.
    values : pair of float, default (-1, 1)
        The numbers that digit 0 and digit 1 of a spin stand for in the features
        (``(0, 1)``: lattice-gas occupations).  Configurations and samples are digits
        either way (see the module docstring; :func:`change_values` converts fields
        and couplings between conventions).
    chunk_size : int, optional
        Configurations per chunk (default: about 2 MB of features, made and read
        while in cache).

    Returns
    -------
    StateFeatures
        ``N`` fields ``"s0"``, ... then one coupling per pair ``"s0*s1"``, ... (all pairs
        in row-major order of the upper triangle, or the bonds in the order given).

    Raises
    ------
    InvalidInputError
        If ``n_spins`` is not an int in 1 .. 62 (or a lattice of that many sites),
        ``bonds`` is not an (n_bonds, 2) array of distinct pairs of sites, or ``values``
        is not two distinct finite numbers.

    Examples
    --------
    >>> import maxent
    >>> fs = maxent.features.pairwise(2)
    >>> fs.names
    ('s0', 's1', 's0*s1')
    >>> fs.to_numpy()
    array([[-1., -1.,  1.],
           [ 1., -1., -1.],
           [-1.,  1., -1.],
           [ 1.,  1.,  1.]])
    >>> maxent.features.pairwise(4, bonds=[(0, 1), (1, 2), (2, 3), (3, 0)]).names[4:]
    ('s0*s1', 's1*s2', 's2*s3', 's0*s3')
    """
    n, bonds = _n_sites(n_spins, bonds)
    if 2**n > _MAX_INDEX:
        raise InvalidInputError(
            f"`n_spins` = {n}: configurations are numbered by int64, so at most 62 spins "
            "(enumeration is practical to about 25); sample larger systems instead."
        )
    vals = tuple(float(v) for v in values)
    if len(vals) != 2 or vals[0] == vals[1] or not all(np.isfinite(vals)):
        raise InvalidInputError(f"`values` must be two distinct finite numbers; got {values!r}.")
    pairs = tuple(itertools.combinations(range(n), 2)) if bonds is None else _read_bonds(bonds, n)
    terms = tuple((i,) for i in range(n)) + pairs
    return StateFeatures((2,) * n, terms, "spin", vals, _chunk(chunk_size))


def _listed_terms(structure: Sequence[Sequence[Any]], n: int) -> tuple[tuple[int, ...], ...]:
    listed: list[tuple[int, ...]] = []
    for k, t in enumerate(structure):
        try:
            t = tuple(_check_int(i, f"structure[{k}] entries", 0) for i in t)
        except TypeError:
            raise InvalidInputError(
                f"`structure[{k}]` must be a tuple of variable indices; got {t!r}."
            ) from None
        if not 1 <= len(t) <= 2 or len(set(t)) != len(t) or any(not 0 <= i < n for i in t):
            raise InvalidInputError(
                f"`structure` terms must be one or two distinct variables in 0 .. "
                f"{n - 1}; got {t!r}."
            )
        listed.append(tuple(sorted(t)))
    if not listed:
        raise InvalidInputError("`structure` must list at least one term.")
    return tuple(listed)


def marginals(
    alphabet_sizes: Sequence[int],
    structure: str | Sequence[Sequence[int]] = "pairwise",
    *,
    bonds: Any = None,
    chunk_size: int | None = None,
) -> StateFeatures:
    r"""Indicator features of single-site and pair marginals of categorical variables.

    For every term (one variable i, or a pair i < j) and every joint value, the
    indicator :math:`[x_i = a]` or :math:`[x_i = a, x_j = b]`; matching their averages
    fixes those marginal tables.  The maximum-entropy distribution is a Potts-like model
    :math:`P(x) \propto \exp(\sum_i h_i(x_i) + \sum_{i<j} J_{ij}(x_i, x_j))` (the model
    of direct-coupling analysis).  The indicators of one term sum to 1, so the features
    are linearly dependent; :func:`maxent.solve` copes (minimum-norm multipliers).

    Parameters
    ----------
    alphabet_sizes : sequence of int
        Number of values ``q_i >= 2`` of each variable.
    structure : "pairwise", "independent" or sequence of tuples, default "pairwise"
        Which marginals: all single sites and all pairs (or the pairs in ``bonds``),
        single sites only, or the listed terms (tuples of one or two distinct variable
        indices).
    bonds : lattice or array_like of int, shape (n_bonds, 2), optional
        With ``"pairwise"``: the pairs whose marginals are fixed (a lattice's bonds).
    chunk_size : int, optional
        Configurations per chunk (default: about 2 MB of features, made and read
        while in cache).

    Returns
    -------
    StateFeatures
        Features named ``"x0=1"`` or ``"x0=1,x2=0"``, term by term, values in row-major
        order.

    Raises
    ------
    InvalidInputError
        If a size is not an int >= 2, a term or bond is not one or two distinct variable
        indices (integers) in range, or the configurations (at most 2^62) or features
        (at most 10^7) are too many to number or to name.

    Examples
    --------
    >>> import maxent
    >>> fs = maxent.features.marginals([3, 2], [(0,), (0, 1)])
    >>> fs.n_states, fs.names[:4]
    (6, ('x0=0', 'x0=1', 'x0=2', 'x0=0,x1=0'))
    """
    sizes = tuple(_check_int(q, f"alphabet_sizes[{k}]", 2) for k, q in enumerate(alphabet_sizes))
    if not sizes:
        raise InvalidInputError("`alphabet_sizes` must list at least one variable.")
    n = len(sizes)
    if bonds is not None and structure != "pairwise":
        raise InvalidInputError("`bonds` goes with structure='pairwise' only.")
    n_states = int(np.prod(sizes, dtype=object))
    if n_states > _MAX_INDEX:  # before any list of terms is built
        raise InvalidInputError(
            f"`alphabet_sizes` give about 10^{int(sum(np.log10(sizes)))} configurations; at most "
            "2^62 can be numbered (int64) and far fewer enumerated."
        )
    terms: tuple[tuple[int, ...], ...]
    if isinstance(structure, str):
        if structure not in ("pairwise", "independent"):
            raise InvalidInputError(
                f"`structure` must be 'pairwise', 'independent' or a sequence of tuples; "
                f"got {structure!r}."
            )
        terms = tuple((i,) for i in range(n))
        if structure == "pairwise":
            terms += (
                tuple(itertools.combinations(range(n), 2))
                if bonds is None
                else _read_bonds(bonds, n)
            )
    else:
        terms = _listed_terms(structure, n)
    n_features = sum(int(np.prod([sizes[i] for i in t], dtype=object)) for t in terms)
    if n_features > _MAX_FEATURES:
        raise InvalidInputError(
            f"these marginals have {n_features} features; at most 10^7 can be named and "
            "evaluated a row at a time."
        )
    return StateFeatures(sizes, terms, "indicator", (), _chunk(chunk_size))


def change_values(
    fields: ArrayLike,
    couplings: ArrayLike,
    *,
    old: Sequence[float] = (-1, 1),
    new: Sequence[float] = (0, 1),
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Fields and couplings of a two-state pairwise model in other spin values.

    :math:`\sum_i h_i x_i + \sum_{i<j} J_{ij} x_i x_j` with :math:`x_i` in ``old`` equals,
    up to a constant, :math:`\sum_i h'_i y_i + \sum_{i<j} J'_{ij} y_i y_j` with
    :math:`y_i` in ``new`` (digit for digit): writing :math:`x = \alpha + \beta y`,
    :math:`J' = \beta^2 J` and :math:`h'_i = \beta h_i + \alpha\beta\sum_j J_{ij}`.
    So the multipliers of :func:`pairwise` with ``values=(0, 1)`` and with the
    default ``(-1, 1)`` describe the same distribution.

    Parameters
    ----------
    fields : array_like, shape (n,)
    couplings : array_like, shape (n, n)
        Symmetric, zero diagonal (every pair once in each triangle).
    old, new : pair of float
        The values of digit 0 and digit 1 before and after.

    Returns
    -------
    fields, couplings : ndarray
        :math:`h'`, :math:`J'`.

    Examples
    --------
    >>> import numpy as np, maxent
    >>> h, J = maxent.features.change_values([0.1, 0.2], [[0, 0.5], [0.5, 0]])
    >>> h.tolist(), J[0, 1]  # occupations n = (s + 1) / 2: h' = 2h - 2 sum_j J, J' = 4J
    ([-0.8, -0.6], np.float64(2.0))
    """
    h = check_finite(as_float_array(fields, "fields", ndim=1), "fields")
    j = check_finite(as_float_array(couplings, "couplings", ndim=2), "couplings")
    if j.shape != (h.size, h.size):
        raise InvalidInputError(
            f"`couplings` must have shape ({h.size}, {h.size}) to match `fields`; got {j.shape}."
        )
    if not np.allclose(j, j.T, rtol=1e-12, atol=0) or np.any(np.diag(j) != 0):
        raise InvalidInputError(
            "`couplings` must be symmetric with a zero diagonal (J_ij in both triangles)."
        )
    a = [float(v) for v in old]
    c = [float(v) for v in new]
    if (
        len(a) != 2
        or len(c) != 2
        or a[0] == a[1]
        or c[0] == c[1]
        or not np.all(np.isfinite(a + c))
    ):
        raise InvalidInputError(
            f"`old` and `new` must each be two distinct finite numbers; got {old!r}, {new!r}."
        )
    beta = (a[1] - a[0]) / (c[1] - c[0])
    alpha = a[0] - beta * c[0]
    return beta * h + alpha * beta * j.sum(axis=1), beta**2 * j
