"""Map ledger headers (often Chinese) and free-text values onto schema names.

A header is matched after Unicode normalisation (full-width forms), trimming, lower-casing and removing a
stated unit: ``帮扶资金（单位：元）``, ``帮扶资金（千元）``, ``amount (亿元)``, ``金额/万元``. The unit is honoured
(amounts are converted to 万元) and recorded in the provenance. A header may carry two names, one per line
or separated by `` / `` (the template writes ``村庄编号`` above ``village_id``). Every name in the codebook
(Chinese and English labels of tables and columns) is accepted as well as the forms in the header map.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from villageaid.schema import RAW_TABLES, UNIT_LEVELS, UNIT_STRENGTHS

AmountUnit = Literal["yuan", "thousand", "wan", "million", "yi"]

#: 万元 per unit of each amount unit.
AMOUNT_FACTORS: dict[str, float] = {"yuan": 1e-4, "thousand": 0.1, "wan": 1.0, "million": 100.0, "yi": 1e4}
#: How each amount unit is written in messages and the provenance.
AMOUNT_LABELS: dict[str, str] = {"yuan": "元", "thousand": "千元", "wan": "万元", "million": "百万元", "yi": "亿元"}
#: Forms accepted for ``--amount-unit``.
AMOUNT_UNIT_CHOICES: dict[str, str] = {
    "yuan": "yuan", "元": "yuan", "thousand": "thousand", "千元": "thousand", "wan": "wan", "万元": "wan",
    "million": "million", "百万元": "million", "yi": "yi", "亿元": "yi",
}

# Unit words by family; each maps to a factor onto the column's own unit.
_UNIT_WORDS: dict[str, dict[str, float]] = {
    "money": {  # factor to 万元
        "元": 1e-4, "yuan": 1e-4, "rmb": 1e-4, "cny": 1e-4, "人民币": 1e-4, "人民币元": 1e-4, "元人民币": 1e-4,
        "千元": 0.1, "thousand yuan": 0.1, "k yuan": 0.1, "1000 yuan": 0.1, "1,000 yuan": 0.1,
        "万元": 1.0, "万": 1.0, "wan": 1.0, "10k yuan": 1.0, "10000 yuan": 1.0, "10,000 yuan": 1.0,
        "ten thousand yuan": 1.0, "万元人民币": 1.0,
        "百万元": 100.0, "million yuan": 100.0, "m yuan": 100.0,
        "亿元": 1e4, "亿": 1e4, "100 million yuan": 1e4, "hundred million yuan": 1e4, "100m yuan": 1e4,
    },
    "share": {"%": 0.01, "百分比": 0.01, "percent": 0.01, "pct": 0.01, "比例": 1.0, "share": 1.0, "小数": 1.0,
              "0-1": 1.0, "ratio": 1.0},
    "distance": {"km": 1.0, "公里": 1.0, "千米": 1.0, "kilometre": 1.0, "kilometer": 1.0, "米": 0.001, "m": 0.001,
                 "meter": 0.001, "metre": 0.001, "里": 0.5},
    "persons": {"人": 1.0, "persons": 1.0, "people": 1.0, "person": 1.0, "口": 1.0, "万人": 1e4},
    "year": {"年": 1.0, "year": 1.0},
}
_UNIT_FAMILY = {word: family for family, words in _UNIT_WORDS.items() for word in words}
_UNIT_PREFIX = re.compile(r"^(单位|计量单位|unit|units)\s*[:：]?\s*", re.I)
_PER_YEAR = re.compile(r"\s*(/|每|per\s*)\s*(年|year|yr)$", re.I)
_BRACKETED = re.compile(r"\s*[（(【\[]\s*([^()（）【】\[\]]*?)\s*[)）】\]]\s*$")
_SEPARATED = re.compile(r"^(.*?)\s*[/／_]\s*([^/／_]+)$")
_HEADER_PARTS = re.compile(r"\s*(?:\n|\r|\s/\s|\s／\s|｜|\|)\s*")


def _family_of(table: str, column: str) -> str | None:
    """Which unit family a schema column is measured in, if any."""
    if table not in RAW_TABLES or column not in RAW_TABLES[table].column_names:
        return None
    col = RAW_TABLES[table].column(column)
    if col.kind == "money" or col.unit == "元":
        return "money"
    return {"share (0–1)": "share", "km": "distance", "persons": "persons", "year": "year"}.get(col.unit)


def normalize_key(text: object) -> str:
    """Normalise a header or name for lookup: NFKC, no invisible characters, one space, lower case."""
    normalized = unicodedata.normalize("NFKC", str(text))
    kept = "".join(ch for ch in normalized if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\n\r")
    return " ".join(kept.split()).strip().lower()


@dataclass(frozen=True)
class UnitSpec:
    """A unit stated in a header."""

    text: str
    family: str | None
    factor: float


def parse_unit(text: str) -> UnitSpec:
    """Read a unit as written in a header (``单位：元``, ``千元``, ``%``, ``公里``)."""
    cleaned = _PER_YEAR.sub("", _UNIT_PREFIX.sub("", normalize_key(text))).strip()
    family = _UNIT_FAMILY.get(cleaned)
    factor = _UNIT_WORDS[family][cleaned] if family else 1.0
    return UnitSpec(text.strip(), family, factor)


def split_header(header: object) -> tuple[str, AmountUnit | None, str | None]:
    """Split a raw header into its lookup key and declared amount unit (backward-compatible helper).

    Returns
    -------
    key : str
        Normalised header without a bracketed unit.
    unit : str or None
        The amount unit declared in the brackets, if it is one.
    other_unit : str or None
        A bracketed suffix that is not an amount unit (e.g. "公里").
    """
    text = normalize_key(header)
    match = _BRACKETED.search(text)
    if not match:
        return text, None, None
    spec = parse_unit(match.group(1))
    key = text[: match.start()].strip()
    if spec.family == "money":
        unit = next(code for code, factor in AMOUNT_FACTORS.items() if factor == spec.factor)
        return key, unit, None  # type: ignore[return-value]
    return key, None, match.group(1)


@dataclass(frozen=True)
class ResolvedHeader:
    """What a file's header means for one table.

    Attributes
    ----------
    header : str
        The header as written.
    column : str or None
        Schema column (or ``name``/``cadre_name``), None when unknown.
    unit : UnitSpec or None
        A unit stated in the header.
    key : str
        The normalised name that was looked up (for "did you mean").
    other_unit : UnitSpec or None
        A second unit stated on another line of a two-line header (``帮扶资金（元）`` above ``amount (万元)``) that
        disagrees with ``unit``: the header is contradictory and must be reported.
    """

    header: str
    column: str | None
    unit: UnitSpec | None
    key: str
    other_unit: UnitSpec | None = None


@dataclass(frozen=True)
class HeaderMap:
    """How file names, headers and values of user files map onto the schema.

    Parameters
    ----------
    tables : dict
        Normalised file or sheet stem → table name.
    columns : dict
        Table name → (normalised header → schema column).
    values : dict
        Schema column → (free-text value → schema value), for enumerated columns.
    levels : dict
        The user's own unit-level forms → level (``[levels]`` of a header-map file).
    """

    tables: dict[str, str]
    columns: dict[str, dict[str, str]]
    values: dict[str, dict[str, str]]
    levels: dict[str, str] = field(default_factory=dict)

    def table_for(self, stem: str) -> str | None:
        """Return the table a file or sheet named ``stem`` holds, or None."""
        key = normalize_key(stem)
        return self.tables.get(key) or self.tables.get(key.replace(" ", ""))

    def column_for(self, table: str, header: str) -> str | None:
        """Return the schema column for a normalised header key of ``table``, or None if unknown."""
        if header in RAW_TABLES[table].column_names or header in ("name", "cadre_name"):
            return header
        mapping = self.columns.get(table, {})
        return mapping.get(header) or mapping.get(header.replace(" ", ""))

    def resolve(self, table: str, header: object) -> ResolvedHeader:
        """Find the column and stated unit of one header of ``table``."""
        text = str(header)
        parts = [p for p in _HEADER_PARTS.split(text.strip()) if p.strip()] or [text]
        first_key = ""
        for i, part in enumerate(parts):
            resolved = self._resolve_part(table, part)
            first_key = first_key or resolved.key
            if resolved.column is not None:
                # A unit may be stated on either line of a two-line header (帮扶资金 above amount (yuan)); two
                # lines stating two different units contradict each other.
                units = [resolved.unit] if resolved.unit is not None else []
                for other in parts[i + 1:]:
                    more = self._resolve_part(table, other)
                    if more.column == resolved.column and more.unit is not None:
                        units.append(more.unit)
                unit = units[0] if units else None
                clash = next((u for u in units[1:] if (u.family, u.factor) != (unit.family, unit.factor)), None) \
                    if unit is not None else None
                return ResolvedHeader(text, resolved.column, unit, resolved.key, clash)
        return ResolvedHeader(text, None, None, first_key)

    def _resolve_part(self, table: str, text: str) -> ResolvedHeader:
        key = normalize_key(text)
        column = self.column_for(table, key)
        if column is not None:
            return ResolvedHeader(text, column, None, key)
        for pattern in (_BRACKETED, _SEPARATED):
            match = pattern.search(key) if pattern is _BRACKETED else pattern.match(key)
            if not match:
                continue
            stem = key[: match.start()].strip() if pattern is _BRACKETED else match.group(1).strip()
            unit_text = match.group(1) if pattern is _BRACKETED else match.group(2)
            column = self.column_for(table, stem)
            if column is not None:
                return ResolvedHeader(text, column, parse_unit(unit_text), stem)
            key = stem or key
        for family_words in _UNIT_WORDS.values():  # a unit written straight after the name: 帮扶资金万元
            for word in sorted(family_words, key=len, reverse=True):
                if len(word) > 1 and key.endswith(word) and len(key) > len(word):
                    column = self.column_for(table, key[: -len(word)].strip())
                    if column is not None:
                        return ResolvedHeader(text, column, parse_unit(word), key[: -len(word)].strip())
        return ResolvedHeader(text, None, None, key)

    def known_headers(self, table: str) -> dict[str, str]:
        """Every accepted header of ``table`` (normalised) → its schema column."""
        known = {c: c for c in RAW_TABLES[table].column_names}
        known.update(self.columns.get(table, {}))
        return known

    def suggest(self, table: str, key: str, among: dict[str, str] | None = None) -> str | None:
        """Return the accepted header closest to ``key`` ("did you mean"), or None when none is close."""
        known = among if among is not None else self.known_headers(table)
        if not key:
            return None
        matches = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
        return matches[0] if matches else None

    def value_for(self, column: str, text: str) -> str | None:
        """Return the schema value of free text ``text`` in ``column``, or None if unknown."""
        mapping = self.values.get(column, {})
        cleaned = text.strip()
        return mapping.get(cleaned) or mapping.get(normalize_key(cleaned))


def _codebook_names(merged: dict) -> None:
    """Accept every name the codebook uses: table labels and column labels, Chinese and English."""
    for table in RAW_TABLES.values():
        merged["tables"].setdefault(normalize_key(table.label_zh), table.name)
        target = merged["columns"].setdefault(table.name, {})
        for col in table.columns:
            for label in (col.label_zh, col.label_en):
                key = normalize_key(label)
                target.setdefault(key, col.name)
                bare = _BRACKETED.sub("", key).strip()
                if bare:
                    target.setdefault(bare, col.name)


#: Sections of a header map.
HEADER_MAP_SECTIONS = ("tables", "columns", "values", "levels")
#: Sections read by one command only (``[strength]``: department words → strength, for ``import roster``);
#: checked here so every command reports a wrong one, used where they apply.
COMMAND_SECTIONS = ("strength",)
#: Largest header-map file read (a map of every table's columns in several languages is a few KB).
MAX_HEADER_MAP_BYTES = 1024 * 1024
#: Most keys a header map may hold over all its sections.
MAX_HEADER_MAP_KEYS = 50_000


def _enumerated_columns() -> dict[str, tuple[str, ...]]:
    """Columns with a fixed list of values (the ones ``[values.COLUMN]`` may map free text onto)."""
    out: dict[str, tuple[str, ...]] = {}
    for table in RAW_TABLES.values():
        for col in table.columns:
            if col.allowed:
                out.setdefault(col.name, tuple(col.allowed))
    return out


def _hint(name: object, known: list[str] | tuple[str, ...]) -> str:
    """Return " (did you mean X?)" for the known name closest to ``name``, or ""."""
    matches = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _merge(into: dict, extra: dict, origin: str, problems: list[str] | None = None) -> None:
    """Add a parsed header map to ``into``; every problem is a line of ``problems`` (raised at once if None)."""
    found: list[str] = [] if problems is None else problems
    enumerated = _enumerated_columns()
    known = HEADER_MAP_SECTIONS + COMMAND_SECTIONS
    for section in extra:
        if section not in known:
            found.append(f"{origin}: unknown section [{section}]{_hint(section, known)}; expected "
                         f"{', '.join(f'[{s}]' for s in known)}")
    strength = extra.get("strength", {})
    if not isinstance(strength, dict):
        found.append(f"{origin}: [strength] must be a table of key = value pairs")
    else:
        for word, value in strength.items():
            if not isinstance(value, str) or value not in UNIT_STRENGTHS:
                shown = value if isinstance(value, str) else type(value).__name__
                found.append(f"{origin}: [strength] {word!r} maps to unknown strength {shown!r}"
                             f"{_hint(shown, UNIT_STRENGTHS)}; expected one of {', '.join(UNIT_STRENGTHS)}")
    for section in HEADER_MAP_SECTIONS:
        part = extra.get(section, {})
        if not isinstance(part, dict):
            found.append(f"{origin}: [{section}] must be a table of key = value pairs")
            continue
        if section == "tables":
            for stem, table in part.items():
                if not isinstance(table, str) or table not in RAW_TABLES:
                    found.append(f"{origin}: [tables] {stem!r} maps to unknown table {table!r}"
                                 f"{_hint(table, tuple(RAW_TABLES))}; expected one of {', '.join(RAW_TABLES)}")
                    continue
                into["tables"][normalize_key(stem)] = table
        elif section == "levels":
            for form, level in part.items():
                if not isinstance(level, str) or level not in UNIT_LEVELS:
                    found.append(f"{origin}: [levels] {form!r} maps to unknown level {level!r}"
                                 f"{_hint(level, UNIT_LEVELS)}; expected one of {', '.join(UNIT_LEVELS)}")
                    continue
                into["levels"][str(form).strip().replace(" ", "").replace("\u3000", "")] = level
        else:
            for name, mapping in part.items():
                if section == "columns" and name not in RAW_TABLES:
                    found.append(f"{origin}: [columns.{name}] names unknown table {name!r}"
                                 f"{_hint(name, tuple(RAW_TABLES))}; expected one of {', '.join(RAW_TABLES)}")
                    continue
                if section == "values" and name not in enumerated:
                    found.append(f"{origin}: [values.{name}] names no column with a list of values"
                                 f"{_hint(name, tuple(enumerated))}; expected one of {', '.join(enumerated)}")
                    continue
                if not isinstance(mapping, dict):
                    found.append(f"{origin}: [{section}.{name}] must be a table of key = value pairs")
                    continue
                target = into[section].setdefault(name, {})
                allowed = (*RAW_TABLES[name].column_names, "name", "cadre_name") if section == "columns" \
                    else enumerated[name]
                for key, value in mapping.items():
                    if not isinstance(value, str) or value not in allowed:
                        what = "column" if section == "columns" else "value"
                        shown = value if isinstance(value, str) else type(value).__name__
                        found.append(f"{origin}: [{section}.{name}] {key!r} maps to unknown {what} {shown!r}"
                                     f"{_hint(shown, allowed)}; expected one of {', '.join(allowed)}")
                        continue
                    if section == "columns":
                        target[split_header(key)[0]] = value
                    else:
                        target[str(key).strip()] = str(value)
                        target[normalize_key(key)] = str(value)
    if problems is None and found:
        raise ValueError("\n".join(found))


def _count_keys(content: dict) -> int:
    """Count the keys of a parsed map, iteratively (a map nested deep must not exhaust the stack)."""
    count, stack = 0, [content]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += len(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            count += len(item)
            stack.extend(item)
    return count


def read_header_map_file(path: Path | str) -> dict:
    """Parse one header-map file by the reading rules of every input; raise ValueError naming it and the problem.

    The file must be a regular file (a FIFO or device is refused before it is opened) of at most
    :data:`MAX_HEADER_MAP_BYTES`, in UTF-8 (or UTF-16 with a BOM, or GBK/GB18030), valid TOML, nested no deeper than
    a header map is (a TOML nested thousands deep is refused, not a RecursionError) and of at most
    :data:`MAX_HEADER_MAP_KEYS` keys.
    """
    from villageaid.io.inputs import read_input_text
    from villageaid.io.problems import DataError

    try:
        text = read_input_text(path, "header map", max_bytes=MAX_HEADER_MAP_BYTES)
    except DataError as exc:
        raise ValueError(f"{path}: cannot read header map:\n{exc.report.format()}") from exc
    depth = _bracket_depth(text)
    if depth > _MAX_TOML_DEPTH:
        raise ValueError(f"{path}: cannot read header map: arrays or inline tables nested {depth} deep; a header map "
                         f"is a few sections of key = \"value\" lines (at most {_MAX_TOML_DEPTH} levels are read)")
    try:
        content = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: cannot read header map: not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ValueError(f"{path}: cannot read header map: nested too deep to read; a header map is a few sections of "
                         "key = \"value\" lines") from exc
    keys = _count_keys(content)
    if keys > MAX_HEADER_MAP_KEYS:
        raise ValueError(f"{path}: cannot read header map: {keys:,} keys, more than the {MAX_HEADER_MAP_KEYS:,} a "
                         "header map may hold")
    return content


#: Deepest nesting of arrays and inline tables read from a header map (it needs none).
_MAX_TOML_DEPTH = 16


def _bracket_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` in TOML text outside strings and comments (an upper bound is enough).

    Hand-written: tomllib has no depth limit and recurses once per level, so 100,000 nested arrays would exhaust
    the stack; this scan is linear and never recurses. A line starting with ``[`` is a table header, not nesting.
    """
    deepest = depth = 0
    quote = ""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote or ch == "\n":
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch in "[{":
            line_start = text.rfind("\n", 0, i) + 1
            if depth == 0 and not text[line_start:i].strip():
                end = text.find("\n", i)  # a [table] or [[array of tables]] header line
                i = n if end < 0 else end
                continue
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return deepest


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
        If a user file cannot be parsed or names an unknown table, column or level.
    """
    merged: dict = {"tables": {}, "columns": {}, "values": {}, "levels": {}}
    shipped = resources.files("villageaid").joinpath("data/header_map.toml").read_text(encoding="utf-8")
    _merge(merged, tomllib.loads(shipped), "villageaid/data/header_map.toml")
    _codebook_names(merged)
    problems: list[str] = []
    for path in extra:
        _merge(merged, read_header_map_file(path), str(path), problems)
    if problems:
        raise ValueError("\n".join(problems))
    return HeaderMap(merged["tables"], merged["columns"], merged["values"], merged["levels"])
