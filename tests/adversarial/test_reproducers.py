"""Every case reported in issue 10, one test each: the right answer or the right maxent error."""

import math
import signal
import warnings
from contextlib import contextmanager

import numpy as np
import pytest

import maxent
from maxent import InfeasibleTargetsError, InvalidInputError, MaxEntError, models

F6 = np.arange(1.0, 7.0)
G6 = F6**2


@contextmanager
def deadline(seconds):
    """Fail (instead of hanging the suite) when the body runs longer than ``seconds``."""

    def alarm(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def assert_solution(res, features, targets, tol=1e-10):
    """converged, p a distribution, and every moment within tol of the feature's spread."""
    features = np.asarray(features, dtype=np.float64).reshape(len(res.p), -1)
    assert res.converged, res.message
    p = np.asarray(res.p)
    assert np.all(np.isfinite(p)) and np.all(p >= 0) and math.isclose(p.sum(), 1, rel_tol=1e-12)
    mean = p @ features
    spread = np.sqrt(p.size * 0 + np.var(features, axis=0))
    np.testing.assert_allclose(mean, targets, rtol=0, atol=float(np.max(tol * spread)) * 1.01)
    assert np.all(np.isfinite(res.moments)) and np.isfinite(res.residual)
    return p


# ---- silent wrong answers ------------------------------------------------------------------


def test_mapping_keys_that_collide_after_str_are_refused():
    with pytest.raises(InvalidInputError, match=r"`features` keys 1 and '1'"):
        maxent.solve({1: F6, "1": G6}, {1: 2.0, "1": 3.5})


def test_colliding_target_keys_are_refused():
    with pytest.raises(InvalidInputError, match=r"`targets` has several keys named '1'"):
        maxent.solve({"1": F6, "2": G6}, {1: 2.0, "1": 3.5, "2": 15.0})


def test_subnormal_features():
    f = np.array([[1e-310], [0.0], [3e-310]])
    res = maxent.solve(f, [1e-310])
    p = assert_solution(res, f / 1e-310, [1.0])
    # Values 1, 0, 3 (times 1e-310) with mean 1: p_i ~ x^v_i with x + 3 x^3 = 1 + x + x^3,
    # so x^3 = 1/2.
    x = 2 ** (-1 / 3)
    np.testing.assert_allclose(p, np.array([x, 1.0, 0.5]) / (1.5 + x), rtol=1e-9)


def test_features_near_the_largest_float():
    f = np.array([[-1.7e308], [0.0], [1.7e308]])
    res = maxent.solve(f, [0.85e308])
    p = assert_solution(res, f / 1e308, [0.85])
    # The same problem at scale 1 has the same p.
    ref = maxent.solve(f / 1e308, [0.85])
    np.testing.assert_allclose(p, ref.p, rtol=1e-9)


# ---- heat capacity, softmax and grand canonical at extreme scales (issue 9) ----------------


@pytest.mark.parametrize("scale", [1e160, 1e-300, 1e300])
def test_heat_capacity_is_scale_free(scale):
    # Two levels 0 and E at T = E: C = x^2 e^x / (1 + e^x)^2 with x = 1.
    exact = math.e / (1 + math.e) ** 2
    res = maxent.canonical([0.0, scale], temperature=scale)
    assert res.heat_capacity == pytest.approx(exact, rel=1e-12)
    assert res.internal_energy / scale == pytest.approx(1 / (1 + math.e), rel=1e-12)


def test_softmax_at_the_smallest_temperature():
    np.testing.assert_array_equal(maxent.softmax([1.0, 2.0], temperature=5e-324), [0.0, 1.0])


def test_softmax_of_equal_huge_logits():
    np.testing.assert_allclose(maxent.softmax([1e300, 1e300], temperature=1e-10), [0.5, 0.5])


@pytest.mark.parametrize("mu, expected", [(np.inf, [0.0, 0.0, 1.0]), (-np.inf, [1.0, 0.0, 0.0])])
def test_grand_canonical_at_infinite_chemical_potential(mu, expected):
    res = maxent.grand_canonical(
        [0.0, 1.0, 3.0], [0, 1, 2], temperature=1.0, chemical_potential=mu
    )
    np.testing.assert_allclose(res.p, expected, atol=1e-300)


# ---- the command line (issue 9) --------------------------------------------------------------


def _cli(args, tmp_path):
    from maxent import cli

    return cli.main(["--model", "two-level", "--n-temperatures", "5", "--dpi", "30", *args])


def test_cli_refuses_an_infinite_tmax(tmp_path, capsys):
    nc, png = tmp_path / "a.nc", tmp_path / "a.png"
    assert _cli(["--tmax", "inf", "--out", str(nc), "--png", str(png)], tmp_path) != 0
    assert "--tmax" in capsys.readouterr().err
    assert not nc.exists() and not png.exists()


def test_cli_refuses_the_same_path_for_netcdf_and_png(tmp_path, capsys):
    same = tmp_path / "same.png"
    assert _cli(["--out", str(same), "--png", str(same)], tmp_path) != 0
    assert "same" in capsys.readouterr().err.lower()
    assert not same.exists()


def test_cli_says_when_it_replaces_a_file(tmp_path, capsys):
    nc, png = tmp_path / "a.nc", tmp_path / "a.png"
    nc.write_text("old")
    assert _cli(["--out", str(nc), "--png", str(png)], tmp_path) == 0
    captured = capsys.readouterr()
    text = (captured.out + captured.err).replace(str(tmp_path), "<dir>")
    assert "replac" in text.lower()
    assert nc.read_bytes()[:3] != b"old"


# ---- infeasible by mistake: the tolerance story -------------------------------------------


def test_die_mean_just_inside_the_top_face():
    res = maxent.solve(F6, [6 - 1e-9])
    assert_solution(res, F6, [6 - 1e-9])


def test_ising_energy_just_above_the_ground_state():
    u = -32 * (1 - 1e-11)
    res = maxent.canonical(models.ising_2d(4), internal_energy=u)
    assert res.internal_energy == pytest.approx(u, rel=1e-13)
    assert res.beta > 1


def test_features_with_a_large_offset_and_dirichlet_targets():
    f = np.c_[1e6 + np.arange(6.0), np.full(6, 1e6)]
    rng = np.random.default_rng(0)
    for _ in range(200):
        b = rng.dirichlet(np.ones(6)) @ f
        res = maxent.solve(f, b)
        assert res.converged
        assert abs(res.moments[0] - b[0]) <= 1e-10 * np.std(f[:, 0]) + 64 * 2.2e-16 * 1e6


def test_infeasible_message_is_in_the_callers_units():
    f = np.c_[1e6 + np.arange(6.0), np.full(6, 1e6)]
    with pytest.raises(
        InfeasibleTargetsError,
        match=r"`targets\[0\]` = 1000010 is outside "
        r"\[1000000, 1000005\]",
    ):
        maxent.solve(f, [1e6 + 10, 1e6])


# ---- hangs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(1e-300, 1.0), (1.0, 1e300)])
def test_rigid_rotor_extreme_ratios_finish(args):
    constant, t_max = args
    with deadline(10):
        try:
            lv = models.rigid_rotor(constant, max_temperature=t_max)
        except InvalidInputError as exc:
            assert "rotational_constant" in str(exc) or "max_temperature" in str(exc)
        else:
            assert lv.n_levels < 10**7


def test_entropy_fit_at_small_alpha_on_a_gaussian_kernel_finishes():
    x = np.linspace(-3, 3, 40)
    w = np.linspace(-4, 4, 60)
    kernel = np.exp(-0.5 * (x[:, None] - w[None, :]) ** 2)
    truth = np.exp(-0.5 * (w / 0.7) ** 2)
    data = kernel @ truth * (w[1] - w[0])
    sigma = np.full(x.size, 1e-3 * data.max())
    with deadline(10):
        res = maxent.fit(kernel, data, sigma, alpha=1e-3, grid=w)
    assert res.converged


# ---- unrelated exceptions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"tol": "a"}, "tol"),
        ({"max_iter": None}, "max_iter"),
        ({"chunk_size": float("nan")}, "chunk_size"),
        ({"tol": 1j}, "tol"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"tol": float("inf")}, "tol"),
    ],
)
def test_bad_keywords_of_solve(kwargs, name):
    with pytest.raises(InvalidInputError, match=rf"`{name}`"):
        maxent.solve(F6, [3.5], **kwargs)


def test_integer_beyond_the_float_range():
    with pytest.raises(InvalidInputError, match=r"`targets` holds a number too large"):
        maxent.solve(F6, [10**400])


def test_complex_input_is_refused_not_cast():
    with pytest.raises(InvalidInputError, match=r"`features` must be an array of real numbers"):
        maxent.solve(F6 + 0j, [3.5])
    with pytest.raises(InvalidInputError, match=r"`prior` must be an array of real numbers"):
        maxent.solve(F6, [3.5], prior=np.ones(6, dtype=complex))


def test_numpy_scalars_are_accepted():
    res = maxent.solve(
        F6, [np.float32(3.5)], tol=np.float32(1e-6), max_iter=np.int64(50), chunk_size=np.int32(4)
    )
    assert res.converged and np.allclose(res.p, 1 / 6)


def test_near_a_vertex_no_empty_support():
    f = np.array([[1, 2, 0], [1, -1, -1], [-3, -2, 2]], dtype=float)
    b = f[2] + 1e-8 * (f.mean(0) - f[2])
    res = maxent.solve(f, b)
    assert_solution(res, f, b)
    # Three affinely independent states: p is fixed by the moments alone, to within what
    # the tolerance allows (moments within tol * spread, so p within ~tol).
    exact = np.array([1e-8 / 3, 1e-8 / 3, 1 - 2e-8 / 3])
    np.testing.assert_allclose(res.p, exact, rtol=0, atol=1e-10)
    tight = maxent.solve(f, b, tol=1e-14)
    assert_solution(tight, f, b, tol=1e-14)
    np.testing.assert_allclose(tight.p, exact, rtol=1e-5)


@pytest.mark.parametrize("scale", [1e-310, 2.0**-1060, 1e-300, 1e300])
def test_no_linalg_error_at_extreme_scales(scale):
    f = scale * np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [2.0, 1.0]])
    b = scale * np.array([0.8, 0.6])
    res = maxent.solve(f, b)
    ref = maxent.solve(f / scale, b / scale)  # b rounds in the subnormal range
    assert res.converged
    np.testing.assert_allclose(res.p, ref.p, rtol=1e-6, atol=1e-12)


def test_nonneg_fit_with_a_wide_kernel():
    k = np.random.default_rng(0).random((4, 8))
    res = maxent.fit(k, np.ones(4), np.full(4, 0.1), penalty="nonneg", alpha=1.0)
    assert res.x.shape == (8,) and np.all(res.x >= 0)


def test_zero_kernel_is_a_clear_error():
    with pytest.raises(InvalidInputError, match=r"`kernel`"):
        maxent.fit(np.zeros((4, 8)), np.ones(4), np.full(4, 0.1))


def test_harmonic_oscillator_tiny_quantum_is_bounded():
    with deadline(10):
        try:
            lv = models.harmonic_oscillator(1e-300, max_temperature=1.0)
        except InvalidInputError as exc:
            assert "hbar_omega" in str(exc) or "max_temperature" in str(exc)
        else:
            assert lv.n_levels < 10**7


# ---- gave up on easy problems ----------------------------------------------------------------


def test_far_initial_multipliers_still_converge():
    res = maxent.solve(F6, [2.0], initial_multipliers=[1000.0])
    ref = maxent.solve(F6, [2.0])
    assert_solution(res, F6, [2.0])
    assert res.n_iter > 0
    np.testing.assert_allclose(res.multipliers, ref.multipliers, rtol=1e-8)


def test_prior_spanning_1e_300_to_1():
    prior = np.logspace(-300, 0, 6)
    res = maxent.solve(F6, [3.0], prior=prior)
    assert_solution(res, F6, [3.0])


def test_huge_sigma_gives_the_prior_not_nan():
    res = maxent.solve(F6, [3.0], sigma=[1e300])
    assert res.converged and np.isfinite(res.residual)
    np.testing.assert_allclose(res.p, 1 / 6, rtol=1e-12)


@pytest.mark.parametrize("prior", [[1.0, 1e-200], [1e-200, 1.0]])
def test_two_states_with_prior_ratio_1e200(prior):
    res = maxent.solve([0.0, 1.0], [0.5], prior=prior)
    assert_solution(res, [[0.0], [1.0]], [0.5])
    # p = (1/2, 1/2) needs q_0 e^0 = q_1 e^-lambda: lambda = log(q_1 / q_0).
    assert res.multipliers[0] == pytest.approx(math.log(prior[1] / prior[0]), rel=1e-12)


# ---- result safety --------------------------------------------------------------------------


def test_solve_result_arrays_are_read_only():
    res = maxent.solve(F6, [3.0])
    with pytest.raises(ValueError):
        res.p[0] = 123.0


def test_fit_result_owns_its_data_and_grid():
    k = np.random.default_rng(0).random((4, 8))
    data, grid = np.ones(4), np.linspace(0, 1, 8)
    res = maxent.fit(k, data, np.full(4, 0.1), grid=grid, alpha=0.1)
    data[0], grid[0] = 5.0, 7.0
    assert res.data[0] == 1.0 and res.grid[0] == 0.0


def test_grand_canonical_result_owns_its_particle_numbers():
    n = np.array([0.0, 1.0])
    res = maxent.grand_canonical([0.0, 1.0], n, temperature=1.0, chemical_potential=0.0)
    n[0] = 99.0
    assert res.particle_numbers[0] == 0.0


# ---- unclear messages -------------------------------------------------------------------------


def test_paramagnet_of_many_spins_does_not_blame_degeneracy():
    try:
        lv = models.paramagnet(2000)
    except InvalidInputError as exc:
        assert "degeneracy" not in str(exc) and "n_spins" in str(exc)
    else:
        # 2^2000 is beyond the float range: the count lives in log space
        assert lv.log_n_states == pytest.approx(2000 * math.log(2.0), rel=1e-12)
        assert lv.n_states == np.inf


@pytest.mark.parametrize("value", [np.float32(0.5), np.float64(0.5), np.int64(2)])
def test_numpy_scalar_temperature_is_a_temperature(value):
    res = maxent.canonical([0.0, 1.0], temperature=value)
    assert res.temperature == pytest.approx(float(value), rel=1e-7)


def test_chunk_source_names_mismatch_blames_names():
    def source():
        yield F6[:, None], None

    with pytest.raises(InvalidInputError, match=r"`names`"):
        maxent.solve(source, [3.0], names=["a", "b"])


def test_no_numpy_warning_leaks():
    """Under warnings-as-errors none of the extreme cases above emits a numpy warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for args in ([[1e-310], [0.0], [3e-310]], [1e-310]), (F6, [6.0]), (F6, [1.0]):
            try:
                maxent.solve(*args)
            except MaxEntError:
                pass


def test_nearly_collinear_features_at_the_float64_floor_converge():
    """Two features equal to 1e-6: multipliers near +-6.4e5, whose float64 grid scatters
    the computed moments by ~1e-9 of the spread, above tol.  Newton's last step once
    stalled there; the points along it are now tried before giving up (derandomized
    hypothesis example of test_random_problems_meet_the_contract[collinear])."""
    features = np.array(
        [
            [-4.25, -4.249998092651367],
            [4.5, 4.499996185302734],
            [2.25, 2.2499990463256836],
            [0.25, 0.2499990463256836],
        ]
    )
    targets = np.array([0.5839635273366284, 0.583962470692923])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = maxent.solve(features, targets)
    assert_solution(res, features, targets)
    assert np.all(np.abs(res.multipliers) > 1e5)
