"""Problems found in input data, collected into one report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


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
        The offending value as read.
    rule : str
        What was expected.
    """

    severity: Severity
    table: str
    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str

    def format(self) -> str:
        """Return the problem as one human-readable line."""
        where = self.file or self.table
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        value = "" if self.value is None else f": value {self.value!r}"
        table = f"[{self.table}] " if self.table else ""
        return f"{self.severity.upper():7s} {table}{where}{value} — {self.rule}"


@dataclass
class ValidationReport:
    """All problems found while reading a data directory, in the order they were found."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        """Record one problem."""
        self.problems.append(problem)

    def extend(self, problems: list[Problem]) -> None:
        """Record several problems."""
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        """Problems of severity ``error``."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems of severity ``warning``."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return not self.errors

    def format(self, *, max_lines: int | None = None) -> str:
        """Return the report as text: one line per problem, then a summary line."""
        lines = [p.format() for p in self.problems]
        if max_lines is not None and len(lines) > max_lines:
            hidden = len(lines) - max_lines
            lines = [*lines[:max_lines], f"... and {hidden} more problems"]
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)


class DataError(Exception):
    """Raised when input data have errors; carries the full report."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(report.format(max_lines=50))
