"""The two real hand-kept logs in ../shared/seeds, taken in.

The expected numbers were worked out by reading the files line by line
(line numbers are those of the files as stored):

INCIDENTS.md (000_...): 22 dated entries (21 lines, one of them two entries
glued together at line 44: "…40 passed.- 2025-12-14 17:01 MSK …").
- 4 repeats: line 18 rewords line 17 (23:49, "Event loop is closed"); line 24
  rewords line 22 (00:05–00:24, missing DATABASE_URL); lines 25 and 26
  reword line 23 (00:35–00:36, pytest.ini BOM) — three versions of one entry.
- 2 unfilled templates: lines 27 and 28 ("<symptom>. Root cause: <root_cause>").
- 16 incidents imported. Line 43 mentions REPLACE_ME in prose: a real entry.

HANDOFF.md (001_...): 56 dated entries in three formats: dated bullets,
dated paragraphs (lines 114-152) and two "## datetime" blocks (lines 193, 200);
line 187 holds two glued entries.
- 6 repeats: 146 = 144 (identical, 23:43); 154 rewords 152 (23:49, Event loop);
  163 rewords 162 (00:36, pytest.ini BOM); 166 = 165 (same text at "0016" and
  01:23); 182 rewords 181 (Messaging MVP at 13:50 and 13:58 — INCIDENTS.md
  line 43 says this entry "was appended twice"); 190 = 189 (identical, 17:25).
- 2 decisions (lines 172, 173: "— Decision — …"), 1 note (line 178:
  "Process note: …"), 47 handoffs.
- Line 157 ("- If step failed: log it in INCIDENTS.md") is a stray rule: not
  understood, left out. Rules, headers and sections 0-7 are not entries.
"""

from __future__ import annotations

import re
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.clock import parse_zone
from storage.importing import import_file, sync
from storage.kinds import Kind
from storage.markdown_import import parse_log
from storage.mojibake import looks_like_mojibake
from storage.store import Store

# Byte-for-byte copies of ../shared/seeds/000_6ec33b1100cd4c9f.txt and 001_58b30f779ce54a54.txt.
SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
INCIDENTS_SEED = SEEDS / "INCIDENTS.md"
HANDOFF_SEED = SEEDS / "HANDOFF.md"
MSK = parse_zone("Europe/Moscow")
MOJIBAKE_MARKS = re.compile(r"Р[ \u00a0][РС]|РІР|вЂ|Ã.|â€")


def parsed(path: Path, name: str):
    return parse_log(path.read_bytes(), name=name, default_zone=MSK)


def test_incidents_seed_counts() -> None:
    log = parsed(INCIDENTS_SEED, "INCIDENTS.md")
    assert len(log.entries) == 22
    assert {e.line: e.duplicate_of.line for e in log.duplicates} == {18: 17, 24: 22, 25: 23, 26: 23}
    assert [(e.line, e.placeholder) for e in log.placeholders] == [(27, "<symptom>"), (28, "<symptom>")]
    assert dict(log.by_kind()) == {"incident": 16}
    assert log.repairs["entries glued onto the line before, split"] == 1
    assert log.not_understood == []


def test_handoff_seed_counts() -> None:
    log = parsed(HANDOFF_SEED, "HANDOFF.md")
    assert len(log.entries) == 56
    assert {e.line: e.duplicate_of.line for e in log.duplicates} == {
        146: 144,
        154: 152,
        163: 162,
        166: 165,
        182: 181,
        190: 189,
    }
    assert log.placeholders == []
    assert dict(log.by_kind()) == {"handoff": 47, "decision": 2, "note": 1}
    assert [e.line for e in log.fresh if e.kind is Kind.DECISION] == [172, 173]
    assert [n for n, _ in log.not_understood] == [157]
    assert log.repairs["entries glued onto the line before, split"] == 1


def test_glued_entries_are_split_with_their_own_times() -> None:
    log = parsed(INCIDENTS_SEED, "INCIDENTS.md")
    glued = [e for e in log.entries if e.line == 44]
    assert [e.when for e in glued] == ["2025-12-14 16:25 MSK", "2025-12-14 17:01 MSK"]
    assert glued[0].fields["expected"].endswith("40 passed")
    assert glued[1].fields["symptom"].startswith("Port 8000 stuck on Windows")


@pytest.mark.parametrize(("seed", "name"), [(INCIDENTS_SEED, "INCIDENTS.md"), (HANDOFF_SEED, "HANDOFF.md")])
def test_no_mojibake_left_in_any_field(seed: Path, name: str) -> None:
    raw = seed.read_text(encoding="utf-8")
    assert MOJIBAKE_MARKS.search(raw)  # the seed really is broken...
    log = parsed(seed, name)
    assert log.repairs["mojibake sequences decoded"] > 0
    for entry in log.entries:
        for value in [*entry.fields.values(), entry.raw]:
            assert not MOJIBAKE_MARKS.search(value), (entry.line, value)  # ...and nothing of it is left
            assert not looks_like_mojibake(value), (entry.line, value)


def test_mojibake_is_decoded_to_the_characters_meant() -> None:
    handoff = {e.line: e for e in parsed(HANDOFF_SEED, "HANDOFF.md").entries}
    assert "didn’t break" in handoff[142].fields["what"]  # a triple-encoded apostrophe
    assert "“Event loop is closed”" in handoff[152].fields["what"]  # triple-encoded quotes
    incidents = {e.line: e for e in parsed(INCIDENTS_SEED, "INCIDENTS.md").entries}
    assert incidents[22].when == "2025-12-14 00:05–00:24 MSK"  # a triple-encoded en dash


def test_fields_are_recognised_in_every_format() -> None:
    incidents = {e.line: e for e in parsed(INCIDENTS_SEED, "INCIDENTS.md").entries}
    assert incidents[17].fields == {
        "symptom": 'pytest on Windows failed with "Event loop is closed" when hitting Postgres via asyncpg '
        "in integration tests",
        "cause": "global SQLAlchemy async engine not disposed on app shutdown",
        "fix": "FastAPI lifespan + `await engine.dispose()` in `app/main.py`",
        "verify": "python -m pytest -q",
        "expected": "2 passed",
    }
    indented = incidents[38]  # a bullet with Symptom:/Root cause:/Fix/Mitigation:/Verification: lines
    assert indented.fields["cause"] == "Another process is already listening on TCP 8000"
    assert indented.fields["fix"] == "Find PID on :8000 and stop it, or run uvicorn on a free port"
    handoff = {e.line: e for e in parsed(HANDOFF_SEED, "HANDOFF.md").entries}
    paragraph = handoff[130]
    assert paragraph.fields["verify"] == "python -m pytest -q" and paragraph.fields["expected"] == "1 passed"
    block = handoff[193]
    assert block.fields == {
        "what": "Removed backup/tmp files and rewrote update_project_tree.ps1 to filter junk reliably",
        "why": "Avoid repo clutter and keep PROJECT-TREE.txt useful for new chats",
        "verify": "Select-String PROJECT-TREE.txt -Pattern '\\.bak|\\.tmp|~$' -Quiet",
        "expected": "False (no junk entries); PROJECT-TREE.txt regenerated",
        "now": "Repo hygiene is fixed; ready to pick next endpoint",
        "next": "Pick next endpoint from api-contracts.yaml and implement first slice",
    }
    assert handoff[172].kind is Kind.DECISION
    assert handoff[172].fields["decision"].startswith("UserMessaging recipients: PUT")


def test_times_are_read_in_their_zone() -> None:
    incidents = {e.line: e for e in parsed(INCIDENTS_SEED, "INCIDENTS.md").entries}
    assert incidents[17].created_at == datetime(2025, 12, 13, 20, 49, tzinfo=UTC)  # 23:49 MSK
    assert incidents[27].created_at == datetime(2025, 12, 13, 21, 16, tzinfo=UTC)  # "0016 MSK"
    assert incidents[43].created_at == datetime(2025, 12, 14, 11, 1, tzinfo=UTC)  # "14:01 MSK MSK"


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2025-07-01 09:00 ET", datetime(2025, 7, 1, 13, 0, tzinfo=UTC)),  # EDT in July
        ("2025-01-10 09:00 ET", datetime(2025, 1, 10, 14, 0, tzinfo=UTC)),  # EST in January
        ("2025-07-01 09:00 PT", datetime(2025, 7, 1, 16, 0, tzinfo=UTC)),
        ("2025-07-01 09:00 CEST", datetime(2025, 7, 1, 7, 0, tzinfo=UTC)),
        ("2025-07-01 09:00 UTC+3", datetime(2025, 7, 1, 6, 0, tzinfo=UTC)),
        ("2025-07-01 09:00 -05:30", datetime(2025, 7, 1, 14, 30, tzinfo=UTC)),
        ("2025-07-01 09:00 GMT", datetime(2025, 7, 1, 9, 0, tzinfo=UTC)),
        ("2025-07-01 09:00", datetime(2025, 7, 1, 6, 0, tzinfo=UTC)),  # no zone: the project's (MSK)
    ],
)
def test_zone_abbreviations_and_offsets(written: str, utc: datetime) -> None:
    log = parse_log(f"- {written} — restarted the worker\n", name="HANDOFF.md", default_zone=MSK)
    assert log.entries[0].created_at == utc


@pytest.mark.parametrize(
    "transform",
    [
        lambda b: b"\xef\xbb\xbf" + b,
        lambda b: b.replace(b"\n", b"\r\n"),
        lambda b: "\ufeff".encode("utf-16-le") + b.decode("utf-8").encode("utf-16-le"),
    ],
    ids=["bom", "crlf", "utf16"],
)
def test_editor_damage_reads_the_same(transform) -> None:
    data = INCIDENTS_SEED.read_bytes()
    plain = parse_log(data, name="INCIDENTS.md", default_zone=MSK)
    damaged = parse_log(transform(data), name="INCIDENTS.md", default_zone=MSK)
    assert [(e.line, e.fields) for e in damaged.entries] == [(e.line, e.fields) for e in plain.entries]


def test_importing_the_seeds_into_a_store(store: Store, project: Path) -> None:
    shutil.copy(INCIDENTS_SEED, project / "INCIDENTS.md")
    shutil.copy(HANDOFF_SEED, project / "HANDOFF.md")
    before = {name: (project / name).read_bytes() for name in ("INCIDENTS.md", "HANDOFF.md")}
    dry = import_file(store, str(project), project / "INCIDENTS.md", dry_run=True)
    assert len(dry.added) == 16 and store.count(str(project)) == 0
    first = import_file(store, str(project), project / "INCIDENTS.md")
    second = import_file(store, str(project), project / "HANDOFF.md")
    assert (len(first.added), len(second.added)) == (16, 50)
    assert store.count(str(project), Kind.INCIDENT) == 16
    assert store.count(str(project), Kind.HANDOFF) == 47
    assert store.count(str(project), Kind.DECISION) == 2
    assert store.count(str(project), Kind.NOTE) == 1
    again = import_file(store, str(project), project / "HANDOFF.md")
    assert (len(again.added), len(again.already)) == (0, 50)  # importing twice adds nothing
    assert {n: (project / n).read_bytes() for n in before} == before  # the files are not touched
    entry = store.get(first.added[0].store_id)
    assert entry.source == "import" and entry.raw.startswith("2025-12-13 23:49 MSK")
    assert entry.origin == "INCIDENTS.md:17"
    assert all(report.clean for report in store.mirror_check(str(project)))
    assert [report for report in sync(store, str(project)) if report.added] == []  # nor does sync


def test_a_third_copy_a_day_later_repeats_the_second() -> None:
    """The first copy is over 24 h old by the third; the second is 3 h old (it used to be missed)."""
    text = "\n".join(
        [
            "- 2025-12-01 10:00 MSK — Deployed the recipients API — Verify: `make smoke` -> ok",
            "- 2025-12-02 12:00 MSK — Deployed the recipients API — Verify: `make smoke` -> ok",
            "- 2025-12-02 15:00 MSK — Deployed the recipients API — Verify: `make smoke` -> ok",
        ]
    )
    log = parse_log(text, name="HANDOFF.md", default_zone=MSK)
    assert [e.line for e in log.fresh] == [1, 2]
    assert [(e.line, e.duplicate_of.line) for e in log.duplicates if e.duplicate_of] == [(3, 2)]


def test_an_impossible_status_is_dropped_and_derived(store: Store, project: Path) -> None:
    (project / "notes.md").write_text(
        "## 2025-12-14 10:00 MSK\n- Symptom: redis refused connections\n- Root cause: maxclients\n"
        "- Fix: raised maxclients\n- Status: done\n"
    )
    report = import_file(store, str(project), project / "notes.md")
    [entry] = [store.get(e.store_id) for e in report.added]
    assert entry.kind is Kind.INCIDENT
    assert entry.status == "resolved"  # "done" is no status; cause and fix known: resolved


def test_a_date_that_does_not_exist_is_reported_not_a_crash() -> None:
    text = (
        "- 2025-13-45 10:00 MSK — Deployed the thing — Verify: `make` -> ok\n"
        "- 2025-12-01 10:00 MSK — Deployed another thing — Verify: `make` -> ok\n"
    )
    log = parse_log(text, name="HANDOFF.md", default_zone=MSK)
    assert [e.fields["what"] for e in log.entries] == ["Deployed another thing"]
    assert [n for n, _ in log.not_understood] == [1]


def test_a_file_of_only_unreadable_dates_reports_each_line() -> None:
    """With no entry read, nothing was reported at all: the lines looked like a preamble."""
    text = (
        "# HANDOFF\n\n"
        "- 2025-13-45 10:00 MSK — Deployed the thing\n"
        "- 2025-02-30 11:00 MSK — Deployed it again\n"
    )
    log = parse_log(text, name="HANDOFF.md", default_zone=MSK)
    assert log.entries == []
    assert [n for n, _ in log.not_understood] == [3, 4]


def test_the_files_title_says_what_unmarked_entries_are() -> None:
    """A hand-kept log saved under another name (old-incidents.md holding a HANDOFF) is read
    by its title; with no title, the name decides."""
    line = "- 2025-12-14 12:47 MSK Smoke OK on port 8001. Verified: curl /health -> 200\n"
    handoff = parse_log(
        f"## Rules\n- none\n# HANDOFF — B2B\n{line}", name="old-incidents.md", default_zone=MSK
    )
    incident = parse_log(f"# INCIDENTS.md — pitfalls\n{line}", name="notes.md", default_zone=MSK)
    untitled = parse_log(line, name="old-incidents.md", default_zone=MSK)
    assert [e.kind for e in handoff.entries] == [Kind.HANDOFF]
    assert [e.kind for e in incident.entries] == [Kind.INCIDENT]
    assert [e.kind for e in untitled.entries] == [Kind.INCIDENT]


def test_the_import_report_says_what_it_masked(store, project: Path, tmp_path: Path) -> None:
    log = tmp_path / "old.md"
    log.write_text(
        "# HANDOFF\n"
        "- 2025-12-14 12:47 MSK Connected with postgres://app:hunter2hunter2@db:5432/app. Verified: psql -> ok\n"
        "- 2025-12-14 12:50 MSK Deployed the key\n"
        "  -----BEGIN OPENSSH PRIVATE KEY-----\n"
        "  b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
        "  -----END OPENSSH PRIVATE KEY-----\n",
        encoding="utf-8",
    )
    report = import_file(store, str(project), log).to_dict()
    assert report["added"] == 2
    assert report["masked"] == {"a password in a URL": 1}
    assert report["repairs"]["a private key masked"] == 1
    stored = " ".join(e.raw or "" for e in store.iter_entries(str(project)))
    assert "hunter2hunter2" not in stored and "b3BlbnNzaC1rZXkt" not in stored


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("Verified with `make test` -> 40 passed", {"symptom": "Verified with `make test` -> 40 passed"}),
        (
            "Fix: restarted; Root cause (db): pool; verified verify: x",
            {"fix": "restarted", "cause": "pool", "verify": "x"},
        ),
        ("ſymptom: disk full. Cause: logs", {"symptom": "disk full", "cause": "logs"}),
        (
            "api down — fix / mitigation: rollback — Verified: `curl /health` -> 200",
            {"symptom": "api down", "fix": "rollback", "verify": "curl /health", "expected": "200"},
        ),
        ("pool leak. verified with pytest -q", {"symptom": "pool leak", "verify": "pytest -q"}),
        ("disk full; verified cause: rotation off", {"symptom": "disk full", "cause": "rotation off"}),
    ],
)
def test_labels_are_found_at_the_start_after_punctuation_and_after_verified(
    line: str, fields: dict[str, str]
) -> None:
    # A label counts at the start of the text or after a space or punctuation; "verified"
    # at the very start is the entry's words, later it introduces the check.
    log = parse_log(
        f"# INCIDENTS\n\n- 2025-12-14 10:00 MSK {line}\n".encode(), name="INCIDENTS.md", default_zone=MSK
    )
    [entry] = log.entries
    assert entry.kind is Kind.INCIDENT and entry.fields == fields


def _plain_label_pattern() -> re.Pattern[str]:
    """The labels as a plain alternation, in their order: what the arranged pattern replaces."""
    from storage.markdown_import import _LABEL_PATTERN, _LABELS

    plain = "|".join(f"(?P<{name}_{i}>{pattern})" for i, (name, pattern) in enumerate(_LABELS))
    prefix = "[\\s.;,(—–\\ufffd](?=[cdefmnrsvw])(?:"
    assert _LABEL_PATTERN.startswith(prefix)
    rest = _LABEL_PATTERN[_LABEL_PATTERN.index(")(?:\\s*\\(") :]
    return re.compile(prefix + plain + rest, re.IGNORECASE)


_LABEL_PIECES = [
    *("symptom", "Root cause", "root-cause", "cause", "fix / mitigation", "Fix", "mitigation"),
    *("workaround", "verification", "VERIFIED", "verify", "expected result", "why", "reason"),
    *("now", "next step", "decision", "consequences", "consequence", "reas", "ver", "nex"),
    *(":", " ", ". ", "; ", ", ", "(", ")", " (see: a)", "— ", " with ", " by ", "`", "x", "7"),
    *("ſymptom", "\u212a", "ı", "İ", "é"),  # letters that match others when case is ignored
]


@given(st.lists(st.sampled_from(_LABEL_PIECES), max_size=14).map("".join))
@settings(max_examples=3000, deadline=None)
def test_labels_arranged_by_first_letter_are_found_as_the_plain_alternation_finds_them(text: str) -> None:
    # The labels are looked for by first letter (lower-cased first, for ASCII text): the
    # same labels, at the same places, naming the same fields as the plain alternation.
    from storage.markdown_import import _LABEL_FIELDS, _LABELS, _segments

    plain = _plain_label_pattern()
    padded = f" {text}"
    expected = [
        (match.start(), match.end(), match.lastgroup.rsplit("_", 1)[0])
        for match in plain.finditer(padded)
        if match.start() or padded[1 : match.end(match.lastindex or 0)].lower() != "verified"
    ]
    head, found = _segments(text)
    assert [name for name, _ in found] == [name for _, _, name in expected]
    assert [value for _, value in found] == [
        padded[end : expected[i + 1][0] + 1 if i + 1 < len(expected) else len(padded)]
        for i, (_, end, _) in enumerate(expected)
    ]
    assert head == (padded[1 : expected[0][0] + 1] if expected else text)
    assert set(_LABEL_FIELDS.values()) == {name for name, _ in _LABELS}


def test_the_only_printable_blank_is_the_space() -> None:
    # An entry's id is made from its words: a printable line with single spaces is taken as
    # its words as it is (str.split would give it back unchanged). That holds while no
    # blank str.split splits at is printable, but the space.
    blanks = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
    assert [blank for blank in blanks if blank.isprintable()] == [" "] and len(blanks) > 20
