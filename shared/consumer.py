"""Idempotent event consumer.

Kafka delivers at least once (and a broker on memory storage forgets committed offsets when it
restarts), so every consumed event id is recorded in the consumer's own `processed_events` table
in the same transaction as its effect. An event seen again is skipped; offsets are committed to
Kafka only after that transaction commits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from sqlalchemy import Column, DateTime, MetaData, Table, Text, TextualSelect, Uuid, column, func, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database
from shared.events import EventEnvelope
from shared.kafka import broker_reachable, make_consumer
from shared.metrics import EVENTS_CONSUMED, EVENTS_REJECTED, EVENTS_SKIPPED
from shared.settings import ServiceSettings

logger = logging.getLogger(__name__)

EventHandler = Callable[[AsyncSession, Sequence[EventEnvelope]], Awaitable[None]]


def define_processed_events_table(metadata: MetaData) -> Table:
    return Table(
        "processed_events",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("event_type", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


@dataclass(frozen=True)
class Subscription:
    """What a service consumes: topics and the handler that applies a batch of new events."""

    topics: tuple[str, ...]
    handler: EventHandler
    group_suffix: str = "main"


@lru_cache(maxsize=8)
def _record_processed_sql(processed: Table) -> TextualSelect:
    """Records event ids, returning those not recorded before: one statement text whatever the batch
    size (a VALUES list of 2,000 rows cost ~200 ms to compile, plan and run; the ids travel as one
    text, split by PostgreSQL)."""
    return text(f"""
        INSERT INTO {processed.fullname} (event_id, event_type)
        SELECT * FROM unnest(CAST(string_to_array(CAST(:ids AS text), ',') AS uuid[]), CAST(:types AS text[]))
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id""").columns(column("event_id", Uuid))


async def apply_events_once(session: AsyncSession, processed: Table, events: Sequence[EventEnvelope],
                            handler: EventHandler) -> list[EventEnvelope]:
    """Record the events' ids and apply only those not seen before, in the caller's transaction."""
    unique = list({e.event_id: e for e in events}.values())
    if not unique:
        return []
    inserted = set((await session.execute(_record_processed_sql(processed), {
        "ids": ",".join(str(e.event_id) for e in unique), "types": [e.type for e in unique]})).scalars())
    fresh = [e for e in unique if e.event_id in inserted]
    if fresh:
        await handler(session, fresh)
    return fresh


class EventConsumer:
    """Polls a consumer group and applies each batch exactly once in effect."""

    def __init__(self, *, settings: ServiceSettings, database: Database, processed: Table,
                 subscription: Subscription) -> None:
        self.settings = settings
        self.database = database
        self.processed = processed
        self.subscription = subscription
        self.group_id = f"{settings.service_name}.{subscription.group_suffix}"
        self._consumer: KafkaConsumer | None = None
        self._broker_lost = False
        self.applied_total = 0

    async def run(self, stop: asyncio.Event) -> None:
        watcher = asyncio.create_task(self._watch_broker(stop))
        try:
            await self._consume(stop)
        finally:
            watcher.cancel()

    async def _watch_broker(self, stop: asyncio.Event, interval_s: float = 0.25) -> None:
        """Notice an outage even while a poll is blocked inside the client (it can block for
        longer than the outage lasts)."""
        while not stop.is_set():
            reachable, _ = await asyncio.to_thread(broker_reachable, self.settings, 0.5)
            if not reachable:
                self._broker_lost = True
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            except TimeoutError:
                pass

    async def _consume(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                if self._consumer is None:
                    self._consumer = await asyncio.to_thread(
                        make_consumer, self.settings, self.subscription.topics, self.group_id)
                batch = await asyncio.to_thread(self._consumer.poll, 500)
                if await self._broker_was_away():
                    # Start over from the committed offsets rather than the positions held in
                    # memory: a broker that restarted without its state (Tansu on memory storage)
                    # has new, shorter logs in which an old position would skip events. On a
                    # durable Kafka the committed offsets are there and nothing is read twice
                    # that was not already skipped by event id.
                    logger.info("broker was unreachable; the consumer restarts from committed offsets",
                                extra={"group": self.group_id})
                    consumer, self._consumer = self._consumer, None
                    await asyncio.to_thread(_close_quietly, consumer)
                    continue
                if batch:
                    await self._apply_batch(batch)
                backoff = 0.5
            except Exception as exc:  # a broker outage or a failed batch: retry, never lose
                logger.warning("consumer error; retrying", extra={"group": self.group_id, "error": str(exc)[:300]})
                try:
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                except TimeoutError:
                    pass
                backoff = min(backoff * 2, 5.0)
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await asyncio.to_thread(_close_quietly, consumer)

    async def _broker_was_away(self) -> bool:
        """True once the broker is reachable again after the watcher saw it unreachable."""
        if not self._broker_lost:
            return False
        reachable, _ = await asyncio.to_thread(broker_reachable, self.settings, 0.5)
        if reachable:
            self._broker_lost = False
        return reachable

    async def _apply_batch(self, batch: dict[TopicPartition, list]) -> None:
        assert self._consumer is not None
        events: list[EventEnvelope] = []
        for tp, records in batch.items():
            for record in records:
                try:
                    events.append(EventEnvelope.from_bytes(record.value))
                except Exception:
                    EVENTS_REJECTED.labels(self.settings.service_name, tp.topic).inc()
                    logger.error("skipping a message that is not a valid event",
                                 extra={"topic": tp.topic, "partition": tp.partition, "offset": record.offset})
        try:
            async with self.database.sessionmaker() as session, session.begin():
                fresh = await apply_events_once(session, self.processed, events, self.subscription.handler)
        except Exception:
            # Nothing was applied: rewind so the same records come again on the next poll.
            for tp, records in batch.items():
                self._consumer.seek(tp, records[0].offset)
            raise
        fresh_ids = {e.event_id for e in fresh}
        for event in events:
            if event.event_id in fresh_ids:
                EVENTS_CONSUMED.labels(self.settings.service_name, event.type).inc()
            else:
                EVENTS_SKIPPED.labels(self.settings.service_name, event.type).inc()
        self.applied_total += len(fresh)
        try:
            await asyncio.to_thread(self._consumer.commit)
        except (CommitFailedError, KafkaError) as exc:
            # The effects are committed; a redelivery after a rebalance is skipped by event id.
            logger.warning("offset commit failed; redelivered events will be skipped",
                           extra={"error": str(exc)[:300]})


def _close_quietly(consumer: KafkaConsumer) -> None:
    try:
        consumer.close(autocommit=False)
    except Exception:
        pass


def topics_of(subscriptions: Iterable[Subscription]) -> set[str]:
    return {t for s in subscriptions for t in s.topics}
