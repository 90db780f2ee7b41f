"""NID and birth registration number."""

from datetime import date

import pytest

from shared.normalize import Nid, NormalizationError, nid_birth_year, normalize_brn, normalize_nid

TODAY = date(2026, 11, 25)

# A 13-digit NID and its 17-digit form (birth year 1985 + the 13 digits).
NID13 = "2694807123456"
NID17 = "1985" + NID13
NID10 = "5097324186"


@pytest.mark.parametrize(
    ("raw", "normalized", "length", "comparable"),
    [
        (NID13, NID13, 13, NID13),
        ("269 480 712 3456", NID13, 13, NID13),
        ("২৬৯৪৮০৭১২৩৪৫৬", NID13, 13, NID13),  # Bangla digits
        (NID17, NID17, 17, NID13),
        ("1985 2694 807 123456", NID17, 17, NID13),
        ("১৯৮৫-২৬৯৪৮০৭-১২৩৪৫৬", NID17, 17, NID13),  # Bangla digits and dashes
        (NID10, NID10, 10, NID10),
        ("509-732-4186", NID10, 10, NID10),
        ("৫০৯ ৭৩২ ৪১৮৬", NID10, 10, NID10),
        ("\u200b5097324186\u00a0", NID10, 10, NID10),  # zero-width and no-break space
        ("509\u2013732\u20134186", NID10, 10, NID10),  # en dashes from a word processor
    ],
)
def test_normalize_nid_valid(raw: str, normalized: str, length: int, comparable: str) -> None:
    nid = normalize_nid(raw, today=TODAY)
    assert nid == Nid(raw=raw, normalized=normalized, length=length, comparable=comparable)


def test_17_digit_and_13_digit_forms_are_comparable() -> None:
    assert normalize_nid(NID17, today=TODAY).comparable == normalize_nid(NID13, today=TODAY).comparable
    # a different birth year prefix on the same 13 digits is still the same person's number
    assert normalize_nid("1990" + NID13, today=TODAY).comparable == NID13
    # 10-digit smart-card NIDs are their own space
    assert normalize_nid(NID10, today=TODAY).comparable != normalize_nid(NID13, today=TODAY).comparable


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "nid.empty"),
        (" - ", "nid.empty"),
        ("2694807123A56", "nid.not_digits"),
        ("2694807123456.0", "nid.not_digits"),  # a spreadsheet float turned to text
        ("NID: 2694807123456", "nid.not_digits"),
        ("269480712345", "nid.length"),  # 12
        ("26948071234567", "nid.length"),  # 14
        ("198526948071234567", "nid.length"),  # 18
        ("50973241", "nid.length"),
        ("0000000000000", "nid.repeated_digit"),
        ("১১১১১১১১১১", "nid.repeated_digit"),
        ("1985" + "0" * 13, "nid.repeated_digit"),  # placeholder after a real-looking year
        ("1234567890", "nid.sequential"),
        ("1234567890123", "nid.sequential"),
        ("9876543210", "nid.sequential"),
        ("18992694807123456", "nid.birth_year"),  # 1899
        ("20272694807123456", "nid.birth_year"),  # after TODAY's year
        ("00002694807123456", "nid.birth_year"),
        (2694807123456, "nid.type"),  # int: leading zeros may already be lost
        (None, "nid.type"),
    ],
)
def test_normalize_nid_rejects(raw: object, code: str) -> None:
    with pytest.raises(NormalizationError) as exc:
        normalize_nid(raw, today=TODAY)  # type: ignore[arg-type]
    assert (exc.value.field, exc.value.code, exc.value.value) == ("nid", code, raw)


def test_nid_errors_carry_the_callers_field() -> None:
    with pytest.raises(NormalizationError) as exc:
        normalize_nid("12", field="father_nid")
    assert (exc.value.field, exc.value.code) == ("father_nid", "nid.length")


def test_nid_birth_year_boundaries() -> None:
    assert normalize_nid("1900" + NID13, today=TODAY).length == 17
    assert normalize_nid("2026" + NID13, today=TODAY).length == 17


@pytest.mark.parametrize(
    ("nid", "year"),
    [(NID17, 1985), ("১৯৫২ ২৬৯৪৮০৭১২৩৪৫৬", 1952), (NID13, None), (NID10, None)],
)
def test_nid_birth_year(nid: str, year: int | None) -> None:
    assert nid_birth_year(nid, today=TODAY) == year
    assert nid_birth_year(normalize_nid(nid, today=TODAY)) == year


def test_nid_birth_year_rejects_invalid_nid() -> None:
    with pytest.raises(NormalizationError) as exc:
        nid_birth_year("12345")
    assert exc.value.code == "nid.length"


# ---------------------------------------------------------------- BRN

BRN = "20105914726301458"  # born 2010


@pytest.mark.parametrize(
    "raw",
    [BRN, "2010 5914 7263 01458", "২০১০৫৯১৪৭২৬৩০১৪৫৮", "২০১০ ৫৯১৪ ৭২৬৩ ০১৪৫৮", "2010-5914-7263-01458"],
)
def test_normalize_brn_valid(raw: str) -> None:
    assert normalize_brn(raw, today=TODAY) == BRN


@pytest.mark.parametrize("year", ["1900", "1985", "2026"])
def test_normalize_brn_year_range_is_inclusive(year: str) -> None:
    assert normalize_brn(year + BRN[4:], today=TODAY) == year + BRN[4:]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "brn.empty"),
        ("2010591472630145", "brn.length"),  # 16
        ("201059147263014589", "brn.length"),  # 18
        (NID13, "brn.length"),  # an NID in the BRN field
        ("2010591472630145X", "brn.not_digits"),
        ("18995914726301458", "brn.birth_year"),
        ("20275914726301458", "brn.birth_year"),
        ("00000000000000000", "brn.repeated_digit"),
        ("2010" + "9" * 13, "brn.repeated_digit"),
        ("12345678901234567", "brn.sequential"),
        (20105914726301458, "brn.type"),
    ],
)
def test_normalize_brn_rejects(raw: object, code: str) -> None:
    with pytest.raises(NormalizationError) as exc:
        normalize_brn(raw, today=TODAY)  # type: ignore[arg-type]
    assert (exc.value.field, exc.value.code, exc.value.value) == ("brn", code, raw)
