"""Every case of the hostile corpus is reported (exit 2) or read correctly: never exit 1, never a traceback,
never a changed input, never a wrong number."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import VALID_CSV, write_tables
from tests.io.hostile_corpus import Case, build_corpus
from villageaid.io import load_header_map, read_raw
from villageaid.io.headers import AMOUNT_UNIT_CHOICES
from villageaid.workflow.cli import main

CASES = build_corpus()


def _tree(directory: Path) -> dict[str, str]:
    if not directory.exists():
        return {}
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_the_corpus_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 100
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory):
    return read_raw(write_tables(tmp_path_factory.mktemp("base") / "data", VALID_CSV))


def _library_options(case: Case, directory: Path) -> dict:
    options: dict = {}
    args = list(case.args)
    if "--amount-unit" in args:
        options["amount_unit"] = AMOUNT_UNIT_CHOICES[args[args.index("--amount-unit") + 1]]
    if "--date-years" in args:
        first, last = args[args.index("--date-years") + 1].split("-")
        options["date_years"] = (int(first), int(last))
    if case.extra.get("header_map"):
        options["header_map"] = load_header_map([directory.parent / f"{directory.name}_map.toml"])
    if case.salt is not None:
        options["salt"] = case.salt.encode()
    return options


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, base, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "data"
    case.build(directory)
    before = _tree(directory)
    monkeypatch.delenv("VILLAGEAID_SALT", raising=False)
    monkeypatch.delenv("VILLAGEAID_LANG", raising=False)

    # The command line: exit 0 or 2, a readable report, the input untouched.
    out = tmp_path / "validated"
    if case.extra.get("out_inside"):
        out = directory / "validated"
    elif case.extra.get("out_is_input"):
        out = directory
    argv = ["validate", str(directory), "--out", str(out), *case.args]
    if case.extra.get("header_map"):
        argv += ["--header-map", str(directory.parent / f"{directory.name}_map.toml")]
    if case.salt is not None:
        salt_file = tmp_path / "salt.txt"
        salt_file.write_text(case.salt, encoding="utf-8")
        argv += ["--salt-file", str(salt_file)]
    code = main(argv)
    printed = capsys.readouterr()
    text = printed.out + printed.err
    assert code == (2 if case.expect == "error" else 0), text
    assert "Traceback" not in text and "internal error" not in text, text
    assert _tree(directory) == before, "the input folder was changed"
    assert not any(line.startswith("OK: valid") for line in text.splitlines()), text
    if case.salt is not None and len(case.salt.strip()) >= 6:  # the salt never appears in any output
        assert case.salt not in text
        if out.exists():
            assert all(case.salt.encode() not in p.read_bytes() for p in out.rglob("*") if p.is_file())
    if case.expect != "error":
        assert (out / "funding.parquet").is_file()
    elif not case.extra.get("out_is_input"):
        assert not out.exists() or not any(out.iterdir()), "nothing is written when the data have errors"
    if case.cli_only:
        return

    # The library: the expected problem, and the right numbers for what is read.
    raw = read_raw(directory, **_library_options(case, directory))
    codes = {p.code for p in raw.report.problems}
    if case.expect == "error":
        assert not raw.report.ok
        if case.code is not None:
            assert case.code in {p.code for p in raw.report.errors}, raw.report.format()
        if case.max_errors is not None:
            assert raw.report.count("error") <= case.max_errors, raw.report.format()
        for problem in raw.report.errors:
            assert problem.file or problem.table, problem  # every error names a file or a table
    else:
        assert raw.report.ok, raw.report.format()
        if case.expect == "warn":
            assert case.code in codes, raw.report.format()
        else:
            assert not raw.report.errors
        if case.check is not None:
            case.check(raw, base)
    assert _tree(directory) == before
