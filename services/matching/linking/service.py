"""Incremental linkage: each new or changed record is compared with the records that share a
blocking key with it (found by index in PostgreSQL, never by loading the register) and joins the
person of its matches; records of two persons that it links are merged into the older person.

The comparisons, weights and threshold are the batch engine's (`services.matching.engine`), so a
record is judged the same way whether it arrives by event or in a batch run.

A batch of records (a consumer batch, or one record) is linked set-based: one statement per step
for the whole batch (candidates and their keys, name counts, stored keys, links with their events),
the scoring vectorised over all its pairs, and no Python loop per pair. From ``THREAD_ROWS`` records
on, the CPU work runs in a worker thread beside the database's work on the same batch
(normalisation beside the source-record upsert, scoring beside the writes of the batch's keys).
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from itertools import combinations
from typing import Any, TypeVar

import numpy as np
import orjson
import polars as pl
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.database import outbox
from services.matching.engine.blocking import default_rules
from services.matching.engine.cluster import connected_components, sorted_unique
from services.matching.engine.comparisons import build_record_keys, comparison_vectors, default_comparisons
from services.matching.engine.estimate import ModelParams, match_probability, match_weights, pair_scores
from services.matching.engine.normalize import SMALL_TABLE, normalize_rows, normalize_table
from services.matching.engine.pipeline import MIN_RECORDS_FOR_ESTIMATION, default_params
from services.matching.linking.frames import (
    KEY_SCHEMA,
    FieldExplanation,
    WrittenLink,
    explain,
    family_block_keys,
    family_caps,
    input_rows,
    keys_from_lines,
    keys_to_lines,
    link_event_rows,
    records_frame,
)
from services.matching.linking.models import Person, PersonLink, StoredModelParams
from services.matching.review.models import ACCEPTED
from services.matching.review.service import queue_uncertain
from shared.errors import ServiceUnavailable
from shared.events import EventEnvelope
from shared.ids import new_id, new_id_texts
from shared.outbox import add_events

PERSON_LINKED = "matching.person.linked"
PERSON_UNLINKED = "matching.person.unlinked"
# Pairs scored between this and the link threshold go to the review queue.
REVIEW_LOWER = 0.5
RULES = default_rules()
FAMILY_CAPS = family_caps(RULES)
COMPARISONS = default_comparisons()
# Above this many rows the planner's estimate of the register size is used instead of count(*)
# (a few per cent off does not move a term frequency or a prior measurably).
EXACT_COUNT_BELOW = 50_000
# Advisory locks: linking takes, in sorted order, one lock per bucket of the blocking keys it
# reads and writes, so two replicas never link records that could match each other at once.
# The bucket is PostgreSQL's hashtext of the "family<TAB>key" line: the same in every replica,
# whatever its library versions.
LOCK_CLASS = 0x4D4C  # "ML"
PERSON_LOCK_CLASS = 0x4D50  # "MP": the same scheme for person ids (see _existing_links)
LOCK_BUCKETS = 1024
# A batch of this many records touches nearly every bucket anyway: it takes all of them (in order,
# blocking keys' then persons') before its keys are computed, so that its candidate lookup can start
# as soon as they are and the persons it links to need no lookup to be locked.
LOCK_ALL_FROM = 500
# From this many records a batch's CPU work runs in a worker thread while the database works on
# the same batch (2 cores: PostgreSQL on one, Python on the other); a record or a few are
# handled inline, where a thread hand-off would only add latency.
THREAD_ROWS = 64
# Below this many characters a result text is split in Python (Polars' per-call overhead dominates).
SMALL_TEXT = 20_000

T = TypeVar("T")

# Large parameters travel as one text of lines, split by PostgreSQL (string_to_table), results as
# CSV text parsed by Polars: encoding and decoding tens of thousands of array elements one Python
# object at a time cost more than the statements' planning and their round trips together.
_LINES = "string_to_table(NULLIF(CAST(:{} AS text), ''), E'\\n')"
_IDS = "CAST(string_to_array(NULLIF(CAST(:{} AS text), ''), ',') AS uuid[])"
# Every bucket of the blocking keys, then every bucket of the persons (the order all locks are taken in).
_LOCK_ALL_SQL = text(f"""
    SELECT count(pg_advisory_xact_lock(cls, b)) FROM (
        SELECT cls, b FROM unnest(ARRAY[CAST(:keys AS int), CAST(:persons AS int)]) WITH ORDINALITY AS c(cls, n),
                           generate_series(0, {LOCK_BUCKETS - 1}) AS b
        ORDER BY n, b) AS s""")
_LOCK_SQL = text(f"""
    SELECT count(pg_advisory_xact_lock(:cls, b)) FROM (
        SELECT DISTINCT hashtext(line) & {LOCK_BUCKETS - 1} AS b FROM {_LINES.format("probes")} AS t(line)
        ORDER BY b) AS s""")
# "skeleton,records" lines of the own-name skeletons of `names` (a set of `s`) that the register
# holds: an index probe per name (LIMIT: not a scan of the table)
_NAME_COUNT_OF = """CROSS JOIN LATERAL (
             SELECT records FROM matching.name_counts n WHERE n.skeleton = names.s LIMIT 1) AS n"""
_NAME_COUNT_LINES = "coalesce(string_agg(names.s || ',' || n.records::text, E'\\n'), '')"
# The row that is in block_keys exactly while the table is whole: an unlogged table, emptied by
# PostgreSQL's recovery from a crash (and empty on a promoted standby) together with it. See
# ``block_index`` (the rebuild) and migration 0010.
BUILT_RULE = -1
BUILT_RECORD = "00000000-0000-0000-0000-000000000000"
BUILT_SQL = f"EXISTS (SELECT 1 FROM matching.block_keys WHERE rule = {BUILT_RULE})"


MATCH_LOCK_TIMEOUT_MS = 2_000
LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of a lock_timeout


class BlockIndexNotBuilt(ServiceUnavailable):
    """The blocking-key index is empty or being rebuilt (after a database crash or failover):
    nothing can be matched until it is whole again."""

    error_type = "block_index_rebuilding"


# Stored records sharing a (family, key) with the batch (probes: "family<TAB>key" lines), at most
# the family's cap per key (a larger block is no key at all, as in the batch; the caller drops it).
# Returns the stored hits as CSV lines "probe,candidate" (probe: 0-based line number; candidate -1:
# a record of the batch itself, or a member of a block over the cap), the candidates as CSV lines
# "candidate,record_id,<stored keys>" and, with_counts, "skeleton,records" of the batch's and the
# candidates' own names.
_CANDIDATES_SQL = text(f"""
    WITH q AS (
        SELECT family, key, probe, (CAST(:caps AS int[]))[family + 1] AS cap FROM (
            SELECT split_part(line, E'\\t', 1)::smallint AS family, split_part(line, E'\\t', 2) AS key,
                   (probe - 1)::int AS probe
            FROM {_LINES.format("probes")} WITH ORDINALITY AS t(line, probe)) AS p
    ), hits AS MATERIALIZED (
        SELECT q.probe, b.record_id, q.cap FROM q CROSS JOIN LATERAL (
            SELECT record_id FROM matching.block_keys b WHERE b.rule = q.family AND b.key = q.key LIMIT q.cap
        ) AS b
    ), found AS MATERIALIZED (
        -- one index scan for all the candidates' keys (the ids sorted and walked in one pass): half
        -- the cost of an index probe per candidate
        SELECT (row_number() OVER () - 1)::int AS cand, r.record_id, r.keys FROM matching.record_keys r
        WHERE r.record_id = ANY(ARRAY(
            SELECT DISTINCT record_id FROM hits
            WHERE record_id NOT IN (SELECT unnest({_IDS.format("exclude")}))
              -- a block holding the cap's worth of stored records is over the cap with the batch's
              -- record: its members are no candidates (on 1M records, 14% fewer)
              AND probe NOT IN (SELECT probe FROM hits GROUP BY probe, cap HAVING count(*) >= cap)))
    ), names AS (
        -- own-name skeletons of the batch and of the candidates (the first two fields of a key line:
        -- skeletons are letters and spaces, never quoted)
        SELECT DISTINCT s FROM (
            SELECT {_LINES.format("names")} AS s
            UNION ALL SELECT split_part(keys, ',', 1) FROM found
            UNION ALL SELECT split_part(keys, ',', 2) FROM found) AS a
        WHERE s <> '' AND (CAST(:with_counts AS boolean) OR CAST(:list_names AS boolean))
    )
    SELECT h.hits, f.lines, c.counts, l.names, pg_current_snapshot()::text AS snapshot, {BUILT_SQL} AS built FROM
        (SELECT coalesce(string_agg(hits.probe::text || ',' || coalesce(found.cand, -1)::text, E'\\n'), '') AS hits
         FROM hits LEFT JOIN found USING (record_id)) AS h,
        (SELECT coalesce(string_agg(cand::text || ',' || record_id::text || ',' || keys, E'\\n'), '') AS lines
         FROM found) AS f,
        (SELECT {_NAME_COUNT_LINES} AS counts FROM names {_NAME_COUNT_OF}
         WHERE CAST(:with_counts AS boolean)) AS c,
        (SELECT coalesce(string_agg(names.s, E'\\n'), '') AS names FROM names
         WHERE CAST(:list_names AS boolean)) AS l""")
# A large batch looks its candidates up before it takes its locks (``fetch_early_candidates``), then
# completes the lookup under them with the records stored since, those its lookup's snapshot could
# not see: written by transactions at or past the snapshot's xmax or in progress when it was taken.
# "record_id,restored,keys" lines (restored 1: the write replaced keys stored before).
# At most :limit lines (more: the caller looks everything up again). The snapshot's xmax and
# in-progress ids go as values, not as functions of the snapshot: the planner then sees that the
# index holds next to no rows past xmax (as functions, it took a third of the table and scanned it
# whole, ~100 ms a batch on 1M records); ``snapshot_bounds``.
_STORED_SINCE_SQL = text("""
    SELECT coalesce(string_agg(r.record_id::text || ',' || r.restored::int::text || ',' || r.keys, E'\\n'), '')
    FROM (SELECT record_id, restored, keys FROM matching.record_keys
          WHERE stored_by >= CAST(:xmax AS xid8) OR stored_by = ANY(CAST(:xip AS xid8[]))
          LIMIT :limit) AS r""")
# "skeleton,records" of the given own-name skeletons (one a line) that the register holds
_NAME_COUNTS_SQL = text(f"""
    SELECT {_NAME_COUNT_LINES}
    FROM (SELECT DISTINCT s FROM {_LINES.format("names")} AS t(s) WHERE s <> '') AS names {_NAME_COUNT_OF}""")
_HIT_SCHEMA = {"probe": pl.Int32, "cand": pl.Int32}
_CANDIDATE_SCHEMA = {"cand": pl.Int32, "record_id": pl.String, **KEY_SCHEMA}
# What linking a batch reads besides candidates, in one round trip: the register's size (as
# register_size), the newest stored parameters and the records they were estimated on, the batch's
# stored keys ("record_id<TAB>keys" lines), the reviewers' decisions on pairs touching it and, when its
# persons are locked already, their links.
_CONTEXT_SQL = text(f"""
    WITH ids AS (SELECT {_IDS.format("ids")} AS ids)
    SELECT (SELECT CASE WHEN c.reltuples >= {EXACT_COUNT_BELOW} THEN c.reltuples::bigint
                        ELSE (SELECT count(*) FROM matching.record_keys) END
            FROM pg_class c WHERE c.oid = 'matching.record_keys'::regclass) AS register,
           (SELECT p.params::text FROM matching.model_params p ORDER BY p.id DESC LIMIT 1) AS params,
           (SELECT p.records FROM matching.model_params p ORDER BY p.id DESC LIMIT 1) AS params_records,
           (SELECT coalesce(string_agg(r.record_id::text || E'\\t' || r.keys, E'\\n'), '')
            FROM matching.record_keys r, ids WHERE r.record_id = ANY(ids.ids)) AS old,
           (SELECT coalesce(string_agg(d.record_a::text || ',' || d.record_b::text || ',' || d.status, E'\\n'), '')
            FROM matching.review_pairs d, ids
            WHERE d.status <> 'pending' AND (d.record_a = ANY(ids.ids) OR d.record_b = ANY(ids.ids))) AS decided,
           (SELECT coalesce(string_agg(l.record_id::text || E'\\t' || l.person_id::text, E'\\n'), '')
            FROM matching.person_links l, ids
            WHERE CAST(:with_links AS boolean) AND l.record_id = ANY(ids.ids)) AS links""")
_REGISTER_ESTIMATE_SQL = text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'matching.record_keys'::regclass")
_REGISTER_COUNT_SQL = text("SELECT count(*) FROM matching.record_keys")
_DELETE_BLOCKS_SQL = text("""
    DELETE FROM matching.block_keys b
    USING unnest(CAST(:families AS smallint[]), CAST(:keys AS text[]), CAST(:ids AS uuid[])) AS o(rule, key, record_id)
    WHERE b.rule = o.rule AND b.key = o.key AND b.record_id = o.record_id""")
# The batch's keys ("record_id<TAB>keys" lines), name count changes and blocking keys
# ("family<TAB>key<TAB>record_id" lines); a new record's with plain inserts (a conflict check costs
# as much again), a changed record's with upserts.
_STORE_KEYS_SQL = text(f"""
    WITH counted AS (
        INSERT INTO matching.name_counts (skeleton, records)
        SELECT * FROM unnest(CAST(:skeletons AS text[]), CAST(:changes AS int[]))
        ON CONFLICT (skeleton) DO UPDATE SET records = name_counts.records + excluded.records
    ), stored AS (
        INSERT INTO matching.record_keys (record_id, keys)
        SELECT split_part(line, E'\\t', 1)::uuid, split_part(line, E'\\t', 2) FROM {_LINES.format("records")} AS t(line)
    ), restored AS (
        INSERT INTO matching.record_keys (record_id, keys)
        SELECT split_part(line, E'\\t', 1)::uuid, split_part(line, E'\\t', 2)
        FROM {_LINES.format("changed_records")} AS t(line)
        ON CONFLICT (record_id) DO UPDATE SET keys = excluded.keys, updated_at = now(),
            stored_by = pg_current_xact_id(), restored = true
    ), changed AS (
        INSERT INTO matching.block_keys (rule, key, record_id)
        SELECT split_part(line, E'\\t', 1)::smallint, split_part(line, E'\\t', 2), split_part(line, E'\\t', 3)::uuid
        FROM {_LINES.format("changed_blocks")} AS t(line)
        ON CONFLICT DO NOTHING
    )
    INSERT INTO matching.block_keys (rule, key, record_id)
    SELECT split_part(line, E'\\t', 1)::smallint, split_part(line, E'\\t', 2), split_part(line, E'\\t', 3)::uuid
    FROM {_LINES.format("blocks")} AS t(line)""")
# "record_id<TAB>person_id<TAB>lock bucket of the person" lines
_LINKS_SQL = text(f"""
    SELECT coalesce(string_agg(record_id::text || E'\\t' || person_id::text || E'\\t'
                               || (hashtext(person_id::text) & {LOCK_BUCKETS - 1})::text, E'\\n'), '')
    FROM matching.person_links WHERE record_id = ANY({_IDS.format("ids")})""")
_CREATED_SQL = text("SELECT person_id::text, created_at FROM matching.persons "
                    "WHERE person_id = ANY(CAST(:ids AS uuid[]))")
# Locks the buckets of the persons of the records (or of the given buckets), in sorted order;
# returns the buckets.
_LOCK_PERSONS_SQL = text(f"""
    SELECT coalesce(array_agg(b), '{{}}') FROM (
        SELECT b, pg_advisory_xact_lock(:cls, b) FROM (
            SELECT DISTINCT hashtext(person_id::text) & {LOCK_BUCKETS - 1} AS b FROM matching.person_links
            WHERE record_id = ANY({_IDS.format("ids")})
            UNION SELECT unnest(CAST(:buckets AS int[]))
            ORDER BY b) AS wanted) AS locked""")
# Linking reads links and then writes them: the re-match job's final write (EXCLUSIVE on persons)
# must not run in between; this waits for it, or makes it wait.
_LOCK_PERSONS_TABLE_SQL = text("LOCK TABLE matching.persons IN ROW EXCLUSIVE MODE")
# An outbox row built in SQL from e(id, topic, person_id, record_id, probability[, extra]): the JSON
# of shared.events.EventEnvelope; ``extra`` names the column of a payload key of that name, or is a
# CASE over several.
_PAYLOAD = "'person_id', e.person_id::text, 'record_id', e.record_id::text, 'probability', e.probability"


def _event_row(payload: str = f"json_build_object({_PAYLOAD})") -> str:
    return f"""e.id, e.topic, e.person_id::text, convert_to(json_build_object(
        'event_id', e.id, 'type', e.topic, 'schema_version', 1, 'occurred_at', to_json(now()),
        'producer', 'matching', 'key', e.person_id::text, 'payload', {payload})::text, 'UTF8')"""


# Two CTEs over m(absorbed, survivor): the absorbed persons live on as their survivors, and the ids
# merged into them before are re-pointed (a merged id is always one step from a person that exists).
_FORWARD_MERGED = """repointed AS (
        UPDATE matching.merged_persons f SET survivor_id = m.survivor FROM m WHERE f.survivor_id = m.absorbed
    ), forwarded AS (
        INSERT INTO matching.merged_persons (person_id, survivor_id) SELECT absorbed, survivor FROM m
        ON CONFLICT (person_id) DO UPDATE SET survivor_id = excluded.survivor_id, merged_at = now()
    )"""
_FORWARD_ONE_SQL = text(f"""
    WITH m AS (SELECT CAST(:absorbed AS uuid) AS absorbed, CAST(:survivor AS uuid) AS survivor),
    {_FORWARD_MERGED}
    SELECT 1""")
# Persons absorbed into survivors: their records moved, the persons removed, the absorbed ids
# forwarded, two events per moved record.
_MERGE_PAYLOAD = f"""CASE WHEN e.step = 0
        THEN json_build_object({_PAYLOAD}, 'merged_into', e.other::text)
        ELSE json_build_object({_PAYLOAD}, 'merged_from', e.other::text) END"""
_MERGE_SQL = text(f"""
    WITH m AS (
        SELECT * FROM unnest(CAST(:absorbed AS uuid[]), CAST(:survivors AS uuid[])) AS m(absorbed, survivor)
    ), moved AS (
        UPDATE matching.person_links l SET person_id = m.survivor FROM m WHERE l.person_id = m.absorbed
        RETURNING l.record_id, m.absorbed, m.survivor
    ), removed AS (
        DELETE FROM matching.persons p USING m WHERE p.person_id = m.absorbed
    ), {_FORWARD_MERGED}
    INSERT INTO matching.outbox (event_id, topic, key, body)
    SELECT {_event_row(_MERGE_PAYLOAD)}
    FROM (
        SELECT gen_random_uuid() AS id, CAST(:unlinked AS text) AS topic, absorbed AS person_id, record_id,
               NULL::float8 AS probability, survivor AS other, 0 AS step
        FROM moved
        UNION ALL
        SELECT gen_random_uuid(), CAST(:linked AS text), survivor, record_id, NULL::float8, absorbed, 1 FROM moved
    ) AS e
    ORDER BY e.record_id, e.step""")
# The batch's new persons, its links ("record_id<TAB>person_id<TAB>probability" lines) and their
# events, as outbox batch rows made in Python (frames.link_event_rows).
_LINK_SQL = text(f"""
    WITH l AS (
        SELECT split_part(line, E'\\t', 1)::uuid AS record_id, split_part(line, E'\\t', 2)::uuid AS person_id,
               NULLIF(split_part(line, E'\\t', 3), '')::float8 AS probability
        FROM {_LINES.format("links")} AS t(line)
    ), created AS (
        INSERT INTO matching.persons (person_id) SELECT unnest({_IDS.format("new_persons")})
    ), announced AS (
        INSERT INTO matching.outbox (event_id, topic, key, body, events)
        SELECT * FROM unnest(CAST(:event_ids AS uuid[]), CAST(:topics AS text[]), CAST(:keys AS text[]),
                             CAST(:bodies AS bytea[]), CAST(:counts AS int[]))
    )
    INSERT INTO matching.person_links (record_id, person_id, probability)
    SELECT record_id, person_id, probability FROM l
    ON CONFLICT (record_id) DO UPDATE SET person_id = excluded.person_id, probability = excluded.probability,
        linked_at = now()""")


@dataclass(frozen=True)
class ScoredCandidate:
    new_row: int
    record_id: uuid.UUID
    probability: float
    explanation: list[FieldExplanation] | None


def _tab_lines(frame: pl.DataFrame) -> str:
    """The rows of ``frame`` as one text: tab-separated fields, one row a line (see ``_LINES``)."""
    if frame.height == 0:
        return ""
    return frame.select(pl.concat_str([pl.col(c).cast(pl.String) for c in frame.columns], separator="\t")
                        .str.join("\n")).item()


@dataclass(frozen=True)
class PreparedBatch:
    """A batch's keys and blocking keys, computed before any database work (pure CPU)."""

    ids: list[str]  # record ids, as text
    keys: pl.DataFrame
    # row, family, key: the batch's distinct blocking keys per record; a large batch's in key order,
    # so that its inserts walk the blocking-key index in order (~12% cheaper than in record order)
    blocks: pl.DataFrame
    probes_text: str  # the batch's distinct "family<TAB>key", one a line: probe i is line i
    probe_caps: np.ndarray
    probe_rows: np.ndarray  # records of the batch holding the key
    probe_start: np.ndarray  # the rows holding probe p: block_rows[probe_start[p]:probe_start[p + 1]]
    block_rows: np.ndarray
    names_text: str  # the batch's distinct own-name skeletons, one a line

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def probes(self) -> int:
        return len(self.probe_caps)

    def subset(self, rows: Sequence[int]) -> PreparedBatch:
        rows = list(rows)
        if rows == list(range(self.size)):
            return self
        return _assemble([self.ids[r] for r in rows], self.keys[rows])


def prepare_batch(records: Sequence[tuple[uuid.UUID | str, Mapping[str, Any]]]) -> PreparedBatch:
    """Normalised keys and blocking keys of records given as (record id, registry attributes); an id
    given as text must be in the canonical form (lower case, with hyphens)."""
    attributes = [attributes for _, attributes in records]
    if len(attributes) <= SMALL_TABLE:  # the real-time path: no frame to build and read back
        keys = normalize_rows(input_rows(attributes))
    else:
        keys = normalize_table(records_frame(attributes))
    return _assemble([record_id for record_id, _ in records], keys)


def _assemble(record_ids: Sequence[uuid.UUID | str], keys: pl.DataFrame) -> PreparedBatch:
    ids = [str(r) for r in record_ids]
    blocks = family_block_keys(keys, RULES)
    if len(ids) <= SMALL_TABLE:
        return _assemble_small(ids, keys, blocks)
    # probes in key order: consecutive index probes then often land on pages just read
    by_key = blocks.sort("family", "key", "row")
    first = by_key.select(pl.struct("family", "key").is_first_distinct()).to_series()
    probes = by_key.filter(first).select("family", "key")
    probe_of_block = first.cast(pl.Int64).cum_sum().to_numpy() - 1
    probe_rows = np.bincount(probe_of_block, minlength=probes.height).astype(np.int64)
    names = pl.concat([keys["name_bn"], keys["name_en"]]).drop_nulls().unique()
    return PreparedBatch(
        ids=ids, keys=keys,
        blocks=by_key, probes_text=_tab_lines(probes),
        probe_caps=FAMILY_CAPS[probes["family"].to_numpy().astype(np.int64)], probe_rows=probe_rows,
        probe_start=np.concatenate([[0], np.cumsum(probe_rows)]).astype(np.int64),
        block_rows=by_key["row"].to_numpy().astype(np.int64),
        names_text="\n".join(names.to_list()))


def _assemble_small(ids: list[str], keys: pl.DataFrame, blocks: pl.DataFrame) -> PreparedBatch:
    """``_assemble`` of a few records in plain Python (the same batch: tested equal)."""
    by_key = sorted(blocks.iter_rows(), key=lambda block: (block[1], block[2], block[0]))  # family, key, row
    probes: list[tuple[int, str]] = []
    probe_rows: list[int] = []
    for _, family, key in by_key:
        if not probes or probes[-1] != (family, key):
            probes.append((family, key))
            probe_rows.append(0)
        probe_rows[-1] += 1
    names = {name for column in ("name_bn", "name_en") for name in keys[column].to_list() if name is not None}
    return PreparedBatch(
        ids=ids, keys=keys, blocks=blocks, probes_text="\n".join(f"{family}\t{key}" for family, key in probes),
        probe_caps=FAMILY_CAPS[np.array([family for family, _ in probes], dtype=np.int64)],
        probe_rows=np.array(probe_rows, dtype=np.int64),
        probe_start=np.concatenate([[0], np.cumsum(probe_rows, dtype=np.int64)]).astype(np.int64),
        block_rows=np.array([row for row, _, _ in by_key], dtype=np.int64),
        names_text="\n".join(sorted(names)))


async def run_cpu(threaded: bool, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, in a worker thread when ``threaded`` (the event loop stays free for the database)."""
    return await asyncio.to_thread(fn, *args) if threaded else fn(*args)


async def beside(work: Awaitable[Any], cpu: asyncio.Future[T]) -> T:
    """Run the database ``work`` while ``cpu`` computes; both finish before this returns or raises
    (a session must not be used by two tasks at once, nor abandoned mid-statement)."""
    try:
        await work
    except BaseException:
        await asyncio.gather(cpu, return_exceptions=True)
        raise
    return await cpu


async def register_size(session: AsyncSession) -> int:
    """Records in the register: the planner's estimate on a large table, else an exact count."""
    estimate = int(await session.scalar(_REGISTER_ESTIMATE_SQL) or 0)
    if estimate >= EXACT_COUNT_BELOW:
        return estimate
    return int(await session.scalar(_REGISTER_COUNT_SQL) or 0)


async def current_params(session: AsyncSession, records: int | None = None) -> ModelParams:
    """The newest batch-estimated parameters (those the batch clustered with), else the bundled ones.

    The prior is a share of all record pairs, so it follows the register's size: the stored prior is
    rescaled when the register has grown since the batch run (what the next batch run would
    estimate), and the bundled one is scaled to the current size.
    """
    if records is None:
        records = await register_size(session)
    stored = await session.scalar(select(StoredModelParams).order_by(StoredModelParams.id.desc()).limit(1))
    return _scaled_params(stored.params if stored else None, stored.records if stored else 0, records)


def _scaled_params(stored: Mapping[str, Any] | None, stored_records: int, records: int) -> ModelParams:
    if stored is None:
        return default_params(max(records, 2))
    params = ModelParams(**stored)
    if stored_records > 1 and records > stored_records:
        params.prior = params.prior * (stored_records - 1) / (records - 1)
    return params


def name_frequencies(keys: pl.DataFrame, counts: Mapping[str, int], records: int) -> np.ndarray | None:
    """Share of the register carrying each row's own-name skeleton (the batch's term frequency), from
    ``counts`` (records per skeleton); None below the register size from which the batch uses term
    frequencies."""
    if records < MIN_RECORDS_FOR_ESTIMATION:
        return None
    if keys.height <= SMALL_TABLE:
        per_script = [np.array([counts.get(s, 0) if s else 0 for s in keys[c].to_list()], dtype=np.float64)
                      for c in ("name_bn", "name_en")]
    else:  # a consumer batch and its candidates: tens of thousands of names, looked up by Polars
        counted = {skeleton: records for skeleton, records in counts.items() if skeleton}
        skeletons = pl.Series(list(counted), dtype=pl.String)
        records_of = pl.Series(list(counted.values()), dtype=pl.Float64)
        per_script = [keys[c].replace_strict(skeletons, records_of, default=0.0, return_dtype=pl.Float64)
                      .fill_null(0.0).to_numpy() for c in ("name_bn", "name_en")]
    frequency = (np.maximum(per_script[0], per_script[1]) / max(records, 1)).astype(np.float32)
    frequency[frequency == 0] = np.nan
    return frequency


async def _lock_keys(session: AsyncSession, batch: PreparedBatch) -> None:
    if batch.probes:
        await session.execute(_LOCK_SQL, {"cls": LOCK_CLASS, "probes": batch.probes_text})


def _read_csv(text: str, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(text), has_header=False, schema=schema) if text else pl.DataFrame(schema=schema)


class Candidates:
    """Stored records sharing a blocking key with a batch (see ``_CANDIDATES_SQL``), parsed on first
    use (in the scoring thread, not on the event loop)."""

    def __init__(self, hits: str = "", lines: str = "", counts: str = "") -> None:
        self._hits, self._lines, self._counts = hits, lines, counts

    @cached_property
    def _parsed(self) -> tuple[list[str], pl.DataFrame, tuple[np.ndarray, np.ndarray], dict[str, int]]:
        frame = _read_csv(self._lines, _CANDIDATE_SCHEMA)
        if not frame["cand"].is_sorted():
            frame = frame.sort("cand")
        name_counts = {}
        if self._counts:
            for line in self._counts.split("\n"):
                skeleton, _, records = line.rpartition(",")
                name_counts[skeleton] = int(records)
        return frame["record_id"].to_list(), frame.drop("cand", "record_id"), _parse_hits(self._hits), name_counts

    @property
    def ids(self) -> list[str]:
        return self._parsed[0]

    @property
    def keys(self) -> pl.DataFrame:
        return self._parsed[1]

    @property
    def hit_probe(self) -> np.ndarray:
        """Per stored member of a block of the batch's keys, its probe."""
        return self._parsed[2][0]

    @property
    def hit_cand(self) -> np.ndarray:
        """Per stored member of a block of the batch's keys, its candidate number (-1: a record of
        the batch itself, or a member of a block over its family's cap)."""
        return self._parsed[2][1]

    @property
    def name_counts(self) -> dict[str, int]:
        """How many records carry each own name of the batch and of the candidates."""
        return self._parsed[3]


def _parse_hits(hits: str) -> tuple[np.ndarray, np.ndarray]:
    """``probe,candidate`` lines as two arrays."""
    if len(hits) < SMALL_TEXT:  # one record's candidates: Polars' per-call overhead would dominate
        pairs = np.array([line.split(",") for line in hits.split("\n")] if hits else [], dtype=np.int32)
        if not len(pairs):
            return np.zeros(0, np.int32), np.zeros(0, np.int32)
        return pairs[:, 0], pairs[:, 1]
    parsed = _read_csv(hits, _HIT_SCHEMA)
    return parsed["probe"].to_numpy(), parsed["cand"].to_numpy()


async def fetch_candidates(session: AsyncSession, batch: PreparedBatch, exclude: Sequence[str] = (),
                           with_counts: bool = False) -> Candidates:
    """Every stored record sharing a blocking key with the batch, its keys and, ``with_counts``, how
    many records carry each own name of the batch and of the candidates: one statement."""
    if not batch.probes:
        return Candidates()
    found = await _look_up(session, batch.probes_text, exclude, batch.names_text, with_counts=with_counts)
    return Candidates(found.hits, found.lines, found.counts)


async def _look_up(session: AsyncSession, probes: str, exclude: Sequence[str], names: str, *,
                   with_counts: bool = False, list_names: bool = False) -> Any:
    """``_CANDIDATES_SQL`` for these probes: its one row (``BlockIndexNotBuilt`` if the blocking-key
    index is not whole: no candidate found there could be trusted to be all)."""
    found = (await session.execute(_CANDIDATES_SQL, {
        "probes": probes, "caps": FAMILY_CAPS.tolist(), "exclude": ",".join(exclude), "names": names,
        "with_counts": with_counts, "list_names": list_names})).one()
    if not found.built:
        raise BlockIndexNotBuilt("the blocking-key index is being rebuilt after a database restart; retry later")
    return found


def snapshot_bounds(snapshot: str) -> tuple[int, list[int]]:
    """The xmax and the in-progress transaction ids of a snapshot in its text form
    (``xmin:xmax:xip,...``): a transaction it cannot see is at or past xmax, or one of those."""
    _, xmax, xip = snapshot.split(":")
    return int(xmax), [int(x) for x in xip.split(",") if x]


@dataclass(frozen=True)
class EarlyCandidates:
    """A batch's candidate lookup made before its locks (``fetch_early_candidates``): the lookup's
    hits and candidates as ``_CANDIDATES_SQL`` returns them, the own names to count (the batch's and
    the candidates'), and the snapshot the lookup saw."""

    hits: str
    lines: str
    names: str
    snapshot: str


async def fetch_early_candidates(session: AsyncSession, batch: PreparedBatch) -> EarlyCandidates:
    """The candidate lookup of a large batch, before it takes its locks: while another batch holds
    them, the lookup runs beside it instead of inside the section that every batch waits for.
    ``complete_early_candidates`` completes it under the locks. None of the batch's records is a
    candidate (a changed record is compared through its fresh keys)."""
    found = await _look_up(session, batch.probes_text, batch.ids, batch.names_text, list_names=True)
    return EarlyCandidates(found.hits, found.lines, found.names, found.snapshot)


# Above this many records stored since an early lookup, it is made again whole (cheaper than
# computing so many records' blocking keys).
STORED_SINCE_LIMIT = 50_000


async def complete_early_candidates(session: AsyncSession, batch: PreparedBatch, early: EarlyCandidates,
                                    exclude: Sequence[str], with_counts: bool) -> Candidates:
    """The batch's candidates as ``fetch_candidates`` would find them now, from its early lookup
    and the records stored since (their blocking keys computed from their stored keys). Called
    with the batch's lock buckets held (a consumer batch holds all of them): a record sharing a key
    with the batch is stored by a transaction holding that key's bucket, so every such record stored
    since is committed and read.

    A record whose keys were re-stored since may have left blocks the early lookup saw it in: its
    early hits are dropped (its current keys give its hits), and the probes whose blocks the early
    lookup saw at their cap (it does not know their members) are probed again. Everything is looked
    up again when one of the batch's own records was re-stored by another transaction (possible
    only outside the consumer) or very many records were stored since."""
    xmax, xip = snapshot_bounds(early.snapshot)
    since = await session.scalar(_STORED_SINCE_SQL, {"xmax": xmax, "xip": xip, "limit": STORED_SINCE_LIMIT})
    stored_since = _parse_stored_since(since or "")
    own = set(batch.ids)
    if len(stored_since.record_ids) >= STORED_SINCE_LIMIT or own & stored_since.restored:
        return await fetch_candidates(session, batch, exclude=exclude, with_counts=with_counts)
    threaded = batch.size >= THREAD_ROWS
    again: tuple[np.ndarray, EarlyCandidates] | None = None
    if stored_since.restored:
        at_cap = await run_cpu(threaded, _probes_at_cap, batch, early)
        if len(at_cap):
            lines = batch.probes_text.split("\n")
            found = await _look_up(session, "\n".join(lines[p] for p in at_cap.tolist()), batch.ids, "",
                                   list_names=True)
            again = (at_cap, EarlyCandidates(found.hits, found.lines, found.names, found.snapshot))
    merged = await run_cpu(threaded, merge_stored_since, batch, early, stored_since, again)
    counts = ""
    if with_counts and merged.names:
        counts = await session.scalar(_NAME_COUNTS_SQL, {"names": merged.names}) or ""
    return Candidates(merged.hits, merged.lines, counts)


@dataclass(frozen=True)
class StoredSince:
    """Records stored since an early lookup: ids, stored key lines, and the ids of those re-stored."""

    record_ids: list[str]
    lines: list[str]
    restored: set[str]


def _parse_stored_since(since: str) -> StoredSince:
    """"record_id,restored,keys" lines (a 36-character id, a 0/1 flag)."""
    record_ids, lines, restored = [], [], set()
    for line in since.split("\n") if since else ():
        record_ids.append(line[:36])
        lines.append(line[39:])
        if line[37] == "1":
            restored.add(line[:36])
    return StoredSince(record_ids, lines, restored)


def _probes_at_cap(batch: PreparedBatch, early: EarlyCandidates) -> np.ndarray:
    """The probes whose early hits reached their cap (the lookup stops there: members unknown)."""
    probe, _ = _parse_hits(early.hits)
    return np.flatnonzero(np.bincount(probe, minlength=batch.probes) >= batch.probe_caps)


def merge_stored_since(batch: PreparedBatch, early: EarlyCandidates, stored_since: StoredSince,
                       again: tuple[np.ndarray, EarlyCandidates] | None = None) -> EarlyCandidates:
    """The early lookup completed with the records stored since: its hits and candidates, and the
    own names to count (the early lookup's and the added candidates').

    A record stored since that shares a probe is a hit of it and, when it is not one of the batch's
    records, a candidate (appended, numbered after the early ones); a block over its cap is found
    over it by ``candidate_pairs_of`` from the hits per probe, as when the lookup is made at once. A
    re-stored record's early hits are dropped. ``again``: probes looked up again (their indices) and
    what that lookup found, which replaces everything else about those probes."""
    if not stored_since.record_ids:
        return early
    keys = keys_from_lines(stored_since.lines)
    blocks = family_block_keys(keys, RULES)
    probes = pl.DataFrame({"probe_line": batch.probes_text.split("\n")}).with_row_index("probe")
    hit = (blocks.with_columns(probe_line=pl.concat_str([pl.col("family").cast(pl.String), pl.col("key")],
                                                        separator="\t"))
           .join(probes, on="probe_line", how="inner").select(pl.col("probe").cast(pl.Int64), "row")
           .sort("row", "probe"))
    again_probes = again[0] if again is not None else np.zeros(0, dtype=np.int64)
    if len(again_probes):
        hit = hit.filter(~pl.col("probe").is_in(pl.Series(again_probes).implode()))
    early_hits, early_lines = early.hits, early.lines
    if stored_since.restored or len(again_probes):
        early_hits = _without_hits(early, stored_since.restored, again_probes)
    own = set(batch.ids)
    ids = stored_since.record_ids
    shipped = [row for row in hit["row"].unique(maintain_order=True).to_list() if ids[row] not in own]
    first = early_lines.count("\n") + 1 if early_lines else 0
    cand_of = {row: first + i for i, row in enumerate(shipped)}
    hits = [f"{probe},{cand_of.get(row, -1)}" for probe, row in hit.iter_rows()]
    added = [f"{cand_of[row]},{ids[row]},{stored_since.lines[row]}" for row in shipped]
    names = {name for column in ("name_bn", "name_en") for name in keys[column].gather(shipped).to_list() if name}
    extra_names = ""
    if again is not None and len(again_probes):
        offset = first + len(shipped)
        found = again[1]
        local_probe, local_cand = _parse_hits(found.hits)
        hits += [f"{again_probes[p]},{c + offset if c >= 0 else -1}"
                 for p, c in zip(local_probe.tolist(), local_cand.tolist(), strict=True)]
        for line in found.lines.split("\n") if found.lines else ():
            cand, rest = line.split(",", 1)
            added.append(f"{int(cand) + offset},{rest}")
        extra_names = found.names
    return EarlyCandidates("\n".join(filter(None, [early_hits, *hits])), "\n".join(filter(None, [early_lines, *added])),
                           "\n".join(filter(None, [early.names, *sorted(names), extra_names])), early.snapshot)


def _without_hits(early: EarlyCandidates, restored: set[str], probes: np.ndarray) -> str:
    """The early hits less those of re-stored records and of the given probes."""
    probe, cand = _parse_hits(early.hits)
    drop = np.isin(probe, probes)
    if restored:
        lines = early.lines.split("\n") if early.lines else []
        stale = [int(line.split(",", 1)[0]) for line in lines if line.split(",", 2)[1] in restored]
        drop |= np.isin(cand, np.array(stale, dtype=np.int64))
    kept = ~drop
    return "\n".join(f"{p},{c}" for p, c in zip(probe[kept].tolist(), cand[kept].tolist(), strict=True))


def candidate_pairs_of(batch: PreparedBatch, candidates: Candidates) -> np.ndarray:
    """Pairs to score, as rows of the batch's keys followed by the candidates' keys: each record
    with the stored records sharing a key with it, and the batch's records sharing a key with each
    other. A key whose block (stored records plus the batch's) exceeds its family's cap is no key,
    as in the batch's ``candidate_pairs``."""
    n = batch.size
    hit_probe, hit_cand = candidates.hit_probe, candidates.hit_cand
    hits_per_probe = np.bincount(hit_probe, minlength=batch.probes)
    stored = hit_cand >= 0
    others = np.bincount(hit_probe[stored], minlength=batch.probes)
    usable = (hits_per_probe < batch.probe_caps) & (others + batch.probe_rows <= batch.probe_caps)
    keep = stored & usable[hit_probe]
    # the batch's rows of each probe: block_rows[probe_start[p]:probe_start[p + 1]]
    starts = batch.probe_start[hit_probe[keep]]
    sizes = batch.probe_rows[hit_probe[keep]]
    offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    register = np.stack([batch.block_rows[np.repeat(starts, sizes) + offsets],
                         np.repeat(hit_cand[keep] + n, sizes)], axis=1)
    # the batch's records sharing a usable key: every pair of each probe's rows, one block size at a time
    inner = [np.zeros((0, 2), dtype=np.int64)]
    shared = usable & (batch.probe_rows >= 2)
    for size in np.unique(batch.probe_rows[shared]).tolist():
        starts = batch.probe_start[np.flatnonzero(shared & (batch.probe_rows == size))]
        members = batch.block_rows[starts[:, None] + np.arange(size)]  # one probe's rows a line, ascending
        first, second = np.array(list(combinations(range(size), 2))).T
        inner.append(np.stack([members[:, first].ravel(), members[:, second].ravel()], axis=1))
    pairs = np.concatenate([register, *inner]).astype(np.int64)
    if not len(pairs):
        return np.zeros((0, 2), dtype=np.int32)
    codes = sorted_unique(pairs[:, 0] * (1 << 32) + pairs[:, 1])
    return np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1).astype(np.int32)


@dataclass(frozen=True)
class ScoredPairs:
    pairs: np.ndarray  # (k, 2): left a batch row, right a batch row or batch size + candidate number
    probability: np.ndarray
    gamma: np.ndarray


def score_pairs(keys: pl.DataFrame, pairs: np.ndarray, params: ModelParams,
                name_frequency: np.ndarray | None) -> ScoredPairs:
    """The batch engine's comparison levels, weights and probability for pairs of rows of ``keys``."""
    if not len(pairs):
        return ScoredPairs(pairs=pairs, probability=np.zeros(0), gamma=np.zeros((0, len(COMPARISONS)), np.int8))
    record_keys = build_record_keys(keys)
    record_keys.name_frequency = name_frequency
    gamma = comparison_vectors(record_keys, pairs, COMPARISONS)
    tf = record_keys.name_term_frequency(pairs[:, 0], pairs[:, 1]) if name_frequency is not None else None
    probability = match_probability(pair_scores(gamma, params, tf), params.prior)
    return ScoredPairs(pairs=pairs, probability=probability, gamma=gamma)


def score_batch(batch: PreparedBatch, candidates: Candidates, params: ModelParams, records: int) -> ScoredPairs:
    """Every pair of the batch with its candidates and within itself, scored (pure CPU)."""
    keys = pl.concat([batch.keys, candidates.keys], how="vertical_relaxed")
    return score_pairs(keys, candidate_pairs_of(batch, candidates), params,
                       name_frequencies(keys, candidates.name_counts, records))


def _explanations(scored: ScoredPairs, rows: np.ndarray, params: ModelParams) -> list[list[FieldExplanation]]:
    weights = match_weights(scored.gamma[rows], params)
    return [explain(scored.gamma[i], weights[k], COMPARISONS, params) for k, i in enumerate(rows.tolist())]


def _with_record_ids(blocks: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    """``family, key, record_id`` of blocking keys given by row."""
    return blocks.select("family", "key", record_id=pl.Series(
        np.array(ids, dtype=object)[blocks["row"].to_numpy()] if ids else [], dtype=pl.String))


def _own_names(keys: pl.DataFrame) -> Counter[str]:
    """Records per own-name skeleton (a record counts once per distinct skeleton), as name_counts keeps them."""
    counts: Counter[str] = Counter()
    for bangla, latin in zip(keys["name_bn"].to_list(), keys["name_en"].to_list(), strict=True):
        if bangla:
            counts[bangla] += 1
        if latin and latin != bangla:
            counts[latin] += 1
    return counts


def _block_lines(batch: PreparedBatch) -> str:
    """``family<TAB>key<TAB>record id`` of the batch's blocking keys, one a line."""
    if batch.size <= SMALL_TABLE:  # a few records: no frame to build
        return "\n".join(f"{family}\t{key}\t{batch.ids[row]}" for row, family, key in batch.blocks.iter_rows())
    return _tab_lines(_with_record_ids(batch.blocks, batch.ids))


async def _store_keys(session: AsyncSession, batch: PreparedBatch, old_lines: Mapping[str, str]) -> None:
    """Keys, blocking keys and name counts of the batch's records, in one statement (changed
    records: their old blocking keys deleted first)."""
    counts = _own_names(batch.keys)
    new_blocks = None
    if old_lines:
        new_blocks = _with_record_ids(batch.blocks, batch.ids)
        old_keys = keys_from_lines(list(old_lines.values()))
        counts.subtract(_own_names(old_keys))
        old_blocks = _with_record_ids(family_block_keys(old_keys, RULES), list(old_lines))
        gone = old_blocks.join(new_blocks, on=["family", "key", "record_id"], how="anti")
        if gone.height:
            await session.execute(_DELETE_BLOCKS_SQL, {"families": gone["family"].to_list(),
                                                       "keys": gone["key"].to_list(),
                                                       "ids": gone["record_id"].to_list()})
    changes = {skeleton: change for skeleton, change in counts.items() if change}
    name_counts = {"skeletons": list(changes), "changes": list(changes.values())}
    # record_keys rows, "record_id<TAB>stored keys" lines (made here, beside the scoring thread, not
    # before the candidate lookup)
    lines = [f"{i}\t{line}" for i, line in zip(batch.ids, keys_to_lines(batch.keys), strict=True)]

    # every row as an upsert: what a new record whose keys are stored already needs (another
    # transaction stored them after this one read: two transactions linking one new record, possible
    # only outside the consumer, where the source-record upsert serialises them; or a damaged register)
    def upserted() -> dict[str, Any]:
        return {**name_counts, "records": "", "changed_records": "\n".join(lines), "blocks": "",
                "changed_blocks": _block_lines(batch)}

    if batch.size <= SMALL_TABLE:
        # a few records (the real-time path): the upserts cost next to nothing here, and a savepoint
        # to try the plain inserts first would cost two more round trips
        await session.execute(_STORE_KEYS_SQL, upserted())
        return
    # new records' rows with plain inserts (a conflict check costs as much again), changed ones' as upserts
    if new_blocks is not None:
        is_changed = pl.col("record_id").is_in(list(old_lines))
        blocks, changed_blocks = _tab_lines(new_blocks.filter(~is_changed)), _tab_lines(new_blocks.filter(is_changed))
        records = "\n".join(line for line in lines if line[:36] not in old_lines)
        changed_records = "\n".join(line for line in lines if line[:36] in old_lines)
    else:
        blocks, changed_blocks, records, changed_records = _block_lines(batch), "", "\n".join(lines), ""
    try:
        async with session.begin_nested():
            await session.execute(_STORE_KEYS_SQL, {**name_counts, "records": records, "blocks": blocks,
                                                    "changed_records": changed_records,
                                                    "changed_blocks": changed_blocks})
    except IntegrityError:
        await session.execute(_STORE_KEYS_SQL, upserted())


async def _read_links(session: AsyncSession, ids: str) -> list[tuple[str, str, int]]:
    """(record, person, lock bucket of the person) of the records linked among ``ids`` (comma-separated)."""
    found = await session.scalar(_LINKS_SQL, {"ids": ids})
    return [(record, person, int(bucket)) for record, person, bucket in
            (line.split("\t") for line in found.split("\n"))] if found else []


async def _existing_links(session: AsyncSession, record_ids: list[str], locked: bool = False) -> dict[str, str]:
    """Person of each record, with the persons locked so that no other transaction merges or
    removes them before this one commits (``read_context`` has taken the table lock the re-match
    job waits for).

    The locks are advisory, one per bucket of person ids (sorted, taken in one statement): a row
    lock per person would write every person row read (~2,000 in a consumer batch). Whoever moves
    or removes a person's records takes them too (linking, reviewers' decisions); the re-match job
    locks the persons table instead, which the table lock waits for (or makes wait). ``locked``: every
    bucket is locked already.
    """
    ids = ",".join(record_ids)
    if locked:
        return {record: person for record, person, _ in await _read_links(session, ids)}
    locked_buckets = set(await session.scalar(_LOCK_PERSONS_SQL, {"cls": PERSON_LOCK_CLASS, "ids": ids,
                                                                  "buckets": []}) or [])
    links: dict[str, str] = {}
    for _ in range(5):
        found = await _read_links(session, ids)
        links = {record: person for record, person, _ in found}
        wanted = {bucket for _, _, bucket in found}
        if wanted <= locked_buckets:
            break
        # a person merged away while this transaction waited for its lock: its records now point
        # at the survivor, locked now and read again
        await session.scalar(_LOCK_PERSONS_SQL, {"cls": PERSON_LOCK_CLASS, "ids": "",
                                                 "buckets": sorted(wanted - locked_buckets)})
        locked_buckets |= wanted
    return links


async def _oldest_first(session: AsyncSession, persons: Sequence[str]) -> list[str]:
    """The persons, oldest first (ties: by id): the oldest survives a merge."""
    created = dict((await session.execute(_CREATED_SQL, {"ids": list(persons)})).all())
    return sorted(persons, key=lambda p: (created.get(p) is None, created.get(p) or datetime.min, p))


@dataclass(frozen=True)
class LinkContext:
    """What linking a batch reads that does not depend on its keys (read while they are computed)."""

    register: int
    params: ModelParams
    old_lines: dict[str, str]  # stored keys of the batch's records that were linked before
    decided: dict[tuple[str, str], str]  # reviewers' decisions on pairs touching the batch
    all_locked: bool = False  # every bucket (blocking keys' and persons') is locked already: a large batch
    links: dict[str, str] | None = None  # the person of each record linked before (read if all_locked)


async def read_context(session: AsyncSession, record_ids: Sequence[uuid.UUID | str]) -> LinkContext:
    """The register's size, the parameters, the records' stored keys and the reviewers' decisions.
    Takes the persons table lock that ``_existing_links`` relies on first and, for a large batch,
    every lock bucket (blocking keys' and persons'), after which it reads the records' links too."""
    await session.execute(_LOCK_PERSONS_TABLE_SQL)
    all_locked = len(record_ids) >= LOCK_ALL_FROM
    if all_locked:
        await session.execute(_LOCK_ALL_SQL, {"keys": LOCK_CLASS, "persons": PERSON_LOCK_CLASS})
    found = (await session.execute(_CONTEXT_SQL, {"ids": ",".join(map(str, record_ids)),
                                                  "with_links": all_locked})).one()
    register = int(found.register or 0)
    params = _scaled_params(orjson.loads(found.params) if found.params else None, found.params_records or 0,
                            register)
    old_lines = dict(line.split("\t", 1) for line in found.old.split("\n")) if found.old else {}
    decided: dict[tuple[str, str], str] = {}
    for line in found.decided.split("\n") if found.decided else ():
        a, b, status = line.split(",")
        decided[(a, b)] = status
    links = dict(line.split("\t") for line in found.links.split("\n")) if found.links else {}
    return LinkContext(register=register, params=params, old_lines=old_lines, decided=decided,
                       all_locked=all_locked, links=links if all_locked else None)


async def link_records(session: AsyncSession, records: Sequence[tuple[uuid.UUID, Mapping[str, Any]]]) -> int:
    """Link a batch of new or changed records in the caller's transaction; returns links written.

    See ``link_prepared``; the records are normalised (in a worker thread for a large batch) while
    the database reads what linking needs besides their keys. A record given twice is linked once,
    with its last attributes.
    """
    records = list({record_id: (record_id, attributes) for record_id, attributes in records}.values())
    if not records:
        return 0
    preparing = asyncio.ensure_future(run_cpu(len(records) >= THREAD_ROWS, prepare_batch, records))
    context: list[LinkContext] = []

    async def read() -> None:
        context.append(await read_context(session, [record_id for record_id, _ in records]))

    batch = await beside(read(), preparing)
    return await link_prepared(session, batch, context[0])


async def link_prepared(session: AsyncSession, batch: PreparedBatch, context: LinkContext | None = None,
                        early: EarlyCandidates | None = None) -> int:
    """Link a prepared batch of new or changed records in the caller's transaction; returns links written.

    A record joins the person of every record it matches (probability at or above the model's
    threshold), records of the batch that match each other are joined too, and persons it bridges
    are merged into the oldest of them: the same connected components the batch run forms, kept
    with stable person ids. A reviewer's decision on a pair overrules the model.

    Safe with several replicas linking at once: the transaction first takes advisory locks on the
    buckets of its records' blocking keys (sorted, so two transactions never wait on each other in
    a cycle), so records that could match each other are never linked by two transactions at the
    same time; the persons it links to or merges are locked before their links are read.

    ``early``: the batch's candidate lookup made before its locks (``fetch_early_candidates``),
    completed under them with the records stored since.
    """
    n = batch.size
    if n == 0:
        return 0
    if context is None:
        context = await read_context(session, batch.ids)
    params, decided = context.params, context.decided
    threaded = n >= THREAD_ROWS
    if not context.all_locked:
        await _lock_keys(session, batch)
    # a changed record's stored keys are stale: it is compared through the batch's fresh keys
    with_counts = context.register >= MIN_RECORDS_FOR_ESTIMATION
    if early is not None:
        candidates = await complete_early_candidates(session, batch, early, exclude=list(context.old_lines),
                                                     with_counts=with_counts)
    else:
        candidates = await fetch_candidates(session, batch, exclude=list(context.old_lines), with_counts=with_counts)
    scoring = asyncio.ensure_future(run_cpu(threaded, score_batch, batch, candidates, params, context.register))
    scored = await beside(_store_keys(session, batch, context.old_lines), scoring)

    pairs, probability = scored.pairs, scored.probability
    all_ids = batch.ids + candidates.ids
    linked = probability >= params.threshold
    decided_pair = np.zeros(len(pairs), dtype=bool)
    if decided and len(pairs):
        involved = {r for pair in decided for r in pair}
        position = {record_id: i for i, record_id in enumerate(all_ids) if i < n or record_id in involved}
        for (a, b), status in decided.items():
            i, j = position.get(a), position.get(b)
            if i is None or j is None:
                continue
            hit = (pairs[:, 0] == min(i, j)) & (pairs[:, 1] == max(i, j))
            decided_pair |= hit
            linked[hit] = status == ACCEPTED
    band = np.flatnonzero((probability >= REVIEW_LOWER) & (probability < params.threshold) & ~decided_pair)
    if len(band):
        uncertain = []
        for k, explanation in zip(band.tolist(), _explanations(scored, band, params), strict=True):
            first, second = sorted((all_ids[pairs[k, 0]], all_ids[pairs[k, 1]]))
            uncertain.append({"record_a": first, "record_b": second, "probability": float(probability[k]),
                              "explanation": [vars(e) for e in explanation]})
        await queue_uncertain(session, uncertain)

    links = pairs[linked]
    link_probability = probability[linked]
    wanted = sorted({all_ids[c] for c in links[links[:, 1] >= n, 1].tolist()})
    if context.links is not None:  # the batch's own links were read with the context, under the locks
        existing = {**context.links, **await _existing_links(session, wanted, locked=True)} if wanted \
            else dict(context.links)
    else:
        existing = await _existing_links(session, batch.ids + wanted, locked=context.all_locked)
    # the graph: the batch's rows, then one node per person met (numbered in order of appearance);
    # edges from each row to its person, along each link to a stored record's person, and between
    # rows linked to each other. A link to a stored record without a person is no link.
    row_person = [existing.get(record_id) for record_id in batch.ids]
    stored = links[:, 1] >= n
    # the stored records linked to, each once (a dict: NumPy's unique costs ~0.4 ms even for one link)
    stored_cands = links[stored, 1].tolist()
    position = {c: i for i, c in enumerate(dict.fromkeys(stored_cands))}
    which = np.array([position[c] for c in stored_cands], dtype=np.int64)
    stored_person = [existing.get(all_ids[c]) for c in position]
    person_node = {p: i for i, p in enumerate(dict.fromkeys(p for p in [*row_person, *stored_person] if p))}
    row_node = np.array([-1 if p is None else n + person_node[p] for p in row_person], dtype=np.int64)
    stored_node = np.array([-1 if p is None else n + person_node[p] for p in stored_person], dtype=np.int64)
    counted = np.ones(len(links), dtype=bool)
    counted[np.flatnonzero(stored)] = stored_node[which] >= 0
    to_person = np.flatnonzero(stored & counted)
    edges = np.concatenate([
        np.stack([np.flatnonzero(row_node >= 0), row_node[row_node >= 0]], axis=1),
        np.stack([links[to_person, 0].astype(np.int64), stored_node[which[counted[stored]]]], axis=1),
        links[~stored].astype(np.int64)]).reshape(-1, 2)
    # per record, the probability of its strongest link
    best = np.full(n, -1.0)
    np.maximum.at(best, links[counted, 0], link_probability[counted])
    inner = links[:, 1] < n
    np.maximum.at(best, links[inner, 1], link_probability[inner])
    labels = connected_components(n + len(person_node), edges).tolist()

    # a component holding several persons merges them into the oldest
    persons_of: dict[int, list[str]] = {}
    for person, node in person_node.items():
        persons_of.setdefault(labels[n + node], []).append(person)
    several = [p for members in persons_of.values() if len(members) > 1 for p in members]
    order = {p: i for i, p in enumerate(await _oldest_first(session, several))} if several else {}
    survivor_of = {label: min(members, key=lambda p: order.get(p, 0)) for label, members in persons_of.items()}
    absorbed = [(p, survivor_of[labels[n + i]]) for p, i in person_node.items() if survivor_of[labels[n + i]] != p]
    fresh = sorted(set(labels[:n]) - survivor_of.keys())
    new_persons = new_id_texts(len(fresh))
    survivor_of.update(zip(fresh, new_persons, strict=True))
    merged = {p for p, _ in absorbed}

    written: list[WrittenLink] = []
    for row, (record_id, strongest) in enumerate(zip(batch.ids, best.tolist(), strict=True)):
        survivor = survivor_of[labels[row]]
        before = existing.get(record_id)
        if before == survivor:
            continue
        written.append(WrittenLink(record_id, survivor, before, strongest if strongest >= 0 else None,
                                   unlinked=before is not None and before not in merged))
    if absorbed:
        await session.execute(_MERGE_SQL, {"absorbed": [a for a, _ in absorbed], "survivors": [s for _, s in absorbed],
                                           "unlinked": PERSON_UNLINKED, "linked": PERSON_LINKED})
    if written:
        events = link_event_rows(written, linked=PERSON_LINKED, unlinked=PERSON_UNLINKED, now=datetime.now(UTC))
        lines = "\n".join(f"{link.record_id}\t{link.person_id}\t{_number(link.probability)}" for link in written)
        await session.execute(_LINK_SQL, {
            "links": lines, "new_persons": ",".join(new_persons), "event_ids": [e["event_id"] for e in events],
            "topics": [e["topic"] for e in events], "keys": [e["key"] for e in events],
            "bodies": [e["body"] for e in events], "counts": [e["events"] for e in events]})
    return len(written)


def _number(value: float | None) -> str:
    """A float as SQL reads it back exactly (repr), empty for None."""
    return "" if value is None else repr(value)


async def _write_links(session: AsyncSession, links: list[dict[str, Any]]) -> None:
    if links:
        insert_links = pg_insert(PersonLink)
        await session.execute(insert_links.on_conflict_do_update(
            index_elements=[PersonLink.record_id],
            set_={"person_id": insert_links.excluded.person_id, "probability": insert_links.excluded.probability,
                  "linked_at": func.now()}), links)


async def _merge_person(session: AsyncSession, *, survivor: uuid.UUID, absorbed: uuid.UUID) -> list[EventEnvelope]:
    moved = (await session.execute(update(PersonLink).where(PersonLink.person_id == absorbed)
                                   .values(person_id=survivor).returning(PersonLink.record_id))).scalars().all()
    await session.execute(delete(Person).where(Person.person_id == absorbed))
    await session.execute(_FORWARD_ONE_SQL, {"absorbed": absorbed, "survivor": survivor})
    events = []
    for record_id in moved:
        events.append(_event(PERSON_UNLINKED, absorbed, record_id, None, merged_into=survivor))
        events.append(_event(PERSON_LINKED, survivor, record_id, None, merged_from=absorbed))
    return events


async def apply_review_decision(session: AsyncSession, *, record_a: uuid.UUID, record_b: uuid.UUID,
                                accepted: bool) -> None:
    """Make the links agree with a reviewer: accepted joins the two persons (into the older one);
    rejected moves the second record to a person of its own if they are one person now. The two
    records' persons are locked as linking locks them, so a consumer batch never links to a person
    this merges away."""
    await session.execute(_LOCK_PERSONS_TABLE_SQL)
    existing = await _existing_links(session, [str(record_a), str(record_b)])
    person_a, person_b = (uuid.UUID(existing[str(r)]) if str(r) in existing else None for r in (record_a, record_b))
    events: list[EventEnvelope] = []
    if accepted and person_a and person_b and person_a != person_b:
        survivor, absorbed = map(uuid.UUID, await _oldest_first(session, [str(person_a), str(person_b)]))
        events = await _merge_person(session, survivor=survivor, absorbed=absorbed)
    elif not accepted and person_a is not None and person_a == person_b:
        alone = new_id()
        await session.execute(pg_insert(Person), [{"person_id": alone}])
        await _write_links(session, [{"record_id": record_b, "person_id": alone, "probability": None}])
        events = [_event(PERSON_UNLINKED, person_a, record_b, None),
                  _event(PERSON_LINKED, alone, record_b, None)]
    await add_events(session, outbox, events)


def _event(event_type: str, person_id: uuid.UUID, record_id: uuid.UUID, probability: float | None,
           **extra: uuid.UUID) -> EventEnvelope:
    payload: dict[str, Any] = {"person_id": str(person_id), "record_id": str(record_id), "probability": probability}
    payload.update({k: str(v) for k, v in extra.items()})
    return EventEnvelope(type=event_type, producer="matching", key=str(person_id), payload=payload)


async def match_record(session: AsyncSession, *, attributes: Mapping[str, Any],
                       limit: int = 10) -> tuple[list[ScoredCandidate], ModelParams]:
    """Real-time: score one record against the register without storing anything.

    Its normalisation and scoring run on a worker thread (about 10 ms of CPU), so that the event
    loop meanwhile serves the other requests' database round trips."""
    preparing = asyncio.ensure_future(run_cpu(True, prepare_batch, [(uuid.UUID(int=0), attributes)]))
    read: list[tuple[int, ModelParams]] = []

    async def read_params() -> None:
        register = await register_size(session)
        read.append((register, await current_params(session, register)))

    batch = await beside(read_params(), preparing)
    register, params = read[0]
    # a rebuild of the blocking-key index holds it locked for minutes: answer 503 instead of waiting
    await session.execute(text(f"SET LOCAL lock_timeout = '{MATCH_LOCK_TIMEOUT_MS}ms'"))
    try:
        candidates = await fetch_candidates(session, batch, with_counts=register >= MIN_RECORDS_FOR_ESTIMATION)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise BlockIndexNotBuilt("the blocking-key index is being rebuilt; retry later") from exc
        raise
    scored = await run_cpu(True, score_batch, batch, candidates, params, register)
    order = np.argsort(-scored.probability, kind="stable")[:limit]
    return [ScoredCandidate(new_row=0, record_id=uuid.UUID(candidates.ids[scored.pairs[k, 1] - 1]),
                            probability=float(scored.probability[k]), explanation=explanation)
            for k, explanation in zip(order.tolist(), _explanations(scored, order, params), strict=True)], params
