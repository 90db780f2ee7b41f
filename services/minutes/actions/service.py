"""Use cases for action items: each office's follow-up, progress updates, and the overdue sweep.

Each use case commits its change and its outbox event together.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.minutes.access import Caller
from services.minutes.actions.errors import ActionClosed, ActionItemNotFound, NotResponsible
from services.minutes.actions.models import PENDING_STATUSES, ActionItem, ActionItemOffice, ActionUpdate
from services.minutes.actions.reads import action_item_read
from services.minutes.actions.schemas import ActionItemPage, ActionItemRead, ActionStatus, ActionUpdateCreate
from services.minutes.database import outbox
from services.minutes.meetings.models import Decision
from shared.events import EventEnvelope
from shared.ids import new_id
from shared.outbox import add_events

ACTION_UPDATED = "minutes.action.updated"
ACTION_OVERDUE = "minutes.action.overdue"

CLOSED_STATUSES = ("done", "cancelled")


def today_in(zone: str) -> date:
    """Today's date where the deadlines are set (Bangladesh), not on the server's clock zone."""
    return datetime.now(ZoneInfo(zone)).date()


def _responsible_for(office_code: str) -> ColumnElement[bool]:
    return ActionItem.id.in_(select(ActionItemOffice.action_item_id).where(ActionItemOffice.office_code == office_code))


def _reads(rows: Sequence[Row[tuple[ActionItem, str]]]) -> list[ActionItemRead]:
    return [action_item_read(item, decision_label=label) for item, label in rows]


async def list_actions(session: AsyncSession, *, caller: Caller, office_code: str | None = None,
                       statuses: Sequence[ActionStatus] = (), committee_id: uuid.UUID | None = None,
                       meeting_id: uuid.UUID | None = None, limit: int = 50, offset: int = 0) -> ActionItemPage:
    """Action items, soonest deadline first. An office sees only the items it is responsible for;
    a committee secretary sees every item and may filter by office."""
    if not caller.is_secretary:
        if office_code is not None and office_code != caller.office_code:
            raise NotResponsible("an office sees only its own action items", loc=["query", "office"], input=office_code)
        office_code = caller.office_code
    query = select(ActionItem, Decision.label).join(Decision, Decision.id == ActionItem.decision_id)
    if office_code is not None:
        query = query.where(_responsible_for(office_code))
    if statuses:
        query = query.where(ActionItem.status.in_(statuses))
    if committee_id is not None:
        query = query.where(ActionItem.committee_id == committee_id)
    if meeting_id is not None:
        query = query.where(ActionItem.meeting_id == meeting_id)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = (await session.execute(
        query.order_by(ActionItem.deadline.asc().nulls_last(), ActionItem.created_at, ActionItem.id)
        .limit(limit).offset(offset))).all()
    return ActionItemPage(items=_reads(rows), total=total, limit=limit, offset=offset)


async def _visible_item(session: AsyncSession, *, action_id: uuid.UUID, caller: Caller,
                        for_update: bool = False) -> tuple[ActionItem, str]:
    query = (select(ActionItem, Decision.label).join(Decision, Decision.id == ActionItem.decision_id)
             .where(ActionItem.id == action_id))
    if for_update:
        query = query.with_for_update(of=ActionItem)
    row = (await session.execute(query)).one_or_none()
    if row is None:
        raise ActionItemNotFound("no action item with this id", loc=["path", "action_id"], input=str(action_id))
    item, label = row
    if not caller.is_secretary and caller.office_code not in {r.office_code for r in item.responsible}:
        raise NotResponsible("this action item is not assigned to your office", loc=["header", "X-Ministry-Code"],
                        input=caller.office_code)
    return item, label


async def get_action(session: AsyncSession, *, action_id: uuid.UUID, caller: Caller) -> ActionItemRead:
    item, label = await _visible_item(session, action_id=action_id, caller=caller)
    return action_item_read(item, decision_label=label)


async def post_update(session: AsyncSession, *, action_id: uuid.UUID, update_: ActionUpdateCreate,
                      caller: Caller) -> ActionItemRead:
    """A responsible office (or the secretary) reports progress, with evidence, and maybe a new status."""
    item, label = await _visible_item(session, action_id=action_id, caller=caller, for_update=True)
    if item.status in CLOSED_STATUSES:
        raise ActionClosed(f"the action item is {item.status}; it takes no more updates", loc=["path", "action_id"])
    if update_.status == "cancelled":
        caller.require_secretary("cancel an action item")
    before = item.status
    after = update_.status or before
    if before == "overdue" and after == "in_progress":
        # The deadline has still passed: progress is recorded, the item stays overdue until done.
        after = "overdue"
    session.add(ActionUpdate(id=new_id(), action_item_id=item.id, posted_by_office=caller.office_code,
                             status_before=before, status_after=after, note=update_.note,
                             evidence=list(update_.evidence)))
    await session.execute(update(ActionItem).where(ActionItem.id == item.id).values(
        status=after, version=ActionItem.version + 1, updated_at=func.now()))
    await session.flush()
    session.expunge_all()
    item, label = await _visible_item(session, action_id=action_id, caller=caller)
    updated = action_item_read(item, decision_label=label)
    payload = {**updated.model_dump(mode="json", exclude={"updates"}),
               "update": updated.updates[-1].model_dump(mode="json")}
    await add_events(session, outbox, [EventEnvelope(type=ACTION_UPDATED, producer="minutes", key=str(updated.id),
                                                     payload=payload)])
    await session.commit()
    return updated


async def mark_overdue_actions(session: AsyncSession, *, today: date) -> list[ActionItemRead]:
    """Mark every pending action item whose deadline is before `today` overdue, in one statement,
    and emit minutes.action.overdue for each, in the same transaction.

    Safe to run twice or from two replicas at once: the second UPDATE waits for the first's row
    locks, re-checks the status and finds nothing left to mark, so no event is emitted twice.
    """
    marked_ids = list((await session.scalars(
        update(ActionItem)
        .where(ActionItem.status.in_(PENDING_STATUSES), ActionItem.deadline < today)
        .values(status="overdue", version=ActionItem.version + 1, updated_at=func.now())
        .returning(ActionItem.id)
        .execution_options(synchronize_session=False))).all())
    if not marked_ids:
        await session.commit()
        return []
    session.expunge_all()
    rows = (await session.execute(
        select(ActionItem, Decision.label).join(Decision, Decision.id == ActionItem.decision_id)
        .where(ActionItem.id.in_(marked_ids)).order_by(ActionItem.deadline, ActionItem.id))).all()
    marked = _reads(rows)
    await add_events(session, outbox, [
        EventEnvelope(type=ACTION_OVERDUE, producer="minutes", key=str(item.id),
                      payload={**item.model_dump(mode="json", exclude={"updates"}), "marked_on": today.isoformat()})
        for item in marked])
    await session.commit()
    return marked
