"""A workbook template for county ledgers, and the list of every header villageaid understands.

``write_template`` writes one sheet per table with Chinese and English headers (two lines in one cell),
drop-down lists for unit levels, yes/no answers, roles, sources and the identifiers of villages and units,
an instructions sheet and a sheet of example rows (ignored when the workbook is read). Filled in, the
workbook is a data directory of its own: ``villageaid validate folder_with_the_workbook``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from villageaid.io.headers import AMOUNT_LABELS, HeaderMap, load_header_map
from villageaid.io.messages import Language
from villageaid.io.normalize import _LEVEL_WORDS
from villageaid.io.write import neutralize_cell
from villageaid.schema import RAW_TABLES, UNIT_LEVELS, VALUE_LABELS_ZH, Column, TableSchema

INSTRUCTIONS_SHEET = "填写说明"
EXAMPLES_SHEET = "填写示例"
_YES, _NO = "是", "否"
_UNIT_SUFFIX = {"万元": "（万元）", "元": "（元）", "km": "（公里）", "persons": "（人）", "share (0–1)": "（比例）"}
_MAX_ROW = 1_048_576


def template_header(col: Column) -> str:
    """Return the template's header of a column: Chinese label with its unit, then the schema name."""
    return f"{col.label_zh}{_UNIT_SUFFIX.get(col.unit, '')}\n{col.name}"


def _display_value(col: Column, value: object) -> object:
    """Return a value as a county official writes it: Chinese forms, 是/否, dates as dates."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if col.kind == "enum":
        return VALUE_LABELS_ZH.get(col.name, {}).get(str(value), str(value))
    if col.kind == "bool":
        return _YES if bool(value) else _NO
    if col.kind == "date":
        return pd.Timestamp(value).to_pydatetime()
    if col.kind in ("year", "int"):
        return int(value)
    if col.kind in ("float", "money"):
        return float(value)
    return neutralize_cell(str(value))  # openpyxl writes a text starting with "=" as a formula


def _example_rows(schema: TableSchema) -> list[list[object]]:
    examples: dict[str, list[dict[str, object]]] = {
        "villages": [{"village_id": "W001", "county": "W县", "township": "W镇", "village_name": "示例村",
                      "population": 1520, "poor_village_2015": True, "poverty_rate_2015": 0.12,
                      "distance_to_county_km": 18.5, "terrain": "hill", "collective_income_2020": 6.5,
                      "industry_base": True, "road_access": True}],
        "units": [{"unit_id": "U001", "level": "city", "unit_name": "W市民政局", "sector": "government",
                   "strength": "general"}],
        "assignments": [{"cadre_id": "C001", "unit_id": "U001", "village_id": "W001", "role": "first_secretary",
                         "start_date": pd.Timestamp("2021-06-01"), "end_date": None}],
        "funding": [{"village_id": "W001", "year": 2021, "amount": 12.5, "source": "unit",
                     "project_type": "道路硬化", "unit_id": "U001"}],
        "designations": [{"village_id": "W001", "year": 2022, "kind": "demonstration"}],
        "outcomes": [{"village_id": "W001", "year": 2022, "collective_income": 8.2, "per_capita_income": 14500,
                      "industry_active": True}],
        "needs": [{"village_id": "W001", "dimension": "infrastructure", "gap": 0.6, "year": 2021,
                   "detail": "村道硬化 3 公里"},
                  {"village_id": "W001", "dimension": "governance", "gap": 0.2, "year": 2021}],
        "unit_resources": [{"unit_id": "U001", "resource_type": "money", "capacity": 50, "detail": "年度帮扶资金"},
                           {"unit_id": "U001", "resource_type": "technical", "capacity": 2, "detail": "农技专家 2 名"},
                           {"unit_id": "U001", "resource_type": "cadre", "capacity": 3}],
    }
    return [[_display_value(c, row.get(c.name)) for c in schema.columns] for row in examples[schema.name]]


def _instructions() -> list[list[object]]:
    rows: list[list[object]] = [
        ["驻村帮扶数据填写模板（villageaid template）"],
        [],
        ["怎样填写 / How to fill in"],
        ["1. 每个工作表是一张数据表：村庄基本情况、派出单位、驻村干部选派、帮扶资金是必填表；"
         "村庄认定、村庄发展结果和两张清单（需求清单、资源清单）可选。"],
        ["   Each sheet is one table; the first four are required, designations, outcomes and the two lists "
         "(needs, unit resources) are optional."],
        ["2. 第一行是表头（中文名称和英文名称），不要修改；从第二行开始每行填一条记录。"],
        ["   Row 1 is the header (Chinese and English names); do not change it. One record per row from row 2."],
        ["3. 带下拉箭头的列请从下拉列表中选择（单位层级、是/否、职务、资金来源等）。"],
        ["   Columns with a drop-down take one of its values (unit level, yes/no, role, source...)."],
        ["4. 金额以表头注明的单位填写（默认万元）。台账以“元”为单位时，把表头改为“帮扶资金（元）”即可。"],
        ["   Amounts in the unit the header states (万元). If your ledger is in 元, change the header "
         "to 帮扶资金（元）."],
        ["5. 日期写成 2021-06-01 或使用 Excel 日期；仍在岗的干部“驻村结束时间”留空。"],
        ["   Dates as 2021-06-01 or Excel dates; leave the end date empty while the posting continues."],
        ["6. 干部可用“干部编号”；若只有姓名，可把列名改为“姓名”，并用 --salt-file 提供密钥，"
         "姓名会被替换为匿名编号。"],
        ["   Cadres by an identifier; a 姓名 column is replaced by a salted pseudonym (needs --salt-file)."],
        ["7. 保存为 .xlsx，放在一个单独的文件夹中，运行：villageaid validate 文件夹 --lang zh"],
        ["   Save as .xlsx in a folder of its own and run: villageaid validate FOLDER --lang zh"],
        ["8. 报告会列出每个问题所在的工作表、行、列和取值；改正后再运行，直到没有错误。"],
        ["   The report names sheet, row, column and value of every problem; fix and rerun until it has no errors."],
        ["9. 需求清单：每个村每个需求维度一行，“需求缺口”填 0（已满足）到 1（完全未满足）之间的比例。"
         "资源清单：每个派出单位每种资源一行，资金以万元/年计，技术帮扶、市场渠道、干部选派名额填整数名额；"
         "干部选派名额不得少于该单位最近一年同时在岗的驻村干部人数。"],
        ["   Need list: one row per village and need dimension, the gap from 0 (met) to 1 (wholly unmet). "
         "Resource list: one row per unit and resource type, money in 万元 a year, technical, market and cadre "
         "as whole slots; cadre slots at least the unit's cadres in post at once in the latest year."],
        [],
        ["表 / table", "列（表头） / column", "英文名 / name", "必填 / required", "类型 / type", "单位 / unit",
         "可选取值 / values", "说明 / description"],
    ]
    for schema in RAW_TABLES.values():
        for col in schema.columns:
            values = ""
            if col.kind == "enum":
                values = "、".join(VALUE_LABELS_ZH.get(col.name, {}).get(v, v) for v in col.allowed)
            elif col.kind == "bool":
                values = "是、否"
            rows.append([schema.label_zh, col.label_zh, col.name, "是" if col.required else "",
                         col.kind, col.unit, values, col.description])
    return rows


def write_template(path: Path | str, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the ledger template workbook, empty or filled with ``tables``.

    Parameters
    ----------
    path : Path or str
        Output ``.xlsx`` file (written atomically).
    tables : dict of str to DataFrame, optional
        Typed schema tables (for example a simulated data set) to fill in; values are written as a county
        official would (Chinese forms of levels and roles, 是/否, Excel dates).

    Returns
    -------
    Path
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from villageaid.io.write import write_with

    book = Workbook()
    guide = book.active
    guide.title = INSTRUCTIONS_SHEET
    for row in _instructions():
        guide.append(row)
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 22
    guide.column_dimensions["H"].width = 80

    examples = book.create_sheet(EXAMPLES_SHEET)
    examples.append(["以下为示例，不会被读取 / Examples only: this sheet is not read"])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    sheet_of = {name: schema.label_zh for name, schema in RAW_TABLES.items()}
    for name, schema in RAW_TABLES.items():
        examples.append([])
        examples.append([f"{schema.label_zh}（{name}）"])
        examples.append([template_header(c) for c in schema.columns])
        for row in _example_rows(schema):
            examples.append(row)

        sheet = book.create_sheet(sheet_of[name])
        sheet.append([template_header(c) for c in schema.columns])
        for k, col in enumerate(schema.columns, start=1):
            cell = sheet.cell(row=1, column=k)
            cell.font = Font(bold=True, color="C00000" if col.required else "000000")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.fill = header_fill
            sheet.column_dimensions[get_column_letter(k)].width = max(12, 2 * len(col.label_zh) + 6)
        sheet.row_dimensions[1].height = 34
        sheet.freeze_panes = "A2"
        for k, col in enumerate(schema.columns, start=1):
            letter = get_column_letter(k)
            area = f"{letter}2:{letter}{_MAX_ROW}"
            validation = None
            if col.kind == "enum":
                choices = [VALUE_LABELS_ZH.get(col.name, {}).get(v, v) for v in col.allowed]
                validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
            elif col.kind == "bool":
                validation = DataValidation(type="list", formula1=f'"{_YES},{_NO}"', allow_blank=True)
            elif col.name in ("village_id", "unit_id") and name not in ("villages", "units"):
                home = sheet_of["villages" if col.name == "village_id" else "units"]
                validation = DataValidation(type="list", formula1=f"='{home}'!$A$2:$A${_MAX_ROW}",
                                            allow_blank=True)
            elif col.kind == "year":
                validation = DataValidation(type="whole", operator="between", formula1=str(int(col.minimum or 0)),
                                            formula2=str(int(col.maximum or 9999)), allow_blank=True)
            elif col.kind == "money":
                validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                                            allow_blank=True)
            if validation is not None:
                validation.error = f"{col.label_zh}：请从下拉列表选择或填写有效值 / choose a valid value"
                validation.errorTitle = "villageaid"
                validation.showErrorMessage = True
                sheet.add_data_validation(validation)
                validation.add(area)
            if col.kind == "date":
                sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        if tables is not None and name in tables:
            frame = tables[name]
            columns = [c for c in schema.columns]
            for record in frame.itertuples(index=False):
                values = dict(zip(frame.columns, record, strict=True))
                sheet.append([_display_value(c, values.get(c.name)) for c in columns])
            for k, col in enumerate(columns, start=1):
                if col.kind == "date":
                    for cells in sheet.iter_cols(min_col=k, max_col=k, min_row=2, max_row=len(frame) + 1):
                        for cell in cells:
                            cell.number_format = "yyyy-mm-dd"
    return write_with(path, book.save)


def describe_headers(hmap: HeaderMap | None = None, lang: Language = "en") -> str:
    """Every accepted file or sheet name, column header, unit and level form, as text.

    Parameters
    ----------
    hmap : HeaderMap, optional
        The header map (the shipped one plus the user's, when given).
    lang : {"en", "zh"}
        Language of the headings.

    Returns
    -------
    str
    """
    hmap = hmap or load_header_map()
    zh = lang == "zh"
    out: list[str] = []
    for name, schema in RAW_TABLES.items():
        names = sorted({k for k, t in hmap.tables.items() if t == name})
        need = ("必填表" if schema.required else "可选表") if zh else ("required" if schema.required else "optional")
        out.append(f"## {schema.label_zh} / {name} ({need})")
        out.append(("  文件名或工作表名：" if zh else "  file or sheet names: ") + "、".join(names))
        known = hmap.known_headers(name)
        for col in schema.columns:
            aliases = sorted({k for k, c in known.items() if c == col.name} - {col.name})
            flag = "*" if col.required else " "
            out.append(f"  {flag} {col.name}: " + "、".join(aliases))
        names_for = sorted(k for k, c in known.items() if c in ("name", "cadre_name"))
        if names_for:
            out.append(("    姓名列（需要 --salt-file）：" if zh else "    name columns (need --salt-file): ")
                       + "、".join(names_for))
        out.append("")
    out.append("## " + ("金额单位（写在表头括号中，如 帮扶资金（元））" if zh
                        else "amount units (in the header's brackets, e.g. 帮扶资金（元）)"))
    out.append("  " + "、".join(AMOUNT_LABELS.values()) + " / yuan, thousand yuan, 10k yuan, million yuan, 亿元")
    out.append("")
    out.append("## " + ("单位层级的写法" if zh else "unit level forms"))
    for level in UNIT_LEVELS:
        forms = sorted(w for w, lv in _LEVEL_WORDS.items() if lv == level)
        user = sorted(w for w, lv in hmap.levels.items() if lv == level)
        out.append(f"  {level} ({VALUE_LABELS_ZH['level'][level]}): " + "、".join(forms + user))
    out.append("  " + ("以及带行政区划的单位名称，如 X市民政局 → 市级；市县联合、省市等同时含两级的写法会报错。"
                       if zh else
                       "and unit names with a place, e.g. X市民政局 → city; forms naming two levels (市县联合, 省市) "
                       "are errors."))
    out.append("")
    out.append("## " + ("其他取值" if zh else "other values"))
    for column, labels in VALUE_LABELS_ZH.items():
        if column == "level":
            continue
        mapped = hmap.values.get(column, {})
        for value in labels:
            forms = sorted({k for k, v in mapped.items() if v == value})
            out.append(f"  {column} = {value}: " + "、".join(forms))
    out.append("  " + ("是/否：" if zh else "yes/no: ") + "是、否、有、无、1、0、yes、no、true、false")
    return "\n".join(out) + "\n"
