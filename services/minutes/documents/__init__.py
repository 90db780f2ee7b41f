"""Minutes as documents: read a scanned minutes text into a draft, issue a meeting as PDF or DOCX.

Pure modules, no database: `parser.parse_minutes` (text -> `MinutesDraft`), `render_pdf.render_pdf`
and `render_docx.render_docx` (`MinutesDocument` -> bytes). See docs/minutes-documents.md.
"""

from services.minutes.documents.model import (
    Deadline,
    DecisionEntry,
    DiscussionSection,
    DocumentIncomplete,
    Issue,
    MinutesDocument,
    MinutesDraft,
    SourceRef,
)
from services.minutes.documents.parser import MinutesTextError, decode_minutes_text, parse_minutes

__all__ = [
    "Deadline",
    "DecisionEntry",
    "DiscussionSection",
    "DocumentIncomplete",
    "Issue",
    "MinutesDocument",
    "MinutesDraft",
    "MinutesTextError",
    "SourceRef",
    "decode_minutes_text",
    "parse_minutes",
]
