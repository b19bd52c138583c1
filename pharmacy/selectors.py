"""Reads of pharmacy, with the joins each caller needs."""
