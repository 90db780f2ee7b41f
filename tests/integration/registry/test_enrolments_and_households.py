"""Enrolments and households: lifecycle, uniqueness of the ministry's record id, access."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.integration.registry.factories import create_household, create_person, enrol, headers


async def test_enrolment_lifecycle(registry: httpx.AsyncClient) -> None:
    person = await create_person(registry, "MOWCA")
    created = await enrol(registry, person["id"], "MOWCA", "MCBP", start_date="2024-07-01", source_record_id="MC-1x")
    assert created.status_code == 201, created.text
    enrolment = created.json()
    assert enrolment["ministry_code"] == "MOWCA" and enrolment["status"] == "active" and enrolment["version"] == 1

    suspended = await registry.patch(f"/enrolments/{enrolment['id']}", json={"status": "suspended", "version": 1},
                                     headers=headers("MOWCA"))
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    ended = await registry.post(f"/enrolments/{enrolment['id']}/deactivate", json={"reason": "child turned 6"},
                                headers=headers("MOWCA"))
    assert ended.status_code == 200
    assert ended.json()["status"] == "inactive" and ended.json()["end_date"] == dt.date.today().isoformat()
    reopened = await registry.patch(f"/enrolments/{enrolment['id']}", json={"status": "active"},
                                    headers=headers("MOWCA"))
    assert reopened.status_code == 409 and reopened.json()["detail"][0]["type"] == "enrolment.inactive"

    listed = await registry.get("/enrolments", params={"person_id": person["id"]}, headers=headers("MOWCA"))
    assert [e["id"] for e in listed.json()["items"]] == [enrolment["id"]]
    assert (await registry.get("/enrolments", params={"person_id": person["id"]},
                               headers=headers("MOSW"))).json()["items"] == []


async def test_a_source_record_id_is_unique_within_a_programme(registry: httpx.AsyncClient) -> None:
    first, second = await create_person(registry, "MOWCA"), await create_person(registry, "MOWCA")
    assert (await enrol(registry, first["id"], "MOWCA", "VWB", source_record_id="VWB-77")).status_code == 201
    duplicate = await enrol(registry, second["id"], "MOWCA", "VWB", source_record_id="VWB-77")
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"][0]["loc"] == ["body", "source_record_id"]
    # The same id in another programme is another record.
    assert (await enrol(registry, second["id"], "MOWCA", "MCBP", source_record_id="VWB-77")).status_code == 201


async def test_enrolment_input_errors_are_422(registry: httpx.AsyncClient) -> None:
    person = await create_person(registry, "MOWCA")
    backwards = await enrol(registry, person["id"], "MOWCA", "MCBP", start_date="2024-07-01", end_date="2024-01-01")
    assert backwards.status_code == 422 and "end_date is before start_date" in backwards.text
    unknown = await enrol(registry, person["id"], "MOWCA", "NOPE")
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["type"] == "programme.unknown"


async def test_household_lifecycle_and_access(registry: httpx.AsyncClient) -> None:
    household = await create_household(registry, "MOSW", upazila_code=212, ward=2, line="গ্রাম: চরপাড়া")
    assert household["address"]["district_code"] == 27 and household["address"]["line"] == "গ্রাম: চরপাড়া"
    member = await create_person(registry, "MOSW", household_id=household["id"], relationship_to_head="head")
    read = await registry.get(f"/households/{household['id']}", headers=headers("MOSW"))
    assert read.status_code == 200 and read.json()["member_ids"] == [member["id"]]
    assert (await registry.get(f"/households/{household['id']}", headers=headers("MOPME"))).status_code == 403
    joining = await registry.post("/persons", headers=headers("MOPME"),
                                  json={"name_en": "Rafiq", "household_id": household["id"]})
    assert joining.status_code == 403 and joining.json()["detail"][0]["loc"] == ["body", "household_id"]

    moved = await registry.patch(f"/households/{household['id']}", json={"address": {"union_code": 1}},
                                 headers=headers("MOSW"))
    assert moved.status_code == 200 and moved.json()["address"]["division_code"] == 1
    assert moved.json()["version"] == 2
    gone = await registry.post(f"/households/{household['id']}/deactivate", headers=headers("MOSW"))
    assert gone.json()["status"] == "inactive"
    listed = await registry.get("/households", params={"status": "inactive", "limit": 200}, headers=headers("MOSW"))
    assert household["id"] in [h["id"] for h in listed.json()["items"]]
