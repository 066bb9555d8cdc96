"""Figures are drawn at their printed size: no text below 7 pt in the paper, funding bands never below zero, and
the policy figure's labels never overprint one another or a marker."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from villageaid.registry import OUTPUTS
from villageaid.report import figures
from villageaid.report.figures import (
    LINE_WIDTH_INCHES,
    PRINT_FONT_SIZES,
    SMALL_FONT,
    cap_curve_figure,
    funding_by_type_figure,
)

MIN_POINTS = 7.0


def _texts(figure: plt.Figure) -> list[matplotlib.text.Text]:
    return [t for t in figure.findobj(matplotlib.text.Text) if t.get_text().strip() and t.get_visible()]


def _printed_scale(figure: plt.Figure, width: float) -> float:
    """How much the saved figure (tight bounding box) is scaled when included at ``width`` of the line."""
    figure.canvas.draw()
    box = figure.get_tightbbox(figure.canvas.get_renderer())
    return width * LINE_WIDTH_INCHES / box.width


def test_font_settings_are_at_least_7_pt() -> None:
    assert min(PRINT_FONT_SIZES.values()) >= MIN_POINTS and SMALL_FONT >= MIN_POINTS
    source = Path(figures.__file__).read_text(encoding="utf-8")
    assert not [size for size in re.findall(r"fontsize=([0-9.]+)", source) if float(size) < MIN_POINTS]
    # every figure of the paper is drawn for its width in the paper
    writers = Path(figures.__file__).with_name("paper_figures.py").read_text(encoding="utf-8")
    assert writers.count("width=_width(context)") == sum(1 for o in OUTPUTS if o.kind == "figure")


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = [{"year": year, "village_type": vtype, "funding_total": value}
            for year in range(2016, 2026) for vtype in "ABCD"
            for value in rng.exponential(50 if vtype != "A" else 400, size=4)]
    return pd.DataFrame(rows)


def test_funding_figure_text_at_print_size_and_bands_truncated_at_zero() -> None:
    figure = funding_by_type_figure(_panel(), note="Data: a test.", width=0.85)
    scale = _printed_scale(figure, 0.85)
    assert min(t.get_fontsize() for t in _texts(figure)) * scale >= MIN_POINTS
    ax = figure.axes[0]
    bands = [c for c in ax.collections if hasattr(c, "get_paths")]
    assert bands and min(path.vertices[:, 1].min() for c in bands for path in c.get_paths()) >= 0
    plt.close(figure)


def _cap_curve() -> tuple[pd.DataFrame, pd.DataFrame]:
    caps = [1.0, 1.5, 2.0, 3.0, 4.0, np.inf]
    curve = []
    for shape, slope in (("concave", -60.0), ("linear", 0.0), ("complementarity", 200.0), ("lumpy", 40.0)):
        for i, cap in enumerate(caps):
            gini = 0.12 + 0.08 * i
            curve += [{"shape": shape, "cap": cap, "measure": "gini_within_county", "estimate": gini},
                      {"shape": shape, "cap": cap, "measure": "welfare_change", "estimate": 300 + slope * gini},
                      {"shape": shape, "cap": cap, "measure": "collective_income_change",
                       "estimate": 80 + slope * gini / 4}]
    policies = []
    for policy, gini in (("status_quo", 0.53), ("campaign", 0.47), ("strong_alliance", 0.53),
                         ("precise_matching", 0.48), ("cadre_reform", 0.5)):
        policies += [{"shape": "concave", "policy": policy, "measure": "gini_within_county", "estimate": gini},
                     {"shape": "concave", "policy": policy, "measure": "welfare_change", "estimate": 250},
                     {"shape": "concave", "policy": policy, "measure": "collective_income_change", "estimate": 30}]
    return pd.DataFrame(curve), pd.DataFrame(policies)


def test_policy_figure_labels_do_not_overprint() -> None:
    curve, policies = _cap_curve()
    figure = cap_curve_figure(curve, policies, note="Data: a test.", width=0.95)
    renderer = figure.canvas.get_renderer()
    labels = [t for ax in figure.axes for t in ax.texts]
    assert labels  # some caps are labelled
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    for ax in figure.axes:  # no label on a marker
        inside = ax.get_window_extent(renderer)
        for line in ax.get_lines():
            if line.get_marker() in (None, "None", "", " "):
                continue
            for x, y in ax.transData.transform(np.column_stack(line.get_data()).astype(float)):
                for box in (t.get_window_extent(renderer) for t in ax.texts):
                    assert not (box.x0 < x < box.x1 and box.y0 < y < box.y1)
        assert all(inside.x0 <= b.x0 and b.x1 <= inside.x1 for b in (t.get_window_extent(renderer)
                                                                     for t in ax.texts))
    scale = _printed_scale(figure, 0.95)
    assert min(t.get_fontsize() for t in _texts(figure)) * scale >= MIN_POINTS
    legends = [t for legend in figure.legends for t in legend.get_texts()]
    assert legends and not any(ax.get_legend() for ax in figure.axes)  # one legend, above the panels
    plt.close(figure)


def test_a_note_naming_chinese_counties_is_drawn_with_a_cjk_font(tmp_path: Path, monkeypatch) -> None:
    """An English figure's font has no Chinese glyphs: the note falls back to the installed CJK font (no missing
    glyph), and without one the build is told which characters cannot be drawn instead of drawing boxes."""
    import warnings

    import pytest

    figures.use_language("en")
    assert figures.note_fonts("Data: records of K county, 2016–2025 (× ≤ ≥).") is None  # the default notes
    note = "Data: records of 中国农业银行W县支行 and 临江县 (2016–2025)."
    cjk = figures.installed_cjk_font()
    if cjk is not None:
        assert figures.note_fonts(note) == ["DejaVu Sans", cjk]
        figure = funding_by_type_figure(_panel(), note=note, width=0.85)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
            paths = figures.save_figure(figure, tmp_path / "figure")
        fitz = pytest.importorskip("fitz")
        with fitz.open(paths[1]) as document:
            page = document[0]
            assert "临江县" in page.get_text()
            assert any("CJK" in font[3] for font in page.get_fonts())
    monkeypatch.setattr(figures, "CJK_FONTS", ("No Such Font CJK",))
    with pytest.raises(figures.FontMissingError, match=r"no installed font draws .*临.*make fonts"):
        figures.note_fonts(note)
