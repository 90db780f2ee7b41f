"""The registry service: the coordinated beneficiary database shared by the ministries."""

from services.registry.beneficiaries.router import router as beneficiaries_router
from services.registry.beneficiaries.service import BENEFICIARY_UPSERTED
from services.registry.database import outbox, processed_events
from shared.app import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="registry",
    title="Somonnoy registry",
    description="Beneficiaries of the social protection programmes, as the ministries submit them.",
    version="0.1.0",
    routers=[beneficiaries_router],
    outbox=outbox,
    processed_events=processed_events,
    produced_topics=[BENEFICIARY_UPSERTED],
)

app = create_service_app(SPEC)
