"""A minutes draft: what the parser read from an uploaded minutes text, kept until a committee
secretary has checked it and confirmed it into a meeting.

The uploaded file itself is stored in the row (`source_content`, with its name, media type, size and
SHA-256): minutes texts are a few kilobytes, the copy is backed up and access-controlled with the
database, and the link from a draft (and the meeting confirmed from it) to what it was read from
cannot dangle. The parser's output is kept twice: `parsed` exactly as read (for the audit), and
`fields` as the secretary corrected it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services.minutes.database import Base
from shared.ids import new_id

DRAFT_STATUSES = ("draft", "confirmed")


class Draft(Base):
    __tablename__ = "drafts"
    __table_args__ = (
        CheckConstraint(f"status IN {DRAFT_STATUSES!r}", name="status"),
        CheckConstraint("source_size >= 0", name="source_size"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(Text, default="draft")
    committee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("committees.id"), index=True)
    # The parser's output as read (MinutesDraft JSON: fields, unsure, issues): never changed.
    parsed: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The draft's fields (MinutesDraft without unsure/issues/source) as corrected by the secretary.
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB)
    unsure: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # [{"fields": [...], "checked": [...], "by_office": ..., "at": ...}], oldest first
    corrections: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    source_filename: Mapped[str] = mapped_column(Text)
    source_media_type: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(Text, index=True)
    source_size: Mapped[int] = mapped_column(Integer)
    source_content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_by_office: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    confirmed_by_office: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the secretary confirmed with fields still unsure or issues open: why.
    forced_reason: Mapped[str | None] = mapped_column(Text)
