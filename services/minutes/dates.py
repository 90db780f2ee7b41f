"""Dates as the minutes write them: stored Gregorian, shown in both calendars.

`bangla_date_text` is the `_bn` rendering every Read schema carries beside a date; `WrittenDate`
is an input type that takes an ISO date or a date as a secretary types it from the minutes
("৩১ অক্টোবর ২০২১ খ্রি:", "31 October 2021").
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator

from services.minutes.bangla_calendar import parse_gregorian_text, to_bangla


def bangla_date_text(value: date | None) -> str | None:
    """E.g. date(2021, 11, 4) -> "১৯ কার্তিক ১৪২৮" (Bangla calendar, Bangla digits, NFC)."""
    return None if value is None else to_bangla(value).format()


def _parse_written_date(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            return parse_gregorian_text(text)  # ValueError becomes a 422 naming the field
    return value


WrittenDate = Annotated[date, BeforeValidator(_parse_written_date)]
