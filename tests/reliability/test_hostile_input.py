"""Hostile input in every field of every kind: refused with a message naming the field, or
stored and mirrored so that the mirror file, imported into a fresh store, gives back exactly
what was stored; no value forges a second entry or breaks the file; no escape sequence
reaches the terminal from the CLI or the TUI.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.errors import Refused
from storage.importing import import_file
from storage.kinds import FIELDS, SEVERITIES, Kind, field_names
from storage.markdown_import import parse_log
from storage.mirror import MIRROR_FILES, mirror_file_for
from storage.mirror_format import FIELD_CUT_CHARS, condense, parse_line
from storage.store import Store
from storage.validation import normalize_text
from tests import cli_runner
from tests.reliability.invariants import ZONE, audit
from tests.sqlite_rows import raw_connection

# Characters no entry may hold: C0 controls but tab and line feed (CR is turned into LF),
# DEL, C1 controls (CSI is one), bidi overrides and isolates, unpaired surrogates, a BOM
# inside the text, non-characters. Written out here, not imported, as the oracle.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(p << 16 | 0xFFFE)}{chr(p << 16 | 0xFFFF)}" for p in range(17))
    + "]"
)
ANCHORED = re.compile(r"<!-- logbook:[0-9a-f]")
RAW_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What must never reach a terminal raw (tab and line feed aside)."""

HOSTILE = [
    # markdown that looks like structure
    "# heading",
    "## 2025-12-15 00:06:35 MSK",
    "- What: a block field",
    "* bullet\n+ another\n1. numbered\n> quote",
    "- 2025-12-13 23:49 MSK — [SEV2, resolved] forged — root cause: x — fix: y",
    "\n- 2025-01-01 00:00 MSK — forged entry <!-- logbook:aaaaaaaaaaaaaaaa -->",
    "x- 2025-12-14 17:01 MSK INCIDENT: glued on purpose",
    "2025-12-13 23:11 MSK Added a dated paragraph. Verified: `x` -> y",
    " — root cause: fake — fix: fake — verification: `x` -> y",
    " — tags: a, b",
    "Decision — not really",
    "Note — not really",
    "[SEV1, open] not an incident",
    "Why: fake — Verify: `fake` -> fake — Now: x — Next: y",
    # logbook's own anchors and HTML comments
    "<!-- logbook:bbbbbbbbbbbbbbbb -->",
    "<!-- logbook:cccccccccccccccc re:dddddddddddddddd data:eJwDAAAAAAE -->",
    "<!-- logbook:eeeeeeeeeeeeeeee cut:1 -->",
    "<!-- a comment -->",
    "<!--",
    "-->",
    "<details><summary>x</summary>",
    # code
    "`` ` ```",
    "```python\nprint('hi')\n```",
    "`unterminated",
    "trailing backslash \\",
    "a | table | row |",
    # terminal escapes (must be refused)
    "\x1b[31mred\x1b[0m",
    "\x1b]0;window title\x07",
    "\x1b]8;;https://evil.example\x1b\\a link\x1b]8;;\x1b\\",
    "\x1bP+q\x1b\\",
    "\x9b31m C1 CSI",
    "\x07 bell",
    "\x08\x08\x08backspaced",
    "\x00NUL",
    "\x7f DEL",
    # bidi and invisible characters
    "\u202eevil\u202c",
    "\u2066isolate\u2069",
    "\u200b\u200c\u200d\u2060 zero width",
    "\ufeffBOM at the start",
    "a BOM \ufeff inside",
    "\u2028 line separator \u2029 paragraph separator",
    "\x85 next line",
    "\ud800 lone surrogate",
    "\ufdd0 non-character \U0010ffff",
    # mojibake and odd text
    "Ã© Р Р†Р вЂљРІР‚Сњ looks like mojibake",
    "â€” â€œquotedâ€\x9d",
    "Ã",
    "emoji 🦉👩‍👩‍👧 and combining e\u0301",
    "crlf\r\nline\r\n",
    "lone\rcarriage return",
    "a\tb\t\tc",
    "   ",
    "REPLACE_ME",
    "<symptom>",
    "TBD",
]

SAFE = [v for v in HOSTILE if not FORBIDDEN.search(normalize_text(v))]
UNSAFE = [v for v in HOSTILE if v not in SAFE] + ["REPLACE_ME", "<symptom>", "TBD"]
SAFE = [v for v in SAFE if v not in UNSAFE]

safe_chars = st.characters(
    exclude_categories=("Cc", "Cs", "Co", "Cn"),
    exclude_characters="\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)
"""Every Unicode category logbook accepts (format characters, zero-width, combining, emoji...)."""
safe_text = st.one_of(
    st.sampled_from(SAFE),
    st.lists(st.one_of(st.sampled_from(SAFE), st.text(safe_chars, max_size=20)), min_size=1, max_size=6).map(
        "".join
    ),
    st.text(safe_chars, min_size=1, max_size=80),
    st.text(alphabet=st.sampled_from("ab -—:`<>!#\n\\[]/*_|~\t\r"), min_size=1, max_size=60),
    st.text(safe_chars, min_size=FIELD_CUT_CHARS, max_size=FIELD_CUT_CHARS * 3),
    st.tuples(st.sampled_from(SAFE), st.integers(10, 60)).map(lambda pair: " ".join([pair[0]] * pair[1])),
)
unsafe_text = st.one_of(
    st.sampled_from(UNSAFE),
    st.tuples(st.text(max_size=20), st.sampled_from(UNSAFE), st.text(max_size=20)).map("".join),
    st.text(st.characters(categories=("Cc", "Cs")), min_size=1, max_size=10).filter(
        lambda v: bool(FORBIDDEN.search(normalize_text(v)))
    ),
)


@st.composite
def entries(draw: st.DrawFn) -> tuple[Kind, dict[str, str], list[str]]:
    """An entry of any kind with hostile text in its fields; in one entry of four, one field
    (or the tags) also holds something no entry may hold."""
    kind = draw(st.sampled_from(list(Kind)))
    fields: dict[str, str] = {}
    for spec in FIELDS[kind]:
        if spec.name == "severity":
            fields[spec.name] = draw(st.sampled_from(["", *SEVERITIES, "P1", "s4"]))
        elif spec.name == "status":
            fields[spec.name] = draw(st.sampled_from(["", "resolved", "mitigated", "open"]))
        elif spec.required or draw(st.booleans()):
            fields[spec.name] = draw(safe_text)
    if kind is Kind.INCIDENT and fields.get("status") == "open":
        fields.pop("fix", None)
    tags = draw(st.sampled_from([[], ["ci"], ["db", "api"], ["#Infra", "CI"]]))
    if draw(st.integers(0, 3)) == 0:
        target = draw(st.sampled_from([*(n for n in fields if n not in ("severity", "status")), "tags"]))
        if target == "tags":
            tags = [draw(st.sampled_from(["bad tag!", "\x1b[31m", "a" * 41]))]
        else:
            fields[target] = draw(unsafe_text)
    return kind, fields, tags


class Arena:
    """A store to add to, and an empty store file to copy for each re-import."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = Store.open(root / "a.db", zone=ZONE)
        Store.open(root / "empty.db").close()
        self.count = 0
        self.seen = {"accepted": 0, "refused": 0, "cut": 0}

    def project(self) -> Path:
        self.count += 1
        path = self.root / f"p{self.count}"
        path.mkdir()
        return path

    def fresh_store(self) -> Store:
        path = self.root / f"fresh{self.count}.db"
        shutil.copy(self.root / "empty.db", path)
        return Store.open(path, zone=ZONE)

    def check(self, kind: Kind, given_fields: dict[str, str], tags: list[str]) -> None:
        """Refused by name (and nothing written), or stored, mirrored and read back exactly."""
        project = self.project()
        try:
            saved = self.store.add(str(project), kind, given_fields, tags=tags)
        except Refused as refused:
            self.seen["refused"] += 1
            named = {p.field for p in refused.problems}
            assert named <= {*field_names(kind), "tags"}, refused.problems
            assert all(p.message and p.field in str(refused) for p in refused.problems)
            for name, value in given_fields.items():  # a forbidden character is always named
                if FORBIDDEN.search(normalize_text(value)) and name not in ("severity", "status"):
                    assert name in named, (name, value, refused.problems)
            assert self.store.count(str(project)) == 0 and not list(project.iterdir())  # nothing written
            return
        self.seen["accepted"] += 1
        for name, value in given_fields.items():  # accepted: no value held a forbidden character
            assert not FORBIDDEN.search(normalize_text(value)), (name, value)
        stored = saved.entry
        assert saved.mirror_error is None
        for name, value in stored.fields.items():
            if name in given_fields and name not in ("severity", "status") and not saved.masked:
                assert value == normalize_text(given_fields[name])
        # The file holds one well-formed line for it, and nothing that reads as a second entry.
        result = audit(self.store, project)
        assert result.ok and result.entries == 1, str(result)
        path = project / mirror_file_for(kind)
        [line] = [line for line in path.read_text(encoding="utf-8").splitlines() if ANCHORED.search(line)]
        assert RAW_TERMINAL.search(line) is None
        cut = any(condense(v)[1] for v in stored.fields.values())
        parsed = parse_line(line)
        assert parsed is not None and parsed.cut == cut

        # The mirror file of a copy of the project, imported into a fresh store.
        copy = self.root / f"copy{self.count}"
        copy.mkdir()
        shutil.copy(path, copy / path.name)
        with self.fresh_store() as fresh:
            report = import_file(fresh, str(copy), copy / path.name)
            assert report.log.not_understood == [] and len(report.log.entries) == 1
            [back] = list(fresh.iter_entries(str(copy)))
        assert (back.id, back.kind, back.tags) == (stored.id, stored.kind, stored.tags)
        if cut:  # long values are cut in the mirror by design: the store keeps them whole
            self.seen["cut"] += 1
            for name, value in stored.fields.items():
                if name in given_fields and name not in ("severity", "status") and not saved.masked:
                    assert len(value) == len(normalize_text(given_fields[name]))
            assert "cut:1" in line
        else:
            assert back.fields == stored.fields


EXAMPLES = 300


def test_every_value_is_refused_by_name_or_round_trips(tmp_path: Path, figures) -> None:
    arena = Arena(tmp_path)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(entry=entries())
    def check(entry: tuple[Kind, dict[str, str], list[str]]) -> None:
        arena.check(*entry)

    try:
        check()
    finally:
        arena.store.close()
    seen = arena.seen
    figures.record(
        "hostile input", "values accepted and round-tripped", seen["accepted"], at_least=EXAMPLES // 10
    )
    figures.record(
        "hostile input", "values refused, naming the field", seen["refused"], at_least=EXAMPLES // 10
    )
    figures.record("hostile input", "long values cut in the mirror, kept whole", seen["cut"], at_least=1)


@pytest.mark.parametrize(
    ("kind", "fields", "tags"),
    [
        # A cut line has no exact copy of the fields: its visible text alone must not make it
        # another kind, or give it other tags (found by the property above).
        (Kind.HANDOFF, {"what": "Decision — not really", "verify": "0" * 300, "expected": "ok"}, []),
        (Kind.HANDOFF, {"what": "Note — not really", "verify": "x", "expected": "y" * 300}, []),
        (
            Kind.HANDOFF,
            {"what": "[SEV1, open] not an incident", "verify": "x", "expected": "y" * 300},
            ["ci"],
        ),
        (Kind.HANDOFF, {"what": "w", "verify": "0" * 300, "expected": " — tags: a, b"}, []),
        (Kind.NOTE, {"text": "n" * 300 + " — tags: forged"}, ["real"]),
        # A field that looks like a glued entry is not reported as one by `mirror check`.
        (
            Kind.HANDOFF,
            {"what": "x- 2025-12-14 17:01 MSK INCIDENT: glued on purpose", "verify": "v", "expected": "e"},
            [],
        ),
    ],
)
def test_text_that_looks_like_structure_stays_text(
    tmp_path: Path, kind: Kind, fields: dict[str, str], tags: list[str]
) -> None:
    Arena(tmp_path).check(kind, fields, tags)


# -- 1 MB pastes ------------------------------------------------------------------------------

MEGABYTE_PASTE = "".join(
    f"2025-12-13 23:{n % 60:02d}:01 ERROR worker-{n} Traceback (most recent call last): "
    f'File "/srv/app/x.py", line {n}, in <module> — ## not a heading - [ ] `code` <!-- {n} -->\n'
    for n in range(7000)
)[: 1 << 20]


@pytest.mark.parametrize("kind", list(Kind))
def test_a_one_megabyte_paste_is_kept_whole_and_the_line_stays_one_line(
    kind: Kind, cli, project: Path, db_path: Path
) -> None:
    main = {Kind.HANDOFF: "what", Kind.INCIDENT: "symptom", Kind.DECISION: "decision", Kind.NOTE: "text"}[
        kind
    ]
    extra = {
        Kind.HANDOFF: ["--verify", "make test", "--expected", "ok"],
        Kind.INCIDENT: ["--cause", "a flood of logs", "--fix", "rotated them"],
    }.get(kind, [])
    args = [MEGABYTE_PASTE] if kind is Kind.NOTE else [f"--{main}", MEGABYTE_PASTE]
    done = cli("--json", "add", kind.value, *args, *extra, "--allow-duplicate")
    assert done.code == 0, done.err[:500]
    entry_id = done.json()["entry"]["id"]
    with Store.open(db_path, zone=ZONE) as store:
        assert store.get(entry_id).fields[main] == MEGABYTE_PASTE.strip()
        assert audit(store, project).ok
    text = (project / mirror_file_for(kind)).read_text(encoding="utf-8")
    [line] = [line for line in text.splitlines() if entry_id in line]
    assert len(line) < 4 * FIELD_CUT_CHARS and "cut:1" in line
    shown = cli("show", entry_id)
    assert shown.code == 0 and MEGABYTE_PASTE.strip().splitlines()[-1] in shown.out


def test_a_paste_over_the_limit_is_refused_naming_the_field(cli, project: Path) -> None:
    done = cli("add", "note", "x" * 2_000_001)
    assert done.code == 1
    assert "text: is 2,000,001 characters; the limit is 2,000,000" in done.err
    assert not (project / "HANDOFF.md").exists()


# -- the terminal -------------------------------------------------------------------------------

ESCAPES = "\x1b[2J\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x9b6n \u202eevil\u202c"


def run_cli(*args: str) -> tuple[int, str]:
    """`logbook ARGS` in-process with stdout a StringIO (not a tty): everything it printed."""
    result = cli_runner.run_cli(*args)
    return result.code, result.out + result.err


def hostile_store(project: Path, tmp_path: Path) -> dict[str, str]:
    """Entries whose text came in every way that is not `logbook add` checking it: an import of
    someone's export, a hand-kept log, an incident's status note. Returns their ids."""
    ids: dict[str, str] = {}
    code, out = run_cli("--json", "add", "incident", "--symptom", "db down", "--cause", "unknown")
    assert code == 0, out
    ids["incident"] = json.loads(out.splitlines()[0])["entry"]["id"]
    code, out = run_cli("incident", ids["incident"], "status", "mitigated", "--note", f"note {ESCAPES}")
    assert code == 1 and "note" in out, out  # refused by name (the store never holds it)
    export = tmp_path / "theirs.jsonl"
    record = {
        "id": "00000000000000ee",
        "kind": "note",
        "created_at": "2025-12-14T10:00:00Z",
        "text": "a note from someone else's export",
        "author": f"Mallory {ESCAPES}",
        "branch": f"main{ESCAPES}",
        "commit": f"abc{ESCAPES}",
        "origin": f"o{ESCAPES}",
        "raw": f"r{ESCAPES}",
        "tags": ["imported"],
    }
    export.write_text(
        json.dumps(record) + "\n" + json.dumps({**record, "id": "00000000000000ef", "text": ESCAPES})
    )
    code, out = run_cli("import", str(export))
    assert code == 1 and "Imported 1 entry" in out and "entry 2: text: contains a terminal escape" in out, out
    ids["jsonl"] = "00000000000000ee"
    log = tmp_path / "hand.md"
    log.write_text(f"- 2025-12-14 12:00 MSK — Reset the DB by hand {ESCAPES}. Verified: psql -> 1\n")
    code, out = run_cli("import", str(log))
    assert code == 0, out
    with Store.open(None) as store:
        ids["hand"] = next(
            e.id for e in store.iter_entries(str(project)) if (e.origin or "").startswith("hand.md")
        )
    return ids


def test_no_escape_sequence_reaches_the_terminal_from_the_cli(
    project: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("LOGBOOK_DB", str(db_path))
    ids = hostile_store(project, tmp_path)
    outputs = {
        "list": run_cli("list"),
        "search": run_cli("search", "note"),
        "search db": run_cli("search", "db"),
        "show incident": run_cli("show", ids["incident"]),
        "show hand-kept": run_cli("show", ids["hand"]),
        "mirror check": run_cli("mirror", "check"),
        "sync": run_cli("sync"),
        "import dry run": run_cli("import", "--dry-run", str(tmp_path / "hand.md")),
    }
    leaks = {
        name: RAW_TERMINAL.findall(out) for name, (_, out) in outputs.items() if RAW_TERMINAL.search(out)
    }
    files = {n: (project / n).read_text(encoding="utf-8") for n in MIRROR_FILES if (project / n).exists()}
    file_leaks = {
        n: RAW_TERMINAL.findall(t.replace("\t", "")) for n, t in files.items() if RAW_TERMINAL.search(t)
    }
    figures.record("hostile input", "CLI outputs with a raw escape sequence", len(leaks), must_be=0)
    figures.record("hostile input", "mirror files with a raw escape sequence", len(file_leaks), must_be=0)
    assert not leaks and not file_leaks
    for name, log in files.items():
        assert parse_log(log, name=name, default_zone=ZONE).not_understood == []


def test_show_prints_no_escape_from_an_imported_author(
    project: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("LOGBOOK_DB", str(db_path))
    hostile_store(project, tmp_path)
    code, out = run_cli("show", "00000000000000ee")
    assert code == 0
    assert not RAW_TERMINAL.search(out), repr(out)


def test_show_prints_no_escape_from_git_user_name(project: Path, db_path: Path, monkeypatch) -> None:
    subprocess.run(["git", "config", "user.name", f"Ada {ESCAPES}"], cwd=project, check=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("LOGBOOK_DB", str(db_path))
    _, out = run_cli("--json", "add", "note", "who wrote this?")
    _, out = run_cli("show", json.loads(out)["entry"]["id"])
    assert not RAW_TERMINAL.search(out), repr(out)


def test_a_status_note_with_control_characters_is_refused_by_name(cli, project: Path) -> None:
    done = cli("--json", "add", "incident", "--symptom", "db down", "--cause", "unknown")
    entry_id = done.json()["entry"]["id"]
    for note in (f"note {ESCAPES}", "bad \udcff byte"):
        changed = cli("incident", entry_id, "status", "mitigated", "--note", note)
        assert changed.code == 1 and "note" in changed.err, changed


def raw_controls(svg: str) -> list[str]:
    return sorted(set(RAW_TERMINAL.findall(svg.replace("\n", "").replace("\t", ""))))


async def render(project: Path, db_path: Path) -> dict[str, str]:
    """Screenshots (SVG text) of the list, of every entry's detail screen and of the drafts
    picker, reached with keys from the real app as a user would."""
    from tests.tui.conftest import settle
    from tui.app import make_app
    from tui.screens.detail import DetailScreen
    from tui.screens.modals import DraftsScreen
    from tui.widgets.entry_list import EntryList

    app = make_app(db_path=db_path, project=project, zone=ZONE, cursor_blink=False)
    screens: dict[str, str] = {}
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, 5)
        if isinstance(app.screen, DraftsScreen):  # drafts left over are offered first
            screens["drafts"] = app.export_screenshot()
            await pilot.press("escape")
            await settle(pilot)
        screens["list"] = app.export_screenshot()
        count = app.screen.query_one(EntryList).count or 0
        await pilot.press("home")
        for row in range(count):
            if row:
                await pilot.press("down")
            await pilot.press("enter")
            await settle(pilot, 5)
            assert isinstance(app.screen, DetailScreen), app.screen
            screens[app.screen.entry_id] = app.export_screenshot()
            await pilot.press("escape")
            await settle(pilot)
        if "drafts" not in screens:
            await pilot.press("ctrl+d")
            await settle(pilot, 5)
            if isinstance(app.screen, DraftsScreen):
                screens["drafts"] = app.export_screenshot()
    return screens


def plant_escapes(db_path: Path, project: Path) -> str:
    """Raw escapes put straight into the database, as an older logbook or a hand edit could
    have left them: the screens must not pass them to the terminal either. Returns the entry id."""
    with Store.open(db_path, zone=ZONE) as store:
        saved = store.add(str(project), Kind.HANDOFF, {"what": "planted", "verify": "true", "expected": "ok"})
        store.save_draft(str(project), Kind.NOTE, {"text": "a draft"})
    with raw_connection(db_path) as connection:
        connection.execute(
            "UPDATE entry SET summary = ?, what = ?, verify = ?, raw = ?, tags = ?, author = ?, branch = ?"
            " WHERE id = ?",
            (*(f"{name} {ESCAPES}" for name in ("s", "w", "v", "r", "t", "a", "b")), saved.entry.id),
        )
        connection.execute("UPDATE draft SET fields = ?", (json.dumps({"text": f"draft {ESCAPES}"}),))
        connection.commit()
    return saved.entry.id


async def test_no_escape_sequence_reaches_the_tui(
    project: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures
) -> None:
    """The list, detail and drafts screens of entries holding the hostile text logbook accepts
    (markdown, anchors, zero-width and bidi-free Unicode, mojibake), of a hand-kept line that
    held escapes, and of rows with raw escapes planted in the database, rendered by Textual."""
    monkeypatch.chdir(project)
    monkeypatch.setenv("LOGBOOK_DB", str(db_path))
    ids = [hostile_store(project, tmp_path)["hand"]]
    accepted = [v for v in HOSTILE if not FORBIDDEN.search(normalize_text(v)) and v.strip()]
    with Store.open(db_path, zone=ZONE) as store:
        for value in accepted:
            if store.find_repeat(str(project), Kind.NOTE, {"text": value}, store.clock()) is None:
                try:
                    ids.append(
                        store.add(str(project), Kind.NOTE, {"text": value}, allow_duplicate=True).entry.id
                    )
                except Refused:
                    continue  # a placeholder
    planted = plant_escapes(db_path, project)
    screens = await render(project, db_path)
    assert {*ids, planted, "drafts"} <= set(screens)  # every entry's screen was seen
    assert "\\u001b" in screens[planted]  # shown as a visible escape, not dropped unseen
    leaks = {name: found for name, svg in screens.items() if (found := raw_controls(svg))}
    figures.record("hostile input", "TUI screens rendered", len(screens))
    figures.record("hostile input", "TUI screens with a raw control character", len(leaks), must_be=0)


async def test_the_detail_screen_shows_no_escape_from_a_status_note_or_an_imported_author(
    project: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("LOGBOOK_DB", str(db_path))
    ids = hostile_store(project, tmp_path)
    screens = await render(project, db_path)
    assert "Mallory" in screens[ids["jsonl"]]  # the screen did show the entry
    assert {name: raw_controls(svg) for name, svg in screens.items()} == {name: [] for name in screens}
