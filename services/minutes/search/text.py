"""The one form that both searched text and queries are put in before they are compared.

Uses the project's Bangla normaliser (`shared.normalize.text.normalize_bangla_text`: NFC, nukta
letters in their NFC form, ZWNJ/ZWJ removed, legacy khanda-ta, ':' after a Bangla letter as
'ঃ', whitespace collapsed) and then case-folds, so "Printing" finds "printing".
"""

from __future__ import annotations

from shared.normalize.text import normalize_bangla_text


def searchable(text: str | None) -> str:
    return normalize_bangla_text(text or "").casefold()


def search_document(*parts: str | None) -> str:
    """The stored search text of a meeting or decision: its parts, normalised, one per line."""
    return "\n".join(searchable(p) for p in parts if p)
