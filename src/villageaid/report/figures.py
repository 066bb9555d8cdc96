"""Figures of the companion paper (seaborn, one theme, PNG and PDF, byte-reproducible)."""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from villageaid.estimators import EventStudyResult
from villageaid.io.write import write_with

THEME = {"style": "whitegrid", "context": "paper", "font": "DejaVu Sans"}
#: The paper's line width in inches (an 11 pt article with 2.2 cm margins on US letter paper: 489.1 pt). A figure
#: is drawn at the size it is printed (``width`` × this), so that its font sizes are the printed ones.
LINE_WIDTH_INCHES = 489.1 / 72.27
#: Font sizes in points at print size: no text of a figure below 7 pt in the paper.
PRINT_FONT_SIZES = {"font.size": 8.0, "axes.titlesize": 8.5, "axes.labelsize": 8.0, "xtick.labelsize": 7.5,
                    "ytick.labelsize": 7.5, "legend.fontsize": 7.5, "legend.title_fontsize": 7.5,
                    "figure.titlesize": 8.5}
#: The smallest text of a figure (notes, annotations), in points at print size.
SMALL_FONT = 7.5
CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei")
_ZH = {
    "Year (2020 = reference; dashed line: 2021 break)": "年份（2020年为基准；虚线：2021年转折）",
    "Coefficient (95% CI)": "系数（95%置信区间）",
    "CS 95% uniform band": "CS 95%一致置信带",
    "Callaway–Sant'Anna (pointwise 95%)": "Callaway–Sant'Anna（逐点95%）",
    "Sun–Abraham": "Sun–Abraham",
    "Years since designation as a demonstration village": "认定为示范村后的年数",
    "Effect on asinh(funding)": "对asinh(帮扶资金)的效应",
    "Year (dashed line: 2021 break)": "年份（虚线：2021年转折）",
    "Inequality of funding between villages": "村庄间帮扶资金不平等",
    "Cumulative share of villages": "村庄累计占比",
    "Cumulative share of funding": "资金累计占比",
    "Mean funding per village (10,000 yuan)": "村均帮扶资金（万元）",
    "unit level": "单位层级",
    "department strength": "部门实力",
    "Spearman ρ with endowment": "与资源禀赋的Spearman相关系数",
    "Estimate (95% CI); PPML: effect on log expected funding": "估计值（95%置信区间）；PPML：对期望资金对数的效应",
    "Gini": "基尼系数",
    "Theil T": "泰尔指数",
    "Type": "类型",
    "Lorenz curve": "洛伦兹曲线",
    "Estimate (95% CI)": "估计值（95%置信区间）",
    "Truth of the simulation": "模拟真值",
    "no Lorenz curve: its years are not in these data": "数据中没有洛伦兹曲线的年份",
    "Rich × year (asinh funding)": "资源丰富村×年份（asinh资金）",
    "City-level × year (asinh funding)": "市级单位×年份（asinh资金）",
    "Original": "原区间",
    "Robust (FLCI)": "稳健区间（FLCI）",
    "Robust (C-LF)": "稳健区间（C-LF）",
    "Robust (Conditional)": "稳健区间（条件检验）",
    "M (smoothness bound)": "M（平滑性界）",
    "M̄ (relative magnitude bound)": "M̄（相对幅度界）",
    "Rich × year, asinh: ΔSD": "资源丰富村×年份，asinh：ΔSD",
    "Rich × year, asinh: ΔRM": "资源丰富村×年份，asinh：ΔRM",
    "Rich × year, PPML: ΔSD": "资源丰富村×年份，PPML：ΔSD",
    "Rich × year, PPML: ΔRM": "资源丰富村×年份，PPML：ΔRM",
    "Designation, CS (universal base): ΔSD": "示范村认定，CS（统一基期）：ΔSD",
    "Designation, CS (universal base): ΔRM": "示范村认定，CS（统一基期）：ΔRM",
    "†: reaches the end of the test grid": "†：区间到达检验网格端点",
    "Status quo": "现状（实际派驻与资金）",
    "Campaign logic (bottom line, graded by need)": "雨露均沾（兜底、按需分级）",
    "Strong alliance": "强强联合",
    "Precise matching (two lists)": "精准匹配（两张清单）",
    "Fewer but stronger cadres": "重点派、精准派、派精干",
    "User policy": "用户政策",
    "concave": "凹（估计）", "linear": "线性", "complementarity": "互补", "lumpy": "项目不可分",
    "return shape / policy": "回报形态／政策",
    "Change in need-weighted welfare (yuan/person)": "按需加权福利变化（元/人）",
    "Gini of funding within counties": "县内资金基尼系数",
    "Change in collective income (10,000 yuan/year)": "村集体收入变化（万元/年）",
    "Years since the first city-level first secretary": "首位市级第一书记到任后的年数",
    "Effect on log collective income": "对村集体收入对数的效应",
}
_LANGUAGE = {"current": "en"}


class FontMissingError(RuntimeError):
    """Chinese labels were asked for but no CJK font is installed."""


def use_language(language: str) -> None:
    """Label figures in English ("en", default) or Chinese ("zh", needs a CJK font such as Noto CJK)."""
    if language not in ("en", "zh"):
        raise ValueError(f"unknown language {language!r}: use 'en' or 'zh'")
    if language == "zh":
        font = installed_cjk_font()
        if font is None:
            raise FontMissingError("Chinese figure labels need a CJK font, and none is installed: run 'make fonts' "
                                   "(Debian package fonts-noto-cjk), or use --lang en")
        THEME["font"] = font
    else:
        THEME["font"] = "DejaVu Sans"
    _LANGUAGE["current"] = language


def installed_cjk_font() -> str | None:
    """Return the first of :data:`CJK_FONTS` that matplotlib finds, or None (its font cache rebuilt once if needed)."""
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    font = next((f for f in CJK_FONTS if f in available), None)
    if font is None and not _CJK_SEARCHED:  # fonts installed after matplotlib built its cache: rebuild it once
        _CJK_SEARCHED.append(True)
        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        available = {f.name for f in font_manager.fontManager.ttflist}
        font = next((f for f in CJK_FONTS if f in available), None)
    return font


_CJK_SEARCHED: list[bool] = []


@functools.lru_cache(maxsize=8)
def _drawable(font: str) -> frozenset[int]:
    """Return the code points ``font`` has glyphs for (its character map)."""
    from matplotlib import font_manager, ft2font

    return frozenset(ft2font.FT2Font(font_manager.findfont(font_manager.FontProperties(family=font))).get_charmap())


def note_fonts(note: str) -> list[str] | None:
    """Return the font family a note needs: None if the figures' font draws all of it, else that font and a CJK one.

    A data note names the records' counties and sources, in Chinese for real records; an English figure's font
    (DejaVu Sans) has no Chinese glyphs and would draw boxes. Matplotlib falls back along a family list, so the note
    is drawn with the installed CJK font behind the figures' own.

    Raises
    ------
    FontMissingError
        No installed font draws some of the note's characters (named), so the note could not be read.
    """
    missing = sorted({ch for ch in note if not ch.isspace() and ord(ch) not in _drawable(THEME["font"])})
    if not missing:
        return None
    cjk = installed_cjk_font()
    if cjk is not None and all(ord(ch) in _drawable(cjk) for ch in missing):
        return [THEME["font"], cjk]
    shown = "".join(missing[:20]) + ("…" if len(missing) > 20 else "")
    raise FontMissingError(f"the figures' data note holds characters no installed font draws ({shown}; the note: "
                           f"{note[:120]!r}): install a CJK font — run 'make fonts' (Debian package fonts-noto-cjk) "
                           "— so that the figures name the data readably")


def tr(text: str) -> str:
    """Translate a figure label into the current language."""
    return _ZH.get(text, text) if _LANGUAGE["current"] == "zh" else text
def _theme() -> None:
    """Apply the figures' theme with the print font sizes."""
    sns.set_theme(**THEME, rc=PRINT_FONT_SIZES)


def print_size(width: float, design: tuple[float, float]) -> tuple[float, float]:
    """Return the size in inches of a figure printed at ``width`` of the paper's line, with ``design``'s aspect.

    Examples
    --------
    >>> [round(x, 2) for x in print_size(1.0, (8.0, 4.0))]
    [6.77, 3.38]
    """
    inches = width * LINE_WIDTH_INCHES
    return inches, design[1] * inches / design[0]


# Fixed metadata so that two runs write identical files (no creation dates or version strings).
_PNG_METADATA = {"Software": None}
_PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None}


def _add_note(figure: plt.Figure, note: str, *, y: float, fontsize: float, top: float = 1.0) -> None:
    """Put the data note under the figure and lay it out (the axes below ``top``, a figure legend above it).

    The note is plain text: it carries the data source (a folder name, a provenance text) that may hold ``$x^$``,
    which matplotlib's mathtext would parse (and fail on). Each ``$`` is escaped (``parse_math=False`` is not
    enough: matplotlib's line wrapping measures the text as mathtext regardless).
    """
    family = note_fonts(note)  # a note naming Chinese counties: drawn with a CJK font behind the figures' own
    figure.text(0.01, y, note.replace("$", r"\$"), fontsize=fontsize, ha="left", va="top", wrap=True,
                **({"fontfamily": family} if family is not None else {}))
    figure.tight_layout(rect=(0, 0, 1, top))


def _figure_legend(figure: plt.Figure, axes: object, *, columns: int) -> float:
    """Draw one legend for all panels above them (each label once); return the top of the panels' area."""
    seen: dict[str, object] = {}
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    if not seen:
        return 1.0
    rows = -(-len(seen) // columns)
    height = figure.get_size_inches()[1]
    top = 1.0 - (0.06 + 0.16 * rows) / height  # the legend's rows at print size, in figure coordinates
    figure.legend(list(seen.values()), list(seen), loc="upper center", ncol=columns, fontsize=SMALL_FONT,
                  frameon=False, bbox_to_anchor=(0.5, 1.0))
    return top


def save_figure(figure: plt.Figure, stem: Path) -> list[Path]:
    """Write ``stem``.png (200 dpi) and ``stem``.pdf atomically with fixed metadata; close the figure."""
    written = []
    for suffix, metadata in ((".png", _PNG_METADATA), (".pdf", _PDF_METADATA)):
        target = stem.with_suffix(suffix)
        written.append(write_with(target, lambda tmp, s=suffix, m=metadata: figure.savefig(
            tmp, format=s[1:], dpi=200, metadata=m, bbox_inches="tight")))
    plt.close(figure)
    return written


def event_study_figure(studies: dict[str, EventStudyResult], *, note: str,
                       truths: dict[str, float] | None = None, width: float = 1.0) -> plt.Figure:
    """Coefficients by year with 95% intervals, one panel per study, the 2021 break marked.

    ``truths`` (a simulated edition): study → the true change after 2020, drawn as a step (0 before 2021).
    """
    _theme()
    figure, axes = plt.subplots(1, len(studies), figsize=print_size(width, (4.2 * len(studies), 3.4)),
                                sharey=False, squeeze=False)
    for ax, (title, study) in zip(axes[0], studies.items(), strict=True):
        table = study.tidy()
        table["period"] = table["period"].astype(int)
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.axvline(2020.5, color="firebrick", linestyle="--", linewidth=0.9)
        ax.errorbar(table["period"], table["estimate"],
                    yerr=[table["estimate"] - table["conf_low"], table["conf_high"] - table["estimate"]],
                    fmt="o", color="navy", ecolor="steelblue", capsize=2, markersize=4)
        if truths is not None and title in truths:
            years = np.sort(table["period"].unique())
            ax.step(years, np.where(years >= 2021, truths[title], 0.0), where="mid", color="firebrick",
                    linewidth=1.0, label=tr("Truth of the simulation"))
            ax.legend(fontsize=SMALL_FONT, loc="upper left")
        ax.set_title(tr(title))
        ax.set_xlabel(tr("Year (2020 = reference; dashed line: 2021 break)"))
        ax.set_ylabel(tr("Coefficient (95% CI)"))
        ax.set_xticks(sorted(table["period"].unique()))
        ax.tick_params(axis="x", labelrotation=45)
    _add_note(figure, note, y=-0.04, fontsize=SMALL_FONT)
    return figure


def tidy_for_figure(studies: dict[str, EventStudyResult]) -> pd.DataFrame:
    """Return the numbers behind the event-study figure (for the CSV beside it)."""
    parts = []
    for title, study in studies.items():
        part = study.tidy()
        part.insert(0, "study", title)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def dynamic_effects_figure(cs: pd.DataFrame, sun_abraham: pd.DataFrame, *, note: str, width: float = 1.0) -> plt.Figure:
    """Callaway–Sant'Anna effects by event time with pointwise intervals and the uniform band; Sun–Abraham beside."""
    _theme()
    figure, ax = plt.subplots(figsize=print_size(width, (6.4, 3.6)))
    e = cs["event_time"].astype(float)
    ax.fill_between(e, cs["conf_low_uniform"], cs["conf_high_uniform"], color="steelblue", alpha=0.18,
                    label=tr("CS 95% uniform band"))
    ax.errorbar(e, cs["estimate"], yerr=[cs["estimate"] - cs["conf_low"], cs["conf_high"] - cs["estimate"]], fmt="o",
                color="navy", capsize=2, markersize=4, label=tr("Callaway–Sant'Anna (pointwise 95%)"))
    ax.plot(sun_abraham["event_time"] + 0.15, sun_abraham["estimate"], "s", color="darkorange", markersize=3.5,
            label=tr("Sun–Abraham"))
    return _finish_event_time(figure, ax, "Years since designation as a demonstration village",
                              "Effect on asinh(funding)", note)


def arrival_figure(dynamic: pd.DataFrame, *, note: str, width: float = 1.0) -> plt.Figure:
    """Callaway–Sant'Anna effects of the arrival of a city-level first secretary by years since arrival (H10)."""
    _theme()
    figure, ax = plt.subplots(figsize=print_size(width, (6.4, 3.6)))
    e = dynamic["event_time"].astype(float)
    ax.errorbar(e, dynamic["estimate"], yerr=[dynamic["estimate"] - dynamic["conf_low"],
                                              dynamic["conf_high"] - dynamic["estimate"]],
                fmt="o", color="navy", capsize=2, markersize=4, label=tr("Callaway–Sant'Anna (pointwise 95%)"))
    return _finish_event_time(figure, ax, "Years since the first city-level first secretary",
                              "Effect on log collective income", note)


def _finish_event_time(figure: plt.Figure, ax: plt.Axes, xlabel: str, ylabel: str, note: str) -> plt.Figure:
    """Zero line, the treatment break before event time 0, labels, legend and the data note."""
    ax.axhline(0, color="0.4", linewidth=0.8)
    ax.axvline(-0.5, color="firebrick", linestyle="--", linewidth=0.9)
    ax.set_xlabel(tr(xlabel))
    ax.set_ylabel(tr(ylabel))
    ax.legend(fontsize=SMALL_FONT, loc="upper left")
    _add_note(figure, note, y=-0.03, fontsize=SMALL_FONT)
    return figure


#: The named policies on the cap curve: marker, colour and legend label (Latin script: the English figures' font
#: has no CJK glyphs; the Chinese figures translate them).
_POLICY_MARKERS = {"status_quo": ("s", "black", "Status quo"),
                   "campaign": ("D", "teal", "Campaign logic (bottom line, graded by need)"),
                   "strong_alliance": ("^", "crimson", "Strong alliance"),
                   "precise_matching": ("*", "navy", "Precise matching (two lists)"),
                   "cadre_reform": ("v", "darkorange", "Fewer but stronger cadres"),
                   "custom": ("P", "purple", "User policy")}


def cap_curve_figure(curve: pd.DataFrame, policies: pd.DataFrame, *, note: str, width: float = 1.0) -> plt.Figure:
    """County pooling's cap curve: welfare and collective income against the Gini of funding, one curve per shape.

    Each curve joins county pooling at its caps (1× the county mean … no cap) under one return shape; the named
    policies are marked under the first shape of ``policies`` (the estimated one). A curve, not a frontier: which
    end is better depends on the shape.
    """
    _theme()
    figure, axes = plt.subplots(1, 2, figsize=print_size(width, (9.6, 6.0)))
    labels_wanted: list[tuple[plt.Axes, str, float, float]] = []
    shapes = list(dict.fromkeys(curve["shape"])) if "shape" in curve else [None]
    colors = dict(zip(shapes, ("navy", "seagreen", "firebrick", "darkorange", "purple"), strict=False))
    first = shapes[0]
    for ax, measure, label in ((axes[0], "welfare_change", "Change in need-weighted welfare (yuan/person)"),
                               (axes[1], "collective_income_change", "Change in collective income (10,000 yuan/year)")):
        for shape in shapes:
            part = curve if shape is None else curve.loc[curve["shape"] == shape]
            wide = part.pivot(index="cap", columns="measure", values="estimate").sort_index()
            if measure not in wide:
                continue
            ax.plot(wide["gini_within_county"], wide[measure], "o-", color=colors[shape], markersize=3.5,
                    linewidth=1.2, label=tr(f"{shape}" if shape else "county pooling"))
            if shape == first:
                labels_wanted += [(ax, "no cap" if not np.isfinite(cap) else f"{cap:g}×",
                                   row["gini_within_county"], row[measure]) for cap, row in wide.iterrows()]
        named = policies if "shape" not in policies or first is None else policies.loc[policies["shape"] == first]
        points = named.pivot(index="policy", columns="measure", values="estimate")
        for policy, (marker, color, name) in _POLICY_MARKERS.items():
            if policy in points.index and measure in points:
                ax.plot(points.loc[policy, "gini_within_county"], points.loc[policy, measure], marker, color=color,
                        markersize=6, linestyle="none", label=tr(name))
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.set_xlabel(tr("Gini of funding within counties"))
        ax.set_ylabel(tr(label))
    top = _figure_legend(figure, axes[:1], columns=3)
    _add_note(figure, note, y=-0.03, fontsize=SMALL_FONT, top=top)
    _place_labels(figure, labels_wanted)
    return figure


def _place_labels(figure: plt.Figure, labels: list[tuple[plt.Axes, str, float, float]]) -> None:
    """Label points where the label overprints no other label, marker or the axes' edge; leave out the others.

    Each label tries four positions around its point, in turn; called after the layout is final. Written here
    because matplotlib has no label placement (adjustText is not a dependency).
    """
    renderer = figure.canvas.get_renderer()
    pixels_per_point = figure.dpi / 72
    taken = []  # display boxes of the markers and of the labels placed so far
    for ax in figure.axes:
        for line in ax.get_lines():
            if line.get_marker() not in (None, "None", "", " "):
                half = line.get_markersize() / 2 * pixels_per_point
                for x, y in ax.transData.transform(np.column_stack(line.get_data()).astype(float)):
                    taken.append((x - half, y - half, x + half, y + half))
    for ax, text, x, y in labels:
        inside = ax.get_window_extent(renderer)
        for dx, dy, ha, va in ((5, 4, "left", "bottom"), (5, -4, "left", "top"), (-5, 4, "right", "bottom"),
                               (-5, -4, "right", "top")):
            label = ax.annotate(text, (x, y), textcoords="offset points", xytext=(dx, dy), ha=ha, va=va,
                                fontsize=SMALL_FONT)
            box = label.get_window_extent(renderer)
            inside_axes = (inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0
                           and box.y1 <= inside.y1)
            if inside_axes and not any(a < box.x1 and box.x0 < c and b < box.y1 and box.y0 < d
                                       for a, b, c, d in taken):
                taken.append((box.x0, box.y0, box.x1, box.y1))
                break
            label.remove()


def inequality_figure(by_year: pd.DataFrame, lorenz: pd.DataFrame, *, note: str, width: float = 1.0) -> plt.Figure:
    """Gini and Theil T by year with bootstrap intervals, and Lorenz curves of two years."""
    _theme()
    figure, axes = plt.subplots(1, 2, figsize=print_size(width, (9.0, 3.6)))
    ax = axes[0]
    for measure, color in (("gini", "navy"), ("theil", "darkorange")):
        ax.plot(by_year["year"], by_year[measure], "o-", color=color, markersize=3.5,
                label=tr("Gini") if measure == "gini" else tr("Theil T"))
        ax.fill_between(by_year["year"], by_year[f"{measure}_low"], by_year[f"{measure}_high"], color=color,
                        alpha=0.15)
    ax.axvline(2020.5, color="firebrick", linestyle="--", linewidth=0.9)
    ax.set_xlabel(tr("Year (dashed line: 2021 break)"))
    ax.set_ylabel(tr("Inequality of funding between villages"))
    ax.legend(fontsize=SMALL_FONT)
    ax = axes[1]
    for (year, curve), style in zip(lorenz.groupby("year"), ("-", "--"), strict=False):
        ax.plot(curve["population_share"], curve["income_share"], style, label=str(year))
    if lorenz.empty:  # the years of the curves are not in these data
        ax.text(0.5, 0.5, tr("no Lorenz curve: its years are not in these data"), ha="center", va="center",
                fontsize=SMALL_FONT, transform=ax.transAxes)
    ax.plot([0, 1], [0, 1], color="0.6", linewidth=0.8)
    ax.set_xlabel(tr("Cumulative share of villages"))
    ax.set_ylabel(tr("Cumulative share of funding"))
    if not lorenz.empty:
        ax.legend(fontsize=SMALL_FONT, title=tr("Lorenz curve"), title_fontsize=SMALL_FONT)
    _add_note(figure, note, y=-0.03, fontsize=SMALL_FONT)
    return figure


def funding_by_type_figure(panel: pd.DataFrame, *, note: str, width: float = 1.0) -> plt.Figure:
    """Mean annual funding by village type A–D over the years, 95% intervals truncated at zero, the 2021 break."""
    _theme()
    frame = panel.loc[panel["village_type"].notna(), ["year", "village_type", "funding_total"]].copy()
    frame["village_type"] = frame["village_type"].astype(str)
    summary = frame.groupby(["village_type", "year"])["funding_total"].agg(["mean", "std", "count"]).reset_index()
    summary["half"] = 1.96 * summary["std"] / np.sqrt(summary["count"])
    figure, ax = plt.subplots(figsize=print_size(width, (6.4, 3.6)))
    palette = dict(zip("ABCD", sns.color_palette("deep", 4), strict=True))
    for vtype, rows in summary.groupby("village_type"):
        ax.plot(rows["year"], rows["mean"], "o-", color=palette.get(vtype), markersize=3.5,
                label=f"{tr('Type')} {vtype}")
        # Funding is never negative: the interval is truncated at zero.
        ax.fill_between(rows["year"], np.maximum(rows["mean"] - rows["half"], 0.0), rows["mean"] + rows["half"],
                        color=palette.get(vtype), alpha=0.15)
    ax.axvline(2020.5, color="firebrick", linestyle="--", linewidth=0.9)
    ax.set_xlabel(tr("Year (dashed line: 2021 break)"))
    ax.set_ylabel(tr("Mean funding per village (10,000 yuan)"))
    ax.legend(fontsize=SMALL_FONT, ncol=4)
    _add_note(figure, note, y=-0.03, fontsize=SMALL_FONT)
    return figure


def matching_figure(index: pd.DataFrame, *, note: str, width: float = 1.0) -> plt.Figure:
    """Assortative matching by year: rank correlation of unit level and strength with endowment (95% CI)."""
    _theme()
    figure, ax = plt.subplots(figsize=print_size(width, (6.4, 3.4)))
    for (dimension, rows), color, shift in zip(index.groupby("dimension"), ("navy", "darkorange"), (-0.1, 0.1),
                                               strict=False):
        ax.errorbar(rows["year"] + shift, rows["estimate"],
                    yerr=[rows["estimate"] - rows["conf_low"], rows["conf_high"] - rows["estimate"]], fmt="o",
                    color=color, capsize=2, markersize=4,
                    label=tr("unit level") if dimension == "level" else tr("department strength"))
    ax.axhline(0, color="0.4", linewidth=0.8)
    ax.axvline(2020.5, color="firebrick", linestyle="--", linewidth=0.9)
    ax.set_xlabel(tr("Year (dashed line: 2021 break)"))
    ax.set_ylabel(tr("Spearman ρ with endowment"))
    ax.legend(fontsize=SMALL_FONT)
    _add_note(figure, note, y=-0.03, fontsize=SMALL_FONT)
    return figure


def coefficient_figure(rows: pd.DataFrame, *, note: str, width: float = 1.0) -> plt.Figure:
    """Coefficient plot of the main models: one row per (model, term) with its 95% interval."""
    _theme()
    figure, ax = plt.subplots(figsize=print_size(width, (6.4, 0.32 * len(rows) + 1.2)))
    positions = np.arange(len(rows))[::-1]
    ax.errorbar(rows["estimate"], positions, xerr=[rows["estimate"] - rows["conf_low"],
                                                   rows["conf_high"] - rows["estimate"]],
                fmt="o", color="navy", ecolor="steelblue", capsize=2, markersize=4, label=tr("Estimate (95% CI)"))
    if "truth" in rows and rows["truth"].notna().any():  # a simulated edition: the value put in
        ax.plot(rows["truth"], positions, "x", color="firebrick", markersize=6, mew=1.5,
                label=tr("Truth of the simulation"))
        ax.legend(fontsize=SMALL_FONT, loc="best")
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_yticks(positions)
    ax.set_yticklabels(rows["label"], fontsize=SMALL_FONT)
    ax.set_xlabel(tr("Estimate (95% CI); PPML: effect on log expected funding"))
    _add_note(figure, note, y=-0.02, fontsize=SMALL_FONT)
    return figure


def sensitivity_figure(results: dict, *, note: str, width: float = 1.0) -> plt.Figure:
    """Robust intervals against M (or M̄) beside the original interval, one panel per model and restriction.

    As HonestDiD's plots; an interval that reaches the end of the test grid is drawn with an open marker and
    flagged in the legend, an empty one is left out and named in the panel.
    """
    _theme()
    columns = 2 if len(results) in (2, 4) else min(len(results), 3)  # panels at least 2 inches wide in print
    rows = -(-len(results) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(width * LINE_WIDTH_INCHES, 2.0 * rows + 0.5),
                                squeeze=False)
    characters = int(width * LINE_WIDTH_INCHES / columns * 72 / 5.2)  # of a title at 8.5 pt in a panel's width
    for ax in axes.flat[len(results):]:
        ax.set_visible(False)
    for ax, (title, result) in zip(axes.flat, results.items(), strict=False):
        table = result.tidy()
        step = float(np.diff(table["M"]).min()) if len(table) > 1 else 1.0
        low, high = result.original
        ax.errorbar([-step], [(low + high) / 2], yerr=[[(high - low) / 2], [(high - low) / 2]], fmt="none",
                    ecolor="firebrick", capsize=3, linewidth=1.4, label=tr("Original"))
        empty = table.get("empty", pd.Series(False, index=table.index)).astype(bool)
        shown = table.loc[~empty]
        ax.errorbar(shown["M"], (shown["conf_low"] + shown["conf_high"]) / 2,
                    yerr=(shown["conf_high"] - shown["conf_low"]) / 2, fmt="none", ecolor="navy", capsize=3,
                    linewidth=1.2, label=tr(f"Robust ({result.method})"))
        open_end = shown.loc[shown.get("open_at_grid_end", pd.Series(False, index=shown.index)).astype(bool)]
        if len(open_end):
            ax.plot(open_end["M"], open_end["conf_high"], "^", color="navy", markerfacecolor="white",
                    markersize=4, label=tr("†: reaches the end of the test grid"))
        if empty.any():
            ax.text(0.02, 0.02, "empty at " + ", ".join(f"{m:.2f}" for m in table.loc[empty, "M"]),
                    transform=ax.transAxes, fontsize=SMALL_FONT)
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.set_title(textwrap.fill(tr(title), max(characters, 12)))
        relative = result.restriction.startswith("relative")
        ax.set_xlabel(tr("M̄ (relative magnitude bound)" if relative else "M (smoothness bound)"))
    top = _figure_legend(figure, axes, columns=2)
    _add_note(figure, note, y=-0.04, fontsize=SMALL_FONT, top=top)
    return figure


def montecarlo_figure(replications: pd.DataFrame, *, note: str, width: float = 1.0) -> plt.Figure:
    """Distribution of the estimates over replications, with the true value marked, by hypothesis."""
    _theme()
    keys = list(replications.groupby(["scenario", "hypothesis"]).groups)
    figure, axes = plt.subplots(1, len(keys), figsize=print_size(width, (3.0 * len(keys), 3.0)),
                                squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        rows = replications.loc[(replications["scenario"] == key[0]) & (replications["hypothesis"] == key[1])]
        ax.hist(rows["estimate"], bins=25, color="steelblue", alpha=0.8)
        ax.axvline(rows["truth"].mean(), color="firebrick", linestyle="--", linewidth=1.0)
        ax.set_title(f"{key[1]} ({key[0]})")
        ax.set_xlabel("Estimate (dashed: truth)", fontsize=SMALL_FONT)
    _add_note(figure, note, y=-0.04, fontsize=SMALL_FONT)
    return figure


def power_figure(power: pd.DataFrame, *, note: str, width: float = 0.75) -> plt.Figure:
    """Power against the number of counties, by hypothesis, effect size and villages per county."""
    _theme()
    hypotheses = sorted(power["hypothesis"].unique())
    figure, axes = plt.subplots(1, len(hypotheses), figsize=print_size(width, (4.4 * len(hypotheses), 3.4)),
                                squeeze=False)
    for ax, hypothesis in zip(axes[0], hypotheses, strict=True):
        rows = power.loc[power["hypothesis"] == hypothesis]
        for (effect, villages), group in rows.groupby(["effect", "villages_per_county"]):
            ax.plot(group["counties"], group["power"], "o-", markersize=3.5,
                    label=f"effect {effect:g}, {villages} villages/county")
        ax.axhline(0.8, color="firebrick", linestyle="--", linewidth=0.9)
        ax.set_ylim(0, 1)
        ax.set_title(hypothesis)
        ax.set_xlabel("Number of counties")
        ax.set_ylabel("Power (5% test)")
        ax.legend(fontsize=SMALL_FONT)
    _add_note(figure, note, y=-0.04, fontsize=SMALL_FONT)
    return figure


def speccurve_figure(table: pd.DataFrame, *, note: str, width: float = 0.85) -> plt.Figure:
    """Draw the two-panel specification curve: sorted estimates with intervals above, the choices below."""
    _theme()
    hypotheses = sorted(table["hypothesis"].unique())
    choices = ["outcome", "endowment", "fixed_effects", "cluster", "sample"]
    figure, axes = plt.subplots(2, len(hypotheses), figsize=print_size(width, (6.0 * len(hypotheses), 6.0)),
                                squeeze=False,
                                gridspec_kw={"height_ratios": [1.2, 1.6]}, sharex="col")
    for col, hypothesis in enumerate(hypotheses):
        rows = table.loc[(table["hypothesis"] == hypothesis) & table["estimate"].notna()].sort_values(
            "estimate", kind="mergesort")
        skipped = int(((table["hypothesis"] == hypothesis) & table["estimate"].isna()).sum())
        x = np.arange(len(rows))
        colors = np.where(rows["significant_5pct"], "navy", "0.6")
        ax = axes[0, col]
        ax.vlines(x, rows["conf_low"], rows["conf_high"], colors=colors, linewidth=0.6)
        ax.scatter(x, rows["estimate"], c=colors, s=6)
        ax.axhline(0, color="0.4", linewidth=0.8)
        not_estimated = f"; {skipped} not estimable on these data" if skipped else ""
        ax.set_title(f"{hypothesis}: {len(rows)} specifications (dark: p < 0.05){not_estimated}")
        ax.set_ylabel("Estimate (95% CI)")
        ax = axes[1, col]
        labels, y = [], 0
        for choice in choices:
            for value in sorted(rows[choice].unique()):
                hits = x[(rows[choice] == value).to_numpy()]
                ax.scatter(hits, np.full(len(hits), y), s=3, color="0.2", marker="|")
                labels.append(f"{choice}: {value}")
                y += 1
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels(labels, fontsize=SMALL_FONT)
        ax.invert_yaxis()
        ax.set_xlabel("Specifications, sorted by estimate")
    _add_note(figure, note, y=-0.02, fontsize=SMALL_FONT)
    return figure
