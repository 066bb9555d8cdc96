"""Time 200 Monte Carlo replications serially and on a 2-worker LocalCluster, in the same run.

Not a test. Prints the time of each, the cluster's start-up time (reported apart), and the parallel efficiency
T_serial / (workers × T_parallel). Target: at least 80% on the 2-core machine. Checks that both runs give the
same numbers.

    .venv/bin/python benchmarks/montecarlo.py [--reps 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from villageaid.config import DEFAULT_SEED
from villageaid.executor import run_tasks
from villageaid.simulation import seed_true
from villageaid.studies.montecarlo import replication


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scenario = seed_true()
    serial = run_tasks(replication, args.reps, root_seed=DEFAULT_SEED, args=(scenario,), workers=0, progress=False)
    print(f"serial:        {serial.seconds:6.1f} s for {args.reps} replications")

    from distributed import Client, LocalCluster

    start = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.run(lambda: __import__("villageaid.studies.montecarlo"))  # warm the workers' imports
    startup = time.perf_counter() - start
    try:
        parallel = run_tasks(replication, args.reps, root_seed=DEFAULT_SEED, args=(scenario,), client=client,
                             progress=False)
    finally:
        client.close()
        cluster.close()
    efficiency = serial.seconds / (args.workers * parallel.seconds)
    print(f"{args.workers} workers:     {parallel.seconds:6.1f} s (cluster start-up {startup:.1f} s, not included)")
    print(f"parallel efficiency: {100 * efficiency:.0f}%  (target >= 80%)")
    same = pd.DataFrame([r for rows in serial.results for r in rows]).equals(
        pd.DataFrame([r for rows in parallel.results for r in rows]))
    print(f"identical results: {same}")
    verdict = "met" if efficiency >= 0.8 and same else (
        f"missed ({100 * efficiency:.0f}%)" if same else "missed: results differ from the serial run")
    print(f"TARGET | Monte Carlo parallel efficiency on {args.workers} workers | {100 * efficiency:.0f}%, identical: "
          f"{same} | ≥ 80%, identical | {verdict}")


if __name__ == "__main__":
    main()
