"""Action items: what a decision asks of which offices by when, and the updates offices post."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.minutes.database import Base
from shared.ids import new_id

if TYPE_CHECKING:
    from services.minutes.meetings.models import Decision

ACTION_STATUSES = ("open", "in_progress", "done", "overdue", "cancelled")
# Statuses the sweep may turn into "overdue": work that is still expected.
PENDING_STATUSES = ("open", "in_progress")


class ActionItem(Base):
    __tablename__ = "action_items"
    __table_args__ = (
        CheckConstraint(f"status IN {ACTION_STATUSES!r}", name="status"),
        # What the daily sweep scans: pending items with a deadline.
        Index("ix_action_items_pending_deadline", "deadline",
              postgresql_where=text("status IN ('open', 'in_progress') AND deadline IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    decision_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    # Copied from the decision's meeting so per-committee counts and listings need no join chain.
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("meetings.id", ondelete="CASCADE"))
    committee_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("committees.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    deadline_as_written: Mapped[str | None] = mapped_column(Text)  # e.g. "এ বছর ডিসেম্বর মাসের মধ্যে"
    status: Mapped[str] = mapped_column(Text, default="open")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    decision: Mapped[Decision] = relationship(back_populates="action_items")
    responsible: Mapped[list[ActionItemOffice]] = relationship(
        order_by="ActionItemOffice.position", cascade="all, delete-orphan", lazy="selectin")
    updates: Mapped[list[ActionUpdate]] = relationship(
        order_by="ActionUpdate.posted_at", cascade="all, delete-orphan", lazy="selectin")


class ActionItemOffice(Base):
    __tablename__ = "action_item_offices"

    action_item_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("action_items.id", ondelete="CASCADE"), primary_key=True)
    office_code: Mapped[str] = mapped_column(Text, ForeignKey("offices.code"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)


class ActionUpdate(Base):
    """A progress report on an action item, with evidence, as an office posted it."""

    __tablename__ = "action_updates"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    action_item_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("action_items.id", ondelete="CASCADE"), index=True)
    posted_by_office: Mapped[str] = mapped_column(Text)
    status_before: Mapped[str] = mapped_column(Text)
    status_after: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[str]] = mapped_column(JSONB, default=list)  # memo numbers, links, file refs
    # clock_timestamp, not now(): several updates posted in one transaction keep their order.
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())
