from __future__ import annotations

from pathlib import Path

from tests.panel.test_village_year import _tables
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.schema import (
    NEED_DIMENSIONS,
    NEED_TYPES,
    PANEL_VARIABLES,
    RAW_TABLES,
    RESOURCE_SERVES,
    RESOURCE_TYPES,
    SLOT_RESOURCES,
    VALUE_LABELS_ZH,
    codebook_markdown,
    codebook_rows,
)

REPO = Path(__file__).resolve().parents[1]


def test_every_raw_and_panel_variable_has_a_codebook_entry() -> None:
    tables, _ = validate_tables(_tables())
    panel = build_panel(tables)
    documented = {row["variable"] for row in codebook_rows()}
    assert set(panel.columns) <= documented
    for row in codebook_rows():
        assert row["label_en"] and row["label_zh"] and row["description"], row


def test_raw_tables_with_canonical_names() -> None:
    assert list(RAW_TABLES) == ["villages", "units", "assignments", "funding", "designations", "outcomes", "needs",
                                "unit_resources"]
    assert [name for name, table in RAW_TABLES.items() if table.required] == ["villages", "units", "assignments",
                                                                             "funding"]
    for name in ("village_id", "county", "township"):
        assert name in RAW_TABLES["villages"].column_names
    assert RAW_TABLES["assignments"].required_columns == ("cadre_id", "unit_id", "village_id", "role", "start_date")
    assert {v.name for v in PANEL_VARIABLES} >= {"village_type", "endowment_index", "rich", "city_unit"}


def test_committed_codebook_is_current() -> None:
    assert (REPO / "data" / "CODEBOOK.md").read_text(encoding="utf-8") == codebook_markdown()


def test_the_two_lists_schema() -> None:
    needs, resources = RAW_TABLES["needs"], RAW_TABLES["unit_resources"]
    assert (needs.label_zh, resources.label_zh) == ("需求清单", "资源清单")
    assert needs.key == ("village_id", "dimension") and resources.key == ("unit_id", "resource_type")
    assert needs.required_columns == ("village_id", "dimension", "gap")
    assert resources.required_columns == ("unit_id", "resource_type", "capacity")
    gap = needs.column("gap")
    assert (gap.minimum, gap.maximum) == (0, 1)
    assert resources.column("capacity").minimum == 0
    assert set(NEED_TYPES) <= set(NEED_DIMENSIONS)  # a village's main need is one of its dimensions
    assert needs.column("dimension").allowed == NEED_DIMENSIONS
    assert resources.column("resource_type").allowed == RESOURCE_TYPES
    assert SLOT_RESOURCES == set(RESOURCE_TYPES) - {"money"}
    assert set(RESOURCE_SERVES) == set(RESOURCE_TYPES)
    assert {d for dims in RESOURCE_SERVES.values() for d in dims} == set(NEED_DIMENSIONS)
    for column in ("dimension", "resource_type"):
        allowed = needs.column(column).allowed if column == "dimension" else resources.column(column).allowed
        assert set(VALUE_LABELS_ZH[column]) == set(allowed)


def test_codebook_documents_the_two_lists() -> None:
    text = codebook_markdown()
    assert "## `needs` (需求清单) — optional table" in text
    assert "## `unit_resources` (资源清单) — optional table" in text
    assert "cadre → governance, monitored_households" in text
