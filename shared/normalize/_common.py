"""Helpers shared by the identifier, phone and date normalisers (internal)."""

from __future__ import annotations

import re
from datetime import date

from shared.normalize.text import strip_invisible
from shared.text.digits import to_ascii_digits

# Separators people put inside identifiers: whitespace of any kind (incl. no-break space)
# and ASCII/Unicode dashes.
ID_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
# Phone numbers are also written with dots and parentheses ("(017) 1234-5678"). Not slashes
# nor commas: "01711-111111/01811-222222" is two numbers, which must be rejected, not glued.
PHONE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.()]+")

MIN_BIRTH_YEAR = 1900


def digits_only(raw: str, separators: re.Pattern[str] = ID_SEPARATORS) -> str:
    """Bangla digits → ASCII, invisible characters and separators removed.

    What is left is either a digit string or something the caller rejects as "not digits".
    """
    return separators.sub("", to_ascii_digits(strip_invisible(raw)))


def is_ascii_digits(s: str) -> bool:
    # str.isdigit() is also true for other scripts' digits and for superscripts; only 0-9
    # may reach storage.
    return s.isascii() and s.isdigit()


def today_or(today: date | None) -> date:
    # The clock is read only when the caller did not pass ``today``: tests and batch
    # re-runs pass a fixed date so that the result never depends on when it runs.
    return today if today is not None else date.today()
