"""Shared fixtures: a small, valid data directory written by hand, and helpers to break it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

VALID_CSV = {
    "villages": """village_id,county,township,population,poor_village_2015,poverty_rate_2015,collective_income_2020,\
distance_to_county_km
V1,K,T1,800,1,0.30,1.5,31.0
V2,K,T1,1200,0,0.05,12.0,8.5
V3,K,T2,950,1,0.22,3.0,17.0
""",
    "units": """unit_id,unit_name,level,strength
U1,X市财政局,city,strong
U2,K县民政局,county,general
""",
    "assignments": """cadre_id,unit_id,village_id,role,start_date,end_date
C1,U1,V1,first_secretary,2019-06-01,2021-05-31
C2,U2,V2,first_secretary,2019-06-01,
C3,U2,V3,first_secretary,2020-01-01,2021-12-31
C4,U2,V1,team_member,2020-01-01,2021-12-31
""",
    "funding": """village_id,year,amount,source,unit_id
V1,2020,10.5,unit,U1
V1,2020,20,county,
V2,2021,5,higher,
V3,2021,0,social,
""",
    "designations": """village_id,year,kind
V2,2021,demonstration
""",
    "outcomes": """village_id,year,collective_income,per_capita_income,industry_active
V1,2020,1.6,9000,1
V1,2021,1.7,9500,0
""",
}


def write_tables(directory: Path, tables: dict[str, str], *, encoding: str = "utf-8") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (directory / f"{name}.csv").write_bytes(text.encode(encoding))
    return directory


def tree_hashes(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def valid_csv() -> dict[str, str]:
    return dict(VALID_CSV)


@pytest.fixture
def valid_dir(tmp_path: Path) -> Path:
    return write_tables(tmp_path / "data", VALID_CSV)
