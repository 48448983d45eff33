"""Numbered chunk sources (`IndexedChunks`): the worker threads generate their own blocks.

The overlapped path must give the in-memory solution (to the streaming tests' 1e-12), the
same bits on every run and for any number of threads (the parts are merged in block order),
and let whatever the generator raises reach the caller unchanged.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest
from test_streaming import PROBLEMS, assert_same

import maxent
from maxent import InvalidInputError, streaming
from maxent.streaming import IndexedChunks, StreamedProbabilities, generated_features

pytest.importorskip("dask.array")  # test_streaming's helpers need it

NO_PRIOR = [name for name, (_, kw) in PROBLEMS.items() if "prior" not in kw]


def rows_of(features):
    """make_chunk over an in-memory matrix (the states numbered by row)."""
    return lambda a, b: features[a:b]


@pytest.fixture(autouse=True)
def short_runs(monkeypatch):
    """Tasks of about 1000 features (a few blocks each), so the small problems here make
    many tasks for the worker threads."""
    monkeypatch.setattr(streaming, "_RUN_ELEMENTS", 1000)


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def threads(request, monkeypatch):
    monkeypatch.setenv("MAXENT_NUM_THREADS", str(request.param))
    return request.param


@pytest.mark.parametrize("name", NO_PRIOR)
def test_indexed_chunks_solve_equals_in_memory(name, threads):
    features, kwargs = PROBLEMS[name]
    ref = maxent.solve(features, **kwargs)
    source = IndexedChunks(
        rows_of(features), len(features), features.shape[1], chunk_size=max(2, len(features) // 9)
    )
    res = maxent.solve(source, **kwargs)
    assert isinstance(res.p, StreamedProbabilities)
    assert_same(res, ref)


def test_indexed_chunks_give_the_same_bits_on_every_run_and_thread_count(monkeypatch):
    features, kwargs = PROBLEMS["plain"]
    makers = set()

    def make_chunk(a, b):
        makers.add(threading.current_thread().name)
        return features[a:b]

    source = IndexedChunks(make_chunk, len(features), 3, chunk_size=97)  # 52 blocks, 17 tasks
    runs = []
    for n in (2, 2, 1):
        monkeypatch.setenv("MAXENT_NUM_THREADS", str(n))
        makers.clear()
        runs.append(maxent.solve(source, **kwargs))
        if n == 2:  # the pool's workers made the blocks, not the calling thread
            assert makers and all(name.startswith("maxent-2") for name in makers)
    assert makers == {threading.current_thread().name}  # one thread: all inline
    for res in runs[1:]:
        np.testing.assert_array_equal(res.multipliers, runs[0].multipliers)
        assert (res.log_Z, res.entropy, res.n_passes) == (
            runs[0].log_Z,
            runs[0].entropy,
            runs[0].n_passes,
        )
        np.testing.assert_array_equal(res.moments, runs[0].moments)


def test_indexed_chunks_with_default_blocks_equal_in_memory_and_p_streams():
    x = np.linspace(-1.0, 1.0, 20_001)
    features = np.column_stack([x, x**2])
    ref = maxent.solve(features, [0.1, 0.4], chunk_size=1500)
    source = IndexedChunks(lambda a, b: features[a:b], len(x), 2)
    res = maxent.solve(source, [0.1, 0.4], chunk_size=1500)
    assert_same(res, ref)
    assert len(list(source)) == 1  # iterated: one chunk of 65,536 rows or fewer
    assert sum(len(c) for c in res.p.chunks()) == len(x)
    assert repr(source) == "IndexedChunks(n_states=20001, n_constraints=2, chunk_size=None)"


class GeneratorFailure(RuntimeError):
    pass


def failing_at(features, row, exc):
    def make_chunk(a, b):
        if a <= row < b:
            raise exc
        return features[a:b]

    return make_chunk


@pytest.mark.parametrize(
    "exc",
    [GeneratorFailure("detector 7 is offline"), ValueError("no such state"), KeyboardInterrupt()],
    ids=["own error", "ValueError", "KeyboardInterrupt"],
)
def test_what_the_generator_raises_reaches_the_caller_unchanged(exc, threads):
    features, kwargs = PROBLEMS["plain"]
    source = IndexedChunks(failing_at(features, 2345, exc), len(features), 3, chunk_size=100)
    with pytest.raises(type(exc)) as info:
        maxent.solve(source, **kwargs)
    assert type(info.value) is type(exc) and str(info.value) == str(exc)
    # the threads are still there for the next solve
    good = IndexedChunks(rows_of(features), len(features), 3, chunk_size=100)
    assert maxent.solve(good, **kwargs).converged


def test_an_iterated_chunk_source_error_reaches_the_caller_unchanged(threads):
    features, kwargs = PROBLEMS["plain"]

    def chunks():
        for a in range(0, len(features), 100):
            if a == 2300:
                raise GeneratorFailure("tape ended at state 2300")
            yield features[a : a + 100], None

    with pytest.raises(GeneratorFailure, match="^tape ended at state 2300$"):
        maxent.solve(chunks, **kwargs)


def test_indexed_chunks_bad_arguments_and_chunks_are_refused_by_name():
    with pytest.raises(InvalidInputError, match="`make_chunk` must be a function"):
        IndexedChunks(np.ones((3, 1)), 3, 1)
    with pytest.raises(InvalidInputError, match="`n_states` must be a positive integer"):
        IndexedChunks(lambda a, b: np.ones(b - a), 0, 1)
    with pytest.raises(InvalidInputError, match="`chunk_size` must be a positive integer"):
        IndexedChunks(lambda a, b: np.ones(b - a), 10, 1, chunk_size=0)
    with pytest.raises(InvalidInputError, match="`chunk_size` must be a positive integer"):
        generated_features(lambda a, b: np.ones(b - a), 10, 1, chunk_size=None)
    short = IndexedChunks(lambda a, b: np.ones((max(b - a - 1, 0), 2)), 10, 2, chunk_size=4)
    with pytest.raises(
        InvalidInputError, match=r"`make_chunk\(0, 4\)` returned an array of shape"
    ):
        maxent.solve(short, [0.5, 0.5])
    words = IndexedChunks(lambda a, b: [["x"]] * (b - a), 10, 1)
    with pytest.raises(InvalidInputError, match="must return real numbers"):
        maxent.solve(words, [0.5])
    with pytest.raises(InvalidInputError, match="`prior` cannot be given with IndexedChunks"):
        maxent.solve(IndexedChunks(lambda a, b: np.ones(b - a), 10, 1), [1.0], prior=np.ones(10))


def test_ctrl_c_during_a_pass_stops_the_solve(threads):
    """A real SIGINT while the workers generate: KeyboardInterrupt in the caller, and
    the threads are still usable afterwards."""
    features, kwargs = PROBLEMS["plain"]
    sent = []

    def make_chunk(a, b):
        if a <= 2345 < b and not sent:
            sent.append(threading.current_thread().name)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the main thread handles it meanwhile
        return features[a:b]

    source = IndexedChunks(make_chunk, len(features), 3, chunk_size=100)
    with pytest.raises(KeyboardInterrupt):
        maxent.solve(source, **kwargs)
    assert sent
    good = IndexedChunks(rows_of(features), len(features), 3, chunk_size=100)
    assert maxent.solve(good, **kwargs).converged
