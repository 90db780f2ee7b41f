"""Recording and querying the audit log. `record` stages rows in the caller's transaction, so
a change and its audit entry commit together; a read commits its entry before answering."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.access import Caller
from services.registry.audit.models import AuditEntry
from services.registry.audit.schemas import AuditEntryRead, AuditPage
from shared.logging import request_id_var

READ = "read"
READ_DENIED = "read.denied"
CREATE = "create"
UPDATE = "update"
DEACTIVATE = "deactivate"
CHANGE_DENIED = "change.denied"


async def record(session: AsyncSession, *, caller: Caller | None, action: str, entity_type: str,
                 entity_ids: Iterable[uuid.UUID | str | None], detail: dict[str, Any] | None = None) -> None:
    rows = [{"actor_ministry": caller.ministry_code if caller else None,
             "actor_roles": sorted(caller.roles) if caller else [],
             "action": action, "entity_type": entity_type,
             "entity_id": str(entity_id) if entity_id is not None else None,
             "request_id": request_id_var.get(), "detail": detail}
            for entity_id in entity_ids]
    if rows:
        await session.execute(insert(AuditEntry), rows)


async def list_entries(session: AsyncSession, *, actor_ministry: str | None, action: str | None,
                       entity_type: str | None, entity_id: str | None, since: datetime | None,
                       until: datetime | None, after_id: int | None, limit: int) -> AuditPage:
    query = select(AuditEntry).order_by(AuditEntry.id).limit(limit)
    for column, value in ((AuditEntry.actor_ministry, actor_ministry), (AuditEntry.action, action),
                          (AuditEntry.entity_type, entity_type), (AuditEntry.entity_id, entity_id)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEntry.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEntry.occurred_at < until)
    if after_id is not None:
        query = query.where(AuditEntry.id > after_id)
    entries = (await session.scalars(query)).all()
    items = [AuditEntryRead.model_validate(e) for e in entries]
    return AuditPage(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)
