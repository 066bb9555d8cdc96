"""Problems found in input data, collected into one report (in English or Chinese)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from villageaid.io.messages import Language, escape, language, render

Severity = Literal["error", "warning"]

#: Problems kept in full per file, column and kind; beyond this they are counted (millions of bad cells
#: must not cost millions of report lines or minutes of formatting).
KEEP_PER_GROUP = 100


@dataclass(frozen=True)
class Problem:
    """One problem in the input data.

    Parameters
    ----------
    severity : {"error", "warning"}
        Errors stop the pipeline; warnings are reported and the data are used.
    table : str
        Schema table name (``villages``, ``funding``, ...), or ``""`` when the file fits no table.
    file : str
        File (and sheet, for workbooks) as the user named it.
    row : int or None
        Row number as the user sees it in that file (the header is row 1), or None for the whole file.
    column : str or None
        Column as written in the file (its schema name in brackets when they differ).
    value : str or None
        The offending value as read (never the value of a name column).
    code : str
        Message code (see :mod:`villageaid.io.messages`).
    params : tuple of (str, object)
        Parameters of the message.
    """

    severity: Severity
    table: str
    file: str
    row: int | None
    column: str | None
    value: str | None
    code: str
    params: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, severity: Severity, table: str, file: str, row: int | None, column: str | None,
           value: str | None, code: str, /, **params: object) -> Problem:
        """Build a problem from a message code and its parameters."""
        return cls(severity, table, file, row, column, value, code, tuple(params.items()))

    @property
    def rule(self) -> str:
        """What was expected, in English."""
        return self.message("en")

    def message(self, lang: Language = "en") -> str:
        """Return what was expected, in ``lang``."""
        return render(self.code, dict(self.params), lang)

    def format(self, lang: Language | None = None) -> str:
        """Return the problem as one line; control and bidirectional characters are escaped."""
        lang = language(lang)
        where = escape(self.file or self.table)
        if lang == "zh":
            if self.row is not None:
                where += f"，第 {self.row} 行"
            if self.column is not None:
                where += f"，列“{escape(self.column)}”"
            value = "" if self.value is None else f"：值 {escape(repr(self.value))}"
            severity = {"error": "错误", "warning": "警告"}[self.severity]
            table = f"[{self.table}] " if self.table else ""
            return f"{severity} {table}{where}{value} —— {self.message('zh')}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {escape(self.column)}"
        value = "" if self.value is None else f": value {escape(repr(self.value))}"
        table = f"[{self.table}] " if self.table else ""
        return f"{self.severity.upper():7s} {table}{where}{value} — {self.message('en')}"


@dataclass
class ValidationReport:
    """All problems found while reading a data directory, in the order they were found.

    At most :data:`KEEP_PER_GROUP` problems of one kind in one column of one file are kept in full; the
    rest are counted in ``suppressed`` and summarised when the report is printed.
    """

    problems: list[Problem] = field(default_factory=list)
    suppressed: Counter = field(default_factory=Counter)
    _kept: Counter = field(default_factory=Counter, repr=False)

    def add(self, problem: Problem) -> None:
        """Record one problem."""
        key = (problem.severity, problem.table, problem.file, problem.column, problem.code)
        if problem.row is not None and self._kept[key] >= KEEP_PER_GROUP:
            self.suppressed[key] += 1
            return
        self._kept[key] += 1
        self.problems.append(problem)

    def room(self, severity: Severity, table: str, file: str, column: str | None, code: str) -> int:
        """Return how many more problems of this kind in this column of this file are kept in full."""
        return max(0, KEEP_PER_GROUP - self._kept[(severity, table, file, column, code)])

    def count_only(self, severity: Severity, table: str, file: str, column: str | None, code: str, n: int) -> None:
        """Count ``n`` problems of this kind without keeping them (beyond :data:`KEEP_PER_GROUP`)."""
        if n > 0:
            self.suppressed[(severity, table, file, column, code)] += n

    def extend(self, problems: list[Problem]) -> None:
        """Record several problems."""
        for problem in problems:
            self.add(problem)

    @property
    def errors(self) -> list[Problem]:
        """Problems of severity ``error`` (kept in full)."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems of severity ``warning`` (kept in full)."""
        return [p for p in self.problems if p.severity == "warning"]

    def count(self, severity: Severity) -> int:
        """Return the number of problems of ``severity``, including those only counted."""
        kept = sum(p.severity == severity for p in self.problems)
        return kept + sum(n for key, n in self.suppressed.items() if key[0] == severity)

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return self.count("error") == 0

    def summary(self) -> list[tuple[str, str, str, str, int]]:
        """Return the counts per severity, file, column and kind of problem, largest first."""
        counts: Counter = Counter()
        for p in self.problems:
            counts[(p.severity, p.file, p.column or "", p.code)] += 1
        for (severity, _table, file, column, code), n in self.suppressed.items():
            counts[(severity, file, column or "", code)] += n
        return [(*key, n) for key, n in counts.most_common()]

    def format(self, *, max_lines: int | None = None, lang: Language | None = None) -> str:
        """Return the report as text: one line per problem, a summary when lines were left out, a count."""
        lang = language(lang)
        lines = [p.format(lang) for p in self.problems]
        hidden = len(lines) - max_lines if max_lines is not None and len(lines) > max_lines else 0
        if hidden:
            lines = lines[:max_lines]
        hidden += sum(self.suppressed.values())
        if hidden:
            lines.append(f"…… 另有 {hidden} 个问题未逐条列出；各文件、各列的问题数：" if lang == "zh"
                         else f"... and {hidden} more problems; counts per file, column and problem:")
            for severity, file, column, code, n in self.summary():
                example = next((p for p in self.problems if (p.file, p.column or "", p.code) == (file, column, code)),
                               None)
                text = example.message(lang) if example is not None else code
                label = {"error": "错误", "warning": "警告"}[severity] if lang == "zh" else severity
                where = escape(file) + (f" / {escape(column)}" if column else "")
                lines.append(f"  {n:>9,d} × {label}: {where}: {text}")
        errors, warnings = self.count("error"), self.count("warning")
        lines.append(f"共 {errors} 个错误，{warnings} 个警告" if lang == "zh"
                     else f"{errors} error(s), {warnings} warning(s)")
        return "\n".join(lines)


class DataError(Exception):
    """Raised when input data have errors; carries the full report."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(report.format(max_lines=50))
