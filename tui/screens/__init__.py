"""Screens of logbook's TUI."""
