"""Figures: what the reliability suite measured, asserted and printed as one table.

Tests call ``figures.record(area, name, value, must_be=..., at_least=..., at_most=...)``:
the figure is asserted, printed (visible with ``-s``) and attached to the test's report.
At the end of the session one table sums them up:

- run without xdist, or with xdist when this conftest was loaded by the controller
  (``pytest -n 2 tests/reliability``), the controller prints it in its terminal summary
  (``pytest_terminal_summary``);
- under ``make test`` (``pytest -n auto`` from the top), pytest loads this conftest only
  in the workers, so the last worker to finish prints the table to the terminal itself
  (its stderr is the terminal's), after gathering the other workers' figures from files.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_PROPERTY = "reliability-figure"
_CONTROLLER_FLAG = "reliability_figures_on_controller"
_collected: list[dict[str, Any]] = []

TOTALS = {
    "entries written": {"entries written", "entries kept"},
    "lost": {"lost", "entries lost"},
    "doubled": {"doubled", "entries doubled"},
    "torn or glued lines": {"torn or glued lines"},
    "files left unparseable": {"files left unparseable"},
    "secrets leaked": {"secrets leaked"},
    "false positives on the clean corpus": {"false positives (clean lines changed by the store)"},
}
"""The summary lines at the foot of the table: figures of the same meaning, summed over areas."""
TOTALS_FREE = {"entries written"}


@dataclass
class Figures:
    """Records figures for the summary table; each one is also an assertion."""

    node: pytest.Item

    def record(
        self,
        area: str,
        name: str,
        value: float | str,
        *,
        must_be: float | None = None,
        at_least: float | None = None,
        at_most: float | None = None,
        total: bool = True,
    ) -> None:
        rule = ""
        if must_be is not None:
            rule = f"== {must_be}"
        elif at_least is not None and at_most is not None:
            rule = f"{at_least} .. {at_most}"
        elif at_least is not None:
            rule = f">= {at_least}"
        elif at_most is not None:
            rule = f"<= {at_most}"
        figure = {"area": area, "name": name, "value": value, "rule": rule, "sum": total}
        self.node.user_properties.append((_PROPERTY, figure))
        print(f"[figure] {area}: {name} = {value}{f'  (required {rule})' if rule else ''}")
        if must_be is not None:
            assert value == must_be, f"{area}: {name} is {value}, must be {must_be}"
        if at_least is not None:
            assert value >= at_least, f"{area}: {name} is {value}, must be at least {at_least}"  # type: ignore[operator]
        if at_most is not None:
            assert value <= at_most, f"{area}: {name} is {value}, must be at most {at_most}"  # type: ignore[operator]


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    return Figures(request.node)


# -- collecting ---------------------------------------------------------------------------


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "teardown":  # the teardown report carries every property the test added
        return
    for key, value in report.user_properties:
        if key == _PROPERTY:
            _collected.append({**value, "test": report.nodeid})


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, on the controller: this conftest is loaded here, so the controller prints the table."""
    node.workerinput[_CONTROLLER_FLAG] = True


# -- the table ----------------------------------------------------------------------------


def table(figures: list[dict[str, Any]]) -> list[str]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for figure in figures:
        key = (figure["area"], figure["name"])
        row = rows.setdefault(key, {**figure, "tests": 0})
        if row["tests"] and figure["sum"] and isinstance(figure["value"], int | float):
            row["value"] = row["value"] + figure["value"]
        elif row["tests"]:
            row["value"] = figure["value"]
        row["tests"] += 1
    if not rows:
        return []
    totals: dict[str, int] = {}
    for (_, name), row in rows.items():
        total = next((t for t, names in TOTALS.items() if name in names), None)
        if total is not None and isinstance(row["value"], int):
            totals[total] = totals.get(total, 0) + row["value"]
    header = ("area", "figure", "value", "required")
    body = [(a, n, str(r["value"]), r["rule"]) for (a, n), r in sorted(rows.items())]
    body += [
        ("ALL", name, str(totals[name]), "" if name in TOTALS_FREE else "== 0")
        for name in TOTALS
        if name in totals
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(4)]

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return [fmt(header), fmt(tuple("-" * w for w in widths)), *(fmt(line) for line in body)]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if hasattr(terminalreporter.config, "workerinput"):
        return
    lines = table(_collected)
    if lines:
        terminalreporter.write_sep("=", "reliability figures")
        for line in lines:
            terminalreporter.write_line(line)


# -- under xdist when the controller does not know this conftest ----------------------------


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or workerinput.get(_CONTROLLER_FLAG):
        return
    folder = Path(tempfile.gettempdir()) / f"logbook-reliability-{workerinput['testrunuid']}"
    folder.mkdir(exist_ok=True)
    (folder / f"{workerinput['workerid']}.json").write_text(json.dumps(_collected))
    with _locked(folder / "lock"):
        done = sorted(folder.glob("gw*.json"))
        if len(done) < int(workerinput["workercount"]) or (folder / "printed").exists():
            return
        (folder / "printed").touch()
        every: list[dict[str, Any]] = []
        for path in done:
            every += json.loads(path.read_text())
            path.unlink()
    lines = table(every)
    if not lines:
        return
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        out = sys.__stderr__ or sys.stderr
        out.write("\n" + " reliability figures ".center(78, "=") + "\n" + "\n".join(lines) + "\n")
        out.flush()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
