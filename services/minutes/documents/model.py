"""What a minutes document holds, as plain typed objects.

Two shapes, on purpose:

* `MinutesDraft` is what the parser makes of a text that came from OCR: every field may be missing,
  each field it was unsure of is named in `unsure` (with the reason a secretary needs to check it),
  and inconsistencies it noticed are listed in `issues`. It keeps a link to its source file.
* `MinutesDocument` is what the renderers take: a confirmed meeting whose required fields are there.
  A draft becomes one with `MinutesDraft.to_document()`; a database meeting will become one the same
  way (its fields are named like `MeetingCreate`'s so that mapping stays a one-liner per field).

Text is NFC everywhere (see services/minutes/text.py): a Bangla string compares equal to itself
only in one normal form, and the PDF round-trip test compares exactly.
"""

from __future__ import annotations

import unicodedata
from datetime import date, time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "GOVERNMENT_HEADING",
    "Deadline",
    "DecisionEntry",
    "DiscussionSection",
    "DocumentIncomplete",
    "Issue",
    "MinutesDocument",
    "MinutesDraft",
    "SourceRef",
]

GOVERNMENT_HEADING = unicodedata.normalize("NFC", "গণপ্রজাতন্ত্রী বাংলাদেশ সরকার")


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


Text = Annotated[str, AfterValidator(_nfc)]


class DocumentIncomplete(ValueError):
    """A draft lacks a field a document cannot be issued without."""


class Deadline(BaseModel):
    """A deadline found in a decision's text."""

    model_config = ConfigDict(frozen=True)

    due_on: date
    kind: Literal["date", "end_of_month"] = Field(
        description="'date' when a day was written; 'end_of_month' for 'ডিসেম্বর মাসের মধ্যে'")
    text: Text = Field(description="The words it was read from, as written")


class DecisionEntry(BaseModel):
    label: Text = Field(description="As written: ক, খ, গ ... (or ১, ২ ... in other layouts)")
    text: Text = Field(description="The decision as the minutes word it (list separator ';' dropped)")
    deadlines: list[Deadline] = Field(default_factory=list)
    responsible_offices: list[Text] = Field(
        default_factory=list, description="Offices the decision names, in the nominative (বিভাগে -> বিভাগ)")
    unsure: dict[str, str] = Field(default_factory=dict, description="field -> why the parser was unsure")


class DiscussionSection(BaseModel):
    label: Text | None = Field(default=None, description="As written (০২, ২.১); None when unnumbered")
    text: Text = Field(description="Paragraph text; list items inside a paragraph are kept on their own lines")


class Issue(BaseModel):
    """An inconsistency a person must resolve before the minutes are issued."""

    code: str = Field(description="Stable, for clients to switch on: date_pair_mismatch, issued_before_meeting, ...")
    fields: list[str]
    message: str


class SourceRef(BaseModel):
    """Where a draft came from, so a stored draft can point back to the scanned text."""

    path: str
    sha256: str
    size_bytes: int


class _MinutesFields(BaseModel):
    """Fields common to a draft and a document; optional here, required ones checked by `to_document`."""

    government: Text = GOVERNMENT_HEADING
    office_lines: list[Text] = Field(
        default_factory=list, description="Ministry / division / branch / address lines under the heading")
    subject: Text | None = None
    chair_name: Text | None = None
    chair_designation: Text | None = None
    held_on: date | None = None
    starts_at: time | None = None
    time_text: Text | None = Field(default=None, description="The time as written: বেলা ৩:০০ ঘটিকা")
    venue: Text | None = None
    attendance_note: Text | None = Field(default=None, description="E.g. পরিশিষ্ট-ক")
    discussion: list[DiscussionSection] = Field(default_factory=list)
    offices_named: list[Text] = Field(
        default_factory=list, description="Offices listed in the discussion (e.g. a cluster's member ministries)")
    decisions_intro: Text | None = Field(default=None, description="অতঃপর ... সিদ্ধান্তসমূহ গৃহীত হয়")
    decisions: list[DecisionEntry] = Field(default_factory=list)
    closing: Text | None = None
    signed_by_name: Text | None = None
    signed_by_designation: Text | None = None
    memo_number: Text | None = Field(default=None, description="As written, without the স্মারক নম্বর/নং label")
    issued_on: date | None = Field(default=None, description="Issue date (Gregorian); from the Bangla date when "
                                                           "the two written dates disagree")
    issued_on_bangla_text: Text | None = Field(default=None, description="The Bangla date as written")
    issued_on_gregorian_text: Text | None = Field(default=None, description="The Gregorian date as written")
    distribution: list[Text] = Field(default_factory=list, description="বিতরণ, in order")
    copies: list[Text] = Field(default_factory=list, description="অনুলিপি, in order")
    circulated_by_name: Text | None = None
    circulated_by_designation: Text | None = None


class MinutesDocument(_MinutesFields):
    """A confirmed meeting, ready to render. The renderers rely on subject, chair and date being set."""

    subject: Text
    chair_name: Text
    held_on: date


class MinutesDraft(_MinutesFields):
    """What the parser read, with what it was unsure of and what does not add up."""

    unsure: dict[str, str] = Field(default_factory=dict, description="field -> why the parser was unsure")
    issues: list[Issue] = Field(default_factory=list)
    source: SourceRef | None = None

    def to_document(self) -> MinutesDocument:
        """The document to render; raises DocumentIncomplete naming every missing required field."""
        missing = [name for name in ("subject", "chair_name", "held_on") if getattr(self, name) in (None, "")]
        if missing:
            raise DocumentIncomplete(f"the draft has no {', '.join(missing)}: fill them in before rendering")
        data = self.model_dump(exclude={"unsure", "issues", "source"})
        return MinutesDocument.model_validate(data)
