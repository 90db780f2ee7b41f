"""The review queue: uncertain pairs are queued, and a reviewer's decision is kept and respected."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from devstack.stack import Stack
from services.matching.app import SPEC
from services.matching.linking.service import REVIEW_LOWER, current_params, link_records, match_record
from services.matching.review.models import ReviewPair, ordered
from shared.app import create_service_app
from tests.conftest import settings_for
from tests.integration.matching.test_incremental_linking import _link, _person_of, database, person_record

pytestmark = pytest.mark.integration
__all__ = ["database"]  # the fixture, imported for this module's tests


@pytest.fixture
async def client(infra: Stack) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    app = create_service_app(SPEC, settings_for(infra, service_name="matching"))
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
    # Weaker and weaker evidence for the same man; how sure the model is also depends on the
    # register's size (the prior), so take the first probe that lands in the uncertain band.
    base = person_record(name_bn="মোঃ জাহাঙ্গীর আলম", date_of_birth=None, birth_year=1979, nid=None, phone=None)
    [known] = await _link(database, base)
    same_name_here = {"name_bn": "মোঃ জাহাঙ্গীর আলম", "upazila_code": "2616", "district_code": "26"}
    probes = [{**same_name_here, **year, **union, **gender, **father, **mother}
              for year in ({}, {"birth_year": 1979}, {"birth_year": 1980}, {"birth_year": 1982})
              for union in ({}, {"union_code": "261647"})
              for gender in ({}, {"gender": "M"})
              for father in ({}, {"father_bn": base["father_bn"]})
              for mother in ({}, {"mother_bn": base["mother_bn"]})]
    async with database.sessionmaker() as session:
        threshold = (await current_params(session)).threshold
        in_band = []
        for candidate_probe in probes:
            scored, _ = await match_record(session, attributes=candidate_probe)
            probability = next((c.probability for c in scored if c.record_id == known), 0.0)
            if REVIEW_LOWER <= probability < threshold:
                in_band.append(candidate_probe)
    assert in_band, "no probe landed in the uncertain band"
    probe = in_band[0]
    [arriving] = await _link(database, probe)
    async with database.sessionmaker() as session:
        queued = await session.scalar(select(ReviewPair).where(
            ReviewPair.record_a == ordered(known, arriving)[0], ReviewPair.record_b == ordered(known, arriving)[1]))
    assert queued is not None and queued.status == "pending"
    assert await _person_of(database, known) != await _person_of(database, arriving)
    page = (await http.get("/review", params={"limit": 500})).json()
    assert any(item["id"] == queued.id and item["explanation"] for item in page["items"])
    missing = await http.post("/review/999999999", json={"decision": "accept", "reviewer": "x"})
    assert missing.status_code == 404
    assert (await http.post("/review", json={"record_a": str(known), "record_b": str(known),
                                             "decision": "reject", "reviewer": "x"})).status_code == 422
