"""Join codes and teacher tokens: short enough to type, too many to guess."""

from __future__ import annotations

import math
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: nothing read one way and typed another
CODE_LENGTH = 7
CODE_BITS = CODE_LENGTH * math.log2(len(ALPHABET))  # 34.3 bits


def new_code() -> str:
    """A random join code of CODE_LENGTH characters from ALPHABET."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize(text: str) -> str | None:
    """The code a person typed (any case, spaces and dashes ignored), or None if it cannot be one."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def new_token() -> str:
    """The teacher's secret: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)
