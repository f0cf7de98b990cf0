"""The four kinds of entry and the fields each one carries.

This module is the single description of the entry shapes: the CLI builds its
options from it, the TUI builds its forms from it, validation checks against
it, and the mirror formats lines from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class Kind(StrEnum):
    HANDOFF = "handoff"
    INCIDENT = "incident"
    DECISION = "decision"
    NOTE = "note"


class Status(StrEnum):
    OPEN = "open"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"


SEVERITIES: tuple[str, ...] = ("SEV1", "SEV2", "SEV3", "SEV4")
"""SEV1 is the most serious."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    required: bool = False
    multiline: bool = False
    help: str = ""


FIELDS: dict[Kind, tuple[FieldSpec, ...]] = {
    Kind.HANDOFF: (
        FieldSpec("what", "What changed", required=True, help="what was done, in one line"),
        FieldSpec("why", "Why", help="the reason for the change"),
        FieldSpec("verify", "Verify", required=True, help="the exact command that proves it"),
        FieldSpec("expected", "Expected", required=True, help="what that command prints"),
        FieldSpec("now", "Now", help="the state things are in now"),
        FieldSpec("next", "Next", help="the next step for whoever picks this up"),
    ),
    Kind.INCIDENT: (
        FieldSpec("symptom", "Symptom", required=True, multiline=True, help="what was seen"),
        FieldSpec(
            "cause",
            "Root cause",
            required=True,
            multiline=True,
            help='why it happened ("unknown" while open)',
        ),
        FieldSpec(
            "fix",
            "Fix / mitigation",
            required=True,
            multiline=True,
            help="what fixed or mitigated it (may be empty while open)",
        ),
        FieldSpec("verify", "Verify", help="the command that shows it is fixed"),
        FieldSpec("expected", "Expected", help="what that command prints"),
        FieldSpec("severity", "Severity", help="SEV1 (worst) to SEV4; P1-P4 accepted"),
        FieldSpec("status", "Status", help="open, mitigated or resolved"),
    ),
    Kind.DECISION: (
        FieldSpec("decision", "Decision", required=True, multiline=True, help="what was decided"),
        FieldSpec("why", "Why", multiline=True, help="the reasons"),
        FieldSpec("consequences", "Consequences", multiline=True, help="what follows from it"),
    ),
    Kind.NOTE: (FieldSpec("text", "Text", required=True, multiline=True, help="the note"),),
}

TEXT_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(spec.name for specs in FIELDS.values() for spec in specs))
"""Every field name of every kind, in first-seen order (the store's columns)."""

_SEVERITY_ALIASES = {
    **{f"SEV{n}": f"SEV{n}" for n in range(1, 5)},
    **{f"P{n}": f"SEV{n}" for n in range(1, 5)},
    **{f"S{n}": f"SEV{n}" for n in range(1, 5)},
}


@cache
def field_names(kind: Kind) -> tuple[str, ...]:
    """The fields of ``kind``, in form order (made once per kind: every entry read asks)."""
    return tuple(spec.name for spec in FIELDS[kind])


def normalize_severity(value: str) -> str:
    """SEV1-SEV4, with P1-P4 (and sev2, S2, "2") accepted as aliases."""
    key = re.sub(r"[\s-]", "", value).upper()
    if key.isdigit():
        key = f"SEV{key}"
    try:
        return _SEVERITY_ALIASES[key]
    except KeyError:
        raise ValueError(value) from None


def normalize_status(value: str) -> Status:
    wanted = value.strip().lower()
    for status in Status:
        if status.value == wanted or (len(wanted) >= 3 and status.value.startswith(wanted)):
            return status
    raise ValueError(value)
