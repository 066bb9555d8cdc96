"""What a writer of the paper's outputs receives: its declaration, the panel and the build's estimates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from villageaid.registry import ModelSpec, OutputSpec
from villageaid.report.tables import data_note


@dataclass(frozen=True)
class OutputContext:
    """One output's declaration, the panel and the results of the analyses it needs.

    Writers format; they never estimate. A table writer returns (tidy numbers, formatted table) and takes its
    title and LaTeX label from :attr:`spec`; a figure writer returns (figure, the numbers it draws or None). An
    output that reads the other tables (``OutputSpec.reads == "tables"``) finds them in :attr:`tables_dir`.
    """

    spec: OutputSpec
    panel: pd.DataFrame
    results: Mapping[str, object]
    tables_dir: Path | None = None

    @property
    def title(self) -> str:
        """The output's English title."""
        return self.spec.title

    @property
    def label(self) -> str:
        """The table's LaTeX label."""
        return self.spec.label

    @cached_property
    def note(self) -> str:
        """The sentence on where the data come from, which every table and figure carries."""
        return data_note(self.panel)

    def analysis(self, name: str) -> object:
        """Return the results of an analysis the output declares it needs."""
        if name not in self.spec.needs:
            raise KeyError(f"{self.spec.stem} uses the analysis {name!r} without declaring it in its needs "
                           f"({', '.join(self.spec.needs) or 'none'})")
        return self.results[name]

    def model(self, model: ModelSpec) -> object:
        """Return a declared model's result: the attribute path :attr:`ModelSpec.result` of its analysis.

        A part of the path that names a key of a dictionary selects that entry.
        """
        self.analysis(model.analysis)  # declared in the output's needs
        return model.find(self.results)


def identified(tidy: pd.DataFrame, model: ModelSpec, label: str | None = None, *,
               model_id: str | None = None) -> pd.DataFrame:
    """Return a model's tidy rows led by its id and label (``model_id``, ``model``): the columns the paper reads.

    ``label`` and ``model_id`` replace the model's own (a sensitivity analysis of it has its own id).
    """
    tidy = tidy.copy()
    tidy.insert(0, "model", model.label if label is None else label)
    tidy.insert(0, "model_id", model.id if model_id is None else model_id)
    return tidy
