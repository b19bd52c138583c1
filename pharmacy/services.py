"""Writes and state transitions of pharmacy: one function per domain operation."""
