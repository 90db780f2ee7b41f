"""A meeting as its minutes (কার্যবিবরণী) record it: when and where, who chaired and attended,
the agenda and discussion, the decisions with their labels as written, and the memo that
circulated the minutes to a distribution list with copies."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.minutes.database import Base
from shared.ids import new_id

if TYPE_CHECKING:
    from services.minutes.actions.models import ActionItem

DISTRIBUTION_KINDS = ("distribution", "copy")


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_search_text_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    committee_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("committees.id"), index=True)
    title_bn: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text)
    held_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time | None] = mapped_column(Time)
    venue: Mapped[str | None] = mapped_column(Text)
    is_online: Mapped[bool] = mapped_column(Boolean, default=False)
    chair_name: Mapped[str] = mapped_column(Text)
    chair_designation: Mapped[str | None] = mapped_column(Text)
    attendance_note: Mapped[str | None] = mapped_column(Text)
    attendees: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    opening_remarks: Mapped[str | None] = mapped_column(Text)
    memo_number: Mapped[str | None] = mapped_column(Text)
    issued_on: Mapped[date | None] = mapped_column(Date)
    signed_by_name: Mapped[str | None] = mapped_column(Text)
    signed_by_designation: Mapped[str | None] = mapped_column(Text)
    recorded_by_office: Mapped[str] = mapped_column(Text)
    # The draft this meeting was confirmed from (and through it the uploaded source file), if any.
    draft_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("drafts.id"), unique=True)
    # Normalised (normalize_bangla_text + casefold) title, venue, chair, memo number and
    # discussion: what search matches against, so a query matches whatever encoding was typed.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    agenda_items: Mapped[list[AgendaItem]] = relationship(
        order_by="AgendaItem.position", cascade="all, delete-orphan", lazy="selectin")
    decisions: Mapped[list[Decision]] = relationship(
        order_by="Decision.position", cascade="all, delete-orphan", lazy="selectin")
    distribution_entries: Mapped[list[DistributionEntry]] = relationship(
        order_by="(DistributionEntry.kind, DistributionEntry.position)", cascade="all, delete-orphan",
        lazy="selectin")


class AgendaItem(Base):
    __tablename__ = "agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "position", name="uq_agenda_items_meeting_position"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("meetings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    discussion: Mapped[str] = mapped_column(Text, default="")


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("meeting_id", "position", name="uq_decisions_meeting_position"),
        Index("ix_decisions_search_text_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)  # as written: ক, খ, গ ... or ০৬(ক)
    title: Mapped[str | None] = mapped_column(Text)
    text_bn: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    action_items: Mapped[list[ActionItem]] = relationship(
        order_by="ActionItem.position", lazy="selectin", back_populates="decision")


class DistributionEntry(Base):
    """One line of the বিতরণ (distribution) or অনুলিপি (copies) list, in its order."""

    __tablename__ = "distribution_entries"
    __table_args__ = (
        UniqueConstraint("meeting_id", "kind", "position", name="uq_distribution_entries_meeting_kind_position"),
        CheckConstraint(f"kind IN {DISTRIBUTION_KINDS!r}", name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("meetings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(Text)  # as written, e.g. "সচিব, ভূমি মন্ত্রণালয়"
    office_code: Mapped[str | None] = mapped_column(Text, ForeignKey("offices.code"))
