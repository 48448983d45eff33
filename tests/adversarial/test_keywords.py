"""Bad values for every keyword of every public function: a maxent error naming the keyword.

Contract: ``InvalidInputError`` (a ``ValueError``) whose message names the argument in
backticks; never a ``TypeError``/``OverflowError`` from inside, never a numpy warning
(warnings are errors in this suite), never a silent cast (complex -> real).  Numpy scalars
of a valid value (``np.float32(0.5)``, ``np.int64(3)``) are accepted like Python numbers.
"""

import numpy as np
import pytest
import xarray as xr

import maxent
from maxent import InvalidInputError, models

F6 = np.arange(1.0, 7.0)
TWO = [0.0, 1.0]
OWNER = {  # functions whose checks belong to another branch of this round
    "canonical": "issue9", "grand_canonical": "issue9", "softmax": "issue9",
    "temperature_sweep": "issue9", "models": "issue9", "EnergyLevels": "issue9",
    "plot": "issue9", "fit": "issue13",
}


def _sweep():
    return maxent.temperature_sweep([0.0, 1.0], [0.5, 1.0, 2.0])


# name -> (call taking the keyword's value, owner key)
CALLS = {
    "solve.tol": (lambda v: maxent.solve(F6, [3.5], tol=v), None),
    "solve.max_iter": (lambda v: maxent.solve(F6, [3.5], max_iter=v), None),
    "solve.chunk_size": (lambda v: maxent.solve(F6, [3.5], chunk_size=v), None),
    "solve.targets": (lambda v: maxent.solve(F6, [v]), None),
    "solve.prior": (lambda v: maxent.solve(F6, [3.5], prior=[v] * 6), None),
    "solve.sigma": (lambda v: maxent.solve(F6, [3.5], sigma=[v]), None),
    "solve.lower": (lambda v: maxent.solve(F6, lower=[v]), None),
    "solve.initial_multipliers": (lambda v: maxent.solve(F6, [3.5], initial_multipliers=[v]),
                                  None),
    "canonical.temperature": (lambda v: maxent.canonical(TWO, temperature=v), "canonical"),
    "canonical.beta": (lambda v: maxent.canonical(TWO, beta=v), "canonical"),
    "canonical.internal_energy": (lambda v: maxent.canonical(TWO, internal_energy=v),
                                  "canonical"),
    "canonical.tol": (lambda v: maxent.canonical(TWO, internal_energy=0.3, tol=v),
                      "canonical"),
    "grand_canonical.temperature": (
        lambda v: maxent.grand_canonical(TWO, [0, 1], temperature=v, chemical_potential=0.0),
        "grand_canonical"),
    "grand_canonical.chemical_potential": (
        lambda v: maxent.grand_canonical(TWO, [0, 1], temperature=1.0, chemical_potential=v),
        "grand_canonical"),
    "softmax.temperature": (lambda v: maxent.softmax(TWO, temperature=v), "softmax"),
    "softmax.axis": (lambda v: maxent.softmax(TWO, axis=v), "softmax"),
    "temperature_sweep.chunk_size": (
        lambda v: maxent.temperature_sweep(TWO, [1.0, 2.0], chunk_size=v), "temperature_sweep"),
    "temperature_sweep.temperatures": (
        lambda v: maxent.temperature_sweep(TWO, [1.0, v]), "temperature_sweep"),
    "fit.alpha": (lambda v: maxent.fit(np.eye(3), np.ones(3), np.full(3, 0.1), alpha=v),
                  "fit"),
    "fit.max_iter": (lambda v: maxent.fit(np.eye(3), np.ones(3), np.full(3, 0.1), alpha=0.1,
                                          max_iter=v), "fit"),
    "fit.tol": (lambda v: maxent.fit(np.eye(3), np.ones(3), np.full(3, 0.1), alpha=0.1, tol=v),
                "fit"),
    "fit.l1_ratio": (lambda v: maxent.fit(np.eye(3), np.ones(3), np.full(3, 0.1), alpha=0.1,
                                          penalty="elastic", l1_ratio=v), "fit"),
    "fit.sigma": (lambda v: maxent.fit(np.eye(3), np.ones(3), np.full(3, v), alpha=0.1), "fit"),
    "two_level.gap": (lambda v: models.two_level(v), "models"),
    "equally_spaced.n_levels": (lambda v: models.equally_spaced(v), "models"),
    "equally_spaced.spacing": (lambda v: models.equally_spaced(3, v), "models"),
    "harmonic_oscillator.hbar_omega": (lambda v: models.harmonic_oscillator(v), "models"),
    "harmonic_oscillator.max_temperature": (
        lambda v: models.harmonic_oscillator(1.0, max_temperature=v), "models"),
    "harmonic_oscillator.tol": (lambda v: models.harmonic_oscillator(1.0, tol=v), "models"),
    "rigid_rotor.rotational_constant": (lambda v: models.rigid_rotor(v), "models"),
    "rigid_rotor.max_temperature": (lambda v: models.rigid_rotor(1.0, max_temperature=v),
                                    "models"),
    "einstein_solid.n_oscillators": (lambda v: models.einstein_solid(v), "models"),
    "einstein_solid.hbar_omega": (lambda v: models.einstein_solid(2, v), "models"),
    "ising_2d.side": (lambda v: models.ising_2d(v), "models"),
    "ising_chain.n_spins": (lambda v: models.ising_chain(v), "models"),
    "paramagnet.n_spins": (lambda v: models.paramagnet(v), "models"),
    "paramagnet.field": (lambda v: models.paramagnet(2, v), "models"),
    "paramagnet.moment": (lambda v: models.paramagnet(2, 1.0, moment=v), "models"),
    "EnergyLevels.energies": (lambda v: maxent.EnergyLevels(np.array([0.0, v])),
                              "EnergyLevels"),
    "EnergyLevels.degeneracy": (
        lambda v: maxent.EnergyLevels(np.array([0.0, 1.0]), np.array([1.0, v])),
        "EnergyLevels"),
    "plot_populations.floor": (lambda v: maxent.plot_populations(_sweep(), floor=v), "plot"),
}

REAL_KEYWORDS = [k for k in CALLS if not k.endswith(("max_iter", "chunk_size", "n_levels",
                                                     "n_oscillators", "side", "n_spins", "axis"))]
INT_KEYWORDS = [k for k in CALLS if k not in REAL_KEYWORDS]
OPTIONAL = {"solve.chunk_size", "canonical.beta", "fit.tol", "temperature_sweep.chunk_size"}
ARRAY_ENTRY = {"solve.targets", "solve.prior", "solve.sigma", "solve.lower",
               "solve.initial_multipliers", "temperature_sweep.temperatures", "fit.sigma",
               "EnergyLevels.energies", "EnergyLevels.degeneracy"}

BAD_REAL = {"str": "a", "complex": 1j, "nan": float("nan"), "huge int": 10**400,
            "list": [1.0, 2.0], "None": None}
BAD_INT = {"str": "3", "float": 2.5, "nan": float("nan"), "None": None, "complex": 1j,
           "huge int": 10**400}

# Failing on this branch; the checks live in files owned by another branch of this round.
NOT_HERE = {
    "softmax.axis": ("str", "float", "nan", "None", "complex", "huge int"),
    "temperature_sweep.chunk_size": ("huge int",),
    "fit.alpha": ("huge int",),
    "fit.max_iter": ("huge int",),
    "fit.tol": ("huge int",),
    "fit.l1_ratio": ("str", "complex", "nan", "huge int", "list", "None"),
    "equally_spaced.n_levels": ("huge int",),
    "harmonic_oscillator.max_temperature": ("list",),
    "harmonic_oscillator.tol": ("str", "complex", "huge int", "list", "None"),
    "rigid_rotor.max_temperature": ("list",),
    "einstein_solid.n_oscillators": ("huge int",),
    "ising_chain.n_spins": ("huge int",),
    "paramagnet.n_spins": ("huge int",),
    "plot_populations.floor": ("str", "complex", "nan", "huge int", "list", "None"),
}


def _cases():
    for key in CALLS:
        table = BAD_INT if key in INT_KEYWORDS else BAD_REAL
        for what, value in table.items():
            if what == "None" and (key in OPTIONAL or key in ARRAY_ENTRY):
                continue
            if key in ARRAY_ENTRY and what == "list":
                continue  # a nested list is a shape error
            owner = CALLS[key][1]
            marks = []
            if what in NOT_HERE.get(key, ()):
                marks = [pytest.mark.xfail(
                    strict=False,
                    reason=f"keyword checks of {owner}: fixed on branch {OWNER[owner]}")]
            yield pytest.param(key, value, id=f"{key}-{what}", marks=marks)


@pytest.mark.parametrize("key", ["solve.tol", "solve.max_iter", "solve.chunk_size"])
def test_bool_is_not_a_number_for_solve(key):
    with pytest.raises(InvalidInputError, match=rf"`{key.split('.')[1]}` must be .* got bool"):
        CALLS[key][0](True)


@pytest.mark.parametrize("key, value", list(_cases()))
def test_bad_value_names_the_keyword(key, value):
    call = CALLS[key][0]
    name = key.split(".")[1]
    with pytest.raises(InvalidInputError, match=rf"`{name}\b"):
        call(value)


@pytest.mark.parametrize("value", [np.float32(2.5), np.float64(2.5), np.int64(2)])
def test_numpy_scalars_are_numbers(value):
    ref = maxent.solve(F6, [float(value)])
    res = maxent.solve(F6, [value], tol=value * 1e-10)
    np.testing.assert_allclose(res.p, ref.p, rtol=1e-8)


@pytest.mark.parametrize("value", [np.int8(5), np.uint64(5), np.int64(5), np.array(5)])
def test_numpy_integers_are_integers(value):
    res = maxent.solve(F6, [3.0], max_iter=value, chunk_size=value)
    assert res.converged


def test_mapping_input_names_in_messages():
    with pytest.raises(InvalidInputError, match=r"`targets\['e'\]` must be finite"):
        maxent.solve({"e": F6}, {"e": np.inf})


def test_not_a_sweep_dataset_is_a_clear_error():
    pytest.importorskip("matplotlib")
    with pytest.raises((InvalidInputError, KeyError)) as info:
        maxent.plot_sweep(xr.Dataset())
    if info.type is KeyError:
        pytest.xfail("plot_sweep on a foreign Dataset raises KeyError: fixed on branch issue9")
