"""Every case of the doors corpus is refused clearly (exit 2, naming the input) or read: never exit 1, never a
traceback, never a hang, never a changed input."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import VALID_CSV, write_tables
from tests.workflow.hostile_doors import Base, Door, build_doors
from villageaid.workflow.cli import main

DOORS = build_doors()
#: Seconds a case may take before it counts as a hang (the slowest case takes well under one).
TIME_LIMIT = 15


def _tree(folder: Path) -> dict[str, str]:
    """SHA-256 of every regular file under ``folder``; special files by kind only (reading a FIFO would block)."""
    hashes = {}
    for path in sorted(folder.rglob("*")):
        mode = os.lstat(path).st_mode
        if stat.S_ISREG(mode):
            hashes[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif not stat.S_ISDIR(mode):
            hashes[str(path.relative_to(folder))] = f"special {stat.S_IFMT(mode)}"
    return hashes


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"the command hung for {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    folder = tmp_path_factory.mktemp("doors_base")
    records = write_tables(folder / "records", VALID_CSV)
    assert main(["validate", str(records), "--out", str(folder / "validated")]) == 0
    assert main(["panel", str(records), "--out", str(folder / "panel.parquet")]) == 0
    return Base(records, folder / "validated", folder / "panel.parquet")


def test_the_corpus_is_large_and_names_are_unique() -> None:
    assert len(DOORS) >= 100
    assert len({d.name for d in DOORS}) == len(DOORS)


@pytest.mark.parametrize("door", DOORS, ids=[d.name for d in DOORS])
def test_hostile_door(door: Door, base: Base, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VILLAGEAID_SALT", raising=False)
    monkeypatch.delenv("VILLAGEAID_LANG", raising=False)
    folder = tmp_path / "case"
    folder.mkdir()
    base_before = _tree(base.records.parent)
    argv = door.argv(base, folder)
    before = _tree(folder)
    if door.chdir is not None:
        monkeypatch.chdir(folder / door.chdir)
    with _time_limit(TIME_LIMIT):
        code = main(argv)
    printed = capsys.readouterr()
    text = printed.out + printed.err
    assert code == door.exit, text
    assert "Traceback" not in text and "internal error" not in text, text
    for expected in door.says:
        assert expected in text, f"{expected!r} not in:\n{text}"
    after = _tree(folder)
    assert {k: v for k, v in after.items() if k in before} == before, "an input was changed"
    if door.exit != 0:
        new = sorted(set(after) - set(before))
        assert not new, f"a refused command wrote {new}"
    assert _tree(base.records.parent) == base_before, "a shared input was changed"
