import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.matching.access import OptionalCaller
from services.matching.records import service
from services.matching.records.schemas import SourceRecordPage, SourceRecordRead
from shared.db import DbSession

router = APIRouter(prefix="/records", tags=["records"])


@router.get("/{record_id}", response_model=SourceRecordRead,
            summary="A registry record as the matching service received it (its personal data for its own "
                    "ministry, reviewers and auditors)")
async def read_record(record_id: uuid.UUID, session: DbSession, caller: OptionalCaller) -> SourceRecordRead:
    return await service.get_record(session, record_id=record_id, caller=caller)


@router.get("", response_model=SourceRecordPage, summary="Records received from the registry, newest first")
async def list_records(session: DbSession, caller: OptionalCaller, ministry_code: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 50,
                       offset: Annotated[int, Query(ge=0)] = 0) -> SourceRecordPage:
    return await service.list_records(session, ministry_code=ministry_code, limit=limit, offset=offset, caller=caller)
