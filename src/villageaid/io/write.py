"""Atomic, deterministic writing of outputs."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``.

    A run killed halfway leaves the old file (or none), never a truncated one.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(target: Path | str, text: str) -> Path:
    """Write UTF-8 text atomically (Unix newlines)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return Path(target)


def write_with(target: Path | str, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``target`` atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def write_csv(frame: pd.DataFrame, target: Path | str) -> Path:
    """Write a DataFrame as UTF-8 CSV without index, atomically and byte-reproducibly."""
    return write_text(target, frame.to_csv(index=False, lineterminator="\n"))


def write_parquet(frame: pd.DataFrame, target: Path | str) -> Path:
    """Write a DataFrame as Parquet atomically (no pandas index, fixed writer settings)."""
    return write_with(target, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow",
                                                           compression="zstd"))
