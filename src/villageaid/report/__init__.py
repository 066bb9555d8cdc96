"""Tables and figures of the companion paper, formatted from the analyses' results (never estimated here).

Each output's writer takes an :class:`~villageaid.report.context.OutputContext` (its declaration in the registry,
the panel and the analyses' results); :func:`villageaid.workflow.outputs.write_output` writes its files.
"""

from villageaid.report.context import OutputContext
from villageaid.report.tables import table1, write_table

__all__ = ["OutputContext", "table1", "write_table"]
