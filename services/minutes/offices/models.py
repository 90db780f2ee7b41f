"""Offices: the ministries and divisions that sit on committees and own action items.

The registry will publish the government's list of offices; until then the minutes service keeps
its own copy, seeded by migration 0002 with the offices named in the minutes we have.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from services.minutes.database import Base

OFFICE_KINDS = ("ministry", "division", "office", "department", "commission")


class Office(Base):
    __tablename__ = "offices"
    __table_args__ = (CheckConstraint(f"kind IN {OFFICE_KINDS!r}", name="kind"),)

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_bn: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
