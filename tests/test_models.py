"""Built-in models against closed forms and brute-force enumeration."""

import itertools

import numpy as np
import pytest
from scipy import optimize

import maxent
from maxent import models


# ---------------------------------------------------------------- brute force helpers
def _histogram(energies):
    e, g = np.unique(np.asarray(energies), return_counts=True)
    return e.astype(float), g.astype(float)


def _brute_chain(n):
    s = np.array(list(itertools.product([-1, 1], repeat=n)))
    return _histogram(-np.sum(s * np.roll(s, -1, axis=1), axis=1))


def _brute_square(side):
    s = np.array(list(itertools.product([-1, 1], repeat=side * side))).reshape(-1, side, side)
    e = -np.sum(s * np.roll(s, -1, axis=1), axis=(1, 2)) - np.sum(
        s * np.roll(s, -1, axis=2), axis=(1, 2)
    )
    return _histogram(e)


@pytest.mark.parametrize("n", range(1, 11))
def test_ising_chain_matches_enumeration(n):
    lv = models.ising_chain(n)
    e, g = _brute_chain(n)
    np.testing.assert_array_equal(lv.energies, e)
    np.testing.assert_array_equal(lv.degeneracy, g)
    assert lv.n_states == 2**n


@pytest.mark.parametrize("side", [2, 3, 4])
def test_ising_2d_matches_enumeration(side, tmp_path, monkeypatch):
    monkeypatch.setenv("MAXENT_CACHE_DIR", str(tmp_path))
    lv = models.ising_2d(side, progress=False)
    e, g = _brute_square(side) if side < 4 else _brute_square_4()
    np.testing.assert_array_equal(lv.energies, e)
    np.testing.assert_array_equal(lv.degeneracy, g)
    assert lv.n_states == 2 ** (side * side)


def _brute_square_4():
    c = np.arange(2**16)
    s = (1 - 2 * ((c[:, None] >> np.arange(16)) & 1)).reshape(-1, 4, 4)
    e = -np.sum(s * np.roll(s, 1, axis=1), axis=(1, 2)) - np.sum(
        s * np.roll(s, 1, axis=2), axis=(1, 2)
    )
    return _histogram(e)


def test_ising_2d_refuses_sides_below_two():
    with pytest.raises(maxent.InvalidInputError, match=r"`side` must be an integer >= 2"):
        models.ising_2d(1)


# ---------------------------------------------------------------- closed forms
def test_schottky_peak_position_and_height():
    gap = 1.7
    lv = models.two_level(gap)
    # closed form C(x) = x^2 e^x / (1 + e^x)^2 is maximal where x tanh(x/2) = 2
    x_star = optimize.brentq(lambda x: x * np.tanh(x / 2) - 2, 1.0, 4.0)
    c_star = x_star**2 * np.exp(x_star) / (1 + np.exp(x_star)) ** 2
    res = optimize.minimize_scalar(
        lambda t: -maxent.canonical(lv, temperature=t).heat_capacity,
        bounds=(0.1 * gap, 2 * gap),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert res.x == pytest.approx(gap / x_star, rel=1e-6)
    assert -res.fun == pytest.approx(c_star, rel=1e-12)
    assert c_star == pytest.approx(0.4392, abs=1e-4)  # textbook value
    assert gap / x_star / gap == pytest.approx(0.4168, abs=1e-4)


@pytest.mark.parametrize("t", [0.05, 0.3, 1.0, 4.0, 20.0])
def test_harmonic_oscillator_matches_closed_form(t):
    hw = 1.3
    lv = models.harmonic_oscillator(hw, max_temperature=20.0, tol=1e-13)
    ens = maxent.canonical(lv, temperature=t)
    x = hw / t
    assert ens.internal_energy == pytest.approx(hw * (0.5 + 1 / np.expm1(x)), rel=1e-10)
    assert ens.heat_capacity == pytest.approx(x**2 * np.exp(x) / np.expm1(x) ** 2, rel=1e-9)
    assert ens.free_energy == pytest.approx(
        hw / 2 + t * np.log(-np.expm1(-x)), rel=1e-10, abs=1e-12
    )


def test_harmonic_truncation_meets_the_stated_tolerance():
    for tol in (1e-4, 1e-8, 1e-12):
        lv = models.harmonic_oscillator(1.0, max_temperature=5.0, tol=tol)
        x = np.exp(-1.0 / 5.0)
        neglected = x**lv.n_levels  # weight fraction of the levels left out
        assert neglected < tol
        assert x ** (lv.n_levels - 1) >= tol  # and no level more than needed


def test_unbounded_models_refuse_infinite_temperature():
    with pytest.raises(maxent.InvalidInputError, match=r"`max_temperature` must be finite"):
        models.harmonic_oscillator(1.0, max_temperature=np.inf)


@pytest.mark.parametrize("t", [0.2, 1.0, 3.0])
def test_einstein_solid_is_n_independent_oscillators(t):
    n, hw = 5, 0.8
    lv = models.einstein_solid(n, hw, max_temperature=3.0, tol=1e-13)
    ens = maxent.canonical(lv, temperature=t)
    x = hw / t
    assert ens.log_Z == pytest.approx(-n * x / 2 - n * np.log(-np.expm1(-x)), rel=1e-11)
    assert ens.heat_capacity == pytest.approx(n * x**2 * np.exp(x) / np.expm1(x) ** 2, rel=1e-9)


@pytest.mark.parametrize("t", [0.1, 1.0, 7.0])
def test_paramagnet_matches_closed_form(t):
    n, mb = 6, 0.9
    ens = maxent.canonical(models.paramagnet(n, field=0.45, moment=2.0), temperature=t)
    y = mb / t
    assert ens.internal_energy == pytest.approx(-n * mb * np.tanh(y), rel=1e-12)
    assert ens.heat_capacity == pytest.approx(n * y**2 / np.cosh(y) ** 2, rel=1e-10)
    assert ens.log_Z == pytest.approx(n * np.log(2 * np.cosh(y)), rel=1e-12)


def test_rigid_rotor_high_temperature_expansion():
    b, t = 1.0, 200.0
    lv = models.rigid_rotor(b, max_temperature=t, tol=1e-14)
    r = b / t
    mulholland = (1 / r) * (1 + r / 3 + r**2 / 15 + 4 * r**3 / 315)
    assert np.exp(maxent.canonical(lv, temperature=t).log_Z) == pytest.approx(mulholland, rel=1e-9)
    np.testing.assert_array_equal(lv.degeneracy, 2 * np.arange(lv.n_levels) + 1)


def test_equally_spaced_is_a_geometric_series():
    lv = models.equally_spaced(7, spacing=0.5)
    x = np.exp(-0.5 / 0.8)
    assert np.exp(maxent.canonical(lv, temperature=0.8).log_Z) == pytest.approx(
        (1 - x**7) / (1 - x), rel=1e-14
    )


# ---------------------------------------------------------------- atoms
@pytest.mark.parametrize("symbol", models.ATOMS)
def test_atomic_tables_load_with_kelvin_temperatures(symbol):
    lv = models.atom(symbol)
    assert lv.unit == "cm-1"
    assert lv.ground_energy == 0.0
    assert np.all(np.diff(lv.energies) >= 0)
    ds = maxent.temperature_sweep(lv, [1000.0, 5000.0, 10000.0])
    assert ds.temperature.attrs["units"] == "K"
    z = np.exp(ds.log_Z.values)
    assert np.all(np.diff(z) > 0) and np.all(z >= lv.degeneracy[0])


def test_atomic_partition_functions_match_tabulated_values():
    # ground-term degeneracies: H 2S (2), Na 3s 2S (2), Fe a5D (9, 7, 5, 3, 1)
    assert models.atom("H").degeneracy[0] == 2
    np.testing.assert_array_equal(models.atom("Fe").degeneracy[:5], [9, 7, 5, 3, 1])
    # Na I at 1000 K: only the ground doublet matters (first excited level 16956 cm-1)
    assert np.exp(maxent.canonical(models.atom("Na"), temperature=1000.0).log_Z) == pytest.approx(
        2.0, rel=1e-9
    )
    # Fe I at 5040 K: log10 U = 1.43 in Gray's table (D.2); listed levels only, so close
    z_fe = np.exp(maxent.canonical(models.atom("Fe"), temperature=5040.0).log_Z)
    assert np.log10(z_fe) == pytest.approx(1.43, abs=0.03)


def test_unknown_atom_is_rejected():
    with pytest.raises(maxent.InvalidInputError, match=r"`symbol` must be one of"):
        models.atom("Xx")


# ---------------------------------------------------------------- huge systems
N_HUGE = 10**6


@pytest.fixture(scope="module")
def huge_models():
    return {
        "chain": models.ising_chain(N_HUGE),
        "spins": models.paramagnet(N_HUGE, 0.7),
        "solid": models.einstein_solid(N_HUGE, 0.8, max_temperature=1.5),
    }


@pytest.mark.parametrize("t", [0.3, 1.0, 1.5])
def test_million_particle_models_match_closed_forms(huge_models, t):
    n, b = N_HUGE, 1.0 / t
    chain = np.logaddexp(n * np.log(2 * np.cosh(b)), n * np.log(2 * np.sinh(b)))
    spins = n * np.log(2 * np.cosh(0.7 * b))
    x = 0.8 * b
    solid = -n * x / 2 - n * np.log(-np.expm1(-x))
    for key, ref in (("chain", chain), ("spins", spins), ("solid", solid)):
        ens = maxent.canonical(huge_models[key], temperature=t)
        assert ens.log_Z / n == pytest.approx(ref / n, rel=1e-12), key
    ens = maxent.canonical(huge_models["spins"], temperature=t)
    y = 0.7 * b
    assert ens.heat_capacity / n == pytest.approx(y**2 / np.cosh(y) ** 2, rel=1e-9)
    assert ens.internal_energy / n == pytest.approx(-0.7 * np.tanh(y), rel=1e-12)


def test_huge_degeneracies_are_kept_in_log_space(huge_models):
    chain = huge_models["chain"]
    assert chain.log_n_states == pytest.approx(N_HUGE * np.log(2), rel=1e-14)
    assert np.isinf(chain.n_states)
    # U = -N tanh(beta J) for the long chain: beta from the internal energy
    ens = maxent.canonical(chain, internal_energy=-0.5 * N_HUGE)
    assert ens.beta == pytest.approx(np.arctanh(0.5), rel=1e-9)


@pytest.mark.parametrize("n", [2000, 10**4])
def test_textbook_sizes_no_longer_overflow(n):
    for lv in (models.ising_chain(n), models.paramagnet(n), models.einstein_solid(n)):
        assert np.all(np.isfinite(lv.log_degeneracy))
        assert np.isfinite(maxent.canonical(lv, temperature=2.0).log_Z)


def test_small_degeneracies_stay_exact_integers():
    np.testing.assert_array_equal(models.paramagnet(60).degeneracy[30], 118264581564861424)
    lv = models.einstein_solid(4, max_temperature=1.0)
    np.testing.assert_array_equal(lv.degeneracy[:4], [1, 4, 10, 20])


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: models.rigid_rotor(1e-300, max_temperature=1), r"`rotational_constant` = 1e-300"),
        (lambda: models.rigid_rotor(1.0, max_temperature=1e300), r"`max_temperature` = 1e\+300"),
        (lambda: models.harmonic_oscillator(1e-300, max_temperature=1), r"`hbar_omega` = 1e-300"),
        (
            lambda: models.einstein_solid(10**9, max_temperature=100),
            r"`n_oscillators` = 1000000000",
        ),
    ],
)
def test_level_counts_are_capped_with_a_named_error(build, match):
    with pytest.raises(maxent.InvalidInputError, match=match + r".*needs about .* levels"):
        build()


def test_numpy_scalars_are_accepted():
    lv = models.paramagnet(np.int64(3), np.float32(0.5), moment=np.float64(2.0))
    np.testing.assert_array_equal(lv.energies, [-3.0, -1.0, 1.0, 3.0])
    assert (
        models.harmonic_oscillator(
            np.float32(1.0), max_temperature=np.float32(2.0), tol=np.float32(1e-6)
        ).n_levels
        > 1
    )


# ---------------------------------------------------------------- spin J, Debye
@pytest.mark.parametrize("spin", [1, 1.5, 2.5])
@pytest.mark.parametrize("t", [0.2, 1.0, 5.0])
def test_spin_j_paramagnet_follows_brillouin(spin, t):
    n, mb = 200, 0.7
    lv = models.spin_paramagnet(n, 0.35, spin=spin, moment=2.0)
    ens = maxent.canonical(lv, temperature=t)
    x, j = mb / t, spin
    brillouin = (2 * j + 1) / (2 * j) / np.tanh((2 * j + 1) * x / (2 * j)) - 1 / (2 * j) / np.tanh(
        x / (2 * j)
    )
    log_z = n * np.log(np.sinh((2 * j + 1) * x / (2 * j)) / np.sinh(x / (2 * j)))
    assert ens.log_Z == pytest.approx(log_z, rel=1e-12)
    assert ens.internal_energy == pytest.approx(-n * mb * brillouin, rel=1e-12)
    assert lv.log_n_states == pytest.approx(n * np.log(2 * j + 1), rel=1e-13)


def test_spin_j_small_cases_and_limits():
    lv = models.spin_paramagnet(3, spin=1)
    np.testing.assert_array_equal(lv.degeneracy, [1, 3, 6, 7, 6, 3, 1])
    half = models.spin_paramagnet(4, spin=0.5)
    np.testing.assert_array_equal(half.energies, models.paramagnet(4).energies)
    with pytest.raises(maxent.InvalidInputError, match=r"`spin` must be a multiple of 1/2"):
        models.spin_paramagnet(2, spin=0.3)
    with pytest.raises(maxent.InvalidInputError, match=r"exceeds 20000"):
        models.spin_paramagnet(20000, spin=1)


@pytest.mark.parametrize("t", [0.004, 0.05, 0.3, 1.0, 3.0, 50.0])
def test_debye_solid_matches_its_integral_and_limits(t):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    x = 1 / mpmath.mpf(t)
    # C = 9 N (T/Theta)^3 int_0^x u^4 e^u / (e^u - 1)^2 du: another integrand than the code's
    c_ref = (
        9
        / x**3
        * mpmath.quad(
            lambda u: u**4 * mpmath.exp(u) / mpmath.expm1(u) ** 2,
            [0, *[v for v in (2, 5, 10, 20, 50) if v < x], min(x, 200)],
        )
    )
    ds = models.debye_solid([t], 1.0, n_atoms=2)
    assert float(ds.heat_capacity[0]) == pytest.approx(2 * float(c_ref), rel=1e-12)
    if t < 0.01:  # Debye T^3 law, S = C / 3
        assert float(ds.heat_capacity[0]) == pytest.approx(2 * 12 * np.pi**4 / 5 * t**3, rel=1e-12)
        assert float(ds.entropy[0]) == pytest.approx(float(ds.heat_capacity[0]) / 3, rel=1e-12)
    h = 1e-6 * t  # S = -dF/dT, U = F + T S
    f = models.debye_solid(
        [t - h, t + h], 1.0, n_atoms=2, zero_point=False
    ).free_energy.values  # no 9/8 N Theta offset
    assert float(ds.entropy[0]) == pytest.approx(-(f[1] - f[0]) / (2 * h), rel=1e-6)
    assert float(ds.internal_energy[0]) == pytest.approx(
        float(ds.free_energy[0] + t * ds.entropy[0]), rel=1e-12
    )
    assert float(ds.log_Z[0]) == pytest.approx(-float(ds.free_energy[0]) / t, rel=1e-12)


def test_debye_solid_high_temperature_and_bad_input():
    ds = models.debye_solid([1e4], 1.0, n_atoms=5)
    assert float(ds.heat_capacity[0]) == pytest.approx(15.0, rel=1e-8)  # Dulong-Petit
    pytest.importorskip("pint_xarray")
    ds.pint.quantify()
    with pytest.raises(maxent.InvalidInputError, match=r"`temperatures` must be finite"):
        models.debye_solid([0.0, 1.0])
    with pytest.raises(maxent.InvalidInputError, match=r"`debye_temperature`"):
        models.debye_solid([1.0], -1.0)
