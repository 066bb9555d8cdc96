"""What the importers share: the villages they link names to, finding a header, and writing their folder.

An importer reads files of a county's own layout and writes villageaid's tables (CSV, schema headers) into a
folder that the user then checks with ``villageaid validate``. Beside the tables it writes, in ``import/``, the
report, every name and how it was linked (``*_links.csv``) and the fuzzy candidates for the user to confirm
(``*_candidates.csv``). When the input has errors the tables are not written (exit 2); the report and the
candidates are, so the user can fix the ledger or confirm the matches and run the import again. Inputs are
never modified; every file is written atomically.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villageaid.io import import_messages  # noqa: F401  (registers the messages)
from villageaid.io.headers import HeaderMap, normalize_key, split_header
from villageaid.io.linking import NameLinker, candidates_text, links_text, read_confirmed
from villageaid.io.problems import Problem, ValidationReport
from villageaid.io.sheets import Grid, cell_text, column_letter, read_grids
from villageaid.io.write import write_csv, write_text

#: Sub-folder of the output folder holding the import's report, links and candidates.
IMPORT_DIR = "import"
HEADER_SEARCH_ROWS = 12
_YEAR_IN_TITLE = re.compile(r"(20\d\d)\s*年")
#: Chinese names of the fields of the lists (for messages).
FIELD_ZH = {"project": "项目名称", "county": "县", "township": "乡镇", "village": "村", "amount": "金额",
            "year": "年度", "source": "资金来源", "type": "项目类型", "share": "分配比例", "name": "姓名",
            "unit": "派出单位", "level": "单位层级", "post": "驻村职务", "start": "驻村时间"}
_LEADING_YEAR = re.compile(r"^(19|20)\d\d年(度)?")


@dataclass
class ImportResult:
    """Tables an importer produced and everything it found on the way.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Schema tables (``funding``; ``units`` and ``assignments``), schema columns in schema order.
    report : ValidationReport
        Errors (nothing is written but the report and the candidates) and warnings.
    details : dict of str to str
        Extra files for ``import/`` (name → CSV text): links, candidates, the source row of each output row.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    report: ValidationReport = field(default_factory=ValidationReport)
    details: dict[str, str] = field(default_factory=dict)


#: Formats of the lists an importer reads (a list is a ledger as the county keeps it: a sheet with a header row).
LIST_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def read_list(path: Path, table: str, report: ValidationReport) -> list[Grid]:
    """Read the sheets of one list (CSV or Excel); another format is reported, not read."""
    if Path(path).suffix.lower() not in LIST_SUFFIXES:
        report.add(Problem.of("error", table, Path(path).name, None, None, None, "read_failed",
                              detail="a list is read from CSV or Excel (.xlsx); save it as one of those"))
        return []
    return read_grids(Path(path), table, report)


def read_villages(path: Path, hmap: HeaderMap, report: ValidationReport) -> pd.DataFrame:
    """Read the villages that names are linked to: a villages table (id, name, county, township).

    Returns
    -------
    DataFrame
        Columns ``id``, ``name``, ``county``, ``township`` (empty when the file cannot be used: reported).
    """
    empty = pd.DataFrame(columns=["id", "name", "county", "township"])
    grids = read_grids(Path(path), "villages", report)
    if not grids:
        return empty
    grid = grids[0]
    header = grid.header if not grid.has_header else [cell_text(c) or "" for c in grid.cells[0]]
    body = grid.cells if not grid.has_header else grid.cells[1:]
    position = {}
    for i, text in enumerate(header):
        column = hmap.resolve("villages", text).column
        if column in ("village_id", "village_name", "county", "township") and column not in position:
            position[column] = i
    if not {"village_id", "village_name"} <= set(position):
        report.add(Problem.of("error", "villages", grid.label, 1, None, None, "missing_import_column",
                              what="village_id and village_name", what_zh="村庄编号和村名",
                              expected="村庄编号 (village_id), 村名 (village_name)"))
        return empty
    rows = []
    for cells in body:
        values = {c: cell_text(cells[i]) if i < len(cells) else None for c, i in position.items()}
        if values.get("village_id"):
            rows.append({"id": values["village_id"], "name": values.get("village_name"),
                         "county": values.get("county"), "township": values.get("township")})
    return pd.DataFrame(rows, columns=["id", "name", "county", "township"])


def village_linker(path: Path, hmap: HeaderMap, report: ValidationReport, matches: Path | None) -> NameLinker:
    """Return the linker of village names to the villages of ``path``, with the user's confirmed matches."""
    villages = read_villages(path, hmap, report)
    confirmed = read_confirmed(matches, "village", set(villages["id"]), report) if matches else {}
    return NameLinker(villages, "village", confirmed)


def header_key(text: object) -> tuple[str, str | None, str | None]:
    """Return a header's lookup key (normalised, unit removed, no spaces) and its stated amount unit."""
    key, unit, other = split_header("" if text is None else text)
    if unit is None and other is None:
        for sep in ("/", "／"):
            if sep in key:
                stem, tail = key.rsplit(sep, 1)
                stem_key, tail_unit, _ = split_header(f"{stem}({tail})")
                if tail_unit is not None:
                    return stem_key.replace(" ", ""), tail_unit, None
    return key.replace(" ", ""), unit, other


def find_header(grid: Grid, vocabulary: dict[str, str], needed: tuple[str, ...], report: ValidationReport,
                table: str, expected: str) -> tuple[int, dict[str, int], dict[str, str | None], str | None] | None:
    """Find the header row: the first of the first rows naming every ``needed`` field.

    A header may begin with a year (``2022年衔接资金（万元）``). When two columns name one field (``总投资`` and
    ``衔接资金``), the first is read and a warning names both: nothing is added up or chosen silently.

    Returns
    -------
    (row index, field → column, field → stated amount unit, title text above the header), or None (reported).
    """
    title_parts: list[str] = []
    for r, cells in enumerate(grid.cells[:HEADER_SEARCH_ROWS]):
        position: dict[str, int] = {}
        units: dict[str, str | None] = {}
        twice: list[tuple[str, int]] = []
        for c, cell in enumerate(cells):
            key, unit, _ = header_key(cell_text(cell) or "")
            name = vocabulary.get(key) or vocabulary.get(_LEADING_YEAR.sub("", key))
            if name is not None and name not in position:
                position[name] = c
                units[name] = unit
            elif name is not None:
                twice.append((name, c))
        if all(n in position for n in needed):
            for name, c in twice:
                first = cell_text(cells[position[name]])
                report.add(Problem.of("warning", table, grid.label, r + 1, cell_text(cells[c]), None,
                                      "column_twice", first=first, field=name, field_zh=FIELD_ZH.get(name, name)))
            return r, position, units, " ".join(title_parts) or None
        title_parts.extend(t for t in (cell_text(c) for c in cells) if t)
    report.add(Problem.of("error", table, grid.label, None, None, None, "no_header", rows=HEADER_SEARCH_ROWS,
                          expected=expected))
    return None


def merged_header_problems(grid: Grid, header_row: int, table: str, report: ValidationReport) -> bool:
    """Report a merged header cell spanning several columns (the header must name each column); True if any."""
    found = False
    for r1, c1, r2, c2 in grid.merged:
        if r1 <= header_row <= r2 and c2 > c1:
            value = cell_text(grid.cells[r1][c1]) if r1 < len(grid.cells) and c1 < len(grid.cells[r1]) else None
            span = f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
            report.add(Problem.of("error", table, grid.label, header_row + 1, column_letter(c1), value,
                                  "merged_header", range=span))
            found = True
    return found


def fill_merged(grid: Grid, header_row: int, table: str, report: ValidationReport,
                header: list[str]) -> dict[tuple[int, int], tuple[int, int]]:
    """Fill each merged range below the header with its top-left value, reporting each; return cell → range top.

    The returned map tells, for every filled cell, the first row of its range (so an amount merged over several
    rows is known to be one amount, not one per row).
    """
    origin: dict[tuple[int, int], tuple[int, int]] = {}
    for r1, c1, r2, c2 in grid.merged:
        if r1 <= header_row:
            continue
        value = grid.cells[r1][c1] if c1 < len(grid.cells[r1]) else None
        for r in range(r1, r2 + 1):
            row = grid.cells[r]
            for c in range(c1, c2 + 1):
                while len(row) <= c:
                    row.append(None)
                if (r, c) != (r1, c1):
                    row[c] = value
                origin[(r, c)] = (r1, c1)
        if r2 > r1 and value is not None:
            span = f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
            column = header[c1] if c1 < len(header) else column_letter(c1)
            report.add(Problem.of("warning", table, grid.label, r1 + 1, column, cell_text(value), "merged_filled",
                                  range=span, value=cell_text(value),
                                  rows=f"{r1 + 2}" if r2 == r1 + 1 else f"{r1 + 2}–{r2 + 1}"))
    return origin


def title_year(title: str | None, label: str) -> int | None:
    """Return a year written in the title rows above the header, or in the file name (``2022年项目库.xlsx``)."""
    for text in (title or "", label):
        match = _YEAR_IN_TITLE.search(text)
        if match:
            return int(match.group(1))
    return None


def write_import(result: ImportResult, out: Path, prefix: str, villages: Path | None) -> list[Path]:
    """Write the report and details into ``out/import``; and, without errors, the tables (and the villages).

    The villages file the names were linked to is copied into ``out`` when ``out`` has no villages table yet,
    so the folder validates as one set.
    """
    written = []
    details = out / IMPORT_DIR
    for name, text in sorted(result.details.items()):
        written.append(write_text(details / f"{prefix}_{name}", text))
    written.append(write_text(details / f"{prefix}_report.txt", result.report.format(lang="en") + "\n"))
    written.append(write_text(details / f"{prefix}_report_zh.txt", result.report.format(lang="zh") + "\n"))
    if not result.report.ok:
        return written
    for name, frame in result.tables.items():  # text a spreadsheet would run as a formula is neutralised
        written.append(write_csv(frame, out / f"{name}.csv"))
    if villages is not None and not any(normalize_key(p.stem) in ("villages", "村庄", "村庄基本情况")
                                        for p in out.iterdir() if p.is_file()):
        target = out / f"villages{Path(villages).suffix.lower()}"
        tmp = out / f".{target.name}.tmp"
        shutil.copyfile(villages, tmp)
        tmp.replace(target)
        written.append(target)
    return written


def link_details(linker: NameLinker) -> dict[str, str]:
    """Return the links and candidates files of a linker (``links.csv`` and ``candidates.csv``)."""
    return {"links.csv": links_text(linker.links), "candidates.csv": candidates_text(linker.candidate_rows)}
