import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from services.minutes.access import CurrentOffice
from services.minutes.meetings.document import (
    MEDIA_TYPES,
    DocumentFormat,
    document_filename,
    load_meeting_document,
    render_document,
)
from shared.db import DbSession

router = APIRouter(prefix="/meetings", tags=["meetings"])


@router.get("/{meeting_id}/document", response_class=Response,
            summary="The meeting's official Bangla document (কার্যবিবরণী) as PDF or DOCX",
            responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()},
                             "description": "The document, as an attachment"}})
async def meeting_document(meeting_id: uuid.UUID, caller: CurrentOffice, session: DbSession,
                           output_format: Annotated[DocumentFormat, Query(alias="format")] = DocumentFormat.pdf
                           ) -> Response:
    meeting, document = await load_meeting_document(session, meeting_id)
    await session.close()  # rendering takes a while: give the connection back first
    content = await run_in_threadpool(render_document, document, output_format)
    return Response(content, media_type=MEDIA_TYPES[output_format], headers={
        "Content-Disposition": f'attachment; filename="{document_filename(meeting, output_format)}"'})
