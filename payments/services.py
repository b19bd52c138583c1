"""Writes and state transitions of payments: one function per domain operation."""
