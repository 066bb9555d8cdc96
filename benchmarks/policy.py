"""Time the allocation policy simulator on the national scenario, serially and on a local Dask cluster.

Not a test. Targets on 2 cores (issue 25 part 7): estimating the policy models on the national panel within 4 GB of
peak memory (measured in a fresh process that reads the panel as ``villageaid policy`` does, with
``read_policy_panel``), and 500,000 villages (about 2,900 counties) with 200 coefficient draws in under 10 minutes
on 2 workers; time linear in the number of counties. The national panel is simulated and built once and cached
(Parquet, not committed) in --cache. Prints, for each run:
counties, villages, seconds, time per county and draw, parallel efficiency against the serial run, the peak
memory of this process and of each worker, and whether the numbers equal the serial run's.

    .venv/bin/python benchmarks/policy.py [--villages 500000] [--draws 200] [--fractions 0.05,0.1,0.2]
                                          [--workers 2] [--full]

``--fractions`` runs those shares of the counties serially and on the workers (the linearity check and the
efficiency); ``--full`` adds the whole country on the workers (the serial full run is extrapolated from the
measured time per county and draw unless ``--full-serial`` is given).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import pandas as pd

from villageaid.config import DEFAULT_SEED

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_fresh

#: Issue 25 part 7.
TARGET_GB = 4.0
TARGET_SECONDS = 600.0

def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def national_panel(villages: int, cache: Path) -> Path:
    """Return the cached national panel's path, simulating and building it first if it is not there."""
    from villageaid.panel import build_panel
    from villageaid.simulation import national, simulate

    path = cache / f"national_{villages}_{DEFAULT_SEED}.parquet"
    if path.is_file():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    panel = build_panel(simulate(national(villages), seed=DEFAULT_SEED).tables)
    panel.to_parquet(path)
    print(f"simulated and built the national panel once: {time.perf_counter() - start:.1f} s -> {path}")
    return path


def _worker_rss() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024**3


def worker_memory(client: object) -> str:
    """Resident memory of each worker process after the run (GB; psutil, so not inherited from a parent)."""
    info = client.run(_worker_rss)  # type: ignore[attr-defined]
    return ", ".join(f"{gb:.2f}" for gb in info.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--villages", type=int, default=500_000)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--fractions", default="0.05,0.1,0.2")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="also run every county on the workers")
    parser.add_argument("--full-serial", action="store_true", help="also run every county serially")
    parser.add_argument("--cache", type=Path, default=Path("build/bench"))
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from villageaid.analysis.policy import simulate_policies
    from villageaid.analysis.policy_inputs import counties_from_panel, estimate_policy_models

    path = national_panel(args.villages, args.cache)
    program = ("import time; from villageaid.analysis.policy_inputs import estimate_policy_models, read_policy_panel\n"
               f"start = time.perf_counter(); estimate_policy_models(read_policy_panel({str(path)!r})); "
               "print(time.perf_counter() - start)")
    fresh = run_fresh(sys.executable, program)
    if fresh is not None:
        lines, gb, whole = fresh
        print(f"estimate_policy_models(read_policy_panel(panel)), fresh process: {float(lines[-1]):.1f} s "
              f"(with reading and imports {whole:.1f} s), peak {gb:.2f} GB")
        print(f"TARGET | policy models estimated on the national panel ({args.villages:,} villages), peak memory | "
              f"{gb:.2f} GB | <= {TARGET_GB:.0f} GB | {'met' if gb <= TARGET_GB else 'missed'}")
    from villageaid.analysis.policy_inputs import read_policy_panel

    panel = read_policy_panel(path)
    start = time.perf_counter()
    models = estimate_policy_models(panel)
    counties = counties_from_panel(panel)
    print(f"models and counties from {len(panel):,} village-years: {time.perf_counter() - start:.1f} s; "
          f"{len(counties)} counties; peak {peak_gb():.2f} GB")
    del panel
    fractions = [float(f) for f in args.fractions.split(",") if f]
    per_unit = []
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        runs = [(f, "serial") for f in fractions] + [(f, "cluster") for f in fractions]
        if args.full:
            runs.append((1.0, "cluster"))
        if args.full_serial:
            runs.append((1.0, "serial"))
        serial_tables: dict[float, pd.DataFrame] = {}
        serial_seconds: dict[float, float] = {}
        for fraction, where in runs:
            subset = counties[: max(1, round(fraction * len(counties)))]
            villages = sum(c.size for c in subset)
            start = time.perf_counter()
            result = simulate_policies(subset, models, draws=args.draws, seed=DEFAULT_SEED,
                                       workers=args.workers if where == "cluster" else 0,
                                       client=client if where == "cluster" else None)
            seconds = time.perf_counter() - start
            unit = seconds / (len(subset) * (args.draws + 1))
            line = (f"{where:7s} {len(subset):5d} counties {villages:8,d} villages {args.draws} draws: "
                    f"{seconds:7.1f} s  ({1000 * unit:.2f} ms per county and draw)")
            if where == "serial":
                serial_tables[fraction], serial_seconds[fraction] = result.table, seconds
                per_unit.append(unit)
            else:
                if fraction in serial_seconds:
                    efficiency = serial_seconds[fraction] / (args.workers * seconds)
                    same = serial_tables[fraction].equals(result.table)  # exact, not within a tolerance
                    line += f"  parallel efficiency {efficiency:.2f}; identical to serial: {same}"
                elif per_unit:
                    estimate = sum(per_unit) / len(per_unit) * len(subset) * (args.draws + 1)
                    line += f"  (serial extrapolated: {estimate:.0f} s)"
                line += f"; worker memory GB after the run: {worker_memory(client)}"
                if fraction == 1.0:
                    print(f"TARGET | policy simulation, whole country ({len(subset)} counties, {args.draws} draws), "
                          f"{args.workers} workers | {seconds:.0f} s | <= {TARGET_SECONDS:.0f} s | "
                          f"{'met' if seconds <= TARGET_SECONDS else 'missed'}")
                elif fraction == max(fractions) and per_unit:  # without --full: extrapolated, said so
                    whole = seconds / len(subset) * len(counties)
                    print(f"TARGET | policy simulation, whole country ({len(counties)} counties, {args.draws} draws), "
                          f"{args.workers} workers, extrapolated from {len(subset)} | {whole:.0f} s | "
                          f"<= {TARGET_SECONDS:.0f} s | {'met' if whole <= TARGET_SECONDS else 'missed'} "
                          "(extrapolated; --full measures it)")
            print(line + f"; this process peak {peak_gb():.2f} GB", flush=True)
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
