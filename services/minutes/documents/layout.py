"""What goes on the page, in order, decided once for both renderers.

The PDF and the DOCX must say the same thing; only how they draw it differs. This module turns a
`MinutesDocument` into the strings of the official layout (as in the circulated seeds): heading,
subject, the chair/date/time/venue/attendance table, sections numbered ০১।, ০২। ..., the decisions
with their labels, the signature, the memo number with the date in both calendars, and the
distribution and copies lists.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import time

from services.minutes.bangla_calendar import format_gregorian_bn, to_bangla
from services.minutes.documents.model import MinutesDocument
from shared.text.digits import to_bangla_digits

__all__ = ["Layout", "Numbered", "layout_document"]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


DEFAULT_DECISIONS_INTRO = _nfc("অতঃপর বিস্তারিত আলোচনান্তে নিম্নোক্ত সিদ্ধান্তসমূহ গৃহীত হয়:")
DISTRIBUTION_TITLE = _nfc("বিতরণ (জ্যেষ্ঠতার ক্রমানুসারে নয়):")
COPIES_TITLE = _nfc("অনুলিপি (সদয় অবগতির জন্য):")


@dataclass(frozen=True, slots=True)
class Numbered:
    """A labelled paragraph: label as printed ("০১।", "(ক)", "১)") and its text (may hold '\n' lines)."""

    label: str
    text: str


@dataclass(slots=True)
class Layout:
    heading: list[str]
    subject: str
    table: list[tuple[str, str]]
    sections: list[Numbered]
    decisions_section: Numbered
    decisions: list[Numbered]
    closing: Numbered | None
    signature: list[str]
    memo_line: str | None
    date_lines: list[str]
    distribution: list[Numbered] = field(default_factory=list)
    copies: list[Numbered] = field(default_factory=list)
    circulated_by: list[str] = field(default_factory=list)

    @property
    def distribution_title(self) -> str:
        return DISTRIBUTION_TITLE

    @property
    def copies_title(self) -> str:
        return COPIES_TITLE


def _section_label(number: int) -> str:
    # Government minutes number paragraphs with two Bangla digits and a danda: ০১।, ০২। ... ১২।
    return f"{to_bangla_digits(f'{number:02d}')}।"


def format_time_bn(value: time) -> str:
    """E.g. time(15, 0) -> "বেলা ৩:০০ ঘটিকা", the way the minutes write a meeting's time."""
    hour = value.hour
    if hour < 12:
        period = "সকাল"
    elif hour < 15:
        period = "দুপুর"
    elif hour < 17:
        period = "বেলা"
    elif hour < 19:
        period = "বিকাল"
    else:
        period = "সন্ধ্যা" if hour < 20 else "রাত"
    twelve = hour % 12 or 12
    return _nfc(f"{period} {to_bangla_digits(f'{twelve}:{value.minute:02d}')} ঘটিকা")


def layout_document(doc: MinutesDocument) -> Layout:
    """The page's strings, in reading order."""
    chair = doc.chair_name if not doc.chair_designation else f"{doc.chair_name}, {doc.chair_designation}"
    table = [(_nfc("সভাপতি"), chair), (_nfc("সভার তারিখ"), format_gregorian_bn(doc.held_on))]
    time_text = doc.time_text or (format_time_bn(doc.starts_at) if doc.starts_at else None)
    if time_text:
        table.append((_nfc("সভার সময়"), time_text))
    if doc.venue:
        table.append((_nfc("স্থান"), doc.venue))
    if doc.attendance_note:
        table.append((_nfc("উপস্থিতি"), doc.attendance_note))

    sections = [Numbered(_section_label(i), s.text) for i, s in enumerate(doc.discussion, start=1)]
    number = len(sections) + 1
    decisions_section = Numbered(_section_label(number), doc.decisions_intro or DEFAULT_DECISIONS_INTRO)
    decisions = []
    for position, decision in enumerate(doc.decisions):
        # Items of a list end with ';' and the last with '।', as the circulated minutes write them.
        last = position == len(doc.decisions) - 1
        text = decision.text if decision.text.endswith(("।", ".", "?")) else decision.text + ("।" if last else ";")
        decisions.append(Numbered(f"({decision.label})", text))
    closing = Numbered(_section_label(number + 1), doc.closing) if doc.closing else None

    signature = [line for line in (doc.signed_by_name, doc.signed_by_designation) if line]
    memo_line = _nfc(f"স্মারক নম্বর: {doc.memo_number}") if doc.memo_number else None
    date_lines: list[str] = []
    if doc.issued_on is not None:
        # Both calendars computed from the one stored date, so the printed pair always agrees.
        date_lines = [_nfc(f"তারিখ: {to_bangla(doc.issued_on).format(suffix=True)}"),
                      format_gregorian_bn(doc.issued_on)]
    return Layout(
        heading=[doc.government, *doc.office_lines],
        subject=doc.subject,
        table=table,
        sections=sections,
        decisions_section=decisions_section,
        decisions=decisions,
        closing=closing,
        signature=signature,
        memo_line=memo_line,
        date_lines=date_lines,
        distribution=[Numbered(f"{to_bangla_digits(i)})", r) for i, r in enumerate(doc.distribution, start=1)],
        copies=[Numbered(f"{to_bangla_digits(i)})", r) for i, r in enumerate(doc.copies, start=1)],
        circulated_by=[line for line in (doc.circulated_by_name, doc.circulated_by_designation) if line],
    )
