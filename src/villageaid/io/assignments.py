"""Read a user's policy: a CSV of assignments (village_id, unit_id), never modifying it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def read_assignments(path: Path) -> pd.DataFrame:
    """Read a policy CSV (village_id, unit_id) as text, never modifying it."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
