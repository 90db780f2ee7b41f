"""Committees (the Social Assistance cluster, the NSSS focal points, the Central Management
Committee...) and the offices that are their members."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, Text, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.minutes.database import Base
from shared.ids import new_id


class Committee(Base):
    __tablename__ = "committees"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name_bn: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    secretary_office_code: Mapped[str | None] = mapped_column(Text, ForeignKey("offices.code"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    members: Mapped[list[CommitteeMember]] = relationship(
        order_by="CommitteeMember.position", cascade="all, delete-orphan", lazy="selectin")


class CommitteeMember(Base):
    __tablename__ = "committee_members"

    committee_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("committees.id", ondelete="CASCADE"),
                                                    primary_key=True)
    office_code: Mapped[str] = mapped_column(Text, ForeignKey("offices.code"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
