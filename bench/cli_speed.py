"""Whole-process time of `logbook add` / `logbook search` at 1k, 10k and 100k entries, next to jrnl.

Run: `make bench` (all benchmarks) or `.venv/bin/python -m bench.cli_speed [--sizes 1000,10000]`.
jrnl (the closest peer) is installed into the venv by `make bench` (the `bench` extra).

Targets (issue 3): add and search under 1 s at 100k entries and within 20 % of their own
1k figure; `logbook --version` and `--help` under 0.15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.corpus import entries, write_jsonl

RUNS = 7
LOGBOOK = str(Path(sys.executable).with_name("logbook"))
JRNL = shutil.which("jrnl", path=str(Path(sys.executable).parent)) or shutil.which("jrnl")


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed


def median_of(make_argv: object, env: dict[str, str], runs: int = RUNS) -> float:
    return statistics.median(timed(make_argv(i), env) for i in range(runs))  # type: ignore[operator]


def fill_logbook(root: Path, size: int) -> tuple[Path, Path]:
    project, db = root / "project", root / "logbook.db"
    project.mkdir()
    jsonl = write_jsonl(root / "entries.jsonl", size)
    subprocess.run(
        [LOGBOOK, "--db", str(db), "--project", str(project), "import", str(jsonl)],
        check=True,
        capture_output=True,
    )
    return project, db


def fill_jrnl(root: Path, size: int) -> Path:
    journal = root / "journal.txt"
    with journal.open("w", encoding="utf-8") as handle:
        for record in entries(size):
            moment = datetime.fromisoformat(str(record["created_at"]).replace("Z", "+00:00"))
            names = ("what", "symptom", "decision", "text", "cause", "verify")
            body = " — ".join(str(record[k]) for k in names if k in record)
            handle.write(f"[{moment:%Y-%m-%d %I:%M:%S %p}] {body}\n\n")
    config = root / "jrnl.yaml"
    config.write_text(
        "colors: {body: none, date: none, tags: none, title: none}\n"
        "default_hour: 9\ndefault_minute: 0\neditor: ''\nencrypt: false\nhighlight: false\n"
        "indent_character: '|'\n"
        f"journals:\n  default:\n    journal: {journal}\n"
        "linewrap: 79\ntagsymbols: '#@'\ntemplate: false\ntimeformat: '%Y-%m-%d %I:%M:%S %p'\n"
        "version: v4.6\n"
    )
    return config


def measure(sizes: list[int]) -> dict[str, dict[int, float]]:
    # Bytecode as an installed wheel has it (make install does the same).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "storage", "tui"],
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    results: dict[str, dict[int, float]] = {}
    env = {**os.environ, "NO_COLOR": "1"}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix=f"logbook-bench-{size}-") as tmp:
            root = Path(tmp)
            project, db = fill_logbook(root, size)
            base = [LOGBOOK, "--db", str(db), "--project", str(project)]
            note = f"benchmark note {{}} {size} about flaky ports"
            results.setdefault("logbook add", {})[size] = median_of(
                lambda i, base=base, note=note: [*base, "add", "note", note.format(i)], env
            )
            results.setdefault("logbook search", {})[size] = median_of(
                lambda i, base=base: [*base, "search", "alembic migration", "--limit", "20"], env
            )
            if JRNL:
                config = fill_jrnl(root, size)
                jrnl = [JRNL, "--config-file", str(config)]
                results.setdefault("jrnl add", {})[size] = median_of(
                    lambda i, jrnl=jrnl, note=note: [*jrnl, note.format(i)], env
                )
                results.setdefault("jrnl search", {})[size] = median_of(
                    lambda i, jrnl=jrnl: [*jrnl, "-contains", "alembic migration", "-n", "20"], env
                )
    results["logbook --version"] = {0: median_of(lambda i: [LOGBOOK, "--version"], env, 11)}
    results["logbook --help"] = {0: median_of(lambda i: [LOGBOOK, "--help"], env, 11)}
    return results


def report(results: dict[str, dict[int, float]], sizes: list[int]) -> str:
    lines = [f"{'operation':<20}" + "".join(f"{size:>12,}" for size in sizes) + f"{'100k/1k':>10}"]
    for name, by_size in results.items():
        if 0 in by_size:
            lines.append(f"{name:<20}{by_size[0]:>12.3f} s")
            continue
        cells = "".join(f"{by_size.get(size, float('nan')):>11.3f}s" for size in sizes)
        growth = by_size[sizes[-1]] / by_size[sizes[0]] if len(sizes) > 1 else 1.0
        lines.append(f"{name:<20}{cells}{growth:>9.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if not JRNL:
        print("jrnl is not installed (pip install jrnl); measuring logbook alone", file=sys.stderr)
    results = measure(sizes)
    table = report(results, sizes)
    print(f"median of {RUNS} whole-process runs each (python {sys.version.split()[0]})")
    print(table)
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "cli_speed.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
