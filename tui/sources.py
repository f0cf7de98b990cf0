"""Row sources for the entry list: thin adapters over the store, called from threads.

No Textual here: the startup prefetch uses them before Textual is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from storage.kinds import Kind
from storage.records import Entry

if TYPE_CHECKING:
    from storage.store import Store

SEARCH_LIMIT = 500
BLOCK = 100
"""Rows fetched per query as the list scrolls."""


@dataclass(frozen=True)
class Row:
    entry: Entry
    summary_marked: str | None = None


class RowSource(Protocol):
    """Where the list's rows come from: browsing a kind, or the hits of a search."""

    def count(self) -> int: ...

    def fetch(self, offset: int, limit: int) -> list[Row]: ...

    def index_of(self, entry_id: str) -> int | None:
        """The row showing ``entry_id``; None when the source does not have it."""
        ...


@dataclass
class BrowseSource:
    """Every entry of a project (or of one kind), newest first, paged by offset."""

    store: Store
    project: str
    kind: Kind | None = None
    session_id: str | None = None

    def count(self) -> int:
        return self.store.count(self.project, self.kind, session_id=self.session_id)

    def fetch(self, offset: int, limit: int) -> list[Row]:
        entries = self.store.entries(
            self.project, kind=self.kind, limit=limit, offset=offset, session_id=self.session_id
        )
        return [Row(entry) for entry in entries]

    def index_of(self, entry_id: str) -> int | None:
        return self.store.position(self.project, entry_id, kind=self.kind, session_id=self.session_id)


@dataclass
class SearchSource:
    """The best matches of a full-text query (ranked once, then paged from memory)."""

    store: Store
    project: str
    query: str
    kind: Kind | None = None
    _rows: list[Row] | None = field(default=None, repr=False)

    def _hits(self) -> list[Row]:
        if self._rows is None:
            from storage.errors import Refused

            try:
                hits = self.store.search(
                    self.project, self.query, kind=self.kind, limit=SEARCH_LIMIT, prefix_last=True
                )
            except Refused:  # half-typed syntax FTS cannot take: no match yet, not an error
                hits = []
            self._rows = [Row(hit.entry, hit.summary_marked) for hit in hits]
        return self._rows

    def count(self) -> int:
        return len(self._hits())

    def fetch(self, offset: int, limit: int) -> list[Row]:
        return self._hits()[offset : offset + limit]

    def index_of(self, entry_id: str) -> int | None:
        return next((i for i, row in enumerate(self._hits()) if row.entry.id == entry_id), None)
