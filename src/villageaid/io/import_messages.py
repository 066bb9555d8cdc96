"""Messages of the village codes, the crosswalk, name linking and the importers, in English and Chinese.

They join :data:`villageaid.io.messages.MESSAGES` when this module is imported (every module that reports
these problems imports it), so the report renders them like any other problem.
"""

from __future__ import annotations

from villageaid.io.messages import MESSAGES

IMPORT_MESSAGES: dict[str, tuple[str, str]] = {
    # --- village codes (统计用区划代码) and the crosswalk
    "code_format": ("not a village code: a statistical division code (统计用区划代码) of a village has 12 digits "
                    "({detail})",
                    "不是村级统计用区划代码：村级代码为 12 位数字（{detail_zh}）"),
    "code_range": ("village code {detail}: 001–199 are residents' committees (居委会), 200–399 villagers' "
                   "committees (村委会)",
                   "村级代码{detail_zh}：001–199 为居民委员会，200–399 为村民委员会"),
    "code_prefix": ("the code's {level} prefix {prefix} contradicts the {column} column ({expected})",
                    "代码的{level_zh}前缀 {prefix} 与“{column_zh}”列不符（应为 {expected}）"),
    "crosswalk_unknown": ("code {code} is not a village of the villages table: the crosswalk joins the history of "
                          "villages it holds (list merged villages there too)",
                          "代码 {code} 不在村庄表中：代码变更表只能连接村庄表中的村（被合并的村也应列入村庄表）"),
    "crosswalk_two_successors": ("{code} maps to two successors in {year}: {first} (row {first_row}) and "
                                 "{second}; a village merges into one village",
                                 "{code} 在 {year} 年对应两个新代码：{first}（第 {first_row} 行）和 {second}；"
                                 "一个村只能并入一个村"),
    "crosswalk_retired": ("{code} was already retired in {year} (row {first_row}); it cannot change again in a later "
                          "year — map its successor instead",
                          "{code} 已于 {year} 年撤销（第 {first_row} 行），以后年份不能再变更；请对其新代码作变更"),
    "crosswalk_cycle": ("the crosswalk has a cycle: {path}; a code cannot succeed itself",
                        "代码变更形成循环：{path}；代码不能（间接地）成为自己的新代码"),
    "crosswalk_missing": ("required value missing (old code, new code and year)",
                          "缺少必填的值（原代码、新代码和变更年份）"),
    "crosswalk_bad_year": ("not a year from {low} to {high}", "不是 {low}–{high} 之间的年份"),
    "crosswalk_bad_change": ("unknown change: expected merge (合并) or rename (更名)",
                             "无法识别的变更类型：应为 合并（merge）或 更名（rename）"),
    "crosswalk_columns": ("the crosswalk needs the columns old_code (原代码), new_code (新代码) and year (变更年份); "
                          "found {found}",
                          "代码变更表需要 原代码、新代码、变更年份 三列；实际为 {found}"),
    # --- name linking
    "name_ambiguous": ("the name matches {count} {what}: {candidates}; write the code, or confirm one in the "
                       "matches file",
                       "该名称对应 {count} 个{what_zh}：{candidates}；请填写代码，或在匹配确认文件中确认其一"),
    "name_unmatched": ("no {what} of this name{scope}{hint}", "找不到该名称的{what_zh}{scope_zh}{hint_zh}"),
    "name_fuzzy": ("no exact match; candidates written to {file} for you to confirm (an unconfirmed candidate is "
                   "never used): {candidates}",
                   "没有完全相同的名称；候选已写入 {file}，请确认（未确认的候选一律不用）：{candidates}"),
    "matches_file": ("matches file: {detail}", "匹配确认文件：{detail}"),
    # --- project lists
    "merged_filled": ("merged cells {range}: the value {value!s} is filled into row(s) {rows}",
                      "合并单元格 {range}：值 {value!s} 已填入第 {rows} 行"),
    "merged_header": ("a merged header cell spanning columns {range}: the header must have one name per column "
                      "(unmerge it and name each column, e.g. 资金（万元）)",
                      "表头有跨列合并的单元格 {range}：每列须有自己的列名（请取消合并并分别命名，如“资金（万元）”）"),
    "no_header": ("no header row found in the first {rows} rows: expected a row naming {expected}",
                  "前 {rows} 行中找不到表头：应有一行含 {expected}"),
    "missing_import_column": ("no column for {what}: expected a header such as {expected}",
                              "缺少“{what_zh}”列：表头应如 {expected}"),
    "column_twice": ("this column names the {field} as {first} does; {first} is read and this one is not (rename "
                     "or delete one to choose)",
                     "该列与“{first}”都对应“{field_zh}”：读取“{first}”，不读取该列（请改名或删除其一）"),
    "no_amount_unit": ("the amount header states no unit: write 万元 or 元 in it (e.g. 资金（万元）), or give "
                       "--amount-unit",
                       "金额列的表头没有注明单位：请写明万元或元（如“资金（万元）”），或使用 --amount-unit"),
    "total_mismatch": ("{kind} row does not add up: it states {stated} but its {count} row(s) sum to {summed} "
                       "({unit})",
                       "{kind_zh}行对不上：写明 {stated}，而其所含 {count} 行合计为 {summed}（{unit}）"),
    "total_excluded": ("{count} subtotal/total row(s) (小计/合计/总计) checked and excluded",
                       "{count} 个小计/合计/总计行已核对并剔除"),
    "project_no_year": ("no year: the project has no 年度 cell, the title names none and --year was not given",
                        "没有年份：该项目没有“年度”，标题中也没有年份，且未给出 --year"),
    "project_no_source": ("no funding source: add a 资金来源 column or give --source",
                          "没有资金来源：请添加“资金来源”列，或使用 --source"),
    "shares_bad": ("the villages' stated shares cannot split the amount: {total}; state a percentage for each "
                   "(they add up to 100%) or an amount for each (they add up to the project's)",
                   "各村所注份额无法用于分配资金：{total}；"
                   "请给每个村注明百分比（合计 100%）或金额（合计等于项目金额）"),
    "split_equally": ("{count} villages and no stated shares: the amount is split equally ({each} {unit} each)",
                      "{count} 个村且未注明比例：资金平均分配（每村 {each} {unit}）"),
    "project_two_ledgers": ("the same project ({project}, {year}) is in {other}: check it is not counted twice",
                            "同一项目（{project}，{year} 年）也在 {other}：请核对是否重复计算"),
    "project_recorded_twice": ("the same project, year, villages and amount as {other}: a project recorded in two "
                               "ledgers would be counted twice; keep it in one",
                               "与 {other} 的项目、年份、村和金额完全相同：同一项目记在两本台账里会被重复计算；"
                               "请只保留一处"),
    # --- rosters
    "unit_level_unknown": ("the unit name states no level (中央/省/市/县/乡镇): add the level to [levels] of a header "
                           "map, or write it in a 单位层级 column",
                           "单位名称看不出层级（中央/省/市/县/乡镇）：请在表头对照表的 [levels] 中添加，"
                           "或填写“单位层级”列"),
    "unit_level_ambiguous": ("the unit name names two levels ({levels}): write the dispatching unit's own level in a "
                             "单位层级 column, or map this name in [levels] of a header map",
                             "单位名称同时含有{levels_zh}两级：请在“单位层级”列中填写派出单位自身的层级，"
                             "或在表头对照表的 [levels] 中说明"),
    "unit_strength_unknown": ("department strength not recognised from the name: strength left empty (add the "
                              "department to [strength] of a header map)",
                              "无法从名称判断部门实力：实力留空（可在表头对照表的 [strength] 中添加该部门）"),
    "unit_strength_ambiguous": ("the unit name names departments of two strengths ({strengths}): strength left "
                                "empty", "单位名称含有两种实力的部门（{strengths}）：实力留空"),
    "unit_new": ("no unit of this name in the units table: it is added as a new unit; close names (written to the "
                 "candidates file — confirm one to use it instead): {candidates}",
                 "单位表中没有这个名称：作为新单位添加；相近的名称（已写入候选文件，确认其一即改用该单位）：{candidates}"),
    "roster_no_date": ("no start date: add a 驻村时间/选派时间 column or give --start-date",
                       "没有驻村开始时间：请添加“驻村时间/选派时间”列，或使用 --start-date"),
    "unknown_role": ("unknown post: expected 第一书记 or 队员 (工作队员, 工作队长)",
                     "无法识别的职务：应为 第一书记 或 队员（工作队员、工作队长）"),
    "dta_labels": ("cannot honour the value labels: {detail}", "无法使用取值标签：{detail}"),
}

MESSAGES.update(IMPORT_MESSAGES)
