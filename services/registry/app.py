"""The registry service: the coordinated beneficiary database shared by the ministries."""

from fastapi import FastAPI

from services.registry.audit.router import router as audit_router
from services.registry.beneficiaries.router import router as beneficiaries_router
from services.registry.database import outbox, processed_events
from services.registry.enrolments.router import router as enrolments_router
from services.registry.events import IMPORT_FINISHED, IMPORT_PROGRESSED, PRODUCED_TOPICS
from services.registry.geography.router import router as geography_router
from services.registry.households.router import router as households_router
from services.registry.imports.router import exports_router
from services.registry.imports.router import router as imports_router
from services.registry.imports.runtime import with_import_runner
from services.registry.ministries.router import router as ministries_router
from services.registry.persons.reads import PersonReadFastPath
from services.registry.persons.router import router as persons_router
from services.registry.programmes.router import router as programmes_router
from shared.app import ServiceSpec, create_service_app
from shared.settings import ServiceSettings

SPEC = ServiceSpec(
    name="registry",
    title="Somonnoy registry",
    description="Persons, households and their enrolments in the social protection programmes, as the "
                "ministries submit them. A ministry reads and changes its own programmes' beneficiaries; "
                "every member sees the coordinated view of who is enrolled where. Every read of personal "
                "data and every change is in the audit log.",
    version="0.2.0",
    routers=[beneficiaries_router, persons_router, households_router, enrolments_router, ministries_router,
             programmes_router, geography_router, audit_router, imports_router, exports_router],
    outbox=outbox,
    processed_events=processed_events,
    produced_topics=PRODUCED_TOPICS,
    priority_topics=(IMPORT_PROGRESSED, IMPORT_FINISHED),
    middleware=[PersonReadFastPath],
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The service app with its import runner (bulk import jobs run in its background)."""
    return with_import_runner(create_service_app(SPEC, settings))


app = create_app()
