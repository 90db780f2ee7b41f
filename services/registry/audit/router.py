from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.registry.access import CurrentAuditor
from services.registry.audit import service
from services.registry.audit.schemas import AuditPage
from services.registry.pagination import Limit
from shared.db import DbSession

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=AuditPage,
            summary="The audit log: every read of personal data and every change (auditor role only)")
async def list_audit_entries(
    session: DbSession, _auditor: CurrentAuditor,
    ministry: Annotated[str | None, Query(description="Acting ministry")] = None,
    action: Annotated[str | None, Query(description="read, read.denied, create, update, deactivate, ...")] = None,
    entity_type: Annotated[str | None, Query(description="person, household, enrolment, ...")] = None,
    entity_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
    cursor: Annotated[int | None, Query(ge=0, description="`next_cursor` of the previous page")] = None,
    limit: Limit = 100,
) -> AuditPage:
    return await service.list_entries(session, actor_ministry=ministry.upper() if ministry else None, action=action,
                                      entity_type=entity_type, entity_id=entity_id, since=since, until=until,
                                      after_id=cursor, limit=limit)
