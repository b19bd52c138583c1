"""Reads of hospital, with the joins each caller needs."""
