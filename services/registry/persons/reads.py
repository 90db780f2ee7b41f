"""`GET /persons/{id}` in one statement, served beside FastAPI: the hot read path.

Ministries' systems read persons by id far more often than anything else, and each read must
check the caller's access and leave an audit entry. Through the ORM that was five queries, an
INSERT and a COMMIT (about 3 ms of one core per read, 170 reads/s through the gateway). Here one
prepared statement, sent in autocommit on a plain asyncpg connection (`Database.pool()`):

* finds the person and decides whether the caller may read them (the same rule as
  `service.readable_by`: registered them, or enrols them in any status);
* inserts the audit entry, `read` or `read.denied`, in a data-modifying CTE: the entry commits
  with the statement, before the answer is sent, in the same round trip. Nothing is held in
  memory, so a crash or a restart loses no audit entry;
* builds the person's JSON (the `PersonRead` shape) in PostgreSQL.

The document is then validated as `PersonRead` and serialised by pydantic, so the body is
byte for byte what the ORM path (`records.person_read`) answers (checked by
tests/integration/registry/test_persons.py).

`PersonReadFastPath` answers these requests before FastAPI's routing and dependency injection,
which cost twice the statement itself (measured: 260 us of CPU per read through the route,
90 us here). It sits inside the request-id and metrics middleware, so logs and
`http_request_duration_seconds{route="/persons/{person_id}"}` are as before. It declines (and
the FastAPI route, which the OpenAPI document describes, answers) every request that is not
the plain case: another method, an id not in the canonical 8-4-4-4-12 form (FastAPI's 422), no
`X-Ministry-Code` (its 401), a deployment that does not trust that header.
"""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from services.registry.access import Caller, caller_from_headers
from services.registry.audit import service as audit
from services.registry.persons.schemas import PersonRead
from services.registry.persons.service import person_not_found, personal_data_refused
from shared.db import Database
from shared.errors import DomainError, domain_error_response
from shared.logging import request_id_var

# Timestamps as pydantic reads them back into the aware UTC datetimes asyncpg would give.
_UTC = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"

READ_PERSON_SQL = f"""
WITH target AS (
    SELECT p.*, (p.registered_by = $2 OR EXISTS (
                    SELECT FROM registry.enrolments e WHERE e.ministry_code = $2 AND e.person_id = p.id)) AS readable
    FROM registry.persons p
    WHERE p.id = $1
), logged AS (
    INSERT INTO registry.audit_log (actor_ministry, actor_roles, action, entity_type, entity_id, request_id)
    SELECT $2, $3::text[], CASE WHEN t.readable THEN '{audit.READ}' ELSE '{audit.READ_DENIED}' END,
           'person', $1::text, $4
    FROM target t
)
SELECT t.readable, CASE WHEN t.readable THEN json_build_object(
    'id', t.id, 'name_bn', t.name_bn, 'name_en', t.name_en,
    'father_name_bn', t.father_name_bn, 'father_name_en', t.father_name_en,
    'mother_name_bn', t.mother_name_bn, 'mother_name_en', t.mother_name_en,
    'spouse_name_bn', t.spouse_name_bn, 'spouse_name_en', t.spouse_name_en, 'gender', t.gender,
    'date_of_birth', CASE WHEN t.date_of_birth IS NOT NULL THEN to_char(t.date_of_birth, 'YYYY-MM-DD')
                          ELSE lpad(t.birth_year::text, 4, '0') END,
    'nid', ids.nid, 'brn', ids.brn, 'phone', ids.phone, 'identifiers', COALESCE(ids.list, '[]'),
    'household_id', t.household_id, 'relationship_to_head', t.relationship_to_head,
    'address', (SELECT json_build_object('division_code', a.division_code, 'district_code', a.district_code,
                                         'upazila_code', a.upazila_code, 'union_code', a.union_code,
                                         'ward', a.ward, 'line', a.line)
                FROM registry.addresses a WHERE a.id = t.address_id),
    'registered_by', t.registered_by, 'status', t.status,
    'deactivated_at', to_char(t.deactivated_at AT TIME ZONE 'UTC', {_UTC}),
    'version', t.version,
    'created_at', to_char(t.created_at AT TIME ZONE 'UTC', {_UTC}),
    'updated_at', to_char(t.updated_at AT TIME ZONE 'UTC', {_UTC}))::text END
FROM target t
LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object('kind', i.kind, 'raw', i.raw, 'normalized', i.normalized,
                                      'comparable', i.comparable) ORDER BY i.kind) AS list,
           min(i.normalized) FILTER (WHERE i.kind = 'nid') AS nid,
           min(i.normalized) FILTER (WHERE i.kind = 'brn') AS brn,
           min(i.normalized) FILTER (WHERE i.kind = 'phone') AS phone
    FROM registry.identifiers i
    WHERE i.person_id = t.id
) ids ON true
"""


async def read_person_json(database: Database, *, caller: Caller, person_id: uuid.UUID) -> bytes:
    """The person as `PersonRead` JSON, the read audited; 404 if there is no such person, 403
    (audited as `read.denied`) if the caller may not read their personal data."""
    async with database.connection() as connection:
        row = await connection.fetchrow(READ_PERSON_SQL, person_id, caller.ministry_code, sorted(caller.roles),
                                        request_id_var.get())
    if row is None:
        raise person_not_found(person_id)
    readable, document = row
    if not readable:
        raise personal_data_refused(caller, person_id)
    return PersonRead.model_validate_json(document).model_dump_json().encode()


_PERSON_PATH = re.compile(r"/persons/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})")


class PersonReadFastPath:
    """ASGI middleware: `GET /persons/{id}` without FastAPI's routing and dependency injection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.route: BaseRoute | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        plain = _plain_read(scope)
        app: FastAPI | None = scope.get("app")
        if plain is None or app is None or not app.state.settings.trust_ministry_header:
            await self.app(scope, receive, send)
            return
        person_id, ministry, roles = plain
        scope["route"] = self.route or self._find_route()  # the metrics label
        response: Response
        try:
            caller = await caller_from_headers(app.state.db, app.state.settings, ministry, roles)
            assert caller is not None  # the header is there
            body = await read_person_json(app.state.db, caller=caller, person_id=person_id)
            response = Response(body, media_type="application/json")
        except DomainError as error:
            response = domain_error_response(error)
        await response(scope, receive, send)

    def _find_route(self) -> BaseRoute:
        from services.registry.persons.router import router  # it imports this module

        self.route = next(r for r in router.routes if getattr(r, "path", None) == "/persons/{person_id}"
                          and "GET" in getattr(r, "methods", ()))
        return self.route


def _plain_read(scope: Scope) -> tuple[uuid.UUID, str, str | None] | None:
    """(person id, X-Ministry-Code, X-Roles) of a request the fast path answers, else None."""
    if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
        return None
    match = _PERSON_PATH.fullmatch(scope["path"])
    if match is None:
        return None
    ministry = roles = None
    for name, value in scope["headers"]:
        # the first of repeated headers, as Starlette's Headers.get (FastAPI's Header) reads them
        if name == b"x-ministry-code" and ministry is None:
            ministry = value.decode("latin-1")
        elif name == b"x-roles" and roles is None:
            roles = value.decode("latin-1")
    return (uuid.UUID(match.group(1)), ministry, roles) if ministry else None
