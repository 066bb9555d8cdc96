"""A corpus of hostile inputs for the doors of the command line other than the records themselves.

``tests/io/hostile_corpus.py`` holds the county ledgers ``validate`` reads; this corpus holds everything else a
command reads or is told: numeric options, a policy's assignments CSV, panels, validated sets, header maps, salt
files, the ``--out`` of every command that writes, and two holes of the records (GB18030 beyond GBK, ``1_000``).
Each case builds its inputs in a folder of its own from a small shared base (records, their validated set and
panel), returns the command line to run, and says what must happen: the exit code (2 for a refusal, 0 for input
that must be read) and text the output must hold (the input or option it names, and why).
``tests/workflow/test_hostile_doors.py`` runs every case in-process through :func:`villageaid.workflow.cli.main`
with a time limit, and checks that no input changed. To look at the cases by hand::

    .venv/bin/python -m tests.workflow.hostile_doors
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tests.conftest import VALID_CSV, write_tables


@dataclass(frozen=True)
class Base:
    """The shared, valid inputs (never modified by a case)."""

    records: Path
    validated: Path
    panel: Path


@dataclass(frozen=True)
class Door:
    """One hostile input and what must come of it.

    ``argv(base, folder)`` writes the case's inputs into ``folder`` (empty, its own) and returns the command line.
    ``says`` are texts the output (stdout and stderr) must hold; ``exit`` the exit code.
    """

    name: str
    argv: Callable[[Base, Path], list[str]]
    says: tuple[str, ...]
    exit: int = 2
    chdir: str | None = None  # run from this subfolder of the case's folder (replicate's --workdir checks)


# --- helpers that write inputs ------------------------------------------------------------------------------------

def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _copy_tree(source: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    return target


def _records(folder: Path, **changes: str | bytes | None) -> Path:
    """The valid records with some tables replaced (text is written as UTF-8, bytes as given; None drops it)."""
    tables = {k: v for k, v in VALID_CSV.items() if k not in changes or isinstance(changes[k], str)}
    tables.update({k: v for k, v in changes.items() if isinstance(v, str)})
    data = write_tables(folder / "records", tables)
    for name, value in changes.items():
        if isinstance(value, bytes):
            (data / f"{name}.csv").write_bytes(value)
    return data


def _rehash(folder: Path, *, recompute_digest: bool = True, edit: Callable[[dict], None] | None = None) -> None:
    """Recompute the hashes (and, if asked, the digest) of a validated set after its files were edited."""
    from villageaid.digest import sha256_file
    from villageaid.io.provenance import PROVENANCE_DIGEST, TABLE_HASHES, provenance_digest

    path = folder / "provenance.json"
    content = json.loads(path.read_text(encoding="utf-8"))
    content[TABLE_HASHES] = {name: sha256_file(folder / name) for name in content[TABLE_HASHES]
                             if (folder / name).is_file()}
    if edit is not None:
        edit(content)
    if recompute_digest:
        content[PROVENANCE_DIGEST] = provenance_digest(content)
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")


def _set_with(edit_frame: Callable[[pd.DataFrame], pd.DataFrame], table: str = "funding",
              **rehash: object) -> Callable[[Base, Path], list[str]]:
    def argv(base: Base, folder: Path) -> list[str]:
        data = _copy_tree(base.validated, folder / "validated")
        frame = pd.read_parquet(data / f"{table}.parquet")
        edit_frame(frame).to_parquet(data / f"{table}.parquet", index=False)
        _rehash(data, **rehash)  # type: ignore[arg-type]
        return ["panel", str(data), "--out", str(folder / "panel.parquet")]
    return argv


def _set_listing(name: str, target: Callable[[Path], Path]) -> Callable[[Base, Path], list[str]]:
    """A validated set whose provenance lists ``name`` (with the right hash of ``target``) and a recomputed digest."""
    def argv(base: Base, folder: Path) -> list[str]:
        from villageaid.digest import sha256_file

        data = _copy_tree(base.validated, folder / "sets" / "validated")
        secret = target(folder)
        _rehash(data, edit=lambda content: content["validated_tables"].__setitem__(name, sha256_file(secret)))
        return ["panel", str(data), "--out", str(folder / "panel.parquet")]
    return argv


def _outside_secret(folder: Path) -> Path:
    secret = folder / "outside" / "secret.parquet"
    secret.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"x": [1]}).to_parquet(secret)
    return secret


def _panel_with(edit: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Base, Path], Path]:
    def write(base: Base, folder: Path) -> Path:
        panel = edit(pd.read_parquet(base.panel))
        panel.to_parquet(folder / "panel.parquet")
        return folder / "panel.parquet"
    return write


def _infinite(column: str, value: float = float("inf")) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(panel: pd.DataFrame) -> pd.DataFrame:
        panel = panel.copy()
        panel[column] = panel[column].astype(float)
        panel.loc[panel.index[0], column] = value
        return panel
    return edit


def _policy(base: Base, folder: Path, *extra: str, panel: Path | None = None) -> list[str]:
    return ["policy", str(panel or base.panel), "--workers", "0", "--draws", "2", "--out", str(folder / "out"),
            *extra]


def _assignments(content: bytes | Callable[[Path], Path]) -> Callable[[Base, Path], list[str]]:
    def argv(base: Base, folder: Path) -> list[str]:
        if callable(content):
            path = content(folder)
        else:
            path = folder / "policy.csv"
            path.write_bytes(content)
        return _policy(base, folder, "--assignments", str(path))
    return argv


def _header_map(content: bytes | Callable[[Path], Path], command: str = "validate"
                ) -> Callable[[Base, Path], list[str]]:
    def argv(base: Base, folder: Path) -> list[str]:
        if callable(content):
            path = content(folder)
        else:
            path = folder / "map.toml"
            path.write_bytes(content)
        if command == "headers":
            return ["headers", "--header-map", str(path)]
        return ["validate", str(base.records), "--header-map", str(path)]
    return argv


def _symlink(target: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        link = folder / "link"
        link.symlink_to(target)
        return link
    return make


def _make_dir(name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).mkdir()
        return folder / name
    return make


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name
    return make


def _option(*argv: str, needs_out: bool = True) -> Callable[[Base, Path], list[str]]:
    """A command line with one bad numeric option; PANEL and OUT are filled in."""
    def build(base: Base, folder: Path) -> list[str]:
        filled = [str(base.panel) if a == "PANEL" else str(base.records) if a == "RECORDS" else a for a in argv]
        return [*filled, "--out", str(folder / "out")] if needs_out else filled
    return build


ASSIGNMENTS = "village_id,unit_id\nV1,U1\nV2,U2\nV3,U1\n"
RAGGED = "village_id,unit_id\nV1,U1,extra,fields\nV2,U2\n"


def build_doors() -> list[Door]:
    """Return every case of the corpus."""
    doors: list[Door] = []

    def add(name: str, argv: Callable[[Base, Path], list[str]], *says: str, exit: int = 2,
            chdir: str | None = None) -> None:
        doors.append(Door(name, argv, says, exit, chdir))

    # --- numeric options: refused by the parser, the bound stated --------------------------------------------
    add("policy_draws_1e9", _option("policy", "PANEL", "--draws", "1000000000"), "--draws", "at most 10,000",
        "draws × counties")
    add("policy_draws_negative", _option("policy", "PANEL", "--draws", "-1"), "--draws must be at least 0")
    add("policy_draws_text", _option("policy", "PANEL", "--draws", "many"), "--draws", "whole number")
    add("policy_seed_negative", _option("policy", "PANEL", "--seed", "-1"), "--seed", "at least 0")
    add("policy_draws_underscore", _option("policy", "PANEL", "--draws", "1_000"), "--draws", "whole number",
        "'1_000'")
    add("policy_seed_huge", _option("policy", "PANEL", "--seed", str(2**40)), "--seed", "2^32")
    add("policy_workers_negative", _option("policy", "PANEL", "--workers", "-3"), "--workers", "at least 0")
    add("policy_workers_huge", _option("policy", "PANEL", "--workers", "100000"), "--workers", "at most 256")
    add("policy_cap_below_one", _option("policy", "PANEL", "--cap", "0.5"), "--cap", "cap must be at least 1")
    add("policy_cap_inf", _option("policy", "PANEL", "--cap", "inf"), "--cap", "finite")
    add("policy_cap_nan", _option("policy", "PANEL", "--cap", "nan"), "--cap", "finite")
    add("policy_epsilon_negative", _option("policy", "PANEL", "--epsilon", "-1"), "--epsilon", "at least 0")
    add("policy_bottom_line_zero", _option("policy", "PANEL", "--bottom-line", "0"), "--bottom-line", "above 0")
    add("policy_project_size_negative", _option("policy", "PANEL", "--project-size", "-5"), "--project-size")
    add("policy_opening_share_two", _option("policy", "PANEL", "--opening-share", "2"), "--opening-share",
        "at most 1")
    add("policy_ordinary_team_zero", _option("policy", "PANEL", "--ordinary-team", "0"), "--ordinary-team")
    add("tables_bootstrap_1e9", _option("tables", "PANEL", "--bootstrap-draws", "1000000000"), "--bootstrap-draws",
        "at most 99,999", "draws × clusters")
    add("tables_bootstrap_negative", _option("tables", "PANEL", "--bootstrap-draws", "-1"), "--bootstrap-draws")
    add("tables_workers_negative", _option("tables", "PANEL", "--workers", "-1"), "--workers")
    add("build_bootstrap_1e9", _option("build", "--bootstrap-draws", "1000000000", needs_out=False),
        "--bootstrap-draws", "at most 99,999")
    add("build_seed_negative", _option("build", "--seed", "-1", needs_out=False), "--seed")
    add("build_rich_quantile_one", _option("build", "--rich-quantile", "1", needs_out=False), "--rich-quantile")
    add("montecarlo_reps_zero", _option("montecarlo", "--reps", "0"), "--reps", "at least 1")
    add("montecarlo_reps_1e9", _option("montecarlo", "--reps", "1000000000"), "--reps", "at most 100,000")
    add("montecarlo_seed_negative", _option("montecarlo", "--seed", "-1"), "--seed")
    add("montecarlo_workers_negative", _option("montecarlo", "--workers", "-3"), "--workers")
    add("discrimination_reps_negative", _option("discrimination", "--reps", "-5"), "--reps")
    add("power_reps_1e9", _option("power", "--reps", "1000000000"), "--reps")
    add("power_counties_huge", _option("power", "--counties", "2,1000000", "--reps", "1"), "--counties",
        "at most 1,000")
    add("power_counties_zero", _option("power", "--counties", "0", "--reps", "1"), "--counties", "at least 1")
    add("power_villages_huge", _option("power", "--villages", "100000000", "--reps", "1"), "--villages",
        "at most 5,000")
    add("power_effects_inf", _option("power", "--effects", "0.3,inf", "--reps", "1"), "--effects", "finite")
    add("power_counties_list_long", _option("power", "--counties", ",".join(["2"] * 60), "--reps", "1"),
        "--counties", "at most 50")
    add("simulate_seed_negative", _option("simulate", "--seed", "-1"), "--seed")
    add("simulate_villages_huge", _option("simulate", "--scenario", "national", "--villages", "1000000000"),
        "--villages", "at most 2,000,000")
    add("panel_rich_quantile", _option("panel", "RECORDS", "--rich-quantile", "1.5"), "--rich-quantile")
    add("panel_first_year", _option("panel", "RECORDS", "--first-year", "0"), "--first-year")
    add("validate_max_problems", _option("validate", "RECORDS", "--max-problems", "-1"), "--max-problems")
    add("validate_date_years_absurd", _option("validate", "RECORDS", "--date-years", "1-99999"), "--date-years")

    # --- the policy command's assignments CSV ---------------------------------------------------------------
    add("assignments_latin1", _assignments("village_id,unit_id\nVé1,Uü1\n".encode("latin-1")), "policy.csv",
        "neither UTF-8 nor GBK")
    add("assignments_utf16_bom_ragged", _assignments(RAGGED.encode("utf-16")), "policy.csv", "row 2",
        "fields where the header has 2")
    add("assignments_utf16_no_bom", _assignments(RAGGED.encode("utf-16-le")), "policy.csv")
    add("assignments_gbk_ragged", _assignments("village_id,unit_id\n村甲,单位乙,多余\n".encode("gbk")),
        "policy.csv", "fields where the header has 2")
    add("assignments_big5", _assignments("village_id,unit_id\n臺灣村,單位甲\n臺北村,單位乙\n".encode("big5")),
        "policy.csv", "Big5")
    add("assignments_empty", _assignments(b""), "policy.csv", "empty file")
    add("assignments_blank", _assignments(b"\n\n  \n"), "policy.csv", "empty file")
    add("assignments_header_only", _assignments(b"village_id,unit_id\n"), "policy.csv", "no data rows")
    add("assignments_ragged", _assignments(RAGGED.encode()), "policy.csv", "row 2")
    add("assignments_binary", _assignments(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd"), "policy.csv")
    add("assignments_fifo", _assignments(lambda f: _fifo(f / "policy.csv")), "policy.csv", "FIFO")
    add("assignments_dev_zero", _assignments(_symlink("/dev/zero")), "link", "character device")
    add("assignments_folder", _assignments(_make_dir("policy.csv")),
        "policy.csv", "folder")
    add("assignments_missing", _assignments(lambda f: f / "policy.csv"), "policy.csv", "not found")
    add("assignments_broken_link", _assignments(_symlink("/nonexistent/file.csv")), "link", "broken link")

    def assignments_in_out(base: Base, folder: Path) -> list[str]:
        (folder / "out").mkdir()
        (folder / "out" / "table9_policies.csv").write_text(ASSIGNMENTS, encoding="utf-8")
        return _policy(base, folder, "--assignments", str(folder / "out" / "table9_policies.csv"))
    add("assignments_inside_out", assignments_in_out, "--assignments", "table9_policies.csv", "contains")

    def assignments_is_out(base: Base, folder: Path) -> list[str]:
        (folder / "policy.csv").write_text(ASSIGNMENTS, encoding="utf-8")
        return ["policy", str(base.panel), "--assignments", str(folder / "policy.csv"), "--out",
                str(folder / "policy.csv")]
    add("assignments_is_out", assignments_is_out, "policy.csv", "--assignments")

    # --- panels (policy, tables, speccurve) ----------------------------------------------------------------
    def panel_case(command: str, make: Callable[[Base, Path], Path]) -> Callable[[Base, Path], list[str]]:
        def argv(base: Base, folder: Path) -> list[str]:
            panel = make(base, folder)
            if command == "policy":
                return _policy(base, folder, panel=panel)
            extra = ["--bootstrap-draws", "0", "--workers", "0"] if command == "tables" else []
            return [command, str(panel), "--out", str(folder / "out"), *extra]
        return argv

    for command in ("policy", "tables", "speccurve"):
        add(f"panel_fifo_{command}", panel_case(command, lambda b, f: _fifo(f / "panel.parquet")), "panel.parquet",
            "FIFO")
        add(f"panel_not_parquet_{command}", panel_case(command, lambda b, f: _write("panel.parquet", b"a,b\n1,2\n")(f)),
            "panel.parquet", "cannot read panel")
        add(f"panel_infinite_{command}", panel_case(command, _panel_with(_infinite("funding_total"))),
            "panel.parquet", "funding_total", "not a finite number")
    add("panel_minus_inf_income", panel_case("policy", _panel_with(_infinite("per_capita_income", float("-inf")))),
        "panel.parquet", "per_capita_income")
    add("panel_empty_file", panel_case("tables", lambda b, f: _write("panel.parquet", b"")(f)), "panel.parquet")
    add("panel_no_rows", panel_case("policy", _panel_with(lambda p: p.iloc[:0])), "panel.parquet",
        "no village-years")
    add("panel_is_folder", panel_case("speccurve", lambda b, f: _make_dir("panel.parquet")(f)),
        "panel.parquet", "folder")
    add("panel_dev_zero", panel_case("tables", lambda b, f: _symlink("/dev/zero")(f)), "link", "character device")

    def out_is_panel(command: str) -> Callable[[Base, Path], list[str]]:
        def argv(base: Base, folder: Path) -> list[str]:
            panel = folder / "panel.parquet"
            panel.write_bytes(base.panel.read_bytes())
            return [command, str(panel), "--out", str(panel if command == "speccurve" else folder)]
        return argv
    add("speccurve_out_is_panel", out_is_panel("speccurve"), "--out", "panel.parquet", "is the input")
    add("policy_out_contains_panel", out_is_panel("policy"), "--out", "contains the input")
    add("tables_out_contains_panel", out_is_panel("tables"), "--out", "contains the input")

    def figures_contain_panel(base: Base, folder: Path) -> list[str]:
        panel = folder / "figs" / "panel.parquet"
        panel.parent.mkdir()
        panel.write_bytes(base.panel.read_bytes())
        return ["tables", str(panel), "--out", str(folder / "t"), "--figures", str(folder / "figs")]
    add("tables_figures_contain_panel", figures_contain_panel, "--figures", "contains the input")

    def out_inside_lists(base: Base, folder: Path) -> list[str]:
        lists = _copy_tree(base.validated, folder / "lists")
        return ["policy", str(base.panel), "--lists", str(lists), "--out", str(lists / "out")]
    add("policy_out_inside_lists", out_inside_lists, "--lists", "lies inside the input folder")
    add("policy_lists_fifo", lambda b, f: _policy(b, f, "--lists", str(_fifo(f / "lists"))), "lists")

    # --- validated sets (the panel command) ----------------------------------------------------------------
    add("set_lists_outside_path", _set_listing("../outside/secret.parquet", _outside_secret),
        "'../outside/secret.parquet' is not the file name of a table")
    add("set_lists_absolute_path", _set_listing("/etc/hostname", lambda f: Path("/etc/hostname")),
        "'/etc/hostname' is not the file name of a table")
    add("set_lists_subfolder", _set_listing("sub/funding.parquet", _outside_secret), "sub/funding.parquet")

    def set_link(base: Base, folder: Path) -> list[str]:
        data = _copy_tree(base.validated, folder / "validated")
        copy = folder / "elsewhere.parquet"
        copy.write_bytes((data / "funding.parquet").read_bytes())
        (data / "funding.parquet").unlink()
        (data / "funding.parquet").symlink_to(copy)
        return ["panel", str(data), "--out", str(folder / "panel.parquet")]
    add("set_table_is_link", set_link, "funding.parquet is a link")

    def set_fifo(base: Base, folder: Path) -> list[str]:
        data = _copy_tree(base.validated, folder / "validated")
        (data / "funding.parquet").unlink()
        _fifo(data / "funding.parquet")
        return ["panel", str(data), "--out", str(folder / "panel.parquet")]
    add("set_table_is_fifo", set_fifo, "funding.parquet", "FIFO")

    def negative(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[0, "amount"] = -5.0
        return frame

    def infinite(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[0, "amount"] = float("inf")
        return frame
    add("set_negative_amount_rehashed", _set_with(negative), "funding.parquet", "amount", "-5.0")
    add("set_infinite_amount_rehashed", _set_with(infinite), "funding.parquet", "amount", "inf")
    add("set_negative_amount_hash_only", _set_with(negative, recompute_digest=False),
        "provenance.json was changed after validation")

    def remove_optional(recompute: bool) -> Callable[[Base, Path], list[str]]:
        def argv(base: Base, folder: Path) -> list[str]:
            data = _copy_tree(base.validated, folder / "validated")
            (data / "designations.parquet").unlink()
            _rehash(data, recompute_digest=recompute)
            return ["panel", str(data), "--out", str(folder / "panel.parquet")]
        return argv
    add("set_optional_removed", remove_optional(False), "provenance.json was changed after validation")
    add("set_optional_removed_digest_recomputed", remove_optional(True),
        "the designations table (1 row at validation) was removed")

    def provenance(content: bytes | None, fifo: bool = False) -> Callable[[Base, Path], list[str]]:
        def argv(base: Base, folder: Path) -> list[str]:
            data = _copy_tree(base.validated, folder / "validated")
            (data / "provenance.json").unlink()
            if fifo:
                _fifo(data / "provenance.json")
            else:
                (data / "provenance.json").write_bytes(content or b"")
            return ["panel", str(data), "--out", str(folder / "panel.parquet")]
        return argv
    add("set_provenance_not_json", provenance(b"{not json"), "provenance.json", "not valid JSON")
    add("set_provenance_deep_json", provenance(b"[" * 100_000 + b"]" * 100_000), "provenance.json",
        "not valid JSON")
    add("set_provenance_empty", provenance(b""), "provenance.json", "empty file")
    add("set_provenance_fifo", provenance(None, fifo=True), "provenance.json", "FIFO")
    add("set_provenance_list", provenance(b"[1, 2]"), "provenance.json", "does not hold a provenance record")

    def old_provenance(base: Base, folder: Path) -> list[str]:
        data = _copy_tree(base.validated, folder / "validated")
        content = json.loads((data / "provenance.json").read_text(encoding="utf-8"))
        del content["provenance_sha256"]
        (data / "provenance.json").write_text(json.dumps(content), encoding="utf-8")
        return ["panel", str(data), "--out", str(folder / "panel.parquet")]
    add("set_provenance_without_digest", old_provenance, "provenance.json has no digest")

    def source_edited(base: Base, folder: Path) -> list[str]:
        data = _copy_tree(base.validated, folder / "validated")
        _rehash(data, recompute_digest=False, edit=lambda c: c.__setitem__("data_source", "=HYPERLINK(\"x\")"))
        return ["panel", str(data), "--out", str(folder / "panel.parquet")]
    add("set_data_source_edited", source_edited, "provenance.json was changed after validation")

    def panel_out_inside_set(base: Base, folder: Path) -> list[str]:
        data = _copy_tree(base.validated, folder / "validated")
        return ["panel", str(data), "--out", str(data / "panel.parquet")]
    add("set_panel_out_inside", panel_out_inside_set, "--out", "lies inside the input folder")

    # --- header maps -----------------------------------------------------------------------------------------
    add("map_nested_arrays_100000", _header_map(b"x = " + b"[" * 100_000 + b"]" * 100_000), "map.toml",
        "nested 100000 deep")
    add("map_nested_tables_100000", _header_map(b"x = " + b"{a = " * 100_000 + b"1" + b"}" * 100_000),
        "map.toml", "nested")
    add("map_dotted_key_deep", _header_map(b"[" + b".".join([b"a"] * 20_000) + b"]\n", command="headers"),
        "unknown section [a]")
    add("map_values_unknown_column", _header_map("[values.no_such_column]\n\"甲\" = \"x\"\n".encode()),
        "[values.no_such_column]", "names no column")
    add("map_values_typo_column", _header_map("[values.rol]\n\"书记\" = \"first_secretary\"\n".encode()),
        "did you mean 'role'")
    add("map_values_unknown_value", _header_map("[values.role]\n\"书记\" = \"first_secretry\"\n".encode()),
        "did you mean 'first_secretary'")
    add("map_section_typo", _header_map("[colums.funding]\n\"钱\" = \"amount\"\n".encode(), command="headers"),
        "unknown section [colums]", "did you mean 'columns'")
    add("map_columns_table_typo", _header_map("[columns.fundng]\n\"钱\" = \"amount\"\n".encode()),
        "did you mean 'funding'")
    add("map_columns_column_typo", _header_map("[columns.funding]\n\"钱\" = \"amout\"\n".encode()),
        "did you mean 'amount'")
    add("map_tables_typo", _header_map("[tables]\n\"资金\" = \"fundng\"\n".encode(), command="headers"),
        "did you mean 'funding'")
    add("map_levels_typo", _header_map("[levels]\n\"部委\" = \"centrl\"\n".encode(), command="headers"),
        "did you mean 'central'")
    add("map_value_not_text", _header_map(b"[columns.funding]\n\"x\" = 5\n"), "unknown column 'int'")
    add("map_fifo", _header_map(lambda f: _fifo(f / "map.toml")), "map.toml", "FIFO")
    add("map_dev_zero", _header_map(_symlink("/dev/zero"), command="headers"), "link", "character device")
    add("map_folder", _header_map(_make_dir("map.toml")), "map.toml", "folder")
    add("map_missing", _header_map(lambda f: f / "map.toml", command="headers"), "map.toml", "not found")
    add("map_not_toml", _header_map(b"[tables\n= = =\n"), "map.toml", "not valid TOML")
    add("map_binary", _header_map(b"\xff\xfe\x00\xd8\x00\x00garbage\x81\x30"), "map.toml")
    add("map_too_large", _header_map(b"# " + b"x" * (2 * 1024 * 1024) + b"\n"), "map.toml", "more than the")
    add("map_empty", _header_map(b""), "map.toml", "empty file")

    def out_is_map(base: Base, folder: Path) -> list[str]:
        (folder / "maps").mkdir()
        (folder / "maps" / "map.toml").write_text("[tables]\n", encoding="utf-8")
        return ["validate", str(base.records), "--header-map", str(folder / "maps" / "map.toml"), "--out",
                str(folder / "maps")]
    add("validate_out_contains_map", out_is_map, "--out", "contains the input file", "--header-map")

    def salt_fifo(base: Base, folder: Path) -> list[str]:
        return ["validate", str(base.records), "--salt-file", str(_fifo(folder / "salt.txt"))]
    add("salt_fifo", salt_fifo, "salt.txt", "FIFO")

    def salt_huge(base: Base, folder: Path) -> list[str]:
        (folder / "salt.txt").write_bytes(os.urandom(8192).hex().encode())
        return ["validate", str(base.records), "--salt-file", str(folder / "salt.txt")]
    add("salt_too_large", salt_huge, "salt.txt", "one line of random characters")

    # --- outputs that are, contain or lie inside an input ----------------------------------------------------
    def validate_out(where: str) -> Callable[[Base, Path], list[str]]:
        def argv(base: Base, folder: Path) -> list[str]:
            data = _copy_tree(base.records, folder / "county" / "records")
            out = {"parent": folder / "county", "same": data, "inside": data / "validated"}[where]
            return ["validate", str(data), "--out", str(out)]
        return argv
    add("validate_out_contains_records", validate_out("parent"), "--out", "contains the input folder")
    add("validate_out_is_records", validate_out("same"), "--out", "is the input folder")
    add("validate_out_inside_records", validate_out("inside"), "--out", "lies inside the input folder")

    def panel_out_is_map(base: Base, folder: Path) -> list[str]:
        (folder / "map.toml").write_text("[tables]\n", encoding="utf-8")
        return ["panel", str(base.records), "--header-map", str(folder / "map.toml"), "--out",
                str(folder / "map.toml")]
    add("panel_out_is_header_map", panel_out_is_map, "--out", "map.toml", "is the input file")

    def expected_out_inside_tables(base: Base, folder: Path) -> list[str]:
        (folder / "tables").mkdir()
        (folder / "tables" / "table1.csv").write_text("a\n1\n", encoding="utf-8")
        return ["expected", "--tables", str(folder / "tables"), "--out", str(folder / "tables" / "expected.json")]
    add("expected_out_inside_tables", expected_out_inside_tables, "--out", "lies inside the input folder")

    def manifest_out_inside(base: Base, folder: Path) -> list[str]:
        (folder / "paper").mkdir()
        (folder / "paper" / "t.csv").write_text("a\n", encoding="utf-8")
        return ["manifest", str(folder / "paper"), "--root", str(folder), "--out",
                str(folder / "paper" / "MANIFEST.sha256")]
    add("manifest_out_inside_listed_folder", manifest_out_inside, "--out", "lies inside the input folder")

    def replicate_workdir_holds_expected(base: Base, folder: Path) -> list[str]:
        (folder / "work").mkdir()
        (folder / "work" / "expected.json").write_text("{}", encoding="utf-8")
        return ["replicate", "--expected", str(folder / "work" / "expected.json"), "--workdir", str(folder / "work")]
    add("replicate_workdir_contains_expected", replicate_workdir_holds_expected, "--workdir",
        "contains the input file")

    def replicate_workdir_holds_cwd(base: Base, folder: Path) -> list[str]:
        (folder / "expected.json").write_text("{}", encoding="utf-8")
        (folder / "project").mkdir()
        return ["replicate", "--expected", "../expected.json", "--workdir", "."]
    add("replicate_workdir_is_cwd", replicate_workdir_holds_cwd, "--workdir", "emptied first", chdir="project")

    # --- the records: two holes of validate, and units on a two-line header ----------------------------------
    def records_case(**changes: str | bytes) -> Callable[[Base, Path], list[str]]:
        def argv(base: Base, folder: Path) -> list[str]:
            return ["validate", str(_records(folder, **changes))]
        return argv
    add("records_underscore_amount", records_case(funding=VALID_CSV["funding"].replace("10.5", "1_000")),
        "funding.csv", "'1_000'", "non-numeric amount")
    add("records_two_units_disagree",
        records_case(funding=VALID_CSV["funding"].replace("amount", '"帮扶资金（元）\namount (万元)"')),
        "funding.csv", "two units, 元 and 万元")
    add("records_gb18030_beyond_gbk", records_case(villages=VALID_CSV["villages"].replace(",T1,", ",𠮷村镇,")
                                                   .encode("gb18030")), "OK:", "is valid", exit=0)
    add("records_unit_on_english_line",
        records_case(funding=VALID_CSV["funding"].replace("amount", '"帮扶资金\namount (yuan)"')
                     .replace("10.5", "105000")), "OK:", exit=0)
    add("records_fifo_table", lambda b, f: ["validate", str(_fifo_in(_records(f), "funding.csv"))],
        "funding.csv", "FIFO")

    # --- import and export: the same rules --------------------------------------------------------------------
    def villages_csv(folder: Path) -> Path:
        path = folder / "villages.csv"
        path.write_text(VALID_CSV["villages"], encoding="utf-8")
        return path

    def import_case(kind: str, files: Callable[[Path], Path], out: Callable[[Path, Path], Path] | None = None
                    ) -> Callable[[Base, Path], list[str]]:
        def argv(base: Base, folder: Path) -> list[str]:
            given = files(folder)
            target = out(folder, given) if out is not None else folder / "imported"
            return ["import", kind, str(given), "--villages", str(villages_csv(folder)), "--out", str(target)]
        return argv

    add("import_projects_fifo", import_case("projects", lambda f: _fifo(f / "projects.csv")), "projects.csv",
        "FIFO")
    add("import_roster_fifo", import_case("roster", lambda f: _fifo(f / "roster.csv")), "roster.csv", "FIFO")
    add("import_projects_folder", import_case("projects", _make_dir("projects.csv")), "projects.csv")
    add("import_projects_out_holds_input",
        import_case("projects", _write("projects.csv", "项目名称,村名,金额（万元）\nA,T1村,10\n".encode()),
                    lambda f, given: f), "--out", "contains the input")
    add("import_projects_out_is_input",
        import_case("projects", _write("projects.csv", "项目名称,村名,金额（万元）\nA,T1村,10\n".encode()),
                    lambda f, given: given), "--out", "the input")
    add("import_year_out_of_range",
        lambda b, f: ["import", "projects", "x.csv", "--villages", "v.csv", "--out", "o", "--year", "20210"],
        "--year", "at most 2,100")
    add("export_panel_fifo", lambda b, f: ["export", str(_fifo(f / "panel.parquet")), "--out",
                                           str(f / "panel.dta")], "panel.parquet", "FIFO")
    add("export_out_is_panel", lambda b, f: ["export", str(b.panel), "--out", str(b.panel)], "--out",
        "the input")
    add("export_panel_not_parquet", lambda b, f: ["export", str(_write("panel.parquet", b"not parquet")(f)),
                                                  "--out", str(f / "panel.dta")], "panel.parquet", "Parquet")
    return doors


def _fifo_in(folder: Path, name: str) -> Path:
    (folder / name).unlink()
    _fifo(folder / name)
    return folder


def main() -> int:
    """Print the cases (name, expected exit code, texts the output must hold)."""
    for door in build_doors():
        print(f"{door.name:45s} exit {door.exit}  {' | '.join(door.says)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
