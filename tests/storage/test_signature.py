"""Error signatures: equal when only volatile parts differ, different when the error does.

Several texts come from the seed logs in /work/shared/seeds/ (the incidents file).
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from storage import signature
from storage.runner import run_command
from storage.signature import error_line, error_signature, normalize_error


def uvicorn_output(pid: int, host: str, port: int, stamp: str) -> str:
    return (
        f"{stamp} INFO:     Started server process [{pid}]\n"
        f"{stamp} INFO:     Waiting for application startup.\n"
        f"{stamp} INFO:     Application startup complete.\n"
        f"{stamp} ERROR:    [Errno 10048] error while attempting to bind on address ('{host}', {port}): "
        "only one usage of each socket address (protocol/network address/port) is normally permitted\n"
        f"{stamp} INFO:     Waiting for application shutdown.\n"
    )


def traceback(path: str, line: int, last: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        f'  File "{path}", line {line}, in <module>\n'
        "    main()\n"
        f'  File "{path}", line {line + 17}, in main\n'
        "    run()\n"
        f"{last}\n"
    )


SAME = [
    pytest.param(
        uvicorn_output(4242, "0.0.0.0", 8000, "2025-12-14 12:41:03,512"),
        uvicorn_output(17, "127.0.0.1", 8002, "2025-12-14 17:01:44,090"),
        id="seed: uvicorn [Errno 10048] twice, other pid/host/port/time",
    ),
    pytest.param(
        "pytest from repo root failed with ModuleNotFoundError: no module named 'app'.",
        "tests/test_health.py:1: in <module>\n    from app.main import app\nE   ModuleNotFoundError: No module named 'app'\n",
        id="seed: the incident's words and pytest's output",
    ),
    pytest.param(
        traceback(r"D:\b2bplatform\backend\app\main.py", 12, "ModuleNotFoundError: No module named 'app'"),
        traceback("/home/ada/proj/backend/app/main.py", 40, "ModuleNotFoundError: No module named 'app'"),
        id="windows and posix tracebacks",
    ),
    pytest.param(
        r"FileNotFoundError: [Errno 2] No such file or directory: 'D:\b2bplatform\backend\alembic\script.py.mako'",
        "FileNotFoundError: [Errno 2] No such file or directory: '/srv/b2b/alembic/script.py.mako'",
        id="seed: alembic script.py.mako, path in the message",
    ),
    pytest.param(
        r"fatal: not a git repository: D:\b2bplatform\.git",
        "fatal: not a git repository: /home/ada/proj/.git",
        id="seed: not a git repository",
    ),
    pytest.param(
        "FAILED: Can't locate revision identified by 'be4136aa1c68'",
        "FAILED: Can't locate revision identified by 'fbb98b9e9fc9'",
        id="seed: alembic revision ids",
    ),
    pytest.param(
        "fatal: bad object 3f2a9c1e0b7d4e21aa9b0c1d2e3f405162738495",
        "fatal: bad object 0dc050e5c2069e1d",
        id="git shas",
    ),
    pytest.param(
        "sqlalchemy.exc.IntegrityError: (psycopg2.errors.NotNullViolation) null value in column "
        '"created_at" of relation "request_recipients" violates not-null constraint\n'
        "DETAIL:  Failing row contains (17, 3f2a9c1e-0b7d-4e21-9a6b-1c2d3e4f5a6b, null, null).",
        "IntegrityError: (psycopg2.errors.NotNullViolation) null value in column "
        '"created_at" of relation "request_recipients" violates not-null constraint\n'
        "DETAIL:  Failing row contains (18, 0e8a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b, null, null).",
        id="seed: NOT NULL violation, module prefix and row ids",
    ),
    pytest.param(
        "RuntimeError: Task <Task pending name='Task-3' coro=<main() running at /srv/app/x.py:10> "
        "cb=[<TaskWakeupMethWrapper object at 0x7f3a2b1c9d00>()]> got Future <Future pending> "
        "attached to a different loop",
        "RuntimeError: Task <Task pending name='Task-12' coro=<main() running at C:\\app\\x.py:112> "
        "cb=[<TaskWakeupMethWrapper object at 0x10f2e4a60>()]> got Future <Future pending> "
        "attached to a different loop",
        id="memory addresses, task numbers, file:line",
    ),
    pytest.param(
        'psycopg.OperationalError: connection to server at "db.internal" (10.0.3.4), port 5432 failed: '
        "Connection refused",
        'psycopg.OperationalError: connection to server at "localhost" (::1), port 6432 failed: '
        "Connection refused",
        id="hosts, ips, ports",
    ),
    pytest.param(
        "httpx.ConnectError: [Errno 111] Connection refused while GET http://localhost:8000/api/v1/health",
        "httpx.ConnectError: [Errno 111] Connection refused while GET http://127.0.0.1:8002/api/v1/health",
        id="url hosts",
    ),
    pytest.param(
        "2025-12-14T12:41:03Z ERROR could not acquire lock after 30.5s (pid 4242)",
        "Dec 15 08:00:00 ERROR could not acquire lock after 2s (pid 977)",
        id="timestamps, durations, pids",
    ),
    pytest.param(
        "KeyError: UUID('3f2a9c1e-0b7d-4e21-9a6b-1c2d3e4f5a6b')",
        "KeyError: UUID('0E8A1B2C-3D4E-4F50-8A6B-7C8D9E0F1A2B')",
        id="uuids",
    ),
    pytest.param(
        "\x1b[31mERROR:   Address   already in use\x1b[0m",
        "error: address already in use",
        id="case, colour, spacing",
    ),
    pytest.param(
        'RuntimeError: "Event loop is closed"',
        "RuntimeError: \u201cEvent loop is closed\u201d",
        id="quote styles",
    ),
]

DIFFERENT = [
    pytest.param(
        "ModuleNotFoundError: No module named 'app'",
        "ModuleNotFoundError: No module named 'fastapi'",
        id="the missing module is the error (PYTHONPATH vs a missing dependency)",
    ),
    pytest.param("KeyError: 'user_id'", "KeyError: 'email'", id="quoted keys"),
    pytest.param("KeyError: 'id'", "AttributeError: 'id'", id="exception class"),
    pytest.param(
        "Uvicorn failed to bind on 0.0.0.0:8000 (WinError 10048).",
        "Uvicorn failed to bind on 0.0.0.0:8000 (WinError 10013).",
        id="error codes are kept",
    ),
    pytest.param(
        "pytest exited: Process completed with exit code 1.",
        "pytest exited: Process completed with exit code 5.",
        id="exit codes are kept",
    ),
    pytest.param(
        "404 Not Found for http://localhost:8000/api/v1/user/attachments",
        "404 Not Found for http://localhost:8000/api/v1/userattachments",
        id="seed: url paths are kept (contract mismatch)",
    ),
    pytest.param(
        "SyntaxError: invalid syntax (D:\\b2bplatform\\backend\\app\\adapters\\db\\models.py, line 4)",
        "SyntaxError: invalid syntax (D:\\b2bplatform\\backend\\app\\adapters\\db\\repositories.py, line 4)",
        id="seed: file names are kept",
    ),
    pytest.param(
        'null value in column "created_at" violates not-null constraint',
        'null value in column "updated_at" violates not-null constraint',
        id="seed: column names",
    ),
    pytest.param(
        "RuntimeError: Event loop is closed",
        "RuntimeError: This event loop is already running",
        id="seed: event loop",
    ),
    pytest.param(
        uvicorn_output(4242, "0.0.0.0", 8000, "2025-12-14 12:41:03,512"),
        "fatal: not a git repository: D:\\b2bplatform\\.git",
        id="seed: two incidents",
    ),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_the_same_error_gets_the_same_signature(a: str, b: str) -> None:
    assert error_signature(a) == error_signature(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_errors_get_different_signatures(a: str, b: str) -> None:
    assert error_signature(a) != error_signature(b)


def test_a_signature_is_sixteen_hex_digits() -> None:
    signature = error_signature("ModuleNotFoundError: No module named 'app'")
    assert re.fullmatch(r"[0-9a-f]{16}", signature)
    assert error_signature("ModuleNotFoundError: No module named 'app'") == signature


def test_blank_text_has_no_signature() -> None:
    assert error_signature("") == ""
    assert error_signature(" \n\t\n") == ""


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        (
            r'  File "D:\b2bplatform\backend\app\main.py", line 42, in <module>',
            "file '<path>/main.py', line <n>, in <module>",
        ),
        (
            '  File "/home/x/my proj/app/main.py", line 7, in <module>',
            "file '<path>/main.py', line <n>, in <module>",
        ),
        (
            "alembic current -> be4136aa1c68 (head); see be4136aa1c68_request_recipients_defaults.py",
            "alembic current -> <id> (head); see <id>_request_recipients_defaults.py",
        ),
        (
            "postgresql+asyncpg://b2b_user:secret@localhost:5432/b2b_platform refused",
            "postgresql+asyncpg://<host>/b2b_platform refused",
        ),
        (
            "GET http://localhost:8002/api/v1/requests/17 -> 404",
            "get http://<host>/api/v1/requests/<n> -> <n>",
        ),
        ("[Errno 10048] bind on ('0.0.0.0', 8000)", "[errno 10048] bind on ('<host>', <n>)"),
        ("lock held at 0x7f3a2b1c9d00 since 2025-12-14 12:41:03", "lock held at <hex> since <time>"),
        ("===== 40 passed in 0.12s =====", "===== <n> passed in <duration> ====="),
        (
            r"cd .\.venv\Scripts\Activate.ps1 and tests/test_a.py::test_x",
            "cd <path>/activate.ps1 and <path>/test_a.py::test_x",
        ),
        ("created_at/updated_at were NULL, GET/POST", "created_at/updated_at were null, get/post"),
        ("py311 test_1 b2b_user v1", "py311 test_1 b2b_user v1"),
        ("Error:\n\n   Something   broke.  ", "error: something broke"),
    ],
)
def test_normalize_error(text: str, normalized: str) -> None:
    assert normalize_error(text) == normalized


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (traceback("/a.py", 1, "ValueError: bad"), "ValueError: bad"),
        (
            'Traceback (most recent call last):\n  File "/a.py", line 3, in <module>\n    import app\n'
            "ModuleNotFoundError: No module named 'app'\n\nDuring handling of the above exception, another "
            "exception occurred:\n\nTraceback (most recent call last):\nRuntimeError: cannot start\n",
            "ModuleNotFoundError: No module named 'app'",  # the root cause, first
        ),
        (
            '  File "/a.py", line 3\n    except KeyError:\n    raise ValueError(x)\nasyncpg.exceptions.UniqueViolationError: dup\n',
            "UniqueViolationError: dup",
        ),
        (
            "ImportError while importing test module '/t.py'.\nE   ImportError: cannot import name 'x'\n",
            "ImportError: cannot import name 'x'",
        ),
        ("INFO started\nfatal: not a git repository\nerror: later\n", "fatal: not a git repository"),
        ("\n  just words  \nmore words\n", "just words"),
    ],
)
def test_error_line_picks_the_first_meaningful_line(text: str, line: str) -> None:
    assert error_line(text) == line


def test_one_failure_run_twice_from_different_places_has_one_signature(tmp_path: Path) -> None:
    """Real runs: paths, line numbers and pids differ; the signature does not, and the seed's words agree."""
    outputs = []
    for place, padding in (("first", 0), ("second place", 30)):
        folder = tmp_path / place
        folder.mkdir()
        body = "\n" * padding + "import os\nprint('pid', os.getpid())\nimport app_missing_here\n"
        (folder / "check.py").write_text(textwrap.dedent(body))
        outputs.append(run_command([sys.executable, "check.py"], cwd=folder).output_tail)
    assert outputs[0] != outputs[1]
    assert error_signature(outputs[0]) == error_signature(outputs[1])
    said = "pytest from repo root failed with ModuleNotFoundError: no module named 'app_missing_here'."
    assert error_signature(said) == error_signature(outputs[0])
    assert error_signature(said.replace("app_missing_here", "app")) != error_signature(outputs[0])


# What error texts are made of: digits, hex, the separators of paths, hosts, times and
# URLs, the words the parts look for, a letter beyond ASCII.
_ERROR_PIECES = st.sampled_from(
    [
        *"abcdefxyzABCDEFXZ0123456789_-./\\:@[]'\" \n+~$%",
        "é",
        "ſ",
        "File '",
        "errno ",
        "Error 5",
        "WinError",
        "http",
        "Jan 12",
        "Mon, ",
        "12:30:45",
        "localhost",
        ".com",
        "://",
        "0x",
        "ms",
        "seconds",
    ]
)


@settings(max_examples=3000, deadline=None)
@example("_status 5, 5errno 2, aWinError 10048, xhttp 404, _sqlstate 23505, 1code 7")  # after a word
@example("_0x1f, _deadbeef1, id_123e4567-e89b-12d3-a456-426614174000, host[::1]:80")
@given(st.lists(_ERROR_PIECES, max_size=30).map("".join))
def test_the_fast_arrangement_of_the_patterns_matches_what_the_patterns_match(text: str) -> None:
    # The parts are tried in full only where no word character comes before; elsewhere
    # only those whose look-behind allows one. Replacing with the plain alternation of
    # the parts must give exactly the same text.
    for fast, plain in (
        (signature._EVERYTHING_RE, signature._EVERYTHING_PARTS),
        (signature._VOLATILE_RE, signature._VOLATILE_PARTS),
    ):
        expected = [(m.span(), m.lastgroup.removeprefix("v_")) for m in re.finditer(plain, text)]  # type: ignore[union-attr]
        found = [
            (m.span(), m.lastgroup.removeprefix("v_").removeprefix("w_")) for m in re.finditer(fast, text)
        ]  # type: ignore[union-attr]
        assert found == expected
