import uuid
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, File, Response, UploadFile, status

from services.minutes.access import CurrentOffice
from services.minutes.drafts import service
from services.minutes.drafts.schemas import DraftConfirm, DraftConfirmed, DraftPatch, DraftRead
from shared.db import DbSession

router = APIRouter(prefix="/drafts", tags=["drafts"])


def _filename(name: str | None) -> str:
    """The uploaded file's own name, without any directory a client sent along."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name.strip()
    return base or "minutes.txt"


def content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@router.post("", response_model=DraftRead, status_code=status.HTTP_201_CREATED,
             summary="Upload a minutes text (UTF-8, as from OCR): the draft the parser read, with its unsure "
                     "fields and issues (committee secretary)")
async def upload_minutes(file: Annotated[UploadFile, File(description="The minutes as a text file")],
                         caller: CurrentOffice, session: DbSession, response: Response) -> DraftRead:
    content = await file.read(service.MAX_SOURCE_BYTES + 1)
    created = await service.create_draft(session, filename=_filename(file.filename),
                                         media_type=file.content_type or "text/plain", content=content, caller=caller)
    response.headers["Location"] = f"drafts/{created.id}"
    return created


@router.get("/{draft_id}", response_model=DraftRead, summary="A draft: fields, unsure fields, issues, source")
async def read_draft(draft_id: uuid.UUID, caller: CurrentOffice, session: DbSession) -> DraftRead:
    return await service.get_draft(session, draft_id=draft_id)


@router.get("/{draft_id}/source", response_class=Response, summary="The uploaded file the draft was read from",
            responses={200: {"content": {"text/plain": {}}, "description": "The file, byte for byte"}})
async def read_source(draft_id: uuid.UUID, caller: CurrentOffice, session: DbSession) -> Response:
    filename, media_type, content = await service.get_source(session, draft_id=draft_id)
    # Served as text whatever the client declared at upload: it was read as text, and is never run.
    served = media_type if media_type.startswith("text/") else "text/plain"
    return Response(content, media_type=served, headers={"Content-Disposition": content_disposition(filename),
                                                          "X-Content-Type-Options": "nosniff"})


@router.patch("/{draft_id}", response_model=DraftRead,
              summary="Correct a draft's fields; corrected (or `checked`) fields are no longer unsure "
                      "(committee secretary)")
async def correct_draft(draft_id: uuid.UUID, patch: DraftPatch, caller: CurrentOffice,
                        session: DbSession) -> DraftRead:
    return await service.correct_draft(session, draft_id=draft_id, patch=patch, caller=caller)


@router.post("/{draft_id}/confirm", response_model=DraftConfirmed, status_code=status.HTTP_201_CREATED,
             summary="Confirm a draft: record its meeting with decisions, distribution and copies "
                     "(committee secretary)")
async def confirm_draft(draft_id: uuid.UUID, caller: CurrentOffice, session: DbSession, response: Response,
                        confirm: Annotated[DraftConfirm | None, Body()] = None) -> DraftConfirmed:
    confirmed = await service.confirm_draft(session, draft_id=draft_id, confirm=confirm or DraftConfirm(),
                                            caller=caller)
    response.headers["Location"] = f"meetings/{confirmed.meeting.id}"
    return confirmed
