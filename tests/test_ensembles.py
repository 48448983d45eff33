"""Canonical and grand-canonical ensembles, softmax: limits, closed forms, inverse problems."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special

import maxent


def _solver_available():
    try:
        maxent.solve([[0.0], [1.0]], [0.25])
    except NotImplementedError:
        return False
    return True


needs_solver = pytest.mark.skipif(not _solver_available(),
                                  reason="maxent.solve is still a stub on this branch")

LEVELS = maxent.EnergyLevels([-1.0, -1.0, 0.5, 2.0, 2.0], degeneracy=[2, 1, 3, 1, 4])


def _naive(e, g, beta):
    """Textbook formulas in plain floating point (fine for moderate beta E)."""
    w = g * np.exp(-beta * e)
    z = w.sum()
    p = w / z
    u = p @ e
    return p, np.log(z), u, beta**2 * (p @ (e - u) ** 2)


# ---------------------------------------------------------------- exact limits
def test_infinite_temperature_is_proportional_to_degeneracy():
    for ens in (maxent.canonical(LEVELS, temperature=np.inf), maxent.canonical(LEVELS, beta=0)):
        g = LEVELS.degeneracy
        np.testing.assert_allclose(ens.p, g / g.sum(), rtol=1e-15)
        assert ens.log_Z == pytest.approx(np.log(g.sum()), rel=1e-15)
        assert ens.entropy == pytest.approx(np.log(g.sum()), rel=1e-15)
        assert ens.heat_capacity == 0.0
        assert ens.internal_energy == pytest.approx(g @ LEVELS.energies / g.sum(), rel=1e-15)
        assert ens.free_energy == -np.inf
        assert ens.beta == 0.0 and ens.temperature == np.inf


def test_infinite_temperature_partition_function_counts_states():
    for n in (1, 2, 7, 1000):
        ens = maxent.canonical(np.linspace(-3, 5, n), temperature=np.inf)
        assert np.exp(ens.log_Z) == pytest.approx(n, rel=1e-14)
        np.testing.assert_allclose(ens.p, np.full(n, 1 / n), rtol=1e-14)


def test_zero_temperature_is_the_ground_level_shared_by_degeneracy():
    ens = maxent.canonical(LEVELS, temperature=0.0)
    np.testing.assert_array_equal(ens.p, [2 / 3, 1 / 3, 0.0, 0.0, 0.0])
    assert (ens.internal_energy, ens.free_energy, ens.heat_capacity) == (-1.0, -1.0, 0.0)
    assert ens.entropy == pytest.approx(np.log(3.0))          # residual entropy ln g0
    assert ens.beta == np.inf
    assert ens.log_Z == np.inf                                 # ln(3 e^{+inf})


def test_zero_temperature_log_z_with_ground_energy_zero_or_positive():
    assert maxent.canonical([0.0, 1.0], temperature=0).log_Z == 0.0
    assert maxent.canonical([0.0, 0.0, 1.0], temperature=0).log_Z == pytest.approx(np.log(2))
    assert maxent.canonical([1.0, 2.0], temperature=0).log_Z == -np.inf


def test_negative_zero_temperature_is_the_top_level():
    ens = maxent.canonical(LEVELS, beta=-np.inf)
    np.testing.assert_array_equal(ens.p, [0, 0, 0, 0.2, 0.8])
    assert ens.internal_energy == 2.0 and ens.entropy == pytest.approx(np.log(5))
    assert ens.temperature == 0.0 and np.signbit(ens.temperature)


def test_limits_are_continuous():
    lv = LEVELS
    near0 = maxent.canonical(lv, beta=1e-13)
    inf = maxent.canonical(lv, beta=0.0)
    np.testing.assert_allclose(near0.p, inf.p, rtol=1e-11)
    cold = maxent.canonical(lv, temperature=1e-3)
    zero = maxent.canonical(lv, temperature=0.0)
    np.testing.assert_allclose(cold.p, zero.p, atol=1e-300)
    assert cold.entropy == pytest.approx(zero.entropy, rel=1e-14)
    assert cold.free_energy == pytest.approx(-1.0 - 1e-3 * np.log(3), rel=1e-14)


def test_negative_temperature_inverts_the_populations():
    e = np.array([0.0, 1.0, 2.0])
    neg = maxent.canonical(e, temperature=-0.7)
    pos = maxent.canonical(-e, temperature=0.7)
    np.testing.assert_allclose(neg.p, pos.p, rtol=1e-14)
    assert neg.internal_energy > e.mean()
    assert neg.beta < 0 and neg.heat_capacity > 0


# ---------------------------------------------------------------- numerics
def test_no_overflow_for_huge_beta_e():
    for e, kw in (([1e5, 1e5 + 1.0], {"temperature": 1e-3}),
                  ([0.0, 1e5], {"temperature": 1e-3}),
                  ([-1e5, 0.0, 1e5], {"temperature": -1e-3})):
        ens = maxent.canonical(e, **kw)
        vals = [ens.log_Z, ens.free_energy, ens.internal_energy, ens.entropy,
                ens.heat_capacity, *ens.p]
        assert np.all(np.isfinite(vals)), ens
        assert ens.p.sum() == pytest.approx(1.0)
    ens = maxent.canonical([1e5, 1e5 + 1.0], temperature=1e-3)
    assert ens.log_Z == pytest.approx(-1e8, rel=1e-15)
    assert ens.entropy >= 0 and ens.entropy < 1e-300 + 1e-400
    assert ens.free_energy == pytest.approx(1e5, rel=1e-15)


def test_a_million_levels():
    rng = np.random.default_rng(0)
    e = rng.normal(scale=50.0, size=1_000_000)
    ens = maxent.canonical(e, temperature=0.01)
    assert np.isfinite([ens.log_Z, ens.entropy, ens.heat_capacity]).all()
    assert ens.p.sum() == pytest.approx(1.0, rel=1e-12)
    assert np.argmax(ens.p) == np.argmin(e)


@given(
    e=hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(-5, 5)),
    beta=st.floats(-3, 3),
)
def test_matches_textbook_formulas(e, beta):
    g = 1.0 + np.abs(np.sin(np.arange(e.size)))        # non-integer degeneracies
    ens = maxent.canonical(maxent.EnergyLevels(e, g), beta=beta)
    p, log_z, u, c = _naive(e, g, beta)
    np.testing.assert_allclose(ens.p, p, rtol=1e-12, atol=1e-15)
    assert ens.log_Z == pytest.approx(log_z, rel=1e-12, abs=1e-12)
    assert ens.internal_energy == pytest.approx(u, rel=1e-12, abs=1e-12)
    assert ens.heat_capacity == pytest.approx(c, rel=1e-9, abs=1e-12)
    s = -np.sum(p * np.log(p / g))
    assert ens.entropy == pytest.approx(s, rel=1e-10, abs=1e-12)
    if beta != 0:
        t = 1 / beta
        assert ens.free_energy == pytest.approx(ens.internal_energy - t * ens.entropy,
                                                rel=1e-9, abs=1e-9)


def test_named_unit_system_uses_kelvin():
    from scipy import constants

    gap_ev = 0.05
    ens = maxent.canonical([0.0, gap_ev], temperature=300.0, units="eV")
    x = gap_ev * constants.e / (constants.k * 300.0)
    assert ens.p[1] == pytest.approx(1 / (1 + np.exp(x)), rel=1e-12)
    assert ens.temperature_unit == "K" and ens.energy_unit == "eV"


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, r"give exactly one of `temperature`, `beta`, `internal_energy`; got none"),
        ({"temperature": 1.0, "beta": 1.0}, r"got \['temperature', 'beta'\]"),
        ({"temperature": np.nan}, r"`temperature` must be a number; got nan"),
        ({"beta": [1.0, 2.0]}, r"`beta` must be 0-D"),
        ({"temperature": 1.0, "units": "furlong"}, r"`units` must be 'natural' or an energy unit"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(maxent.InvalidInputError, match=match):
        maxent.canonical([0.0, 1.0], **kwargs)


@pytest.mark.parametrize("u", [-1.5, 2.0001, np.inf])
def test_internal_energy_outside_the_spectrum_is_infeasible(u):
    with pytest.raises(maxent.InfeasibleTargetsError,
                       match=r"`internal_energy` = .* is outside \[-1.0, 2.0\]"):
        maxent.canonical(LEVELS, internal_energy=u)


def test_internal_energy_at_the_edges_gives_zero_temperatures():
    # exact branches that need no iterative solve
    ground = maxent.canonical(LEVELS, internal_energy=-1.0)
    assert ground.beta == np.inf and ground.temperature == 0.0
    top = maxent.canonical(LEVELS, internal_energy=2.0)
    assert top.beta == -np.inf
    np.testing.assert_array_equal(top.p, [0, 0, 0, 0.2, 0.8])


# ---------------------------------------------------------------- inverse problem
@needs_solver
@pytest.mark.parametrize("t", [0.1, 0.4, 1.0, 7.0, 1e3, -1e3, -5.0, -0.3, -0.1])
def test_internal_energy_round_trips_through_temperature(t):
    u = maxent.canonical(LEVELS, temperature=t).internal_energy
    back = maxent.canonical(LEVELS, internal_energy=u)
    assert back.temperature == pytest.approx(t, rel=1e-7)
    assert back.internal_energy == pytest.approx(u, abs=1e-9)


@needs_solver
def test_internal_energy_at_the_infinite_temperature_mean_gives_beta_zero():
    g, e = LEVELS.degeneracy, LEVELS.energies
    back = maxent.canonical(LEVELS, internal_energy=g @ e / g.sum())
    assert abs(back.beta) < 1e-9


@needs_solver
def test_internal_energy_in_kelvin_units():
    lv = maxent.models.atom("Na")
    u = maxent.canonical(lv, temperature=6000.0).internal_energy
    assert maxent.canonical(lv, internal_energy=u).temperature == pytest.approx(6000.0,
                                                                                rel=1e-7)


# ---------------------------------------------------------------- grand canonical
@pytest.mark.parametrize(("t", "mu"), [(0.5, 0.2), (2.0, -1.0), (1.0, 1.5)])
def test_single_orbital_is_fermi_dirac(t, mu):
    eps = 0.7
    gc = maxent.grand_canonical([0.0, eps], [0, 1], temperature=t, chemical_potential=mu)
    assert gc.particle_number == pytest.approx(1 / (np.exp((eps - mu) / t) + 1), rel=1e-13)
    assert gc.log_Z == pytest.approx(np.log1p(np.exp(-(eps - mu) / t)), rel=1e-13)
    assert gc.grand_potential == pytest.approx(
        gc.internal_energy - t * gc.entropy - mu * gc.particle_number, rel=1e-12, abs=1e-14)


def test_bosonic_mode_is_bose_einstein():
    eps, mu, t = 1.0, 0.3, 0.8
    n = np.arange(400)
    gc = maxent.grand_canonical(eps * n, n, temperature=t, chemical_potential=mu)
    assert gc.particle_number == pytest.approx(1 / np.expm1((eps - mu) / t), rel=1e-12)
    x = (eps - mu) / t
    assert gc.particle_number_variance == pytest.approx(np.exp(x) / np.expm1(x) ** 2,
                                                        rel=1e-10)


def test_grand_canonical_errors():
    with pytest.raises(maxent.InvalidInputError, match=r"give either"):
        maxent.grand_canonical([0.0, 1.0], [0, 1], temperature=1.0)
    with pytest.raises(maxent.InvalidInputError, match=r"give either"):
        maxent.grand_canonical([0.0, 1.0], [0, 1], temperature=1.0, chemical_potential=0.0,
                               particle_number=0.5, internal_energy=0.5)
    with pytest.raises(maxent.InvalidInputError, match=r"`particle_numbers` has 3 entries"):
        maxent.grand_canonical([0.0, 1.0], [0, 1, 2], beta=1.0, chemical_potential=0.0)


@needs_solver
@pytest.mark.parametrize(("t", "mu"), [(0.6, 0.4), (2.0, -0.5), (-1.5, 0.3)])
def test_grand_canonical_targets_recover_temperature_and_mu(t, mu):
    rng = np.random.default_rng(3)
    e = rng.uniform(-1, 2, size=12)
    n = rng.integers(0, 4, size=12).astype(float)
    fwd = maxent.grand_canonical(e, n, temperature=t, chemical_potential=mu)
    back = maxent.grand_canonical(e, n, internal_energy=fwd.internal_energy,
                                  particle_number=fwd.particle_number)
    assert back.temperature == pytest.approx(t, rel=1e-6)
    assert back.chemical_potential == pytest.approx(mu, rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(back.p, fwd.p, atol=1e-9)


@needs_solver
def test_grand_canonical_infeasible_and_boundary_targets():
    with pytest.raises(maxent.InfeasibleTargetsError, match=r"internal_energy"):
        maxent.grand_canonical([0.0, 1.0], [0, 1], internal_energy=0.5, particle_number=0.2)
    edge = maxent.grand_canonical([0.0, 1.0, 2.0], [0, 1, 1], internal_energy=0.0,
                                  particle_number=0.0)
    np.testing.assert_allclose(edge.p, [1.0, 0.0, 0.0], atol=1e-12)
    assert edge.beta == np.inf and edge.entropy == 0.0


# ---------------------------------------------------------------- softmax
def test_softmax_is_boltzmann_with_energies_minus_logits():
    z = np.array([0.3, -1.2, 2.5, 2.5])
    np.testing.assert_allclose(maxent.softmax(z, temperature=0.7),
                               maxent.canonical(-z, temperature=0.7).p, rtol=1e-14)
    np.testing.assert_allclose(maxent.softmax(z), special.softmax(z), rtol=1e-14)


def test_softmax_limits_are_exact():
    z = np.array([1.0, 3.0, -np.inf, 3.0])
    np.testing.assert_array_equal(maxent.softmax(z, temperature=0), [0, 0.5, 0, 0.5])
    np.testing.assert_array_equal(maxent.softmax(z, temperature=np.inf), [1 / 3, 1 / 3, 0,
                                                                          1 / 3])
    np.testing.assert_array_equal(maxent.softmax([1e308, -1e308]), [1.0, 0.0])


def test_softmax_along_an_axis():
    z = np.arange(12.0).reshape(3, 4)
    p = maxent.softmax(z, axis=0)
    np.testing.assert_allclose(p.sum(axis=0), 1.0)
    np.testing.assert_allclose(p, special.softmax(z, axis=0), rtol=1e-14)


@pytest.mark.parametrize(
    ("logits", "t", "match"),
    [
        ([0.0, np.nan], 1.0, r"`logits` must not be nan or \+inf; got nan at index 1"),
        ([0.0, np.inf], 1.0, r"`logits` must not be nan or \+inf"),
        ([-np.inf, -np.inf], 1.0, r"`logits` is -inf everywhere"),
        ([0.0, 1.0], -1.0, r"`temperature` must be >= 0"),
        (1.0, 1.0, r"`logits` must have at least one dimension"),
    ],
)
def test_softmax_errors(logits, t, match):
    with pytest.raises(maxent.InvalidInputError, match=match):
        maxent.softmax(logits, temperature=t)


# ---------------------------------------------------------------- xarray
@pytest.mark.parametrize("kw", [{"temperature": 0.8}, {"temperature": 0.0},
                                {"temperature": np.inf}, {"beta": -2.0}])
def test_canonical_dataset_survives_netcdf(kw, tmp_path):
    ds = maxent.canonical(LEVELS, **kw).to_xarray()
    ds.to_netcdf(tmp_path / "c.nc")
    xr.testing.assert_identical(xr.load_dataset(tmp_path / "c.nc"), ds)
    assert ds.probability.sizes == {"temperature": 1, "state": 5}


def test_grand_canonical_dataset_survives_netcdf(tmp_path):
    ds = maxent.grand_canonical([0.0, 1.0, 2.0], [0, 1, 2], degeneracy=[1, 2, 1],
                                temperature=1.0, chemical_potential=0.5).to_xarray()
    for name, var in {**ds.data_vars, **ds.coords}.items():
        assert {"long_name", "units"} <= set(var.attrs), name
    ds.to_netcdf(tmp_path / "g.nc")
    xr.testing.assert_identical(xr.load_dataset(tmp_path / "g.nc"), ds)
