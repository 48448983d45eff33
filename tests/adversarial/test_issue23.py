"""Every reproducer of issue 23 in inputs, units, exact Ising, files and fits: one test each."""

from __future__ import annotations

import importlib.util
import itertools
import pathlib
import sys

import numpy as np
import pytest

import maxent

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _peer_problems():
    path = ROOT / "benchmarks" / "peer_problems.py"
    spec = importlib.util.spec_from_file_location("peer_problems", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("peer_problems", module)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------- Bryan's prior
def test_bryan_with_ana_conts_prior_reproduces_ana_cont_on_its_own_problem():
    # ana_cont weighs the alpha path by P(y|alpha) alpha d(alpha); "uniform" is P(alpha) = 1
    prob = _peer_problems().ana_cont_two_gaussians()
    table = np.loadtxt(
        ROOT / "tests" / "data" / "ana_cont_bryan_two_gaussians.csv",
        delimiter=",",
        comments="#",
        skiprows=4,
    )
    np.testing.assert_allclose(table[:, 0], prob.grid, atol=1e-12)
    reference = table[:, 1]
    fits = {
        prior: maxent.fit(
            prob.kernel,
            prob.data,
            prob.sigma,
            alpha="bryan",
            alpha_prior=prior,
            **prob.fit_kwargs(),
        )
        for prior in ("jeffreys", "uniform", "ana_cont")
    }
    error = {k: np.max(np.abs(r.x - reference)) / reference.max() for k, r in fits.items()}
    # ana_cont stops its path where the probability falls below 1 % of its peak and
    # integrates by the trapezoid rule on a 1.1 grid: agreement to a few 1e-4
    assert error["ana_cont"] < 5e-4
    assert error["uniform"] > 10 * error["ana_cont"] and error["jeffreys"] > error["uniform"]
    assert fits["jeffreys"].alpha < fits["uniform"].alpha < fits["ana_cont"].alpha


# ---------------------------------------------------------------------------- exact Ising
@pytest.mark.parametrize("side, columns", [(2**62, None), (4, 2**62), (2**20 + 1, None)])
def test_exact_ising_beyond_the_closed_forms_reach_is_refused(side, columns):
    # issue 23: ising_2d_thermo(2**62, T) returned garbage (negative C, NaN)
    with pytest.raises(maxent.InvalidInputError, match=r"`side`.*beyond the closed form"):
        maxent.models.ising_2d_thermo(side, [1.0, 2.3], columns=columns)


def test_exact_ising_large_lattice_meets_onsager_away_from_tc():
    # finite-size corrections ~exp(-L / xi) vanish at T = 1 and T = 5 for L = 2**16: the
    # per-site U and C must equal Onsager's to rounding (C lost digits as L grew); ln Z / N
    # keeps ln 2 / N below T_c (two ground states)
    t = [1.0, 5.0]
    big = maxent.models.ising_2d_thermo(2**16, t)
    inf = maxent.models.ising_2d_thermo(np.inf, t)
    for name in ("internal_energy_per_site", "heat_capacity_per_site"):
        np.testing.assert_allclose(big[name].values, inf[name].values, rtol=1e-11, err_msg=name)
    np.testing.assert_allclose(
        big.log_Z_per_site.values - [np.log(2.0) / 2**32, 0.0],
        inf.log_Z_per_site.values,
        rtol=1e-13,
    )


def test_exact_ising_long_strip_is_the_same_at_any_length_beyond_its_correlation_length():
    t = [1.5, 2.0, 3.0]
    a = maxent.models.ising_2d_thermo(2**19, t, columns=4)
    b = maxent.models.ising_2d_thermo(2**20, t, columns=4)
    for name in ("internal_energy_per_site", "heat_capacity_per_site"):
        np.testing.assert_allclose(a[name].values, b[name].values, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("side", [4, 33, np.inf])
def test_exact_ising_minus_zero_temperature_is_refused_not_zeros(side):
    # issue 23: ising_2d_thermo(L, [-0.0]) returned zeros (beta = 1/-0.0 = -inf)
    with pytest.raises(maxent.InvalidInputError, match=r"`temperatures`.*-0\.0 at index 1"):
        maxent.models.ising_2d_thermo(side, [1.0, -0.0])
    ground = maxent.models.ising_2d_thermo(side, [0.0])
    assert ground.internal_energy_per_site.values[0] == -2.0
    assert ground.heat_capacity_per_site.values[0] == 0.0


# ---------------------------------------------------------------------------- log-degeneracies
def _exact_canonical(energies, log_g, beta):
    """ln Z, S and p in big-float arithmetic (mpmath, 400 digits: O(1) beside 1e308)."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(400):
        a = [mpmath.mpf(lg) - beta * mpmath.mpf(e) for e, lg in zip(energies, log_g, strict=True)]
        top = max(a)
        log_z = top + mpmath.log(sum(mpmath.e ** (x - top) for x in a))
        p = [mpmath.e ** (x - log_z) for x in a]
        u = sum(pi * e for pi, e in zip(p, energies, strict=True))
        return float(log_z), float(log_z + beta * u), np.array([float(x) for x in p])


@pytest.mark.parametrize(
    "log_g",
    [
        [-1.7e308, 0.0, -3.0],
        [-1.79e308, -1e308, -1e308],
        [0.0, -1.79e308, 2.0],
        [5e307, -1e308, 1e3],
    ],
)
@pytest.mark.parametrize("max_elements", [2**18, 2])  # chunks, and rows longer than a chunk
def test_log_degeneracy_near_the_float_limit_gives_exact_log_z_and_entropy(log_g, max_elements):
    # issue 23: ln g ~ -1.8e308 on the reference level: ln Z = peak + shift lost every digit
    from maxent._boltzmann import boltzmann

    e = np.array([0.0, 1.0, 2.5])
    beta = np.array([1e-3, 1.0, 1e3, -1.0])
    th = boltzmann(e, np.array(log_g), beta, max_elements=max_elements)
    for i, b in enumerate(beta):
        log_z, s, p = _exact_canonical(e, log_g, b)
        assert th["log_Z"][i] == pytest.approx(log_z, rel=1e-14), b
        assert th["entropy"][i] == pytest.approx(s, rel=1e-13, abs=1e-12), b
        np.testing.assert_allclose(th["p"][i], p, rtol=1e-12, atol=1e-300)
    lv = maxent.EnergyLevels(e, log_degeneracy=log_g)
    assert maxent.canonical(lv, temperature=1.0).log_Z == pytest.approx(th["log_Z"][1], rel=1e-15)


def test_log_degeneracy_spanning_beyond_the_float_range_is_refused():
    with pytest.raises(maxent.InvalidInputError, match=r"`log_degeneracy` must span less"):
        maxent.EnergyLevels([0.0, 1.0], log_degeneracy=[-1.7e308, 1.7e308])


# ---------------------------------------------------------------------------- T and mu from U, N
def _fermion_orbitals(eps):
    """Energies and particle numbers of every occupation of the orbitals ``eps``."""
    occ = np.array(list(itertools.product([0, 1], repeat=len(eps))), dtype=float)
    return occ @ np.asarray(eps), occ.sum(axis=1)


@pytest.mark.parametrize(
    "eps, t",
    [
        ([0.45, 0.451], 1e-3),  # was: T off by 13 %
        ([0.45, 0.451], 3e-4),  # was: T = 0, mu = NaN
        ([0.45, 0.451], 1e-4),
        ([0.45, 0.4501, 0.46, 0.9], 1e-3),  # was: T 395 times too large, moments matched
        ([0.45, 0.4501, 0.46, 0.9], 1e-4),
        ([0.3924, 0.4476], 2e-3),
    ],
)
def test_grand_canonical_targets_near_the_ground_state_give_t_and_mu(eps, t):
    # issue 23: the targets carry T and mu in their distance to the ground state, far below
    # solve()'s tolerance; every digit of that distance must count
    e, n = _fermion_orbitals(eps)
    fwd = maxent.grand_canonical(e, n, temperature=t, chemical_potential=0.42)
    back = maxent.grand_canonical(
        e, n, internal_energy=fwd.internal_energy, particle_number=fwd.particle_number
    )
    assert back.temperature == pytest.approx(t, rel=1e-9)
    assert back.chemical_potential == pytest.approx(0.42, rel=1e-9)
    np.testing.assert_allclose(back.p, fwd.p, rtol=1e-7, atol=1e-300)


@pytest.mark.parametrize("t", [0.05, 0.02, 0.01, 0.005, -0.1])
def test_canonical_internal_energy_near_the_ground_level_gives_t(t):
    # U - E_min = 1.9e-22 at T = 0.02: was taken for the ground level itself (T = 0)
    u = maxent.canonical([0.0, 1.0, 1.5], temperature=t).internal_energy
    back = maxent.canonical([0.0, 1.0, 1.5], internal_energy=u)
    assert back.temperature == pytest.approx(t, rel=1e-12)


def test_targets_on_a_face_in_floating_point_keep_the_boundary_answer():
    # U = N exactly: on the edge of the hull where E = N; no warning, the targets are met
    e, n = np.array([0.0, 1.0, 1.0, 2.5]), np.array([0.0, 1.0, 1.0, 2.0])
    res = maxent.grand_canonical(e, n, internal_energy=1.3e-25, particle_number=1.3e-25)
    assert res.internal_energy == pytest.approx(1.3e-25, rel=1e-12)
    assert res.particle_number == pytest.approx(1.3e-25, rel=1e-12)


# ---------------------------------------------------------------------------- spectrum cache
def test_exact_spectrum_cache_is_keyed_by_the_package_version(tmp_path, monkeypatch):
    from maxent import _cache, ising_exact

    monkeypatch.setenv("MAXENT_CACHE_DIR", str(tmp_path))
    ising_exact._counts.cache_clear()
    first = maxent.models.ising_2d_degeneracies(3, 4)
    calls = []
    real = ising_exact._exact_counts
    monkeypatch.setattr(
        ising_exact, "_exact_counts", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    monkeypatch.setattr(_cache, "__version__", "0.0.0-another")
    ising_exact._counts.cache_clear()
    assert maxent.models.ising_2d_degeneracies(3, 4) == first
    assert calls == [(3, 4, False)]  # another version's entry was not read
    assert len(list(tmp_path.glob("ising2d_exact_3_4_*.txt"))) == 2
    ising_exact._counts.cache_clear()


def _write_many(cache, body, n):
    import os

    os.environ["MAXENT_CACHE_DIR"] = cache
    from maxent import _cache

    for _ in range(n):
        assert _cache.write_entry("test_entry", {"rows": 5, "columns": 6}, body)


def test_cache_entries_survive_processes_writing_the_same_entry(tmp_path, monkeypatch):
    # issue 23: the cache must survive another process (or thread: the same pid) writing
    # the same entry; readers see no entry or a whole one, never a part, and no temporary
    # file is left
    import multiprocessing
    import threading

    from maxent import _cache

    monkeypatch.setenv("MAXENT_CACHE_DIR", str(tmp_path))
    body = "\n".join(f"{k:x}" for k in range(200_000))
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(str(tmp_path), body, 30)) for _ in range(2)]
    procs += [
        threading.Thread(target=_write_many, args=(str(tmp_path), body, 30)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    seen = set()
    while any(p.is_alive() for p in procs):
        text = _cache.read_entry("test_entry", {"rows": 5, "columns": 6})
        seen.add(text is None or text == body)
    for p in procs:
        p.join()
    assert all(getattr(p, "exitcode", 0) == 0 for p in procs)
    assert seen <= {True}
    assert _cache.read_entry("test_entry", {"rows": 5, "columns": 6}) == body
    assert len(list(tmp_path.iterdir())) == 1  # one entry, no temporary file left


# ---------------------------------------------------------------------------- fits and their plots
def _small_fit_problem():
    rng = np.random.default_rng(0)
    kernel = rng.random((6, 8))
    return kernel, kernel @ rng.random(8)


@pytest.mark.parametrize("sigma", [1e-200, 1e-17, 1e150, 1e300])
@pytest.mark.parametrize("penalty, alpha", [("entropy", "historic"), ("l2", "gcv"), ("l1", 0.1)])
def test_fit_with_errors_far_from_the_data_is_refused_naming_sigma(sigma, penalty, alpha):
    # issue 23: LinAlgError (1e-200), ZeroDivisionError (1e150), OverflowError, IndexError
    kernel, data = _small_fit_problem()
    with pytest.raises(maxent.InvalidInputError, match=r"`sigma` is (below|over)"):
        maxent.fit(kernel, data, np.full(6, sigma), penalty=penalty, alpha=alpha)


@pytest.mark.parametrize("sigma", [1e-12, 1e80])
def test_fit_with_errors_far_from_the_data_within_reach_still_fits(sigma):
    kernel, data = _small_fit_problem()
    res = maxent.fit(kernel, data, np.full(6, sigma), penalty="l2", alpha="gcv")
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.chi2)


def test_fit_with_a_kernel_far_from_its_errors_is_refused_naming_the_kernel():
    kernel, data = _small_fit_problem()
    with pytest.raises(maxent.InvalidInputError, match=r"`kernel` / `sigma` reaches 9.*e\+149"):
        maxent.fit(kernel * 1e149, data, np.full(6, 0.1), alpha=0.1)
    with pytest.raises(maxent.InvalidInputError, match=r"`kernel` / `sigma` reaches 9.*e-149"):
        maxent.fit(kernel * 1e-149, data, np.full(6, 0.1), alpha=0.1)


@pytest.fixture(scope="module")
def _fit_result():
    kernel, data = _small_fit_problem()
    return maxent.fit(kernel, data, np.full(6, 0.01), penalty="l2", alpha=0.1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda fp, r: fp.plot_reconstruction("not a fit"), r"`result` must be a FitResult"),
        (lambda fp, r: fp.plot_reconstruction(r, truth=[1.0, 2.0]), r"`truth` has 2 entries"),
        (lambda fp, r: fp.plot_reconstruction(r, truth=np.full(8, np.nan)), r"`truth` must be"),
        (lambda fp, r: fp.plot_reconstruction(r, ax="axes"), r"`ax` must be matplotlib Axes"),
        (lambda fp, r: fp.plot_reconstruction(r, x_name=3), r"`x_name` must be a str"),
        (lambda fp, r: fp.plot_data_fit(r, coords=np.arange(5)), r"`coords` has 5 entries"),
        (lambda fp, r: fp.plot_data_fit(r, ax=(1, 2, 3)), r"`ax` must be a pair"),
        (lambda fp, r: fp.plot_data_fit(r, ax=(1, 2)), r"`ax\[0\]` must be matplotlib"),
        (lambda fp, r: fp.plot_alpha_scan(None), r"`result` must be a FitResult"),
        (lambda fp, r: fp.plot_alpha_scan(r, ax=[]), r"`ax` must be matplotlib Axes"),
    ],
)
def test_fit_plots_refuse_bad_arguments_by_name(_fit_result, call, match):
    # issue 23: raw AttributeError, ValueError and TypeError from inside matplotlib
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from maxent import fit_plots

    try:
        with pytest.raises(maxent.InvalidInputError, match=match):
            call(fit_plots, _fit_result)
    finally:
        plt.close("all")


# ---------------------------------------------------------------------------- units
@pytest.fixture(scope="module")
def ureg():
    pint = pytest.importorskip("pint")
    return pint.get_application_registry()


F6 = np.arange(1.0, 7.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda q: maxent.solve(F6, q([3.5], "")).p,
        lambda q: maxent.solve(F6, [q(3.5, "")], prior=q(np.ones(6), "")).p,
        lambda q: maxent.softmax(q([1.0, 2.5], ""), temperature=q(0.5, "")),
        lambda q: (
            maxent.models.ising_2d_thermo(4, q([1.0, 2.5], "")).heat_capacity_per_site.values
        ),
        lambda q: (
            maxent.grand_canonical(
                [0.0, 1.0, 2.0], q([0, 1, 2], ""), temperature=1.0, chemical_potential=0.3
            ).p
        ),
        lambda q: maxent.EnergyLevels([0.0, 1.0], q([1, 3], "")).degeneracy,
        lambda q: maxent.fit(np.eye(3), q(np.ones(3), ""), q(np.full(3, 0.1), ""), alpha=0.1).x,
        lambda q: maxent.temperature_sweep([0.0, 1.0], q([1.0, 2.0], "")).entropy.values,
        lambda q: maxent.models.two_level(q(2.0, "")).energies,
    ],
)
def test_dimensionless_quantities_are_their_numbers(ureg, call):
    # issue 23: TypeError from np.iscomplexobj on every Quantity given to as_float_array
    plain = call(lambda value, unit: value)
    np.testing.assert_array_equal(call(ureg.Quantity), plain)


def test_dimensionless_quantity_with_a_scale_is_converted(ureg):
    np.testing.assert_array_equal(
        maxent.EnergyLevels([0.0, 1.0], ureg.Quantity([100, 300], "percent")).degeneracy,
        [1.0, 3.0],
    )


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda q: maxent.solve(F6, q([3.5], "meV")), "targets"),
        (lambda q: maxent.softmax(q([1.0, 2.0], "K")), "logits"),
        (lambda q: maxent.models.ising_2d_thermo(4, q([1.0], "K")), "temperatures"),
        (lambda q: maxent.fit(np.eye(3), np.ones(3), q(np.full(3, 0.1), "s"), alpha=0.1), "sigma"),
        (
            lambda q: maxent.grand_canonical(
                [0.0, 1.0], q([0, 1], "m"), temperature=1.0, chemical_potential=0.0
            ),
            "particle_numbers",
        ),
        (lambda q: maxent.solve(F6, [3.5], tol=q(1e-10, "eV")), "tol"),
        (lambda q: maxent.solve(F6, [3.5], max_iter=q(10, "m")), "max_iter"),
    ],
)
def test_quantities_with_a_dimension_where_numbers_belong_are_refused_by_name(ureg, call, name):
    with pytest.raises(maxent.InvalidInputError, match=rf"`{name}` has unit '\w+' but takes"):
        call(ureg.Quantity)


def test_lists_of_quantities_are_converted_to_the_first_ones_unit(ureg):
    # issue 23: a list of Quantities raised ValueError
    q = ureg.Quantity
    a = maxent.canonical([q(0.0, "meV"), q(1.0, "meV"), q(0.002, "eV")], temperature=q(10, "K"))
    b = maxent.canonical(q([0.0, 1.0, 2.0], "meV"), temperature=10.0)
    np.testing.assert_allclose(a.p, b.p, rtol=1e-14)
    assert a.energy_unit == "meV"
    with pytest.raises(maxent.InvalidInputError, match=r"`energies` mixes quantities"):
        maxent.EnergyLevels([q(0.0, "meV"), 1.0])
    with pytest.raises(
        maxent.InvalidInputError,
        match=r"`energies\[1\]` is in 'meter', which does not convert",
    ):
        maxent.EnergyLevels([q(0.0, "meV"), q(1.0, "m")])
    with pytest.raises(maxent.InvalidInputError, match=r"`targets` mixes plain numbers"):
        maxent.solve(np.column_stack([F6, F6**2]), [3.5, q(15.0, "meV")])


def test_canonical_with_quantities_gives_quantities_back(ureg):
    # issue 23: canonical with pint inputs returned plain floats, units only in attributes
    q = ureg.Quantity
    ens = maxent.canonical(q([0.0, 1.0, 2.0], "meV"), temperature=q(10.0, "K"))
    out = ens.to_pint()
    assert out["internal_energy"].units == ureg.meV
    assert out["internal_energy"].magnitude == ens.internal_energy
    assert out["temperature"].to("K").magnitude == pytest.approx(10.0)
    s = ens.entropy * 1.380649e-23
    assert out["entropy"].to("J/K").magnitude == pytest.approx(s, rel=1e-12)
    assert (1 / out["beta"]).to("K", "boltzmann").magnitude == pytest.approx(10.0, rel=1e-12)
    grand = maxent.grand_canonical(
        q([0.0, 1.0], "meV"), [0, 1], temperature=q(10.0, "K"), chemical_potential=q(0.5, "meV")
    )
    assert grand.to_pint()["chemical_potential"] == q(0.5, "meV")


def test_model_scales_and_debye_temperatures_as_quantities(ureg):
    # issue 23: debye_solid and einstein_solid refused every Quantity
    q = ureg.Quantity
    k_b = 8.617333262145179e-2  # meV / K
    ein = maxent.models.einstein_solid(3, q(20.0, "meV"), max_temperature=q(300.0, "K"))
    plain = maxent.models.einstein_solid(3, 20.0, max_temperature=300.0 * k_b)
    assert ein.unit == "meV" and ein.n_levels == plain.n_levels
    np.testing.assert_array_equal(ein.energies, plain.energies)
    by_k = maxent.models.debye_solid(q([50.0, 300.0], "K"), q(400.0, "K"))
    by_mev = maxent.models.debye_solid(q([50.0, 300.0], "K"), q(400.0 * k_b, "meV"))
    numbers = maxent.models.debye_solid([50.0, 300.0], 400.0)
    np.testing.assert_allclose(by_k.heat_capacity, numbers.heat_capacity, rtol=1e-12)
    np.testing.assert_allclose(by_mev.heat_capacity, numbers.heat_capacity, rtol=1e-12)
    np.testing.assert_allclose(by_mev.internal_energy, numbers.internal_energy * k_b, rtol=1e-12)
    assert (
        by_mev.internal_energy.attrs["units"] == "meV" and by_k.temperature.attrs["units"] == "K"
    )
    with pytest.raises(maxent.InvalidInputError, match=r"both with units or both as numbers"):
        maxent.models.debye_solid([50.0], q(400.0, "K"))


def test_units_dimensionless_is_natural_and_says_what_was_typed():
    # issue 23: units="dimensionless" was reported as a unit '1' the user never typed
    ens = maxent.canonical([0.0, 1.0], temperature=1.0, units="dimensionless")
    assert ens.boltzmann_constant == 1.0 and ens.energy_unit == "1"
    lv = maxent.EnergyLevels([0.0, 1.0], unit="meV")
    with pytest.raises(maxent.InvalidInputError, match=r"`units` = 'dimensionless' \(energies"):
        maxent.canonical(lv, temperature=10.0, units="dimensionless")


def test_beta_with_an_energy_unit_is_said_not_to_be_an_inverse_energy(ureg):
    # issue 23: beta in meV was described as "'1/meV' is not an energy"
    lv = maxent.EnergyLevels([0.0, 1.0], unit="meV")
    with pytest.raises(
        maxent.InvalidInputError, match=r"`beta` has unit 'meV', which is not an inverse energy"
    ):
        maxent.canonical(lv, beta=ureg.Quantity(1.0, "meV"))
    ens = maxent.canonical(lv, beta=ureg.Quantity(1.0, "1/meV"))
    assert ens.beta == 1.0


# ---------------------------------------------------------------------------- names and files
@pytest.mark.parametrize("bad", ["Fe\x00 I", "caf\udce9"])
def test_names_that_netcdf_cannot_keep_are_refused(tmp_path, bad):
    # issue 23: a NUL was cut off by the netCDF round trip; a lone surrogate raised
    # UnicodeEncodeError when writing
    with pytest.raises(maxent.InvalidInputError, match=r"`name` must"):
        maxent.EnergyLevels([0.0, 1.0], name=bad)
    with pytest.raises(maxent.InvalidInputError, match=r"`labels\[1\]` must"):
        maxent.EnergyLevels([0.0, 1.0], labels=["a", bad])
    with pytest.raises(maxent.InvalidInputError, match=r"`features` must"):
        maxent.solve({bad: F6}, {bad: 3.5})


def test_names_survive_the_netcdf_round_trip(tmp_path):
    xr = pytest.importorskip("xarray")
    lv = maxent.EnergyLevels([0.0, 1.0], labels=["α", "β ☃"], name="Fe I — ³D")
    path = tmp_path / "s.nc"
    maxent.temperature_sweep(lv, [1.0, 2.0]).to_netcdf(path)
    with xr.open_dataset(path) as back:
        assert back.attrs["system"] == "Fe I — ³D"
        assert list(back["label"].values) == ["α", "β ☃"]


@pytest.mark.parametrize(
    "header", ["energy,g,energy", "energy,g,Energy ", "energy,e,g", "energy,g,degeneracy"]
)
def test_level_file_with_two_columns_of_one_meaning_is_refused(tmp_path, header):
    # issue 23: from_csv with two `energy` columns silently read the second
    path = tmp_path / "lv.csv"
    path.write_text(f"{header}\n0,1,5\n1,2,6\n")
    with pytest.raises(maxent.InvalidInputError, match=r"two columns named|mean the same"):
        maxent.EnergyLevels.from_csv(path)


def test_level_json_with_a_key_twice_is_refused(tmp_path):
    path = tmp_path / "lv.json"
    path.write_text('{"energies": [0, 1], "energies": [5, 6]}')
    with pytest.raises(maxent.InvalidInputError, match=r"two columns named 'energies'"):
        maxent.EnergyLevels.from_json(path)
