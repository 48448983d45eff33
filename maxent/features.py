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
marginals of categorical variables, the Potts / direct-coupling-analysis family).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InvalidInputError

__all__ = ["StateFeatures", "marginals", "pairwise"]

_DEFAULT_CHUNK = 1 << 16


def _check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidInputError(f"`{name}` must be an int >= {minimum}; got {value!r}.")
    return int(value)


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
        Configurations per chunk.
    """

    alphabet_sizes: tuple[int, ...]
    terms: tuple[tuple[int, ...], ...]
    kind: str
    values: tuple[float, ...] = (-1.0, 1.0)
    chunk_size: int = _DEFAULT_CHUNK
    names: tuple[str, ...] = dataclass_field(init=False)

    def __post_init__(self) -> None:
        if self.kind == "spin":
            names = [f"s{t[0]}" if len(t) == 1 else f"s{t[0]}*s{t[1]}" for t in self.terms]
        else:
            names = []
            for t in self.terms:
                for vals in itertools.product(*(range(self.alphabet_sizes[i]) for i in t)):
                    names.append(",".join(f"x{i}={v}" for i, v in zip(t, vals, strict=True)))
        object.__setattr__(self, "names", tuple(names))

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

    def evaluate(self, configurations: ArrayLike) -> NDArray[np.float64]:
        """Features of given configurations (digits 0 .. q - 1), shape (n, n_features)."""
        x = np.asarray(configurations)
        if x.ndim != 2 or x.shape[1] != self.n_variables:
            raise InvalidInputError(
                f"`configurations` must have shape (n, {self.n_variables}); got {x.shape}."
            )
        x = x.astype(np.int64)
        q = np.asarray(self.alphabet_sizes)
        if np.any((x < 0) | (x >= q)):
            raise InvalidInputError(
                "`configurations` must hold digits 0 .. q - 1 of each variable."
            )
        if self.kind == "spin":
            s = np.asarray(self.values, dtype=np.float64)[x]
            cols = [s[:, t[0]] if len(t) == 1 else s[:, t[0]] * s[:, t[1]] for t in self.terms]
            return np.stack(cols, axis=1) if cols else np.zeros((x.shape[0], 0))
        blocks = []
        for t in self.terms:
            code = np.zeros(x.shape[0], dtype=np.int64)
            size = 1
            for i in t:
                code = code * self.alphabet_sizes[i] + x[:, i]
                size *= self.alphabet_sizes[i]
            blocks.append(np.eye(size)[code])
        return np.concatenate(blocks, axis=1)

    def chunk(self, start: int, stop: int) -> NDArray[np.float64]:
        """Features of configurations ``start`` to ``stop - 1``."""
        return self.evaluate(self.configurations(start, stop))

    def __iter__(self) -> Iterator[tuple[NDArray[np.float64], None]]:
        for a in range(0, self.n_states, self.chunk_size):
            yield self.chunk(a, min(a + self.chunk_size, self.n_states)), None

    def to_numpy(self) -> NDArray[np.float64]:
        """All features as one (n_states, n_features) array (small problems only)."""
        return self.chunk(0, self.n_states)

    def to_mapping(self) -> dict[str, NDArray[np.float64]]:
        """All features as a mapping name -> column (small problems only), for a named
        in-memory :func:`maxent.solve`."""
        mat = self.to_numpy()
        return {name: mat[:, k] for k, name in enumerate(self.names)}

    def to_dask(self, chunk_size: int | None = None):
        """A lazy dask array of the features, one block per chunk (generated where used)."""
        from .streaming import generated_features

        return generated_features(
            self.chunk, self.n_states, self.n_features, chunk_size=chunk_size or self.chunk_size
        )

    def moments(self, samples: ArrayLike) -> NDArray[np.float64]:
        """Empirical averages of the features over samples (rows of digits), the targets
        of a maximum-likelihood fit."""
        return self.evaluate(samples).mean(axis=0)


def pairwise(
    n_spins: int, *, values: Sequence[float] = (-1, 1), chunk_size: int = _DEFAULT_CHUNK
) -> StateFeatures:
    r"""Fields and couplings of ``n_spins`` spins: features :math:`s_i` and
    :math:`s_i s_j` (i < j) on all :math:`2^N` configurations.

    The maximum-entropy distribution with these features is the pairwise (Ising)
    model :math:`P(s) \propto \exp(\sum_i h_i s_i + \sum_{i<j} J_{ij} s_i s_j)`; with
    :func:`maxent.solve`'s convention :math:`p \propto e^{-\lambda\cdot F}`, the fields
    are :math:`h = -\lambda` of the first ``n_spins`` multipliers and the couplings
    :math:`J_{ij} = -\lambda` of the feature ``"si*sj"``.

    Parameters
    ----------
    n_spins : int
        N >= 1 (enumeration: up to about 25 streamed).
    values : pair of float, default (-1, 1)
        Spin values of bit 0 and bit 1 of the configuration index (``(0, 1)`` for
        occupation numbers).
    chunk_size : int, default 65536
        Configurations per chunk.

    Returns
    -------
    StateFeatures
        ``N + N (N - 1) / 2`` features named ``"s0"``, ..., ``"s0*s1"``, ... (fields
        first, then couplings in row-major order of the upper triangle).

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
    """
    n = _check_int(n_spins, "n_spins", 1)
    vals = tuple(float(v) for v in values)
    if len(vals) != 2 or vals[0] == vals[1] or not all(np.isfinite(vals)):
        raise InvalidInputError(f"`values` must be two distinct finite numbers; got {values!r}.")
    terms = tuple((i,) for i in range(n)) + tuple(itertools.combinations(range(n), 2))
    return StateFeatures((2,) * n, terms, "spin", vals, _check_int(chunk_size, "chunk_size", 1))


def marginals(
    alphabet_sizes: Sequence[int],
    structure: str | Sequence[Sequence[int]] = "pairwise",
    *,
    chunk_size: int = _DEFAULT_CHUNK,
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
        Which marginals: all single sites and all pairs, single sites only, or the
        listed terms (tuples of one or two distinct variable indices).
    chunk_size : int, default 65536
        Configurations per chunk.

    Returns
    -------
    StateFeatures
        Features named ``"x0=1"`` or ``"x0=1,x2=0"``, term by term, values in row-major
        order.

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
    terms: tuple[tuple[int, ...], ...]
    if isinstance(structure, str):
        if structure == "pairwise":
            terms = tuple((i,) for i in range(n)) + tuple(itertools.combinations(range(n), 2))
        elif structure == "independent":
            terms = tuple((i,) for i in range(n))
        else:
            raise InvalidInputError(
                f"`structure` must be 'pairwise', 'independent' or a sequence of tuples; "
                f"got {structure!r}."
            )
    else:
        listed: list[tuple[int, ...]] = []
        for t in structure:
            t = tuple(int(i) for i in t)
            if not 1 <= len(t) <= 2 or len(set(t)) != len(t) or any(not 0 <= i < n for i in t):
                raise InvalidInputError(
                    f"`structure` terms must be one or two distinct variables in 0 .. "
                    f"{n - 1}; got {t!r}."
                )
            listed.append(tuple(sorted(t)))
        terms = tuple(listed)
        if not terms:
            raise InvalidInputError("`structure` must list at least one term.")
    return StateFeatures(sizes, terms, "indicator", (), _check_int(chunk_size, "chunk_size", 1))
