"""The set-based statements of one import chunk (asyncpg, positional parameters).

A chunk is COPYed into `import_stage` (a temporary table, emptied at commit), resolved against
the stored enrolments into `import_rows` (each row's ids, and whether it is new, changed or
the same as what the last import stored), then written with one statement per table, its
events built in SQL (the same payloads as the API's), all in the chunk's one transaction.
"""

from __future__ import annotations

from services.registry import events

PERSON_COLUMNS = ("name_bn", "name_en", "father_name_bn", "father_name_en", "mother_name_bn", "mother_name_en",
                  "spouse_name_bn", "spouse_name_en", "name_bn_key", "name_en_key", "gender", "date_of_birth",
                  "birth_year", "dob_precision")
GEO_COLUMNS = ("division_code", "district_code", "upazila_code", "union_code", "ward")
HASHED = ("ministry_code", *PERSON_COLUMNS, "nid_raw", "brn_raw", "phone_raw", *GEO_COLUMNS)

CREATE_TEMP_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS import_stage (
    row_number bigint, source_record_id text, programme_code text, ministry_code text,
    name_bn text, name_en text, father_name_bn text, father_name_en text, mother_name_bn text,
    mother_name_en text, spouse_name_bn text, spouse_name_en text, name_bn_key text, name_en_key text,
    gender text, date_of_birth date, birth_year int, dob_precision text,
    nid_raw text, nid_norm text, nid_comp text, brn_raw text, brn_norm text, phone_raw text, phone_norm text,
    division_code int, district_code int, upazila_code int, union_code int, ward int,
    person_id uuid, enrolment_id uuid, address_id uuid
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS import_rows (
    LIKE import_stage, record_hash text, action text, address_action text
) ON COMMIT DELETE ROWS;
"""

# The name-search GIN indexes take new keys into their pending list, merged in bulk later
# (by autovacuum or a search) instead of once per few thousand rows; and the chunk's sorts and
# hashes get room.
SESSION_SETTINGS = "SET gin_pending_list_limit = '512MB'; SET work_mem = '64MB'"

_HAS_GEO = " OR ".join(f"s.{c} IS NOT NULL" for c in GEO_COLUMNS)

_STAGED = ("row_number", "source_record_id", "programme_code", "ministry_code", *PERSON_COLUMNS[:10], "gender",
           "date_of_birth", "birth_year", "dob_precision", "nid_raw", "nid_norm", "nid_comp", "brn_raw", "brn_norm",
           "phone_raw", "phone_norm", *GEO_COLUMNS)

def _record_hash(alias: str) -> str:
    """What tells an unchanged record: the hash of its normalised fields."""
    return f"md5(row({', '.join(f'{alias}.{c}' for c in HASHED)})::text)"


# A stored record keeps its ids (and its address row); a new one takes those generated for it.
RESOLVE = f"""
INSERT INTO import_rows
SELECT {", ".join(f"s.{c}" for c in _STAGED)},
       coalesce(e.person_id, s.person_id),
       coalesce(e.id, s.enrolment_id),
       CASE WHEN ({_HAS_GEO}) THEN coalesce(p.address_id, s.address_id) ELSE p.address_id END,
       h.record_hash,
       CASE WHEN e.id IS NULL THEN 'new'
            WHEN e.record_hash IS DISTINCT FROM h.record_hash THEN 'changed' ELSE 'same' END,
       CASE WHEN ({_HAS_GEO}) THEN CASE WHEN p.address_id IS NULL THEN 'insert' ELSE 'update' END END
FROM import_stage s
CROSS JOIN LATERAL (SELECT {_record_hash("s")} AS record_hash) h
LEFT JOIN registry.enrolments e ON e.programme_code = s.programme_code AND e.source_record_id = s.source_record_id
LEFT JOIN registry.persons p ON p.id = e.person_id
"""

NEW_ROWS = "SELECT row_number FROM import_rows WHERE action = 'new'"

COUNT_ACTIONS = "SELECT action, count(*) FROM import_rows GROUP BY action"

# A chunk none of whose records is stored yet (a first upload) skips RESOLVE: it is written
# straight from import_stage, with the ids generated for it.
COUNT_STORED = """
SELECT count(*) FROM import_stage s
JOIN registry.enrolments e ON e.programme_code = s.programme_code AND e.source_record_id = s.source_record_id
"""

def _inserts(source: str, *, new: str, written: str, with_address: str, record_hash: str) -> list[str]:
    """The INSERTs of a chunk's new records from `source` (aliased r): persons and enrolments of
    the rows matching `new`, identifiers of those matching `written` (new or changed), addresses
    of those matching `with_address`."""
    return [f"""
INSERT INTO registry.addresses (id, {", ".join(GEO_COLUMNS)})
SELECT address_id, {", ".join(GEO_COLUMNS)} FROM {source} r WHERE {with_address}
""", f"""
INSERT INTO registry.persons (id, {", ".join(PERSON_COLUMNS)}, address_id, registered_by, status, version,
                              created_at, updated_at)
SELECT person_id, {", ".join(PERSON_COLUMNS)}, address_id, ministry_code, 'active', 1, $1, $1
FROM {source} r WHERE {new}
""", f"""
INSERT INTO registry.identifiers (person_id, kind, raw, normalized, comparable)
SELECT r.person_id, k.kind, k.raw, k.normalized, k.comparable
FROM {source} r
CROSS JOIN LATERAL (VALUES ('brn', r.brn_raw, r.brn_norm, r.brn_norm), ('nid', r.nid_raw, r.nid_norm, r.nid_comp),
                           ('phone', r.phone_raw, r.phone_norm, r.phone_norm)) AS k(kind, raw, normalized, comparable)
WHERE {written} AND k.raw IS NOT NULL
""", f"""
INSERT INTO registry.enrolments (id, person_id, programme_code, ministry_code, source_record_id, status, version,
                                 record_hash, created_at, updated_at)
SELECT enrolment_id, person_id, programme_code, ministry_code, source_record_id, 'active', 1,
       {record_hash}, $1, $1
FROM {source} r WHERE {new}
"""]


INSERT_ADDRESSES, INSERT_PERSONS, INSERT_IDENTIFIERS, INSERT_ENROLMENTS = _inserts(
    "import_rows", new="r.action = 'new'", written="r.action <> 'same'",
    with_address="r.action <> 'same' AND r.address_action = 'insert'", record_hash="r.record_hash")
# the same for a chunk whose records are all new, from the stage
ALL_NEW = list(zip(_inserts("import_stage", new="true", written="true", with_address="r.address_id IS NOT NULL",
                            record_hash=_record_hash("r")), (False, True, False, True), strict=True))

UPDATE_ADDRESSES = f"""
UPDATE registry.addresses a SET {", ".join(f"{c} = r.{c}" for c in GEO_COLUMNS)}
FROM import_rows r WHERE r.action = 'changed' AND r.address_action = 'update' AND a.id = r.address_id
"""

UPDATE_PERSONS = f"""
UPDATE registry.persons p SET {", ".join(f"{c} = r.{c}" for c in PERSON_COLUMNS)}, address_id = r.address_id,
       version = p.version + 1, updated_at = $1
FROM import_rows r WHERE r.action = 'changed' AND p.id = r.person_id
"""

DELETE_IDENTIFIERS = """
DELETE FROM registry.identifiers i USING import_rows r WHERE r.action = 'changed' AND i.person_id = r.person_id
"""

UPDATE_ENROLMENTS = """
UPDATE registry.enrolments e SET record_hash = r.record_hash
FROM import_rows r WHERE r.action = 'changed' AND e.id = r.enrolment_id
"""

# (statement, whether it takes the chunk's timestamp), parents first: a resolved chunk's writes
RESOLVED = [(INSERT_ADDRESSES, False), (UPDATE_ADDRESSES, False), (INSERT_PERSONS, True), (UPDATE_PERSONS, True),
            (DELETE_IDENTIFIERS, False), (INSERT_IDENTIFIERS, False), (INSERT_ENROLMENTS, True),
            (UPDATE_ENROLMENTS, False)]

# A chunk's parents, checked in one statement instead of one foreign-key trigger query per
# inserted row (which took 40% of the database's time in a 1M import): with
# `session_replication_role = replica` set for the chunk's writes, the row triggers do not fire,
# and this query does what they would have. It takes the same FOR KEY SHARE locks on the
# ministries and programmes the rows name (so neither can be deleted under the chunk); persons
# and addresses are the chunk's own, inserted or updated (so locked) by its transaction, and
# only have to exist. Any count above 0 fails the chunk: nothing of it is kept.
def _parents_check(source: str, where: str) -> str:
    # Persons and addresses are looked up row by row (a correlated subquery, one index probe
    # each): as NOT EXISTS the planner chose a hash anti join, which read the whole table for
    # every chunk (130 ms at 300,000 persons, growing with the registry).
    return f"""
WITH named_ministries AS (SELECT DISTINCT ministry_code FROM {source} r WHERE {where}),
named_programmes AS (SELECT DISTINCT programme_code, ministry_code FROM {source} r WHERE {where}),
ministries AS (SELECT code FROM registry.ministries
               WHERE code IN (SELECT ministry_code FROM named_ministries) FOR KEY SHARE),
programmes AS (SELECT code, ministry_code FROM registry.programmes
               WHERE (code, ministry_code) IN (SELECT programme_code, ministry_code FROM named_programmes)
               FOR KEY SHARE)
SELECT (SELECT count(*) FROM named_ministries n
        WHERE n.ministry_code IS NULL OR n.ministry_code NOT IN (SELECT code FROM ministries)) AS ministries,
       (SELECT count(*) FROM named_programmes n WHERE NOT EXISTS (
            SELECT FROM programmes p WHERE p.code = n.programme_code AND p.ministry_code = n.ministry_code))
           AS programmes,
       (SELECT count(*) FROM {source} r WHERE {where}
            AND (SELECT true FROM registry.persons p WHERE p.id = r.person_id) IS NULL) AS persons,
       (SELECT count(*) FROM {source} r WHERE {where} AND r.address_id IS NOT NULL
            AND (SELECT true FROM registry.addresses a WHERE a.id = r.address_id) IS NULL) AS addresses
"""


CHECK_PARENTS_ALL_NEW = _parents_check("import_stage", "true")
CHECK_PARENTS_RESOLVED = _parents_check("import_rows", "r.action <> 'same'")

_NAMES = ("name_bn", "name_en", "father_name_bn", "father_name_en", "mother_name_bn", "mother_name_en",
          "spouse_name_bn", "spouse_name_en")


def _pairs(items: dict[str, str]) -> str:
    return ", ".join(f"'{key}', {value}" for key, value in items.items())


_PERSON_PAYLOAD = "jsonb_build_object(" + _pairs({
    "id": "p.id", **{n: f"p.{n}" for n in _NAMES}, "gender": "p.gender", "date_of_birth": "p.dob_text",
    "nid": "p.nid", "brn": "p.brn", "phone": "p.phone", "identifiers": "coalesce(p.identifiers, '[]'::jsonb)",
    "household_id": "p.household_id", "relationship_to_head": "p.relationship_to_head",
    "address": "CASE WHEN p.address_id IS NULL THEN NULL ELSE jsonb_build_object('division_code', p.division_code, "
               "'district_code', p.district_code, 'upazila_code', p.upazila_code, 'union_code', p.union_code, "
               "'ward', p.ward, 'line', p.line) END",
    "registered_by": "p.registered_by", "status": "p.status", "deactivated_at": "p.deactivated_at",
    "version": "p.version", "created_at": "p.created_at", "updated_at": "p.updated_at"}) + ")"

_BENEFICIARY_PAYLOAD = "jsonb_build_object(" + _pairs({
    "id": "e.id", "person_id": "p.id", "ministry_code": "e.ministry_code", "programme_code": "e.programme_code",
    "source_record_id": "e.source_record_id", "version": "p.version + e.version - 1",
    "enrolment_status": "e.status", "person_status": "p.status", **{n: f"p.{n}" for n in _NAMES},
    "gender": "p.gender", "date_of_birth": "p.dob_text", "birth_year": "p.birth_year", "nid": "p.nid",
    "nid_comparable": "p.nid_comparable", "brn": "p.brn", "phone": "p.phone", "household_id": "p.household_id",
    **{c: f"p.{c}" for c in GEO_COLUMNS}, "created_at": "e.created_at", "updated_at": "e.updated_at"}) + ")"

# The events of the chunk's changed records, built from what is stored, as the API does:
# person.upserted, then beneficiary.upserted of each of the person's enrolments.
INSERT_CHANGED_EVENTS = f"""
WITH targets AS (SELECT person_id, enrolment_id, action, row_number FROM import_rows WHERE action = 'changed'),
ids AS (
    SELECT i.person_id,
           jsonb_agg(jsonb_build_object('kind', i.kind, 'raw', i.raw, 'normalized', i.normalized,
                                        'comparable', i.comparable) ORDER BY i.kind) AS identifiers,
           max(i.normalized) FILTER (WHERE i.kind = 'nid') AS nid,
           max(i.comparable) FILTER (WHERE i.kind = 'nid') AS nid_comparable,
           max(i.normalized) FILTER (WHERE i.kind = 'brn') AS brn,
           max(i.normalized) FILTER (WHERE i.kind = 'phone') AS phone
    FROM registry.identifiers i JOIN targets t ON t.person_id = i.person_id GROUP BY i.person_id),
people AS (
    SELECT t.row_number, t.action, t.enrolment_id AS target_enrolment, pp.*, a.division_code, a.district_code,
           a.upazila_code, a.union_code, a.ward, a.line, ids.identifiers, ids.nid, ids.nid_comparable, ids.brn,
           ids.phone,
           CASE WHEN pp.date_of_birth IS NOT NULL THEN to_char(pp.date_of_birth, 'YYYY-MM-DD')
                WHEN pp.birth_year IS NOT NULL THEN lpad(pp.birth_year::text, 4, '0') END AS dob_text
    FROM targets t JOIN registry.persons pp ON pp.id = t.person_id
    LEFT JOIN registry.addresses a ON a.id = pp.address_id LEFT JOIN ids ON ids.person_id = pp.id),
staged AS (
    SELECT p.row_number, 0 AS seq, '{events.PERSON_UPSERTED}' AS topic, p.id::text AS key,
           {_PERSON_PAYLOAD} AS payload
    FROM people p
    UNION ALL
    SELECT p.row_number, 1, '{events.BENEFICIARY_UPSERTED}', e.id::text, {_BENEFICIARY_PAYLOAD}
    FROM people p JOIN registry.enrolments e ON e.id = p.target_enrolment
    UNION ALL
    SELECT p.row_number, 1, '{events.BENEFICIARY_UPSERTED}', e.id::text, {_BENEFICIARY_PAYLOAD}
    FROM people p JOIN registry.enrolments e ON e.person_id = p.id AND e.id <> p.target_enrolment
)
INSERT INTO registry.outbox (event_id, topic, key, body)
SELECT x.eid, x.topic, x.key,
       convert_to(jsonb_build_object('event_id', x.eid, 'type', x.topic, 'schema_version', 1,
                                     'occurred_at', now(), 'producer', 'registry', 'key', x.key,
                                     'payload', x.payload)::text, 'UTF8')
FROM (SELECT gen_random_uuid() AS eid, s.* FROM staged s) x
ORDER BY x.row_number, x.seq, x.key
"""

PROGRESS = """
UPDATE registry.import_jobs
SET rows_done = $3, rows_failed = rows_failed + $4, rows_warned = rows_warned + $5,
    rows_created = rows_created + $6, rows_updated = rows_updated + $7, rows_unchanged = rows_unchanged + $8,
    chunks_done = chunks_done + 1, work_seconds = work_seconds + $9, updated_at = now(),
    lease_until = now() + make_interval(secs => $10)
WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND rows_done = $11
RETURNING *
"""

ISSUE_COLUMNS = ("job_id", "row_number", "severity", "field", "value", "code", "reason", "source_record_id")
