"""The paper's pages are readable: table text at 8 pt or more, figure text at 7 pt or more, nothing off the page,
no "??", no missing glyph, no table too large for its page (paper/main.pdf, and paper/main_zh.pdf where it is built).

Reading a PDF needs pymupdf (the dev extra); building one needs xelatex (``make latex``): the end-to-end test is
skipped without it. The checker itself is tested on small PDFs drawn here, without LaTeX.

How text is classed, from what the PDF holds:

- figure text: set in matplotlib's fonts (DejaVu Sans, Noto Sans CJK), which LaTeX's text never uses; the
  figures are vector PDFs, so their text is on the page at its printed size;
- table text: inside a table, which is found by its booktabs rules (black horizontal strokes across the table:
  top, middle and bottom rules; vertical on a landscape page); a table that runs on to the next page (a
  longtable) has a heavy rule above its header and none below, and reaches the page's edge;
- other text (captions, notes, the body, page numbers): at least the figure minimum, so a table shrunk below
  8 pt whose rules were not recognised still fails.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

pymupdf = pytest.importorskip("pymupdf", reason="pymupdf reads the PDF: pip install -e '.[dev]'")

TABLE_MIN_POINTS = 8.0
FIGURE_MIN_POINTS = 7.0
#: Rounding of font sizes in PDFs (an 8 pt font scaled by 0.9995 is 8 pt).
TOLERANCE = 0.05
FIGURE_FONTS = re.compile(r"DejaVu|NotoSansCJK|Noto Sans CJK|SourceHanSans", re.IGNORECASE)
#: What a clean LaTeX log must not say.
LOG_PROBLEMS = re.compile(r"Missing character: .*|Package villageaid Warning: .*|LaTeX Warning: Reference .* undefined"
                          r".*|LaTeX Warning: There were undefined references.*|LaTeX Warning: Float too large.*"
                          r"|Overfull \\hbox .*")
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Region:
    """A table's area on a page (PDF points)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def holds(self, box: tuple[float, float, float, float]) -> bool:
        x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        return self.x0 - 1 <= x <= self.x1 + 1 and self.y0 - 1 <= y <= self.y1 + 1


def table_regions(page: pymupdf.Page) -> list[Region]:
    """Find the tables of a page by their booktabs rules: black strokes at least 40 pt long, grouped by extent."""
    groups: dict[tuple[str, int, int], list[tuple[float, float]]] = {}
    for drawing in page.get_drawings():
        if drawing.get("type") not in ("s", "f", "fs") or drawing.get("dashes") not in (None, "[] 0", "[] 0.0"):
            continue
        color = drawing.get("color") if drawing.get("type") == "s" else drawing.get("fill")
        if color is None or max(color) > 0.01:
            continue  # booktabs rules are black; the figures' grid and axes lines are grey
        rect = drawing["rect"]
        thickness = drawing.get("width") or 0.0
        if rect.width >= 40 and rect.height <= 2:
            thickness = thickness if drawing.get("type") == "s" else rect.height
            groups.setdefault(("h", round(rect.x0), round(rect.x1)), []).append(((rect.y0 + rect.y1) / 2, thickness))
        elif rect.height >= 40 and rect.width <= 2:
            thickness = thickness if drawing.get("type") == "s" else rect.width
            groups.setdefault(("v", round(rect.y0), round(rect.y1)), []).append(((rect.x0 + rect.x1) / 2, thickness))
    regions = []
    for (orientation, start, end), rules in groups.items():
        if len(rules) < 2:
            continue
        rules.sort()
        low, high = rules[0][0], rules[-1][0]
        heaviest = max(t for _, t in rules)
        heavy = [position for position, t in rules if t > 0.8 * heaviest]
        if len(heavy) == 1:  # a longtable continues past the page's edge on the side away from its top rule
            edge = page.cropbox.height if orientation == "h" else page.cropbox.width
            if heavy[0] == low:
                high = edge
            else:
                low = 0.0
        regions.append(Region(start, low, end, high) if orientation == "h" else Region(low, start, high, end))
    return regions


def page_problems(pdf: Path) -> list[str]:
    """Return every readability problem of a PDF, one line each (page, size, font, text)."""
    problems = []
    document = pymupdf.open(pdf)
    for page in document:
        regions = table_regions(page)
        bounds = page.cropbox  # text and drawings are in the unrotated page's coordinates
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    text = span["text"].strip()
                    if not text:
                        continue
                    where = f"{pdf.name} page {page.number + 1}: {span['size']:.2f} pt {span['font']} {text[:40]!r}"
                    box = span["bbox"]
                    if FIGURE_FONTS.search(span["font"]):
                        if span["size"] < FIGURE_MIN_POINTS - TOLERANCE:
                            problems.append(f"figure text below {FIGURE_MIN_POINTS:g} pt: {where}")
                    elif any(region.holds(box) for region in regions):
                        if span["size"] < TABLE_MIN_POINTS - TOLERANCE:
                            problems.append(f"table text below {TABLE_MIN_POINTS:g} pt: {where}")
                    elif span["size"] < FIGURE_MIN_POINTS - TOLERANCE:
                        problems.append(f"text below {FIGURE_MIN_POINTS:g} pt: {where}")
                    if box[0] < bounds.x0 - 1 or box[1] < bounds.y0 - 1 or box[2] > bounds.x1 + 1 \
                            or box[3] > bounds.y1 + 1:
                        problems.append(f"text off the page: {where}")
        if "??" in page.get_text():
            problems.append(f"{pdf.name} page {page.number + 1}: an undefined reference (??)")
    return problems


def log_problems(log: Path) -> list[str]:
    """Return the lines of a LaTeX log that say a glyph is missing, a reference undefined or a table too large."""
    text = log.read_text(encoding="utf-8", errors="replace")
    return [f"{log.name}: {match.group(0)}" for match in LOG_PROBLEMS.finditer(text)]


# --- The checker on PDFs drawn here -------------------------------------------------------------------------------

def _rules(page: pymupdf.Page, x0: float, x1: float, ys: list[float], widths: list[float]) -> None:
    for y, width in zip(ys, widths, strict=True):
        page.draw_line((x0, y), (x1, y), color=(0, 0, 0), width=width)


def _drawn_pdf(path: Path, *, table_size: float, note_size: float = 9.0, figure_size: float | None = None,
               continued: bool = False, undefined: bool = False) -> Path:
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    _rules(page, 72, 540, [100, 130] if continued else [100, 130, 300], [0.87, 0.55] if continued
           else [0.87, 0.55, 0.87])
    page.insert_text((80, 120), "(1) asinh(funding)", fontsize=table_size)
    page.insert_text((80, 200 if not continued else 600), "Rich village 0.215 (0.237)", fontsize=table_size)
    page.insert_text((80, 320), "Notes: standard errors in parentheses.", fontsize=note_size)
    if undefined:
        page.insert_text((80, 700), "Tables ?? to 8", fontsize=11)
    if figure_size is not None:
        import matplotlib

        font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        page.insert_text((80, 400), "Year (dashed line: 2021 break)", fontsize=figure_size, fontname="DejaVuSans",
                         fontfile=str(font))
        page.draw_line((72, 380), (540, 380), color=(0.8, 0.8, 0.8), width=0.8)  # a figure's grid line
        page.draw_line((72, 420), (540, 420), color=(0.8, 0.8, 0.8), width=0.8)
    document.save(path)
    return path


def test_checker_accepts_8_pt_tables_and_7_pt_figures(tmp_path: Path) -> None:
    assert page_problems(_drawn_pdf(tmp_path / "ok.pdf", table_size=8.0, figure_size=7.0)) == []


def test_checker_flags_a_table_scaled_below_8_pt(tmp_path: Path) -> None:
    problems = page_problems(_drawn_pdf(tmp_path / "small.pdf", table_size=7.5))
    assert len(problems) == 2 and all(p.startswith("table text below 8 pt") for p in problems), problems


def test_checker_flags_the_body_of_a_table_continued_on_the_next_page(tmp_path: Path) -> None:
    problems = page_problems(_drawn_pdf(tmp_path / "long.pdf", table_size=7.5, continued=True))
    assert any("Rich village" in p and p.startswith("table text") for p in problems), problems


def test_checker_flags_small_figure_text_and_undefined_references(tmp_path: Path) -> None:
    problems = page_problems(_drawn_pdf(tmp_path / "figure.pdf", table_size=8.0, figure_size=6.0, undefined=True))
    assert len(problems) == 2, problems
    assert problems[0].startswith("figure text below 7 pt") and "undefined reference" in problems[1], problems


def test_checker_flags_notes_far_below_8_pt_outside_the_rules(tmp_path: Path) -> None:
    problems = page_problems(_drawn_pdf(tmp_path / "notes.pdf", table_size=8.0, note_size=5.0))
    assert len(problems) == 1 and problems[0].startswith("text below 7 pt"), problems


def test_log_problems(tmp_path: Path) -> None:
    log = tmp_path / "main.log"
    log.write_text("Missing character: There is no ∪ (U+222A) in font Latin Modern Roman 10 Regular/OT:script=latn;!\n"
                   "Package villageaid Warning: Table 9 is wider than a landscape page on input line 3.\n"
                   "LaTeX Warning: Reference `tab:x' on page 3 undefined on input line 9.\n"
                   "Package xeCJK Warning: Unknown CJK family `\\CJKttdefault' is being ignored.\n", encoding="utf-8")
    assert len(log_problems(log)) == 3


# --- The paper -----------------------------------------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex is not installed (make latex): no PDF to read")
def test_paper_pages_are_readable(tmp_path: Path) -> None:
    from villageaid.workflow.build import BuildConfig, build

    root = tmp_path / "project"
    (root / "paper").mkdir(parents=True)
    for source in sorted((REPO / "paper").iterdir()):  # main.tex (main_zh.tex), references.bib, villageaid.sty
        if source.suffix in (".tex", ".bib", ".sty"):
            shutil.copy2(source, root / "paper" / source.name)
    build(BuildConfig(root=root, bootstrap_draws=99, pdf="yes"), log=lambda m: None)
    problems = []
    editions = [name for name in ("main", "main_zh") if (root / "paper" / f"{name}.pdf").is_file()]
    assert "main" in editions
    for name in editions:
        problems += page_problems(root / "paper" / f"{name}.pdf")
        log = root / "paper" / f"{name}.log"
        if log.is_file():
            problems += log_problems(log)
        else:
            assert name != "main", "the build keeps paper/main.log"
    assert problems == [], "\n".join(problems)
