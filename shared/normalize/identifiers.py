"""National ID (NID) and birth registration number (BRN).

Bangladesh has issued three NID formats: 13 digits (paper laminated cards, from 2008),
17 digits (the 13-digit number prefixed with the 4-digit birth year) and 10 digits (smart
cards, from 2016, a separate number space). Ministries hold all three, often the 13- and
17-digit forms of the same person, so :class:`Nid` carries a ``comparable`` form that makes
those two equal. No check digit is published, so beyond length, digits, placeholder values
and the embedded birth year, nothing can be validated offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, cast

from shared.normalize._common import MIN_BIRTH_YEAR, digits_only, is_ascii_digits, today_or
from shared.normalize.errors import NormalizationError, require_str

__all__ = ["Nid", "nid_birth_year", "normalize_brn", "normalize_nid"]

NID_LENGTHS = (10, 13, 17)
BRN_LENGTH = 17
_SEQUENTIAL = "01234567890123456789"


@dataclass(frozen=True, slots=True)
class Nid:
    """A normalised NID.

    Attributes:
        raw: the input exactly as received.
        normalized: ASCII digits only (10, 13 or 17 of them); the form to store.
        length: 10, 13 or 17.
        comparable: the form to compare or index on. For a 17-digit NID, its last 13 digits
            (the 17-digit NID is birth year + 13-digit NID); for a 13-digit NID, itself. A
            10-digit smart-card NID is its own number space and is its own comparable form;
            it cannot collide with the others because its length differs.
    """

    raw: str
    normalized: str
    length: Literal[10, 13, 17]
    comparable: str

    @property
    def birth_year(self) -> int | None:
        """Birth year embedded in a 17-digit NID, else None."""
        return int(self.normalized[:4]) if self.length == 17 else None


def _error(field: str, raw: str, code: str, reason: str) -> NormalizationError:
    return NormalizationError(field=field, value=raw, code=code, reason=reason)


def _check_digits(digits: str, raw: str, *, field: str, kind: str, label: str) -> None:
    if not digits:
        raise _error(field, raw, f"{kind}.empty", f"the {label} is empty")
    if not is_ascii_digits(digits):
        raise _error(field, raw, f"{kind}.not_digits",
                     f"the {label} may contain only digits, spaces and dashes")


def _check_placeholder(digits: str, raw: str, *, field: str, kind: str, label: str) -> None:
    # Forms with a mandatory ID field collect "0000000000000" and "1234567890" from people
    # who have no ID or did not want to give it; accepting them would merge strangers.
    if len(set(digits)) == 1:
        raise _error(field, raw, f"{kind}.repeated_digit",
                     f"the {label} is one digit repeated, a placeholder rather than a real number")
    if digits in _SEQUENTIAL or digits in _SEQUENTIAL[::-1]:
        raise _error(field, raw, f"{kind}.sequential",
                     f"the {label} is a run of consecutive digits, a placeholder rather than a real number")


def _check_birth_year(year: int, raw: str, *, field: str, kind: str, label: str, today: date) -> None:
    if not MIN_BIRTH_YEAR <= year <= today.year:
        raise _error(field, raw, f"{kind}.birth_year",
                     f"a 17-digit {label} starts with the birth year, and {year} is not between "
                     f"{MIN_BIRTH_YEAR} and {today.year}")


def normalize_nid(raw: str, *, field: str = "nid", today: date | None = None) -> Nid:
    """Parse an NID written with ASCII or Bangla digits, spaces and dashes.

    Error codes (``field`` is the caller's field name, default ``"nid"``): ``nid.type``,
    ``nid.empty``, ``nid.not_digits``, ``nid.length`` (not 10, 13 or 17 digits),
    ``nid.repeated_digit`` and ``nid.sequential`` (placeholders, also checked on the
    13-digit part of a 17-digit NID), ``nid.birth_year`` (17-digit NID whose first four
    digits are not a year from 1900 to ``today``'s year).
    """
    require_str(raw, field=field, kind="nid")
    digits = digits_only(raw)
    _check_digits(digits, raw, field=field, kind="nid", label="NID")
    if len(digits) not in NID_LENGTHS:
        raise _error(field, raw, "nid.length",
                     f"an NID has 10, 13 or 17 digits, this one has {len(digits)}")
    comparable = digits[4:] if len(digits) == 17 else digits
    _check_placeholder(digits, raw, field=field, kind="nid", label="NID")
    _check_placeholder(comparable, raw, field=field, kind="nid", label="NID")
    if len(digits) == 17:
        _check_birth_year(int(digits[:4]), raw, field=field, kind="nid", label="NID",
                          today=today_or(today))
    length = cast(Literal[10, 13, 17], len(digits))
    return Nid(raw=raw, normalized=digits, length=length, comparable=comparable)


def nid_birth_year(nid: Nid | str, *, field: str = "nid", today: date | None = None) -> int | None:
    """Birth year embedded in a 17-digit NID; None for 10- and 13-digit NIDs (they carry none).

    Accepts a :class:`Nid` or raw text (normalised with :func:`normalize_nid`, so the same
    errors apply).
    """
    if not isinstance(nid, Nid):
        nid = normalize_nid(nid, field=field, today=today)
    return nid.birth_year


def normalize_brn(raw: str, *, field: str = "brn", today: date | None = None) -> str:
    """Normalise a 17-digit birth registration number to ASCII digits.

    Accepts Bangla digits, spaces and dashes. The first four digits are the birth year and
    must be between 1900 and ``today``'s year. Error codes: ``brn.type``, ``brn.empty``,
    ``brn.not_digits``, ``brn.length``, ``brn.repeated_digit``, ``brn.sequential``,
    ``brn.birth_year``.
    """
    require_str(raw, field=field, kind="brn")
    digits = digits_only(raw)
    _check_digits(digits, raw, field=field, kind="brn", label="birth registration number")
    if len(digits) != BRN_LENGTH:
        raise _error(field, raw, "brn.length",
                     f"a birth registration number has 17 digits, this one has {len(digits)}")
    _check_placeholder(digits, raw, field=field, kind="brn", label="birth registration number")
    _check_placeholder(digits[4:], raw, field=field, kind="brn", label="birth registration number")
    _check_birth_year(int(digits[:4]), raw, field=field, kind="brn", label="birth registration number",
                      today=today_or(today))
    return digits
