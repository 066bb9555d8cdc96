"""Time `villageaid validate` on large ledgers: 2,000,000 funding rows, clean and with millions of bad cells.

Not a test. Writes the inputs (the default simulated data with its funding table grown to N rows) under a
temporary folder, then runs the command line in fresh processes, several times, and prints the median wall
time and peak memory of the whole process (import, reading, validation and the report).
Targets on 2 cores: clean 2M rows under 8 s and 1 GB; millions of bad cells summarised under 20 s.

    .venv/bin/python benchmarks/validate.py [--rows 2000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from villageaid.config import DEFAULT_SEED
from villageaid.simulation import SCENARIOS, simulate


def write_inputs(root: Path, rows: int) -> dict[str, Path]:
    data = simulate(SCENARIOS["seed_true"](), seed=DEFAULT_SEED)
    rng = np.random.default_rng(DEFAULT_SEED)
    funding = data.tables["funding"]
    big = funding.iloc[rng.integers(0, len(funding), rows)].reset_index(drop=True)
    # distinct amounts, so that no two records repeat (a repeated record is reported as pasted twice)
    big["amount"] = np.round(np.round(rng.gamma(2.0, 5.0, rows), 2) + np.arange(rows) * 1e-7, 7)
    big["year"] = rng.integers(2016, 2026, rows)
    folders = {}
    for label in ("clean", "bad_cells"):
        folder = root / label
        folder.mkdir(parents=True)
        for name, frame in data.tables.items():
            if name != "funding":
                frame.to_csv(folder / f"{name}.csv", index=False)
        folders[label] = folder
    big.to_csv(folders["clean"] / "funding.csv", index=False)
    bad = big.copy()
    bad["amount"] = bad["amount"].astype(str) + "元"   # every amount unreadable ...
    bad["year"] = bad["year"].astype(str) + "年度"      # ... and every year: 4,000,000 bad cells
    bad.to_csv(folders["bad_cells"] / "funding.csv", index=False)
    return folders


def run(folder: Path) -> tuple[float, float, int]:
    villageaid = Path(sys.executable).with_name("villageaid")
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", str(villageaid), "validate", str(folder),
                           "--max-problems", "50"], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kb / 1024**2, done.returncode


#: Label → (seconds, GB or None): the targets stated above.
TARGETS = {"clean": (8.0, 1.0), "bad_cells": (20.0, None)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="villageaid-validate-"))
    try:
        folders = write_inputs(root, args.rows)
        size = (folders["clean"] / "funding.csv").stat().st_size / 1024**2
        print(f"funding.csv: {args.rows:,} rows, {size:.0f} MB")
        results: dict[str, list[tuple[float, float, int]]] = {label: [] for label in folders}
        for _ in range(args.repeat):  # interleaved: clean, bad, clean, bad, ...
            for label, folder in folders.items():
                results[label].append(run(folder))
        for label, runs in results.items():
            seconds = statistics.median(r[0] for r in runs)
            peak = statistics.median(r[1] for r in runs)
            print(f"{label:10s} median {seconds:6.2f} s  peak {peak:5.2f} GB  exit {runs[0][2]}  "
                  f"(runs: {', '.join(f'{r[0]:.2f}' for r in runs)})")
            limit, memory = TARGETS[label]
            missed = [f"{seconds - limit:.1f} s over"] if seconds >= limit else []
            missed += [f"{peak - memory:.2f} GB over"] if memory is not None and peak >= memory else []
            print(f"TARGET | validate {args.rows:,} funding rows ({label}) | {seconds:.2f} s, {peak:.2f} GB | "
                  f"< {limit:.0f} s" + (f" and < {memory:.0f} GB" if memory is not None else "")
                  + f" | {'missed: ' + ', '.join(missed) if missed else 'met'}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
