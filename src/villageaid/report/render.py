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
    """

    title: str
    label: str
    columns: list[str]
    rows: list[list[str]]
    groups: list[ColumnGroup] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    paragraph_widths: tuple[str, ...] = ()

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
            cells = [f"*{esc(row[0])}*"] + [""] * (width - 1) if len(row) == 1 else [esc(c) for c in row]
            lines.append("| " + " | ".join(cells) + " |")
        if self.notes:
            lines.append("")
            lines += [esc(note) for note in self.notes]
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        """Render as a booktabs ``table`` environment (needs ``booktabs``; CJK text needs xeCJK).

        With :attr:`paragraph_widths`, a ``longtable`` of wrapped columns instead (needs ``longtable``).
        """
        if self.paragraph_widths:
            return self._to_longtable()
        width = len(self.columns)
        number = _TABLE_NUMBER.match(self.title)
        lines = [r"\begin{table}[htbp]", r"\centering"]
        if number:  # the number of the file and the README (6b), not LaTeX's running count
            lines.append(rf"\renewcommand{{\thetable}}{{{number.group(1)}}}")
        lines += [
            rf"\caption{{{latex_escape(_TABLE_PREFIX.sub('', self.title))}}}",
            rf"\label{{{self.label}}}",
            # Wide tables are scaled down to the text width, never cut (needs adjustbox).
            r"\begin{adjustbox}{max width=\linewidth}",
            r"\begin{tabular}{l" + "r" * (width - 1) + "}",
            r"\toprule",
        ]
        if self.groups:
            cells, rules, start = [], [], 1
            for group in self.groups:
                text = latex_escape(group.label)
                cells.append(text if group.width == 1 else rf"\multicolumn{{{group.width}}}{{c}}{{{text}}}")
                if group.label:
                    rules.append(rf"\cmidrule(lr){{{start}-{start + group.width - 1}}}")
                start += group.width
            lines.append(" & ".join(cells) + r" \\")
            if rules:
                lines.append(" ".join(rules))
        lines.append(" & ".join(latex_escape(c) for c in self.columns) + r" \\")
        lines.append(r"\midrule")
        for row in self.rows:
            if len(row) == 1:
                lines.append(rf"\multicolumn{{{width}}}{{l}}{{\textit{{{latex_escape(row[0])}}}}} \\")
            else:
                lines.append(" & ".join(latex_escape(c) for c in row) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}", r"\end{adjustbox}"]
        if self.notes:
            lines.append(r"\par\smallskip")
            lines.append(r"\begin{minipage}{0.95\linewidth}\footnotesize")
            lines.append(" ".join(latex_escape(n) for n in self.notes))
            lines.append(r"\end{minipage}")
        lines.append(r"\end{table}")
        return "\n".join(lines) + "\n"

    def _to_longtable(self) -> str:
        if len(self.paragraph_widths) != len(self.columns):
            raise ValueError(f"{self.label}: {len(self.paragraph_widths)} paragraph widths for "
                             f"{len(self.columns)} columns")
        spec = "".join(rf"p{{{w}\linewidth}}" for w in self.paragraph_widths)
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
