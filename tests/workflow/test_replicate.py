"""Replication check, manifest, and atomic outputs when a run is killed halfway."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import tree_hashes
from villageaid.workflow.cli import main
from villageaid.workflow.replicate import compare, manifest

REPO = Path(__file__).resolve().parents[2]


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.integration
def test_replicate_passes_against_the_committed_expected_values(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    expected = REPO / "paper" / "expected.json"
    assert main(["replicate", "--expected", str(expected), "--workdir", str(tmp_path / "rep")]) == 0
    out = capsys.readouterr().out
    checks = json.loads(expected.read_text(encoding="utf-8"))["checks"]
    assert out.count("\nOK ") + out.startswith("OK ") == len(checks)
    assert f"{len(checks)} passed, 0 failed" in out
    # a tampered expected value is reported, one line per check, and fails
    tampered = json.loads(expected.read_text(encoding="utf-8"))
    tampered["checks"][2]["value"] += 0.01
    bad = tmp_path / "expected.json"
    bad.write_text(json.dumps(tampered), encoding="utf-8")
    results = compare(tmp_path / "rep" / "tables", bad)
    assert [r.ok for r in results].count(False) == 1
    assert results[2].line().startswith("FAIL allocation.transition_ppml.city_x_rich.estimate")


def test_manifest_lists_every_file_with_its_hash(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.csv").write_text("1\n")
    (tmp_path / "a" / ".hidden.tmp").write_text("partial")
    (tmp_path / "b.md").write_text("b\n")
    text = manifest([tmp_path / "a", tmp_path / "b.md"], tmp_path)
    one, bee = hashlib.sha256(b"1\n").hexdigest(), hashlib.sha256(b"b\n").hexdigest()
    assert text.splitlines() == [f"{one}  a/x.csv", f"{bee}  b.md"]


@pytest.mark.integration
def test_a_killed_run_leaves_no_truncated_output(tmp_path: Path) -> None:
    data, panel = tmp_path / "data", tmp_path / "panel.parquet"
    assert main(["simulate", "--out", str(data)]) == 0
    assert main(["panel", str(data), "--out", str(panel)]) == 0
    complete = tmp_path / "complete"
    assert main(["tables", str(panel), "--out", str(complete / "tables"), "--figures", str(complete / "figures"),
                 "--bootstrap-draws", "199"]) == 0
    reference = {**tree_hashes(complete / "tables"), **tree_hashes(complete / "figures")}
    for delay in (0.8, 1.6, 2.4):
        killed = tmp_path / f"killed_{delay}"
        proc = subprocess.Popen([sys.executable, "-m", "villageaid.workflow.cli", "tables", str(panel), "--out",
                                 str(killed / "tables"), "--figures", str(killed / "figures"), "--bootstrap-draws",
                                 "199"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # the forked workers of the tables do not outlive the process that started them
        deadline = time.monotonic() + 10
        while workers and time.monotonic() < deadline:
            workers = {pid for pid in workers if _running(pid)}
            time.sleep(0.1)
        assert not workers, f"workers {sorted(workers)} still run after their parent was killed"
        written = {}
        for folder in ("tables", "figures"):
            if (killed / folder).exists():
                written.update(tree_hashes(killed / folder))
        visible = {name: digest for name, digest in written.items() if not name.startswith(".")}
        # every output that exists is complete: identical to the one of the uninterrupted run
        assert all(reference[name] == digest for name, digest in visible.items())
