"""Replication: the paper's key estimates (``paper/expected.json``), the output manifest, and the check.

``villageaid replicate`` rebuilds everything from the simulated default data into a fresh directory and
compares the key estimates with ``paper/expected.json`` within the tolerances stated there, printing one
line per check. ``villageaid manifest`` writes the SHA-256 of every output (``paper/MANIFEST.sha256``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from villageaid.io.write import write_text
from villageaid.registry import BY_ID, KEY_ESTIMATES
from villageaid.report.key_numbers import key_value

#: Tolerances of the comparison. Outputs are deterministic; the tolerance absorbs floating-point differences
#: between machines and BLAS libraries, not randomness.
RTOL, ATOL = 1e-6, 1e-9


def read_key_estimates(tables_dir: Path) -> list[dict]:
    """Read the current value of every key estimate from the tidy CSVs in ``tables_dir``."""
    return [{"id": key.id, "name": key.description, "file": key.file, "where": key.selection, "column": key.column,
             "value": key_value(tables_dir, key), "rtol": RTOL, "atol": ATOL} for key in KEY_ESTIMATES]


def write_expected(tables_dir: Path, target: Path, *, provenance: str) -> Path:
    """Write ``expected.json`` from the tables just built (done once, when the paper's numbers are fixed)."""
    payload = {"note": "Key estimates of the companion paper, from SIMULATED default data, keyed by analysis id, "
                       "model id and term (villageaid.registry). " + provenance,
               "checks": read_key_estimates(tables_dir)}
    return write_text(target, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class CheckResult:
    """One replication check."""

    name: str
    ok: bool
    value: float
    expected: float
    tolerance: str

    def line(self) -> str:
        """One printable line."""
        status = "OK  " if self.ok else "FAIL"
        return f"{status} {self.name}: {self.value:.10g} (expected {self.expected:.10g}, {self.tolerance})"


def compare(tables_dir: Path, expected_file: Path) -> list[CheckResult]:
    """Compare the key estimates in ``tables_dir`` with ``expected_file``."""
    expected = json.loads(expected_file.read_text(encoding="utf-8"))["checks"]
    results = []
    for spec in expected:
        name = f"{spec['id']} ({spec['name']})"
        try:
            key = BY_ID[spec["id"]]
            value = key_value(tables_dir, key)
        except (OSError, KeyError) as exc:
            results.append(CheckResult(name, False, float("nan"), spec["value"], f"missing: {exc}"))
            continue
        ok = bool(np.isclose(value, spec["value"], rtol=spec["rtol"], atol=spec["atol"]))
        results.append(CheckResult(name, ok, value, spec["value"],
                                   f"rtol {spec['rtol']:g}, atol {spec['atol']:g}"))
    return results


def manifest(paths: Iterable[Path], root: Path) -> str:
    """SHA-256 lines (``sha256  relative/path``) of every file under ``paths``, sorted by path."""
    files = sorted(p for base in paths for p in ([base] if base.is_file() else base.rglob("*"))
                   if p.is_file() and not p.name.startswith("."))
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}" for p in files]
    return "\n".join(lines) + "\n"


def rebuild(workdir: Path, build: Callable[[Path], Path]) -> Path:
    """Empty ``workdir`` and run ``build`` into it; return the tables directory it made."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    return build(workdir)
