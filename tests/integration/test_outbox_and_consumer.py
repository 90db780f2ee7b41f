"""The outbox and the idempotent consumer against the real PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Column, Integer, MetaData, Table, Text, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from devstack.procs import free_port
from devstack.stack import Stack
from shared.consumer import EventConsumer, Subscription, apply_events_once, define_processed_events_table
from shared.db import Database, service_metadata
from shared.events import EventEnvelope
from shared.kafka import ensure_topics
from shared.metrics import EVENTS_SKIPPED
from shared.outbox import BATCH_TOPIC, OutboxRelay, add_events, define_outbox_table, pack_events
from tests.conftest import settings_for

pytestmark = pytest.mark.integration


class ScratchService:
    """A throwaway schema with an outbox, a processed-events table and an effect table."""

    def __init__(self, infra: Stack, *, batches: bool = False) -> None:
        self.schema = f"scratch_{uuid.uuid4().hex[:8]}"
        self.topic = f"scratch.thing_{uuid.uuid4().hex[:6]}.happened"
        self.metadata: MetaData = service_metadata(self.schema)
        self.outbox = define_outbox_table(self.metadata, batches=batches)
        self.processed = define_processed_events_table(self.metadata)
        self.effects = Table("effects", self.metadata, Column("id", Integer, primary_key=True, autoincrement=True),
                             Column("thing", Text, nullable=False))
        self.settings = settings_for(infra, service_name=self.schema, kafka_topic_partitions=3)
        self.database = Database(self.settings)

    async def create(self) -> None:
        async with self.database.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            await connection.run_sync(self.metadata.create_all)

    def event(self, thing: str) -> EventEnvelope:
        return EventEnvelope(type=self.topic, producer=self.schema, key=thing, payload={"thing": thing})

    async def count(self, table: Table, *where: object) -> int:
        async with self.database.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(table).where(*where)) or 0)

    async def record_effects(self, session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
        await session.execute(self.effects.insert(), [{"thing": e.payload["thing"]} for e in events])


@pytest.fixture
async def scratch(infra: Stack):
    service = ScratchService(infra)
    await service.create()
    yield service
    await service.database.dispose()


def _read_topic(bootstrap: str, topic: str, expected: int, timeout_s: float = 20) -> list:
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"reader-{uuid.uuid4().hex[:6]}",
                             auto_offset_reset="earliest", session_timeout_ms=6000, heartbeat_interval_ms=2000)
    records: list = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
    finally:
        consumer.close()
    return records


async def test_an_event_is_published_only_if_its_transaction_commits(scratch: ScratchService, infra: Stack) -> None:
    async with scratch.database.sessionmaker() as session:
        await add_events(session, scratch.outbox, [scratch.event("rolled-back")])
        await session.rollback()
    committed = [scratch.event(f"thing-{n}") for n in range(3)]
    async with scratch.database.sessionmaker() as session:
        await add_events(session, scratch.outbox, committed)
        await session.commit()
    relay = OutboxRelay(settings=scratch.settings, database=scratch.database, outbox=scratch.outbox,
                        topics=[scratch.topic])
    assert await relay.relay_once() == 3
    assert await scratch.count(scratch.outbox, scratch.outbox.c.sent_at.is_(None)) == 0
    records = await asyncio.to_thread(_read_topic, infra.kafka_bootstrap, scratch.topic, 3)
    received = [EventEnvelope.from_bytes(r.value) for r in records]
    assert sorted(e.payload["thing"] for e in received) == ["thing-0", "thing-1", "thing-2"]
    assert {r.key.decode() for r in records} == {"thing-0", "thing-1", "thing-2"}
    assert {e.event_id for e in received} == {e.event_id for e in committed}
    relay._close_producer()


async def test_batch_rows_are_published_one_message_per_event_in_order(infra: Stack) -> None:
    scratch = ScratchService(infra, batches=True)
    await scratch.create()
    try:
        before = [scratch.event("single-before")]
        batched = [scratch.event(f"batched-{n}") for n in range(2_501)]
        after = [scratch.event("single-after")]

        def batch_row(events: list[EventEnvelope]) -> dict[str, object]:
            lines = b"\n".join(b"\t".join((e.topic.encode(), e.key.encode(), e.to_bytes())) for e in events)
            return {"event_id": events[0].event_id, "topic": BATCH_TOPIC, "key": "job-1",
                    "body": pack_events(lines), "events": len(events)}

        async with scratch.database.sessionmaker() as session:
            await add_events(session, scratch.outbox, before)
            # the last batch holds a single event: a batch row all the same
            await session.execute(scratch.outbox.insert(), [batch_row(batched[:1_500]), batch_row(batched[1_500:2_500]),
                                                            batch_row(batched[2_500:])])
            await add_events(session, scratch.outbox, after)
            await session.commit()
        relay = OutboxRelay(settings=scratch.settings.model_copy(update={"outbox_batch_size": 2_000}),
                            database=scratch.database, outbox=scratch.outbox, topics=[scratch.topic])
        # pages of about 2,000 events that never split a batch row: 1 + 1,500, then 1,000 + 1 + 1
        assert [await relay.relay_once() for _ in range(3)] == [1_501, 1_002, 0]
        assert relay.published_total == 2_503
        records = await asyncio.to_thread(_read_topic, infra.kafka_bootstrap, scratch.topic, 2_503)
        received = [EventEnvelope.from_bytes(r.value) for r in records]
        assert sorted(e.event_id for e in received) == sorted(e.event_id for e in before + batched + after)
        assert all(r.key.decode() == e.key for r, e in zip(records, received, strict=True))
        # one key per event here: the order within each partition is the order they were written
        written = {e.event_id: n for n, e in enumerate(before + batched + after)}
        for partition in {r.partition for r in records}:
            positions = [written[e.event_id] for r, e in zip(records, received, strict=True)
                         if r.partition == partition]
            assert positions == sorted(positions)
        relay._close_producer()
    finally:
        await scratch.database.dispose()


async def test_while_a_bulk_writer_holds_the_relay_back_only_priority_topics_are_published(
        scratch: ScratchService, infra: Stack) -> None:
    progress_topic = scratch.topic.replace(".happened", ".progressed")
    records = [scratch.event(f"record-{n}") for n in range(5)]
    progress = [EventEnvelope(type=progress_topic, producer=scratch.schema, key="job-1", payload={"done": n})
                for n in range(3)]
    async with scratch.database.sessionmaker() as session:
        await add_events(session, scratch.outbox, [records[0], progress[0], *records[1:3], progress[1],
                                                   *records[3:], progress[2]])
        await session.commit()
    relay = OutboxRelay(settings=scratch.settings, database=scratch.database, outbox=scratch.outbox,
                        topics=[scratch.topic, progress_topic], priority_topics=[progress_topic])
    async with scratch.database.engine.connect() as writer:  # a bulk import, say
        await writer.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": relay.lock_key})
        assert await relay.relay_once() == 3
        assert await relay.relay_once() == 0  # the records wait for the writer
        pending = await scratch.count(scratch.outbox, scratch.outbox.c.sent_at.is_(None))
        assert pending == len(records)
        await writer.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": relay.lock_key})
    assert await relay.relay_once() == len(records)
    published = await asyncio.to_thread(_read_topic, infra.kafka_bootstrap, progress_topic, 3)
    assert [EventEnvelope.from_bytes(r.value).payload["done"] for r in published] == [0, 1, 2]
    assert len(await asyncio.to_thread(_read_topic, infra.kafka_bootstrap, scratch.topic, 5)) == 5
    # a relay without priority topics publishes nothing at all while held back
    plain = OutboxRelay(settings=scratch.settings, database=scratch.database, outbox=scratch.outbox,
                        topics=[scratch.topic])
    async with scratch.database.sessionmaker() as session:
        await add_events(session, scratch.outbox, [scratch.event("later")])
        await session.commit()
    async with scratch.database.engine.connect() as writer:
        await writer.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": plain.lock_key})
        assert await plain.relay_once() == 0
        # (a session lock outlives the pooled connection's return: let go as the import's close does)
        await writer.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": plain.lock_key})
    assert await plain.relay_once() == 1
    relay._close_producer()
    plain._close_producer()


async def test_the_relay_keeps_events_while_the_broker_is_unreachable(scratch: ScratchService, infra: Stack) -> None:
    async with scratch.database.sessionmaker() as session:
        await add_events(session, scratch.outbox, [scratch.event("waits")])
        await session.commit()
    unreachable = settings_for(infra, service_name=scratch.schema, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
    down = OutboxRelay(settings=unreachable, database=scratch.database, outbox=scratch.outbox, topics=[scratch.topic])
    with pytest.raises(Exception):  # noqa: B017 (kafka-python raises several kinds here)
        await down.relay_once()
    assert await scratch.count(scratch.outbox, scratch.outbox.c.sent_at.is_(None)) == 1
    up = OutboxRelay(settings=scratch.settings, database=scratch.database, outbox=scratch.outbox,
                     topics=[scratch.topic])
    assert await up.relay_once() == 1
    up._close_producer()


async def test_a_redelivered_event_is_applied_once(scratch: ScratchService) -> None:
    first, second = scratch.event("a"), scratch.event("b")
    async with scratch.database.sessionmaker() as session, session.begin():
        fresh = await apply_events_once(session, scratch.processed, [first, first, second], scratch.record_effects)
    assert [e.event_id for e in fresh] == [first.event_id, second.event_id]
    async with scratch.database.sessionmaker() as session, session.begin():
        again = await apply_events_once(session, scratch.processed, [second, first], scratch.record_effects)
    assert again == []
    assert await scratch.count(scratch.effects) == 2


async def test_a_batch_mixing_new_and_seen_events_applies_only_the_new(scratch: ScratchService) -> None:
    seen = [scratch.event(f"seen-{i}") for i in range(3)]
    new = [scratch.event(f"new-{i}") for i in range(2)]
    async with scratch.database.sessionmaker() as session, session.begin():
        await apply_events_once(session, scratch.processed, seen, scratch.record_effects)
    mixed = [seen[0], new[0], seen[1], new[1], seen[2]]
    async with scratch.database.sessionmaker() as session, session.begin():
        fresh = await apply_events_once(session, scratch.processed, mixed, scratch.record_effects)
    assert [e.event_id for e in fresh] == [new[0].event_id, new[1].event_id]  # in the order given
    assert await scratch.count(scratch.effects) == 5


async def test_a_failed_effect_records_nothing_so_the_event_comes_again(scratch: ScratchService) -> None:
    event = scratch.event("fails-once")

    async def failing(session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
        raise RuntimeError("effect failed")

    with pytest.raises(RuntimeError):
        async with scratch.database.sessionmaker() as session, session.begin():
            await apply_events_once(session, scratch.processed, [event], failing)
    assert await scratch.count(scratch.processed) == 0
    async with scratch.database.sessionmaker() as session, session.begin():
        assert len(await apply_events_once(session, scratch.processed, [event], scratch.record_effects)) == 1


async def test_the_consumer_applies_a_published_stream_exactly_once(scratch: ScratchService, infra: Stack) -> None:
    await asyncio.to_thread(ensure_topics, scratch.settings, [scratch.topic])
    events = [scratch.event(f"s-{n}") for n in range(300)]
    async with scratch.database.sessionmaker() as session:
        await add_events(session, scratch.outbox, events)
        await session.commit()
    relay = OutboxRelay(settings=scratch.settings, database=scratch.database, outbox=scratch.outbox,
                        topics=[scratch.topic])
    assert await relay.relay_once() == 300
    # the same events published a second time: what a crash before `sent_at` was stored causes
    async with scratch.database.engine.begin() as connection:
        await connection.execute(scratch.outbox.update().values(sent_at=None))
    assert await relay.relay_once() == 300
    relay._close_producer()

    consumer = EventConsumer(settings=scratch.settings, database=scratch.database, processed=scratch.processed,
                             subscription=Subscription(topics=(scratch.topic,), handler=scratch.record_effects))
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    deadline = time.monotonic() + 40
    while await scratch.count(scratch.processed) < 300 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)  # give the duplicates time to arrive too
    stop.set()
    await task
    assert await scratch.count(scratch.effects) == 300
    async with scratch.database.engine.connect() as connection:
        things = (await connection.scalars(select(scratch.effects.c.thing))).all()
    assert sorted(things) == sorted(f"s-{n}" for n in range(300))


async def _published(scratch: ScratchService, things: list[str]) -> None:
    """Events of these things staged in the outbox and published by the relay."""
    await asyncio.to_thread(ensure_topics, scratch.settings, [scratch.topic])
    async with scratch.database.sessionmaker() as session:
        await add_events(session, scratch.outbox, [scratch.event(thing) for thing in things])
        await session.commit()
    relay = OutboxRelay(settings=scratch.settings, database=scratch.database, outbox=scratch.outbox,
                        topics=[scratch.topic])
    while await relay.relay_once():
        pass
    relay._close_producer()


async def _consume_until(consumer: EventConsumer, total: int, *, timeout_s: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    deadline = time.monotonic() + timeout_s
    while consumer.applied_total < total and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    stop.set()
    await task


async def test_an_idempotent_subscription_records_no_event_ids(scratch: ScratchService, infra: Stack) -> None:
    """A handler that makes a repeated event change nothing by itself (here: a thing stored once) is
    given each polled event once and no event id is written for it."""
    await _published(scratch, [f"i-{n}" for n in range(40)] + [f"i-{n}" for n in range(10)])

    async def store_each_thing_once(session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
        await session.execute(text(f"""
            INSERT INTO {scratch.effects.fullname} (thing)
            SELECT DISTINCT t FROM unnest(CAST(:things AS text[])) AS t
            WHERE NOT EXISTS (SELECT 1 FROM {scratch.effects.fullname} e WHERE e.thing = t)"""),
            {"things": [e.payload["thing"] for e in events]})

    consumer = EventConsumer(settings=scratch.settings, database=scratch.database, processed=scratch.processed,
                             subscription=Subscription(topics=(scratch.topic,), handler=store_each_thing_once,
                                                       idempotent=True))
    await _consume_until(consumer, 50, timeout_s=40)
    assert consumer.applied_total == 50  # every event handed to the handler
    assert await scratch.count(scratch.effects) == 40
    assert await scratch.count(scratch.processed) == 0


def _committed_total(scratch: ScratchService, group_id: str) -> int:
    """The group's committed offsets summed over the topic's partitions: on a new topic (offsets
    from 0) the events it has committed as applied. (Tansu's end_offsets are not what it stores,
    so they are not compared.)"""
    reader = KafkaConsumer(bootstrap_servers=scratch.settings.bootstrap_servers, group_id=group_id,
                           enable_auto_commit=False)
    try:
        partitions = [TopicPartition(scratch.topic, p) for p in sorted(reader.partitions_for_topic(scratch.topic))]
        return sum(reader.committed(tp) or 0 for tp in partitions)
    finally:
        reader.close()


async def test_the_look_ahead_prepares_the_next_batch_and_a_failed_batch_loses_nothing(
        scratch: ScratchService, infra: Stack) -> None:
    """Batches are prepared ahead (while the previous one is applied); the second batch fails once:
    it and the batch already polled behind it come again, every event is applied once, and the
    committed offsets count every event (only applied batches were committed, all of them)."""
    total = 5_000  # more than two polls of 2,000
    await _published(scratch, [f"a-{n}" for n in range(total)])

    applied_with: list[bool] = []
    calls = 0

    def prepare(events: Sequence[EventEnvelope]) -> list[uuid.UUID]:
        return [e.event_id for e in events]

    async def handler(session: AsyncSession, events: Sequence[EventEnvelope], prepared: list[uuid.UUID]) -> None:
        nonlocal calls
        calls += 1
        applied_with.append(prepared == [e.event_id for e in events])
        await scratch.record_effects(session, events)
        if calls == 2:
            raise RuntimeError("the second batch fails once")

    consumer = EventConsumer(settings=scratch.settings, database=scratch.database, processed=scratch.processed,
                             subscription=Subscription(topics=(scratch.topic,), handler=handler, prepare=prepare))
    await _consume_until(consumer, total, timeout_s=60)

    assert consumer.applied_total == total
    assert await scratch.count(scratch.effects) == total
    async with scratch.database.engine.connect() as connection:
        things = (await connection.scalars(select(scratch.effects.c.thing))).all()
    assert sorted(things) == sorted(f"a-{n}" for n in range(total))
    assert calls >= 4  # at least three batches, the failed one twice
    assert all(applied_with), "each batch was applied with what was prepared for it"

    assert _committed_total(scratch, consumer.group_id) == total


@pytest.mark.parametrize("in_flight", [2, 3])
async def test_an_overlapping_subscription_applies_batches_at_once_and_commits_in_order(
        scratch: ScratchService, infra: Stack, in_flight: int) -> None:
    """With ``overlapping``, the next batch's transaction runs while the previous one is still open,
    ``in_flight`` at most; every event is applied once and the committed offsets count every event."""
    total = 9_000  # five polls of at most 2,000
    await _published(scratch, [f"o-{n}" for n in range(total)])
    open_transactions = 0
    most_open = 0

    async def handler(session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
        nonlocal open_transactions, most_open
        open_transactions += 1
        most_open = max(most_open, open_transactions)
        try:
            await scratch.record_effects(session, events)
            await asyncio.sleep(0.5)  # long enough for the next poll to arrive and start its transaction
        finally:
            open_transactions -= 1

    consumer = EventConsumer(settings=scratch.settings, database=scratch.database, processed=scratch.processed,
                             subscription=Subscription(topics=(scratch.topic,), handler=handler, overlapping=True,
                                                       in_flight=in_flight))
    await _consume_until(consumer, total, timeout_s=60)

    assert most_open == in_flight, f"{in_flight} batches were in their transactions at once, never more"
    assert consumer.applied_total == total
    async with scratch.database.engine.connect() as connection:
        things = (await connection.scalars(select(scratch.effects.c.thing))).all()
    assert sorted(things) == sorted(f"o-{n}" for n in range(total))
    assert _committed_total(scratch, consumer.group_id) == total


async def test_when_the_older_of_two_overlapping_batches_fails_the_younger_is_skipped_when_it_comes_again(
        scratch: ScratchService, infra: Stack) -> None:
    """The first batch fails once after the second has started (and then commits): both come again
    from the first batch's offsets; the second's events are skipped by id, nothing is lost or
    applied twice, and the committed offsets end up counting every event."""
    total = 5_000
    await _published(scratch, [f"f-{n}" for n in range(total)])
    calls = 0
    second_started = asyncio.Event()
    skipped_before = await _skipped(scratch)

    async def handler(session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
        nonlocal calls
        calls += 1
        call = calls
        await scratch.record_effects(session, events)
        if call == 1:
            await asyncio.wait_for(second_started.wait(), timeout=20)
            raise RuntimeError("the first batch fails once, after the second started")
        if call == 2:
            second_started.set()

    consumer = EventConsumer(settings=scratch.settings, database=scratch.database, processed=scratch.processed,
                             subscription=Subscription(topics=(scratch.topic,), handler=handler, overlapping=True))
    await _consume_until(consumer, total, timeout_s=60)

    assert consumer.applied_total == total
    async with scratch.database.engine.connect() as connection:
        things = (await connection.scalars(select(scratch.effects.c.thing))).all()
    assert sorted(things) == sorted(f"f-{n}" for n in range(total)), "every event applied exactly once"
    assert await _skipped(scratch) > skipped_before, "the second batch's events came again and were skipped"
    assert _committed_total(scratch, consumer.group_id) == total


async def _skipped(scratch: ScratchService) -> float:
    """Events this scratch service's consumers skipped as seen before (the Prometheus counter)."""
    return sum(sample.value for metric in EVENTS_SKIPPED.collect() for sample in metric.samples
               if sample.name.endswith("_total") and sample.labels.get("service") == scratch.schema)
