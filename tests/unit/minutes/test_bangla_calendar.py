"""Tests for services.minutes.bangla_calendar.

Expectations come from the rules as published (month lengths written out here, not imported) and from
independent facts: newspaper reports of the 2019 switch, newspaper mastheads, the national days the
revision was made for, and the real minutes in the seeds. None is copied from the code's output.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.minutes.bangla_calendar import (
    FIRST_REVISED_YEAR,
    MONTH_NAMES,
    REVISION_EFFECTIVE_DATE,
    BanglaDate,
    DatePairCheck,
    Rules,
    check_date_pair,
    days_in_month,
    format_gregorian_bn,
    from_bangla,
    month_lengths,
    parse_bangla_date,
    parse_gregorian_text,
    to_bangla,
)
from tests.paths import SHARED_DIR

OLD = Rules.BANGLA_ACADEMY_1987
REVISED = Rules.REVISED_2019

# Month numbers, so the tables below read like the calendar.
BOISHAKH, JYOISHTHO, ASHARH, SHRABON, BHADRO, ASHWIN = range(1, 7)
KARTIK, AGRAHAYAN, POUSH, MAGH, FALGUN, CHAITRA = range(7, 13)


def days(start: date, end: date) -> Iterator[date]:
    """Every date from start to end inclusive."""
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


ALL_DAYS = list(days(date(2000, 1, 1), date(2035, 12, 31)))


def published_lengths(year: int) -> list[int]:
    """Month lengths as the two notifications state them (leap: Gregorian year holding that ফাল্গুন)."""
    leap = calendar.isleap(year + 594)
    if year >= 1426:  # 2019 revision
        return [31, 31, 31, 31, 31, 31, 30, 30, 30, 30, 30 if leap else 29, 30]
    return [31, 31, 31, 31, 31, 30, 30, 30, 30, 30, 31 if leap else 30, 30]  # 1987 rules


# --------------------------------------------------------------------------------------------------
# Conversion over every day 2000-2035


def test_round_trip_every_day_2000_to_2035() -> None:
    failures = [d for d in ALL_DAYS if from_bangla(to_bangla(d)) != d]
    assert failures == []


def test_consecutive_days_advance_by_exactly_one_bangla_day() -> None:
    # Independent of the conversion tables: a day later is the next day of the month, or the 1st of
    # the next month, or 1 বৈশাখ of the next year exactly on 14 April.
    for d in ALL_DAYS[:-1]:
        a, b = to_bangla(d), to_bangla(d + timedelta(days=1))
        nxt = d + timedelta(days=1)
        if (nxt.month, nxt.day) == (4, 14):
            assert (b.year, b.month, b.day) == (a.year + 1, 1, 1), d
        else:
            assert (b.year, b.month, b.day) in {(a.year, a.month, a.day + 1), (a.year, a.month + 1, 1)}, d


def test_year_number_is_gregorian_minus_593_from_pohela_boishakh_else_594() -> None:
    for d in ALL_DAYS:
        expected = d.year - 593 if (d.month, d.day) >= (4, 14) else d.year - 594
        assert to_bangla(d).year == expected, d


def test_month_lengths_counted_from_conversion_match_published_rules() -> None:
    # Count how many Gregorian days fall in each Bangla month; complete years in range: 1407..1441.
    counted = Counter((b.year, b.month) for b in map(to_bangla, ALL_DAYS))
    for year in range(1407, 1442):
        assert [counted[(year, m)] for m in range(1, 13)] == published_lengths(year), year


@pytest.mark.parametrize(
    ("year", "rules", "expected"),
    [
        # 1987 rules, non-leap (ফাল্গুন 1425 is in 2019) and leap (ফাল্গুন 1422 is in 2016).
        (1425, OLD, [31, 31, 31, 31, 31, 30, 30, 30, 30, 30, 30, 30]),
        (1422, OLD, [31, 31, 31, 31, 31, 30, 30, 30, 30, 30, 31, 30]),
        # 2019 rules, leap (2020, 2024) and non-leap (2021).
        (1426, REVISED, [31, 31, 31, 31, 31, 31, 30, 30, 30, 30, 30, 30]),
        (1427, REVISED, [31, 31, 31, 31, 31, 31, 30, 30, 30, 30, 29, 30]),
        (1430, REVISED, [31, 31, 31, 31, 31, 31, 30, 30, 30, 30, 30, 30]),
        # Each rule set on the other side of the revision, when asked for explicitly.
        (1428, OLD, [31, 31, 31, 31, 31, 30, 30, 30, 30, 30, 30, 30]),
        (1422, REVISED, [31, 31, 31, 31, 31, 31, 30, 30, 30, 30, 30, 30]),
    ],
)
def test_month_lengths_per_rule_set(year: int, rules: Rules, expected: list[int]) -> None:
    assert list(month_lengths(year, rules)) == expected
    assert sum(expected) == (366 if calendar.isleap(year + 594) else 365)


def test_rules_in_force_change_at_1426() -> None:
    assert FIRST_REVISED_YEAR == 1426
    assert list(month_lengths(1425)) == published_lengths(1425)
    assert list(month_lengths(1426)) == published_lengths(1426)
    assert days_in_month(1425, ASHWIN) == 30
    assert days_in_month(1426, ASHWIN) == 31


def test_every_year_starts_on_14_april_under_both_rule_sets() -> None:
    for year in range(1300, 1500):
        for rules in Rules:
            assert from_bangla(year, BOISHAKH, 1, rules=rules) == date(year + 593, 4, 14)
            last = month_lengths(year, rules)[-1]
            assert from_bangla(year, CHAITRA, last, rules=rules) == date(year + 594, 4, 13)


# --------------------------------------------------------------------------------------------------
# The revision's effective date


def test_switch_per_year_equals_switch_on_16_october_2019() -> None:
    # The government switched on 16 Oct 2019 (৩১ আশ্বিন ১৪২৬). Applying the revised lengths to the whole
    # year 1426 gives the same result for every day, because both rule sets agree until 30 আশ্বিন.
    assert REVISION_EFFECTIVE_DATE == date(2019, 10, 16)
    for d in ALL_DAYS:
        rules = REVISED if d >= REVISION_EFFECTIVE_DATE else OLD
        assert to_bangla(d) == to_bangla(d, rules=rules), d


def test_rule_sets_agree_until_30_ashwin_1426_and_differ_from_31_ashwin() -> None:
    for d in days(date(2019, 4, 14), date(2019, 10, 15)):
        assert to_bangla(d, rules=OLD) == to_bangla(d, rules=REVISED), d
    assert to_bangla(date(2019, 10, 16), rules=OLD) == BanglaDate(1426, KARTIK, 1)
    assert to_bangla(date(2019, 10, 16)) == BanglaDate(1426, ASHWIN, 31)


@pytest.mark.parametrize(
    ("gregorian", "bangla"),
    [
        # bdnews24, 16 Oct 2019: the revision "went into effect from Wednesday", Ashwin became 31 days,
        # "Kartik will start on Thursday". Daily Bangladesh, 17 Oct 2019: "Ashshin 31 was yesterday
        # (October 16)".
        (date(2019, 10, 15), BanglaDate(1426, ASHWIN, 30)),
        (date(2019, 10, 16), BanglaDate(1426, ASHWIN, 31)),
        (date(2019, 10, 17), BanglaDate(1426, KARTIK, 1)),
        # Prothom Alo, Nov 2019: "আজ শনিবার পয়লা অগ্রহায়ণ" (Saturday 16 Nov 2019).
        (date(2019, 11, 16), BanglaDate(1426, AGRAHAYAN, 1)),
        # Bindu Bangla TV, 13 Feb 2020: "ভালোবাসা দিবসেই পহেলা ফাল্গুন" (14 February).
        (date(2020, 2, 14), BanglaDate(1426, FALGUN, 1)),
        # Newspaper masthead: "শুক্রবার, ২৭শে ডিসেম্বর, ২০২৪ খ্রিস্টাব্দ, ১২ই পৌষ, ১৪৩১ বঙ্গাব্দ".
        (date(2024, 12, 27), BanglaDate(1431, POUSH, 12)),
        # bdnews24: under the old calendar "Feb 21 fell on Falgun 9 earlier this year" (2019) and
        # Dec 16 fell "on the second day" of Poush.
        (date(2019, 2, 21), BanglaDate(1425, FALGUN, 9)),
        (date(2018, 12, 16), BanglaDate(1425, POUSH, 2)),
        # The seeds' minutes.
        (date(2021, 11, 4), BanglaDate(1428, KARTIK, 19)),
        (date(2020, 1, 7), BanglaDate(1426, POUSH, 23)),
    ],
)
def test_reported_dates(gregorian: date, bangla: BanglaDate) -> None:
    assert to_bangla(gregorian) == bangla
    assert from_bangla(bangla) == gregorian


def test_weekdays_reported_with_the_switch() -> None:
    assert date(2019, 10, 16).strftime("%A") == "Wednesday"
    assert from_bangla(1426, KARTIK, 1).strftime("%A") == "Thursday"
    assert from_bangla(1426, AGRAHAYAN, 1).strftime("%A") == "Saturday"


# --------------------------------------------------------------------------------------------------
# National days: the reason for the revision


@pytest.mark.parametrize("year", range(2020, 2036))
def test_national_days_after_revision(year: int) -> None:
    assert to_bangla(date(year, 2, 21)) == BanglaDate(year - 594, FALGUN, 8)  # Language Martyrs' Day
    assert to_bangla(date(year, 3, 26)) == BanglaDate(year - 594, CHAITRA, 12)  # Independence Day
    assert to_bangla(date(year, 12, 16)) == BanglaDate(year - 593, POUSH, 1)  # Victory Day
    assert to_bangla(date(year, 4, 14)) == BanglaDate(year - 593, BOISHAKH, 1)  # পহেলা বৈশাখ
    assert to_bangla(date(year, 5, 8)) == BanglaDate(year - 593, BOISHAKH, 25)  # Rabindra Jayanti
    assert to_bangla(date(year, 5, 25)) == BanglaDate(year - 593, JYOISHTHO, 11)  # Nazrul Jayanti


@pytest.mark.parametrize("year", range(2000, 2019))
def test_national_days_under_1987_rules(year: int) -> None:
    # The mismatch the revision fixed: 9 ফাল্গুন and 2 পৌষ instead of 8 and 1.
    assert to_bangla(date(year, 2, 21)) == BanglaDate(year - 594, FALGUN, 9)
    assert to_bangla(date(year, 12, 16)) == BanglaDate(year - 593, POUSH, 2)
    assert to_bangla(date(year, 3, 26)) == BanglaDate(year - 594, CHAITRA, 12)


@pytest.mark.parametrize(
    ("gregorian", "bangla"),
    [
        (date(1952, 2, 21), BanglaDate(1358, FALGUN, 8)),
        (date(1971, 3, 26), BanglaDate(1377, CHAITRA, 12)),
        (date(1971, 12, 16), BanglaDate(1378, POUSH, 1)),
    ],
)
def test_historic_national_days_under_revised_rules(gregorian: date, bangla: BanglaDate) -> None:
    # The committee chose the revised lengths so these original dates hold (bdnews24, 16 Oct 2019).
    assert to_bangla(gregorian, rules=REVISED) == bangla
    assert from_bangla(bangla, rules=REVISED) == gregorian


# --------------------------------------------------------------------------------------------------
# ফাল্গুন and leap years


@pytest.mark.parametrize("year", range(1426, 1442))
def test_falgun_29_or_30_after_revision(year: int) -> None:
    leap = calendar.isleap(year + 594)
    assert days_in_month(year, FALGUN) == (30 if leap else 29)
    # 1 ফাল্গুন is 14 February and 1 চৈত্র is 15 March in every revised year, leap or not.
    assert from_bangla(year, FALGUN, 1) == date(year + 594, 2, 14)
    assert from_bangla(year, CHAITRA, 1) == date(year + 594, 3, 15)


@pytest.mark.parametrize("year", range(1407, 1426))
def test_falgun_30_or_31_before_revision(year: int) -> None:
    leap = calendar.isleap(year + 594)
    assert days_in_month(year, FALGUN) == (31 if leap else 30)
    assert from_bangla(year, FALGUN, 1) == date(year + 594, 2, 13)
    assert from_bangla(year, CHAITRA, 1) == date(year + 594, 3, 15)


def test_falgun_examples() -> None:
    assert from_bangla(1426, FALGUN, 30) == date(2020, 3, 14)  # 2020 is a leap year
    assert from_bangla(1427, FALGUN, 29) == date(2021, 3, 14)
    assert from_bangla(1430, FALGUN, 30) == date(2024, 3, 14)
    assert from_bangla(1422, FALGUN, 31) == date(2016, 3, 14)  # 1987 rules, leap
    assert to_bangla(date(2020, 2, 29)) == BanglaDate(1426, FALGUN, 16)
    assert to_bangla(date(2016, 2, 29)) == BanglaDate(1422, FALGUN, 17)
    with pytest.raises(ValueError, match="ফাল্গুন"):
        from_bangla(1427, FALGUN, 30)
    with pytest.raises(ValueError, match="ফাল্গুন"):
        from_bangla(1425, FALGUN, 31)
    with pytest.raises(ValueError, match="ফাল্গুন"):
        from_bangla(1430, FALGUN, 31)


# --------------------------------------------------------------------------------------------------
# The seeds


SEED_DIR = SHARED_DIR / "seeds"


def test_seed_2021_date_pair_agrees() -> None:
    # minutes_nsss_focal_points_2021.txt: "তারিখ: ১৯ কার্তিক ১৪২৮" / "০৪ নভেম্বর ২০২১"
    assert parse_bangla_date("তারিখ: ১৯ কার্তিক ১৪২৮") == BanglaDate(1428, KARTIK, 19)
    assert parse_gregorian_text("০৪ নভেম্বর ২০২১") == date(2021, 11, 4)
    assert check_date_pair("তারিখ: ১৯ কার্তিক ১৪২৮", "০৪ নভেম্বর ২০২১") is None


@pytest.mark.parametrize("gregorian_line", ["০৭ জানুয়ারি ২০১৯", "০৭/০১/২০১৯"])
def test_seed_2019_date_pair_is_flagged_as_year_typo(gregorian_line: str) -> None:
    # minutes_social_assistance_cluster_2019.txt: the meeting was on 30.12.2019 and the memo is dated
    # ২৩ পৌষ ১৪২৬, which is 7 January 2020; the Gregorian line says 2019.
    result = check_date_pair("তারিখ: ২৩ পৌষ ১৪২৬", gregorian_line)
    assert isinstance(result, DatePairCheck)
    assert result.bangla == BanglaDate(1426, POUSH, 23)
    assert result.gregorian == date(2019, 1, 7)
    assert result.expected_gregorian == date(2020, 1, 7)
    assert result.difference_days == -365
    assert "year differs by one" in result.explanation
    assert "Gregorian" in result.explanation
    assert "2020-01-07" in result.describe()


def test_seed_2019_meeting_date() -> None:
    # "সভার তারিখ ও সময় : ৩০ ডিসেম্বর ২০১৯" and "৩০.১২.২০১৯ তারিখে": 1 পৌষ = 16 Dec, so 30 Dec = ১৫ পৌষ.
    assert parse_gregorian_text("৩০ ডিসেম্বর ২০১৯") == date(2019, 12, 30)
    assert parse_gregorian_text("৩০.১২.২০১৯ তারিখে") == date(2019, 12, 30)
    assert to_bangla(date(2019, 12, 30)) == BanglaDate(1426, POUSH, 15)
    assert to_bangla(date(2019, 12, 30)).format() == "১৫ পৌষ ১৪২৬"


def test_seed_2021_other_dates() -> None:
    # Meeting 24 Oct 2021 (1 কার্তিক = 17 Oct, so ৮ কার্তিক); deadline 31 Oct 2021; 30 June 2021.
    assert parse_gregorian_text("২৪ অক্টোবর ২০২১ খ্রি:") == date(2021, 10, 24)
    assert to_bangla(date(2021, 10, 24)) == BanglaDate(1428, KARTIK, 8)
    assert parse_gregorian_text("৩১ অক্টোবর ২০২১ খ্রিস্টাব্দ") == date(2021, 10, 31)
    assert parse_gregorian_text("৩০ জুন ২০২১ খ্রিস্টাব্দ") == date(2021, 6, 30)
    assert parse_gregorian_text("২৭ জুন ২০২১ খ্রি:") == date(2021, 6, 27)


def _memo_date_pairs(text: str) -> list[tuple[str, str]]:
    """The "তারিখ: <Bangla date>" line and the next non-empty line (its Gregorian date)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [
        (line, lines[i + 1])
        for i, line in enumerate(lines[:-1])
        if line.startswith("তারিখ:") and re.search("বঙ্গাব্দ|পৌষ|কার্তিক", line)
    ]


@pytest.mark.skipif(not SEED_DIR.is_dir(), reason="seed minutes not available")
def test_seed_files_date_lines() -> None:
    results = {}
    for path in sorted(SEED_DIR.glob("minutes_*.txt")):
        pairs = _memo_date_pairs(path.read_text(encoding="utf-8"))
        assert len(pairs) == 1, path
        results[path.name] = check_date_pair(*pairs[0])
    assert results["minutes_nsss_focal_points_2021.txt"] is None
    flagged = results["minutes_social_assistance_cluster_2019.txt"]
    assert flagged is not None
    assert flagged.expected_gregorian == date(2020, 1, 7)
    assert flagged.difference_days == -365


# --------------------------------------------------------------------------------------------------
# Formatting


def test_format_bangla_date() -> None:
    assert BanglaDate(1428, KARTIK, 19).format() == "১৯ কার্তিক ১৪২৮"
    assert BanglaDate(1428, KARTIK, 19).format(suffix=True) == "১৯ কার্তিক ১৪২৮ বঙ্গাব্দ"
    assert str(BanglaDate(1426, POUSH, 23)) == "২৩ পৌষ ১৪২৬"
    assert BanglaDate(1431, FALGUN, 8).format() == "৮ ফাল্গুন ১৪৩১"


def test_month_names_are_nfc_in_order() -> None:
    expected = "বৈশাখ জ্যৈষ্ঠ আষাঢ় শ্রাবণ ভাদ্র আশ্বিন কার্তিক অগ্রহায়ণ পৌষ মাঘ ফাল্গুন চৈত্র"
    assert list(MONTH_NAMES) == unicodedata.normalize("NFC", expected).split()
    for name in MONTH_NAMES:
        assert unicodedata.is_normalized("NFC", name)
    # য় ঢ় are composition exclusions: NFC keeps them as base letter + nukta.
    assert "\u09dd" not in MONTH_NAMES[ASHARH - 1]
    assert MONTH_NAMES[ASHARH - 1].endswith("\u09a2\u09bc")
    assert "\u09af\u09bc" in MONTH_NAMES[AGRAHAYAN - 1]
    text = BanglaDate(1428, ASHARH, 5).format(suffix=True)
    assert unicodedata.is_normalized("NFC", text)


def test_format_gregorian_bn() -> None:
    assert format_gregorian_bn(date(2021, 11, 4)) == "০৪ নভেম্বর ২০২১ খ্রিস্টাব্দ"
    assert format_gregorian_bn(date(2019, 12, 30), suffix=False) == "৩০ ডিসেম্বর ২০১৯"
    january = format_gregorian_bn(date(2020, 1, 7))
    assert january == unicodedata.normalize("NFC", "০৭ জানুয়ারি ২০২০ খ্রিস্টাব্দ")
    assert unicodedata.is_normalized("NFC", january)


# --------------------------------------------------------------------------------------------------
# Parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("২৩ পৌষ ১৪২৬", (1426, POUSH, 23)),
        ("২৩ পৌষ, ১৪২৬ বঙ্গাব্দ", (1426, POUSH, 23)),
        ("১৯ কার্তিক ১৪২৮ বঙ্গাব্দ", (1428, KARTIK, 19)),
        ("তারিখ: ১৯ কার্তিক ১৪২৮", (1428, KARTIK, 19)),
        ("19 কার্তিক 1428", (1428, KARTIK, 19)),
        ("১৯ কার্ত্তিক ১৪২৮", (1428, KARTIK, 19)),
        ("২৩ পৌষ ১৪২৬।", (1426, POUSH, 23)),
        ("২৩ পৌষ ১৪২৬ বঙ্গাব্দ।", (1426, POUSH, 23)),
        ("  ২৩  পৌষ ,  ১৪২৬  ", (1426, POUSH, 23)),
        ("২৩ পৌ ষ ১৪২৬", (1426, POUSH, 23)),
        ("২৩ পৌষ ১৪ ২৬", (1426, POUSH, 23)),
        ("২৩শে পৌষ ১৪২৬", (1426, POUSH, 23)),
        ("২৩ শে পৌষ ১৪২৬", (1426, POUSH, 23)),
        ("১লা বৈশাখ ১৪৩০", (1430, BOISHAKH, 1)),
        ("৫ অগ্রহায়ণ ১৪২৮", (1428, AGRAHAYAN, 5)),
        ("৫ অগ্রহায়ন ১৪২৮", (1428, AGRAHAYAN, 5)),
        ("৫ অগ্রহা\u09af\u09bcণ ১৪২৮", (1428, AGRAHAYAN, 5)),  # decomposed য়
        ("৫ অগ্রহা\u09dfণ ১৪২৮", (1428, AGRAHAYAN, 5)),  # precomposed য়
        ("৫ জ্যৈষ্ঠ ১৪২৮", (1428, JYOISHTHO, 5)),
        ("৫ জৈষ্ঠ ১৪২৮", (1428, JYOISHTHO, 5)),
        ("৫ জ্যেষ্ঠ ১৪২৮", (1428, JYOISHTHO, 5)),
        ("৫ জ\u09cd\u200d\u09af\u09c8ষ্ঠ ১৪২৮", (1428, JYOISHTHO, 5)),  # ZWJ inside the ya-phala
        ("৫ আষাঢ় ১৪২৮", (1428, ASHARH, 5)),
        ("৫ আষাড় ১৪২৮", (1428, ASHARH, 5)),
        ("৫ আষা\u09a1\u09bc ১৪২৮", (1428, ASHARH, 5)),  # decomposed ড়
        ("৫ আষা\u09a2\u09bc ১৪২৮", (1428, ASHARH, 5)),  # decomposed ঢ়
        ("৫ আষা\u09dd ১৪২৮", (1428, ASHARH, 5)),  # precomposed ঢ়
        ("৫ শ্রাবন ১৪২৮", (1428, SHRABON, 5)),
        ("৫ ভাদ্র ১৪২৮", (1428, BHADRO, 5)),
        ("৩১ আশ্বিন ১৪২৬", (1426, ASHWIN, 31)),
        ("১০ মাঘ ১৪২৮", (1428, MAGH, 10)),
        ("৮ ফাল্গুণ ১৪২৮", (1428, FALGUN, 8)),
        ("১২ চৈত্র ১৪২৮", (1428, CHAITRA, 12)),
        ("19 Kartik 1428 B.S.", (1428, KARTIK, 19)),
        ("1 Boishakh 1431", (1431, BOISHAKH, 1)),
    ],
)
def test_parse_bangla_date_variants(text: str, expected: tuple[int, int, int]) -> None:
    assert parse_bangla_date(text) == BanglaDate(*expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("০৭ জানুয়ারি ২০১৯ খ্রিস্টাব্দ", date(2019, 1, 7)),
        ("০৭ জানুয়ারী ২০১৯", date(2019, 1, 7)),
        ("০৪ নভেম্বর ২০২১ খ্রি:", date(2021, 11, 4)),
        ("০৪ নভেম্বর ২০২১ খ্রিঃ", date(2021, 11, 4)),
        ("০৪ নভেম্বর ২০২১ খ্রিষ্টাব্দ।", date(2021, 11, 4)),
        ("৩০ ডিসেম্বর ২০১৯", date(2019, 12, 30)),
        ("৩০ ডিসেম্বর ২০১৯, সকাল ১১:০০ টা", None),  # time is not a date suffix: rejected
        ("তারিখ: ৩০ ডিসেম্বর ২০১৯", date(2019, 12, 30)),
        ("২৪শে অক্টোবর ২০২১", date(2021, 10, 24)),
        ("১৫ আগস্ট ২০২০", date(2020, 8, 15)),
        ("১৫ আগষ্ট ২০২০", date(2020, 8, 15)),
        ("০১ ফেব্রুয়ারি ২০২০", date(2020, 2, 1)),
        ("১৬ সেপ্টেম্বর ২০২০ ইং", date(2020, 9, 16)),
        ("১ মে ২০২০", date(2020, 5, 1)),
        ("০১ সেপ্টেম্বর ২০০০", date(2000, 9, 1)),  # "সে" must not be taken for the ordinal "শে"
        ("০১ সেপ্টেম্বর, ২০০০", date(2000, 9, 1)),
        ("04 November 2021", date(2021, 11, 4)),
        ("4th Nov. 2021", date(2021, 11, 4)),
        ("November 4, 2021", date(2021, 11, 4)),
        ("30-12-2019", date(2019, 12, 30)),
        ("৩০/১২/২০১৯", date(2019, 12, 30)),
        ("৩০.১২.২০১৯", date(2019, 12, 30)),
        ("০৭/০১/২০১৯", date(2019, 1, 7)),
        ("2021-11-04", date(2021, 11, 4)),
    ],
)
def test_parse_gregorian_text_variants(text: str, expected: date | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            parse_gregorian_text(text)
    else:
        assert parse_gregorian_text(text) == expected


# --------------------------------------------------------------------------------------------------
# Errors


def test_impossible_bangla_days_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match=r"কার্তিক.*30 days"):
        from_bangla(1428, KARTIK, 31)
    with pytest.raises(ValueError, match="আশ্বিন"):
        from_bangla(1425, ASHWIN, 31)  # 30 days under the 1987 rules
    with pytest.raises(ValueError, match="কার্তিক"):
        parse_bangla_date("৩১ কার্তিক ১৪২৮")
    with pytest.raises(ValueError):
        parse_bangla_date("৩১ আশ্বিন ১৪২৫")
    assert parse_bangla_date("৩১ আশ্বিন ১৪২৫", rules=REVISED) == BanglaDate(1425, ASHWIN, 31)


@pytest.mark.parametrize(
    ("year", "month", "day"), [(1428, 13, 1), (1428, 0, 1), (1428, 1, 0), (1428, 1, 32), (0, 1, 1)]
)
def test_bangla_date_range_errors(year: int, month: int, day: int) -> None:
    with pytest.raises(ValueError):
        BanglaDate(year, month, day)
    with pytest.raises(ValueError):
        from_bangla(year, month, day)


def test_from_bangla_argument_errors() -> None:
    with pytest.raises(TypeError):
        from_bangla(1428, KARTIK)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        from_bangla(BanglaDate(1428, KARTIK, 1), KARTIK, 1)
    with pytest.raises(ValueError):
        from_bangla(9406, CHAITRA, 30)  # beyond 9999-12-31
    with pytest.raises(ValueError):
        to_bangla(date(594, 4, 13))
    assert to_bangla(date(594, 4, 14)) == BanglaDate(1, BOISHAKH, 1)


@pytest.mark.parametrize(
    "text",
    ["", "hello", "২৩ ডিসেম্বর ১৪২৬", "২৩ পৌষ", "পৌষ ১৪২৬", "২৩ ১৪২৬", "২৩ পৌষ ১৪২৬ খ্রিস্টাব্দ", "২৩ পোষাক ১৪২৬"],
)
def test_parse_bangla_date_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bangla_date(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "৩১ ফেব্রুয়ারি ২০২০",
        "২৯ ফেব্রুয়ারি ২০২১",
        "২৩ পৌষ ১৪২৬",
        "30-12-19",
        "12/31/2019",
        "৩০ ডিসেম্বর",
        "32 May 2020",
    ],
)
def test_parse_gregorian_text_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_gregorian_text(text)


# --------------------------------------------------------------------------------------------------
# check_date_pair explanations


def test_pair_agrees_with_objects_and_text() -> None:
    assert check_date_pair(BanglaDate(1426, POUSH, 23), date(2020, 1, 7)) is None
    assert check_date_pair("৮ ফাল্গুন ১৪৩০", "21 February 2024") is None


def test_pair_bangla_year_typo() -> None:
    # ২৩ পৌষ ১৪২৫ is 6 Jan 2019 (1987 rules); 7 Jan 2020 is ২৩ পৌষ ১৪২৬: the Bangla year is the slip.
    result = check_date_pair("২৩ পৌষ ১৪২৫", date(2020, 1, 7))
    assert result is not None
    assert result.expected_gregorian == date(2019, 1, 6)
    assert result.gregorian_as_bangla == BanglaDate(1426, POUSH, 23)
    assert "Bangla year differs by one" in result.explanation


def test_pair_converted_with_old_rules_after_revision() -> None:
    # A news site masthead: "শুক্রবার ২৭শে ফেব্রুয়ারি, ২০২৬ ইং ১৫ই ফাল্গুন, ১৪৩২ বঙ্গাব্দ". Under the 2019
    # rules 1 ফাল্গুন = 14 Feb, so 27 Feb is ১৪ ফাল্গুন; 15 is what the 1987 rules give (1 ফাল্গুন = 13 Feb).
    result = check_date_pair("১৫ই ফাল্গুন, ১৪৩২ বঙ্গাব্দ", "২৭শে ফেব্রুয়ারি, ২০২৬ ইং")
    assert result is not None
    assert result.expected_gregorian == date(2026, 2, 28)
    assert result.difference_days == -1
    assert result.gregorian_as_bangla == BanglaDate(1432, FALGUN, 14)
    assert "1987 rules" in result.explanation


def test_pair_converted_with_new_rules_before_revision() -> None:
    # ৮ ফাল্গুন ১৪২৫ was 20 Feb 2019 (1 ফাল্গুন = 13 Feb under the 1987 rules); 21 Feb is the revised answer.
    result = check_date_pair("৮ ফাল্গুন ১৪২৫", date(2019, 2, 21))
    assert result is not None
    assert result.expected_gregorian == date(2019, 2, 20)
    assert "2019 revised rules" in result.explanation


def test_pair_month_and_day_typos() -> None:
    month = check_date_pair("১৯ কার্তিক ১৪২৮", date(2021, 10, 4))
    assert month is not None and "month differs" in month.explanation
    day = check_date_pair("১৯ কার্তিক ১৪২৮", date(2021, 11, 14))
    assert day is not None and "day differs" in day.explanation
    assert day.difference_days == 10
    far = check_date_pair("১৯ কার্তিক ১৪২৮", date(2023, 7, 2))
    assert far is not None and "days apart" in far.explanation


def test_pair_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        check_date_pair("৩১ কার্তিক ১৪২৮", date(2021, 11, 16))
    with pytest.raises(ValueError):
        check_date_pair("১৯ কার্তিক ১৪২৮", "not a date")


# --------------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=500, deadline=None)
@given(st.dates(min_value=date(594, 4, 14), max_value=date(9999, 12, 31)))
def test_property_gregorian_round_trip(d: date) -> None:
    for rules in (None, *Rules):
        b = to_bangla(d, rules=rules)
        assert from_bangla(b, rules=rules) == d
        assert b.day <= month_lengths(b.year, rules)[b.month - 1]


@st.composite
def bangla_dates(draw: st.DrawFn) -> BanglaDate:
    year = draw(st.integers(1, 9405))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, published_lengths(year)[month - 1]))
    return BanglaDate(year, month, day)


@settings(max_examples=500, deadline=None)
@given(bangla_dates(), st.booleans())
def test_property_bangla_round_trip_and_text(b: BanglaDate, suffix: bool) -> None:
    assert to_bangla(from_bangla(b)) == b
    assert parse_bangla_date(b.format(suffix=suffix)) == b


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)), st.booleans())
def test_property_gregorian_text_round_trip(d: date, suffix: bool) -> None:
    assert parse_gregorian_text(format_gregorian_bn(d, suffix=suffix)) == d
    assert check_date_pair(to_bangla(d).format(suffix=True), format_gregorian_bn(d)) is None
