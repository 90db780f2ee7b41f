"""Timestamps of the registry's rows (its ids are UUIDv7 from ``shared.ids``, so they sort in
creation order and keyset pagination orders by id alone)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timestamps set in Python, so a use case has them without reading its row back."""
    return datetime.now(UTC)
