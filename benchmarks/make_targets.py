"""Time `make all` from a clean checkout and `make test`, the two targets a user waits for.

Not a test. `make all` is timed as `villageaid build` (what it runs) on a fresh `git clone` of the current commit
into a temporary folder, with this checkout's virtual environment (the "venv ready" of the target: nothing to
install), first from nothing and then again with nothing to do; then from nothing again with ``--busy`` (default 4)
CPU-bound processes running beside it, as on a shared machine, and that time is compared with the first. `make test`
is run in this checkout as it is (lint and the fast tests on every core); `--integration` also times
`make test-integration`. Each run prints a TARGET line. Targets (2 cores): `make all` < 10 s, with 4 busy processes
beside it ≤ 3× its idle time, `make test` < 90 s.

    .venv/bin/python benchmarks/make_targets.py [--pdf no|auto] [--busy 4] [--integration] [--no-test]

The working tree should be committed: the clone builds HEAD with the code installed from this checkout.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"make all": 10.0, "make test": 90.0}
#: `make all` beside busy processes: at most this many times its time on the idle machine.
BUSY_RATIO = 3.0
#: A busy process: one core's worth of pure Python arithmetic, until it is killed.
BUSY_LOOP = "while True:\n    sum(range(1000))"


#: CPU seconds (user + system) of the last command :func:`timed` ran, its worker processes included.
LAST_CPU: list[float] = [0.0]


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    """Wall seconds and output of one command; stop with its output when it fails (its CPU time in LAST_CPU)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return seconds, done.stdout + done.stderr


def stage_seconds(log: str) -> str:
    """The build's own time per stage ("villageaid: build: tables: done in 12.2 s"), for where the time goes."""
    found = re.findall(r"build: (\w+): done in ([\d.]+) s", log)
    return ", ".join(f"{stage} {seconds} s" for stage, seconds in found)


def verdict(seconds: float, target: float) -> str:
    return "met" if seconds < target else f"missed by {seconds - target:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdf", choices=["no", "auto"], default="no",
                        help="build the PDF too where xelatex exists (auto), or not (no, the default)")
    parser.add_argument("--busy", type=int, default=4,
                        help="busy processes beside the third build (0: skip that measurement)")
    parser.add_argument("--integration", action="store_true", help="also time make test-integration")
    parser.add_argument("--no-test", action="store_true", help="time the builds only, not make test")
    args = parser.parse_args()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True,
                           text=True).stdout.strip()
    if dirty:
        print("warning: the working tree has uncommitted changes; the clone builds HEAD with them installed")
    villageaid = str(Path(sys.executable).parent / "villageaid")
    folder = Path(tempfile.mkdtemp(prefix="villageaid-make-all-"))
    try:
        clone = folder / "clone"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        first, log = timed([villageaid, "build", "--root", str(clone), "--pdf", args.pdf], clone)
        first_cpu = LAST_CPU[0]
        again, _ = timed([villageaid, "build", "--root", str(clone), "--pdf", args.pdf], clone)
        busy = None
        if args.busy:
            subprocess.run(["make", "--no-print-directory", "clean"], cwd=clone, check=True, capture_output=True)
            loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(args.busy)]
            try:
                time.sleep(1.0)  # let the scheduler see them
                busy, _ = timed([villageaid, "build", "--root", str(clone), "--pdf", args.pdf], clone)
                busy_cpu = LAST_CPU[0]
            finally:
                for loop in loops:
                    loop.kill()
                    loop.wait()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    stages = stage_seconds(log)
    print(f"make all (villageaid build, PDF {args.pdf}) from a clean checkout: {first:.1f} s ({stages}); again, "
          f"nothing to do: {again:.1f} s")
    cores = os.cpu_count() or 1
    # The build's CPU time over the cores is a floor no scheduling beats: below the target only with less work.
    floor = first_cpu / cores
    need = f" (the target needs under {TARGETS['make all'] * cores:.0f} s CPU)" if floor >= TARGETS["make all"] else ""
    floor_text = f"; it used {first_cpu:.1f} s CPU: on {cores} cores, at least {floor:.1f} s of wall time{need}"
    print(f"TARGET | make all from a clean checkout (PDF {args.pdf}) | {first:.1f} s | < {TARGETS['make all']:.0f} s | "
          f"{verdict(first, TARGETS['make all'])}"
          + (f" (stages: {stages}{floor_text})" if first >= TARGETS["make all"] else ""))
    if busy is not None:
        ratio = busy / first
        share = (args.busy + 2) / 2  # two workers among busy + 2 CPU-bound processes on 2 cores
        why = (f"fair sharing alone gives {share:.1f}×; the build's CPU time went from {first_cpu:.1f} s idle to "
               f"{busy_cpu:.1f} s beside them ({busy_cpu / first_cpu:.2f}×)")
        print(f"make all from a clean checkout with {args.busy} busy processes beside it: {busy:.1f} s, {ratio:.2f}× "
              f"the idle {first:.1f} s (on {os.cpu_count()} cores; {why})")
        print(f"TARGET | make all with {args.busy} busy processes beside it | {ratio:.2f}× idle ({busy:.1f} s) | "
              f"≤ {BUSY_RATIO:.0f}× | "
              + ("met" if ratio <= BUSY_RATIO else f"missed by {ratio - BUSY_RATIO:.2f}× ({why})"))
    if args.no_test:
        return
    tests, _ = timed(["make", "--no-print-directory", "test"], REPO)
    print(f"make test (lint and the fast tests): {tests:.1f} s")
    target = TARGETS["make test"]
    print(f"TARGET | make test | {tests:.1f} s | < {target:.0f} s | {verdict(tests, target)}")
    if args.integration:
        integration, _ = timed(["make", "--no-print-directory", "test-integration"], REPO)
        print(f"make test-integration (end-to-end tests, run by CI besides make test): {integration:.1f} s")


if __name__ == "__main__":
    main()
