"""Every sentence logbook says to a person, in one place (CLI and TUI alike)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.records import Draft, Entry
    from storage.store import Saved
    from storage.validation import Problem

REFUSED = "Not saved: nothing was written to the store or the mirror."
DUPLICATE_HINT = "Add --allow-duplicate if this really is a separate entry."
DUPLICATE_TUI_HINT = "Save anyway (ctrl+s) if this really is a separate entry, or press Esc to go back."
NOT_FOUND = "No entry with id {id!r} in this store."
AMBIGUOUS = "The id prefix {prefix!r} matches several entries: {candidates}. Type more of it."
NO_ENTRIES = "No entries yet in {project}. Add one with `logbook add handoff|incident|decision|note`."
NO_MATCHES = "Nothing matches {query!r}."
MIRROR_CLEAN = "{file}: in sync ({count} entries)."
MIRROR_REPAIRED = "{file}: appended {count} missing entries."
MIRROR_NOTHING_TO_REPAIR = "Nothing to repair: every entry is in its mirror file."
LEFT_AS_IS = "left as it is: logbook never rewrites your text"
INTERRUPTED = "Interrupted: nothing was saved."
BAD_KIND = "{kind!r} is not a kind: use handoff, incident, decision or note."
DRAFT_KEPT = "Draft kept: it will be offered back next time."
DRAFT_RESTORED = "Restored your unsaved {kind} draft from {when}."
STORE_LOCKED = "The store is busy (another logbook is writing); try again in a moment."
SCHEMA_TOO_NEW = "{error}"
IMPORT_DONE = "Imported {added} entries ({skipped} already present, {refused} refused)."
EXPORTED = "Exported {count} entries to {target}."
PROMPT_INTRO = "Some required fields are missing; fill them in (Ctrl+C to cancel)."


def refused(problems: Iterable[Problem]) -> str:
    lines = [REFUSED]
    lines += [f"  - {problem.field}: {problem.message}" for problem in problems]
    return "\n".join(lines)


def saved(result: Saved) -> str:
    entry = result.entry
    where = f"Saved {entry.kind.value} {entry.short_id} to the store"
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
    return f"{count} mirror lines could not be written ({error}); they stay pending."
