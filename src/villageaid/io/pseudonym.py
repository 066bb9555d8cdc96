"""Replace person names by salted pseudonymous identifiers."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pandas as pd

SALT_ENV = "VILLAGEAID_SALT"


def load_salt(salt_file: Path | None = None) -> bytes | None:
    """Return the user's salt from a file, else from the ``VILLAGEAID_SALT`` variable, else None.

    The salt is the user's secret and is kept outside the data directory; with the same salt the same
    name always gives the same ``cadre_id``, so postings of one cadre can be linked across files.
    """
    if salt_file is not None:
        salt = Path(salt_file).read_bytes().strip()
        if not salt:
            raise ValueError(f"{salt_file}: salt file is empty")
        return salt
    value = os.environ.get(SALT_ENV, "")
    return value.encode("utf-8") if value else None


def pseudonymize(names: pd.Series, salt: bytes) -> pd.Series:
    """Map names to ``P`` + the first 16 hex digits of HMAC-SHA256(salt, name).

    Names are compared after trimming white space, so "张三 " and "张三" are one person. Missing names
    stay missing.
    """
    def one(name: object) -> object:
        if name is None or (isinstance(name, float) and name != name):
            return None
        text = str(name).strip()
        if not text:
            return None
        return "P" + hmac.new(salt, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    return names.map(one)
