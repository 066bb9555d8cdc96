"""Parquet files read into pandas as ``pd.read_parquet`` reads them, without a Python string per category.

``pd.read_parquet`` turns each dictionary-encoded text column (a categorical written by pandas) into a
``Categorical`` by making one Python string per dictionary value, inferring pandas' ``str`` dtype from them (which
turns them back into Arrow strings) and checking the categories distinct by hashing them as Python strings again.
A validated national set holds the same 500,000 village identifiers as the dictionary of five tables and 437,643
unit identifiers in two: reading it that way cost about 2 s, most of the panel command's reading.

:func:`read_parquet_frames` makes the categories straight from the Arrow dictionary and builds each distinct
dictionary's ``CategoricalDtype`` once: columns whose dictionaries are equal (compared in Arrow, not in Python)
share one dtype object, so a reader can also tell cheaply that two columns code the same categories
(``a.dtype is b.dtype``). Files are read on up to ``VILLAGEAID_THREADS`` threads (Arrow releases the GIL); the
frames are the same whatever the scheduling, and equal, column for column and dtype for dtype, to
``pd.read_parquet``'s (``attrs`` included). Columns this fast path does not cover (an ordered dictionary, one
whose chunks have different dictionaries, null or non-text categories) are converted by pyarrow as before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd


class CategoriesCache:
    """The ``CategoricalDtype`` made for each distinct Arrow dictionary of text, made once and then shared."""

    def __init__(self) -> None:
        self._entries: list[tuple[object, pd.CategoricalDtype]] = []

    def dtype(self, dictionary: object) -> pd.CategoricalDtype | None:
        """Return the unordered ``CategoricalDtype`` of ``dictionary`` (a pyarrow string array), or None.

        None when pandas would not make such categories from it the way this module does: a dictionary that is
        empty or holds nulls, or a pandas whose inferred text dtype is not Arrow-backed ``str``.
        """
        import pyarrow as pa

        if len(dictionary) == 0 or dictionary.null_count:
            return None
        text_dtype = inferred_text_dtype()
        if text_dtype is None:
            return None
        large = dictionary.cast(pa.large_string())  # pandas' str stores large strings
        for known, dtype in self._entries:
            if len(known) == len(large) and known.equals(large):
                return dtype
        categories = pd.Index(pd.array(large, dtype=text_dtype), copy=False)
        dtype = pd.CategoricalDtype(categories, ordered=False)  # checks them distinct, as pandas does
        self._entries.append((large, dtype))
        return dtype


def inferred_text_dtype() -> pd.StringDtype | None:
    """Return the dtype pandas infers for Python strings when it is Arrow-backed ``str`` (pandas 3's default)."""
    dtype = pd.Index(np.array(["a"], dtype=object)).dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return dtype
    return None


def categorical_of(column: object, cache: CategoriesCache) -> pd.Categorical | None:
    """Return the ``Categorical`` pyarrow would make of a dictionary-encoded text column, or None if not covered.

    Parameters
    ----------
    column : pyarrow.ChunkedArray
        A column of type ``dictionary<values=string or large_string>``, unordered.
    cache : CategoriesCache
        Dtypes already made; a dictionary equal to one of them shares its dtype.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if not (pa.types.is_dictionary(kind) and not kind.ordered
            and (pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type))):
        return None
    chunks = column.chunks
    if not chunks:
        return None
    dictionary = chunks[0].dictionary
    if any(not chunk.dictionary.equals(dictionary) for chunk in chunks[1:]):
        return None  # pyarrow unifies the chunks' dictionaries: left to it
    dtype = cache.dtype(dictionary)
    if dtype is None:
        return None
    indices = pa.chunked_array([chunk.indices for chunk in chunks], type=kind.index_type)
    codes = pc.fill_null(indices, -1).to_numpy() if column.null_count else indices.to_numpy()
    return pd.Categorical.from_codes(codes, dtype=dtype)  # validates the codes (a min and a max)


def table_to_frame(table: object, cache: CategoriesCache | None = None) -> pd.DataFrame:
    """Convert an Arrow table read from Parquet as ``pd.read_parquet`` does (``attrs`` from ``PANDAS_ATTRS``).

    Dictionary-encoded text columns become ``Categorical`` through :func:`categorical_of`; the other columns are
    converted by pyarrow, in one call, as ``pd.read_parquet`` converts them.
    """
    cache = cache if cache is not None else CategoriesCache()
    names = list(table.column_names)
    made = {}
    if len(set(names)) == len(names) and all(isinstance(name, str) for name in names):
        for position, name in enumerate(names):
            categorical = categorical_of(table.column(position), cache)
            if categorical is not None:
                made[name] = (position, categorical)
    rest = table.drop_columns(list(made)) if made else table
    frame = rest.to_pandas()
    if made and [str(c) for c in frame.columns] == list(rest.column_names) and len(frame) == table.num_rows:
        for name, (position, categorical) in made.items():  # in column order: each lands where it was
            frame.insert(position, name, categorical)
        # The column index as pyarrow makes it of these names (of the other columns' dtype, when there are any).
        frame.columns = pd.Index(names, dtype=frame.columns.dtype if len(rest.column_names) else None)
    elif made:  # pandas metadata renamed or indexed the columns: pyarrow converts the whole table
        frame = table.to_pandas()
    metadata = table.schema.metadata or {}
    if b"PANDAS_ATTRS" in metadata:
        frame.attrs = json.loads(metadata[b"PANDAS_ATTRS"])
    return frame


def read_parquet_frames(files: Mapping[str, tuple[Path, Sequence[str] | None]]) -> dict[str, pd.DataFrame]:
    """Read Parquet files into DataFrames equal to ``pd.read_parquet(path, columns=columns)``'s.

    Parameters
    ----------
    files : mapping of str to (Path, sequence of str or None)
        Name → (file, columns to read or None for all).

    Returns
    -------
    dict of str to DataFrame
        In the order of ``files``. Equal dictionaries of text share one ``CategoricalDtype``.
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.parquet as pq

    from villageaid.threads import thread_budget

    def read(item: tuple[Path, Sequence[str] | None]) -> object:
        path, columns = item
        return pq.read_table(path, columns=list(columns) if columns is not None else None,
                             use_pandas_metadata=True)

    cache = CategoriesCache()
    frames: dict[str, pd.DataFrame] = {}
    workers = max(1, min(len(files), thread_budget()))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # Read side by side; converted in the given order as each arrives, so the cache (which dtype object two
        # equal dictionaries share) does not depend on which read finished first.
        pending = {name: pool.submit(read, item) for name, item in files.items()}
        for name in list(pending):
            frames[name] = table_to_frame(pending[name].result(), cache)
            pending[name] = None  # the Arrow table is freed once converted
    return frames
