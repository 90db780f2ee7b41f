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

Reads that are waiting at the same time share that statement (`PersonReadBatcher`: one
statement, one commit and one pool checkout for all of them; measured with 50 clients on the
100,000-row registry, 3,129 -> 6,716 reads/s through the gateway and p99 25.8 -> 13.5 ms).

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

import asyncio
import re
import uuid
import weakref
from dataclasses import dataclass

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

# One statement reads a batch of requests: $1..$4 are parallel arrays (person id, caller's
# ministry, caller's roles joined by commas, request id), `n` their position.
READ_PERSONS_SQL = f"""
WITH asked AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
                  WITH ORDINALITY AS a(person_id, ministry, roles, request_id, n)
), target AS (
    SELECT a.n, a.ministry, a.roles, a.request_id, p.*,
           (p.registered_by = a.ministry OR EXISTS (
                SELECT FROM registry.enrolments e WHERE e.ministry_code = a.ministry AND e.person_id = p.id))
               AS readable
    FROM asked a
    JOIN registry.persons p ON p.id = a.person_id
), logged AS (
    INSERT INTO registry.audit_log (actor_ministry, actor_roles, action, entity_type, entity_id, request_id)
    SELECT t.ministry, string_to_array(t.roles, ','),
           CASE WHEN t.readable THEN '{audit.READ}' ELSE '{audit.READ_DENIED}' END, 'person', t.id::text, t.request_id
    FROM target t
    ORDER BY t.n
)
SELECT t.n, t.readable, CASE WHEN t.readable THEN json_build_object(
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

_Answer = tuple[bool, str | None] | None  # (readable, the document if readable); None: no such person


@dataclass(frozen=True, slots=True)
class _Asked:
    person_id: uuid.UUID
    ministry: str
    roles: str
    request_id: str | None
    answer: asyncio.Future[_Answer]


class PersonReadBatcher:
    """Reads that arrive together go to PostgreSQL together.

    Under load many reads are waiting at once (50 clients: ~10 at any moment), and each one
    cost a statement, a commit and a pool checkout of its own: about half of the database's and a
    third of the service's CPU per read. A read is queued, and the queue is sent on the event
    loop's next turn (so every request that arrived in the same wake-up rides along), as one
    statement of up to `max_batch` reads, with at most `max_in_flight` such statements running:
    when one returns, what queued meanwhile goes next. A lone read is sent at once, as before,
    and each read's audit entry still commits before its answer is sent."""

    def __init__(self, database: Database, *, max_batch: int = 64, max_in_flight: int = 3) -> None:
        self.database = database
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.loop = asyncio.get_running_loop()
        self._queue: list[_Asked] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._send_scheduled = False
        self.statements = 0  # sent so far (observability and tests)

    async def read(self, caller: Caller, person_id: uuid.UUID, request_id: str | None) -> _Answer:
        asked = _Asked(person_id, caller.ministry_code, ",".join(sorted(caller.roles)), request_id,
                       self.loop.create_future())
        self._queue.append(asked)
        if not self._send_scheduled:
            self._send_scheduled = True
            self.loop.call_soon(self._send)
        return await asked.answer

    def _send(self) -> None:
        self._send_scheduled = False
        while self._queue and len(self._in_flight) < self.max_in_flight:
            batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
            self.statements += 1
            task = self.loop.create_task(self._run(batch))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._send()

    async def _run(self, batch: list[_Asked]) -> None:
        try:
            async with self.database.connection() as connection:
                rows = await connection.fetch(
                    READ_PERSONS_SQL, [a.person_id for a in batch], [a.ministry for a in batch],
                    [a.roles for a in batch], [a.request_id for a in batch])
        except Exception as error:  # every reader of the batch gets the failure (a 500)
            for asked in batch:
                if not asked.answer.done():
                    asked.answer.set_exception(error)
            return
        except BaseException:  # cancelled (the service stopping): so are its readers
            for asked in batch:
                asked.answer.cancel()
            raise
        answers: dict[int, tuple[bool, str | None]] = {n: (readable, document) for n, readable, document in rows}
        for n, asked in enumerate(batch, start=1):
            if not asked.answer.done():  # a reader whose request was cancelled is gone
                asked.answer.set_result(answers.get(n))


_batchers: weakref.WeakKeyDictionary[Database, PersonReadBatcher] = weakref.WeakKeyDictionary()


def person_read_batcher(database: Database) -> PersonReadBatcher:
    """The database's batcher in the running event loop (one per serving loop)."""
    batcher = _batchers.get(database)
    if batcher is None or batcher.loop is not asyncio.get_running_loop():
        batcher = _batchers[database] = PersonReadBatcher(database)
    return batcher


async def read_person_json(database: Database, *, caller: Caller, person_id: uuid.UUID) -> bytes:
    """The person as `PersonRead` JSON, the read audited; 404 if there is no such person, 403
    (audited as `read.denied`) if the caller may not read their personal data."""
    answer = await person_read_batcher(database).read(caller, person_id, request_id_var.get())
    if answer is None:
        raise person_not_found(person_id)
    readable, document = answer
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
