import uuid

from fastapi import APIRouter, Response, status

from services.minutes.access import CurrentOffice
from services.minutes.committees import service
from services.minutes.committees.schemas import CommitteeCreate, CommitteePage, CommitteeRead
from shared.db import DbSession

router = APIRouter(prefix="/committees", tags=["committees"])


@router.post("", response_model=CommitteeRead, status_code=status.HTTP_201_CREATED,
             summary="Create a committee with its member offices (committee secretary)")
async def create_committee(committee: CommitteeCreate, caller: CurrentOffice, session: DbSession,
                           response: Response) -> CommitteeRead:
    created = await service.create_committee(session, committee=committee, caller=caller)
    response.headers["Location"] = f"committees/{created.id}"
    return created


@router.get("", response_model=CommitteePage, summary="All committees")
async def list_committees(caller: CurrentOffice, session: DbSession) -> CommitteePage:
    return await service.list_committees(session)


@router.get("/{committee_id}", response_model=CommitteeRead, summary="One committee")
async def read_committee(committee_id: uuid.UUID, caller: CurrentOffice,
                         session: DbSession) -> CommitteeRead:
    return await service.get_committee(session, committee_id=committee_id)
