"""Time the discrimination table: 200 replications of each scenario at both designs, on 2 workers.

Not a test. Runs `villageaid discrimination` as `make simulations` does (six scenarios × two designs × --reps,
the forked worker pool), prints the wall time, and checks on a small subset that a serial run gives the same
bytes. Target (2 cores): the whole table in at most 30 minutes, identical to the serial run.

    .venv/bin/python benchmarks/discrimination.py [--reps 200] [--workers 2] [--check-reps 1]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 30 * 60


def _run(out: Path, reps: int, workers: int, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "villageaid", "discrimination", "--reps", str(reps), "--workers",
                    str(workers), "--out", str(out), *extra], check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--check-reps", type=int, default=1, help="replications of the serial-vs-parallel check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        seconds = _run(root / "full", args.reps, args.workers)
        tasks = 6 * 2 * args.reps
        print(f"discrimination table: {tasks} replications on {args.workers} workers in {seconds:.0f} s "
              f"({seconds / 60:.1f} min; {seconds / tasks:.2f} s a replication)")
        _run(root / "serial", args.check_reps, 0)
        _run(root / "parallel", args.check_reps, args.workers)
        same = all((root / "serial" / name).read_bytes() == (root / "parallel" / name).read_bytes()
                   for name in ("discrimination_replications.parquet", "discrimination_summary.csv"))
        print(f"serial and {args.workers} workers, {args.check_reps} replication(s) each: identical bytes: {same}")
    verdict = "met" if seconds <= TARGET_SECONDS and same else (
        f"missed by {(seconds - TARGET_SECONDS) / 60:.1f} min" if same else "missed: results differ from serial")
    print(f"TARGET | discrimination table, {args.reps} reps x 6 scenarios x 2 designs, {args.workers} workers | "
          f"{seconds / 60:.1f} min, identical: {same} | <= 30 min, identical | {verdict}")


if __name__ == "__main__":
    main()
