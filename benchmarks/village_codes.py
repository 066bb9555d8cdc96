"""Time the village-code checks and the crosswalk at a national scale: 500,000 villages with 12-digit codes.

Not a test. Builds the villages table in memory (codes consistent with their county and township columns, one in
a thousand malformed), checks it as validation does, then folds 50,000 merged villages into their successors in
2,000,000 funding rows as the panel does. Prints wall and CPU time of each step.

    PYTHONPATH=src .venv/bin/python benchmarks/village_codes.py [--villages 500000]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from villageaid.io.codes import Crosswalk, apply_crosswalk, check_village_codes
from villageaid.io.problems import ValidationReport


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=500_000)
    n = parser.parse_args().villages
    i = np.arange(n)
    county = pd.Series((110100 + i % 2_800).astype(str))
    township = county + pd.Series((100 + (i // 2_800) % 40).astype(str))
    ids = township + pd.Series((200 + i % 199).astype(str))
    ids = ids.where(i % 1_000 != 0, ids.str[:10])  # malformed: 10 digits
    villages = pd.DataFrame({"village_id": ids, "county": county, "township": township,
                             "_file": "villages.csv", "_row": i + 2})
    wall, cpu = time.perf_counter(), _cpu()
    report = ValidationReport()
    check_village_codes(villages, report)
    print(f"check {n:,} village codes: {time.perf_counter() - wall:.2f} s wall, {_cpu() - cpu:.2f} s CPU, "
          f"{report.count('error'):,} errors")

    unique = ids.drop_duplicates().to_numpy()
    rng = np.random.default_rng(0)
    merged = rng.choice(len(unique), size=len(unique) // 10, replace=False)
    kept = np.setdiff1d(np.arange(len(unique)), merged)
    successor = unique[rng.choice(kept, size=len(merged))]
    crosswalk = Crosswalk(pd.DataFrame({"old_code": unique[merged], "new_code": successor, "year": 2020,
                                        "change": "merge", "note": None, "source_file": "crosswalk.csv",
                                        "source_row": np.arange(len(merged)) + 2}))
    rows = 4 * len(unique)
    funding = pd.DataFrame({"village_id": unique[rng.integers(0, len(unique), rows)],
                            "year": rng.integers(2016, 2026, rows), "amount": rng.random(rows),
                            "source": "county", "project_type": None, "unit_id": None})
    empty = {name: pd.DataFrame(columns=["village_id", "year"]) for name in ("assignments", "designations")}
    tables = {"villages": pd.DataFrame({"village_id": unique}), "funding": funding,
              "outcomes": pd.DataFrame(), **empty}
    wall, cpu = time.perf_counter(), _cpu()
    folded, merged_from = apply_crosswalk(tables, crosswalk)
    print(f"fold {len(merged):,} merged villages into {len(merged_from):,} successors over {rows:,} funding rows: "
          f"{time.perf_counter() - wall:.2f} s wall, {_cpu() - cpu:.2f} s CPU")
    assert np.isclose(folded["funding"]["amount"].sum(), funding["amount"].sum())


if __name__ == "__main__":
    main()
