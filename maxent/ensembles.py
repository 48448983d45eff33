r"""Canonical and grand-canonical ensembles, and the softmax of neural networks.

The canonical distribution over levels ``l`` with energies :math:`E_l` and degeneracies
:math:`g_l` is the maximum-entropy distribution with a given mean energy,

.. math:: p_l = g_l e^{-\beta E_l} / Z, \qquad Z = \sum_l g_l e^{-\beta E_l},

with :math:`\beta = 1/k_B T` the Lagrange multiplier of the energy constraint.  Given
:math:`T` or :math:`\beta` it is computed directly by a log-sum-exp over
:math:`\ln g_l - \beta (E_l - E_\mathrm{ref})` (never by an iterative solver); given the
internal energy :math:`U`, :func:`maxent.solve` finds :math:`\beta`.

Exact limits are named branches: :math:`\beta = 0` (:math:`T = \infty`, p ∝ g),
:math:`\beta = +\infty` (:math:`T = 0`, the ground level) and :math:`\beta = -\infty`
(:math:`T = 0^-`, the top level); finite negative :math:`\beta` is the negative-temperature
ensemble of the (always bounded) finite spectrum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import as_float_array, first_bad_index
from ._logspace import entropy_from_log_p, log_normalize, log_sum_exp
from ._summary import summary_repr
from ._units import UnitSystem, resolve_units
from .errors import InfeasibleTargetsError, InvalidInputError
from .levels import EnergyLevels, as_levels

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "CanonicalResult",
    "GrandCanonicalResult",
    "canonical",
    "grand_canonical",
    "softmax",
]

#: Largest number of matrix entries (temperatures x levels) held at once.
_MAX_CHUNK_ELEMENTS = 2**18


# ---------------------------------------------------------------------------- kernel
def _boltzmann(energies: NDArray[np.float64], log_g: NDArray[np.float64],
               beta: NDArray[np.float64], p_out: NDArray[np.float64] | None = None,
               max_elements: int = _MAX_CHUNK_ELEMENTS) -> dict[str, NDArray[np.float64]]:
    """Canonical thermodynamics for every ``beta`` (vectorised, chunked over beta).

    Returns a dict of arrays of shape ``beta.shape``: ``log_Z``, ``internal_energy``,
    ``entropy`` (k_B), ``heat_capacity`` (k_B), ``free_energy`` and ``p`` of shape
    ``(n_beta, n_levels)`` (written into ``p_out`` if given).  Energies are measured from
    ``E_ref`` (the ground energy for beta >= 0, the top energy for beta < 0) so that
    ``S = beta (U - E_ref) + ln Z_ref`` suffers no cancellation at large ``|beta| E``.
    """
    beta = np.asarray(beta, dtype=np.float64).reshape(-1)
    n_t, n = beta.size, energies.size
    p = np.empty((n_t, n)) if p_out is None else p_out
    out = {k: np.empty(n_t) for k in
           ("log_Z", "internal_energy", "entropy", "heat_capacity", "free_energy")}
    e_min, e_max = float(np.min(energies)), float(np.max(energies))
    rows = max(1, max_elements // n)

    # finite beta, in two groups that share a reference energy
    for mask, e_ref in ((np.isfinite(beta) & (beta >= 0), e_min),
                        (np.isfinite(beta) & (beta < 0), e_max)):
        idx = np.flatnonzero(mask)
        es = energies - e_ref
        es2 = es * es
        shift = float(log_g[np.argmin(np.abs(es))])
        log_g_shifted = log_g - shift
        fixed_shift = bool(np.max(log_g_shifted) < 600.0)
        for start in range(0, idx.size, rows):
            ii = idx[start:start + rows]
            contiguous = ii[-1] - ii[0] + 1 == ii.size
            b = beta[ii]
            a = p[ii[0]:ii[-1] + 1] if contiguous else np.empty((ii.size, n))
            # One fused log-sum-exp per row, a single exp pass.  The shift is the
            # log-weight of the reference level, log g_ref, the same for every beta of
            # the group: then every weight is <= g_max / g_ref (no overflow) and the
            # reference level contributes exactly 1 to Z (no underflow of Z).  If the
            # degeneracies span more than e^600, fall back to the row maximum.
            with np.errstate(over="ignore"):     # overflow only to -inf: zero weight
                np.multiply.outer(-b, es, out=a)
                a += log_g_shifted
            if fixed_shift:
                m = np.full(ii.size, shift)
            else:
                m = a.max(axis=1)
                a -= m[:, None]
                m += shift
            np.exp(a, out=a)
            z = a.sum(axis=1)
            a *= (1.0 / z)[:, None]              # p, normalised
            lz = m + np.log(z)                   # ln sum_l g_l exp(-beta (E_l - E_ref))
            u = a @ es                           # U - E_ref
            var = a @ es2 - u * u
            # exact two-pass variance where the one-pass form could lose digits
            redo = ~(var > 1e-3 * u * u)
            if np.any(redo):
                d = es[None, :] - u[redo, None]
                var[redo] = np.einsum("ij,ij->i", a[redo], d * d)
            if not contiguous:
                p[ii] = a
            with np.errstate(over="ignore"):     # ln Z beyond the float range is +-inf
                out["log_Z"][ii] = lz - b * e_ref
            out["internal_energy"][ii] = u + e_ref
            out["entropy"][ii] = b * u + lz
            out["heat_capacity"][ii] = np.square(b * np.sqrt(var))   # no overflow of b^2
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                f = e_ref - lz / b
            # beta = 0 (T = +-inf): F = -T ln Z is +-inf, or U when ln Z = 0
            zero = b == 0
            minus_t = np.where(np.signbit(b), 1.0, -1.0)     # sign of -T at T = +-inf
            f[zero & (lz > 0)] = (minus_t * np.inf)[zero & (lz > 0)]
            f[zero & (lz < 0)] = (-minus_t * np.inf)[zero & (lz < 0)]
            same = zero & (lz == 0)
            f[same] = u[same] + e_ref
            out["free_energy"][ii] = f

    # beta = +inf (T = 0: ground level) and beta = -inf (T = 0^-: top level)
    for sign, e_ref in ((1.0, e_min), (-1.0, e_max)):
        ii = np.flatnonzero(beta == sign * np.inf)
        if ii.size == 0:
            continue
        on = energies == e_ref
        g = np.where(on, np.exp(log_g), 0.0)
        g0 = g.sum()
        p[ii] = g / g0
        log_g0 = np.log(g0)
        out["log_Z"][ii] = log_g0 if e_ref == 0 else -sign * np.inf * np.sign(e_ref)
        out["internal_energy"][ii] = e_ref
        out["entropy"][ii] = log_g0
        out["heat_capacity"][ii] = 0.0
        out["free_energy"][ii] = e_ref
    out["p"] = p
    return out


def _temperature_from_beta(beta: NDArray[np.float64] | float, k_b: float) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", over="ignore"):
        return 1.0 / (k_b * np.asarray(beta, dtype=np.float64))


def _beta_from_temperature(temperature: NDArray[np.float64] | float,
                           k_b: float) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", over="ignore"):
        return 1.0 / (k_b * np.asarray(temperature, dtype=np.float64))


def _scalar(value: object, name: str) -> float:
    arr = as_float_array(value, name, ndim=0)
    if np.isnan(arr):
        raise InvalidInputError(f"`{name}` must be a number; got nan.")
    return float(arr)


# ---------------------------------------------------------------------------- canonical
@dataclass(frozen=True)
class CanonicalResult:
    r"""A canonical (Boltzmann) ensemble at one temperature.

    Attributes
    ----------
    beta : float
        :math:`\beta = 1/k_B T` (``inf`` at T = 0, ``-inf`` at T = 0⁻, 0 at T = ∞).
    temperature : float
        :math:`T` in the unit system's temperature unit (``-0.0`` for β = -∞).
    p : ndarray, shape (n_levels,)
        Population of each level, :math:`g_l e^{-\beta E_l}/Z` (sums to 1).
    energies, degeneracy : ndarray, shape (n_levels,)
        The levels.
    log_Z : float
        :math:`\ln Z` with :math:`Z = \sum_l g_l e^{-\beta E_l}` (not normalised).
    free_energy : float
        :math:`F = -k_B T \ln Z` (the limit :math:`E_{\min}` at T = 0).
    internal_energy : float
        :math:`U = \langle E \rangle`.
    entropy : float
        :math:`S/k_B = -\sum_l p_l \ln(p_l/g_l) = \beta (U - F)`.
    heat_capacity : float
        :math:`C/k_B = \beta^2 \mathrm{Var}(E)` (0 at T = 0 and T = ∞).
    energy_unit, temperature_unit : str
        Units of energies and temperature.
    boltzmann_constant : float
        :math:`k_B` in energy unit per temperature unit (1 for natural units).
    """

    beta: float
    temperature: float
    p: NDArray[np.float64]
    energies: NDArray[np.float64]
    degeneracy: NDArray[np.float64]
    log_Z: float
    free_energy: float
    internal_energy: float
    entropy: float
    heat_capacity: float
    energy_unit: str
    temperature_unit: str
    boltzmann_constant: float

    def __repr__(self) -> str:
        return summary_repr(self)

    def to_xarray(self) -> xr.Dataset:
        """The ensemble as a one-temperature sweep Dataset (see :func:`temperature_sweep`)."""
        from .sweep import _sweep_dataset

        labels = tuple(str(i) for i in range(self.p.size))
        return _sweep_dataset(
            EnergyLevels(self.energies, self.degeneracy, labels, unit=self.energy_unit),
            _units_of(self),
            np.array([self.temperature]), np.array([self.beta]),
            {"p": self.p[None, :], **{k: np.array([getattr(self, k)]) for k in
                                      ("log_Z", "free_energy", "internal_energy",
                                       "entropy", "heat_capacity")}},
            ensemble="canonical")


def _units_of(res: CanonicalResult | GrandCanonicalResult) -> UnitSystem:
    if res.temperature_unit == "K":
        return resolve_units(res.energy_unit, res.energy_unit)
    return resolve_units("natural", res.energy_unit)


def _check_internal_energy(lv: EnergyLevels | NDArray[np.float64], u: float,
                           name: str = "internal_energy") -> None:
    e = lv.energies if isinstance(lv, EnergyLevels) else lv
    lo, hi = float(np.min(e)), float(np.max(e))
    if not lo <= u <= hi:
        raise InfeasibleTargetsError(
            f"`{name}` = {u!r} is outside [{lo!r}, {hi!r}], the range of the level "
            "energies; no distribution over the levels has that mean."
        )


def _solve_beta(lv: EnergyLevels, u: float, tol: float) -> float:
    """beta such that <E> = u, by maxent.solve with the energies as the one feature."""
    _check_internal_energy(lv, u)
    e = lv.energies
    lo, hi = float(np.min(e)), float(np.max(e))
    if lo == hi:
        return 0.0
    if u == lo:
        return np.inf
    if u == hi:
        return -np.inf
    from .solver import solve

    centre, scale = 0.5 * (lo + hi), 0.5 * (hi - lo)   # well-conditioned feature in [-1, 1]
    res = solve(((e - centre) / scale)[:, None], [(u - centre) / scale], prior=lv.degeneracy,
                tol=tol)
    return float(res.multipliers[0]) / scale


def canonical(levels: EnergyLevels | ArrayLike, *, temperature: float | None = None,
              beta: float | None = None, internal_energy: float | None = None,
              units: str | None = None, tol: float = 1e-13) -> CanonicalResult:
    r"""The canonical (Boltzmann) ensemble over energy levels.

    Give exactly one of ``temperature``, ``beta`` or ``internal_energy``.

    Parameters
    ----------
    levels : EnergyLevels or array_like, shape (n_levels,)
        The levels; a plain array is read as energies of non-degenerate states.
    temperature : float, optional
        :math:`T` (``0``: ground level; ``inf``: :math:`p \propto g`; negative: negative
        temperature).
    beta : float, optional
        :math:`\beta = 1/k_B T` (``inf``, ``-inf`` and 0 allowed).
    internal_energy : float, optional
        Target :math:`U = \langle E \rangle`; :math:`\beta` is found by
        :func:`maxent.solve` with the energies as feature and the degeneracies as prior.
        :math:`U` above the infinite-temperature mean gives a negative temperature;
        :math:`U = E_{\min}` gives T = 0 and :math:`U = E_{\max}` gives T = 0⁻.
    units : str, optional
        Unit system: ``"natural"`` (:math:`k_B = 1`) or ``"eV"``, ``"J"``, ``"cm-1"``,
        ``"K"`` (energies in that unit, T in kelvin).  Default: the levels' unit if it is
        a named one, else natural.
    tol : float, default 1e-13
        Used with ``internal_energy`` only: the stopping rule of :func:`maxent.solve`
        (moment error relative to the energy spread).  Targets closer than that to
        :math:`E_{\min}` or :math:`E_{\max}` are treated as on the edge (T = 0 or 0⁻).

    Returns
    -------
    CanonicalResult

    Raises
    ------
    InvalidInputError
        If not exactly one of ``temperature``, ``beta``, ``internal_energy`` is given, it
        is NaN, or ``levels`` is invalid.
    InfeasibleTargetsError
        If ``internal_energy`` lies outside :math:`[E_{\min}, E_{\max}]`.

    Notes
    -----
    Computed in log space, so nothing overflows for any :math:`\beta E` (e.g.
    :math:`E = 10^5` at :math:`T = 10^{-3}`).  With degenerate levels
    :math:`S = -\sum_l p_l \ln(p_l/g_l)`; at T = 0 the entropy is
    :math:`\ln g_0` (ground-level degeneracy).

    Examples
    --------
    >>> import maxent
    >>> ens = maxent.canonical([0.0, 1.0], temperature=float("inf"))
    >>> ens.p, float(ens.log_Z)
    (array([0.5, 0.5]), 0.6931471805599453)
    >>> maxent.canonical([0.0, 1.0, 1.0], temperature=0.0).p
    array([1., 0., 0.])
    """
    lv = as_levels(levels)
    us = resolve_units(units, lv.unit)
    given = [n for n, v in (("temperature", temperature), ("beta", beta),
                            ("internal_energy", internal_energy)) if v is not None]
    if len(given) != 1:
        raise InvalidInputError(
            "give exactly one of `temperature`, `beta`, `internal_energy`; "
            f"got {given or 'none'}."
        )
    if temperature is not None:
        b = float(_beta_from_temperature(_scalar(temperature, "temperature"),
                                         us.boltzmann_constant))
    elif beta is not None:
        b = _scalar(beta, "beta")
    else:
        b = _solve_beta(lv, _scalar(internal_energy, "internal_energy"), tol)
    t = float(_temperature_from_beta(b, us.boltzmann_constant))
    th = _boltzmann(lv.energies, lv.log_degeneracy, np.array([b]))
    return CanonicalResult(
        beta=b, temperature=t, p=th["p"][0], energies=lv.energies,
        degeneracy=lv.degeneracy, log_Z=float(th["log_Z"][0]),
        free_energy=float(th["free_energy"][0]),
        internal_energy=float(th["internal_energy"][0]), entropy=float(th["entropy"][0]),
        heat_capacity=float(th["heat_capacity"][0]), energy_unit=us.energy_unit,
        temperature_unit=us.temperature_unit, boltzmann_constant=us.boltzmann_constant)


# ---------------------------------------------------------------------------- grand
@dataclass(frozen=True)
class GrandCanonicalResult:
    r"""A grand-canonical ensemble at one temperature and chemical potential.

    Attributes
    ----------
    beta, temperature : float
        :math:`\beta = 1/k_B T` and :math:`T`.
    chemical_potential : float
        :math:`\mu` (NaN if the targets sit on a boundary that leaves it undetermined).
    p : ndarray, shape (n_states,)
        :math:`p_i = g_i e^{-\beta (E_i - \mu N_i)} / \Xi`.
    energies, particle_numbers, degeneracy : ndarray, shape (n_states,)
        The states.
    log_Z : float
        :math:`\ln \Xi`, the grand partition function.
    grand_potential : float
        :math:`\Omega = -k_B T \ln \Xi = U - TS - \mu \langle N \rangle`.
    internal_energy : float
        :math:`U = \langle E \rangle`.
    particle_number : float
        :math:`\langle N \rangle`.
    particle_number_variance : float
        :math:`\mathrm{Var}(N) = k_B T\, \partial \langle N \rangle / \partial \mu`.
    entropy : float
        :math:`S/k_B = -\sum_i p_i \ln(p_i/g_i)`.
    energy_unit, temperature_unit : str
        Units.
    boltzmann_constant : float
        :math:`k_B` in energy unit per temperature unit.
    """

    beta: float
    temperature: float
    chemical_potential: float
    p: NDArray[np.float64]
    energies: NDArray[np.float64]
    particle_numbers: NDArray[np.float64]
    degeneracy: NDArray[np.float64]
    log_Z: float
    grand_potential: float
    internal_energy: float
    particle_number: float
    particle_number_variance: float
    entropy: float
    energy_unit: str
    temperature_unit: str
    boltzmann_constant: float

    def __repr__(self) -> str:
        return summary_repr(self)

    def to_xarray(self) -> xr.Dataset:
        """The ensemble as a Dataset with dim ``state``; attrs are netCDF-safe."""
        import xarray as xr

        from . import __version__

        eu, tu = self.energy_unit, self.temperature_unit
        scalars = {
            "log_Z": (self.log_Z, "log grand partition function ln Xi", "1"),
            "grand_potential": (self.grand_potential, "grand potential -kT ln Xi", eu),
            "internal_energy": (self.internal_energy, "internal energy <E>", eu),
            "particle_number": (self.particle_number, "mean particle number <N>", "1"),
            "particle_number_variance": (self.particle_number_variance,
                                         "particle number variance Var(N)", "1"),
            "entropy": (self.entropy, "entropy S", "k_B"),
            "temperature": (self.temperature, "temperature T", tu),
            "beta": (self.beta, "inverse temperature beta = 1/(k_B T)",
                     "1" if eu == "1" else f"1/{eu}"),
            "chemical_potential": (self.chemical_potential, "chemical potential mu", eu),
        }
        data = {k: ((), v, {"long_name": n, "units": u}) for k, (v, n, u) in scalars.items()}
        data["probability"] = ("state", self.p, {"long_name": "state probability",
                                                 "units": "1"})
        return xr.Dataset(
            data,
            coords={
                "state": ("state", np.arange(self.p.size),
                          {"long_name": "state index", "units": "1"}),
                "energy": ("state", self.energies, {"long_name": "state energy E",
                                                    "units": eu}),
                "particle_number_of_state": ("state", self.particle_numbers,
                                             {"long_name": "particle number N of state",
                                              "units": "1"}),
                "degeneracy": ("state", self.degeneracy,
                               {"long_name": "degeneracy g", "units": "1"}),
            },
            attrs={"maxent_version": __version__, "ensemble": "grand canonical",
                   "energy_unit": eu, "temperature_unit": tu,
                   "boltzmann_constant": float(self.boltzmann_constant)},
        )


def grand_canonical(energies: ArrayLike, particle_numbers: ArrayLike, *,
                    degeneracy: ArrayLike | None = None, temperature: float | None = None,
                    beta: float | None = None, chemical_potential: float | None = None,
                    internal_energy: float | None = None,
                    particle_number: float | None = None,
                    units: str | None = None, tol: float = 1e-13) -> GrandCanonicalResult:
    r"""The grand-canonical ensemble over states with energies and particle numbers.

    Either give the temperature (``temperature`` or ``beta``) and ``chemical_potential``,
    or give the targets ``internal_energy`` and ``particle_number``; then the two
    multipliers :math:`\lambda = (\beta, -\beta\mu)` of the constraints on
    :math:`\langle E \rangle` and :math:`\langle N \rangle` are found by
    :func:`maxent.solve`.

    Parameters
    ----------
    energies, particle_numbers : array_like, shape (n_states,)
        :math:`E_i` and :math:`N_i` of each state (finite).
    degeneracy : array_like, shape (n_states,), optional
        :math:`g_i > 0` (default 1).
    temperature, beta : float, optional
        One of them, with ``chemical_potential``.
    chemical_potential : float, optional
        :math:`\mu`, in the energy unit.
    internal_energy, particle_number : float, optional
        Targets :math:`\langle E \rangle` and :math:`\langle N \rangle`, given together.
    units : str, optional
        As for :func:`canonical` (energies in ``"1"`` unless a named system is given).
    tol : float, default 1e-13
        Stopping rule of :func:`maxent.solve` for the targets (as in :func:`canonical`).

    Returns
    -------
    GrandCanonicalResult

    Raises
    ------
    InvalidInputError
        If the inputs are invalid or the wrong combination of options is given.
    InfeasibleTargetsError
        If no distribution over the states has the targets as means (from
        :func:`maxent.solve`).

    Notes
    -----
    :math:`\Xi = \sum_i g_i e^{-\beta(E_i - \mu N_i)}` is the canonical partition function
    of the energies :math:`E_i - \mu N_i`, so the forward problem reuses the canonical
    log-sum-exp (and its β = 0 and β = ±∞ limits).

    Examples
    --------
    >>> import maxent
    >>> gc = maxent.grand_canonical([0.0, 1.0], [0, 1], temperature=1.0,
    ...                             chemical_potential=1.0)
    >>> gc.p, gc.particle_number
    (array([0.5, 0.5]), 0.5)
    """
    us = resolve_units(units, "1")
    e = EnergyLevels(energies, degeneracy).energies
    n = as_float_array(particle_numbers, "particle_numbers", ndim=1)
    if n.shape != e.shape:
        raise InvalidInputError(
            f"`particle_numbers` has {n.size} entries but `energies` has {e.size} "
            "(one per state)."
        )
    if not np.all(np.isfinite(n)):
        idx = first_bad_index(~np.isfinite(n))
        raise InvalidInputError(f"`particle_numbers` must be finite; got {n[idx]} at "
                                f"index {idx}.")
    lv = EnergyLevels(e, degeneracy)
    forward = chemical_potential is not None and (temperature is None) != (beta is None)
    inverse = internal_energy is not None and particle_number is not None
    if forward == inverse or (forward and (internal_energy is not None
                                           or particle_number is not None)) or (
            inverse and (temperature is not None or beta is not None
                         or chemical_potential is not None)):
        raise InvalidInputError(
            "give either (`temperature` or `beta`) with `chemical_potential`, or "
            "`internal_energy` with `particle_number`."
        )
    k_b = us.boltzmann_constant
    if forward:
        mu = _scalar(chemical_potential, "chemical_potential")
        b = (float(_beta_from_temperature(_scalar(temperature, "temperature"), k_b))
             if temperature is not None else _scalar(beta, "beta"))
        th = _boltzmann(e - mu * n, lv.log_degeneracy, np.array([b]))
        p = th["p"][0]
        log_z = float(th["log_Z"][0])
        omega = float(th["free_energy"][0])
        s = float(th["entropy"][0])
    else:
        u = _scalar(internal_energy, "internal_energy")
        nbar = _scalar(particle_number, "particle_number")
        from .solver import solve

        def scaled(x: NDArray[np.float64]) -> tuple[float, float]:
            lo, hi = float(np.min(x)), float(np.max(x))
            return 0.5 * (lo + hi), (0.5 * (hi - lo) or 1.0)

        (ce, se), (cn, sn) = scaled(e), scaled(n)
        res = solve({"internal_energy": (e - ce) / se, "particle_number": (n - cn) / sn},
                    {"internal_energy": (u - ce) / se, "particle_number": (nbar - cn) / sn},
                    prior=lv.degeneracy, tol=tol)
        b = float(res.multipliers[0]) / se
        minus_beta_mu = float(res.multipliers[1]) / sn
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = float(-minus_beta_mu / b) if b != 0 and np.isfinite(b) else np.nan
        if np.isfinite(b) and np.isfinite(minus_beta_mu) and b != 0:
            th = _boltzmann(e - mu * n, lv.log_degeneracy, np.array([b]))
            p = th["p"][0]
            log_z = float(th["log_Z"][0])
            omega = float(th["free_energy"][0])
            s = float(th["entropy"][0])
        else:   # boundary targets or beta = 0: the solver's distribution itself
            p = np.asarray(res.p, dtype=np.float64)
            with np.errstate(divide="ignore"):
                log_p = np.log(p)
            s = float(entropy_from_log_p(p, log_p) + p @ lv.log_degeneracy)
            log_z = float(log_sum_exp(lv.log_degeneracy - b * e - minus_beta_mu * n)) \
                if np.all(np.isfinite([b, minus_beta_mu])) else np.nan
            omega = np.nan
    nbar_reached = float(p @ n)
    return GrandCanonicalResult(
        beta=b, temperature=float(_temperature_from_beta(b, k_b)), chemical_potential=mu,
        p=p, energies=e, particle_numbers=n, degeneracy=lv.degeneracy, log_Z=log_z,
        grand_potential=omega, internal_energy=float(p @ e), particle_number=nbar_reached,
        particle_number_variance=float(p @ (n - nbar_reached) ** 2), entropy=s,
        energy_unit=us.energy_unit, temperature_unit=us.temperature_unit,
        boltzmann_constant=k_b)


# ---------------------------------------------------------------------------- softmax
def softmax(logits: ArrayLike, temperature: float = 1.0, *, axis: int = -1
            ) -> NDArray[np.float64]:
    r"""Softmax of ``logits``: the Boltzmann distribution with energies ``-logits``.

    The classification layer of a neural network,
    :math:`p_i = e^{z_i/T} / \sum_j e^{z_j/T}`, is the canonical ensemble of states with
    energies :math:`E_i = -z_i` at temperature :math:`T` (:math:`k_B = 1`), computed by
    the same log-sum-exp.

    Parameters
    ----------
    logits : array_like
        :math:`z_i`; ``-inf`` marks a state of zero weight (masking).  NaN and ``+inf``
        are not allowed.
    temperature : float, default 1.0
        :math:`T \ge 0`: 0 gives the argmax (ties share equally), ``inf`` the uniform
        distribution over the states of finite logit.
    axis : int, default -1
        The axis over which probabilities sum to 1.

    Returns
    -------
    ndarray
        Probabilities, same shape as ``logits``.

    Raises
    ------
    InvalidInputError
        If ``logits`` has NaN or ``+inf``, every entry along ``axis`` is ``-inf``, or
        ``temperature`` is negative or NaN.

    Examples
    --------
    >>> import maxent
    >>> maxent.softmax([0.0, 0.0])
    array([0.5, 0.5])
    >>> maxent.softmax([1.0, 3.0, 3.0], temperature=0)
    array([0. , 0.5, 0.5])
    """
    z = as_float_array(logits, "logits")
    if z.ndim == 0:
        raise InvalidInputError("`logits` must have at least one dimension; got a scalar.")
    bad = np.isnan(z) | (z == np.inf)
    if np.any(bad):
        idx = first_bad_index(bad)
        raise InvalidInputError(f"`logits` must not be nan or +inf; got {z[idx]} at index "
                                f"{idx}.")
    live = np.isfinite(z)
    if np.any(~np.any(live, axis=axis)):
        raise InvalidInputError(f"`logits` is -inf everywhere along axis {axis} somewhere; "
                                "at least one state needs a finite logit.")
    t = _scalar(temperature, "temperature")
    if t < 0:
        raise InvalidInputError(f"`temperature` must be >= 0; got {t!r}.")
    if t == 0:
        weight = (z == np.max(z, axis=axis, keepdims=True)).astype(np.float64)
    elif t == np.inf:
        weight = live.astype(np.float64)
    else:
        with np.errstate(over="ignore"):         # overflow only to -inf: zero weight
            return log_normalize(z / t, axis=axis)[2]
    return weight / np.sum(weight, axis=axis, keepdims=True)
