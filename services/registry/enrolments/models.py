"""Enrolments: a person in a programme, as the programme's ministry records it."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base
from services.registry.ids import utcnow
from shared.ids import new_id

ENROLMENT_STATUSES = ("active", "suspended", "inactive")


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("programme_code", "source_record_id", name="uq_enrolments_source"),
        CheckConstraint("status IN ('active', 'suspended', 'inactive')", name="status"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates"),
        # "this person's enrolments" and "does this ministry enrol this person" (migration 0007)
        Index("ix_enrolments_person_ministry", "person_id", "ministry_code"),
        # the programme, and that the ministry is its owner, in one check
        ForeignKeyConstraint(["programme_code", "ministry_code"],
                             ["programmes.code", "programmes.ministry_code"], name="fk_enrolments_programme"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    programme_code: Mapped[str] = mapped_column(Text)
    # The programme's owner, copied so access checks need no join (programmes never move).
    ministry_code: Mapped[str] = mapped_column(Text)
    source_record_id: Mapped[str] = mapped_column(Text, doc="The record's id in the ministry's own system")
    status: Mapped[str] = mapped_column(Text, default="active", server_default="active")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deactivation_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    # md5 of the normalised record a bulk import last applied: the same hash again is "unchanged".
    record_hash: Mapped[str | None] = mapped_column(Text)
