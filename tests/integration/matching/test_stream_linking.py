"""The set-based stream path against the real PostgreSQL: consumer batches large enough for the
worker thread and the all-bucket locks, records changing keys between batches, the events (outbox batch
rows, published one message per event), and a register whose block keys outlived their record keys."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any

import httpx
import pytest
from kafka import KafkaConsumer
from sqlalchemy import select, text

from devstack.stack import Stack
from services.matching.app import SPEC
from services.matching.database import outbox
from services.matching.engine.normalize import SMALL_TABLE
from services.matching.linking.frames import family_block_keys, keys_from_lines, keys_to_lines
from services.matching.linking.models import PersonLink
from services.matching.linking.service import (
    LOCK_ALL_FROM,
    PERSON_LINKED,
    PERSON_UNLINKED,
    RULES,
    THREAD_ROWS,
    link_records,
    prepare_batch,
)
from services.matching.records.service import _newest_rows, apply_beneficiary_upserts, prepare_beneficiary_upserts
from shared.app import create_service_app
from shared.db import Database
from shared.events import EventEnvelope
from shared.outbox import OutboxRelay
from tests.conftest import settings_for
from tests.integration.matching.events import outbox_events
from tests.integration.matching.test_incremental_linking import _person_of, database, person_record

pytestmark = pytest.mark.integration
__all__ = ["database"]


def _event(record_id: uuid.UUID, attributes: dict[str, Any], version: int = 1) -> EventEnvelope:
    payload = {"id": str(record_id), "ministry_code": "MOSW", "programme_code": "OAA", "version": version,
               **{k: v for k, v in attributes.items() if v is not None}}
    return EventEnvelope(type="registry.beneficiary.upserted", producer="registry", key=str(record_id),
                         payload=payload)


def _distinct_people(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """n different people: random names (no shared skeleton to speak of), own NID, phone, birth date
    and upazila."""
    rng = random.Random(seed)

    def name() -> str:
        return "".join(rng.choice("bdfgjklmnprstvz") + rng.choice("aeiou") for _ in range(4)).title()

    people = []
    for _ in range(n):
        district = rng.randint(1, 64)
        born = f"{rng.randint(1940, 2010)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        people.append(person_record(
            name_bn=None, name_en=f"{name()} {name()}", father_bn=None, father_en=f"{name()} {name()}",
            mother_bn=None, date_of_birth=born, division_code=str(1 + district // 10), district_code=str(district),
            upazila_code=str(district * 100 + rng.randint(1, 30)), union_code=None))
    return people


async def _apply(database: Database, events: list[EventEnvelope]) -> None:
    async with database.sessionmaker() as session, session.begin():
        await apply_beneficiary_upserts(session, events)


async def _stored_keys(database: Database, record_id: uuid.UUID) -> tuple[str | None, set[tuple[int, str]]]:
    async with database.sessionmaker() as session:
        line = await session.scalar(text("SELECT keys FROM matching.record_keys WHERE record_id = :r"),
                                    {"r": record_id})
        blocks = {(r.rule, r.key) for r in (await session.execute(
            text("SELECT rule, key FROM matching.block_keys WHERE record_id = :r"), {"r": record_id})).all()}
    return line, blocks


async def test_a_large_batch_links_within_itself_and_a_changed_record_moves_its_keys(database: Database) -> None:
    assert LOCK_ALL_FROM > THREAD_ROWS
    people = _distinct_people(LOCK_ALL_FROM)
    ids = [uuid.uuid4() for _ in people]
    # the last person twice in one batch, under two record ids (two programmes): linked together
    twin = uuid.uuid4()
    await _apply(database, [_event(i, p) for i, p in zip(ids, people, strict=True)] + [_event(twin, people[-1])])
    persons = {i: await _person_of(database, i) for i in [*ids[:5], ids[-1], twin]}
    assert None not in persons.values()
    assert persons[twin] == persons[ids[-1]]
    assert len({persons[i] for i in ids[:5]}) == 5

    # the first record changes its name, NID and phone (a correction by the ministry), in a batch
    # with new records: its old blocking keys go, the new ones are stored
    changed = {**people[0], "name_en": "Zuhaira Qurbani", "nid": "19701234567890123", "phone": "01999000111"}
    before_line, before_blocks = await _stored_keys(database, ids[0])
    fresh = _distinct_people(THREAD_ROWS, seed=2)
    fresh_ids = [uuid.uuid4() for _ in fresh]
    await _apply(database, [_event(ids[0], changed, version=2)]
                 + [_event(i, p) for i, p in zip(fresh_ids, fresh, strict=True)])
    after_line, after_blocks = await _stored_keys(database, ids[0])
    assert after_line != before_line
    expected = family_block_keys(keys_from_lines([after_line]), RULES)
    assert after_blocks == set(zip(expected["family"].to_list(), expected["key"].to_list(), strict=True))
    assert before_blocks - after_blocks  # the old NID, phone and name keys are gone
    assert await _person_of(database, ids[0]) == persons[ids[0]]  # a changed record keeps its person
    assert None not in [await _person_of(database, i) for i in fresh_ids]


async def test_an_older_version_arriving_late_is_not_written_and_the_rest_of_its_batch_is(
        database: Database) -> None:
    first, second = _distinct_people(2, seed=3)
    record, other = uuid.uuid4(), uuid.uuid4()
    corrected = {**first, "name_en": "Nafisa Rahman Chowdhury"}
    await _apply(database, [_event(record, corrected, version=2)])
    keys_of_corrected, _ = await _stored_keys(database, record)
    await _apply(database, [_event(record, first, version=1), _event(other, second)])
    async with database.sessionmaker() as session:
        rows = {r.record_id: r for r in (await session.execute(text(
            "SELECT record_id, source_version, attributes->>'name_en' AS name_en, events_applied "
            "FROM matching.source_records WHERE record_id = ANY(:ids)"), {"ids": [record, other]})).all()}
    assert (rows[record].source_version, rows[record].name_en) == (2, "Nafisa Rahman Chowdhury")
    assert rows[other].source_version == 1 and rows[other].events_applied == 1
    assert await _person_of(database, other) is not None
    assert (await _stored_keys(database, record))[0] == keys_of_corrected  # not linked again as version 1


async def test_the_records_show_their_person_to_all_and_their_personal_data_to_who_may_read_it(
        database: Database, infra: Stack) -> None:
    ministry = f"T{uuid.uuid4().hex[:6].upper()}"
    people = _distinct_people(2, seed=11)
    same, other, alone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    events = [_event(same, people[0]), _event(other, {**people[0], "name_en": None, "name_bn": None,
                                                      "phone": None}),
              _event(alone, people[1])]
    events = [e.model_copy(update={"payload": {**e.payload, "ministry_code": ministry}}) for e in events]
    await _apply(database, events)
    persons = {r: await _person_of(database, r) for r in (same, other, alone)}
    assert persons[same] is not None and persons[same] == persons[other] != persons[alone]

    app = create_service_app(SPEC, settings_for(infra, service_name="matching-it"))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://matching") as client:
        page = (await client.get("/records", params={"ministry_code": ministry})).json()
        one = (await client.get(f"/records/{alone}")).json()
        # personal data: the record's own ministry and the reviewers read it; another ministry, or a
        # caller who names none, sees the coordinated view only
        views = {who: (await client.get(f"/records/{alone}", headers=headers)).json()
                 for who, headers in {"own": {"X-Ministry-Code": ministry.lower()},
                                      "reviewer": {"X-Ministry-Code": "CODI", "X-Roles": "Reviewer"},
                                      "other": {"X-Ministry-Code": "MOHFW"}}.items()}
        listed_by_own = (await client.get("/records", params={"ministry_code": ministry},
                                          headers={"X-Ministry-Code": ministry})).json()
        bad = await client.get("/records", headers={"X-Ministry-Code": "not a code"})
    assert page["total"] == 3
    assert {item["record_id"]: item["person_id"] for item in page["items"]} == {
        str(r): str(p) for r, p in persons.items()}
    assert one["person_id"] == str(persons[alone])
    assert all(item["attributes"] is None and not item["personal_data"] for item in page["items"])
    assert views["own"]["attributes"]["name_en"] == people[1]["name_en"] and views["own"]["personal_data"]
    assert views["reviewer"]["attributes"] == views["own"]["attributes"]
    assert views["other"]["attributes"] is None and views["other"]["person_id"] == str(persons[alone])
    assert all(item["attributes"] for item in listed_by_own["items"])
    assert bad.status_code == 401 and bad.json()["detail"][0]["loc"] == ["header", "X-Ministry-Code"]


async def test_link_events_are_envelopes_of_the_linked_person(database: Database) -> None:
    base = person_record(name_bn="শাহানা পারভীন", gender="F", date_of_birth="1977-05-06")
    first, second = uuid.uuid4(), uuid.uuid4()
    async with database.sessionmaker() as session, session.begin():
        await link_records(session, [(first, base), (second, {**base, "name_bn": None, "name_en": "Shahana Parvin"})])
    person = await _person_of(database, first)
    assert person is not None and await _person_of(database, second) == person
    events = await outbox_events(database, first, second)  # topic and key of each message checked there
    assert [e.type for e in events] == ["matching.person.linked"] * 2
    assert len({e.event_id for e in events}) == 2
    for event in events:
        assert event.key == str(person) and event.producer == "matching" and event.payload["person_id"] == str(person)
    assert {e.payload["record_id"] for e in events} == {str(first), str(second)}
    assert all(0.9 <= e.payload["probability"] <= 1 for e in events)


async def test_block_keys_without_their_record_keys_are_taken_over(database: Database) -> None:
    """A stale blocking key of a new record (a retired family's, left in a damaged register) stays,
    and the record is stored whole and linked beside it (a key of a current family that is stored
    already: ``test_a_new_record_whose_keys_another_transaction_stored_is_linked``)."""
    record = person_record(name_bn="রোকসানা ইয়াসমিন", gender="F", date_of_birth="1983-08-19")
    record_id = uuid.uuid4()
    async with database.sessionmaker() as session, session.begin():
        await session.execute(text("INSERT INTO matching.block_keys (rule, key, record_id) VALUES (0, :k, :r)"),
                              {"k": record["nid"][-13:], "r": record_id})
    async with database.sessionmaker() as session, session.begin():
        assert await link_records(session, [(record_id, record)]) == 1
    line, blocks = await _stored_keys(database, record_id)
    assert line is not None and (0, record["nid"][-13:]) in blocks and len(blocks) > 1
    async with database.sessionmaker() as session:
        assert await session.scalar(select(PersonLink.person_id).where(PersonLink.record_id == record_id))


@pytest.mark.parametrize("batch_size", [1, SMALL_TABLE + 6])
async def test_a_new_record_whose_keys_another_transaction_stored_is_linked(database: Database,
                                                                            batch_size: int) -> None:
    """One of its blocking keys is stored already (after this transaction read the record's stored
    keys, and found none): a single record stores its rows as upserts at once, a larger batch tries
    the plain inserts and repeats them as upserts when they conflict. Either way every record is
    stored whole and linked."""
    people = _distinct_people(batch_size, seed=11)
    ids = [uuid.uuid4() for _ in people]
    ahead = prepare_batch([(ids[0], people[0])])
    family, key = ahead.blocks.row(0)[1:]
    async with database.sessionmaker() as session, session.begin():
        await session.execute(text("INSERT INTO matching.block_keys (rule, key, record_id) VALUES (:f, :k, :r)"),
                              {"f": family, "k": key, "r": ids[0]})
    async with database.sessionmaker() as session, session.begin():
        assert await link_records(session, list(zip(ids, people, strict=True))) == batch_size
    for record_id, person in zip(ids[:3], people[:3], strict=True):
        line, blocks = await _stored_keys(database, record_id)
        stored = prepare_batch([(record_id, person)])
        assert line == keys_to_lines(stored.keys)[0]
        assert blocks == set(zip(stored.blocks["family"].to_list(), stored.blocks["key"].to_list(), strict=True))
    assert None not in (await _links(database, ids)).values() and len(await _links(database, ids)) == batch_size


async def _links(database: Database, ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    async with database.sessionmaker() as session:
        return dict((await session.execute(select(PersonLink.record_id, PersonLink.person_id)
                                           .where(PersonLink.record_id.in_(ids)))).all())


async def test_a_batch_prepared_ahead_links_as_one_prepared_in_its_transaction(database: Database) -> None:
    """The consumer's look-ahead (``prepare_beneficiary_upserts``) gives the links the handler gives
    alone; prepared for other events (some seen before), it is not used."""
    people = _distinct_people(THREAD_ROWS + 20, seed=7)
    twins = [(uuid.uuid4(), uuid.uuid4()) for _ in people]  # each person under two ids, one per run
    first = [_event(a, p) for (a, _), p in zip(twins, people, strict=True)]
    await _apply(database, first)  # the handler alone

    second = [_event(b, p) for (_, b), p in zip(twins, people, strict=True)]
    prepared = prepare_beneficiary_upserts(second)
    async with database.sessionmaker() as session, session.begin():
        await apply_beneficiary_upserts(session, second, prepared)
    links = await _links(database, [i for pair in twins for i in pair])
    assert len(links) == 2 * len(people)
    assert all(links[a] == links[b] for a, b in twins), "each second record joins its twin's person"
    assert len({links[a] for a, _ in twins}) == len(people)

    # prepared for other events than those given (the handler gets the consumer's new events only):
    # not used, the handler prepares what it was given
    third_ids = [uuid.uuid4() for _ in people[:3]]
    third = [_event(i, p) for i, p in zip(third_ids, people[:3], strict=True)]
    stale = prepare_beneficiary_upserts([second[0], third[0]])
    async with database.sessionmaker() as session, session.begin():
        await apply_beneficiary_upserts(session, third, stale)
    links = await _links(database, third_ids + [b for _, b in twins[:3]])
    assert [links[i] for i in third_ids] == [links[b] for _, b in twins[:3]]


def test_source_rows_come_in_record_id_order_with_each_records_newest_version() -> None:
    """Two overlapping consumer batches lock the rows they share in one order (no deadlock)."""
    records = [uuid.uuid4() for _ in range(50)]
    events = [EventEnvelope(type="registry.beneficiary.upserted", producer="registry", key=str(r),
                            payload={"id": str(r), "ministry_code": "MOSW", "programme_code": "OAA", "version": v,
                                     "name_bn": f"রহিম {v}"})
              for v in (2, 1) for r in records]
    rows = _newest_rows(events)
    assert [r["record_id"] for r in rows] == sorted(str(r) for r in records)
    assert all(r["source_version"] == 2 and r["attributes"]["name_bn"] == "রহিম 2" and r["events_applied"] == 2
               for r in rows)


def _messages_about(bootstrap: str, topic: str, record_ids: set[str], timeout_s: float = 20) -> list:
    """The topic's messages whose event is about one of these records (read from the start by a
    new consumer group), once all of them are seen or the time is up."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"reader-{uuid.uuid4().hex[:6]}",
                             auto_offset_reset="earliest", session_timeout_ms=6000, heartbeat_interval_ms=2000)
    found: list = []
    deadline = time.monotonic() + timeout_s
    try:
        while {EventEnvelope.from_bytes(m.value).payload["record_id"] for m in found} != record_ids \
                and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                found += [m for m in batch if EventEnvelope.from_bytes(m.value).payload.get("record_id") in record_ids]
    finally:
        consumer.close()
    return found


async def test_link_events_reach_the_broker_one_message_per_event(database: Database, infra: Stack) -> None:
    """Linking writes its events as outbox batch rows; the relay publishes one message per event,
    keyed by the person, on the event type's topic."""
    base = person_record(name_bn="মমতাজ বেগম", gender="F", date_of_birth="1969-09-09")
    first, second = uuid.uuid4(), uuid.uuid4()
    async with database.sessionmaker() as session, session.begin():
        await link_records(session, [(first, base), (second, {**base, "name_bn": None, "name_en": "Momtaz Begum"})])
    person = await _person_of(database, first)
    relay = OutboxRelay(settings=database.settings, database=database, outbox=outbox,
                        topics=[PERSON_LINKED, PERSON_UNLINKED])
    while await relay.relay_once():
        pass
    relay._close_producer()
    messages = await asyncio.to_thread(_messages_about, infra.kafka_bootstrap, PERSON_LINKED, {str(first), str(second)})
    events = [EventEnvelope.from_bytes(m.value) for m in messages]
    assert sorted(e.payload["record_id"] for e in events) == sorted([str(first), str(second)])
    for message, event in zip(messages, events, strict=True):
        assert message.key.decode() == event.key == str(person) == event.payload["person_id"]
        assert event.type == message.topic == PERSON_LINKED and event.producer == "matching"


async def test_the_members_of_a_block_over_its_cap_are_looked_up_but_not_shipped(database: Database) -> None:
    """The phone family caps its blocks at 30: with 29 stored records holding a phone, a new record
    holding it too makes a block of 30, and the 29 come back as candidates; with 30 stored the block
    is over the cap with the new record, and the lookup says so (30 hits) without shipping them."""
    from services.matching.linking.service import FAMILY_CAPS, candidate_pairs_of, fetch_candidates, prepare_batch

    phone_family = 4  # the phone family (FAMILY_NUMBERS) caps its blocks at 30
    assert FAMILY_CAPS[phone_family] == 30
    phone = f"0171{random.randrange(10**7):07d}"
    people = [{**p, "phone": phone} for p in _distinct_people(31, seed=int(phone))]
    stored = [uuid.uuid4() for _ in range(30)]
    async with database.sessionmaker() as session, session.begin():
        await link_records(session, list(zip(stored[:29], people[:29], strict=True)))
    newcomer = prepare_batch([(uuid.uuid4(), people[30])])
    probe = newcomer.probes_text.split("\n").index(f"{phone_family}\t{phone[1:]}")

    async def looked_up() -> tuple[list[int], set[str], int]:
        async with database.sessionmaker() as session, session.begin():
            candidates = await fetch_candidates(session, newcomer)
        hits = candidates.hit_cand[candidates.hit_probe == probe].tolist()
        return hits, set(candidates.ids), len(candidate_pairs_of(newcomer, candidates))

    hits, ids, pairs = await looked_up()
    assert len(hits) == 29 and min(hits) >= 0 and ids == {str(r) for r in stored[:29]} and pairs == 29

    async with database.sessionmaker() as session, session.begin():
        await link_records(session, [(stored[29], people[29])])
    hits, ids, pairs = await looked_up()
    assert hits == [-1] * 30 and ids == set() and pairs == 0
