"""Importing minutes texts: the two seeds (acceptance 1), unknown layouts and bad input (acceptance 2)."""

from __future__ import annotations

import unicodedata
from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.minutes.documents import MinutesDraft, MinutesTextError, decode_minutes_text, parse_minutes
from services.minutes.documents.parser import find_deadlines, find_offices


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------------------------------------------
# Seed 1: Ministry of Social Welfare, social assistance cluster, 30 December 2019


def test_cluster_seed_meeting_date_time_and_chair(cluster_draft: MinutesDraft) -> None:
    assert cluster_draft.held_on == date(2019, 12, 30)
    assert cluster_draft.starts_at == time(11, 0)
    assert cluster_draft.chair_name == nfc("মোহাম্মদ ইসমাইল")
    assert cluster_draft.chair_designation == nfc(
        "অতিরিক্ত সচিব (কার্যক্রম), সমাজকল্যাণ মন্ত্রণালয়, বাংলাদেশ সচিবালয়, ঢাকা")
    assert "held_on" not in cluster_draft.unsure
    assert "chair_name" not in cluster_draft.unsure


def test_cluster_seed_three_decisions_with_labels_and_text(cluster_draft: MinutesDraft) -> None:
    assert [d.label for d in cluster_draft.decisions] == ["ক", "খ", "গ"]
    assert [d.text for d in cluster_draft.decisions] == [
        nfc("সামাজিক সহায়তা ক্লাষ্টারের ৯টি মন্ত্রণালয়/বিভাগের মধ্যে সমন্বয় বৃক্ষি করতে হবে"),
        nfc("মাঠ পর্যায়ে উপকারভোগী নির্বাচনে সংশ্লিষ্ট সকল দপ্তর/বিভাগ/সংস্থা সমন্বয় করে কার্যক্রম পরিচালনা করতে পারে"),
        nfc("উপকারভোগী নির্বাচনে ডাটাবেইজ তৈরীতে সকলে সমন্বিতভাবে কাজ করতে পারে।"),
    ]
    assert all(d.deadlines == [] for d in cluster_draft.decisions)


def test_cluster_seed_nine_ministries_of_the_cluster(cluster_draft: MinutesDraft) -> None:
    assert cluster_draft.offices_named == [nfc(name) for name in (
        "সমাজকল্যাণ মন্ত্রণালয়",
        "মহিলা ও শিশু বিষয়ক মন্ত্রণালয়",
        "সংস্কৃতি বিষয়ক মন্ত্রণালয়",
        "স্বাস্থ্য শিক্ষা ও পরিবার কল্যাণ বিভাগ",
        "স্বাস্থ্য সেবা বিভাগ",
        "মুক্তিযুক্ত বিষয়ক মন্ত্রণালয়",
        "স্থানীয় সরকার বিভাগ",
        "শ্রম ও কর্মসংস্থান মন্ত্রণালয়",
        "পার্বত্য চট্টগ্রাম বিষয়ক মন্ত্রণালয়",
    )]
    # The list stays inside its paragraph (২.২), one item per line, for the rendered document.
    section = next(s for s in cluster_draft.discussion if s.label == "২.২")
    assert section.text.count("\n") == 9


def test_cluster_seed_memo_number_distribution_and_copies(cluster_draft: MinutesDraft) -> None:
    assert cluster_draft.memo_number == nfc("৪১.০০.০০০০.০৮৩.১২.০০১.০১৬-৫১১")
    assert len(cluster_draft.distribution) == 10
    assert cluster_draft.distribution[0] == nfc("সচিব, সমাজকল্যাণ মন্ত্রণালয়, বাংলাদেশ সচিবালয়, ঢাকা।")
    assert cluster_draft.distribution[-1] == nfc("মহাপরিচালক, সমাজসেবা অধিদফতর, আগারগাঁও, ঢাকা।")
    assert cluster_draft.copies == [
        nfc("উপসচিব, সামাজিক নিরাপত্তা অধিশাখা, মন্ত্রিপরিষদ বিভাগ।"),
        nfc("সচিবের একান্ত সচিব, সমাজকল্যাণ-মন্ত্রণালয়, ঢাকা।"),
    ]
    assert cluster_draft.signed_by_name == nfc("মোহাম্মদ ইসমাইল")
    assert cluster_draft.circulated_by_name == nfc("শেখ রবিউল ইসলাম")


def test_cluster_seed_date_inconsistency_is_flagged(cluster_draft: MinutesDraft) -> None:
    # ২৩ পৌষ ১৪২৬ is 7 January 2020; the Gregorian line says 2019 (and so predates the meeting).
    assert cluster_draft.issued_on_bangla_text == nfc("২৩ পৌষ ১৪২৬")
    assert cluster_draft.issued_on_gregorian_text == nfc("০৭ জানুয়ারি ২০১৯")
    codes = {issue.code: issue for issue in cluster_draft.issues}
    assert "date_pair_mismatch" in codes
    assert "2020-01-07" in codes["date_pair_mismatch"].message
    assert "issued_before_meeting" in codes
    assert codes["issued_before_meeting"].fields == ["issued_on_gregorian_text", "held_on"]
    assert cluster_draft.issued_on == date(2020, 1, 7)
    assert "issued_on" in cluster_draft.unsure


def test_cluster_seed_ocr_noise_is_marked_unsure(cluster_draft: MinutesDraft) -> None:
    # "শহগ্রামাকর্তৃ বাংলাদেশ সরকার" and "আলিকা সংযুক্ত (ক-পরিষিষ্ঠ)" are OCR noise; no venue is given.
    assert cluster_draft.government == nfc("গণপ্রজাতন্ত্রী বাংলাদেশ সরকার")
    assert "শহগ্রামাকর্তৃ" in cluster_draft.unsure["government"]
    assert cluster_draft.attendance_note == nfc("আলিকা সংযুক্ত (ক-পরিষিষ্ঠ)")
    assert "attendance_note" in cluster_draft.unsure
    assert cluster_draft.venue is None and "venue" in cluster_draft.unsure
    assert cluster_draft.subject == nfc("'সামাজিক সহায়তা' ক্লাষ্টার কমিটির সভার কার্যবিবরণী")
    assert cluster_draft.office_lines == [nfc("সমাজকল্যাণ মন্ত্রণালয়"), nfc("সামাজিক নিরাপত্তা শাখা"),
                                          nfc("বাংলাদেশ সচিবালয়, ঢাকা")]


# ---------------------------------------------------------------------------------------------------
# Seed 2: Cabinet Division, NSSS focal points, 24 October 2021


def test_focal_seed_meeting_table(focal_draft: MinutesDraft) -> None:
    assert focal_draft.held_on == date(2021, 10, 24)
    assert focal_draft.chair_name == nfc("মোঃ কামাল হোসেন")
    assert focal_draft.chair_designation == nfc("সচিব, সমন্বয় ও সংস্কার, মন্ত্রিপরিষদ বিভাগ")
    assert focal_draft.starts_at == time(15, 0)
    assert focal_draft.time_text == nfc("বেলা ৩:০০ ঘটিকা")
    assert focal_draft.venue == nfc("মন্ত্রিপরিষদ বিভাগের সম্মেলন কক্ষ - ১০০৫ এবং অনলাইন (জুম), পরিবহন পুল ভবন")
    assert focal_draft.attendance_note == nfc("পরিশিষ্ট-ক")
    assert focal_draft.subject == nfc(
        "জাতীয় সামাজিক নিরাপত্তা সংক্রান্ত ফোকাল পয়েন্ট কর্মকর্তাগণের অংশগ্রহণে আয়োজিত সভার কার্যবিবরণী")
    assert focal_draft.unsure == {}
    assert focal_draft.issues == []


def test_focal_seed_discussion_sections_survive_a_page_break(focal_draft: MinutesDraft) -> None:
    assert [s.label for s in focal_draft.discussion] == [None, "০২", "০৩", "০৪", "০৫"]
    fourth = focal_draft.discussion[3].text
    assert nfc("কর্ম-পরিকল্পনার একটি সম্ভাব্য কাঠামো") in fourth
    assert fourth.endswith(nfc("পরিবর্ধন করা হয়েছে।"))


def test_focal_seed_three_decisions_with_deadlines(focal_draft: MinutesDraft) -> None:
    decisions = focal_draft.decisions
    assert [d.label for d in decisions] == ["ক", "খ", "গ"]
    assert decisions[0].text.startswith(nfc("খসড়া কর্ম-পরিকল্পনাটির পর্যালোচনাপূর্বক"))
    assert decisions[0].text.endswith(nfc("সকল সদস্যকে অনুরোধ করা হল"))
    assert decisions[1].text == nfc(
        "খসড়া কর্ম-পরিকল্পনাটি মুদ্রণের পূর্বে পুফ সংশোধনপূর্বক ভাষা ও তথ্যগত শুদ্ধতা নিশ্চিত করার জন্য "
        "মন্ত্রিপরিষদ বিভাগ প্রয়োজনীয় ব্যবস্থা গ্রহণ করবে")
    assert decisions[2].text.endswith(nfc("এটি আনুষ্ঠানিকভাবে উদ্বোধন করার বিষয়েও আশাবাদ ব্যক্ত করা হয়।"))

    (first,) = decisions[0].deadlines
    assert (first.due_on, first.kind) == (date(2021, 10, 31), "date")
    assert decisions[1].deadlines == []
    (third,) = decisions[2].deadlines
    assert (third.due_on, third.kind) == (date(2021, 12, 31), "end_of_month")
    assert third.text == nfc("এ বছর ডিসেম্বর মাসের মধ্যে")


def test_focal_seed_offices_named_in_decisions(focal_draft: MinutesDraft) -> None:
    cabinet = nfc("মন্ত্রিপরিষদ বিভাগ")
    assert [d.responsible_offices for d in focal_draft.decisions] == [[cabinet], [cabinet], [cabinet]]
    # (ক) sends proposals *to* the Cabinet Division: named, but flagged as maybe not the one acting.
    assert "responsible_offices" in focal_draft.decisions[0].unsure
    assert "responsible_offices" not in focal_draft.decisions[1].unsure


def test_focal_seed_memo_issue_date_and_distribution(focal_draft: MinutesDraft) -> None:
    assert focal_draft.memo_number == nfc("০৪.০০.০০০০.৭২৫.১৮.০০১.১৫.১০৩")
    assert focal_draft.issued_on == date(2021, 11, 4)
    assert focal_draft.issued_on_bangla_text == nfc("১৯ কার্তিক ১৪২৮")
    assert focal_draft.issued_on_gregorian_text == nfc("০৪ নভেম্বর ২০২১")
    assert len(focal_draft.distribution) == 45
    assert focal_draft.distribution[0] == nfc("সিনিয়র সচিব, তথ্য ও যোগাযোগ প্রযুক্তি বিভাগ")
    assert focal_draft.distribution[39] == nfc("একান্ত সচিব, সচিব এর দপ্তর, প্রধানমন্ত্রীর কার্যালয়")
    assert focal_draft.distribution[-1] == nfc(
        "অতিরিক্ত সচিব (সমন্বয়) মহোদয়ের ব্যক্তিগত কর্মকর্তা, মন্ত্রিপরিষদ বিভাগ")
    assert focal_draft.copies == []
    assert (focal_draft.circulated_by_name, focal_draft.circulated_by_designation) == (
        nfc("মুর্শিদা শারমিন"), nfc("উপসচিব"))


def test_drafts_are_nfc(cluster_draft: MinutesDraft, focal_draft: MinutesDraft) -> None:
    for draft in (cluster_draft, focal_draft):
        dumped = draft.model_dump_json()
        assert dumped == nfc(dumped)


# ---------------------------------------------------------------------------------------------------
# Unknown layouts and bad input (acceptance 2)

FREE_FORM = nfc("""Meeting notes
আজ ১২ মার্চ ২০২৩ তারিখে জনাব রহিম উদ্দিন এর সভাপতিত্বে একটি সভা অনুষ্ঠিত হয়।
আলোচনায় ভাতা বিতরণ নিয়ে কথা হয়।
সিদ্ধান্ত: সমাজসেবা অধিদফতর ৩০ এপ্রিল ২০২৩ তারিখের মধ্যে তালিকা হালনাগাদ করবে।
""")


def test_unknown_layout_gives_a_draft_with_every_guess_marked() -> None:
    draft = parse_minutes(FREE_FORM)
    assert draft.held_on == date(2023, 3, 12)
    assert "held_on" in draft.unsure
    assert draft.chair_name == nfc("রহিম উদ্দিন")
    assert "chair_name" in draft.unsure
    (decision,) = draft.decisions
    assert decision.label == "১" and "label" in decision.unsure
    assert decision.deadlines[0].due_on == date(2023, 4, 30)
    assert decision.responsible_offices == [nfc("সমাজসেবা অধিদফতর")]
    for field in ("subject", "memo_number", "issued_on", "distribution", "venue", "signed_by_name"):
        assert field in draft.unsure, field


def test_text_with_nothing_recognisable_marks_everything_unsure() -> None:
    draft = parse_minutes("The quick brown fox.\n\nNothing here is minutes.")
    for field in ("subject", "chair_name", "held_on", "decisions", "memo_number", "issued_on", "distribution"):
        assert field in draft.unsure, field
    assert draft.decisions == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([
    "সভাপতি\t:\tজনাব ক খ", "সভার তারিখ : ৩১ ফেব্রুয়ারি ২০২১", "তারিখ: ৩২ পৌষ ১৪২৬", "০২। আলোচনা হয়",
    "- ক. সিদ্ধান্ত হয়;", "(খ)", "বিতরণ:", "১) সচিব", "অনুলিপি:", "স্মারক নম্বর: ০৪.০০", "#### সিদ্ধান্ত:", "",
    "৪।", "বিষয়: কার্যবিবরণী", "\x00", "\u200d", "৩০.১২.২০১৯ তারিখে", "বেলা ২৫:৯৯ টা", "এ বছর ফেব্রুয়ারি মাসের মধ্যে",
]), max_size=25), st.text(max_size=40))
def test_parser_never_crashes_on_shuffled_fragments(fragments: list[str], noise: str) -> None:
    text = "\n".join([*fragments, noise])
    if not text.strip():
        with pytest.raises(MinutesTextError):
            parse_minutes(text)
        return
    draft = parse_minutes(text)
    MinutesDraft.model_validate_json(draft.model_dump_json())  # and it survives a JSON round trip


@pytest.mark.parametrize(("data", "needle"), [
    (b"", "empty"),
    (b"   \n\t\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "binary"),  # a legacy .doc
    (b"\xe0\xa6\x95\xff\xfe\xfd abc", "not UTF-8"),
    (b"1234 5678\n", "no letters"),
])
def test_empty_or_binary_input_gets_a_clear_error(data: bytes, needle: str) -> None:
    with pytest.raises(MinutesTextError, match=needle):
        decode_minutes_text(data)


def test_utf8_bom_and_utf16_are_read() -> None:
    text = nfc("বিষয়: সভার কার্যবিবরণী")
    assert decode_minutes_text(b"\xef\xbb\xbf" + text.encode()) == text
    assert decode_minutes_text(text.encode("utf-16")) == text


def test_empty_text_is_refused_by_the_parser() -> None:
    with pytest.raises(MinutesTextError):
        parse_minutes(" \n ")


# ---------------------------------------------------------------------------------------------------
# Pieces


@pytest.mark.parametrize(("text", "expected"), [
    ("মন্ত্রিপরিষদ বিভাগ প্রয়োজনীয় ব্যবস্থা গ্রহণ করবে", [("মন্ত্রিপরিষদ বিভাগ", "nominative")]),
    ("মন্ত্রিপরিষদ বিভাগে প্রেরণ করা হবে", [("মন্ত্রিপরিষদ বিভাগ", "locative")]),
    ("শ্রম ও কর্মসংস্থান মন্ত্রণালয়ের সাথে", [("শ্রম ও কর্মসংস্থান মন্ত্রণালয়", "genitive")]),
    ("মহিলা ও শিশু বিষয়ক মন্ত্রণালয় কাজ করবে", [("মহিলা ও শিশু বিষয়ক মন্ত্রণালয়", "nominative")]),
    ("সংশ্লিষ্ট সকল দপ্তর/বিভাগ/সংস্থা সমন্বয় করবে", []),
    ("৯টি মন্ত্রণালয়/বিভাগের মধ্যে", []),
    ("সমাজসেবা অধিদফতর এবং স্থানীয় সরকার বিভাগ যৌথভাবে", [("সমাজসেবা অধিদফতর", "nominative"),
                                                        ("স্থানীয় সরকার বিভাগ", "nominative")]),
])
def test_find_offices(text: str, expected: list[tuple[str, str]]) -> None:
    assert find_offices(nfc(text)) == [(nfc(name), case) for name, case in expected]


@pytest.mark.parametrize(("text", "held_on", "due", "kind"), [
    ("৩১ অক্টোবর ২০২১ খ্রি: তারিখের মধ্যে প্রেরণ", date(2021, 10, 24), date(2021, 10, 31), "date"),
    ("৩০/১১/২০২১ এর মধ্যে", date(2021, 10, 24), date(2021, 11, 30), "date"),
    ("এ বছর ডিসেম্বর মাসের মধ্যে মুদ্রণ", date(2021, 10, 24), date(2021, 12, 31), "end_of_month"),
    ("আগামী জানুয়ারি মাসের মধ্যে", date(2021, 10, 24), date(2022, 1, 31), "end_of_month"),
    ("ফেব্রুয়ারি ২০২৪ এর মধ্যে", date(2023, 10, 1), date(2024, 2, 29), "end_of_month"),
    ("জুন মাসের শেষ নাগাদ", date(2021, 7, 1), date(2022, 6, 30), "end_of_month"),
])
def test_find_deadlines(text: str, held_on: date, due: date, kind: str) -> None:
    deadlines, doubts = find_deadlines(nfc(text), held_on=held_on)
    assert [(d.due_on, d.kind) for d in deadlines] == [(due, kind)]
    assert doubts == []


def test_a_month_deadline_without_a_meeting_date_is_doubted_not_guessed() -> None:
    deadlines, doubts = find_deadlines(nfc("এ বছর ডিসেম্বর মাসের মধ্যে"), held_on=None)
    assert deadlines == [] and doubts


def test_a_date_without_a_deadline_word_is_kept_but_doubted() -> None:
    deadlines, doubts = find_deadlines(nfc("৩০ জুন ২০২১ খ্রিস্টাব্দ শেষ হয়েছে"), held_on=date(2021, 10, 24))
    assert [d.due_on for d in deadlines] == [date(2021, 6, 30)]
    assert doubts


def test_decisions_numbered_with_digits_under_a_heading() -> None:
    text = nfc("""বিষয়: মাসিক সমন্বয় সভার কার্যবিবরণী

সভাপতি : জনাব করিম, উপসচিব
সভার তারিখ : ০৫/০২/২০২৪

১। ভাতা বিতরণের অগ্রগতি আলোচনা করা হয়।

সিদ্ধান্ত:
১. সমাজসেবা অধিদফতর ফেব্রুয়ারি ২০২৪ এর মধ্যে তালিকা হালনাগাদ করবে;
২. অর্থ বিভাগ অর্থ ছাড় করবে।
""")
    draft = parse_minutes(text)
    assert draft.held_on == date(2024, 2, 5)
    assert [(d.label, d.text) for d in draft.decisions] == [
        ("১", nfc("সমাজসেবা অধিদফতর ফেব্রুয়ারি ২০২৪ এর মধ্যে তালিকা হালনাগাদ করবে")),
        ("২", nfc("অর্থ বিভাগ অর্থ ছাড় করবে।")),
    ]
    assert draft.decisions[0].deadlines[0].due_on == date(2024, 2, 29)
    assert draft.decisions[1].responsible_offices == [nfc("অর্থ বিভাগ")]
    assert [s.label for s in draft.discussion] == ["১"]
