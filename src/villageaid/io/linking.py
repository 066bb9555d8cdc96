"""Link village and unit names, as announcements and project lists write them, to codes and identifiers.

Three steps, in order, each only where the one before found nothing:

1. **exact**: the name as written (after trimming) is the name of exactly one target in scope;
2. **normalised**: equal after Unicode NFKC, removing all white space and the suffixes 村民委员会, 居民委员会,
   村委会, 居委会, 社区 and 村 (``石桥村委会`` = ``石桥村`` = ``石 桥``);
3. **fuzzy**: no match — the closest names (difflib's ratio on the normalised forms; rapidfuzz is not in the
   environment) are written to a candidates file for the user to confirm. **An unconfirmed candidate is never
   used.** The user marks one candidate a name (``confirm`` = 是/yes/1) and passes the file back
   (``--matches FILE``); confirmed names are then linked as ``confirmed``.

The scope is the county and township when the source gives them (a village name is unique within its township,
rarely within a county). A name that matches two targets in scope is ambiguous: reported, never guessed (its
targets go to the candidates file, so the user can confirm one).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villageaid.io import import_messages  # noqa: F401  (registers the messages)
from villageaid.io.problems import Problem, ValidationReport
from villageaid.io.write import neutralize_cell

#: Suffixes removed by the normalised step, longest first.
NAME_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村")
_TOWNSHIP_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
FUZZY_CUTOFF = 0.5
FUZZY_CANDIDATES = 3
CANDIDATE_COLUMNS = ("kind", "file", "row", "column", "county", "township", "name", "candidate_id",
                     "candidate_name", "score", "confirm")
_YES = {"是", "yes", "y", "1", "true", "确认", "√", "✓", "x"}


def _squash(text: object) -> str:
    normalized = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in normalized if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf"))


def normalize_name(text: object, suffixes: tuple[str, ...] = NAME_SUFFIXES) -> str:
    """Return the normalised form of a name: NFKC, no white space, one administrative suffix removed."""
    squashed = _squash(text)
    for suffix in suffixes:
        if squashed.endswith(suffix) and len(squashed) > len(suffix):
            return squashed[: -len(suffix)].lower()
    return squashed.lower()


def normalize_township(text: object) -> str:
    """Return the normalised form of a township name (镇/乡/街道 removed)."""
    return normalize_name(text, _TOWNSHIP_SUFFIXES)


@dataclass(frozen=True)
class Link:
    """How one name was linked.

    Attributes
    ----------
    target : str or None
        The identifier linked to; None when the name is ambiguous or has no (confirmed) match.
    method : {"exact", "normalised", "confirmed", "ambiguous", "fuzzy", "unmatched"}
    candidates : tuple of (str, str, float)
        (identifier, name, score) of the candidates when none was used.
    """

    target: str | None
    method: str
    candidates: tuple[tuple[str, str, float], ...] = ()


@dataclass
class NameLinker:
    """Link names to the identifiers of a table of targets (villages or units).

    Parameters
    ----------
    targets : DataFrame
        Columns ``id`` and ``name`` and optionally ``county`` and ``township`` (the scope of a village name).
    kind : str
        What the targets are, for messages: ``village`` or ``unit``.
    confirmed : dict, optional
        (county, township, name as written) → identifier, from a confirmed-matches file
        (:func:`read_confirmed`).
    suffixes : tuple of str
        Suffixes the normalised step removes (village suffixes by default; none for units).
    """

    targets: pd.DataFrame
    kind: str = "village"
    confirmed: dict[tuple[str, str, str], str] = field(default_factory=dict)
    suffixes: tuple[str, ...] = NAME_SUFFIXES
    candidate_rows: list[dict[str, object]] = field(default_factory=list)
    links: list[dict[str, object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        frame = self.targets.reset_index(drop=True)
        self._ids = frame["id"].astype(str).tolist()
        self._names = frame["name"].astype(object).tolist()
        self._exact = [str(n).strip() if pd.notna(n) else "" for n in self._names]
        self._norm = [normalize_name(n, self.suffixes) if pd.notna(n) else "" for n in self._names]
        self._county = [normalize_name(c, ("县", "区", "市", "旗")) if "county" in frame and pd.notna(c) else ""
                        for c in (frame["county"] if "county" in frame else [None] * len(frame))]
        self._township = [normalize_township(t) if "township" in frame and pd.notna(t) else ""
                          for t in (frame["township"] if "township" in frame else [None] * len(frame))]

    def _scope(self, county: str | None, township: str | None) -> list[int]:
        everyone = list(range(len(self._ids)))
        chosen = everyone
        if county:
            key = normalize_name(county, ("县", "区", "市", "旗"))
            inside = [i for i in chosen if self._county[i] == key]
            chosen = inside or chosen
        if township:
            key = normalize_township(township)
            inside = [i for i in chosen if self._township[i] == key]
            chosen = inside or chosen
        return chosen

    def link(self, name: str, *, county: str | None = None, township: str | None = None) -> Link:
        """Link one name (in the scope of its county and township when given)."""
        scope = self._scope(county, township)
        exact = [i for i in scope if self._exact[i] == name.strip()]
        if len(exact) == 1:
            return Link(self._ids[exact[0]], "exact")
        key = normalize_name(name, self.suffixes)
        normal = exact or [i for i in scope if self._norm[i] == key]
        if len(normal) == 1:
            return Link(self._ids[normal[0]], "normalised")
        confirmed = self.confirmed.get((county or "", township or "", name.strip()))
        if confirmed is not None and confirmed in self._ids:
            return Link(confirmed, "confirmed")
        if len(normal) > 1:
            return Link(None, "ambiguous", tuple((self._ids[i], str(self._names[i]), 1.0) for i in normal))
        scored = sorted(((difflib.SequenceMatcher(None, key, self._norm[i]).ratio(), i) for i in scope),
                        key=lambda pair: (-pair[0], self._ids[pair[1]]))
        close = [(self._ids[i], str(self._names[i]), round(score, 3)) for score, i in scored[:FUZZY_CANDIDATES]
                 if score >= FUZZY_CUTOFF]
        return Link(None, "fuzzy" if close else "unmatched", tuple(close))

    def resolve(self, name: str, report: ValidationReport, *, table: str, file: str, row: int, column: str,
                county: str | None = None, township: str | None = None, candidates_file: str = "") -> str | None:
        """Link one name and report what could not be linked; return the identifier or None."""
        found = self.link(name, county=county, township=township)
        what_zh = {"village": "村", "unit": "单位"}.get(self.kind, self.kind)
        self.links.append({"kind": self.kind, "file": file, "row": row, "column": column, "county": county or "",
                           "township": township or "", "name": name, "id": found.target or "",
                           "method": found.method})
        if found.target is not None:
            return found.target
        for cid, cname, score in found.candidates:
            self.candidate_rows.append({"kind": self.kind, "file": file, "row": row, "column": column,
                                        "county": county or "", "township": township or "", "name": name,
                                        "candidate_id": cid, "candidate_name": cname, "score": score,
                                        "confirm": ""})
        listed = ", ".join(f"{cname} ({cid})" for cid, cname, _ in found.candidates)
        if found.method == "ambiguous":
            report.add(Problem.of("error", table, file, row, column, name, "name_ambiguous",
                                  count=len(found.candidates), what=f"{self.kind}s", what_zh=what_zh,
                                  candidates=listed))
        elif found.method == "fuzzy":
            report.add(Problem.of("error", table, file, row, column, name, "name_fuzzy", file=candidates_file,
                                  candidates=listed))
        else:
            where = f" in {township or county}" if township or county else ""
            report.add(Problem.of("error", table, file, row, column, name, "name_unmatched", what=self.kind,
                                  what_zh=what_zh, scope=where,
                                  scope_zh=f"（{township or county}）" if where else "", hint="", hint_zh=""))
        return None


def candidates_text(rows: list[dict[str, object]]) -> str:
    """Return the candidates file: one row per candidate, ``confirm`` left empty for the user (CSV, UTF-8).

    Text a spreadsheet would run as a formula is prefixed with an apostrophe (:func:`~villageaid.io.write.
    neutralize_cell`); :func:`read_confirmed` removes it again.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CANDIDATE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralize_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def links_text(links: list[dict[str, object]]) -> str:
    """Return the link report: every name, the identifier it was linked to and how (CSV, UTF-8)."""
    buffer = io.StringIO()
    columns = ["kind", "file", "row", "column", "county", "township", "name", "id", "method"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: neutralize_cell(v) for k, v in row.items()} for row in links)
    return buffer.getvalue()


def read_confirmed(path: Path, kind: str, known_ids: set[str], report: ValidationReport
                   ) -> dict[tuple[str, str, str], str]:
    """Read a candidates file the user edited: the rows marked in ``confirm`` → (county, township, name) → id.

    A name confirmed twice with different identifiers, or confirmed to an identifier that is not a target, is an
    error naming the row of the matches file.
    """
    from villageaid.io.read import decode_text

    label = Path(path).name
    text = decode_text(Path(path).read_bytes(), label, "", report)
    if text is None:
        return {}
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("kind", "name", "candidate_id", "confirm") if c not in (reader.fieldnames or [])]
    if missing:
        report.add(Problem.of("error", "", label, 1, None, None, "matches_file",
                              detail=f"missing column(s) {', '.join(missing)}"))
        return {}
    confirmed: dict[tuple[str, str, str], str] = {}
    for number, row in enumerate(reader, start=2):
        if (row.get("kind") or "").strip() != kind:
            continue
        if _squash(row.get("confirm") or "").lower() not in _YES:
            continue
        county, township, name, target = (_unneutralize((row.get(c) or "").strip())
                                          for c in ("county", "township", "name", "candidate_id"))
        key = (county, township, name)
        if target not in known_ids:
            report.add(Problem.of("error", "", label, number, "candidate_id", target, "matches_file",
                                  detail=f"not a {kind} identifier"))
        elif key in confirmed and confirmed[key] != target:
            report.add(Problem.of("error", "", label, number, "confirm", key[2], "matches_file",
                                  detail=f"{key[2]} is confirmed as both {confirmed[key]} and {target}"))
        else:
            confirmed[key] = target
    return confirmed


def _unneutralize(text: str) -> str:
    """Undo :func:`~villageaid.io.write.neutralize_cell` (the apostrophe before a formula-like text)."""
    return text[1:] if text.startswith("'") and neutralize_cell(text[1:]) != text[1:] else text


_NAME_SPLIT = re.compile(r"[、，,;；/／\n]+")
_SHARE = re.compile(r"^(?P<name>.+?)[（(]\s*(?P<share>\d+(?:\.\d+)?)\s*(?P<unit>%|％|万元|万|元)?\s*[)）]$")


def split_names(cell: str) -> list[tuple[str, float | None, str | None]]:
    """Split a cell naming several villages (``甲村、乙村（40%）``) into (name, stated share or amount, its unit)."""
    out = []
    for part in _NAME_SPLIT.split(unicodedata.normalize("NFKC", cell)):
        part = part.strip()
        if not part:
            continue
        match = _SHARE.match(part)
        if match:
            unit = match.group("unit")
            out.append((match.group("name").strip(), float(match.group("share")), unit))
        else:
            out.append((part, None, None))
    return out
