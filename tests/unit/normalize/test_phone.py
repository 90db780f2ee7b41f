"""Bangladeshi mobile numbers → +8801XXXXXXXXX."""

import pytest

from shared.normalize import PHONE_PATTERN, NormalizationError, normalize_phone

EXPECTED = "+8801711123456"


@pytest.mark.parametrize(
    "raw",
    [
        "01711123456",
        "01711-123456",
        "0171-1123456",
        " 01711 123 456 ",
        "01711\u00a0123456",
        "+8801711123456",
        "+880 1711-123456",
        "+88 01711 123456",  # +88 then the national number with its 0
        "+880 (0)1711-123456",
        "8801711123456",
        "88 01711123456",
        "008801711123456",
        "00880 1711 123456",
        "1711123456",  # national number without the trunk 0
        "(017) 1112-3456",
        "017.1112.3456",
        "০১৭১১১২৩৪৫৬",  # Bangla digits
        "০১৭১১-১২৩৪৫৬",
        "+৮৮০ ১৭১১ ১২৩৪৫৬",
        "\u200e+880\u20111711123456",  # LRM and a non-breaking hyphen from a phone's contact card
    ],
)
def test_normalize_phone_formats(raw: str) -> None:
    assert normalize_phone(raw) == EXPECTED


@pytest.mark.parametrize("operator", ["13", "14", "15", "16", "17", "18", "19"])
def test_every_mobile_operator_prefix(operator: str) -> None:
    assert normalize_phone(f"0{operator}12345678") == f"+880{operator}12345678"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "phone.empty"),
        ("  -  ", "phone.empty"),
        ("029123456", "phone.not_mobile"),  # Dhaka landline
        ("02-9123456", "phone.not_mobile"),
        ("+880 2 9123456", "phone.not_mobile"),
        ("031-716234", "phone.not_mobile"),  # Chattogram landline
        ("0171112345", "phone.length"),  # 10 digits with the 0
        ("017111234567", "phone.length"),  # 12 digits
        ("+88017111234", "phone.length"),
        ("171112345", "phone.length"),
        ("01112345678", "phone.operator"),
        ("01212345678", "phone.operator"),
        ("01012345678", "phone.operator"),
        ("+91 98765 43210", "phone.country_code"),  # India
        ("0091 98765 43210", "phone.country_code"),
        ("01711-123456/01811-234567", "phone.not_digits"),  # two numbers in one field
        ("01711123456 ext 2", "phone.not_digits"),
        ("0171112345O", "phone.not_digits"),  # letter O for zero
        ("017+11123456", "phone.not_digits"),
        ("n/a", "phone.not_digits"),
        (1711123456, "phone.type"),
    ],
)
def test_normalize_phone_rejects(raw: object, code: str) -> None:
    with pytest.raises(NormalizationError) as exc:
        normalize_phone(raw)  # type: ignore[arg-type]
    assert (exc.value.field, exc.value.code, exc.value.value) == ("phone", code, raw)


def test_phone_errors_carry_the_callers_field() -> None:
    with pytest.raises(NormalizationError) as exc:
        normalize_phone("029123456", field="nominee_phone")
    assert exc.value.field == "nominee_phone"


def test_phone_pattern_is_the_documented_one() -> None:
    assert PHONE_PATTERN.pattern == r"^\+8801[3-9]\d{8}$"
