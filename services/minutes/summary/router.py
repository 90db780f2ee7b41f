from fastapi import APIRouter

from services.minutes.access import CurrentOffice
from services.minutes.summary import service
from services.minutes.summary.schemas import FollowUpSummary
from shared.db import DbSession

router = APIRouter(prefix="/summary", tags=["summary"])


@router.get("", response_model=FollowUpSummary,
            summary="Action items by status per office and per committee (counts only), for dashboards")
async def follow_up_summary(caller: CurrentOffice, session: DbSession) -> FollowUpSummary:
    return await service.follow_up_summary(session)
