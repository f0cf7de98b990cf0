"""logbook's storage layer: entries in SQLite, mirrored to HANDOFF.md / INCIDENTS.md.

This package never imports Textual (an import-linter contract enforces it),
and importing it opens, creates and loads nothing heavy. The narrow API the
CLI and the TUI use is :class:`storage.store.Store` and the plain records it
returns.
"""
