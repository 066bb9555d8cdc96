"""Map ledger headers (often Chinese) and free-text values onto schema names."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from villageaid.schema import RAW_TABLES

AmountUnit = Literal["yuan", "wan"]

# A trailing unit in brackets, ASCII or full-width: "帮扶资金（万元）", "amount (yuan)".
_UNIT_SUFFIX = re.compile(r"\s*[（(]\s*([^()（）]*?)\s*[)）]\s*$")
_YUAN = {"元", "yuan", "rmb", "cny"}
_WAN = {"万元", "万", "wan", "10k yuan", "10000 yuan"}


def split_header(header: object) -> tuple[str, AmountUnit | None, str | None]:
    """Split a raw header into its lookup key and declared amount unit.

    Parameters
    ----------
    header : object
        The header as read from the file.

    Returns
    -------
    key : str
        Trimmed, lower-cased header without a bracketed unit.
    unit : {"yuan", "wan"} or None
        The amount unit declared in the brackets, if it is one.
    other_unit : str or None
        A bracketed suffix that is not an amount unit (e.g. "公里"), kept so it can be ignored.
    """
    text = str(header).strip().replace("\u3000", " ")
    match = _UNIT_SUFFIX.search(text)
    unit: AmountUnit | None = None
    other: str | None = None
    if match:
        suffix = match.group(1).strip().lower()
        text = text[: match.start()]
        if suffix in _YUAN:
            unit = "yuan"
        elif suffix in _WAN:
            unit = "wan"
        else:
            other = suffix
    return text.strip().lower(), unit, other


@dataclass(frozen=True)
class HeaderMap:
    """How file names, headers and values of user files map onto the schema.

    Parameters
    ----------
    tables : dict
        Lower-cased file or sheet stem → table name.
    columns : dict
        Table name → (lower-cased header → schema column).
    values : dict
        Schema column → (free-text value → schema value), for enumerated columns.
    """

    tables: dict[str, str]
    columns: dict[str, dict[str, str]]
    values: dict[str, dict[str, str]]

    def table_for(self, stem: str) -> str | None:
        """Return the table a file or sheet named ``stem`` holds, or None."""
        return self.tables.get(stem.strip().lower())

    def column_for(self, table: str, header: str) -> str | None:
        """Return the schema column for a split header key of ``table``, or None if unknown."""
        if header in RAW_TABLES[table].column_names or header in ("name", "cadre_name"):
            return header
        return self.columns.get(table, {}).get(header)

    def value_for(self, column: str, text: str) -> str | None:
        """Return the schema value of free text ``text`` in ``column``, or None if unknown."""
        return self.values.get(column, {}).get(text.strip())


def _merge(into: dict, extra: dict, origin: str) -> None:
    for section in ("tables", "columns", "values"):
        part = extra.get(section, {})
        if not isinstance(part, dict):
            raise ValueError(f"{origin}: [{section}] must be a table of key = value pairs")
        if section == "tables":
            for stem, table in part.items():
                if table not in RAW_TABLES:
                    raise ValueError(f"{origin}: [tables] {stem!r} maps to unknown table {table!r}; "
                                     f"expected one of {', '.join(RAW_TABLES)}")
                into["tables"][str(stem).strip().lower()] = table
        else:
            for name, mapping in part.items():
                if section == "columns" and name not in RAW_TABLES:
                    raise ValueError(f"{origin}: [columns.{name}] names unknown table {name!r}")
                if not isinstance(mapping, dict):
                    raise ValueError(f"{origin}: [{section}.{name}] must be a table of key = value pairs")
                target = into[section].setdefault(name, {})
                for key, value in mapping.items():
                    if section == "columns":
                        allowed = (*RAW_TABLES[name].column_names, "name", "cadre_name")
                        if value not in allowed:
                            raise ValueError(f"{origin}: [columns.{name}] {key!r} maps to unknown column "
                                             f"{value!r}; expected one of {', '.join(allowed)}")
                        target[split_header(key)[0]] = value
                    else:
                        target[str(key).strip()] = str(value)


def load_header_map(extra: list[Path] | tuple[Path, ...] = ()) -> HeaderMap:
    """Load the shipped header map and add the user's TOML files to it.

    Parameters
    ----------
    extra : list of Path
        User TOML files of the same form as the shipped ``header_map.toml``; later files win.

    Returns
    -------
    HeaderMap

    Raises
    ------
    ValueError
        If a user file cannot be parsed or names an unknown table or column.
    """
    merged: dict = {"tables": {}, "columns": {}, "values": {}}
    shipped = resources.files("villageaid").joinpath("data/header_map.toml").read_text(encoding="utf-8")
    _merge(merged, tomllib.loads(shipped), "villageaid/data/header_map.toml")
    for path in extra:
        try:
            content = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read header map: {exc}") from exc
        _merge(merged, content, str(path))
    return HeaderMap(merged["tables"], merged["columns"], merged["values"])
