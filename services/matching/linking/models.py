"""Tables of incremental linkage: comparison keys, blocking keys, persons and their records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, SmallInteger, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

from services.matching.database import Base
from shared.ids import new_id


class XID8(UserDefinedType):
    """PostgreSQL's 64-bit transaction id."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


class RecordKey(Base):
    """A record's normalised comparison keys (the engine's key table row), kept so that a new
    record can be compared with it without normalising it again.

    ``keys`` is one CSV line in the key table's column order (``linking.frames.keys_to_lines``):
    a candidate's keys are shipped as stored and parsed by a CSV reader, much cheaper than JSON
    for the ~10 candidates read per linked record. A change of the key table's columns needs a
    migration that rewrites these lines.

    ``stored_by`` is the transaction that wrote the row last and ``restored`` whether that write
    replaced keys stored before (migration 0009): what a large batch's candidate lookup, made before
    its locks, completes under them with (``linking.service.complete_early_candidates``)."""

    __tablename__ = "record_keys"
    __table_args__ = (Index("ix_record_keys_stored_by", "stored_by", postgresql_where=text("stored_by IS NOT NULL")),)

    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    keys: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    stored_by: Mapped[str | None] = mapped_column(XID8, server_default=text("pg_current_xact_id()"))
    restored: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class BlockKey(Base):
    """One blocking key of one record: records sharing (rule, key) are compared. ``rule`` is the
    rule family. No index by record: a changed record's old keys are deleted by their primary key,
    recomputed from its stored keys (one index to maintain per key instead of two)."""

    __tablename__ = "block_keys"

    rule: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    key: Mapped[str] = mapped_column(Text(collation="C"), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)


class NameCount(Base):
    """How many records carry an own-name skeleton: the term frequency of a name, so a common
    name weighs less than a rare one, as in the batch model."""

    __tablename__ = "name_counts"

    skeleton: Mapped[str] = mapped_column(Text, primary_key=True)
    records: Mapped[int] = mapped_column(Integer)


class Person(Base):
    __tablename__ = "persons"

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MergedPerson(Base):
    """A person merged into another: the id lives on as ``survivor_id`` (``GET /persons/{id}`` redirects)."""

    __tablename__ = "merged_persons"
    __table_args__ = (Index("ix_merged_persons_survivor", "survivor_id"),)

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    survivor_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    merged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PersonLink(Base):
    """Which person a record belongs to, and how sure the link was when it was made."""

    __tablename__ = "person_links"
    __table_args__ = (Index("ix_person_links_person", "person_id"),)

    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    probability: Mapped[float | None] = mapped_column(Float)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StoredModelParams(Base):
    """Parameters estimated by a batch run; the newest is what real-time linking uses."""

    __tablename__ = "model_params"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    records: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
