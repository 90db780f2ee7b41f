"""Transactional outbox: an event is a row written in the same transaction as the change it
describes; `OutboxRelay` publishes pending rows to Kafka and marks them sent once the broker
acknowledged them (`acks="all"`).

Delivery is at-least-once: a crash between the broker's acknowledgement and the `sent_at` update
sends the event again, which the idempotent consumer (`shared.consumer`) skips by event id.

A table defined with `batches=True` may also hold batch rows (`events` > 1): the events of a
bulk write, `topic TAB key TAB body` lines compressed with LZ4 (`pack_events`), published one
Kafka message per event like any other row. A bulk import of a million records writes a few
thousand compact rows instead of three million (their tuples, index entries and uncompressed
bodies were a third of the import's database time); consumers see the same messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import lz4.frame
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


BATCH_TOPIC = "*batch*"  # the topic column of a batch row: its events carry their own


def define_outbox_table(metadata: MetaData, *, batches: bool = False) -> Table:
    """The outbox table in a service's own schema (each service owns its outbox); with
    `batches`, the `events` column lets a row hold a compressed batch of events."""
    extra = [Column("events", Integer, nullable=False, server_default="1")] if batches else []
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        # a batch row's event_id is its first event's
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("body", LargeBinary, nullable=False),
        *extra,
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text),
        Index("ix_outbox_pending", "id", postgresql_where=text("sent_at IS NULL")),
    )


def pack_events(lines: bytes) -> bytes:
    """A batch row's body from `topic TAB key TAB body` lines joined by newlines (an event body
    is JSON, whose strings escape both)."""
    return lz4.frame.compress(lines, compression_level=0)


def expand_rows(rows: Iterable[Any]) -> Iterator[tuple[str, str, bytes]]:
    """(topic, key, body) of the events of outbox rows (`topic`, `key`, `body` and, in a table
    with batches, `events`), batch rows unpacked: what the relay publishes, in order."""
    for row in rows:
        if row.topic == BATCH_TOPIC:
            for topic, key, body in unpack_events(bytes(row.body)):
                yield topic, key.decode(), body
        else:
            yield row.topic, row.key, bytes(row.body)


def unpack_events(body: bytes) -> Iterator[tuple[str, bytes, bytes]]:
    """(topic, key, body) of each event of a batch row, in the order they were written."""
    for line in lz4.frame.decompress(body).split(b"\n"):
        topic, key, event = line.split(b"\t", 2)
        yield topic.decode(), key, event


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

    A bulk writer may hold that lock shared (`pg_advisory_lock_shared(lock_key)`) to keep the
    cores for itself: its events wait in the outbox until it lets go. Meanwhile the events of
    `priority_topics` (a bulk job's progress, say) are published ahead of the others: their keys
    appear in no other topic, so no key's events change order. Both paths take `lane_key` too,
    so two relays never publish the priority topics at once.
    """

    def __init__(self, *, settings: ServiceSettings, database: Database, outbox: Table,
                 topics: Iterable[str], priority_topics: Iterable[str] = ()) -> None:
        self.settings = settings
        self.database = database
        self.outbox = outbox
        self.topics = sorted(set(topics))
        self.priority_topics = sorted(set(priority_topics))
        self.lock_key = zlib.crc32(f"outbox:{outbox.schema}".encode())
        self.lane_key = zlib.crc32(f"outbox-priority:{outbox.schema}".encode())
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
            priority_only = not locked
            if priority_only and not self.priority_topics:
                return 0
            if self.priority_topics and not await connection.scalar(
                    select(func.pg_try_advisory_xact_lock(self.lane_key))):
                return 0
            rows = await self._pending_page(connection, priority_only=priority_only)
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
        sent = set(sent_ids)
        published = sum(self._events_of(row) for row in rows if row.id in sent)
        OUTBOX_PUBLISHED.labels(self.settings.service_name).inc(published)
        self.published_total += published
        if failed_ids:
            raise RuntimeError(f"broker did not acknowledge {len(failed_ids)} events: {error}")
        if self._broker_down_since is not None:
            logger.info("broker reachable again; outbox backlog is being published",
                        extra={"down_s": round(time.monotonic() - self._broker_down_since, 1)})
            self._broker_down_since = None
        if time.monotonic() - self._gauge_updated > 10:
            # counting a multi-million backlog takes a while: refresh the gauge, not every page
            self._gauge_updated = time.monotonic()
            await self._update_pending_gauge()
        return published

    @property
    def _batched(self) -> bool:
        return "events" in self.outbox.c

    @staticmethod
    def _events_of(row: Any) -> int:
        return getattr(row, "events", 1)

    async def _pending_page(self, connection: AsyncConnection, *, priority_only: bool = False) -> Sequence[Any]:
        """The next pending rows in order, about `outbox_batch_size` events in all (at least one
        row, however big its batch); with `priority_only`, those of the priority topics."""
        table, limit = self.outbox, self.settings.outbox_batch_size
        columns = [table.c.id, table.c.topic, table.c.key, table.c.body]
        if priority_only:
            return (await connection.execute(select(*columns).where(
                table.c.sent_at.is_(None), table.c.topic.in_(self.priority_topics))
                .order_by(table.c.id).limit(limit))).all()
        if not self._batched:
            return (await connection.execute(select(*columns).where(table.c.sent_at.is_(None))
                                             .order_by(table.c.id).limit(limit))).all()
        heads = (await connection.execute(select(table.c.id, table.c.events).where(table.c.sent_at.is_(None))
                                          .order_by(table.c.id).limit(limit))).all()
        chosen, total = [], 0
        for head in heads:
            if chosen and total + head.events > limit:
                break
            chosen.append(head.id)
            total += head.events
        if not chosen:
            return []
        return (await connection.execute(select(*columns, table.c.events).where(table.c.id.in_(chosen))
                                         .order_by(table.c.id))).all()

    def _publish(self, rows: Sequence[Any]) -> tuple[list[int], list[int], str]:
        producer = self._ensure_producer()
        futures = []
        try:
            for row in rows:
                if row.topic == BATCH_TOPIC:  # a batch may hold a single event
                    for topic, key, body in unpack_events(row.body):
                        futures.append((row.id, producer.send(topic, key=key, value=body,
                                                              headers=[("event_type", topic.encode())])))
                else:
                    futures.append((row.id, producer.send(
                        row.topic, key=row.key.encode(), value=row.body,
                        headers=[("event_type", row.topic.encode())])))
            producer.flush(timeout=10)
        except Exception as exc:
            self._reset_after_failure()
            done = _rows_fully_sent(futures)
            return sorted(done), [r.id for r in rows if r.id not in done], repr(exc)
        done = _rows_fully_sent(futures)
        failed = [r.id for r in rows if r.id not in done]
        error = next((repr(f.exception) for _, f in futures if f.is_done and not f.succeeded()), "not sent")
        if failed:
            self._reset_after_failure()
        return sorted(done), failed, error if failed else ""

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
            counted = func.coalesce(func.sum(self.outbox.c.events), 0) if self._batched else func.count()
            pending = await connection.scalar(
                select(counted).select_from(self.outbox).where(self.outbox.c.sent_at.is_(None)))
        OUTBOX_PENDING.labels(self.settings.service_name).set(pending or 0)

    async def _maybe_cleanup(self) -> None:
        now = time.monotonic()
        if now - self._last_cleanup < 60:
            return
        self._last_cleanup = now
        async with self.database.engine.begin() as connection:
            cutoff = datetime.now(UTC) - timedelta(hours=self.settings.outbox_retention_hours)
            await connection.execute(delete(self.outbox).where(self.outbox.c.sent_at < cutoff))


def _rows_fully_sent(futures: Sequence[tuple[int, Any]]) -> set[int]:
    """Rows all of whose events the broker acknowledged (a batch row half sent is sent again
    whole; its consumers skip what they already had by event id)."""
    done: set[int] = set()
    failed: set[int] = set()
    for row_id, future in futures:
        (done if future.is_done and future.succeeded() else failed).add(row_id)
    return done - failed
