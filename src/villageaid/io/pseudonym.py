"""Replace person names by salted pseudonymous identifiers, and refuse salts that do not protect them."""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from pathlib import Path

import pandas as pd

SALT_ENV = "VILLAGEAID_SALT"
#: A salt must have at least this many characters ...
MIN_SALT_LENGTH = 16
#: ... and at least this many bits by a crude count (length × log2 of the distinct characters).
MIN_SALT_BITS = 64
SALT_HINT = 'python -c "import secrets; print(secrets.token_hex(16))" > salt.txt'


class WeakSaltError(ValueError):
    """The salt is too short or too uniform to keep names from being recovered."""


def check_salt(salt: bytes, origin: str) -> bytes:
    """Refuse a salt that could be found by trying: shorter than 16 characters or of low variety.

    With a one-character salt and one known name, every salt can be tried in a fraction of a second and
    every pseudonym re-identified; a 32-hex-digit random salt cannot be.

    Raises
    ------
    WeakSaltError
        Naming the origin and how to make a good salt (never echoing the salt).
    """
    text = salt.decode("utf-8", errors="replace")
    distinct = len(set(text))
    bits = len(text) * math.log2(distinct) if distinct > 1 else 0.0
    if len(text) < MIN_SALT_LENGTH or distinct < 8 or bits < MIN_SALT_BITS:
        raise WeakSaltError(
            f"{origin}: the salt is too weak ({len(text)} characters, {distinct} distinct; at least "
            f"{MIN_SALT_LENGTH} characters of varied, random text are needed, or anyone who knows one name could "
            f"find it and re-identify every cadre). Make one with: {SALT_HINT} — and keep it outside the data "
            f"folder / 密钥太弱：至少需要 {MIN_SALT_LENGTH} 个随机字符。可用上面的命令生成，并保存在数据文件夹之外"
        )
    return salt


def load_salt(salt_file: Path | None = None) -> bytes | None:
    """Return the user's salt from a file, else from the ``VILLAGEAID_SALT`` variable, else None.

    The salt is the user's secret and is kept outside the data directory; with the same salt the same
    name always gives the same ``cadre_id``, so postings of one cadre can be linked across files.

    Raises
    ------
    ValueError
        If the file cannot be read or the salt is empty or weak (:class:`WeakSaltError`).
    """
    if salt_file is not None:
        from villageaid.io.inputs import require_regular_file

        require_regular_file(salt_file, "salt file")  # a FIFO or device is refused, never opened
        if Path(salt_file).stat().st_size > 4096:
            raise WeakSaltError(f"{salt_file}: a salt file holds one line of random characters, not "
                                f"{Path(salt_file).stat().st_size:,} bytes; make a salt with: {SALT_HINT}")
        salt = Path(salt_file).read_bytes().strip()
        if not salt:
            raise WeakSaltError(f"{salt_file}: salt file is empty; make a salt with: {SALT_HINT}")
        return check_salt(salt, str(salt_file))
    value = os.environ.get(SALT_ENV, "")
    if SALT_ENV in os.environ and not value.strip():
        raise WeakSaltError(f"{SALT_ENV} is set but empty; make a salt with: {SALT_HINT}")
    return check_salt(value.strip().encode("utf-8"), SALT_ENV) if value.strip() else None


def pseudonymize(names: pd.Series, salt: bytes) -> pd.Series:
    """Map names to ``P`` + the first 16 hex digits of HMAC-SHA256(salt, name).

    Names are compared after the cleaning every identifier gets (Unicode NFKC, invisible characters
    removed, white space collapsed and trimmed), so "张三 ", "张\u200b三" and "张三" are one person. Missing
    names stay missing.
    """
    from villageaid.io.normalize import _clean_one

    def one(name: object) -> object:
        if name is None or (isinstance(name, float) and name != name):
            return None
        text = _clean_one(str(name))[0]
        if not text:
            return None
        return "P" + hmac.new(salt, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    return names.map(one)
