import uuid

from fastapi import APIRouter, Response, status

from services.registry.beneficiaries import service
from services.registry.beneficiaries.schemas import BeneficiaryCreate, BeneficiaryRead
from shared.db import DbSession

router = APIRouter(prefix="/beneficiaries", tags=["beneficiaries"])


@router.post("", response_model=BeneficiaryRead, status_code=status.HTTP_201_CREATED,
             summary="Submit a beneficiary record (created, or updated if the source record id is known)")
async def submit_beneficiary(record: BeneficiaryCreate, session: DbSession, response: Response) -> BeneficiaryRead:
    stored, created = await service.upsert_beneficiary(session, record=record)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"beneficiaries/{stored.id}"
    return stored


@router.get("/{beneficiary_id}", response_model=BeneficiaryRead, summary="Read one beneficiary record")
async def read_beneficiary(beneficiary_id: uuid.UUID, session: DbSession) -> BeneficiaryRead:
    return await service.get_beneficiary(session, beneficiary_id=beneficiary_id)
