"""run_command on real processes, and the result/error lines read from real-looking output."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from storage.kinds import Kind
from storage.records import GitContext
from storage.runner import RunResult, error_summary, expected_result, run_command
from storage.store import Store

posix_only = pytest.mark.skipif(os.name != "posix", reason="process groups and /bin/sh are POSIX")


def script(tmp_path: Path, body: str, name: str = "script.py") -> list[str]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return [sys.executable, str(path)]


def is_gone(pid: int) -> bool:
    """Dead: no such process, or a zombie left for init to reap (it runs nothing any more)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    if not Path("/proc/self/stat").exists():
        return False  # no /proc to tell a zombie from a running process
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0]
    except OSError:
        return True  # reaped meanwhile
    return state in (b"Z", b"X")


def wait_gone(pid: int, within: float = 5.0) -> bool:
    until = time.monotonic() + within
    while not is_gone(pid):
        if time.monotonic() > until:
            return False
        time.sleep(0.02)
    return True


def test_a_passing_run_records_its_result(tmp_path: Path) -> None:
    argv = script(
        tmp_path,
        """
        print("============================= test session starts ==============================")
        print("collected 40 items")
        print("........................................                                 [100%]")
        print("============================== 40 passed in 0.12s ==============================")
        """,
    )
    result = run_command(argv, cwd=tmp_path)
    assert result.passed
    assert (result.exit_code, result.timed_out) == (0, False)
    assert result.argv == argv
    assert result.command == shlex.join(argv)
    assert expected_result(result.output_tail) == "40 passed"
    assert result.output_bytes == len(result.output_tail.encode())
    assert result.duration > 0


def test_a_failing_run_gives_its_exit_code_and_exception(tmp_path: Path) -> None:
    argv = script(
        tmp_path,
        """
        import sys
        print("starting")
        sys.stderr.write("warning: about to fail\\n")
        import app_that_is_not_installed
        """,
    )
    result = run_command(argv, cwd=tmp_path)
    assert not result.passed
    assert result.exit_code == 1
    assert "starting" in result.output_tail  # stdout and stderr land in one stream
    assert "warning: about to fail" in result.output_tail
    assert (
        error_summary(result.output_tail)
        == "ModuleNotFoundError: No module named 'app_that_is_not_installed'"
    )


def test_the_exit_code_is_passed_through(tmp_path: Path) -> None:
    result = run_command(script(tmp_path, "raise SystemExit(3)"), cwd=tmp_path)
    assert result.exit_code == 3
    assert not result.passed


@posix_only
def test_a_hanging_run_is_stopped_with_its_children(tmp_path: Path) -> None:
    argv = script(
        tmp_path,
        """
        import subprocess, time
        child = subprocess.Popen(["sleep", "60"])
        print("child", child.pid, flush=True)
        time.sleep(60)
        """,
    )
    started = time.monotonic()
    result = run_command(argv, cwd=tmp_path, timeout=1)
    assert time.monotonic() - started < 10  # a generous bound: it must not wait the 60 s out
    assert result.timed_out
    assert result.exit_code is None
    assert not result.passed
    child = int(result.output_tail.split()[1])  # what was printed before the timeout is kept
    assert wait_gone(child)


@posix_only
def test_a_shell_and_its_sleep_are_stopped_on_timeout(tmp_path: Path) -> None:
    result = run_command("sleep 60 & echo $!; wait", shell=True, cwd=tmp_path, timeout=1)
    assert result.timed_out
    assert result.argv is None
    assert result.command == "sleep 60 & echo $!; wait"
    assert wait_gone(int(result.output_tail))


@posix_only
def test_a_run_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    argv = script(
        tmp_path,
        """
        import os, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(os.getpid(), flush=True)
        time.sleep(60)
        """,
    )
    started = time.monotonic()
    result = run_command(argv, cwd=tmp_path, timeout=0.5)
    assert time.monotonic() - started < 10
    assert result.timed_out
    assert is_gone(int(result.output_tail))  # our own child: reaped, not a zombie


@posix_only
@pytest.mark.parametrize("redirect", ["", " >/dev/null 2>&1"])
def test_what_a_finished_command_left_running_is_stopped(tmp_path: Path, redirect: str) -> None:
    """A background child still holding the output, or not: neither outlives the run."""
    result = run_command(f"sleep 60{redirect} & echo $! >pid", shell=True, cwd=tmp_path, timeout=30)
    assert result.passed
    assert not result.timed_out
    assert wait_gone(int((tmp_path / "pid").read_text()))


def test_ten_megabytes_of_output_keep_only_the_tail(tmp_path: Path) -> None:
    lines = 1024 * 1024  # "%09d\n" is 10 bytes: exactly 10 MiB
    argv = script(
        tmp_path,
        f"""
        import sys
        out = sys.stdout
        for i in range({lines}):
            out.write("%09d\\n" % i)
        """,
    )
    seen = hashlib.sha256()
    chunk_bytes = 0

    def on_output(chunk: bytes) -> None:
        nonlocal chunk_bytes
        seen.update(chunk)
        chunk_bytes += len(chunk)

    tracemalloc.start()
    try:
        result = run_command(argv, cwd=tmp_path, tail_bytes=64_000, on_output=on_output)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    expected = b"".join(b"%09d\n" % i for i in range(lines))
    assert result.passed
    assert result.output_bytes == len(expected) == 10 * 1024 * 1024
    assert chunk_bytes == result.output_bytes
    assert seen.digest() == hashlib.sha256(expected).digest()  # every byte, in order
    cut_line = f"… ({len(expected) - 64_000} bytes cut)\n"
    assert result.output_tail.startswith(cut_line)
    assert len(result.output_tail) <= 64_000 + len(cut_line)
    assert result.output_tail[len(cut_line) :] == expected[-64_000:].decode()
    assert peak < 3 * 1024 * 1024  # the 10 MiB were never held at once


def test_a_cut_never_starts_inside_a_character(tmp_path: Path) -> None:
    argv = script(tmp_path, 'import sys; sys.stdout.buffer.write("é".encode() * 1000)')
    result = run_command(argv, cwd=tmp_path, tail_bytes=101)
    assert result.output_bytes == 2000
    assert result.output_tail == "… (1900 bytes cut)\n" + "é" * 50


def test_on_output_streams_chunks_in_order(tmp_path: Path) -> None:
    argv = script(
        tmp_path,
        """
        import time
        for i in range(5):
            print("line", i, flush=True)
            time.sleep(0.01)
        """,
    )
    chunks: list[bytes] = []
    result = run_command(argv, cwd=tmp_path, on_output=chunks.append)
    assert b"".join(chunks) == b"".join(b"line %d\n" % i for i in range(5))
    assert result.output_tail == b"".join(chunks).decode()


@posix_only
def test_a_shell_command_can_use_a_pipe(tmp_path: Path) -> None:
    result = run_command("printf 'b\\na\\n' | sort | tr a-z A-Z", shell=True, cwd=tmp_path)
    assert result.passed
    assert result.output_tail == "A\nB\n"


def test_a_string_without_shell_is_split_not_interpreted(tmp_path: Path) -> None:
    argv = script(tmp_path, "import json, sys; print(json.dumps(sys.argv[1:]))")
    command = f"{shlex.join(argv)} 'two words' one; echo |"
    result = run_command(command, cwd=tmp_path)
    assert result.passed
    assert result.argv == [*argv, "two words", "one;", "echo", "|"]
    assert result.command == shlex.join(result.argv)
    assert result.output_tail.strip() == '["two words", "one;", "echo", "|"]'


def test_a_missing_executable_is_exit_127_not_an_exception(tmp_path: Path) -> None:
    result = run_command(["logbook-no-such-program", "-q"], cwd=tmp_path)
    assert result.exit_code == 127
    assert not result.passed
    assert not result.timed_out
    assert result.output_bytes == 0
    assert "logbook-no-such-program" in result.output_tail
    assert "No such file" in result.output_tail


def test_the_working_directory_is_honoured(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    argv = script(tmp_path, "import os; print(os.getcwd())")
    result = run_command(argv, cwd=elsewhere)
    assert Path(result.output_tail.strip()).resolve() == elsewhere.resolve()


def test_the_environment_is_the_one_given(tmp_path: Path) -> None:
    argv = script(tmp_path, "import os; print(os.environ.get('LOGBOOK_RUN_TEST', '-'))")
    assert run_command(argv, cwd=tmp_path).output_tail == "-\n"
    given = {**os.environ, "LOGBOOK_RUN_TEST": "here"}
    assert run_command(argv, cwd=tmp_path, env=given).output_tail == "here\n"


def test_input_is_closed_so_nothing_waits_for_a_keypress(tmp_path: Path) -> None:
    """Even when logbook's own stdin is an open pipe nobody writes to, the command reads EOF."""
    inner = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from storage.runner import run_command
        argv = [sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"]
        result = run_command(argv, cwd=Path({str(tmp_path)!r}), timeout=5)
        print(result.timed_out, result.output_tail.strip())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with subprocess.Popen(
        [sys.executable, "-c", inner], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    ) as logbook:
        assert logbook.stdout is not None
        out = logbook.stdout.read()  # its stdin stays open the whole time: nothing is ever written
    assert out.decode().strip() == "False ''"


def test_bytes_that_are_not_utf8_do_not_crash(tmp_path: Path) -> None:
    argv = script(tmp_path, r'import sys; sys.stdout.buffer.write(b"\xff\xfe ok \xc3\x28 \xe9t\xe9\n")')
    result = run_command(argv, cwd=tmp_path)
    assert result.passed
    assert result.output_bytes == 13
    assert " ok " in result.output_tail
    assert "\ufffd" in result.output_tail


def test_commands_that_cannot_be_run_at_all_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        run_command(["echo", "hi"], cwd=tmp_path, shell=True)
    with pytest.raises(ValueError):
        run_command("   ", cwd=tmp_path)
    with pytest.raises(ValueError):
        run_command([], cwd=tmp_path)


def test_passed_needs_exit_zero_and_no_timeout() -> None:
    def made(exit_code: int | None, timed_out: bool) -> RunResult:
        return RunResult(["x"], "x", exit_code, timed_out, 0.1, "", 0)

    assert made(0, False).passed
    assert not made(1, False).passed
    assert not made(None, True).passed
    assert not made(0, True).passed


PYTEST_FAILED = """\
============================= test session starts ==============================
collected 40 items

tests/test_api.py ..F.F...................................                [100%]

=================================== FAILURES ===================================
___________________________________ test_get ___________________________________

    def test_get():
>       assert 1 == 2
E       AssertionError: assert 1 == 2

tests/test_api.py:3: AssertionError
=========================== short test summary info ============================
FAILED tests/test_api.py::test_get - AssertionError: assert 1 == 2
FAILED tests/test_api.py::test_put - AssertionError: assert 3 == 4
========================= 2 failed, 38 passed in 1.20s =========================
"""
PYTEST_COLLECTION = """\
==================================== ERRORS ====================================
_______________________ ERROR collecting tests/test_a.py _______________________
ImportError while importing test module 'D:\\b2bplatform\\tests\\test_a.py'.
Hint: make sure your test modules/packages have valid Python names.
Traceback:
tests/test_a.py:1: in <module>
    import app
E   ModuleNotFoundError: No module named 'app'
=============================== warnings summary ===============================
conftest.py:3
  conftest.py:3: DeprecationWarning: the old event loop policy is deprecated
=========================== short test summary info ============================
ERROR tests/test_a.py
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
=============================== 1 error in 0.05s ===============================
"""
CHAINED = """\
Traceback (most recent call last):
  File "/srv/app/main.py", line 3, in <module>
    import app
ModuleNotFoundError: No module named 'app'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/app/main.py", line 5, in <module>
    raise app_errors.NotReady("database is not migrated")
app_errors.NotReady: database is not migrated
"""
CARGO = """\
running 3 tests
test a ... ok
test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s

   Doc-tests demo

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
"""


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("===== 40 passed in 0.12s =====\n", "40 passed"),
        (PYTEST_FAILED, "2 failed, 38 passed"),
        ("..s..\n5 passed, 1 skipped in 0.50s\n", "5 passed, 1 skipped"),
        ("\x1b[32m\x1b[1m=== 3 passed, 2 warnings in 65.23s (0:01:05) ===\x1b[0m\n", "3 passed, 2 warnings"),
        (PYTEST_COLLECTION, "1 error"),
        ("== no tests ran in 0.01s ==\n", "no tests ran"),
        (
            "..\n----------------------------------------------------------------------\nRan 2 tests in 0.001s\n\nOK\n",
            "OK",
        ),
        ("F.\n------\nRan 2 tests in 0.002s\n\nFAILED (failures=1)\n", "FAILED (failures=1)"),
        ("Ran 4 tests in 0.1s\n\nOK (skipped=1)\n", "OK (skipped=1)"),
        (CARGO, "test result: ok. 3 passed; 1 ignored"),
        (
            "test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out\n",
            "test result: FAILED. 1 passed; 2 failed",
        ),
        ("ok  \texample.com/a\t0.012s\nok  \texample.com/b\t(cached)\n", "ok"),
        ("ok  \texample.com/a\t0.012s\n--- FAIL: TestB\nFAIL\nFAIL\texample.com/b\t0.020s\nFAIL\n", "FAIL"),
        ("building...\nall good, 200 OK\n\n\n", "all good, 200 OK"),
        ("  \x1b[1mdone\x1b[0m  \n", "done"),
        ("", ""),
    ],
)
def test_expected_result(output: str, expected: str) -> None:
    assert expected_result(output) == expected


def test_expected_result_keeps_long_lines_short() -> None:
    line = "x" * 500
    assert len(expected_result(line)) == 200
    assert expected_result(line).startswith("x" * 199)


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (CHAINED, "app_errors.NotReady: database is not migrated"),
        (PYTEST_COLLECTION, "ModuleNotFoundError: No module named 'app'"),
        (PYTEST_FAILED, "AssertionError: assert 1 == 2"),
        (
            "INFO:     Started server process [4242]\n"
            "ERROR:    [Errno 10048] error while attempting to bind on address ('0.0.0.0', 8000): only one usage\n"
            "INFO:     Waiting for application shutdown.\n",
            "ERROR:    [Errno 10048] error while attempting to bind on address ('0.0.0.0', 8000): only one usage",
        ),
        ("On branch main\n\x1b[31mfatal: not a git repository\x1b[0m\nbye\n", "fatal: not a git repository"),
        ("thread 'main' panicked at src/main.rs:2:5:\nboom\n", "thread 'main' panicked at src/main.rs:2:5:"),
        ("all\nquiet here\n\n", "quiet here"),
        ("", ""),
    ],
)
def test_error_summary(output: str, expected: str) -> None:
    assert error_summary(output) == expected


def test_error_summary_keeps_long_lines_short() -> None:
    assert len(error_summary("ValueError: " + "v" * 1000)) == 300


@pytest.mark.parametrize(
    ("exit_code", "printed", "result", "seen"),
    [
        (0, "40 passed in 0.12s", "pass", True),
        (0, "39 passed, 1 skipped", "fail", False),  # green, but not what the entry promised
        (1, "40 passed in 0.12s", "fail", True),
    ],
)
def test_record_run_passes_only_when_the_expected_result_is_still_shown(
    store: Store, project: Path, tmp_path: Path, exit_code: int, printed: str, result: str, seen: bool
) -> None:
    argv = script(tmp_path, f"import sys\nprint({printed!r})\nsys.exit({exit_code})\n")
    saved = store.add(
        str(project),
        Kind.HANDOFF,
        {"what": "Tests green", "verify": shlex.join(argv), "expected": "40 passed"},
    )
    run = run_command(argv, cwd=project, timeout=30)

    event = store.record_run(
        saved.entry.id, run, context=GitContext("main", "abc1234", "Ada"), source="tui"
    ).event

    assert event is not None
    assert event.data["result"] == result
    assert event.data["expected_seen"] is seen
    assert event.data["command"] == shlex.join(argv)
    assert event.data["commit"] == "abc1234"
    assert event.author == "Ada"
    assert printed in event.data["output_tail"]
    [stored] = [e for e in store.events(saved.entry.id) if e.type == "verification"]
    assert stored.data == event.data
