"""Issue 23's reproducers at the entry points beyond solve() and the exact models: units at
the samplers, densities and reweighting, the samplers' counts, seeds and lattices, results
that own their arrays, and the features and pairwise fits.

The features and pairwise items belong to another part of the project (i22b); they are
strict expected failures here until its fixes land, so that the issue's every reproducer is
a test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import maxent


@pytest.fixture(scope="module")
def ureg():
    pint = pytest.importorskip("pint")
    return pint.get_application_registry()


SPINS = maxent.IsingModel((2, 2))
SEPARABLE = np.where(np.random.default_rng(0).random((400, 3)) < 0.5, -1, 1)
SEPARABLE[:, 1] = SEPARABLE[:, 0]  # a perfectly correlated pair: no finite maximum


# ---------------------------------------------------------------------------- units
@pytest.mark.parametrize(
    "call",
    [
        lambda q: (
            maxent.models.lattice_spectrum(
                maxent.IsingModel((2, 2), coupling=q(-0.5, ""))
            ).energies
        ),
        lambda q: maxent.IsingModel((3,), field=q(25.0, "percent")).energy([[1, -1, 1]]),
        lambda q: (
            maxent.sample_sweep(
                SPINS, q([1.5, 3.0], ""), n_sweeps=40, seed=1
            ).internal_energy.values
        ),
        lambda q: (
            maxent.parallel_tempering(
                SPINS, [q(1.5, ""), q(3.0, "")], n_sweeps=20, seed=1
            ).energy.values
        ),
        lambda q: maxent.monte_carlo(SPINS, q(2.0, ""), n_sweeps=20, seed=1).energy.values,
        lambda q: maxent.density(q([0.3], ""), support=(0.0, 1.0)).multipliers,
        lambda q: maxent.models.debye_solid([10.0, 100.0], q(300.0, "")).heat_capacity.values,
        lambda q: (
            maxent.reweight(
                np.arange(12.0).reshape(6, 2),
                q([4.0, 6.0], ""),
                [q(1.0, ""), q(2.0, "")],
                theta=1.0,
            ).weights
        ),
    ],
)
def test_dimensionless_quantities_at_the_new_entry_points_are_their_numbers(ureg, call):
    # issue 23: "Quantities are accepted wherever a number is" (IsingModel(coupling=Q(...)),
    # sample_sweep, ...); the entry points added since (density, reweight, the samplers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", maxent.ConvergenceWarning)  # short chains: compared
        plain = call(lambda value, unit: np.multiply(value, 0.01 if unit == "percent" else 1.0))
        np.testing.assert_allclose(call(ureg.Quantity), plain, rtol=1e-15)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda q: maxent.IsingModel((2, 2), coupling=q(1.0, "meV")), "coupling"),
        (lambda q: maxent.sample_sweep(SPINS, q([1.0, 2.0], "K"), n_sweeps=20), "temperatures"),
        (lambda q: maxent.parallel_tempering(SPINS, q([1.0, 2.0], "meV")), "temperatures"),
        (lambda q: maxent.monte_carlo(SPINS, q(2.0, "K")), "temperature"),
        (lambda q: maxent.reweight(np.ones((4, 1)), [1.0], [1.0], theta=q(1.0, "s")), "theta"),
    ],
)
def test_lattice_model_and_reweighting_numbers_with_a_dimension_are_refused(ureg, call, name):
    with pytest.raises(maxent.InvalidInputError, match=rf"`{name}` has unit '\w+' but takes"):
        call(ureg.Quantity)


def test_reweighting_observables_given_as_lists_of_quantities_are_converted(ureg):
    q = ureg.Quantity
    calc = np.arange(12.0).reshape(6, 2)
    plain = maxent.reweight(calc, [4.0, 6.0], [1.0, 2.0], theta=1.0).weights
    listed = maxent.reweight(
        [[q(a, "m"), q(b, "m")] for a, b in calc],
        [q(400.0, "cm"), q(6.0, "m")],
        q([100.0, 200.0], "cm"),
        theta=1.0,
    )
    np.testing.assert_allclose(listed.weights, plain, rtol=1e-14)


def test_density_support_with_one_end_in_a_unit_and_the_other_a_number_is_refused(ureg):
    # reading 1.0 as metres would be guessing; 0 and inf mean the same in every unit
    with pytest.raises(maxent.InvalidInputError, match=r"`support` mixes a quantity"):
        maxent.density([ureg.Quantity(0.3, "m")], support=(ureg.Quantity(0.0, "m"), 1.0))
    d = maxent.density([ureg.Quantity(30.0, "cm")], support=(0, ureg.Quantity(1.0, "m")))
    assert d.converged


# ---------------------------------------------------------------------------- samplers
def test_monte_carlo_counts_whose_records_cannot_exist_are_refused_at_once():
    # issue 23: n_sweeps=2**62 ran its equilibration in compiled code deaf to Ctrl-C
    with pytest.raises(maxent.InvalidInputError, match=r"records needs about .* GiB"):
        maxent.monte_carlo(SPINS, 2.0, n_sweeps=2**62)


@pytest.mark.parametrize("seed", [-1, "abc", 1.5, True])
@pytest.mark.parametrize(
    "run",
    [
        lambda seed: maxent.monte_carlo(SPINS, 2.0, n_sweeps=10, seed=seed),
        lambda seed: maxent.parallel_tempering(SPINS, [1.0, 2.0], n_sweeps=10, seed=seed),
        lambda seed: maxent.wang_landau(SPINS, seed=seed),
    ],
)
def test_bad_seeds_are_refused_by_name(run, seed):
    # issue 23: raw exceptions from numpy for seeds -1, "abc", 1.5
    with pytest.raises(maxent.InvalidInputError, match=r"`seed` must be"):
        run(seed)


@pytest.mark.parametrize("initial", ["sideways", np.ones((3, 3))])
def test_a_bad_initial_state_is_reported_as_initial(initial):
    # issue 23: a bad `initial` was reported as `configuration`
    with pytest.raises(maxent.InvalidInputError, match=r"^`initial` must"):
        maxent.monte_carlo(SPINS, 2.0, n_sweeps=10, initial=initial, seed=0)


@pytest.mark.parametrize("shape", [(2**31, 2**31), (2**20, 2**20)])
def test_lattices_that_cannot_fit_in_memory_are_refused_before_allocating(shape):
    with pytest.raises(maxent.InvalidInputError, match=r"needs about .* GiB"):
        maxent.monte_carlo(maxent.IsingModel(shape), 2.0, n_sweeps=1)


# ------------------------------------------------------------------ results own their arrays
def test_solve_covariance_does_not_follow_the_callers_features():
    # issue 23: covariance was computed on first read from the caller's feature array
    rng = np.random.default_rng(1)
    features = rng.normal(size=(50, 2))
    res = maxent.solve(features, 0.5 * features.mean(axis=0))
    expected = np.cov(features.T, aweights=res.p, bias=True)
    features[:] = features[::-1]  # the same moments under uniform weights, another Cov_p
    np.testing.assert_allclose(res.covariance, expected, rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------------- i22b's surfaces


def test_marginals_refuse_a_non_integer_index():
    with pytest.raises(maxent.InvalidInputError):
        maxent.features.marginals([3, 2], [(0.9,)])


def test_pairwise_moments_refuse_fractional_digits():
    with pytest.raises(maxent.InvalidInputError):
        maxent.features.pairwise(2).moments([[0, 0.5]])


@pytest.mark.parametrize("method", ["pseudolikelihood", "boltzmann"])
def test_pairwise_fit_of_a_perfectly_correlated_pair_does_not_claim_convergence(method):
    # the maximum-likelihood coupling is infinite: refused before fitting (it was J = 11.3
    # with converged=True), naming the samples and the pair
    with pytest.raises(maxent.InvalidInputError, match=r"`samples`: sites 0 and 1"):
        maxent.fit_pairwise(SEPARABLE, method=method, seed=0)


def test_pairwise_result_arrays_are_read_only():
    res = maxent.fit_pairwise(np.where(SEPARABLE[:, ::2] > 0, 1, -1), method="exact")
    assert not any(v.flags.writeable for v in (res.fields, res.couplings))


@pytest.mark.parametrize(
    "option", [{"n_records": 0}, {"n_records": "a"}, {"l2": "x"}, {"seed": "abc"}]
)
def test_pairwise_fit_options_are_refused_by_name(option):
    with pytest.raises(maxent.InvalidInputError, match=rf"`{next(iter(option))}`"):
        maxent.fit_pairwise(SEPARABLE, method="boltzmann", **option)
