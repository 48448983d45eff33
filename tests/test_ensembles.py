"""Canonical and grand-canonical ensembles, softmax: limits, closed forms, inverse problems."""

import numpy as np
import pint
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special

import maxent
from maxent import models


def _solver_available():
    try:
        maxent.solve([[0.0], [1.0]], [0.25])
    except NotImplementedError:
        return False
    return True


needs_solver = pytest.mark.skipif(
    not _solver_available(), reason="maxent.solve is still a stub on this branch"
)

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
    assert ens.entropy == pytest.approx(np.log(3.0))  # residual entropy ln g0
    assert ens.beta == np.inf
    assert ens.log_Z == np.inf  # ln(3 e^{+inf})


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
    for e, kw in (
        ([1e5, 1e5 + 1.0], {"temperature": 1e-3}),
        ([0.0, 1e5], {"temperature": 1e-3}),
        ([-1e5, 0.0, 1e5], {"temperature": -1e-3}),
    ):
        ens = maxent.canonical(e, **kw)
        vals = [
            ens.log_Z,
            ens.free_energy,
            ens.internal_energy,
            ens.entropy,
            ens.heat_capacity,
            *ens.p,
        ]
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
    g = 1.0 + np.abs(np.sin(np.arange(e.size)))  # non-integer degeneracies
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
        assert ens.free_energy == pytest.approx(
            ens.internal_energy - t * ens.entropy, rel=1e-9, abs=1e-9
        )


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
    with pytest.raises(
        maxent.InfeasibleTargetsError, match=r"`internal_energy` = .* is outside \[-1.0, 2.0\]"
    ):
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
    assert maxent.canonical(lv, internal_energy=u).temperature == pytest.approx(6000.0, rel=1e-7)


# ---------------------------------------------------------------- grand canonical
@pytest.mark.parametrize(("t", "mu"), [(0.5, 0.2), (2.0, -1.0), (1.0, 1.5)])
def test_single_orbital_is_fermi_dirac(t, mu):
    eps = 0.7
    gc = maxent.grand_canonical([0.0, eps], [0, 1], temperature=t, chemical_potential=mu)
    assert gc.particle_number == pytest.approx(1 / (np.exp((eps - mu) / t) + 1), rel=1e-13)
    assert gc.log_Z == pytest.approx(np.log1p(np.exp(-(eps - mu) / t)), rel=1e-13)
    assert gc.grand_potential == pytest.approx(
        gc.internal_energy - t * gc.entropy - mu * gc.particle_number, rel=1e-12, abs=1e-14
    )


def test_bosonic_mode_is_bose_einstein():
    eps, mu, t = 1.0, 0.3, 0.8
    n = np.arange(400)
    gc = maxent.grand_canonical(eps * n, n, temperature=t, chemical_potential=mu)
    assert gc.particle_number == pytest.approx(1 / np.expm1((eps - mu) / t), rel=1e-12)
    x = (eps - mu) / t
    assert gc.particle_number_variance == pytest.approx(np.exp(x) / np.expm1(x) ** 2, rel=1e-10)


def test_grand_canonical_errors():
    with pytest.raises(maxent.InvalidInputError, match=r"give either"):
        maxent.grand_canonical([0.0, 1.0], [0, 1], temperature=1.0)
    with pytest.raises(maxent.InvalidInputError, match=r"give either"):
        maxent.grand_canonical(
            [0.0, 1.0],
            [0, 1],
            temperature=1.0,
            chemical_potential=0.0,
            particle_number=0.5,
            internal_energy=0.5,
        )
    with pytest.raises(maxent.InvalidInputError, match=r"`particle_numbers` has 3 entries"):
        maxent.grand_canonical([0.0, 1.0], [0, 1, 2], beta=1.0, chemical_potential=0.0)


@needs_solver
@pytest.mark.parametrize(("t", "mu"), [(0.6, 0.4), (2.0, -0.5), (-1.5, 0.3)])
def test_grand_canonical_targets_recover_temperature_and_mu(t, mu):
    rng = np.random.default_rng(3)
    e = rng.uniform(-1, 2, size=12)
    n = rng.integers(0, 4, size=12).astype(float)
    fwd = maxent.grand_canonical(e, n, temperature=t, chemical_potential=mu)
    back = maxent.grand_canonical(
        e, n, internal_energy=fwd.internal_energy, particle_number=fwd.particle_number
    )
    assert back.temperature == pytest.approx(t, rel=1e-6)
    assert back.chemical_potential == pytest.approx(mu, rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(back.p, fwd.p, atol=1e-9)


@needs_solver
def test_grand_canonical_infeasible_and_boundary_targets():
    with pytest.raises(maxent.InfeasibleTargetsError, match=r"internal_energy"):
        maxent.grand_canonical([0.0, 1.0], [0, 1], internal_energy=0.5, particle_number=0.2)
    edge = maxent.grand_canonical(
        [0.0, 1.0, 2.0], [0, 1, 1], internal_energy=0.0, particle_number=0.0
    )
    np.testing.assert_allclose(edge.p, [1.0, 0.0, 0.0], atol=1e-12)
    assert edge.beta == np.inf and edge.entropy == 0.0


# ---------------------------------------------------------------- softmax
def test_softmax_is_boltzmann_with_energies_minus_logits():
    z = np.array([0.3, -1.2, 2.5, 2.5])
    np.testing.assert_allclose(
        maxent.softmax(z, temperature=0.7), maxent.canonical(-z, temperature=0.7).p, rtol=1e-14
    )
    np.testing.assert_allclose(maxent.softmax(z), special.softmax(z), rtol=1e-14)


def test_softmax_limits_are_exact():
    z = np.array([1.0, 3.0, -np.inf, 3.0])
    np.testing.assert_array_equal(maxent.softmax(z, temperature=0), [0, 0.5, 0, 0.5])
    np.testing.assert_array_equal(maxent.softmax(z, temperature=np.inf), [1 / 3, 1 / 3, 0, 1 / 3])
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
@pytest.mark.parametrize(
    "kw", [{"temperature": 0.8}, {"temperature": 0.0}, {"temperature": np.inf}, {"beta": -2.0}]
)
def test_canonical_dataset_survives_netcdf(kw, tmp_path):
    ds = maxent.canonical(LEVELS, **kw).to_xarray()
    ds.to_netcdf(tmp_path / "c.nc")
    xr.testing.assert_identical(xr.load_dataset(tmp_path / "c.nc"), ds)
    assert ds.probability.sizes == {"temperature": 1, "state": 5}


def test_grand_canonical_dataset_survives_netcdf(tmp_path):
    ds = maxent.grand_canonical(
        [0.0, 1.0, 2.0], [0, 1, 2], degeneracy=[1, 2, 1], temperature=1.0, chemical_potential=0.5
    ).to_xarray()
    for name, var in {**ds.data_vars, **ds.coords}.items():
        assert {"long_name", "units"} <= set(var.attrs), name
    ds.to_netcdf(tmp_path / "g.nc")
    xr.testing.assert_identical(xr.load_dataset(tmp_path / "g.nc"), ds)


# ---------------------------------------------------------------- units (pint, astropy)
from scipy import constants as sc  # noqa: E402

JOULE_PER = {  # hand conversions with scipy.constants
    "meV": 1e-3 * sc.e,
    "kJ/mol": 1e3 / sc.N_A,
    "cm^-1": 100.0 * sc.h * sc.c,
    "cm-1": 100.0 * sc.h * sc.c,
    "K": sc.k,
    "eV": sc.e,
}


@pytest.mark.parametrize("unit", sorted(JOULE_PER))
@pytest.mark.parametrize("t", [3.0, 300.0, 5000.0])
def test_energy_units_with_kelvin_temperatures_match_hand_conversions(unit, t):
    e = np.array([0.0, 2.5, 7.0, 40.0])
    g = np.array([1.0, 3.0, 2.0, 5.0])
    x = e * JOULE_PER[unit] / (sc.k * t)  # beta E, dimensionless
    w = g * np.exp(-x)
    p = w / w.sum()
    ens = maxent.canonical(maxent.EnergyLevels(e, g, unit=unit), temperature=t)
    np.testing.assert_allclose(ens.p, p, rtol=1e-12, atol=1e-300)
    assert ens.log_Z == pytest.approx(np.log(w.sum()), rel=1e-12)
    assert ens.internal_energy == pytest.approx(p @ e, rel=1e-12)
    assert ens.heat_capacity == pytest.approx(p @ x**2 - (p @ x) ** 2, rel=1e-9, abs=1e-300)
    assert ens.temperature_unit == "K"
    assert ens.boltzmann_constant == pytest.approx(sc.k / JOULE_PER[unit], rel=1e-13)


def test_issue_example_mev_levels_at_300_kelvin():
    ens = maxent.canonical(maxent.EnergyLevels([0, 10], unit="meV"), temperature=300)
    np.testing.assert_allclose(ens.p, [0.596, 0.404], atol=5e-4)
    ds = ens.to_xarray()
    assert ds.temperature.attrs["units"] == "K" and ds.internal_energy.attrs["units"] == "meV"


def test_pint_quantities_are_converted_never_stripped():
    ureg = pint.get_application_registry()
    na = models.atom("Na")  # energies in cm^-1, T in K
    t_k = 0.43 * sc.e / sc.k
    by_ev = maxent.canonical(na, temperature=0.43 * ureg.eV)
    by_k = maxent.canonical(na, temperature=t_k)
    assert by_ev.temperature == pytest.approx(t_k, rel=1e-13)
    np.testing.assert_allclose(by_ev.p, by_k.p, rtol=1e-12)
    by_c = maxent.canonical(na, temperature=ureg.Quantity(t_k - 273.15, "degC"))
    np.testing.assert_allclose(by_c.p, by_k.p, rtol=1e-10)
    lv = maxent.EnergyLevels([0.0, 10.0], unit="meV")
    beta = maxent.canonical(lv, beta=0.1 / ureg.meV)
    assert beta.beta == pytest.approx(0.1, rel=1e-14)
    assert maxent.canonical(lv, beta=100.0 / ureg.eV).beta == pytest.approx(0.1, rel=1e-14)
    u = maxent.canonical(lv, internal_energy=0.004 * ureg.eV)
    assert u.internal_energy == pytest.approx(4.0, rel=1e-10)
    q = maxent.EnergyLevels(ureg.Quantity([0.0, 0.01], "eV"))
    assert q.unit == "eV"
    np.testing.assert_allclose(
        maxent.canonical(q, temperature=300.0).p,
        maxent.canonical(lv, temperature=300.0).p,
        rtol=1e-12,
    )
    ds = maxent.temperature_sweep(lv, ureg.Quantity([300.0, 600.0], "K"))
    np.testing.assert_array_equal(ds.temperature.values, [300.0, 600.0])
    gc = maxent.grand_canonical(
        ureg.Quantity([0.0, 10.0], "meV"),
        [0, 1],
        temperature=300 * ureg.K,
        chemical_potential=0.01 * ureg.eV,
    )
    assert gc.chemical_potential == pytest.approx(10.0, rel=1e-14)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda u: maxent.canonical([0.0, 1.0], temperature=300 * u.K),
            r"`temperature` has unit 'K' but the energies carry no unit",
        ),
        (
            lambda u: maxent.canonical(
                maxent.EnergyLevels([0.0, 1.0], unit="meV"), temperature=3 * u.m
            ),
            r"`temperature` .*not an energy",
        ),
        (
            lambda u: maxent.canonical(
                maxent.EnergyLevels([0.0, 1.0], unit="meV"), internal_energy=3 * u.s
            ),
            r"`internal_energy` .*not an energy",
        ),
        (
            lambda u: maxent.EnergyLevels(u.Quantity([0.0, 1.0], "m")),
            r"`energies` .*not an energy",
        ),
    ],
)
def test_unconvertible_quantities_are_refused(call, match):
    with pytest.raises(maxent.InvalidInputError, match=match):
        call(pint.get_application_registry())


def test_astropy_quantities_are_converted():
    u = pytest.importorskip("astropy.units")
    na = models.atom("Na")
    by_ev = maxent.canonical(na, temperature=0.43 * u.eV)
    assert by_ev.temperature == pytest.approx(0.43 * sc.e / sc.k, rel=1e-13)
    lv = maxent.EnergyLevels([0.0, 1.0] * u.kJ / u.mol)
    ens = maxent.canonical(lv, temperature=300 * u.K)
    x = 1e3 / sc.N_A / (sc.k * 300)
    assert ens.p[1] == pytest.approx(np.exp(-x) / (1 + np.exp(-x)), rel=1e-12)
    with pytest.raises(maxent.InvalidInputError, match=r"`temperature`"):
        maxent.canonical(lv, temperature=3 * u.m)


@given(
    unit=st.sampled_from(["meV", "eV", "kJ/mol", "kcal/mol", "hartree", "cm^-1", "K", "THz", "J"]),
    t=st.floats(1.0, 1e4),
    scale=st.floats(1e-3, 1e3),
)
def test_changing_the_energy_unit_and_converting_t_leaves_p_unchanged(unit, t, scale):
    from maxent._units import joule_per

    e_mev = scale * np.array([0.0, 1.0, 3.0, 3.5])
    ref = maxent.canonical(maxent.EnergyLevels(e_mev, unit="meV"), temperature=t)
    factor = joule_per("meV") / joule_per(unit)
    other = maxent.canonical(maxent.EnergyLevels(e_mev * factor, unit=unit), temperature=t)
    np.testing.assert_allclose(other.p, ref.p, rtol=1e-11, atol=1e-300)
    # natural units: the same levels with T converted to the energy unit
    natural = maxent.canonical(e_mev * factor, temperature=t * sc.k / joule_per(unit))
    np.testing.assert_allclose(natural.p, ref.p, rtol=1e-11, atol=1e-300)


# ---------------------------------------------------------------- precision, exact limits
@pytest.mark.parametrize("t", np.linspace(0.01, 0.05, 5))
def test_two_level_low_temperature_relative_precision_against_mpmath(t):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    b = 1 / mpmath.mpf(float(t))
    lz = mpmath.log1p(mpmath.exp(-b))  # ln Z - (-beta E_0 + ln g_0), E_0 = 0
    u = mpmath.exp(-b) / (1 + mpmath.exp(-b))
    ens = maxent.canonical([0.0, 1.0], temperature=t)
    assert ens.log_Z == pytest.approx(float(lz), rel=1e-12)
    assert ens.free_energy == pytest.approx(float(-lz / b), rel=1e-12)  # F - E_0
    assert ens.entropy == pytest.approx(float(b * u + lz), rel=1e-12)
    assert ens.heat_capacity == pytest.approx(float(b**2 * u * (1 - u)), rel=1e-12)


@pytest.mark.parametrize("scale", [1e160, 1.0, 1e-300])
def test_thermodynamics_are_exact_for_any_energy_scale(scale):
    ens = maxent.canonical([0.0, scale], temperature=scale)
    x = 1.0
    assert ens.heat_capacity == pytest.approx(x**2 * np.exp(x) / (1 + np.exp(x)) ** 2, rel=1e-14)
    assert ens.internal_energy == pytest.approx(scale / (1 + np.e), rel=1e-14)
    assert ens.entropy == pytest.approx(np.log1p(np.exp(-1)) + 1 / (1 + np.e), rel=1e-14)


def test_softmax_exact_limits_without_nan():
    np.testing.assert_array_equal(maxent.softmax([1, 2.0], temperature=5e-324), [0.0, 1.0])
    np.testing.assert_array_equal(maxent.softmax([1e300, 1e300], temperature=1e-10), [0.5, 0.5])
    np.testing.assert_array_equal(maxent.softmax([1e300, -1e300]), [1.0, 0.0])


@pytest.mark.parametrize("mu", [np.inf, -np.inf])
def test_grand_canonical_infinite_chemical_potential_is_the_limit(mu):
    e, n = np.array([0.0, 1.0, 0.5]), np.array([0, 1, 1])
    gc = maxent.grand_canonical(e, n, temperature=1.0, chemical_potential=mu)
    near = maxent.grand_canonical(e, n, temperature=1.0, chemical_potential=np.sign(mu) * 700.0)
    np.testing.assert_allclose(gc.p, near.p, rtol=1e-12, atol=1e-300)
    assert not np.any(np.isnan(gc.p))
    assert gc.particle_number == pytest.approx(near.particle_number, rel=1e-12)
    assert gc.entropy == pytest.approx(near.entropy, rel=1e-9, abs=1e-250)
    assert gc.log_Z == (np.inf if mu > 0 else 0.0)  # only N = 0 states remain


def test_grand_canonical_heat_capacity_at_fixed_mu_and_covariance():
    e, n, g = np.array([0.0, 1.0, 2.0, 0.7]), np.array([0, 1, 2, 1]), np.array([1, 2, 1, 3])
    t, mu, h = 0.7, 0.3, 1e-5

    def u_at(temp):
        return maxent.grand_canonical(
            e, n, degeneracy=g, temperature=temp, chemical_potential=mu
        ).internal_energy

    gc = maxent.grand_canonical(e, n, degeneracy=g, temperature=t, chemical_potential=mu)
    assert gc.heat_capacity == pytest.approx((u_at(t + h) - u_at(t - h)) / (2 * h), rel=1e-7)
    p = gc.p
    assert gc.energy_particle_covariance == pytest.approx(
        p @ (e * n) - (p @ e) * (p @ n), rel=1e-12
    )


def test_results_hold_read_only_copies():
    n = np.array([0.0, 1.0])
    gc = maxent.grand_canonical([0.0, 1.0], n, temperature=1.0, chemical_potential=0.5)
    assert gc.particle_numbers is not n
    n[0] = 7.0
    assert gc.particle_numbers[0] == 0.0
    ens = maxent.canonical([0.0, 1.0], temperature=1.0)
    for arr in (gc.p, gc.particle_numbers, gc.energies, ens.p, ens.energies, ens.degeneracy):
        with pytest.raises(ValueError):
            arr[0] = 1.0


def test_canonical_to_xarray_keeps_labels_name_and_units():
    lv = maxent.EnergyLevels([0.0, 1.0], labels=["ground", "up"], name="toy", unit="meV")
    ds = maxent.canonical(lv, temperature=10.0).to_xarray()
    sweep = maxent.temperature_sweep(lv, [10.0])
    assert list(ds.label.values) == ["ground", "up"] and ds.attrs["system"] == "toy"
    xr_testing = pytest.importorskip("xarray").testing
    xr_testing.assert_allclose(ds, sweep, rtol=1e-14)
    assert ds.identical(sweep) or set(ds.attrs) == set(sweep.attrs)
