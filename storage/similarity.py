"""How alike two entries' texts are: the test behind near-duplicate refusal.

Measured on the seed logs (tests/storage/test_similarity.py holds the pairs):
entries re-appended in other words score 0.74-0.91, distinct entries about
the same code at most 0.63. Character-level ratios were tried and rejected:
two different endpoints under one long URL prefix score 0.77 on them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import timedelta

from storage.kinds import Kind

REPEAT_WINDOW = timedelta(hours=24)
"""How far apart an entry and the one it nearly repeats may be written (same project and kind)."""

NEAR_DUPLICATE_SCORE = 0.72
"""Texts scoring at or above this are treated as the same entry."""

_KEY_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.HANDOFF: ("what",),
    Kind.INCIDENT: ("symptom", "cause"),
    Kind.DECISION: ("decision",),
    Kind.NOTE: ("text",),
}
_NOISE = re.compile(r"[^\w]+")


def key_text(kind: Kind, fields: dict[str, str]) -> str:
    """The text that makes an entry this entry (not the verify command all entries share)."""
    return "\n".join(fields.get(name, "") for name in _KEY_FIELDS[kind])


_ASCII_WORDS = bytes(
    ord(char.lower()) if re.match(r"\w", char) else ord(" ") for char in map(chr, range(128))
) + bytes(range(128, 256))
"""For each ASCII character: itself lower-cased when ``_NOISE`` keeps it, else a space."""


def normalize(text: str) -> str:
    """Case, accents, punctuation and spacing removed: only the words remain."""
    if text.isascii():
        # (NFKC leaves ASCII as it is. A byte table lower-cases and blanks out in one pass,
        # 2x faster than str.lower and str.translate: every entry of an import is keyed.)
        return " ".join(text.encode().translate(_ASCII_WORDS).decode().split())
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NOISE.sub(" ", text).strip()


def fingerprint(kind: Kind, fields: dict[str, str]) -> str:
    """A short digest, equal for texts that differ only in case, punctuation, spacing."""
    return fingerprint_of(normalize(key_text(kind, fields)))


def fingerprint_of(normalized: str) -> str:
    """:func:`fingerprint` of a key text already passed through :func:`normalize`."""
    return hashlib.blake2b(normalized.encode(), digest_size=8).hexdigest()


def words(text: str) -> frozenset[str]:
    """The word set :func:`word_similarity` compares (compute once per text when comparing many)."""
    return frozenset(normalize(text).split())


def similarity(a: str, b: str) -> float:
    """0..1: the mean of word-set overlap (Jaccard) and containment of the smaller set.

    Two texts whose numbers conflict ("entry 17" / "entry 18", "38 passed" /
    "40 passed") are different entries whatever their words: they score 0.
    """
    return word_similarity(words(a), words(b))


def word_similarity(words_a: frozenset[str], words_b: frozenset[str]) -> float:
    """:func:`similarity` of two word sets already made by :func:`words`."""
    return Words(words_a).similarity(Words(words_b))


class Words:
    """A text's word set and the numbers among them, made once for comparing with many."""

    __slots__ = ("_key", "_words", "numbers")

    def __init__(self, words: frozenset[str]) -> None:
        self._words: frozenset[str] | None = words
        self._key = ""
        self.numbers = frozenset(filter(str.isdigit, words))

    @classmethod
    def of(cls, text: str) -> Words:
        return cls(words(text))

    @classmethod
    def of_key(cls, key: str) -> Words:
        """Of a text already normalised (:func:`normalize`): its word set is made only when a
        comparison gets past the numbers (most entries of a big import are only compared by
        their numbers: "step 1" is not "step 2")."""
        found = cls.__new__(cls)
        found._key, found._words = key, None
        found.numbers = frozenset(filter(str.isdigit, key.split()))
        return found

    @property
    def words(self) -> frozenset[str]:
        if self._words is None:
            self._words = frozenset(self._key.split())
        return self._words

    def similarity(self, other: Words) -> float:
        """:func:`similarity` of the two texts."""
        if not (self.numbers <= other.numbers or other.numbers <= self.numbers):  # each has its own
            return 0.0
        return _score(self.words, other.words)


def _score(words_a: frozenset[str], words_b: frozenset[str]) -> float:
    """Word overlap of two texts whose numbers do not conflict."""
    if not words_a or not words_b:
        return 0.0
    shared = len(words_a & words_b)
    size_a, size_b = len(words_a), len(words_b)
    jaccard = shared / (size_a + size_b - shared)  # (the union's size, without making it)
    containment = shared / min(size_a, size_b)
    return (jaccard + containment) / 2
