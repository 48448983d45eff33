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

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._dataset import dataset, variable
from ._parallel import blas_limited
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

# numpy's exp is ~10x slower where its result underflows (below e^-708): log-weights are
# clipped at _FLOOR before the exp and the weights exp(_FLOOR) ~ 9e-308 set to 0 after it;
# every weight above that is exact (it would be a subnormal number or 0 otherwise)
_FLOOR = -707.0
_FLOOR_WEIGHT = float(np.exp(_FLOOR))


def _exp_weights(a: NDArray[np.float64], lowest: float = -np.inf) -> None:
    """``a <- exp(a)`` in place, weights below ~1e-307 flushed to exactly 0 (fast path).

    ``lowest`` is a lower bound of ``a``; above the floor nothing can underflow, and the
    clip and the subtraction are skipped.
    """
    if lowest > _FLOOR:
        np.exp(a, out=a)
        return
    np.maximum(a, _FLOOR, out=a)
    np.exp(a, out=a)
    np.copyto(a, 0.0, where=a == _FLOOR_WEIGHT)  # the clipped ones: exactly 0


def temperature_from_beta(beta: Any, k_b: float) -> NDArray[np.float64]:
    """:math:`T = 1/(k_B \\beta)` (``inf`` at β = 0, ``±0`` at β = ±inf)."""
    with np.errstate(divide="ignore", over="ignore"):
        return 1.0 / (k_b * np.asarray(beta, dtype=np.float64))


def beta_from_temperature(temperature: Any, k_b: float) -> NDArray[np.float64]:
    """:math:`\\beta = 1/(k_B T)`."""
    with np.errstate(divide="ignore", over="ignore"):
        return 1.0 / (k_b * np.asarray(temperature, dtype=np.float64))


def boltzmann(
    energies: NDArray[np.float64],
    log_g: NDArray[np.float64],
    beta: NDArray[np.float64],
    *,
    with_p: bool = True,
    p_out: NDArray[np.float64] | None = None,
    max_elements: int = MAX_CHUNK_ELEMENTS,
) -> dict[str, NDArray[np.float64]]:
    """Canonical thermodynamics for every ``beta`` (vectorised, chunked over beta).

    Returns a dict of arrays of shape ``(n_beta,)``: ``log_Z``, ``internal_energy``,
    ``entropy`` (k_B), ``heat_capacity`` (k_B), ``free_energy``, and, if ``with_p``,
    ``p`` of shape ``(n_beta, n_levels)`` (written into ``p_out`` if given).

    The products with the weights are cache-sized matrix-vector products: on more than
    ``_BLAS_ONE_THREAD`` elements, called from the main thread, BLAS is held to one thread
    for the call (threads only add synchronisation to such small products; a caller's
    lower limit stands).
    """
    work = np.size(beta) * np.size(energies)
    # the limit is process-wide state: set it only from the main thread (threads of a
    # dask scheduler entering and leaving it in turn could leave BLAS pinned for good)
    if work < _BLAS_ONE_THREAD or threading.current_thread() is not threading.main_thread():
        return _boltzmann(energies, log_g, beta, with_p, p_out, max_elements)
    with blas_limited(1):
        return _boltzmann(energies, log_g, beta, with_p, p_out, max_elements)


#: problems larger than this (temperatures x levels) run with BLAS held to one thread
_BLAS_ONE_THREAD = 2**22


def _boltzmann(
    energies: NDArray[np.float64],
    log_g: NDArray[np.float64],
    beta: NDArray[np.float64],
    with_p: bool,
    p_out: NDArray[np.float64] | None,
    max_elements: int,
) -> dict[str, NDArray[np.float64]]:
    energies = np.asarray(energies, dtype=np.float64)
    log_g = np.asarray(log_g, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64).reshape(-1)
    n_t, n = beta.size, energies.size
    # without populations, an empty placeholder that is never written
    p = (np.empty((n_t, n)) if p_out is None else p_out) if with_p else np.empty((0, n))
    out: dict[str, NDArray[np.float64]] = {k: np.empty(n_t) for k in THERMO_KEYS}
    e_min, e_max = float(np.min(energies)), float(np.max(energies))
    for mask, e_ref in (
        (np.isfinite(beta) & (beta >= 0), e_min),
        (np.isfinite(beta) & (beta < 0), e_max),
    ):
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            continue
        frame = _Frame.about(energies, log_g, e_ref, e_ref == e_min)
        if n > max_elements and frame.fixed_shift:  # long rows: tiles of levels x betas
            _tiled_rows(frame, beta, idx, p if with_p else None, out, max_elements)
        elif n > max_elements:  # long rows: one beta, blocks of levels
            _long_rows(frame, beta, idx, p if with_p else None, out, max_elements)
        else:
            _chunks(frame, beta, idx, p if with_p else None, out, max_elements)
    _zero_temperature(energies, log_g, beta, p if with_p else None, out)
    if with_p:
        out["p"] = p
    return out


@dataclass(frozen=True)
class _Frame:
    """The levels about a reference energy (E_min for beta >= 0, E_max for beta < 0).

    ``es = E - E_ref`` (finite: EnergyLevels checks the span), ``moments`` the columns
    x, x^2 of x = es / scale (|x| <= 1, no overflow; column-major so the products stream),
    ``ref`` the reference level (at E_ref, largest g) and ``shift`` the ln g the weights
    are taken relative to: the reference level's (its weight is then exactly 1, a fixed
    shift) unless the degeneracies span more than e^600, then the largest ln g (never a
    reference level whose ln g may be ~1e308 below it: ln Z = peak + shift would lose
    every digit).
    """

    e_ref: float
    es: NDArray[np.float64]
    scale: float
    moments: NDArray[np.float64]
    ref: int
    shift: float
    log_g_shifted: NDArray[np.float64]
    fixed_shift: bool
    lg_min: float
    ascending: bool
    reach: float

    @classmethod
    def about(
        cls, energies: NDArray[np.float64], log_g: NDArray[np.float64], e_ref: float, low: bool
    ) -> _Frame:
        es = energies - e_ref
        scale = float(np.max(np.abs(es))) or 1.0
        moments = np.asfortranarray(np.column_stack([es / scale, (es / scale) ** 2]))
        at_ref = np.flatnonzero(es == 0)
        ref = int(at_ref[np.argmax(log_g[at_ref])])
        shift = float(log_g[ref])
        fixed_shift = bool(np.max(log_g - shift) < _FIXED_SHIFT_SPAN)
        if not fixed_shift:
            shift = float(np.max(log_g))
        log_g_shifted = log_g - shift
        return cls(
            e_ref=e_ref,
            es=es,
            scale=scale,
            moments=moments,
            ref=ref,
            shift=shift,
            log_g_shifted=log_g_shifted,
            fixed_shift=fixed_shift,
            lg_min=float(np.min(log_g_shifted)),
            # levels sorted by energy (the usual case), beta > 0: the levels above
            # E_ref + (max ln g - floor) / beta have weight exactly 0 and are not evaluated
            ascending=low and bool(np.all(es[1:] >= es[:-1])),
            # (relative to the reference level's own weight, which the row maximum exceeds)
            reach=float(np.max(log_g_shifted)) - float(log_g_shifted[ref]) - _FLOOR,
        )

    def live(self, b: float) -> int:
        """How many of the (ascending) levels can have a nonzero weight at ``b``."""
        return _live_levels(self.es, b, self.ascending, self.reach, self.ref)


def _tiled_rows(
    frame: _Frame,
    beta: NDArray[np.float64],
    idx: NDArray[np.intp],
    p: NDArray[np.float64] | None,
    out: dict[str, NDArray[np.float64]],
    max_elements: int,
) -> None:
    """Spectra longer than a chunk, fixed shift: tiles of (betas x levels)."""
    lz, u_n, var_n = _tiled(frame, beta[idx], p, idx, max_elements)
    redo = ~(var_n > 1e-3 * u_n * u_n)  # two-pass variance where needed (rare)
    for j in np.flatnonzero(redo):
        var_n[j] = _long_row(frame, float(beta[idx[j]]), None, np.empty(max_elements), None)[2]
    _finish(out, idx, beta[idx], frame, lz + frame.shift, u_n, np.maximum(var_n, 0.0))


def _long_rows(
    frame: _Frame,
    beta: NDArray[np.float64],
    idx: NDArray[np.intp],
    p: NDArray[np.float64] | None,
    out: dict[str, NDArray[np.float64]],
    max_elements: int,
) -> None:
    """Spectra longer than a chunk, degeneracies spanning more than e^600: one beta at a
    time, blocks of levels, each row's maximum found first."""
    scratch = np.empty(max(1, max_elements))
    top = None if frame.fixed_shift else -1
    rows = [p[i] if p is not None else None for i in idx]
    sums = np.array(
        [
            _long_row(frame, float(b), top, scratch, row)
            for b, row in zip(beta[idx], rows, strict=True)
        ]
    )
    lz, u_n, var_n = sums[:, 0] + frame.shift, sums[:, 1], sums[:, 2]
    _finish(out, idx, beta[idx], frame, lz, u_n, np.maximum(var_n, 0.0))


def _chunks(
    frame: _Frame,
    beta: NDArray[np.float64],
    idx: NDArray[np.intp],
    p: NDArray[np.float64] | None,
    out: dict[str, NDArray[np.float64]],
    max_elements: int,
) -> None:
    """Spectra within a chunk: chunks of temperatures, one exp per (temperature, level);
    the weights are written straight into ``p`` where its rows are contiguous."""
    n = frame.es.size
    rows = max(1, max_elements // n)
    scratch = np.empty((min(rows, idx.size), n))
    for start in range(0, idx.size, rows):
        ii = idx[start : start + rows]
        b = beta[ii]
        contiguous = p is not None and ii[-1] - ii[0] + 1 == ii.size
        a = p[ii[0] : ii[-1] + 1] if contiguous and p is not None else scratch[: ii.size]
        k = frame.live(float(np.min(b)))
        if k < n:
            a[:, k:] = 0.0
            a = a[:, :k]
        lz, u_n, var_n, z = _chunk_sums(frame, b, a, k)
        if p is not None:
            a *= (1.0 / z)[:, None]  # p, normalised
            if not contiguous:
                p[ii, :k] = a
                p[ii, k:] = 0.0
        _finish(out, ii, b, frame, lz, u_n, np.maximum(var_n, 0.0))


def _chunk_sums(
    frame: _Frame, b: NDArray[np.float64], a: NDArray[np.float64], k: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Weights of the first ``k`` levels at the betas ``b``, written into ``a``; returns
    ``ln Z``, ``<x>``, ``Var(x)`` and ``Z / g_top`` of each row."""
    es, moments = frame.es[:k], frame.moments[:k]
    with np.errstate(over="ignore"):  # overflow only to -inf: zero weight
        np.multiply.outer(-b, es, out=a)
    a += frame.log_g_shifted[:k]
    r = np.arange(b.size)
    if frame.fixed_shift:
        m = np.full(b.size, frame.shift)
        top = np.full(b.size, frame.ref)
    else:
        top = np.argmax(a, axis=1)
        peak = a[r, top]
        a -= peak[:, None]
        m = peak + frame.shift
    _exp_weights(a, _lowest(b, es, frame.lg_min) - (0.0 if frame.fixed_shift else np.inf))
    a[r, top] = 0.0  # Z_ref / g_top = 1 + rest, summed apart
    rest = a.sum(axis=1)
    sums = a @ moments  # sum w x, sum w x^2 (top left out)
    a[r, top] = 1.0
    z = 1.0 + rest
    lz = m + np.log1p(rest)  # ln sum_l g_l exp(-beta (E_l - E_ref))
    x_top = moments[top, 0]
    u_n = (sums[:, 0] + x_top) / z  # <x> with x = (E - E_ref) / scale
    var_n = (sums[:, 1] + x_top * x_top) / z - u_n * u_n
    # exact two-pass variance where the one-pass form could lose digits
    redo = ~(var_n > 1e-3 * u_n * u_n)
    if np.any(redo):
        d = moments[None, :, 0] - u_n[redo, None]
        var_n[redo] = np.einsum("ij,ij->i", a[redo], d * d) / z[redo]
    return lz, u_n, var_n, z


def _zero_temperature(
    energies: NDArray[np.float64],
    log_g: NDArray[np.float64],
    beta: NDArray[np.float64],
    p: NDArray[np.float64] | None,
    out: dict[str, NDArray[np.float64]],
) -> None:
    """beta = +inf (T = 0: the ground level) and beta = -inf (T = 0^-: the top level)."""
    for sign, e_ref in ((1.0, float(np.min(energies))), (-1.0, float(np.max(energies)))):
        ii = np.flatnonzero(beta == sign * np.inf)
        if ii.size == 0:
            continue
        on = energies == e_ref
        w = np.where(on, np.exp(np.where(on, log_g - np.max(log_g[on]), 0.0)), 0.0)
        log_g0 = float(np.max(log_g[on]) + np.log(np.sum(w)))
        if p is not None:
            p[ii] = w / np.sum(w)
        out["log_Z"][ii] = log_g0 if e_ref == 0 else -sign * np.inf * np.sign(e_ref)
        out["internal_energy"][ii] = e_ref
        out["entropy"][ii] = log_g0
        out["heat_capacity"][ii] = 0.0
        out["free_energy"][ii] = e_ref


def _tiled(
    frame: _Frame,
    b_all: NDArray[np.float64],
    p: NDArray[np.float64] | None,
    rows_of_p: NDArray[np.intp],
    max_elements: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Spectra longer than a chunk, fixed shift: tiles of (betas x levels) that keep a block
    of level data in cache for every beta.  Returns ``ln Z_ref - shift``, ``<x>`` and the
    one-pass ``Var(x)``; writes normalised p into ``p[rows_of_p]`` if ``p`` is given."""
    es, log_g, moments, ref = frame.es, frame.log_g_shifted, frame.moments, frame.ref
    lives = np.array([frame.live(float(b)) for b in b_all])
    n, n_b = es.size, b_all.size
    width = max(1, min(n, max_elements // 32))  # levels per tile
    height = max(1, max_elements // width)  # betas per tile
    buf = np.empty((min(height, n_b), width))
    rest, s1, s2 = np.zeros(n_b), np.zeros(n_b), np.zeros(n_b)
    for lo in range(0, n, width):
        hi = min(lo + width, n)
        active = np.flatnonzero(lives > lo)  # betas with live levels here
        if p is not None:
            p[rows_of_p[lives <= lo], lo:hi] = 0.0
        for start in range(0, active.size, height):
            jj = active[start : start + height]
            a = buf[: jj.size, : hi - lo]
            with np.errstate(over="ignore"):
                np.multiply.outer(-b_all[jj], es[lo:hi], out=a)
            a += log_g[lo:hi]
            _exp_weights(a, _lowest(b_all[jj], es[lo:hi], frame.lg_min))  # one exp per entry
            if lo <= ref < hi:
                a[:, ref - lo] = 0.0  # the reference weight 1, apart
            rest[jj] += a.sum(axis=1)
            sums = a @ moments[lo:hi]
            s1[jj] += sums[:, 0]
            s2[jj] += sums[:, 1]
            if p is not None:
                if lo <= ref < hi:
                    a[:, ref - lo] = 1.0
                p[rows_of_p[jj], lo:hi] = a
    z = 1.0 + rest
    x_top = moments[ref, 0]
    u = (s1 + x_top) / z
    var = (s2 + x_top * x_top) / z - u * u
    if p is not None:
        for start in range(0, n_b, height):
            rows = rows_of_p[start : start + height]
            p[rows] *= (1.0 / z[start : start + height])[:, None]
    return np.log1p(rest), u, var


def _lowest(b: NDArray[np.float64], es: NDArray[np.float64], lg_min: float) -> float:
    """A lower bound of ln g - shift - beta (E - E_ref) over the rows ``b`` and levels."""
    if es.size == 0 or b.size == 0:
        return np.inf
    with np.errstate(over="ignore", invalid="ignore"):
        b_lo, b_hi = float(np.min(b)), float(np.max(b))
        e_lo, e_hi = float(np.min(es)), float(np.max(es))
        bound = lg_min - max(b_lo * e_lo, b_lo * e_hi, b_hi * e_lo, b_hi * e_hi)
    return bound if np.isfinite(bound) else -np.inf


def _live_levels(
    es: NDArray[np.float64], b: float, ascending: bool, reach: float, ref: int
) -> int:
    """How many of the (ascending) levels can have a nonzero weight at ``b``."""
    if not ascending or b <= 0:
        return es.size
    with np.errstate(over="ignore"):
        return max(int(np.searchsorted(es, reach / b, side="right")), ref + 1)


def _long_row(
    frame: _Frame,
    b: float,
    top: int | None,
    buf: NDArray[np.float64],
    p_row: NDArray[np.float64] | None,
) -> tuple[float, float, float]:
    """One beta over a spectrum longer than a chunk, block by block (``buf``-sized).

    ``top`` None: weights relative to the reference level (a fixed shift); otherwise the
    row maximum is found first (a pass without exp).  Returns
    ``(ln Z_ref - shift, <x>, Var(x))`` and writes p into ``p_row`` if given.
    """
    es, log_g, moments, ref = frame.es, frame.log_g_shifted, frame.moments, frame.ref
    cols = buf.size
    n = frame.live(b)  # levels beyond carry weight 0
    blocks = [(s, min(s + cols, n)) for s in range(0, n, cols)]
    if p_row is not None:
        p_row[n:] = 0.0

    def log_weights(lo: int, hi: int) -> NDArray[np.float64]:
        w = buf[: hi - lo] if p_row is None else p_row[lo:hi]
        with np.errstate(over="ignore"):
            np.multiply(es[lo:hi], -b, out=w)
        w += log_g[lo:hi]
        return w

    offset = 0.0
    if top is None:
        top = ref
    else:
        offset = -np.inf
        for lo, hi in blocks:
            w = log_weights(lo, hi)
            j = int(np.argmax(w))
            if w[j] > offset:
                offset, top = float(w[j]), lo + j
    x1, x2 = moments[:, 0], moments[:, 1]  # contiguous columns (column-major)
    rest = s1 = s2 = 0.0  # sums of w, w x, w x^2 (top apart)
    for lo, hi in blocks:
        w = log_weights(lo, hi)
        if offset:
            w -= offset
        _exp_weights(w)  # the one exp per (temperature, level)
        if lo <= top < hi:
            w[top - lo] = 0.0
        rest += float(w.sum())
        s1 += float(w @ x1[lo:hi])
        s2 += float(w @ x2[lo:hi])
        if lo <= top < hi:
            w[top - lo] = 1.0
    x_top = float(x1[top])
    z = 1.0 + rest
    u = (s1 + x_top) / z
    var = (s2 + x_top * x_top) / z - u * u
    if not var > 1e-3 * u * u:  # two-pass variance (rare): weights again
        var = 0.0
        for lo, hi in blocks:
            w = log_weights(lo, hi)
            if offset:
                w -= offset
            _exp_weights(w)
            d = x1[lo:hi] - u
            var += float(w @ (d * d))
        var /= z
    if p_row is not None:
        p_row[:n] *= 1.0 / z
    return offset + float(np.log1p(rest)), u, var


def _finish(
    out: dict[str, NDArray[np.float64]],
    ii: NDArray[np.intp],
    b: NDArray[np.float64],
    frame: _Frame,
    lz: NDArray[np.float64],
    u_n: NDArray[np.float64],
    var_n: NDArray[np.float64],
) -> None:
    """U, S, C, F and ln Z from dimensionless moments: no overflow of E^2 or beta^2."""
    e_ref, scale = frame.e_ref, frame.scale
    bs = b * scale  # beta times the energy scale
    with np.errstate(over="ignore", invalid="ignore"):
        # beta (U - E_ref), exact for any finite scale; 0 where only E_ref is populated
        x_u = np.where(u_n != 0, np.where(np.isfinite(bs), bs * u_n, b * (scale * u_n)), 0.0)
        sd = np.sqrt(var_n)
        c = np.where(
            var_n > 0, np.square(np.where(np.isfinite(bs), bs * sd, b * (scale * sd))), 0.0
        )
        out["log_Z"][ii] = lz - b * e_ref
    out["internal_energy"][ii] = e_ref + scale * u_n
    out["entropy"][ii] = x_u + lz
    out["heat_capacity"][ii] = c
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        f = e_ref - lz / b
    # beta = 0 (T = +-inf): F = -T ln Z is +-inf, or U when ln Z = 0
    zero = b == 0
    if np.any(zero):
        minus_t = np.where(np.signbit(b), 1.0, -1.0)  # sign of -T at T = +-inf
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


def sweep_dataset(
    lv: EnergyLevels,
    us: UnitSystem,
    temperature: Any,
    beta: Any,
    th: dict[str, Any],
    *,
    ensemble: str = "canonical",
) -> xr.Dataset:
    """The temperature-sweep Dataset (shared by temperature_sweep and CanonicalResult)."""
    eu, tu = us.energy_unit, us.temperature_unit
    td = "temperature"
    data: dict[Hashable, Any] = {}
    if "p" in th:
        data["probability"] = variable(
            (td, "state"), th["p"], "level population", "1", "p_l = g_l exp(-beta E_l) / Z"
        )
    data.update(
        log_Z=variable(
            td, th["log_Z"], "log partition function", "1", "ln Z, Z = sum_l g_l exp(-beta E_l)"
        ),
        free_energy=variable(
            td, th["free_energy"], "Helmholtz free energy", eu, "F = -k_B T ln Z"
        ),
        internal_energy=variable(td, th["internal_energy"], "internal energy", eu, "U = <E>"),
        entropy=variable(
            td, th["entropy"], "entropy", "k_B", "S / k_B = -sum_l p_l ln(p_l / g_l)"
        ),
        heat_capacity=variable(
            td, th["heat_capacity"], "heat capacity", "k_B", "C / k_B = beta^2 Var(E)"
        ),
    )
    coords: dict[Hashable, Any] = {
        "temperature": variable(td, np.asarray(temperature, dtype=np.float64), "temperature", tu),
        "beta": variable(
            td,
            np.asarray(beta, dtype=np.float64),
            "inverse temperature",
            us.beta_unit,
            "beta = 1 / (k_B T)",
        ),
        "state": variable("state", np.arange(lv.n_levels), "level index", "1"),
        "energy": variable("state", lv.energies, "level energy", eu, "E_l"),
        "degeneracy": variable(
            "state",
            _degeneracy_coord(lv),
            "level degeneracy",
            "1",
            "g_l (inf beyond the float range; see log_degeneracy)",
        ),
        "log_degeneracy": variable(
            "state", lv.log_degeneracy, "log level degeneracy", "1", "ln g_l"
        ),
        "label": variable("state", np.array(lv.labels, dtype=str), "level label"),
    }
    return dataset(
        data,
        coords,
        title=f"canonical ensemble temperature sweep{': ' + lv.name if lv.name else ''}",
        ensemble=ensemble,
        system=lv.name or "unnamed",
        unit_system=us.name,
        energy_unit=eu,
        temperature_unit=tu,
        boltzmann_constant=float(us.boltzmann_constant),
        boltzmann_constant_units=us.boltzmann_constant_units,
        n_levels=int(lv.n_levels),
        n_states=float(lv.n_states),
        log_n_states=float(lv.log_n_states),
        probability_table=int("p" in th),
    )
