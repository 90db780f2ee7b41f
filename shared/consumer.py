"""Idempotent event consumer.

Kafka delivers at least once (and a broker on memory storage forgets committed offsets when it
restarts), so every consumed event id is recorded in the consumer's own `processed_events` table
in the same transaction as its effect. An event seen again is skipped; offsets are committed to
Kafka only after that transaction commits. A subscription whose handler is idempotent by itself
(versioned writes: ``Subscription.idempotent``) records no ids: its handler skips what it has seen.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from sqlalchemy import Column, DateTime, MetaData, Table, Text, TextualSelect, Uuid, column, func, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database
from shared.events import EventEnvelope
from shared.kafka import broker_reachable, make_consumer
from shared.metrics import EVENTS_CONSUMED, EVENTS_REJECTED, EVENTS_SKIPPED
from shared.settings import ServiceSettings

logger = logging.getLogger(__name__)

EventHandler = Callable[..., Awaitable[None]]
"""``handler(session, events)``; with a ``prepare``, ``handler(session, events, prepared)``."""
Prepare = Callable[[Sequence[EventEnvelope]], Any]


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
    """What a service consumes: topics and the handler that applies a batch of new events.

    ``prepare``, when given, is the batch's pure CPU work (no database): it runs in a worker thread
    on the next batch while the current one is in its transaction, and its result is passed to the
    handler as ``prepared`` (computed over every event polled; the handler is given the new ones,
    which are all of them unless some were seen before).

    ``overlapping``: the next batch's transaction may start (on another connection) while the
    current one is still open, ``in_flight`` at a time (2 unless said). Only for a handler that is
    safe with several replicas applying at once anyway: it orders conflicting work by locks taken in
    its transaction (taken after its row writes, so two batches never wait on each other in a
    cycle), and an older version never overwrites a newer one. Offsets are still committed in
    order, each batch's once it and every batch before it are applied.

    ``idempotent``: the handler itself makes an event seen before change nothing (its writes are
    versioned: a version already stored is not written again, nor anything derived from it). Its
    event ids are then not recorded in ``processed_events``, a write per event (and a table growing
    with every event ever consumed) that would guard nothing; it is given each polled event once."""

    topics: tuple[str, ...]
    handler: EventHandler
    group_suffix: str = "main"
    prepare: Prepare | None = None
    overlapping: bool = False
    in_flight: int = 2
    idempotent: bool = False


@dataclass
class Polled:
    """A poll's records, parsed, and what ``prepare`` made of them."""

    records: dict[TopicPartition, list]
    events: list[EventEnvelope]
    prepared: Any = None

    def first_offsets(self) -> dict[TopicPartition, int]:
        return {tp: records[0].offset for tp, records in self.records.items()}

    def next_offsets(self) -> dict[TopicPartition, OffsetAndMetadata]:
        """What to commit once these records are applied: per partition, the offset after its last."""
        return {tp: OffsetAndMetadata(records[-1].offset + 1, "", -1) for tp, records in self.records.items()}


@dataclass
class _Applying:
    """A polled batch and the task applying it."""

    polled: Polled
    task: asyncio.Task[None]


@lru_cache(maxsize=8)
def _record_processed_sql(processed: Table) -> TextualSelect:
    """Records event ids (``ids``: one text, comma-separated; ``count``: how many), returning NULL when
    none was recorded before, else those that were not, comma-separated. One statement text whatever
    the batch size (a VALUES list of 2,000 rows cost ~200 ms to compile, plan and run), and nothing
    per event read back in the usual case where every event is new."""
    return text(f"""
        WITH recorded AS (
            INSERT INTO {processed.fullname} (event_id, event_type)
            SELECT * FROM unnest(CAST(string_to_array(CAST(:ids AS text), ',') AS uuid[]), CAST(:types AS text[]))
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id)
        SELECT CASE WHEN count(*) = CAST(:count AS int) THEN NULL
                    ELSE coalesce(string_agg(replace(event_id::text, '-', ''), ','), '') END AS fresh
        FROM recorded""").columns(column("fresh", Text))


def unique_events(events: Sequence[EventEnvelope]) -> list[EventEnvelope]:
    """Each event once (a redelivery within a poll), in order of first appearance."""
    return list({e.event_id: e for e in events}.values())


async def apply_events_once(session: AsyncSession, processed: Table, events: Sequence[EventEnvelope],
                            handler: EventHandler, *prepared: Any) -> list[EventEnvelope]:
    """Record the events' ids and apply only those not seen before, in the caller's transaction
    (``prepared``: what the subscription's ``prepare`` made of ``events``, passed on to the handler)."""
    unique = unique_events(events)
    if not unique:
        return []
    # in id order: two transactions recording the same redelivered ids wait for each other in one
    # order (a UUID's integer orders as PostgreSQL orders uuid; ids travel as 32 hex digits, which
    # PostgreSQL reads as uuid, and comparing integers and hex costs half of UUID objects and text)
    ordered = sorted(unique, key=lambda e: e.event_id.int)
    fresh_ids = (await session.execute(_record_processed_sql(processed), {
        "ids": ",".join(e.event_id.hex for e in ordered), "types": [e.type for e in ordered],
        "count": len(ordered)})).scalar_one()
    if fresh_ids is None:
        fresh = unique
    else:
        recorded = set(fresh_ids.split(",")) if fresh_ids else set()
        fresh = [e for e in unique if e.event_id.hex in recorded]
    if fresh:
        await handler(session, fresh, *prepared)
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
        # batches applied in order whose offsets are not committed yet: appended by the event loop,
        # taken by the thread that polls (the client's one user)
        self._uncommitted: list[Polled] = []
        self._uncommitted_lock = threading.Lock()
        self._transactions = max(1, subscription.in_flight) if subscription.overlapping else 1
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
        """Poll, apply, commit. The next batch is polled, parsed and prepared (worker thread) while
        the current one is in its transaction; with an ``overlapping`` subscription its transaction
        starts too, beside the current one (two at most). The offsets committed are those of the
        batches applied, in order, never the positions the look-ahead has moved to.

        Applied batches' offsets are committed by the worker thread at the start of the next poll
        (the client is used by one thread at a time), so no transaction waits for the broker's
        answer; on stopping, what is applied and not yet committed is committed. When a batch
        fails, everything in flight is settled and every partition rewound to the first record not
        known applied: batches applied after the failed one come again and are skipped by event id."""
        backoff = 0.5
        applying: deque[_Applying] = deque()  # oldest first
        polled: Polled | None = None  # the look-ahead's batch, not being applied yet
        ahead: asyncio.Future[Polled] | None = None
        try:
            while not stop.is_set():
                try:
                    if self._consumer is None:
                        self._drop_uncommitted()  # the old client's; redelivered events are skipped by id
                        self._consumer = await asyncio.to_thread(
                            make_consumer, self.settings, self.subscription.topics, self.group_id)
                    if polled is not None and len(applying) < self._transactions:
                        applying.append(_Applying(polled, asyncio.create_task(self._apply(polled))))
                        polled = None
                    if ahead is None and polled is None and len(applying) < max(2, self._transactions):
                        # the look-ahead of one batch being applied, else as many batches in hand as
                        # may be in their transactions at once (one more, polled and prepared
                        # meanwhile, only slows them)
                        ahead = asyncio.ensure_future(asyncio.to_thread(self._poll))
                    waiting = [ahead] if ahead is not None else []
                    waiting += [applying[0].task] if applying else []
                    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                    if ahead is not None and ahead.done():
                        following = await _settled(ahead)  # a failed poll hands out nothing: poll again
                        ahead = None
                        polled = following if following is not None and following.records else None
                    while applying and applying[0].task.done():
                        applying[0].task.result()  # a failed batch raises here, still counted in flight
                        self._mark_applied(applying.popleft().polled)
                    if await self._broker_was_away():
                        await self._restart_from_committed(applying, polled, ahead)
                        applying.clear()
                        polled = ahead = None
                    backoff = 0.5
                except Exception as exc:  # a broker outage or a failed batch: retry, never lose
                    await self._settle_and_rewind(applying, polled, ahead)
                    applying.clear()
                    polled = ahead = None
                    logger.warning("consumer error; retrying", extra={"group": self.group_id,
                                                                      "error": str(exc)[:300]})
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=backoff)
                    except TimeoutError:
                        pass
                    backoff = min(backoff * 2, 5.0)
        finally:
            # a batch polled ahead and not applied is simply not committed: it comes again; batches
            # being applied finish, and those applied in order are committed
            await _settled_all(applying, ahead)
            for batch in applying:
                if batch.task.cancelled() or batch.task.exception() is not None:
                    break
                self._mark_applied(batch.polled)
            if self._consumer is not None:
                if self._uncommitted:
                    await asyncio.to_thread(self._commit_applied)
                consumer, self._consumer = self._consumer, None
                await asyncio.to_thread(_close_quietly, consumer)

    async def _settle_and_rewind(self, applying: Sequence[_Applying], polled: Polled | None,
                                 ahead: asyncio.Future[Polled] | None) -> None:
        """Wait for everything in flight, then seek every partition it read back to its first
        record: none of it counts as applied (what was is skipped by event id when it comes again)."""
        following = await _settled_all(applying, ahead)
        if self._consumer is not None:
            self._rewind(rewind_positions(*(b.polled for b in applying), polled, following))

    async def _restart_from_committed(self, applying: Sequence[_Applying], polled: Polled | None,
                                      ahead: asyncio.Future[Polled] | None) -> None:
        """When the broker came back after an outage, drop the consumer (and what it polled ahead)
        to start over from the committed offsets rather than the positions held in memory: a broker
        that restarted without its state (Tansu on memory storage) has new, shorter logs in which an
        old position would skip events. On a durable Kafka the committed offsets are there and
        nothing is read twice that was not already skipped by event id."""
        await _settled_all(applying, ahead)
        logger.info("broker was unreachable; the consumer restarts from committed offsets",
                    extra={"group": self.group_id})
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await asyncio.to_thread(_close_quietly, consumer)

    async def _broker_was_away(self) -> bool:
        """True once the broker is reachable again after the watcher saw it unreachable."""
        if not self._broker_lost:
            return False
        reachable, _ = await asyncio.to_thread(broker_reachable, self.settings, 0.5)
        if reachable:
            self._broker_lost = False
        return reachable

    def _poll(self) -> Polled:
        """A poll's records, parsed and prepared (in a worker thread: the consumer is used by one
        thread at a time, the loop never touches it while this runs)."""
        assert self._consumer is not None
        self._commit_applied()
        records = self._consumer.poll(500)
        events: list[EventEnvelope] = []
        for tp, batch in records.items():
            for record in batch:
                try:
                    events.append(EventEnvelope.from_bytes(record.value))
                except Exception:
                    EVENTS_REJECTED.labels(self.settings.service_name, tp.topic).inc()
                    logger.error("skipping a message that is not a valid event",
                                 extra={"topic": tp.topic, "partition": tp.partition, "offset": record.offset})
        prepare = self.subscription.prepare
        prepared = prepare(unique_events(events)) if prepare and events else None
        return Polled(records, events, prepared)

    async def _apply(self, polled: Polled) -> None:
        extra = (polled.prepared,) if self.subscription.prepare is not None else ()
        async with self.database.sessionmaker() as session, session.begin():
            if self.subscription.idempotent:
                fresh = unique_events(polled.events)
                await self.subscription.handler(session, fresh, *extra)
            else:
                fresh = await apply_events_once(session, self.processed, polled.events, self.subscription.handler,
                                                *extra)
        # counted per type, not per event (a labelled counter costs a few microseconds an update)
        consumed = Counter(e.type for e in fresh)
        skipped = Counter(e.type for e in polled.events) - consumed
        for counter, counts in ((EVENTS_CONSUMED, consumed), (EVENTS_SKIPPED, skipped)):
            for event_type, count in counts.items():
                counter.labels(self.settings.service_name, event_type).inc(count)
        self.applied_total += len(fresh)

    def _rewind(self, positions: dict[TopicPartition, int]) -> None:
        assert self._consumer is not None
        for tp, offset in positions.items():
            try:
                self._consumer.seek(tp, offset)
            except Exception:  # revoked by a rebalance: its new owner starts from the committed offset
                logger.info("not rewinding a partition no longer assigned", extra={"partition": str(tp)})

    def _mark_applied(self, polled: Polled) -> None:
        with self._uncommitted_lock:
            self._uncommitted.append(polled)

    def _drop_uncommitted(self) -> None:
        with self._uncommitted_lock:
            self._uncommitted = []

    def _commit_applied(self) -> None:
        """Commit the offsets of the batches applied since the last commit, if any (in the thread
        that uses the client)."""
        with self._uncommitted_lock:
            applied, self._uncommitted = self._uncommitted, []
        if not applied or self._consumer is None:
            return
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for polled in applied:  # in the order applied: a partition's later offset wins
            offsets.update(polled.next_offsets())
        try:
            self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The effects are committed; a redelivery after a rebalance is skipped by event id.
            logger.warning("offset commit failed; redelivered events will be skipped",
                           extra={"error": str(exc)[:300]})


def rewind_positions(*batches: Polled | None) -> dict[TopicPartition, int]:
    """Where to seek when the first of ``batches`` (in the order polled) failed with the others
    polled behind it: every partition any of them holds, at the first offset handed out (a
    partition of several: the earliest batch's)."""
    positions: dict[TopicPartition, int] = {}
    for polled in reversed(batches):
        if polled is not None:
            positions.update(polled.first_offsets())
    return positions


async def _settled(future: asyncio.Future[Polled]) -> Polled | None:
    """The look-ahead's result, or None if it failed (its records were then not handed out)."""
    try:
        return await future
    except Exception:
        return None


async def _settled_all(applying: Sequence[_Applying], ahead: asyncio.Future[Polled] | None) -> Polled | None:
    """Wait for every batch being applied to finish (or fail) and for the look-ahead; returns the
    look-ahead's batch (None if there was none or it failed)."""
    await asyncio.gather(*(batch.task for batch in applying), return_exceptions=True)
    return await _settled(ahead) if ahead is not None else None


def _close_quietly(consumer: KafkaConsumer) -> None:
    try:
        consumer.close(autocommit=False)
    except Exception:
        pass


def topics_of(subscriptions: Iterable[Subscription]) -> set[str]:
    return {t for s in subscriptions for t in s.topics}
