"""What the list screen needs from disk at launch, read while Textual is still importing.

`logbook` starts this thread before it imports Textual; by the time the list
screen mounts, the store is open and the first rows are usually in memory, so
the first frame already shows them. The UI never waits for it: if it is not
done yet, the screen asks again from a worker like any other read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.records import Draft
    from storage.store import Store
    from tui.sources import Row


@dataclass(frozen=True)
class Opening:
    """The store, opened, with what the first frame shows."""

    store: Store
    count: int
    rows: list[Row]
    drafts: list[Draft]
    pending_mirror: int
    mirror_errors: list[str]


def open_project(store: Store, project: str) -> Opening:
    """Finish mirror appends a crash interrupted, then read the first page and the drafts."""
    from tui.sources import BLOCK, BrowseSource

    results = store.flush_mirror(project)
    source = BrowseSource(store, project)
    count = source.count()
    return Opening(
        store=store,
        count=count,
        rows=source.fetch(0, BLOCK) if count else [],
        drafts=store.drafts(project),
        pending_mirror=store.pending_mirror(project),
        mirror_errors=[r.error for r in results if r.error],
    )


class Prefetch(threading.Thread):
    """Opens the store and reads the first page in the background."""

    def __init__(self, db_path: Path | None, project: str, zone: tzinfo) -> None:
        super().__init__(name="logbook-prefetch", daemon=True)
        self.db_path = db_path
        self.project = project
        self.zone = zone
        self.result: Opening | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        from storage.store import Store

        try:
            store = Store.open(self.db_path, zone=self.zone)
            self.result = open_project(store, self.project)
        except Exception as error:  # raised again by wait(), for the screen to report
            self.error = error

    def ready(self) -> Opening | None:
        """The result if the thread has finished (never blocks)."""
        return None if self.is_alive() else self.result

    def wait(self) -> Opening:
        """The result, once the thread has finished; what went wrong is raised here."""
        self.join()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result
