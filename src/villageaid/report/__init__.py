"""Tables and figures of the companion paper, built from analysis results."""

from villageaid.report.tables import table1, write_table

__all__ = ["table1", "write_table"]
