"""Persons: create, read, update, deactivate, list with filters and cursors, search."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from devstack.stack import Stack
from services.registry.access import Caller
from services.registry.persons.models import Person
from services.registry.persons.reads import PersonReadBatcher, person_read_batcher
from services.registry.persons.records import person_read
from shared.db import Database
from tests.conftest import settings_for
from tests.integration.registry.factories import (
    audit_entries,
    create_household,
    create_person,
    enrol,
    headers,
    submit_record,
)


async def test_a_person_is_stored_normalised_with_the_raw_identifiers(registry: httpx.AsyncClient) -> None:
    person = await create_person(registry, "MOSW", name_bn="মোঃ আব্দুর রহিম", gender="পুরুষ",
                                 date_of_birth="১২ মার্চ ১৯৫৬", nid="১৯৫৬ ১৯৫৬ ১২৩ ৪৫৬ ৭৮৯", phone="+880 1711-234567",
                                 brn="1956 2694 1234 56789", address={"union_code": 1927, "ward": 4})
    assert person["gender"] == "male" and person["date_of_birth"] == "1956-03-12"
    assert person["nid"] == "19561956123456789" and person["phone"] == "+8801711234567"
    by_kind = {i["kind"]: i for i in person["identifiers"]}
    assert by_kind["nid"]["raw"] == "১৯৫৬ ১৯৫৬ ১২৩ ৪৫৬ ৭৮৯" and by_kind["nid"]["comparable"] == "1956123456789"
    assert by_kind["phone"]["raw"] == "+880 1711-234567" and by_kind["brn"]["normalized"] == "19562694123456789"
    # The union names its upazila, district and division.
    assert person["address"] == {"division_code": 3, "district_code": 27, "upazila_code": 212, "union_code": 1927,
                                 "ward": 4, "line": None}


async def test_a_year_of_birth_alone_is_kept_as_a_year(registry: httpx.AsyncClient) -> None:
    assert (await create_person(registry, date_of_birth="1948"))["date_of_birth"] == "1948"


async def test_invalid_fields_are_422_naming_the_field_the_value_and_the_reason(registry: httpx.AsyncClient) -> None:
    response = await registry.post("/persons", headers=headers("MOSW"), json={
        "name_bn": "রহিম ২", "nid": "12345", "phone": "02-9515530", "date_of_birth": "31/02/1990",
        "gender": "unknown", "address": {"union_code": 1927, "district_code": 1}})
    assert response.status_code == 422
    details = {tuple(d["loc"]): d for d in response.json()["detail"]}
    assert details[("body", "nid")]["type"] == "nid.length"
    assert details[("body", "nid")]["input"] == "12345" and "10, 13 or 17 digits" in details[("body", "nid")]["msg"]
    assert details[("body", "phone")]["type"] == "phone.not_mobile"
    assert details[("body", "date_of_birth")]["type"] == "dob.invalid_date"
    assert details[("body", "gender")]["type"] == "gender.unknown"
    assert details[("body", "name_bn")]["type"] == "name.digits"


async def test_an_address_that_does_not_add_up_is_422(registry: httpx.AsyncClient) -> None:
    inconsistent = await registry.post("/persons", headers=headers("MOSW"), json={
        "name_en": "Karim", "address": {"union_code": 1927, "district_code": 1}})
    assert inconsistent.status_code == 422
    [detail] = inconsistent.json()["detail"]
    assert detail["loc"] == ["body", "address", "union_code"] and detail["type"] == "address.inconsistent"
    unknown = await registry.post("/persons", headers=headers("MOSW"), json={
        "name_en": "Karim", "address": {"upazila_code": 99999}})
    assert unknown.json()["detail"][0]["type"] == "address.unknown_unit"


async def test_update_changes_only_the_fields_sent_and_checks_the_version(registry: httpx.AsyncClient) -> None:
    person = await create_person(registry, "MOSW")
    changed = await registry.patch(f"/persons/{person['id']}", headers=headers("MOSW"),
                                   json={"phone": "01819-556677", "name_en": None, "version": 1})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["phone"] == "+8801819556677" and body["name_en"] is None and body["version"] == 2
    assert body["nid"] == person["nid"] and body["name_bn"] == person["name_bn"]
    stale = await registry.patch(f"/persons/{person['id']}", headers=headers("MOSW"),
                                 json={"gender": "female", "version": 1})
    assert stale.status_code == 409 and stale.json()["detail"][0]["type"] == "version.stale"
    nameless = await registry.patch(f"/persons/{person['id']}", headers=headers("MOSW"), json={"name_bn": None})
    assert nameless.status_code == 422 and nameless.json()["detail"][0]["type"] == "name.missing"


async def test_deactivate_keeps_the_person_as_inactive(registry: httpx.AsyncClient) -> None:
    person = await create_person(registry, "MOSW")
    response = await registry.post(f"/persons/{person['id']}/deactivate", json={"reason": "deceased"},
                                   headers=headers("MOSW"))
    assert response.status_code == 200
    assert response.json()["status"] == "inactive" and response.json()["deactivated_at"]
    again = (await registry.get(f"/persons/{person['id']}", headers=headers("MOSW"))).json()
    assert again["status"] == "inactive" and again["version"] == 2


async def test_reading_by_id_answers_byte_for_byte_what_the_orm_path_answers(
        registry: httpx.AsyncClient, engine: AsyncEngine) -> None:
    # GET /persons/{id} builds its body in SQL (persons/reads.py); every other route answers
    # PersonRead from the ORM. The two must not drift apart, down to the bytes.
    household = await create_household(registry, "MOSW")
    persons = [
        await create_person(registry, "MOSW", brn="1956 2694 1234 56789", household_id=household["id"],
                            relationship_to_head="head", address={"union_code": 1927, "ward": 4, "line": "চরপাড়া"}),
        await create_person(registry, "MOSW", date_of_birth="1948", nid=..., phone=..., name_en=...),
        await create_person(registry, "MOSW", date_of_birth=..., gender=..., address={"district_code": 27}),
    ]
    deactivated = await registry.post(f"/persons/{persons[0]['id']}/deactivate", json={"reason": "deceased"},
                                      headers=headers("MOSW"))
    read_back = await registry.get(f"/persons/{persons[0]['id']}", headers=headers("MOSW"))
    assert read_back.status_code == 200 and read_back.content == deactivated.content
    async with engine.begin() as connection:
        # an identifier kept raw (an import's unreadable value) and timestamps on a whole second
        await connection.execute(text("UPDATE registry.identifiers SET normalized = NULL, comparable = NULL "
                                      "WHERE person_id = :id AND kind = 'phone'"), {"id": persons[2]["id"]})
        await connection.execute(text("UPDATE registry.persons SET created_at = date_trunc('second', created_at), "
                                      "updated_at = date_trunc('second', updated_at) WHERE id = :id"),
                                 {"id": persons[2]["id"]})
    for person in persons:
        response = await registry.get(f"/persons/{person['id']}", headers=headers("MOSW"))
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        async with AsyncSession(engine) as session:
            stored = await session.get(Person, uuid.UUID(person["id"]))
            assert stored is not None
            assert response.content == person_read(stored).model_dump_json().encode()


async def test_missing_person_is_404(registry: httpx.AsyncClient) -> None:
    response = await registry.get(f"/persons/{uuid.uuid4()}", headers=headers("MOSW"))
    assert response.status_code == 404 and response.json()["detail"][0]["type"] == "not_found"


async def test_list_pages_by_cursor_without_gaps_or_repeats(registry: httpx.AsyncClient) -> None:
    # MOLWA registers persons in no other test: its list is exactly these.
    created = [(await create_person(registry, "MOLWA"))["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await registry.get("/persons", params=params, headers=headers("MOLWA"))).json()
        seen += [p["id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created and pages == 3
    bad = await registry.get("/persons", params={"cursor": "not-a-cursor!"}, headers=headers("MOLWA"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_list_filters_by_programme_geography_status_and_household(registry: httpx.AsyncClient) -> None:
    household = await create_household(registry, "MOLE", union_code=1)
    in_union = await create_person(registry, "MOLE", address={"union_code": 1}, household_id=household["id"])
    elsewhere = await create_person(registry, "MOLE", address={"union_code": 1927})
    enrolled = await submit_record(registry, "MOLE", "WWF", address={"union_code": 1927})
    inactive = await create_person(registry, "MOLE")
    await registry.post(f"/persons/{inactive['id']}/deactivate", headers=headers("MOLE"))

    async def ids(**params: object) -> set[str]:
        response = await registry.get("/persons", params={**params, "limit": 200}, headers=headers("MOLE"))
        assert response.status_code == 200, response.text
        return {p["id"] for p in response.json()["items"]}

    assert in_union["id"] in await ids(union_code=1)
    assert elsewhere["id"] not in await ids(union_code=1)
    assert {elsewhere["id"], enrolled["person_id"]} <= await ids(district_code=27)
    assert in_union["id"] not in await ids(division_code=3)
    assert await ids(programme="WWF") == {enrolled["person_id"]}
    assert (await enrol(registry, elsewhere["id"], "MOFOOD", "FFP")).status_code == 201
    assert await ids(ministry="MOFOOD") == await ids(programme="FFP") == {elsewhere["id"]}
    assert await ids(ministry="MoLE") == {enrolled["person_id"]}
    assert inactive["id"] in await ids(status="inactive") and inactive["id"] not in await ids(status="active")
    assert await ids(household_id=household["id"]) == {in_union["id"]}


async def test_search_finds_any_written_form_of_an_identifier(registry: httpx.AsyncClient) -> None:
    person = await create_person(registry, "MOSW", nid="১৯৭০ ৪৭১১ ২৩৪ ৫৬৭ ৮৯৮", phone="8801922334455",
                                 brn="20108264519037261")

    async def found(**query: str) -> list[str]:
        response = await registry.get("/persons/search", params=query, headers=headers("MOSW"))
        assert response.status_code == 200, response.text
        return [h["person_id"] for h in response.json()["hits"]]

    assert person["id"] in await found(nid="4711234567898")        # the 13-digit form
    assert person["id"] in await found(nid="19704711234567898")    # the 17-digit form, ASCII
    assert person["id"] in await found(phone="০১৯২২-৩৩৪৪৫৫")
    assert person["id"] in await found(phone="+880 1922 334455")
    assert person["id"] in await found(brn="2010-8264-5190-37261")
    bad = await registry.get("/persons/search", params={"nid": "123"}, headers=headers("MOSW"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "nid"]
    two = await registry.get("/persons/search", params={"nid": "1", "name": "x"}, headers=headers("MOSW"))
    assert two.status_code == 422


async def test_search_by_name_in_bangla_or_latin_ignores_honorifics(registry: httpx.AsyncClient) -> None:
    person = await create_person(registry, "MOSW", name_bn="মোছাঃ জোবেদা খাতুন", name_en="Mst. Jobeda Khatun")

    async def found(name: str) -> dict[str, dict]:
        response = await registry.get("/persons/search", params={"name": name}, headers=headers("MOSW"))
        assert response.status_code == 200, response.text
        return {h["person_id"]: h for h in response.json()["hits"]}

    bangla = await found("জোবেদা খাতুন")
    assert bangla[person["id"]]["matched_on"] == "name_bn" and bangla[person["id"]]["score"] == 1.0
    latin = await found("mosammat jobeda khatun")
    assert latin[person["id"]]["matched_on"] == "name_en"
    assert person["id"] in await found("Jobeda Khatoon")  # a spelling variant, by trigram similarity
    assert person["id"] not in await found("Abdul Karim")


async def test_every_form_of_a_read_by_id_answers_alike_and_is_audited(registry: httpx.AsyncClient) -> None:
    # The canonical form is answered by persons/reads.py's fast path; the others by the route.
    person = await create_person(registry, "MOSW")
    canonical = await registry.get(f"/persons/{person['id']}", headers=headers("MOSW"))
    for other_form in (person["id"].upper(), person["id"].replace("-", "")):
        response = await registry.get(f"/persons/{other_form}", headers=headers("MOSW"))
        assert response.status_code == 200 and response.content == canonical.content
    invalid = await registry.get("/persons/not-a-person-id", headers=headers("MOSW"))
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["path", "person_id"]

    audited = await registry.get(f"/persons/{person['id']}",
                                 headers={**headers("MOSW", "operator", "Auditor"), "X-Request-ID": "read-by-id-1"})
    refused = await registry.get(f"/persons/{person['id']}",
                                 headers={**headers("MOFOOD"), "X-Request-ID": "read-by-id-2"})
    assert audited.status_code == 200 and refused.status_code == 403
    entries = await audit_entries(registry, entity_type="person", entity_id=person["id"])
    assert [e["action"] for e in entries] == ["create", "read", "read", "read", "read", "read.denied"]
    assert entries[-2]["actor_roles"] == ["auditor", "operator"] and entries[-2]["request_id"] == "read-by-id-1"
    assert (entries[-1]["actor_ministry"], entries[-1]["request_id"]) == ("MOFOOD", "read-by-id-2")
    assert entries[-1]["detail"] is None and entries[-2]["detail"] is None

    metrics = (await registry.get("/metrics")).text
    assert 'route="/persons/{person_id}",service="registry",status="403"' in metrics


async def test_reads_that_arrive_together_share_statements_and_each_is_answered_and_audited(
        registry: httpx.AsyncClient, registry_app: FastAPI) -> None:
    own = [(await create_person(registry, "MOSW"))["id"] for _ in range(8)]
    theirs = [(await create_person(registry, "MOFOOD"))["id"] for _ in range(4)]
    missing = [str(uuid.uuid4()) for _ in range(3)]
    asks = ([(person, "MOSW", 200) for person in own] + [(person, "MOSW", 403) for person in theirs]
            + [(person, "MOSW", 404) for person in missing] + [(person, "MOFOOD", 200) for person in theirs])
    random.Random(7).shuffle(asks)
    batcher = person_read_batcher(registry_app.state.db)
    sent_before = batcher.statements

    responses = await asyncio.gather(*(
        registry.get(f"/persons/{person}", headers={**headers(ministry), "X-Request-ID": f"together-{n}"})
        for n, (person, ministry, _) in enumerate(asks)))

    assert [r.status_code for r in responses] == [status for _, _, status in asks]
    for response, (person, ministry, status) in zip(responses, asks, strict=True):
        if status == 200:
            assert response.json()["id"] == person and response.json()["registered_by"] == ministry
        elif status == 403:
            assert response.json()["detail"][0]["type"] == "personal_data.not_yours"
        assert response.headers["x-request-id"] == f"together-{asks.index((person, ministry, status))}"
    assert batcher.statements - sent_before < len(asks)  # some rode together
    for n, (person, ministry, status) in enumerate(asks):
        if status == 404:
            continue
        entries = await audit_entries(registry, entity_type="person", entity_id=person)
        [entry] = [e for e in entries if e["request_id"] == f"together-{n}"]
        assert entry["actor_ministry"] == ministry
        assert entry["action"] == ("read" if status == 200 else "read.denied")


async def test_every_read_of_a_failed_statement_gets_the_failure(infra: Stack) -> None:
    # a database that refuses connections: the statement fails for real, and no reader waits forever
    unreachable = Database(settings_for(infra, service_name="registry",
                                        database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none"))
    batcher = PersonReadBatcher(unreachable)
    caller = Caller(ministry_code="MOSW")
    results = await asyncio.wait_for(asyncio.gather(
        *(batcher.read(caller, uuid.uuid4(), f"failing-{n}") for n in range(5)), return_exceptions=True), 30)
    assert len(results) == 5 and all(isinstance(r, OSError) for r in results), results
    assert not batcher._in_flight and not batcher._queue
    await unreachable.dispose()
