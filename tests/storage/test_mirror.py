"""HANDOFF.md / INCIDENTS.md: append-only, newline-safe, UTF-8 without BOM, LF."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.clock import parse_zone
from storage.kinds import Kind
from storage.mirror import open_for_append, scan
from storage.mirror_format import FIELD_CUT_CHARS, parse_line, render_line
from storage.store import Store

MSK = parse_zone("Europe/Moscow")
WHEN = datetime(2025, 12, 13, 20, 49, tzinfo=UTC)
HANDOFF = {
    "what": "Implemented GET /requests/{id}",
    "verify": "python -m pytest -q",
    "expected": "4 passed",
}


def line(kind: Kind, fields: dict[str, str], **extra: object) -> str:
    return render_line(
        entry_id="0123456789abcdef", kind=kind, fields=fields, created_at=WHEN, zone=MSK, **extra
    )


def test_handoff_line_in_the_seed_style() -> None:
    assert line(Kind.HANDOFF, HANDOFF) == (
        "- 2025-12-13 23:49 MSK — Implemented GET /requests/{id} — Verify: `python -m pytest -q`"
        " -> 4 passed <!-- logbook:0123456789abcdef -->"
    )


def test_decision_and_note_lines() -> None:
    assert line(Kind.DECISION, {"decision": "snake_case for new API schemas", "why": "SSoT"}) == (
        "- 2025-12-13 23:49 MSK — Decision — snake_case for new API schemas — Why: SSoT"
        " <!-- logbook:0123456789abcdef -->"
    )
    assert line(Kind.NOTE, {"text": "ports 8000-8002 are ours"}).startswith(
        "- 2025-12-13 23:49 MSK — Note — ports"
    )


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (Kind.HANDOFF, {**HANDOFF, "why": "contract", "now": "green", "next": "pagination"}),
        (
            Kind.INCIDENT,
            {
                "symptom": "s",
                "cause": "c",
                "fix": "f",
                "verify": "v",
                "expected": "e",
                "severity": "SEV1",
                "status": "resolved",
            },
        ),
        (Kind.INCIDENT, {"symptom": "port busy", "cause": "unknown", "status": "open"}),
        (Kind.DECISION, {"decision": "d", "why": "w", "consequences": "c"}),
        (Kind.NOTE, {"text": "plain"}),
        (Kind.HANDOFF, {**HANDOFF, "verify": "echo `date` | grep 2025"}),
        (Kind.HANDOFF, {**HANDOFF, "what": "two\nlines — with — dashes — Why: forged"}),
        (Kind.NOTE, {"text": "ends with <!-- logbook:ffffffffffffffff -->"}),
    ],
)
def test_lines_read_back_to_the_same_fields(kind: Kind, fields: dict[str, str]) -> None:
    parsed = parse_line(line(kind, fields, tags=("db", "ci")))
    assert parsed is not None
    assert (parsed.kind, parsed.fields, parsed.tags, parsed.entry_id) == (
        kind,
        fields,
        ("db", "ci"),
        "0123456789abcdef",
    )


def test_multiline_text_is_condensed_to_one_line() -> None:
    text = line(Kind.NOTE, {"text": "first line\n\n  second   line\n- 2025-01-01 00:00 MSK — forged"})
    assert "\n" not in text
    assert "— Note — first line / second line / - 2025-01-01 00:00 MSK — forged" in text


def test_long_text_is_cut_in_the_mirror_not_in_the_store(store: Store, project: Path) -> None:
    trace = "Traceback (most recent call last):\n" + "\n".join(
        f'  File "x.py", line {i}' for i in range(2000)
    )
    saved = store.add(str(project), Kind.INCIDENT, {"symptom": trace, "cause": "c", "fix": "f"})
    assert store.get(saved.entry.id).fields["symptom"] == trace
    last = (project / "INCIDENTS.md").read_text().splitlines()[-1]
    assert len(last) < 3 * FIELD_CUT_CHARS
    assert "…" in last and "cut:1" in last


def test_existing_bytes_are_never_changed_and_glued_lines_prevented(store: Store, project: Path) -> None:
    (project / "HANDOFF.md").write_bytes(
        b"# HANDOFF\n\nteammate's line without a final newline - caf\xc3\xa9"
    )
    before = (project / "HANDOFF.md").read_bytes()
    saved = store.add(str(project), Kind.HANDOFF, HANDOFF)
    after = (project / "HANDOFF.md").read_bytes()
    assert after.startswith(before)
    added = after[len(before) :]
    assert added.startswith(b"\n- 2025-12-13 23:49 MSK")
    assert added.endswith(f"<!-- logbook:{saved.entry.id} -->\n".encode())
    assert b"\r" not in added and not added.startswith(b"\xef\xbb\xbf")


def test_new_file_gets_a_header_utf8_without_bom(store: Store, project: Path) -> None:
    store.add(str(project), Kind.NOTE, {"text": "héllo — wörld"})
    data = (project / "HANDOFF.md").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.startswith(b"# HANDOFF.md\n\n## Rules (owned here)\n")
    assert b"## Progress log (append-only)\n- 2025" in data
    assert "héllo — wörld".encode() in data and b"\r\n" not in data


def test_crlf_file_is_appended_with_crlf(store: Store, project: Path) -> None:
    (project / "HANDOFF.md").write_bytes(b"# HANDOFF\r\n- old entry\r\n")
    store.add(str(project), Kind.NOTE, {"text": "new"})
    data = (project / "HANDOFF.md").read_bytes()
    assert data.startswith(b"# HANDOFF\r\n- old entry\r\n- 2025")
    assert data.endswith(b"-->\r\n") and data.count(b"\n") == data.count(b"\r\n")


def test_utf16_file_is_appended_in_utf16(store: Store, project: Path) -> None:
    original = "\ufeff# HANDOFF\r\n- old entry\r\n".encode("utf-16-le")
    (project / "HANDOFF.md").write_bytes(original)
    saved = store.add(str(project), Kind.NOTE, {"text": "new"})
    data = (project / "HANDOFF.md").read_bytes()
    assert data.startswith(original)
    text = data.decode("utf-16")
    assert text.endswith(f"<!-- logbook:{saved.entry.id} -->\r\n")
    assert scan(project / "HANDOFF.md").anchors[saved.entry.id] == 1


def test_scan_reports_what_editors_did(project: Path) -> None:
    path = project / "HANDOFF.md"
    path.write_bytes(
        b"\xef\xbb\xbf# x\r\n- a <!-- logbook:0123456789abcdef -->\r\npassed.- 2025-12-14 17:01 MSK glued\r\n"
    )
    result = scan(path)
    assert result.anchors["0123456789abcdef"] == 1
    assert any("byte-order mark" in p for p in result.problems)
    assert any("CRLF" in p for p in result.problems)
    assert any("glued" in p for p in result.problems)


def test_append_holds_an_exclusive_lock(project: Path) -> None:
    import fcntl

    path = project / "HANDOFF.md"
    with open_for_append(path) as appender:
        appender.append(["- one"])
        other = os.open(path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    assert path.read_text().endswith("- one\n")
