"""Where validated tables come from: the provenance written beside them and the data-source label."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from villageaid.digest import sha256_file
from villageaid.io.write import write_parquet, write_parquet_tables, write_text
from villageaid.schema import RAW_TABLES

if TYPE_CHECKING:
    import pandas as pd

PROVENANCE_FILE = "provenance.json"
#: Key of provenance.json listing each validated table file and its SHA-256.
TABLE_HASHES = "validated_tables"
#: Key of provenance.json giving the rows of every raw table at validation (0 for a table the records lacked).
TABLE_ROWS = "validated_rows"
#: Key of provenance.json holding the SHA-256 of everything else in it (see :func:`provenance_digest`).
PROVENANCE_DIGEST = "provenance_sha256"
#: Largest provenance.json read (it lists a few tables and the units of their columns).
MAX_PROVENANCE_BYTES = 16 * 1024 * 1024


def provenance_digest(content: dict) -> str:
    """Return the SHA-256 of a provenance record without its own digest (canonical JSON: sorted keys, no spaces).

    The digest covers the list of tables, their hashes and row counts: an entry edited or removed by hand (an
    optional table taken out of a set with its entry) no longer matches. It proves the record whole against
    accidents and careless edits, not against someone who recomputes it: it is not a signature.
    """
    import hashlib

    body = {k: v for k, v in content.items() if k != PROVENANCE_DIGEST}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: The checked crosswalk of merged village codes in a validated set (from
#: :func:`villageaid.io.codes.crosswalk_set_tables`).
CROSSWALK_FILE = "crosswalk.parquet"
#: Files a validated set may hold beside the raw tables.
EXTRA_SET_TABLES = {CROSSWALK_FILE: "crosswalk"}


def table_file_names() -> dict[str, str]:
    """Return the only names a table of a validated set may have (``villages.parquet`` …) → the table."""
    return {**{f"{name}.parquet": name for name in RAW_TABLES}, **EXTRA_SET_TABLES}


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


def write_validated_set(tables: dict, provenance: dict, data_dir: Path, folder: Path,
                        extra: dict | None = None) -> list[str]:
    """Write the validated tables (Parquet) and ``provenance.json`` into ``folder``; return the file names.

    Required tables are always written; an optional table without rows is not, so that a folder holding the
    set never suggests a table the records did not have. ``extra`` maps file names of :data:`EXTRA_SET_TABLES`
    (the checked crosswalk) to frames written beside the tables and listed with their hashes.
    """
    chosen = {name: frame for name, frame in tables.items() if len(frame) or RAW_TABLES[name].required}
    names = [path.name for path in write_parquet_tables(chosen, folder)]
    for name, frame in (extra or {}).items():
        if name not in EXTRA_SET_TABLES:
            raise ValueError(f"{name!r} is not a file a validated set may hold beside its tables")
        write_parquet(frame, folder / name)
        names.append(name)
    # The hashes let a reader prove each table is the one validation wrote (see read_validated_set).
    villages = tables.get("villages")
    counties = villages["county"].unique() if villages is not None and "county" in villages else None
    content = {"data_source": data_source(data_dir, counties), "folder": data_dir.name, **provenance,
               TABLE_HASHES: {name: sha256_file(folder / name) for name in names},
               TABLE_ROWS: {name: len(tables[name]) if name in tables else 0 for name in RAW_TABLES}}
    truth = data_truth(data_dir)
    if truth is not None:  # simulated records keep their truth beside the validated set
        content["truth"] = truth
    content[PROVENANCE_DIGEST] = provenance_digest(content)
    write_text(folder / PROVENANCE_FILE, json.dumps(content, ensure_ascii=False, indent=1) + "\n")
    return [*names, PROVENANCE_FILE]


def is_validated_set(folder: Path) -> bool:
    """Return True when ``folder`` holds a set written by ``villageaid validate --out`` (its provenance.json)."""
    import os

    # Any provenance.json, even a FIFO or a broken link, makes the folder a set: it is then refused as one
    # (check_validated_set), never read as a folder of records beside a provenance nobody could read.
    return os.path.lexists(Path(folder) / PROVENANCE_FILE)


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
        If the set is not whole (see :func:`check_validated_set`): validate the records again rather than analyse
        tables nobody checked.
    """
    import pandas as pd

    from villageaid.io.parquet_frames import read_parquet_frames
    from villageaid.io.problems import DataError

    folder = Path(folder)
    listed = check_validated_set(folder)
    wanted = {name: list(columns[name]) if columns is not None and columns.get(name) is not None else None
              for name in RAW_TABLES}
    # As pd.read_parquet reads them, with equal dictionaries' categories made once (see read_parquet_frames).
    read = read_parquet_frames({name: (folder / f"{name}.parquet", wanted[name]) for name in RAW_TABLES
                                if f"{name}.parquet" in listed})
    tables = {}
    for name, schema in RAW_TABLES.items():
        if name in read:
            tables[name] = read.pop(name)
        else:
            tables[name] = pd.DataFrame({c: pd.Series(dtype=object) for c in (wanted[name] or schema.column_names)})
    release_arrow_memory()
    try:
        check_table_values(tables, folder)
    except DataError as exc:
        raise ValueError(f"the validated set in {folder} holds values validation does not accept:\n"
                         f"{exc.report.format(max_lines=50)}") from exc
    return tables


def release_arrow_memory() -> None:
    """Hand memory Arrow's allocator keeps after a read back to the system (hundreds of MB at a national scale)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _read_provenance(folder: Path) -> dict:
    """Read provenance.json by the rules of every input (a regular file, of bounded size, valid JSON)."""
    from villageaid.io.inputs import read_input_text
    from villageaid.io.problems import DataError

    path = folder / PROVENANCE_FILE
    try:
        content = json.loads(read_input_text(path, PROVENANCE_FILE, max_bytes=MAX_PROVENANCE_BYTES))
    except DataError as exc:
        raise ValueError(f"{path} cannot be read:\n{exc.report.format()}") from exc
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{path} is not valid JSON ({type(exc).__name__}: {str(exc)[:200]}); run villageaid "
                         "validate --out again") from exc
    if not isinstance(content, dict):
        raise ValueError(f"{path} does not hold a provenance record; run villageaid validate --out again")
    return content


def check_validated_set(folder: Path) -> dict[str, str]:
    """Prove a validated set whole, or raise a ValueError listing every way it is not; return its tables' hashes.

    A set is whole when its provenance.json is a regular file holding its own digest (:func:`provenance_digest`,
    so the list of tables cannot have been edited or shortened by hand); names only tables by their plain file names
    (``villages.parquet``: no folders, no absolute paths, nothing outside the set); every listed table is a regular
    file, not a link, with the SHA-256 recorded; every table that had rows at validation is listed (an optional
    table removed from the set is reported); and no other table file is there.

    Parameters
    ----------
    folder : Path
        Folder written by ``villageaid validate --out``.

    Returns
    -------
    dict of str to str
        Table file name → SHA-256, as listed.
    """
    from villageaid.io.inputs import special_file_problem

    folder = Path(folder)
    content = _read_provenance(folder)
    again = "run villageaid validate --out again"
    try:
        listed = content[TABLE_HASHES]
        listed = {str(name): str(digest) for name, digest in listed.items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{folder / PROVENANCE_FILE} does not list the validated tables and their hashes "
                         f"({type(exc).__name__}); {again}") from exc
    recorded = content.get(PROVENANCE_DIGEST)
    if recorded is None:
        raise ValueError(f"{folder / PROVENANCE_FILE} has no digest of its own list of tables (written by an older "
                         f"villageaid, or edited); {again}")
    problems = []
    if recorded != provenance_digest(content):
        problems.append(f"{PROVENANCE_FILE} was changed after validation (its digest no longer matches: an entry "
                        "edited, added or removed by hand)")
    allowed = table_file_names()
    for name in sorted(listed):
        if name not in allowed:
            problems.append(f"{name!r} is not the file name of a table of a validated set (a plain name such as "
                            "villages.parquet: no folders, no absolute paths, nothing outside the set)")
    listed = {name: digest for name, digest in listed.items() if name in allowed}
    rows = content.get(TABLE_ROWS)
    if isinstance(rows, dict):
        for table, count in sorted(rows.items()):
            name = f"{table}.parquet"
            if name in allowed and isinstance(count, int) and count > 0 and name not in listed:
                problems.append(f"the {table} table ({count:,} row{'s' if count != 1 else ''} at validation) was "
                                "removed from the set")
    for name, digest in sorted(listed.items()):
        path = folder / name
        special = special_file_problem(path, allowed[name], name)
        if path.is_symlink():
            problems.append(f"{name} is a link, not the file validation wrote")
        elif special is not None and special.code == "input_missing":
            problems.append(f"{name} is missing")
        elif special is not None:
            problems.append(f"{name}: {special.message('en')}")
        elif sha256_file(path) != digest:
            problems.append(f"{name} was changed after validation")
    unlisted = sorted(p.name for p in folder.glob("*.parquet") if p.name not in listed)
    problems += [f"{name} was not written by validation" for name in unlisted]
    if problems:
        raise ValueError(f"the validated set in {folder} is not as validation wrote it: {'; '.join(problems)}; "
                         f"{again}")
    return listed


def check_table_values(tables: dict[str, pd.DataFrame], folder: Path | str) -> None:
    """Check again the values an analysis relies on, in tables read from a validated set; raise DataError if any fail.

    Every numeric column of the schema must be finite and within its range (amounts non-negative, shares in 0–1,
    each column's :attr:`~villageaid.schema.Column.minimum` and :attr:`~villageaid.schema.Column.maximum`). The hashes
    prove the tables are the files validation wrote; this proves the numbers are still ones validation accepts
    (a set edited with its hashes recomputed, or written by an older villageaid with other rules).

    Raises
    ------
    DataError
        With one line per table and column: how many values fail, the first row and value, what was expected.
    """
    import numpy as np
    import pandas as pd

    from villageaid.io.problems import DataError, Problem, ValidationReport

    report = ValidationReport()
    for name, frame in tables.items():
        if name not in RAW_TABLES or frame.empty:
            continue
        label = f"{Path(folder).name}/{name}.parquet"
        for col in RAW_TABLES[name].columns:
            if col.kind not in ("int", "float", "money", "year") or col.name not in frame.columns:
                continue
            values = pd.to_numeric(frame[col.name], errors="coerce")
            array = values.to_numpy(dtype=float, na_value=np.nan)
            low = 0.0 if col.kind == "money" and col.minimum is None else col.minimum
            with np.errstate(invalid="ignore"):
                bad = np.isinf(array)
                if low is not None:
                    bad |= array < low
                if col.maximum is not None:
                    bad |= array > col.maximum
            if bad.any():
                first = int(np.flatnonzero(bad)[0])
                def shown(bound: float) -> str:
                    return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:g}"
                expected = (f"from {shown(low)}" if low is not None else "any finite number") + \
                    (f" to {shown(col.maximum)}" if col.maximum is not None else "")
                report.add(Problem.of("error", name, label, first + 1, col.name, str(array[first]),
                                      "validated_value_out_of_range", count=f"{int(bad.sum()):,}", expected=expected))
    if not report.ok:
        raise DataError(report)
