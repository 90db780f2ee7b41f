"""Records the matching service has received from the registry (its own copy, fed by events)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.matching.database import Base


class SourceRecord(Base):
    __tablename__ = "source_records"

    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    ministry_code: Mapped[str] = mapped_column(Text)
    programme_code: Mapped[str] = mapped_column(Text)
    source_version: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # How many registry events changed this row: lets operators (and tests) see that no event
    # was applied twice.
    events_applied: Mapped[int] = mapped_column(Integer, default=1)
    last_event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
