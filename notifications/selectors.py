"""Reads of notifications, with the joins each caller needs."""
