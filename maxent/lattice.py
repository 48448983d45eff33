r"""Classical spin models on periodic hypercubic lattices: Ising and q-state Potts.

A model knows its lattice (``shape``, periodic in every direction), its couplings and
how to evaluate a *configuration*, an integer array of that shape:

- :class:`IsingModel`: spins :math:`s_i = \pm 1`,
  :math:`H = -J \sum_{\langle ij\rangle} s_i s_j - h \sum_i s_i`,
  magnetisation :math:`M = \sum_i s_i`.
- :class:`PottsModel`: states :math:`\sigma_i \in \{0, \dots, q-1\}`,
  :math:`H = -J \sum_{\langle ij\rangle} \delta_{\sigma_i \sigma_j}
  - h \sum_i \delta_{\sigma_i 0}`, magnetisation
  :math:`M = \sum_i (q\,\delta_{\sigma_i 0} - 1)/(q - 1)` (for q = 2 this is the Ising
  magnetisation with state 0 as spin up).

The bonds :math:`\langle ij\rangle` are the ``d N`` pairs (site, next site along axis a)
with periodic wrap-around, so on a side of length 2 a pair of neighbours is joined twice,
as in :func:`maxent.models.ising_2d`.  Energies are dimensionless (use with k_B = 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import as_float_array
from .errors import InvalidInputError

__all__ = ["IsingModel", "PottsModel", "neighbour_table"]


def _check_shape(shape: object) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    try:
        dims: tuple[Any, ...] = tuple(cast(Iterable[Any], shape))  # checked just below
    except TypeError:
        raise InvalidInputError(f"`shape` must be a tuple of ints; got {shape!r}.") from None
    if not 1 <= len(dims) <= 3 or any(
        isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2 for n in dims
    ):
        raise InvalidInputError(
            f"`shape` must hold 1 to 3 ints >= 2 (the side lengths); got {shape!r}."
        )
    dims = tuple(int(n) for n in dims)
    if int(np.prod(dims, dtype=object)) >= 2**31:
        raise InvalidInputError(f"`shape` {dims} has 2^31 sites or more; too large.")
    return dims


def _check_real(value: object, name: str) -> float:
    x = float(as_float_array(value, name, ndim=0))
    if not np.isfinite(x):
        raise InvalidInputError(f"`{name}` must be finite; got {x!r}.")
    return x


def neighbour_table(shape: tuple[int, ...]) -> NDArray[np.int64]:
    """Flat indices of the ``2 d`` neighbours of every site (row-major sites), periodic.

    Column ``2a`` is the next site along axis ``a`` and column ``2a + 1`` the previous one.

    Examples
    --------
    >>> from maxent.lattice import neighbour_table
    >>> neighbour_table((3,))
    array([[1, 2],
           [2, 0],
           [0, 1]])
    """
    shape = _check_shape(shape)
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    cols = []
    for axis in range(len(shape)):
        cols.append(np.roll(idx, -1, axis=axis).ravel())
        cols.append(np.roll(idx, 1, axis=axis).ravel())
    return np.stack(cols, axis=1)


@dataclass(frozen=True)
class _Lattice:
    shape: tuple[int, ...]
    coupling: float = 1.0
    field: float = 0.0
    neighbours: NDArray[np.int64] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", _check_shape(self.shape))
        object.__setattr__(self, "coupling", _check_real(self.coupling, "coupling"))
        object.__setattr__(self, "field", _check_real(self.field, "field"))
        nb = neighbour_table(self.shape)
        nb.setflags(write=False)
        object.__setattr__(self, "neighbours", nb)

    @property
    def dimension(self) -> int:
        """Number of lattice dimensions ``d``."""
        return len(self.shape)

    @property
    def n_sites(self) -> int:
        """Number of sites ``N``."""
        return int(np.prod(self.shape))

    @property
    def n_bonds(self) -> int:
        """Number of bonds, ``d N``."""
        return self.dimension * self.n_sites

    def _config(self, configuration: ArrayLike) -> NDArray[np.int64]:
        c = np.asarray(configuration)
        if c.shape[c.ndim - len(self.shape) :] != self.shape or c.ndim < len(self.shape):
            raise InvalidInputError(
                f"`configuration` must end with the lattice shape {self.shape}; got an "
                f"array of shape {c.shape}."
            )
        if not np.issubdtype(c.dtype, np.integer):
            if not np.all(np.isfinite(c)) or np.any(c != np.round(c)):
                raise InvalidInputError("`configuration` must hold integers.")
        return c.astype(np.int64)

    def _bond_sum(self, c: NDArray[np.int64], same: bool) -> NDArray[np.int64]:
        d = len(self.shape)
        total = np.zeros(c.shape[: c.ndim - d], dtype=np.int64)
        axes = tuple(range(c.ndim - d, c.ndim))
        for axis in axes:
            nxt = np.roll(c, -1, axis=axis)
            term = (c == nxt) if same else c * nxt
            total = total + term.sum(axis=axes)
        return total


@dataclass(frozen=True)
class IsingModel(_Lattice):
    r"""Ising model :math:`H = -J \sum_{\langle ij\rangle} s_i s_j - h \sum_i s_i` on a
    periodic lattice.

    Parameters
    ----------
    shape : tuple of int
        Side lengths, 1 to 3 of them, each >= 2: ``(L, L)`` is the square lattice,
        ``(L, L, L)`` the simple cubic one.
    coupling : float, default 1
        :math:`J` (> 0 ferromagnetic).
    field : float, default 0
        :math:`h`.

    Raises
    ------
    InvalidInputError
        If ``shape`` is not 1 to 3 ints >= 2, or ``coupling``/``field`` is not finite.

    Examples
    --------
    >>> import numpy as np, maxent
    >>> model = maxent.IsingModel((4, 4))
    >>> up = np.ones((4, 4), dtype=np.int8)
    >>> float(model.energy(up)), float(model.magnetization(up))
    (-32.0, 16.0)
    """

    q = 2

    @property
    def ground_energy(self) -> float:
        """Lowest energy with ``field = 0`` and ``coupling > 0``: :math:`-J d N`."""
        return -abs(self.coupling) * self.n_bonds - abs(self.field) * self.n_sites

    def energy(self, configuration: ArrayLike) -> NDArray[np.float64]:
        """Energy of a configuration (or of a batch, the lattice axes last) of +-1 spins."""
        c = self._check_spins(configuration)
        return -self.coupling * self._bond_sum(c, False) - self.field * self.magnetization(c)

    def magnetization(self, configuration: ArrayLike) -> NDArray[np.float64]:
        r""":math:`M = \sum_i s_i` of a configuration (or a batch)."""
        c = self._check_spins(configuration)
        axes = tuple(range(c.ndim - len(self.shape), c.ndim))
        return c.sum(axis=axes).astype(np.float64)

    def random_configuration(self, rng: np.random.Generator) -> NDArray[np.int8]:
        """A configuration of independent, equally likely +-1 spins (T = inf)."""
        return (2 * rng.integers(0, 2, size=self.shape) - 1).astype(np.int8)

    def _check_spins(self, configuration: ArrayLike) -> NDArray[np.int64]:
        c = self._config(configuration)
        if np.any(np.abs(c) != 1):
            raise InvalidInputError("`configuration` of an Ising model must hold only +1 and -1.")
        return c


@dataclass(frozen=True)
class PottsModel(_Lattice):
    r"""q-state Potts model :math:`H = -J \sum_{\langle ij\rangle} \delta_{\sigma_i\sigma_j}
    - h \sum_i \delta_{\sigma_i 0}` on a periodic lattice.

    Parameters
    ----------
    shape : tuple of int
        Side lengths, 1 to 3 of them, each >= 2.
    q : int, default 3
        Number of states per site, >= 2 (at most 127).
    coupling : float, default 1
        :math:`J`.
    field : float, default 0
        :math:`h`, favouring state 0.

    Raises
    ------
    InvalidInputError
        If ``q`` is not an int in [2, 127], or as for :class:`IsingModel`.

    Examples
    --------
    >>> import numpy as np, maxent
    >>> model = maxent.PottsModel((3, 3), q=3)
    >>> float(model.energy(np.zeros((3, 3), dtype=np.int8)))
    -18.0
    """

    q: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        q = self.q
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 2 <= q <= 127:
            raise InvalidInputError(f"`q` must be an int in [2, 127]; got {q!r}.")
        object.__setattr__(self, "q", int(q))

    @property
    def ground_energy(self) -> float:
        """Lowest energy with ``coupling > 0`` and ``field >= 0``: :math:`-J d N - h N`."""
        return -self.coupling * self.n_bonds - max(self.field, 0.0) * self.n_sites

    def energy(self, configuration: ArrayLike) -> NDArray[np.float64]:
        """Energy of a configuration (or of a batch, the lattice axes last) of states."""
        c = self._check_states(configuration)
        axes = tuple(range(c.ndim - len(self.shape), c.ndim))
        n0 = (c == 0).sum(axis=axes)
        return -self.coupling * self._bond_sum(c, True) - self.field * n0

    def magnetization(self, configuration: ArrayLike) -> NDArray[np.float64]:
        r""":math:`M = \sum_i (q\,\delta_{\sigma_i 0} - 1) / (q - 1)` of a configuration."""
        c = self._check_states(configuration)
        axes = tuple(range(c.ndim - len(self.shape), c.ndim))
        n0 = (c == 0).sum(axis=axes)
        return (self.q * n0 - self.n_sites) / (self.q - 1.0)

    def random_configuration(self, rng: np.random.Generator) -> NDArray[np.int8]:
        """A configuration of independent, uniformly distributed states (T = inf)."""
        return rng.integers(0, self.q, size=self.shape).astype(np.int8)

    def _check_states(self, configuration: ArrayLike) -> NDArray[np.int64]:
        c = self._config(configuration)
        if np.any((c < 0) | (c >= self.q)):
            raise InvalidInputError(
                f"`configuration` of a {self.q}-state Potts model must hold states 0 .. "
                f"{self.q - 1}."
            )
        return c


def is_spin_model(model: object) -> bool:
    """Whether ``model`` is one of the lattice models of this module."""
    return isinstance(model, (IsingModel, PottsModel))
