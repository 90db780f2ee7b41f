"""The matching service: cross-ministry record linkage fed by the registry's events."""

from services.matching.database import outbox, processed_events
from services.matching.linking.router import router as linking_router
from services.matching.linking.service import PERSON_LINKED, PERSON_UNLINKED
from services.matching.records.router import router as records_router
from services.matching.records.service import apply_beneficiary_upserts
from services.matching.reports.router import router as reports_router
from services.matching.review.router import router as review_router
from shared.app import ServiceSpec, create_service_app
from shared.consumer import Subscription

SPEC = ServiceSpec(
    name="matching",
    title="Somonnoy matching",
    description="Who is the same person across the ministries' programmes.",
    version="0.1.0",
    routers=[linking_router, review_router, reports_router, records_router],
    produced_topics=[PERSON_LINKED, PERSON_UNLINKED],
    outbox=outbox,
    processed_events=processed_events,
    subscriptions=[Subscription(topics=("registry.beneficiary.upserted",), handler=apply_beneficiary_upserts,
                                group_suffix="records")],
)

app = create_service_app(SPEC)
