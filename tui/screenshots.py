"""Every screen of the app, reached by keys on a demo store; `make screenshots` saves them.

`python -m tui.screenshots DIR` writes DIR/<scene>.svg for each scene below.
The snapshot tests (tests/tui/snapshots) drive the same scenes, so what the
README shows is what the tests check.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot

from storage.clock import parse_zone
from storage.kinds import Kind
from storage.store import Store

ZONE = parse_zone("Europe/Moscow")
SIZES = ((100, 30), (160, 45))


class SteppedClock:
    """A clock that starts where the demo data ends and ticks a second per call."""

    def __init__(self) -> None:
        self.now = datetime(2025, 12, 14, 14, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


async def settle(pilot: Pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _draft(store: Store, project: Path) -> None:
    store.save_draft(
        str(project), Kind.INCIDENT, {"symptom": "CI runner loses the docker socket after 2 h", "cause": ""}
    )


OLD_LOG = (
    "# HANDOFF (kept by hand)\n\n"
    "- 2025-12-13 22:40 MSK Р Р†Р вЂљРІР‚Сњ Verified API up: GET /api/v1/health -> 200. "
    "Verify: `curl localhost:8000/api/v1/health` -> ok\n"
    "- 2025-12-13 22:40 MSK Р Р†Р вЂљРІР‚Сњ Verified API up: GET /api/v1/health -> 200. "
    "Verify: `curl localhost:8000/api/v1/health` -> ok\n"
    "2025-12-13 23:11 MSK Added DB schema for drafts. Verified: alembic current -> 552d97f8cc92 (head)\n"
    "- 2025-12-14 0016 MSK INCIDENT <symptom>. Root cause: <root_cause>. Fix/mitigation: <fix>.\n"
)


def _old_log(store: Store, project: Path) -> None:
    (project / "old-handoff.md").write_text(OLD_LOG, encoding="utf-8")


@dataclass(frozen=True)
class Scene:
    name: str
    keys: tuple[str, ...] = ()
    demo: bool = True
    setup: Callable[[Store, Path], None] | None = None
    description: str = ""
    wait: float = 0.0


SCENES: tuple[Scene, ...] = (
    Scene("list", description="The list: every entry newest first"),
    Scene("list-light", keys=("ctrl+t",), description="The same list in the light theme"),
    Scene("empty", demo=False, description="A project with no entries yet"),
    Scene("filter-incidents", keys=("2",), description="Only incidents (keys 0-4 filter by kind)"),
    Scene("search", keys=("slash", *"pytest"), wait=0.4, description="Search as you type (/)"),
    Scene("detail-incident", keys=("2", "down", "down", "enter"), description="An incident in full"),
    Scene("detail-handoff", keys=("1", "enter"), description="A handoff in full"),
    Scene(
        "new-incident",
        keys=("i", *"502 from /api/v1/health", "tab", *"unknown"),
        description="A new incident being typed",
    ),
    Scene(
        "form-errors",
        keys=("i", *"<symptom>", "ctrl+s"),
        description="Refused: placeholders and missing fields are marked, nothing is written",
    ),
    Scene(
        "duplicate",
        keys=("n", *"Ports 8000-8002 are ours on this machine", "ctrl+s"),
        description="A near-duplicate: the earlier entry is shown before anything is saved",
    ),
    Scene("status", keys=("2", "enter", "s"), description="Changing an incident's status"),
    Scene("drafts", setup=_draft, description="A draft left unsaved is offered back on launch"),
    Scene(
        "import",
        keys=("ctrl+o", *"old-handoff.md"),
        setup=_old_log,
        wait=0.6,
        description="Importing a hand-kept log: repairs, repeats and templates are shown first",
    ),
    Scene("export", keys=("x",), wait=0.3, description="The session summary to hand over (x): copy or save"),
    Scene(
        "run", keys=("r", *"python -m pytest -q"), description="Running a command to record its result (r)"
    ),
    Scene(
        "incident-event",
        keys=("2", "enter", "e"),
        description="Adding a timeline event, action item, impact or lesson to an incident (e)",
    ),
    Scene("help", keys=("question_mark",), description="Every key binding (?)"),
    Scene("palette", keys=("ctrl+p",), wait=0.3, description="The command palette (ctrl+p)"),
)


def scene(name: str) -> Scene:
    return next(s for s in SCENES if s.name == name)


def prepare(scene: Scene, root: Path) -> tuple[Path, Path]:
    """A fresh store and project under ``root`` for ``scene``; returns (db path, project)."""
    from tui.demo import fill

    project = root / "b2b-platform"
    db_path = root / ".logbook" / "logbook.db"
    for old in (project, db_path.parent):
        if old.exists():
            shutil.rmtree(old)
    project.mkdir(parents=True)
    with Store.open(db_path, clock=SteppedClock(), zone=ZONE) as store:
        if scene.demo:
            fill(store, project)
        if scene.setup:
            scene.setup(store, project)
    return db_path, project


def build_app(db_path: Path, project: Path):  # noqa: ANN201 - LogbookApp, imported lazily
    from tui.app import make_app

    return make_app(db_path=db_path, project=project, clock=SteppedClock(), zone=ZONE, cursor_blink=False)


async def play(scene: Scene, pilot: Pilot) -> None:
    """Bring the app to ``scene``'s screen, the way a person would."""
    await settle(pilot)
    for key in scene.keys:
        await pilot.press(key)
        if key in ("enter", "slash", "ctrl+s", "ctrl+o", "i", "h", "n", "d", "s", "e", "r", "x", "1", "2"):
            await settle(pilot)
    if scene.wait:
        await pilot.pause(scene.wait)
    await settle(pilot)


async def _save(scene: Scene, size: tuple[int, int], out: Path, root: Path) -> Path:
    db_path, project = prepare(scene, root)
    app = build_app(db_path, project)
    async with app.run_test(size=size) as pilot:
        await play(scene, pilot)
        target = out / f"{scene.name}.svg"
        app.save_screenshot(filename=target.name, path=str(out))
    return target


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="logbook-screens-") as tmp:
        home = Path(tmp)
        os.environ["HOME"] = str(home)  # paths show as ~/b2b-platform, the same on every machine
        for item in SCENES:
            path = asyncio.run(_save(item, SIZES[1], out, home))
            print(f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    index = ["# Screens", ""] + [f"## {s.description}\n\n![{s.name}]({s.name}.svg)\n" for s in SCENES]
    (out / "README.md").write_text("\n".join(index))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
