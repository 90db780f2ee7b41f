"""The batch re-match job through the API: progress, stable person ids, events only for records
whose person changed, reviewers' decisions honoured, and a job interrupted by a restart resumed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, insert, select

from devstack.stack import Stack
from services.matching.app import create_app
from services.matching.jobs.models import Job
from services.matching.linking.models import PersonLink, StoredModelParams
from services.matching.records.models import SourceRecord
from services.matching.records.service import apply_beneficiary_upserts
from services.matching.review.models import ReviewPair
from shared.db import Database
from shared.events import EventEnvelope
from tests.conftest import settings_for
from tests.integration.matching.events import outbox_events
from tests.integration.matching.test_incremental_linking import _person_of, database, person_record

pytestmark = pytest.mark.integration
__all__ = ["database"]


@pytest.fixture
async def client(infra: Stack, database: Database) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    # a consumer group of its own ("matching-it.records"): joining and leaving the running
    # service's group would stall its partitions in the end-to-end tests of the same session
    app = create_app(settings_for(infra, service_name="matching-it"))
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://matching") as http:
            yield http, app
    finally:
        # the parameters a re-match stores are what incremental linking uses: keep other tests'
        # registers on the bundled ones
        async with database.sessionmaker() as session, session.begin():
            await session.execute(delete(StoredModelParams).where(StoredModelParams.source.like("rematch%")))


async def _arrive(database: Database, *records: dict[str, Any], link: bool = True) -> list[uuid.UUID]:
    """Records as the registry's events deliver them (linked incrementally), or, with link=False,
    only stored as source records (as if they had arrived before matching was switched on)."""
    ids = [uuid.uuid4() for _ in records]
    events = [EventEnvelope(type="registry.beneficiary.upserted", producer="registry", key=str(i),
                            payload={"id": str(i), "ministry_code": "MOSW", "programme_code": "OAA", "version": 1,
                                     **{k: v for k, v in r.items() if v is not None}})
              for i, r in zip(ids, records, strict=True)]
    async with database.sessionmaker() as session, session.begin():
        if link:
            await apply_beneficiary_upserts(session, events)
        else:
            await session.execute(insert(SourceRecord), [
                {"record_id": i, "ministry_code": "MOSW", "programme_code": "OAA", "source_version": 1,
                 "attributes": r, "events_applied": 1, "last_event_id": e.event_id}
                for i, r, e in zip(ids, records, events, strict=True)])
    return ids


async def _run_job(http: httpx.AsyncClient, timeout_s: float = 60) -> dict[str, Any]:
    response = await http.post("/jobs/rematch")
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] in ("queued", "running", "succeeded")
    return await _wait(http, job["id"], timeout_s)


async def _wait(http: httpx.AsyncClient, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    seen_phases = set()
    for _ in range(int(timeout_s * 20)):
        job = (await http.get(f"/jobs/{job_id}")).json()
        seen_phases.add(job["phase"])
        if job["status"] in ("succeeded", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


async def _events_for(database: Database, record_id: uuid.UUID) -> list[EventEnvelope]:
    return await outbox_events(database, record_id)


async def test_rematch_keeps_ids_links_new_records_and_respects_reviewers(database, client) -> None:
    http, _ = client
    # one person in two programmes, linked incrementally already
    rahim = person_record(name_bn="মোঃ আব্দুল হালিম", date_of_birth="1952-04-02")
    same = await _arrive(database, rahim, {**rahim, "name_bn": None, "name_en": "Md. Abdul Halim"})
    # twins the model would join (same NID typed for both); a reviewer rejects the pair
    salma = person_record(name_bn="তাহমিনা সুলতানা", gender="F", date_of_birth="1983-02-11")
    twins = await _arrive(database, salma, {**salma, "name_bn": "তাহমীনা সুলতানা"})
    # two records the model keeps apart; a reviewer accepts them as one person
    apart = await _arrive(database, person_record(name_bn="জলিল মোল্লা", date_of_birth="1949-03-03", phone=None),
                          person_record(name_en="Sobhan Pramanik", date_of_birth="1961-08-08", phone=None,
                                        name_bn=None, father_bn=None, mother_bn=None, district_code="10"))
    # a person whose records never went through incremental linking
    nasrin = person_record(name_bn="শাহনাজ পারভীন", gender="F", date_of_birth="1991-12-24")
    unlinked = await _arrive(database, nasrin, {**nasrin, "name_bn": None, "name_en": "Shahnaz Parvin"}, link=False)

    assert await _person_of(database, twins[0]) == await _person_of(database, twins[1])
    assert await _person_of(database, apart[0]) != await _person_of(database, apart[1])
    for (a, b), decision in (((twins[0], twins[1]), "reject"), ((apart[0], apart[1]), "accept")):
        response = await http.post("/review", json={"record_a": str(a), "record_b": str(b), "decision": decision,
                                                    "reviewer": "MOSW-reviewer"})
        assert response.status_code == 200, response.text
    before = {r: await _person_of(database, r) for r in [*same, *twins, *apart]}
    assert await _person_of(database, unlinked[0]) is None

    job = await _run_job(http)
    assert job["status"] == "succeeded", job
    assert job["phase"] == "done" and job["records_total"] >= 8 and job["records_done"] == job["records_total"]
    assert job["started_at"] and job["finished_at"] and job["attempts"] == 1
    result = job["result"]
    assert result["records"] == job["records_total"] and result["params_id"] is not None
    assert result["rejected_pairs"] >= 1 and result["accepted_pairs"] >= 1

    after = {r: await _person_of(database, r) for r in before}
    assert after == before  # nothing about these changed: every id is kept
    assert after[twins[0]] != after[twins[1]]  # the rejection survives the full re-run
    assert after[apart[0]] == after[apart[1]]  # the acceptance too
    nasrin_person = await _person_of(database, unlinked[0])
    assert nasrin_person is not None and await _person_of(database, unlinked[1]) == nasrin_person
    # events only for the records whose person changed
    assert [e.type for e in await _events_for(database, unlinked[0])] == ["matching.person.linked"]
    linked = (await _events_for(database, unlinked[0]))[0]
    assert linked.payload["person_id"] == str(nasrin_person) and linked.key == str(nasrin_person)
    assert linked.payload["job_id"] == job["id"]
    assert not [e for e in await _events_for(database, same[0]) if e.payload.get("job_id")]

    async with database.sessionmaker() as session:
        stored = await session.get(StoredModelParams, result["params_id"])
        assert stored is not None and stored.records == result["records"]

    again = await _run_job(http)
    assert again["status"] == "succeeded", again
    assert again["result"]["records_changed"] == 0 and again["result"]["events"] == 0
    assert {r: await _person_of(database, r) for r in [*before, *unlinked]} == {**after, unlinked[0]: nasrin_person,
                                                                                unlinked[1]: nasrin_person}


async def test_a_split_moves_only_the_smaller_part(database, client) -> None:
    http, _ = client
    base = person_record(name_bn="রোকসানা পারভীন", gender="F", date_of_birth="1979-08-15")
    records = await _arrive(database, base, {**base, "name_bn": "রোকসানা পারভিন"}, {**base, "phone": None})
    person = await _person_of(database, records[0])
    assert {await _person_of(database, r) for r in records} == {person}
    # decisions recorded without being applied to the links yet (the review API applies them at
    # once; this isolates what the batch does with them): the third record is someone else
    async with database.sessionmaker() as session, session.begin():
        await session.execute(insert(ReviewPair), [
            {"record_a": min(a, records[2]), "record_b": max(a, records[2]), "probability": None, "explanation": [],
             "status": "rejected", "decided_by": "r"} for a in records[:2]])
    job = await _run_job(http)
    assert job["status"] == "succeeded", job
    assert await _person_of(database, records[0]) == await _person_of(database, records[1]) == person
    alone = await _person_of(database, records[2])
    assert alone != person
    moved = [e for e in await _events_for(database, records[2]) if e.payload.get("job_id") == job["id"]]
    assert [(e.type, e.payload["person_id"]) for e in moved] == [
        ("matching.person.unlinked", str(person)), ("matching.person.linked", str(alone))]
    assert not [e for e in await _events_for(database, records[0]) if e.payload.get("job_id") == job["id"]]


async def test_a_job_interrupted_by_a_restart_is_resumed_and_one_that_keeps_failing_is_reported(
        infra: Stack, database: Database) -> None:
    orphan, hopeless = uuid.uuid4(), uuid.uuid4()
    async with database.sessionmaker() as session, session.begin():
        # as a process that died in the middle of a run leaves it
        session.add(Job(id=orphan, kind="rematch", status="running", phase="matching", records_done=5,
                        records_total=10, attempts=1))
    app = create_app(settings_for(infra, service_name="matching-it"))
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://matching") as http:
            job = await _wait(http, str(orphan))
            assert job["status"] == "succeeded" and job["attempts"] == 2, job
            conflict_free = await http.post("/jobs/rematch")
            assert conflict_free.status_code == 202
            duplicate = await http.post("/jobs/rematch")
            if (await http.get(f"/jobs/{conflict_free.json()['id']}")).json()["status"] in ("queued", "running"):
                assert duplicate.status_code in (202, 409)
            await _wait(http, conflict_free.json()["id"])
            if duplicate.status_code == 202:
                await _wait(http, duplicate.json()["id"])
            async with database.sessionmaker() as session, session.begin():
                session.add(Job(id=hopeless, kind="rematch", status="running", phase="writing", records_done=0,
                                attempts=3))
            http_app = app
            await http_app.state.jobs.resume_orphans()
            job = await _wait(http, str(hopeless))
            assert job["status"] == "failed" and "interrupted 3 times" in job["error"], job
            assert (await http.get(f"/jobs/{uuid.uuid4()}")).status_code == 404
            assert any(j["id"] == str(orphan) for j in (await http.get("/jobs")).json())
    finally:
        async with database.sessionmaker() as session, session.begin():
            await session.execute(delete(StoredModelParams).where(StoredModelParams.source.like("rematch%")))


async def test_person_links_of_records_unknown_to_the_register_are_left_alone(database, client) -> None:
    http, _ = client
    async with database.sessionmaker() as session:
        outside = await session.scalar(select(PersonLink.record_id).where(
            PersonLink.record_id.not_in(select(SourceRecord.record_id))).limit(1))
    person = await _person_of(database, outside) if outside else None
    job = await _run_job(http)
    assert job["status"] == "succeeded"
    if outside is not None:
        assert await _person_of(database, outside) == person


async def test_the_rematch_reads_attributes_as_linking_does(database: Database) -> None:
    """The re-match job reads attributes in SQL, incremental linking in Polars: the same input columns
    for codes sent as numbers with and without a fraction, booleans, empty text and either date field."""
    import orjson
    import polars as pl
    from sqlalchemy import text

    from services.matching.jobs.rematch import _input_select
    from services.matching.linking.frames import records_frame

    attributes = [{"district_code": 26, "upazila_code": 2616.0, "ward": 3.5, "gender": True, "nid": "",
                   "date_of_birth": "1970-01-02", "dob": "1999-09-09", "name_bn": "রহিমা খাতুন"},
                  {"district_code": "26", "upazila_code": "", "union_code": 0, "dob": "1980-05-06", "phone": None}]
    async with database.sessionmaker() as session:
        rows = (await session.execute(text(
            f"SELECT {_input_select()} FROM (SELECT gen_random_uuid() AS record_id, CAST(a AS jsonb) AS attributes "
            "FROM unnest(CAST(:attributes AS text[])) WITH ORDINALITY AS t(a, n) ORDER BY n) AS s"),
            {"attributes": [orjson.dumps(a).decode() for a in attributes]})).mappings().all()
    read = pl.DataFrame([{k: v for k, v in row.items() if k != "record_id"} for row in rows])
    assert read.select(records_frame(attributes).columns).to_dicts() == records_frame(attributes).to_dicts()
