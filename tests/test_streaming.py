"""Streaming back ends: dask arrays and chunk sources give the in-memory solution.

Each problem is solved in memory and again from a dask array and from a chunk source; the
results must agree to 1e-12 (multipliers, log Z, entropy, KL, moments, p), and bad input
or infeasible targets must raise the same error with the same message.
"""

import numpy as np
import pytest

import maxent
from maxent import InfeasibleTargetsError, InvalidInputError
from maxent.streaming import StreamedProbabilities, generated_features

da = pytest.importorskip("dask.array")


class ArraySource:
    """A re-iterable chunk source over in-memory arrays (uneven chunks on purpose)."""

    def __init__(self, features, prior=None, size=700):
        self.features = np.asarray(features, dtype=float)
        self.prior = prior
        self.size = size

    def __iter__(self):
        n = self.features.shape[0]
        for a in range(0, n, self.size):
            q = None if self.prior is None else self.prior[a : a + self.size]
            yield self.features[a : a + self.size], q


def as_dask(features, prior, size=700):
    features = np.asarray(features, dtype=float)
    f = da.from_array(features, chunks=(size,) + (-1,) * (features.ndim - 1))
    q = None if prior is None else da.from_array(np.asarray(prior, dtype=float), chunks=size)
    return f, q


def materialise(p):
    return p.compute() if hasattr(p, "compute") else np.asarray(p)


def assert_same(res, ref):
    np.testing.assert_array_equal(np.isinf(res.multipliers), np.isinf(ref.multipliers))
    np.testing.assert_allclose(res.multipliers, ref.multipliers, rtol=1e-12, atol=1e-12)
    for name in ("entropy", "kl_divergence"):
        assert getattr(res, name) == pytest.approx(getattr(ref, name), rel=1e-12, abs=1e-12)
    # log Z moves with the multipliers at the rate E[F] (the dual, log Z + lambda . b, is
    # stationary): the multipliers' own difference, within rounding, moves it that much.
    finite = np.isfinite(ref.multipliers)
    shift = np.abs(res.multipliers[finite] - ref.multipliers[finite]) @ np.abs(ref.moments[finite])
    assert res.log_Z == pytest.approx(ref.log_Z, rel=1e-12, abs=1e-12 + shift)
    np.testing.assert_allclose(res.moments, ref.moments, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(materialise(res.p), ref.p, rtol=1e-12, atol=1e-15)
    assert (res.converged, res.n_iter) == (ref.converged, ref.n_iter)
    assert res.message == ref.message


def _gaussian(n=5000, m=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, m)) * [1.0, 3.0, 0.2] + [0.0, 1.0, 5.0]


_X = np.linspace(0.0, 1.0, 401)
PROBLEMS = {
    "plain": (_gaussian(), dict(targets=[0.3, 0.5, 5.02])),
    "prior with zeros": (
        _gaussian(),
        dict(
            targets=[0.2, 1.5, 5.0],
            prior=np.where(
                np.arange(5000) % 7 == 0, 0.0, np.random.default_rng(2).uniform(0.1, 3.0, 5000)
            ),
        ),
    ),
    "large offset": (_gaussian() + 1e7, dict(targets=[1e7 + 0.3, 1e7 + 0.5, 1e7 + 5.02])),
    "bounds": (_gaussian(), dict(lower=[0.4, -np.inf, 4.0], upper=[1.0, 0.5, 6.0])),
    "sigma": (_gaussian(), dict(targets=[0.3, 0.5, 5.02], sigma=[0.05, 0.0, 0.01])),
    "die mean on the edge": (np.arange(1.0, 7.0)[:, None], dict(targets=[6.0])),
    "hull face (x, x^2)": (np.column_stack([_X, _X**2]), dict(targets=[0.5, 0.25])),
}


@pytest.fixture(params=list(PROBLEMS), scope="module")
def problem(request):
    features, kwargs = PROBLEMS[request.param]
    return features, kwargs, maxent.solve(features, **kwargs)


def test_dask_array_solve_equals_in_memory(problem):
    features, kwargs, ref = problem
    kwargs = dict(kwargs)
    f, q = as_dask(features, kwargs.pop("prior", None), size=max(2, len(features) // 7))
    res = maxent.solve(f, prior=q, **kwargs)
    assert isinstance(res.p, da.Array)
    assert_same(res, ref)


def test_chunk_source_solve_equals_in_memory(problem):
    features, kwargs, ref = problem
    kwargs = dict(kwargs)
    source = ArraySource(features, kwargs.pop("prior", None), size=max(2, len(features) // 7))
    res = maxent.solve(source, **kwargs)
    assert isinstance(res.p, StreamedProbabilities) and res.p.shape == ref.p.shape
    assert_same(res, ref)


def test_callable_chunk_source_and_numpy_prior_with_dask_features():
    features, kwargs = PROBLEMS["prior with zeros"]
    ref = maxent.solve(features, **kwargs)
    kw = dict(kwargs)
    q = kw.pop("prior")

    def source():  # a fresh generator per pass
        for a in range(0, len(features), 999):
            yield features[a : a + 999], q[a : a + 999]

    assert_same(maxent.solve(source, **kw), ref)
    assert_same(maxent.solve(da.from_array(features, chunks=(1234, 1)), prior=q, **kw), ref)


def test_named_columns_of_dask_arrays_and_named_chunk_source():
    x = np.linspace(-1, 1, 3001)
    ref = maxent.solve({"x": x, "x2": x**2}, {"x": 0.1, "x2": 0.3})
    lazy = maxent.solve(
        {"x": da.from_array(x, chunks=500), "x2": da.from_array(x**2, chunks=700)},
        {"x": 0.1, "x2": 0.3},
    )
    assert_same(lazy, ref)
    source = ArraySource(np.column_stack([x, x**2]), size=400)
    named = maxent.solve(source, {"x": 0.1, "x2": 0.3}, names=["x", "x2"])
    assert_same(named, ref)
    assert named.constraint_names == ("x", "x2")


def test_streamed_probabilities_is_a_function_of_the_states():
    features, kwargs = PROBLEMS["prior with zeros"]
    ref = maxent.solve(features, **kwargs)
    kw = dict(kwargs)
    q = kw.pop("prior")
    res = maxent.solve(ArraySource(features, q, size=1000), **kw)
    chunks = list(res.p.chunks())
    assert [len(c) for c in chunks] == [1000] * 5
    np.testing.assert_allclose(np.concatenate(chunks), ref.p, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res.p(features[10:20], q[10:20]), ref.p[10:20], rtol=1e-12)
    np.testing.assert_allclose(res.to_xarray().probability.values, ref.p, rtol=1e-12, atol=1e-15)


def test_dask_result_to_xarray_stays_lazy_and_matches():
    features, kwargs = PROBLEMS["plain"]
    ref = maxent.solve(features, **kwargs)
    res = maxent.solve(da.from_array(features, chunks=(800, 3)), **kwargs)
    ds = res.to_xarray()
    assert ds.probability.chunks is not None  # still a dask array
    np.testing.assert_allclose(ds.probability.values, ref.p, rtol=1e-12, atol=1e-15)


def test_generated_features_regenerate_blocks_on_every_pass():
    calls = []

    def faces(a, b):
        calls.append((a, b))
        return np.arange(a, b)[:, None] % 6 + 1.0

    res = maxent.solve(generated_features(faces, 60, 1, chunk_size=7), [4.5])
    ref = maxent.solve(np.tile(np.arange(1.0, 7.0), 10), [4.5])
    assert_same(res, ref)
    assert len(calls) >= 9 * res.n_passes  # nine blocks, made again in every pass


# -- same errors as in memory ---------------------------------------------------------------
INFEASIBLE = [
    (np.arange(1.0, 7.0)[:, None], [7.0]),
    (np.column_stack([_X, _X**2]), [0.5, 0.1]),  # outside the hull: the LP decides
    (np.column_stack([_X, 2 * _X + 1]), [0.5, 2.5]),  # inconsistent dependent constraints
]


@pytest.mark.parametrize(("features", "targets"), INFEASIBLE)
def test_infeasible_targets_raise_the_in_memory_error(features, targets):
    with pytest.raises(InfeasibleTargetsError) as memory:
        maxent.solve(features, targets)
    size = max(2, len(features) // 5)
    lazy_inputs = [da.from_array(features, chunks=(size, 1)), ArraySource(features, size=size)]
    for lazy in lazy_inputs:
        with pytest.raises(InfeasibleTargetsError) as streamed:
            maxent.solve(lazy, targets)
        assert str(streamed.value) == str(memory.value)


def _bad(features, prior=None):
    features = np.array(features, dtype=float)
    return features, (None if prior is None else np.array(prior, dtype=float))


BAD = [
    # both a features NaN and a prior problem: the prior is reported, as in memory
    _bad(
        np.where(np.arange(3000)[:, None] == 2345, np.nan, np.ones((3000, 2))),
        np.where(np.arange(3000) == 5, -1.0, 1.0),
    ),
    _bad(np.where(np.arange(3000)[:, None] * [1, 2] == 4002, np.inf, np.ones((3000, 2)))),
    _bad(np.ones((3000, 2)), np.where(np.arange(3000) >= 2999, -0.5, 1.0)),
    # a negative weight early and a NaN weight late: non-finite is reported first, as in memory
    _bad(
        np.ones((3000, 2)),
        np.where(np.arange(3000) == 10, -0.5, np.where(np.arange(3000) == 2500, np.nan, 1.0)),
    ),
    _bad(np.ones((3000, 2)), np.zeros(3000)),
]


@pytest.mark.parametrize(("features", "prior"), BAD)
def test_bad_values_raise_the_in_memory_message_with_the_global_index(features, prior):
    with pytest.raises(InvalidInputError) as memory:
        maxent.solve(features, [1.0, 1.0], prior=prior)
    f, q = as_dask(features, prior, size=400)
    for kwargs in (dict(features=f, prior=q), dict(features=ArraySource(features, prior, 400))):
        with pytest.raises(InvalidInputError) as streamed:
            maxent.solve(targets=[1.0, 1.0], **kwargs)
        assert str(streamed.value) == str(memory.value)


def test_bad_mapping_column_names_the_column_and_index():
    x = np.linspace(0, 1, 1000)
    y = np.where(np.arange(1000) == 777, np.nan, x)
    with pytest.raises(InvalidInputError) as memory:
        maxent.solve({"x": x, "y": y}, {"x": 0.5, "y": 0.5})
    with pytest.raises(InvalidInputError) as streamed:
        maxent.solve(
            {"x": da.from_array(x, chunks=100), "y": da.from_array(y, chunks=100)},
            {"x": 0.5, "y": 0.5},
        )
    assert (
        str(streamed.value)
        == str(memory.value)
        == ("`features['y']` must be finite; got nan at index 777.")
    )


def test_chunk_source_shape_errors_name_the_state():
    def ragged():
        yield np.ones((10, 2)), None
        yield np.ones((5, 3)), None

    with pytest.raises(
        InvalidInputError,
        match=r"chunk of `features` starting at state 10 has 3 columns but "
        r"there are 2 constraints",
    ):
        maxent.solve(ragged, [1.0, 1.0])

    def short_prior():
        yield np.ones((10, 2)), np.ones(10)
        yield np.ones((5, 2)), np.ones(4)

    with pytest.raises(
        InvalidInputError, match=r"chunk of `prior` starting at state 10 has shape \(4,\)"
    ):
        maxent.solve(short_prior, [1.0, 1.0])
    with pytest.raises(InvalidInputError, match=r"`features` has no rows"):
        maxent.solve(lambda: iter([]), [1.0])


def test_one_shot_iterators_and_misplaced_arguments_are_rejected():
    gen = (c for c in [(np.ones((3, 1)), None)])
    with pytest.raises(InvalidInputError, match=r"iterator, which can be read only once"):
        maxent.solve(gen, [1.0])
    with pytest.raises(InvalidInputError, match=r"`prior` cannot be given with a chunk source"):
        maxent.solve(ArraySource(np.ones((3, 1))), [1.0], prior=np.ones(3))
    with pytest.raises(InvalidInputError, match=r"`names` is for chunk sources"):
        maxent.solve(np.ones((3, 1)), [1.0], names=["a"])
    with pytest.raises(InvalidInputError, match=r"`names` must hold 2 distinct names"):
        maxent.solve(ArraySource(np.ones((3, 2))), [1.0, 1.0], names=["a", "a"])
    with pytest.raises(InvalidInputError, match=r"`prior` has 4 entries but `features` has 3"):
        maxent.solve(da.ones((3, 1), chunks=2), [1.0], prior=np.ones(4))
