"""Writes and state transitions of hospital: one function per domain operation."""
