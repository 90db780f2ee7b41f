"""Identifiers of the registry's rows.

UUIDv7 (RFC 9562): the first 48 bits are the creation time in milliseconds, so ids sort in
creation order. Keyset pagination orders by id alone, and new rows land at the right end of
the primary-key index instead of at random pages of it (Python 3.11 has no `uuid.uuid7`).
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

_RAND_A_BITS = 12
_RAND_B_BITS = 62


def new_id() -> uuid.UUID:
    milliseconds = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    rand_a = (random_bits >> _RAND_B_BITS) & ((1 << _RAND_A_BITS) - 1)
    rand_b = random_bits & ((1 << _RAND_B_BITS) - 1)
    value = ((milliseconds & ((1 << 48) - 1)) << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return uuid.UUID(int=value)


def utcnow() -> datetime:
    """Timestamps set in Python, so a use case has them without reading its row back."""
    return datetime.now(UTC)
