"""Read a user's policy: a CSV of assignments (village_id, unit_id), never modifying it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from villageaid.io.problems import DataError


def read_assignments(path: Path) -> pd.DataFrame:
    """Read a policy CSV (village_id, unit_id[, funding]) as text, by the reading rules of the records.

    The file is read as ``validate`` reads a table (:func:`villageaid.io.inputs.read_csv_input`): UTF-8, UTF-16 with
    a BOM or GBK/GB18030; a FIFO or device is refused before it is opened; an empty file, a header without rows or
    a line with more fields than the header is an error. Lines with no value at all are left out.

    Returns
    -------
    DataFrame
        Every cell as stripped text, indexed by the row number a spreadsheet shows (index ``row``; the header is
        row 1), so that problems name the file's own rows even where blank lines were left out.

    Raises
    ------
    DataError
        With the report of every problem, naming the file.
    """
    from villageaid.io.inputs import read_csv_input

    frame, report = read_csv_input(path, "assignments CSV", table="assignments")
    if frame is None or not report.ok:
        raise DataError(report)
    frame = frame.apply(lambda column: column.str.strip())
    return frame.loc[(frame != "").any(axis=1)]
