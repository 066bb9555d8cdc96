"""Village codes (统计用区划代码) and the crosswalk of merged and renamed villages (合村并居).

A village's statistical division code has 12 digits: province (2), city (2), county (2) — the county code is the
first 6 — then township (3; the township code is the first 9) and village (3: 001–199 a residents' committee
居委会, 200–399 a villagers' committee 村委会). When the ``village_id`` column of the villages table holds such
codes (most of its identifiers are 12 digits), each is checked: its format, and its county and township prefixes
against the ``county`` and ``township`` columns where those carry codes (6 and 9 digits) or where a division-codes
file (``division_codes.csv``: ``code``, ``name``) gives the code of their names.

Codes change as villages merge (合村并居) and are renamed. The optional crosswalk (``crosswalk.csv``,
``区划代码变更.csv``; columns ``old_code``, ``new_code``, ``year`` and optionally ``change`` (merge/rename) and
``note``) says which code succeeded which, and when. It is checked — a cycle, a code mapped to two successors in
one year, a code changed again after it was retired, a code that is not a village of the villages table, each
reported with file, row, column and value — and applied when the panel is built: every record of a predecessor
(funding, postings, designations, outcomes) joins its final successor, the predecessor leaves the panel, and the
successor's ``merged_from`` column names the codes whose history it carries. The successor keeps its own row of
the villages table as its baseline (write the merged village's baseline there). The crosswalk may also be a sheet
of a records workbook. Without a crosswalk nothing changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.io import import_messages  # noqa: F401  (registers the messages)
from villageaid.io.headers import normalize_key
from villageaid.io.problems import Problem, ValidationReport
from villageaid.io.provenance import CROSSWALK_FILE
from villageaid.io.sheets import GRID_SUFFIXES, Grid, cell_text, read_grids
from villageaid.schema import YEAR_RANGE

VILLAGE_CODE = re.compile(r"^\d{12}$")
#: File stems (normalised) of the crosswalk and of the division-codes list.
CROSSWALK_STEMS = frozenset({"crosswalk", "code_crosswalk", "区划代码变更", "代码变更", "村庄代码变更", "合村并居",
                             "代码对照", "区划代码对照"})
DIVISION_CODE_STEMS = frozenset({"division_codes", "区划代码", "统计用区划代码"})
#: Accepted headers of the crosswalk (normalised) → column.
CROSSWALK_HEADERS: dict[str, str] = {
    "old_code": "old_code", "原代码": "old_code", "旧代码": "old_code", "原村代码": "old_code",
    "原区划代码": "old_code",
    "撤销代码": "old_code", "new_code": "new_code", "新代码": "new_code", "现代码": "new_code",
    "新村代码": "new_code", "新区划代码": "new_code", "并入代码": "new_code", "year": "year", "变更年份": "year",
    "年份": "year", "年度": "year", "change": "change", "变更类型": "change", "类型": "change",
    "note": "note", "备注": "note", "说明": "note",
}
CROSSWALK_CHANGES: dict[str, str] = {"merge": "merge", "合并": "merge", "撤并": "merge", "合村并居": "merge",
                                     "并入": "merge", "rename": "rename", "更名": "rename", "改名": "rename",
                                     "重新编码": "rename", "recode": "rename"}


def is_code_column(ids: pd.Series) -> bool:
    """Return True when most (at least half) of the distinct non-missing identifiers are 12-digit codes."""
    distinct = pd.Series(ids.dropna().astype(str).unique())
    return bool(len(distinct)) and float(distinct.str.fullmatch(r"\d{12}").mean()) >= 0.5


def code_problem(code: str) -> tuple[str, str, str] | None:
    """Return (message code, English detail, Chinese detail) of what is wrong with a village code, or None."""
    if not VILLAGE_CODE.match(code):
        digits = sum(ch.isdigit() for ch in code)
        return "code_format", f"{len(code)} characters, {digits} digits", f"{len(code)} 个字符，其中 {digits} 位数字"
    if code[6:9] == "000":
        return "code_format", "digits 7–9 are 000: a county's code, not a village's", "第 7–9 位为 000：是县级代码"
    if code[9:] == "000":
        return "code_format", "digits 10–12 are 000: a township's code, not a village's", \
            "第 10–12 位为 000：是乡级代码"
    if int(code[9:]) > 399:
        return "code_range", f"{code[9:]} is above 399", f"{code[9:]} 大于 399"
    return None


def read_division_codes(directory: Path, report: ValidationReport) -> dict[str, str]:
    """Read ``division_codes`` (code, name) if the folder has it: name → code of counties and townships."""
    mapping: dict[str, str] = {}
    code_names = ("code", "代码", "区划代码", "统计用区划代码")
    name_names = ("name", "名称", "单位名称", "区划名称")
    for grid in _grids_named(directory, DIVISION_CODE_STEMS, "villages", report):
        header, rows = _split_header(grid)
        keys = [normalize_key(h or "") for h in header]
        code_col = next((i for i, k in enumerate(keys) if k in code_names), None)
        name_col = next((i for i, k in enumerate(keys) if k in name_names), None)
        if code_col is None or name_col is None:
            report.add(Problem.of("error", "villages", grid.label, 1 if grid.has_header else None, None, None,
                                  "missing_import_column", what="code and name", what_zh="代码和名称",
                                  expected="code (代码), name (名称)"))
            continue
        for _, cells in rows:
            code = cell_text(cells[code_col]) if code_col < len(cells) else None
            name = cell_text(cells[name_col]) if name_col < len(cells) else None
            if code and name:
                mapping[normalize_key(name)] = code
    return mapping


def check_village_codes(villages: pd.DataFrame, report: ValidationReport,
                        division_codes: dict[str, str] | None = None) -> None:
    """Check a villages table's codes: format, and county/township prefixes against those columns.

    ``villages`` carries ``_file`` and ``_row`` (as during validation). Nothing is checked when its
    ``village_id`` column does not hold codes (:func:`is_code_column`). Vectorised over the rows (a national
    table has 500,000 villages); only the rows with a problem are visited one by one.
    """
    if villages.empty or "village_id" not in villages or not is_code_column(villages["village_id"]):
        return
    names = {normalize_key(k): v for k, v in (division_codes or {}).items()}
    text = villages["village_id"].astype("string")
    present = text.notna().to_numpy(dtype=bool)
    text = text.fillna("")
    twelve = text.str.fullmatch(r"\d{12}").to_numpy(dtype=bool)
    tail = text.str[9:]
    wrong = ~twelve | (text.str[6:9] == "000").to_numpy(dtype=bool) | (tail == "000").to_numpy(dtype=bool)
    wrong |= twelve & (pd.to_numeric(tail.where(twelve, "0"), errors="coerce").fillna(0).to_numpy() > 399)
    wrong &= present
    _report_rows(villages, np.flatnonzero(wrong), report, lambda i, code: [
        ("village_id", code, problem[0], {"detail": problem[1], "detail_zh": problem[2]})
        for problem in [code_problem(code)] if problem is not None])
    good = present & ~wrong
    for column, length, level_zh, column_zh in (("county", 6, "县级", "所属县"), ("township", 9, "乡级", "所属乡镇")):
        if column not in villages:
            continue
        stated = villages[column].astype("string")
        uniques = pd.Series(stated.dropna().unique(), dtype=object)
        lookup = {u: (u if re.fullmatch(rf"\d{{{length}}}", u) else names.get(normalize_key(u))) for u in uniques}
        expected = stated.map(lookup).astype("string")
        known = expected.notna().to_numpy(dtype=bool)
        differs = (text.str[:length] != expected.fillna("")).to_numpy(dtype=bool)
        rows = np.flatnonzero(good & known & differs)

        def one(i: int, code: str, column: str = column, length: int = length, level_zh: str = level_zh,
                column_zh: str = column_zh, stated: pd.Series = stated, expected: pd.Series = expected) -> list:
            written, wanted = str(stated.iat[i]), str(expected.iat[i])
            return [("village_id", code, "code_prefix",
                     {"level": column, "level_zh": level_zh, "prefix": code[:length], "column": column,
                      "column_zh": column_zh, "expected": written if written == wanted else f"{written} → {wanted}"})]

        _report_rows(villages, rows, report, one)


def _report_rows(villages: pd.DataFrame, rows: np.ndarray, report: ValidationReport, problems: object) -> None:
    """Report the problems of the given rows of the villages table (beyond what the report keeps: counted)."""
    file_of = villages["_file"]
    row_of = villages["_row"]
    for n, i in enumerate(rows):
        code = str(villages["village_id"].iat[i])
        for column, value, message, params in problems(i, code):  # type: ignore[operator]
            file = str(file_of.iat[i])
            if report.room("error", "villages", file, column, message) == 0:
                report.count_only("error", "villages", file, column, message, len(rows) - n)
                return
            report.add(Problem.of("error", "villages", file, int(row_of.iat[i]), column, value, message, **params))


# --- the crosswalk ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Crosswalk:
    """A checked crosswalk: one row per change, with where each row came from.

    Attributes
    ----------
    frame : DataFrame
        Columns ``old_code``, ``new_code``, ``year`` (int), ``change``, ``note``, ``source_file``, ``source_row``.
    """

    frame: pd.DataFrame

    def successors(self) -> dict[str, tuple[str, int]]:
        """Each old code → (its final successor after following every change, year of its first change)."""
        step = dict(zip(self.frame["old_code"], self.frame["new_code"], strict=True))
        first_year = dict(zip(self.frame["old_code"], self.frame["year"], strict=True))
        final: dict[str, tuple[str, int]] = {}
        for old in step:
            code, seen = old, {old}
            while code in step and step[code] not in seen:
                code = step[code]
                seen.add(code)
            final[old] = (code, int(first_year[old]))
        return final


def _files_named(directory: Path, stems: frozenset[str]) -> list[Path]:
    if not directory.is_dir():
        return []
    return [p for p in sorted(directory.iterdir())
            if p.is_file() and not p.name.startswith((".", "~$")) and p.suffix.lower() in GRID_SUFFIXES
            and normalize_key(p.stem) in stems]


def _grids_named(directory: Path, stems: frozenset[str], table: str, report: ValidationReport) -> list[Grid]:
    """Grids of the files named one of ``stems``, and of the sheets so named in the folder's other workbooks.

    A records workbook with a sheet per table may hold the crosswalk (or the division codes) as a sheet: it is
    read, not ignored. Only the sheet names of a workbook are read to find it.
    """
    import openpyxl

    grids: list[Grid] = []
    named = _files_named(directory, stems)
    for path in named:
        grids.extend(read_grids(path, table, report))
    if not directory.is_dir():
        return grids
    for path in sorted(directory.iterdir()):
        if path in named or path.suffix.lower() not in (".xlsx", ".xlsm") or path.name.startswith((".", "~$")):
            continue
        try:
            book = openpyxl.load_workbook(path, read_only=True)
            titles = list(book.sheetnames)
            book.close()
        except Exception:  # an unreadable workbook is reported by the reading of the records
            continue
        wanted = {f"{path.name}:{t}" for t in titles if normalize_key(t) in stems}
        if wanted:
            grids.extend(g for g in read_grids(path, table, report) if g.label in wanted)
    return grids


def _split_header(grid: Grid) -> tuple[list[str | None], list[tuple[int, list[object]]]]:
    """Return the header and the data rows (with their row numbers as the file shows them) of a grid."""
    if not grid.has_header:
        return list(grid.header), [(i + 1, row) for i, row in enumerate(grid.cells)]
    if not grid.cells:
        return [], []
    return ([cell_text(c) for c in grid.cells[0]],
            [(i + 2, row) for i, row in enumerate(grid.cells[1:]) if any(cell_text(c) for c in row)])


def read_crosswalk(directory: Path, report: ValidationReport) -> Crosswalk | None:
    """Read the crosswalk of ``directory`` (None when it has none); problems of its cells go into ``report``."""
    grids = _grids_named(directory, CROSSWALK_STEMS, "crosswalk", report)
    if not grids:
        return None
    records: list[dict[str, object]] = []
    for grid in grids:
        records.extend(_crosswalk_rows(grid, report))
    frame = pd.DataFrame(records, columns=["old_code", "new_code", "year", "change", "note", "source_file",
                                           "source_row", "old_header", "new_header"])
    frame["year"] = frame["year"].astype(np.int64)
    return Crosswalk(frame)


def _crosswalk_rows(grid: Grid, report: ValidationReport) -> list[dict[str, object]]:
    header, rows = _split_header(grid)
    position: dict[str, int] = {}
    for i, text in enumerate(header):
        column = CROSSWALK_HEADERS.get(normalize_key(text or ""))
        if column is not None and column not in position:
            position[column] = i
    if not {"old_code", "new_code", "year"} <= set(position):
        report.add(Problem.of("error", "crosswalk", grid.label, 1 if grid.has_header else None, None, None,
                              "crosswalk_columns", found=", ".join(str(h) for h in header if h) or "none"))
        return []
    low, high = YEAR_RANGE
    out = []
    for number, cells in rows:
        values = {c: cell_text(cells[i]) if i < len(cells) else None for c, i in position.items()}
        names = {c: header[i] or c for c, i in position.items()}
        if not (values["old_code"] and values["new_code"] and values["year"]):
            missing = next(c for c in ("old_code", "new_code", "year") if not values[c])
            report.add(Problem.of("error", "crosswalk", grid.label, number, names[missing], None, "crosswalk_missing"))
            continue
        year_text = str(values["year"]).removesuffix("年")
        if not re.fullmatch(r"\d{4}", year_text) or not low <= int(year_text) <= high:
            report.add(Problem.of("error", "crosswalk", grid.label, number, names["year"], str(values["year"]),
                                  "crosswalk_bad_year", low=low, high=high))
            continue
        change = values.get("change")
        if change is not None:
            normalized = CROSSWALK_CHANGES.get(normalize_key(change))
            if normalized is None:
                report.add(Problem.of("error", "crosswalk", grid.label, number, names["change"], change,
                                      "crosswalk_bad_change"))
                continue
            change = normalized
        out.append({"old_code": values["old_code"], "new_code": values["new_code"], "year": int(year_text),
                    "change": change or "merge", "note": values.get("note"), "source_file": grid.label,
                    "source_row": number, "old_header": _as_written(names["old_code"], "old_code"),
                    "new_header": _as_written(names["new_code"], "new_code")})
    return out


def _as_written(header: str, column: str) -> str:
    """Return a column as the file names it, with its schema name in brackets when they differ."""
    return header if header == column else f"{header} ({column})"


def check_crosswalk(crosswalk: Crosswalk, village_ids: pd.Index, report: ValidationReport, *,
                    codes: bool = False) -> None:
    """Report unknown codes, two successors in one year, a change after retirement and cycles.

    Parameters
    ----------
    crosswalk : Crosswalk
    village_ids : Index
        The villages table's identifiers (predecessors and successors both belong there).
    report : ValidationReport
    codes : bool
        Whether the identifiers are statistical division codes (then each crosswalk code's format is checked).
    """
    frame = crosswalk.frame
    known = set(village_ids.astype(str))
    for row in frame.itertuples(index=False):
        for code, header in ((row.old_code, row.old_header), (row.new_code, row.new_header)):
            if codes and (problem := code_problem(code)) is not None:
                report.add(Problem.of("error", "crosswalk", row.source_file, row.source_row, header, code,
                                      problem[0], detail=problem[1], detail_zh=problem[2]))
            elif known and code not in known:
                report.add(Problem.of("error", "crosswalk", row.source_file, row.source_row, header, code,
                                      "crosswalk_unknown", code=code))
    first: dict[str, tuple[str, int, int]] = {}  # old code → (new code, year, row) of its first change
    for row in frame.sort_values(["year", "source_row"], kind="stable").itertuples(index=False):
        if row.old_code not in first:
            first[row.old_code] = (row.new_code, row.year, row.source_row)
            continue
        new, year, first_row = first[row.old_code]
        if year == row.year and new != row.new_code:
            report.add(Problem.of("error", "crosswalk", row.source_file, row.source_row, row.new_header, row.new_code,
                                  "crosswalk_two_successors", code=row.old_code, year=year, first=new,
                                  first_row=first_row, second=row.new_code))
        elif year != row.year:
            report.add(Problem.of("error", "crosswalk", row.source_file, row.source_row, row.old_header, row.old_code,
                                  "crosswalk_retired", code=row.old_code, year=year, first_row=first_row))
    step = {old: new for old, (new, _, _) in first.items()}
    row_of = {old: r for old, (_, _, r) in first.items()}
    file_of = dict(zip(frame["old_code"], frame["source_file"], strict=True))
    header_of = dict(zip(frame["old_code"], frame["new_header"], strict=True))
    reported: set[str] = set()
    for start in step:
        path, code = [start], step[start]
        while code in step and code not in path:
            path.append(code)
            code = step[code]
        if code in path and code not in reported:  # a cycle through ``code``
            cycle = path[path.index(code):]
            reported.update(cycle)
            report.add(Problem.of("error", "crosswalk", file_of[code], row_of[code], header_of[code], step[code],
                                  "crosswalk_cycle", path=" → ".join([*cycle, code])))


# --- applying it to the panel's inputs ---------------------------------------------------------------

_SUMMED_OUTCOMES = ("collective_income",)


def apply_crosswalk(tables: dict[str, pd.DataFrame], crosswalk: Crosswalk) -> tuple[dict[str, pd.DataFrame],
                                                                                   dict[str, list[str]]]:
    """Re-key every record of a predecessor to its final successor and drop predecessors from the villages.

    Funding adds up; postings and designations move as they are (a posting to a predecessor is part of the
    successor's history; a designation kept once); outcomes of one year reported by several merged villages
    combine: collective income is summed, per-capita income is the population-weighted mean (missing where a
    population is not recorded) and an industry is active if any of them reports it active.

    Returns
    -------
    tables : dict of str to DataFrame
        The tables with predecessors folded into successors.
    merged_from : dict of str to list of str
        Successor → the codes whose history it carries, sorted.
    """
    final = {old: new for old, (new, _) in crosswalk.successors().items() if new != old}
    if not final:
        return tables, {}
    merged_from: dict[str, list[str]] = {}
    for old, new in sorted(final.items()):
        merged_from.setdefault(new, []).append(old)
    out = dict(tables)
    villages = tables["villages"]
    population = villages.set_index(villages["village_id"].astype(object))["population"] \
        if "population" in villages else None
    out["villages"] = villages.loc[~villages["village_id"].astype(object).isin(final)].reset_index(drop=True)

    def rekey(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        ids = frame["village_id"].astype(object)
        successor = ids.map(final)  # a dictionary lookup per row in C, not a Python call
        frame["village_id"] = successor.where(successor.notna(), ids)
        return frame

    for name in ("assignments", "funding"):
        out[name] = rekey(tables[name])
    designations = rekey(tables["designations"])
    out["designations"] = designations.drop_duplicates(["village_id", "year", "kind"]).reset_index(drop=True)
    outcomes = tables["outcomes"]
    if not outcomes.empty:
        out["outcomes"] = _combine_outcomes(rekey(outcomes), outcomes, population)
    return out, merged_from


def _combine_outcomes(combined: pd.DataFrame, original: pd.DataFrame, population: pd.Series | None
                      ) -> pd.DataFrame:
    """Combine the outcomes of one year that several merged villages report (vectorised; the rest pass as they are).

    Collective income is summed (missing if any of them is missing: an unknown part cannot be added), per-capita
    income is the mean weighted by the villages' populations (missing if a population or an income is missing),
    and the industry is active if any of them reports it active (missing when none does and one is unknown).
    """
    weights = (original["village_id"].astype(object).map(population).astype(float).to_numpy()
               if population is not None else np.full(len(original), np.nan))
    keys = ["village_id", "year"]
    repeated = combined.duplicated(keys, keep=False).to_numpy()
    if not repeated.any():
        return combined
    part = combined.loc[repeated, keys].copy()
    income = combined.loc[repeated, "collective_income"].astype(float)
    per_capita = combined.loc[repeated, "per_capita_income"].astype(float)
    active = combined.loc[repeated, "industry_active"].astype("boolean")
    part["_ci"] = income.fillna(0.0)
    part["_ci_missing"] = income.isna()
    part["_w"] = weights[repeated]
    part["_wx"] = part["_w"] * per_capita
    part["_pc_missing"] = per_capita.isna() | np.isnan(part["_w"])
    part["_true"] = active.fillna(False).astype(bool)
    part["_unknown"] = active.isna()
    group = part.groupby(keys, sort=False)
    summary = group.agg(_ci=("_ci", "sum"), _ci_missing=("_ci_missing", "any"), _wx=("_wx", "sum"),
                        _w=("_w", "sum"), _pc_missing=("_pc_missing", "any"), _true=("_true", "any"),
                        _unknown=("_unknown", "any")).reset_index()
    result = summary[keys].copy()
    result["collective_income"] = summary["_ci"].where(~summary["_ci_missing"])
    result["per_capita_income"] = (summary["_wx"] / summary["_w"]).where(~summary["_pc_missing"])
    industry = pd.array(summary["_true"].to_numpy(), dtype="boolean")
    industry[(~summary["_true"] & summary["_unknown"]).to_numpy()] = pd.NA
    result["industry_active"] = industry
    single = combined.loc[~repeated]
    return pd.concat([single, result.reindex(columns=single.columns)], ignore_index=True)


def add_merged_from(panel: pd.DataFrame, merged_from: dict[str, list[str]]) -> pd.DataFrame:
    """Add ``merged_from``: the codes whose history each village carries (``;``-joined; empty when none)."""
    labels = {new: ";".join(olds) for new, olds in merged_from.items()}
    panel["merged_from"] = panel["village_id"].astype(object).map(labels).fillna("").astype(object)
    panel.attrs["merged_from"] = {new: list(olds) for new, olds in sorted(merged_from.items())}
    return panel


def check_directory_codes(directory: Path, tables: dict[str, pd.DataFrame],
                          report: ValidationReport) -> Crosswalk | None:
    """Read and check the crosswalk of a folder of records (its villages already validated)."""
    crosswalk = read_crosswalk(directory, report)
    if crosswalk is None:
        return None
    ids = pd.Index(tables["villages"]["village_id"].dropna().astype(str))
    check_crosswalk(crosswalk, ids, report, codes=is_code_column(tables["villages"]["village_id"]))
    return crosswalk


#: File name of the crosswalk in a validated set (written by ``validate --out`` beside the tables).
VALIDATED_CROSSWALK = CROSSWALK_FILE


def crosswalk_set_tables(crosswalk: Crosswalk | None) -> dict[str, pd.DataFrame]:
    """Return the checked crosswalk as a validated set's extra file (none without one).

    Given to :func:`villageaid.io.provenance.write_validated_set`, whose ``provenance.json`` then lists its
    SHA-256 with the tables', so that the panel can prove it is the crosswalk validation checked.
    """
    return {} if crosswalk is None else {VALIDATED_CROSSWALK: crosswalk.frame.reset_index(drop=True)}


def read_validated_crosswalk(folder: Path, villages: pd.DataFrame) -> Crosswalk | None:
    """Read a validated set's crosswalk (None without one) and check it again against its villages.

    The set's hashes were checked by :func:`villageaid.io.provenance.read_validated_set` (which lists the
    crosswalk among them).

    Raises
    ------
    ValueError
        If the crosswalk no longer fits the villages (its report in the message).
    """
    path = Path(folder) / VALIDATED_CROSSWALK
    if not path.is_file():
        return None
    crosswalk = Crosswalk(pd.read_parquet(path))
    report = ValidationReport()
    check_crosswalk(crosswalk, pd.Index(villages["village_id"].dropna().astype(str)), report,
                    codes=is_code_column(villages["village_id"]))
    if not report.ok:
        raise ValueError(f"{path}: {report.format(max_lines=20)}")
    return crosswalk


def build_panel_with_crosswalk(tables: dict[str, pd.DataFrame], options: object = None,
                               crosswalk: Crosswalk | None = None) -> pd.DataFrame:
    """Build the panel, folding merged villages into their successors first when a crosswalk is given.

    Without a crosswalk this is :func:`villageaid.panel.village_year.build_panel` itself (the same frame).
    """
    from villageaid.panel.village_year import build_panel

    if crosswalk is None:
        return build_panel(tables, options)  # type: ignore[arg-type]
    folded, merged_from = apply_crosswalk(tables, crosswalk)
    return add_merged_from(build_panel(folded, options), merged_from)  # type: ignore[arg-type]
