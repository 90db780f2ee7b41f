"""Persons and their identifiers (NID, birth registration number, mobile phone)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.registry.database import Base
from services.registry.geography.models import Address
from services.registry.ids import utcnow
from shared.ids import new_id

IDENTIFIER_KINDS = ("nid", "brn", "phone")


class Person(Base):
    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'inactive')", name="status"),
        CheckConstraint("gender IS NULL OR gender IN ('male', 'female', 'third_gender')", name="gender"),
        CheckConstraint("dob_precision IS NULL OR dob_precision IN ('day', 'year')", name="dob_precision"),
        CheckConstraint("name_bn IS NOT NULL OR name_en IS NOT NULL", name="has_a_name"),
        Index("ix_persons_name_bn_key_trgm", "name_bn_key", postgresql_using="gin",
              postgresql_ops={"name_bn_key": "gin_trgm_ops"}),
        Index("ix_persons_name_en_key_trgm", "name_en_key", postgresql_using="gin",
              postgresql_ops={"name_en_key": "gin_trgm_ops"}),
        # most persons (every imported one) have no household
        Index("ix_persons_household", "household_id", postgresql_where=text("household_id IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id"))
    relationship_to_head: Mapped[str | None] = mapped_column(Text)
    name_bn: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    # name_match_key of the names: what name search compares (trigram indexes above).
    name_bn_key: Mapped[str | None] = mapped_column(Text)
    name_en_key: Mapped[str | None] = mapped_column(Text)
    father_name_bn: Mapped[str | None] = mapped_column(Text)
    father_name_en: Mapped[str | None] = mapped_column(Text)
    mother_name_bn: Mapped[str | None] = mapped_column(Text)
    mother_name_en: Mapped[str | None] = mapped_column(Text)
    spouse_name_bn: Mapped[str | None] = mapped_column(Text)
    spouse_name_en: Mapped[str | None] = mapped_column(Text)
    gender: Mapped[str | None] = mapped_column(Text)
    # Many people know only their birth year: date_of_birth is then NULL and birth_year set.
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    dob_precision: Mapped[str | None] = mapped_column(Text)
    address_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("addresses.id"))
    registered_by: Mapped[str] = mapped_column(ForeignKey("ministries.code"), index=True)
    status: Mapped[str] = mapped_column(Text, default="active", server_default="active")
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deactivation_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())

    address: Mapped[Address | None] = relationship(lazy="joined")
    identifiers: Mapped[list[Identifier]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="Identifier.kind")


class Identifier(Base):
    """One identifier of a person: the raw value as submitted, beside its normalised forms."""

    __tablename__ = "identifiers"
    __table_args__ = (
        CheckConstraint("kind IN ('nid', 'brn', 'phone')", name="kind"),
        Index("ix_identifiers_lookup", "kind", "comparable"),
    )

    # at most one identifier of each kind per person
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    raw: Mapped[str] = mapped_column(Text)
    # NULL (with `comparable`) when the raw value could not be normalised: a ministry file's
    # optional identifier is kept as sent rather than lost (see docs/registry.md, Bulk import).
    normalized: Mapped[str | None] = mapped_column(Text)
    # What equality means: a 17-digit NID's last 13 digits, so it equals its 13-digit form.
    comparable: Mapped[str | None] = mapped_column(Text)
