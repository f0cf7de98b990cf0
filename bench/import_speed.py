"""Import throughput: `logbook import HANDOFF.md` on a generated log in the seed formats.

The log (bench/seed_logs.py) mixes every format of ../shared/seeds with what
hand-keeping breaks (repeats, templates, glued lines, mojibake). It is the
project's own HANDOFF.md, the usual case: a team arriving with years of log.
The clock covers the whole process: start, parse, repairs, store, exit.

With --elsewhere the log is a file from outside the project: its entries are then
appended to the project's mirror files (each line made, and checked by reading it back).

Target (issue 5): at least 5 MB/s on 50 MB. The import runs three times (a fresh store
each time) and the median is the result: this is measured on shared machines, whose speed
drifts by 10-25% within an hour, and one run says little; the machine's speed just before
and after (bench/machine.py) is printed with it.
Run: `.venv/bin/python -m bench.import_speed [--megabytes 50] [--runs 3] [--elsewhere]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.machine import reference_seconds
from bench.seed_logs import write_log

LOGBOOK = str(Path(sys.executable).with_name("logbook"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--elsewhere",
        action="store_true",
        help="the log is not the project's HANDOFF.md: its entries are appended to the mirror files",
    )
    args = parser.parse_args(argv)
    before = reference_seconds()
    with tempfile.TemporaryDirectory(prefix="logbook-import-bench-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        log = Path(tmp) / "old-log.md" if args.elsewhere else project / "HANDOFF.md"
        size = write_log(log, args.megabytes)
        runs = []
        for run in range(args.runs):
            if args.elsewhere:  # the mirror files as before the first run
                for name in ("HANDOFF.md", "INCIDENTS.md"):
                    (project / name).unlink(missing_ok=True)
            runs.append(_import(project, Path(tmp) / f"logbook-{run}.db", log))
    after = reference_seconds()
    seconds = [elapsed for elapsed, _ in runs]
    median = statistics.median(seconds)
    report = runs[0][1]
    rate = size / 1e6 / median
    print(
        f"{size / 1e6:.1f} MB, {report['entries']:,} dated entries: {median:.2f} s, {rate:.1f} MB/s"
        f" (median of {len(seconds)} runs: {', '.join(f'{s:.2f}' for s in seconds)} s)"
    )
    print(
        f"  added {report['added']:,}, repeats {len(report['duplicates']):,}, "
        f"templates {len(report['placeholders']):,}, repairs {report['repairs']}"
    )
    print("  target: at least 5 MB/s" + (" (for the project's own log)" if args.elsewhere else ""))
    print(f"  machine reference (bench.machine): {before:.3f} s before, {after:.3f} s after; lower is faster")
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / f"import_speed{'_elsewhere' if args.elsewhere else ''}.json").write_text(
        json.dumps(
            {
                "megabytes": size / 1e6,
                "seconds": median,
                "runs": seconds,
                "mb_per_s": rate,
                "machine_reference_seconds": [before, after],
            },
            indent=2,
        )
    )
    return 0


def _import(project: Path, db: Path, log: Path) -> tuple[float, dict[str, Any]]:
    """The whole `logbook import` process into a fresh store: seconds, and its report."""
    command = [LOGBOOK, "--db", str(db), "--project", str(project), "--json", "import"]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, str(log)],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - start
    [report] = json.loads(done.stdout)
    return elapsed, report


if __name__ == "__main__":
    sys.exit(main())
