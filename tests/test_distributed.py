"""Solves on a dask.distributed LocalCluster (two worker processes on loopback).

Dask does the scheduling and transport; each pass of the solver is one ``compute`` on the
cluster.  The results must equal the in-memory solve to 1e-12.
"""

import functools
import warnings

import numpy as np
import pytest

import maxent
from maxent import InfeasibleTargetsError
from maxent.streaming import generated_features

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    # as in test_montecarlo's sample_sweep cluster: its own scratch directory (making the
    # shared one can take over 1 s on a loaded machine, and distributed warns) and a free
    # port for the scheduler's HTTP server (8787 may be held by another cluster)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Creating scratch directories is taking")
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
            local_directory=str(tmp_path_factory.mktemp("dask")),
        )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _spins(a, b, L):
    """Energy and magnetisation of the configurations a..b-1 of an open chain of L spins."""
    idx = np.arange(a, b, dtype=np.int64)
    s = 1.0 - 2.0 * ((idx[:, None] >> np.arange(L)) & 1)
    return np.column_stack([-(s[:, 1:] * s[:, :-1]).sum(axis=1), s.sum(axis=1)])


def test_distributed_dask_array_solve_equals_in_memory(client):
    rng = np.random.default_rng(3)
    features = rng.standard_normal((20_000, 3)) * [1.0, 2.0, 0.5]
    prior = rng.uniform(0.0, 2.0, 20_000)
    targets = [0.2, -0.3, 0.1]
    ref = maxent.solve(features, targets, prior=prior)
    res = maxent.solve(
        da.from_array(features, chunks=(2500, 3)), targets, prior=da.from_array(prior, chunks=2500)
    )
    assert client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.workers)) == 2
    np.testing.assert_allclose(res.multipliers, ref.multipliers, rtol=1e-12, atol=1e-12)
    assert res.log_Z == pytest.approx(ref.log_Z, rel=1e-12)
    assert res.entropy == pytest.approx(ref.entropy, rel=1e-12)
    np.testing.assert_allclose(res.p.compute(), ref.p, rtol=1e-12, atol=1e-15)
    assert res.n_iter == ref.n_iter


def test_distributed_generated_states_equal_enumeration(client):
    L = 14
    make = functools.partial(_spins, L=L)
    ref = maxent.solve(make(0, 2**L), [-6.0, 2.0])
    res = maxent.solve(generated_features(make, 2**L, 2, chunk_size=2048), [-6.0, 2.0])
    np.testing.assert_allclose(res.multipliers, ref.multipliers, rtol=1e-12, atol=1e-12)
    assert res.log_Z == pytest.approx(ref.log_Z, rel=1e-12)
    np.testing.assert_allclose(res.moments, [-6.0, 2.0], atol=1e-9)


def test_distributed_infeasible_target_raises_the_in_memory_error(client):
    x = np.linspace(0.0, 1.0, 1001)
    features = np.column_stack([x, x**2])
    with pytest.raises(InfeasibleTargetsError) as memory:
        maxent.solve(features, [0.5, 0.1])
    with pytest.raises(InfeasibleTargetsError) as cluster:
        maxent.solve(da.from_array(features, chunks=(150, 2)), [0.5, 0.1])
    assert str(cluster.value) == str(memory.value)
