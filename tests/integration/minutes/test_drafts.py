"""Minutes texts uploaded, read into drafts, corrected and confirmed into meetings; a stored meeting
issued as its official document through the API and `minutes export` (issue 7)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from devstack.stack import Stack
from services.minutes.database import outbox
from tests.document_text import docx_text, nfc, pdf_text, squash
from tests.integration.minutes.api import create_committee
from tests.integration.minutes.drafts import (
    CLUSTER_SEED,
    DOCX,
    FOCAL_POINTS_SEED,
    PDF,
    upload,
    upload_files,
)
from tests.integration.minutes.factories import (
    nsss_decisions,
    nsss_distribution,
    office_headers,
    secretary_headers,
    seed_lines,
)

pytestmark = pytest.mark.integration

MINUTES_CLI = Path(sys.executable).with_name("minutes")


async def _staged_topics(app: FastAPI, key: str) -> list[str]:
    async with app.state.db.engine.connect() as connection:
        rows = await connection.execute(select(outbox.c.topic).where(outbox.c.key == key).order_by(outbox.c.id))
        return [r.topic for r in rows]


def _seed_decisions() -> dict[str, str]:
    """The three decisions as the seed words them (the list separator ';' is not part of a decision)."""
    return {label: nfc(text).removesuffix(";").strip() for label, text in nsss_decisions(seed_lines()).items()}


@pytest.fixture
async def confirmed_focal_points(client: httpx.AsyncClient) -> dict[str, Any]:
    """The second seed uploaded and confirmed as a meeting of a new committee."""
    if not FOCAL_POINTS_SEED.is_file():
        pytest.skip(f"seed not found: {FOCAL_POINTS_SEED}")
    draft = await upload(client, FOCAL_POINTS_SEED)
    committee = await create_committee(client)
    response = await client.post(f"/drafts/{draft['id']}/confirm", headers=secretary_headers(),
                                 json={"committee_id": committee["id"], "is_online": True})
    assert response.status_code == 201, response.text
    return response.json()


async def test_uploading_the_focal_points_minutes_gives_a_draft_with_its_decisions_and_doubts(
        client: httpx.AsyncClient, minutes_app: FastAPI) -> None:
    content = FOCAL_POINTS_SEED.read_bytes()
    response = await client.post("/drafts", files=upload_files(FOCAL_POINTS_SEED), headers=secretary_headers())
    assert response.status_code == 201, response.text
    draft = response.json()
    assert response.headers["location"] == f"drafts/{draft['id']}"
    assert draft["status"] == "draft" and draft["meeting_id"] is None
    assert [(d["label"], d["text"]) for d in draft["decisions"]] == list(_seed_decisions().items())
    assert draft["held_on"] == "2021-10-24" and draft["issued_on"] == "2021-11-04"
    assert draft["chair_name"] == "মোঃ কামাল হোসেন"
    assert len(draft["distribution"]) == 45 and draft["copies"] == []
    # What the parser doubts: no draft field, but decision ক names the Cabinet Division as a destination.
    assert draft["unsure"] == {} and draft["issues"] == []
    assert [sorted(d["unsure"]) for d in draft["decisions"]] == [["responsible_offices"], [], []]
    assert "destination" in draft["decisions"][0]["unsure"]["responsible_offices"]
    # Only the committee is missing before it can be confirmed: the offices named are proposals.
    assert [(b["kind"], b["field"]) for b in draft["to_confirm"]] == [("missing", "committee_id")]
    assert draft["source"] == {"filename": FOCAL_POINTS_SEED.name, "media_type": "text/plain",
                               "sha256": hashlib.sha256(content).hexdigest(), "size_bytes": len(content),
                               "href": f"drafts/{draft['id']}/source"}

    read = await client.get(f"/drafts/{draft['id']}", headers=office_headers("MOSW"))
    assert read.status_code == 200 and read.json() == draft
    source = await client.get(f"/drafts/{draft['id']}/source", headers=office_headers("MOSW"))
    assert source.status_code == 200 and source.content == content
    assert source.headers["content-type"].startswith("text/plain")
    assert FOCAL_POINTS_SEED.name in source.headers["content-disposition"]
    assert await _staged_topics(minutes_app, draft["id"]) == ["minutes.draft.created"]


async def test_a_confirmed_draft_is_a_meeting_with_its_decisions_distribution_and_source_link(
        client: httpx.AsyncClient, minutes_app: FastAPI, confirmed_focal_points: dict[str, Any]) -> None:
    draft, meeting = confirmed_focal_points["draft"], confirmed_focal_points["meeting"]
    assert draft["status"] == "confirmed" and draft["confirmed_by_office"] == "CABINET"
    assert draft["meeting_id"] == meeting["id"] and draft["forced_reason"] is None and draft["to_confirm"] == []
    stored = (await client.get(f"/meetings/{meeting['id']}", headers=office_headers("MOSW"))).json()
    assert stored == meeting
    assert stored["draft_id"] == draft["id"]
    assert [(d["label"], d["text_bn"]) for d in stored["decisions"]] == list(_seed_decisions().items())
    assert [d["action_items"] for d in stored["decisions"]] == [[], [], []]
    assert [e["recipient"] for e in stored["distribution"]] == nsss_distribution(seed_lines())
    assert len(stored["distribution"]) == 45 and stored["copies"] == []
    # Recipients were matched to the offices the service knows, like a secretary entering them would.
    assert [e["position"] for e in stored["distribution"] if e["office_code"] is None] == [39, 42, 43]
    assert (stored["held_on"], stored["issued_on"], stored["memo_number"]) == (
        "2021-10-24", "2021-11-04", "০৪.০০.০০০০.৭২৫.১৮.০০১.১৫.১০৩")
    assert stored["opening_remarks"].startswith("সভাপতি উপস্থিত সকলকে স্বাগত")
    assert [a["label"] for a in stored["agenda"]] == ["০২", "০৩", "০৪", "০৫"]

    # The link to the source survives confirmation.
    source = await client.get(f"/drafts/{stored['draft_id']}/source", headers=office_headers("MOSW"))
    assert source.content == FOCAL_POINTS_SEED.read_bytes()
    assert await _staged_topics(minutes_app, draft["id"]) == ["minutes.draft.created", "minutes.draft.confirmed"]
    assert await _staged_topics(minutes_app, meeting["id"]) == ["minutes.meeting.created"]
    again = await client.post(f"/drafts/{draft['id']}/confirm", headers=secretary_headers(), json={})
    assert again.status_code == 409 and again.json()["detail"][0]["type"] == "draft_confirmed"


async def test_the_meeting_document_as_pdf_and_docx_holds_each_decision_exactly(
        client: httpx.AsyncClient, confirmed_focal_points: dict[str, Any]) -> None:
    meeting = confirmed_focal_points["meeting"]
    short = meeting["id"][:8]
    pdf = await client.get(f"/meetings/{meeting['id']}/document", params={"format": "pdf"},
                           headers=office_headers("MOSW"))
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == PDF and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-disposition"] == f'attachment; filename="minutes-2021-10-24-{short}.pdf"'
    text = squash(pdf_text(pdf.content))
    for label, decision in _seed_decisions().items():
        assert f"({label}) {squash(decision)}" in text, label
    for recipient in nsss_distribution(seed_lines()):
        assert squash(recipient) in text
    assert squash("স্মারক নম্বর: ০৪.০০.০০০০.৭২৫.১৮.০০১.১৫.১০৩") in text
    assert squash("তারিখ: ১৯ কার্তিক ১৪২৮ বঙ্গাব্দ") in text
    # The page layout from the draft: the heading's office lines and the closing paragraph.
    assert squash("সামাজিক নিরাপত্তা অধিশাখা") in text and squash("সভার কার্যক্রম সমাপ্ত করেন") in text

    word = await client.get(f"/meetings/{meeting['id']}/document", params={"format": "docx"},
                            headers=office_headers("MOSW"))
    assert word.status_code == 200, word.text
    assert word.headers["content-type"] == DOCX and word.content.startswith(b"PK")
    assert word.headers["content-disposition"] == f'attachment; filename="minutes-2021-10-24-{short}.docx"'
    words = squash(docx_text(word.content))
    for decision in _seed_decisions().values():
        assert squash(decision) in words
    for recipient in nsss_distribution(seed_lines()):
        assert squash(recipient) in words

    missing = await client.get(f"/meetings/{uuid.uuid4()}/document", headers=office_headers("MOSW"))
    assert missing.status_code == 404
    wrong = await client.get(f"/meetings/{meeting['id']}/document", params={"format": "odt"},
                             headers=office_headers("MOSW"))
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "format"]


async def test_a_meeting_entered_by_hand_is_issued_too(client: httpx.AsyncClient) -> None:
    from tests.integration.minutes.api import new_meeting
    from tests.integration.minutes.factories import decision_payload

    meeting = await new_meeting(client, decision_payload("ক"), decision_payload("খ", text_bn="দ্বিতীয় সিদ্ধান্ত।"))
    response = await client.get(f"/meetings/{meeting['id']}/document", headers=office_headers("MOSW"))
    assert response.status_code == 200 and response.headers["content-type"] == PDF
    text = squash(pdf_text(response.content))
    # No draft: the recording office (CABINET) under the heading; every decision exactly.
    assert squash("মন্ত্রিপরিষদ বিভাগ") in text
    for decision in meeting["decisions"]:
        assert squash(decision["text_bn"]) in text


def _export(meeting_id: str, out: Path, database_url: str, output_format: str = "pdf"
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(MINUTES_CLI), "export", meeting_id, "--format", output_format, "--out", str(out)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DATABASE_URL": database_url})


async def test_minutes_export_writes_the_same_pdf_as_the_api(
        client: httpx.AsyncClient, confirmed_focal_points: dict[str, Any], infra: Stack, tmp_path: Path) -> None:
    meeting = confirmed_focal_points["meeting"]
    api = await client.get(f"/meetings/{meeting['id']}/document", params={"format": "pdf"},
                           headers=office_headers("MOSW"))
    out = tmp_path / "minutes.pdf"
    result = _export(meeting["id"], out, infra.database_url)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == api.content
    assert all(squash(d) in squash(pdf_text(out.read_bytes())) for d in _seed_decisions().values())

    as_word = tmp_path / "minutes.docx"
    assert _export(meeting["id"], as_word, infra.database_url, "docx").returncode == 0
    assert all(squash(d) in squash(docx_text(as_word.read_bytes())) for d in _seed_decisions().values())


def test_minutes_export_says_in_one_line_when_the_meeting_or_the_database_is_not_there(
        infra: Stack, tmp_path: Path) -> None:
    nobody = str(uuid.uuid4())
    missing = _export(nobody, tmp_path / "x.pdf", infra.database_url)
    assert missing.returncode == 1
    assert missing.stderr.strip() == missing.stderr.strip().splitlines()[0]
    assert missing.stderr.startswith(f"minutes: no meeting {nobody} in the database")
    unreachable = _export(nobody, tmp_path / "x.pdf", "postgresql://postgres@127.0.0.1:9/somonnoy")
    assert unreachable.returncode == 1 and len(unreachable.stderr.strip().splitlines()) == 1
    assert unreachable.stderr.startswith("minutes: cannot reach the database at 127.0.0.1:9/somonnoy")
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "the file is empty"),
    (b"  \n\r\n", "the file is empty"),
    (b"%PDF-1.7\n\x00\x01\x02binary", "the file is binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file is binary"),
    ("কার্যবিবরণী".encode("cp1252", "ignore") + b"\xe0\x80", "the file is not UTF-8"),
])
async def test_an_empty_or_binary_upload_is_refused_with_the_reason(
        client: httpx.AsyncClient, content: bytes, reason: str) -> None:
    response = await client.post("/drafts", files=upload_files(CLUSTER_SEED, content=content),
                                 headers=secretary_headers())
    assert response.status_code == 422, response.text
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["body", "file"] and detail["type"] == "not_minutes_text"
    assert detail["msg"].startswith(reason)


async def test_an_oversized_upload_is_refused(client: httpx.AsyncClient) -> None:
    from services.minutes.drafts.service import MAX_SOURCE_BYTES

    content = "সভার কার্যবিবরণী\n".encode() * (MAX_SOURCE_BYTES // 40 + 1)
    response = await client.post("/drafts", files=upload_files(CLUSTER_SEED, content=content),
                                 headers=secretary_headers())
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "file_too_large"


async def test_only_a_secretary_uploads_and_a_file_is_required(client: httpx.AsyncClient) -> None:
    forbidden = await client.post("/drafts", files=upload_files(CLUSTER_SEED), headers=office_headers("MOSW"))
    assert forbidden.status_code == 403 and forbidden.json()["detail"][0]["type"] == "forbidden"
    no_file = await client.post("/drafts", headers=secretary_headers())
    assert no_file.status_code == 422 and no_file.json()["detail"][0]["loc"] == ["body", "file"]
    assert (await client.get(f"/drafts/{uuid.uuid4()}", headers=secretary_headers())).status_code == 404
    assert (await client.get(f"/drafts/{uuid.uuid4()}/source", headers=secretary_headers())).status_code == 404


async def test_the_cluster_draft_lists_the_date_inconsistency_and_is_refused_until_corrected(
        client: httpx.AsyncClient) -> None:
    if not CLUSTER_SEED.is_file():
        pytest.skip(f"seed not found: {CLUSTER_SEED}")
    draft = await upload(client, CLUSTER_SEED)
    assert [i["code"] for i in draft["issues"]] == ["date_pair_mismatch", "issued_before_meeting"]
    assert set(draft["unsure"]) == {"government", "venue", "attendance_note", "issued_on"}
    assert (draft["held_on"], draft["issued_on"]) == ("2019-12-30", "2020-01-07")
    committee = await create_committee(client)

    refused = await client.post(f"/drafts/{draft['id']}/confirm", headers=secretary_headers(),
                                json={"committee_id": committee["id"]})
    assert refused.status_code == 422, refused.text
    listed = {(tuple(d["loc"]), d["type"]) for d in refused.json()["detail"]}
    assert listed == {(("draft", "government"), "draft_field_unsure"), (("draft", "venue"), "draft_field_unsure"),
                      (("draft", "attendance_note"), "draft_field_unsure"),
                      (("draft", "issued_on"), "draft_field_unsure"),
                      (("draft", "issues", "date_pair_mismatch"), "draft_issue"),
                      (("draft", "issues", "issued_before_meeting"), "draft_issue")}
    no_reason = await client.post(f"/drafts/{draft['id']}/confirm", headers=secretary_headers(), json={"force": True})
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]

    # The secretary checks the scan: the Bangla date is right, the attendance is annexed, the venue is
    # the ministry's meeting room, and the heading is the standard one.
    corrected = await client.patch(f"/drafts/{draft['id']}", headers=secretary_headers(), json={
        "issued_on": "2020-01-07", "attendance_note": "পরিশিষ্ট-ক",
        "venue": "সমাজকল্যাণ মন্ত্রণালয়ের সভাকক্ষ", "checked": ["government"]})
    assert corrected.status_code == 200, corrected.text
    draft = corrected.json()
    assert draft["unsure"] == {} and draft["issues"] == [] and draft["venue"] == "সমাজকল্যাণ মন্ত্রণালয়ের সভাকক্ষ"
    assert [(c["fields"], c["checked"], c["by_office"]) for c in draft["corrections"]] == [
        (["attendance_note", "issued_on", "venue"], ["government"], "CABINET")]
    # What was read stays what was read: the written dates are kept as written.
    assert draft["issued_on_gregorian_text"] is not None

    confirmed = await client.post(f"/drafts/{draft['id']}/confirm", headers=secretary_headers(),
                                  json={"committee_id": committee["id"]})
    assert confirmed.status_code == 201, confirmed.text
    meeting = confirmed.json()["meeting"]
    assert (meeting["issued_on"], meeting["issued_on_bn"]) == ("2020-01-07", "২৩ পৌষ ১৪২৬")
    assert meeting["venue"] == "সমাজকল্যাণ মন্ত্রণালয়ের সভাকক্ষ" and len(meeting["decisions"]) == 3
    assert (len(meeting["distribution"]), len(meeting["copies"])) == (10, 2)
    late = await client.patch(f"/drafts/{draft['id']}", headers=secretary_headers(), json={"venue": "অন্য"})
    assert late.status_code == 409


async def test_a_correction_that_keeps_the_issue_date_before_the_meeting_keeps_the_issue(
        client: httpx.AsyncClient) -> None:
    draft = await upload(client, CLUSTER_SEED)
    response = await client.patch(f"/drafts/{draft['id']}", headers=secretary_headers(),
                                  json={"issued_on": "2019-01-07"})
    assert response.status_code == 200, response.text
    after = response.json()
    assert "issued_on" not in after["unsure"]
    assert [(i["code"], i["fields"]) for i in after["issues"]] == [("issued_before_meeting", ["issued_on", "held_on"])]


async def test_the_cluster_draft_can_be_forced_with_a_reason_kept_on_the_draft(
        client: httpx.AsyncClient, minutes_app: FastAPI) -> None:
    draft = await upload(client, CLUSTER_SEED)
    committee = await create_committee(client)
    reason = "স্ক্যানের সাথে মিলিয়ে দেখা হয়েছে; স্থান মূল কপিতেও নেই"
    response = await client.post(f"/drafts/{draft['id']}/confirm", headers=secretary_headers(),
                                 json={"committee_id": committee["id"], "force": True, "reason": reason})
    assert response.status_code == 201, response.text
    confirmed = response.json()
    assert confirmed["draft"]["forced_reason"] == reason and confirmed["draft"]["status"] == "confirmed"
    # Forcing leaves the doubts on record; the meeting takes the issue date from the Bangla date.
    assert set(confirmed["draft"]["unsure"]) == {"government", "venue", "attendance_note", "issued_on"}
    assert confirmed["meeting"]["issued_on"] == "2020-01-07" and confirmed["meeting"]["venue"] is None
    assert confirmed["meeting"]["draft_id"] == draft["id"]
    assert await _staged_topics(minutes_app, draft["id"]) == ["minutes.draft.created", "minutes.draft.confirmed"]


async def test_a_draft_without_chair_or_date_cannot_be_confirmed_even_by_force(client: httpx.AsyncClient) -> None:
    text = "সভার কার্যবিবরণী\n\nসিদ্ধান্ত: সকলে একসাথে কাজ করবে।\n".encode()
    response = await client.post("/drafts", files={"file": ("note.txt", text, "text/plain")},
                                 headers=secretary_headers())
    assert response.status_code == 201, response.text
    draft = response.json()
    committee = await create_committee(client)
    refused = await client.post(f"/drafts/{draft['id']}/confirm", headers=secretary_headers(),
                                json={"committee_id": committee["id"], "force": True, "reason": "তাড়া আছে"})
    assert refused.status_code == 422
    missing = {tuple(d["loc"]) for d in refused.json()["detail"] if d["type"] == "draft_field_missing"}
    assert {("draft", "chair_name"), ("draft", "held_on")} <= missing


async def test_only_a_secretary_corrects_or_confirms(client: httpx.AsyncClient) -> None:
    draft = await upload(client, CLUSTER_SEED)
    patch = await client.patch(f"/drafts/{draft['id']}", headers=office_headers("MOSW"), json={"venue": "x"})
    confirm = await client.post(f"/drafts/{draft['id']}/confirm", headers=office_headers("MOSW"), json={})
    assert (patch.status_code, confirm.status_code) == (403, 403)
    unknown = await client.patch(f"/drafts/{draft['id']}", headers=secretary_headers(), json={"checked": ["nope"]})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "checked", 0]
