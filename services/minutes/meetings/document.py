"""The official document (PDF or DOCX) of a stored meeting, for the API and `minutes export`."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.minutes.documents.from_meeting import meeting_document
from services.minutes.documents.model import MinutesDocument
from services.minutes.drafts.models import Draft
from services.minutes.meetings.schemas import MeetingRead
from services.minutes.meetings.service import get_meeting
from services.minutes.offices.models import Office


class DocumentFormat(StrEnum):
    pdf = "pdf"
    docx = "docx"


MEDIA_TYPES = {
    DocumentFormat.pdf: "application/pdf",
    DocumentFormat.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


async def load_meeting_document(session: AsyncSession, meeting_id: uuid.UUID) -> tuple[MeetingRead, MinutesDocument]:
    """The meeting (MeetingNotFound when there is none) and its document."""
    meeting = await get_meeting(session, meeting_id=meeting_id)
    draft_fields = None
    if meeting.draft_id is not None:
        draft_fields = await session.scalar(select(Draft.fields).where(Draft.id == meeting.draft_id))
    office_name = await session.scalar(select(Office.name_bn).where(Office.code == meeting.recorded_by_office))
    return meeting, meeting_document(meeting, draft_fields=draft_fields, office_name=office_name)


def render_document(document: MinutesDocument, output_format: DocumentFormat) -> bytes:
    """CPU-bound (HarfBuzz shaping for the PDF): call it off the event loop."""
    # Imported here so the service does not load fpdf2/python-docx until a document is asked for.
    if output_format is DocumentFormat.pdf:
        from services.minutes.documents.render_pdf import render_pdf

        return render_pdf(document)
    from services.minutes.documents.render_docx import render_docx

    return render_docx(document)


def document_filename(meeting: MeetingRead, output_format: DocumentFormat) -> str:
    """ASCII, so every client reads the Content-Disposition header alike."""
    return f"minutes-{meeting.held_on.isoformat()}-{str(meeting.id)[:8]}.{output_format.value}"
