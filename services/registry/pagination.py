"""Keyset (cursor) pagination: a page ends with an opaque cursor naming its last row.

Ids are UUIDv7 (`services.registry.ids`), so ordering by id is ordering by creation; the next
page is `WHERE id > :last`, which stays fast and stable however deep a client pages, unlike
OFFSET, and a row inserted meanwhile never shifts a page.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated

from fastapi import Query

from shared.errors import Invalid

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError):
        raise Invalid("not a cursor this service returned", loc=["query", "cursor"],
                      error_type="cursor.invalid", input=cursor) from None


def next_cursor(ids: list[uuid.UUID], limit: int) -> str | None:
    """A cursor when the page is full (there may be more), None on the last page."""
    return encode_cursor(ids[-1]) if len(ids) == limit and ids else None
