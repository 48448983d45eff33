r"""Classical spin models on any lattice geometry: Ising and q-state Potts.

A model is a value: its geometry (a :class:`~maxent.geometry.Lattice`, or a shape tuple
for the periodic chain, square or cubic lattice), its coupling and its field.  It
evaluates *configurations*, integer arrays of the lattice's ``shape`` (``(n_sites,)``
for a general graph):

- :class:`IsingModel`: spins :math:`s_i = \pm 1`,
  :math:`H = -J \sum_{\langle ij\rangle} s_i s_j - h \sum_i s_i`,
  magnetisation :math:`M = \sum_i s_i`.
- :class:`PottsModel`: states :math:`\sigma_i \in \{0, \dots, q-1\}`,
  :math:`H = -J \sum_{\langle ij\rangle} \delta_{\sigma_i \sigma_j}
  - h \sum_i \delta_{\sigma_i 0}`, magnetisation
  :math:`M = \sum_i (q\,\delta_{\sigma_i 0} - 1)/(q - 1)` (for q = 2 this is the Ising
  magnetisation with state 0 as spin up).

Both reduce to one form that the samplers, Wang-Landau and exact enumeration use
without asking which model they have: states 0 ... q - 1 and
:math:`H = -J_P \sum \delta_{\sigma_i\sigma_j} - h_P \sum \delta_{\sigma_i 0} + c`
(:attr:`potts_form`; for Ising :math:`J_P = 2J`, :math:`h_P = 2h`, spin +1 = state 0).

The geometries (:func:`square`, :func:`triangular`, :func:`honeycomb`, :func:`cubic`,
:func:`chain`, :func:`graph`) are defined in :mod:`maxent.geometry` and reachable here.
A shape tuple ``(L,)``, ``(L, M)`` or ``(L, M, N)`` means the periodic hypercubic
lattice with bonds (site, next site along each axis), so on a side of length 2 a pair of
neighbours is joined twice, as in :func:`maxent.models.ising_2d`.  Energies are
dimensionless (use with k_B = 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import dimensionless_real, integer
from .errors import InvalidInputError
from .geometry import Lattice, chain, cubic, graph, honeycomb, hypercubic, square, triangular

__all__ = [
    "IsingModel",
    "Lattice",
    "PottsForm",
    "PottsModel",
    "chain",
    "cubic",
    "graph",
    "honeycomb",
    "square",
    "triangular",
]


def _check_shape(shape: object) -> tuple[int, ...]:
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
    return tuple(int(n) for n in dims)


def as_lattice(value: object) -> Lattice:
    """A :class:`Lattice` from a lattice or a shape tuple (the periodic hypercubic one).

    Raises
    ------
    InvalidInputError
        For a bare int (ambiguous: a ring or a square?) or anything else.
    """
    if isinstance(value, Lattice):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        raise InvalidInputError(
            f"`lattice` must be a geometry (maxent.lattice.square(L), chain(N), ...) or a "
            f"shape tuple; got the int {value!r}, which could mean a ring or a square: write "
            f"maxent.lattice.chain({value}) or maxent.lattice.square({value}) (or the tuple "
            f"({value},) or ({value}, {value}))."
        )
    return hypercubic(_check_shape(value))


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


class PottsForm(NamedTuple):
    r"""A model as q states with :math:`H = -J \sum \delta - h \sum \delta_{\sigma 0} + c`."""

    q: int
    coupling: float
    field: float
    offset: float


@dataclass(frozen=True)
class _SpinModel:
    lattice: Lattice
    coupling: float = 1.0
    field: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "lattice", as_lattice(self.lattice))
        object.__setattr__(self, "coupling", dimensionless_real(self.coupling, "coupling"))
        object.__setattr__(self, "field", dimensionless_real(self.field, "field"))

    if TYPE_CHECKING:
        q: int = 2  # a class attribute of IsingModel, a field of PottsModel

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of a configuration (the lattice's ``shape``, or ``(n_sites,)``)."""
        return self.lattice.site_shape

    @property
    def dimension(self) -> int:
        """Number of axes of a configuration (the lattice dimension where it has one)."""
        return self.lattice.dimension or 1

    @property
    def n_sites(self) -> int:
        """Number of sites ``N``."""
        return self.lattice.n_sites

    @property
    def n_bonds(self) -> int:
        """Number of bonds."""
        return self.lattice.n_bonds

    @property
    def neighbours(self) -> NDArray[np.int64]:
        """The lattice's neighbour table (:attr:`Lattice.neighbors`)."""
        return self.lattice.neighbors

    @property
    def potts_form(self) -> PottsForm:
        """The model as q states with Potts couplings (what every sampler works with)."""
        raise NotImplementedError

    def energy_changes(self) -> NDArray[np.float64]:
        """Energy change of moving one site from state ``old`` to ``new``, tabulated as
        ``table[f, d]`` with ``f = [new == 0] - [old == 0] + 1`` and ``d`` = (neighbours
        in ``new``) - (neighbours in ``old``) + z_max."""
        q, jp, hp, _ = self.potts_form
        z = self.lattice.neighbors.shape[1]
        f = (np.arange(3) - 1.0)[:, None]
        d = (np.arange(2 * z + 1) - z)[None, :]
        return -jp * d - hp * f

    def ordered_states(self) -> NDArray[np.int8]:
        """A low-energy start in the states of :attr:`potts_form` (the cold start of the
        samplers): all in the favoured state for J >= 0, the lattice colouring (mod q) for
        J < 0, which is a ground state of bipartite antiferromagnets."""
        q, jp, hp, _ = self.potts_form
        if jp >= 0:
            fill = 0 if hp >= 0 else 1
            return np.full(self.n_sites, fill, dtype=np.int8)
        return (self.lattice.colors % q).astype(np.int8)

    def energy(self, configuration: ArrayLike) -> NDArray[np.float64]:
        """Energy of a configuration (or of a batch, the lattice axes last)."""
        return self.states_energy(self.to_states(configuration))

    def magnetization(self, configuration: ArrayLike) -> NDArray[np.float64]:
        """Magnetisation of a configuration (or of a batch)."""
        s = self.to_states(configuration)
        return self.magnetization_from_count((s == 0).sum(axis=-1))

    def states_energy(self, states: NDArray[np.int8]) -> NDArray[np.float64]:
        """Energy of flat states (..., n_sites) of :attr:`potts_form`."""
        _, jp, hp, offset = self.potts_form
        b = self.lattice.bonds
        satisfied = (states[..., b[:, 0]] == states[..., b[:, 1]]).sum(axis=-1)
        n0 = (states == 0).sum(axis=-1)
        return np.asarray(-jp * satisfied - hp * n0 + offset, dtype=np.float64)

    def magnetization_from_count(self, n0: ArrayLike) -> NDArray[np.float64]:
        """Magnetisation from the number of sites in state 0 (spin up)."""
        return np.asarray((self.q * np.asarray(n0) - self.n_sites) / (self.q - 1.0))

    def random_configuration(self, rng: np.random.Generator) -> NDArray[np.int8]:
        """A configuration of independent, uniformly distributed states (T = inf)."""
        states = rng.integers(0, self.q, size=self.n_sites).astype(np.int8)
        return self.from_states(states)

    def to_states(self, configuration: ArrayLike, name: str = "configuration") -> NDArray[np.int8]:
        """Flat states (..., n_sites) of :attr:`potts_form` of a checked configuration."""
        raise NotImplementedError

    def from_states(self, states: NDArray[np.int8]) -> NDArray[np.int8]:
        """The configuration (lattice shape) of flat states of :attr:`potts_form`."""
        raise NotImplementedError

    def _config(self, configuration: ArrayLike, name: str) -> NDArray[np.int64]:
        c = np.asarray(configuration)
        shape = self.shape
        if c.ndim < len(shape) or c.shape[c.ndim - len(shape) :] != shape:
            raise InvalidInputError(
                f"`{name}` must end with the lattice shape {shape}; got an array of "
                f"shape {c.shape}."
            )
        if not np.issubdtype(c.dtype, np.integer):
            if c.dtype == object or not np.issubdtype(c.dtype, np.number):
                raise InvalidInputError(f"`{name}` must hold integers; got dtype {c.dtype}.")
            if not np.all(np.isfinite(c)) or np.any(c != np.round(c)):
                raise InvalidInputError(f"`{name}` must hold integers.")
        return c.astype(np.int64).reshape(c.shape[: c.ndim - len(shape)] + (self.n_sites,))


@dataclass(frozen=True)
class IsingModel(_SpinModel):
    r"""Ising model :math:`H = -J \sum_{\langle ij\rangle} s_i s_j - h \sum_i s_i`.

    Parameters
    ----------
    lattice : Lattice or tuple of int
        The geometry (:func:`maxent.lattice.square`, ``triangular``, ``honeycomb``,
        ``cubic``, ``chain``, ``graph``), or side lengths (1 to 3, each >= 2) of the
        periodic chain, square or cubic lattice.  A bare int is refused (ring or square?).
    coupling : float, default 1
        :math:`J` (> 0 ferromagnetic, < 0 antiferromagnetic).
    field : float, default 0
        :math:`h`.

    Raises
    ------
    InvalidInputError
        If ``lattice`` is not a geometry or a shape, or ``coupling``/``field`` is not a
        finite number (a Quantity must be dimensionless: energies here have no unit).

    Examples
    --------
    >>> import numpy as np, maxent
    >>> model = maxent.IsingModel((4, 4))
    >>> up = np.ones((4, 4), dtype=np.int8)
    >>> float(model.energy(up)), float(model.magnetization(up))
    (-32.0, 16.0)
    >>> tri = maxent.IsingModel(maxent.lattice.triangular(3, 3), coupling=-1.0)
    >>> float(tri.energy(np.ones((3, 3))))
    27.0
    """

    q = 2

    def __init__(
        self, lattice: Lattice | tuple[int, ...], coupling: float = 1.0, field: float = 0.0
    ) -> None:
        object.__setattr__(self, "lattice", lattice)
        object.__setattr__(self, "coupling", coupling)
        object.__setattr__(self, "field", field)
        self.__post_init__()

    @property
    def ground_energy(self) -> float:
        """A lower bound of the energy, :math:`-|J| n_b - |h| N` (the ground energy of
        ferromagnets and of bipartite antiferromagnets in zero field)."""
        return -abs(self.coupling) * self.n_bonds - abs(self.field) * self.n_sites

    @property
    def potts_form(self) -> PottsForm:
        """q = 2, :math:`J_P = 2J`, :math:`h_P = 2h`, :math:`c = J n_b + h N`."""
        j, h = self.coupling, self.field
        return PottsForm(2, 2.0 * j, 2.0 * h, j * self.n_bonds + h * self.n_sites)

    def to_states(self, configuration: ArrayLike, name: str = "configuration") -> NDArray[np.int8]:
        c = self._config(configuration, name)
        if np.any(np.abs(c) != 1):
            raise InvalidInputError(f"`{name}` of an Ising model must hold only +1 and -1.")
        return ((1 - c) // 2).astype(np.int8)

    def from_states(self, states: NDArray[np.int8]) -> NDArray[np.int8]:
        s = np.asarray(states, dtype=np.int8)
        return (1 - 2 * s).astype(np.int8).reshape(s.shape[:-1] + self.shape)


@dataclass(frozen=True)
class PottsModel(_SpinModel):
    r"""q-state Potts model :math:`H = -J \sum_{\langle ij\rangle} \delta_{\sigma_i\sigma_j}
    - h \sum_i \delta_{\sigma_i 0}`.

    Parameters
    ----------
    lattice : Lattice or tuple of int
        As for :class:`IsingModel`.
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

    def __init__(
        self, lattice: Lattice | tuple[int, ...], q: int = 3, coupling: float = 1.0,
        field: float = 0.0,
    ) -> None:  # fmt: skip
        object.__setattr__(self, "lattice", lattice)
        object.__setattr__(self, "q", q)
        object.__setattr__(self, "coupling", coupling)
        object.__setattr__(self, "field", field)
        self.__post_init__()

    def __post_init__(self) -> None:
        super().__post_init__()
        q = self.q
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)):
            raise InvalidInputError(f"`q` must be an int in [2, 127]; got {q!r}.")
        object.__setattr__(self, "q", integer(q, "q", minimum=2, maximum=127))

    @property
    def ground_energy(self) -> float:
        """Lowest energy with ``coupling > 0`` and ``field >= 0``: :math:`-J n_b - h N`."""
        return -self.coupling * self.n_bonds - max(self.field, 0.0) * self.n_sites

    @property
    def potts_form(self) -> PottsForm:
        """The model itself: :math:`J_P = J`, :math:`h_P = h`, :math:`c = 0`."""
        return PottsForm(self.q, self.coupling, self.field, 0.0)

    def to_states(self, configuration: ArrayLike, name: str = "configuration") -> NDArray[np.int8]:
        c = self._config(configuration, name)
        if np.any((c < 0) | (c >= self.q)):
            raise InvalidInputError(
                f"`{name}` of a {self.q}-state Potts model must hold states 0 .. {self.q - 1}."
            )
        return c.astype(np.int8)

    def from_states(self, states: NDArray[np.int8]) -> NDArray[np.int8]:
        s = np.asarray(states, dtype=np.int8)
        return s.reshape(s.shape[:-1] + self.shape).copy()


def is_spin_model(model: object) -> bool:
    """Whether ``model`` is a lattice spin model (has a geometry and a Potts form)."""
    return isinstance(model, _SpinModel)
