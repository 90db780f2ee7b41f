"""The review queue: pairs the model was unsure of, and reviewers' decisions on them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Float, Index, Integer, Text, UniqueConstraint, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.matching.database import Base

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"


class ReviewPair(Base):
    __tablename__ = "review_pairs"
    __table_args__ = (
        # one row per unordered pair: record_a is always the smaller id
        UniqueConstraint("record_a", "record_b", name="uq_review_pairs_pair"),
        CheckConstraint("record_a < record_b", name="ordered"),
        CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name="status"),
        Index("ix_review_pairs_pending", "id", postgresql_where="status = 'pending'"),
        Index("ix_review_pairs_record_b", "record_b"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_a: Mapped[uuid.UUID] = mapped_column(Uuid)
    record_b: Mapped[uuid.UUID] = mapped_column(Uuid)
    # the model's probability when it queued the pair; None for a pair a reviewer raised
    probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, default=PENDING)
    decided_by: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def ordered(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if a < b else (b, a)
