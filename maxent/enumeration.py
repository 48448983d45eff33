r"""Exact spectra of small lattice models by enumerating every configuration.

:func:`lattice_spectrum` visits all :math:`q^N` configurations of an Ising or Potts
model on any geometry in compiled code and counts them by (satisfied bonds, sites in
state 0), which fixes the energy; the result is an :class:`~maxent.EnergyLevels`, the
exact reference against which the samplers are tested.
"""

from __future__ import annotations

import numpy as np

from . import _spin_kernels as kern
from ._checks import integer
from .errors import InvalidInputError
from .levels import EnergyLevels

__all__ = ["MAX_ENUMERATED_STATES", "lattice_spectrum"]

#: Most configurations :func:`lattice_spectrum` enumerates by default (about a minute).
MAX_ENUMERATED_STATES = 2**32

_CHUNK = 1 << 22  # configurations per compiled call (Ctrl-C is honoured between calls)


def lattice_spectrum(
    model: object, *, max_states: int = MAX_ENUMERATED_STATES, progress: bool | None = None
) -> EnergyLevels:
    r"""Exact energy levels of a lattice model, by enumerating all :math:`q^N` states.

    Parameters
    ----------
    model : IsingModel or PottsModel
        On any geometry, with any coupling and field.
    max_states : int, default 2**32
        Refuse models with more configurations than this.
    progress : bool, optional
        Show a progress bar (default: from 2^28 configurations on).

    Returns
    -------
    EnergyLevels
        The distinct energies (increasing) and the number of configurations at each,
        summing to :math:`q^N` (exact integers below :math:`2^{53}`).

    Raises
    ------
    InvalidInputError
        If ``model`` is not a lattice model or has more than ``max_states``
        configurations.

    Notes
    -----
    The configurations are visited in odometer order: each step changes about
    :math:`q/(q-1)` sites and updates the counts from their neighbours, about 1-2 ns per
    configuration on a square lattice (2^30 states in a few seconds).  Memory is
    independent of the number of states.  Energies that coincide in floating point
    (for example with ``field = 0``) are merged into one level.

    Examples
    --------
    >>> import maxent
    >>> lv = maxent.models.lattice_spectrum(maxent.IsingModel((2, 2)))
    >>> lv.energies, lv.degeneracy
    (array([-8.,  0.,  8.]), array([ 2., 12.,  2.]))
    >>> ring = maxent.models.lattice_spectrum(maxent.PottsModel(maxent.lattice.chain(3), q=3))
    >>> ring.energies, ring.degeneracy
    (array([-3., -1.,  0.]), array([ 3., 18.,  6.]))
    """
    from .lattice import is_spin_model

    if not is_spin_model(model):
        raise InvalidInputError(
            f"`model` must be a maxent.IsingModel or maxent.PottsModel; got "
            f"{type(model).__name__}."
        )
    limit = integer(max_states, "max_states", minimum=1)
    q, jp, hp, offset = model.potts_form  # type: ignore[attr-defined]
    lattice = model.lattice  # type: ignore[attr-defined]
    n = lattice.n_sites
    total = q**n
    if total > limit:
        raise InvalidInputError(
            f"`model` has {q}^{n} = {float(total):.3g} configurations, more than "
            f"`max_states` = {limit}; enumerate a smaller lattice (or sample it)."
        )
    hist = np.zeros((lattice.n_bonds + 1, n + 1), dtype=np.int64)
    from tqdm.auto import tqdm

    show = total >= 2**28 if progress is None else bool(progress)
    with tqdm(total=total, desc="enumeration", disable=not show, leave=False) as bar:
        for start in range(0, total, _CHUNK):
            count = min(_CHUNK, total - start)
            kern.spectrum_counts(lattice.neighbors, q, start, count, hist)
            bar.update(count)
    sat, n0 = np.nonzero(hist)
    energies = -jp * sat - hp * n0 + offset
    levels, where = np.unique(energies, return_inverse=True)
    counts = np.zeros(levels.size)
    np.add.at(counts, where, hist[sat, n0].astype(np.float64))
    return EnergyLevels(levels, degeneracy=counts, name=f"exact spectrum, {model!r}")
