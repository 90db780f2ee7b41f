"""Bangladeshi mobile numbers, normalised to E.164: ``+8801XXXXXXXXX``.

A mobile number is the country code 880 and a 10-digit national number ``1[3-9]XXXXXXXX``;
written nationally it carries a trunk ``0`` (``01711234567``). Operator prefixes in use:
013 and 017 Grameenphone, 014 and 019 Banglalink, 015 Teletalk, 016 and 018 Robi/Airtel.
Only mobiles are accepted: the registry uses phones for SMS and mobile financial services
(bKash, Nagad, Rocket), which a landline cannot receive.
"""

from __future__ import annotations

import re

from shared.normalize._common import PHONE_SEPARATORS, digits_only, is_ascii_digits
from shared.normalize.errors import NormalizationError, require_str

__all__ = ["PHONE_PATTERN", "normalize_phone"]

PHONE_PATTERN = re.compile(r"^\+8801[3-9]\d{8}$")
COUNTRY_CODE = "880"
MOBILE_OPERATOR_DIGITS = frozenset("3456789")


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """Normalise a Bangladeshi mobile number to ``+8801XXXXXXXXX`` (13 characters).

    Accepted prefixes: ``+880``, ``880``, ``00880``, ``0`` and none (``1XXXXXXXXX``), also
    ``+880 (0)1…`` where the trunk 0 is kept after the country code. ASCII or Bangla digits;
    spaces, dashes, dots and parentheses are ignored.

    Error codes: ``phone.type``, ``phone.empty``, ``phone.not_digits`` (letters, slashes, a
    ``+`` anywhere but first…), ``phone.country_code`` (an international number of another
    country), ``phone.not_mobile`` (a landline such as 02-… Dhaka or 031-… Chattogram),
    ``phone.length`` (a mobile number with too few or too many digits),
    ``phone.operator`` (010, 011, 012: not an allocated mobile operator prefix).
    """
    require_str(raw, field=field, kind="phone")
    compact = digits_only(raw, PHONE_SEPARATORS)
    if not compact:
        raise NormalizationError(field=field, value=raw, code="phone.empty",
                                 reason="the phone number is empty")
    international = compact.startswith("+")
    digits = compact[1:] if international else compact
    if not is_ascii_digits(digits):
        raise NormalizationError(
            field=field, value=raw, code="phone.not_digits",
            reason="a phone number may contain only digits, a leading +, spaces, dashes, dots "
                   "and parentheses")

    if digits.startswith("00"):
        # 00 is the international call prefix, the same as a leading +.
        international, digits = True, digits[2:]
    if international or digits.startswith(COUNTRY_CODE):
        # Without + or 00, a leading 880 is still the country code: a national number
        # starts with 0 or 1, never with 8.
        if not digits.startswith(COUNTRY_CODE):
            raise NormalizationError(field=field, value=raw, code="phone.country_code",
                                     reason="only Bangladeshi numbers (country code +880) are accepted")
        digits = digits[len(COUNTRY_CODE):]
    national = digits[1:] if digits.startswith("0") else digits

    if not national.startswith("1"):
        raise NormalizationError(field=field, value=raw, code="phone.not_mobile",
                                 reason="this is not a mobile number (Bangladeshi mobiles start with 01)")
    if len(national) != 10:
        raise NormalizationError(
            field=field, value=raw, code="phone.length",
            reason=f"a mobile number has 10 digits after +880 (11 with the leading 0), "
                   f"this one has {len(national)}")
    if national[1] not in MOBILE_OPERATOR_DIGITS:
        raise NormalizationError(field=field, value=raw, code="phone.operator",
                                 reason=f"01{national[1]} is not a mobile operator prefix (013 to 019)")
    return f"+{COUNTRY_CODE}{national}"
