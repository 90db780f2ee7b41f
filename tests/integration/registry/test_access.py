"""Acceptance: a ministry reads and changes only its own programmes' beneficiaries; every
member sees the coordinated enrolment view; the caller comes from the headers."""

from __future__ import annotations

import httpx

from tests.integration.registry.factories import create_person, enrol, headers, submit_record

PERSONAL_FIELDS = {"name_bn", "name_en", "nid", "phone", "date_of_birth", "identifiers", "address"}


async def test_a_ministry_cannot_read_another_ministrys_personal_fields(registry: httpx.AsyncClient) -> None:
    record = await submit_record(registry, "MOSW", "OAA", name_bn="আমেনা বেগম", name_en="Amena Begum")
    person_id = record["person_id"]

    own = await registry.get(f"/persons/{person_id}", headers=headers("MOSW"))
    assert own.status_code == 200 and own.json()["name_bn"] == "আমেনা বেগম"

    other = await registry.get(f"/persons/{person_id}", headers=headers("MOFOOD"))
    assert other.status_code == 403, other.text
    [detail] = other.json()["detail"]
    assert detail["type"] == "personal_data.not_yours" and detail["loc"] == ["path", "person_id"]
    assert "আমেনা" not in other.text and "Amena" not in other.text
    assert (await registry.get(f"/beneficiaries/{record['id']}", headers=headers("MOFOOD"))).status_code == 403
    assert (await registry.get(f"/enrolments/{record['id']}", headers=headers("MOFOOD"))).status_code == 403


async def test_a_ministry_cannot_change_another_ministrys_beneficiary(registry: httpx.AsyncClient) -> None:
    person = (await submit_record(registry, "MOSW", "OAA"))["person_id"]
    patch = await registry.patch(f"/persons/{person}", json={"phone": "01819556677"}, headers=headers("MOWCA"))
    assert patch.status_code == 403
    deactivate = await registry.post(f"/persons/{person}/deactivate", headers=headers("MOWCA"))
    assert deactivate.status_code == 403
    unchanged = (await registry.get(f"/persons/{person}", headers=headers("MOSW"))).json()
    assert unchanged["version"] == 1 and unchanged["status"] == "active"


async def test_every_member_sees_the_coordinated_enrolment_view(registry: httpx.AsyncClient) -> None:
    record = await submit_record(registry, "MOSW", "WIDOW")
    person_id = record["person_id"]
    assert (await enrol(registry, person_id, "MOFOOD", "FFP", start_date="2024-01-01")).status_code == 201

    view = await registry.get(f"/persons/{person_id}/enrolments", headers=headers("MOPME"))
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["personal_data_readable"] is False
    assert {(e["programme_code"], e["ministry_code"]) for e in body["enrolments"]} == {("WIDOW", "MOSW"),
                                                                                      ("FFP", "MOFOOD")}
    assert not PERSONAL_FIELDS & set(body) and all("source_record_id" not in e for e in body["enrolments"])
    assert "রহিমা" not in view.text
    # The ministry that enrolled the person through coordination may now read them.
    assert (await registry.get(f"/persons/{person_id}", headers=headers("MOFOOD"))).status_code == 200
    assert (await registry.get(f"/persons/{person_id}/enrolments",
                               headers=headers("MOFOOD"))).json()["personal_data_readable"] is True


async def test_search_shows_other_ministries_matches_without_personal_fields(registry: httpx.AsyncClient) -> None:
    nid = "19621962987654321"  # 17 digits: birth year + the 13-digit NID
    nid13 = nid[4:]
    await submit_record(registry, "MOSW", "OAA", nid=nid)
    result = await registry.get("/persons/search", params={"nid": nid13}, headers=headers("MODMR"))
    assert result.status_code == 200, result.text
    [hit] = [h for h in result.json()["hits"] if h["coordinated"]["enrolments"][0]["ministry_code"] == "MOSW"]
    assert hit["person"] is None and hit["coordinated"]["personal_data_readable"] is False


async def test_enrolling_in_another_ministrys_programme_is_refused(registry: httpx.AsyncClient) -> None:
    person = await create_person(registry, "MOWCA")
    response = await enrol(registry, person["id"], "MOWCA", "OAA")
    assert response.status_code == 403
    assert response.json()["detail"][0]["type"] == "programme.not_yours"
    record = await registry.post("/beneficiaries", headers=headers("MOWCA"), json={
        "ministry_code": "MOSW", "programme_code": "OAA", "source_record_id": "x-1", "name_en": "Someone"})
    assert record.status_code == 403 and record.json()["detail"][0]["loc"] == ["body", "ministry_code"]


async def test_the_caller_must_name_a_known_ministry(registry: httpx.AsyncClient) -> None:
    person = await create_person(registry, "MOSW")
    missing = await registry.get(f"/persons/{person['id']}")
    assert missing.status_code == 401 and missing.json()["detail"][0]["loc"] == ["header", "x-ministry-code"]
    unknown = await registry.get(f"/persons/{person['id']}", headers=headers("NOSUCH"))
    assert unknown.status_code == 403 and unknown.json()["detail"][0]["type"] == "ministry.unknown"
    lower_case = await registry.get(f"/persons/{person['id']}", headers=headers("mosw"))
    assert lower_case.status_code == 200


async def test_the_audit_log_is_for_auditors_only(registry: httpx.AsyncClient) -> None:
    assert (await registry.get("/audit", headers=headers("MOSW"))).status_code == 403
    assert (await registry.get("/audit", headers=headers("MOSW", "auditor"))).status_code == 200
