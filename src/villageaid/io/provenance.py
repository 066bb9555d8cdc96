"""Where validated tables come from: the provenance written beside them and the data-source label."""

from __future__ import annotations

import json
from pathlib import Path

from villageaid.io.write import write_parquet, write_text
from villageaid.schema import RAW_TABLES

PROVENANCE_FILE = "provenance.json"


def data_source(data_dir: Path) -> str:
    """Return the label of a data folder: its provenance, the simulation that made it, or its name."""
    provenance = data_dir / PROVENANCE_FILE
    if provenance.is_file():  # a folder of validated tables says where its records came from
        try:
            return str(json.loads(provenance.read_text(encoding="utf-8"))["data_source"])
        except (OSError, ValueError, KeyError):
            pass
    truth = data_dir / "truth.json"
    if truth.is_file():
        try:
            meta = json.loads(truth.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if meta.get("simulated"):
            return f"simulated, scenario {meta['scenario']['name']}, seed {meta['seed']}"
    return f"records in {data_dir.name}"


def write_validated_set(tables: dict, provenance: dict, data_dir: Path, folder: Path) -> list[str]:
    """Write the validated tables (Parquet) and ``provenance.json`` into ``folder``; return the file names.

    Required tables are always written; an optional table without rows is not, so that a folder holding the
    set never suggests a table the records did not have.
    """
    names = []
    for name, frame in tables.items():
        if len(frame) or RAW_TABLES[name].required:
            write_parquet(frame, folder / f"{name}.parquet")
            names.append(f"{name}.parquet")
    content = {"data_source": data_source(data_dir), **provenance}
    write_text(folder / PROVENANCE_FILE, json.dumps(content, ensure_ascii=False, indent=1) + "\n")
    return [*names, PROVENANCE_FILE]
