"""Incremental linkage against the real PostgreSQL: records arriving one batch at a time join the
right person, siblings stay apart, and the real-time match explains itself."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from devstack.stack import Stack
from services.matching.app import SPEC
from services.matching.linking.models import PersonLink
from services.matching.linking.service import link_records
from shared.app import create_service_app
from shared.db import Database
from tests.conftest import settings_for
from tests.integration.matching.events import outbox_events

pytestmark = pytest.mark.integration


def person_record(**overrides: Any) -> dict[str, Any]:
    """A beneficiary as a ministry might hold them; a fresh NID and phone unless overridden."""
    serial = uuid.uuid4().int % 10**9
    record = {"name_bn": "মোঃ আব্দুর রহিম", "father_bn": "মৃত করিম উদ্দিন", "mother_bn": "জমিলা খাতুন",
              "gender": "M", "date_of_birth": "1956-03-12", "nid": f"1956{serial:09d}",
              "phone": f"01711{serial % 10**6:06d}", "division_code": "30", "district_code": "26",
              "upazila_code": "2616", "union_code": "261647"}
    record.update(overrides)
    return record


@pytest.fixture
async def database(infra: Stack) -> AsyncIterator[Database]:
    db = Database(settings_for(infra))
    yield db
    await db.dispose()


async def _link(database: Database, *records: dict[str, Any]) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in records]
    async with database.sessionmaker() as session, session.begin():
        await link_records(session, list(zip(ids, records, strict=True)))
    return ids


async def _person_of(database: Database, record_id: uuid.UUID) -> uuid.UUID | None:
    async with database.sessionmaker() as session:
        return await session.scalar(select(PersonLink.person_id).where(PersonLink.record_id == record_id))


async def test_the_same_person_in_bangla_and_latin_with_a_17_digit_nid_is_linked(database: Database) -> None:
    bangla = person_record()
    [first] = await _link(database, bangla)
    latin = {"name_en": "Md. Abdur Rahim", "father_en": "Late Karim Uddin", "gender": "male",
             "date_of_birth": "1956-12-03",  # day and month swapped by the other ministry
             "nid": "1956" + bangla["nid"], "phone": "+880" + bangla["phone"][1:],
             "district_code": "26", "upazila_code": "2616"}
    [second] = await _link(database, latin)
    assert await _person_of(database, first) is not None
    assert await _person_of(database, second) == await _person_of(database, first)


async def test_siblings_who_share_parents_phone_and_address_stay_apart(database: Database) -> None:
    shared = {"father_bn": "আব্দুল মালেক", "mother_bn": "রোকেয়া বেগম", "phone": "01819556677",
              "union_code": "261648"}
    brother = person_record(name_bn="মোঃ রফিকুল ইসলাম", date_of_birth="1988-01-05", nid=None, **shared)
    sister = person_record(name_bn="মোছাঃ রাশিদা খাতুন", gender="F", date_of_birth="1991-09-17", nid=None, **shared)
    first, second = await _link(database, brother, sister)
    assert await _person_of(database, first) != await _person_of(database, second)


async def test_a_record_that_bridges_two_persons_merges_them_into_the_older(database: Database) -> None:
    base = person_record(name_bn="নাসরিন আক্তার", gender="F", father_bn="আবুল হোসেন", date_of_birth="1994-11-23")
    # one ministry knows her NID, another her phone; neither shares the other's identifier
    [by_nid] = await _link(database, {**base, "phone": None})
    # a name and a place are not enough on their own (and the keys meet across scripts)
    [by_phone] = await _link(database, {**base, "nid": None, "name_bn": None, "name_en": "Nasrin Akter",
                                        "date_of_birth": None, "father_bn": None, "mother_bn": None,
                                        "upazila_code": "1111", "union_code": None})
    older = await _person_of(database, by_nid)
    assert older is not None and await _person_of(database, by_phone) != older
    [bridge] = await _link(database, base)  # has both the NID and the phone
    assert await _person_of(database, bridge) == older
    assert await _person_of(database, by_phone) == older
    types = [event.type for event in await outbox_events(database, by_phone)]
    assert "matching.person.unlinked" in types and types.count("matching.person.linked") >= 2


async def test_a_merged_persons_id_leads_to_the_person_it_was_merged_into(infra: Stack, database: Database) -> None:
    base = person_record(name_bn="শিরিন সুলতানা", gender="F", father_bn="মোঃ মোতালেব", date_of_birth="1983-04-02")
    older, middle, younger = (await _link(database, {**base, "phone": None}),
                              await _link(database, {**base, "nid": None, "name_bn": None, "name_en": "Shirin Sultana",
                                                     "date_of_birth": None, "father_bn": None, "mother_bn": None,
                                                     "upazila_code": "1111", "union_code": None}),
                              await _link(database, {**base, "nid": None, "phone": None, "name_bn": None,
                                                     "name_en": "Sirin Sultana", "date_of_birth": "1983",
                                                     "brn": "19834417205561839", "upazila_code": "2222"}))
    persons = [await _person_of(database, r[0]) for r in (older, middle, younger)]
    assert len(set(persons)) == 3, persons
    app = create_service_app(SPEC, settings_for(infra, service_name="matching-it"))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://matching") as client:
        await _link(database, base)  # has the NID and the phone: the middle person merges into the older
        assert await _person_of(database, middle[0]) == persons[0]
        moved = await client.get(f"/persons/{persons[1]}")
        assert moved.status_code == 301 and moved.headers["location"] == str(persons[0])
        followed = await client.get(f"/persons/{persons[1]}", follow_redirects=True)
        assert followed.status_code == 200 and followed.json()["person_id"] == str(persons[0])

        # a reviewer joins the third: one of the two merges into the other, and an id merged
        # before follows in one step
        accepted = await client.post("/review", json={"record_a": str(older[0]), "record_b": str(younger[0]),
                                                      "decision": "accept", "reviewer": "MOSW-reviewer"})
        assert accepted.status_code == 200, accepted.text
        survivor = await _person_of(database, younger[0])
        assert survivor == await _person_of(database, older[0]) and survivor in (persons[0], persons[2])
        for gone in {persons[0], persons[1], persons[2]} - {survivor}:
            response = await client.get(f"/persons/{gone}")
            assert response.status_code == 301 and response.headers["location"] == str(survivor)
        assert (await client.get(f"/persons/{uuid.uuid4()}")).status_code == 404


async def test_real_time_match_explains_each_field(infra: Stack, database: Database) -> None:
    known = person_record(name_bn="ফাতেমা বেগম", gender="F", date_of_birth="1971-02-14")
    [known_id] = await _link(database, known)
    app = create_service_app(SPEC, settings_for(infra, service_name="matching-it"))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://matching") as client:
        response = await client.post("/match", json={"name_en": "Fatema Begum", "nid": known["nid"],
                                                     "date_of_birth": "1971-02-14"})
        assert response.status_code == 200, response.text
        body = response.json()
        best = body["candidates"][0]
        assert best["record_id"] == str(known_id) and best["probability"] >= body["threshold"]
        fields = {e["field"]: e for e in best["explanation"]}
        assert fields["nid"]["level"] == "exact" and fields["nid"]["weight"] > 5
        assert fields["dob"]["level"] == "exact" and fields["dob"]["weight"] > 0
        assert "phone" not in fields  # not given in the request: no evidence either way
        nobody = await client.post("/match", json={"name_en": "Zyxwv Qponm", "nid": "4999999999"})
        assert nobody.status_code == 200 and all(c["probability"] < 0.5 for c in nobody.json()["candidates"])
        bad = await client.post("/match", json={"gender": "F"})
        assert bad.status_code == 422 and "at least a name" in bad.json()["detail"][0]["msg"]


BANGLA_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


async def test_a_record_as_the_registry_writes_it_is_matched_and_bad_values_are_refused(
        infra: Stack, database: Database) -> None:
    known = person_record(name_bn="রহিমা খাতুন", father_bn="আব্দুল করিম", gender="F", date_of_birth="1968-07-01")
    [known_id] = await _link(database, known)
    app = create_service_app(SPEC, settings_for(infra, service_name="matching-it"))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://matching") as client:
        # the registry's field names, a day/month/year date, Bangla digits and a Bangla gender
        response = await client.post("/match", json={
            "name_bn": "মোছাঃ রহিমা খাতুন", "father_name_bn": "আব্দুল করিম", "gender": "মহিলা",
            "date_of_birth": "০১/০৭/১৯৬৮", "nid": known["nid"].translate(BANGLA_DIGITS), "district_code": "২৬"})
        assert response.status_code == 200, response.text
        best = response.json()["candidates"][0]
        assert best["record_id"] == str(known_id)
        fields = {e["field"]: e["level"] for e in best["explanation"]}
        assert fields["dob"] == "exact" and fields["nid"] == "exact" and fields["father"] == "exact skeleton"

        bad = await client.post("/match", json={"name_en": "Rahima Khatun", "nid": "12345", "phone": "02-9551234"})
        assert bad.status_code == 422
        refused = {tuple(e["loc"]): e for e in bad.json()["detail"]}
        assert set(refused) == {("body", "nid"), ("body", "phone")}
        assert refused[("body", "nid")]["type"] == "nid.length" and "10, 13 or 17" in refused[("body", "nid")]["msg"]
        assert refused[("body", "nid")]["input"] == "12345"
        assert refused[("body", "phone")]["type"] == "phone.not_mobile"

        misspelt = await client.post("/match", json={"name_en": "Rahima Khatun", "fathers_name": "Abdul Karim"})
        assert misspelt.status_code == 422
        assert [(e["loc"], e["type"]) for e in misspelt.json()["detail"]] == [(["body", "fathers_name"],
                                                                             "extra_forbidden")]
