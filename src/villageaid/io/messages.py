"""The validation report's messages in English and Chinese.

Each problem carries a message code and its parameters; the text is rendered in the reader's language
only when the report is printed (``--lang zh`` or ``VILLAGEAID_LANG=zh``). Lists of accepted values are
rendered in the same language: Chinese forms first for a Chinese report.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Literal

from villageaid.schema import RAW_TABLES, VALUE_LABELS_ZH

Language = Literal["en", "zh"]
LANG_ENV = "VILLAGEAID_LANG"

#: code -> (English template, Chinese template). Templates use str.format fields.
MESSAGES: dict[str, tuple[str, str]] = {
    "dir_missing": ("data directory does not exist", "数据文件夹不存在"),
    "dir_empty": ("the data directory holds no table files (CSV, XLSX or Parquet)",
                  "数据文件夹中没有任何表格文件（CSV、XLSX 或 Parquet）"),
    "undecodable": ("undecodable text (bytes {detail}): the file is neither UTF-8 nor GBK/GB18030; save it as "
                    "'CSV UTF-8'",
                    "无法识别的文字编码（字节 {detail}）：文件既不是 UTF-8 也不是 GBK/GB18030；"
                    "请另存为“CSV UTF-8”"),
    "foreign_encoding": ("the file looks encoded as {encoding} ({script}), not UTF-8 or GBK/GB18030: open it and "
                         "save it as 'CSV UTF-8' (Excel: File → Save As → CSV UTF-8)",
                         "文件的编码看来是 {encoding}（{script_zh}），不是 UTF-8 或 GBK/GB18030：请用 Excel 打开，"
                         "“文件 → 另存为 → CSV UTF-8（逗号分隔）”"),
    "empty_file": ("empty file: no header and no rows", "空文件：没有表头，也没有数据"),
    "empty_sheet": ("empty sheet: no header and no rows", "空工作表：没有表头，也没有数据"),
    "no_rows": ("no data rows: the file has a header but no records", "没有数据行：只有表头，没有记录"),
    "csv_extra_fields": ("the line has {found} fields where the header has {expected}: a stray comma, or text "
                         "with a comma that is not in quotes; the line is not read",
                         "该行有 {found} 个字段，表头只有 {expected} 个：多了逗号，或含逗号的文字没有加引号；"
                         "该行未读取"),
    "csv_unreadable": ("cannot read the CSV file: {detail}", "无法读取 CSV 文件：{detail}"),
    "excel_unreadable": ("cannot read the Excel workbook: {detail}", "无法读取 Excel 工作簿：{detail}"),
    "parquet_unreadable": ("cannot read the Parquet file: {detail}", "无法读取 Parquet 文件：{detail}"),
    "old_format": ("{fmt} files are not read: save it as .xlsx (Excel workbook) or CSV UTF-8",
                   "不能读取 {fmt} 文件：请另存为 .xlsx（Excel 工作簿）或 CSV UTF-8"),
    "ignored_file": ("file name matches no table ({tables}); file ignored",
                     "文件名不对应任何数据表（{tables_zh}）；已忽略该文件"),
    "ignored_sheet": ("sheet name matches no table ({tables}); sheet ignored",
                      "工作表名称不对应任何数据表（{tables_zh}）；已忽略该工作表"),
    "hidden_sheet": ("hidden sheet: it is read as the {table} table; unhide it or delete it if it is not data",
                     "隐藏的工作表：按“{table_zh}”表读取；如果不是数据，请取消隐藏后删除"),
    "header_row": ("the header is on row {row}; the {skipped} row(s) above it are ignored",
                   "表头在第 {row} 行；其上方 {skipped} 行已忽略"),
    "two_sources": ("the {table} table comes from two sources, {first} and {second}: keep one (delete, rename "
                    "or move the other); records are never added up across files",
                    "“{table_zh}”表有两个来源：{first} 和 {second}。请只保留一个（删除、改名或移走另一个）；"
                    "不会把两个文件的记录相加"),
    "unexpected_column": ("unexpected column: not in the schema or the header map; ignored{hint}",
                          "无法识别的列：不在数据规范或表头对照表中；已忽略{hint_zh}"),
    "did_you_mean": (" — did you mean {suggestion}?", "——是否应为“{suggestion}”？"),
    "duplicate_header": ("two columns map to {column} ({first} and {second})",
                         "两列都对应 {column}（“{first}”和“{second}”）"),
    "missing_column": ("missing required column (add it, or map its header in a header-map TOML file){hint}",
                       "缺少必需的列（请添加，或在表头对照表 TOML 文件中对应其表头）{hint_zh}"),
    "unusable_column": ("the column holds {what}, not one value per cell; it cannot be read",
                        "该列的单元格中是{what_zh}，而不是单个取值；无法读取"),
    "names_dropped": ("person names are dropped: cadre_id is used as the identifier",
                      "人员姓名已删除：以干部编号作为标识"),
    "name_no_salt": ("this column holds names; give a salt (--salt-file or {env}) so they can be replaced by a "
                     "pseudonymous cadre_id",
                     "该列是人员姓名；请提供密钥（--salt-file 或环境变量 {env}），以便替换为匿名的干部编号"),
    "unit_conflict": ("the header states amounts in {header_unit}, but --amount-unit says {option_unit}: remove "
                      "one of the two, or make them agree",
                      "表头注明金额单位为 {header_unit}，而 --amount-unit 指定为 {option_unit}："
                      "请去掉其一或使两者一致"),
    "header_units_disagree": ("the header's two lines state two units, {first} and {second}: keep one (the amounts "
                              "are not read)",
                              "表头两行注明了两个不同的单位：{first} 和 {second}。请只保留一个（该列金额未读取）"),
    "unit_mismatch": ("the header states the unit {unit}, which does not fit this column (expected {expected})",
                      "表头注明的单位“{unit}”与该列不符（应为 {expected}）"),
    "unknown_level": ("unknown unit level: expected {accepted}, or a unit name such as X市民政局 (add your "
                      "own form to [levels] of a header-map file)",
                      "无法识别的单位层级：应为 {accepted_zh}，或带行政区划的单位名称如“X市民政局”"
                      "（也可在表头对照表的 [levels] 中添加）"),
    "ambiguous_level": ("ambiguous unit level: it names {levels}; write the one level of the dispatching unit "
                        "(e.g. 市级), or map this form in [levels] of a header-map file",
                        "单位层级有歧义：同时包含{levels_zh}；请只写派出单位自身的层级（如“市级”），"
                        "或在表头对照表的 [levels] 中说明"),
    "unknown_value": ("unknown value: expected one of {accepted} (or a form in the header map)",
                      "无法识别的取值：应为 {accepted_zh} 之一（或表头对照表中的写法）"),
    "not_bool": ("not a yes/no value: expected 1/0, 是/否, yes/no or true/false",
                 "不是“是/否”取值：应为 是/否、1/0、有/无"),
    "bad_date": ("unparseable date: expected e.g. 2021-05-01, 2021/5/1, 2021年5月1日 or an Excel date",
                 "无法识别的日期：应如 2021-05-01、2021/5/1、2021年5月1日 或 Excel 日期"),
    "date_range": ("implausible date: expected a date from {low} to {high} (see --date-years)",
                   "日期不合理：应在 {low} 至 {high} 年之间（见 --date-years）"),
    "not_number": ("not a number", "不是数字"),
    "not_amount": ("non-numeric amount: expected a number such as 12.5", "金额不是数字：应如 12.5"),
    "not_finite": ("not a finite number", "不是有限的数字"),
    "bad_separator": ("ambiguous number: a comma must separate groups of three digits (12,500); write 12.5 or "
                      "12500",
                      "数字有歧义：千分位逗号必须每三位一组（如 12,500）；请写成 12.5 或 12500"),
    "negative": ("negative value: must be zero or more", "负数：应大于或等于 0"),
    "negative_amount": ("negative amount: must be ≥ 0", "金额为负数：应大于或等于 0"),
    "year_range": ("year out of range: expected {low}–{high}", "年份超出范围：应为 {low}–{high}"),
    "not_whole": ("must be a whole number", "应为整数"),
    "out_of_range": ("out of range: expected between {low} and {high}", "超出范围：应在 {low} 与 {high} 之间"),
    "too_large": ("implausibly large: expected at most {high}{hint}", "数值大得不合理：应不超过 {high}{hint_zh}"),
    "large_amount": ("unusually large amount: above {high} 万元 in one record; if the ledger is in 元, declare it "
                     "in the header, e.g. 帮扶资金（元）, or use --amount-unit yuan",
                     "金额异常大：单条记录超过 {high} 万元；如果台账以“元”为单位，请在表头注明（如“帮扶资金（元）”），"
                     "或使用 --amount-unit yuan"),
    "formula_no_value": ("Excel formula without a saved value ({formula}): open the workbook in Excel and save it, "
                         "or paste the values",
                         "Excel 公式没有保存计算结果（{formula}）：请用 Excel 打开并保存，或“选择性粘贴 → 数值”"),
    "missing_key": ("missing key: every row needs a value", "缺少编号：每一行都必须填写"),
    "required_missing": ("required value missing", "缺少必填的值"),
    "duplicate_key": ("duplicate key: the same {key} as {other}", "编号重复：{key_zh}与 {other} 相同"),
    "duplicate_record": ("duplicate record: the same values in every column as {other}; a record pasted twice "
                         "would be counted twice. Delete it, or tell the two apart (e.g. project_type)",
                         "重复记录：各列取值与 {other} 完全相同；重复粘贴的记录会被重复计算。请删除，"
                         "或加以区分（如填写项目类型）"),
    "undefined_reference": ("referenced but not defined in the {home} table",
                            "在“{home_zh}”表中没有这个编号"),
    "end_before_start": ("end date before start date ({start})", "结束时间早于开始时间（{start}）"),
    "cadre_two_villages": ("one cadre in two villages at the same time: this posting to {village} starts {start}, "
                           "while the posting to {other_village} ({other}) has not ended",
                           "同一干部同时驻两个村：到 {village} 的派驻始于 {start}，而到 {other_village} 的派驻"
                           "（{other}）尚未结束"),
    "cadre_overlap": ("overlapping postings of one cadre in the same village ({other})",
                      "同一干部在同一村的派驻时间重叠（{other}）"),
    "two_first_secretaries": ("two first secretaries in {village} at the same time: this posting starts {start}, "
                              "while the first secretary of {other} is still in post (until {until}); end the "
                              "earlier posting, or record one of them as a team member",
                              "{village} 同时有两名第一书记：本条派驻始于 {start}，而 {other} 的第一书记仍在任"
                              "（至 {until}）；请填写前任的结束时间，或将其中一人记为队员"),
    "required_table_missing": ("required table missing: no file or sheet holds {table} ({table_zh}); name it "
                               "{table}.csv, {table}.xlsx or {table_zh}.xlsx",
                               "缺少必需的数据表：没有文件或工作表是“{table_zh}”；请命名为 {table_zh}.xlsx、"
                               "{table}.csv 或 {table}.xlsx"),
    "unit_no_posts": ("the unit has resources listed but no posting in the assignments: a unit on the resource "
                      "list (资源清单) must be one that posts cadres; add its postings or remove its rows",
                      "该单位列入资源清单，但驻村干部选派表中没有它的任何派驻：资源清单中的单位必须选派干部；"
                      "请补充其派驻记录或删除这些行"),
    "slots_below_posts": ("cadre slots below the unit's posts: {posts} of its cadres were in post at once in "
                          "{year} (assignments), so it needs at least {posts} slots",
                          "干部选派名额少于该单位的在岗人数：{year} 年该单位同时有 {posts} 名干部驻村"
                          "（驻村干部选派表），名额至少应为 {posts}"),
    "slots_not_whole": ("{resource} capacity must be a whole number of slots (money alone is in 万元)",
                        "“{resource_zh}”的容量应为整数个名额（只有资金以万元计）"),
    "normalized_text": ("{count} value(s) cleaned: {what} removed (first at row {first_row})",
                        "{count} 个取值已清理：删除了{what_zh}（首次出现在第 {first_row} 行）"),
    "not_a_table": ("not a schema table; ignored", "不是规范中的数据表；已忽略"),
    "read_failed": ("could not be read: {detail}", "无法读取：{detail}"),
    "special_file": ("not a regular file but {kind}: it is never opened (reading it could wait forever)",
                     "不是普通文件，而是{kind_zh}：不会打开它（读取它可能永远等待）"),
    "not_finite_column": ("not a finite number ({count} such values in this column; the first is shown)",
                          "不是有限的数字（该列共 {count} 个；显示第一个）"),
    "validated_value_out_of_range": ("{count} value(s) in this column of the validated set are not finite or out "
                                     "of range (expected {expected}; the first is shown): the set was edited after "
                                     "validation; run villageaid validate --out again",
                                     "已校验数据集该列有 {count} 个值不是有限数或超出范围"
                                     "（应为 {expected}；显示第一个）：数据集在校验后被改动；"
                                     "请重新运行 villageaid validate --out"),
    "input_missing": ("file not found", "找不到文件"),
    "input_is_folder": ("a folder, where a file is expected", "这是文件夹，应为文件"),
    "input_too_large": ("the file holds {size} bytes, more than the {limit} a {kind} may hold",
                        "文件有 {size} 字节，超过{kind}的上限 {limit} 字节"),
    "input_unreadable": ("cannot read the file: {detail}", "无法读取文件：{detail}"),
    "more_of_same": ("… and {count} more cells with this problem in this column",
                     "……该列另有 {count} 个单元格有同样问题"),
}

_SCRIPT_ZH = {"Traditional Chinese": "繁体中文", "Japanese": "日文", "Korean": "韩文", "unknown": "未知"}
_WHAT_ZH = {"lists": "列表", "nested records": "嵌套记录", "binary data": "二进制数据",
            "invisible or control characters": "不可见字符或控制字符",
            "extra spaces": "多余的空格", "full-width characters": "全角字符"}
_KIND_ZH = {"a FIFO (named pipe)": "命名管道（FIFO）", "a character device": "字符设备", "a block device": "块设备",
            "a socket": "套接字", "a broken link": "失效的链接", "an unknown kind of file": "未知类型的文件"}
_LEVELS_ZH = {"central": "中央", "provincial": "省级", "city": "市级", "county": "县级", "township": "乡镇"}


_ROW_EN = re.compile(r"(\S+) row (\d+)")


def language(lang: str | None = None) -> Language:
    """Return the report language: ``lang`` if given, else ``VILLAGEAID_LANG``, else English."""
    chosen = (lang or os.environ.get(LANG_ENV, "") or "en").strip().lower()
    return "zh" if chosen.startswith("zh") else "en"


def value_list(column: str, lang: Language) -> str:
    """Return the accepted values of an enumerated column, as a reader of ``lang`` writes them."""
    from villageaid.schema import UNIT_LEVELS

    if column == "level":
        english = ", ".join(UNIT_LEVELS)
        chinese = "、".join(_LEVELS_ZH[level] for level in UNIT_LEVELS)
    else:
        allowed = next(t.column(column).allowed for t in RAW_TABLES.values() if column in t.column_names)
        english = ", ".join(allowed)
        chinese = "、".join(VALUE_LABELS_ZH.get(column, {}).get(v, v) for v in allowed)
    return f"{chinese}（或 {english}）" if lang == "zh" else f"{english} (or {chinese})"


def escape(text: object) -> str:
    r"""Make text safe to print on one line: control, invisible and bidirectional characters become \\uXXXX.

    A file name holding a newline or a right-to-left override cannot forge or reorder report lines.
    """
    out = []
    for ch in str(text):
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs") or (category == "Zs" and ch != " "):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def render(code: str, params: dict[str, object], lang: Language) -> str:
    """Render message ``code`` with ``params`` in ``lang``."""
    english, chinese = MESSAGES[code]
    values = {k: escape(v) for k, v in params.items()}
    if lang == "zh":
        values = {k: _ROW_EN.sub(r"\1 第 \2 行", v) for k, v in values.items()}
        table = str(params.get("table", ""))
        home = str(params.get("home", ""))
        values.setdefault("table_zh", RAW_TABLES[table].label_zh if table in RAW_TABLES else table)
        values.setdefault("home_zh", RAW_TABLES[home].label_zh if home in RAW_TABLES else home)
        values.setdefault("tables_zh", "、".join(t.label_zh for t in RAW_TABLES.values()) + "，或表头对照表中的名称")
        values.setdefault("script_zh", _SCRIPT_ZH.get(str(params.get("script", "")), str(params.get("script", ""))))
        values.setdefault("what_zh", "、".join(_WHAT_ZH.get(w.strip(), w.strip())
                                               for w in str(params.get("what", "")).split(",")))
        levels = [str(v) for v in params.get("level_list", ())]  # type: ignore[union-attr]
        values.setdefault("levels_zh", "、".join(_LEVELS_ZH.get(v, v) for v in levels))
        values.setdefault("key_zh", str(params.get("key", "")))
        resource = str(params.get("resource", ""))
        values.setdefault("resource_zh", VALUE_LABELS_ZH["resource_type"].get(resource, resource))
        values.setdefault("kind_zh", _KIND_ZH.get(str(params.get("kind", "")), str(params.get("kind", ""))))
        for field in ("accepted", "hint"):
            if f"{field}_zh" not in values:
                values[f"{field}_zh"] = escape(params.get(f"{field}_zh", params.get(field, "")))
        return chinese.format(**values)
    values.setdefault("tables", ", ".join(RAW_TABLES) + " or a name in the header map")
    return english.format(**values)
