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

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._boltzmann import beta_from_temperature, boltzmann, sweep_dataset, temperature_from_beta
from ._checks import as_float_array, first_bad_index, integer
from ._dataset import dataset, variable
from ._inverse import ensemble_multipliers
from ._logspace import entropy_from_log_p, log_normalize, log_sum_exp
from ._summary import summary_repr
from ._units import UnitSystem, magnitude, quantity, resolve_units
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


def _scalar(value: object, name: str, us: UnitSystem | None = None, kind: str = "energy") -> float:
    """A real number (NaN refused); a quantity is converted to the unit system's unit."""
    if us is not None:
        value = magnitude(value, name, us, kind)
    arr = as_float_array(value, name, ndim=0)
    if np.isnan(arr):
        raise InvalidInputError(f"`{name}` must be a number; got nan.")
    return float(arr)


def _frozen(arr: ArrayLike) -> NDArray[np.float64]:
    """A read-only copy (results never alias the caller's arrays or each other)."""
    out = np.array(arr, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


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
    levels : EnergyLevels
        The levels, with their labels, name and :math:`\ln g_l`.

    Notes
    -----
    Arrays are read-only copies.
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
    levels: EnergyLevels

    def __repr__(self) -> str:
        return summary_repr(self)

    def to_xarray(self) -> xr.Dataset:
        """The ensemble as a one-temperature sweep Dataset (see :func:`temperature_sweep`).

        Keeps the levels' labels and name, and says its units (as a sweep does).
        """
        return sweep_dataset(
            self.levels,
            _units_of(self),
            np.array([self.temperature]),
            np.array([self.beta]),
            {
                "p": self.p[None, :],
                **{
                    k: np.array([getattr(self, k)])
                    for k in (
                        "log_Z",
                        "free_energy",
                        "internal_energy",
                        "entropy",
                        "heat_capacity",
                    )
                },
            },
            ensemble="canonical",
        )

    def to_pint(self) -> dict[str, Any]:
        """The fields with units, as pint Quantities (the result itself holds numbers).

        Energies in ``energy_unit``, temperature in ``temperature_unit``, beta in its
        inverse, entropy and heat capacity in units of :math:`k_B` (plain numbers when
        the energies carry no unit).
        """
        return _quantities(
            self,
            ("beta", "temperature", "p", "energies", "degeneracy", "log_Z", "free_energy")
            + ("internal_energy", "entropy", "heat_capacity", "boltzmann_constant"),
        )


def _inverse(unit: str) -> str:
    return "1" if unit == "1" else f"1/({unit})"


def _quantities(res: CanonicalResult | GrandCanonicalResult, names: tuple[str, ...]) -> dict:
    """``{name: Quantity}`` for the fields of an ensemble result."""
    eu, tu = res.energy_unit, res.temperature_unit
    k_b = "1" if eu == "1" else "k_B"
    unit = {
        "beta": _inverse(eu),
        "temperature": tu,
        "boltzmann_constant": "1" if eu == "1" else f"({eu})/({tu})",
        "entropy": k_b,
        "heat_capacity": k_b,
    }
    energies = ("energies", "free_energy", "internal_energy", "grand_potential")
    unit.update({k: eu for k in energies + ("chemical_potential", "energy_particle_covariance")})
    return {k: quantity(getattr(res, k), unit.get(k, "1")) for k in names}


def _units_of(res: CanonicalResult | GrandCanonicalResult) -> UnitSystem:
    if res.temperature_unit == "K":
        return resolve_units(res.energy_unit, res.energy_unit)
    return resolve_units("natural", res.energy_unit)


def _check_internal_energy(
    lv: EnergyLevels | NDArray[np.float64], u: float, name: str = "internal_energy"
) -> None:
    e = lv.energies if isinstance(lv, EnergyLevels) else lv
    lo, hi = float(np.min(e)), float(np.max(e))
    if not lo <= u <= hi:
        raise InfeasibleTargetsError(
            f"`{name}` = {u!r} is outside [{lo!r}, {hi!r}], the range of the level "
            "energies; no distribution over the levels has that mean."
        )


def _solve_beta(lv: EnergyLevels, u: float, tol: float) -> float:
    """beta such that <E> = u, to the precision u carries (see maxent._inverse)."""
    _check_internal_energy(lv, u)
    e = lv.energies
    lo, hi = float(np.min(e)), float(np.max(e))
    if lo == hi:
        return 0.0
    if u == lo:
        return np.inf
    if u == hi:
        return -np.inf
    lam, _ = ensemble_multipliers(
        {"internal_energy": e}, lv.log_degeneracy, {"internal_energy": u}, tol
    )
    return float(lam[0])


def canonical(
    levels: EnergyLevels | ArrayLike,
    *,
    temperature: float | None = None,
    beta: float | None = None,
    internal_energy: float | None = None,
    units: str | None = None,
    tol: float = 1e-13,
) -> CanonicalResult:
    r"""The canonical (Boltzmann) ensemble over energy levels.

    Give exactly one of ``temperature``, ``beta`` or ``internal_energy``.

    Parameters
    ----------
    levels : EnergyLevels or array_like, shape (n_levels,)
        The levels; a plain array is read as energies of non-degenerate states.
    temperature : float or Quantity, optional
        :math:`T` (``0``: ground level; ``inf``: :math:`p \propto g`; negative: negative
        temperature).  In kelvin when the energies carry a unit, else in the energy unit
        (:math:`k_B = 1`); a pint or astropy Quantity is converted (an energy counts as
        :math:`k_B T`), or refused if it cannot be.
    beta : float or Quantity, optional
        :math:`\beta = 1/k_B T` (``inf``, ``-inf`` and 0 allowed), in 1 / energy unit.
    internal_energy : float or Quantity, optional
        Target :math:`U = \langle E \rangle`; :math:`\beta` is found by
        :func:`maxent.solve` with the energies as feature and the degeneracies as prior,
        then refined by Newton's method on the dual written about the level nearest the
        target, so that every digit of :math:`U - E_{\min}` (or :math:`E_{\max} - U`)
        counts: at low temperature :math:`U - E_{\min}` may be 1e-22 of the spread and
        still give T to rounding.  :math:`U` above the infinite-temperature mean gives a
        negative temperature; :math:`U = E_{\min}` gives T = 0 and :math:`U = E_{\max}`
        gives T = 0⁻.
    units : str, optional
        ``"natural"`` (:math:`k_B = 1`, T in the energy unit) or any energy unit pint
        knows (``"meV"``, ``"kJ/mol"``, ``"cm^-1"``, ``"K"``, ...): unitless energies are
        in that unit and T in kelvin.  Default: the levels' unit if they have one (T in
        kelvin), else natural.
    tol : float, default 1e-13
        Used with ``internal_energy`` only: the stopping rule of the first
        :func:`maxent.solve` (moment error relative to the energy spread); the answer is
        then refined to the precision the target carries.

    Returns
    -------
    CanonicalResult
        Numbers in the unit system's units (``energy_unit``, ``temperature_unit``);
        ``.to_pint()`` gives the fields as pint Quantities.

    Raises
    ------
    InvalidInputError
        If not exactly one of ``temperature``, ``beta``, ``internal_energy`` is given, it
        is NaN, or ``levels`` is invalid.
    InfeasibleTargetsError
        If ``internal_energy`` lies outside :math:`[E_{\min}, E_{\max}]`.

    See Also
    --------
    temperature_sweep : the same ensemble over a grid of temperatures, as a Dataset.
    grand_canonical : with a particle number and a chemical potential.
    solve : the general maximum-entropy problem (``internal_energy`` goes through it).

    Notes
    -----
    Computed in log space, so nothing overflows for any :math:`\beta E` (e.g.
    :math:`E = 10^5` at :math:`T = 10^{-3}`).  With degenerate levels
    :math:`S = -\sum_l p_l \ln(p_l/g_l)`; at T = 0 the entropy is
    :math:`\ln g_0` (ground-level degeneracy).

    References
    ----------
    .. [1] E. T. Jaynes, "Information theory and statistical mechanics", Phys. Rev.
       106, 620 (1957).
    .. [2] R. K. Pathria and P. D. Beale, *Statistical Mechanics*, 3rd ed. (Academic
       Press, 2011), ch. 3.

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
    given = [
        n
        for n, v in (
            ("temperature", temperature),
            ("beta", beta),
            ("internal_energy", internal_energy),
        )
        if v is not None
    ]
    if len(given) != 1:
        raise InvalidInputError(
            f"give exactly one of `temperature`, `beta`, `internal_energy`; got {given or 'none'}."
        )
    if temperature is not None:  # kept as given (1 / (1 / (k_B T)) may differ in the last bit)
        t = _scalar(temperature, "temperature", us, "temperature")
        b = float(beta_from_temperature(t, us.boltzmann_constant))
    else:
        if beta is not None:
            b = _scalar(beta, "beta", us, "beta")
        else:
            b = _solve_beta(lv, _scalar(internal_energy, "internal_energy", us), tol)
        t = float(temperature_from_beta(b, us.boltzmann_constant))
    th = boltzmann(lv.energies, lv.log_degeneracy, np.array([b]))
    return CanonicalResult(
        beta=b,
        temperature=t,
        p=_frozen(th["p"][0]),
        energies=lv.energies,
        degeneracy=lv.degeneracy,
        log_Z=float(th["log_Z"][0]),
        free_energy=float(th["free_energy"][0]),
        internal_energy=float(th["internal_energy"][0]),
        entropy=float(th["entropy"][0]),
        heat_capacity=float(th["heat_capacity"][0]),
        energy_unit=us.energy_unit,
        temperature_unit=us.temperature_unit,
        boltzmann_constant=us.boltzmann_constant,
        levels=lv,
    )


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
    heat_capacity : float
        Heat capacity at fixed chemical potential,
        :math:`C_\mu/k_B = \partial U/\partial (k_B T)|_\mu
        = \beta^2 [\mathrm{Var}(E) - \mu\,\mathrm{Cov}(E, N)]`.
    energy_particle_covariance : float
        :math:`\mathrm{Cov}(E, N) = \langle E N \rangle - U \langle N \rangle`
        (energy unit).

    Notes
    -----
    Arrays are read-only copies.
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
    heat_capacity: float
    energy_particle_covariance: float

    def __repr__(self) -> str:
        return summary_repr(self)

    def to_xarray(self) -> xr.Dataset:
        """The ensemble as a Dataset with dim ``state``; attrs are netCDF-safe."""
        eu, tu = self.energy_unit, self.temperature_unit
        scalars = {
            "log_Z": (
                "log grand partition function",
                "1",
                "ln Xi, Xi = sum_i g_i exp(-beta (E_i - mu N_i))",
            ),
            "grand_potential": ("grand potential", eu, "Omega = -k_B T ln Xi"),
            "internal_energy": ("internal energy", eu, "U = <E>"),
            "particle_number": ("mean particle number", "1", "<N>"),
            "particle_number_variance": ("particle number variance", "1", "Var(N)"),
            "entropy": ("entropy", "k_B", "S / k_B = -sum_i p_i ln(p_i / g_i)"),
            "heat_capacity": (
                "heat capacity at fixed mu",
                "k_B",
                "C_mu / k_B = beta^2 (Var(E) - mu Cov(E, N))",
            ),
            "energy_particle_covariance": (
                "energy-particle number covariance",
                eu,
                "Cov(E, N) = <E N> - <E><N>",
            ),
            "temperature": ("temperature", tu, ""),
            "beta": (
                "inverse temperature",
                "1" if eu == "1" else f"1/({eu})",
                "beta = 1 / (k_B T)",
            ),
            "chemical_potential": ("chemical potential", eu, "mu"),
        }
        data: dict[Hashable, Any] = {
            k: variable((), getattr(self, k), *spec) for k, spec in scalars.items()
        }
        data["probability"] = variable(
            "state", self.p, "state probability", "1", "p_i = g_i exp(-beta (E_i - mu N_i)) / Xi"
        )
        n_int = bool(
            np.all(self.particle_numbers == np.round(self.particle_numbers))
            and np.all(np.abs(self.particle_numbers) < 2.0**53)
        )
        g = self.degeneracy
        g_int = bool(np.all(np.isfinite(g)) and np.all(g < 2.0**53) and np.all(g == np.round(g)))
        return dataset(
            data,
            coords={
                "state": variable("state", np.arange(self.p.size), "state index", "1"),
                "energy": variable("state", self.energies, "state energy", eu, "E_i"),
                "particle_number_of_state": variable(
                    "state",
                    self.particle_numbers.astype(np.int64) if n_int else self.particle_numbers,
                    "particle number of state",
                    "1",
                    "N_i",
                ),
                "degeneracy": variable(
                    "state", g.astype(np.int64) if g_int else g, "degeneracy", "1", "g_i"
                ),
            },
            title="grand canonical ensemble",
            ensemble="grand canonical",
            energy_unit=eu,
            temperature_unit=tu,
            boltzmann_constant=float(self.boltzmann_constant),
        )

    def to_pint(self) -> dict[str, Any]:
        """The fields with units, as pint Quantities (as :meth:`CanonicalResult.to_pint`)."""
        return _quantities(
            self,
            ("beta", "temperature", "chemical_potential", "p", "energies", "particle_numbers")
            + ("degeneracy", "log_Z", "grand_potential", "internal_energy", "particle_number")
            + ("particle_number_variance", "entropy", "heat_capacity")
            + ("energy_particle_covariance", "boltzmann_constant"),
        )


def grand_canonical(
    energies: ArrayLike,
    particle_numbers: ArrayLike,
    *,
    degeneracy: ArrayLike | None = None,
    temperature: float | None = None,
    beta: float | None = None,
    chemical_potential: float | None = None,
    internal_energy: float | None = None,
    particle_number: float | None = None,
    units: str | None = None,
    tol: float = 1e-13,
) -> GrandCanonicalResult:
    r"""The grand-canonical ensemble over states with energies and particle numbers.

    Either give the temperature (``temperature`` or ``beta``) and ``chemical_potential``,
    or give the targets ``internal_energy`` and ``particle_number``; then the two
    multipliers :math:`\lambda = (\beta, -\beta\mu)` of the constraints on
    :math:`\langle E \rangle` and :math:`\langle N \rangle` are found by
    :func:`maxent.solve` and refined by Newton's method on the dual written about the
    state nearest the targets, so that a target 1e-14 (or 1e-130) away from the ground
    state still gives T and :math:`\mu` to the precision it carries.

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
        As for :func:`canonical` (energies unitless unless ``units`` or a Quantity gives
        their unit).
    tol : float, default 1e-13
        Stopping rule of the first :func:`maxent.solve` for the targets; the multipliers
        are then refined to the precision the targets carry (as in :func:`canonical`).

    Returns
    -------
    GrandCanonicalResult
        Numbers in the unit system's units; ``.to_pint()`` gives pint Quantities.

    Raises
    ------
    InvalidInputError
        If the inputs are invalid or the wrong combination of options is given.
    InfeasibleTargetsError
        If no distribution over the states has the targets as means (from
        :func:`maxent.solve`).

    See Also
    --------
    canonical : the ensemble at fixed particle number.
    solve : the two constraints of the targets' route.

    Notes
    -----
    :math:`\Xi = \sum_i g_i e^{-\beta(E_i - \mu N_i)}` is the canonical partition function
    of the energies :math:`E_i - \mu N_i`, so the forward problem reuses the canonical
    log-sum-exp (and its β = 0 and β = ±∞ limits).

    References
    ----------
    .. [1] E. T. Jaynes, "Information theory and statistical mechanics", Phys. Rev.
       106, 620 (1957).
    .. [2] R. K. Pathria and P. D. Beale, *Statistical Mechanics*, 3rd ed. (Academic
       Press, 2011), ch. 4.

    Examples
    --------
    >>> import maxent
    >>> gc = maxent.grand_canonical([0.0, 1.0], [0, 1], temperature=1.0,
    ...                             chemical_potential=1.0)
    >>> gc.p, gc.particle_number
    (array([0.5, 0.5]), 0.5)
    """
    lv = (
        energies
        if isinstance(energies, EnergyLevels) and degeneracy is None
        else EnergyLevels(energies, degeneracy)
    )
    us = resolve_units(units, lv.unit)
    e = lv.energies
    n = as_float_array(particle_numbers, "particle_numbers", ndim=1)
    if n.shape != e.shape:
        raise InvalidInputError(
            f"`particle_numbers` has {n.size} entries but `energies` has {e.size} (one per state)."
        )
    if not np.all(np.isfinite(n)):
        idx = first_bad_index(~np.isfinite(n))
        raise InvalidInputError(f"`particle_numbers` must be finite; got {n[idx]} at index {idx}.")
    forward = chemical_potential is not None and (temperature is None) != (beta is None)
    inverse = internal_energy is not None and particle_number is not None
    if (
        forward == inverse
        or (forward and (internal_energy is not None or particle_number is not None))
        or (
            inverse
            and (temperature is not None or beta is not None or chemical_potential is not None)
        )
    ):
        raise InvalidInputError(
            "give either (`temperature` or `beta`) with `chemical_potential`, or "
            "`internal_energy` with `particle_number`."
        )
    k_b = us.boltzmann_constant
    if forward:
        mu = _scalar(chemical_potential, "chemical_potential", us)
        b = (
            float(
                beta_from_temperature(_scalar(temperature, "temperature", us, "temperature"), k_b)
            )
            if temperature is not None
            else _scalar(beta, "beta", us, "beta")
        )
        p, log_z, omega, s = _grand_forward(lv, n, b, mu)
    else:
        b, mu, (p, log_z, omega, s) = _grand_from_targets(
            lv,
            n,
            _scalar(internal_energy, "internal_energy", us),
            _scalar(particle_number, "particle_number"),
            tol,
        )
    nbar_reached = float(p @ n)
    u_reached = float(p @ e)
    de, dn = e - u_reached, n - nbar_reached
    var_e, cov_en = float(p @ (de * de)), float(p @ (de * dn))
    if np.isfinite(b) and b != 0 and np.isfinite(mu):
        # C_mu = dU/dT at fixed mu = beta^2 Cov(E, E - mu N), in units of k_B
        c_mu = float(b * b * (var_e - mu * cov_en)) if np.isfinite(b * b) else 0.0
    else:
        c_mu = 0.0 if not np.isnan(mu) and b != 0 else np.nan
    return GrandCanonicalResult(
        beta=b,
        temperature=float(temperature_from_beta(b, k_b)),
        chemical_potential=mu,
        p=_frozen(p),
        energies=e,
        particle_numbers=_frozen(n),
        degeneracy=lv.degeneracy,
        log_Z=log_z,
        grand_potential=omega,
        internal_energy=u_reached,
        particle_number=nbar_reached,
        particle_number_variance=float(p @ (dn * dn)),
        entropy=s,
        energy_unit=us.energy_unit,
        temperature_unit=us.temperature_unit,
        boltzmann_constant=k_b,
        heat_capacity=c_mu,
        energy_particle_covariance=cov_en,
    )


_Grand = tuple[NDArray[np.float64], float, float, float]  # p, ln Xi, Omega, S


def _grand_from_targets(
    lv: EnergyLevels, n: NDArray[np.float64], u: float, nbar: float, tol: float
) -> tuple[float, float, _Grand]:
    """beta, mu and the ensemble whose <E> and <N> are ``u`` and ``nbar``."""
    e = lv.energies
    lam, face = ensemble_multipliers(
        {"internal_energy": e, "particle_number": n},
        lv.log_degeneracy,
        {"internal_energy": u, "particle_number": nbar},
        tol,
    )
    b, minus_beta_mu = float(lam[0]), float(lam[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = float(-minus_beta_mu / b) if b != 0 and np.isfinite(b) else np.nan
    if face is None and b != 0:
        return b, mu, _grand_forward(lv, n, b, mu)
    # boundary targets or beta = 0: the distribution on the face, or g e^(beta mu N)
    p = face if face is not None else _grand_at_infinite_temperature(lv, n, minus_beta_mu)
    log_g = lv.log_degeneracy
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    s = float(entropy_from_log_p(p, log_p) + p @ log_g)
    log_z = (
        float(log_sum_exp(log_g - b * e - minus_beta_mu * n))
        if np.all(np.isfinite([b, minus_beta_mu]))
        else np.nan
    )
    return b, mu, (p, log_z, np.nan, s)


def _grand_at_infinite_temperature(
    lv: EnergyLevels, n: NDArray[np.float64], minus_beta_mu: float
) -> NDArray[np.float64]:
    """p at beta = 0 with a finite multiplier -beta mu of N: g exp(beta mu N) normalised."""
    return log_normalize(lv.log_degeneracy - minus_beta_mu * n)[2]


def _grand_forward(lv: EnergyLevels, n: NDArray[np.float64], b: float, mu: float) -> _Grand:
    """p, ln Xi, Omega and S at beta and mu (mu = +-inf: the limit, states of extreme N)."""
    e = lv.energies
    if np.isinf(mu):
        if b == 0 or not np.isfinite(b):
            raise InvalidInputError(
                f"`chemical_potential` = {mu!r} needs a finite, nonzero temperature; "
                f"got beta = {b!r}."
            )
        favour_more = (b > 0) == (mu > 0)  # exp(beta mu N) picks N_max or N_min
        target = float(np.max(n) if favour_more else np.min(n))
        keep = n == target
        th = boltzmann(e[keep], lv.log_degeneracy[keep], np.array([b]))
        p = np.zeros(e.size)
        p[keep] = th["p"][0]
        bmn = 0.0 if target == 0 else np.sign(b * mu * target) * np.inf
        log_z = float(th["log_Z"][0]) + bmn
        omega = float(-log_z / b) if np.isinf(log_z) else float(th["free_energy"][0])
        return p, log_z, omega, float(th["entropy"][0])
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = e - mu * n
    if not np.all(np.isfinite(shifted)):
        raise InvalidInputError(
            f"`chemical_potential` = {mu!r} makes E - mu N overflow the float range."
        )
    th = boltzmann(shifted, lv.log_degeneracy, np.array([b]))
    return (
        th["p"][0],
        float(th["log_Z"][0]),
        float(th["free_energy"][0]),
        float(th["entropy"][0]),
    )


# ---------------------------------------------------------------------------- softmax
def softmax(logits: ArrayLike, temperature: float = 1.0, *, axis: int = -1) -> NDArray[np.float64]:
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
        If ``logits`` has NaN or ``+inf``, every entry along ``axis`` is ``-inf``,
        ``temperature`` is negative or NaN, or ``axis`` is not an axis of ``logits``.

    See Also
    --------
    canonical : the same distribution over energy levels, with its thermodynamics.

    References
    ----------
    .. [1] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning* (MIT Press, 2016),
       sec. 6.2.2.3.

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
    axis = cast(int, integer(axis, "axis", minimum=-z.ndim, maximum=z.ndim - 1))
    bad = np.isnan(z) | (z == np.inf)
    if np.any(bad):
        idx = first_bad_index(bad)
        raise InvalidInputError(f"`logits` must not be nan or +inf; got {z[idx]} at index {idx}.")
    live = np.isfinite(z)
    if np.any(~np.any(live, axis=axis)):
        raise InvalidInputError(
            f"`logits` is -inf everywhere along axis {axis} somewhere; "
            "at least one state needs a finite logit."
        )
    t = _scalar(temperature, "temperature")
    if t < 0:
        raise InvalidInputError(f"`temperature` must be >= 0; got {t!r}.")
    if t == 0:
        weight = (z == np.max(z, axis=axis, keepdims=True)).astype(np.float64)
    elif t == np.inf:
        weight = live.astype(np.float64)
    else:
        # measured from the largest logit, (z - z_max) / T <= 0: overflow only to -inf (a
        # zero weight), and ties stay exactly tied for any T > 0 and any logit size
        with np.errstate(over="ignore", invalid="ignore"):
            a = (z - np.max(z, axis=axis, keepdims=True)) / t
        return log_normalize(np.where(np.isnan(a), -np.inf, a), axis=axis)[2]
    return weight / np.sum(weight, axis=axis, keepdims=True)
