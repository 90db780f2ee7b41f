"""Dates of birth: formats, the DD/MM rule, Bangla digits and month names, range checks."""

from datetime import date

import pytest

from shared.normalize import DateOfBirth, NormalizationError, parse_date_of_birth

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "raw",
    [
        "1985-03-12",
        "1985-3-12",
        "1985/03/12",
        "12/03/1985",
        "12-03-1985",
        "12.03.1985",
        "12/3/1985",
        "১৯৮৫-০৩-১২",
        "১২/০৩/১৯৮৫",
        "12 March 1985",
        "12 MARCH 1985",
        "12 Mar 1985",
        "12-Mar-1985",
        "12th March 1985",
        "March 12, 1985",
        "১২ মার্চ ১৯৮৫",
        "১২ই মার্চ ১৯৮৫",  # Bangla ordinal suffix
        "\ufeff12/03/1985\u00a0",
    ],
)
def test_formats_of_12_march_1985(raw: str) -> None:
    dob = parse_date_of_birth(raw, today=TODAY)
    assert dob == DateOfBirth(year=1985, month=3, day=12, precision="day")
    assert dob.exact_date == date(1985, 3, 12)
    assert dob.isoformat() == "1985-03-12"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03/12/1985", date(1985, 12, 3)),  # day first, never month first
        ("01/02/1960", date(1960, 2, 1)),
        ("29/02/1984", date(1984, 2, 29)),  # leap year
        ("২১শে ফেব্রুয়ারি ১৯৫২", date(1952, 2, 21)),
        ("২১শে ফেব্রু\u09df\u09be\u09b0\u09bf ১৯৫২", date(1952, 2, 21)),  # precomposed য়
        ("২১ ফেব্রুয়ারী ১৯৫২", date(1952, 2, 21)),  # ী spelling
        ("১লা জানুয়ারি ১৯৭১", date(1971, 1, 1)),
        ("১৬ ডিসেম্বর ১৯৭১", date(1971, 12, 16)),
        ("৭ আগষ্ট ১৯৯০", date(1990, 8, 7)),
        ("5 Sept 2001", date(2001, 9, 5)),
        ("01/01/1900", date(1900, 1, 1)),  # earliest accepted
        ("25/11/2026", TODAY),  # born today
    ],
)
def test_day_precision(raw: str, expected: date) -> None:
    dob = parse_date_of_birth(raw, today=TODAY)
    assert (dob.precision, dob.exact_date) == ("day", expected)


@pytest.mark.parametrize(("raw", "year"), [("1985", 1985), ("১৯৫২", 1952), (" 1900 ", 1900), ("2026", 2026)])
def test_year_precision(raw: str, year: int) -> None:
    dob = parse_date_of_birth(raw, today=TODAY)
    assert dob == DateOfBirth(year=year, month=None, day=None, precision="year")
    assert dob.exact_date is None
    assert dob.isoformat() == str(year)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "dob.empty"),
        ("   ", "dob.empty"),
        ("31/02/1985", "dob.invalid_date"),
        ("29/02/1985", "dob.invalid_date"),  # not a leap year
        ("31/04/1985", "dob.invalid_date"),
        ("12/25/1985", "dob.invalid_date"),  # month-first is not accepted
        ("1985-13-01", "dob.invalid_date"),
        ("00/01/1985", "dob.invalid_date"),
        ("32 March 1985", "dob.invalid_date"),
        ("31/12/1899", "dob.too_old"),
        ("1899", "dob.too_old"),
        ("0000-01-01", "dob.too_old"),
        ("26/11/2026", "dob.future"),
        ("2027", "dob.future"),
        ("01/01/2030", "dob.future"),
        ("12/03/85", "dob.two_digit_year"),
        ("১২ বৈশাখ ১৩৯২", "dob.unknown_month"),  # Bengali calendar month
        ("12 Marchh 1985", "dob.unknown_month"),
        ("March 1985", "dob.format"),
        ("12/03-1985", "dob.format"),  # mixed separators
        ("1985-03-12T10:00", "dob.format"),
        ("unknown", "dob.format"),
        (date(1985, 3, 12), "dob.type"),
    ],
)
def test_rejects(raw: object, code: str) -> None:
    with pytest.raises(NormalizationError) as exc:
        parse_date_of_birth(raw, today=TODAY)  # type: ignore[arg-type]
    assert (exc.value.field, exc.value.code, exc.value.value) == ("date_of_birth", code, raw)
    assert exc.value.reason


def test_month_first_rejection_explains_the_convention() -> None:
    with pytest.raises(NormalizationError) as exc:
        parse_date_of_birth("12/25/1985", today=TODAY)
    assert "day/month/year" in exc.value.reason


def test_date_errors_carry_the_callers_field() -> None:
    with pytest.raises(NormalizationError) as exc:
        parse_date_of_birth("2030", field="spouse_dob", today=TODAY)
    assert (exc.value.field, exc.value.code) == ("spouse_dob", "dob.future")
