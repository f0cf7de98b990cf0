"""Four processes each run `logbook add` 250 times on one store and one project while the TUI
is open on it, keys pressed now and then and a few entries typed into it: all of them land,
once, in the store and in the mirror files, no line glued to another, and nobody is told
"database is locked"."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from storage.store import Store
from tests.reliability.invariants import ZONE, audit
from tests.reliability.load_writer import arguments
from tests.tui.conftest import settle
from tests.waiting import past, wait_until_async
from tui.app import make_app
from tui.messages import STORE_LOCKED
from tui.screens.form import EntryForm
from tui.screens.main import MainScreen
from tui.widgets.entry_list import EntryList

WRITERS = ("alpha", "bravo", "charlie", "delta")
EACH = 250
TYPED = [
    "the staging database is read-only on Fridays",
    "ports 8000-8002 are reserved for the API gateway",
    "rotate the CI deploy key before the audit in March",
]
SCRIPT = Path(__file__).with_name("load_writer.py")
ROOT = Path(__file__).resolve().parents[2]
KEYS = ["1", "2", "3", "4", "0", "j", "j", "k", "down", "pagedown", "home", "end", "question_mark", "escape"]


async def test_four_writers_and_an_open_tui(project: Path, db_path: Path, tmp_path: Path, figures) -> None:
    Store.open(db_path).close()
    go = tmp_path / "go"
    logs = {name: (tmp_path / f"{name}.out", tmp_path / f"{name}.err") for name in WRITERS}
    rng = random.Random(1000)
    app = make_app(db_path=db_path, project=project, zone=ZONE, cursor_blink=False)
    told: list[tuple[str, str]] = []  # every notification the TUI showed
    show = app.notify

    def notify(message: str, *args, **kwargs):
        told.append((str(message), str(kwargs.get("severity", "information"))))
        return show(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, 5)
        writers = []
        for name in WRITERS:
            out, err = logs[name]
            writers.append(
                subprocess.Popen(
                    [sys.executable, str(SCRIPT), str(db_path), str(project), name, str(EACH), str(go)],
                    cwd=ROOT,
                    stdout=out.open("w"),
                    stderr=err.open("w"),
                )
            )
        await wait_until_async(
            lambda: all(Path(f"{go}.{name}.ready").exists() for name in WRITERS), "every writer ready"
        )
        go.touch()
        typed = 0
        presses = 0
        late = past()
        while any(w.poll() is None for w in writers):
            assert not late(), "the writers did not finish in time"
            if isinstance(app.screen, MainScreen) and typed < len(TYPED) and presses % 4 == 0:
                # An entry typed into the TUI while the writers write.
                await pilot.press("n")
                await settle(pilot)
                assert isinstance(app.screen, EntryForm)
                await pilot.press(*f"typed in the tui: {TYPED[typed]}")
                await pilot.press("ctrl+s")
                await settle(pilot)
                assert isinstance(app.screen, MainScreen), app.screen
                typed += 1
                presses += 1
            else:
                await pilot.press(rng.choice(KEYS))
                presses += 1
                if isinstance(app.screen, MainScreen) and rng.random() < 0.1:
                    await pilot.press("enter")  # open the entry under the cursor, and back
                    await settle(pilot)
                    await pilot.press("escape")
            await pilot.pause(0.05)
        codes = [w.wait(timeout=300) for w in writers]
        # The list shows every entry once it reloads (a filter key reloads it).
        await pilot.press("escape", "1", "0")
        await settle(pilot, 5)
        shown = app.screen.query_one(EntryList).count

    errors = {name: err.read_text() for name, (_, err) in logs.items()}
    said = "".join(out.read_text() for out, _ in logs.values()) + "".join(errors.values())
    with Store.open(db_path, zone=ZONE) as store:
        entries = list(store.iter_entries(str(project)))
        result = audit(store, project)
    markers = [e.summary.split()[0] for e in entries if not e.summary.startswith("typed in the tui")]
    expected = {
        arguments(name, n)[2 if n % 4 != 3 else 1].split()[0] for name in WRITERS for n in range(EACH)
    }
    lost = len(expected - set(markers))
    doubled = len(markers) - len(set(markers))
    figures.record("4 writers + TUI", "entries written", len(entries))
    figures.record("4 writers + TUI", "entries typed in the TUI meanwhile", typed)
    figures.record("4 writers + TUI", "keys pressed in the TUI meanwhile", presses)
    figures.record("4 writers + TUI", "lost", lost, must_be=0)
    figures.record("4 writers + TUI", "doubled", doubled + result.doubled, must_be=0)
    figures.record("4 writers + TUI", "torn or glued lines", result.torn, must_be=0)
    figures.record("4 writers + TUI", "files left unparseable", result.unparseable, must_be=0)
    said += "".join(message for message, _ in told)
    busy = sum(said.count(word) for word in ("locked", "busy", STORE_LOCKED))
    figures.record("4 writers + TUI", "'database is locked' shown", busy, must_be=0)
    assert [message for message, severity in told if severity in ("error", "warning")] == []
    assert codes == [0] * len(WRITERS), errors
    assert all(not text for text in errors.values()), errors
    assert result.ok and result.entries == len(WRITERS) * EACH + typed, str(result)
    assert shown == len(WRITERS) * EACH + typed
