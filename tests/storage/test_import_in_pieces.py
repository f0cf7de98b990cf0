"""A big log read in pieces by worker processes stores and reports exactly what reading
it whole does (storage/parallel_import.py against storage/importing.import_log).

The log mixes the bench's generated formats with both seed files, and plants what
only a whole-file reading would see: a line logbook wrote, cut short early in the
file and appended whole at its end (the cut one is a repeat of the whole one); a
logbook line a formatter wrapped over two lines; an entry the store already holds;
and one a teammate typed into the TUI that a hand-written line repeats. Pieces of
20,000 characters and batches of 300 rows (100 while the next piece is still being
read) make every one of them cross a piece or batch boundary (and a batch stored
early must not count as "already in the store").
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.seed_logs import write_log
from storage import parallel_import
from storage.importing import ImportReport, import_log
from storage.kinds import Kind
from storage.markdown_import import parse_log
from storage.mirror import anchors_in
from storage.mirror_format import render_line
from storage.store import NewEntry, Store
from storage.writing import ROW_COLUMNS, row_dict, row_values
from tests.conftest import FakeClock
from tests.storage.test_import_seeds import HANDOFF_SEED, INCIDENTS_SEED, MSK

pytestmark = pytest.mark.skipif(
    not parallel_import.can_read_in_pieces(), reason="reading in pieces needs fork and two CPUs"
)

OURS_ID, WRAPPED_ID, TYPED_ID = "a1b2c3d4e5f60718", "0f1e2d3c4b5a6978", "7777777777777777"

# Written twice three hours apart, nearly alike: not a repeat within the file (a reworded
# repeat is looked for within the hour), so not one once the first is stored either.
ROTATED = "Rotated the staging TLS certificate for api.example.com"


def _ours(entry_id: str, what: str, minute: int) -> str:
    return render_line(
        entry_id=entry_id,
        kind=Kind.HANDOFF,
        fields={"what": what, "verify": "make test", "expected": "all green"},
        created_at=datetime(2026, 1, 5, 10, minute, tzinfo=UTC),
        zone=MSK,
    )


def _log(tmp_path: Path) -> str:
    write_log(tmp_path / "generated.md", 0.25)
    generated = (tmp_path / "generated.md").read_text(encoding="utf-8")
    whole = _ours(OURS_ID, "Moved the importer into worker processes, pieces stored in file order", 0)
    cut = whole[: whole.index(" pieces")]  # a crash cut our line short; it was appended again later
    wrapped = _ours(WRAPPED_ID, "Wrapped by a formatter at its anchor", 7).replace(" <!--", "\n  <!--", 1)
    lines = generated.splitlines(keepends=True)
    tenth = len(lines) // 10
    return "".join(
        [
            *lines[:tenth],
            cut + "\n\n",
            *lines[tenth : 5 * tenth],
            wrapped + "\n\n",
            f"- 2026-02-01 10:00 MSK — {ROTATED} and reloaded nginx\n\n",
            HANDOFF_SEED.read_text(encoding="utf-8-sig") + "\n",
            *lines[5 * tenth :],
            INCIDENTS_SEED.read_text(encoding="utf-8-sig").replace("# INCIDENTS", "## incidents") + "\n",
            f"- 2026-02-01 13:00 MSK — {ROTATED}, then reloaded nginx\n\n",
            whole + "\n",
        ]
    )


def _store(path: Path, project: Path, text: str) -> Store:
    """A store that already holds the log's first part, and one entry typed in the TUI."""
    store = Store.open(path, clock=FakeClock(), zone=MSK)
    first_part = parse_log(text[: len(text) // 5], name="HANDOFF.md", default_zone=MSK)
    import_log(store, str(project), first_part, mirror=False)
    seed = next(
        entry
        for entry in parse_log(HANDOFF_SEED.read_bytes(), name="HANDOFF.md", default_zone=MSK).fresh
        if entry.kind is Kind.HANDOFF and {"what", "verify", "expected"} <= entry.fields.keys()
    )
    typed = NewEntry(seed.kind, seed.fields, created_at=seed.created_at + timedelta(minutes=2), id=TYPED_ID)
    store.add_many(str(project), [typed], source="tui", mirror=False)
    return store


def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of 20,000 characters, batches of at most 300 rows, committed 100 at a time:
    the small log then crosses every kind of boundary."""
    monkeypatch.setattr(parallel_import, "PIECE_CHARS", 20_000)
    monkeypatch.setattr(parallel_import, "BATCH_ROWS", 300)
    monkeypatch.setattr(parallel_import, "COMMIT_ROWS", 100)


def _rows(store: Store) -> list[tuple[Any, ...]]:
    columns = ", ".join(column for column in ROW_COLUMNS if column not in ("session_id", "project"))
    with sqlite3.connect(store.path) as connection:
        return connection.execute(f"SELECT {columns} FROM entry ORDER BY id").fetchall()


def _sessions(store: Store) -> tuple[int, list[list[str]]]:
    """How many work sessions, and the entries (by id) of each closed one.

    (Open ones are left out: the log's seed part lies within two hours of the store's
    clock, so sessions the first part opened overlap, and each group of entries joins
    the latest one open at its start, which depends on where a batch starts.)
    """
    with sqlite3.connect(store.path) as connection:
        count = connection.execute("SELECT count(*) FROM work_session").fetchone()[0]
        rows = connection.execute(
            "SELECT e.session_id, e.id FROM entry e JOIN work_session s ON s.id = e.session_id"
            " WHERE s.ended_at IS NOT NULL ORDER BY e.id"
        ).fetchall()
    groups: dict[str, list[str]] = {}
    for session_id, entry_id in rows:
        groups.setdefault(session_id, []).append(entry_id)
    return count, sorted(groups.values())


def _both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, own: bool
) -> tuple[tuple[ImportReport, Store, Path], tuple[ImportReport, Store, Path]]:
    small_pieces(monkeypatch)
    text = _log(tmp_path)
    results = []
    for way in ("pieces", "whole"):
        project = tmp_path / way
        project.mkdir()
        log_path = project / "HANDOFF.md" if own else tmp_path / f"old-{way}.md"
        log_path.write_text(text, encoding="utf-8")
        store = _store(tmp_path / f"{way}.db", project, text)
        if way == "pieces":
            report = parallel_import.import_in_pieces(
                store, str(project), log_path, log_path.read_bytes(), mirror=not own, source="import"
            )
        else:
            log = parse_log(log_path.read_bytes(), name=log_path.name, default_zone=MSK)
            report = import_log(store, str(project), log, mirror=not own, path=str(log_path))
        results.append((report, store, project))
    return results[0], results[1]


def _same_report(pieces: ImportReport, whole: ImportReport) -> dict[str, Any]:
    found, expected = pieces.to_dict(), whole.to_dict()
    found.pop("file"), expected.pop("file")
    assert found == expected
    return found


def test_pieces_store_and_report_what_the_whole_file_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pieces, store, project), (whole, whole_store, whole_project) = _both(tmp_path, monkeypatch, own=True)
    report = _same_report(pieces, whole)
    assert _rows(store) == _rows(whole_store)
    assert _sessions(store) == _sessions(whole_store)  # batches do not cut a session in two

    # Every case the log plants was met, so the comparison above compared something.
    assert report["added"] > 500 and report["already_in_store"] > 100
    assert report["by_kind"].keys() == {"handoff", "incident", "decision", "note"}
    assert len(report["placeholders"]) > 5 and report["repairs"]["mojibake sequences decoded"] > 10
    cut, whole_line = (e for e in pieces.log.entries if e.entry_id == OURS_ID or "worker processes" in e.raw)
    assert cut.duplicate_of is not None and cut.duplicate_of.line == whole_line.line > cut.line
    assert whole_line.entry_id == OURS_ID
    assert [d["when"] for d in report["duplicates"] if d.get("duplicate_of_id") == TYPED_ID] == [
        "2025-12-13 22:55 MSK"
    ]
    assert len(store.search(str(project), "staging TLS certificate")) == 2
    assert store.get(WRAPPED_ID).fields["what"] == "Wrapped by a formatter at its anchor"
    hits = [hit.entry.id for hit in store.search(str(project), "worker processes")]
    assert OURS_ID in hits
    assert hits == [hit.entry.id for hit in whole_store.search(str(whole_project), "worker processes")]


def test_pieces_of_someone_elses_log_are_mirrored_as_the_whole_file_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pieces, _, project), (whole, _, whole_project) = _both(tmp_path, monkeypatch, own=False)
    report = _same_report(pieces, whole)
    assert report["added"] > 500 and report["mirror_errors"] == []
    for name in ("HANDOFF.md", "INCIDENTS.md"):
        appended = (project / name).read_text(encoding="utf-8")
        assert appended == (whole_project / name).read_text(encoding="utf-8")
        assert appended.count("<!-- logbook:") > 100


def test_a_log_from_elsewhere_imported_again_into_a_new_store_adds_no_line_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store is lost (or made anew for the same checkout) and the old log imported again:
    # the mirror files show its entries already, and must not show them twice.
    small_pieces(monkeypatch)
    project = tmp_path / "project"
    project.mkdir()
    log_path = tmp_path / "old-log.md"
    log_path.write_text(_log(tmp_path), encoding="utf-8")
    shown: dict[str, str] = {}
    for attempt in ("first", "again"):
        store = Store.open(tmp_path / f"{attempt}.db", clock=FakeClock(), zone=MSK)
        report = parallel_import.import_in_pieces(
            store, str(project), log_path, log_path.read_bytes(), mirror=True, source="import"
        )
        assert len(report.added) > 500 and report.mirror_errors == []
        assert store.pending_mirror(str(project)) == 0
        now = {name: (project / name).read_text(encoding="utf-8") for name in ("HANDOFF.md", "INCIDENTS.md")}
        shown = shown or now
        assert now == shown  # the second import appended nothing
        ids = [entry_id for text in now.values() for entry_id in anchors_in(text)]
        assert len(ids) == len(set(ids)) and {entry.store_id for entry in report.added} <= set(ids)


def test_an_entry_sent_between_processes_comes_back_as_it_was() -> None:
    # Workers send entries as tuples; a field read back into the wrong place would
    # only show where the report or the store uses it.
    from storage.markdown_import import ParsedEntry

    entries = [
        entry
        for seed in (HANDOFF_SEED, INCIDENTS_SEED)
        for entry in parse_log(seed.read_bytes(), name=seed.name, default_zone=MSK).entries
    ]
    assert {entry.kind for entry in entries} >= {Kind.HANDOFF, Kind.INCIDENT, Kind.DECISION}
    assert any(entry.placeholder for entry in entries) and any(entry.duplicate_of for entry in entries)
    for entry in entries:
        back = ParsedEntry.from_tuple(entry.to_tuple())
        assert back.duplicate_of is None  # (marked again in the importing process)
        back.duplicate_of = entry.duplicate_of
        assert back == entry and back.created_at.utcoffset() == timedelta(0)


def test_row_values_come_in_the_order_of_row_columns() -> None:
    from storage.records import GitContext
    from storage.signature import error_signature
    from storage.similarity import fingerprint

    fields = {"symptom": "disk full on db-1", "cause": "logs not rotated", "fix": "rotate daily"}
    values = row_dict(
        row_values(
            "/p",
            Kind.INCIDENT,
            fields,
            ["ops", "db"],
            datetime(2026, 1, 1, tzinfo=UTC),
            "cli",
            GitContext("main", "abc1234", "Ann"),
            "00000000000000ab",
            "00000000000000aa",
            "the line as written",
            "old.md:3",
            None,
            "5e55105",
        )
    )
    assert (values["id"], values["project"], values["kind"], values["source"]) == (
        "00000000000000aa",
        "/p",
        "incident",
        "cli",
    )
    assert (values["author"], values["branch"], values["git_commit"]) == ("Ann", "main", "abc1234")
    assert values["created_at"].startswith("2026-01-01T00:00:00") and values["tags"] == "ops db"
    assert (values["supersedes"], values["raw"], values["origin"], values["session_id"]) == (
        "00000000000000ab",
        "the line as written",
        "old.md:3",
        "5e55105",
    )
    assert values["summary"] == "disk full on db-1" and values["fingerprint"] == fingerprint(
        Kind.INCIDENT, fields
    )
    assert values["signature"] == error_signature("disk full on db-1")
    assert (
        {name: values[name] for name in fields} == fields
        and values["what"] is None
        and values["text"] is None
    )


def test_a_write_that_fails_half_way_stops_the_import_with_what_was_committed_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_pieces(monkeypatch)
    monkeypatch.setattr(parallel_import, "COMMIT_ROWS", 1)  # a commit after each write...
    log_path = tmp_path / "project" / "HANDOFF.md"
    log_path.parent.mkdir()
    log_path.write_text(_log(tmp_path), encoding="utf-8")
    store = Store.open(tmp_path / "logbook.db", clock=FakeClock(), zone=MSK)
    write_rows, calls = Store.write_rows, []

    def disk_full_on_the_fourth(self: Store, *args: Any, **kwargs: Any) -> tuple[list[str], list[str]]:
        calls.append(len(args[1]))
        if len(calls) == 3:
            parallel_import.COMMIT_ROWS = 10**9  # ...but the third: it goes with the fourth
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return write_rows(self, *args, **kwargs)

    monkeypatch.setattr(Store, "write_rows", disk_full_on_the_fourth)
    with pytest.raises(OSError, match="No space left"):
        parallel_import.import_in_pieces(
            store, str(log_path.parent), log_path, log_path.read_bytes(), mirror=False, source="import"
        )
    assert len(calls) == 4 and calls[2] > 0
    assert store.count(str(log_path.parent)) == sum(calls[:2]) > 0  # two whole commits, nothing torn


def test_a_sync_of_a_long_unread_mirror_reads_it_in_pieces_as_it_would_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import importing

    small_pieces(monkeypatch)
    text = _log(tmp_path)
    first_part = text[: text.index("\n- ", len(text) // 3) + 1]
    results = []
    for way, threshold in (("pieces", 50_000), ("whole", 10**12)):
        monkeypatch.setattr(importing, "PARALLEL_FROM_BYTES", threshold)
        project = tmp_path / way
        project.mkdir()
        store = Store.open(tmp_path / f"{way}.db", clock=FakeClock(), zone=MSK)
        mirror = project / "HANDOFF.md"
        mirror.write_text(first_part, encoding="utf-8")
        importing.sync(store, str(project))  # read up to here
        with mirror.open("a", encoding="utf-8") as handle:  # a teammate's push, pulled
            handle.write(text[len(first_part) :])
        [report] = importing.sync(store, str(project))
        results.append((report, store))
    (pieces, store), (whole, whole_store) = results
    report = _same_report(pieces, whole)
    assert report["added"] > 300 and min(e.line for e in pieces.log.entries) > first_part.count("\n")
    assert _rows(store) == _rows(whole_store)
