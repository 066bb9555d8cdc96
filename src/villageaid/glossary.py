"""The bilingual glossary: the Chinese terms of 驻村帮扶 as the package and both editions of the paper use them.

Each entry gives the term, its English rendering, what it means here and, where a wrong reading is common, the
reading to avoid. The codebook (``data/CODEBOOK.md``) prints the glossary; the Chinese edition of the paper
(:mod:`villageaid.report.paper_text_zh`, ``paper/main_zh.tex``) uses these terms.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One glossary entry."""

    zh: str
    en: str
    meaning: str
    not_this: str = ""


GLOSSARY: tuple[Term, ...] = (
    Term("驻村帮扶", "village-based assistance", "units send cadres to live in a village and bring resources"),
    Term("驻村第一书记", "first secretary", "the cadre a dispatching unit sends to lead a village's party branch"),
    Term("驻村工作队", "work team", "the first secretary and team members (驻村队员) sent to a village"),
    Term("派出单位", "dispatching unit", "the department, state enterprise or public institution that sends them"),
    Term("定点帮扶", "designated assistance", "a central or provincial unit's standing assistance to a county"),
    Term("脱贫攻坚", "poverty-alleviation campaign", "2016–2020"),
    Term("衔接过渡期", "transition period", "2021–2025, after poverty was declared eliminated"),
    Term("衔接资金", "transition funds", "the central subsidy fund for consolidating poverty alleviation and rural "
         "revitalisation, which replaced the special poverty fund from 2021"),
    Term("雨露均沾", "benefits all", "bottom-line targeting graded by need: every poor village is covered, the "
         "neediest first and most", "平均分配 / an equal split"),
    Term("强强联合", "strong alliance", "high-level units and key projects paired with already advantaged villages"),
    Term("强者愈强", "the strong get stronger", "resources follow results already achieved"),
    Term("县级配套资金", "county matching funds", "the county's money added to a unit's project",
         "县级统筹资金, which names pooled funds"),
    Term("县级统筹", "county pooling", "the county's funds pooled and allocated together (the paper's second "
         "recommendation)", "any county money"),
    Term("重点帮扶村", "key village designated for assistance", "a designation; in the source paper it went to an "
         "advantaged village", "the poorest villages by definition"),
    Term("乡村振兴示范村", "rural-revitalisation demonstration village", "a designation with its own projects"),
    Term("深度贫困村", "deep-poverty village", "a designation of the campaign for the poorest villages"),
    Term("双向选择", "two-sided choice", "units choose villages and villages seek units; county records show only "
         "where units went, so a one-sided assignment model does not test it", "a one-sided assignment model"),
    Term("多级合治", "multi-level joint governance", "a city-level first secretary with members from strong county "
         "departments and township support"),
    Term("低效", "inefficiency", "a mismatch of resource types and need types", "low returns in general"),
    Term("两张清单", "the two lists", "a list of the units' resources and a list of the villages' needs, matched"),
    Term("开源", "opening new sources", "new social and market money beside the units' own"),
)


def glossary_markdown() -> str:
    """Render the glossary as a Markdown section of the codebook."""
    lines = ["## Glossary (术语表)", "",
             "The Chinese terms as villageaid and both editions of the paper use them; the last column names the "
             "reading to avoid.", "",
             "| 术语 | English | meaning | not |", "| --- | --- | --- | --- |"]
    lines += [f"| {t.zh} | {t.en} | {t.meaning} | {t.not_this} |" for t in GLOSSARY]
    return "\n".join(lines) + "\n"
