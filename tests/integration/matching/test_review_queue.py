"""The review queue: uncertain pairs are queued, and a reviewer's decision is kept and respected."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select

from devstack.stack import Stack
from services.matching.app import SPEC
from services.matching.linking.models import StoredModelParams
from services.matching.linking.service import REVIEW_LOWER, current_params, link_records, match_record
from services.matching.review.models import ReviewPair, ordered
from shared.app import create_service_app
from tests.conftest import settings_for
from tests.integration.matching.test_incremental_linking import _link, _person_of, database, person_record

pytestmark = pytest.mark.integration
__all__ = ["database"]  # the fixture, imported for this module's tests


@pytest.fixture
async def client(infra: Stack) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    app = create_service_app(SPEC, settings_for(infra, service_name="matching-it"))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://matching") as http:
        yield http, app


async def test_a_rejected_link_is_undone_and_survives_relinking(database, client) -> None:
    http, _ = client
    record = person_record(name_bn="সালমা আক্তার", gender="F", date_of_birth="1985-06-01")
    first, second = await _link(database, record), await _link(database, {**record, "name_bn": "ছালমা আক্তার"})
    assert await _person_of(database, first[0]) == await _person_of(database, second[0])

    response = await http.post("/review", json={"record_a": str(first[0]), "record_b": str(second[0]),
                                                "decision": "reject", "reviewer": "MOSW-reviewer-1",
                                                "note": "twins: different birth certificates"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rejected"
    assert response.json()["probability"] is None  # raised by the reviewer: the model gave it none
    sides = response.json()["records"]
    assert [r["record_id"] for r in sides] == sorted([str(first[0]), str(second[0])])
    assert sides[0]["person_id"] != sides[1]["person_id"]  # apart once the reviewer said so
    assert await _person_of(database, first[0]) != await _person_of(database, second[0])

    # the same record arrives again (an update from the ministry): the model would link it, the
    # reviewer said no, and the reviewer wins
    async with database.sessionmaker() as session, session.begin():
        await link_records(session, [(second[0], {**record, "name_bn": "ছালমা আক্তার"})])
    assert await _person_of(database, first[0]) != await _person_of(database, second[0])

    again = await http.post("/review", json={"record_a": str(second[0]), "record_b": str(first[0]),
                                             "decision": "accept", "reviewer": "someone-else"})
    assert again.status_code == 409 and again.json()["detail"][0]["type"] == "conflict"


async def test_an_accepted_pair_is_joined(database, client) -> None:
    http, _ = client
    a = await _link(database, person_record(name_bn="রহিম মিয়া", date_of_birth="1950-01-01", phone=None))
    b = await _link(database, person_record(name_en="Korim Sheikh", date_of_birth="1962-07-07", phone=None,
                                            name_bn=None, father_bn=None, mother_bn=None, district_code="10"))
    assert await _person_of(database, a[0]) != await _person_of(database, b[0])
    response = await http.post("/review", json={"record_a": str(a[0]), "record_b": str(b[0]),
                                                "decision": "accept", "reviewer": "MODMR-reviewer"})
    assert response.status_code == 200
    assert await _person_of(database, a[0]) == await _person_of(database, b[0])


async def test_pairs_in_the_uncertain_band_are_queued(database, client) -> None:
    http, _ = client
    base = person_record(name_bn="মোঃ জাহাঙ্গীর আলম", date_of_birth=None, birth_year=1979, nid=None, phone=None)
    [known] = await _link(database, base)
    # the same name, year, union and father, but no identifier in common
    probe = {"name_bn": "মোঃ জাহাঙ্গীর আলম", "upazila_code": "2616", "district_code": "26", "union_code": "261647",
             "birth_year": 1979, "gender": "M", "father_bn": base["father_bn"]}
    async with database.sessionmaker() as session:
        params = await current_params(session)
        scored, _ = await match_record(session, attributes=probe)
    probability = next(c.probability for c in scored if c.record_id == known)
    assert probability >= REVIEW_LOWER
    # How sure the model is depends on the register's size, so the test fixes the band around
    # this pair: a stricter threshold than the pair reaches, stored as a batch run would store it.
    stricter = dataclasses.replace(params, threshold=(probability + 1) / 2)
    async with database.sessionmaker() as session, session.begin():
        stored = StoredModelParams(params=dataclasses.asdict(stricter), records=0, source="test")
        session.add(stored)
    try:
        [arriving] = await _link(database, probe)
    finally:
        async with database.sessionmaker() as session, session.begin():
            await session.execute(delete(StoredModelParams).where(StoredModelParams.id == stored.id))
    async with database.sessionmaker() as session:
        queued = await session.scalar(select(ReviewPair).where(
            ReviewPair.record_a == ordered(known, arriving)[0], ReviewPair.record_b == ordered(known, arriving)[1]))
    assert queued is not None and queued.status == "pending"
    assert abs(queued.probability - probability) < 1e-6
    assert await _person_of(database, known) != await _person_of(database, arriving)
    page = (await http.get("/review", params={"limit": 500})).json()
    [item] = [item for item in page["items"] if item["id"] == queued.id]
    assert item["explanation"]
    # each side with the person holding it now: two persons, which the reviewer may join
    assert [(r["record_id"], r["person_id"]) for r in item["records"]] == [
        (str(queued.record_a), str(await _person_of(database, queued.record_a))),
        (str(queued.record_b), str(await _person_of(database, queued.record_b)))]
    assert item["records"][0]["person_id"] != item["records"][1]["person_id"]
    missing = await http.post("/review/999999999", json={"decision": "accept", "reviewer": "x"})
    assert missing.status_code == 404
    assert (await http.post("/review", json={"record_a": str(known), "record_b": str(known),
                                             "decision": "reject", "reviewer": "x"})).status_code == 422
    # a mistyped record id is refused, not kept as a decision about nobody
    stranger = uuid.uuid4()
    unknown = await http.post("/review", json={"record_a": str(known), "record_b": str(stranger),
                                               "decision": "reject", "reviewer": "x"})
    assert unknown.status_code == 422
    assert [(e["loc"], e["input"]) for e in unknown.json()["detail"]] == [(["body", "record_b"], str(stranger))]
    async with database.sessionmaker() as session:
        assert await session.scalar(select(ReviewPair.id).where(ReviewPair.record_b == max(known, stranger),
                                                                ReviewPair.record_a == min(known, stranger))) is None
