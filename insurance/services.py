"""Writes and state transitions of insurance: one function per domain operation."""
