"""Reads of audit, with the joins each caller needs."""
