"""Run the benchmark scripts in fresh processes and write a Markdown summary (what ``make bench`` runs).

Not a test. Each script prints its own figures; lines of the form ``TARGET | what | measured | target |
verdict`` are collected into the summary's table, and every performance target of the project that no script
measures yet is listed as such, so the table never suggests more than was measured. Output:
``build/bench/summary.md`` (and the full output of every script beneath it).

    .venv/bin/python benchmarks/run_all.py [--only imports,wild_bootstrap] [--out build/bench/summary.md]
                                           [--peer-python /path/to/python-with-peers]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Script name → extra arguments (the defaults of `make bench`).
SCRIPTS = {
    "imports": [],
    "wild_bootstrap": [],
    "ppml": [],
    "ols_floor": [],
    "sensitivity": ["--repeat", "3"],
    "policy": ["--fractions", "0.02,0.05"],
    "crv3": [],
    "validate": ["--repeat", "3"],
    "panel_build": [],
    "national_pipeline": ["--repeat", "3"],  # the median of three: the system time varies by seconds
    "staggered_did": ["--engines", "villageaid,diff-diff"],
    "staggered_did --covariate": ["--engines", "villageaid,diff-diff", "--covariate"],
    "staggered_did --units 500000": ["--engines", "villageaid,diff-diff", "--units", "500000"],
    "staggered_did --units 500000 --covariate": ["--engines", "villageaid,diff-diff", "--units", "500000",
                                                 "--covariate"],
    "twfe": [],
    "event_study": [],
    "montecarlo": [],
    "discrimination": [],
    "make_targets": [],
    "analysis_costs": [],  # each analysis's seconds beside the cost that orders the build's tasks
}
#: Targets no script turns into a TARGET line yet (none now: att_gt's linearity in rows is read from its
#: 2M- and 5M-row lines).
UNMEASURED: list[tuple[str, str]] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated script names (default: all)")
    parser.add_argument("--out", type=Path, default=Path("build/bench/summary.md"))
    parser.add_argument("--peer-python", default=None, help="interpreter with the peer libraries installed")
    args = parser.parse_args()
    chosen = [s for s in SCRIPTS if not args.only or s.split()[0] in args.only.split(",")]
    targets, sections = [], []
    for name in chosen:
        command = [sys.executable, str(HERE / f"{name.split()[0]}.py"), *SCRIPTS[name]]
        if name.split()[0] in ("wild_bootstrap", "ppml", "staggered_did", "twfe", "event_study") and args.peer_python:
            command += ["--peer-python", args.peer_python]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        output = done.stdout + (f"\n[exit {done.returncode}]\n{done.stderr[-2000:]}" if done.returncode else "")
        print(f"{name}: {seconds:.0f} s, exit {done.returncode}", flush=True)
        targets += [line.split("|")[1:] for line in done.stdout.splitlines() if line.startswith("TARGET |")]
        sections.append(f"## {name}\n\n`{' '.join(['python', f'benchmarks/{name.split()[0]}.py', *command[2:]])}` "
                        f"({seconds:.0f} s, exit {done.returncode})\n\n```\n{output.strip()}\n```\n")
    lines = ["# villageaid benchmarks", "",
             f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, Python {platform.python_version()}, "
             f"{len(chosen)} scripts. Figures are medians as each script states.", "",
             "| what | measured | target | verdict |", "| --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(part.strip() for part in row[:4])} |" for row in targets]
    lines += [f"| {what} | not measured by `make bench` yet | {target} | open |" for what, target in UNMEASURED]
    text = "\n".join(lines) + "\n\n" + "\n".join(sections)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(args.out)
    print("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
