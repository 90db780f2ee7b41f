"""The minutes service: committee meetings, decisions and their follow-up."""

from services.minutes.database import outbox, processed_events
from shared.app import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="minutes",
    title="Somonnoy minutes",
    description="Meetings, decisions and action items with owners and deadlines.",
    version="0.1.0",
    routers=[],
    outbox=outbox,
    processed_events=processed_events,
)

app = create_service_app(SPEC)
