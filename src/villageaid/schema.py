"""Canonical schema of the raw tables and the codebook of every variable.

The raw tables are long (one fact a row) and keyed by string identifiers (data/README.md): six tables of the
records (villages, units, assignments, funding, designations, outcomes) and the two lists of the source paper's
precise matching (两张清单): the villages' needs (需求清单) and the units' resources (资源清单). Each column
has a type, an allowed range or set of values, and a codebook entry with English and Chinese labels,
its unit, and a description. Derived variables of the village × year panel are documented here too, so
that ``data/CODEBOOK.md`` is generated from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

ColumnKind = Literal["id", "text", "int", "float", "money", "bool", "date", "enum", "year"]

#: Administrative levels of dispatching units, from the highest to the lowest.
UNIT_LEVELS: tuple[str, ...] = ("central", "provincial", "city", "county", "township")
#: Levels counted as "city level or above" (the paper's high-level units).
CITY_OR_ABOVE: frozenset[str] = frozenset({"central", "provincial", "city"})
UNIT_SECTORS: tuple[str, ...] = ("party", "government", "enterprise", "public_institution")
UNIT_STRENGTHS: tuple[str, ...] = ("strong", "general", "marginal")
ROLES: tuple[str, ...] = ("first_secretary", "team_member")
FUNDING_SOURCES: tuple[str, ...] = ("unit", "county", "higher", "social")
DESIGNATION_KINDS: tuple[str, ...] = ("demonstration", "key_assistance", "deep_poverty")
TERRAINS: tuple[str, ...] = ("plain", "hill", "mountain")
#: A village's main need (主要需求), as a need list (需求清单) records it.
NEED_TYPES: tuple[str, ...] = ("industry", "infrastructure", "public_service")
#: The need each project type serves (项目类型 → 需求类型); a project of another type serves no listed need
#: (a donation, or a type the records spell otherwise — reported by the mismatch analysis).
PROJECT_NEED: dict[str, str] = {
    "industry": "industry", "consumption_assistance": "industry",
    "infrastructure": "infrastructure", "water": "infrastructure", "housing": "infrastructure",
    "public_service": "public_service", "education": "public_service",
}

#: Need dimensions of a village's need list (需求清单), one row each in the ``needs`` table. The three main needs
#: (:data:`NEED_TYPES`) are dimensions under the same names, so a village's main need is one of its dimensions.
NEED_DIMENSIONS: tuple[str, ...] = ("infrastructure", "industry", "governance", "public_service",
                                    "monitored_households")
#: Resource types of a unit's resource list (资源清单), one row each in the ``unit_resources`` table.
RESOURCE_TYPES: tuple[str, ...] = ("money", "technical", "market", "cadre")
#: Resource types whose capacity is a count of slots (a whole number); ``money`` is a budget in 万元 a year.
SLOT_RESOURCES: frozenset[str] = frozenset({"technical", "market", "cadre"})
#: The unit of each resource type's capacity.
RESOURCE_UNITS: dict[str, str] = {"money": "万元 a year", "technical": "slots", "market": "slots",
                                  "cadre": "cadre slots"}
#: The need dimensions each resource type serves (资源类型 → 需求维度), fixed here rather than recorded: money
#: builds and runs projects of every kind but governance; technical help serves industry, infrastructure and
#: public services (agronomists, engineers, doctors, teachers); market channels (消费帮扶, orders, sales)
#: serve industry and monitored households' incomes; cadres serve governance and the monitoring of households.
RESOURCE_SERVES: dict[str, tuple[str, ...]] = {
    "money": ("infrastructure", "industry", "public_service", "monitored_households"),
    "technical": ("infrastructure", "industry", "public_service"),
    "market": ("industry", "monitored_households"),
    "cadre": ("governance", "monitored_households"),
}

#: Chinese forms of the enumerated values, as a county ledger writes them (first form of each in the header map).
VALUE_LABELS_ZH: dict[str, dict[str, str]] = {
    "level": {"central": "中央", "provincial": "省级", "city": "市级", "county": "县级", "township": "乡镇"},
    "sector": {"party": "党委", "government": "政府部门", "enterprise": "国有企业", "public_institution": "事业单位"},
    "strength": {"strong": "强势", "general": "一般", "marginal": "边缘"},
    "role": {"first_secretary": "第一书记", "team_member": "队员"},
    "source": {"unit": "派出单位", "county": "县级配套", "higher": "上级财政", "social": "社会资金"},
    "kind": {"demonstration": "示范村", "key_assistance": "重点帮扶村", "deep_poverty": "深度贫困村"},
    "terrain": {"plain": "平原", "hill": "丘陵", "mountain": "山区"},
    "main_need": {"industry": "产业发展", "infrastructure": "基础设施", "public_service": "公共服务"},
    "dimension": {"infrastructure": "基础设施", "industry": "产业发展", "governance": "基层治理",
                  "public_service": "公共服务", "monitored_households": "监测户帮扶"},
    "resource_type": {"money": "资金", "technical": "技术帮扶", "market": "市场渠道", "cadre": "干部选派名额"},
}

#: Plausible calendar years for any ``year`` column; outside this range a value is an error.
YEAR_RANGE: tuple[int, int] = (2000, 2035)


@dataclass(frozen=True)
class Column:
    """One column of a raw table or of the panel, with its codebook entry.

    Parameters
    ----------
    name : str
        Canonical (schema) name.
    kind : ColumnKind
        Storage and parsing type. ``money`` is a non-negative amount in 万元 (10,000 yuan).
    label_en, label_zh : str
        Short English and Chinese labels.
    unit : str
        Unit of measurement ("" when none).
    description : str
        What the variable is and how it is measured or derived.
    required : bool
        Whether a raw table must have this column.
    allowed : tuple of str, optional
        Allowed values of an ``enum`` column.
    minimum, maximum : float, optional
        Allowed closed range of a numeric column (the maximum of a count or amount is a plausibility bound: a
        village above it is a data-entry or unit error).
    warn_above : float, optional
        Values above this are read but reported with a warning (e.g. an amount that looks like 元 read as 万元).
    """

    name: str
    kind: ColumnKind
    label_en: str
    label_zh: str
    unit: str = ""
    description: str = ""
    required: bool = False
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    warn_above: float | None = None


@dataclass(frozen=True)
class TableSchema:
    """Schema of one raw table.

    Parameters
    ----------
    name : str
        Canonical table name (also the default file stem, e.g. ``villages.csv``).
    label_zh : str
        Chinese name of the table.
    columns : tuple of Column
        The columns, required ones first.
    key : tuple of str
        Columns whose combination must be unique and non-missing (empty: no key).
    required : bool
        Whether a data directory must contain this table.
    description : str
        What one row is.
    """

    name: str
    label_zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool
    description: str
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        return self._by_name[name]

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of all columns in schema order."""
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns every file of this table must have."""
        return tuple(c.name for c in self.columns if c.required)


_VILLAGE_ID = Column(
    "village_id", "id", "Village identifier", "村庄编号", description="Unique identifier of a village."
)
_UNIT_ID = Column(
    "unit_id", "id", "Dispatching unit identifier", "派出单位编号",
    description="Unique identifier of a dispatching unit (派出单位).",
)
_YEAR = Column(
    "year", "year", "Year", "年份", "year", "Calendar year.", required=True,
    minimum=YEAR_RANGE[0], maximum=YEAR_RANGE[1],
)

VILLAGES = TableSchema(
    name="villages",
    label_zh="村庄基本情况",
    description="One row per village: location and baseline characteristics measured before 2021.",
    key=("village_id",),
    required=True,
    columns=(
        replace(_VILLAGE_ID, required=True),
        Column("county", "text", "County", "所属县", description="County (县/区) the village belongs to.",
               required=True),
        Column("township", "text", "Township", "所属乡镇", description="Township (乡/镇) the village belongs to.",
               required=True),
        Column("village_name", "text", "Village name", "村名", description="Name of the village."),
        Column("population", "int", "Registered population", "户籍人口", "persons",
               "Registered (户籍) population, baseline.", minimum=0, maximum=500_000),
        Column("poor_village_2015", "bool", "Registered poor village (2015)", "贫困村", "0/1",
               "1 if the village was on the 2014–2015 register of poor villages (建档立卡贫困村)."),
        Column("poverty_rate_2015", "float", "Poverty headcount rate (2015)", "贫困发生率", "share (0–1)",
               "Share of registered residents in registered poor households in 2015.", minimum=0, maximum=1),
        Column("distance_to_county_km", "float", "Distance to county seat", "距县城距离", "km",
               "Road distance from the village to the county seat.", minimum=0, maximum=2_000),
        Column("terrain", "enum", "Terrain", "地形", "", "Predominant terrain: plain, hill or mountain.",
               allowed=TERRAINS),
        Column("collective_income_2020", "money", "Village collective income (2020)", "村集体经济收入(2020)",
               "万元", "Operating income of the village collective in 2020.", minimum=0, maximum=1_000_000,
               warn_above=10_000),
        Column("industry_base", "bool", "Industrial base", "产业基础", "0/1",
               "1 if the village had at least one operating collective or cooperative industry before 2021."),
        Column("road_access", "bool", "Hard-surface road access", "通硬化路", "0/1",
               "1 if a hard-surface road reached the village before 2021."),
        Column("monitored_households", "int", "Monitored households", "监测户数", "households",
               "Households under monitoring against a return to poverty (防返贫监测户), at baseline.",
               minimum=0, maximum=100_000),
        Column("infrastructure_gaps", "int", "Infrastructure gaps", "基础设施短板数", "count",
               "Number of basic services missing at baseline (of road, water, power, broadband, clinic, school).",
               minimum=0, maximum=6),
        Column("main_need", "enum", "Main need", "主要需求", "",
               "The village's main need as its need list (需求清单) records it: industry (产业发展), "
               "infrastructure (基础设施) or public_service (公共服务).", allowed=NEED_TYPES),
    ),
)

UNITS = TableSchema(
    name="units",
    label_zh="派出单位",
    description="One row per dispatching unit (派出单位).",
    key=("unit_id",),
    required=True,
    columns=(
        replace(_UNIT_ID, required=True),
        Column("level", "enum", "Administrative level", "单位层级", "",
               "Level of the unit: central, provincial, city, county or township. Free text is normalized "
               "(e.g. 市派 → city, 县级 → county); a string that fits no rule is reported.",
               required=True, allowed=UNIT_LEVELS),
        Column("unit_name", "text", "Unit name", "派出单位名称", description="Name of the dispatching unit."),
        Column("sector", "enum", "Sector", "单位性质", "",
               "party organ, government department, state enterprise or public institution.",
               allowed=UNIT_SECTORS),
        Column("strength", "enum", "Department strength", "部门实力", "",
               "strong (强势职能部门), general (一般部门) or marginal (边缘部门).", allowed=UNIT_STRENGTHS),
    ),
)

ASSIGNMENTS = TableSchema(
    name="assignments",
    label_zh="驻村干部选派",
    description="One row per posting of a cadre from a unit to a village.",
    key=("cadre_id", "start_date"),
    required=True,
    columns=(
        Column("cadre_id", "id", "Cadre (pseudonymous)", "干部编号", "",
               "Pseudonymous identifier of the cadre. A name column (姓名) is replaced on ingestion by a salted "
               "hash; names never reach processed data.", required=True),
        replace(_UNIT_ID, required=True),
        replace(_VILLAGE_ID, required=True),
        Column("role", "enum", "Role", "职务", "", "first_secretary (驻村第一书记) or team_member (驻村队员).",
               required=True, allowed=ROLES),
        Column("start_date", "date", "Posting start", "驻村开始时间", "date", "First day in the village.",
               required=True),
        Column("end_date", "date", "Posting end", "驻村结束时间", "date",
               "Last day in the village; empty while the posting continues."),
    ),
)

FUNDING = TableSchema(
    name="funding",
    label_zh="帮扶资金",
    description="One row per funding record: money reaching a village in a year from one source.",
    key=(),
    required=True,
    columns=(
        replace(_VILLAGE_ID, required=True),
        _YEAR,
        Column("amount", "money", "Amount", "帮扶资金", "万元",
               "Funds reaching the village, in 万元 (10,000 yuan). Amounts declared in 元 are divided by 10,000.",
               required=True, minimum=0, maximum=1_000_000, warn_above=10_000),
        Column("source", "enum", "Source", "资金来源", "",
               "unit (dispatching unit's own funds), county (county government), higher (higher-level "
               "government), social (enterprises, donors).", required=True, allowed=FUNDING_SOURCES),
        Column("project_type", "text", "Project type", "项目类型", description="Kind of project funded."),
        replace(_UNIT_ID, description="Unit that provided the funds, where known."),
    ),
)

DESIGNATIONS = TableSchema(
    name="designations",
    label_zh="村庄认定",
    description="One row per designation of a village (demonstration, key assistance, deep poverty).",
    key=("village_id", "year", "kind"),
    required=False,
    columns=(
        replace(_VILLAGE_ID, required=True),
        _YEAR,
        Column("kind", "enum", "Designation", "认定类型", "",
               "demonstration (乡村振兴示范村), key_assistance (重点帮扶村) or deep_poverty (深度贫困村).",
               required=True, allowed=DESIGNATION_KINDS),
    ),
)

OUTCOMES = TableSchema(
    name="outcomes",
    label_zh="村庄发展结果",
    description="One row per village and year: development outcomes.",
    key=("village_id", "year"),
    required=False,
    columns=(
        replace(_VILLAGE_ID, required=True),
        _YEAR,
        Column("collective_income", "money", "Village collective income", "村集体经济收入", "万元",
               "Operating income of the village collective in the year.", minimum=0, maximum=1_000_000,
               warn_above=10_000),
        Column("per_capita_income", "float", "Per-capita disposable income", "人均可支配收入", "元",
               "Rural per-capita disposable income of residents.", minimum=0, maximum=1_000_000),
        Column("industry_active", "bool", "Industry still active", "产业存续", "0/1",
               "1 if the village's assisted industry was still operating at the end of the year."),
    ),
)

def _serves_text() -> str:
    return "; ".join(f"{kind} → {', '.join(dims)}" for kind, dims in RESOURCE_SERVES.items())


NEEDS = TableSchema(
    name="needs",
    label_zh="需求清单",
    description=("The villages' need lists (需求清单): one row per village and need dimension, the need as a gap "
                 "between 0 (met) and 1 (wholly unmet). A dimension a village's list does not name is not "
                 "assessed (missing), not met. One assessment per village and dimension: keep the latest."),
    key=("village_id", "dimension"),
    required=False,
    columns=(
        replace(_VILLAGE_ID, required=True),
        Column("dimension", "enum", "Need dimension", "需求维度", "",
               "infrastructure (基础设施), industry (产业发展), governance (基层治理), public_service (公共服务) "
               "or monitored_households (监测户帮扶: help for households monitored against a return to poverty). "
               "The main needs of villages.main_need are dimensions under the same names.",
               required=True, allowed=NEED_DIMENSIONS),
        Column("gap", "float", "Need gap", "需求缺口", "share (0–1)",
               "How far the need is unmet, as the need list assesses it: 0 = met, 1 = wholly unmet (a share of "
               "what the need requires; a header in % is divided by 100). Values outside 0–1 are errors.",
               required=True, minimum=0, maximum=1),
        replace(_YEAR, required=False, label_en="Assessment year", label_zh="评估年份",
                description="Year in which the need was assessed."),
        Column("detail", "text", "Need detail", "需求内容", "",
               "What is needed, in the list's words (e.g. 村道硬化 3 公里)."),
    ),
)

UNIT_RESOURCES = TableSchema(
    name="unit_resources",
    label_zh="资源清单",
    description=("The dispatching units' resource lists (资源清单): one row per unit and resource type with the "
                 "capacity the unit can offer a year. A unit listed here must have postings in the assignments; "
                 "its cadre slots must cover the cadres it has in post at once in the latest year the "
                 "assignments record. The need dimensions each resource type serves are fixed: "
                 f"{_serves_text()} (schema.RESOURCE_SERVES)."),
    key=("unit_id", "resource_type"),
    required=False,
    columns=(
        replace(_UNIT_ID, required=True),
        Column("resource_type", "enum", "Resource type", "资源类型", "",
               "money (资金: budget for the villages it helps), technical (技术帮扶: technical-assistance slots, "
               "one a village helped at a time), market (市场渠道: market-channel slots — villages whose produce "
               "it can take or sell, 消费帮扶) or cadre (干部选派名额: cadres it can post).",
               required=True, allowed=RESOURCE_TYPES),
        Column("capacity", "float", "Capacity", "资源容量", "万元 a year (money); slots (other types)",
               "What the unit can offer a year: 万元 for money, a whole number of slots for technical, market and "
               "cadre; zero or more. The column mixes units, so its header states none (a header in 元 is an "
               "error: write the budget in 万元).",
               required=True, minimum=0, maximum=1_000_000),
        Column("detail", "text", "Resource detail", "资源内容", "",
               "What the resource is, in the list's words (e.g. 农技专家 3 名)."),
    ),
)

RAW_TABLES: dict[str, TableSchema] = {
    t.name: t for t in (VILLAGES, UNITS, ASSIGNMENTS, FUNDING, DESIGNATIONS, OUTCOMES, NEEDS, UNIT_RESOURCES)
}
#: The two lists (两张清单) among the raw tables: optional, checked against the records.
LIST_TABLES: tuple[str, ...] = ("needs", "unit_resources")


@dataclass(frozen=True)
class DerivedVariable:
    """Codebook entry of a variable of the village × year panel that is derived, not read."""

    name: str
    label_en: str
    label_zh: str
    unit: str
    description: str


PANEL_VARIABLES: tuple[DerivedVariable, ...] = (
    DerivedVariable("period", "Policy period", "政策阶段", "",
                    "campaign (脱贫攻坚, 2016–2020) or transition (衔接过渡期, 2021–2025); other years are "
                    "before_campaign or after_transition."),
    DerivedVariable("post", "Transition period", "过渡期", "0/1", "1 from 2021 on (the transition period)."),
    DerivedVariable("first_secretary_unit_id", "First secretary's unit", "第一书记派出单位", "",
                    "Unit of the first secretary whose posting covers most days of the year (ties: the later "
                    "start)."),
    DerivedVariable("first_secretary_level", "First secretary's unit level", "第一书记单位层级", "",
                    "Administrative level of that unit; missing when no first secretary served in the year."),
    DerivedVariable("first_secretary_strength", "First secretary's unit strength", "第一书记单位实力", "",
                    "strong, general or marginal."),
    DerivedVariable("first_secretary_sector", "First secretary's unit sector", "第一书记单位性质", "",
                    "party organ, government department, state enterprise or public institution; missing where the "
                    "units table does not record it."),
    DerivedVariable("city_unit", "City-level first secretary", "市级及以上派出单位", "0/1",
                    "1 if the first secretary's unit is at city level or above (central, provincial, city)."),
    DerivedVariable("strong_unit", "Strong department", "强势部门", "0/1",
                    "1 if the first secretary's unit is a strong functional department."),
    DerivedVariable("team_size", "Work-team size (full-time equivalent)", "工作队规模", "cadre-years",
                    "Sum over all cadres of the days they served in the village that year, divided by the days "
                    "of the year."),
    DerivedVariable("team_strength_index", "Team strength index", "工作队实力指数", "0–2",
                    "Mean strength score of the team's units (strong 2, general 1, marginal 0), weighted by "
                    "days served."),
    DerivedVariable("members_strength_index", "Members' strength index", "队员实力指数", "0–2",
                    "Mean strength score of the team members' units (first secretary excluded; strong 2, general "
                    "1, marginal 0), weighted by days served; missing in a year without members (多级合治)."),
    DerivedVariable("endowment_index", "Endowment index", "资源禀赋指数", "sd",
                    "First principal component of the standardized pre-campaign geography and baseline "
                    "(log population, log(1 + distance to the county seat), terrain, hard-road access), oriented so "
                    "that higher means better endowed, scaled to mean 0 and standard deviation 1. Need (poverty) "
                    "and the 2020 collective income, produced partly by the campaign's money, are not in it."),
    DerivedVariable("need_index", "Need index", "需求（贫困程度）指数", "sd",
                    "First principal component of the 2015 poverty register (headcount rate, poor-village status) "
                    "and, where recorded, monitored households per resident and infrastructure gaps, oriented so "
                    "that higher means needier, mean 0 and standard deviation 1; missing without any of them."),
    DerivedVariable("deep_poverty", "Deep-poverty village", "深度贫困村", "0/1",
                    "1 if designated a deep-poverty village before the transition; missing where the records "
                    "designate none (the designation is then taken as not recorded)."),
    DerivedVariable("rich", "Resource-rich village", "资源丰富村", "0/1",
                    "1 if the endowment index is at or above the county's rich quantile (default 2/3: the "
                    "upper tercile)."),
    DerivedVariable("village_type", "Village type", "村庄类型", "A–D",
                    "A = city-level unit + rich; B = county-level unit + rich; C = county-level unit + poor; "
                    "D = city-level unit + poor (the paper's Table 1)."),
    DerivedVariable("demonstration_cohort", "Demonstration cohort", "示范村认定批次", "year",
                    "First year the village was designated a demonstration village; 0 if never."),
    DerivedVariable("demonstration", "Demonstration village", "示范村", "0/1",
                    "1 from the year of first designation on."),
    DerivedVariable("funding_total", "Total funding", "帮扶资金合计", "万元",
                    "Sum of all funding records of the village in the year (0 when there are none)."),
    DerivedVariable("funding_unit", "Funding from the dispatching unit", "派出单位资金", "万元",
                    "Funding with source = unit."),
    DerivedVariable("funding_county", "Funding from the county", "县级配套资金", "万元",
                    "Funding with source = county."),
    DerivedVariable("funding_higher", "Funding from higher government", "上级政府资金", "万元",
                    "Funding with source = higher."),
    DerivedVariable("funding_social", "Social funding", "社会资金", "万元", "Funding with source = social."),
    DerivedVariable("funding_matched", "Funding serving the main need", "对应主要需求的资金", "万元",
                    "Funding whose project type serves the village's main need (villages.main_need; project types "
                    "map to needs as schema.PROJECT_NEED says); only where the records have a need list."),
    DerivedVariable("funding_unmatched", "Funding serving no listed need", "未对应需求的资金", "万元",
                    "The rest of the year's funding (types serving another need or none); only with a need list."),
    DerivedVariable("log1p_funding_total", "log(1 + total funding)", "资金对数", "log 万元",
                    "Natural log of one plus total funding in 万元."),
    DerivedVariable("asinh_funding_total", "asinh(total funding)", "资金反双曲正弦", "asinh 万元",
                    "Inverse hyperbolic sine of total funding in 万元."),
    DerivedVariable("merged_from", "Codes merged into this village", "并入本村的原村代码", "",
                    "The 12-digit village codes whose history this village carries after 撤并 (merged villages, "
                    "from the records' crosswalk of code changes), ';'-joined; empty when none. Only in panels "
                    "built from records with a crosswalk."),
)


def codebook_rows() -> list[dict[str, str]]:
    """Return one codebook row per raw and derived variable.

    Returns
    -------
    list of dict
        Keys ``table``, ``variable``, ``type``, ``label_en``, ``label_zh``, ``unit``, ``description``.
    """
    rows: list[dict[str, str]] = []
    for table in RAW_TABLES.values():
        for col in table.columns:
            kind = col.kind + (f" ({', '.join(col.allowed)})" if col.allowed else "")
            rows.append({
                "table": table.name, "variable": col.name, "type": kind,
                "label_en": col.label_en, "label_zh": col.label_zh, "unit": col.unit,
                "description": col.description + (" Required." if col.required else ""),
            })
    for var in PANEL_VARIABLES:
        rows.append({
            "table": "panel", "variable": var.name, "type": "derived", "label_en": var.label_en,
            "label_zh": var.label_zh, "unit": var.unit, "description": var.description,
        })
    return rows


def codebook_markdown() -> str:
    """Render the codebook as Markdown (the content of ``data/CODEBOOK.md``)."""
    lines = [
        "# villageaid codebook",
        "",
        "Generated by `villageaid codebook` from `src/villageaid/schema.py`; do not edit by hand.",
        "Money is in 万元 (10,000 yuan). Identifiers are strings. The panel is village × year.",
        "",
    ]
    current = None
    for row in codebook_rows():
        if row["table"] != current:
            current = row["table"]
            if current in RAW_TABLES:
                schema = RAW_TABLES[current]
                key = ", ".join(schema.key) if schema.key else "none (one record a row)"
                need = "required" if schema.required else "optional"
                lines += [f"## `{current}` ({schema.label_zh}) — {need} table", "",
                          f"{schema.description} Key: {key}.", ""]
            else:
                lines += ["## `panel` — derived village × year variables", "",
                          "Built by `villageaid panel`; the panel also carries the village baseline columns.", ""]
            lines += ["| variable | type | label | 标签 | unit | description |",
                      "| --- | --- | --- | --- | --- | --- |"]
        lines.append(
            f"| `{row['variable']}` | {row['type']} | {row['label_en']} | {row['label_zh']} | "
            f"{row['unit']} | {row['description']} |"
        )
        # a blank line after each table's block is added when the next heading starts
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        if line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("## "):
            out.append("")
    from villageaid.glossary import glossary_markdown

    return "\n".join(out) + "\n\n" + glossary_markdown()
