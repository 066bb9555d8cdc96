"""One executor for many independent tasks: serially, on a local Dask cluster, or on an existing one.

Every task gets its own seed spawned from one root seed (``numpy.random.SeedSequence``), so results are the
same whatever the number of workers and the order in which tasks finish; results come back in task order. A
task that raises is reported with its index and seed, and the other tasks' results are kept — unless the caller
asks to stop at the first outcome it cannot use (``stop_when``), as the build does on a bug: then the tasks not yet
finished are not run (or abandoned) and listed as such.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


@dataclass(frozen=True)
class TaskFailure:
    """A task that raised: which one, with which seed, and the error."""

    index: int
    seed: int
    error: str


@dataclass(frozen=True)
class RunResult:
    """Results in task order (None where a task failed or did not run), the failures, and where and how long it ran.

    ``not_run`` lists the tasks whose outcome was not collected because ``stop_when`` stopped the run: not
    started, abandoned, or finished in a worker after the stop (empty otherwise).
    """

    results: list[Any]
    failures: list[TaskFailure] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    backend: str = "serial"
    seconds: float = 0.0
    not_run: list[int] = field(default_factory=list)


def task_seeds(root_seed: int, n_tasks: int) -> list[int]:
    """Independent 63-bit seeds for ``n_tasks`` tasks, spawned from ``root_seed``."""
    children = np.random.SeedSequence(root_seed).spawn(n_tasks)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


def _guarded(function: Callable[..., Any], index: int, seed: int, args: tuple,
             with_index: bool = False) -> tuple[str, Any]:
    """Run one task with one BLAS thread; return ("ok", result) or ("error", the error and its traceback).

    One thread, whatever the backend: a multi-threaded BLAS sums in an order that depends on its threads, so
    the last bits of a result would differ between a serial run and workers; and K workers on K cores each
    running several threads fight over the cores (twice the CPU time for the same work, measured on 2 cores).
    """
    from threadpoolctl import threadpool_limits

    try:
        with threadpool_limits(1):
            return "ok", function(seed, index, *args) if with_index else function(seed, *args)
    except Exception as exc:  # a task's failure is data for the report, not a crash of the run
        return "error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"


def _progress(done: int, total: int, enabled: bool) -> None:
    if enabled:
        sys.stderr.write(f"\r  {done}/{total} tasks")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _reporter(outcomes: list, on_result: Callable[[int, Any], None] | None) -> Callable[[int, tuple], None]:
    """Return the function that stores a task's outcome and passes a success to ``on_result``."""
    def report(index: int, outcome: tuple[str, Any]) -> None:
        outcomes[index] = outcome
        if on_result is not None and outcome[0] == "ok":
            on_result(index, outcome[1])
    return report


def _stop_forked_workers(executor: Any) -> None:
    """Cancel the tasks not started and end the forked workers at once, abandoning the tasks they run.

    ``ProcessPoolExecutor.terminate_workers`` does this from Python 3.14; on 3.11 the same steps are taken here
    (cancel what is queued, then terminate each worker process still alive). The pool then sees its workers
    gone, and leaving its ``with`` block does not wait for abandoned work. Each worker is then reaped (killed if
    SIGTERM did not end it within 5 s).
    """
    processes = list((getattr(executor, "_processes", None) or {}).values())
    terminate = getattr(executor, "terminate_workers", None)
    if terminate is not None:
        terminate()
    else:
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            try:
                if process.is_alive():
                    process.terminate()
            except (ValueError, ProcessLookupError):  # already closed or gone
                continue
    for process in processes:  # reaped here, so that none is left behind when the run returns
        try:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
        except (ValueError, AssertionError):  # closed, or not a child of this process
            continue


def _start_forked_worker(parent: int) -> None:
    """Make a forked worker exit as soon as the process that started it is gone (killed, say, with SIGKILL).

    A forked worker would otherwise wait for work forever: it holds its own copy of the task pipe, so it never
    sees the pipe close.
    """
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def run_tasks(function: Callable[..., Any], n_tasks: int, *, root_seed: int, args: Sequence[Any] = (),
              workers: int = 0, scheduler: str | None = None, progress: bool | None = None,
              client: Any = None, with_index: bool = False, task_args: Sequence[tuple] | None = None,
              pool: str = "dask", on_result: Callable[[int, Any], None] | None = None,
              stop_when: Callable[[int, tuple[str, Any]], bool] | None = None) -> RunResult:
    """Run ``function(seed, *args)`` for ``n_tasks`` seeds spawned from ``root_seed``.

    Parameters
    ----------
    function : callable
        A picklable function of (seed, *args); its return value must be picklable.
    n_tasks : int
    root_seed : int
        The one seed everything derives from.
    args : sequence
        Extra arguments, the same for every task.
    workers : int
        0 runs serially in this process; K > 0 starts a local Dask cluster of K single-threaded worker
        processes (unless ``scheduler`` or ``client`` is given).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:port``); defaults to the
        ``DASK_SCHEDULER_ADDRESS`` environment variable when ``workers`` is not set.
    progress : bool, optional
        Progress on stderr (default: when stderr is a terminal).
    client : distributed.Client, optional
        An already connected client (reused, not closed).
    with_index : bool
        Call ``function(seed, index, *args)`` instead, for tasks that differ by more than their seed.
    task_args : sequence of tuple, optional
        Arguments of each task, placed before ``args`` (``function(seed, *task_args[i], *args)``): only its own
        share of the data travels to each worker.
    pool : {"dask", "fork"}
        How ``workers`` > 0 local workers start: a local Dask cluster, or processes forked from this one, which
        inherit its memory (large inputs need not be sent; Linux only — elsewhere the tasks run serially). A
        forked worker exits when this process dies.
    on_result : callable, optional
        Called with (task index, result) as each task succeeds, in the order they finish.
    stop_when : callable, optional
        Called with (task index, outcome) as each task finishes, after ``on_result``; the outcome is ``("ok",
        result)`` or ``("error", message)``. When it returns True, no further task starts: tasks still queued are
        cancelled, forked workers are terminated (their running tasks abandoned), a Dask cluster's are cancelled;
        every task whose outcome was not collected is listed in :attr:`RunResult.not_run`. Serially, the tasks
        after that one are not run. Default: every task runs. (An exception from ``on_result`` also ends forked
        workers at once, then propagates.)
    """
    if pool not in ("dask", "fork"):
        raise ValueError(f"pool must be 'dask' or 'fork', got {pool!r}")
    if task_args is not None and len(task_args) != n_tasks:
        raise ValueError(f"task_args has {len(task_args)} entries for {n_tasks} tasks")
    per_task = [tuple(task_args[i]) + tuple(args) if task_args is not None else tuple(args) for i in range(n_tasks)]
    seeds = task_seeds(root_seed, n_tasks)
    progress = sys.stderr.isatty() if progress is None else progress
    scheduler = scheduler or (os.environ.get(SCHEDULER_ENV) if workers == 0 and client is None else None)
    outcomes: list[tuple[str, Any] | None] = [None] * n_tasks
    start = time.perf_counter()
    report = _reporter(outcomes, on_result)
    forked = pool == "fork" and client is None and scheduler is None and workers > 0 and n_tasks > 1
    if forked and "fork" not in multiprocessing.get_all_start_methods():
        forked, workers = False, 0  # no fork here (not Linux): run serially, same results
    if client is None and scheduler is None and (workers == 0 or (pool == "fork" and not forked)):
        for i, seed in enumerate(seeds):
            outcome = _guarded(function, i, seed, per_task[i], with_index)
            report(i, outcome)
            _progress(i + 1, n_tasks, progress)
            if stop_when is not None and stop_when(i, outcome):
                break
        backend = "serial"
    elif forked:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, n_tasks), mp_context=context,
                                 initializer=_start_forked_worker, initargs=(os.getpid(),)) as executor:
            futures = {executor.submit(_guarded, function, i, seed, per_task[i], with_index): i
                       for i, seed in enumerate(seeds)}
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    outcome = future.result()
                    report(futures[future], outcome)
                    _progress(done, n_tasks, progress)
                    if stop_when is not None and stop_when(futures[future], outcome):
                        _stop_forked_workers(executor)
                        break
            except BaseException:  # on_result raised, or an interrupt: do not wait for the other tasks first
                _stop_forked_workers(executor)
                raise
        backend = f"fork ({min(workers, n_tasks)} processes)"
    else:
        from distributed import Client, LocalCluster, as_completed

        own_cluster = own_client = None
        if client is None:
            if scheduler is not None:
                client = own_client = Client(scheduler)
            else:
                own_cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
                client = own_client = Client(own_cluster)
        try:
            futures = client.map(_guarded, [function] * n_tasks, range(n_tasks), seeds, per_task,
                                 [with_index] * n_tasks, pure=False)
            position = {future.key: i for i, future in enumerate(futures)}
            for done, future in enumerate(as_completed(futures), start=1):
                outcome = future.result()
                report(position[future.key], outcome)
                _progress(done, n_tasks, progress)
                if stop_when is not None and stop_when(position[future.key], outcome):
                    client.cancel([f for f in futures if not f.done()])
                    break
            backend = f"dask ({len(client.scheduler_info()['workers'])} workers)"
        finally:
            if own_client is not None:
                own_client.close()
            if own_cluster is not None:
                own_cluster.close()
    results, failures, not_run = [], [], []
    for i, outcome in enumerate(outcomes):
        if outcome is None:  # stopped before this task finished
            results.append(None)
            not_run.append(i)
        elif outcome[0] == "ok":
            results.append(outcome[1])
        else:
            results.append(None)
            failures.append(TaskFailure(i, seeds[i], outcome[1]))
    if not_run and progress:  # the progress line ends here, short of the total
        sys.stderr.write(f" (stopped: {len(not_run)} not run)\n")
    return RunResult(results, failures, seeds, backend, time.perf_counter() - start, not_run)


def example_task(seed: int, index: int, fail_at: int = -1) -> float:
    """Return a seeded normal draw, or raise for task ``fail_at`` (a small task for checking a cluster).

    ``villageaid.executor.run_tasks(example_task, 10, root_seed=1, with_index=True, workers=2)`` is a quick
    way to see that a local or remote cluster gives the same numbers as a serial run.
    """
    if index == fail_at:
        raise ValueError(f"task {index} was asked to fail")
    return float(np.random.default_rng(seed).normal())
