"""Dates of birth as written on Bangladeshi forms, with their precision.

Ambiguity rule: numeric dates are always read day first (DD/MM/YYYY), the Bangladeshi
convention used on NID cards, birth certificates and school records. "03/12/1985" is
3 December 1985, never March 12; "12/25/1985" is rejected rather than silently re-read as
month first, because accepting it would make "03/12/1985" mean different things in the same
file depending on its neighbours. A 4-digit year first (YYYY-MM-DD) is ISO and unambiguous.
Two-digit years are rejected: "85" may be 1885 or 1985 and, for old-age allowance
eligibility, that is exactly the question.

Many older people only know their birth year (NID cards of the 2008 drive often carry
1 January of a guessed year), so a bare year is accepted with precision ``"year"``, and callers
must not treat it as 1 January.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from shared.normalize._common import MIN_BIRTH_YEAR, today_or
from shared.normalize.errors import NormalizationError, require_str
from shared.normalize.text import normalize_bangla_text
from shared.text.digits import to_ascii_digits

__all__ = ["DateOfBirth", "Precision", "parse_date_of_birth"]

Precision = Literal["day", "year"]

_MONTH_NAMES = {
    1: ["january", "jan", "জানুয়ারি", "জানুয়ারী", "জানু"],
    2: ["february", "feb", "ফেব্রুয়ারি", "ফেব্রুয়ারী", "ফেব্রু"],
    3: ["march", "mar", "মার্চ"],
    4: ["april", "apr", "এপ্রিল"],
    5: ["may", "মে"],
    6: ["june", "jun", "জুন"],
    7: ["july", "jul", "জুলাই"],
    8: ["august", "aug", "আগস্ট", "আগষ্ট", "অগাস্ট"],
    9: ["september", "sep", "sept", "সেপ্টেম্বর", "সেপ্টে"],
    10: ["october", "oct", "অক্টোবর", "অক্টো"],
    11: ["november", "nov", "নভেম্বর", "নভে"],
    12: ["december", "dec", "ডিসেম্বর", "ডিসে"],
}
# Keys go through the same normalisation as the input, so "জানুয়ারি" typed with a
# precomposed or decomposed য় both match.
_MONTHS = {
    normalize_bangla_text(name).casefold(): number for number, names in _MONTH_NAMES.items() for name in names
}

# English ordinals and the Bangla date suffixes: ১লা, ২রা, ৪ঠা, ৫ই, ২১শে.
_ORDINAL = r"(?:st|nd|rd|th|লা|রা|ঠা|ই|শে)?"
_SEP = r"[\s,./\-]*"
_WORD = r"([^\d\s,./\-]+)"
_YEAR_ONLY = re.compile(r"(\d{4})")
_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")
_DMY_SHORT_YEAR = re.compile(r"\d{1,2}([-/.])\d{1,2}\1\d{2}")
_D_MONTH_Y = re.compile(rf"(\d{{1,2}}){_ORDINAL}{_SEP}{_WORD}{_SEP}(\d{{4}})")
_MONTH_D_Y = re.compile(rf"{_WORD}{_SEP}(\d{{1,2}}){_ORDINAL}{_SEP}(\d{{4}})")


@dataclass(frozen=True, slots=True)
class DateOfBirth:
    """A parsed date of birth.

    Attributes:
        year: always set.
        month, day: set when ``precision == "day"``, None for a bare year.
        precision: ``"day"`` or ``"year"``.
    """

    year: int
    month: int | None
    day: int | None
    precision: Precision

    @property
    def exact_date(self) -> date | None:
        """The exact date, or None when only the year is known."""
        if self.precision == "year" or self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day)

    def isoformat(self) -> str:
        """``"1985-03-12"``, or ``"1985"`` for a bare year."""
        exact = self.exact_date
        return exact.isoformat() if exact else f"{self.year:04d}"


def parse_date_of_birth(raw: str, *, field: str = "date_of_birth", today: date | None = None) -> DateOfBirth:
    """Parse a date of birth.

    Accepted: ``YYYY-MM-DD`` (also with / or .), ``DD/MM/YYYY``, ``DD-MM-YYYY``,
    ``DD.MM.YYYY``, ``YYYY``, day + month name + year and month name + day + year with
    English (full or 3-letter) or Bangla month names ("12 March 1985", "March 12, 1985",
    "১২ মার্চ ১৯৮৫", "২১শে ফেব্রুয়ারি ১৯৮৫"), ASCII or Bangla digits.

    Error codes: ``dob.type``, ``dob.empty``, ``dob.format`` (not one of the forms above),
    ``dob.two_digit_year``, ``dob.unknown_month``, ``dob.invalid_date`` (31/02, month 13),
    ``dob.too_old`` (before 1900), ``dob.future`` (after ``today``).
    """
    require_str(raw, field=field, kind="dob")
    text = to_ascii_digits(normalize_bangla_text(raw, colon_to_visarga=False)).casefold()

    def fail(code: str, reason: str) -> NormalizationError:
        return NormalizationError(field=field, value=raw, code=code, reason=reason)

    if not text:
        raise fail("dob.empty", "the date of birth is empty")
    today = today_or(today)

    if m := _YEAR_ONLY.fullmatch(text):
        year = int(m[1])
        _check_year(year, fail=fail)
        _check_future(year, None, fail=fail, today=today)
        return DateOfBirth(year=year, month=None, day=None, precision="year")

    if m := _ISO.fullmatch(text):
        year, month, day = int(m[1]), int(m[3]), int(m[4])
    elif m := _DMY.fullmatch(text):
        day, month, year = int(m[1]), int(m[3]), int(m[4])
    elif _DMY_SHORT_YEAR.fullmatch(text):
        raise fail("dob.two_digit_year", "write the year with four digits (1985, not 85)")
    elif m := (_D_MONTH_Y.fullmatch(text) or _MONTH_D_Y.fullmatch(text)):
        if m.re is _D_MONTH_Y:
            day_s, month_name, year_s = m[1], m[2], m[3]
        else:
            month_name, day_s, year_s = m[1], m[2], m[3]
        if month_name not in _MONTHS:
            raise fail("dob.unknown_month", f"{month_name!r} is not a month name")
        day, month, year = int(day_s), _MONTHS[month_name], int(year_s)
    else:
        raise fail("dob.format", "expected a date such as 12/03/1985 (day/month/year), 1985-03-12, "
                                 "12 March 1985 or a year alone")

    # Year first: "31/02/1850" is too old whatever its day, and date() cannot hold year 0.
    _check_year(year, fail=fail)
    if not 1 <= month <= 12:
        raise fail("dob.invalid_date", f"there is no month {month}; numeric dates are read as day/month/year")
    try:
        exact = date(year, month, day)
    except ValueError:
        raise fail("dob.invalid_date", f"{year:04d}-{month:02d} has no day {day}") from None
    _check_future(year, exact, fail=fail, today=today)
    return DateOfBirth(year=year, month=month, day=day, precision="day")


def _check_year(year: int, *, fail: Callable[[str, str], NormalizationError]) -> None:
    if year < MIN_BIRTH_YEAR:
        raise fail("dob.too_old", f"a date of birth before {MIN_BIRTH_YEAR} is not plausible")


def _check_future(year: int, exact: date | None, *, fail: Callable[[str, str], NormalizationError],
                  today: date) -> None:
    if (exact is not None and exact > today) or year > today.year:
        raise fail("dob.future", "the date of birth is in the future")
