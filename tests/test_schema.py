from __future__ import annotations

from pathlib import Path

from tests.panel.test_village_year import _tables
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.schema import PANEL_VARIABLES, RAW_TABLES, codebook_markdown, codebook_rows

REPO = Path(__file__).resolve().parents[1]


def test_every_raw_and_panel_variable_has_a_codebook_entry() -> None:
    tables, _ = validate_tables(_tables())
    panel = build_panel(tables)
    documented = {row["variable"] for row in codebook_rows()}
    assert set(panel.columns) <= documented
    for row in codebook_rows():
        assert row["label_en"] and row["label_zh"] and row["description"], row


def test_six_raw_tables_with_canonical_names() -> None:
    assert list(RAW_TABLES) == ["villages", "units", "assignments", "funding", "designations", "outcomes"]
    for name in ("village_id", "county", "township"):
        assert name in RAW_TABLES["villages"].column_names
    assert RAW_TABLES["assignments"].required_columns == ("cadre_id", "unit_id", "village_id", "role", "start_date")
    assert {v.name for v in PANEL_VARIABLES} >= {"village_type", "endowment_index", "rich", "city_unit"}


def test_committed_codebook_is_current() -> None:
    assert (REPO / "data" / "CODEBOOK.md").read_text(encoding="utf-8") == codebook_markdown()
