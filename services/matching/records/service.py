"""Keeps the matching service's copy of registry records up to date from events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.linking.models import PersonLink
from services.matching.linking.service import link_records
from services.matching.records.models import SourceRecord
from services.matching.records.schemas import SourceRecordPage, SourceRecordRead
from shared.errors import NotFound
from shared.events import EventEnvelope

# One statement for a whole consumer batch (arrays, not a VALUES list compiled per batch); an older
# version arriving late never overwrites a newer one.
_UPSERT_SQL = text("""
    INSERT INTO matching.source_records (record_id, ministry_code, programme_code, source_version, attributes,
                                         events_applied, last_event_id)
    SELECT r, m, p, v, CAST(a AS jsonb), n, e
    FROM unnest(CAST(:ids AS uuid[]), CAST(:ministries AS text[]), CAST(:programmes AS text[]),
                CAST(:versions AS int[]), CAST(:attributes AS text[]), CAST(:applied AS int[]),
                CAST(:events AS uuid[])) AS u(r, m, p, v, a, n, e)
    ON CONFLICT (record_id) DO UPDATE SET
        ministry_code = excluded.ministry_code, programme_code = excluded.programme_code,
        source_version = excluded.source_version, attributes = excluded.attributes,
        events_applied = source_records.events_applied + excluded.events_applied,
        last_event_id = excluded.last_event_id, updated_at = now()
    WHERE source_records.source_version < excluded.source_version
    RETURNING record_id
""")
IDENTITY_FIELDS = ("id", "ministry_code", "programme_code", "version", "created_at", "updated_at")


async def apply_beneficiary_upserts(session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
    """Upsert each record's newest version, then link the records that changed.

    An older version arriving late never overwrites a newer one; two versions of one record in a
    batch count as two applied events.
    """
    newest: dict[uuid.UUID, dict] = {}
    for event in events:
        payload = event.payload
        record_id = uuid.UUID(payload["id"])
        row = {
            "record_id": record_id,
            "ministry_code": payload["ministry_code"],
            "programme_code": payload["programme_code"],
            "source_version": int(payload.get("version", 1)),
            "attributes": {k: v for k, v in payload.items() if k not in IDENTITY_FIELDS},
            "events_applied": 1,
            "last_event_id": event.event_id,
        }
        previous = newest.get(record_id)
        if previous is not None:
            row["events_applied"] += previous["events_applied"]
            if previous["source_version"] > row["source_version"]:
                row = {**previous, "events_applied": row["events_applied"]}
        newest[record_id] = row
    if not newest:
        return
    rows = list(newest.values())
    statement = _UPSERT_SQL.bindparams(
        ids=[r["record_id"] for r in rows], ministries=[r["ministry_code"] for r in rows],
        programmes=[r["programme_code"] for r in rows], versions=[r["source_version"] for r in rows],
        attributes=[orjson.dumps(r["attributes"]).decode() for r in rows],
        applied=[r["events_applied"] for r in rows], events=[r["last_event_id"] for r in rows])
    changed = set((await session.execute(statement)).scalars())
    await link_records(session, [(rid, newest[rid]["attributes"]) for rid in newest if rid in changed])


async def get_record(session: AsyncSession, *, record_id: uuid.UUID) -> SourceRecordRead:
    found = await session.get(SourceRecord, record_id)
    if found is None:
        raise NotFound(
            "the matching service has not received this record", loc=["path", "record_id"], input=str(record_id)
        )
    person_id = await session.scalar(select(PersonLink.person_id).where(PersonLink.record_id == record_id))
    return SourceRecordRead.model_validate(found).model_copy(update={"person_id": person_id})


async def list_records(
    session: AsyncSession, *, ministry_code: str | None, limit: int, offset: int
) -> SourceRecordPage:
    query = select(SourceRecord)
    count = select(func.count()).select_from(SourceRecord)
    if ministry_code:
        query = query.where(SourceRecord.ministry_code == ministry_code)
        count = count.where(SourceRecord.ministry_code == ministry_code)
    items = (await session.scalars(query.order_by(SourceRecord.received_at.desc()).limit(limit).offset(offset))).all()
    return SourceRecordPage(
        items=[SourceRecordRead.model_validate(i) for i in items], total=int(await session.scalar(count) or 0)
    )
