"""The moment engine's protocol: pass requests, kernels that declare what they support,
the support (faces) as a value, and what a pass keeps.  Each pass is checked against a
plain numpy computation on the same states."""

import dataclasses

import numpy as np
import pytest
from _moment_problems import hard_problem, plain_moments

import maxent
from maxent._kernel import OPTIONAL, PassRequest
from maxent._moments import MomentEngine
from maxent._numpy_kernel import NumpyKernel

_hard = hard_problem
_plain = plain_moments


class _Minimal:
    """A kernel without any optional capability (what a new back end may start from):
    the numpy kernel's mandatory part only."""

    supports = frozenset()

    def __init__(self):
        self._numpy = NumpyKernel()
        self.requests = []

    def plan(self, request, screen):
        self.requests.append(request)
        assert not request.optional_parts(), request  # the engine asks for nothing more
        return self._numpy.plan(request, screen)

    def chunk(self, plan, features, log_prior, first_row, sinks):
        return self._numpy.chunk(plan, features, log_prior, first_row, sinks)


def test_pass_request_is_a_value_and_names_its_optional_parts():
    lam = np.array([0.5, -1.0])
    req = PassRequest(lam=lam, covariance=True, precision="single", screen=36.0, line=lam)
    lam[0] = 99.0  # the caller's array is copied
    assert req.lam[0] == 0.5 and not req.lam.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        req.covariance = False
    assert req.optional_parts() == {"single_precision", "screening", "kept_line"}
    plain = req.within(frozenset())
    assert plain.precision == "double" and plain.screen is None and plain.line is None
    assert req.within(OPTIONAL) is req
    assert PassRequest(lam=lam, keep_p=True).entropy  # kept p implies the entropy's terms
    with pytest.raises(ValueError, match="not both"):
        PassRequest(lam=lam, ranges=np.eye(2), axis_ranges=True)


def test_every_pass_equals_a_plain_computation():
    feats, _, theta = _hard(3000, 4, 0)
    lam = 0.5 * theta
    d = np.random.default_rng(1).standard_normal((4, 2))
    eng = MomentEngine(feats, chunk_size=700)
    ev = eng.evaluate(PassRequest(lam=lam, covariance=True, ranges=d, center=feats[0]))
    log_z, _, mean, cov = _plain(feats, lam)
    assert ev.log_Z == pytest.approx(log_z, rel=1e-13)
    np.testing.assert_allclose(ev.mean, mean, rtol=1e-11, atol=1e-12 * np.abs(feats).max())
    scale = np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    np.testing.assert_allclose(ev.cov / scale, cov / scale, atol=1e-10)
    proj = feats @ d
    np.testing.assert_array_equal(ev.dir_min, proj.min(axis=0))
    np.testing.assert_array_equal(ev.dir_max, proj.max(axis=0))
    axes = eng.evaluate(PassRequest(lam=lam, axis_ranges=True))
    np.testing.assert_array_equal(axes.dir_min, feats.min(axis=0))
    assert axes.cov is None


def test_projected_covariance_takes_each_state_projected_first():
    feats, _, theta = _hard(3000, 5, 1)
    lam = 0.3 * theta
    d = np.random.default_rng(2).standard_normal((5, 3)) / feats.std(axis=0)[:, None]
    _, p, mean, _ = _plain(feats, lam)
    y = (feats - mean) @ d
    ref = (y.T * p) @ y - np.outer(p @ y, p @ y)
    for kernel in (NumpyKernel(), _Minimal()):  # projection is optional: D^T Cov D without
        eng = MomentEngine(feats, chunk_size=500, kernel=kernel)
        cov = eng.projected_covariance(d, mean, lam)
        scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref)))
        np.testing.assert_allclose(cov / scale, ref / scale, atol=1e-10)


@pytest.mark.parametrize("case", ["plain", "prior", "face", "many"])
def test_a_kernel_without_optional_capabilities_gives_the_same_solution(case, monkeypatch):
    """Single precision, screening, projection and kept lines are optional: without them
    the engine falls back to exact passes, and the solution is the same."""
    n, m = (20_000, 70) if case == "many" else (3000, 4)
    feats, b, _ = _hard(n, m, 3)
    kw = {}
    if case == "prior":
        kw["prior"] = np.random.default_rng(4).uniform(0.5, 2.0, n)
    if case == "face":  # a zero-target indicator: a face found by the range checks
        ind = (feats[:, 0] > np.quantile(feats[:, 0], 0.8)).astype(float)
        feats = np.column_stack([feats, ind])
        b = np.append(np.mean(feats[ind == 0, :m], axis=0), 0.0)
    ref = maxent.solve(feats, b, **kw)
    kernels = []

    def engine_with_minimal_kernel(source, log_prior=None, chunk_size=None, **opts):
        kernels.append(_Minimal())
        return MomentEngine(source, log_prior, chunk_size, kernel=kernels[-1], **opts)

    from maxent import solver

    monkeypatch.setattr(solver, "MomentEngine", engine_with_minimal_kernel)
    res = maxent.solve(feats, b, **kw)
    assert kernels and kernels[0].requests
    assert res.converged and ref.converged, (res.message, ref.message)
    assert res.status == ref.status
    std = feats.std(axis=0)
    std[std == 0] = 1.0
    assert np.max(np.abs(np.asarray(res.p) @ feats - b) / std) <= 2e-10
    np.testing.assert_allclose(res.p, ref.p, rtol=1e-6, atol=1e-9 * np.max(ref.p))
    # the covariance of the distribution it returns, to rounding
    pr = np.asarray(res.p)
    c = feats - pr @ feats
    cov = (c.T * pr) @ c
    scale = np.sqrt(np.outer(np.diag(cov), np.diag(cov))) + 1e-300
    np.testing.assert_allclose(res.covariance / scale, cov / scale, atol=1e-10)


def test_faces_are_read_only_and_restored_by_value():
    feats = np.arange(12.0).reshape(6, 2)
    eng = MomentEngine(feats)
    with pytest.raises(AttributeError):
        eng.faces = ()
    start = eng.support
    with eng.tentative_faces() as trial:
        eng.add_face(np.array([1.0, 0.0]), 5.0)
        assert trial.added and len(eng.faces) == 1
    assert eng.support is start  # dropped at the end of the trial
    with eng.tentative_faces() as trial:
        eng.add_face(np.array([1.0, 0.0]), 5.0)
        trial.keep()
    kept = eng.support
    assert len(eng.faces) == 1
    ev = eng.evaluate(PassRequest(lam=np.zeros(2)))
    assert ev.mean[0] == pytest.approx(np.mean([0.0, 2.0, 4.0]))
    with pytest.raises(RuntimeError), eng.tentative_faces():
        eng.add_face(np.array([0.0, 1.0]), 3.0)
        raise RuntimeError  # restored on the way out of an exception too
    assert eng.support is kept
    other = MomentEngine(feats)
    other.add_face(np.array([0.0, 1.0]), 3.0)
    with pytest.raises(ValueError, match="earlier support"):
        eng.restore_support(other.support)


def test_axis_faces_select_the_states_a_product_would():
    # Faces along one feature's axis are tested by a column read, general ones by a
    # product: together they keep exactly the states F @ d <= threshold keeps for all.
    rng = np.random.default_rng(3)
    feats = rng.standard_normal((3000, 6))
    faces = [
        (-2.5 * np.eye(6)[1], 1.0),
        (0.7 * np.eye(6)[4], 0.9),
        (np.array([0.3, -1.0, 0.0, 0.5, 0.0, 2.0]), 1.5),
        (np.eye(6)[4], 0.5),
    ]
    eng = MomentEngine(feats, chunk_size=700)
    for d, t in faces:
        eng.add_face(d, t)
    on = np.all(np.column_stack([feats @ d <= t for d, t in faces]), axis=1)
    assert 0 < on.sum() < on.size
    lo, hi = eng.feature_ranges(np.arange(6))
    np.testing.assert_array_equal(lo, feats[on].min(axis=0))
    np.testing.assert_array_equal(hi, feats[on].max(axis=0))
    plo, phi = eng.project_ranges(np.eye(6)[:, [4, 1]])
    np.testing.assert_array_equal(plo, lo[[4, 1]])
    np.testing.assert_array_equal(phi, hi[[4, 1]])
    ev = eng.evaluate(PassRequest(lam=np.zeros(6)))
    np.testing.assert_allclose(ev.mean, feats[on].mean(axis=0), rtol=1e-12, atol=1e-14)


def test_what_a_pass_kept_belongs_to_its_support():
    feats, _, theta = _hard(4000, 3, 5)
    eng = MomentEngine(feats, chunk_size=1000)
    lam, d = 0.4 * theta, 0.1 * theta
    eng.evaluate(PassRequest(lam=lam, line=d, keep_p=True))
    assert eng.line_at(lam, d) and eng.log_weights_at(lam) is not None
    before = eng.support
    with eng.tentative_faces():
        eng.add_face(np.eye(3)[0], np.inf)  # a new support: nothing kept is valid on it
        assert not eng.line_at(lam, d) and eng.log_weights_at(lam) is None
    assert eng.support is before and eng.line_at(lam, d)  # valid again on its own
    passes = eng.n_passes
    p, entropy, _ = eng.finalize(eng.evaluate(PassRequest(lam=lam, keep_p=True)))
    assert eng.n_passes == passes + 1  # finalize needed no pass of its own
    _, ref, _, _ = _plain(feats, lam)
    np.testing.assert_allclose(p, ref, rtol=1e-12, atol=1e-300)
    assert entropy == pytest.approx(-np.sum(ref[ref > 0] * np.log(ref[ref > 0])), rel=1e-12)


def test_a_chunk_source_makes_no_more_passes_than_memory():
    """The covariance and the entropy come from the last pass for every back end."""
    feats, b, _ = _hard(6000, 3, 6)
    feats, b = feats / feats.std(axis=0), b / feats.std(axis=0)
    ref = maxent.solve(feats, b)

    def chunks():
        for i in range(0, feats.shape[0], 1000):
            yield feats[i : i + 1000]

    res = maxent.solve(chunks, b)
    assert res.n_passes <= ref.n_passes, (res.n_passes, ref.n_passes)
    np.testing.assert_allclose(np.asarray(res.p), ref.p, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(res.covariance, ref.covariance, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("m", [1, 3, 8, 10, 12])
@pytest.mark.parametrize("rows", [0, 1, 6, 255, 256, 257, 1001])
@pytest.mark.parametrize("centred", [False, True])
def test_compiled_moments_equal_the_weighted_products(m, rows, centred):
    # The compiled loop takes blocks of 256 rows: lengths below, at and past a block's,
    # zero weights, features of very different scales and moments about a center (each
    # row centred in the loop) all count.
    from maxent._chunk_loops import weighted_moments

    rng = np.random.default_rng(m * 7919 + rows)
    fc = rng.standard_normal((rows, m)) * np.logspace(-3, 3, m)
    w = rng.uniform(size=rows)
    w[1::5] = 0.0
    center = rng.standard_normal(m) * np.logspace(-3, 3, m) if centred else None
    first, got = weighted_moments(fc, w, center)
    if centred:
        fc = fc - center
    assert np.all(np.abs(first - w @ fc) <= 1e-15 * (rows + 1) * (w @ np.abs(fc)))
    terms = (np.abs(fc) * w[:, None]).T @ np.abs(fc)  # the sums of absolute terms
    np.testing.assert_array_equal(got, got.T)
    # each entry to rounding of its sum (rows + 1 terms of at most eps relative error each)
    assert np.all(np.abs(got - (fc * w[:, None]).T @ fc) <= 1e-15 * (rows + 1) * terms)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_subset_copies_exactly_the_rows_asked_for(order, dtype):
    # Working sets and samples copy their rows into a fresh array or the source's
    # reused buffer.
    from maxent._blocks import ArrayBlocks

    rng = np.random.default_rng(5)
    feats = np.asarray(rng.standard_normal((500, 7)), dtype=dtype, order=order)
    log_prior = rng.standard_normal(500)
    source = ArrayBlocks(feats, log_prior)
    for rows in (np.array([3, 499, 0, 3]), np.arange(0, 500, 3), np.array([2])):
        for sub in (source.subset(rows), source.subset(rows, reuse=True)):
            assert sub.F.dtype == dtype
            np.testing.assert_array_equal(sub.F, feats[rows])
            np.testing.assert_array_equal(sub.log_prior, log_prior[rows])
    for bad in ([500], [-1, 2]):
        with pytest.raises(IndexError):
            source.subset(np.array(bad), reuse=True)


@pytest.mark.parametrize("k", [4, 9, 200])
def test_compiled_column_ranges_equal_numpys(k):
    # The features' ranges and sums in one compiled read (four rows per sweep: row counts
    # that are not multiples of four); NaN must show (the solver names it), and a column
    # holding both infinities is not finite either.
    from maxent._chunk_loops import column_ranges, column_stats

    rng = np.random.default_rng(11 + k)
    x = rng.standard_normal((1003, k)) * np.resize([1.0, 1e3, 1e-3, 1.0], k)
    lo, hi = column_ranges(x)
    np.testing.assert_array_equal(lo, x.min(axis=0))
    np.testing.assert_array_equal(hi, x.max(axis=0))
    _, _, sums = column_stats(x)
    assert np.all(np.abs(sums - x.sum(axis=0)) <= 1e-13 * np.abs(x).sum(axis=0))
    x[5, 0], x[1002, 2] = np.nan, np.nan  # (a row of the sweep of four; the remainder)
    x[7, 3], x[9, 3] = np.inf, -np.inf
    x[11, 1] = np.inf
    lo, hi = column_ranges(x)
    assert np.isnan(lo[[0, 2, 3]]).all() and np.isnan(hi[[0, 2, 3]]).all()
    assert hi[1] == np.inf and lo[1] == x[:, 1].min()
    np.testing.assert_array_equal(lo[4:], x[:, 4:].min(axis=0))
    lo, hi = column_ranges(np.empty((0, 3)))
    assert np.all(lo == np.inf) and np.all(hi == -np.inf)


def test_passes_with_few_features_agree_with_blas(monkeypatch):
    # The compiled moments (few features) against BLAS's on the same chunks.
    from maxent import _numpy_kernel

    feats, _, theta = _hard(5003, 10, 3)
    lam = 0.5 * theta
    req = PassRequest(lam=lam, covariance=True, center=feats[:100].mean(axis=0), screen=36.0)
    compiled = MomentEngine(feats, chunk_size=997).evaluate(req)
    monkeypatch.setattr(_numpy_kernel, "COMPILED_MAX_FEATURES", 0)
    monkeypatch.setattr(_numpy_kernel, "BLOCK_MAX_FEATURES", 0)
    monkeypatch.setattr(_numpy_kernel, "BLOCK_COVARIANCE_MAX_FEATURES", 0)
    blas = MomentEngine(feats, chunk_size=997).evaluate(req)
    scale = np.sqrt(np.outer(np.diag(blas.cov), np.diag(blas.cov)))
    np.testing.assert_allclose(compiled.cov / scale, blas.cov / scale, rtol=0, atol=1e-14)
    assert compiled.log_Z == blas.log_Z
    assert np.all(np.abs(compiled.mean - blas.mean) <= 1e-14 * np.abs(feats).max(axis=0))


def test_fused_pass_matches_the_two_read_pass_and_plain_numpy(monkeypatch):
    """A pass without the covariance from 13 features reads each chunk once (compiled
    products and first moments with a running maximum); it equals the BLAS path and a
    plain computation, with a prior that leaves states off the support and a chunk of
    them only."""
    from maxent import _chunk_loops, _numpy_kernel
    from maxent._kernel import PassRequest
    from maxent._moments import MomentEngine

    rng = np.random.default_rng(11)
    n, m = 9000, 40
    feats = rng.standard_normal((n, m)) * np.logspace(-1, 1, m)
    prior = rng.uniform(0.1, 1.0, n)
    prior[rng.random(n) < 0.2] = 0.0
    prior[:1500] = 0.0  # the first chunk entirely off the support
    lam = rng.normal(0.0, 0.3, m) / np.logspace(-1, 1, m)
    d = rng.standard_normal(m)
    with np.errstate(divide="ignore"):
        lq = np.log(prior)
    req = PassRequest(lam=lam, ranges=np.stack([d, lam], 1), entropy=True, keep_p=True, line=d)
    fused = MomentEngine(feats, lq, chunk_size=1500)
    ev = fused.evaluate(req)
    monkeypatch.setattr(_numpy_kernel, "FUSED_MIN_FEATURES", 10**9)
    plain = MomentEngine(feats, lq, chunk_size=1500)
    ref = plain.evaluate(req)
    assert ev.log_Z == pytest.approx(ref.log_Z, rel=1e-14, abs=1e-12)
    np.testing.assert_allclose(ev.mean, ref.mean, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ev.dir_min, ref.dir_min, rtol=1e-12)
    np.testing.assert_allclose(ev.dir_max, ref.dir_max, rtol=1e-12)
    on = prior > 0
    a = lq[on] - feats[on] @ lam
    p = np.exp(a - a.max())
    np.testing.assert_allclose(ev.mean, (p / p.sum()) @ feats[on], rtol=1e-11, atol=1e-13)
    # (a dot product's rounding: eps of the sum of its terms' sizes, ~10 here)
    la_f, la_p = fused.log_weights_at(lam), plain.log_weights_at(lam)
    np.testing.assert_allclose(la_f, la_p, rtol=0, atol=1e-13)
    # the compiled loop alone: every state off the support gives no heaviest row
    proj, aa = np.empty((100, 1)), np.empty(100)
    top, i_top, first = _chunk_loops.weighted_sums(
        feats[:100], lam[:, None], np.full(100, -np.inf), proj, aa
    )
    assert i_top == -1 and top == -np.inf and not np.any(first)
    np.testing.assert_allclose(proj[:, 0], feats[:100] @ lam, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("m", [13, 50, 300])
def test_compiled_weighted_sums_equal_a_plain_log_sum_exp(m):
    # Products and first moments block by block of rows, with a running maximum: states
    # off the support first, the maximum rising from block to block (the sums rescaled),
    # a row count that is no multiple of a block or of four.  A NaN feature makes the
    # sums NaN (the numpy path then names it), as libm's exp of a NaN would.
    from maxent._chunk_loops import weighted_sums

    rng = np.random.default_rng(m)
    rows = 1001
    fc = rng.standard_normal((rows, m))
    lam = rng.standard_normal(m) * 0.3 / np.sqrt(m)
    cols = np.column_stack([lam, rng.standard_normal(m)])
    lq = np.linspace(0.0, 40.0, rows)  # heavier and heavier states: new maxima
    lq[:130] = -np.inf
    proj, a = np.empty((rows, 2)), np.empty(rows)
    top, i_top, first = weighted_sums(fc, cols, lq, proj, a)
    ref = lq - fc @ lam
    assert i_top == int(np.argmax(ref)) and top == pytest.approx(ref.max(), rel=1e-14)
    np.testing.assert_allclose(proj, fc @ cols, rtol=1e-12, atol=1e-13)
    w = np.exp(ref - ref.max())
    bound = 1e-13 * (w @ np.abs(fc))
    assert np.all(np.abs(first - w @ fc) <= bound)
    fc[700, 3] = np.nan
    assert np.isnan(weighted_sums(fc, cols, lq, proj, a)[2]).all()


@pytest.mark.parametrize("prior", ["none", "off_support"])
@pytest.mark.parametrize("chunk", [300, 1000])
@pytest.mark.parametrize("m", [7, 40])
def test_one_read_passes_with_few_features_equal_the_numpy_path(m, prior, chunk, monkeypatch):
    """With at most 12 features a chunk's whole pass is one compiled read (products,
    log-weights, a polynomial exp, kept line and p, ranges and moments, with a running
    maximum); with the covariance, up to 64.  Every kind of pass a solve makes (the prior
    pass at lambda = 0 with the covariance and the features' ranges; a light pass keeping
    p and a line; a Newton pass with the screened covariance about a center) equals the
    numpy path on the same states: a prior leaving states off the support, a chunk of
    them only, chunks that are not whole blocks of 256 rows."""
    from maxent import _numpy_kernel

    rng = np.random.default_rng(chunk + len(prior) + m)
    feats, _, theta = _hard(2701, m, 4)
    lq = None
    if prior == "off_support":
        q = rng.uniform(0.1, 1.0, feats.shape[0])
        q[rng.random(q.size) < 0.2] = 0.0
        q[:chunk] = 0.0  # the first chunk entirely off the support
        with np.errstate(divide="ignore"):
            lq = np.log(q)
    lam = 0.5 * theta
    d = rng.standard_normal((m, 2))
    center = feats[:50].mean(axis=0)
    requests = [
        PassRequest(lam=np.zeros(m), covariance=True, axis_ranges=True, center=center),
        PassRequest(lam=lam, ranges=np.column_stack([d[:, 0], lam]), keep_p=True, line=d[:, 0]),
        PassRequest(lam=lam, covariance=True, center=center, screen=36.0, ranges=d, line=d[:, 1]),
    ]

    def passes():
        eng = MomentEngine(feats, lq, chunk_size=chunk)
        out = []
        for req in requests:
            ev = eng.evaluate(req)
            kept = (
                None if req.line is None else [x.copy() for x in eng.kept_line(req.lam, req.line)]
            )
            p = eng.finalize(ev) if req.keep_p else None
            out.append((ev, kept, p))
        return out

    # (the one-read covariance up to 64 features whatever the CPU: see
    # _numpy_kernel._block_covariance_max)
    monkeypatch.setattr(_numpy_kernel, "BLOCK_COVARIANCE_MAX_FEATURES", 64)
    block = passes()
    monkeypatch.setattr(_numpy_kernel, "BLOCK_MAX_FEATURES", 0)
    monkeypatch.setattr(_numpy_kernel, "BLOCK_COVARIANCE_MAX_FEATURES", 0)
    numpy_path = passes()
    scale = np.abs(feats).max(axis=0)
    for (ev, kept, p), (ref, kept_ref, p_ref) in zip(block, numpy_path, strict=True):
        assert ev.log_Z == pytest.approx(ref.log_Z, rel=1e-14, abs=1e-12)
        assert np.all(np.abs(ev.mean - ref.mean) <= 1e-13 * scale)
        if ref.cov is not None:
            s = np.sqrt(np.outer(np.diag(ref.cov), np.diag(ref.cov)))
            np.testing.assert_allclose(ev.cov / s, ref.cov / s, rtol=0, atol=1e-13)
        np.testing.assert_allclose(ev.dir_min, ref.dir_min, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(ev.dir_max, ref.dir_max, rtol=1e-13, atol=1e-13)
        if kept is not None:
            on = np.isfinite(kept_ref[0])
            np.testing.assert_array_equal(np.isfinite(kept[0]), on)
            np.testing.assert_allclose(kept[0][on], kept_ref[0][on], rtol=1e-13, atol=1e-12)
            np.testing.assert_allclose(kept[1], kept_ref[1], rtol=1e-13, atol=1e-12)
        if p is not None:
            np.testing.assert_allclose(p[0], p_ref[0], rtol=1e-12, atol=1e-300)
            assert p[0][~np.isfinite(kept_ref[0])].max(initial=0.0) == 0.0
            assert p[1] == pytest.approx(p_ref[1], rel=1e-12) and p[2] == pytest.approx(p_ref[2])
    axes = block[0][0]  # the prior pass: the features' own ranges over the support
    on = slice(None) if lq is None else np.isfinite(lq)
    np.testing.assert_array_equal(axes.dir_min, feats[on].min(axis=0))
    np.testing.assert_array_equal(axes.dir_max, feats[on].max(axis=0))


@pytest.mark.parametrize("prior", ["none", "off_support"])
@pytest.mark.parametrize(("m", "scale"), [(70, 0.5), (130, 0.5), (70, 4.0)])
def test_fused_covariance_passes_equal_blas_products_and_moments(m, scale, prior, monkeypatch):
    """Beyond 64 features a covariance pass reads each chunk once for its products,
    log-weights and first moments (compiled), then centres and scales the rows in one read
    for BLAS's second moments: it equals the route through BLAS's products and numpy's
    centred copy, with and without a center, screened (p on a few states at the larger
    multipliers: the screen leaves most rows out) or not, with a prior leaving states off
    the support; and the prior pass, whose features' ranges and sums are one read."""
    from maxent import _numpy_kernel

    rng = np.random.default_rng(m + len(prior))
    feats, _, theta = _hard(3001, m, 5)
    lq = None
    if prior == "off_support":
        q = rng.uniform(0.1, 1.0, feats.shape[0])
        q[rng.random(q.size) < 0.2] = 0.0
        q[:700] = 0.0  # the first chunk entirely off the support
        with np.errstate(divide="ignore"):
            lq = np.log(q)
    lam = scale * theta
    d = rng.standard_normal((m, 2))
    center = feats[:50].mean(axis=0)
    requests = [
        PassRequest(lam=lam, covariance=True, ranges=d, keep_p=True, line=d[:, 0]),
        PassRequest(lam=lam, covariance=True, center=center, screen=36.0, line=d[:, 1]),
        PassRequest(lam=lam, covariance=True, center=center, screen=745.0, ranges=d),
        # The prior pass (uniform weights without a prior: ranges and sums in one read).
        PassRequest(lam=np.zeros(m), covariance=True, axis_ranges=True),
        PassRequest(lam=np.zeros(m), covariance=True, axis_ranges=True, precision="single"),
    ]
    covered = []

    def passes():
        eng = MomentEngine(feats, lq, chunk_size=700)
        eng.evaluate(PassRequest(lam=lam))  # the heaviest state: the screen's floor
        out = [eng.evaluate(req) for req in requests]
        covered.append([ev.covered for ev in out])
        return out

    fused = passes()
    monkeypatch.setattr(_numpy_kernel, "_fused_covariance", lambda req, fc: False)
    monkeypatch.setattr(_numpy_kernel, "_uniform_stats", lambda plan, fc, lq: False)
    blas = passes()
    assert covered[0] == covered[1]
    if scale > 1:  # p on a few states: the screen leaves most of them out
        assert covered[0][1] < 0.5 * feats.shape[0]
    for ev, ref in zip(fused, blas, strict=True):
        if ref.single:  # single-precision second moments: to ~1e-6 of each entry's scale
            s = np.sqrt(np.outer(np.diag(ref.cov), np.diag(ref.cov)))
            np.testing.assert_allclose(ev.cov / s, ref.cov / s, rtol=0, atol=1e-5)
            np.testing.assert_array_equal(ev.dir_min, ref.dir_min)
            continue
        assert ev.log_Z == pytest.approx(ref.log_Z, rel=1e-14, abs=1e-12)
        width = np.abs(feats).max(axis=0)
        assert np.all(np.abs(ev.mean - ref.mean) <= 1e-13 * width)
        # Each route rounds the second moments about the pass's center M (then removes
        # the mean's part): entries agree to rounding of sqrt(M_jj M_kk) (Cauchy-Schwarz).
        off = ref.mean - (0.0 if ref.center is None else ref.center)
        second = np.diag(ref.cov) + off**2
        bound = 1e-13 * np.sqrt(np.outer(second, second))
        np.testing.assert_array_less(np.abs(ev.cov - ref.cov), bound)
        for got, want in ((ev.dir_min, ref.dir_min), (ev.dir_max, ref.dir_max)):
            if want is not None:
                np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_the_one_read_pass_exp_is_within_an_ulp_and_zero_below_its_floor():
    # The compiled pass's exp (a polynomial after range reduction) against libm's, over
    # the whole range a shifted log-weight takes; below -708 (weights under 1e-307 of
    # the heaviest) it gives 0.
    from maxent._chunk_loops import _exp_block

    rng = np.random.default_rng(3)
    x = -np.concatenate([np.linspace(0.0, 708.0, 200_001), rng.exponential(3.0, 50_000)])
    w, bits = np.empty(x.size), np.empty(x.size, dtype=np.int64)
    _exp_block(x, w, bits, x.size)
    assert np.max(np.abs(w / np.exp(x) - 1.0)) <= 2.5e-16
    assert w[0] == 1.0
    low = np.array([-708.5, -745.0, -1e4, -np.inf])
    out = np.empty(4)
    _exp_block(low, out, np.empty(4, dtype=np.int64), 4)
    assert np.all(out == 0.0)
