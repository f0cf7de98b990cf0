"""Widgets of logbook's TUI."""
