"""Import first-secretary and work-team announcement lists into units and assignments (``villageaid import roster``).

An announcement list (第一书记 / 驻村工作队 公示名单) names each cadre, the sending unit (派出单位, free text:
``X市财政局``, ``Y县农业农村局``), the post (第一书记, 队长, 队员) and the village (a name, often with its township).
It becomes:

- ``units``: one row per distinct unit name (compared after NFKC and without white space), ``unit_id`` ``U001``,
  … in order of first appearance; its **level** from a 单位层级 column where the list has one, else from the name
  (the rules of :func:`villageaid.io.normalize.classify_level` and the user's ``[levels]`` map of a header map): a
  name that names two levels (``市县联合工作组``) or none is an error — reported, never guessed; its
  **strength** (强势职能部门 / 一般部门 / 边缘部门) from the department its name names (:data:`STRENGTH_WORDS`,
  extended by a ``[strength]`` section of a header map: ``"乡村振兴局" = "strong"``): a name naming departments of
  two strengths, or none known, leaves strength empty with a warning; its **sector** from words such as 公司/银行
  (enterprise), 医院/学校/中心 (public institution), 组织部/宣传部 (party), 局/委员会/办公室 (government).
- ``assignments``: ``cadre_id`` (a salted hash of the name: names never reach the tables), ``unit_id``,
  ``village_id`` (the village name linked as :mod:`villageaid.io.linking` does), role, start date (a 驻村时间
  column or ``--start-date``), no end date.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villageaid.io.headers import HeaderMap
from villageaid.io.importers.common import (
    ImportResult,
    fill_merged,
    find_header,
    link_details,
    read_list,
    village_linker,
)
from villageaid.io.linking import NameLinker, candidates_text, links_text, read_confirmed
from villageaid.io.normalize import classify_level, parse_dates
from villageaid.io.problems import Problem, ValidationReport
from villageaid.io.pseudonym import pseudonymize
from villageaid.io.sheets import cell_text, read_grids
from villageaid.schema import ASSIGNMENTS, UNIT_STRENGTHS, UNITS

ROSTER_HEADERS: dict[str, str] = {}
for _field, _words in {
    "name": "姓名 名字 干部姓名 name",
    "unit": "派出单位 选派单位 工作单位 单位 原单位 帮扶单位 所在单位 单位名称 unit unit_name",
    "level": "单位层级 层级 单位级别 level",
    "post": "驻村职务 驻村职责 拟任职务 职务 岗位 身份 role post",
    "village": "驻村 所驻村 驻村村名 派驻村 帮扶村 村 村名 驻村名称 village",
    "township": "乡镇 所属乡镇 驻村乡镇 township",
    "county": "县 县区 所属县 county",
    "start": "驻村时间 选派时间 开始时间 到村时间 驻村开始时间 start_date",
}.items():
    for _word in _words.split():
        ROSTER_HEADERS[_word] = _field

#: Departments by strength (强势职能部门 / 一般部门 / 边缘部门), as unit names write them.
STRENGTH_WORDS: dict[str, tuple[str, ...]] = {
    "strong": ("发展和改革", "发展改革", "发改委", "财政局", "财政厅", "交通运输", "交通局", "农业农村",
               "住房和城乡建设", "住建局", "水利局", "水利厅", "水务局", "乡村振兴局", "自然资源和规划"),
    "general": ("民政局", "民政厅", "教育局", "教育厅", "卫生健康", "卫健委", "商务局", "商务厅", "文化和旅游",
                "文旅局", "人力资源和社会保障", "人社局", "自然资源局", "自然资源厅", "生态环境", "林业",
                "市场监督管理",
                "应急管理", "司法局", "统计局"),
    "marginal": ("档案", "地方志", "科学技术协会", "科协", "妇女联合会", "妇联", "文学艺术界联合会", "文联",
                 "残疾人联合会", "残联", "工商业联合会", "工商联", "红十字会", "供销合作社"),
}
_SECTOR_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("enterprise", re.compile("公司|集团|银行|支行|分行|有限|企业")),
    ("public_institution", re.compile("医院|学校|大学|学院|中学|小学|研究院|研究所|中心|站$|馆$|党校")),
    ("party", re.compile("组织部|宣传部|统战部|政法委|纪委|纪律检查委员会|机关工委|党委办公室|委办|编办")),
    ("government", re.compile("局|厅|委员会|办公室|政府|办$|部$|委$")),
)
_UNIT_COLUMNS = list(UNITS.column_names)
_ASSIGNMENT_COLUMNS = list(ASSIGNMENTS.column_names)


def strength_words(header_maps: list[Path] | tuple[Path, ...] = ()) -> dict[str, tuple[str, ...]]:
    """Return the department words of each strength, with the ``[strength]`` sections of the user's header maps.

    Raises
    ------
    ValueError
        If a header map cannot be read or maps a word to an unknown strength.
    """
    words = {strength: list(found) for strength, found in STRENGTH_WORDS.items()}
    for path in header_maps:
        try:
            content = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read header map: {exc}") from exc
        for word, strength in content.get("strength", {}).items():
            if strength not in UNIT_STRENGTHS:
                raise ValueError(f"{path}: [strength] {word!r} maps to unknown strength {strength!r}; expected one "
                                 f"of {', '.join(UNIT_STRENGTHS)}")
            for found in words.values():  # the user's word wins over the shipped one
                if word in found:
                    found.remove(word)
            words[strength].append(str(word))
    return {strength: tuple(found) for strength, found in words.items()}


def unit_strength(name: str, words: dict[str, tuple[str, ...]]) -> tuple[str | None, tuple[str, ...]]:
    """Return the strength a unit's name names: (strength, ()) or (None, the strengths named when two or more)."""
    named = tuple(s for s, found in words.items() if any(w in name for w in found))
    return (named[0], ()) if len(named) == 1 else (None, named)


def unit_sector(name: str) -> str | None:
    """Return the sector a unit's name shows (enterprise, public institution, party, government), or None."""
    return next((sector for sector, pattern in _SECTOR_RULES if pattern.search(name)), None)


def name_level(text: str, user_levels: dict[str, str]) -> tuple[str | None, tuple[str, ...]]:
    """Return the level a unit's name (or level cell) names, by :func:`classify_level`'s rules.

    A name that begins as a central unit but names a lower administrative area too (``中国农业银行W县支行``,
    ``国家税务总局W县税务局``: a central system's county branch) names two levels: ambiguous, never guessed — unless
    the user's ``[levels]`` map gives it (matched on the name without spaces).
    """
    raw = text.strip().replace(" ", "").replace("\u3000", "")
    if raw in user_levels:
        return user_levels[raw], ()
    return classify_level(text, user_levels)


def _unit_key(name: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", name) if not ch.isspace())


def _role(text: str | None, hmap: HeaderMap) -> str | None:
    if text is None:
        return None
    key = unicodedata.normalize("NFKC", text).replace(" ", "")
    if "第一书记" in key:
        return "first_secretary"
    mapped = hmap.value_for("role", key)
    if mapped:
        return mapped
    return "team_member" if re.search("队员|队长|工作队", key) else None


def import_roster(files: list[Path], villages: Path, *, hmap: HeaderMap, salt: bytes | None,
                  header_maps: list[Path] | tuple[Path, ...] = (), matches: Path | None = None,
                  start_date: str | None = None, county: str | None = None,
                  units_file: Path | None = None) -> ImportResult:
    """Read announcement lists and return the units and assignments they give, and the report.

    Parameters
    ----------
    files : list of Path
        Announcement lists (CSV or Excel; every sheet of a workbook is a list).
    villages : Path
        The villages table village names are linked to.
    hmap : HeaderMap
        Header map: its ``[levels]`` map classifies unit levels, its role values the posts.
    salt : bytes or None
        The user's salt: names become pseudonymous cadre ids (required).
    header_maps : list of Path
        The user's header-map files, whose ``[strength]`` sections extend :data:`STRENGTH_WORDS`.
    matches : Path, optional
        The candidates file with the user's confirmations.
    start_date : str, optional
        Start date of postings of lists without a start-date column (the announcement's date).
    county : str, optional
        The county of lists without a county column.
    units_file : Path, optional
        A units table the unit names are linked to (exact, normalised, or a confirmed candidate): a linked name
        is that unit; a name it does not hold becomes a new unit, with a warning naming the close ones (written
        to the candidates file: confirm one to use it instead). The output units table is this table's rows
        followed by the new units.
    """
    result = ImportResult()
    report = result.report
    linker = village_linker(villages, hmap, report, matches)
    words = strength_words(header_maps)
    units: dict[str, dict[str, object]] = {}
    book = _UnitBook(units, hmap, words, report)
    if units_file is not None:
        book.load(Path(units_file), matches)
    postings: list[dict[str, object]] = []
    origins: list[dict[str, object]] = []
    if salt is None:
        report.add(Problem.of("error", "assignments", ", ".join(Path(f).name for f in files), None, None, None,
                              "name_no_salt", env="VILLAGEAID_SALT"))
    for path in files:
        for grid in read_list(Path(path), "assignments", report):
            found = find_header(grid, ROSTER_HEADERS, ("name", "unit", "post", "village"), report, "assignments",
                                "姓名, 派出单位, 驻村职务, 驻村村名")
            if found is None:
                continue
            header_row, position, _, _ = found
            header = [cell_text(c) or "" for c in grid.cells[header_row]]
            fill_merged(grid, header_row, "assignments", report, header)

            def cell(cells: list[object], name: str, position: dict[str, int] = position) -> str | None:
                i = position.get(name)
                return cell_text(cells[i]) if i is not None and i < len(cells) else None

            for r in range(header_row + 1, len(grid.cells)):
                cells = grid.cells[r]
                if not any(cell_text(c) for c in cells):
                    continue
                line = r + 1
                name, unit_name, post, village = (cell(cells, k) for k in ("name", "unit", "post", "village"))
                ok = True
                for field_name, value in (("name", name), ("unit", unit_name), ("post", post), ("village", village)):
                    if value is None:
                        report.add(Problem.of("error", "assignments", grid.label, line,
                                              header[position[field_name]], None, "required_missing"))
                        ok = False
                if not ok:
                    continue
                unit_id = book.unit(unit_name, cell(cells, "level"), grid.label, line,  # type: ignore[arg-type]
                                    header[position["unit"]],
                                    header[position["level"]] if "level" in position else None)
                role = _role(post, hmap)
                if role is None:
                    report.add(Problem.of("error", "assignments", grid.label, line, header[position["post"]], post,
                                          "unknown_role"))
                village_id = linker.resolve(village, report, table="assignments", file=grid.label, row=line,  # type: ignore[arg-type]
                                            column=header[position["village"]],
                                            county=cell(cells, "county") or county,
                                            township=cell(cells, "township"),
                                            candidates_file="import/roster_candidates.csv")
                start = cell(cells, "start") or start_date
                if start is None:
                    report.add(Problem.of("error", "assignments", grid.label, line, None, None, "roster_no_date"))
                    continue
                dates, bad = parse_dates(pd.Series([start], dtype=object))
                if bad[0] or pd.isna(dates.iloc[0]):
                    column = header[position["start"]] if "start" in position else "--start-date"
                    report.add(Problem.of("error", "assignments", grid.label, line, column, start, "bad_date"))
                    continue
                if unit_id is None or role is None or village_id is None:
                    continue
                postings.append({"name": name, "unit_id": unit_id, "village_id": village_id, "role": role,
                                 "start_date": pd.Timestamp(dates.iloc[0]).date().isoformat(), "end_date": None})
                origins.append({"assignments_row": len(postings) + 1, "file": grid.label, "row": line})
    assignments = pd.DataFrame(postings, columns=["name", *_ASSIGNMENT_COLUMNS[1:]])
    if salt is not None and len(assignments):
        assignments.insert(0, "cadre_id", pseudonymize(assignments.pop("name"), salt))
    else:
        assignments = assignments.drop(columns="name").reindex(columns=_ASSIGNMENT_COLUMNS)
    new_units = pd.DataFrame([u for u in units.values() if u["unit_id"] is not None and not u.get("given")],
                             columns=_UNIT_COLUMNS)
    result.tables["units"] = (pd.concat([book.given, new_units], ignore_index=True) if len(book.given)
                              else new_units.reset_index(drop=True))
    result.tables["assignments"] = assignments[_ASSIGNMENT_COLUMNS]
    result.details.update(link_details(linker))
    if book.linker is not None:
        result.details["units_links.csv"] = links_text(book.linker.links)
        result.details["units_candidates.csv"] = candidates_text(book.linker.candidate_rows)
    result.details["rows.csv"] = pd.DataFrame(origins, columns=["assignments_row", "file", "row"]).to_csv(
        index=False, lineterminator="\n")
    return result


@dataclass
class _UnitBook:
    """The units of an import: those of a given units table and those added from the lists' names."""

    units: dict[str, dict[str, object]]
    hmap: HeaderMap
    words: dict[str, tuple[str, ...]]
    report: ValidationReport
    given: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_UNIT_COLUMNS))
    linker: NameLinker | None = None

    def load(self, path: Path, matches: Path | None) -> None:
        """Read a units table (schema headers or the header map's forms) to link unit names to."""
        rows = []
        for grid in read_grids(path, "units", self.report)[:1]:
            header = grid.header if not grid.has_header else [cell_text(c) or "" for c in grid.cells[0]]
            body = grid.cells if not grid.has_header else grid.cells[1:]
            position: dict[str, int] = {}
            for i, text in enumerate(header):
                column = self.hmap.resolve("units", text).column
                if column in _UNIT_COLUMNS and column not in position:
                    position[column] = i
            if not {"unit_id", "unit_name"} <= set(position):
                self.report.add(Problem.of("error", "units", grid.label, 1, None, None, "missing_import_column",
                                           what="unit_id and unit_name", what_zh="派出单位编号和派出单位名称",
                                           expected="派出单位编号 (unit_id), 派出单位名称 (unit_name)"))
                continue
            for cells in body:
                values = {c: cell_text(cells[i]) if i < len(cells) else None for c, i in position.items()}
                if values.get("unit_id"):
                    rows.append(values)
        self.given = pd.DataFrame(rows, columns=_UNIT_COLUMNS)
        targets = pd.DataFrame({"id": self.given["unit_id"], "name": self.given["unit_name"]})
        confirmed = read_confirmed(matches, "unit", set(targets["id"]), self.report) if matches else {}
        self.linker = NameLinker(targets, "unit", confirmed, suffixes=())

    def unit(self, name: str, level_text: str | None, label: str, line: int, unit_column: str,
             level_column: str | None) -> str | None:
        """Return the unit_id of a unit name, adding the unit (its level, sector and strength) on first sight."""
        key = _unit_key(name)
        if key in self.units:
            return self.units[key]["unit_id"]  # type: ignore[return-value]
        report = self.report
        if self.linker is not None:
            found = self.linker.link(name)
            self.linker.links.append({"kind": "unit", "file": label, "row": line, "column": unit_column,
                                      "county": "", "township": "", "name": name, "id": found.target or "",
                                      "method": found.method if found.target else "new"})
            if found.target is not None:
                self.units[key] = {"unit_id": found.target, "given": True}
                return found.target
            for cid, cname, score in found.candidates:
                self.linker.candidate_rows.append({"kind": "unit", "file": label, "row": line, "column": unit_column,
                                                   "county": "", "township": "", "name": name, "candidate_id": cid,
                                                   "candidate_name": cname, "score": score, "confirm": ""})
            if found.candidates:
                report.add(Problem.of("warning", "units", label, line, unit_column, name, "unit_new",
                                      candidates=", ".join(f"{n} ({i})" for i, n, _ in found.candidates)))
        level, named = name_level(level_text if level_text else name, self.hmap.levels)
        column, value = (level_column, level_text) if level_text else (unit_column, name)
        taken = set(self.given["unit_id"]) | {u["unit_id"] for u in self.units.values()}
        number = sum(u["unit_id"] is not None and not u.get("given") for u in self.units.values()) + 1
        while f"U{number:03d}" in taken:
            number += 1
        unit_id = f"U{number:03d}"
        if level is None:
            if named:
                report.add(Problem.of("error", "units", label, line, column, value, "unit_level_ambiguous",
                                      levels=", ".join(named), level_list=named))
            else:
                report.add(Problem.of("error", "units", label, line, column, value, "unit_level_unknown"))
            self.units[key] = {"unit_id": None}
            return None
        strength, strengths = unit_strength(name, self.words)
        if strength is None:
            if strengths:
                report.add(Problem.of("warning", "units", label, line, unit_column, name, "unit_strength_ambiguous",
                                      strengths=", ".join(strengths)))
            else:
                report.add(Problem.of("warning", "units", label, line, unit_column, name, "unit_strength_unknown"))
        self.units[key] = {"unit_id": unit_id, "level": level, "unit_name": name, "sector": unit_sector(name),
                           "strength": strength}
        return unit_id
