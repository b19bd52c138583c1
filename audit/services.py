"""Writes and state transitions of audit: one function per domain operation."""
