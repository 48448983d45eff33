"""Results are frozen: their arrays are read-only and never alias the caller's arrays."""

import dataclasses

import numpy as np
import pytest

import maxent

RESULTS = ("CanonicalResult", "FitResult", "GrandCanonicalResult", "MaxEntResult")


def _results():
    k = np.random.default_rng(0).random((4, 6))
    return {
        "MaxEntResult": maxent.solve(np.arange(1.0, 7.0), [3.0]),
        "CanonicalResult": maxent.canonical([0.0, 1.0, 2.0], temperature=1.0),
        "GrandCanonicalResult": maxent.grand_canonical(
            [0.0, 1.0], [0, 1], temperature=1.0, chemical_potential=0.0
        ),
        "FitResult": maxent.fit(k, np.ones(4), np.full(4, 0.1), alpha=0.1),
    }


def _array_fields(res):
    for f in dataclasses.fields(res):
        value = getattr(res, f.name)
        if isinstance(value, np.ndarray) and value.size:
            yield f.name, value


@pytest.mark.parametrize("cls", RESULTS)
def test_result_arrays_are_read_only(cls):
    res = _results()[cls]
    fields = dict(_array_fields(res))
    assert fields
    for name, arr in fields.items():
        with pytest.raises(ValueError):
            arr[(0,) * arr.ndim] = 123.0
        assert not arr.flags.writeable, name


@pytest.mark.parametrize("cls", RESULTS)
def test_results_are_frozen(cls):
    res = _results()[cls]
    name = dataclasses.fields(res)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(res, name, None)


def test_solve_result_does_not_alias_targets_or_prior():
    f, b, q = np.arange(1.0, 7.0), np.array([3.0]), np.ones(6)
    res = maxent.solve(f, b, prior=q)
    before = (res.targets.copy(), res.p.copy())
    b[0], q[0], f[0] = 99.0, 5.0, -7.0
    np.testing.assert_array_equal(res.targets, before[0])
    np.testing.assert_array_equal(res.p, before[1])


def test_canonical_result_does_not_alias_energies():
    e = np.array([0.0, 1.0, 2.0])
    res = maxent.canonical(e, temperature=1.0)
    e[1] = 50.0
    assert res.energies[1] == 1.0


def test_grand_canonical_result_does_not_alias_particle_numbers():
    n = np.array([0.0, 1.0])
    res = maxent.grand_canonical([0.0, 1.0], n, temperature=1.0, chemical_potential=0.0)
    n[1] = 50.0
    assert res.particle_numbers[1] == 1.0


def test_fit_result_does_not_alias_data_sigma_grid():
    k = np.random.default_rng(0).random((4, 6))
    data, sigma, grid = np.ones(4), np.full(4, 0.1), np.linspace(0, 1, 6)
    res = maxent.fit(k, data, sigma, grid=grid, alpha=0.1)
    data[0], sigma[0], grid[0] = 9.0, 9.0, 9.0
    assert res.data[0] == 1.0 and res.data_error[0] == 0.1 and res.grid[0] == 0.0
