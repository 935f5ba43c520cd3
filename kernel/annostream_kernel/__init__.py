"""Shared kernel: cross-cutting code every annostream component uses (never service logic)."""
