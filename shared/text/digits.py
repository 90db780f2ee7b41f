"""Bangla ↔ ASCII digits.

Ministry systems store identifiers and dates with Bangla digits (০-৯), ASCII digits or a mix;
comparison and storage need one form, display to Bangla readers needs the other.
"""

BANGLA_DIGITS = "০১২৩৪৫৬৭৮৯"
_TO_ASCII = str.maketrans(BANGLA_DIGITS, "0123456789")
_TO_BANGLA = str.maketrans("0123456789", BANGLA_DIGITS)


def to_ascii_digits(text: str) -> str:
    """Replace every Bangla digit with its ASCII digit; other characters are kept."""
    return text.translate(_TO_ASCII)


def to_bangla_digits(text: str | int) -> str:
    """Replace every ASCII digit with its Bangla digit; other characters are kept."""
    return str(text).translate(_TO_BANGLA)
