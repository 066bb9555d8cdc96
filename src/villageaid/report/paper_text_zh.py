"""The Chinese edition's data-dependent text (``paper_text_zh.tex``), from the same facts as the English one.

``paper/main_zh.tex`` inputs it; its macros have the English edition's names, so both editions share the
generated sections of tables and figures. Every number is the one the English text quotes, formatted the same
way; the facts (verdicts, the estimates that run against a claim, the bootstrap beside the jackknife, the
fragility flags) come from :mod:`villageaid.report.paper_results`. Terms follow the glossary
(:data:`villageaid.glossary.GLOSSARY`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.analysis.truth import panel_truth
from villageaid.io.write import write_text
from villageaid.registry import RICH_ASINH, RICH_PPML, SENSITIVITY_RESTRICTIONS, TABLE5, TABLE9, TABLE10
from villageaid.report.paper_results import (
    LEVEL,
    MIN_FIRST_STAGE_F,
    EstimateFact,
    Fragility,
    asinh_reads_as_percent,
    bootstrap_checks,
    estimate_facts,
    fragility,
    hypotheses,
    opposing_estimates,
    overall_verdict,
    verdict_counts,
    zero_share,
)
from villageaid.report.paper_text import HYPOTHESIS_TEXT, breakdowns, hypothesis_count, render_macros
from villageaid.report.tables import (
    MIN_BOOTSTRAP_CLUSTERS,
    MIN_CARRYING_VILLAGES,
    MIN_VARIANCE_CLUSTERS,
    sample_facts,
)

#: What each key estimate is, in Chinese, by its English description (the registry's; a test checks that
#: every key estimate with a claim has one).
DESCRIPTIONS_ZH = {
    "the strong-alliance coefficient (city-level unit × rich village, PPML) in 2021–2025":
        "2021–2025年强强联合系数（市级单位×优势村，PPML）",
    "funding of rich villages against others in the campaign (PPML)":
        "脱贫攻坚期优势村相对其他村的资金差异（PPML）",
    "funding of rich villages against others in 2021–2025 (PPML)":
        "2021–2025年优势村相对其他村的资金差异（PPML）",
    "funding of villages with a city-level first secretary in 2021–2025 (PPML)":
        "2021–2025年市级第一书记所驻村的资金差异（PPML）",
    "the change after 2021 in the funding of rich villages (post × rich, PPML)":
        "2021年后优势村资金的变化（过渡期×优势村，PPML）",
    "the change after 2021 of the strong alliance (post × city-level × rich, PPML)":
        "2021年后强强联合的变化（过渡期×市级×优势村，PPML）",
    "post × rich in the asinh OLS model":
        "asinh 线性模型中的过渡期×优势村系数",
    ("the Callaway–Sant'Anna effect of designation as a demonstration village in its first year (not-yet-treated contro"
     "ls)"):
        "示范村认定当年的效应（Callaway–Sant'Anna，以尚未认定村为对照）",
    "the return to funding on log collective income (2SLS, coefficient of asinh(funding))":
        "资金对村集体收入（对数）的回报（2SLS，asinh(资金)的系数）",
    ("how the return to funding on log collective income changes with the endowment index (2SLS, asinh(funding) × endow"
     "ment index: the heterogeneity of returns, not the paper's 低效, which is the mismatch of resources and needs)"):
        ("资金回报随禀赋指数的变化（2SLS，asinh(资金)×禀赋指数；这是回报的异质性，并非原文所说的低效，即资源与需求错"
         "配）"),
    ("county funding of a village not designated on the share of its township's other villages designated (PPML; the"
     " diversion of county money, 示范村虹吸)"):
        "未认定村的县级资金对同乡镇其他村认定比例的回归系数（PPML；示范村对县级资金的虹吸）",
    ("log collective income of a village not designated on the share of its township's other villages designated (OLS;"
     " the demonstration effect on neighbours, 以点带面)"):
        "未认定村的集体收入（对数）对同乡镇其他村认定比例的回归系数（OLS；以点带面的示范效应）",
    ("the need gradient of funding in the campaign (PPML, per standard deviation of the need index): 雨露均沾 as need-g"
     "raded targeting"):
        "脱贫攻坚期资金的需求梯度（PPML，需求指数每增加一个标准差）：雨露均沾即按需分级",
    "funding of deep-poverty villages (深度贫困村) against others of the same need in the campaign (PPML)":
        "脱贫攻坚期深度贫困村相对同等需求其他村的资金差异（PPML）",
    "the change after 2021 of the need gradient of funding (post × need index, PPML)":
        "2021年后资金需求梯度的变化（过渡期×需求指数，PPML）",
    "the change after 2021 of the endowment gradient of funding (post × endowment index, PPML)":
        "2021年后资金禀赋梯度的变化（过渡期×禀赋指数，PPML）",
    ("how much more funding follows last year's growth of collective income after 2021 (post × lagged growth, PPML):"
     " results attract resources"):
        "2021年后资金对上年集体收入增长的额外响应（过渡期×滞后增长，PPML）：资源追随成绩",
    "the change in β of collective-income growth on its starting level after 2021 (> 0: villages diverge)":
        "2021年后集体收入增长对初始水平的β系数的变化（大于0表示村庄分化）",
    "the change at 2021 of the concentration index of funding ranked by endowment":
        "2021年前后按禀赋排序的资金集中指数的变化",
    "the change at 2021 of the concentration index of funding ranked from the neediest":
        "2021年前后按需求（从最困难村起）排序的资金集中指数的变化",
    "the vertical gap minus the horizontal one (city-level minus strong-department coefficient, PPML, 2021–2025)":
        "纵向差距减横向差距（市级系数减强势部门系数，PPML，2021–2025年）",
    "the change at 2021 of the logit slope of city-level assignment on endowment":
        "2021年前后市级单位分配对禀赋的logit斜率的变化",
    ("the change in the probability that the assisted industry is still active after the unit left, in villages that"
     " are not rich against rich ones"):
        "帮扶单位撤出后，非优势村相对优势村的产业存续概率之差",
    "log collective income against the share of funding whose projects serve no listed need (低效 as mismatch)":
        "村集体收入（对数）对不对应任何需求的项目资金占比的系数（低效即错配）",
    "county funding of villages with a city-level first secretary in 2021–2025 (PPML): county matching, 县级配套":
        "2021–2025年市级第一书记所驻村的县级资金差异（PPML）：县级配套资金",
    "the team alliance (多级合治): a city-level secretary × the members' strength, PPML, 2021–2025":
        "工作队的多级合治：市级第一书记×队员实力（PPML，2021–2025年）",
}
_VERDICT_ZH = {"supported": "支持该论断", "contradicted": "与该论断相反",
               "undetermined": "区间包含零，数据无法判断"}
_OVERALL_ZH = {"supported": "在本数据上，{m}。", "contradicted": "数据与“{m}”这一论断相反。",
               "undetermined": "数据既不能证实也不能排除：{m}。",
               "mixed": "各项检验对“{m}”的结论不一致：它们检验的是论断的不同侧面（见表0）。"}
_OPPOSING_NOTE_ZH = {
    "campaign": "脱贫攻坚期市级×优势村系数为负，意味着市级单位避开了优势村，这正是按需分级（H2）所预期的：强强联合若存"
                "在，也是过渡期的新现象，而非一贯如此。",
    "event_study": "2021年后某一年的系数显著为负，说明该年差距反向；检验的年份较多时，二十次中约有一次会偶然达到5%的显"
                   "著性，因此单一年份的分量小于表4的合并估计。",
    "robustness": "符号随函数形式（asinh、log(1+y) 或 PPML）而变；保留零值和水平的 PPML 是主要估计。",
}
_NUMBERS_ZH = "零一二三四五六七八九十"


def number_zh(n: int) -> str:
    """Return a count up to 99 in Chinese numerals."""
    if n < 11:
        return _NUMBERS_ZH[n]
    if n < 20:
        return "十" + (_NUMBERS_ZH[n - 10] if n > 10 else "")
    if n < 100:
        return _NUMBERS_ZH[n // 10] + "十" + (_NUMBERS_ZH[n % 10] if n % 10 else "")
    return str(n)


def _size_zh(fact: EstimateFact, asinh_percent: bool) -> str:
    value, scale = fact.value, fact.key.scale
    if scale == "semi_elasticity":
        return f"预期资金变化{100 * (math.exp(value) - 1):+.0f}%"
    if scale == "asinh":
        if asinh_percent:
            return f"资金约变化{100 * (math.exp(value) - 1):+.0f}%"
        return "asinh 尺度上的差异，不能读作百分比"
    if scale == "return":
        return (f"资金每增加e倍，结果约变化{100 * (math.exp(value) - 1):+.1f}%" if asinh_percent
                else "asinh(资金)每增加一个单位，结果的对数变化")
    if scale == "return_change":
        return "禀赋每增加一个标准差，回报的变化"
    if scale == "logit":
        return f"禀赋每增加一个标准差，发生比乘以{math.exp(value):.2f}"
    if scale == "per_growth":
        return f"上年收入增长每高10个百分点，资金变化{100 * (math.exp(0.1 * value) - 1):+.1f}%"
    return ""


def estimate_sentence_zh(fact: EstimateFact, asinh_percent: bool) -> str:
    """Return one sentence per key estimate, the same form for every kind (as the English edition)."""
    key = fact.key
    what = DESCRIPTIONS_ZH.get(key.description, key.description)
    if fact.verdict == "not estimated":
        return f"{what}在本数据上无法估计。"
    interval = (f"单侧95%界为{fact.low:.3f}和{fact.high:.3f}" if key.one_sided
                else f"95%置信区间为{fact.low:.3f}至{fact.high:.3f}")
    size = _size_zh(fact, asinh_percent)
    claimed = "正" if key.claim > 0 else "负"
    return (f"{what}为{fact.value:.3f}（论断预期为{claimed}；{interval}{'；' + size if size else ''}），"
            f"{_VERDICT_ZH[fact.verdict]}。")


def results_paragraphs_zh(tables_dir: Path, panel: pd.DataFrame) -> list[tuple[str, str]]:
    """Return (heading, text) per hypothesis, grouped by claim as in the English edition."""
    facts = estimate_facts(tables_dir)
    asinh_percent = asinh_reads_as_percent(panel)
    opposing = opposing_estimates(tables_dir)
    boots = bootstrap_checks(tables_dir)
    out = []
    for hypothesis in hypotheses():
        mine = [f for f in facts if f.key.hypothesis == hypothesis]
        if not mine:
            continue
        _, (title, meaning) = HYPOTHESIS_TEXT.get(hypothesis, (("", ""), (hypothesis, "")))
        sentences = []
        estimated = [f for f in mine if f.verdict != "not estimated"]
        if len({f.verdict for f in estimated}) > 1:
            counts = {v: sum(f.verdict == v for f in estimated) for v in ("supported", "contradicted", "undetermined")}
            parts = [f"{number_zh(counts['supported'])}项支持" if counts["supported"] else "",
                     f"{number_zh(counts['contradicted'])}项相反" if counts["contradicted"] else "",
                     f"{number_zh(counts['undetermined'])}项无法判断" if counts["undetermined"] else ""]
            sentences.append(f"{number_zh(len(estimated))}项检验中，" + "，".join(p for p in parts if p) + "。")
        sentences += [estimate_sentence_zh(f, asinh_percent) for f in mine]
        against = [o for o in opposing if o.hypothesis == hypothesis]
        if against:
            listed = "；".join(f"{o.table}，{o.model}{'，' + o.period + '年' if o.period else ''}：{o.estimate:.3f}"
                              f"（95%置信区间{o.low:.3f}至{o.high:.3f}，p = {o.p_value:.3f}）" for o in against)
            sentences.append(f"与论断方向相反且在5%水平显著的估计：{listed}。"
                             + "".join(_OPPOSING_NOTE_ZH[c] for c in dict.fromkeys(o.context for o in against)))
        mine_boots = [b for b in boots if b.hypothesis == hypothesis]
        if mine_boots:
            parts = []
            for b in mine_boots:
                text = (f"{b.table}，{b.model}，{b.term_label}：野聚类自助法 p = {b.p_bootstrap:.3f}，"
                        f"刀切法 p = {b.p_jackknife:.3f}")
                if not b.agrees:
                    text += "，二者在5%水平上结论不一致，该结论取决于方差估计方法"
                parts.append(text)
            sentences.append("乡镇层面的野聚类自助法与刀切法对照：" + "；".join(parts) + "。"
                             + ("二者在5%水平上结论一致。" if all(b.agrees for b in mine_boots) else ""))
        overall = overall_verdict(mine)
        if overall and meaning:
            sentences.append(_OVERALL_ZH[overall].format(m=meaning))
        out.append((f"{hypothesis}：{title}", "".join(sentences)))
    return out


def asinh_caveat_zh(panel: pd.DataFrame) -> str:
    """Return the units caveat of asinh coefficients, in Chinese."""
    if asinh_reads_as_percent(panel):
        return "本文的 asinh 系数可近似读作百分比变化：零资金的村庄-年份很少，且金额较大，此时 asinh(y) 接近 log(2y)。"
    share = zero_share(panel)
    zeros = f"{share:.0%}的村庄-年份没有资金" if np.isfinite(share) else "资金存在零值"
    return f"本文的 asinh 系数是 asinh 尺度上的差异，不能读作百分比：{zeros}，存在零值时系数取决于资金的计量单位。"


def pre_trend_zh(tables_dir: Path) -> str:
    """Return the pre-trend tests and the power of each, in Chinese."""
    try:
        table = pd.read_csv(tables_dir / f"{TABLE5.stem}.csv")
    except OSError:
        return "事件研究在本数据上无法估计。"
    if "term" not in table or "p_value" not in table:
        return "事件研究在本数据上无法估计（见表5）。"
    tests = table.loc[table["term"] == "pre_trend_test"]
    if tests.empty:
        return "事件研究没有2020年以前的年份可供检验。"
    shown = "；".join(f"{r.model}：p = {r.p_value:.3f}" for r in tests.itertuples())
    failed = [str(r.model) for r in tests.itertuples() if r.p_value < LEVEL]
    text = f"2020年以前各期事件研究系数全为零的联合检验：{shown}。"
    text += ("以下模型拒绝原假设，平行趋势存疑：" + "、".join(failed) + "。" if failed else
             "在5%水平上均未拒绝；检验功效较低时，这只是平行趋势的弱证据。")
    slopes = table.loc[table["term"].astype(str).str.startswith("pretrend_slope_")]
    power = []
    for model, label in ((RICH_ASINH, "优势村×年份（asinh）"), (RICH_PPML, "优势村×年份（PPML）")):
        rows = slopes.loc[slopes["model_id"] == model.id].set_index("term")["estimate"]
        if {"pretrend_slope_50", "pretrend_slope_80"} <= set(rows.index):
            power.append((label, float(rows["pretrend_slope_50"]), float(rows["pretrend_slope_80"])))
    if power:  # one sentence for every model's power, as in the English edition
        text += ("线性的平行趋势偏离有一半的概率通过预检验的幅度为："
                 + "、".join(f"{label}每年{half:.3f}" for label, half, _ in power)
                 + "；有五分之一的概率通过的幅度为：" + "、".join(f"{fifth:.3f}" for _, _, fifth in power)
                 + "（Roth 2022）。")
    return text


def sensitivity_zh(tables_dir: Path) -> str:
    """Return the breakdown values under both restrictions in one sentence, in Chinese."""
    labels = {"the 2021 rich × year effect (asinh)": "2021年优势村×年份效应（asinh）",
              "the 2021 rich × year effect (PPML)": "2021年优势村×年份效应（PPML）",
              "the first-year effect of designation (Callaway–Sant'Anna)": "示范村认定当年效应（Callaway–Sant'Anna）"}
    smooth, relative = SENSITIVITY_RESTRICTIONS
    parts, never = [], {}
    for restriction, name, symbol in ((smooth, "平滑性约束", "M"), (relative, "相对幅度约束", "M̄")):
        found = breakdowns(tables_dir, restriction)
        listed = [f"{labels.get(label, label)} {symbol} = {value:.3f}" + ("（整个网格）" if status == "grid" else "")
                  for label, value, status in found if status != "none"]
        for label, _, status in found:
            if status == "none":
                never.setdefault(labels.get(label, label), []).append(symbol)
        if listed:
            parts.append(f"{name}下，" + "；".join(listed))
    text = ""
    if parts:
        text = "崩溃值（Rambachan and Roth 2023；表5b、表6c），即各效应在5%水平上保持显著所容许的最大平行趋势偏离：" \
               + "；".join(parts) + "。"
    if never:
        text += "以下效应即使在平行趋势严格成立时也不显著，因而不存在崩溃值：" + "、".join(never) + "。"
    return text


def fragility_zh(found: Fragility) -> str:
    """Return the fragility paragraph in Chinese: each flagged result named, each passed check said."""
    flags, passed = [], []
    if found.failed_pre_trends:
        flags.append("前趋势检验拒绝：" + "、".join(f"{table}的{model}（p = {p:.3f}）"
                                              for table, model, p in found.failed_pre_trends)
                     + "，这些设计的识别假设（平行趋势）存疑")
    else:
        passed.append("前趋势检验在5%水平上均未拒绝")
    if found.few_clusters:
        kinds = {"village": "个村", "township": "个乡镇", "county": "个县"}
        flags.append("、".join(f"{table}按{n}{kinds.get(kind, kind)}聚类" for table, kind, n in found.few_clusters)
                     + f"，少于{MIN_VARIANCE_CLUSTERS}个聚类，其稳健标准误依据的聚类过少")
    else:
        passed.append(f"记录了聚类数的各表，其聚类数均不少于{MIN_VARIANCE_CLUSTERS}")
    if found.weak_first_stages:
        flags.append("、".join(f"{table}中{column}的第一阶段F值为{value:.1f}"
                              for table, _, column, value in found.weak_first_stages)
                     + f"，低于{MIN_FIRST_STAGE_F:.0f}，属弱工具变量，2SLS区间不可靠，应以Anderson–Rubin集为准")
    else:
        passed.append(f"第一阶段F值均不低于{MIN_FIRST_STAGE_F:.0f}")
    if found.unbounded_sets:
        flags.append("、".join(f"{table}中{column}的Anderson–Rubin 95%集合无界（{cell}）"
                              for table, column, cell in found.unbounded_sets) + "，数据无法界定该系数")
    else:
        passed.append("Anderson–Rubin集合均有界")
    if found.fallbacks:
        flags.append("、".join(f"{table}中有{n}个模型的聚类刀切法无定义（{reasons}"
                               f"）" for table, n, reasons in found.fallbacks)
                     + "，其标准误以†标出，为CRV1，在承载系数的村很少时偏小")
    else:
        passed.append("聚类刀切法对所有模型均有定义")
    if found.carried:
        flags.append("、".join(f"{years}年{coef}系数仅由{n}个村承载" for coef, years, n in found.carried))
    else:
        passed.append(f"市级×优势村系数均由不少于{MIN_CARRYING_VILLAGES}个村承载")
    if found.treated_townships:
        flags.append("有市级单位驻优势村的乡镇：" + "、".join(f"{years}年为{total}个中的{n}个"
                                                 for _, years, n, total in found.treated_townships)
                     + f"，处理（或未处理）聚类少于{MIN_BOOTSTRAP_CLUSTERS}个，乡镇野聚类自助法的p值只能作粗略参考")
    else:
        passed.append(f"含有与不含市级×优势村的乡镇均不少于{MIN_BOOTSTRAP_CLUSTERS}个")
    text = "逐项检查本数据上的脆弱结果：" + ("；".join(flags) + "。" if flags else "没有结果被标记。")
    if passed:
        text += "此外，" + "，".join(passed) + "。"
    return text


def data_text_zh(panel: pd.DataFrame) -> str:
    """Return what the data are, in Chinese."""
    facts = sample_facts(panel)
    types = "，".join(f"{t}类{n}个" for t, n in facts["types_transition"].items())
    counts = (f"{facts['counties']}个县、{facts['townships']}个乡镇、{facts['villages']}个村，"
              f"{facts['first_year']}–{facts['last_year']}年（2021–2025年村庄类型：{types}）")
    if facts["simulated"]:
        scenario = (panel_truth(panel) or {}).get("scenario", {})
        return (f"数据为模拟数据（{facts['source']}）：{counts}。情景 {scenario.get('name', 'unknown')}。"
                "潜在禀赋决定村庄的基期特征；派出单位在脱贫攻坚开始时分配，2021年重新选派；示范村自2021年起分批认定；"
                "四类来源的资金期望值对单位层级、优势村、二者交互及认定年数呈对数线性，系数由情景设定。"
                "真实效应写在数据旁（truth.json），表10将主要估计与之对照。")
    return (f"数据为县级台账：{facts['source']}；{counts}。数据经 villageaid 的表头映射读入，"
            "使用前逐项校验并报告全部问题；来源（文件、金额单位）记录在校验后的表旁。")


def limitations_zh(panel: pd.DataFrame, tables_dir: Path) -> str:
    """Return the limitations of these data, in Chinese (the fragile results are their own paragraph)."""
    facts = sample_facts(panel)
    out = []
    if facts["simulated"]:
        out.append("数据为模拟数据：它们说明在此规模下方法能恢复什么，并不反映真实县域的情况。")
        out.append(truth_zh(tables_dir))
    else:
        out.append(f"估计描述的是所用台账（{facts['source']}），是这些县和年份中的相关关系，"
                   "其识别依赖各表所述的假设。")
    if facts["counties"] < MIN_VARIANCE_CLUSTERS:
        out.append(f"资金、选派与认定由各县决定：本数据只有{facts['counties']}个县，关于资源配置的论断"
                   "（H1、H2、H3、H4、H5、H8、H9、H11、H12）只依据这些县的决策，无论其村庄有多少；"
                   "按村聚类的标准误描述的是这些县内部的村庄，而非其他县。关于结果（H6、H10）和不平等（H7）的论断"
                   "依据村庄的反应，但也只在这些县的情境之中。")
    out.append("类型划分以县内禀赋指数的上三分位为优势村（若按中位数划分，原文关于C类最常见、A类最少的判断在算术上无法"
               "成立）。"
               "台账存在校验能够报告但无法纠正的计量问题。")
    return "".join(t for t in out if t)


def truth_zh(tables_dir: Path) -> str:
    """Return what Table 10 shows, in Chinese."""
    try:
        table = pd.read_csv(tables_dir / f"{TABLE10.stem}.csv")
    except OSError:
        return ""
    known = table.loc[table["truth"].notna() & table["estimate"].notna()]
    missed = known.loc[known["covered"].astype(str) == "False"]
    text = f"表10将各主要估计与模拟设定的真值对照：{len(known)}个95%区间中有{len(known) - len(missed)}个包含真值。"
    if len(missed):
        text += ("未包含真值的有：" + "；".join(f"{r.hypothesis}，{r.estimate:.3f}（真值{r.truth:.3f}）"
                                          for r in missed.itertuples())
                 + "。区间未覆盖真值可能出于偶然（二十次中应有一次）、估计量在此规模下的偏误，或模型遗漏了情景中的某一"
                   "机制。")
    return text


def policy_zh(tables_dir: Path) -> str:
    """Return the main numbers of Table 9, in Chinese."""
    try:
        table = pd.read_csv(tables_dir / f"{TABLE9.stem}.csv")
        values = table.set_index(["shape", "policy", "measure"])["estimate"]
        first = "concave" if "concave" in set(table["shape"]) else str(table["shape"].iloc[0])

        def value(policy: str, measure: str) -> float:
            return float(values.loc[(first, policy, measure)])

        return ("各政策均保持每个县的资金总额不变；只有开源增加渠道，单独列示（表9）。按估计的回报，两张清单的精准匹配"
                "把"
                f"{round(value('status_quo', 'city_posts'))}个市级（及以上）岗位中的"
                f"{value('precise_matching', 'city_posts_rich_share'):.0%}分给优势村（现状为"
                f"{value('status_quo', 'city_posts_rich_share'):.0%}，强强联合为"
                f"{value('strong_alliance', 'city_posts_rich_share'):.0%}）。脱贫攻坚的配置逻辑（雨露均沾：兜底优先、按"
                f"需分级）"
                f"使人均收入低于底线的村为{value('campaign', 'villages_below_line'):.0f}个，现状为"
                f"{value('status_quo', 'villages_below_line'):.0f}个。各政策的排序取决于回报形态，详见表9。")
    except (OSError, KeyError, ValueError, IndexError):
        return "表9在本数据上无法计算。"


def conclusion_zh(tables_dir: Path) -> str:
    """Return which hypotheses the data support, contradict or cannot decide, in Chinese."""
    counts = verdict_counts(estimate_facts(tables_dir))
    tested = sum(len(v) for v in counts.values())
    if not tested:
        return "本数据上没有论断可以检验。"
    parts = []
    for name, phrase in (("supported", "数据在全部检验中支持{h}"), ("contradicted", "与{h}相反"),
                         ("undetermined", "无法判断{h}"), ("mixed", "对{h}的各项检验结论不一")):
        if counts[name]:
            parts.append(phrase.format(h="、".join(counts[name])))
    return f"在本数据上可检验的{number_zh(tested)}个假说中，" + "；".join(parts) + "。"


def paper_text_zh_macros(tables_dir: Path, panel: pd.DataFrame) -> str:
    """Return the Chinese edition's macros (the content of ``paper_text_zh.tex``)."""
    facts = sample_facts(panel)
    if facts["simulated"]:
        scenario = (panel_truth(panel) or {}).get("scenario", {})
        edition = f"模拟数据版，情景 {scenario.get('name', 'unknown')}：以下所有估计均来自模拟数据"
        caption = "模拟数据"
        abstract = ("本文所用数据是按有据可查的生成过程、参照原文校准的模拟数据；"
                    "结果说明方法能恢复什么、精度如何，而非真实县域发生了什么。")
    else:
        edition = f"县级台账结果：{facts['source']}"
        caption = f"台账：{facts['source']}"
        abstract = f"以下结果基于县级台账估计（{facts['source']}：{facts['counties']}个县的{facts['villages']}个村）。"
    macros = {
        "VAEdition": edition,
        "VADataCaption": caption,
        "VAAbstractData": abstract,
        "VAHypothesisCount": number_zh(hypothesis_count()),
        "VADataText": data_text_zh(panel),
        "VAAsinhCaveat": asinh_caveat_zh(panel),
        "VAPreTrendText": pre_trend_zh(tables_dir),
        "VASensitivityText": sensitivity_zh(tables_dir),
        "VAFragilityText": fragility_zh(fragility(panel, tables_dir)),
        "VALimitationsText": limitations_zh(panel, tables_dir),
        "VATruthText": truth_zh(tables_dir),
        "VAPolicyText": policy_zh(tables_dir),
        "VAConclusionText": conclusion_zh(tables_dir),
    }
    return render_macros(macros, results_paragraphs_zh(tables_dir, panel))


def write_paper_text_zh(tables_dir: Path, panel: pd.DataFrame) -> Path:
    """Write ``paper_text_zh.tex`` (the Chinese edition's macros) into ``tables_dir``."""
    return write_text(tables_dir / "paper_text_zh.tex", paper_text_zh_macros(tables_dir, panel))
