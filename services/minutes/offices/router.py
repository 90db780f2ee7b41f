from fastapi import APIRouter

from services.minutes.offices import service
from services.minutes.offices.schemas import OfficePage, OfficeRead
from shared.db import DbSession

router = APIRouter(prefix="/offices", tags=["offices"])


@router.get("", response_model=OfficePage, summary="The ministries and divisions known to the minutes service")
async def list_offices(session: DbSession) -> OfficePage:
    return await service.list_offices(session)


@router.get("/{code}", response_model=OfficeRead, summary="One office")
async def read_office(code: str, session: DbSession) -> OfficeRead:
    return await service.get_office(session, code=code.upper())
