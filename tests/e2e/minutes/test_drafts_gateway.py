"""Through the gateway: the Cabinet Division's secretary uploads the NSSS focal points minutes
(the second seed), confirms the draft and issues the meeting as its official PDF and DOCX."""

from __future__ import annotations

import uuid

import httpx
import pytest

from devstack.stack import Stack
from tests.document_text import docx_text, nfc, pdf_text, squash
from tests.integration.minutes.drafts import (
    DOCX,
    FOCAL_POINTS_SEED,
    PDF,
    upload_files,
)
from tests.integration.minutes.factories import (
    committee_payload,
    nsss_decisions,
    office_headers,
    secretary_headers,
    seed_lines,
)

pytestmark = pytest.mark.e2e


def test_upload_confirm_and_issue_the_seed_minutes_through_the_gateway(stack: Stack) -> None:
    if not FOCAL_POINTS_SEED.is_file():
        pytest.skip(f"seed not found: {FOCAL_POINTS_SEED}")
    decisions = {label: nfc(text).removesuffix(";").strip() for label, text in nsss_decisions(seed_lines()).items()}
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        uploaded = client.post("/minutes/drafts", files=upload_files(FOCAL_POINTS_SEED), headers=secretary_headers())
        assert uploaded.status_code == 201, uploaded.text
        draft = uploaded.json()
        assert [(d["label"], d["text"]) for d in draft["decisions"]] == list(decisions.items())
        assert draft["decisions"][0]["unsure"].keys() == {"responsible_offices"}
        source = client.get(f"/minutes/drafts/{draft['id']}/source", headers=office_headers("MOSW"))
        assert source.status_code == 200 and source.content == FOCAL_POINTS_SEED.read_bytes()

        empty = client.post("/minutes/drafts", files=upload_files(FOCAL_POINTS_SEED, content=b""),
                            headers=secretary_headers())
        assert empty.status_code == 422 and empty.json()["detail"][0]["type"] == "not_minutes_text"

        committee = client.post("/minutes/committees", headers=secretary_headers(), json=committee_payload(
            code=f"NSSS_FOCAL_{uuid.uuid4().hex[:6].upper()}", secretary_office_code="CABINET"))
        assert committee.status_code == 201, committee.text
        confirmed = client.post(f"/minutes/drafts/{draft['id']}/confirm", headers=secretary_headers(),
                                json={"committee_id": committee.json()["id"], "is_online": True})
        assert confirmed.status_code == 201, confirmed.text
        meeting = confirmed.json()["meeting"]
        assert len(meeting["decisions"]) == 3 and len(meeting["distribution"]) == 45
        assert meeting["draft_id"] == draft["id"]

        pdf = client.get(f"/minutes/meetings/{meeting['id']}/document", params={"format": "pdf"},
                         headers=office_headers("MOSW"))
        word = client.get(f"/minutes/meetings/{meeting['id']}/document", params={"format": "docx"},
                          headers=office_headers("MOSW"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == PDF
    assert pdf.headers["content-disposition"].endswith('.pdf"')
    assert word.status_code == 200 and word.headers["content-type"] == DOCX
    text, words = squash(pdf_text(pdf.content)), squash(docx_text(word.content))
    for label, decision in decisions.items():
        assert f"({label}) {squash(decision)}" in text
        assert squash(decision) in words
