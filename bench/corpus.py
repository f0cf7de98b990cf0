"""Realistic generated entries, in the shapes the seed logs have, for benchmarks and demos."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

AREAS = (
    "alembic migration",
    "uvicorn startup",
    "pytest collection",
    "asyncpg pool",
    "redis cache",
    "docker compose",
    "nginx proxy",
    "OpenAPI contract",
    "JWT auth",
    "OTP login",
    "S3 upload",
    "Celery worker",
    "CI runner",
    "frontend build",
    "request recipients",
    "user blacklist",
    "attachments API",
    "messaging MVP",
    "settings loader",
    "PowerShell script",
)
VERBS = (
    "Implemented",
    "Fixed",
    "Refactored",
    "Added",
    "Removed",
    "Wired",
    "Documented",
    "Hardened",
)
SYMPTOMS = (
    "failed with ModuleNotFoundError: no module named 'app'",
    'failed with "Event loop is closed"',
    "returned 500 on POST",
    "hung for 30 s then timed out",
    "raised NOT NULL violation on created_at",
    "could not bind to 0.0.0.0:8000 (WinError 10048)",
    "crashed with SyntaxError after a text patch",
    "loaded pytest.ini with a UTF-8 BOM and rejected it",
)
CAUSES = (
    "engine created at import and never disposed",
    "PYTHONPATH missing when run from the repo root",
    "migration applied with an empty upgrade()",
    "another process already listening on the port",
    "settings prefix mismatch between env and code",
)
COMMANDS = (
    "python -m pytest -q",
    "alembic current",
    "curl -s localhost:8000/api/v1/health",
    "docker compose ps",
    "npm run build",
)


def entries(count: int, *, seed: int = 7, start: datetime | None = None) -> Iterator[dict[str, object]]:
    """``count`` entries as `logbook export --format jsonl` writes them, oldest first."""
    rng = random.Random(seed)
    moment = start or datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    for n in range(count):
        moment += timedelta(minutes=rng.randint(3, 40))
        area = rng.choice(AREAS)
        roll = rng.random()
        base: dict[str, object] = {
            "id": f"{rng.getrandbits(64):016x}",
            "created_at": moment.isoformat().replace("+00:00", "Z"),
            "tags": rng.sample(["api", "db", "ci", "windows", "auth", "infra"], rng.randint(0, 2)),
            "author": rng.choice(["Ada", "Grace", "Linus", "Barbara"]),
            "branch": rng.choice(["main", "feature/recipients", "fix/port"]),
        }
        command = rng.choice(COMMANDS)
        if roll < 0.55:
            yield {
                **base,
                "kind": "handoff",
                "what": f"{rng.choice(VERBS)} {area} (step {n})",
                "why": f"needed by the {rng.choice(AREAS)} work",
                "verify": command,
                "expected": f"{rng.randint(1, 400)} passed",
                "next": f"pick up {rng.choice(AREAS)}",
            }
        elif roll < 0.85:
            status = rng.choice(["resolved", "resolved", "mitigated", "open"])
            yield {
                **base,
                "kind": "incident",
                "symptom": f"{area} {rng.choice(SYMPTOMS)} (#{n})",
                "cause": "unknown" if status == "open" else rng.choice(CAUSES),
                **({} if status == "open" else {"fix": f"patched {area}, added a regression test"}),
                "verify": command,
                "expected": f"{rng.randint(1, 400)} passed",
                "severity": rng.choice(["SEV1", "SEV2", "SEV3", "SEV4"]),
                "status": status,
            }
        elif roll < 0.93:
            yield {
                **base,
                "kind": "decision",
                "decision": f"{area}: keep {rng.choice(['snake_case', 'port 8002', 'UTC'])} (#{n})",
                "why": "agreed in review",
            }
        else:
            yield {**base, "kind": "note", "text": f"{area}: remember to check the logs (#{n})"}


def write_jsonl(path: Path, count: int, *, seed: int = 7) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in entries(count, seed=seed):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
