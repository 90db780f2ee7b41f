"""Bangla (Bangabda, বঙ্গাব্দ) calendar of the Government of Bangladesh: conversion, parsing, checking.

Every date is stored Gregorian; minutes and memos also carry the Bangla date, and officials read
both. This module converts between the two, parses the ways dates are written in the minutes
(Bangla or ASCII digits, spelling variants, OCR noise) and checks that a Bangla and a Gregorian date
written together agree, because the scanned minutes contain typos that must be flagged, not copied.

Two fixed rule sets have been official in Bangladesh (both start the year, পহেলা বৈশাখ, on 14 April
and number the year Gregorian - 593 from 14 April, else - 594):

* the 1987 rules (Bangla Academy, Shahidullah committee): বৈশাখ..ভাদ্র 31 days, আশ্বিন..চৈত্র 30,
  ফাল্গুন 31 in a leap year;
* the 2019 revision (Bangla Academy calendar reform committee, notified by the Ministry of Public
  Administration): বৈশাখ..আশ্বিন 31 days, কার্তিক..মাঘ 30, ফাল্গুন 29 (30 in a leap year), চৈত্র 30.
  It went into effect on Wednesday 16 October 2019, which became ৩১ আশ্বিন ১৪২৬ (1 কার্তিক moved to
  17 October). From 14 April to 15 October 2019 both rule sets give the same dates, so "the revised
  rules apply to the whole Bangla year 1426 onwards" is exactly equivalent, and is how it is coded.
  Sources and reasoning: docs/bangla-calendar.md.

"Leap year" in both rule sets means: the Gregorian year that contains that ফাল্গুন (Bangla year
+ 594) has a 29 February. That is the only reading under which every year still starts on 14 April.

Dates before the 1987 rules (Bangla year < 1394) are converted with the 1987 rules proleptically; the
traditional calendar then in use could differ by a day or two (see the docs).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from shared.text.digits import to_ascii_digits, to_bangla_digits

__all__ = [
    "FIRST_REVISED_YEAR",
    "MONTH_NAMES",
    "REVISION_EFFECTIVE_DATE",
    "BanglaDate",
    "DatePairCheck",
    "Rules",
    "check_date_pair",
    "days_in_month",
    "format_gregorian_bn",
    "from_bangla",
    "month_lengths",
    "parse_bangla_date",
    "parse_gregorian_text",
    "rules_for_year",
    "to_bangla",
]


class Rules(Enum):
    """Which official month-length rules to use."""

    BANGLA_ACADEMY_1987 = "1987 rules"
    REVISED_2019 = "2019 revised rules"


# The revision is applied per Bangla year: 1426 is the first year counted with the revised lengths.
FIRST_REVISED_YEAR = 1426
# First day on which the two rule sets disagree: ৩১ আশ্বিন ১৪২৬ (revised) vs ১ কার্তিক ১৪২৬ (1987).
# This is the day the government calendar switched (bdnews24, 16 Oct 2019), kept here for documentation
# and for the test that proves the per-year rule and the per-day switch are the same thing.
REVISION_EFFECTIVE_DATE = date(2019, 10, 16)

# Bangla year Y starts on 14 April of Gregorian year Y + 593.
_YEAR_OFFSET = 593
_NEW_YEAR = (4, 14)
MIN_YEAR = 1
# Year 9406 starts on 9999-04-14; its later days cannot be represented by datetime.date.
MAX_YEAR = date.max.year - _YEAR_OFFSET


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# NFC matters: য় ড় ঢ় are Unicode composition exclusions, so their NFC form is base letter + nukta
# (U+09BC). Storing the NFC form means our output compares equal to any normalised input.
MONTH_NAMES: tuple[str, ...] = tuple(
    _nfc(name)
    for name in (
        "বৈশাখ",
        "জ্যৈষ্ঠ",
        "আষাঢ়",
        "শ্রাবণ",
        "ভাদ্র",
        "আশ্বিন",
        "কার্তিক",
        "অগ্রহায়ণ",
        "পৌষ",
        "মাঘ",
        "ফাল্গুন",
        "চৈত্র",
    )
)

GREGORIAN_MONTH_NAMES_BN: tuple[str, ...] = tuple(
    _nfc(name)
    for name in (
        "জানুয়ারি",
        "ফেব্রুয়ারি",
        "মার্চ",
        "এপ্রিল",
        "মে",
        "জুন",
        "জুলাই",
        "আগস্ট",
        "সেপ্টেম্বর",
        "অক্টোবর",
        "নভেম্বর",
        "ডিসেম্বর",
    )
)

_BANGABDA = _nfc("বঙ্গাব্দ")
_KHRISTABDA = _nfc("খ্রিস্টাব্দ")


def rules_for_year(year: int) -> Rules:
    """The rules officially in force for Bangla year `year`."""
    return Rules.REVISED_2019 if year >= FIRST_REVISED_YEAR else Rules.BANGLA_ACADEMY_1987


def _is_leap(year: int) -> bool:
    # ফাল্গুন of Bangla year Y lies in February/March of Gregorian Y + 594: the extra day goes where
    # 29 February is, which keeps 1 বৈশাখ on 14 April under both rule sets.
    return calendar.isleap(year + _YEAR_OFFSET + 1)


def month_lengths(year: int, rules: Rules | None = None) -> tuple[int, ...]:
    """Lengths of the twelve months of Bangla year `year` (rules default to those in force then)."""
    rules = rules or rules_for_year(year)
    leap = _is_leap(year)
    if rules is Rules.REVISED_2019:
        # বৈশাখ..আশ্বিন 31, কার্তিক..মাঘ 30, ফাল্গুন 29/30, চৈত্র 30.
        return (31,) * 6 + (30,) * 4 + (30 if leap else 29, 30)
    # 1987: বৈশাখ..ভাদ্র 31, আশ্বিন..মাঘ 30, ফাল্গুন 30/31, চৈত্র 30.
    return (31,) * 5 + (30,) * 5 + (31 if leap else 30, 30)


def days_in_month(year: int, month: int, rules: Rules | None = None) -> int:
    """Number of days in Bangla `month` (1..12) of `year`."""
    _check_year_month(year, month)
    return month_lengths(year, rules)[month - 1]


def _check_year_month(year: int, month: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"Bangla year {year} is out of range {MIN_YEAR}..{MAX_YEAR}")
    if not 1 <= month <= 12:
        raise ValueError(f"Bangla month must be 1..12, got {month}")


@dataclass(frozen=True, slots=True)
class BanglaDate:
    """A date in the Bangla calendar. month is 1 (বৈশাখ) .. 12 (চৈত্র).

    Construction only checks ranges that hold under every rule set (day 1..31); whether the day
    exists in that month of that year depends on the rules and is checked by `from_bangla` and
    `parse_bangla_date`. That lets a date computed under the 1987 rules (e.g. ৩১ ফাল্গুন) be
    represented when checking old documents.
    """

    year: int
    month: int
    day: int

    def __post_init__(self) -> None:
        _check_year_month(self.year, self.month)
        if not 1 <= self.day <= 31:
            raise ValueError(f"Bangla day must be 1..31, got {self.day}")

    @property
    def month_name(self) -> str:
        return MONTH_NAMES[self.month - 1]

    def format(self, *, suffix: bool = False) -> str:
        """E.g. "১৯ কার্তিক ১৪২৮" or, with suffix, "১৯ কার্তিক ১৪২৮ বঙ্গাব্দ" (Bangla digits, NFC)."""
        text = f"{to_bangla_digits(self.day)} {self.month_name} {to_bangla_digits(self.year)}"
        return f"{text} {_BANGABDA}" if suffix else text

    def __str__(self) -> str:
        return self.format()


def _new_year(year: int) -> date:
    return date(year + _YEAR_OFFSET, *_NEW_YEAR)


def to_bangla(d: date, *, rules: Rules | None = None) -> BanglaDate:
    """Bangla date of Gregorian `d` (rules default to those in force in that Bangla year)."""
    if (d.month, d.day) >= _NEW_YEAR:
        year = d.year - _YEAR_OFFSET
    else:
        year = d.year - _YEAR_OFFSET - 1
    if year < MIN_YEAR:
        raise ValueError(f"{d.isoformat()} is before 1 বৈশাখ 1 বঙ্গাব্দ (0594-04-14)")
    offset = (d - _new_year(year)).days
    for month, length in enumerate(month_lengths(year, rules), start=1):
        if offset < length:
            return BanglaDate(year, month, offset + 1)
        offset -= length
    # Every rule set sums to 365/366 days, matching the Gregorian year between two 14 Aprils.
    raise AssertionError(f"month lengths of {year} do not cover {d}")  # pragma: no cover


def from_bangla(
    value: BanglaDate | int,
    month: int | None = None,
    day: int | None = None,
    *,
    rules: Rules | None = None,
) -> date:
    """Gregorian date of a Bangla date: `from_bangla(BanglaDate(...))` or `from_bangla(year, month, day)`.

    Raises ValueError when the day does not exist in that month (e.g. ৩১ কার্তিক) under the rules
    in force for that year (or `rules`).
    """
    if isinstance(value, BanglaDate):
        if month is not None or day is not None:
            raise TypeError("give either a BanglaDate or year, month, day, not both")
        bd = value
    else:
        if month is None or day is None:
            raise TypeError("from_bangla(year, month, day) needs all three")
        bd = BanglaDate(value, month, day)
    lengths = month_lengths(bd.year, rules)
    length = lengths[bd.month - 1]
    if bd.day > length:
        used = rules or rules_for_year(bd.year)
        raise ValueError(
            f"{bd.format()} ({bd.day} {bd.month_name} {bd.year}) does not exist: {bd.month_name} "
            f"{bd.year} has {length} days under the {used.value}"
        )
    offset = sum(lengths[: bd.month - 1]) + bd.day - 1
    try:
        return _new_year(bd.year) + timedelta(days=offset)
    except OverflowError as exc:
        raise ValueError(f"{bd.format()} is beyond the last representable Gregorian date") from exc


# --------------------------------------------------------------------------------------------------
# Parsing. Text is "folded" before matching so spelling variants, OCR artefacts and Unicode forms
# collapse to one key; month names are folded with the same function, so both sides always agree.

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
# Letters that writers (and OCR) interchange in these words: ণ/ন, ষ/শ/স, ী/ি, ূ/ু, ঢ/ড (after the nukta
# is dropped ঢ়/ড় become ঢ/ড), ৈ/ে (জৈষ্ঠ, জ্যেষ্ঠ); visarga and colon are both used after "খ্রি".
_FOLD_TABLE = str.maketrans(
    {
        "\u09bc": None,  # nukta: য়→য, ড়→ড, ঢ়→ঢ; also covers precomposed input after NFC
        "ণ": "ন",
        "ষ": "স",
        "শ": "স",
        "ী": "ি",
        "ূ": "ু",
        "ঢ": "ড",
        "ৈ": "ে",
        "ঃ": ":",
        "\u00a0": " ",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
    }
)


def _fold(text: str) -> str:
    text = _nfc(text).translate(_ZERO_WIDTH)
    text = to_ascii_digits(text).translate(_FOLD_TABLE)
    # Ya-phala is dropped or kept at will (জৈষ্ঠ/জ্যৈষ্ঠ); doubled ত is the old spelling (কার্ত্তিক).
    text = text.replace("\u09cd\u09af", "").replace("ত\u09cdত", "ত")
    return text.casefold()


def _month_lookup(names: dict[int, list[str]]) -> dict[str, int]:
    table: dict[str, int] = {}
    for month, variants in names.items():
        for variant in variants:
            key = re.sub(r"\s+", "", _fold(variant))
            # A folding collision between two months would silently mis-parse: fail at import.
            if table.setdefault(key, month) != month:
                raise AssertionError(f"month spelling {variant!r} is ambiguous")
    return table


_BANGLA_MONTHS = _month_lookup(
    {
        1: ["বৈশাখ", "বোশেখ", "boishakh", "baishakh", "baisakh", "boisakh"],
        2: ["জ্যৈষ্ঠ", "জৈষ্ঠ", "জ্যেষ্ঠ", "জৈষ্ঠ্য", "joishtho", "jyoishtho", "jaishtha", "jyaistha", "jaistha"],
        3: ["আষাঢ়", "আষাড়", "আষাঢ", "asharh", "ashar", "asadh", "ashad", "asar"],
        4: ["শ্রাবণ", "শ্রাবন", "srabon", "shrabon", "shraban", "sraban"],
        5: ["ভাদ্র", "ভাদ্রো", "bhadro", "bhadra", "vadro", "vadra"],
        6: ["আশ্বিন", "আশ্যিন", "ashwin", "ashshin", "ashin", "aswin", "ashshwin"],
        7: ["কার্তিক", "কার্ত্তিক", "kartik", "kartick", "kartic"],
        8: ["অগ্রহায়ণ", "অগ্রহায়ন", "অঘ্রাণ", "অঘ্রান", "ogrohayon", "agrahayan", "ogrohayan", "agrahayon"],
        9: ["পৌষ", "পৌস", "poush", "paush", "pous"],
        10: ["মাঘ", "magh"],
        11: ["ফাল্গুন", "ফাল্গুণ", "ফাগুন", "falgun", "phalgun", "falgoon", "phalgoon"],
        12: ["চৈত্র", "চৈত্রো", "choitro", "chaitra", "chaitro", "choitra"],
    }
)

_GREGORIAN_MONTHS = _month_lookup(
    {
        1: ["জানুয়ারি", "জানুয়ারী", "জানুয়ারি", "january", "jan"],
        2: ["ফেব্রুয়ারি", "ফেব্রুয়ারী", "ফেব্রুয়ারি", "february", "feb"],
        3: ["মার্চ", "march", "mar"],
        4: ["এপ্রিল", "april", "apr"],
        5: ["মে", "may"],
        6: ["জুন", "june", "jun"],
        7: ["জুলাই", "july", "jul"],
        8: ["আগস্ট", "আগষ্ট", "অগাস্ট", "august", "aug"],
        9: ["সেপ্টেম্বর", "september", "sep", "sept"],
        10: ["অক্টোবর", "october", "oct"],
        11: ["নভেম্বর", "november", "nov"],
        12: ["ডিসেম্বর", "december", "dec"],
    }
)


def _alternation(*words: str) -> str:
    # Longest first so "খ্রিস্টাব্দ" wins over its prefix "খ্রি".
    folded = sorted({_fold(w) for w in words}, key=len, reverse=True)
    return "|".join(re.escape(w) for w in folded)


_PUNCT = r"[\s,.\-:;।|]*"
_PREFIX = rf"(?:(?:{_alternation('তারিখ', 'date', 'dated')})\s*[:\-]?\s*)?"
_ORDINAL = _alternation("শে", "লা", "রা", "ঠা", "ই", "st", "nd", "rd", "th")
# An ordinal is glued to the digits and ends the word: otherwise "০১ সেপ্টেম্বর" would lose "সে" (folded শে).
_ORDINAL_OPT = rf"(?:\s?(?:{_ORDINAL})(?=[\s,.\-]))?"
_DAY = r"(?P<day>\d(?:\s?\d)?)"
_MONTH_WORD = r"(?P<month>[\u0980-\u09ff]+(?:\s[\u0980-\u09ff]+)?|[a-z]+\.?)"

_BANGLA_SUFFIX = _alternation("বঙ্গাব্দ", "বাংলা সন", "বাংলা", "বাং", "সন", "সাল", "b.s", "bs")
_BANGLA_RE = re.compile(
    rf"{_PREFIX}{_DAY}{_ORDINAL_OPT}{_PUNCT}{_MONTH_WORD}{_PUNCT}"
    rf"(?P<year>\d(?:\s?\d){{0,3}})\s*(?:{_BANGLA_SUFFIX})?"
)

_GREG_ERA = _alternation(
    "খ্রিস্টাব্দ", "খ্রিষ্টাব্দ", "খ্রীষ্টাব্দ", "খ্রি", "খ্রী", "ইংরেজি", "ইং", "সাল", "a.d", "ad", "ce"
)
_GREG_SUFFIX = rf"(?:(?:{_GREG_ERA})\.?\s*:?)?(?:\s*(?:{_alternation('তারিখে', 'তারিখ')}))?"
_YEAR4 = r"(?P<year>\d(?:\s?\d){3})"
_GREG_DMY_WORDS = re.compile(
    rf"{_PREFIX}{_DAY}{_ORDINAL_OPT}{_PUNCT}{_MONTH_WORD}{_PUNCT}{_YEAR4}\s*{_GREG_SUFFIX}"
)
_GREG_MDY_WORDS = re.compile(
    rf"{_PREFIX}(?P<month>[a-z]+\.?)\s*{_DAY}{_ORDINAL_OPT}\s*,?\s*{_YEAR4}\s*{_GREG_SUFFIX}"
)
# Numeric dates in Bangladesh are day-first (৩০/১২/২০১৯, 30-12-2019, ৩০.১২.২০১৯).
_GREG_DMY_NUM = re.compile(
    rf"{_PREFIX}{_DAY}\s*(?P<sep>[-/.])\s*(?P<month>\d{{1,2}})\s*(?P=sep)\s*{_YEAR4}\s*{_GREG_SUFFIX}"
)
_GREG_ISO = re.compile(rf"{_PREFIX}{_YEAR4}-(?P<month>\d{{1,2}})-{_DAY}")

# OCR leaves stray punctuation around a date line; only the ends are cleaned, the middle must match.
_STRIP_CHARS = " \t\r\n,;:|।॥'\"“”‘’()[]"


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", _fold(text)).strip(_STRIP_CHARS + ".")


def _digits(group: str) -> int:
    return int(group.replace(" ", ""))


def _month_number(table: dict[str, int], word: str, kind: str, original: str) -> int:
    key = re.sub(r"\s+", "", word).rstrip(".")
    if key in table:
        return table[key]
    raise ValueError(f"unknown {kind} month name {word!r} in {original!r}")


def parse_bangla_date(text: str, *, rules: Rules | None = None) -> BanglaDate:
    """Parse a Bangla-calendar date as written in the minutes.

    Accepts e.g. "২৩ পৌষ ১৪২৬", "২৩ পৌষ, ১৪২৬ বঙ্গাব্দ", "তারিখ: ১৯ কার্তিক ১৪২৮ বঙ্গাব্দ।", ASCII digits,
    ordinal day suffixes (২৩শে), common spelling variants and romanisations of month names, decomposed
    or precomposed nukta forms, zero-width joiners and stray spaces. Raises ValueError when the text is
    not a Bangla date or the day does not exist in that month (under `rules`, default: those in force).
    """
    match = _BANGLA_RE.fullmatch(_clean(text))
    if match is None:
        raise ValueError(f"not a Bangla date (expected e.g. '২৩ পৌষ ১৪২৬'): {text!r}")
    month = _month_number(_BANGLA_MONTHS, match["month"], "Bangla", text)
    result = BanglaDate(_digits(match["year"]), month, _digits(match["day"]))
    from_bangla(result, rules=rules)  # validates the day against the month length
    return result


def parse_gregorian_text(text: str) -> date:
    """Parse a Gregorian date written in Bangla or English as in the minutes.

    Accepts e.g. "০৭ জানুয়ারি ২০১৯ খ্রিস্টাব্দ", "০৪ নভেম্বর ২০২১ খ্রি:", "৩০ ডিসেম্বর ২০১৯", "04 November 2021",
    "November 4, 2021", "30-12-2019", "৩০/১২/২০১৯", "৩০.১২.২০১৯ তারিখে", "2021-11-04". Numeric dates are
    read day first, as written in Bangladesh. Raises ValueError for anything else or an impossible date.
    """
    cleaned = _clean(text)
    for pattern, numeric in (
        (_GREG_DMY_WORDS, False),
        (_GREG_MDY_WORDS, False),
        (_GREG_DMY_NUM, True),
        (_GREG_ISO, True),
    ):
        match = pattern.fullmatch(cleaned)
        if match is None:
            continue
        if numeric:
            month = int(match["month"])
        else:
            month = _month_number(_GREGORIAN_MONTHS, match["month"], "Gregorian", text)
        try:
            return date(_digits(match["year"]), month, _digits(match["day"]))
        except ValueError as exc:
            raise ValueError(f"impossible Gregorian date {text!r}: {exc}") from exc
    raise ValueError(f"not a Gregorian date (expected e.g. '০৪ নভেম্বর ২০২১'): {text!r}")


def format_gregorian_bn(d: date, *, suffix: bool = True) -> str:
    """E.g. "০৪ নভেম্বর ২০২১ খ্রিস্টাব্দ": the form used in government letters (day zero-padded)."""
    day = to_bangla_digits(f"{d.day:02d}")
    text = f"{day} {GREGORIAN_MONTH_NAMES_BN[d.month - 1]} {to_bangla_digits(d.year)}"
    return f"{text} {_KHRISTABDA}" if suffix else text


# --------------------------------------------------------------------------------------------------
# Checking a Bangla date and a Gregorian date written together (memo date lines).


@dataclass(frozen=True, slots=True)
class DatePairCheck:
    """Why a Bangla date and a Gregorian date given together disagree."""

    bangla: BanglaDate
    gregorian: date  # as written
    expected_gregorian: date  # what the Bangla date really is
    gregorian_as_bangla: BanglaDate  # what the written Gregorian date really is
    difference_days: int  # written Gregorian minus expected Gregorian
    explanation: str

    def describe(self) -> str:
        """One line for a reviewer."""
        return (
            f"{self.bangla.format(suffix=True)} is {self.expected_gregorian.isoformat()}, but "
            f"{self.gregorian.isoformat()} was written ({self.difference_days:+d} days; that day is "
            f"{self.gregorian_as_bangla.format()}): {self.explanation}"
        )


def _other_rules(rules: Rules) -> Rules:
    return Rules.REVISED_2019 if rules is Rules.BANGLA_ACADEMY_1987 else Rules.BANGLA_ACADEMY_1987


def _explain(bangla: BanglaDate, written: date, expected: date) -> str:
    # Most specific first: a one-digit year slip is the commonest typo in the minutes (the 2019 seed).
    if (written.month, written.day) == (expected.month, expected.day):
        years = written.year - expected.year
        size = "one" if abs(years) == 1 else str(abs(years))
        hint = " (typo?)" if abs(years) == 1 else ""
        return f"Gregorian year differs by {size}{hint}: {written.year} written, {expected.year} expected"
    actual = to_bangla(written)
    if (actual.month, actual.day) == (bangla.month, bangla.day):
        years = bangla.year - actual.year
        size = "one" if abs(years) == 1 else str(abs(years))
        hint = " (typo?)" if abs(years) == 1 else ""
        return (
            f"Bangla year differs by {size}{hint}: {bangla.year} written, "
            f"{actual.year} matches the Gregorian date"
        )
    in_force = rules_for_year(bangla.year)
    other = _other_rules(in_force)
    try:
        alternative = from_bangla(bangla, rules=other)
    except ValueError:
        alternative = None
    if alternative == written:
        return (
            f"the pair matches the {other.value}, but {bangla.year} বঙ্গাব্দ falls under the "
            f"{in_force.value} (revision in force from {FIRST_REVISED_YEAR}); converted with the wrong rules?"
        )
    if written.year == expected.year and written.day == expected.day:
        return f"Gregorian month differs (typo?): {written.month} written, {expected.month} expected"
    if written.year == expected.year and written.month == expected.month:
        return f"Gregorian day differs (typo?): {written.day} written, {expected.day} expected"
    return f"the dates are {abs((written - expected).days)} days apart"


def check_date_pair(bangla: BanglaDate | str, gregorian: date | str) -> DatePairCheck | None:
    """Check that a Bangla date and a Gregorian date written together denote the same day.

    Either may be given as text (parsed with `parse_bangla_date` / `parse_gregorian_text`). Returns
    None when they agree; otherwise a `DatePairCheck` with the Gregorian date the Bangla date really
    is, the difference in days and a likely explanation. The Bangla date is taken as the reference
    because the minutes' typos seen so far are in the Gregorian line; the explanation says when the
    Bangla year looks like the wrong one instead.
    """
    bd = parse_bangla_date(bangla) if isinstance(bangla, str) else bangla
    written = parse_gregorian_text(gregorian) if isinstance(gregorian, str) else gregorian
    expected = from_bangla(bd)
    if expected == written:
        return None
    return DatePairCheck(
        bangla=bd,
        gregorian=written,
        expected_gregorian=expected,
        gregorian_as_bangla=to_bangla(written),
        difference_days=(written - expected).days,
        explanation=_explain(bd, written, expected),
    )
