"""Time the command-line chain simulate → validate → panel on the national scenario, each a fresh process.

Not a test. Runs ``villageaid simulate --scenario national`` (Parquet), ``villageaid validate --out``
(which writes the validated set) and ``villageaid panel`` on that set (read after its hashes are checked,
not validated twice; ``--panel-from records`` validates the records again instead) into a temporary folder
and prints each step's wall time, CPU time (user + system) and peak memory (GNU time's maximum resident
set size), the load, and a TARGET line saying by how much each target is met or missed.
Target (2 cores): the three together under 30 s, and no step above 2.5 GB.

``--repeat N`` runs the chain N times (fresh folders), prints each run and judges the target on the median, with
the range beside it: on a virtual machine the same code's system time varies by seconds from run to run.

    .venv/bin/python benchmarks/national_pipeline.py [--villages 500000] [--format parquet] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_SECONDS, TARGET_GB = 30.0, 2.5


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak resident GB of one command (GNU time)."""
    done = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", *command], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    seconds, user, system, kib = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), float(user) + float(system), float(kib) / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--villages", type=int, default=500_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--panel-from", choices=["validated", "records"], default="validated",
                        help="panel from the validated set (default) or from the records, validated again")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the whole chain (the median is judged)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    runs = [run_chain(args) for _ in range(args.repeat)]
    totals = sorted(total for total, _, _, _ in runs)
    total = statistics.median(totals)
    peak = max(gb for _, _, gb, _ in runs)
    cpu = statistics.median(cpu for _, cpu, _, _ in runs)
    spread = f" (median of {len(runs)} runs, {totals[0]:.1f}–{totals[-1]:.1f} s)" if len(runs) > 1 else ""
    verdict = [f"time {'met' if total < TARGET_SECONDS else 'missed'} by {abs(TARGET_SECONDS - total):.1f} s",
               f"memory {'met' if peak < TARGET_GB else 'missed'} by {abs(TARGET_GB - peak):.2f} GB"]
    met = total < TARGET_SECONDS and peak < TARGET_GB
    steps = runs[[t for t, _, _, _ in runs].index(totals[(len(totals) - 1) // 2])][3]
    print(f"TARGET | national simulate + validate + panel ({args.format}) | {total:.1f} s{spread}, {peak:.2f} GB | "
          f"< {TARGET_SECONDS:.0f} s and < {TARGET_GB} GB | {'met' if met else 'missed'}: {'; '.join(verdict)} "
          f"(steps: {steps}; {cpu:.1f} s CPU)")


def run_chain(args: argparse.Namespace) -> tuple[float, float, float, str]:
    """Run the three steps once in a fresh folder; print each; return wall, CPU, peak GB and the steps' summary."""
    villageaid = str(Path(sys.executable).parent / "villageaid")
    folder = Path(tempfile.mkdtemp(prefix="villageaid-national-"))
    try:
        steps = {
            "simulate": [villageaid, "simulate", "--scenario", "national", "--villages", str(args.villages),
                         "--format", args.format, "--out", str(folder / "data")],
            "validate": [villageaid, "validate", str(folder / "data"), "--out", str(folder / "validated")],
            "panel": [villageaid, "panel", str(folder / ("validated" if args.panel_from == "validated" else "data")),
                      "--out", str(folder / "panel.parquet")],
        }
        total, cpu, peak, parts = 0.0, 0.0, 0.0, []
        load_before = os.getloadavg()[0]
        for name, command in steps.items():
            seconds, cpu_seconds, gb = timed(command)
            total, cpu, peak = total + seconds, cpu + cpu_seconds, max(peak, gb)
            parts.append(f"{name} {seconds:.1f} s / {gb:.2f} GB")
            print(f"{name}: {seconds:.1f} s wall, {cpu_seconds:.1f} s CPU (user + system), peak {gb:.2f} GB")
        load = f"load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after on {os.cpu_count()} cores"
        print(f"total {total:.1f} s wall, {cpu:.1f} s CPU, largest peak {peak:.2f} GB ({args.villages:,} villages, "
              f"{args.format}, panel from the {args.panel_from} tables; {load})", flush=True)
        return total, cpu, peak, f"{', '.join(parts)}; {load}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
