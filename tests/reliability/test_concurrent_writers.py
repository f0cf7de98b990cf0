"""Two processes adding 500 entries each at once: nothing lost, doubled or glued."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from storage.mirror import scan
from storage.mirror_format import ANCHOR_RE, parse_line
from storage.store import Store
from tests.waiting import wait_until

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from storage.kinds import Kind
    from storage.store import Store

    db, project, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    Path(project, f"ready-{name}").touch()
    import time

    give_up = time.monotonic() + 120
    while not Path(project, "go").exists():
        if time.monotonic() > give_up:
            sys.exit("no go after 120 s")
    with Store.open(Path(db)) as store:
        for n in range(count):
            kind = Kind.INCIDENT if n % 3 == 0 else Kind.HANDOFF
            fields = (
                {"symptom": f"{name} failure {n}", "cause": f"cause {n}", "fix": f"fix {n}"}
                if kind is Kind.INCIDENT
                else {"what": f"{name} step {n}", "verify": "pytest -q", "expected": f"{n} passed"}
            )
            saved = store.add(project, kind, fields)
            assert saved.mirror_error is None, saved.mirror_error
    """
)


def test_two_processes_500_each(project: Path, db_path: Path, tmp_path: Path) -> None:
    Store.open(db_path).close()
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    root = Path(__file__).resolve().parents[2]
    writers = [
        subprocess.Popen([sys.executable, str(script), str(db_path), str(project), name, "500"], cwd=root)
        for name in ("alpha", "bravo")
    ]
    wait_until(
        lambda: all((project / f"ready-{name}").exists() for name in ("alpha", "bravo")), "both writers ready"
    )
    (project / "go").touch()
    assert [w.wait(timeout=300) for w in writers] == [0, 0]

    with Store.open(db_path) as store:
        entries = list(store.iter_entries(str(project)))
    assert len(entries) == 1000
    assert len({e.id for e in entries}) == 1000
    summaries = {e.summary for e in entries}
    assert len(summaries) == 1000

    lines: list[str] = []
    for file in ("HANDOFF.md", "INCIDENTS.md"):
        text = (project / file).read_text(encoding="utf-8")
        assert text.endswith("\n")
        found = scan(project / file)
        assert found.problems == []  # nothing glued, nothing doubled, clean UTF-8 and LF
        lines += [line for line in text.splitlines() if ANCHOR_RE.search(line)]
    assert len(lines) == 1000
    assert all(line.startswith("- ") and line.count("<!-- logbook:") == 1 for line in lines)
    assert {parse_line(line).entry_id for line in lines} == {e.id for e in entries}
    print(f"\nconcurrent writers: entries=1000 lines={len(lines)} lost=0 doubled=0 glued=0")
