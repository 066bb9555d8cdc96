"""Fixtures of the importers, built by the tests (no committed binaries), and the tables each must produce."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

VILLAGES_CSV = """village_id,county,township,village_name,population,distance_to_county_km
W001,W县,城关镇,石桥村,800,12.5
W002,W县,城关镇,新民村,1200,8.0
W003,W县,河西乡,红星村,950,30.2
W004,W县,河西乡,新民村,700,25.0
W005,W县,城关镇,柳树社区,1500,3.1
"""

PROJECTS_2022 = "W县2022年衔接推进乡村振兴补助资金项目库.xlsx"
PROJECTS_2021 = "2021年统筹整合涉农资金项目计划.xlsx"
ROSTER = "W县第一书记和驻村工作队公示名单.xlsx"


def write_villages(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "villages.csv"
    path.write_text(VILLAGES_CSV, encoding="utf-8")
    return path


def _sheet(path: Path, rows: list[list[object]], merged: list[str], title: str = "Sheet1") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for span in merged:
        ws.merge_cells(span)
    book.save(path)
    return path


def project_rows_2022(*, total: float = 145, village_9: str = "新民村", township_8: str | None = "河西乡"
                      ) -> list[list[object]]:
    """The 2022 list: a merged title, section headings, a project merged over two rows, subtotals, a total."""
    return [
        ["W县2022年衔接推进乡村振兴补助资金项目库", None, None, None, None, None, None],
        ["序号", "项目名称", "项目类型", "乡镇", "村", "资金（万元）", "资金来源"],
        ["一、产业发展类", None, None, None, None, None, None],
        [1, "石桥村茶叶加工厂", "产业发展", "城关镇", "石桥村", 50, "衔接资金"],
        [2, "冷链仓储", "产业发展", "城关镇", "新民村、柳树社区", 30, "衔接资金"],
        ["小计", None, None, None, None, 80, None],
        ["二、基础设施类", None, None, None, None, None, None],
        [3, "通村道路硬化", "基础设施", township_8, "红星村", 40, "衔接资金"],
        [None, None, None, None, village_9, None, None],
        [4, "饮水工程", "饮水安全", "河西乡", "红星村（60%）、新民村（40%）", 25, "衔接资金"],
        ["小计", None, None, None, None, 65, None],
        ["合计", None, None, None, None, total, None],
    ]


#: Merged ranges of the 2022 list: the title, and project 3 (number, name, type, township, amount, source) over
#: rows 8-9.
MERGED_2022 = ["A1:G1", "A8:A9", "B8:B9", "C8:C9", "D8:D9", "F8:F9", "G8:G9"]


def write_projects(folder: Path, *, rows_2022: list[list[object]] | None = None,
                   merged_2022: list[str] | None = None) -> list[Path]:
    """Write the two project lists: 2022 in 万元 (merged cells, subtotals), 2021 in 元 (a cell with its own unit)."""
    folder.mkdir(parents=True, exist_ok=True)
    first = _sheet(folder / PROJECTS_2022, rows_2022 or project_rows_2022(),
                   MERGED_2022 if merged_2022 is None else merged_2022, "项目库")
    second = _sheet(folder / PROJECTS_2021, [
        ["项目名称", "乡镇", "实施地点", "投资（元）", "年度", "资金来源"],
        ["产业路", "城关镇", "石桥村委会", 120000, 2021, "县本级"],
        ["村级活动场所", "河西乡", "红 星 村", "8万元", "2021年", "中央衔接资金"],
        ["合计", None, None, 200000, None, None],
    ], [], "计划")
    return [first, second]


def expected_funding() -> pd.DataFrame:
    """The funding rows the two lists must give (amounts in 万元)."""
    rows = [
        ("W001", 2022, 50.0, "higher", "industry"),
        ("W002", 2022, 15.0, "higher", "industry"),
        ("W005", 2022, 15.0, "higher", "industry"),
        ("W003", 2022, 20.0, "higher", "infrastructure"),
        ("W004", 2022, 20.0, "higher", "infrastructure"),
        ("W003", 2022, 15.0, "higher", "water"),
        ("W004", 2022, 10.0, "higher", "water"),
        ("W001", 2021, 12.0, "county", None),
        ("W003", 2021, 8.0, "higher", None),
    ]
    frame = pd.DataFrame(rows, columns=["village_id", "year", "amount", "source", "project_type"])
    frame["unit_id"] = None
    return frame


def roster_rows(*, unit_5: str = "W县妇联", village_7: str = "新民村委会") -> list[list[object]]:
    """An announcement list: free-text unit names (one with inner spaces), posts, villages by name."""
    return [
        ["W县2021年驻村第一书记和工作队员公示名单", None, None, None, None, None],
        ["序号", "姓名", "派出单位", "驻村职务", "乡镇", "驻村村名"],
        [1, "张三", "X市财政局", "第一书记", "城关镇", "石桥村"],
        [2, "李四", "W县农业农村局", "队员", "城关镇", "石桥村"],
        [3, "王五", "W县档案馆", "工作队员", "城关镇", "石桥村"],
        [4, "赵六", "省农业农村厅", "第一书记兼工作队长", "河西乡", "红星村"],
        [5, "钱七", unit_5, "队员", "河西乡", "红星村"],
        [6, "孙八", "X市 财政局", "队员", "河西乡", "新民村"],
        [7, "周九", "W县民政局", "第一书记", "城关镇", village_7],
    ]


def write_roster(folder: Path, rows: list[list[object]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return _sheet(folder / ROSTER, rows or roster_rows(), ["A1:F1"], "名单")


def expected_units() -> pd.DataFrame:
    rows = [
        ("U001", "city", "X市财政局", "government", "strong"),
        ("U002", "county", "W县农业农村局", "government", "strong"),
        ("U003", "county", "W县档案馆", "public_institution", "marginal"),
        ("U004", "provincial", "省农业农村厅", "government", "strong"),
        ("U005", "county", "W县妇联", None, "marginal"),
        ("U006", "county", "W县民政局", "government", "general"),
    ]
    return pd.DataFrame(rows, columns=["unit_id", "level", "unit_name", "sector", "strength"])


def expected_assignments(cadre_ids: list[str]) -> pd.DataFrame:
    rows = [
        ("U001", "W001", "first_secretary"), ("U002", "W001", "team_member"), ("U003", "W001", "team_member"),
        ("U004", "W003", "first_secretary"), ("U005", "W003", "team_member"), ("U001", "W004", "team_member"),
        ("U006", "W002", "first_secretary"),
    ]
    frame = pd.DataFrame(rows, columns=["unit_id", "village_id", "role"])
    frame.insert(0, "cadre_id", cadre_ids)
    frame["start_date"] = "2021-06-01"
    frame["end_date"] = None
    return frame
