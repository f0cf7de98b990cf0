"""Entry ids: 16 random hex digits, shown by their first 8."""

from __future__ import annotations

import secrets

ID_HEX_DIGITS = 16


def new_id() -> str:
    return secrets.token_hex(ID_HEX_DIGITS // 2)
