"""Incremental linkage: each new or changed record is compared with the records that share a
blocking key with it (found by index in PostgreSQL, never by loading the register) and joins the
person of its matches; records of two persons that it links are merged into the older person.

The comparisons, weights and threshold are the batch engine's (`services.matching.engine`), so a
record is judged the same way whether it arrives by event or in a batch run.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.database import outbox
from services.matching.engine.blocking import candidate_pairs, default_rules
from services.matching.engine.comparisons import build_record_keys, comparison_vectors, default_comparisons
from services.matching.engine.estimate import ModelParams, match_probability, match_weights, pair_scores
from services.matching.engine.normalize import normalize_table
from services.matching.engine.pipeline import MIN_RECORDS_FOR_ESTIMATION, default_params
from services.matching.linking.frames import (
    KEY_SCHEMA,
    FieldExplanation,
    explain,
    family_block_keys,
    family_caps,
    keys_from_json,
    own_name_skeletons,
    records_frame,
)
from services.matching.linking.models import Person, PersonLink, StoredModelParams
from services.matching.review.models import ACCEPTED, ordered
from services.matching.review.service import decisions_for, queue_uncertain
from shared.events import EventEnvelope
from shared.outbox import add_events

PERSON_LINKED = "matching.person.linked"
PERSON_UNLINKED = "matching.person.unlinked"
# Pairs scored between this and the link threshold go to the review queue.
REVIEW_LOWER = 0.5
RULES = default_rules()
FAMILY_CAPS = family_caps(RULES)
# Above this many rows the planner's estimate of the register size is used instead of count(*)
# (a few per cent off does not move a term frequency or a prior measurably).
EXACT_COUNT_BELOW = 50_000
# Advisory locks: linking takes, in sorted order, one lock per bucket of the blocking keys it
# reads and writes, so two replicas never link records that could match each other at once.
LOCK_CLASS = 0x4D4C  # "ML"
LOCK_BUCKETS = 1024

# Stored records sharing a (family, key) with a new row; a key whose block would exceed the
# family's cap is no key at all (as in the batch, which drops such blocks).
_CANDIDATES_SQL = text("""
    WITH q AS (
        SELECT * FROM unnest(CAST(:rows AS int[]), CAST(:families AS smallint[]), CAST(:keys AS text[]),
                             CAST(:caps AS int[])) AS q(row, family, key, cap)
    ), hits AS (
        SELECT q.row, unnest(b.ids) AS record_id
        FROM q CROSS JOIN LATERAL (
            SELECT array_agg(record_id) AS ids FROM (
                SELECT record_id FROM matching.block_keys b WHERE b.rule = q.family AND b.key = q.key LIMIT q.cap
            ) AS block
        ) AS b
        WHERE cardinality(b.ids) < q.cap
    ), pairs AS (
        SELECT DISTINCT row, record_id FROM hits
        WHERE record_id <> ALL(CAST(:exclude AS uuid[]))
    ), found AS (
        SELECT DISTINCT record_id FROM pairs
    ), stored AS (
        -- the two aggregates of one query level see the rows in the same order: no sort needed
        SELECT coalesce(array_agg(r.record_id), '{}') AS ids, coalesce(json_agg(r.keys), '[]')::text AS keys
        FROM found JOIN matching.record_keys r USING (record_id)
    ), pair_arrays AS (
        SELECT coalesce(array_agg(row), '{}') AS rows, coalesce(array_agg(record_id), '{}') AS ids FROM pairs
    )
    SELECT pair_arrays.rows AS pair_rows, pair_arrays.ids AS pair_ids,
           stored.ids AS stored_ids, stored.keys AS stored_keys
    FROM stored, pair_arrays
""")
_KEYS_SQL = text("SELECT record_id, keys FROM matching.record_keys WHERE record_id = ANY(CAST(:ids AS uuid[]))")
_NAME_COUNTS_SQL = text("SELECT skeleton, records FROM matching.name_counts "
                        "WHERE skeleton = ANY(CAST(:skeletons AS text[]))")
_REGISTER_ESTIMATE_SQL = text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'matching.record_keys'::regclass")
_REGISTER_COUNT_SQL = text("SELECT count(*) FROM matching.record_keys")
_LOCK_SQL = text("SELECT count(pg_advisory_xact_lock(:cls, b)) FROM "
                 "(SELECT b FROM unnest(CAST(:buckets AS int[])) AS b ORDER BY b) AS s")
_STORE_SQL = [
    text("""INSERT INTO matching.name_counts (skeleton, records)
            SELECT * FROM unnest(CAST(:skeletons AS text[]), CAST(:changes AS int[]))
            ON CONFLICT (skeleton) DO UPDATE SET records = name_counts.records + excluded.records"""),
    text("""INSERT INTO matching.record_keys (record_id, keys)
            SELECT r, jsonb_strip_nulls(CAST(k AS jsonb))
            FROM unnest(CAST(:ids AS uuid[]), CAST(:keys AS text[])) AS u(r, k)
            ON CONFLICT (record_id) DO UPDATE SET keys = excluded.keys, updated_at = now()"""),
    text("DELETE FROM matching.block_keys WHERE record_id = ANY(CAST(:changed AS uuid[]))"),
    text("""INSERT INTO matching.block_keys (rule, key, record_id)
            SELECT * FROM unnest(CAST(:families AS smallint[]), CAST(:block_keys AS text[]),
                                 CAST(:block_ids AS uuid[]))
            ON CONFLICT DO NOTHING"""),
]
_LINKS_SQL = text("""
    SELECT l.record_id, l.person_id, p.created_at FROM matching.person_links l
    LEFT JOIN matching.persons p USING (person_id) WHERE l.record_id = ANY(CAST(:ids AS uuid[]))""")
_LOCK_PERSONS_SQL = text("""SELECT person_id FROM matching.persons WHERE person_id = ANY(CAST(:ids AS uuid[]))
                            ORDER BY person_id FOR UPDATE""")
# The persons of the records, row-locked in id order; returns their ids.
_LOCK_LINKED_PERSONS_SQL = text("""
    SELECT coalesce(array_agg(person_id), '{}') FROM (
        SELECT p.person_id FROM matching.persons p
        WHERE p.person_id IN (SELECT person_id FROM matching.person_links
                              WHERE record_id = ANY(CAST(:ids AS uuid[])))
        ORDER BY p.person_id FOR UPDATE) AS locked""")
_WRITE_LINKS_SQL = text("""
    INSERT INTO matching.person_links (record_id, person_id, probability)
    SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:persons AS uuid[]), CAST(:probabilities AS float8[]))
    ON CONFLICT (record_id) DO UPDATE SET person_id = excluded.person_id, probability = excluded.probability,
        linked_at = now()""")


@dataclass(frozen=True)
class ScoredCandidate:
    new_row: int
    record_id: uuid.UUID
    probability: float
    explanation: list[FieldExplanation] | None


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
    if stored is None:
        return default_params(max(records, 2))
    params = ModelParams(**stored.params)
    if stored.records > 1 and records > stored.records:
        params.prior = params.prior * (stored.records - 1) / (records - 1)
    return params


async def _name_frequencies(session: AsyncSession, keys: pl.DataFrame, records: int) -> np.ndarray | None:
    """Share of the register carrying each row's own-name skeleton (the batch's term frequency);
    None below the register size from which the batch uses term frequencies."""
    if records < MIN_RECORDS_FOR_ESTIMATION:
        return None
    names = keys.select("name_bn", "name_en")
    wanted = pl.concat([names["name_bn"], names["name_en"]]).drop_nulls().unique()
    wanted = wanted.filter(wanted != "").to_list()
    counts = pl.DataFrame(schema={"skeleton": pl.String, "records": pl.Int64})
    if wanted:
        found = (await session.execute(_NAME_COUNTS_SQL, {"skeletons": wanted})).all()
        if found:
            counts = pl.DataFrame(found, schema={"skeleton": pl.String, "records": pl.Int64}, orient="row")
    per_script = [names.select(pl.col(c).alias("skeleton")).join(counts, on="skeleton", how="left",
                                                                  maintain_order="left")["records"]
                  .fill_null(0).to_numpy() for c in ("name_bn", "name_en")]
    frequency = (np.maximum(per_script[0], per_script[1]) / max(records, 1)).astype(np.float32)
    frequency[frequency == 0] = np.nan
    return frequency


ScoredPairs = tuple[list[ScoredCandidate], list[tuple[int, int, float]]]


async def _lock_keys(session: AsyncSession, blocks: pl.DataFrame) -> None:
    if blocks.height == 0:
        return
    buckets = (blocks.select((pl.col("family").cast(pl.String) + "|" + pl.col("key")).hash(seed=11)
                             % LOCK_BUCKETS).to_series().unique().cast(pl.Int32).to_list())
    await session.execute(_LOCK_SQL, {"cls": LOCK_CLASS, "buckets": sorted(buckets)})


async def score_against_register(session: AsyncSession, keys: pl.DataFrame, *, params: ModelParams,
                                 exclude: Sequence[uuid.UUID] = (), within_batch: bool = False,
                                 records: int | None = None, blocks: pl.DataFrame | None = None,
                                 explain_all: bool = True, min_probability: float = 0.0,
                                 always: Sequence[uuid.UUID] = ()) -> ScoredPairs:
    """Score every row of `keys` against the stored records that share a blocking key with it.

    Returns the scored candidates and, when `within_batch`, the scored pairs among the rows.
    Explanations are built for every candidate with `explain_all`, else only for pairs in the
    review band. Candidates scored below `min_probability` are left out unless in `always`.
    """
    if blocks is None:
        blocks = family_block_keys(keys, RULES)
    if records is None:
        records = await register_size(session)
    stored = pl.DataFrame(schema=KEY_SCHEMA)
    candidate_ids: list[uuid.UUID] = []
    pair_parts = []
    if blocks.height:
        found = (await session.execute(_CANDIDATES_SQL, {
            "rows": blocks["row"].to_list(), "families": blocks["family"].to_list(), "keys": blocks["key"].to_list(),
            "caps": FAMILY_CAPS[blocks["family"].to_numpy()].tolist(), "exclude": list(exclude)})).one()
        candidate_ids = list(found.stored_ids)
        if candidate_ids:
            stored = pl.read_json(io.StringIO(found.stored_keys), schema=KEY_SCHEMA)
            position = {record_id: keys.height + i for i, record_id in enumerate(candidate_ids)}
            rows = np.asarray(found.pair_rows, dtype=np.int32)
            right = np.array([position.get(r, -1) for r in found.pair_ids], dtype=np.int32)
            pair_parts.append(np.stack([rows, right], axis=1)[right >= 0])
    if within_batch and keys.height > 1:
        pair_parts.append(candidate_pairs(keys).astype(np.int32))
    pairs = np.concatenate(pair_parts) if pair_parts else np.zeros((0, 2), dtype=np.int32)
    if not len(pairs):
        return [], []
    combined = pl.concat([keys, stored], how="vertical_relaxed")
    pair_array = pairs
    record_keys = build_record_keys(combined)
    record_keys.name_frequency = await _name_frequencies(session, combined, records)
    comparisons = default_comparisons()
    gamma = comparison_vectors(record_keys, pair_array, comparisons)
    tf = record_keys.name_term_frequency(pair_array[:, 0], pair_array[:, 1]) \
        if record_keys.name_frequency is not None else None
    scores = pair_scores(gamma, params, tf)
    probability = match_probability(scores, params.prior)
    weights = match_weights(gamma, params)
    explained = np.ones(len(pairs), dtype=bool) if explain_all else \
        (probability >= REVIEW_LOWER) & (probability < params.threshold)
    keep = probability >= min_probability
    if len(always) and candidate_ids:
        wanted = np.array([c in set(always) for c in candidate_ids] + [False], dtype=bool)
        candidate_of = np.where(pair_array[:, 1] >= keys.height, pair_array[:, 1] - keys.height, len(candidate_ids))
        keep |= wanted[candidate_of]
    keep |= pair_array[:, 1] < keys.height  # pairs within the batch are all returned
    scored, inner = [], []
    for i in np.flatnonzero(keep).tolist():
        left, right = int(pair_array[i, 0]), int(pair_array[i, 1])
        if right >= keys.height:
            scored.append(ScoredCandidate(
                new_row=left, record_id=candidate_ids[right - keys.height], probability=float(probability[i]),
                explanation=explain(gamma[i], weights[i], comparisons, params) if explained[i] else None))
        else:
            inner.append((left, right, float(probability[i])))
    return scored, inner


async def _store_keys(session: AsyncSession, record_ids: list[uuid.UUID], keys: pl.DataFrame,
                      blocks: pl.DataFrame, old_keys: Mapping[uuid.UUID, Mapping[str, Any]]) -> None:
    """Keys, blocking keys and name counts of the batch's records, set-based (one statement each)."""
    changes: dict[str, int] = {}
    if old_keys:
        for skeletons in own_name_skeletons(keys_from_json(list(old_keys.values()))):
            for skeleton in skeletons:
                changes[skeleton] = changes.get(skeleton, 0) - 1
    for skeletons in own_name_skeletons(keys):
        for skeleton in skeletons:
            changes[skeleton] = changes.get(skeleton, 0) + 1
    changes = {k: v for k, v in changes.items() if v}
    ids = np.array(record_ids, dtype=object)
    if changes:
        await session.execute(_STORE_SQL[0], {"skeletons": list(changes), "changes": list(changes.values())})
    await session.execute(_STORE_SQL[1], {"ids": record_ids, "keys": keys.write_ndjson().splitlines()})
    if old_keys:
        await session.execute(_STORE_SQL[2], {"changed": list(old_keys)})
    if blocks.height:
        await session.execute(_STORE_SQL[3], {"families": blocks["family"].to_list(),
                                              "block_keys": blocks["key"].to_list(),
                                              "block_ids": ids[blocks["row"].to_numpy()].tolist()})


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: Any, b: Any) -> None:
        self.parent[self.find(a)] = self.find(b)


async def _existing_links(session: AsyncSession, record_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[Any, Any]]:
    """Person (and its creation time) of each record, with the persons row-locked (in id order) so
    that no other transaction merges or removes them before this one commits."""
    locked = set(await session.scalar(_LOCK_LINKED_PERSONS_SQL, {"ids": record_ids}) or [])
    rows: dict[uuid.UUID, tuple[Any, Any]] = {}
    for _ in range(5):
        rows = {r.record_id: (r.person_id, r.created_at)
                for r in (await session.execute(_LINKS_SQL, {"ids": record_ids})).all()}
        wanted = {person for person, _ in rows.values()}
        if wanted <= locked:
            break
        # a person merged away while this transaction waited for its lock: its records now point
        # at the survivor, locked now and read again
        await session.execute(_LOCK_PERSONS_SQL, {"ids": sorted(wanted - locked)})
        locked |= wanted
    return rows


async def link_records(session: AsyncSession, records: Sequence[tuple[uuid.UUID, Mapping[str, Any]]]) -> int:
    """Link a batch of new or changed records in the caller's transaction; returns links written.

    A record joins the person of every record it matches (probability at or above the model's
    threshold), so persons it bridges are merged into the oldest of them: the same connected
    components the batch run forms, kept with stable person ids.

    Safe with several replicas linking at once: the transaction first takes advisory locks on the
    buckets of its records' blocking keys (sorted, so two transactions never wait on each other in
    a cycle), so records that could match each other are never linked by two transactions at the
    same time; the persons it reads are row-locked before it links to or merges them.
    """
    if not records:
        return 0
    record_ids = [record_id for record_id, _ in records]
    keys = normalize_table(records_frame([attributes for _, attributes in records]))
    blocks = family_block_keys(keys, RULES)
    await _lock_keys(session, blocks)
    register = await register_size(session)
    params = await current_params(session, register)
    old_keys = dict((await session.execute(_KEYS_SQL, {"ids": record_ids})).all())
    decided = await decisions_for(session, record_ids)
    scored, inner = await score_against_register(
        session, keys, params=params, exclude=record_ids, within_batch=True, records=register, blocks=blocks,
        explain_all=False, min_probability=REVIEW_LOWER, always=[r for pair in decided for r in pair])
    await _store_keys(session, record_ids, keys, blocks, old_keys)

    relevant = [c for c in scored if c.probability >= REVIEW_LOWER
                or ordered(record_ids[c.new_row], c.record_id) in decided]
    existing_rows = await _existing_links(session, record_ids + [c.record_id for c in relevant])
    existing = {record_id: person for record_id, (person, _) in existing_rows.items()}
    person_created = {person: created for person, created in existing_rows.values()}
    components = _UnionFind()
    best: dict[int, float] = {}
    uncertain: list[dict[str, Any]] = []
    for row in range(len(record_ids)):
        components.find(("row", row))
        if record_ids[row] in existing:
            components.union(("row", row), ("person", existing[record_ids[row]]))

    def linked(a: uuid.UUID, b: uuid.UUID, probability: float, explanation: list[FieldExplanation] | None) -> bool:
        """The model's verdict on a pair, overruled by a reviewer's decision on it."""
        decision = decided.get(ordered(a, b))
        if decision is not None:
            return decision == ACCEPTED
        if REVIEW_LOWER <= probability < params.threshold:
            first, second = ordered(a, b)
            uncertain.append({"record_a": first, "record_b": second, "probability": probability,
                              "explanation": [vars(e) for e in explanation or []]})
        return probability >= params.threshold

    for candidate in relevant:
        if candidate.record_id in existing and linked(record_ids[candidate.new_row], candidate.record_id,
                                                      candidate.probability, candidate.explanation):
            components.union(("row", candidate.new_row), ("person", existing[candidate.record_id]))
            best[candidate.new_row] = max(best.get(candidate.new_row, 0.0), candidate.probability)
    for left, right, probability in inner:
        if probability < REVIEW_LOWER and ordered(record_ids[left], record_ids[right]) not in decided:
            continue
        if linked(record_ids[left], record_ids[right], probability, []):
            components.union(("row", left), ("row", right))
            best[left] = max(best.get(left, 0.0), probability)
            best[right] = max(best.get(right, 0.0), probability)
    await queue_uncertain(session, uncertain)

    groups: dict[Any, list[Any]] = {}
    for node in list(components.parent):
        groups.setdefault(components.find(node), []).append(node)

    events: list[EventEnvelope] = []
    links: list[tuple[uuid.UUID, uuid.UUID, float | None]] = []
    new_persons: list[uuid.UUID] = []
    for members in groups.values():
        rows = sorted(n[1] for n in members if n[0] == "row")
        persons = sorted((n[1] for n in members if n[0] == "person"), key=lambda p: (person_created.get(p), str(p)))
        if not rows:
            continue
        if persons:
            survivor, merged = persons[0], persons[1:]
        else:
            survivor, merged = uuid.uuid4(), []
            new_persons.append(survivor)
        for absorbed in merged:
            events += await _merge_person(session, survivor=survivor, absorbed=absorbed)
        for row in rows:
            record_id = record_ids[row]
            previous = existing.get(record_id)
            if previous == survivor:
                continue
            links.append((record_id, survivor, best.get(row)))
            if previous is not None and previous not in merged:
                events.append(_event(PERSON_UNLINKED, previous, record_id, None))
            events.append(_event(PERSON_LINKED, survivor, record_id, best.get(row)))
    if new_persons:
        await session.execute(text("INSERT INTO matching.persons (person_id) SELECT unnest(CAST(:ids AS uuid[]))"),
                              {"ids": new_persons})
    if links:
        ids, persons_of, probabilities = zip(*links, strict=True)
        await session.execute(_WRITE_LINKS_SQL, {"ids": list(ids), "persons": list(persons_of),
                                                 "probabilities": list(probabilities)})
    await add_events(session, outbox, events)
    return len(links)


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
    events = []
    for record_id in moved:
        events.append(_event(PERSON_UNLINKED, absorbed, record_id, None, merged_into=survivor))
        events.append(_event(PERSON_LINKED, survivor, record_id, None, merged_from=absorbed))
    return events


async def apply_review_decision(session: AsyncSession, *, record_a: uuid.UUID, record_b: uuid.UUID,
                                accepted: bool) -> None:
    """Make the links agree with a reviewer: accepted joins the two persons (into the older one);
    rejected moves the second record to a person of its own if they are one person now."""
    links = dict((await session.execute(select(PersonLink.record_id, PersonLink.person_id).where(
        PersonLink.record_id.in_([record_a, record_b])))).all())
    person_a, person_b = links.get(record_a), links.get(record_b)
    events: list[EventEnvelope] = []
    if accepted and person_a and person_b and person_a != person_b:
        created = dict((await session.execute(select(Person.person_id, Person.created_at).where(
            Person.person_id.in_([person_a, person_b])))).all())
        survivor, absorbed = sorted((person_a, person_b), key=lambda p: (created.get(p), str(p)))
        events = await _merge_person(session, survivor=survivor, absorbed=absorbed)
    elif not accepted and person_a is not None and person_a == person_b:
        alone = uuid.uuid4()
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
    """Real-time: score one record against the register without storing anything."""
    keys = normalize_table(records_frame([attributes]))
    params = await current_params(session)
    scored, _ = await score_against_register(session, keys, params=params)
    scored.sort(key=lambda c: -c.probability)
    return scored[:limit], params

