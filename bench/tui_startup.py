"""Time from process start to the first frame that shows list rows, with 100k entries.

Next to it, in the same run: a bare Textual app with a header, a DataTable of
50 rows and a footer. Both are real processes on a pseudo-terminal; the clock
stops when the terminal output (escape codes stripped) first contains the
newest row's text. Peak memory is the process's VmHWM at that moment.

Targets (issue 4): at most 1.5x the bare app's time, at most 200 MB.
Run: `.venv/bin/python -m bench.tui_startup [--entries 100000] [--runs 7]`.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

from bench.corpus import write_jsonl

LOGBOOK = str(Path(sys.executable).with_name("logbook"))
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>()][0-9A-Za-z]?")
BARE_APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header

    class Bare(App):
        def compose(self):
            yield Header()
            yield DataTable()
            yield Footer()

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns("time", "kind", "summary")
            for n in range(50):
                table.add_row("2025-12-13 23:49", "handoff", f"BARE-ROW-MARK {n}")

    Bare().run()
    """
)


def first_frame(argv: list[str], marker: bytes, env: dict[str, str], cwd: Path) -> tuple[float, int]:
    """Seconds until ``marker`` is on screen, and peak RSS in KiB."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    screen = b""
    elapsed = float("nan")
    peak = 0
    try:
        deadline = start + 30
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                screen += os.read(fd, 1 << 16)
            except OSError:
                break
            if marker in ANSI.sub(b"", screen):
                elapsed = time.perf_counter() - start
                break
        with open(f"/proc/{pid}/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return elapsed, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "140", "LINES": "40"}
    # Bytecode as an installed wheel has it (make install does the same).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "storage", "tui"],
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    with tempfile.TemporaryDirectory(prefix="logbook-tui-bench-") as tmp:
        root = Path(tmp)
        project = root / "project"
        project.mkdir()
        db = root / "logbook.db"
        jsonl = write_jsonl(root / "entries.jsonl", args.entries)
        subprocess.run(
            [LOGBOOK, "--db", str(db), "--project", str(project), "import", str(jsonl)],
            check=True,
            capture_output=True,
        )
        newest = json.loads(jsonl.read_text().splitlines()[-1])
        text = next(str(newest[k]) for k in ("what", "symptom", "decision", "text") if k in newest)
        marker = text[:24].encode()
        bare = root / "bare.py"
        bare.write_text(BARE_APP)
        results: dict[str, list[tuple[float, int]]] = {"bare textual app": [], "logbook": []}
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            results["bare textual app"].append(
                first_frame([sys.executable, str(bare)], b"BARE-ROW-MARK 0", env, root)
            )
            results["logbook"].append(
                first_frame([LOGBOOK, "--db", str(db), "--project", str(project)], marker, env, root)
            )
    print(f"first frame with rows, {args.entries:,} entries in the store, median of {args.runs} runs")
    medians = {}
    for name, samples in results.items():
        seconds = statistics.median(s for s, _ in samples)
        peak = max(p for _, p in samples) / 1024
        medians[name] = seconds
        print(f"  {name:<18} {seconds:6.3f} s   peak {peak:6.1f} MB")
    ratio = medians["logbook"] / medians["bare textual app"]
    print(f"  logbook / bare     {ratio:6.2f}x   (target <= 1.5x, <= 200 MB)")
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "tui_startup.json").write_text(json.dumps({"results": results, "ratio": ratio}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
