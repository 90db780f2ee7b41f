"""The events the registry publishes (topic = type), and a helper to make one."""

from __future__ import annotations

from typing import Any

from shared.events import EventEnvelope

BENEFICIARY_UPSERTED = "registry.beneficiary.upserted"
PERSON_UPSERTED = "registry.person.upserted"
PERSON_DEACTIVATED = "registry.person.deactivated"
HOUSEHOLD_UPSERTED = "registry.household.upserted"
HOUSEHOLD_DEACTIVATED = "registry.household.deactivated"
ENROLMENT_UPSERTED = "registry.enrolment.upserted"
ENROLMENT_DEACTIVATED = "registry.enrolment.deactivated"
# Bulk import jobs: one `progressed` per committed chunk (and when queued), one `finished`.
IMPORT_PROGRESSED = "registry.import.progressed"
IMPORT_FINISHED = "registry.import.finished"

PRODUCED_TOPICS = (BENEFICIARY_UPSERTED, PERSON_UPSERTED, PERSON_DEACTIVATED, HOUSEHOLD_UPSERTED,
                   HOUSEHOLD_DEACTIVATED, ENROLMENT_UPSERTED, ENROLMENT_DEACTIVATED, IMPORT_PROGRESSED,
                   IMPORT_FINISHED)


def registry_event(event_type: str, *, key: object, payload: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(type=event_type, producer="registry", key=str(key), payload=payload)
