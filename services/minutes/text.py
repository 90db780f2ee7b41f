"""Text as the minutes service stores it: Bangla always NFC, surrounding whitespace stripped."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


NfcText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_nfc)]
"""Non-empty text, NFC (so ো typed as ে + া is stored as one character)."""

OptionalNfcText = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_nfc)]
"""Text that may be empty, NFC."""

def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


# Upper-cased before the pattern is checked (StringConstraints checks the pattern first).
OfficeCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,31}$"), BeforeValidator(_upper)]
"""An office code such as MOSW or CABINET; "mosw" is accepted as MOSW."""
