"""The store against a real SQLite file and real mirror files in a git project."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.clock import format_local, parse_zone
from storage.errors import AmbiguousId, DuplicateEntry, NotFound, Refused
from storage.kinds import Kind
from storage.project import find_project_root, git_context
from storage.store import Store
from tests.conftest import FakeClock, git
from tests.sqlite_rows import raw_connection

HANDOFF = {
    "what": "Implemented GET /requests/{id}",
    "verify": "python -m pytest -q",
    "expected": "4 passed",
}
INCIDENT = {
    "symptom": 'pytest failed with "Event loop is closed"',
    "cause": "engine not disposed",
    "fix": "lifespan + engine.dispose()",
    "verify": "python -m pytest -q",
    "expected": "2 passed",
    "severity": "P2",
}


def rows(db_path: Path) -> list[tuple]:
    with raw_connection(db_path) as connection:
        return connection.execute("SELECT id, kind, project FROM entry ORDER BY seq").fetchall()


def test_pragmas_wal_busy_timeout_foreign_keys(store: Store) -> None:
    connection = store._read()
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with raw_connection(store.path) as raw:  # WAL is a property of the file itself
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_add_writes_the_row_and_the_mirror_line(store: Store, project: Path, db_path: Path) -> None:
    saved = store.add(str(project), Kind.INCIDENT, INCIDENT, tags=["db"], context=git_context(project))
    assert rows(db_path) == [(saved.entry.id, "incident", str(project))]
    text = (project / "INCIDENTS.md").read_text(encoding="utf-8")
    assert text.startswith("# INCIDENTS.md\n")
    assert text.endswith(
        '- 2025-12-13 23:49 MSK — [SEV2, resolved] pytest failed with "Event loop is closed"'
        " — root cause: engine not disposed — fix: lifespan + engine.dispose()"
        " — verification: `python -m pytest -q` -> 2 passed — tags: db"
        f" <!-- logbook:{saved.entry.id} -->\n"
    )
    assert saved.mirror_file == project / "INCIDENTS.md"
    assert saved.mirror_error is None
    assert not (project / "HANDOFF.md").exists()


def test_entry_metadata(store: Store, project: Path) -> None:
    saved = store.add(str(project), Kind.HANDOFF, HANDOFF, context=git_context(project), source="cli")
    entry = store.get(saved.entry.short_id)
    assert entry.author == "Ada Lovelace"
    assert entry.branch == "main"
    assert entry.commit == git(project, "rev-parse", "HEAD")
    assert entry.source == "cli"
    assert entry.created_at == datetime(2025, 12, 13, 20, 49, 1, tzinfo=UTC)
    assert format_local(entry.created_at, parse_zone("Europe/Moscow")) == "2025-12-13 23:49 MSK"
    assert format_local(entry.created_at, parse_zone("America/New_York")) == "2025-12-13 15:49 EST"
    assert len(entry.id) == 16 and entry.short_id == entry.id[:8]


def test_created_at_is_stored_in_utc(store: Store, project: Path, db_path: Path) -> None:
    store.add(str(project), Kind.NOTE, {"text": "a note"})
    with raw_connection(db_path) as connection:
        assert (
            connection.execute("SELECT created_at FROM entry").fetchone()[0] == "2025-12-13T20:49:01.000000Z"
        )


def test_author_falls_back_to_login_name_outside_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("USER", "someone")
    monkeypatch.setattr("getpass.getuser", lambda: "someone")
    context = git_context(plain)
    assert (context.author, context.branch, context.commit) == ("someone", None, None)
    assert find_project_root(plain) == plain.resolve()


def test_project_is_the_git_top_level(project: Path) -> None:
    (project / "sub" / "dir").mkdir(parents=True)
    assert find_project_root(project / "sub" / "dir") == project


def test_refused_entry_writes_nothing_anywhere(store: Store, project: Path, db_path: Path) -> None:
    store.add(str(project), Kind.HANDOFF, HANDOFF)
    before = (project / "HANDOFF.md").read_bytes()
    with pytest.raises(Refused) as refused:
        store.add(str(project), Kind.HANDOFF, {"what": "<what>", "verify": "x\x00", "expected": ""})
    assert {p.field for p in refused.value.problems} == {"what", "verify", "expected"}
    assert len(rows(db_path)) == 1
    assert (project / "HANDOFF.md").read_bytes() == before
    assert not (project / "INCIDENTS.md").exists()


def test_near_duplicate_is_refused_and_names_the_first(store: Store, project: Path, db_path: Path) -> None:
    first = store.add(str(project), Kind.HANDOFF, HANDOFF)
    reworded = {**HANDOFF, "what": "Implemented GET /requests/{id}!!  (again)"}
    with pytest.raises(DuplicateEntry) as duplicate:
        store.add(str(project), Kind.HANDOFF, reworded)
    assert duplicate.value.existing.id == first.entry.id
    assert first.entry.short_id in str(duplicate.value)
    assert len(rows(db_path)) == 1
    saved = store.add(str(project), Kind.HANDOFF, reworded, allow_duplicate=True)
    assert len(rows(db_path)) == 2 and saved.entry.id != first.entry.id


def test_reworded_seed_duplicate_is_caught(store: Store, project: Path) -> None:
    # Two entries from the seed INCIDENTS.md, appended a minute apart in different words.
    store.add(
        str(project),
        Kind.INCIDENT,
        {
            "symptom": "pytest failed with unexpected line: '\\ufeff[pytest]' because pytest.ini was written with UTF-8 BOM by PowerShell Set-Content",
            "cause": "pytest.ini written with a BOM",
            "fix": "rewrite pytest.ini as UTF-8 without BOM via .NET UTF8Encoding(false)",
        },
    )
    with pytest.raises(DuplicateEntry):
        store.add(
            str(project),
            Kind.INCIDENT,
            {
                "symptom": "pytest failed with unexpected line '\\ufeff[pytest]' because pytest.ini was written with UTF-8 BOM",
                "cause": "pytest.ini written with a BOM",
                "fix": "rewrite pytest.ini as UTF-8 without BOM via .NET UTF8Encoding(false).",
            },
        )


def test_different_entries_are_not_duplicates(store: Store, project: Path) -> None:
    store.add(
        str(project),
        Kind.HANDOFF,
        {
            "what": "Implemented PUT /api/v1/user/requests/{requestId}/keys + integration tests",
            "verify": "python -m pytest -q",
            "expected": "6 passed",
        },
    )
    store.add(
        str(project),
        Kind.HANDOFF,
        {
            "what": "Implemented POST /api/v1/user/requests/{requestId}/submit (SubmitRequestResponse) + integration tests",
            "verify": "python -m pytest -q",
            "expected": "7 passed",
        },
    )
    assert store.count(str(project)) == 2


def test_duplicates_only_count_within_24_hours_same_kind_same_project(
    store: Store, project: Path, clock: FakeClock, tmp_path: Path
) -> None:
    store.add(str(project), Kind.NOTE, {"text": "restart the dev server after editing .env"})
    other = tmp_path / "other"
    other.mkdir()
    store.add(str(other), Kind.NOTE, {"text": "restart the dev server after editing .env"})
    store.add(str(project), Kind.DECISION, {"decision": "restart the dev server after editing .env"})
    clock.advance(hours=25)
    store.add(str(project), Kind.NOTE, {"text": "restart the dev server after editing .env"})
    assert store.count(str(project)) == 3


def test_a_follow_up_is_not_a_duplicate_of_what_it_supersedes(store: Store, project: Path) -> None:
    first = store.add(str(project), Kind.HANDOFF, HANDOFF)
    follow = store.add(
        str(project),
        Kind.HANDOFF,
        {**HANDOFF, "expected": "5 passed"},
        supersedes=first.entry.short_id,
    )
    assert follow.entry.supersedes == first.entry.id
    assert store.get(first.entry.id).superseded_by == follow.entry.id
    assert f"re:{first.entry.id}" in (project / "HANDOFF.md").read_text()


def test_get_by_prefix_not_found_and_ambiguous(
    store: Store, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first add also starts a work session, which takes the second id.
    ids = iter(["abc1000000000001", "5e55000000000001", "abc2000000000002"])
    monkeypatch.setattr("storage.store.new_id", lambda: next(ids))
    store.add(str(project), Kind.NOTE, {"text": "one"})
    store.add(str(project), Kind.NOTE, {"text": "two entirely different"})
    assert store.get("abc1").fields["text"] == "one"
    assert store.get("ABC2000000000002").fields["text"] == "two entirely different"
    with pytest.raises(AmbiguousId):
        store.get("abc")
    with pytest.raises(NotFound):
        store.get("fff")
    with pytest.raises(NotFound):
        store.get("not-hex")


def test_list_is_newest_first_and_filters_by_kind(store: Store, project: Path) -> None:
    store.add(str(project), Kind.NOTE, {"text": "first note"})
    store.add(str(project), Kind.HANDOFF, HANDOFF)
    store.add(str(project), Kind.NOTE, {"text": "a second, unrelated note"})
    assert [e.summary for e in store.entries(str(project))] == [
        "a second, unrelated note",
        HANDOFF["what"],
        "first note",
    ]
    assert [e.kind for e in store.entries(str(project), kind=Kind.NOTE)] == [Kind.NOTE, Kind.NOTE]
    assert store.count(str(project), Kind.HANDOFF) == 1


def test_search_ranks_and_highlights(store: Store, project: Path) -> None:
    for topic in ("uvicorn port", "docker compose", "redis cache", "frontend build", "ci runner"):
        store.add(str(project), Kind.NOTE, {"text": f"unrelated note about the {topic}"})
    store.add(
        str(project),
        Kind.HANDOFF,
        {
            **HANDOFF,
            "why": "the request detail page needed it for the new UI; later we may revisit "
            "the schema, the alembic setup, the caching and the pagination of the list endpoint",
        },
    )
    store.add(str(project), Kind.INCIDENT, {**INCIDENT, "symptom": "alembic upgrade failed"})
    hits = store.search(str(project), "alembic")
    assert [h.entry.kind for h in hits] == [Kind.INCIDENT, Kind.HANDOFF]
    assert hits[0].summary_marked == "\x02alembic\x03 upgrade failed"
    assert "\x02alembic\x03" in hits[1].snippet_marked
    assert [h.entry.kind for h in store.search(str(project), "alembic", kind=Kind.HANDOFF)] == [Kind.HANDOFF]
    assert store.search(str(project), "engine.dispose()")[0].entry.kind is Kind.INCIDENT
    assert store.search(str(project), "alemb") == []
    assert len(store.search(str(project), "alemb", prefix_last=True)) == 2
    assert store.search(str(project), 'NEAR( "unbalanced') == []  # FTS syntax is never passed through


def test_incident_status_change_is_an_event_and_mirrored(store: Store, project: Path) -> None:
    saved = store.add(str(project), Kind.INCIDENT, {**INCIDENT, "fix": "", "status": "open"})
    changed = store.set_status(saved.entry.id, "mitigated", note="moved to port 8002")
    assert store.get(saved.entry.id).status == "mitigated"
    assert store.get(saved.entry.id).fields["status"] == "open"  # the entry itself is untouched
    assert [e.type for e in store.events(saved.entry.id)] == ["status"]
    last = (project / "INCIDENTS.md").read_text().splitlines()[-1]
    assert f"update of {saved.entry.short_id}: status open → mitigated" in last
    assert f"<!-- logbook:{changed.event.id} of:{saved.entry.id} -->" in last
    with pytest.raises(Refused):
        store.set_status(saved.entry.id, "mitigated")


def test_drafts_are_kept_updated_and_deleted(store: Store, project: Path) -> None:
    draft_id = store.save_draft(str(project), Kind.INCIDENT, {"symptom": "half"})
    store.save_draft(str(project), Kind.INCIDENT, {"symptom": "half typed"}, draft_id=draft_id)
    [draft] = store.drafts(str(project))
    assert (draft.id, draft.fields) == (draft_id, {"symptom": "half typed"})
    store.delete_draft(draft_id)
    assert store.drafts(str(project)) == []


def test_one_store_serves_many_projects(store: Store, project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    store.add(str(project), Kind.NOTE, {"text": "in the project"})
    store.add(str(other), Kind.NOTE, {"text": "in the other"})
    assert [e.summary for e in store.entries(str(project))] == ["in the project"]
    assert (other / "HANDOFF.md").exists()


def test_store_opens_at_default_location_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "from-env" / "x.db"
    monkeypatch.setenv("LOGBOOK_DB", str(target))
    with Store.open() as opened:
        assert opened.path == target
    assert target.exists()


def test_default_location_is_the_user_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_data_dir

    from storage.db import default_db_path

    monkeypatch.delenv("LOGBOOK_DB")
    assert default_db_path() == Path(user_data_dir("logbook", appauthor=False)) / "logbook.db"


@pytest.mark.parametrize("typed", ["hello OR OR world", "OR OR", "hello OR", "OR hello", '"', "a* OR *"])
def test_search_takes_any_typing_without_crashing(store: Store, project: Path, typed: str) -> None:
    store.add(str(project), Kind.NOTE, {"text": "hello world from the search test"})
    hits = store.search(str(project), typed)
    assert all(hit.entry.fields["text"].startswith("hello") for hit in hits)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(["OR", "AND", "NOT", '"', "*", "-", "(", ")", "^", ":", "hello", "wor"]), max_size=6
    )
)
def test_search_as_you_type_never_raises_anything_but_refused(
    store: Store, project: Path, words: list[str]
) -> None:
    with contextlib.suppress(Refused):
        store.search(str(project), " ".join(words))


@pytest.mark.parametrize(
    ("typed", "utc"),
    [
        ("12:41", datetime(2025, 12, 13, 9, 41, tzinfo=UTC)),  # today in Moscow (the clock: 23:49 MSK)
        ("2025-12-10 08:00", datetime(2025, 12, 10, 5, 0, tzinfo=UTC)),
        ("2025-12-10T08:00:30", datetime(2025, 12, 10, 5, 0, 30, tzinfo=UTC)),
        ("2025-12-10 08:00 UTC", datetime(2025, 12, 10, 8, 0, tzinfo=UTC)),
        ("2025-12-10 08:00 +05:00", datetime(2025, 12, 10, 3, 0, tzinfo=UTC)),
        ("2025-12-10", datetime(2025, 12, 9, 21, 0, tzinfo=UTC)),
    ],
)
def test_typed_times_are_read_in_the_store_zone_on_the_store_clock(
    store: Store, typed: str, utc: datetime
) -> None:
    assert store.typed_time(typed) == utc


@pytest.mark.parametrize("typed", ["yesterday", "25:00", "2025-13-01 10:00", ""])
def test_what_is_not_a_time_is_refused(store: Store, typed: str) -> None:
    with pytest.raises(Refused, match="is not a time"):
        store.typed_time(typed)
