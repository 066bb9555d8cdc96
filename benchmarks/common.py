"""Helpers the benchmark scripts share: peak memory and one engine's run in a fresh process.

Standard library only, so that a peer's interpreter (pyfixest, diff-diff... in their own environment) can import
it too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def peak_gb() -> float:
    """Peak resident memory of this process so far (VmHWM, GB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def run_fresh(python: str, program: str) -> tuple[list[str], float, float] | None:
    """Run ``program`` in a fresh ``python``: its output lines, its peak memory (GB) and its wall time (s).

    None when it fails (its error is printed to stderr).
    """
    epilogue = f"\nimport sys; sys.path.insert(0, {str(HERE)!r}); from common import peak_gb; print(peak_gb())\n"
    start = time.perf_counter()
    done = subprocess.run([python, "-c", program + epilogue], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-1500:])
        return None
    lines = done.stdout.strip().splitlines()
    return lines[:-1], float(lines[-1]), seconds


def interleaved_runs(commands: dict[str, list[str]], repeat: int, label: str = "",
                     cwd: Path | None = None) -> dict[str, list[dict]]:
    """Run each engine's command in a fresh process, every engine once a round, for ``repeat`` rounds.

    Each command prints a JSON object as its last line; the objects are kept per engine, with the process's
    whole wall time (interpreter, imports and reading included) added as ``whole``. A failed run is reported
    and left out.
    """
    runs: dict[str, list[dict]] = {engine: [] for engine in commands}
    for _ in range(repeat):
        for engine, command in commands.items():
            begun = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
            whole = time.perf_counter() - begun
            if done.returncode != 0:
                print(f"{label:12s} {engine:12s} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            runs[engine].append({**json.loads(done.stdout.strip().splitlines()[-1]), "whole": whole})
    return runs
