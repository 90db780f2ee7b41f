"""Identifiers and timestamps of the registry's rows: UUIDv7 (``shared.ids``), so ids sort in
creation order and keyset pagination orders by id alone."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.ids import new_id

__all__ = ["new_id", "utcnow"]


def utcnow() -> datetime:
    """Timestamps set in Python, so a use case has them without reading its row back."""
    return datetime.now(UTC)
