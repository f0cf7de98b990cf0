"""Undo text that was encoded as UTF-8 and decoded as cp1251 / cp1252 / latin-1, up to three times.

Hand-kept logs written through PowerShell pick this up: an em dash becomes
``вЂ”`` after one round, ``РІР‚вЂќ`` after two and ``Р Р†Р вЂљРІР‚Сњ`` after
three. Tools on the way also turned the no-break spaces inside such runs into
plain spaces (``Р`` + U+00A0 is how cp1251 shows the UTF-8 lead byte of
``Р``), which is why general fixers stop half-way on the seed files; a run is
retried with its inner spaces read as no-break spaces.

Only runs that decode cleanly are changed, so real Cyrillic or accented text
(which is not valid UTF-8 once re-encoded) is left alone.
"""

from __future__ import annotations

import re

_CODECS = ("cp1251", "cp1252", "latin-1")
# Characters that appear when UTF-8 bytes are read as one of the codecs above: the
# upper half of cp1251 and cp1252 (Cyrillic, C1-looking punctuation, Latin-1 letters).
_SUSPECT = "\u0080-\u00ff\u0400-\u045f\u0490\u0491\u2013-\u2022\u2026\u2030\u2039\u203a\u20ac\u2116\u2122"
_RUN = re.compile(f"[{_SUSPECT}](?:[{_SUSPECT}]| (?=[{_SUSPECT}]))+")
_MAX_ROUNDS = 3
# What a repaired run may decode to: text people type, not CJK that three random
# bytes happen to spell ("é —" re-encodes to the bytes of "頗").
_PLAUSIBLE = re.compile(
    "[\u0000-\u024f\u0370-\u03ff\u0400-\u052f\u2000-\u206f\u20a0-\u20cf\u2100-\u21ff"
    "\u2200-\u22ff\u2300-\u23ff\u2500-\u27bf\ufffd\U0001f000-\U0001faff]*"
)


def _decode_once(run: str) -> str | None:
    """One layer off ``run``, or None when no codec turns it back into plausible UTF-8."""
    for candidate in (run, run.replace(" ", "\u00a0")):
        for codec in _CODECS:
            try:
                decoded = candidate.encode(codec).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if len(decoded) < len(run) and _PLAUSIBLE.fullmatch(decoded):
                return decoded
    return None


def _repair_run(match: re.Match[str]) -> str:
    text = match.group()
    for _ in range(_MAX_ROUNDS):
        decoded = _decode_once(text)
        if decoded is None:
            break
        text = decoded
    return text


def repair(text: str) -> tuple[str, int]:
    """``text`` with mojibake runs decoded, and how many runs were repaired."""
    if text.isascii():
        return text, 0
    count = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal count
        repaired = _repair_run(match)
        if repaired != match.group():
            count += 1
        return repaired

    return _RUN.sub(fix, text), count


def looks_like_mojibake(text: str) -> bool:
    """True when ``text`` still holds a run that decodes as mojibake."""
    return any(_decode_once(match.group()) is not None for match in _RUN.finditer(text))
