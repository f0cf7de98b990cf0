"""Every secret of the labelled corpus, pushed in every way text gets into logbook (`logbook
add`, a hand-kept log, a jsonl export from elsewhere, an incident's status note, a draft),
must be nowhere afterwards: not in the SQLite files (any table, the WAL, free pages), not in
HANDOFF.md / INCIDENTS.md, not in `logbook export`, not in anything the CLI printed. And the
clean corpus goes through the store unchanged (false positives are counted and bounded).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from storage.kinds import Kind
from storage.secrets import find_secrets
from storage.store import NewEntry, Store
from storage.validation import normalize_text
from tests import cli_runner
from tests.reliability.invariants import ZONE
from tests.reliability.secret_corpus import CLEAN, DIRTY
from tests.sqlite_rows import raw_connection


def run(*args: str) -> tuple[int, str]:
    """`logbook ARGS` in-process with stdout a StringIO (not a tty): everything it printed."""
    result = cli_runner.run_cli(*args)
    return result.code, result.out + result.err


def pieces(secret: str) -> list[str]:
    """The parts of a secret that would show if it leaked, even re-wrapped or condensed onto one
    line (a private key's body is many lines): each run of non-blank characters."""
    return [p for p in re.split(r"\s+|\\[nr]", secret) if len(p) >= 4]


def checkable(every_masked: str) -> list[tuple[int, str]]:
    """(line, piece) of every secret that can be looked for: a piece that also appears in the
    masked text (``amqp://guest:guest@`` keeps the user ``guest``) cannot."""
    found = []
    for index, item in enumerate(DIRTY):
        for secret in item.secrets:
            found += [(index, piece) for piece in pieces(secret) if piece not in every_masked]
    return found


def hand_kept_log(items: list[str]) -> str:
    """The corpus as a hand-kept HANDOFF.md: one dated bullet per line, its other lines indented."""
    lines = ["# HANDOFF (kept by hand)", ""]
    for n, text in enumerate(items):
        first, *rest = text.split("\n")
        lines.append(f"- 2025-12-{10 + n // 600:02d} {n // 60 % 10:02d}:{n % 60:02d} MSK — Note: {first}")
        lines += [f"  {line}" for line in rest if line.strip()]
    return "\n".join(lines) + "\n"


def test_no_secret_of_the_corpus_is_left_anywhere(
    project: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("LOGBOOK_DB", str(db_path))
    printed: list[str] = []

    def cli(*args: str) -> tuple[int, str]:
        code, out = run(*args)
        printed.append(out)
        return code, out

    # 1. `logbook add note`, one line at a time, as a person or an agent would.
    added: list[str] = []
    for item in DIRTY:
        code, out = cli("--json", "add", "note", item.text, "--allow-duplicate", "-t", "secrets")
        if code == 0:
            added.append(json.loads(out.splitlines()[0])["entry"]["id"])
    # 2. A hand-kept log and 3. someone's jsonl export, imported.
    (tmp_path / "old-handoff.md").write_text(hand_kept_log([item.text for item in DIRTY]), encoding="utf-8")
    code, out = cli("--json", "import", str(tmp_path / "old-handoff.md"))
    [report] = json.loads(out.splitlines()[0]) if code == 0 else [{}]
    assert code == 0 and report["entries"] == len(DIRTY), out  # every line read: none skipped unseen
    theirs = tmp_path / "theirs.jsonl"
    with theirs.open("w", encoding="utf-8") as handle:
        for n, item in enumerate(DIRTY):
            record = {"id": f"{n:016x}", "kind": "note", "created_at": "2025-12-01T10:00:00Z"}
            handle.write(json.dumps({**record, "text": item.text, "raw": item.text}) + "\n")
    code, out = cli("import", str(theirs))
    assert code == 0, out
    # 4. Incidents' status notes and 5. drafts.
    code, out = cli(
        "--json", "add", "incident", "--symptom", "credentials leaked in CI logs", "--cause", "unknown"
    )
    assert code == 0, out
    incident = json.loads(out.splitlines()[0])["entry"]["id"]
    statuses = [
        cli("incident", incident, "status", ("mitigated", "open")[n % 2], "--note", item.text)[0]
        for n, item in enumerate(DIRTY[:40])
    ]
    assert statuses == [0] * 40
    with Store.open(db_path, zone=ZONE) as store:
        for item in DIRTY:
            store.save_draft(str(project), Kind.NOTE, {"text": item.text})
    # Everything that shows them again.
    assert cli("sync")[0] == 0
    assert cli("list", "--limit", "10000")[0] == 0
    for word in ("password", "token", "key", "postgres", "secret"):
        assert cli("search", word, "--limit", "100")[0] in (0, 1)  # 1: nothing found
    for entry_id in [*added, incident]:
        assert cli("show", entry_id)[0] == 0
    assert cli("mirror", "check")[0] == 0
    with raw_connection(db_path) as connection:
        stored = dict(connection.execute("SELECT source, count(*) FROM entry GROUP BY source").fetchall())
    assert stored["import"] >= len(DIRTY), stored  # the hand-kept log and the jsonl both went in
    code, export = cli("export", "--format", "jsonl")
    assert code == 0 and export.count("\n") >= 2 * len(DIRTY)

    with raw_connection(db_path) as connection:
        dump = "\n".join(connection.iterdump())
    exported = "\n".join(json.dumps(json.loads(line), ensure_ascii=False) for line in export.splitlines())
    exported += "\n".join(str(v) for line in export.splitlines() for v in json.loads(line).values())
    sources = {
        "the store (every table)": dump,
        "the mirror files": "".join(
            (project / n).read_text(encoding="utf-8") for n in ("HANDOFF.md", "INCIDENTS.md")
        ),
        "logbook export": exported,
        "the CLI's output": "\n".join(printed),
    }
    raw_files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    raw = b"".join(p.read_bytes() for p in raw_files)  # the db, its WAL: free pages too

    every_masked = "\n".join(item.masked for item in DIRTY)
    looked_for = checkable(every_masked)
    leaks = {
        (index, piece, where)
        for index, piece in looked_for
        for where, text in sources.items()
        if piece in text
    }
    leaks |= {(i, p, "the SQLite files' bytes") for i, p in looked_for if len(p) >= 8 and p.encode() in raw}
    for index, piece, where in sorted(leaks)[:10]:
        print(f"LEAK in {where}: {piece!r} of line {index}: {DIRTY[index].text[:80]!r}")
    leaked_secrets = {(index, piece) for index, piece, _ in leaks}
    figures.record("secrets", "secret lines pushed in (x5 ways)", len(DIRTY))
    figures.record("secrets", "secret pieces looked for", len(looked_for), at_least=len(DIRTY))
    figures.record("secrets", "entries added by `logbook add`", len(added), must_be=len(DIRTY))
    figures.record("secrets", "secrets leaked", len(leaked_secrets), must_be=0)


def test_false_positives_on_the_clean_corpus(db_path: Path, project: Path, figures) -> None:
    """The clean corpus (the seed logs, hashes, docs about tokens...) goes in unchanged."""
    with Store.open(db_path, zone=ZONE) as store:
        result = store.add_many(
            str(project), [NewEntry(kind=Kind.NOTE, fields={"text": line}) for line in CLEAN], mirror=False
        )
        refused = {position - 1 for position, _ in result.refused}
        stored = {e.id: e.fields["text"] for e in store.iter_entries(str(project))}
    changed = [
        (line, text)
        for line, text in zip(
            [c for i, c in enumerate(CLEAN) if i not in refused],
            [stored[i] for i in result.added],
            strict=True,
        )
        if text != normalize_text(line)
    ]
    for line, text in changed[:10]:
        print(f"changed: {line!r} -> {text!r}")
    rate = len(changed) / len(CLEAN)
    detector = sum(1 for line in CLEAN if find_secrets(line))
    figures.record("secrets", "clean lines", len(CLEAN))
    figures.record("secrets", "clean lines refused (placeholders)", len(refused), total=False)
    figures.record("secrets", "false positives (clean lines changed by the store)", len(changed), at_most=0)
    figures.record("secrets", "false positive rate", f"{rate:.2%}", total=False)
    assert detector == len(changed)  # what the store changes is exactly what the detector flags
