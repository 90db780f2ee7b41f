"""Through the gateway, as the Cabinet Division's committee secretary enters the NSSS focal points
meeting of 24 October 2021 (shared/seeds/minutes_nsss_focal_points_2021.txt) and offices read it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from devstack.stack import Stack
from tests.integration.minutes.factories import (
    committee_payload,
    nsss_distribution,
    nsss_meeting_payload,
    office_for,
    office_headers,
    secretary_headers,
    seed_lines,
)

pytestmark = pytest.mark.e2e


def _enter_the_seed_meeting(client: httpx.Client) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    offices = client.get("/minutes/offices").json()["items"]
    members = [c for c in dict.fromkeys(office_for(r, offices) for r in nsss_distribution(seed_lines())) if c]
    committee = client.post("/minutes/committees", headers=secretary_headers(), json=committee_payload(
        code=f"NSSS_FOCAL_POINTS_{uuid.uuid4().hex[:6].upper()}",
        name_bn="জাতীয় সামাজিক নিরাপত্তা কৌশল ফোকাল পয়েন্ট কর্মকর্তাগণ", name_en="NSSS focal points",
        secretary_office_code="CABINET", member_office_codes=members))
    assert committee.status_code == 201, committee.text
    payload = nsss_meeting_payload(committee.json()["id"], offices)
    created = client.post("/minutes/meetings", headers=secretary_headers(), json=payload)
    assert created.status_code == 201, created.text
    return payload, created.json(), offices


def test_the_seed_meeting_entered_through_the_gateway_reads_back_identically_in_both_calendars(
        stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        payload, created, offices = _enter_the_seed_meeting(client)
        read = client.get(f"/minutes/meetings/{created['id']}", headers=office_headers("MOSW"))
        assert read.status_code == 200, read.text
    meeting = read.json()
    assert meeting == created

    for field in ("title_bn", "title_en", "venue", "is_online", "chair_name", "chair_designation", "attendance_note",
                  "opening_remarks", "memo_number", "signed_by_name", "signed_by_designation", "starts_at"):
        assert meeting[field] == payload[field], field
    assert meeting["memo_number"] == "০৪.০০.০০০০.৭২৫.১৮.০০১.১৫.১০৩"
    assert meeting["chair_name"] == "মোঃ কামাল হোসেন"
    assert [(a["label"], a["discussion"]) for a in meeting["agenda"]] == [
        (a["label"], a["discussion"]) for a in payload["agenda"]]

    # Both calendars: 24 October 2021 is ৮ কার্তিক ১৪২৮ (কার্তিক starts on 17 October under the 2019
    # rules); the memo's own Bangla date line must come back for 4 November 2021.
    assert (meeting["held_on"], meeting["held_on_bn"]) == ("2021-10-24", "৮ কার্তিক ১৪২৮")
    assert (meeting["issued_on"], meeting["issued_on_bn"]) == ("2021-11-04", payload["issued_on_bangla"])

    decisions = {d["label"]: d for d in meeting["decisions"]}
    assert [d["label"] for d in meeting["decisions"]] == ["ক", "খ", "গ"]
    for sent in payload["decisions"]:
        got = decisions[sent["label"]]
        assert (got["title"], got["text_bn"], got["text_en"]) == (sent["title"], sent["text_bn"], sent["text_en"])
        assert [a["responsible_office_codes"] for a in got["action_items"]] == [
            a["responsible_office_codes"] for a in sent["action_items"]]
    [by_october] = decisions["ক"]["action_items"]
    assert (by_october["deadline"], by_october["deadline_bn"]) == ("2021-10-31", "১৫ কার্তিক ১৪২৮")
    assert {"MOSW", "FD", "LGD", "PMO"} <= set(by_october["responsible_office_codes"])
    [by_december] = decisions["গ"]["action_items"]
    assert (by_december["deadline"], by_december["deadline_bn"]) == ("2021-12-31", "১৬ পৌষ ১৪২৮")
    assert by_december["deadline_as_written"] == "এ বছর ডিসেম্বর মাসের মধ্যে"
    assert decisions["খ"]["action_items"][0]["deadline"] is None
    assert all(a["status"] == "open" for d in meeting["decisions"] for a in d["action_items"])

    recipients = nsss_distribution(seed_lines())
    assert len(recipients) == 45
    assert [(e["position"], e["recipient"], e["office_code"]) for e in meeting["distribution"]] == [
        (i, r, office_for(r, offices)) for i, r in enumerate(recipients, start=1)]
    # Only the SSPS programme's officers are not offices of government.
    assert [e["position"] for e in meeting["distribution"] if e["office_code"] is None] == [39, 42, 43]
    assert meeting["copies"] == []


def test_through_the_gateway_an_office_sees_its_own_items_and_search_finds_the_decision(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        _, meeting, _ = _enter_the_seed_meeting(client)
        only_mine = client.get("/minutes/actions", params={"meeting_id": meeting["id"]},
                               headers=office_headers("MOSW")).json()["items"]
        everything = client.get("/minutes/actions", params={"meeting_id": meeting["id"]},
                                headers=secretary_headers()).json()["items"]
        hits = client.get("/minutes/search", params={"q": "প্রয়োজনীয়", "limit": 100},
                          headers=office_headers("MOSW")).json()["items"]
        no_office = client.get("/minutes/actions")
    assert [a["decision_label"] for a in only_mine] == ["ক"]
    assert sorted(a["decision_label"] for a in everything) == ["ক", "খ", "গ"]
    assert [h["decision_label"] for h in hits if h["meeting_id"] == meeting["id"]] == ["খ"]
    assert no_office.status_code == 401 and no_office.json()["detail"][0]["type"] == "unauthenticated"
