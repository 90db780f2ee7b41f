"""Social protection programmes; each is owned by one ministry or division."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base


class Programme(Base):
    __tablename__ = "programmes"
    __table_args__ = (CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{1,31}$'", name="code_format"),
                      # what an enrolment's (programme_code, ministry_code) references
                      UniqueConstraint("code", "ministry_code", name="uq_programmes_code_ministry"))

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_bn: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    ministry_code: Mapped[str] = mapped_column(ForeignKey("ministries.code"), index=True)
