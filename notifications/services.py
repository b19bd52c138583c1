"""Writes and state transitions of notifications: one function per domain operation."""
