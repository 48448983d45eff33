"""Threads: how many maxent may use, and one level of parallelism when it uses them.

maxent fans work out over threads in one place per back end (the passes over the
feature matrix, :class:`maxent._moments.MomentEngine`).  Two rules keep that fan-out
from fighting the rest of the machine:

- **How many threads.**  :func:`worker_count` is the number of worker threads maxent may
  use.  It honours, in this order of precedence, the ``MAXENT_NUM_THREADS`` environment
  variable (an explicit setting for maxent alone), a thread limit already in force for
  BLAS/OpenMP (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` or an
  enclosing :func:`threadpoolctl.threadpool_limits` block), the CPUs this process may run
  on (its affinity mask), and returns 1 inside a dask worker (the worker's own threads
  are the parallelism there).  It never exceeds 8.
- **One level.**  While worker threads run, BLAS inside them runs single-threaded
  (:func:`blas_limited`), so two workers never each start a team of BLAS threads.
  threadpoolctl's limits are process-wide for OpenBLAS, so the limit is set by the thread
  that fans out, around the whole fan-out, not inside the workers.

To choose the number of threads, set ``MAXENT_NUM_THREADS`` (or ``OMP_NUM_THREADS``)
before starting Python, or wrap calls in ``threadpoolctl.threadpool_limits(n)``; use 1
when running several maxent jobs side by side on the same cores.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any

__all__ = ["ThreadExecutor", "blas_limited", "blas_single", "worker_count"]

_MAX_WORKERS = 8
_ENV_LIMITS = ("MAXENT_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_lock = threading.Lock()
_controller = None  # threadpoolctl.ThreadpoolController, made once (scanning libraries is slow)
_pools: dict[int, ThreadPoolExecutor] = {}  # one shared pool per thread count
# BLAS threads in force where maxent's own blas_limited() began (the caller's setting),
# so that worker_count() inside it still sees the caller's limit, not maxent's own.
_outer = threading.local()


def _env_limit(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    try:
        n = int(value.split(",")[0])
    except ValueError:
        return None
    return n if n >= 1 else None


def _get_controller() -> Any:
    global _controller
    if _controller is None:
        with _lock:
            if _controller is None:
                from threadpoolctl import ThreadpoolController

                _controller = ThreadpoolController()
    return _controller


def _in_dask_worker() -> bool:
    if "distributed" not in sys.modules:
        return False
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


def worker_count() -> int:
    """Worker threads maxent may use in this process, now (at least 1).

    Returns ``MAXENT_NUM_THREADS`` when set.  Otherwise the smallest of: the CPUs in this
    process's affinity mask, ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` /
    ``MKL_NUM_THREADS`` when set, the thread count of the BLAS and OpenMP libraries
    (lowered by an enclosing ``threadpoolctl.threadpool_limits``), and 8; and 1 inside a
    dask worker.

    Examples
    --------
    >>> from threadpoolctl import threadpool_limits
    >>> with threadpool_limits(1):
    ...     worker_count()
    1
    """
    explicit = _env_limit("MAXENT_NUM_THREADS")
    if explicit is not None:
        return min(explicit, _MAX_WORKERS)
    if _in_dask_worker():
        return 1
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    for name in _ENV_LIMITS[1:]:
        limit = _env_limit(name)
        if limit is not None:
            n = min(n, limit)
    outer = getattr(_outer, "threads", None)
    return max(1, min(n, _MAX_WORKERS, _library_threads() if outer is None else outer))


def _library_threads() -> int:
    """Fewest threads any loaded BLAS/OpenMP library is set to use (large if none)."""
    n = 1 << 30
    for lib in _get_controller().lib_controllers:
        try:
            n = min(n, max(int(lib.num_threads), 1))
        except Exception:  # noqa: BLE001 - a library that cannot report keeps no say
            continue
    return n


@contextmanager
def blas_limited(n: int = 1) -> Iterator[None]:
    """Limit BLAS (and OpenMP) libraries to ``n`` threads inside the block.

    Use it in the thread that fans work out to a pool, around the whole fan-out: the limit
    is process-wide.  A limit already lower than ``n`` is kept.

    Examples
    --------
    >>> import numpy as np
    >>> with blas_limited(1):
    ...     float(np.ones(3) @ np.ones(3))
    3.0
    """
    controller = _get_controller()
    outer = getattr(_outer, "threads", None)
    single = getattr(_outer, "single", False)
    if outer is None:
        _outer.threads = _library_threads()
    # The libraries above the limit, with their thread counts to restore (what
    # threadpoolctl's ``limit`` does, without collecting every library's description).
    above = [(lib, lib.num_threads) for lib in controller.lib_controllers]
    above = [(lib, k) for lib, k in above if k > n]
    try:
        _outer.single = single or n <= 1
        for lib, _ in above:
            lib.set_num_threads(n)
        yield
    finally:
        for lib, k in reversed(above):
            lib.set_num_threads(k)
        _outer.threads = outer
        _outer.single = single


def blas_single() -> bool:
    """Whether this thread runs inside a :func:`blas_limited` block of one thread (BLAS is
    then single-threaded here, and work may run inline without limiting it again)."""
    return bool(getattr(_outer, "single", False))


def _shared_pool(workers: int) -> ThreadPoolExecutor:
    """The process's pool of ``workers`` threads (made on first use, then reused)."""
    pool = _pools.get(workers)
    if pool is None:
        with _lock:
            pool = _pools.get(workers)
            if pool is None:
                pool = _pools[workers] = ThreadPoolExecutor(
                    max_workers=workers, thread_name_prefix=f"maxent-{workers}"
                )
    return pool


class ThreadExecutor:
    """Runs ``task`` on blocks in worker threads and merges the results in order.

    ``workers`` threads run at once and at most twice as many blocks are in flight, so a
    lazy stream of blocks stays a few blocks in memory: the calling thread draws the next
    blocks from the stream (a chunk source generates them there) while the workers reduce
    the previous ones.  A block may also be *deferred*: a callable without arguments
    returning an iterable of blocks, called in the worker that reduces them, which makes
    each block as it is reached and merges their parts in order, so that the workers
    generate their own blocks side by side, each reduced while it is still in cache (see
    :class:`maxent.streaming.IndexedChunks`).  With one worker (or one block) everything
    runs inline in the calling thread.  The parts are merged in the order of the blocks,
    whatever order they finish in, so a pass's sums are the same on every run.  Either
    way BLAS runs single-threaded meanwhile: the tasks cut their blocks into cache-sized
    chunks, and on such chunks a team of BLAS threads costs more than it gains
    (measured: 3-10x slower with OpenBLAS on 2 cores), so handing the pass to
    multithreaded BLAS is never the better choice.

    Parameters
    ----------
    workers : int or None
        Threads to use; ``worker_count()`` at each call by default.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers

    def reduce(
        self,
        task: Callable[[Any, Any], Any],
        spec: Any,
        blocks: Iterable[Any],
        combine: Callable[[Any, list], Any],
    ) -> Any:
        """``combine(spec, [task(spec, b1), task(spec, b2), ...])`` over ``blocks``, in order.

        ``combine`` must be associative over concatenated lists (it is applied to the
        running result and each new part); None if there are no blocks.
        """
        it = iter(blocks)
        with blas_limited(1):
            first = next(it, None)
            if first is None:
                return None
            second = next(it, None)
            if second is None:  # one block: inline, whatever the thread count
                return _run(task, spec, combine, first)
            workers = self.workers if self.workers is not None else worker_count()
            if workers <= 1:
                run = partial(_run, task, spec, combine)
                acc = combine(spec, [run(first), run(second)])
                for block in it:
                    acc = combine(spec, [acc, run(block)])
                return acc
            pool = _shared_pool(workers)
            pending: deque = deque()
            acc = None
            try:
                for block in _chain(first, second, it):
                    pending.append(pool.submit(_run, task, spec, combine, block))
                    while len(pending) > 2 * workers:
                        acc = _fold(combine, spec, acc, pending.popleft().result())
                while pending:
                    acc = _fold(combine, spec, acc, pending.popleft().result())
            finally:
                for f in pending:
                    f.cancel()
            return acc


def _run(
    task: Callable[[Any, Any], Any],
    spec: Any,
    combine: Callable[[Any, list[Any]], Any],
    block: Any,
) -> Any:
    """``task(spec, block)``; for a deferred block, the parts of the blocks it makes
    (here, in the worker, one at a time), combined in order."""
    if not callable(block):
        return task(spec, block)
    return combine(spec, [task(spec, b) for b in block()])


def _fold(combine: Callable[[Any, list[Any]], Any], spec: Any, acc: Any, part: Any) -> Any:
    return part if acc is None else combine(spec, [acc, part])


def _chain(first: Any, second: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield second
    yield from rest
