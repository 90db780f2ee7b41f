"""Transactional outbox: an event is a row written in the same transaction as the change it
describes; `OutboxRelay` publishes pending rows to Kafka and marks them sent once the broker
acknowledged them (`acks="all"`).

Delivery is at-least-once: a crash between the broker's acknowledgement and the `sent_at` update
sends the event again, which the idempotent consumer (`shared.consumer`) skips by event id.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from kafka import KafkaProducer
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.db import Database
from shared.events import EventEnvelope
from shared.kafka import ensure_topics, make_producer
from shared.metrics import OUTBOX_FAILED, OUTBOX_PENDING, OUTBOX_PUBLISHED
from shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


def define_outbox_table(metadata: MetaData) -> Table:
    """The outbox table in a service's own schema (each service owns its outbox)."""
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text),
        Index("ix_outbox_pending", "id", postgresql_where=text("sent_at IS NULL")),
    )


def outbox_rows(events: Iterable[EventEnvelope]) -> list[dict[str, Any]]:
    return [{"event_id": e.event_id, "topic": e.topic, "key": e.key, "body": e.to_bytes()} for e in events]


async def add_events(session: AsyncSession | AsyncConnection, outbox: Table,
                     events: Sequence[EventEnvelope]) -> None:
    """Stage events in the caller's transaction; they are published only if it commits."""
    if events:
        await session.execute(insert(outbox), outbox_rows(events))


class OutboxRelay:
    """Publishes a service's pending outbox rows in order.

    One relay per service publishes at a time (a transaction-scoped advisory lock), so events
    about one entity reach their partition in the order they were written even with several
    replicas running.
    """

    def __init__(self, *, settings: ServiceSettings, database: Database, outbox: Table,
                 topics: Iterable[str]) -> None:
        self.settings = settings
        self.database = database
        self.outbox = outbox
        self.topics = sorted(set(topics))
        self.lock_key = zlib.crc32(f"outbox:{outbox.schema}".encode())
        self._producer: KafkaProducer | None = None
        self._topics_checked = False
        self._broker_down_since: float | None = None
        self._last_cleanup = 0.0
        self._gauge_updated = 0.0
        self.published_total = 0

    async def run(self, stop: asyncio.Event) -> None:
        backoff = self.settings.outbox_poll_interval_s
        while not stop.is_set():
            try:
                if not self._topics_checked:
                    # at start-up, and again after a failure: create missing topics before any send
                    await asyncio.to_thread(self._ensure_producer)
                sent = await self.relay_once()
                backoff = self.settings.outbox_poll_interval_s
                if sent:
                    continue  # drain a backlog without sleeping
                await self._maybe_cleanup()
            except Exception as exc:  # keep relaying whatever fails: the rows stay pending
                self._note_failure(exc)
                backoff = min(max(backoff * 2, 0.2), 2.0)
            try:
                await asyncio.wait_for(stop.wait(), timeout=backoff)
            except TimeoutError:
                pass
        await asyncio.to_thread(self._close_producer)

    async def relay_once(self) -> int:
        """Publish one page of pending events; returns how many the broker acknowledged."""
        async with self.database.engine.begin() as connection:
            locked = await connection.scalar(select(func.pg_try_advisory_xact_lock(self.lock_key)))
            if not locked:
                return 0
            rows = (await connection.execute(
                select(self.outbox.c.id, self.outbox.c.topic, self.outbox.c.key, self.outbox.c.body)
                .where(self.outbox.c.sent_at.is_(None))
                .order_by(self.outbox.c.id)
                .limit(self.settings.outbox_batch_size)
            )).all()
            if not rows:
                OUTBOX_PENDING.labels(self.settings.service_name).set(0)
                return 0
            sent_ids, failed_ids, error = await asyncio.to_thread(self._publish, rows)
            if sent_ids:
                await connection.execute(
                    update(self.outbox).where(self.outbox.c.id.in_(sent_ids))
                    .values(sent_at=func.now(), attempts=self.outbox.c.attempts + 1))
            if failed_ids:
                await connection.execute(
                    update(self.outbox).where(self.outbox.c.id.in_(failed_ids))
                    .values(attempts=self.outbox.c.attempts + 1, last_error=error[:500]))
        OUTBOX_PUBLISHED.labels(self.settings.service_name).inc(len(sent_ids))
        self.published_total += len(sent_ids)
        if failed_ids:
            raise RuntimeError(f"broker did not acknowledge {len(failed_ids)} events: {error}")
        if self._broker_down_since is not None:
            logger.info("broker reachable again; outbox backlog is being published",
                        extra={"down_s": round(time.monotonic() - self._broker_down_since, 1)})
            self._broker_down_since = None
        if len(rows) == self.settings.outbox_batch_size and time.monotonic() - self._gauge_updated > 10:
            # counting a multi-million backlog takes a while: refresh the gauge, not every page
            self._gauge_updated = time.monotonic()
            await self._update_pending_gauge()
        return len(sent_ids)

    def _publish(self, rows: Sequence[Any]) -> tuple[list[int], list[int], str]:
        producer = self._ensure_producer()
        futures = []
        try:
            for row in rows:
                futures.append((row.id, producer.send(
                    row.topic, key=row.key.encode(), value=row.body,
                    headers=[("event_type", row.topic.encode())])))
            producer.flush(timeout=10)
        except Exception as exc:
            done = {row_id for row_id, f in futures if f.is_done and f.succeeded()}
            self._reset_after_failure()
            return sorted(done), [r.id for r in rows if r.id not in done], repr(exc)
        sent, failed, error = [], [], ""
        for row_id, future in futures:
            if future.is_done and future.succeeded():
                sent.append(row_id)
            else:
                failed.append(row_id)
                error = error or repr(future.exception)
        if failed:
            self._reset_after_failure()
        return sent, failed, error

    def _reset_after_failure(self) -> None:
        # A broker that restarted has forgotten our idempotent producer id (and, on memory
        # storage, the topics): start over with a new producer and check the topics again.
        self._topics_checked = False
        self._close_producer()

    def _ensure_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = make_producer(self.settings)
        if not self._topics_checked:
            # A broker that restarted on memory storage has lost its topics; recreate them with
            # our partition count before the first send would auto-create them with its own.
            ensure_topics(self.settings, self.topics)
            self._topics_checked = True
        return self._producer

    def _close_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=0.5)
            except Exception:  # closing during an outage must not block shutdown
                pass
            self._producer = None

    def _note_failure(self, exc: Exception) -> None:
        OUTBOX_FAILED.labels(self.settings.service_name).inc()
        if self._broker_down_since is None:
            self._broker_down_since = time.monotonic()
            logger.warning("outbox relay cannot publish; events stay in the outbox and will be retried",
                           extra={"error": str(exc)[:300]})

    async def _update_pending_gauge(self) -> None:
        async with self.database.engine.connect() as connection:
            pending = await connection.scalar(
                select(func.count()).select_from(self.outbox).where(self.outbox.c.sent_at.is_(None)))
        OUTBOX_PENDING.labels(self.settings.service_name).set(pending or 0)

    async def _maybe_cleanup(self) -> None:
        now = time.monotonic()
        if now - self._last_cleanup < 60:
            return
        self._last_cleanup = now
        async with self.database.engine.begin() as connection:
            cutoff = datetime.now(UTC) - timedelta(hours=self.settings.outbox_retention_hours)
            await connection.execute(delete(self.outbox).where(self.outbox.c.sent_at < cutoff))
