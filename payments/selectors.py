"""Reads of payments, with the joins each caller needs."""
