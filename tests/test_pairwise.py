import numpy as np
import pytest

import maxent
from maxent.errors import InvalidInputError


def _model(n, scale, seed):
    rng = np.random.default_rng(seed)
    h = rng.normal(0, scale, n)
    couplings = np.triu(rng.normal(0, scale, (n, n)), 1)
    return h, couplings + couplings.T, rng


def _exact(n, h, couplings):
    """All states' features, p, and the Fisher-information standard errors per sample."""
    fs = maxent.features.pairwise(n)
    mat = fs.to_numpy()
    iu = np.triu_indices(n, 1)
    logp = mat @ np.concatenate([h, couplings[iu]])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    centred = mat - p @ mat
    cov = centred.T @ (centred * p[:, None])
    return fs, p, np.sqrt(np.diag(np.linalg.inv(cov)))


@pytest.fixture(scope="module")
def data():
    n = 6
    h, couplings, rng = _model(n, 0.4, 0)
    fs, p, sd = _exact(n, h, couplings)
    idx = rng.choice(p.size, 20_000, p=p)
    samples = 2 * fs.configurations(0, fs.n_states)[idx] - 1
    return n, h, couplings, samples, sd / np.sqrt(20_000)


def _params(fit):
    n = fit.fields.size
    return np.concatenate([fit.fields, fit.couplings[np.triu_indices(n, 1)]])


def test_exact_fit_recovers_the_model_within_its_sampling_error(data):
    n, h, couplings, samples, sigma = data
    fit = maxent.fit_pairwise(samples, method="exact")
    assert fit.converged and fit.method == "exact"
    truth = np.concatenate([h, couplings[np.triu_indices(n, 1)]])
    assert np.max(np.abs(_params(fit) - truth) / sigma) < 4
    np.testing.assert_allclose(fit.couplings, fit.couplings.T)
    assert np.all(np.diag(fit.couplings) == 0)
    assert fit.max_moment_z < 1e-6


@pytest.mark.parametrize(
    "method, kwargs",
    [
        ("boltzmann", {"start": "independent"}),
        ("boltzmann", {}),
        ("pseudolikelihood", {}),
    ],
)
def test_sampled_fits_match_the_exact_maximum_likelihood_fit(data, method, kwargs):
    n, h, couplings, samples, sigma = data
    exact = _params(maxent.fit_pairwise(samples, method="exact"))
    fit = maxent.fit_pairwise(samples, method=method, seed=1, **kwargs)
    assert fit.converged, fit.message
    deviation = np.abs(_params(fit) - exact) / sigma
    assert np.sqrt(np.mean(deviation**2)) < 1.0
    assert np.max(deviation) < 3.5
    if method == "boltzmann":
        assert fit.mle_distance < 1.0
        assert fit.max_moment_z < fit.z_threshold


def test_zero_one_samples_give_the_same_fit(data):
    n, h, couplings, samples, sigma = data
    a = maxent.fit_pairwise(samples, method="exact")
    b = maxent.fit_pairwise((samples + 1) // 2, method="exact", values=(0, 1))
    np.testing.assert_allclose(a.couplings, b.couplings, atol=1e-10)
    np.testing.assert_allclose(a.fields, b.fields, atol=1e-10)


def test_result_to_xarray(data):
    fit = maxent.fit_pairwise(data[3], method="exact")
    ds = fit.to_xarray()
    np.testing.assert_array_equal(ds.couplings.values, fit.couplings)
    assert ds.sizes == {"spin": 6, "spin_j": 6, "moment": 21}
    assert ds.attrs["converged"] == 1
    for name in list(ds.data_vars) + list(ds.coords):
        assert "long_name" in ds[name].attrs and "units" in ds[name].attrs


def test_non_convergence_warns(data):
    with pytest.warns(maxent.ConvergenceWarning, match="Newton-like steps"):
        fit = maxent.fit_pairwise(data[3], start="independent", max_iter=1, n_records=20, seed=0)
    assert not fit.converged


@pytest.mark.parametrize(
    "samples, kwargs, match",
    [
        (np.ones(5), {}, "2-D"),
        ([[1, 0], [1, -1]], {}, r"values \(-1, 1\); got 0"),
        ([[1, 1], [1, -1]], {}, "spin 0 takes one value"),
        ([[1, 1], [-1, -1]], {"method": "magic"}, "`method`"),
        ([[1, 1], [-1, -1]], {"tol": 0.0}, "`tol`"),
        ([[1, 1], [-1, -1]], {"start": "zero"}, "`start`"),
        (
            np.where(np.random.default_rng(0).random((50, 21)) < 0.5, -1, 1),
            {"method": "exact"},
            "N <= 20",
        ),
    ],
)
def test_fit_pairwise_rejects_bad_input(samples, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        maxent.fit_pairwise(samples, **kwargs)
