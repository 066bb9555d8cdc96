"""Where validated tables come from: the provenance written beside them and the data-source label."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from villageaid.digest import sha256_file
from villageaid.io.write import write_parquet_tables, write_text
from villageaid.schema import RAW_TABLES

if TYPE_CHECKING:
    import pandas as pd

PROVENANCE_FILE = "provenance.json"
#: Key of provenance.json listing each validated table file and its SHA-256.
TABLE_HASHES = "validated_tables"


#: Endings of a county-level name (县, 区, 市, 旗) that make "county" after it redundant.
COUNTY_SUFFIXES = ("县", "区", "市", "旗", "County", "county")
#: Most counties a label names one by one; with more it counts them and names the first ones.
MAX_COUNTIES_NAMED = 4


def counties_label(counties: Iterable[object]) -> str | None:
    """Return how the records name their counties ("records of W county"), or None when they name none.

    The names are the records' own (the villages table's ``county`` column), never the folder's: a folder is
    often called after its content ("county", "ledger") rather than after the county.
    """
    names = sorted({str(c).strip() for c in counties if c is not None and str(c).strip()
                    and str(c).strip().lower() not in ("nan", "none", "<na>")})
    if not names:
        return None
    if len(names) > MAX_COUNTIES_NAMED:
        return f"records of {len(names)} counties ({', '.join(names[:MAX_COUNTIES_NAMED])}, ...)"
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if all(name.endswith(COUNTY_SUFFIXES) for name in names):  # 平县, 武隆区: the name says what it is
        return f"records of {listed}"
    return f"records of {listed} count{'y' if len(names) == 1 else 'ies'}"


def data_source(data_dir: Path, counties: Iterable[object] | None = None) -> str:
    """Return the label of a data folder: its provenance, the simulation that made it, or the counties.

    Records are named by the counties they hold (``counties``, from their villages table); only records that
    name no county fall back on the folder ("records in folder NAME").
    """
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
    named = counties_label(counties) if counties is not None else None
    return named or f"records in folder {data_dir.name}"


def data_truth(data_dir: Path) -> dict | None:
    """Return the truth of a simulated data folder (its ``truth.json``, or the copy a validated set keeps)."""
    provenance = data_dir / PROVENANCE_FILE
    try:
        if provenance.is_file():
            return json.loads(provenance.read_text(encoding="utf-8")).get("truth")
        truth = data_dir / "truth.json"
        if truth.is_file():
            meta = json.loads(truth.read_text(encoding="utf-8"))
            return meta if meta.get("simulated") else None
    except (OSError, ValueError):
        return None
    return None


def label_panel(panel: pd.DataFrame, data_dir: Path) -> pd.DataFrame:
    """Record in ``panel.attrs`` where its records came from and, for simulated records, their truth."""
    panel.attrs["data_source"] = data_source(data_dir, panel["county"].unique() if "county" in panel else None)
    truth = data_truth(data_dir)
    if truth is not None:  # a JSON string: cheap to carry through pandas' copies of attrs
        panel.attrs["truth"] = json.dumps(truth, sort_keys=True, ensure_ascii=False)
    return panel


def write_validated_set(tables: dict, provenance: dict, data_dir: Path, folder: Path) -> list[str]:
    """Write the validated tables (Parquet) and ``provenance.json`` into ``folder``; return the file names.

    Required tables are always written; an optional table without rows is not, so that a folder holding the
    set never suggests a table the records did not have.
    """
    chosen = {name: frame for name, frame in tables.items() if len(frame) or RAW_TABLES[name].required}
    names = [path.name for path in write_parquet_tables(chosen, folder)]
    # The hashes let a reader prove each table is the one validation wrote (see read_validated_set).
    villages = tables.get("villages")
    counties = villages["county"].unique() if villages is not None and "county" in villages else None
    content = {"data_source": data_source(data_dir, counties), "folder": data_dir.name, **provenance,
               TABLE_HASHES: {name: sha256_file(folder / name) for name in names}}
    truth = data_truth(data_dir)
    if truth is not None:  # simulated records keep their truth beside the validated set
        content["truth"] = truth
    write_text(folder / PROVENANCE_FILE, json.dumps(content, ensure_ascii=False, indent=1) + "\n")
    return [*names, PROVENANCE_FILE]


def is_validated_set(folder: Path) -> bool:
    """Return True when ``folder`` holds a set written by ``villageaid validate --out`` (its provenance.json)."""
    return (Path(folder) / PROVENANCE_FILE).is_file()


def read_validated_set(folder: Path, columns: dict[str, tuple[str, ...] | None] | None = None) -> dict:
    """Read a validated set, after proving that every table is the file validation wrote.

    Parameters
    ----------
    folder : Path
        Folder written by ``villageaid validate --out`` (or the build's ``data/processed/validated``).
    columns : dict of str to tuple of str or None, optional
        Columns to read per table (None or absent: all); the panel needs far fewer than the set holds.

    Returns
    -------
    dict of str to DataFrame
        Every raw table; an optional table the set does not hold is empty, with the schema's columns.

    Raises
    ------
    ValueError
        If provenance.json is unreadable or lists no hashes (written before they were recorded), or a table
        it lists is missing or changed since, or a table file is there that it does not list: validate the
        records again rather than analyse tables nobody checked.
    """
    import pandas as pd

    folder = Path(folder)
    try:
        listed = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))[TABLE_HASHES]
        listed = {str(name): str(digest) for name, digest in listed.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{folder / PROVENANCE_FILE} does not list the validated tables and their hashes "
                         f"({type(exc).__name__}); run villageaid validate --out again") from exc
    problems = []
    for name, digest in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name} was changed after validation")
    unlisted = sorted(p.name for p in folder.glob("*.parquet") if p.name not in listed)
    problems += [f"{name} was not written by validation" for name in unlisted]
    if problems:
        raise ValueError(f"the validated set in {folder} is not as validation wrote it: {'; '.join(problems)}; "
                         "run villageaid validate --out again")
    tables = {}
    for name, schema in RAW_TABLES.items():
        wanted = list(columns[name]) if columns is not None and columns.get(name) is not None else None
        if f"{name}.parquet" in listed:
            tables[name] = pd.read_parquet(folder / f"{name}.parquet", columns=wanted)
        else:
            tables[name] = pd.DataFrame({c: pd.Series(dtype=object) for c in (wanted or schema.column_names)})
    release_arrow_memory()
    return tables


def release_arrow_memory() -> None:
    """Hand memory Arrow's allocator keeps after a read back to the system (hundreds of MB at a national scale)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
