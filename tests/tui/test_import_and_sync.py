"""Hand-kept logs in the TUI: what teammates append is picked up on start; ctrl+o imports a file."""

from __future__ import annotations

import json
from pathlib import Path

from storage.kinds import Kind
from storage.store import Store
from tests.cli_runner import run_cli
from tests.tui.conftest import MSK, rows, settle
from tests.waiting import wait_until_async
from tui.screens.importing import ImportScreen
from tui.screens.main import MainScreen
from tui.widgets.entry_list import EntryList

OLD_LOG = """# HANDOFF (kept by hand)

- 2025-12-13 22:40 MSK \u2014 Verified API up: GET /api/v1/health -> 200. Verify: `curl localhost:8000/api/v1/health` -> ok
- 2025-12-13 22:40 MSK \u2014 Verified API up: GET /api/v1/health -> 200. Verify: `curl localhost:8000/api/v1/health` -> ok
2025-12-13 23:11 MSK Added DB schema for drafts. Verified: alembic current -> 552d97f8cc92 (head)
- 2025-12-14 0016 MSK INCIDENT <symptom>. Root cause: <root_cause>. Fix/mitigation: <fix>.
"""


async def test_teammates_lines_are_taken_in_on_start(app_factory, db_path: Path, project: Path) -> None:
    (project / "INCIDENTS.md").write_text(
        "# INCIDENTS\n\n- 2025-12-14 12:41 MSK INCIDENT Uvicorn failed to bind on 0.0.0.0:8000.\n"
        "  Root cause: another process listens on 8000.\n  Fix/Mitigation: run on 8002.\n"
    )
    app = app_factory()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, 5)
        entries = app.screen.query_one(EntryList)
        assert entries.count == 1
        assert entries.highlighted.summary == "Uvicorn failed to bind on 0.0.0.0:8000"
        assert any("Took in 1 entry" in n.message for n in app._notifications)
    assert rows(db_path, "SELECT source, cause, origin FROM entry") == [
        ("sync", "another process listens on 8000", "INCIDENTS.md:3")
    ]


async def test_import_screen_previews_then_imports(app_factory, db_path: Path, project: Path) -> None:
    (project / "old-handoff.md").write_text(OLD_LOG)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, ImportScreen)
        await pilot.press(*"old-handoff.md")
        await pilot.pause(0.5)
        await settle(pilot)
        preview = str(app.screen.query_one("#import-preview").render())
        assert "4 dated entries" in preview and "would add 2" in preview
        assert "line 4 (2025-12-13 22:40 MSK) repeats line 3" in preview
        assert "line 6: <symptom>" in preview
        assert rows(db_path, "SELECT count(*) FROM entry") == [(0,)]  # a preview writes nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one(EntryList).count == 2
        await pilot.press("enter")  # the newest: line 5 of the file, as it was written
        await settle(pilot)
        source = app.screen.query_one("#detail").source
        assert "### As written (old-handoff.md:5)" in source
        quoted = [line for line in source.splitlines() if line.startswith("> ")]
        assert len(quoted) == 1 and "Added DB schema for drafts" in quoted[0] and "552d97f8cc92" in quoted[0]
    assert sorted(rows(db_path, "SELECT kind, source FROM entry")) == [
        ("handoff", "import"),
        ("handoff", "import"),
    ]
    assert "Added DB schema for drafts" in (project / "HANDOFF.md").read_text()  # mirrored like any add


async def test_import_screen_restores_an_export_with_its_events(
    app_factory, db_path: Path, project: Path, tmp_path: Path, clock
) -> None:
    """A .jsonl export is read as one (it used to go to the markdown reader and add nothing)."""
    elsewhere, their_project = tmp_path / "elsewhere.db", tmp_path / "their-checkout"
    their_project.mkdir()
    with Store.open(elsewhere, clock=clock, zone=MSK) as other:
        saved = other.add(str(their_project), Kind.INCIDENT, {"symptom": "db down", "cause": "disk full"})
        other.set_status(saved.entry.id, "mitigated", note="rotated the logs")
    export = project / "backup.jsonl"
    assert (
        run_cli(
            "--db",
            str(elsewhere),
            "--project",
            str(their_project),
            "export",
            "--format",
            "jsonl",
            "-o",
            str(export),
        ).code
        == 0
    )
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        preview = await _preview_of(pilot, "backup.jsonl", shows="Would import")
        assert "Would import 1 entry (0 already present" in preview
        assert rows(db_path, "SELECT count(*) FROM entry") == [(0,)]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one(EntryList).count == 1
    assert rows(db_path, "SELECT id, kind FROM entry") == [(saved.entry.id, "incident")]
    assert rows(db_path, "SELECT type, json_extract(data, '$.status') FROM event") == [
        ("status", "mitigated")
    ]


def _preview(app) -> str:
    return str(app.screen.query_one("#import-preview").render())


async def _preview_of(pilot, path: str, *, shows: str) -> str:
    """Open the import screen by keys, type ``path``, and wait for its preview to show ``shows``."""
    await pilot.press("ctrl+o")
    await settle(pilot)
    await pilot.press(*path)
    await wait_until_async(lambda: shows in _preview(pilot.app), "the preview")
    return _preview(pilot.app)


async def test_an_export_that_only_adds_events_refreshes_the_list(
    app_factory, db_path: Path, project: Path, tmp_path: Path, clock
) -> None:
    """The store has the incident from an older export; the newer one adds only its status change.
    The preview said nothing of it, and the list kept showing the incident open."""
    elsewhere, their_project = tmp_path / "elsewhere.db", tmp_path / "their-checkout"
    their_project.mkdir()
    with Store.open(elsewhere, clock=clock, zone=MSK) as other:
        saved = other.add(str(their_project), Kind.INCIDENT, {"symptom": "db down", "cause": "disk full"})
        other.set_status(saved.entry.id, "mitigated", note="rotated the logs")
    newer = project / "newer.jsonl"
    export = ["--db", str(elsewhere), "--project", str(their_project), "export", "--format", "jsonl"]
    assert run_cli(*export, "-o", str(newer)).code == 0
    older = json.loads(newer.read_text())
    older.update(status="open", events=[])
    (tmp_path / "older.jsonl").write_text(json.dumps(older) + "\n")
    assert (
        run_cli("--db", str(db_path), "--project", str(project), "import", str(tmp_path / "older.jsonl")).code
        == 0
    )
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        entries = app.screen.query_one(EntryList)
        assert entries.highlighted.status == "open"
        await _preview_of(pilot, "newer.jsonl", shows="Would import")
        preview = _preview(app)
        assert "Would import 0 entries (1 already present, 0 refused)." in preview
        assert "Would restore 1 event" in preview
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        await wait_until_async(lambda: entries.highlighted is not None, "the list")
        assert entries.highlighted.status == "mitigated"
        assert any(
            "Imported 0 entries and 1 change to entries from newer.jsonl" in n.message
            for n in app._notifications
        )
    assert rows(db_path, "SELECT json_extract(data, '$.status') FROM event") == [("mitigated",)]


async def test_the_import_screen_says_what_it_masks(app_factory, db_path: Path, project: Path) -> None:
    """The preview said nothing of the password it would mask, and the import closed saying only
    how many entries it took: the masking was never shown in the TUI."""
    (project / "old.md").write_text(
        "# HANDOFF\n- 2025-12-14 12:47 MSK Connected with postgres://app:hunter2hunter2@db:5432/app."
        " Verified: psql -> ok\n"
    )
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _preview_of(pilot, "old.md", shows="would add")
        assert "masked: a password in a URL (1)" in _preview(app)
        assert rows(db_path, "SELECT count(*) FROM entry") == [(0,)]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        [notice] = [n.message for n in app._notifications if "old.md" in n.message]
        assert "Imported 1 entry from old.md." in notice
        assert "Masked 1 secret before saving: a password in a URL." in notice
    [(what,)] = rows(db_path, "SELECT what FROM entry")
    assert "hunter2hunter2" not in what


async def test_a_path_with_brackets_is_shown_as_typed(app_factory, project: Path) -> None:
    """A path holding "[/]" used to end the app with a MarkupError in the preview."""
    (project / "notes[").mkdir()
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _preview_of(pilot, "notes[/]x.md", shows="No file at")
        assert f"No file at {project}/notes[/]x.md." in _preview(app)
        assert isinstance(app.screen, ImportScreen)
