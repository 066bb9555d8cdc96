"""The executor: seeds from one root, identical results serially and on a real 2-worker LocalCluster,
failures reported with their seed while the other results survive, and a run stopped at once when asked."""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import replace

import pandas as pd
import pytest

from villageaid.executor import example_task, run_tasks, task_seeds
from villageaid.simulation import seed_true
from villageaid.studies.montecarlo import replication


def test_seeds_are_spawned_from_one_root() -> None:
    assert task_seeds(7, 5) == task_seeds(7, 5)
    assert task_seeds(7, 5)[:3] == task_seeds(7, 3)  # adding tasks does not change earlier seeds
    assert len(set(task_seeds(7, 1000))) == 1000
    assert task_seeds(8, 3) != task_seeds(7, 3)


@pytest.fixture(scope="module")
def cluster_client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.integration
def test_local_cluster_equals_serial_bit_for_bit(cluster_client) -> None:
    # The Monte Carlo replication itself, on a smaller two-county scenario (108 villages) to keep the test quick.
    scenario = replace(seed_true(), villages_per_county=(60, 48), townships_per_county=(5, 4))
    serial = run_tasks(replication, 4, root_seed=11, args=(scenario,), workers=0, progress=False)
    parallel = run_tasks(replication, 4, root_seed=11, args=(scenario,), client=cluster_client, progress=False)
    assert parallel.backend.startswith("dask (2 workers)")
    assert serial.seeds == parallel.seeds
    left = pd.DataFrame([row for rows in serial.results for row in rows])
    right = pd.DataFrame([row for rows in parallel.results for row in rows])
    pd.testing.assert_frame_equal(left, right, check_exact=True)


@pytest.mark.integration
def test_a_failing_task_is_reported_and_the_others_survive(cluster_client) -> None:
    result = run_tasks(example_task, 6, root_seed=3, args=(2,), with_index=True, client=cluster_client,
                       progress=False)
    assert [f.index for f in result.failures] == [2]
    assert result.failures[0].seed == task_seeds(3, 6)[2]
    assert "asked to fail" in result.failures[0].error
    assert result.results[2] is None
    serial = run_tasks(example_task, 6, root_seed=3, args=(-1,), with_index=True, progress=False)
    assert [r for i, r in enumerate(result.results) if i != 2] == [r for i, r in enumerate(serial.results) if i != 2]


def test_workers_zero_runs_serially(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from villageaid.workflow.cli import common

    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    args = argparse.Namespace(workers=0, scheduler=None, seed=5)
    result = common.run_study(example_task, 3, args, (-1,), with_index=True)
    assert result.backend == "serial"


def _fails_first_then_sleeps(seed: int, index: int, seconds: float) -> int:
    """Task 0 raises at once; the others sleep ``seconds`` (long enough that waiting for them would show)."""
    if index == 0:
        raise ValueError("task 0 is broken")
    time.sleep(seconds)
    return index


def _quick_or_slow(seed: int, index: int) -> int:
    """Task 0 returns at once; the others after a minute."""
    time.sleep(0 if index == 0 else 60)
    return index


def _workers_end_within(seconds: float, before: set) -> bool:
    """Whether every child process started since ``before`` has ended within ``seconds`` (the pool may still be
    reaping one; a Dask cluster's processes, started earlier, stay)."""
    deadline = time.perf_counter() + seconds
    while set(multiprocessing.active_children()) - before:
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.05)
    return True


def _is_error(index: int, outcome: tuple) -> bool:
    return outcome[0] == "error"


def test_stop_when_runs_no_task_after_the_stopping_one_serially() -> None:
    ran: list[int] = []

    def task(seed: int, index: int) -> int:
        ran.append(index)
        if index == 2:
            raise ValueError("task 2 is broken")
        return index

    result = run_tasks(task, 6, root_seed=3, with_index=True, workers=0, progress=False, stop_when=_is_error)
    assert ran == [0, 1, 2]
    assert result.results == [0, 1, None, None, None, None]
    assert [f.index for f in result.failures] == [2] and "task 2 is broken" in result.failures[0].error
    assert result.not_run == [3, 4, 5]
    # without stop_when every task runs, as before
    ran.clear()
    everything = run_tasks(task, 6, root_seed=3, with_index=True, workers=0, progress=False)
    assert ran == list(range(6)) and everything.not_run == [] and [f.index for f in everything.failures] == [2]


def test_stop_when_ends_forked_workers_without_waiting_for_their_tasks() -> None:
    before = set(multiprocessing.active_children())
    started = time.perf_counter()
    result = run_tasks(_fails_first_then_sleeps, 4, root_seed=3, args=(60.0,), with_index=True, workers=2,
                       pool="fork", progress=False, stop_when=_is_error)
    assert time.perf_counter() - started < 20  # not the 60 s of a sleeping task
    assert [f.index for f in result.failures] == [0]
    assert result.not_run == [1, 2, 3] and result.results == [None] * 4
    assert _workers_end_within(10, before)  # the workers are gone, not left running their tasks


def test_an_error_in_on_result_ends_forked_workers_at_once() -> None:
    def on_result(index: int, value: int) -> None:
        raise RuntimeError(f"cannot use the result of task {index}")

    before = set(multiprocessing.active_children())
    started = time.perf_counter()
    with pytest.raises(RuntimeError, match="task 0"):
        run_tasks(_quick_or_slow, 3, root_seed=3, with_index=True, workers=2, pool="fork", progress=False,
                  on_result=on_result)
    assert time.perf_counter() - started < 20
    assert _workers_end_within(10, before)


@pytest.mark.integration
def test_stop_when_cancels_the_tasks_left_on_a_dask_cluster(cluster_client) -> None:
    started = time.perf_counter()
    result = run_tasks(_fails_first_then_sleeps, 4, root_seed=3, args=(10.0,), with_index=True,
                       client=cluster_client, progress=False, stop_when=_is_error)
    assert time.perf_counter() - started < 8  # not the 10 s of a sleeping task
    assert [f.index for f in result.failures] == [0] and result.not_run == [1, 2, 3]
