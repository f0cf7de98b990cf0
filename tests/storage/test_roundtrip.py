"""1,000 generated entries: each in the mirror exactly once, in order; export gives them back."""

from __future__ import annotations

import json
import random
from pathlib import Path

from storage.kinds import Kind
from storage.mirror import scan
from storage.mirror_format import ANCHOR_RE, parse_line
from storage.store import Store

WORDS = [
    "alembic",
    "uvicorn",
    "pytest",
    "asyncpg",
    "postgres",
    "redis",
    "docker",
    "nginx",
    "fastapi",
    "pydantic",
    "sqlmodel",
    "textual",
    "cache",
    "index",
    "queue",
    "worker",
    "schema",
    "migration",
    "endpoint",
    "router",
    "session",
    "token",
    "header",
    "payload",
]


def generated(rng: random.Random, n: int) -> tuple[Kind, dict[str, str], list[str]]:
    words = " ".join(rng.sample(WORDS, 6))
    kind = rng.choice(list(Kind))
    multiline = "\n".join(rng.sample(WORDS, 3)) if n % 7 == 0 else ""
    fields = {
        Kind.HANDOFF: {
            "what": f"step {n}: {words}",
            "verify": f"python -m pytest -q -k t{n}",
            "expected": f"{n} passed",
            "next": multiline,
        },
        Kind.INCIDENT: {
            "symptom": f"failure {n}: {words}",
            "cause": f"cause {n} {multiline}",
            "fix": f"fix {n}",
            "severity": f"SEV{1 + n % 4}",
        },
        Kind.DECISION: {"decision": f"decision {n}: {words}", "why": multiline},
        Kind.NOTE: {"text": f"note {n}: {words} — with “quotes” and `code`"},
    }[kind]
    return (
        kind,
        {k: v for k, v in fields.items() if v},
        rng.sample(["db", "ci", "api", "win"], n % 3),
    )


def test_thousand_entries_round_trip(store: Store, project: Path, cli, db_path: Path) -> None:
    rng = random.Random(1234)
    added = []
    for n in range(1000):
        kind, fields, tags = generated(rng, n)
        saved = store.add(str(project), kind, fields, tags=tags)
        assert saved.mirror_error is None
        added.append(saved.entry)

    for file in ("HANDOFF.md", "INCIDENTS.md"):
        path = project / file
        expected = [e.id for e in added if (e.kind is Kind.INCIDENT) == (file == "INCIDENTS.md")]
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if ANCHOR_RE.search(line)]
        assert [ANCHOR_RE.search(line).group("id") for line in lines] == expected  # once each, in order
        assert max(scan(path).anchors.values()) == 1
        for line, entry in zip(lines, [e for e in added if e.id in set(expected)], strict=True):
            parsed = parse_line(line)
            assert parsed is not None and parsed.fields == entry.fields and parsed.kind is entry.kind

    store.close()
    exported = [json.loads(line) for line in cli("export", "--format", "jsonl").out.splitlines()]
    assert [record["id"] for record in exported] == [e.id for e in added]
    for record, entry in zip(exported, added, strict=True):
        assert {name: record[name] for name in entry.fields} == entry.fields
        assert record["tags"] == list(entry.tags)
