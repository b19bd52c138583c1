"""Reads of insurance, with the joins each caller needs."""
