"""The matching service's outbox as its events (batch rows unpacked), for assertions."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from services.matching.database import outbox
from shared.db import Database
from shared.events import EventEnvelope
from shared.outbox import expand_rows


async def outbox_events(database: Database, *record_ids: uuid.UUID) -> list[EventEnvelope]:
    """Every event in the outbox about one of these records (all of them if none is given), in the
    order the relay publishes them."""
    async with database.sessionmaker() as session:
        rows = (await session.execute(select(outbox.c.topic, outbox.c.key, outbox.c.body, outbox.c.events)
                                      .order_by(outbox.c.id))).all()
    wanted = {str(r) for r in record_ids}
    events = []
    for topic, key, body in expand_rows(rows):
        event = EventEnvelope.from_bytes(body)
        assert event.topic == topic and event.key == key, "a message's topic and key are its event's"
        if not wanted or event.payload["record_id"] in wanted:
            events.append(event)
    return events
