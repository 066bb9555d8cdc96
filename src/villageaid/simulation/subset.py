"""Cut a set of tables to some villages, keeping them consistent (for smaller designs and tests)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pandas as pd


def restrict_to_villages(tables: Mapping[str, pd.DataFrame], villages: Collection[str]) -> dict[str, pd.DataFrame]:
    """Return the tables of ``villages`` only: their rows, the units they used and those units' resource list.

    Every table with a ``village_id`` column keeps the rows of the villages; ``units`` keeps the units assigned
    to or funding them; ``unit_resources`` the rows of those units. Other tables are kept whole. The result
    validates where the input did (no reference is left dangling).
    """
    keep = set(villages)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        out[name] = frame.loc[frame["village_id"].isin(keep)] if "village_id" in frame else frame
    used: set[str] = set()
    for name in ("assignments", "funding"):
        if name in out and "unit_id" in out[name]:
            used |= set(out[name]["unit_id"].dropna())
    for name in ("units", "unit_resources"):
        if name in out:
            out[name] = out[name].loc[out[name]["unit_id"].isin(used)]
    return out
