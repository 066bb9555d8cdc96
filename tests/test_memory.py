"""The allocator setting of the national commands: accepted by glibc, and no value changes."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_reuse_freed_memory_is_accepted_and_changes_no_array() -> None:
    # In a fresh process (the setting is process-wide): glibc accepts it; large arrays made, freed and made again
    # hold the same values as before it.
    script = (
        "import numpy as np\n"
        "from villageaid.memory import reuse_freed_memory\n"
        "def work():\n"
        "    rng = np.random.default_rng(1)\n"
        "    a = rng.random(6_000_000); b = np.cumsum(a); del a\n"
        "    c = np.bincount(rng.integers(0, 5_000_000, 6_000_000), weights=b, minlength=5_000_000)\n"
        "    return float(c.sum()), c[:5].tolist()\n"
        "before = work()\n"
        "assert reuse_freed_memory() is True\n"
        "assert work() == before\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_reuse_freed_memory_elsewhere_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from villageaid import memory

    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory.reuse_freed_memory() is False
