"""A mirror file damaged from outside: truncated, deleted, run through a markdown formatter,
converted to CRLF or UTF-16, given a BOM. `logbook mirror check` reports it, `logbook mirror
repair` appends what is missing (in the file's own encoding and line endings), nothing of
what was there is removed, and the file still reads back to exactly the stored entries.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.importing import import_file
from storage.markdown_import import parse_log
from storage.mirror import MIRROR_FILES
from storage.store import Store
from tests.reliability.invariants import ZONE

ENTRIES: list[tuple[str, ...]] = [
    (
        "handoff",
        "--what",
        "Implemented GET /requests/{id} with pagination and a cursor that survives deletes",
        "--verify",
        "python -m pytest -q tests/api",
        "--expected",
        "41 passed",
        "--next",
        "wire the UI",
    ),
    (
        "incident",
        "--symptom",
        'pytest failed with "Event loop is closed" in the teardown of every async test',
        "--cause",
        "engine not disposed",
        "--fix",
        "lifespan + engine.dispose()",
        "--severity",
        "SEV2",
        "--verify",
        "python -m pytest -q",
        "--expected",
        "2 passed",
    ),
    (
        "decision",
        "--decision",
        "snake_case for new API schemas",
        "--why",
        "the contract says so;\nclients agree",
    ),
    ("note", "ports 8000-8002 are ours — ask before you bind anything else in that range, please"),
    (
        "incident",
        "--symptom",
        "Uvicorn failed to bind on 0.0.0.0:8000",
        "--cause",
        "another process",
        "--fix",
        "run on 8002",
        "-t",
        "infra",
    ),
    ("note", "a multi-line note\n\nwith a blank line,   runs of   spaces and a `code span`"),
]


def last_line_cut(data: bytes) -> bytes:
    """A bad merge: the last entry's line lost, and the one before cut in the middle."""
    lines = data.split(b"\n")[:-2]
    return b"\n".join(lines[:-1]) + b"\n" + lines[-1][: len(lines[-1]) // 2]


def reformat(data: bytes) -> bytes:
    """What a markdown formatter does: `*` bullets, long lines re-wrapped at 80 columns."""
    out = []
    for line in data.decode().split("\n"):
        if line.startswith("- "):
            line = "* " + line[2:]
            out += textwrap.wrap(
                line, 80, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
            )
        else:
            out.append(line)
    return "\n".join(out).encode()


def drop_last_entry(data: bytes) -> bytes:
    lines = data.split(b"\n")
    return b"\n".join([*lines[:-2], b""])


def crlf(data: bytes) -> bytes:
    return drop_last_entry(data).replace(b"\n", b"\r\n")


def utf16(data: bytes) -> bytes:
    return b"\xff\xfe" + drop_last_entry(data).decode().encode("utf-16-le")


def utf16be(data: bytes) -> bytes:
    return b"\xfe\xff" + drop_last_entry(data).decode().encode("utf-16-be")


def bom(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + drop_last_entry(data)


DAMAGE: dict[str, tuple[Callable[[bytes], bytes] | None, str, int]] = {
    # name: (what is done to HANDOFF.md, what `mirror check` says about it, entries it misses)
    "truncated": (last_line_cut, "missing", 2),  # the last line lost, the one before cut
    "deleted": (None, "does not exist", 4),
    # A formatter's re-wrap moves anchors onto the next line: still every entry's line.
    "reformatted": (reformat, "HANDOFF.md: in sync (4 entries)", 0),
    "CRLF": (crlf, "lines end in CRLF", 1),  # each of these also drops the last line
    "UTF-16 LE": (utf16, "converted to UTF-16", 1),
    "UTF-16 BE": (utf16be, "converted to UTF-16", 1),
    "BOM": (bom, "byte-order mark", 1),
}


def snapshot(db_path: Path, project: Path) -> dict[str, tuple[str, dict[str, str], tuple[str, ...]]]:
    with Store.open(db_path, zone=ZONE) as store:
        return {e.id: (e.kind.value, e.fields, e.tags) for e in store.iter_entries(str(project))}


def reimported(project: Path, tmp_path: Path) -> tuple[Store, list]:
    """The mirror files of a copy of the project, imported into a new store."""
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in MIRROR_FILES:
        if (project / name).exists():
            shutil.copy(project / name, copy / name)
    store = Store.open(tmp_path / "fresh.db", zone=ZONE)
    reports = [import_file(store, str(copy), copy / name) for name in MIRROR_FILES if (copy / name).exists()]
    return store, reports


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_mirror_is_reported_and_repaired(
    damage: str, cli, project: Path, db_path: Path, tmp_path: Path, figures
) -> None:
    change, report, missing_count = DAMAGE[damage]
    for args in ENTRIES:
        assert cli("add", *args).code == 0
    path = project / "HANDOFF.md"
    if change is None:
        path.unlink()
    else:
        path.write_bytes(change(path.read_bytes()))
    damaged = path.read_bytes() if path.exists() else b""

    check = cli("mirror", "check")
    assert report in check.out, check.out
    missing = [line for line in check.out.splitlines() if line.startswith("HANDOFF.md: missing")]
    assert len(missing) == missing_count, check.out
    assert check.code == (1 if missing_count else 0)

    repaired = cli("mirror", "repair")
    assert repaired.code == 0, repaired
    after = path.read_bytes()
    assert after.startswith(damaged)  # nothing that was there is removed or changed
    assert cli("add", "note", "written after the repair").code == 0
    final = path.read_bytes()
    assert final.startswith(after)
    again = cli("mirror", "check")
    assert not [line for line in again.out.splitlines() if "missing" in line or "pending" in line], again.out
    assert "appear more than once" not in again.out

    # The files read back, into a new store, to exactly what the store holds.
    stored = snapshot(db_path, project)
    fresh, reports = reimported(project, tmp_path)
    with fresh:
        read = {e.id: (e.kind.value, e.fields, e.tags) for e in fresh.iter_entries(str(tmp_path / "copy"))}
    assert read == stored
    own_not_understood = [
        (r.path, n, text) for r in reports for n, text in r.log.not_understood if "logbook:" in text
    ]
    figures.record("damaged mirror", "damages repaired", 1)
    figures.record("damaged mirror", "entries lost", len(set(stored) - set(read)), must_be=0)
    figures.record("damaged mirror", "entries doubled", len(set(read) - set(stored)), must_be=0)
    figures.record("damaged mirror", "files left unparseable", len(own_not_understood), must_be=0)
    log = parse_log(final, name="HANDOFF.md", default_zone=ZONE)
    assert not [text for _, text in log.not_understood if "logbook:" in text]


def test_restoring_an_export_into_a_new_store_doubles_no_line(
    cli, project: Path, tmp_path: Path, monkeypatch
) -> None:
    """A new machine, the same checkout: `logbook import all.jsonl` must not append lines the
    mirror files already hold (they were committed and pulled with the code)."""
    for args in ENTRIES:
        assert cli("add", *args).code == 0
    incident = cli("--json", "add", "incident", "--symptom", "disk full on CI", "--cause", "logs").json()
    assert cli("incident", incident["entry"]["id"], "status", "mitigated", "--note", "rotated").code == 0
    export = tmp_path / "all.jsonl"
    assert cli("export", "--format", "jsonl", "-o", str(export)).code == 0
    before = {name: (project / name).read_bytes() for name in MIRROR_FILES}
    monkeypatch.setenv("LOGBOOK_DB", str(tmp_path / "new-machine.db"))
    done = cli("import", str(export))
    assert done.code == 0 and "Imported 7 entries" in done.out and "Restored 1 event " in done.out, done
    assert {name: (project / name).read_bytes() for name in MIRROR_FILES} == before
    check = cli("mirror", "check")
    assert check.code == 0 and "more than once" not in check.out, check.out
