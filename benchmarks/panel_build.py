"""Time simulate + validate + panel on the national scenario (default 500,000 villages × 10 years).

Not a test. Prints rows, seconds per step and the process's peak memory.
Target on the 2-core reference machine: simulate plus panel under 60 s and under 6 GB.

    .venv/bin/python benchmarks/panel_build.py [--villages 500000] [--seed 20240601] [--skip-validation]
"""

from __future__ import annotations

import argparse
import resource
import time

from villageaid.config import DEFAULT_SEED
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.simulation import national, simulate


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--villages", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--skip-validation", action="store_true",
                        help="build the panel from the simulated tables without validating them first")
    args = parser.parse_args()

    start = time.perf_counter()
    scenario = national(args.villages, seed=args.seed)
    data = simulate(scenario, seed=args.seed)
    t_sim = time.perf_counter() - start
    rows = {name: len(frame) for name, frame in data.tables.items()}
    print(f"simulate: {t_sim:6.1f} s  raw rows {rows}  peak {peak_gb():.2f} GB", flush=True)

    tables = data.tables
    t_val = 0.0
    if not args.skip_validation:
        start = time.perf_counter()
        tables, report = validate_tables(data.tables)
        t_val = time.perf_counter() - start
        print(f"validate: {t_val:6.1f} s  {len(report.errors)} errors, {len(report.warnings)} warnings  "
              f"peak {peak_gb():.2f} GB", flush=True)
        if not report.ok:
            raise SystemExit(report.format(max_lines=20))

    start = time.perf_counter()
    panel = build_panel(tables)
    t_panel = time.perf_counter() - start
    print(f"panel:    {t_panel:6.1f} s  {len(panel):,} village-years × {panel.shape[1]} columns  "
          f"peak {peak_gb():.2f} GB", flush=True)
    total = t_sim + t_val + t_panel
    print(f"total:    {total:6.1f} s  (simulate + {'validate + ' if t_val else ''}panel)  "
          f"peak memory {peak_gb():.2f} GB  target < 60 s and < 6 GB")
    missed = [f"{total - 60:.0f} s over"] if total >= 60 else []
    missed += [f"{peak_gb() - 6:.1f} GB over"] if peak_gb() >= 6 else []
    verdict = "missed: " + ", ".join(missed) if missed else "met"
    print(f"TARGET | national simulate + {'validate + ' if t_val else ''}panel in one process (no files) | "
          f"{total:.1f} s, {peak_gb():.2f} GB | < 60 s and < 6 GB | {verdict}")


if __name__ == "__main__":
    main()
