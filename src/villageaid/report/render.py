"""Render formatted tables as Markdown and LaTeX (booktabs), deterministically.

Written by hand rather than with ``DataFrame.to_latex``/``Styler`` because the paper's tables need
spanning column groups, panel rows and a notes block, and byte-identical output across pandas versions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


# LaTeX numbers tables itself: a leading "Table N." of a title is dropped from the caption.
_TABLE_PREFIX = re.compile(r"^Table [0-9]+[a-z]?\.\s*")
_TABLE_NUMBER = re.compile(r"^Table ([0-9]+[a-z]?)\.")


def _printable(text: str) -> str:
    """Drop control, invisible and bidirectional characters; line breaks become spaces."""
    return "".join(" " if ch in "\n\r\t" else ch for ch in str(text)
                   if ch in "\n\r\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs"))


def latex_escape(text: str) -> str:
    r"""Escape LaTeX special characters in plain text (and drop control characters).

    A letter with a combining macron (M̄, the relative-magnitudes bound) becomes ``$\bar{M}$``: text fonts
    place the combining accent unreliably.
    """
    parts = []
    for ch in _printable(text):
        if ch == "\u0304" and parts and parts[-1].isalpha():
            parts[-1] = rf"$\bar{{{parts[-1]}}}$"
            continue
        parts.append(_LATEX_SPECIAL.get(ch, ch))
    return "".join(parts)


_MARKDOWN_SPECIAL = {"|": r"\|", "\\": "\\\\", "`": r"\`"}
# "<" opens HTML only before a letter, "/", "!" or "?"; "&" is an entity only as &name; or &#...; — elsewhere
# ("p < 0.10", "Callaway & Sant'Anna") they stay readable.
_HTML_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)")


def markdown_escape(text: str) -> str:
    """Escape text for a Markdown table cell: pipes, HTML, links and code spans cannot break out of it."""
    escaped = "".join(_MARKDOWN_SPECIAL.get(ch, ch) for ch in _printable(text))
    escaped = escaped.replace("](", "\\](")  # no link or image: [text](url) and ![alt](url) stay text
    return _HTML_OPEN.sub("&lt;", _ENTITY.sub("&amp;", escaped))


class Spanning(str):
    """A body cell that spans every data column of its row: a value common to all columns, stated once.

    A row ``[label, Spanning(text)]`` prints ``text`` once across the data columns in LaTeX and in each column in
    Markdown.
    """

    __slots__ = ()


#: Width of the data columns a landscape page holds at 8 pt (points), less a margin for the row labels; wider
#: tables are split into panels of columns. LaTeX measures the real widths and chooses the page's orientation.
LANDSCAPE_DATA_POINTS = 560.0
#: Estimated mean advance of a character of the 8 pt table font (Latin Modern: digits 4 pt, lower case about 3.5,
#: spaces and punctuation less), in points; CJK twice.
_CHAR_POINTS = 3.6
#: Space around each column (2 × \tabcolsep of 3 pt), in points.
_COLUMN_SEP_POINTS = 6.0
#: A column label is broken into lines no wider than its column's cells, and at least this many characters.
_HEADER_MIN_CHARS = 12


def _display_chars(text: str) -> int:
    """Count the characters of a cell as printed: wide (CJK) ones twice, a letter with a bar (LaTeX) once."""
    text = re.sub(r"\$\\bar\{(.)\}\$", r"\1", str(text))
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _estimated_chars(cells: list[str]) -> int:
    return max((_display_chars(c) for c in cells), default=0)


def _estimated_width(cells: list[str]) -> float:
    """Estimated width of a column at 8 pt (points): its widest cell, the label broken as :func:`_latex_header`."""
    body = _estimated_chars(cells[:-1])
    header = max((_display_chars(line) for line in _header_lines(cells[-1], body)), default=0)
    return max(body, header) * _CHAR_POINTS + _COLUMN_SEP_POINTS


def _header_lines(label: str, body_chars: int) -> list[str]:
    """Break a column label at spaces into lines no wider than the column's cells (at least 12 characters)."""
    words = str(label).split()
    limit = max(body_chars, _HEADER_MIN_CHARS, *(_display_chars(w) for w in words)) if words else 0
    lines: list[str] = []
    numbered = len(words) > 1 and _display_chars(label) > limit and re.fullmatch(r"\([0-9]+\)", words[0])
    for position, word in enumerate(words):  # a model's number "(2)" on a line of its own when the label breaks
        if lines and not (numbered and position == 1) \
                and _display_chars(lines[-1]) + 1 + _display_chars(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _latex_header(label: str, body_chars: int) -> str:
    r"""Return a column label in LaTeX: one line, or ``\VAhead{line \\ line}`` when it is wider than its column."""
    lines = _header_lines(label, body_chars)
    if len(lines) <= 1:
        return latex_escape(label)
    return r"\VAhead{" + r" \\ ".join(latex_escape(line) for line in lines) + "}"


@dataclass(frozen=True)
class ColumnGroup:
    """A label spanning ``width`` columns of the header."""

    label: str
    width: int


@dataclass(frozen=True)
class FormattedTable:
    """A table ready to print: header groups, column labels, body rows (with optional panel titles), notes.

    Attributes
    ----------
    title : str
        Caption.
    label : str
        LaTeX label (``tab:...``).
    columns : list of str
        Column labels; the first is the row-label column.
    rows : list of list of str
        Body rows; a row of length 1 is a panel title spanning the table.
    groups : list of ColumnGroup
        Optional spanning header above ``columns`` (must cover all columns).
    notes : list of str
        Notes printed under the table.
    paragraph_widths : tuple of str
        For a table of text (long cells): the width of each column as a fraction of the line width. LaTeX then
        sets wrapped paragraph columns in a ``longtable`` that may run over several pages, instead of one line
        per row scaled down to the text width.
    column_panels : tuple of ColumnGroup
        Optional runs of data columns (not counting the row-label column) that LaTeX sets as separate panels,
        one under the other, each titled by its label and repeating the row labels. Without them, a table too
        wide for a landscape page is split into panels of columns automatically.
    """

    title: str
    label: str
    columns: list[str]
    rows: list[list[str]]
    groups: list[ColumnGroup] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    paragraph_widths: tuple[str, ...] = ()
    column_panels: tuple[ColumnGroup, ...] = ()

    def to_markdown(self) -> str:
        """Render as a GitHub-flavoured Markdown table with the title above and notes below."""
        width = len(self.columns)
        esc = markdown_escape
        lines = [f"**{esc(self.title)}**", ""]
        header = list(self.columns)
        if self.groups:  # Markdown has one header row: prefix each column with its group's label
            spans = [g.label for g in self.groups for _ in range(g.width)]
            header = [f"{g}: {c}" if g else c for g, c in zip(spans, header, strict=True)]
        lines.append("| " + " | ".join(esc(h) for h in header) + " |")
        lines.append("|" + " --- |" * width)
        for row in self.rows:
            if len(row) == 1:
                cells = [f"*{esc(row[0])}*"] + [""] * (width - 1)
            elif len(row) == 2 and isinstance(row[1], Spanning):
                cells = [esc(row[0])] + [esc(row[1])] * (width - 1)
            else:
                cells = [esc(c) for c in row]
            lines.append("| " + " | ".join(cells) + " |")
        if self.notes:
            lines.append("")
            lines += [esc(note) for note in self.notes]
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        r"""Render as a ``\VAtable`` (villageaid.sty, see :func:`villageaid.latex_style`; CJK text needs xeCJK).

        The table is set at 8 pt and placed by LaTeX: at its natural width, with its row labels wrapped, or on a
        landscape page, whichever fits first. Long column labels are broken over lines; a table too wide even for
        a landscape page is split into panels of columns (each repeats the row labels). With
        :attr:`paragraph_widths`, a ``longtable`` of wrapped columns instead (needs ``longtable``).
        """
        if self.paragraph_widths:
            return self._to_longtable()
        number = _TABLE_NUMBER.match(self.title)
        panels = [self._latex_panel(title, columns) for title, columns in self._column_panels()]
        notes = " ".join(latex_escape(n) for n in self.notes)
        return "\n".join([
            rf"\VAtable{{{number.group(1) if number else ''}}}"
            rf"{{{latex_escape(_TABLE_PREFIX.sub('', self.title))}}}{{{self.label}}}{{%",
            *panels,
            rf"}}{{{notes}}}",
        ]) + "\n"

    def _column_panels(self) -> list[tuple[str, list[int]]]:
        """Return the runs of data columns set as separate panels: the declared ones, else one, else split to fit."""
        data = list(range(1, len(self.columns)))
        if self.column_panels:
            if sum(p.width for p in self.column_panels) != len(data):
                raise ValueError(f"{self.label}: column panels cover {sum(p.width for p in self.column_panels)} "
                                 f"of {len(data)} data columns")
            out, start = [], 1
            for panel in self.column_panels:
                out.append((panel.label, list(range(start, start + panel.width))))
                start += panel.width
            return out
        widths = {c: _estimated_width(self._column_cells(c)) for c in data}
        if sum(widths.values()) <= LANDSCAPE_DATA_POINTS:
            return [("", data)]
        # Too wide for a landscape page: split at group boundaries where possible, in as few runs as fit.
        bounds, start = set(), 0
        for group in self.groups:
            start += group.width
            bounds.add(start)
        runs: list[list[int]] = [[]]
        for c in data:
            if runs[-1] and sum(widths[x] for x in runs[-1]) + widths[c] > LANDSCAPE_DATA_POINTS:
                cut = max((i for i, x in enumerate(runs[-1]) if x - 1 in bounds and i > 0), default=None)
                if cut is not None and c - 1 not in bounds:
                    runs.append(runs[-1][cut:])
                    runs[-2] = runs[-2][:cut]
                else:
                    runs.append([])
            runs[-1].append(c)
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        return [(f"Panel {letters[i % 26]}: columns {run[0]}–{run[-1]}" if len(run) > 1
                 else f"Panel {letters[i % 26]}: column {run[0]}", run) for i, run in enumerate(runs)]

    def _column_cells(self, column: int) -> list[str]:
        return [row[column] for row in self.rows if len(row) > column and not isinstance(row[column], Spanning)] \
            + [self.columns[column]]

    def _latex_panel(self, title: str, data: list[int]) -> str:
        width = len(data) + 1
        lines = [rf"\VApanel{{{latex_escape(title)}}}{{{'r' * len(data)}}}{{%"]
        if self.groups:
            cells, rules, start = [], [], 0
            for group in self.groups:  # the groups restricted to this panel's columns
                inside = [c for c in range(start, start + group.width) if c == 0 or c in data]
                start += group.width
                if not inside:
                    continue
                text = latex_escape(group.label)
                cells.append(text if len(inside) == 1 else rf"\multicolumn{{{len(inside)}}}{{c}}{{{text}}}")
                rules.append((group.label, len(inside)))
            lines.append(" & ".join(cells) + r" \\")
            position, spans = 1, []
            for label, size in rules:
                if label:
                    spans.append(rf"\cmidrule(lr){{{position}-{position + size - 1}}}")
                position += size
            if spans:
                lines.append(" ".join(spans))
        header = [latex_escape(self.columns[0])]
        for c in data:
            header.append(_latex_header(self.columns[c], _estimated_chars(self._column_cells(c)[:-1])))
        lines.append(" & ".join(header) + r" \\")
        lines.append(r"\midrule\VAendhead")  # the header rows a landscape longtable repeats on each page
        for row in self.rows:
            if len(row) == 1:
                lines.append(rf"\VApanelrow{{{width}}}{{{latex_escape(row[0])}}} \\")
            elif len(row) == 2 and isinstance(row[1], Spanning):
                span = (rf" & \VAspan{{{len(data)}}}{{{latex_escape(row[1])}}}" if len(data) > 1
                        else f" & {latex_escape(row[1])}")
                lines.append(latex_escape(row[0]) + span + r" \\")
            else:
                cells = [row[0], *[row[c] if c < len(row) else "" for c in data]]
                lines.append(" & ".join(latex_escape(c) for c in cells) + r" \\")
        lines.append("}")
        return "\n".join(lines)

    def _to_longtable(self) -> str:
        if len(self.paragraph_widths) != len(self.columns):
            raise ValueError(f"{self.label}: {len(self.paragraph_widths)} paragraph widths for "
                             f"{len(self.columns)} columns")
        # Ragged right (\hspace{0pt}: a column's first word may still be hyphenated).
        spec = "".join(rf">{{\raggedright\arraybackslash\hspace{{0pt}}}}p{{{w}\linewidth}}"
                       for w in self.paragraph_widths)
        header = " & ".join(latex_escape(c) for c in self.columns) + r" \\"
        number = _TABLE_NUMBER.match(self.title)
        lines = [r"\begingroup", r"\footnotesize"]
        if number:
            lines.append(rf"\renewcommand{{\thetable}}{{{number.group(1)}}}")
        lines += [rf"\begin{{longtable}}{{{spec}}}",
                  rf"\caption{{{latex_escape(_TABLE_PREFIX.sub('', self.title))}}}\label{{{self.label}}} \\",
                  r"\toprule", header, r"\midrule", r"\endfirsthead", r"\toprule", header, r"\midrule", r"\endhead"]
        for row in self.rows:
            if len(row) == 1:
                lines.append(rf"\multicolumn{{{len(self.columns)}}}{{l}}{{\textit{{{latex_escape(row[0])}}}}} \\")
            else:
                lines.append(" & ".join(latex_escape(c) for c in row) + r" \\")
        lines += [r"\bottomrule", r"\end{longtable}"]
        if self.notes:
            lines.append(" ".join(latex_escape(n) for n in self.notes))
        lines.append(r"\par\endgroup")
        return "\n".join(lines) + "\n"
