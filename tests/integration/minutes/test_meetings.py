"""Recording minutes in-process: read-back, validation, decisions added later, events staged."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.minutes.database import outbox
from tests.integration.minutes.api import create_committee, new_meeting, record_meeting
from tests.integration.minutes.factories import (
    action_payload,
    committee_payload,
    decision_payload,
    meeting_payload,
    office_headers,
    secretary_headers,
)

pytestmark = pytest.mark.integration


async def _staged_topics(app: FastAPI, key: str) -> list[str]:
    async with app.state.db.engine.connect() as connection:
        rows = await connection.execute(select(outbox.c.topic).where(outbox.c.key == key).order_by(outbox.c.id))
        return [r.topic for r in rows]


async def test_minutes_with_copies_read_back_in_order_in_both_calendars(client: httpx.AsyncClient) -> None:
    committee = await create_committee(client)
    payload = meeting_payload(
        committee["id"], decision_payload("ক", action_payload("MOSW", "MOWCA", deadline="2030-01-15")),
        decision_payload("খ"),
        held_on="৩০ ডিসেম্বর ২০১৯", memo_number="৪১.০০.০০০০.০৮৩.১২.০০১.০১৬-৫১১", issued_on="০৭/০১/২০২০",
        distribution=[{"recipient": "সচিব, সমাজকল্যাণ মন্ত্রণালয়, বাংলাদেশ সচিবালয়, ঢাকা।", "office_code": "MOSW"},
                      {"recipient": "মহাপরিচালক, সমাজসেবা অধিদফতর, আগারগাঁও, ঢাকা।", "office_code": "DSS"}],
        copies=[{"recipient": "উপসচিব, সামাজিক নিরাপত্তা অধিশাখা, মন্ত্রিপরিষদ বিভাগ।", "office_code": "CABINET"},
                {"recipient": "সচিবের একান্ত সচিব, সমাজকল্যাণ-মন্ত্রণালয়, ঢাকা।"}])
    created = await record_meeting(client, payload)
    read = (await client.get(f"/meetings/{created['id']}", headers=office_headers("MOCA"))).json()
    assert read == created
    # Bangla dates worked out by hand under the 2019 rules (কার্তিক starts 17 October, পৌষ 16 December).
    assert (read["held_on"], read["held_on_bn"]) == ("2019-12-30", "১৫ পৌষ ১৪২৬")
    assert (read["issued_on"], read["issued_on_bn"]) == ("2020-01-07", "২৩ পৌষ ১৪২৬")
    assert [(e["position"], e["office_code"]) for e in read["distribution"]] == [(1, "MOSW"), (2, "DSS")]
    assert [(e["position"], e["recipient"], e["office_code"]) for e in read["copies"]] == [
        (i, c["recipient"], c.get("office_code")) for i, c in enumerate(payload["copies"], start=1)]
    [action] = read["decisions"][0]["action_items"]
    assert action["responsible_office_codes"] == ["MOSW", "MOWCA"]
    assert (action["deadline"], action["deadline_bn"], action["status"]) == ("2030-01-15", "১ মাঘ ১৪৩৬", "open")
    assert read["decisions"][1]["action_items"] == []


async def test_recording_minutes_stages_one_event_per_meeting_decision_and_action(
        client: httpx.AsyncClient, minutes_app: FastAPI) -> None:
    meeting = await new_meeting(client, decision_payload("ক", action_payload("MOSW")), decision_payload("খ"))
    assert await _staged_topics(minutes_app, meeting["id"]) == ["minutes.meeting.created"]
    first, second = meeting["decisions"]
    assert await _staged_topics(minutes_app, first["id"]) == ["minutes.decision.recorded"]
    assert await _staged_topics(minutes_app, second["id"]) == ["minutes.decision.recorded"]
    assert await _staged_topics(minutes_app, first["action_items"][0]["id"]) == ["minutes.action.created"]


async def test_a_memo_whose_two_dates_disagree_is_refused_with_the_reason(client: httpx.AsyncClient) -> None:
    committee = await create_committee(client)
    # The 2019 seed's memo line: ২৩ পৌষ ১৪২৬ is 7 January 2020, but "০৭ জানুয়ারি ২০১৯" was typed.
    response = await client.post("/meetings", headers=secretary_headers(), json=meeting_payload(
        committee["id"], issued_on="০৭ জানুয়ারি ২০১৯", issued_on_bangla="২৩ পৌষ ১৪২৬"))
    assert response.status_code == 422, response.text
    [detail] = response.json()["detail"]
    assert "2020-01-07" in detail["msg"] and "year" in detail["msg"].lower()
    fixed = await record_meeting(client, meeting_payload(committee["id"], issued_on_bangla="২৩ পৌষ ১৪২৬"))
    assert fixed["issued_on"] == "2020-01-07"


async def test_unknown_offices_duplicate_labels_and_non_secretaries_are_refused(client: httpx.AsyncClient) -> None:
    committee = await create_committee(client)
    unknown = await client.post("/meetings", headers=secretary_headers(), json=meeting_payload(
        committee["id"], decision_payload("ক"), decision_payload("খ", action_payload("MOSW", "NOSUCH"))))
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == [{
        "loc": ["body", "decisions", 1, "action_items", 0, "responsible_office_codes", 1],
        "msg": "unknown office code", "type": "unknown_office", "input": "NOSUCH"}]
    twice = await client.post("/meetings", headers=secretary_headers(),
                              json=meeting_payload(committee["id"], decision_payload("ক"), decision_payload("ক")))
    assert twice.status_code == 422 and "same label" in twice.json()["detail"][0]["msg"]
    not_secretary = await client.post("/meetings", headers=office_headers("MOSW"),
                                      json=meeting_payload(committee["id"]))
    assert not_secretary.status_code == 403
    assert not_secretary.json()["detail"][0]["type"] == "forbidden"


async def test_a_decision_added_later_gets_the_next_position_and_its_label_must_be_new(
        client: httpx.AsyncClient) -> None:
    meeting = await new_meeting(client, decision_payload("০৬(ক)"))
    added = await client.post(f"/meetings/{meeting['id']}/decisions", headers=secretary_headers(),
                              json=decision_payload("০৬(খ)", action_payload("MOWCA", deadline="2031-03-01")))
    assert added.status_code == 201, added.text
    assert (added.json()["position"], added.json()["label"]) == (2, "০৬(খ)")
    assert added.json()["action_items"][0]["decision_label"] == "০৬(খ)"
    again = await client.post(f"/meetings/{meeting['id']}/decisions", headers=secretary_headers(),
                              json=decision_payload("০৬(খ)"))
    assert again.status_code == 409
    read = (await client.get(f"/meetings/{meeting['id']}", headers=office_headers("MOSW"))).json()
    assert [d["label"] for d in read["decisions"]] == ["০৬(ক)", "০৬(খ)"]


async def test_meetings_are_listed_per_committee_latest_first(client: httpx.AsyncClient) -> None:
    committee = await create_committee(client)
    for held_on in ("2029-01-10", "2029-03-10", "2029-02-10"):
        await record_meeting(client, meeting_payload(committee["id"], held_on=held_on))
    page = (await client.get("/meetings", params={"committee_id": committee["id"]},
                             headers=office_headers("MOSW"))).json()
    assert page["total"] == 3
    assert [m["held_on"] for m in page["items"]] == ["2029-03-10", "2029-02-10", "2029-01-10"]
    assert all(m["held_on_bn"] for m in page["items"])


async def test_committee_and_meeting_references_are_checked(client: httpx.AsyncClient) -> None:
    committee = await create_committee(client)
    taken = await client.post("/committees", headers=secretary_headers(),
                              json=committee_payload(code=committee["code"].lower()))
    assert taken.status_code == 409 and taken.json()["detail"][0]["type"] == "committee_code_taken"
    no_member = await client.post("/committees", headers=secretary_headers(),
                                  json=committee_payload(member_office_codes=["MOSW", "XYZ"]))
    assert no_member.json()["detail"][0]["loc"] == ["body", "member_office_codes", 1]
    read = (await client.get(f"/committees/{committee['id']}", headers=office_headers("MOWCA"))).json()
    assert read == committee and read["member_office_codes"] == ["MOSW", "MOWCA", "MOCA"]

    ghost = str(uuid.uuid4())
    unknown = await client.post("/meetings", headers=secretary_headers(), json=meeting_payload(ghost))
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["type"] == "unknown_committee"
    missing = await client.get(f"/meetings/{ghost}", headers=office_headers("MOSW"))
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "meeting_id"]
