"""Building the Read schemas of action items from rows (shared by the meetings and actions use cases)."""

from __future__ import annotations

from services.minutes.actions.models import ActionItem
from services.minutes.actions.schemas import ActionItemRead, ActionUpdateRead


def action_item_read(item: ActionItem, *, decision_label: str, with_updates: bool = True) -> ActionItemRead:
    return ActionItemRead(
        id=item.id, decision_id=item.decision_id, meeting_id=item.meeting_id, committee_id=item.committee_id,
        decision_label=decision_label, description=item.description,
        responsible_office_codes=[r.office_code for r in item.responsible],
        deadline=item.deadline, deadline_as_written=item.deadline_as_written, status=item.status,  # type: ignore[arg-type]
        version=item.version, created_at=item.created_at, updated_at=item.updated_at,
        updates=[ActionUpdateRead.model_validate(u) for u in item.updates] if with_updates else [])
