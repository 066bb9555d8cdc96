"""The executor: seeds from one root, identical results serially and on a real 2-worker LocalCluster,
failures reported with their seed while the other results survive."""

from __future__ import annotations

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
