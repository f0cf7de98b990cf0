"""Run a verification command and keep what it printed: the engine of `logbook run` and `logbook verify`.

The command runs without a shell unless asked, in a session (process group) of
its own, with stdin closed (nothing can wait for a keypress) and stdout and
stderr merged into one pipe. A helper thread reads the pipe in chunks; each
chunk is handed to ``on_output`` in the caller's thread and kept in a bounded
tail, so a command printing gigabytes costs about ``tail_bytes`` of memory.

When the command ends, whatever it left running in its group (a server started
with ``&``) is stopped, and so is the whole group on timeout: SIGTERM, then
SIGKILL after ``KILL_GRACE`` seconds. The call therefore returns at most
``timeout + KILL_GRACE + DRAIN`` seconds after it started, even when the
command ignores SIGTERM. On Windows the tree is killed with ``taskkill /T``
(best effort: a process that outlived its parent is not found there).
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from storage.signature import ERROR_WORD, strip_ansi

KILL_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL when the command's process group is stopped."""
LINGER = 1.0
"""Seconds the output may stay open after the command itself exited (a background child still writing)."""
DRAIN = 1.0
"""Seconds to wait for the last output once the group has been stopped."""
CHUNK_BYTES = 65_536
DEFAULT_TIMEOUT = 600.0
"""Seconds a command may run unless ``--timeout`` or ``LOGBOOK_RUN_TIMEOUT`` say otherwise."""
SHELL_SYNTAX = ("|", "&&", ";", ">", "<", "$(", "`")
"""What, in a command typed as one line, only a shell understands."""

_POLL = 0.1
_QUEUED_CHUNKS = 8
_POSIX = os.name == "posix"
_SIGKILL: int = getattr(signal, "SIGKILL", signal.SIGTERM)
_Chunks = queue.Queue[bytes | None]


@dataclass(frozen=True)
class RunResult:
    argv: list[str] | None
    """None when run through the shell."""
    command: str
    """The command as shown to people: shlex.join(argv) or the shell string."""
    exit_code: int | None
    """None when killed for the timeout; negative (-N) when killed by signal N otherwise."""
    timed_out: bool
    duration: float
    """Seconds."""
    output_tail: str
    """The last `tail_bytes` of stdout+stderr, decoded; a "… (N bytes cut)" line first when cut."""
    output_bytes: int
    """How many bytes the command printed in all."""

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class _Tail:
    """The last `limit` bytes of a stream, and how long the stream was."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.kept = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.kept += chunk
        excess = len(self.kept) - self.limit
        if excess > 0:
            del self.kept[:excess]

    def text(self) -> str:
        data = bytes(self.kept)
        cut = self.total - len(data)
        if not cut:
            return data.decode("utf-8", errors="replace")
        start = 0  # do not begin in the middle of a UTF-8 character
        while start < min(3, len(data)) and 0x80 <= data[start] < 0xC0:
            start += 1
        return f"… ({cut + start} bytes cut)\n" + data[start:].decode("utf-8", errors="replace")


def run_command(
    command: list[str] | str,
    *,
    cwd: Path,
    timeout: float = 600.0,
    shell: bool = False,
    tail_bytes: int = 64_000,
    on_output: Callable[[bytes], None] | None = None,
    env: Mapping[str, str] | None = None,
) -> RunResult:
    """Run `command` in `cwd` and return how it went; never raises for a command that cannot start.

    A str without ``shell=True`` is split with shlex (``;`` and ``|`` are plain
    arguments then). `env`, when given, is the whole environment, as for
    subprocess. A command that cannot be started (missing executable or cwd)
    gives exit code 127 (126 when not executable) and the reason in output_tail.
    """
    argv, shown = _prepare(command, shell)
    tail = _Tail(tail_bytes)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            shown if argv is None else argv,
            shell=shell,
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            bufsize=0,
            **_own_group(),
        )
    except OSError as exc:
        return RunResult(
            argv=argv,
            command=shown,
            exit_code=126 if isinstance(exc, PermissionError) else 127,
            timed_out=False,
            duration=time.monotonic() - start,
            output_tail=f"logbook: cannot run {shown}: {exc}\n",
            output_bytes=0,
        )

    def feed(chunk: bytes) -> None:
        tail.add(chunk)
        if on_output is not None:
            on_output(chunk)

    assert proc.stdout is not None
    chunks: _Chunks = queue.Queue(maxsize=_QUEUED_CHUNKS)
    stop = threading.Event()
    reader = threading.Thread(
        target=_pump, args=(proc.stdout, chunks, stop), name="logbook-run-output", daemon=True
    )
    reader.start()
    deadline = start + timeout
    try:
        state = _follow(proc, chunks, feed, deadline)
        output_ended = state == "eof"
        if output_ended:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                state = "timeout"  # it closed its output but kept running
        _stop_group(proc)
        if not output_ended:
            _drain(chunks, feed, time.monotonic() + DRAIN)
    except BaseException:
        _stop_group(proc)
        raise
    finally:
        stop.set()
        reader.join(_POLL * 2)
        if not reader.is_alive():  # else something outside the group holds the pipe: leave the fd be
            proc.stdout.close()
    timed_out = state == "timeout"
    return RunResult(
        argv=argv,
        command=shown,
        exit_code=None if timed_out else proc.returncode,
        timed_out=timed_out,
        duration=time.monotonic() - start,
        output_tail=tail.text(),
        output_bytes=tail.total,
    )


def run_timeout(given: float | None = None) -> float:
    """The timeout for a run: ``given``, else ``LOGBOOK_RUN_TIMEOUT``, else :data:`DEFAULT_TIMEOUT`."""
    if given:
        return float(given)
    try:
        return float(os.environ.get("LOGBOOK_RUN_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def command_from_line(line: str) -> tuple[list[str] | str, bool]:
    """How to run a command stored or typed as one line: ``(command, shell)``.

    Split into arguments, unless it uses shell syntax (a pipe, ``&&``, a redirection)
    or cannot be split (an unclosed quote): then the line goes to the shell as it is,
    which runs it or says what is wrong with it.
    """
    if any(token in line for token in SHELL_SYNTAX):
        return line, True
    try:
        return shlex.split(line), False
    except ValueError:
        return line, True


def failure_symptom(result: RunResult, timeout: float) -> str:
    """An incident's symptom for a failed run: its last error line, else what happened."""
    if result.timed_out:
        return f"`{result.command}` did not finish within {timeout:g} s"
    return error_summary(result.output_tail) or f"`{result.command}` failed"


def _prepare(command: list[str] | str, shell: bool) -> tuple[list[str] | None, str]:
    if shell:
        if not isinstance(command, str):
            raise TypeError("shell=True takes the command as one string")
        if not command.strip():
            raise ValueError("empty command")
        return None, command
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if not argv:
        raise ValueError("empty command")
    return argv, shlex.join(argv)


def _own_group() -> dict[str, Any]:
    if _POSIX:
        return {"start_new_session": True}
    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}


def _pump(stream: IO[bytes], chunks: _Chunks, stop: threading.Event) -> None:
    """In the helper thread: pipe -> queue, then None at end of output."""
    with contextlib.suppress(OSError, ValueError):
        while not stop.is_set():
            chunk = stream.read(CHUNK_BYTES)
            if not chunk:
                break
            if not _offer(chunks, chunk, stop):
                return
    _offer(chunks, None, stop)


def _offer(chunks: _Chunks, item: bytes | None, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            chunks.put(item, timeout=_POLL)
        except queue.Full:
            continue
        return True
    return False


def _follow(
    proc: subprocess.Popen[bytes], chunks: _Chunks, feed: Callable[[bytes], None], deadline: float
) -> str:
    """Pass output on until it ends ("eof"), the deadline passes ("timeout"), or the
    command exited but something it started keeps the output open ("linger")."""
    exited_at: float | None = None
    while True:
        now = time.monotonic()
        if exited_at is None and proc.poll() is not None:
            exited_at = now
        if now >= deadline:
            return "timeout" if exited_at is None else "linger"
        if exited_at is not None and now >= exited_at + LINGER:
            return "linger"
        try:
            item = chunks.get(timeout=min(deadline - now, _POLL))
        except queue.Empty:
            continue
        if item is None:
            return "eof"
        feed(item)


def _drain(chunks: _Chunks, feed: Callable[[bytes], None], until: float) -> None:
    while (left := until - time.monotonic()) > 0:
        try:
            item = chunks.get(timeout=left)
        except queue.Empty:
            return
        if item is None:
            return
        feed(item)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop whatever is left of the command's process group, then reap the command."""
    if _signal(proc, signal.SIGTERM):
        until = time.monotonic() + KILL_GRACE
        while time.monotonic() < until:
            if proc.poll() is not None and not _group_alive(proc):
                break
            time.sleep(0.02)
        _signal(proc, _SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(KILL_GRACE)


def _signal(proc: subprocess.Popen[bytes], sig: int) -> bool:
    """Send `sig` to the command's group (and the command itself); False when nothing was left."""
    if not _POSIX:
        if proc.poll() is not None:
            return False
        with contextlib.suppress(OSError):
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
        with contextlib.suppress(OSError):
            proc.kill()
        return True
    sent = False
    try:
        os.killpg(proc.pid, sig)  # start_new_session: the group id is the command's pid
        sent = True
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:  # it may have moved itself to another group
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        sent = True
    return sent


def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
    """Whether anything of the group still runs (zombies waiting for init to reap them do not count)."""
    if not _POSIX:
        return proc.poll() is None
    try:
        os.killpg(proc.pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or the id now belongs to someone else
        return False
    return _running_in_group(proc.pid)


def _running_in_group(pgid: int) -> bool:
    """From /proc where there is one (Linux); elsewhere every member counts as running."""
    try:
        entries = os.scandir("/proc")
    except OSError:
        return True
    with entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    fields = stat.read().rpartition(b")")[2].split()
            except OSError:
                continue
            if len(fields) > 2 and fields[2] == b"%d" % pgid and fields[0] not in (b"Z", b"X"):
                return True
    return False


# The result people quote -------------------------------------------------------------------------

_PYTEST_COUNT = r"\d+ (?:passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?|rerun)"
_PYTEST = re.compile(
    rf"^=*\s*(?P<result>{_PYTEST_COUNT}(?:, {_PYTEST_COUNT})*|no tests ran)"
    r"(?: in [\d.]+s(?: \([\d:]+\))?)?\s*=*$"
)
_UNITTEST = re.compile(r"^(?:OK|FAILED|NO TESTS RAN)(?: \([\w ]+=\d+(?:, [\w ]+=\d+)*\))?$")
_CARGO = re.compile(
    r"^test result: (?P<status>ok|FAILED)\. (?P<passed>\d+) passed; (?P<failed>\d+) failed; "
    r"(?P<ignored>\d+) ignored; (?P<measured>\d+) measured; (?P<filtered>\d+) filtered out"
)
_GO = re.compile(r"^(?P<status>ok|FAIL)\s+\S+\s+(?:\(cached\)|[\d.]+s)")
_RESULT_LIMIT = 200
_ERROR_LIMIT = 300


def expected_result(output: str) -> str:
    """The result line people quote: "40 passed", "2 failed, 38 passed", "OK", "test result: ok. 3 passed".

    Timings are left out (they change every run). Looks for the last summary
    of pytest, unittest, cargo test or go test; else the last non-empty line.
    """
    lines = [strip_ansi(line).strip() for line in output.splitlines()]
    for line in reversed(lines):
        if pytest := _PYTEST.match(line):
            return pytest["result"]
        if _UNITTEST.match(line):
            return line
        if _CARGO.match(line):
            return _cargo_result(lines)
        if _GO.match(line):
            failed = any(each.startswith("FAIL") and _GO.match(each) for each in lines)
            return "FAIL" if failed else "ok"
    return _clip(_last(lines), _RESULT_LIMIT)


def _cargo_result(lines: list[str]) -> str:
    """One line for every test binary cargo ran (the last one alone is usually 0 doc-tests)."""
    results = [match for line in lines if (match := _CARGO.match(line))]
    status = "FAILED" if any(result["status"] == "FAILED" for result in results) else "ok"
    counts = {
        label: sum(int(result[key]) for result in results)
        for key, label in (
            ("passed", "passed"),
            ("failed", "failed"),
            ("ignored", "ignored"),
            ("measured", "measured"),
            ("filtered", "filtered out"),
        )
    }
    shown = [f"{count} {label}" for label, count in counts.items() if count or label == "passed"]
    return f"test result: {status}. " + "; ".join(shown)


# The line that says what went wrong -----------------------------------------------------------------

_TRACEBACK = "Traceback (most recent call last):"
_RAISED = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?::\s.*|:?)$")
_EXCEPTION_LINE = re.compile(
    r"^(?:E\s+)?(?P<line>(?:[A-Za-z_]\w*\.)*[A-Z]\w*"
    r"(?:Error|Exception|Exit|Interrupt|Failure|Violation|Timeout|Iteration)(?::\s.*|:?))$"
)


def error_summary(output: str) -> str:
    """The line that says what went wrong.

    The last Python exception line (of a traceback, or pytest's "E   ..."),
    else the last line mentioning error/fail/fatal/exception/panic, else the last
    non-empty line.
    """
    lines = [strip_ansi(line).rstrip() for line in output.splitlines()]
    found = _last_exception(lines)
    if not found:
        found = next((line for line in reversed(lines) if ERROR_WORD.search(line)), "")
    return _clip(found.strip() or _last(lines), _ERROR_LIMIT)


def _last_exception(lines: list[str]) -> str:
    raised: set[int] = set()  # the line ending each traceback, whatever its class is called
    for index, line in enumerate(lines):
        if line.strip() != _TRACEBACK:
            continue
        for after in range(index + 1, len(lines)):
            if lines[after] and not lines[after][0].isspace():
                if _RAISED.match(lines[after]):
                    raised.add(after)
                break
    for index in range(len(lines) - 1, -1, -1):
        if index in raised:
            return lines[index]
        if match := _EXCEPTION_LINE.match(lines[index]):
            return match["line"]
    return ""


def _last(lines: list[str]) -> str:
    return next((line.strip() for line in reversed(lines) if line.strip()), "")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
