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


def _sweep():
    return maxent.temperature_sweep([0.0, 1.0], [0.5, 1.0, 2.0])


# name -> call taking the keyword's value
CALLS = {
    "solve.tol": (lambda v: maxent.solve(F6, [3.5], tol=v)),
    "fit.l1_ratio.l1": (
        lambda v: maxent.fit(np.eye(3), np.ones(3), np.full(3, 0.1), alpha=0.1, l1_ratio=v)
    ),
    "solve.max_iter": (lambda v: maxent.solve(F6, [3.5], max_iter=v)),
    "solve.chunk_size": (lambda v: maxent.solve(F6, [3.5], chunk_size=v)),
    "solve.targets": (lambda v: maxent.solve(F6, [v])),
    "solve.prior": (lambda v: maxent.solve(F6, [3.5], prior=[v] * 6)),
    "solve.sigma": (lambda v: maxent.solve(F6, [3.5], sigma=[v])),
    "solve.lower": (lambda v: maxent.solve(F6, lower=[v])),
    "solve.initial_multipliers": (lambda v: maxent.solve(F6, [3.5], initial_multipliers=[v])),
    "canonical.temperature": (lambda v: maxent.canonical(TWO, temperature=v)),
    "canonical.beta": (lambda v: maxent.canonical(TWO, beta=v)),
    "canonical.internal_energy": (lambda v: maxent.canonical(TWO, internal_energy=v)),
    "canonical.tol": (lambda v: maxent.canonical(TWO, internal_energy=0.3, tol=v)),
    "grand_canonical.tol": (
        lambda v: maxent.grand_canonical(
            TWO, [0, 1], internal_energy=0.3, particle_number=0.3, tol=v
        )
    ),
    "grand_canonical.particle_number": (
        lambda v: maxent.grand_canonical(TWO, [0, 1], internal_energy=0.3, particle_number=v)
    ),
    "softmax.temperature.array": (lambda v: maxent.softmax([[0.0, 1.0]], temperature=v)),
    "grand_canonical.temperature": (
        lambda v: maxent.grand_canonical(TWO, [0, 1], temperature=v, chemical_potential=0.0)
    ),
    "grand_canonical.chemical_potential": (
        lambda v: maxent.grand_canonical(TWO, [0, 1], temperature=1.0, chemical_potential=v)
    ),
    "softmax.temperature": (lambda v: maxent.softmax(TWO, temperature=v)),
    "softmax.axis": (lambda v: maxent.softmax(TWO, axis=v)),
    "temperature_sweep.chunk_size": (
        lambda v: maxent.temperature_sweep(TWO, [1.0, 2.0], chunk_size=v)
    ),
    "temperature_sweep.temperatures": (lambda v: maxent.temperature_sweep(TWO, [1.0, v])),
    "fit.alpha": (lambda v: maxent.fit(np.eye(3), np.ones(3), np.full(3, 0.1), alpha=v)),
    "fit.max_iter": (
        lambda v: maxent.fit(np.eye(3), np.ones(3), np.full(3, 0.1), alpha=0.1, max_iter=v)
    ),
    "fit.tol": (lambda v: maxent.fit(np.eye(3), np.ones(3), np.full(3, 0.1), alpha=0.1, tol=v)),
    "fit.l1_ratio": (
        lambda v: maxent.fit(
            np.eye(3), np.ones(3), np.full(3, 0.1), alpha=0.1, penalty="elastic_net", l1_ratio=v
        )
    ),
    "fit.sigma": (lambda v: maxent.fit(np.eye(3), np.ones(3), np.full(3, v), alpha=0.1)),
    "two_level.gap": (lambda v: models.two_level(v)),
    "equally_spaced.n_levels": (lambda v: models.equally_spaced(v)),
    "equally_spaced.spacing": (lambda v: models.equally_spaced(3, v)),
    "harmonic_oscillator.hbar_omega": (lambda v: models.harmonic_oscillator(v)),
    "harmonic_oscillator.max_temperature": (
        lambda v: models.harmonic_oscillator(1.0, max_temperature=v)
    ),
    "harmonic_oscillator.tol": (lambda v: models.harmonic_oscillator(1.0, tol=v)),
    "rigid_rotor.rotational_constant": (lambda v: models.rigid_rotor(v)),
    "rigid_rotor.max_temperature": (lambda v: models.rigid_rotor(1.0, max_temperature=v)),
    "einstein_solid.n_oscillators": (lambda v: models.einstein_solid(v)),
    "einstein_solid.hbar_omega": (lambda v: models.einstein_solid(2, v)),
    "einstein_solid.max_temperature": (lambda v: models.einstein_solid(2, max_temperature=v)),
    "einstein_solid.tol": (lambda v: models.einstein_solid(2, tol=v)),
    "rigid_rotor.tol": (lambda v: models.rigid_rotor(1.0, tol=v)),
    "spin_paramagnet.n_spins": (lambda v: models.spin_paramagnet(v)),
    "spin_paramagnet.field": (lambda v: models.spin_paramagnet(2, v)),
    "spin_paramagnet.spin": (lambda v: models.spin_paramagnet(2, spin=v)),
    "spin_paramagnet.moment": (lambda v: models.spin_paramagnet(2, moment=v)),
    "debye_solid.debye_temperature": (lambda v: models.debye_solid([1.0], v)),
    "debye_solid.n_atoms": (lambda v: models.debye_solid([1.0], n_atoms=v)),
    "ising_2d_thermo.side": (lambda v: models.ising_2d_thermo(v, [1.0])),
    "ising_2d_thermo.columns": (lambda v: models.ising_2d_thermo(4, [1.0], columns=v)),
    "ising_2d_degeneracies.columns": (lambda v: models.ising_2d_degeneracies(4, v)),
    "ising_2d.side": (lambda v: models.ising_2d(v)),
    "ising_chain.n_spins": (lambda v: models.ising_chain(v)),
    "paramagnet.n_spins": (lambda v: models.paramagnet(v)),
    "paramagnet.field": (lambda v: models.paramagnet(2, v)),
    "paramagnet.moment": (lambda v: models.paramagnet(2, 1.0, moment=v)),
    "EnergyLevels.energies": (lambda v: maxent.EnergyLevels(np.array([0.0, v]))),
    "EnergyLevels.degeneracy": (
        lambda v: maxent.EnergyLevels(np.array([0.0, 1.0]), np.array([1.0, v]))
    ),
    "plot_populations.floor": (lambda v: maxent.plot_populations(_sweep(), floor=v)),
}

REAL_KEYWORDS = [
    k
    for k in CALLS
    if not k.endswith(
        (
            "max_iter",
            "chunk_size",
            "n_levels",
            "n_oscillators",
            "side",
            "n_spins",
            "axis",
            "n_atoms",
            "columns",
        )
    )
]
INT_KEYWORDS = [k for k in CALLS if k not in REAL_KEYWORDS]
OPTIONAL = {
    "solve.chunk_size",
    "canonical.beta",
    "fit.tol",
    "temperature_sweep.chunk_size",
    "ising_2d_thermo.columns",
    "ising_2d_degeneracies.columns",
}
ARRAY_ENTRY = {
    "solve.targets",
    "solve.prior",
    "solve.sigma",
    "solve.lower",
    "solve.initial_multipliers",
    "temperature_sweep.temperatures",
    "fit.sigma",
    "EnergyLevels.energies",
    "EnergyLevels.degeneracy",
}

BAD_REAL = {
    "str": "a",
    "complex": 1j,
    "nan": float("nan"),
    "huge int": 10**400,
    "list": [1.0, 2.0],
    "None": None,
}
BAD_INT = {
    "str": "3",
    "float": 2.5,
    "nan": float("nan"),
    "None": None,
    "complex": 1j,
    "huge int": 10**400,
}

# Documented to take a temperature grid as well (its maximum is used): a list is valid.
GRID_KEYWORDS = {
    "harmonic_oscillator.max_temperature",
    "rigid_rotor.max_temperature",
    "einstein_solid.max_temperature",
}


def _cases():
    for key in CALLS:
        table = BAD_INT if key in INT_KEYWORDS else BAD_REAL
        for what, value in table.items():
            if what == "None" and (key in OPTIONAL or key in ARRAY_ENTRY):
                continue
            if key in ARRAY_ENTRY and what == "list":
                continue  # a nested list is a shape error
            if key in GRID_KEYWORDS and what == "list":
                continue  # a grid: test_max_temperature_grid_is_its_maximum
            yield pytest.param(key, value, id=f"{key}-{what}")


@pytest.mark.parametrize("key", ["solve.tol", "solve.max_iter", "solve.chunk_size"])
def test_bool_is_not_a_number_for_solve(key):
    with pytest.raises(InvalidInputError, match=rf"`{key.split('.')[1]}` must be .* got bool"):
        CALLS[key](True)


@pytest.mark.parametrize("key, value", list(_cases()))
def test_bad_value_names_the_keyword(key, value):
    call = CALLS[key]
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
    with pytest.raises(InvalidInputError):
        maxent.plot_sweep(xr.Dataset())


@pytest.mark.parametrize("model", [models.harmonic_oscillator, models.rigid_rotor])
def test_max_temperature_grid_is_its_maximum(model):
    grid = model(1.0, max_temperature=[0.5, 3.0, 1.0])
    ref = model(1.0, max_temperature=3.0)
    np.testing.assert_array_equal(grid.energies, ref.energies)
    np.testing.assert_array_equal(grid.degeneracy, ref.degeneracy)
    for bad in ([1.0, float("nan")], [1.0, -2.0], [1.0, np.inf], [], ["a", 1.0]):
        with pytest.raises(InvalidInputError, match=r"`max_temperature\b"):
            model(1.0, max_temperature=bad)


@pytest.mark.parametrize("axis", [1, -2, np.int64(5)])
def test_softmax_axis_out_of_range_names_axis(axis):
    with pytest.raises(InvalidInputError, match=r"`axis` must be an integer in \[-1, 0\]"):
        maxent.softmax(TWO, axis=axis)


def test_softmax_numpy_integer_axis():
    z = np.array([[0.0, 1.0], [2.0, 2.0]])
    np.testing.assert_array_equal(maxent.softmax(z, axis=np.int32(0)), maxent.softmax(z, axis=0))


@pytest.mark.parametrize("shape, names", [((200,), "`side`"), ((2, 10_000), "`side`, `columns`")])
def test_exact_ising_beyond_its_size_limit_is_refused_at_once(shape, names):
    with pytest.raises(InvalidInputError, match=rf"\({names}\) has {shape[0] * shape[-1]} sites"):
        models.ising_2d(*shape)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: models.paramagnet(10**8), "n_spins"),
        (lambda: models.ising_chain(10**9), "n_spins"),
        (lambda: models.equally_spaced(2**40), "n_levels"),
    ],
)
def test_level_counts_are_bounded(call, name):
    with pytest.raises(InvalidInputError, match=rf"`{name}` must be an integer in \[1, "):
        call()
