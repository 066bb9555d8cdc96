"""Import county project lists into funding rows (``villageaid import projects``).

A project list (项目库) of the transition funds (衔接推进乡村振兴补助资金) or a plan of the pooled agricultural
funds of 2016–2020 (统筹整合涉农资金) has one row per project: its name, township and village(s), amount and often
year, source and type. Read from CSV or Excel (every sheet), it becomes rows of the ``funding`` table:

- **amounts** in the unit the amount header states (``资金（万元）``, ``金额（元）``, ``投资/元``; an amount cell may
  carry its own unit, ``12万元``); converted to 万元. A header without a unit is an error unless
  ``--amount-unit`` is given.
- **merged cells** (Excel) are filled with their top-left value, each reported; an amount merged over several
  rows is one project's amount shared by the villages of those rows.
- **subtotal and total rows** (小计, 合计, 总计) are detected, checked against the rows they sum (a subtotal: the
  projects since the previous subtotal; a total: all projects of the sheet) — a total that does not add up is an
  error — and excluded.
- **several villages per project** (``甲村、乙村（40%）``, or several rows of a merged project): the amount is split
  by the stated shares (percentages, or amounts in 万元/元 that must add up to the project's), or equally, with a
  warning, when none is stated.
- **the same project in two ledgers** (the same name and year in two files or sheets) is flagged: a warning, or an
  error when the villages and amount are the same too (it would be counted twice).
- **village names** are linked to the villages table's identifiers (:mod:`villageaid.io.linking`).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from villageaid.io.headers import AMOUNT_FACTORS, AMOUNT_LABELS, HeaderMap, parse_unit
from villageaid.io.importers.common import (
    ImportResult,
    fill_merged,
    find_header,
    link_details,
    merged_header_problems,
    read_list,
    title_year,
    village_linker,
)
from villageaid.io.linking import NameLinker, split_names
from villageaid.io.problems import Problem, ValidationReport
from villageaid.io.sheets import cell_text
from villageaid.io.write import neutralize_frame
from villageaid.schema import FUNDING, FUNDING_SOURCES

#: Headers of a project list (normalised, without unit and spaces) → field.
PROJECT_HEADERS: dict[str, str] = {}
for _field, _words in {
    "project": "项目名称 项目 项目名 建设项目 project project_name",
    "county": "县 县区 县(区) 所属县 county",
    "township": "乡镇 乡(镇) 乡镇(街道) 所属乡镇 实施乡镇 township",
    "village": "村 村名 实施村 受益村 项目村 村(社区) 建设地点 实施地点 项目地点 所在村 village",
    "amount": "资金 金额 投资 投资额 总投资 计划投资 补助资金 资金规模 财政衔接资金 衔接资金 衔接推进乡村振兴补助资金 "
              "整合资金 统筹整合资金 财政资金 项目资金 amount",
    "year": "年度 年份 实施年度 项目年度 year",
    "source": "资金来源 来源 source",
    "type": "项目类型 项目类别 类别 类型 project_type",
    "share": "分配比例 比例 占比 份额 share",
}.items():
    for _word in _words.split():
        PROJECT_HEADERS[_word] = _field

#: Chinese project types → the funding table's types (schema.PROJECT_NEED); others are kept as written.
PROJECT_TYPES: dict[str, str] = {
    "产业发展": "industry", "产业": "industry", "产业类": "industry", "产业发展类": "industry",
    "基础设施": "infrastructure", "基础设施类": "infrastructure", "乡村建设": "infrastructure",
    "农村基础设施": "infrastructure", "公共服务": "public_service", "公共服务类": "public_service",
    "饮水安全": "water", "农村饮水": "water", "水利": "water", "住房": "housing", "危房改造": "housing",
    "住房安全": "housing", "教育": "education", "教育帮扶": "education", "消费帮扶": "consumption_assistance",
}
#: Funding sources of a project list: the transition funds and pooled funds come from higher government.
PROJECT_SOURCES: dict[str, str] = {
    "中央衔接资金": "higher", "中央财政衔接资金": "higher", "省级衔接资金": "higher", "市级衔接资金": "higher",
    "衔接资金": "higher", "财政衔接资金": "higher", "衔接推进乡村振兴补助资金": "higher", "统筹整合资金": "higher",
    "整合资金": "higher", "中央": "higher", "省级": "higher", "上级": "higher", "县级": "county",
    "县本级": "county", "县级配套": "county", "县级财政": "county", "社会": "social", "社会资金": "social",
    "企业": "social", "派出单位": "unit", "帮扶单位": "unit", "单位自筹": "unit",
}
_TOTAL = re.compile("小计|合计|总计")
_CELL_UNIT = re.compile(r"^\s*([-+]?[\d,]*\.?\d+)\s*(万元|万|元|千元|亿元)?\s*$")
_FUNDING_COLUMNS = list(FUNDING.column_names)


def _amount(value: object, factor: float | None) -> tuple[float | None, str | None]:
    """Return an amount in 万元 from a cell and the header's factor; (None, reason) when it cannot be read."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if factor is None:
            return None, "no_amount_unit"
        return float(value) * factor, None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _CELL_UNIT.match(text)
    if not match or (match.group(1).count(",") and not re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?",
                                                                    match.group(1))):
        return None, "not_amount"
    number = float(match.group(1).replace(",", ""))
    if match.group(2):
        return number * parse_unit(match.group(2)).factor, None
    if factor is None:
        return None, "no_amount_unit"
    return number * factor, None


def _year(value: object) -> int | None:
    text = cell_text(value)
    if text is None:
        return None
    match = re.fullmatch(r"(20\d\d|19\d\d)(\s*年(度)?)?", text)
    return int(match.group(1)) if match else None


def _source(text: str | None, hmap: HeaderMap) -> str | None:
    if text is None:
        return None
    key = unicodedata.normalize("NFKC", text).replace(" ", "")
    if key in FUNDING_SOURCES:
        return key
    return PROJECT_SOURCES.get(key) or hmap.value_for("source", key)


def _project_type(text: str | None) -> str | None:
    if text is None:
        return None
    key = unicodedata.normalize("NFKC", text).replace(" ", "")
    return PROJECT_TYPES.get(key, text)


def _split(amount: float, villages: list[tuple[str, float | None, str | None]],
           row_shares: list[tuple[float, str | None] | None], factor: float | None
           ) -> tuple[list[float] | None, str | None, str]:
    """Split a project's amount (万元) among its villages: by the stated shares, else equally.

    A share is stated in a village's cell (``红星村（60%）``, ``红星村（24万元）``) or in a share column
    (分配比例). With a unit (%, 万元, 元) it is read in that unit. A bare number is read as a percentage when
    the numbers add up to 100, as an amount in the header's unit when they add up to the project's amount, as a
    fraction when they add up to 1 — and is an error otherwise (never guessed).

    Returns (amounts, problem code or None, detail): amounts None when the stated shares are unusable.
    """
    n = len(villages)
    stated: list[tuple[float, str | None] | None] = [(s, u) if s is not None else None for _, s, u in villages]
    if all(s is None for s in stated) and any(s is not None for s in row_shares):
        stated = list(row_shares)
    if all(s is None for s in stated):
        return [amount / n] * n, ("split_equally" if n > 1 else None), ""
    if any(s is None for s in stated):
        return None, "shares_bad", "some villages have a share and some do not"
    values = [s[0] for s in stated]  # type: ignore[index]
    units = {s[1] for s in stated}  # type: ignore[index]
    total = sum(values)
    if len(units) > 1:
        return None, "shares_bad", "shares in mixed units"
    unit = units.pop()

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-6 * max(1.0, abs(b))

    if unit in ("%", "％"):
        return ([amount * v / 100 for v in values], None, "") if close(total, 100) else (None, "shares_bad",
                                                                                          f"{total:g}%")
    if unit is not None:  # 万元, 万, 元
        parts = [v * parse_unit(unit).factor for v in values]
        if not close(sum(parts), amount):
            return None, "shares_bad", f"{sum(parts):g} 万元 of {amount:g} 万元"
        return parts, None, ""
    if close(total, 100):
        return [amount * v / 100 for v in values], None, ""
    if factor is not None and close(total * factor, amount):
        return [v * factor for v in values], None, ""
    if close(total, 1):
        return [amount * v for v in values], None, ""
    return None, "shares_bad", f"{total:g} (neither 100%, 1, nor the project's amount)"


def import_projects(files: list[Path], villages: Path, *, hmap: HeaderMap, matches: Path | None = None,
                    year: int | None = None, source: str | None = None, amount_unit: str | None = None,
                    county: str | None = None) -> ImportResult:
    """Read project lists and return the funding rows they give, and the report.

    Parameters
    ----------
    files : list of Path
        Project lists (CSV or Excel; every sheet of a workbook is a list).
    villages : Path
        The villages table (id, name, county, township) village names are linked to.
    hmap : HeaderMap
        Header map (for the villages table's headers and funding sources).
    matches : Path, optional
        The candidates file with the user's confirmations.
    year, source : optional
        The year and funding source of lists that state none.
    amount_unit : str, optional
        Unit of amount headers that state none (yuan, wan, ...).
    county : str, optional
        The county of lists without a county column (scopes village names).
    """
    result = ImportResult()
    report = result.report
    linker = village_linker(villages, hmap, report, matches)
    default_factor = AMOUNT_FACTORS[amount_unit] if amount_unit else None
    rows: list[dict[str, object]] = []
    origins: list[dict[str, object]] = []
    seen: dict[tuple[str, int], tuple[str, int, float, tuple[str, ...]]] = {}
    totals_excluded = 0
    expected = "项目名称, 村 (or 实施地点), 资金（万元）"
    for path in files:
        for grid in read_list(Path(path), "funding", report):
            found = find_header(grid, PROJECT_HEADERS, ("project", "village", "amount"), report, "funding", expected)
            if found is None:
                continue
            header_row, position, units, title = found
            if merged_header_problems(grid, header_row, "funding", report):
                continue
            header = [cell_text(c) or "" for c in grid.cells[header_row]]
            origin = fill_merged(grid, header_row, "funding", report, header)
            amount_header = header[position["amount"]]
            unit_code = units.get("amount")
            factor = AMOUNT_FACTORS[unit_code] if unit_code else default_factor
            unit_label = AMOUNT_LABELS[unit_code] if unit_code else (AMOUNT_LABELS[amount_unit] if amount_unit
                                                                     else "万元")
            sheet_year = title_year(title, grid.label) or year
            since_subtotal: list[float] = []
            sheet_projects: list[float] = []
            groups: dict[tuple[int, int], dict[str, object]] = {}
            order: list[tuple[int, int]] = []

            def cell(cells: list[object], name: str, position: dict[str, int] = position) -> object:
                i = position.get(name)
                return cells[i] if i is not None and i < len(cells) else None

            for r in range(header_row + 1, len(grid.cells)):
                cells = grid.cells[r]
                texts = [cell_text(c) for c in cells]
                if not any(texts):
                    continue
                line = r + 1
                total_text = next((t for t in texts if t and _TOTAL.search(t)), None)
                raw_amount = cell(cells, "amount")
                if total_text is not None:
                    totals_excluded += 1
                    if cell_text(raw_amount) is None:
                        continue
                    stated, problem = _amount(raw_amount, factor)
                    if stated is None:
                        continue
                    kind = "subtotal" if "小计" in total_text else "total"
                    parts = since_subtotal if kind == "subtotal" else sheet_projects
                    summed = sum(parts)
                    if abs(stated - summed) > 1e-6 + 1e-9 * abs(stated):
                        shown = 1 / (factor or 1.0)
                        report.add(Problem.of(
                            "error", "funding", grid.label, line, amount_header, cell_text(raw_amount),
                            "total_mismatch", kind=kind.capitalize(), kind_zh={"subtotal": "小计"}.get(kind, "合计"),
                            stated=f"{stated * shown:g}", summed=f"{summed * shown:g}", count=len(parts),
                            unit=unit_label))
                    if kind == "subtotal":
                        since_subtotal = []
                    continue
                if cell_text(cell(cells, "project")) is None and cell_text(raw_amount) is None:
                    continue  # a section heading (一、产业发展类) or a note
                amount_origin = origin.get((r, position["amount"]), (r, position["amount"]))
                group_key = (amount_origin[0], 0)
                if group_key not in groups:
                    amount, problem = (None, "required_missing") if cell_text(raw_amount) is None else \
                        _amount(raw_amount, factor)
                    if amount is not None and amount < 0:
                        amount, problem = None, "negative_amount"
                    if amount is None:  # reported; its villages are still linked, so one run reports everything
                        report.add(Problem.of("error", "funding", grid.label, line, amount_header,
                                              cell_text(raw_amount), problem or "not_amount"))
                    else:
                        since_subtotal.append(amount)
                        sheet_projects.append(amount)
                    groups[group_key] = {"line": line, "amount": amount, "project": cell_text(cell(cells, "project")),
                                         "year": _year(cell(cells, "year")) or sheet_year,
                                         "year_text": cell_text(cell(cells, "year")),
                                         "source": cell_text(cell(cells, "source")),
                                         "type": cell_text(cell(cells, "type")), "villages": [], "label": grid.label,
                                         "bad": amount is None, "factor": factor}
                    order.append(group_key)
                group = groups[group_key]
                village_text = cell_text(cell(cells, "village"))
                share_cell = cell(cells, "share")
                share = _share(share_cell)
                township = cell_text(cell(cells, "township"))
                county_text = cell_text(cell(cells, "county")) or county
                if village_text is None:
                    report.add(Problem.of("error", "funding", grid.label, line, header[position["village"]], None,
                                          "required_missing"))
                    group["bad"] = True
                    continue
                for name, stated, unit in split_names(village_text):
                    group["villages"].append((name, stated, unit, share, line, township, county_text))  # type: ignore[union-attr]
            for key in order:
                group = groups[key]
                _emit(group, linker, report, rows, origins, seen, source, hmap, header, position, unit_label)
    if totals_excluded:
        report.add(Problem.of("warning", "funding", ", ".join(str(Path(f).name) for f in files), None, None, None,
                              "total_excluded", count=totals_excluded))
    funding = pd.DataFrame(rows, columns=_FUNDING_COLUMNS)
    result.tables["funding"] = funding
    result.details.update(link_details(linker))
    result.details["rows.csv"] = neutralize_frame(pd.DataFrame(
        origins, columns=["funding_row", "file", "row", "project"])).to_csv(index=False, lineterminator="\n")
    return result


def _share(value: object) -> tuple[float, str | None] | None:
    """Return a share column's cell: (number, "%" when written with a percent sign, else None), or None."""
    text = cell_text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    unit = "%" if text.endswith("%") else None
    try:
        return float(text.removesuffix("%").strip()), unit
    except ValueError:
        return None


def _emit(group: dict, linker: NameLinker, report: ValidationReport, rows: list, origins: list, seen: dict,
          default_source: str | None, hmap: HeaderMap, header: list[str], position: dict[str, int],
          unit_label: str) -> None:
    """Turn one project (its amount and villages) into funding rows, reporting what cannot be used."""
    label, line = group["label"], group["line"]
    year = group["year"]
    ok = True
    if year is None:
        column = header[position["year"]] if "year" in position else None
        report.add(Problem.of("error", "funding", label, line, column, group["year_text"], "project_no_year"))
        ok = False
    source = _source(group["source"], hmap) if group["source"] else default_source
    if source is None:
        column = header[position["source"]] if "source" in position else None
        code = "unknown_value" if group["source"] else "project_no_source"
        report.add(Problem.of("error", "funding", label, line, column, group["source"], code,
                              accepted=", ".join(FUNDING_SOURCES),
                              accepted_zh="派出单位、县级配套、上级财政、社会资金"))
        ok = False
    village_column = header[position["village"]]
    ids = []
    for name, _, _, _, village_line, township, county in group["villages"]:
        target = linker.resolve(name, report, table="funding", file=label, row=village_line, column=village_column,
                                county=county, township=township, candidates_file="import/projects_candidates.csv")
        ids.append(target)
    if None in ids or not ok or group["bad"]:
        return
    amounts, problem, detail = _split(group["amount"], [(n, s, u) for n, s, u, *_ in group["villages"]],
                                      [v[3] for v in group["villages"]], group["factor"])
    if amounts is None:
        report.add(Problem.of("error", "funding", label, line, village_column, None, "shares_bad", total=detail))
        return
    if problem == "split_equally":
        report.add(Problem.of("warning", "funding", label, line, village_column, None, "split_equally",
                              count=len(ids), each=f"{amounts[0]:g}", unit="万元"))
    project = group["project"] or ""
    key = (re.sub(r"\s+", "", unicodedata.normalize("NFKC", project)), int(year))
    signature = tuple(sorted(ids))
    if project and key in seen and seen[key][0] != label:
        other_label, other_line, other_amount, other_ids = seen[key]
        same = abs(other_amount - group["amount"]) < 1e-9 and other_ids == signature
        report.add(Problem.of("error" if same else "warning", "funding", label, line,
                              header[position["project"]], project,
                              "project_recorded_twice" if same else "project_two_ledgers",
                              project=project, year=year, other=f"{other_label} row {other_line}"))
    elif project:
        seen[key] = (label, line, group["amount"], signature)
    project_type = _project_type(group["type"])
    for village_id, amount, village in zip(ids, amounts, group["villages"], strict=True):
        rows.append({"village_id": village_id, "year": int(year), "amount": amount, "source": source,
                     "project_type": project_type, "unit_id": None})
        origins.append({"funding_row": len(rows) + 1, "file": label, "row": village[4], "project": project})
