"""A small store of realistic entries (from the kind of work the seed logs record).

Used by `make screenshots` and by the snapshot tests, so both show the same
believable screens. Times are fixed, so pictures are stable.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.kinds import Kind
from storage.store import NewEntry, Store

START = datetime(2025, 12, 13, 19, 40, tzinfo=UTC)

ENTRIES: tuple[tuple[int, Kind, dict[str, str], tuple[str, ...]], ...] = (
    (
        0,
        Kind.HANDOFF,
        {
            "what": "Verified API up: GET /api/v1/health -> 200, Swagger /docs and /openapi.json available",
            "verify": "curl -s http://localhost:8000/api/v1/health",
            "expected": '{"status":"ok"}',
            "now": "backend skeleton runs on Windows 11, Python 3.12",
            "next": "reset Postgres to a clean baseline",
        },
        ("api",),
    ),
    (
        15,
        Kind.HANDOFF,
        {
            "what": "Reset Postgres: recreated DB b2b_platform and role b2b_user; DATABASE_URL uses 127.0.0.1",
            "why": "localhost resolved to IPv6 and the role lacked CREATE on schema public",
            "verify": "psql -U b2b_user -h 127.0.0.1 -d b2b_platform -c '\\dt'",
            "expected": "Did not find any relations.",
        },
        ("db",),
    ),
    (
        20,
        Kind.INCIDENT,
        {
            "symptom": "alembic revision -m init failed: FileNotFoundError alembic/script.py.mako",
            "cause": "the alembic template file was never created by the scaffold",
            "fix": "created backend/alembic/script.py.mako from the stock template",
            "verify": "alembic revision -m init",
            "expected": "Generating versions/3315ed698ecb_init.py ... done",
            "severity": "SEV3",
            "status": "resolved",
        },
        ("db", "alembic"),
    ),
    (
        129,
        Kind.INCIDENT,
        {
            "symptom": 'pytest on Windows failed with "Event loop is closed" when hitting Postgres via asyncpg',
            "cause": "global SQLAlchemy async engine not disposed on app shutdown",
            "fix": "FastAPI lifespan + await engine.dispose() in app/main.py; tests use `with TestClient(app)`",
            "verify": "python -m pytest -q",
            "expected": "2 passed",
            "severity": "SEV2",
            "status": "resolved",
        },
        ("tests", "db"),
    ),
    (
        136,
        Kind.HANDOFF,
        {
            "what": "Implemented GET /api/v1/user/requests/{requestId} (RequestDetail) + integration test",
            "verify": "python -m pytest -q",
            "expected": "4 passed",
            "next": "PUT /user/requests/{requestId}/keys",
        },
        ("api",),
    ),
    (
        176,
        Kind.INCIDENT,
        {
            "symptom": "pytest failed with unexpected line '\\ufeff[pytest]'",
            "cause": "pytest.ini was written with a UTF-8 BOM by PowerShell Set-Content",
            "fix": "rewrote pytest.ini as UTF-8 without BOM via .NET UTF8Encoding(false)",
            "verify": ".\\.venv\\Scripts\\pytest.exe -q",
            "expected": "10 passed",
            "severity": "SEV4",
            "status": "resolved",
        },
        ("tests", "windows"),
    ),
    (
        810,
        Kind.DECISION,
        {
            "decision": "Recipients PUT uses replace-all semantics; blacklisting a domain unselects its suppliers in every request",
            "why": "server state must mirror the UI checkboxes; nothing may be sent to a blacklisted supplier",
            "consequences": "implement in the Blacklist use case and re-check in the send use case",
        },
        ("api",),
    ),
    (
        900,
        Kind.INCIDENT,
        {
            "symptom": "uvicorn fails to bind 0.0.0.0:8000 (WinError 10048); netstat shows a LISTEN with a PID tasklist cannot find",
            "cause": "unknown",
            "fix": "",
            "severity": "SEV2",
            "status": "open",
        },
        ("windows",),
    ),
    (
        905,
        Kind.NOTE,
        {"text": "Ports 8000-8002 are ours on this machine; 8002 is the fallback while 8000 is stuck."},
        (),
    ),
    (
        1225,
        Kind.HANDOFF,
        {
            "what": "UserMessaging recipients replace-all: contract, DTOs, router, use case and repository",
            "why": "the UI sends the full checkbox state on every change",
            "verify": "cd backend; python -m pytest -q",
            "expected": "40 passed",
            "now": "alembic head be4136aa1c68",
            "next": "user blacklist by INN",
        },
        ("api", "db"),
    ),
)


def fill(store: Store, project: Path) -> None:
    """Add the demo entries (idempotent by id), with fixed ids so pictures are stable."""
    import hashlib

    items = [
        NewEntry(
            kind=kind,
            fields=fields,
            tags=tags,
            created_at=START + timedelta(minutes=minutes),
            id=hashlib.blake2b(f"demo-{minutes}".encode(), digest_size=8).hexdigest(),
            author="Ada Lovelace",
            branch="feature/recipients",
            commit="4be1f3c9d2a7",
        )
        for minutes, kind, fields, tags in ENTRIES
    ]
    store.add_many(str(project), items, source="tui")
