"""Stata files: records read from ``.dta`` (value labels honoured) and the panel written for Stata and R.

Reading: a ``.dta`` table of the records is read with :func:`pandas.read_stata`; a labelled numeric column (a
level coded 1 = "市级", …) is read as its labels, which validation then maps like any ledger's text. Writing:
:func:`export_panel` writes the village × year panel as Stata 118 (UTF-8, so Chinese text and labels survive),
CSV or Parquet, with the codebook's variable labels — in the ``.dta`` itself, and for CSV and Parquet in a
codebook file beside it — so a peer can replicate in Stata (``use panel.dta``) or R (``haven::read_dta``).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.io import import_messages  # noqa: F401  (registers the messages)
from villageaid.io.columns import SourceFrame
from villageaid.io.problems import Problem, ValidationReport
from villageaid.io.write import write_csv, write_with

#: Stata's limits (format 118): variable names, variable and data labels, and fixed-width strings.
STATA_NAME_CHARS = 32
STATA_LABEL_CHARS = 80
STATA_STR_BYTES = 2045
#: The time stamp written into a .dta header: fixed, so that the same panel gives the same bytes.
STATA_TIME_STAMP = datetime.datetime(2000, 1, 1)
EXPORT_FORMATS = ("dta", "csv", "parquet")
#: Panel columns that are identifiers: written as text, not as value-labelled numbers (a national panel has
#: 500,000 villages; Stata's value labels are meant for the few values of a category).
ID_COLUMNS = ("village_id", "county", "township", "first_secretary_unit_id")


def read_dta_frame(path: Path, report: ValidationReport | None = None, table: str = "") -> pd.DataFrame:
    """Read a ``.dta`` file with its value labels applied (labelled values become their labels, as text).

    A column whose labels cannot be applied (two values with one label) is read as its numbers, and said so.
    """
    try:
        frame = pd.read_stata(path, convert_categoricals=True, convert_missing=False)
    except ValueError as exc:
        if report is not None:
            report.add(Problem.of("warning", table, path.name, None, None, None, "dta_labels", detail=str(exc)))
        frame = pd.read_stata(path, convert_categoricals=False, convert_missing=False)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
        elif pd.api.types.is_string_dtype(frame[column].dtype):  # Stata has no missing string: "" is missing
            frame[column] = frame[column].astype(object).where(frame[column] != "", None)
    return frame.reset_index(drop=True)


def read_dta_source(path: Path, label: str, table: str, report: ValidationReport) -> SourceFrame:
    """Read a ``.dta`` table of the records as a source for validation (its variable names are its header)."""
    frame = read_dta_frame(path, report, table)
    headers = [str(c) for c in frame.columns]
    frame.columns = range(frame.shape[1])
    return SourceFrame(table, label, frame, np.arange(1, len(frame) + 1), headers=headers, header_line=0)


# --- export ------------------------------------------------------------------------------------------

def panel_labels() -> dict[str, tuple[str, str]]:
    """Every panel variable's (English, Chinese) label from the codebook: derived, baseline and outcome ones."""
    from villageaid.schema import OUTCOMES, PANEL_VARIABLES, VILLAGES

    labels = {c.name: (c.label_en, c.label_zh) for c in (*VILLAGES.columns, *OUTCOMES.columns)}
    labels["year"] = ("Year", "年份")
    labels.update({v.name: (v.label_en, v.label_zh) for v in PANEL_VARIABLES})  # merged_from among them
    return labels


def stata_label(english: str, chinese: str) -> str:
    """Return a variable label within Stata's 80 characters: ``中文 English``, else the English alone (cut at 80)."""
    both = f"{chinese} {english}"
    return both if len(both) <= STATA_LABEL_CHARS else english[:STATA_LABEL_CHARS]


def _for_stata(panel: pd.DataFrame) -> pd.DataFrame:
    """Return the panel in types Stata holds: identifiers as text, yes/no as 0/1 bytes with missing, enums labelled."""
    out = {}
    for name in panel.columns:
        column = panel[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            if name in ID_COLUMNS or not all(isinstance(c, str) for c in column.cat.categories):
                out[name] = column.astype(object).where(column.notna(), "").astype(str)
            else:
                out[name] = column
        elif pd.api.types.is_bool_dtype(column.dtype):
            out[name] = column.astype("Int8")
        elif pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype):
            out[name] = column.astype(object).where(column.notna(), "").astype(str)
        elif pd.api.types.is_datetime64_any_dtype(column.dtype):
            out[name] = column
        else:
            out[name] = column
    return pd.DataFrame(out)


def export_panel(panel: pd.DataFrame, fmt: str, out: Path) -> list[Path]:
    """Write ``panel`` as ``fmt`` (dta, csv or parquet) to ``out``, with the codebook's labels; return the files.

    Raises
    ------
    ValueError
        On an unknown format, a variable name longer than Stata's 32 characters or a text longer than its
        fixed-width strings hold (nothing is renamed or cut silently).
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    labels = panel_labels()
    unlabelled = [c for c in panel.columns if c not in labels]
    if unlabelled:
        raise ValueError(f"no codebook label for {', '.join(map(str, unlabelled))}")
    out = Path(out)
    written = [out]
    if fmt == "dta":
        long_names = [c for c in panel.columns if len(str(c)) > STATA_NAME_CHARS]
        if long_names:
            raise ValueError(f"variable names longer than Stata's {STATA_NAME_CHARS} characters: "
                             f"{', '.join(long_names)}")
        frame = _for_stata(panel)
        for name in frame.columns:
            if frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name].dtype):
                width = int(frame[name].astype(str).str.encode("utf-8").str.len().max() or 0)
                if width > STATA_STR_BYTES:
                    raise ValueError(f"{name}: a text of {width} bytes exceeds Stata's {STATA_STR_BYTES}-byte "
                                     "strings")
        variable_labels = {name: stata_label(*labels[name]) for name in frame.columns}
        source = str(panel.attrs.get("data_source", "villageaid panel"))
        data_label = f"villageaid village x year panel: {source}"[:STATA_LABEL_CHARS]
        write_with(out, lambda tmp: frame.to_stata(tmp, write_index=False, version=118,
                                                   variable_labels=variable_labels, data_label=data_label,
                                                   time_stamp=STATA_TIME_STAMP))
        return written
    if fmt == "csv":  # text a spreadsheet would run as a formula is neutralised (io.write.write_csv)
        write_csv(panel, out)
    else:
        write_with(out, lambda tmp: panel.to_parquet(tmp, index=False))
    book = pd.DataFrame({"variable": list(panel.columns),
                         "label_en": [labels[c][0] for c in panel.columns],
                         "label_zh": [labels[c][1] for c in panel.columns]})
    codebook = out.with_name(f"{out.stem}_codebook.csv")
    write_csv(book, codebook)
    written.append(codebook)
    return written
