import itertools

import numpy as np
import pytest
import xarray as xr
from scipy import optimize
from scipy.special import logsumexp

import maxent
from maxent import _potts_kernels as kern
from maxent.errors import InvalidInputError


def _states(n, q):
    """Every configuration, site 0 fastest (as maxent enumerates them)."""
    return np.array([s[::-1] for s in itertools.product(range(q), repeat=n)], dtype=np.int8)


def _potts_log_weights(states, h, couplings):
    """sum_i h_i(x_i) + sum_{i<j} J_ij(x_i, x_j), written out with numpy."""
    n = states.shape[1]
    lw = sum(h[i, states[:, i]] for i in range(n))
    for i, j in itertools.combinations(range(n), 2):
        lw = lw + couplings[i, j][states[:, i], states[:, j]]
    return lw


def _random_potts(n, q, scale, rng):
    h = rng.normal(0, scale, (n, q))
    couplings = np.zeros((n, n, q, q))
    for i, j in itertools.combinations(range(n), 2):
        couplings[i, j] = rng.normal(0, scale, (q, q))
        couplings[j, i] = couplings[i, j].T
    return h, couplings


def _zero_sum(h, couplings):
    """Zero-sum gauge of Potts parameters (an independent, dense numpy version)."""
    n = h.shape[0]
    h = h.copy()
    out = np.zeros_like(couplings)
    for i, j in itertools.combinations(range(n), 2):
        c = couplings[i, j]
        rows, cols, grand = c.mean(axis=1), c.mean(axis=0), c.mean()
        h[i] += rows - grand
        h[j] += cols - grand
        out[i, j] = c - rows[:, None] - cols[None, :] + grand
        out[j, i] = out[i, j].T
    return h - h.mean(axis=1, keepdims=True), out


def _ising(n, scale, seed):
    rng = np.random.default_rng(seed)
    h = rng.normal(0, scale, n)
    couplings = np.triu(rng.normal(0, scale, (n, n)), 1)
    return h, couplings + couplings.T, rng


def _ising_exact(h, couplings):
    """All +-1 states, their probabilities and the Fisher standard errors per sample of
    (h, J_{i<j})."""
    n = h.size
    s = 2.0 * _states(n, 2) - 1
    iu = np.triu_indices(n, 1)
    feats = np.concatenate([s, s[:, iu[0]] * s[:, iu[1]]], axis=1)
    lw = feats @ np.concatenate([h, couplings[iu]])
    p = np.exp(lw - logsumexp(lw))
    centred = feats - p @ feats
    cov = centred.T @ (centred * p[:, None])
    return s, p, np.sqrt(np.diag(np.linalg.inv(cov)))


def _params(h, couplings):
    return np.concatenate([h, couplings[np.triu_indices(h.size, 1)]])


@pytest.fixture(scope="module")
def spins():
    n = 6
    h, couplings, rng = _ising(n, 0.4, 0)
    states, p, sd = _ising_exact(h, couplings)
    samples = states[rng.choice(p.size, 20_000, p=p)].astype(int)
    return h, couplings, samples, sd / np.sqrt(20_000)


def test_exact_fit_recovers_the_ising_model_within_its_sampling_error(spins):
    h, couplings, samples, sigma = spins
    fit = maxent.fit_pairwise(samples, method="exact")
    assert fit.converged and fit.method == "exact" and fit.alphabet == (-1, 1)
    fh, fj = fit.to_values((-1, 1))
    assert np.max(np.abs(_params(fh, fj) - _params(h, couplings)) / sigma) < 4
    np.testing.assert_allclose(fj, fj.T)
    assert np.all(np.diag(fj) == 0)
    assert fit.max_moment_z < 1e-5  # the moments are matched exactly


@pytest.mark.parametrize(
    "method, kwargs",
    [("boltzmann", {"start": "independent"}), ("boltzmann", {}), ("pseudolikelihood", {})],
)
def test_sampled_fits_match_the_exact_maximum_likelihood_fit(spins, method, kwargs):
    h, couplings, samples, sigma = spins
    exact = _params(*maxent.fit_pairwise(samples, method="exact").to_values())
    fit = maxent.fit_pairwise(samples, method=method, seed=1, **kwargs)
    assert fit.converged, fit.message
    deviation = np.abs(_params(*fit.to_values()) - exact) / sigma
    assert np.sqrt(np.mean(deviation**2)) < 1.0
    assert np.max(deviation) < 3.5
    if method == "boltzmann":
        assert fit.mle_distance < 1.0
        assert fit.max_moment_z < fit.z_threshold


def test_auto_is_exact_when_the_states_can_be_enumerated(spins):
    assert maxent.fit_pairwise(spins[2]).method == "exact"
    rng = np.random.default_rng(0)
    wide = np.where(rng.random((400, 21)) < 0.5, -1, 1)
    assert maxent.fit_pairwise(wide, l2=0.1).method == "pseudolikelihood"


@pytest.mark.parametrize("method", ["exact", "pseudolikelihood"])
@pytest.mark.parametrize("n, q", [(5, 2), (4, 3)])
def test_infinite_data_recover_the_true_model(method, n, q):
    # The maximum-likelihood and the pseudo-likelihood estimators are both consistent:
    # with every state weighted by its probability they return the model itself.
    rng = np.random.default_rng(n + q)
    h, couplings = _random_potts(n, q, 0.5, rng)
    states = _states(n, q)
    lw = _potts_log_weights(states, h, couplings)
    fit = maxent.fit_pairwise(
        states,
        q=q,
        weights=np.exp(lw - logsumexp(lw)),
        method=method,
        tol=1e-10 if method == "exact" else 1e-8,
    )
    th, tj = _zero_sum(h, couplings)
    np.testing.assert_allclose(fit.fields, th, atol=2e-6)
    np.testing.assert_allclose(fit.couplings, tj, atol=2e-6)


def test_two_state_conventions_round_trip(spins):
    # Fit 0/1 and +-1 versions of the same data: one model, three conventions, and the
    # energy differences of all of them equal those of the true Ising model's fit.
    samples = spins[2]
    pm = maxent.fit_pairwise(samples)
    zo = maxent.fit_pairwise((samples + 1) // 2)
    assert zo.alphabet == (0, 1)
    np.testing.assert_allclose(zo.couplings, pm.couplings, atol=1e-8)
    h_pm, j_pm = pm.to_values((-1, 1))
    h_01, j_01 = zo.to_values((0, 1))
    s = 2.0 * _states(6, 2) - 1
    occ = (s + 1) / 2
    iu = np.triu_indices(6, 1)
    e_pm = -(s @ h_pm + (s[:, iu[0]] * s[:, iu[1]]) @ j_pm[iu])
    e_01 = -(occ @ h_01 + (occ[:, iu[0]] * occ[:, iu[1]]) @ j_01[iu])
    e_fit = pm.energy(s.astype(int))
    for e in (e_pm, e_01, zo.energy(occ.astype(int))):
        np.testing.assert_allclose(e - e[0], e_fit - e_fit[0], atol=1e-8)
    np.testing.assert_allclose(j_01, 4 * j_pm, atol=1e-8)
    h_conv, j_conv = maxent.features.change_values(h_pm, j_pm, old=(-1, 1), new=(0, 1))
    np.testing.assert_allclose(h_conv, h_01, atol=1e-8)
    np.testing.assert_allclose(j_conv, j_01, atol=1e-8)


def _penalised(states, weights, q, lam_h, lam_e, pseudo, present=None):
    """-sum_s w_s log L_s + lam_h |h|^2 + lam_e |e|^2 over the full parameters (numpy)."""
    n = states.shape[1]
    pairs = list(itertools.combinations(range(n), 2))
    present = np.ones(states.shape, bool) if present is None else present

    def unpack(theta):
        h = theta[: n * q].reshape(n, q)
        couplings = np.zeros((n, n, q, q))
        for k, (i, j) in enumerate(pairs):
            block = theta[n * q + k * q * q : n * q + (k + 1) * q * q].reshape(q, q)
            couplings[i, j], couplings[j, i] = block, block.T
        return h, couplings

    def value(theta):
        h, couplings = unpack(theta)
        penalty = lam_h * np.sum(theta[: n * q] ** 2) + lam_e * np.sum(theta[n * q :] ** 2)
        if not pseudo:
            every = _states(n, q)
            log_z = logsumexp(_potts_log_weights(every, h, couplings))
            return -weights @ (_potts_log_weights(states, h, couplings) - log_z) + penalty
        total = 0.0
        for i in range(n):
            pot = np.tile(h[i], (states.shape[0], 1))
            for j in range(n):
                if j != i:
                    pot += np.where(present[:, j, None], couplings[i, j][:, states[:, j]].T, 0)
            logp = pot[np.arange(len(states)), states[:, i]] - logsumexp(pot, axis=1)
            total -= weights @ np.where(present[:, i], logp, 0.0)
        return total + penalty

    return value, unpack


@pytest.mark.parametrize("method", ["exact", "pseudolikelihood"])
def test_penalised_fits_match_an_independent_minimiser(method):
    # plmc's objective written out with numpy and minimised by scipy: the same model.
    rng = np.random.default_rng(3)
    n, q, lam = 3, 3, (0.3, 0.7)
    codes = rng.integers(0, q, (60, n))
    present = rng.random(codes.shape) > 0.15 if method == "pseudolikelihood" else None
    weights = rng.uniform(0.5, 1.5, 60)
    value, unpack = _penalised(codes, weights, q, *lam, method == "pseudolikelihood", present)
    size = n * q + 3 * q * q
    ref = optimize.minimize(
        value,
        np.zeros(size),
        method="L-BFGS-B",
        options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 5000},
    )
    rh, rj = _zero_sum(*unpack(ref.x))
    samples = codes if present is None else np.where(present, codes, -1)
    fit = maxent.fit_pairwise(
        samples,
        q=q,
        missing=None if present is None else -1,
        weights=weights,
        l2=lam,
        method=method,
        tol=1e-10,
    )
    np.testing.assert_allclose(fit.fields, rh, atol=2e-5)
    np.testing.assert_allclose(fit.couplings, rj, atol=2e-5)


def test_coupling_scores_are_apc_corrected_frobenius_norms(spins):
    fit = maxent.fit_pairwise(spins[2])
    _, j = fit.to_values((-1, 1))
    norms = 2 * np.abs(j)  # a zero-sum 2x2 block J [[1, -1], [-1, 1]] has norm 2|J|
    np.testing.assert_allclose(fit.coupling_scores(apc=False), norms, atol=1e-9)
    n = j.shape[0]
    mean_i = norms.sum(axis=1) / (n - 1)
    apc = norms - np.outer(mean_i, mean_i) / (norms.sum() / (n * (n - 1)))
    np.fill_diagonal(apc, 0)
    np.testing.assert_allclose(fit.coupling_scores(), apc, atol=1e-9)


def test_energy_gives_the_models_log_probabilities():
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 3, (3000, 4))
    fit = maxent.fit_pairwise(codes, q=3, l2=1.0)
    states = _states(4, 3)
    lw = _potts_log_weights(states, fit.fields, fit.couplings)
    np.testing.assert_allclose(-fit.energy(states), lw, atol=1e-10)
    assert fit.energy(states[7]).shape == (1,)


def test_exact_samples_follow_the_model():
    rng = np.random.default_rng(6)
    h, couplings = _random_potts(3, 2, 0.7, rng)
    states = _states(3, 2)
    lw = _potts_log_weights(states, h, couplings)
    p = np.exp(lw - logsumexp(lw))
    fit = maxent.fit_pairwise(states, weights=p, method="exact")
    draws = fit.sample(40_000, seed=1)
    assert draws.shape == (40_000, 3) and set(np.unique(draws)) <= {0, 1}
    counts = np.array([(draws == s).all(axis=1).sum() for s in states])
    z = (counts - 40_000 * p) / np.sqrt(40_000 * p * (1 - p))
    assert np.max(np.abs(z)) < 4


def test_heat_bath_chains_reach_the_models_marginals():
    rng = np.random.default_rng(7)
    n, q = 4, 3
    h, couplings = _random_potts(n, q, 0.6, rng)
    states = _states(n, q)
    lw = _potts_log_weights(states, h, couplings)
    p = np.exp(lw - logsumexp(lw))
    exact = np.array([[p[states[:, i] == a].sum() for a in range(q)] for i in range(n)])
    iu = np.triu_indices(n, 1)
    chains = rng.integers(0, q, (4000, n)).astype(np.int8)
    kern.gibbs_sweeps(chains, h, np.ascontiguousarray(couplings[iu]), kern.pair_table(n), 30, 11)
    freq = np.array([[np.mean(chains[:, i] == a) for a in range(q)] for i in range(n)])
    z = (freq - exact) / np.sqrt(exact * (1 - exact) / 4000)  # independent chains
    assert np.max(np.abs(z)) < 4


def test_result_owns_read_only_arrays_and_prints_short(spins):
    samples = spins[2].copy()
    fit = maxent.fit_pairwise(samples)
    for arr in (fit.fields, fit.couplings, *fit.to_values()):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = 1.0
    samples[:] = 1  # the result keeps nothing of the caller's
    assert np.all(np.isfinite(fit.couplings)) and fit.couplings.std() > 0
    big = maxent.fit_pairwise(np.random.default_rng(0).integers(0, 21, (50, 30)), q=21, l2=1.0)
    assert len(repr(big)) < 1000 and "n_sites=30" in repr(big)


def test_to_xarray_is_a_cf_dataset_that_saves(spins, tmp_path):
    fit = maxent.fit_pairwise(spins[2])
    ds = fit.to_xarray()
    assert ds.sizes == {"site": 6, "site_j": 6, "state": 2, "state_j": 2}
    np.testing.assert_array_equal(ds.couplings.values, fit.couplings)
    assert ds.attrs["converged"] == 1 and ds.attrs["method"] == "exact"
    for name in ["fields", "couplings", "coupling_scores", "site", "site_j"]:
        assert {"long_name", "units"} <= set(ds[name].attrs)
    ds.to_netcdf(tmp_path / "fit.nc")
    xr.testing.assert_identical(xr.load_dataset(tmp_path / "fit.nc"), ds)


def test_sequences_with_an_alphabet_and_gaps():
    seqs = ["AC-D", "ACCD", "GC-D", "AGCA", "GGCA", "ACCA"] * 20
    fit = maxent.fit_pairwise(seqs, alphabet="-ACDG", missing="-", l2=(0.01, 1.0))
    assert fit.method == "pseudolikelihood" and fit.alphabet == ("A", "C", "D", "G")
    assert fit.fields.shape == (4, 4) and fit.converged
    draws = fit.sample(5, seed=0)
    assert draws.shape == (5, 4) and set(np.unique(draws)) <= set("ACDG")
    np.testing.assert_allclose(fit.energy(["ACCD"]), fit.energy([list("ACCD")]))


def test_float32_gives_the_float64_fit():
    rng = np.random.default_rng(8)
    codes = rng.integers(0, 4, (500, 12))
    a = maxent.fit_pairwise(codes, q=4, l2=(0.01, 1.0), method="pseudolikelihood")
    b = maxent.fit_pairwise(
        codes, q=4, l2=(0.01, 1.0), method="pseudolikelihood", dtype=np.float32
    )
    np.testing.assert_allclose(b.couplings, a.couplings, atol=2e-4)


def test_plmcs_iterations_reach_the_same_fit():
    # precondition=False runs plmc's L-BFGS (no preconditioner): a different path to the
    # same minimum
    rng = np.random.default_rng(8)
    codes = rng.integers(0, 4, (500, 12))
    kw = {"q": 4, "l2": (0.01, 1.0), "method": "pseudolikelihood", "tol": 1e-8}
    a = maxent.fit_pairwise(codes, **kw)
    b = maxent.fit_pairwise(codes, precondition=False, **kw)
    assert a.converged and b.converged
    assert a.n_iter != b.n_iter
    np.testing.assert_allclose(b.couplings, a.couplings, atol=1e-6)


def test_reweighting_counts_near_duplicates():
    rng = np.random.default_rng(9)
    codes = rng.integers(0, 3, (40, 10))
    codes[20:] = codes[:20]
    codes[30:, :2] = (codes[30:, :2] + 1) % 3  # 80% identical to their twin
    from maxent._pairwise_data import sequence_weights

    w = sequence_weights(codes.astype(np.int8), weights=None, reweight=0.8)
    same = (codes[:, None, :] == codes[None, :, :]).sum(axis=2) >= 8
    np.testing.assert_allclose(w, 1 / same.sum(axis=1))
    assert w.min() < 1  # the twins do count


def test_non_convergence_warns(spins):
    with pytest.warns(maxent.ConvergenceWarning, match="Newton-like steps"):
        fit = maxent.fit_pairwise(
            spins[2], method="boltzmann", start="independent", max_iter=1, n_records=20, seed=0
        )
    assert not fit.converged


@pytest.mark.parametrize(
    "samples, kwargs, match",
    [
        (np.ones(5), {}, "2-D"),
        ([[1, 0], [1, -1]], {}, "-1/\\+1, 0/1"),
        ([[1, 0], [1, 3]], {"values": (0, 1)}, r"samples\[1, 1\]` = 3.0 is none of the states"),
        ([[1, 1], [-1, -1]], {"method": "magic"}, "`method`"),
        ([[1, 1], [-1, -1]], {"tol": 0.0}, "`tol`"),
        ([[1, 1], [-1, -1]], {"start": "zero"}, "`start`"),
        ([[1, 1], [-1, -1]], {"l2": (1, 2, 3)}, "`l2`"),
        ([[1, 1], [-1, -1]], {"l2": -1.0}, "`l2`"),
        ([[1, 1], [-1, -1]], {"dtype": np.int32}, "`dtype`"),
        ([[1, 1], [-1, -1]], {"precondition": "no"}, "`precondition`"),
        ([[1, 1], [-1, -1]], {"q": 3, "alphabet": "ab"}, "at most one of"),
        ([[1, 1], [-1, -1]], {"weights": [1.0]}, "`weights` has 1"),
        ([[1, 1], [-1, -1]], {"reweight": 1.5}, "`reweight`"),
        (["AB", "AC"], {"alphabet": "AB"}, r"`samples\[1\]` has 'C' at position 1"),
        (["AB", "ABC"], {"alphabet": "ABC"}, "equal lengths"),
        ("ABAB", {"alphabet": "AB"}, "not one string"),
        ([[0, 1], [1, 0]], {"q": 2, "missing": 0, "method": "exact"}, "complete samples"),
        (
            np.where(np.random.default_rng(0).random((50, 21)) < 0.5, -1, 1),
            {"method": "exact", "l2": 1.0},
            "at most 2\\^20",
        ),
        ([[1, 1], [-1, -1]], {}, "never seen in states"),
        ([[1, 1], [1, -1]], {}, "state 0 of site 0 never occurs"),
    ],
)
def test_fit_pairwise_rejects_bad_input(samples, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        maxent.fit_pairwise(samples, **kwargs)


@pytest.mark.parametrize("q, n_sites", [(2, 20), (3, 12)])
def test_pseudolikelihood_by_matrix_products_equals_the_site_kernel(q, n_sites):
    from maxent import _pseudolikelihood as pl
    from maxent._potts_model import Problem

    rng = np.random.default_rng(q)
    codes = rng.integers(-1, q, (300, n_sites)).astype(np.int8)
    problem = Problem(codes, rng.uniform(0.5, 2, 300), q, 0.1, 0.3, np.dtype(np.float64), {})
    theta = rng.normal(0, 0.3, problem.n_params)
    f_dense, g_dense = pl._dense_objective(problem)(theta)
    f_site, g_site = pl._site_objective(problem)(theta)
    assert f_dense == pytest.approx(f_site, rel=1e-12)
    np.testing.assert_allclose(g_dense, g_site, atol=1e-13)
