"""Counts of action items by status, per responsible office and per committee, for dashboards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Label, Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.minutes.actions.models import ACTION_STATUSES, ActionItem, ActionItemOffice
from services.minutes.committees.models import Committee
from services.minutes.meetings.models import Decision, Meeting
from services.minutes.offices.models import Office
from services.minutes.summary.schemas import CommitteeSummary, FollowUpSummary, OfficeSummary, StatusCounts


def _status_columns() -> list[Label[int]]:
    return [func.count().filter(ActionItem.status == s).label(s) for s in ACTION_STATUSES]


def _counts(row: Row[Any]) -> StatusCounts:
    values = {s: int(getattr(row, s) or 0) for s in ACTION_STATUSES}
    return StatusCounts(**values, total=sum(values.values()))


async def follow_up_summary(session: AsyncSession) -> FollowUpSummary:
    per_office = (
        select(ActionItemOffice.office_code, *_status_columns())
        .join(ActionItem, ActionItem.id == ActionItemOffice.action_item_id)
        .group_by(ActionItemOffice.office_code).subquery())
    office_rows = (await session.execute(
        select(per_office, Office.name_bn, Office.name_en)
        .outerjoin(Office, Office.code == per_office.c.office_code)
        .order_by(per_office.c.office_code))).all()

    per_committee = (
        select(ActionItem.committee_id, *_status_columns()).group_by(ActionItem.committee_id).subquery())
    meetings = (select(Meeting.committee_id, func.count(func.distinct(Meeting.id)).label("meetings"),
                       func.count(Decision.id).label("decisions"))
                .outerjoin(Decision, Decision.meeting_id == Meeting.id)
                .group_by(Meeting.committee_id).subquery())
    committee_rows = (await session.execute(
        select(Committee.id, Committee.code, Committee.name_bn, Committee.name_en,
               func.coalesce(meetings.c.meetings, 0).label("meetings"),
               func.coalesce(meetings.c.decisions, 0).label("decisions"),
               *(per_committee.c[s] for s in ACTION_STATUSES))
        .outerjoin(per_committee, per_committee.c.committee_id == Committee.id)
        .outerjoin(meetings, meetings.c.committee_id == Committee.id)
        .order_by(Committee.code))).all()

    return FollowUpSummary(
        offices=[OfficeSummary(office_code=r.office_code, name_bn=r.name_bn, name_en=r.name_en, counts=_counts(r))
                 for r in office_rows],
        committees=[CommitteeSummary(committee_id=r.id, code=r.code, name_bn=r.name_bn, name_en=r.name_en,
                                     meetings=r.meetings, decisions=r.decisions, counts=_counts(r))
                    for r in committee_rows])
