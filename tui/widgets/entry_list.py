"""The entry list: a Line API view that pages rows from SQLite on demand.

Textual's DataTable builds every row up front (tens of seconds for 100k).
This widget knows only the row count; it renders the rows on screen from a
block cache and asks a thread worker for blocks it does not have yet, so it
opens and scrolls equally fast at 10 or 100,000 entries, and the UI thread
never waits on the database.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from storage.fts import MARK_END, MARK_START
from storage.kinds import Kind
from storage.records import Entry
from tui.sources import BLOCK, Row, RowSource
from tui.terminal import printable


class EntryList(ScrollView, can_focus=True):
    """Entries newest first; Enter opens the one under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "open", "Open", id="list.open", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "entry-list--cursor",
        "entry-list--time",
        "entry-list--handoff",
        "entry-list--incident",
        "entry-list--decision",
        "entry-list--note",
        "entry-list--open",
        "entry-list--mitigated",
        "entry-list--resolved",
        "entry-list--tags",
        "entry-list--match",
        "entry-list--verified",
        "entry-list--failed",
        "entry-list--stale",
        "entry-list--superseded",
        "entry-list--placeholder",
    }

    cursor: reactive[int] = reactive(0, init=False)

    class Selected(Message):
        """Enter (or a click on the highlighted row) chose an entry."""

        def __init__(self, entry: Entry) -> None:
            super().__init__()
            self.entry = entry

    class Highlighted(Message):
        """The cursor moved onto an entry."""

        def __init__(self, entry: Entry | None) -> None:
            super().__init__()
            self.entry = entry

    class Counted(Message):
        """The list knows how many rows its source has."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(
        self,
        *,
        zone: tzinfo,
        empty_text: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.zone = zone
        self.empty_text = empty_text
        self.head: str | None = None
        """The project's current commit: a verification at another one shows as stale."""
        self._source: RowSource | None = None
        self._generation = 0
        self._count: int | None = None
        self._rows: dict[int, Row] = {}
        self._loading: set[int] = set()
        self._fetch_scheduled = False

    # -- the data ----------------------------------------------------------

    @property
    def count(self) -> int | None:
        """Rows in the current source, or None while it is being counted."""
        return self._count

    @property
    def highlighted(self) -> Entry | None:
        row = self._rows.get(self.cursor)
        return row.entry if row else None

    def set_source(
        self,
        source: RowSource,
        *,
        keep_cursor: bool = False,
        preloaded: tuple[int, list[Row]] | None = None,
    ) -> None:
        """Show ``source`` (from the top unless ``keep_cursor``), counted in a worker unless ``preloaded``.

        ``keep_cursor`` keeps the cursor on the entry it is on, wherever that entry's row now is
        (new entries above it move it down); on the same row when the source no longer has it.
        """
        keep = self.highlighted.id if keep_cursor and self.highlighted is not None else None
        self._source = source
        self._generation += 1
        self._rows.clear()
        self._loading.clear()
        self._count = None
        if not keep_cursor:
            self.cursor = 0
            self.scroll_to(y=0, animate=False)
        generation = self._generation
        if preloaded is not None:
            self._counted(generation, *preloaded)
            return
        self.run_worker(
            lambda: self._count_in_thread(source, generation, keep),
            thread=True,
            group="entry-list-count",
            exclusive=True,
        )
        self.refresh()

    def _count_in_thread(self, source: RowSource, generation: int, keep: str | None = None) -> None:
        count = source.count()
        first = source.fetch(0, BLOCK) if count else []
        index = source.index_of(keep) if keep and count else None
        self.app.call_from_thread(self._counted, generation, count, first, index)

    def _counted(self, generation: int, count: int, first: list[Row], index: int | None = None) -> None:
        if generation != self._generation:
            return
        self._count = count
        self._store_block(generation, 0, first)
        self.virtual_size = Size(self.size.width, count)
        self.cursor = min(self.cursor if index is None else index, max(0, count - 1))
        self.post_message(self.Counted(count))
        self.post_message(self.Highlighted(self.highlighted))
        self.refresh()

    def _request(self, block: int) -> None:
        if block in self._loading or self._source is None:
            return
        self._loading.add(block)
        source, generation = self._source, self._generation
        self.run_worker(
            lambda: self._fetch_in_thread(source, generation, block),
            thread=True,
            group="entry-list-rows",
        )

    def _fetch_in_thread(self, source: RowSource, generation: int, block: int) -> None:
        rows = source.fetch(block * BLOCK, BLOCK)
        self.app.call_from_thread(self._store_block, generation, block, rows)

    def _store_block(self, generation: int, block: int, rows: list[Row]) -> None:
        if generation != self._generation:
            return
        self._loading.discard(block)
        for offset, row in enumerate(rows):
            self._rows[block * BLOCK + offset] = row
        if len(self._rows) > 20 * BLOCK:  # keep memory flat while scrolling 100k rows
            keep = range((self.cursor // BLOCK - 5) * BLOCK, (self.cursor // BLOCK + 6) * BLOCK)
            self._rows = {i: r for i, r in self._rows.items() if i in keep}
        if self.cursor // BLOCK == block:
            self.post_message(self.Highlighted(self.highlighted))
        self.refresh()

    def _fetch_missing(self) -> None:
        self._fetch_scheduled = False
        top = int(self.scroll_y)
        for index in (top, top + self.size.height, self.cursor):
            if self._count and 0 <= index < self._count and index not in self._rows:
                self._request(index // BLOCK)

    # -- drawing -----------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        if self._count is None:
            return self._line(Text("  Loading…" if y == 1 else ""), self._style("placeholder"))
        if self._count == 0:
            return self._line(Text(f"  {self.empty_text}" if y == 1 else ""), self._style("placeholder"))
        if index >= self._count:
            return self._line(Text(""))
        row = self._rows.get(index)
        if row is None:
            if not self._fetch_scheduled:
                self._fetch_scheduled = True
                self.call_later(self._fetch_missing)
            return self._line(Text("  …"), self._style("placeholder"))
        text = self._render_row(row, self.size.width)
        if index == self.cursor:
            text.stylize(self._style("cursor"))
        return self._line(text).apply_offsets(0, index)

    def _line(self, text: Text, style: Style | None = None) -> Strip:
        """One full-width line; every segment styled (Textual's filters need a style)."""
        base = self.rich_style + style if style else self.rich_style
        strip = Strip(list(text.render(self.app.console))).apply_style(base)
        return strip.crop_extend(0, self.size.width, base)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"entry-list--{name}")

    def _render_row(self, row: Row, width: int) -> Text:
        entry = row.entry
        local = entry.created_at.astimezone(self.zone)
        text = Text(style=self.rich_style, no_wrap=True, overflow="ellipsis", end="")
        text.append(" ")
        text.append(local.strftime("%Y-%m-%d %H:%M"), self._style("time"))
        text.append("  ")
        text.append(f"{entry.kind.value:<9}", self._style(entry.kind.value))
        text.append(" ")
        badge = entry.badge(self.head)
        text.append(_BADGES[badge], self._style(badge) if badge != "never" else Style())
        text.append(" ")
        state = _state(entry)
        text.append(f"{state:<14}", self._style(entry.status or "time") if state else Style())
        summary = _marked(row.summary_marked or entry.summary, self._style("match"))
        if entry.superseded_by:
            summary.stylize(self._style("superseded"))
        tags = printable(" ".join(f"#{t}" for t in entry.tags))
        room = width - text.cell_len - 1
        if tags and room - len(tags) - 2 >= 24:  # tags fit beside a readable summary
            summary.truncate(room - len(tags) - 2, overflow="ellipsis")
            text.append_text(summary)
            text.append(" " * max(2, room - summary.cell_len - len(tags)))
            text.append(tags, self._style("tags"))
        else:
            text.append_text(summary)
        text.truncate(width, overflow="ellipsis")
        return text

    # -- moving ------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        height = max(1, self.size.height)
        if new < self.scroll_y:
            self.scroll_to(y=new, animate=False)
        elif new >= self.scroll_y + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh()
        if new in self._rows:
            self.post_message(self.Highlighted(self._rows[new].entry))
        elif self._count:
            self._request(new // BLOCK)

    def _move(self, delta: int) -> None:
        if self._count:
            self.cursor = max(0, min(self._count - 1, self.cursor + delta))

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_page_up(self) -> None:
        self._move(-max(1, self.size.height - 1))

    def action_page_down(self) -> None:
        self._move(max(1, self.size.height - 1))

    def action_first(self) -> None:
        self._move(-(self._count or 0))

    def action_last(self) -> None:
        self._move(self._count or 0)

    def action_open(self) -> None:
        entry = self.highlighted
        if entry is not None:
            self.post_message(self.Selected(entry))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y
        if self._count and 0 <= index < self._count:
            if index == self.cursor or event.chain > 1:
                self.cursor = index
                self.action_open()
            else:
                self.cursor = index

    def on_resize(self, event: events.Resize) -> None:
        if self._count is not None:
            self.virtual_size = Size(event.size.width, self._count)


def _state(entry: Entry) -> str:
    if entry.kind is not Kind.INCIDENT:
        return "superseded" if entry.superseded_by else ""
    return " ".join(part for part in (entry.severity, entry.status) if part)


_BADGES = {"verified": "✓", "failed": "✗", "stale": "~", "never": " "}


_MARKS = re.compile(f"({MARK_START}|{MARK_END})")


def _marked(text: str, match_style: Style) -> Text:
    """Summary text with search matches styled (markers are control characters)."""
    result = Text(no_wrap=True, end="")
    on = False
    for piece in _MARKS.split(text):
        if piece == MARK_START:
            on = True
        elif piece == MARK_END:
            on = False
        elif piece:
            result.append(printable(piece), match_style if on else None)
    return result
