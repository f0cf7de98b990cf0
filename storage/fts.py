"""Turning what a person types into an SQLite FTS5 query."""

from __future__ import annotations

import re

MARK_START = "\x02"
MARK_END = "\x03"
"""Highlight markers around matched words: control characters no entry can hold."""

_TOKEN = re.compile(r'"[^"]*"|\S+')


def fts_query(text: str, *, prefix_last: bool = True) -> str | None:
    """Every word must match (AND), quoted so punctuation is never FTS syntax.

    ``OR`` between words is honoured; a trailing ``*`` asks for a prefix match,
    and with ``prefix_last`` the last word is matched as a prefix (search as
    you type). Returns None when nothing searchable was typed.
    """
    terms: list[str] = []
    tokens = _TOKEN.findall(text)
    for index, token in enumerate(tokens):
        if token == "OR" and terms and terms[-1] != "OR" and index < len(tokens) - 1:
            terms.append("OR")
            continue
        star = token.endswith("*") or (prefix_last and index == len(tokens) - 1)
        word = token.strip('"').rstrip("*")
        if not re.search(r"\w", word):
            continue
        quoted = '"' + word.replace('"', '""') + '"'
        terms.append(quoted + ("*" if star and not token.startswith('"') else ""))
    while terms and terms[-1] == "OR":
        terms.pop()
    return " ".join(terms) or None
