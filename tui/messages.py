"""Every sentence logbook says to a person, in one place (CLI and TUI alike)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.records import Draft, Entry
    from storage.store import Saved
    from storage.validation import Problem

REFUSED = "Not saved: nothing was written to the store or the mirror."
DUPLICATE_HINT = "Add --allow-duplicate if this really is a separate entry."
NOT_FOUND = "No entry with id {id!r} in this store."
AMBIGUOUS = "The id prefix {prefix!r} matches several entries: {candidates}. Type more of it."
NO_ENTRIES = "No entries yet in {project}. Add one with `logbook add handoff|incident|decision|note`."
NO_MATCHES = "Nothing matches {query!r}."
MIRROR_REPAIRED = "{file}: appended {entries} missing from it."
MIRROR_NOTHING_TO_REPAIR = "Nothing to repair: every entry is in its mirror file."
LEFT_AS_IS = "left as it is: logbook never rewrites your text"
INTERRUPTED = "Interrupted: nothing was saved."
DRAFT_KEPT = "Draft kept: it will be offered back next time."
STORE_LOCKED = "The store is busy (another logbook is writing); try again in a moment."
CANNOT_OPEN_STORE = "logbook: cannot open the store: {error}"
SYNC_NOTHING = "Nothing new in HANDOFF.md / INCIDENTS.md."
INIT_GITATTRIBUTES = "Added to .gitattributes: {rules} (branches that both append will merge cleanly)."
INIT_ALREADY = ".gitattributes already merges HANDOFF.md and INCIDENTS.md with union."
INIT_IMPORTED = "Took in {entries} from the existing logs."
WROTE = "Wrote {target}."
WRITE_FAILED = "{target}: {error}"
NO_SESSION = "No work session yet in this project: add an entry, or `logbook session start`."
NO_OPEN_SESSION = "No session is open."
NO_OPEN_SESSION_TUI = "No work session is open: the next entry starts one."
EXPORTED = "Exported {entries} to {target}."
PROMPT_INTRO = "Some required fields are missing; fill them in (Ctrl+C to cancel)."


def refused(problems: Iterable[Problem]) -> str:
    lines = [REFUSED]
    lines += [f"  - {problem.field}: {problem.message}" for problem in problems]
    return "\n".join(lines)


def masked(labels: Iterable[str], verb: str = "Masked") -> str:
    """ "Masked 2 secrets before saving: a password in a URL, a GitHub token." """
    labels = list(labels)
    if not labels:
        return ""
    counted = {label: labels.count(label) for label in labels}
    parts = [f"{label} (x{n})" if n > 1 else label for label, n in counted.items()]
    return f"{verb} {len(labels)} secret{'s' if len(labels) != 1 else ''} before saving: {', '.join(parts)}."


def masked_counts(counts: Mapping[str, int], *, dry_run: bool = False) -> str:
    """``masked`` for an import's report, which counts each kind of secret."""
    labels = [label for label, n in counts.items() for _ in range(n)]
    return masked(labels, "Would mask" if dry_run else "Masked")


def saved(result: Saved) -> str:
    entry = result.entry
    prefix = masked(result.masked) + "\n" if result.masked else ""
    where = f"{prefix}Saved {entry.kind.value} {entry.short_id} to the store"
    if result.mirror_error:
        return (
            f"{where}, but {result.mirror_file.name} could not be written"
            f" ({result.mirror_error}).\n"
            "The line is kept pending: fix the file and run `logbook mirror repair`."
        )
    return f"{where} and appended it to {result.mirror_file}."


def duplicate(existing: Entry, when: str, similarity: float) -> str:
    return (
        f"{REFUSED}\n  This looks like entry {existing.short_id} from {when} "
        f"({similarity:.0%} alike):\n    {existing.summary}\n  {DUPLICATE_HINT}"
    )


def status_changed(result: Saved) -> str:
    event = result.event
    status = event.data.get("status") if event else "?"
    text = f"Incident {result.entry.short_id} is now {status} (recorded as a new event"
    if result.mirror_error:
        return text + f"; {result.mirror_file.name} pending: {result.mirror_error})."
    return text + f", appended to {result.mirror_file.name})."


# -- the TUI -------------------------------------------------------------------

IMPORT_TITLE = "Import a hand-kept log (HANDOFF.md or INCIDENTS.md style)"
IMPORT_PLACEHOLDER = "path to the file, e.g. HANDOFF.md or ~/old-project/INCIDENTS.md"
IMPORT_HINT = "What would be imported, repaired and skipped shows here as you type the path."
IMPORT_KEYS = "ctrl+s imports what is shown · Esc cancels · nothing is written before ctrl+s"
IMPORT_NO_FILE = "No file at {path}."
SEARCH_PLACEHOLDER = "words in any field; Enter goes to the list, Esc clears"
TUI_EMPTY = "No entries yet. Press h (handoff), i (incident), d (decision) or n (note) to add one."
COPIED_LINE = "Copied the mirror line to the clipboard."
FORM_REFUSED = "Not saved: fix the marked fields (nothing was written)."
NO_DRAFTS = "No drafts: every form was saved or left empty."
DUPLICATE_TITLE = "This looks like an entry you already have"
DRAFTS_HINT = "Enter reopens a draft · Esc leaves them for later (they stay saved)"


def duplicate_tui(existing: Entry, when: str, similarity: float) -> str:
    return (
        f"Entry {existing.short_id} from {when} is {similarity:.0%} alike:\n\n"
        f"  {existing.summary}\n\n"
        "Nothing has been written. Save anyway if this really is a separate entry."
    )


def drafts_title(count: int) -> str:
    return f"{count} unsaved draft{'s' if count != 1 else ''} from earlier"


def draft_line(draft: Draft, when: str) -> str:
    first = next((v for v in draft.fields.values() if v and v.strip()), "(empty)")
    first = " ".join(first.split())
    return f"{draft.kind.value:<9} {when}  {first[:60]}"


def mirror_pending(count: int, error: str) -> str:
    lines = "1 mirror line" if count == 1 else f"{count:,} mirror lines"
    return f"{lines} could not be written ({error}); {'it stays' if count == 1 else 'they stay'} pending."


def restore_report(report: dict[str, Any]) -> list[str]:
    """What importing a JSONL export did (the CLI prints it, the TUI shows it)."""
    verb = "Would import" if report["dry_run"] else "Imported"
    counts = f"{report['skipped']} already present, {report['refused']} refused"
    lines = [f"{verb} {entries(report['added'])} ({counts})."]
    refused_events = report["events_refused"]
    if report["events_added"] or report["events_skipped"] or refused_events:
        verb = "Would restore" if report["dry_run"] else "Restored"
        lines.append(
            f"{verb} {events(report['events_added'])} (statuses, timelines, verifications); "
            f"{report['events_skipped']} already present, {refused_events} refused."
        )
    if report["masked"]:
        lines.append(masked_counts(report["masked"], dry_run=report["dry_run"]))
    return lines


def events(count: int) -> str:
    """ "1 event", "2 events"."""
    return f"{count:,} event{'' if count == 1 else 's'}"


def import_report(report: dict[str, Any]) -> list[str]:
    """What importing a file did, as lines (the CLI prints them, the TUI shows them)."""
    verb = "would add" if report["dry_run"] else "added"
    kinds = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(report["by_kind"].items()))
    lines = [
        f"{report['file']}: {report['entries']} dated entries",
        f"  {verb} {report['added']} ({kinds or 'nothing new'}); "
        f"{report['already_in_store']} already in the store",
    ]
    if report["duplicates"]:
        count = len(report["duplicates"])
        lines.append(f"  {count} repeated entr{'y' if count == 1 else 'ies'}, not imported again:")
        for dup in report["duplicates"]:
            first = (
                f"line {dup['duplicate_of_line']}"
                if "duplicate_of_line" in dup
                else f"entry {dup['duplicate_of_id'][:8]}"
            )
            lines.append(f"    line {dup['line']} ({dup['when']}) repeats {first}")
    if report["placeholders"]:
        count = len(report["placeholders"])
        lines.append(f"  {count} unfilled template{'' if count == 1 else 's'}, not imported:")
        lines += [f"    line {item['line']}: {item['placeholder']}" for item in report["placeholders"]]
    if report.get("events_added"):
        verb = "would take in" if report["dry_run"] else "took in"
        lines.append(f"  {verb} {report['events_added']} changes to entries (statuses, timelines, actions)")
    lines += [f"  repaired: {repair} ({count})" for repair, count in report["repairs"].items()]
    lines += [f"  masked: {label} ({count})" for label, count in report.get("masked", {}).items()]
    if report["not_understood"]:
        count = len(report["not_understood"])
        lines.append(f"  {count} line{'' if count == 1 else 's'} not understood (left out):")
        for item in report["not_understood"][:20]:
            text = " ".join(item["text"].split())
            lines.append(f"    line {item['line']}: {text[:90]}")
    lines += [f"  line {item['line']} refused: {item['reason']}" for item in report["refused"]]
    lines += [f"  mirror: {error}" for error in report["mirror_errors"]]
    return lines


def entries(count: int) -> str:
    """ "1 entry", "2 entries" (counts shown to people agree with their noun)."""
    return f"{count:,} entr{'y' if count == 1 else 'ies'}"


def synced(added: int, changes: int, files: list[str]) -> str:
    what = [entries(added)] if added else []
    what += [f"{changes} change{'' if changes == 1 else 's'} to entries"] if changes else []
    return f"Took in {' and '.join(what)} appended to {' and '.join(files)} by others."


def imported(count: int, name: str, changes: int = 0) -> str:
    what = entries(count) + (
        f" and {changes} change{'' if changes == 1 else 's'} to entries" if changes else ""
    )
    return f"Imported {what} from {name}."


def incident_event(result: Saved) -> str:
    event = result.event
    what = {
        "timeline": "timeline event",
        "action": f"action item {event.data.get('number') if event else '?'}",
        "action-done": f"action item {event.data.get('number') if event else '?'} done",
        "impact": "impact",
        "lesson-wrong": "lesson (what went wrong)",
        "lesson-right": "lesson (what went right)",
    }.get(event.type if event else "", "event")
    where = (
        f"appended to {result.mirror_file.name}"
        if not result.mirror_error
        else f"{result.mirror_file.name} pending: {result.mirror_error}"
    )
    return f"Recorded {what} for incident {result.entry.short_id} ({where})."


def session_line(session: Any, when: str, current: bool) -> str:
    state = "open" if current else ("ended" if session.ended_at else "idle")
    return f"{session.short_id}  {when}  {session.entries:>4} entries  {state:<6} {session.title}"


RUN_ASK_WHAT = "What does this verify (one line)? "
RUN_ASK_CAUSE = "It failed. Root cause (Enter: unknown): "
RUN_ASK_FIX = "Fix or mitigation (Enter: none yet): "
RUN_DRAFT = "Kept an open incident draft with the error; finish it in the TUI (`logbook`)."
SEEN_BEFORE = "Seen before:"


def run_passed(duration: float, expected: str, result: Saved) -> str:
    return f"Passed in {duration:.1f} s ({expected}). " + saved(result)


def seen_line(entry: Entry, why: str) -> str:
    cause = entry.fields.get("cause") or "unknown"
    fix = entry.fields.get("fix") or "none recorded"
    return f"  {entry.short_id} ({why}): {entry.summary}\n    cause: {cause}\n    fix: {fix}"


def verify_progress(index: int, total: int, entry: Entry) -> str:
    width = 24
    filled = width * index // total
    bar = "#" * filled + "." * (width - filled)
    return f"[{bar}] {index}/{total} {entry.short_id} `{entry.fields.get('verify')}`"


def verify_row(row: dict[str, Any]) -> str:
    if row["result"] == "none":
        return f"{row['id'][:8]}  -     (no verification command)"
    mark = "PASS" if row["result"] == "pass" else "FAIL"
    seen = {True: "expected seen", False: "expected NOT seen", None: ""}[row["expected_seen"]]
    timing = f"exit {row['exit_code']}  {row['duration']:.1f}s"
    return f"{row['id'][:8]}  {mark}  {timing}  {seen}  `{row['command']}`"


def session_status(session: Any, since: str) -> str:
    return f"session since {since} ({entries(session.entries)})"


EXPORT_HINT = (
    "The summary to hand the work over · c copies it · ctrl+s saves it in the project · j JSON · a everything"
)
EXPORT_LOADING = "Building the summary…"
EXPORT_COPIED = "Copied the summary to the clipboard."
EVENT_TITLE = "Add to incident {id}: a timeline event, an action item, the impact, or a lesson"


RUN_TITLE = "Run a command; its result becomes a handoff (it passed) or an incident (it failed)"
RUN_PLACEHOLDER = "the command, e.g. python -m pytest -q   (Enter runs it in the project directory)"
RUNNING = "Running `{command}`…"


def verify_title(entry: Entry) -> str:
    return f"Re-verifying {entry.kind.value} {entry.short_id}: `{entry.fields.get('verify')}`"


def run_result(result: Any, summary: dict[str, Any], seen: list[tuple[Entry, str]], verifying: Any) -> str:
    if result.timed_out:
        head = f"Timed out after {result.duration:.0f} s."
    elif result.passed:
        head = f"Passed in {result.duration:.1f} s: {summary.get('expected') or 'exit 0'}."
    else:
        head = f"Failed (exit {result.exit_code}) in {result.duration:.1f} s: {summary.get('error', '')}"
    if verifying is not None:
        if summary.get("expected_seen") is False:
            head += f" The expected result ({verifying.fields.get('expected')}) was not in the output."
        return head + " Recorded as a verification of this entry. Esc closes."
    lines = [
        head,
        "ctrl+s records it as a " + ("handoff." if result.passed else "incident.") + " Esc closes.",
    ]
    if seen:
        lines.append(SEEN_BEFORE)
        lines += [seen_line(entry, why) for entry, why in seen]
    return "\n".join(lines)


# -- the main screen's status line and labels ----------------------------------------------

SEARCH_LABEL = "Search"
STATUS_KEYS = "0-4 filter · s session · r run · x export · Enter opens"
STATUS_SEPARATOR = "  ·  "


def list_status(count: int | None, kind: str | None, query: str, in_session: bool) -> str:
    """The status line's first part: how many entries (of ``kind``) the list shows."""
    if count is None:
        text = "searching…" if query else "counting…"
    else:
        text = entries(count) if kind is None else f"{count:,} {kind}{'' if count == 1 else 's'}"
        if query:
            text += f" match{'es' if count == 1 else ''} {query!r}"
    return f"{text} in this session" if in_session and count is not None else text


def pending_lines(count: int) -> str:
    lines = "1 mirror line" if count == 1 else f"{count:,} mirror lines"
    return f"{lines} pending (logbook mirror repair)"


def times_in(zone: str) -> str:
    return f"times in {zone}"


# -- forms and dialogs ---------------------------------------------------------------------------

TAGS_LABEL = "Tags"
TAGS_HELP = "space-separated, e.g. db windows"
SAVE_ANYWAY = "Save anyway (ctrl+s)"
BACK_TO_FORM = "Back to the form (Esc)"
RECORD = "Record (ctrl+s)"
CANCEL = "Cancel (Esc)"
STATUS_NOTE_LABEL = "What changed (required when the cause was unknown)"
STATUS_NOTE_HELP = "e.g. moved to port 8002; root cause was ..."
EVENT_TEXT_LABEL = "What (for an action item done: its number)"
EVENT_WHEN_LABEL = "When (timeline only; empty = now; e.g. 12:41 or 2025-12-14 12:41)"

# -- the CLI -------------------------------------------------------------------------------------


def session_started(short_id: str, title: str) -> str:
    return f"Started session {short_id}: {title}"


def session_ended(short_id: str, count: int, title: str) -> str:
    return f"Ended session {short_id} ({entries(count)}): {title}"


def ask_field(label: str, help_text: str, optional: bool) -> str:
    hint = " (may stay empty while the incident is open)" if optional else ""
    return f"{label} — {help_text}{hint}: "


def answer_refused(label: str, problem: str) -> str:
    return f"  {label} {problem}; try again."


def answer_required(label: str) -> str:
    return f"  {label} is required."


def mirror_missing(file: str, short_id: str, when: str, summary: str) -> str:
    return f"{file}: missing {short_id} {when} {summary}"


def mirror_pending_item(file: str, item: str) -> str:
    return f"{file}: pending {item}"


def mirror_clean(file: str, count: int) -> str:
    return f"{file}: in sync ({entries(count)})."
