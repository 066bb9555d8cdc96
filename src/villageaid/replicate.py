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
import pandas as pd

from villageaid.io.write import write_text

#: The key estimates of the paper: which table (tidy CSV), which row, which column.
KEY_ESTIMATES: list[dict] = [
    {"name": "Table 1: type A villages, transition, all counties", "file": "table1_typology.csv",
     "where": {"period": "transition", "county": "All", "village_type": "A"}, "column": "villages"},
    {"name": "Table 1: type C villages, transition, all counties", "file": "table1_typology.csv",
     "where": {"period": "transition", "county": "All", "village_type": "C"}, "column": "villages"},
    {"name": "Table 3: H3 city × rich, transition, PPML", "file": "table3_level_endowment.csv",
     "where": {"model": "(2) Funding (PPML)", "term": "city_x_rich"}, "column": "estimate"},
    {"name": "Table 3: H3 city × rich, transition, PPML, standard error", "file": "table3_level_endowment.csv",
     "where": {"model": "(2) Funding (PPML)", "term": "city_x_rich"}, "column": "std_error"},
    {"name": "Table 3: H2 rich, campaign, PPML", "file": "table3_level_endowment.csv",
     "where": {"model": "(5) Funding (PPML)", "term": "rich_village"}, "column": "estimate"},
    {"name": "Table 4: H4 post × rich, PPML", "file": "table4_logic_shift.csv",
     "where": {"model": "(3) Funding (PPML)", "term": "post:rich_village"}, "column": "estimate"},
    {"name": "Table 4: H4 post × city × rich, PPML", "file": "table4_logic_shift.csv",
     "where": {"model": "(3) Funding (PPML)", "term": "post:city_x_rich"}, "column": "estimate"},
    {"name": "Table 4: H4 post × rich, asinh OLS", "file": "table4_logic_shift.csv",
     "where": {"model": "(1) asinh(funding)", "term": "post:rich_village"}, "column": "estimate"},
    {"name": "Table 6: H5 CS not-yet-treated effect at designation", "file": "table6_demonstration.csv",
     "where": {"model": "CS, not yet treated", "event_time": 0}, "column": "estimate"},
    {"name": "Table 6b: H6 Anderson–Hsiao persistence", "file": "table6b_persistence.csv",
     "where": {"model": "(1) Anderson–Hsiao IV", "term": "L.log_unit_funding"}, "column": "estimate"},
    {"name": "Table 7: H7 Gini 2025", "file": "table7_inequality.csv",
     "where": {"table": "by_year", "year": 2025}, "column": "gini"},
    {"name": "Table 7: H7 change in Theil T", "file": "table7_inequality.csv",
     "where": {"table": "change", "measure": "theil"}, "column": "change"},
    {"name": "Table 8: H9 logit slope, transition", "file": "table8_level_strength_matching.csv",
     "where": {"panel": "B", "model": "Endowment index (logit coefficient) transition"}, "column": "estimate"},
]
#: Tolerances of the comparison. Outputs are deterministic; the tolerance absorbs floating-point differences
#: between machines and BLAS libraries, not randomness.
RTOL, ATOL = 1e-6, 1e-9


def _select(table: pd.DataFrame, where: dict) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        cells = table[column]
        mask &= (cells.astype(str) == str(value)).to_numpy() | (cells == value).to_numpy()
    rows = table.loc[mask]
    if len(rows) != 1:
        raise KeyError(f"{len(rows)} rows match {where}")
    return rows.iloc[0]


def read_key_estimates(tables_dir: Path) -> list[dict]:
    """Read the current value of every key estimate from the tidy CSVs in ``tables_dir``."""
    out = []
    for spec in KEY_ESTIMATES:
        table = pd.read_csv(tables_dir / spec["file"])
        value = float(_select(table, spec["where"])[spec["column"]])
        out.append({**spec, "value": value, "rtol": RTOL, "atol": ATOL})
    return out


def write_expected(tables_dir: Path, target: Path, *, provenance: str) -> Path:
    """Write ``expected.json`` from the tables just built (done once, when the paper's numbers are fixed)."""
    payload = {"note": "Key estimates of the companion paper, from SIMULATED default data. " + provenance,
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
        try:
            table = pd.read_csv(tables_dir / spec["file"])
            value = float(_select(table, spec["where"])[spec["column"]])
        except (OSError, KeyError) as exc:
            results.append(CheckResult(spec["name"], False, float("nan"), spec["value"], f"missing: {exc}"))
            continue
        ok = bool(np.isclose(value, spec["value"], rtol=spec["rtol"], atol=spec["atol"]))
        results.append(CheckResult(spec["name"], ok, value, spec["value"],
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
