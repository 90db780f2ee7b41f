import uuid

from fastapi import APIRouter, Response, status

from services.registry.access import Caller, OptionalMinistry
from services.registry.beneficiaries import service
from services.registry.beneficiaries.schemas import BeneficiaryCreate, BeneficiaryRead
from shared.db import DbSession
from shared.errors import Unauthenticated
from shared.settings import Settings

router = APIRouter(prefix="/beneficiaries", tags=["beneficiaries"])

_NO_CALLER = "name the calling ministry in the X-Ministry-Code header"


@router.post("", response_model=BeneficiaryRead, status_code=status.HTTP_201_CREATED,
             summary="Submit a ministry record: person + enrolment (created, or updated if the source record id "
                     "is known)")
async def submit_beneficiary(record: BeneficiaryCreate, session: DbSession, settings: Settings,
                             caller: OptionalMinistry, response: Response) -> BeneficiaryRead:
    if caller is None:
        # The walking skeleton's clients send no header; while headers are trusted anyway, the
        # record's own ministry_code names the caller. X-Ministry-Code, when sent, must agree.
        if not settings.trust_ministry_header:
            raise Unauthenticated(_NO_CALLER, loc=["header", "x-ministry-code"])
        caller = Caller(ministry_code=record.ministry_code)
    stored, created = await service.upsert_beneficiary(session, caller=caller, record=record)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"beneficiaries/{stored.id}"
    return stored


@router.get("/{beneficiary_id}", response_model=BeneficiaryRead,
            summary="Read one ministry record (the submitting ministry only)")
async def read_beneficiary(beneficiary_id: uuid.UUID, session: DbSession, caller: OptionalMinistry) -> BeneficiaryRead:
    enrolment = await service.find_record(session, beneficiary_id=beneficiary_id)
    if caller is None:
        raise Unauthenticated(_NO_CALLER, loc=["header", "x-ministry-code"])
    return await service.read_beneficiary(session, caller=caller, enrolment=enrolment)
