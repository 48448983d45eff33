r"""Lattice geometries as values: sites, bonds, neighbour tables and a colouring.

A :class:`Lattice` is a frozen value that every lattice model, sampler and exact
enumeration reads in the same way:

- ``n_sites``: the number of sites, numbered 0 ... N - 1 (row-major over ``shape``);
- ``bonds``: a read-only ``(n_bonds, 2)`` int64 array, each bond once with ``i < j``
  (a pair of sites joined twice, as on a periodic side of length 2, is listed twice);
- ``neighbors``: a read-only ``(n_sites, z_max)`` int64 array of the sites bonded to
  each site (once per bond), padded with -1;
- ``coordination``: the number of bonds at each site;
- ``colors``: a proper colouring (no bond joins two sites of one colour), so that the
  sites of one colour can be updated in any order in a checkerboard sweep;
- ``shape`` and ``dimension`` where they mean something (``None`` for a general graph).

Builders: :func:`chain`, :func:`square`, :func:`triangular`, :func:`honeycomb`,
:func:`cubic` (all periodic) and :func:`graph` (any list of bonds).  They are
reachable as ``maxent.lattice.square(...)`` etc.  (This module holds the geometry;
:mod:`maxent.lattice` the spin models on it.)

References
----------
NetKet's ``graph`` module builds lattices the same way, from a unit cell and the
offsets of its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import check_memory, integer
from .errors import InvalidInputError

__all__ = ["Lattice", "chain", "cubic", "graph", "honeycomb", "square", "triangular"]

#: Bytes per site and per bond the tables of a lattice and a chain on it take (estimate).
_BYTES_PER_SITE = 64
_BYTES_PER_BOND = 48


def _frozen(a: ArrayLike, dtype: type = np.int64) -> NDArray[np.int64]:
    arr: NDArray[np.int64] = np.array(a, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Lattice:
    r"""A lattice geometry: sites, bonds, neighbour tables and a proper colouring.

    Build one with :func:`square`, :func:`triangular`, :func:`honeycomb`,
    :func:`cubic`, :func:`chain` or :func:`graph` rather than directly.

    Attributes
    ----------
    name : str
        What it is, e.g. ``"square 4x4, periodic"``.
    n_sites : int
        Number of sites N.
    bonds : ndarray of int64, shape (n_bonds, 2)
        Each bond once, ``i < j``, read-only.
    shape : tuple of int or None
        The array shape of a configuration's sites (row-major), or None for a graph.
    dimension : int or None
        Spatial dimension, or None for a graph.
    family : str
        ``"chain"``, ``"square"``, ``"cubic"``, ``"triangular"``, ``"honeycomb"`` or
        ``"graph"`` (kernels specialised to a family may ask).
    neighbors : ndarray of int64, shape (n_sites, z_max)
        Bonded sites of each site, padded with -1, read-only.
    coordination : ndarray of int64, shape (n_sites,)
        Number of bonds at each site.
    colors : ndarray of int64, shape (n_sites,)
        A proper colouring: colours 0 ... n_colors - 1, no bond within one colour.

    Examples
    --------
    >>> from maxent import lattice
    >>> tri = lattice.triangular(3, 3)
    >>> tri.n_sites, tri.n_bonds, int(tri.coordination.max()), tri.n_colors
    (9, 27, 6, 3)
    """

    name: str
    n_sites: int
    bonds: NDArray[np.int64] = dataclass_field(repr=False)
    shape: tuple[int, ...] | None = None
    dimension: int | None = None
    colors: NDArray[np.int64] = dataclass_field(default=None, repr=False)  # type: ignore
    family: str = "graph"
    neighbors: NDArray[np.int64] = dataclass_field(init=False, repr=False)
    coordination: NDArray[np.int64] = dataclass_field(init=False, repr=False)

    def __post_init__(self) -> None:
        bonds = np.sort(np.asarray(self.bonds, dtype=np.int64).reshape(-1, 2), axis=1)
        object.__setattr__(self, "bonds", _frozen(bonds))
        nb, coord = _neighbor_table(bonds, self.n_sites)
        object.__setattr__(self, "neighbors", _frozen(nb))
        object.__setattr__(self, "coordination", _frozen(coord))
        colors = self.colors
        if colors is None or not _is_proper(bonds, np.asarray(colors)):
            colors = _greedy_colors(nb)
        object.__setattr__(self, "colors", _frozen(colors))

    @property
    def n_bonds(self) -> int:
        """Number of bonds."""
        return int(self.bonds.shape[0])

    @property
    def n_colors(self) -> int:
        """Number of colours of :attr:`colors`."""
        return int(self.colors.max()) + 1 if self.n_sites else 0

    @property
    def site_shape(self) -> tuple[int, ...]:
        """The shape of a configuration: :attr:`shape`, or ``(n_sites,)`` for a graph."""
        return self.shape if self.shape is not None else (self.n_sites,)

    @property
    def axes(self) -> tuple[str, ...]:
        """Names of the axes of :attr:`site_shape` (for labelled arrays)."""
        if self.shape is None:
            return ("site",)
        if self.family == "honeycomb":
            return ("x", "y", "sublattice")
        return ("x", "y", "z")[: len(self.shape)]

    def sweep_order(self) -> NDArray[np.int64]:
        """Sites sorted by colour (stable): the order of a checkerboard sweep."""
        return np.argsort(self.colors, kind="stable")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Lattice)
            and self.n_sites == other.n_sites
            and self.shape == other.shape
            and np.array_equal(self.bonds, other.bonds)
        )

    def __hash__(self) -> int:
        return hash((self.n_sites, self.shape, self.bonds.tobytes()))

    def __repr__(self) -> str:
        return f"Lattice({self.name!r}, n_sites={self.n_sites}, n_bonds={self.n_bonds})"


def _neighbor_table(
    bonds: NDArray[np.int64], n_sites: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    src = np.concatenate([bonds[:, 0], bonds[:, 1]])
    dst = np.concatenate([bonds[:, 1], bonds[:, 0]])
    coord = np.bincount(src, minlength=n_sites).astype(np.int64)
    z_max = int(coord.max()) if coord.size else 0
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    start = np.concatenate([[0], np.cumsum(coord)[:-1]])
    slot = np.arange(src.size) - start[src]
    table = np.full((n_sites, z_max), -1, dtype=np.int64)
    table[src, slot] = dst
    return table, coord


def _is_proper(bonds: NDArray[np.int64], colors: NDArray[np.int64]) -> bool:
    return not np.any(colors[bonds[:, 0]] == colors[bonds[:, 1]])


def _greedy_colors(neighbors: NDArray[np.int64]) -> NDArray[np.int64]:
    """Greedy colouring in site order: each site takes the lowest colour free of its
    earlier neighbours (at most z_max + 1 colours)."""
    from ._spin_kernels import greedy_colors

    return greedy_colors(neighbors)


def _side(value: object, name: str) -> int:
    return int(integer(value, name, minimum=2))  # type: ignore[arg-type]


def _check_size(n_sites: int, n_bonds: int, what: str) -> None:
    check_memory(n_sites * _BYTES_PER_SITE + n_bonds * _BYTES_PER_BOND, what)


def _periodic(
    shape: tuple[int, ...], offsets: list[tuple[int, ...]]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Bonds (site, site + offset) of a periodic grid, one per site and offset, and the
    parity colouring (proper when every side is even and every offset odd in total)."""
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    bonds = [
        np.stack([idx.ravel(), np.roll(idx, [-o for o in off], axis=range(len(shape))).ravel()], 1)
        for off in offsets
    ]
    parity = np.indices(shape).sum(axis=0).ravel() % 2
    return np.concatenate(bonds), parity


def hypercubic(shape: tuple[int, ...]) -> Lattice:
    """The periodic hypercubic lattice of 1 to 3 sides (``chain``, ``square``, ``cubic``)."""
    names = {1: "chain", 2: "square", 3: "cubic"}
    d = len(shape)
    n = int(np.prod(shape, dtype=object))
    _check_size(n, d * n, f"a periodic lattice of shape {shape}")
    offsets = [tuple(int(a == b) for b in range(d)) for a in range(d)]
    bonds, parity = _periodic(shape, offsets)
    return Lattice(
        f"{names[d]} {'x'.join(map(str, shape))}, periodic", n, bonds, shape, d, parity, names[d]
    )


def chain(n_sites: int) -> Lattice:
    """Periodic chain (ring) of N >= 2 sites, bonds (i, i + 1 mod N).

    Examples
    --------
    >>> from maxent import lattice
    >>> lattice.chain(4).bonds.tolist()
    [[0, 1], [1, 2], [2, 3], [0, 3]]
    """
    return hypercubic((_side(n_sites, "n_sites"),))


def square(rows: int, columns: int | None = None) -> Lattice:
    """Periodic square lattice of L x M sites (M = L by default), 2 L M bonds.

    Examples
    --------
    >>> from maxent import lattice
    >>> sq = lattice.square(4)
    >>> sq.shape, sq.n_bonds, sq.n_colors
    ((4, 4), 32, 2)
    """
    rows = _side(rows, "rows")
    return hypercubic((rows, rows if columns is None else _side(columns, "columns")))


def cubic(rows: int, columns: int | None = None, layers: int | None = None) -> Lattice:
    """Periodic simple cubic lattice of L x M x N sites (M = N = L by default).

    Examples
    --------
    >>> from maxent import lattice
    >>> lattice.cubic(3).n_bonds
    81
    """
    rows = _side(rows, "rows")
    columns = rows if columns is None else _side(columns, "columns")
    layers = rows if layers is None else _side(layers, "layers")
    return hypercubic((rows, columns, layers))


def triangular(rows: int, columns: int | None = None) -> Lattice:
    """Periodic triangular lattice of L x M sites: the square lattice plus the diagonal
    (i, j) - (i + 1, j + 1); coordination 6, 3 L M bonds.

    Examples
    --------
    >>> from maxent import lattice
    >>> lattice.triangular(3, 6).n_colors
    3
    """
    rows = _side(rows, "rows")
    columns = rows if columns is None else _side(columns, "columns")
    shape = (rows, columns)
    _check_size(rows * columns, 3 * rows * columns, f"a triangular lattice {shape}")
    bonds, _ = _periodic(shape, [(1, 0), (0, 1), (1, 1)])
    i, j = np.indices(shape)
    three = ((i + j) % 3).ravel()  # proper when both sides are multiples of 3
    return Lattice(
        f"triangular {rows}x{columns}, periodic",
        rows * columns,
        bonds,
        shape,
        2,
        three,
        "triangular",
    )


def honeycomb(rows: int, columns: int | None = None) -> Lattice:
    """Periodic honeycomb lattice of L x M unit cells of two sites (A = 0, B = 1).

    Site ``(i, j, s)`` (row-major over ``shape = (L, M, 2)``); each A site is bonded to
    the B sites of its own cell, of cell (i - 1, j) and of cell (i, j - 1): coordination
    3, 3 L M bonds, bipartite (colours = sublattices).

    Examples
    --------
    >>> from maxent import lattice
    >>> hc = lattice.honeycomb(3, 3)
    >>> hc.n_sites, hc.n_bonds, hc.n_colors
    (18, 27, 2)
    """
    rows = _side(rows, "rows")
    columns = rows if columns is None else _side(columns, "columns")
    shape = (rows, columns, 2)
    n = 2 * rows * columns
    _check_size(n, 3 * n // 2, f"a honeycomb lattice {shape}")
    cell = np.arange(rows * columns).reshape(rows, columns)
    a = 2 * cell
    b = 2 * cell + 1
    bonds = np.concatenate(
        [
            np.stack([a.ravel(), b.ravel()], 1),
            np.stack([a.ravel(), np.roll(b, 1, axis=0).ravel()], 1),
            np.stack([a.ravel(), np.roll(b, 1, axis=1).ravel()], 1),
        ]
    )
    sublattice = np.arange(n) % 2
    return Lattice(
        f"honeycomb {rows}x{columns} cells, periodic", n, bonds, shape, 2, sublattice, "honeycomb"
    )


def graph(edges: ArrayLike, n_sites: int | None = None) -> Lattice:
    """Any lattice, from its list of bonds ``(i, j)`` (sites 0 ... n_sites - 1).

    Parameters
    ----------
    edges : array_like of int, shape (n_bonds, 2)
        The bonds, each once; a pair listed twice is a double bond.
    n_sites : int, optional
        Number of sites (default: the largest site in ``edges`` + 1); sites without bonds
        are allowed.

    Raises
    ------
    InvalidInputError
        If ``edges`` is not an (n, 2) array of ints in [0, n_sites), or joins a site to
        itself.

    Examples
    --------
    >>> from maxent import lattice
    >>> star = lattice.graph([(0, 1), (0, 2), (0, 3)])
    >>> star.coordination.tolist(), star.n_colors
    ([3, 1, 1, 1], 2)
    """
    arr = np.asarray(edges)
    if arr.size == 0:
        arr = arr.reshape(0, 2)
    if (
        arr.ndim != 2
        or arr.shape[1] != 2
        or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0)
    ):
        raise InvalidInputError(
            f"`edges` must be an (n_bonds, 2) array of site indices (ints); got an array of "
            f"shape {arr.shape} and dtype {arr.dtype}."
        )
    arr = arr.astype(np.int64)
    low = int(arr.max()) + 1 if arr.size else 1
    n = low if n_sites is None else int(integer(n_sites, "n_sites", minimum=1))  # type: ignore
    bad = (arr < 0) | (arr >= n)
    if np.any(bad):
        k = int(np.argwhere(bad)[0, 0])
        raise InvalidInputError(
            f"`edges[{k}]` = {arr[k].tolist()} names a site outside [0, {n}) (`n_sites`)."
        )
    loops = arr[:, 0] == arr[:, 1]
    if np.any(loops):
        k = int(np.argmax(loops))
        raise InvalidInputError(f"`edges[{k}]` = {arr[k].tolist()} joins a site to itself.")
    _check_size(n, arr.shape[0], f"a graph of {n} sites and {arr.shape[0]} bonds")
    return Lattice(f"graph, {n} sites, {arr.shape[0]} bonds", n, arr)
