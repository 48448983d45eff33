"""Random cases and their judges for the surfaces beyond solve(): units at every entry point,
exact Ising at extreme sides and signed zeros, files of the maxent-sweep command, and hooks
for the samplers, features with non-integer indices and pairwise fits on separable data.

Each surface is ``name -> make(rng) -> Case``; a case runs one call and returns a
:class:`Verdict` in the classes of ``oracle.CLASSES`` plus :data:`UNSAFE` and
:data:`UNCLEAR` (a maxent error that does not name the argument).  The answers are checked
against independent computations: pint's own conversions (its ``boltzmann`` context for
k_B T), brute-force enumeration of small lattices and Onsager's solution for large ones,
the files actually written, and the exact enumeration of small spin models.  Used by
``benchmarks/adversarial_campaign.py`` (thousands of cases) and ``test_surfaces.py``.
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import maxent

try:
    from . import oracle
except ImportError:  # imported as a top-level module by benchmarks/adversarial_campaign.py
    import oracle  # type: ignore[no-redef]

UNSAFE = "unsafe result"
UNCLEAR = "unclear message"
REJECTED = "rejected valid input"
CLASSES = (
    oracle.SILENT_WRONG,
    oracle.UNRELATED,
    oracle.HANG,
    UNSAFE,
    UNCLEAR,
    REJECTED,
    oracle.GAVE_UP,
    oracle.OK,
)


@dataclass
class Verdict:
    outcome: str
    detail: str = ""


@dataclass
class Case:
    surface: str
    label: str
    run: Callable[[], Verdict]


def _refusal(exc: BaseException, names: tuple[str, ...]) -> Verdict:
    """A raised exception where a refusal naming one of ``names`` is the contract."""
    if not isinstance(exc, maxent.MaxEntError):
        return Verdict(oracle.UNRELATED, f"{type(exc).__name__}: {exc}"[:200])
    if not any(f"`{n}" in str(exc) for n in names):
        return Verdict(UNCLEAR, f"does not name {names}: {exc}"[:200])
    return Verdict(oracle.OK)


def _close(a: object, b: object, rtol: float = 1e-11, atol: float = 1e-300) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _call(thunk: Callable[[], object]) -> tuple[object, BaseException | None]:
    """Run ``thunk`` with warnings as errors (a ConvergenceWarning counts as giving up)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return thunk(), None
        except BaseException as exc:  # noqa: BLE001 - classified by the judges
            if isinstance(exc, (KeyboardInterrupt, SystemExit, TimeoutError)):
                raise  # (TimeoutError: the campaign's alarm, a hang)
            return None, exc


# ---------------------------------------------------------------------------- units
def _ureg():
    import pint

    return pint.get_application_registry()


#: entry point -> (kind of its argument, call taking the value, names it may be refused by)
#: kinds: "energy" (levels in meV), "temperature" (kelvin, levels in meV), "number"
#: (dimensionless only), "count" (dimensionless integer)
_E = np.array([0.0, 1.0, 2.5, 4.0])


def _levels_mev():
    return maxent.EnergyLevels(_E, unit="meV")


_SPINS = maxent.IsingModel((2, 2))


def _quiet(thunk: Callable[[], object]) -> object:
    """``thunk()`` with short chains' ConvergenceWarning ignored (the same for the
    quantity and the plain number: the two runs are compared, not judged)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", maxent.ConvergenceWarning)
        return thunk()


def _sampled(run: Callable[..., object], temperatures: object) -> object:
    ds = _quiet(lambda: run(_SPINS, temperatures, n_sweeps=20, seed=3))
    return ds["energy" if "energy" in ds else "internal_energy"].values  # type: ignore[index]


def _in_metres(v: object) -> object:
    """A plain support in metres (the reference call), a quantity as given."""
    if isinstance(v, (list, tuple)) and v and hasattr(v[0], "units"):
        return v
    return v if hasattr(v, "units") else _ureg().Quantity(np.asarray(v, dtype=float), "m")


def _has_unit(v: object) -> bool:
    """Whether ``v`` (a quantity or a list starting with one) has a dimension."""
    first = v[0] if isinstance(v, (list, tuple)) else v
    return hasattr(first, "units") and not first.dimensionless


def _at_25_kelvin(v: object, model: Callable[[object, object], object]) -> object:
    """p at 25 K of ``model(v)``: given with a unit, the model's levels carry it and the
    temperature is a quantity; given as a number in meV, the temperature is too."""
    ureg = _ureg()
    with ureg.context("boltzmann"):  # pint's k_B: the numbers in meV
        t_max, t = (ureg.Quantity(x, "K") for x in (100.0, 25.0))
        if not _has_unit(v):
            t_max, t = t_max.to("meV").magnitude, t.to("meV").magnitude
    levels = model(v, t_max)  # truncated for temperatures up to 100 K
    return maxent.canonical(levels, temperature=t).p  # type: ignore[arg-type]


def _debye(v: object) -> object:
    t = _ureg().Quantity([10.0, 100.0], "K") if _has_unit(v) else [10.0, 100.0]
    return maxent.models.debye_solid(t, v).heat_capacity.values  # type: ignore[arg-type]


_CALC = np.random.default_rng(5).normal(size=(40, 2))


def _reweight(v: object, which: str) -> object:
    """reweight() with ``v`` as one of its inputs; ``which="observables"`` splits ``v``
    into calc (80 values), targets and sigma (2 each), all in the same unit."""
    args = {"calc": _CALC, "targets": [0.1, -0.1], "sigma": [0.3, 0.2], "theta": 2.0}
    if which == "observables":
        args.update(calc=v[:80], targets=v[80:82], sigma=v[82:84])  # type: ignore[index]
        if not isinstance(args["calc"], list):
            args["calc"] = args["calc"].reshape(40, 2)
        else:
            args["calc"] = [args["calc"][i : i + 2] for i in range(0, 80, 2)]
    else:
        args[which] = v
    calc = args.pop("calc")
    return maxent.reweight(calc, args.pop("targets"), args.pop("sigma"), **args).weights


UNIT_ENTRIES: dict[str, tuple[str, Callable[[object], object], tuple[str, ...]]] = {
    "canonical.temperature": (
        "temperature",
        lambda v: maxent.canonical(_levels_mev(), temperature=v).p,
        ("temperature",),
    ),
    "canonical.internal_energy": (
        "energy",
        lambda v: maxent.canonical(_levels_mev(), internal_energy=v).p,
        ("internal_energy",),
    ),
    "grand_canonical.chemical_potential": (
        "energy",
        lambda v: (
            maxent.grand_canonical(
                maxent.EnergyLevels(_E, unit="meV"),
                [0, 1, 1, 2],
                temperature=20.0,
                chemical_potential=v,
            ).p
        ),
        ("chemical_potential",),
    ),
    "temperature_sweep.temperatures": (
        "temperature",
        lambda v: maxent.temperature_sweep(_levels_mev(), v).entropy.values,
        ("temperatures",),
    ),
    "EnergyLevels.energies": (
        "energy",
        lambda v: maxent.EnergyLevels(v, unit="meV").energies,
        ("energies",),
    ),
    "solve.targets": ("number", lambda v: maxent.solve(np.arange(1.0, 7.0), v).p, ("targets",)),
    "solve.prior": (
        "number",
        lambda v: maxent.solve(np.arange(1.0, 7.0), [3.0], prior=v).p,
        ("prior",),
    ),
    "softmax.logits": ("number", lambda v: maxent.softmax(v), ("logits",)),
    "grand_canonical.particle_numbers": (
        "number",
        lambda v: maxent.grand_canonical(_E, v, temperature=1.0, chemical_potential=0.2).p,
        ("particle_numbers",),
    ),
    "EnergyLevels.degeneracy": (
        "number",
        lambda v: maxent.EnergyLevels(_E, v).degeneracy,
        ("degeneracy",),
    ),
    "fit.sigma": (
        "number",
        lambda v: maxent.fit(np.eye(4), np.ones(4), v, penalty="l2", alpha=0.1).x,
        ("sigma",),
    ),
    "ising_2d_thermo.temperatures": (
        "number",
        lambda v: maxent.models.ising_2d_thermo(3, v).internal_energy_per_site.values,
        ("temperatures",),
    ),
    "solve.tol": (
        "number",
        lambda v: maxent.solve(np.arange(1.0, 7.0), [3.0], tol=v).p,
        ("tol",),
    ),
    "solve.max_iter": (
        "count",
        lambda v: maxent.solve(np.arange(1.0, 7.0), [3.0], max_iter=v).p,
        ("max_iter",),
    ),
    # the entry points added since issue 23 was filed
    "density.targets": (
        "number",
        lambda v: maxent.density(v, support=(0.0, 1.0)).multipliers,
        ("targets",),
    ),
    "density.targets in m": (
        "length",
        lambda v: maxent.density(v, support=_ureg().Quantity([0.0, 1.0], "m")).multipliers,
        ("targets",),
    ),
    "density.support": (
        "length",
        lambda v: maxent.density([_ureg().Quantity(0.3, "m")], support=_in_metres(v)).cdf(
            _ureg().Quantity([0.2, 0.5], "m")  # the same in any unit of the support
        ),
        ("support", "targets"),
    ),
    "reweight.targets": ("number", lambda v: _reweight(v, "targets"), ("targets", "calc")),
    "reweight.sigma": ("number", lambda v: _reweight(v, "sigma"), ("sigma", "calc")),
    "reweight.theta": ("number", lambda v: _reweight(v, "theta"), ("theta",)),
    "reweight.observables": (
        "free",
        lambda v: _reweight(v, "observables"),
        ("calc", "targets", "sigma"),
    ),
    "monte_carlo.temperature": (
        "number",
        lambda v: _sampled(maxent.monte_carlo, v),
        ("temperature",),
    ),
    "parallel_tempering.temperatures": (
        "number",
        lambda v: _sampled(maxent.parallel_tempering, v),
        ("temperatures",),
    ),
    "sample_sweep.temperatures": (
        "number",
        lambda v: _sampled(maxent.sample_sweep, v),
        ("temperatures",),
    ),
    "lattice_spectrum.coupling": (
        "number",
        lambda v: maxent.models.lattice_spectrum(maxent.IsingModel((2, 2), coupling=v)).energies,
        ("coupling",),
    ),
    "two_level.gap": (
        "energy",
        lambda v: _at_25_kelvin(v, lambda gap, t_max: maxent.models.two_level(gap)),
        ("gap",),
    ),
    "einstein_solid.hbar_omega": (
        "energy",
        lambda v: _at_25_kelvin(
            v, lambda w, t_max: maxent.models.einstein_solid(2, w, max_temperature=t_max)
        ),
        ("hbar_omega",),
    ),
    "debye_solid.debye_temperature": ("temperature", _debye, ("debye_temperature",)),
    "IsingModel.field": (
        "number",
        lambda v: maxent.IsingModel((3,), field=v).energy([[1, -1, 1]]),
        ("field",),
    ),
}

#: plain values for each entry (what a number means there: meV, K, or a plain number)
_PLAIN = {
    "canonical.temperature": 25.0,
    "canonical.internal_energy": 1.5,
    "grand_canonical.chemical_potential": 0.7,
    "temperature_sweep.temperatures": [10.0, 30.0, 100.0],
    "EnergyLevels.energies": [0.0, 1.0, 2.0],
    "solve.targets": [3.0],
    "solve.prior": [1.0, 2.0, 1.0, 1.0, 0.5, 1.0],
    "softmax.logits": [0.5, 1.0, 3.0],
    "grand_canonical.particle_numbers": [0, 1, 1, 2],
    "EnergyLevels.degeneracy": [1.0, 2.0, 3.0, 1.0],
    "fit.sigma": [0.1, 0.2, 0.1, 0.3],
    "ising_2d_thermo.temperatures": [1.0, 2.5],
    "solve.tol": 1e-9,
    "solve.max_iter": 50,
    "density.targets": [0.3],
    "density.targets in m": [0.3],
    "density.support": [0.0, 1.0],
    "reweight.targets": [0.1, -0.1],
    "reweight.sigma": [0.3, 0.2],
    "reweight.theta": 2.0,
    "reweight.observables": [*_CALC.ravel(), 0.1, -0.1, 0.3, 0.2],
    "monte_carlo.temperature": 2.0,
    "parallel_tempering.temperatures": [1.5, 3.0],
    "sample_sweep.temperatures": [1.5, 3.0],
    "lattice_spectrum.coupling": -0.5,
    "IsingModel.field": 0.25,
    "two_level.gap": 2.0,
    "einstein_solid.hbar_omega": 1.5,
    "debye_solid.debye_temperature": 300.0,
}

#: units to dress a value in, by dimension (those pint converts to meV or K by itself,
#: with its "boltzmann" and "sp" contexts: an independent conversion to compare with)
_UNITS = {
    "energy": ("meV", "eV", "K", "cm^-1", "THz", "hartree"),
    "temperature": ("K", "degC", "mK"),
    "number": ("", "dimensionless", "percent"),
    "other": ("m", "cm", "inch", "s", "T", "1/meV"),
}


def _own_unit(kind: str) -> str:
    return {"energy": "meV", "temperature": "K", "length": "m"}.get(kind, "")


def _expected(kind: str, q: object) -> tuple[object | None, bool]:
    """(the number ``q`` stands for in the entry's own unit, or None if maxent must refuse
    it, and whether it must)."""
    ureg = _ureg()
    if kind == "free":  # any unit, the same for all: the numbers as given
        return q.magnitude, False
    if kind == "length":
        return (q.to("m").magnitude, False) if q.check("[length]") else (None, True)
    if q.dimensionless:  # its number, in the entry's own unit (as a plain number is)
        if kind == "count" and f"{q.units}" not in ("dimensionless", ""):
            return None, True  # 5000 percent is the float 50.0: no integer
        return q.to("").magnitude, False
    if kind in ("number", "count") or q.check("[length]") or q.check("1/[length]/[length]"):
        return None, True
    if kind == "energy" and q.check("[temperature]") and str(q.units).startswith("degree_"):
        return None, True  # an energy with an offset (degC) is no energy scale (mK is k_B mK)
    try:
        # k_B T, h nu, h c / lambda: pint's own conversions
        with ureg.context("boltzmann", "sp"), np.errstate(divide="ignore"):
            return q.to(_own_unit(kind)).magnitude, False
    except Exception:  # noqa: BLE001 - no conversion: maxent must refuse
        return None, True


def _dress(plain: object, kind: str, unit: str) -> object:
    """``plain`` (in the entry's own unit) as a quantity in ``unit``: converted where pint
    converts, else the same magnitudes in ``unit``."""
    ureg = _ureg()
    if kind == "free":
        return ureg.Quantity(np.asarray(plain, dtype=float), unit)
    own = ureg.Quantity(
        plain if kind == "count" else np.asarray(plain, dtype=float), _own_unit(kind)
    )
    try:
        with ureg.context("boltzmann", "sp"), np.errstate(divide="ignore"):  # 0 -> 1/meV
            return own.to(unit) if not (kind == "count" and unit in ("", "dimensionless")) else own
    except Exception:  # noqa: BLE001
        return ureg.Quantity(own.magnitude, unit)


def _units_case(rng: np.random.Generator) -> Case:
    entry = list(UNIT_ENTRIES)[int(rng.integers(len(UNIT_ENTRIES)))]
    kind, call, names = UNIT_ENTRIES[entry]
    group = ("energy", "temperature", "number", "other")[int(rng.integers(4))]
    unit = _UNITS[group][int(rng.integers(len(_UNITS[group])))]
    form = ("quantity", "list", "mixed list")[int(rng.integers(3))]
    label = f"{entry} <- {form} in {unit!r}"

    def run() -> Verdict:
        ureg = _ureg()
        q = _dress(_PLAIN[entry], kind, unit)
        expected, refuse = _expected(kind, q)
        value: object = q
        if form != "quantity" and np.ndim(q.magnitude) == 1:
            mags = list(q.magnitude)
            value = [ureg.Quantity(m, q.units) for m in mags]
            if form == "mixed list" and len(mags) > 1:
                value = [value[0], *[float(m) for m in mags[1:]]]
                refuse = True
        got, exc = _call(lambda: call(value))
        percent = kind in ("energy", "temperature") and unit == "percent"
        if percent and isinstance(exc, maxent.MaxEntError):
            return _refusal(exc, names)  # energies "in percent": a number, or refused by name
        if refuse:
            if exc is None:
                return Verdict(oracle.SILENT_WRONG, "accepted a quantity it should refuse")
            return _refusal(exc, names)
        if exc is not None:
            if isinstance(exc, maxent.MaxEntError):
                return Verdict(REJECTED, f"{exc}"[:200])
            return Verdict(oracle.UNRELATED, f"{type(exc).__name__}: {exc}"[:200])
        ref, exc2 = _call(lambda: call(expected))
        if exc2 is not None:
            return Verdict(oracle.OK, "the plain value is refused too")
        if not _close(got, ref, rtol=1e-9):
            return Verdict(oracle.SILENT_WRONG, f"{np.ravel(got)[:3]} vs {np.ravel(ref)[:3]}")
        return Verdict(oracle.OK)

    return Case("units", label, run)


# ---------------------------------------------------------------------------- exact Ising
_SIDES = (2, 3, 4, 5, 6, 8, 16, 33, 64, 2**10, 2**16, 2**20, 2**20 + 1, 2**40, 2**62)
_BAD_SIDES = (1, 0, -3, 2.0, True, "4", None, np.nan)
_TC = 2.0 / math.log1p(math.sqrt(2.0))
_T_POOL = (0.0, -0.0, 1e-300, 1e-5, 0.3, 1.0, 1.5, 2.0, _TC, 2.5, 3.0, 5.0, 9.9, 10.1, 1e4)
_T_POOL += (1e300, np.inf, -1.0, np.nan)


def _brute_force_per_site(rows: int, cols: int, t: np.ndarray) -> dict[str, np.ndarray]:
    """ln Z, U, C per site by summing every configuration (LM <= 16)."""
    n = rows * cols
    c = np.arange(2**n)
    s = (1 - 2 * ((c[:, None] >> np.arange(n)) & 1)).reshape(-1, rows, cols)
    e = -np.sum(s * np.roll(s, 1, axis=1), axis=(1, 2)) - np.sum(
        s * np.roll(s, 1, axis=2), axis=(1, 2)
    )
    e = e.astype(float)
    out = {"log_Z": [], "internal_energy": [], "heat_capacity": []}
    for temp in t:
        if temp == 0:
            out["log_Z"].append(np.inf)
            out["internal_energy"].append(e.min() / n)
            out["heat_capacity"].append(0.0)
            continue
        with np.errstate(over="ignore"):
            a = -(e - e.min()) / temp  # <= 0; overflow only to -inf, a zero weight
        w = np.exp(a)
        z = w.sum()
        u = (w @ e) / z
        var = (w @ (e - u) ** 2) / z
        out["log_Z"].append((np.log(z) - e.min() / temp) / n)
        out["internal_energy"].append(u / n)
        out["heat_capacity"].append((math.sqrt(var) / temp) ** 2 / n if var > 0 else 0.0)
    return {k: np.array(v) for k, v in out.items()}


def _ising_case(rng: np.random.Generator) -> Case:
    bad = rng.random() < 0.15
    side = (
        _BAD_SIDES[int(rng.integers(len(_BAD_SIDES)))]
        if bad
        else (np.inf if rng.random() < 0.1 else _SIDES[int(rng.integers(len(_SIDES)))])
    )
    columns = None
    if side is not np.inf and not bad and rng.random() < 0.4:
        columns = _SIDES[int(rng.integers(len(_SIDES)))]
    temps = [_T_POOL[int(i)] for i in rng.integers(len(_T_POOL), size=int(rng.integers(1, 5)))]
    label = f"ising_2d_thermo({side!r}, {temps}, columns={columns!r})"

    def run() -> Verdict:
        got, exc = _call(lambda: maxent.models.ising_2d_thermo(side, temps, columns=columns))
        t = np.asarray(temps, dtype=float)
        invalid_t = bool(np.any(np.isnan(t) | np.signbit(t)))
        rows = side if isinstance(side, int) and not isinstance(side, bool) else None
        cols = columns if columns is not None else rows
        too_big = rows is not None and cols is not None and max(rows, cols) > 2**20
        if bad or invalid_t or too_big:
            if exc is None:
                return Verdict(oracle.SILENT_WRONG, "accepted invalid input")
            return _refusal(exc, ("side", "columns", "temperatures"))
        if exc is not None:
            return Verdict(
                oracle.UNRELATED if not isinstance(exc, maxent.MaxEntError) else REJECTED,
                f"{type(exc).__name__}: {exc}"[:200],
            )
        ds = got
        u, c = ds.internal_energy_per_site.values, ds.heat_capacity_per_site.values
        finite = np.isfinite(t) & (t > 0)
        if not (np.all(np.isfinite(u)) and np.all(c >= 0) and np.all(np.isfinite(c[finite]))):
            return Verdict(oracle.SILENT_WRONG, f"U {u}, C {c}")
        if np.any(u < -2.0 - 1e-12) or np.any(u > 1e-12):
            return Verdict(oracle.SILENT_WRONG, f"U per site {u} outside [-2, 0]")
        if rows is not None and rows * cols <= 16:
            ref = _brute_force_per_site(rows, cols, t)
            for k in ("internal_energy", "heat_capacity"):
                got_k = ds[f"{k}_per_site"].values
                if not _close(got_k, ref[k], rtol=1e-9, atol=1e-12):
                    return Verdict(oracle.SILENT_WRONG, f"{k} {got_k} vs enumeration {ref[k]}")
        elif side is np.inf or (rows is not None and min(rows, cols) >= 64):
            away = finite & (np.abs(t - _TC) > 0.5) & (t < 1e3)
            if np.any(away) and side is not np.inf:
                inf = maxent.models.ising_2d_thermo(np.inf, t[away])
                for k in ("internal_energy", "heat_capacity"):
                    k = f"{k}_per_site"
                    if not _close(ds[k].values[away], inf[k].values, rtol=1e-8, atol=1e-12):
                        return Verdict(oracle.SILENT_WRONG, f"{k} vs Onsager")
        return Verdict(oracle.OK)

    return Case("ising", label, run)


# ---------------------------------------------------------------------------- CLI files
_ROWS = ("0,1", "1,3", "2.5,1", "1/2,2", "1/0,1", "nan,1", "1e309,1", "3,-2", "4,0", ",", "x,1")
_HEADERS = ("energy,g", "energy,g,energy", "Energy,degeneracy", "energy", "e,g,label", "g,label")
_COMMENTS = (
    "",
    "# unit: meV\n",
    "# unit: furlong\n",
    "# name: a\x00b\n",
    "# unit: dimensionless\n",
)


def _cli_case(rng: np.random.Generator, workdir: Path) -> Case:
    import shutil

    choice = int(rng.integers(3))
    args: list[str]
    files: dict[str, bytes] = {}
    if choice == 0:
        gap = ("1e-300", "1e300", "1e-12", "1", "0", "-1", "nan", "inf")[int(rng.integers(8))]
        model = ("harmonic", "two-level", "rotor", "einstein", "paramagnet")[int(rng.integers(5))]
        args = ["--model", model, "--gap", gap]
    else:
        header = _HEADERS[int(rng.integers(len(_HEADERS)))]
        n_cols = header.count(",") + 1
        rows = [
            ",".join([_ROWS[int(i)]] + ["1"] * (n_cols - 2)) if n_cols > 2 else _ROWS[int(i)]
            for i in rng.integers(len(_ROWS), size=int(rng.integers(1, 5)))
        ]
        text = (
            _COMMENTS[int(rng.integers(len(_COMMENTS)))] + header + "\n" + "\n".join(rows) + "\n"
        )
        data = text.encode("utf-8", "surrogatepass")
        if rng.random() < 0.1:
            data += b"\xff\xfe"  # not UTF-8
        files["lv.csv"] = data
        args = ["--levels", "lv.csv"]
    if rng.random() < 0.3:
        args += ["--tmin", ("1e-320", "0.5", "nan", "-1")[int(rng.integers(4))]]
    args += ["--n-temperatures", str(int(rng.integers(1, 7))), "--dpi", "20"]
    existing = rng.random() < 0.5
    out_parent_is_file = rng.random() < 0.1
    label = " ".join(args) + (" (outputs exist)" if existing else "")

    def run() -> Verdict:
        from maxent import cli

        case_dir = workdir / f"case{rng.integers(1 << 30)}"
        shutil.rmtree(case_dir, ignore_errors=True)
        case_dir.mkdir(parents=True)
        for name, data in files.items():
            (case_dir / name).write_bytes(data)
        out = case_dir / ("lv.csv/o.nc" if out_parent_is_file and files else "o.nc")
        png = case_dir / "o.png"
        if existing:
            png.write_bytes(b"old png")
            if out.parent.is_dir():
                out.write_bytes(b"old nc")
        replacing = out.is_file() or png.is_file()
        before = {p.name: p.read_bytes() for p in case_dir.iterdir()}
        full = [a if a != "lv.csv" else str(case_dir / "lv.csv") for a in args]
        stdout, stderr = io.StringIO(), io.StringIO()
        cwd = os.getcwd()
        try:
            os.chdir(case_dir)
            with redirect_stdout(stdout), redirect_stderr(stderr), warnings.catch_warnings():
                warnings.simplefilter("error")
                rc = cli.main([*full, "--out", str(out), "--png", str(png)])
        except SystemExit as exc:  # argparse: exit 2 with its usage line
            rc = exc.code if isinstance(exc.code, int) else 1
        except TimeoutError:
            raise  # the campaign's time limit: a hang
        except Exception as exc:  # noqa: BLE001
            return Verdict(oracle.UNRELATED, f"{type(exc).__name__}: {exc}"[:200])
        finally:
            os.chdir(cwd)
        err = stderr.getvalue()
        now = {p.name: p for p in case_dir.iterdir()}
        if any(n.startswith(".") for n in now):
            return Verdict(UNSAFE, f"temporary file left: {sorted(now)}")
        if "Traceback" in err:
            return Verdict(oracle.UNRELATED, err[-200:])
        if rc == 0:
            if not (out.is_file() and png.read_bytes()[:4] == b"\x89PNG"):
                return Verdict(oracle.SILENT_WRONG, "exit 0 without both outputs")
            import xarray as xr

            with xr.open_dataset(out) as ds:
                if not np.all(np.isfinite(ds.heat_capacity.values)):
                    return Verdict(oracle.SILENT_WRONG, "non-finite heat capacity written")
            if replacing and "replaced" not in stdout.getvalue():
                return Verdict(UNSAFE, "replaced outputs without saying so")
            return Verdict(oracle.OK)
        if rc != 2:
            return Verdict(oracle.UNRELATED, f"exit {rc}: {err[-200:]}")
        if {n: p.read_bytes() for n, p in now.items() if p.is_file()} != {
            n: b for n, b in before.items() if (case_dir / n).is_file()
        }:
            return Verdict(UNSAFE, "a failed run changed or left files")
        if not err.startswith(("maxent-sweep: error:", "usage:")):
            return Verdict(UNCLEAR, err[:200])
        if re.search(r"/\.o\.", err):
            return Verdict(UNCLEAR, f"names a temporary file: {err[:200]}")
        return Verdict(oracle.OK)

    return Case("cli", label, run)


# ---------------------------------------------------------------------------- hooks
def _exact_ising(shape: tuple[int, ...], coupling: float, t: float) -> float:
    """<E> per site of the periodic Ising model on ``shape`` by enumeration."""
    model = maxent.IsingModel(shape, coupling=coupling)
    n = model.n_sites
    c = np.arange(2**n)
    spins = (1 - 2 * ((c[:, None] >> np.arange(n)) & 1)).reshape(-1, *shape).astype(np.int8)
    e = np.asarray(model.energy(spins), dtype=float)
    a = -e / t
    w = np.exp(a - a.max())
    return float(w @ e / w.sum()) / n


_SHAPES = ((8,), (12,), (3, 3), (3, 4), (4, 4), (2, 2, 2), (2, 2, 3))


def _sampler_case(rng: np.random.Generator) -> Case:
    shape = _SHAPES[int(rng.integers(len(_SHAPES)))]
    coupling = (1.0, -1.0)[int(rng.integers(2))]
    t = (0.8, 1.5, 2.5, 5.0)[int(rng.integers(4))]
    sampler = ("metropolis", "wolff")[int(rng.integers(2))]
    seed = (0, 1, 12345, -1, "abc", 1.5)[int(rng.integers(6))]
    runner = ("monte_carlo", "parallel_tempering", "sample_sweep")[int(rng.integers(3))]
    temps = t if runner == "monte_carlo" else [t, 1.6 * t]  # judged at t
    label = f"{runner}({shape}, J={coupling}, T={temps}, {sampler}, seed={seed!r})"

    def run() -> Verdict:
        model = maxent.IsingModel(shape, coupling=coupling)
        sample = getattr(maxent, runner)
        got, exc = _call(lambda: sample(model, temps, sampler=sampler, n_sweeps=4000, seed=seed))
        bad_seed = not (isinstance(seed, int) and seed >= 0)
        if bad_seed:
            if exc is None:
                return Verdict(oracle.SILENT_WRONG, f"accepted seed {seed!r}")
            return _refusal(exc, ("seed", "coupling"))  # (wolff also refuses J < 0)
        if isinstance(exc, maxent.ConvergenceWarning):
            return Verdict(oracle.GAVE_UP, str(exc)[:200])  # its chains disagree: said
        if exc is not None:
            if isinstance(exc, maxent.MaxEntError) and sampler == "wolff" and coupling < 0:
                return Verdict(oracle.OK, "wolff refuses antiferromagnets")
            return Verdict(oracle.UNRELATED, f"{type(exc).__name__}: {exc}"[:200])
        from maxent.timeseries import blocking_error

        if runner == "sample_sweep":  # its own estimate and error bar
            u = float(got["internal_energy"].values[0])
            err = float(got["internal_energy_error"].values[0])
            size = 2 * 4000
        else:  # the chains of monte_carlo, the replica at t of parallel_tempering
            chains = np.atleast_2d(np.asarray(got["energy"].values, dtype=float))
            chains = chains[:1] if runner == "parallel_tempering" else chains
            u = float(chains.mean())
            err = math.sqrt(sum(blocking_error(c) ** 2 for c in chains)) / len(chains)
            size = chains.size
        exact = _exact_ising(shape, coupling, t) * model.n_sites
        # 5 error bars, and the resolution of the chain itself (a state of weight below
        # 1/n_records may never be visited: the blocking error is then 0)
        resolution = 4.0 * abs(coupling) * model.n_sites / size
        if not abs(u - exact) <= 5.0 * err + resolution:
            return Verdict(oracle.SILENT_WRONG, f"<E> = {u:.5g} +- {err:.2g}, exact {exact:.5g}")
        return Verdict(oracle.OK)

    return Case("samplers", label, run)


# features and pairwise: surfaces_pairwise.py (imported here, below the shared helpers)
try:
    from . import surfaces_pairwise
except ImportError:  # imported as a top-level module by benchmarks/adversarial_campaign.py
    import surfaces_pairwise  # type: ignore[no-redef]


def _warm_samplers(model: object, sampler: str) -> None:
    for run, temps in (
        (maxent.monte_carlo, 2.0),
        (maxent.parallel_tempering, [2.0, 3.0]),
        (maxent.sample_sweep, [2.0, 3.0]),
    ):
        _quiet(lambda: run(model, temps, sampler=sampler, n_sweeps=20))  # noqa: B023


def warm_up(surface: str) -> None:
    """Call the surface's entry points once (compiled kernels, first imports), so that
    the campaign's time limit measures the cases, not the compilers."""
    if surface == "units":
        for entry, (_, call, _) in UNIT_ENTRIES.items():
            _call(lambda call=call, entry=entry: call(_PLAIN[entry]))
    elif surface == "samplers":
        shapes = (_SPINS, maxent.IsingModel((2, 2, 2)), maxent.IsingModel((8,)))
        for model in shapes:
            for sampler in ("metropolis", "wolff"):
                _call(lambda m=model, s=sampler: _warm_samplers(m, s))
    elif surface == "ising":
        _call(lambda: maxent.models.ising_2d_thermo(4, [0.5, 2.0, 50.0]))


#: surface -> case factory (``cli`` also takes a working directory)
SURFACES: dict[str, Callable[..., Case]] = {
    "units": _units_case,
    "ising": _ising_case,
    "cli": _cli_case,
    "samplers": _sampler_case,
    "features": surfaces_pairwise.features_case,
    "pairwise": surfaces_pairwise.pairwise_case,
}
#: surfaces whose code belongs to other parts of the project: reported, not gated in CI
HOOKS = ("samplers", "features", "pairwise")
