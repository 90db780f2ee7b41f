"""The ministry-record path and the events every change puts in the outbox."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.registry.factories import create_household, create_person, enrol, headers, record_payload


async def outbox_events(engine: AsyncEngine, *keys: str) -> list[tuple[str, dict[str, Any]]]:
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT topic, body FROM registry.outbox WHERE key = ANY(:keys) "
                                              "ORDER BY id"), {"keys": list(keys)})).all()
    return [(topic, orjson.loads(body)["payload"]) for topic, body in rows]


async def test_a_record_sent_twice_updates_the_same_person_and_enrolment(registry: httpx.AsyncClient,
                                                                          engine: AsyncEngine) -> None:
    record = record_payload("MOSW", "OAA", start_date="2023-07-01")
    first = await registry.post("/beneficiaries", json=record, headers=headers("MOSW"))
    assert first.status_code == 201, first.text
    again = await registry.post("/beneficiaries", json={**record, "phone": "01819-556677"}, headers=headers("MOSW"))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["person_id"] == first.json()["person_id"]
    assert again.json()["version"] == 2 and again.json()["phone"] == "+8801819556677"

    records = [p for topic, p in await outbox_events(engine, first.json()["id"])
               if topic == "registry.beneficiary.upserted"]
    assert [(r["version"], r["phone"]) for r in records] == [(1, first.json()["phone"]),
                                                             (2, "+8801819556677")]
    assert {"id", "ministry_code", "programme_code", "version", "source_record_id"} <= set(records[0])


async def test_a_record_without_the_header_is_taken_as_its_own_ministrys(registry: httpx.AsyncClient) -> None:
    created = await registry.post("/beneficiaries", json=record_payload("MoDMR", "EGPP"))
    assert created.status_code == 201 and created.json()["ministry_code"] == "MODMR"
    assert (await registry.get(f"/beneficiaries/{created.json()['id']}")).status_code == 401
    assert (await registry.get(f"/beneficiaries/{uuid.uuid4()}")).status_code == 404
    own = await registry.get(f"/beneficiaries/{created.json()['id']}", headers=headers("MODMR"))
    assert own.status_code == 200 and own.json()["programme_code"] == "EGPP"


async def test_every_change_emits_its_event(registry: httpx.AsyncClient, engine: AsyncEngine) -> None:
    household = await create_household(registry, "MOFOOD")
    person = await create_person(registry, "MOFOOD", household_id=household["id"])
    enrolment = (await enrol(registry, person["id"], "MOFOOD", "FFP")).json()
    await registry.patch(f"/persons/{person['id']}", json={"gender": "female"}, headers=headers("MOFOOD"))
    await registry.patch(f"/households/{household['id']}", json={"address": {"union_code": 2}},
                         headers=headers("MOFOOD"))
    await registry.post(f"/enrolments/{enrolment['id']}/deactivate", headers=headers("MOFOOD"))
    await registry.post(f"/persons/{person['id']}/deactivate", headers=headers("MOFOOD"))
    await registry.post(f"/households/{household['id']}/deactivate", headers=headers("MOFOOD"))

    topics = [topic for topic, _ in await outbox_events(engine, household["id"], person["id"], enrolment["id"])]
    assert topics == [
        "registry.household.upserted", "registry.person.upserted",
        "registry.enrolment.upserted", "registry.beneficiary.upserted",
        "registry.person.upserted", "registry.beneficiary.upserted",
        "registry.household.upserted",
        "registry.enrolment.deactivated", "registry.beneficiary.upserted",
        "registry.person.deactivated", "registry.person.upserted", "registry.beneficiary.upserted",
        "registry.household.deactivated",
    ]
    versions = [p["version"] for topic, p in await outbox_events(engine, enrolment["id"])
                if topic == "registry.beneficiary.upserted"]
    assert versions == sorted(set(versions)), "matching drops a record version it has already seen"


async def test_a_failed_change_leaves_no_event_and_no_row(registry: httpx.AsyncClient, engine: AsyncEngine) -> None:
    source_record_id = f"OAA-{uuid.uuid4().hex[:8]}"
    bad = await registry.post("/beneficiaries", headers=headers("MOSW"),
                              json=record_payload(source_record_id=source_record_id, address={"union_code": 99999}))
    assert bad.status_code == 422
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM registry.enrolments WHERE source_record_id = :s"),
                                       {"s": source_record_id}) == 0


async def test_concurrent_first_submissions_of_one_record_make_one_enrolment(registry: httpx.AsyncClient) -> None:
    record = record_payload("MOSW", "WIDOW")
    responses = await asyncio.gather(*(registry.post("/beneficiaries", json=record, headers=headers("MOSW"))
                                       for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.json()["person_id"] for r in responses}) == 1
    assert sorted(r.json()["version"] for r in responses) == [1, 2, 3, 4, 5, 6]


async def test_a_record_of_a_programme_not_seen_yet_registers_it_for_its_ministry(registry: httpx.AsyncClient) -> None:
    code = "P" + uuid.uuid4().hex[:8].upper()
    first = await registry.post("/beneficiaries", json=record_payload("MOSW", code), headers=headers("MOSW"))
    assert first.status_code == 201, first.text
    assert [p["ministry_code"] for p in (await registry.get("/programmes", params={"ministry": "MOSW"})).json()
            if p["code"] == code] == ["MOSW"]
    claimed = await registry.post("/beneficiaries", json=record_payload("MOFOOD", code), headers=headers("MOFOOD"))
    assert claimed.status_code == 403 and claimed.json()["detail"][0]["type"] == "programme.not_yours"
    nobody = await registry.post("/beneficiaries", json=record_payload("MOXYZ", "P" + uuid.uuid4().hex[:8].upper()))
    assert nobody.status_code == 422 and nobody.json()["detail"][0]["loc"] == ["body", "ministry_code"]
    # The explicit enrolment API does not register programmes.
    person = first.json()["person_id"]
    unknown = await enrol(registry, person, "MOSW", "Q" + uuid.uuid4().hex[:8].upper())
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["type"] == "programme.unknown"
