"""Generated hand-kept logs in the formats of ../shared/seeds, for the import benchmark.

Every format the seeds use appears: dated bullets with em-dash fields, dated
paragraphs, ``## datetime`` What/Why/Verify blocks, indented Symptom/Root
cause lines, time ranges, decisions, plus what hand-keeping breaks: entries
appended twice, unfilled templates, entries glued onto one line, and
triple-encoded mojibake dashes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from bench.corpus import AREAS, CAUSES, COMMANDS, SYMPTOMS, VERBS

MOJIBAKE_DASH = "Р Р†Р вЂљРІР‚Сњ"  # an em dash, UTF-8 read as cp1251 three times
# Detail of the kind the seeds carry (paths, revisions, commands), so that entries are as
# long as the seeds' (318 bytes on average) rather than one-liners.
DETAILS = (
    "updated app/adapters/db/repositories.py and app/transport/routers/requests.py",
    "added alembic migration be4136aa1c68 with an idempotent upgrade() and downgrade()",
    "set DATABASE_URL=postgresql+asyncpg://b2b_user:***@127.0.0.1:5432/b2b_platform in backend/.env",
    "ran from D:\\b2bplatform\\backend with $env:PYTHONPATH='.' and the venv activated",
    "integration tests in tests/integration/test_recipients_replace_all.py cover the new path",
    "uvicorn app.main:app --port 8002 while 8000 is held by a phantom listener",
    "OpenAPI now matches api-contracts.yaml (paths + snake_case DTO fields)",
)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M MSK")


def lines(seed: int = 3) -> Iterator[str]:
    """An endless hand-kept log, one entry (or a few lines of one) at a time."""
    rng = random.Random(seed)
    moment = datetime(2024, 3, 1, 9, 0)
    n = 0
    previous = ""
    while True:
        n += 1
        moment += timedelta(minutes=rng.randint(1, 30))
        area = rng.choice(AREAS)
        command = rng.choice(COMMANDS)
        passed = f"{rng.randint(1, 400)} passed"
        roll = rng.random()
        dash = MOJIBAKE_DASH if rng.random() < 0.05 else "—"
        if roll < 0.30:
            entry = (
                f"- {_stamp(moment)} {dash} {area} {rng.choice(SYMPTOMS)} (case {n}) {dash} root cause: "
                f"{rng.choice(CAUSES)} {dash} fix: patched {area}; {rng.choice(DETAILS)} {dash} "
                f"verification: `{command}` -> {passed}."
            )
        elif roll < 0.55:
            entry = (
                f"- {_stamp(moment)} {rng.choice(VERBS)} {area} (step {n}): {rng.choice(DETAILS)}; "
                f"{rng.choice(DETAILS)}. Verified: {command} -> {passed}."
            )
        elif roll < 0.70:
            entry = (
                f"{_stamp(moment)} {rng.choice(VERBS)} {area} for request {n}: {rng.choice(DETAILS)}. "
                f"Verified: `{command}` -> {passed}. [file:{rng.randint(1, 9)}]\n"
            )
        elif roll < 0.80:
            entry = (
                f"## {moment:%Y-%m-%d %H:%M:%S} MSK\n- What: {rng.choice(VERBS)} {area} (block {n}): "
                f"{rng.choice(DETAILS)}\n"
                f"- Why: keep {area} reliable\n- Verify: {command}\n- Expected: {passed}\n"
                f"- Now: {area} is green\n- Next: look at {rng.choice(AREAS)}"
            )
        elif roll < 0.87:
            entry = (
                f"- {_stamp(moment)} INCIDENT {area} failed on port {8000 + n % 7} (case {n}).\n"
                f"  Symptom: {rng.choice(SYMPTOMS)}.\n  Root cause: {rng.choice(CAUSES)}.\n"
                f"  Fix/Mitigation: restarted {area} on a free port.\n  Verification: {command} -> {passed}."
            )
        elif roll < 0.92:
            end = moment + timedelta(minutes=rng.randint(2, 20))
            entry = (
                f"- {moment:%Y-%m-%d %H:%M}–{end:%H:%M} MSK INCIDENT: {area} was down (case {n}); "
                f"root cause: {rng.choice(CAUSES)}. Fix: redeployed; {rng.choice(DETAILS)}. "
                f"Verified: {command} => {passed}."
            )
        elif roll < 0.95:
            entry = (
                f"- {_stamp(moment)} {dash} Decision {dash} {area}: keep snake_case in new schemas "
                f"(decision {n}). Verify (agreed): review in the next PR."
            )
        elif roll < 0.97 and previous:
            entry = previous  # appended twice
        elif roll < 0.98:
            entry = (
                f"- {_stamp(moment)} INCIDENT <symptom>. Root cause: <root_cause>. "
                "Fix/mitigation: <fix>. Verification: <command> -> <expected>."
            )
        else:
            first = (
                f"- {_stamp(moment)} {rng.choice(VERBS)} {area} (glued {n}). Verified: {command} -> {passed}."
            )
            moment += timedelta(minutes=1)
            entry = first + f"- {_stamp(moment)} Cleaned up {area} (glued {n}b). Verified: {command} -> ok."
        previous = entry
        yield entry


def write_log(path: Path, megabytes: float, *, seed: int = 3) -> int:
    """Write about ``megabytes`` MB of log to ``path``; return the number of bytes."""
    target = int(megabytes * 1_000_000)
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("# HANDOFF.md\n\n## Rules (owned here)\n- Success -> HANDOFF.md (append-only).\n\n")
        for entry in lines(seed):
            chunk = entry + "\n"
            handle.write(chunk)
            written += len(chunk.encode())
            if written >= target:
                break
    return path.stat().st_size
