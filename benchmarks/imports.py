"""Time ``import villageaid`` and ``import villageaid.estimators`` in fresh processes.

Not a test. Each statement runs in its own fresh interpreter, the two interleaved, --repeat times; prints the
median wall time of the import itself (measured inside the process with perf_counter, so interpreter start-up
is excluded) and a TARGET line per statement. Target (2 cores): under 0.3 s each.

    .venv/bin/python benchmarks/imports.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

TARGET_SECONDS = 0.3
STATEMENTS = ("import villageaid", "import villageaid.estimators")
PROGRAM = "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {s: [] for s in STATEMENTS}
    for _ in range(args.repeat):
        for statement in STATEMENTS:  # interleaved: a slow moment of the machine hits both
            out = subprocess.run([sys.executable, "-c", PROGRAM.format(statement=statement)], check=True,
                                 capture_output=True, text=True).stdout
            times[statement].append(float(out.strip()))
    for statement, values in times.items():
        median = statistics.median(values)
        print(f"{statement}: median {median:.3f} s over {args.repeat} fresh processes "
              f"(min {min(values):.3f}, max {max(values):.3f})")
        print(f"TARGET | `{statement}` | {median:.3f} s | < {TARGET_SECONDS} s | "
              f"{'met' if median < TARGET_SECONDS else f'missed by {median - TARGET_SECONDS:.2f} s'}")


if __name__ == "__main__":
    main()
