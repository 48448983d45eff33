r"""The Boltzmann kernel and the sweep Dataset builder, shared by ensembles and sweeps.

:func:`boltzmann` evaluates the canonical ensemble of levels with energies :math:`E_l` and
log-degeneracies :math:`\ln g_l` at many inverse temperatures, chunk by chunk of the
(temperature x level) matrix, with one ``exp`` per (temperature, level).  Every quantity
is formed from dimensionless products :math:`\beta (E_l - E_\mathrm{ref})`, so the result
is exact for any finite energy scale (:math:`E = 10^{160}` or :math:`10^{-300}`), and the
partition function is split as :math:`Z_\mathrm{ref} = g_\mathrm{ref}(1 + z)` with
``log1p`` so low temperatures keep full relative precision.

:func:`sweep_dataset` turns those arrays into the Dataset of
:func:`maxent.temperature_sweep` (also used by ``CanonicalResult.to_xarray``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._units import UnitSystem

if TYPE_CHECKING:
    import xarray as xr

    from .levels import EnergyLevels

__all__ = [
    "MAX_CHUNK_ELEMENTS",
    "THERMO_KEYS",
    "beta_from_temperature",
    "boltzmann",
    "sweep_dataset",
    "temperature_from_beta",
]

#: Largest number of matrix entries (temperatures x levels) held at once (2 MB).
MAX_CHUNK_ELEMENTS = 2**18

#: The per-temperature quantities :func:`boltzmann` returns (besides ``p``).
THERMO_KEYS = ("log_Z", "internal_energy", "entropy", "heat_capacity", "free_energy")

# degeneracies spanning more than e^600 switch from a fixed shift to the row maximum
_FIXED_SHIFT_SPAN = 600.0


def temperature_from_beta(beta: Any, k_b: float) -> NDArray[np.float64]:
    """:math:`T = 1/(k_B \\beta)` (``inf`` at β = 0, ``±0`` at β = ±inf)."""
    with np.errstate(divide="ignore", over="ignore"):
        return 1.0 / (k_b * np.asarray(beta, dtype=np.float64))


def beta_from_temperature(temperature: Any, k_b: float) -> NDArray[np.float64]:
    """:math:`\\beta = 1/(k_B T)`."""
    with np.errstate(divide="ignore", over="ignore"):
        return 1.0 / (k_b * np.asarray(temperature, dtype=np.float64))


def boltzmann(energies: NDArray[np.float64], log_g: NDArray[np.float64],
              beta: NDArray[np.float64], *, with_p: bool = True,
              p_out: NDArray[np.float64] | None = None,
              max_elements: int = MAX_CHUNK_ELEMENTS) -> dict[str, NDArray[np.float64]]:
    """Canonical thermodynamics for every ``beta`` (vectorised, chunked over beta).

    Returns a dict of arrays of shape ``(n_beta,)``: ``log_Z``, ``internal_energy``,
    ``entropy`` (k_B), ``heat_capacity`` (k_B), ``free_energy``, and, if ``with_p``,
    ``p`` of shape ``(n_beta, n_levels)`` (written into ``p_out`` if given).
    """
    energies = np.asarray(energies, dtype=np.float64)
    log_g = np.asarray(log_g, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64).reshape(-1)
    n_t, n = beta.size, energies.size
    p = (np.empty((n_t, n)) if p_out is None else p_out) if with_p else None
    out = {k: np.empty(n_t) for k in THERMO_KEYS}
    e_min, e_max = float(np.min(energies)), float(np.max(energies))
    rows = max(1, max_elements // n)
    scratch = np.empty((min(rows, n_t), n)) if n_t else None

    for mask, e_ref in ((np.isfinite(beta) & (beta >= 0), e_min),
                        (np.isfinite(beta) & (beta < 0), e_max)):
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            continue
        es = energies - e_ref                       # finite: EnergyLevels checks the span
        scale = float(np.max(np.abs(es))) or 1.0
        moments = np.column_stack([es / scale, (es / scale) ** 2])   # |x| <= 1: no overflow
        # reference level: at E_ref, largest g; its weight is exactly 1 with a fixed shift
        at_ref = np.flatnonzero(es == 0)
        ref = int(at_ref[np.argmax(log_g[at_ref])])
        shift = float(log_g[ref])
        log_g_shifted = log_g - shift
        fixed_shift = bool(np.max(log_g_shifted) < _FIXED_SHIFT_SPAN)
        for start in range(0, idx.size, rows):
            ii = idx[start:start + rows]
            b = beta[ii]
            contiguous = with_p and ii[-1] - ii[0] + 1 == ii.size
            a = p[ii[0]:ii[-1] + 1] if contiguous else scratch[:ii.size]
            with np.errstate(over="ignore"):     # overflow only to -inf: zero weight
                np.multiply.outer(-b, es, out=a)
            a += log_g_shifted
            if fixed_shift:
                m = np.full(ii.size, shift)
                top = np.full(ii.size, ref)
            else:
                top = np.argmax(a, axis=1)
                peak = a[np.arange(ii.size), top]
                a -= peak[:, None]
                m = peak + shift
            np.exp(a, out=a)                     # the one exp per (temperature, level)
            r = np.arange(ii.size)
            a[r, top] = 0.0                      # Z_ref / g_top = 1 + rest, summed apart
            rest = a.sum(axis=1)
            a[r, top] = 1.0
            z = 1.0 + rest
            lz = m + np.log1p(rest)              # ln sum_l g_l exp(-beta (E_l - E_ref))
            mom = (a @ moments) / z[:, None]     # <x>, <x^2> with x = (E - E_ref)/scale
            u_n = mom[:, 0]
            var_n = mom[:, 1] - u_n * u_n
            # exact two-pass variance where the one-pass form could lose digits
            redo = ~(var_n > 1e-3 * u_n * u_n)
            if np.any(redo):
                d = moments[None, :, 0] - u_n[redo, None]
                var_n[redo] = np.einsum("ij,ij->i", a[redo], d * d) / z[redo]
            if with_p:
                a *= (1.0 / z)[:, None]          # p, normalised
                if not contiguous:
                    p[ii] = a
            _finish(out, ii, b, e_ref, scale, lz, u_n, np.maximum(var_n, 0.0))

    # beta = +inf (T = 0: ground level) and beta = -inf (T = 0^-: top level)
    for sign, e_ref in ((1.0, e_min), (-1.0, e_max)):
        ii = np.flatnonzero(beta == sign * np.inf)
        if ii.size == 0:
            continue
        on = energies == e_ref
        w = np.where(on, np.exp(np.where(on, log_g - np.max(log_g[on]), 0.0)), 0.0)
        log_g0 = float(np.max(log_g[on]) + np.log(np.sum(w)))
        if with_p:
            p[ii] = w / np.sum(w)
        out["log_Z"][ii] = log_g0 if e_ref == 0 else -sign * np.inf * np.sign(e_ref)
        out["internal_energy"][ii] = e_ref
        out["entropy"][ii] = log_g0
        out["heat_capacity"][ii] = 0.0
        out["free_energy"][ii] = e_ref
    if with_p:
        out["p"] = p
    return out


def _finish(out: dict[str, NDArray[np.float64]], ii: NDArray[np.intp], b: NDArray[np.float64],
            e_ref: float, scale: float, lz: NDArray[np.float64], u_n: NDArray[np.float64],
            var_n: NDArray[np.float64]) -> None:
    """U, S, C, F and ln Z from dimensionless moments: no overflow of E^2 or beta^2."""
    bs = b * scale                                    # beta times the energy scale
    with np.errstate(over="ignore", invalid="ignore"):
        # beta (U - E_ref), exact for any finite scale; 0 where only E_ref is populated
        x_u = np.where(u_n != 0, np.where(np.isfinite(bs), bs * u_n, b * (scale * u_n)), 0.0)
        sd = np.sqrt(var_n)
        c = np.where(var_n > 0, np.square(np.where(np.isfinite(bs), bs * sd,
                                                   b * (scale * sd))), 0.0)
        out["log_Z"][ii] = lz - b * e_ref
    out["internal_energy"][ii] = e_ref + scale * u_n
    out["entropy"][ii] = x_u + lz
    out["heat_capacity"][ii] = c
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        f = e_ref - lz / b
    # beta = 0 (T = +-inf): F = -T ln Z is +-inf, or U when ln Z = 0
    zero = b == 0
    if np.any(zero):
        minus_t = np.where(np.signbit(b), 1.0, -1.0)     # sign of -T at T = +-inf
        f[zero & (lz > 0)] = (minus_t * np.inf)[zero & (lz > 0)]
        f[zero & (lz < 0)] = (-minus_t * np.inf)[zero & (lz < 0)]
        same = zero & (lz == 0)
        f[same] = (e_ref + scale * u_n)[same]
    out["free_energy"][ii] = f


# ---------------------------------------------------------------------------- Dataset
def _degeneracy_coord(lv: EnergyLevels) -> NDArray[Any]:
    """Integer degeneracies as int64 (exactly), otherwise floats."""
    g = lv.degeneracy
    if np.all(np.isfinite(g)) and np.all(g < 2.0**53) and np.all(g == np.round(g)):
        return g.astype(np.int64)
    return np.asarray(g, dtype=np.float64)


def sweep_dataset(lv: EnergyLevels, us: UnitSystem, temperature: Any, beta: Any,
                  th: dict[str, Any], *, ensemble: str = "canonical") -> xr.Dataset:
    """The temperature-sweep Dataset (shared by temperature_sweep and CanonicalResult)."""
    import xarray as xr

    from . import __version__

    eu, tu = us.energy_unit, us.temperature_unit
    td = ("temperature",)

    def attrs(long_name: str, units: str | None, description: str = "") -> dict[str, str]:
        a = {"long_name": long_name}
        if units is not None:
            a["units"] = units
        if description:
            a["description"] = description
        return a

    data = {
        "log_Z": (td, th["log_Z"], attrs("log partition function", "1",
                                         "ln Z, Z = sum_l g_l exp(-beta E_l)")),
        "free_energy": (td, th["free_energy"], attrs("Helmholtz free energy", eu,
                                                     "F = -k_B T ln Z")),
        "internal_energy": (td, th["internal_energy"], attrs("internal energy", eu,
                                                             "U = <E>")),
        "entropy": (td, th["entropy"], attrs("entropy", "k_B",
                                             "S / k_B = -sum_l p_l ln(p_l / g_l)")),
        "heat_capacity": (td, th["heat_capacity"], attrs("heat capacity", "k_B",
                                                         "C / k_B = beta^2 Var(E)")),
    }
    if "p" in th:
        data = {"probability": (("temperature", "state"), th["p"],
                                attrs("level population", "1",
                                      "p_l = g_l exp(-beta E_l) / Z")), **data}
    ds = xr.Dataset(
        data,
        coords={
            "temperature": ("temperature", np.asarray(temperature, dtype=np.float64),
                            attrs("temperature", tu)),
            "beta": ("temperature", np.asarray(beta, dtype=np.float64),
                     attrs("inverse temperature", us.beta_unit, "beta = 1 / (k_B T)")),
            "state": ("state", np.arange(lv.n_levels), attrs("level index", "1")),
            "energy": ("state", lv.energies, attrs("level energy", eu, "E_l")),
            "degeneracy": ("state", _degeneracy_coord(lv),
                           attrs("level degeneracy", "1", "g_l (inf beyond the float range; "
                                 "see log_degeneracy)")),
            "log_degeneracy": ("state", lv.log_degeneracy,
                               attrs("log level degeneracy", "1", "ln g_l")),
            "label": ("state", np.array(lv.labels, dtype=str), attrs("level label", None)),
        },
        attrs={
            "Conventions": "CF-1.10",
            "title": f"canonical ensemble temperature sweep{': ' + lv.name if lv.name else ''}",
            "maxent_version": __version__,
            "ensemble": ensemble,
            "system": lv.name or "unnamed",
            "unit_system": us.name,
            "energy_unit": eu,
            "temperature_unit": tu,
            "boltzmann_constant": float(us.boltzmann_constant),
            "boltzmann_constant_units": us.boltzmann_constant_units,
            "n_levels": int(lv.n_levels),
            "n_states": float(lv.n_states),
            "log_n_states": float(lv.log_n_states),
            "probability_table": int("p" in th),
        },
    )
    return ds
