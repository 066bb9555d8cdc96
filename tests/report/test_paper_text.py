"""The paper's generated text: grouped by claim, counted from the registry, fragile results flagged, both editions.

The fast tests build small tidy and Markdown tables by hand, so each flag of the fragility paragraph is seen to
fire on the number that should fire it (and not on its neighbour); the integration test builds the tables of one
county's own records and reads both editions' text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from villageaid.io.provenance import counties_label, data_source
from villageaid.registry import ARGUMENTS, KEY_ESTIMATES
from villageaid.report.paper_results import fragility, hypotheses
from villageaid.report.paper_text import fragility_text_en, hypothesis_count, number_word
from villageaid.report.paper_text_zh import fragility_zh, number_zh


def _panel(carrying: int = 12, townships: int = 12) -> pd.DataFrame:
    """A panel of 40 villages in county 平县: ``carrying`` of them city-level and rich, in ``townships`` townships."""
    rows = []
    for v in range(40):
        for year in (2019, 2022):
            rows.append({"village_id": f"V{v:02d}", "county": "平县", "township": f"T{v % 24:02d}", "year": year,
                         "period": "campaign" if year < 2021 else "transition",
                         "city_unit": v < carrying, "rich": v < carrying or v >= 35,
                         "funding_total": 5.0 + v})
    panel = pd.DataFrame(rows)
    if townships < 12:  # the carrying villages sit in few townships
        panel.loc[panel["city_unit"], "township"] = [f"T{i % townships:02d}" for i in range(panel["city_unit"].sum())]
    return panel


def _write(tables: Path, stem: str, csv: pd.DataFrame, markdown: str = "") -> None:
    tables.mkdir(parents=True, exist_ok=True)
    csv.to_csv(tables / f"{stem}.csv", index=False)
    if markdown:
        (tables / f"{stem}.md").write_text(markdown, encoding="utf-8")


def test_the_hypotheses_are_counted_from_the_registry() -> None:
    declared = {k.hypothesis for k in KEY_ESTIMATES} | {a.hypothesis for a in ARGUMENTS}
    assert hypothesis_count() == len([h for h in declared if h.startswith("H")]) == len(hypotheses())
    assert number_word(hypothesis_count()) == "twelve" and number_zh(hypothesis_count()) == "十二"
    assert number_zh(10) == "十" and number_zh(11) == "十一" and number_zh(27) == "二十七"


def test_records_are_named_by_their_counties_never_by_the_folder(tmp_path: Path) -> None:
    assert counties_label(["W", "W", "P"]) == "records of P and W counties"
    assert counties_label(["平县"]) == "records of 平县"
    assert counties_label([None, " ", float("nan")]) is None
    assert counties_label([f"C{i}" for i in range(6)]) == "records of 6 counties (C0, C1, C2, C3, ...)"
    folder = tmp_path / "county"
    folder.mkdir()
    assert data_source(folder, ["W"]) == "records of W county"
    assert data_source(folder) == "records in folder county"  # only when the records name no county


def test_a_robust_build_flags_nothing_and_says_what_was_checked(tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    _write(tables, "table5_event_study", pd.DataFrame(
        {"model_id": ["rich_ppml"], "model": ["Rich × year, PPML"], "term": ["pre_trend_test"], "estimate": [None],
         "p_value": [0.40], "vcov": ["cluster jackknife (CRV3) by village (270)"], "fallback_reason": [""]}))
    found = fragility(_panel(), tables)
    assert not found.flagged
    text = fragility_text_en(found)
    assert "none is flagged" in text and "no pre-trend test rejects" in text.lower()
    assert "没有结果被标记" in fragility_zh(found)


def test_each_fragile_result_is_flagged_in_both_editions(tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    _write(tables, "table5_event_study", pd.DataFrame(
        {"model_id": ["rich_ppml", "city_ppml"], "model": ["Rich × year, PPML", "City-level × year, PPML"],
         "term": ["pre_trend_test"] * 2, "estimate": [None, None], "p_value": [0.0004, 0.051],
         "vcov": ["cluster jackknife (CRV3) by village (27)"] * 2, "fallback_reason": ["", ""]}))
    _write(tables, "table3_level_endowment", pd.DataFrame(
        {"model_id": ["transition_ppml"], "model": ["(2) Funding (PPML)"], "term": ["city_x_rich"],
         "estimate": [1.0], "p_value": [0.01], "conf_low": [0.2], "conf_high": [1.8],
         "vcov": ["clustered (CRV1) by village (27)"],
         "fallback_reason": ["CRV3 undefined: without village 'W045', city_x_rich is not identified"]}))
    _write(tables, "table8b_returns", pd.DataFrame({"model_id": ["h10_iv"], "term": ["x"], "estimate": [0.1]}),
           "**Table 8b. Returns**\n\n| | log collective income: 2SLS | log per-capita income: 2SLS |\n"
           "| --- | --- | --- |\n| Anderson–Rubin 95% set | (-inf, -0.210] ∪ [0.480, inf) | [0.010, 0.070] |\n"
           "| First-stage partial F | 1.1 | 10.4 |\n")
    found = fragility(_panel(carrying=3, townships=2), tables)
    assert found.failed_pre_trends == [("Table 5", "Rich × year, PPML", 0.0004)]  # p = 0.051 passes
    assert ("Table 5", "village", 27) in found.few_clusters and ("Table 3", "village", 27) in found.few_clusters
    assert [(t, c, f) for t, _, c, f in found.weak_first_stages] == [("Table 8b", "log collective income: 2SLS",
                                                                      1.1)]
    assert [(t, c) for t, c, _ in found.unbounded_sets] == [("Table 8b", "log collective income: 2SLS")]
    assert found.fallbacks[0][:2] == ("Table 3", 1)
    assert ("city × rich", "2021–2025", 3) in found.carried
    assert any(n <= 2 for _, _, n, _ in found.treated_townships)
    text = " ".join(fragility_text_en(found).split())
    for phrase in ("the pre-trend test rejects for Rich × year, PPML in Table 5 (p = 0.000)",
                   "Table 5 clusters by 27 villages", "fewer than 30 clusters", "is 1.1 (log collective income",
                   "below 10", "is unbounded ((-inf, -0.210] ∪ [0.480, inf))", "cluster jackknife is undefined",
                   "only 3 villages carry the city × rich coefficient in 2021–2025", "too few treated"):
        assert phrase in text, phrase
    assert "10.4" not in text  # a strong first stage is not flagged
    zh = fragility_zh(found)
    for phrase in ("前趋势检验拒绝", "按27个村聚类", "第一阶段F值为1.1", "集合无界", "刀切法无定义", "仅由3个村承载",
                   "乡镇野聚类自助法"):
        assert phrase in zh, phrase


@pytest.mark.integration
def test_a_countys_own_records_are_named_and_their_fragile_results_flagged(tmp_path: Path) -> None:
    from tests.test_jackknife_fallback import LONE_TYPE_A, one_county_ledger
    from villageaid.workflow.build import TABLES, BuildConfig, build

    records = tmp_path / "county"  # a folder named after its content, not after the county
    one_county_ledger(records)
    root = tmp_path / "project"
    (root / "paper").mkdir(parents=True)
    build(BuildConfig(root=root, data=records, pdf="no", bootstrap_draws=99, workers=1), until="tables",
          log=lambda m: None)
    english = " ".join((root / TABLES / "paper_text.tex").read_text(encoding="utf-8").split())
    chinese = (root / TABLES / "paper_text_zh.tex").read_text(encoding="utf-8")
    assert "records of W county" in english and "records in county" not in english
    assert "台账：records of W county" in chinese
    assert "cluster jackknife is undefined" in english and LONE_TYPE_A in english
    assert "only 1 village carries the city × rich coefficient in 2021–2025" in english
    assert "too few treated" in english and "Fragile results" in english
    assert "刀切法无定义" in chinese and "仅由1个村承载" in chinese
    # grouped by claim: one paragraph per hypothesis, and the breakdown values in at most one sentence each
    assert english.count("\\paragraph{H") == len({k.hypothesis for k in KEY_ESTIMATES if k.claim and k.interval})
    assert english.count("(the breakdown value)") == 0


def test_every_claim_has_its_chinese_description_and_title() -> None:
    from villageaid.report.paper_text import HYPOTHESIS_TEXT
    from villageaid.report.paper_text_zh import DESCRIPTIONS_ZH

    claims = [k for k in KEY_ESTIMATES if k.claim and k.interval is not None]
    assert [k.description for k in claims if k.description not in DESCRIPTIONS_ZH] == []
    assert set(hypotheses()) <= set(HYPOTHESIS_TEXT)
    # the glossary's corrected terms: 雨露均沾 is need-graded, never an equal split
    assert all("平均" not in text for text in DESCRIPTIONS_ZH.values())


def test_estimates_against_a_claim_and_a_disagreeing_bootstrap_are_discussed(tmp_path: Path) -> None:
    from villageaid.report.paper_results import bootstrap_checks, opposing_estimates
    from villageaid.report.paper_text import results_paragraphs_en
    from villageaid.report.paper_text_zh import results_paragraphs_zh

    tables = tmp_path / "tables"
    table3 = pd.DataFrame({"model_id": ["transition_asinh", "transition_ppml", "campaign_asinh"],
                           "model": ["(1) asinh(funding)", "(2) Funding (PPML)", "(4) asinh(funding)"],
                           "term": ["city_x_rich"] * 3, "estimate": [0.9, 1.069, -1.081],
                           "std_error": [0.4, 0.396, 0.3], "statistic": [2.2, 2.7, -3.6],
                           "p_value": [0.032, 0.007, 0.0005], "conf_low": [0.1, 0.294, -1.67],
                           "conf_high": [1.7, 1.845, -0.49]})
    _write(tables, "table3_level_endowment", table3,
           "| | Transition 2021–2025: (1) asinh(funding) | Transition 2021–2025: (2) Funding (PPML) | "
           "Campaign 2016–2020: (4) asinh(funding) |\n| --- | --- | --- | --- |\n"
           "| Wild bootstrap p, city × rich | 0.081 |  | 0.002 |\n")
    _write(tables, "table5_event_study", pd.DataFrame(
        {"model_id": ["city_ppml", "city_ppml"], "model": ["City-level × year, PPML"] * 2,
         "term": ["year::2025:city", "year::2024:city"], "estimate": [-1.246, -0.3], "p_value": [0.012, 0.4],
         "conf_low": [-2.2, -1.0], "conf_high": [-0.27, 0.4], "period": [2025, 2024]}))
    against = opposing_estimates(tables)
    assert [(o.hypothesis, o.table, o.period, o.estimate) for o in against] == [
        ("H3", "Table 3", "", -1.081), ("H4", "Table 5", "2025", -1.246)]
    boots = {b.model: b for b in bootstrap_checks(tables)}
    assert not boots["(1) asinh(funding)"].agrees and boots["(4) asinh(funding)"].agrees
    panel = _panel()
    english = dict(results_paragraphs_en(tables, panel))
    h3 = next(text for heading, text in english.items() if heading.startswith("H3"))
    assert "-1.081" in h3 and "need-graded targeting (H2) predicts" in h3
    assert "p = 0.081 against the jackknife's 0.032 — they disagree at 5%" in h3
    assert "1.069 (claimed positive; 95% CI 0.294 to 1.845; +191% in expected funding): this supports" in h3
    h4 = next(text for heading, text in english.items() if heading.startswith("H4"))
    assert "City-level × year, PPML, 2025: -1.246" in h4
    chinese = dict(results_paragraphs_zh(tables, panel))
    h3_zh = next(text for heading, text in chinese.items() if heading.startswith("H3"))
    assert "-1.081" in h3_zh and "结论不一致" in h3_zh and "1.069" in h3_zh
