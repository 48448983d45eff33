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
    for name in ("internal_energy", "heat_capacity"):
        np.testing.assert_allclose(big[name].values, inf[name].values, rtol=1e-11, err_msg=name)
    np.testing.assert_allclose(
        big.log_Z.values - [np.log(2.0) / 2**32, 0.0], inf.log_Z.values, rtol=1e-13
    )


def test_exact_ising_long_strip_is_the_same_at_any_length_beyond_its_correlation_length():
    t = [1.5, 2.0, 3.0]
    a = maxent.models.ising_2d_thermo(2**19, t, columns=4)
    b = maxent.models.ising_2d_thermo(2**20, t, columns=4)
    for name in ("internal_energy", "heat_capacity"):
        np.testing.assert_allclose(a[name].values, b[name].values, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("side", [4, 33, np.inf])
def test_exact_ising_minus_zero_temperature_is_refused_not_zeros(side):
    # issue 23: ising_2d_thermo(L, [-0.0]) returned zeros (beta = 1/-0.0 = -inf)
    with pytest.raises(maxent.InvalidInputError, match=r"`temperatures`.*-0\.0 at index 1"):
        maxent.models.ising_2d_thermo(side, [1.0, -0.0])
    ground = maxent.models.ising_2d_thermo(side, [0.0])
    assert ground.internal_energy.values[0] == -2.0
    assert ground.heat_capacity.values[0] == 0.0


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
        (lambda fp, r: fp.plot_data_fit(r, axes=(1, 2, 3)), r"`axes` must be a pair"),
        (lambda fp, r: fp.plot_data_fit(r, axes=(1, 2)), r"`axes\[0\]` must be matplotlib"),
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
