"""A big log read by worker processes while this process stores what they have read.

A 50 MB log holds some 180,000 entries. Reading, checking and masking them is
most of the work of importing it, and only one process may write the database
at a time. So the decoded text is cut at entry starts into pieces of about a
megabyte; worker processes (forked: they share the text, nothing is copied to
them) each read a piece and make its rows ready to store (cleaned, masked,
summarised, with their mirror lines); this process takes the pieces in file
order, marks repeats (which needs the file's order), and stores a batch of rows
whenever it has enough, while the workers read on.

What is stored, refused and reported is what :func:`storage.importing.import_log`
would store, refuse and report for the same file.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from storage.clock import utc_now
from storage.importing import ImportReport, changes_in, new_entry, take_changes, unstored
from storage.kinds import Kind
from storage.markdown_import import (
    ParsedEntry,
    ParsedLog,
    RepeatMarker,
    decode,
    default_kind,
    our_lines,
    parse_piece,
    piece_bounds,
)
from storage.mirror import MIRROR_FILES, anchors_shown
from storage.store import Store
from storage.validation import Problem
from storage.writing import ROW_COLUMNS, outbox_row, prepare_row

PIECE_CHARS = 1_000_000
"""About this much text per piece: small enough that storing starts early and ends soon
after the last piece is read."""
BATCH_ROWS = 10_000
"""Rows are stored whenever the next piece is not read yet (this process would wait for
it anyway, and what is left to store when the last piece comes is then small), and at the
latest when this many are waiting."""
COMMIT_ROWS = 5_000
"""Rows stored are committed once this many are: each commit rewrites the index pages its
rows touched (the id and digest indexes are random, so nearly all of theirs), and a commit
after every piece made the 50 MB import 3.5% slower; 10,000 was no faster than 5,000 and
kept another process's write waiting twice as long (up to 1.25 s against 0.75 s)."""
PARENT_CHECK_SECONDS = 0.5

_Ready = tuple[tuple[Any, ...] | None, list[Problem], tuple[str, ...]]
"""A :class:`Prepared` as a plain tuple: a NamedTuple is rebuilt through its Python
``__new__`` when unpickled (a third of the time the importing process took to unpack)."""
_Packed = tuple[tuple[Any, ...], _Ready | None, dict[str, Any] | None]


@dataclass(frozen=True)
class _Job:
    """What every worker is given once (inherited through fork, not copied)."""

    text: str
    kind: Kind
    zone: tzinfo
    project: str
    source: str
    file_name: str
    mirror: bool


_job: _Job | None = None


def can_read_in_pieces() -> bool:
    """Worker processes that share the text need ``fork`` (Linux, BSD, macOS)."""
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def _start_worker(job: _Job) -> None:
    global _job
    _job = job
    gc.disable()  # a short-lived process making acyclic data: collecting only costs
    # The storing process is the one the import waits for: it goes first for the CPU.
    os.nice(5)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End this worker when the importing process is gone (killed: nothing tells the pool,
    and a worker waiting for its next piece would wait for ever)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _read_piece(piece: tuple[int, int, int]) -> tuple[list[_Packed], Counter[str], list[tuple[int, str]]]:
    job = _job
    assert job is not None
    start, end, lines_before = piece
    entries, repairs, not_understood = parse_piece(
        job.text[start:end], job.kind, job.zone, lines_before, start > 0
    )
    now = utc_now()
    packed: list[_Packed] = []
    for entry in entries:
        prepared = line = None
        if entry.placeholder is None and entry.event_of is None:
            item = new_entry(entry, job.file_name)
            prepared = prepare_row(job.project, item, job.source, strict=False, clock=utc_now)
            if job.mirror and prepared.row is not None:
                row = dict(zip(ROW_COLUMNS, prepared.row, strict=True))
                line = outbox_row(row, job.zone, now)  # (check_first: settled when it is stored)
        packed.append((entry.to_tuple(), None if prepared is None else tuple(prepared), line))
    return packed, repairs, not_understood


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off: an import makes a million small objects and no
    cycles, and each full collection would walk all of them again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # What was made meanwhile goes straight to the oldest generation: switched back
            # on, the collector would first walk it all as young objects (0.2 s at 50 MB).
            gc.freeze()
            gc.enable()
            gc.unfreeze()


def import_in_pieces(
    store: Store,
    project: str,
    path: Path,
    data: bytes,
    *,
    mirror: bool,
    source: str,
    lines_before: int = 0,
) -> ImportReport:
    """Store the new entries of the log ``data`` (read from ``path``), as import_log would.

    ``lines_before``: ``data`` is the end of the file (what sync has not read yet), and
    this many lines come before it (line numbers are the file's).
    """
    text, repairs = decode(data)
    kind = default_kind(path.name, text)
    log = ParsedLog(name=path.name, repairs=repairs)
    report = ImportReport(path=str(path), log=log)
    pieces = [
        (start, end, lines + lines_before)
        for start, end, lines in piece_bounds(text, max(2, len(text) // PIECE_CHARS))
    ]
    job = _Job(text, kind, store.zone, project, source, path.name, mirror)
    workers = min(os.cpu_count() or 1, 8, len(pieces))
    seen_entry = False
    with (
        _collector_paused(),
        ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(job,),
        ) as pool,
    ):
        # The workers start reading now. (Taken off the queue one by one: a future keeps its
        # result, so each piece is let go of here, while the workers read on, and not all of
        # them when the import returns: that took 0.1 s on one core at 50 MB.)
        read = deque(pool.submit(_read_piece, piece) for piece in pieces)
        try:
            ours = our_lines(text, kind, store.zone)
            for entry in ours:
                entry.line += lines_before
            marker = RepeatMarker(ours)
            batch = _Batch(store, project, report, mirror, up_to_seq=store.last_seq())
            with store.held_transaction() as commit:
                for index in range(len(read)):
                    next_piece = read.popleft()
                    if len(batch) >= (BATCH_ROWS if next_piece.done() else 1):
                        batch.write()
                        if batch.uncommitted >= COMMIT_ROWS:
                            commit()
                            batch.uncommitted = 0
                            if mirror:  # their lines appended while the workers read on
                                batch.flush_mirror()
                    packed, part_repairs, not_understood = next_piece.result()
                    entries = [ParsedEntry.from_tuple(entry) for entry, _, _ in packed]
                    log.entries += entries
                    log.repairs.update(part_repairs)
                    # As in parse_log: lines before the first entry are the file's preamble.
                    log.not_understood += not_understood if (index == 0 or seen_entry or entries) else []
                    seen_entry = seen_entry or bool(entries)
                    marker.mark(entries)
                    for entry, (_, prepared, line) in zip(entries, packed, strict=True):
                        if entry.imported and prepared is not None:
                            batch.add(entry, prepared, line)
                batch.write()
        except BaseException:
            # A failed write (a full disk) or ctrl+c: the pieces not yet read are not read.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    take_changes(store, report, changes_in(log, source, store), mirror=mirror)
    if mirror:
        batch.flush_mirror()
        report.mirror_errors += batch.mirror_errors
    return report


class _Batch:
    """Entries read and ready, waiting to be stored together."""

    def __init__(
        self, store: Store, project: str, report: ImportReport, mirror: bool, up_to_seq: int
    ) -> None:
        self.logbook = store
        self.project = project
        self.report = report
        self.mirror = mirror
        self.up_to_seq = up_to_seq
        self.added_here: set[str] = set()
        self.waiting: dict[str, tuple[ParsedEntry, _Ready, dict[str, Any] | None]] = {}
        self.uncommitted = 0
        """Rows stored since the last commit."""
        self.mirror_errors: list[str] = []
        # (Read here, while the workers read the first pieces.)
        files = [Path(project) / name for name in MIRROR_FILES] if mirror else []
        self.shown: set[str] = set().union(*map(anchors_shown, files))
        """The ids whose line the mirror files ended with when the import began: only those
        lines are looked for in the file before they are appended (a store made anew for
        the same checkout). The others cannot be there, unless someone appends them meanwhile:
        looking for all of them made every flush read the whole file, as it grew."""

    def __len__(self) -> int:
        return len(self.waiting)

    def flush_mirror(self) -> None:
        """Append the mirror lines of what is committed (each error said once)."""
        for result in self.logbook.flush_mirror(self.project):
            if result.error and result.error not in self.mirror_errors:
                self.mirror_errors.append(result.error)

    def add(self, entry: ParsedEntry, prepared: _Ready, line: dict[str, Any] | None) -> None:
        self.waiting.setdefault(entry.store_id, (entry, prepared, line))

    def write(self) -> None:
        if not self.waiting:
            return
        report = self.report
        entries = [entry for entry, _, _ in self.waiting.values()]
        fresh = unstored(
            self.logbook, self.project, report, entries, up_to_seq=self.up_to_seq, added_here=self.added_here
        )
        rows: list[tuple[Any, ...]] = []
        lines: dict[str, dict[str, Any]] = {}
        for entry in fresh:
            _, (row, problems, _), line = self.waiting[entry.store_id]
            if row is None:
                report.refused.append((entry, "; ".join(str(problem) for problem in problems)))
                continue
            rows.append(row)
            if line is not None:
                line["check_first"] = int(entry.store_id in self.shown)
                lines[entry.store_id] = line
        taken, _ = self.logbook.write_rows(self.project, rows, mirror=self.mirror, outbox=lines)
        self.added_here.update(taken)
        self.uncommitted += len(taken)
        for entry_id in taken:
            entry, (_, _, masked), _ = self.waiting[entry_id]
            report.added.append(entry)
            if masked:  # (a Counter update costs even when empty: 180,000 times)
                report.masked.update(masked)
        self.waiting = {}
