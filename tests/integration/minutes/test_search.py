"""Search finds decisions by a Bangla word (whatever encoding either side was typed in) and by an
English word of their translation or title."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.minutes.api import new_meeting
from tests.integration.minutes.factories import decision_payload, nsss_decisions, office_headers, seed_lines

pytestmark = pytest.mark.integration

ZWNJ, ZWJ = "\u200c", "\u200d"
YA_WITH_NUKTA = "\u09df"  # য় as one code point: NFC splits it into য + ়
RRA = "\u09dc"  # ড় as one code point: NFC splits it into ড + ়


async def _hits(client: httpx.AsyncClient, query: str, meeting_id: str) -> list[tuple[str, str | None]]:
    response = await client.get("/search", params={"q": query, "limit": 100}, headers=office_headers("MOSW"))
    assert response.status_code == 200, response.text
    return [(h["kind"], h["decision_label"]) for h in response.json()["items"] if h["meeting_id"] == meeting_id]


@pytest.fixture
async def nsss_meeting(client: httpx.AsyncClient) -> dict:
    texts = nsss_decisions(seed_lines())
    return await new_meeting(
        client,
        decision_payload("ক", text_bn=texts["ক"], text_en="Members send amendments by e-mail.", title="Comments"),
        decision_payload("খ", text_bn=texts["খ"], text_en="The Cabinet Division will have the plan proofread.",
                         title="Quality check"),
        decision_payload("গ", text_bn=texts["গ"], text_en="Finish the job by December.", title="Printing the plan"),
        title_bn="ফোকাল পয়েন্ট কর্মকর্তাগণের সভা", title_en="Meeting of the NSSS focal points")


async def test_a_bangla_word_finds_the_decision_it_appears_in(client: httpx.AsyncClient, nsss_meeting: dict) -> None:
    assert await _hits(client, "প্রয়োজনীয়", nsss_meeting["id"]) == [("decision", "খ")]
    assert await _hits(client, "ই-মেইলযোগে", nsss_meeting["id"]) == [("decision", "ক")]
    # A stem finds its inflected form, and every word of the query must occur.
    assert await _hits(client, "মুদ্রণ কেন্দ্রীয়", nsss_meeting["id"]) == [("decision", "গ")]
    assert await _hits(client, "ঘূর্ণিঝড়", nsss_meeting["id"]) == []


async def test_a_query_typed_with_unicode_pitfalls_still_finds_it(client: httpx.AsyncClient,
                                                                  nsss_meeting: dict) -> None:
    meeting_id = nsss_meeting["id"]
    assert await _hits(client, "প্র" + YA_WITH_NUKTA + "োজনী" + YA_WITH_NUKTA, meeting_id) == [("decision", "খ")]
    assert await _hits(client, "খস" + RRA + "া", meeting_id) == [("decision", "ক"), ("decision", "খ")]
    assert await _hits(client, "মুদ্" + ZWNJ + "রণের পূর্বে", meeting_id) == [("decision", "খ")]
    assert await _hits(client, "  শুদ্ধতা\u00a0 ", meeting_id) == [("decision", "খ")]


async def test_text_stored_with_unicode_pitfalls_is_found_by_the_clean_word(client: httpx.AsyncClient) -> None:
    meeting = await new_meeting(client, decision_payload(
        "০৬(ক)",
        # legacy khanda-ta (ত + ্ + ZWJ), ':' typed for 'ঃ', a ZWNJ inside a conjunct, precomposed য়
        text_bn=f"অত:পর মত্{ZWJ}স্য ও প্রাণিসম্পদ মন্ত্রণাল{YA_WITH_NUKTA} ক্{ZWNJ}ষুদ্র কর্মসূচি সমন্বয় করবে।",
        text_en=None))
    for clean_word in ("অতঃপর", "মৎস্য", "ক্ষুদ্র", "মন্ত্রণালয়"):
        assert ("decision", "০৬(ক)") in await _hits(client, clean_word, meeting["id"]), clean_word
    stored = meeting["decisions"][0]["text_bn"]
    assert ZWJ in stored and ":" in stored  # kept as typed; only the search form is normalised


async def test_an_english_word_finds_it_by_translation_or_title(client: httpx.AsyncClient,
                                                                nsss_meeting: dict) -> None:
    meeting_id = nsss_meeting["id"]
    assert await _hits(client, "PROOFREAD", meeting_id) == [("decision", "খ")]
    assert await _hits(client, "printing", meeting_id) == [("decision", "গ")]
    # The meeting's own title finds the meeting and, through it, its decisions.
    hits = await _hits(client, "focal points", meeting_id)
    assert ("meeting", None) in hits and {label for _, label in hits if label} == {"ক", "খ", "গ"}


async def test_a_query_with_nothing_searchable_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/search", params={"q": ZWNJ + " "}, headers=office_headers("MOSW"))
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "q"]
