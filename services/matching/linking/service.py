"""Incremental linkage: each new or changed record is compared with the records that share a
blocking key with it (found by index in PostgreSQL, never by loading the register) and joins the
person of its matches; records of two persons that it links are merged into the older person.

The comparisons, weights and threshold are the batch engine's (`services.matching.engine`), so a
record is judged the same way whether it arrives by event or in a batch run.
"""

from __future__ import annotations

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
from services.matching.engine.pipeline import default_params
from services.matching.linking.frames import (
    FieldExplanation,
    block_keys,
    explain,
    keys_from_json,
    keys_to_json,
    own_name_skeletons,
    records_frame,
)
from services.matching.linking.models import BlockKey, NameCount, Person, PersonLink, RecordKey, StoredModelParams
from services.matching.review.models import ACCEPTED, ordered
from services.matching.review.service import decisions_for, queue_uncertain
from shared.events import EventEnvelope
from shared.outbox import add_events

PERSON_LINKED = "matching.person.linked"
PERSON_UNLINKED = "matching.person.unlinked"
# Pairs scored between this and the link threshold go to the review queue.
REVIEW_LOWER = 0.5
RULES = default_rules()
RULE_CAPS = np.array([rule.max_block_size for rule in RULES], dtype=np.int32)

_CANDIDATES_SQL = text("""
    SELECT q.row AS row, b.record_id AS record_id
    FROM unnest(CAST(:rows AS bigint[]), CAST(:rules AS smallint[]), CAST(:keys AS text[]), CAST(:caps AS int[]))
         AS q(row, rule, key, cap)
    CROSS JOIN LATERAL (
        SELECT record_id FROM matching.block_keys b
        WHERE b.rule = q.rule AND b.key = q.key
        LIMIT q.cap
    ) AS b
""")


@dataclass(frozen=True)
class ScoredCandidate:
    new_row: int
    record_id: uuid.UUID
    probability: float
    explanation: list[FieldExplanation]


async def current_params(session: AsyncSession) -> ModelParams:
    """The newest batch-estimated parameters, else the bundled ones scaled to the register size."""
    stored = await session.scalar(select(StoredModelParams).order_by(StoredModelParams.id.desc()).limit(1))
    if stored is not None:
        return ModelParams(**stored.params)
    records = int(await session.scalar(select(func.count()).select_from(RecordKey)) or 0)
    return default_params(max(records, 2))


async def _name_frequencies(session: AsyncSession, keys: pl.DataFrame) -> np.ndarray:
    skeleton_sets = own_name_skeletons(keys)
    wanted = sorted(set().union(*skeleton_sets)) if skeleton_sets else []
    counts: dict[str, int] = {}
    if wanted:
        rows = await session.execute(select(NameCount.skeleton, NameCount.records)
                                     .where(NameCount.skeleton.in_(wanted)))
        counts = {s: c for s, c in rows.all()}
    total = max(int(await session.scalar(select(func.count()).select_from(RecordKey)) or 0), 1)
    frequency = np.array([max((counts.get(s, 0) for s in sk), default=0) / total for sk in skeleton_sets],
                         dtype=np.float32)
    frequency[frequency == 0] = np.nan
    return frequency


ScoredPairs = tuple[list[ScoredCandidate], list[tuple[int, int, float]]]


async def score_against_register(session: AsyncSession, keys: pl.DataFrame, *, params: ModelParams,
                                 exclude: Sequence[uuid.UUID] = (), within_batch: bool = False) -> ScoredPairs:
    """Score every row of `keys` against the stored records that share a blocking key with it.

    Returns the scored candidates and, when `within_batch`, the scored pairs among the rows.
    """
    blocks = block_keys(keys, RULES)
    candidate_rows: list[tuple[int, uuid.UUID]] = []
    if blocks.key:
        result = await session.execute(_CANDIDATES_SQL, {
            "rows": blocks.row.tolist(), "rules": blocks.rule.tolist(), "keys": blocks.key,
            "caps": RULE_CAPS[blocks.rule].tolist()})
        excluded = set(exclude)
        candidate_rows = sorted({(int(r.row), r.record_id) for r in result if r.record_id not in excluded})
    candidate_ids = sorted({record_id for _, record_id in candidate_rows})
    stored = {}
    if candidate_ids:
        stored = dict((await session.execute(
            select(RecordKey.record_id, RecordKey.keys).where(RecordKey.record_id.in_(candidate_ids)))).all())
    candidate_ids = [c for c in candidate_ids if c in stored]
    position = {record_id: keys.height + i for i, record_id in enumerate(candidate_ids)}
    combined = pl.concat([keys, keys_from_json([stored[c] for c in candidate_ids])], how="vertical_relaxed")
    pairs = [(row, position[rid]) for row, rid in candidate_rows if rid in position]
    if within_batch and keys.height > 1:
        pairs += [tuple(p) for p in candidate_pairs(keys).tolist()]
    if not pairs:
        return [], []
    pair_array = np.array(pairs, dtype=np.int32)
    record_keys = build_record_keys(combined)
    record_keys.name_frequency = await _name_frequencies(session, combined)
    comparisons = default_comparisons()
    gamma = comparison_vectors(record_keys, pair_array, comparisons)
    scores = pair_scores(gamma, params, record_keys.name_term_frequency(pair_array[:, 0], pair_array[:, 1]))
    probability = match_probability(scores, params.prior)
    weights = match_weights(gamma, params)
    scored, inner = [], []
    for i, (left, right) in enumerate(pair_array.tolist()):
        if right >= keys.height:
            scored.append(ScoredCandidate(new_row=left, record_id=candidate_ids[right - keys.height],
                                          probability=float(probability[i]),
                                          explanation=explain(gamma[i], weights[i], comparisons, params)))
        else:
            inner.append((left, right, float(probability[i])))
    return scored, inner


async def _store_keys(session: AsyncSession, record_ids: list[uuid.UUID], keys: pl.DataFrame) -> None:
    old_names = dict((await session.execute(
        select(RecordKey.record_id, RecordKey.keys).where(RecordKey.record_id.in_(record_ids)))).all())
    changes: dict[str, int] = {}
    for record_id in record_ids:
        if record_id in old_names:
            for skeleton in own_name_skeletons(keys_from_json([old_names[record_id]]))[0]:
                changes[skeleton] = changes.get(skeleton, 0) - 1
    for skeletons in own_name_skeletons(keys):
        for skeleton in skeletons:
            changes[skeleton] = changes.get(skeleton, 0) + 1
    if changes:
        insert_counts = pg_insert(NameCount).values([{"skeleton": s, "records": c} for s, c in changes.items()])
        await session.execute(insert_counts.on_conflict_do_update(
            index_elements=[NameCount.skeleton], set_={"records": NameCount.records + insert_counts.excluded.records}))
    insert_keys = pg_insert(RecordKey).values(
        [{"record_id": rid, "keys": row} for rid, row in zip(record_ids, keys_to_json(keys), strict=True)])
    await session.execute(insert_keys.on_conflict_do_update(
        index_elements=[RecordKey.record_id], set_={"keys": insert_keys.excluded["keys"], "updated_at": func.now()}))
    await session.execute(delete(BlockKey).where(BlockKey.record_id.in_(record_ids)))
    blocks = block_keys(keys, RULES)
    if blocks.key:
        await session.execute(
            pg_insert(BlockKey).on_conflict_do_nothing(),
            [{"rule": int(rule), "key": key, "record_id": record_ids[int(row)]}
             for row, rule, key in zip(blocks.row, blocks.rule, blocks.key, strict=True)])


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


async def link_records(session: AsyncSession, records: Sequence[tuple[uuid.UUID, Mapping[str, Any]]]) -> int:
    """Link a batch of new or changed records in the caller's transaction; returns links written.

    A record joins the person of every record it matches (probability at or above the model's
    threshold), so persons it bridges are merged into the oldest of them: the same connected
    components the batch run forms, kept with stable person ids.
    """
    if not records:
        return 0
    record_ids = [record_id for record_id, _ in records]
    keys = normalize_table(records_frame([attributes for _, attributes in records]))
    params = await current_params(session)
    scored, inner = await score_against_register(session, keys, params=params, exclude=record_ids,
                                                 within_batch=True)
    await _store_keys(session, record_ids, keys)

    existing = dict((await session.execute(select(PersonLink.record_id, PersonLink.person_id).where(
        PersonLink.record_id.in_(record_ids + [c.record_id for c in scored])))).all())
    decided = await decisions_for(session, record_ids)
    components = _UnionFind()
    best: dict[int, float] = {}
    uncertain: list[dict[str, Any]] = []
    for row in range(len(record_ids)):
        components.find(("row", row))
        if record_ids[row] in existing:
            components.union(("row", row), ("person", existing[record_ids[row]]))

    def linked(a: uuid.UUID, b: uuid.UUID, probability: float, explanation: list[FieldExplanation]) -> bool:
        """The model's verdict on a pair, overruled by a reviewer's decision on it."""
        decision = decided.get(ordered(a, b))
        if decision is not None:
            return decision == ACCEPTED
        if REVIEW_LOWER <= probability < params.threshold:
            first, second = ordered(a, b)
            uncertain.append({"record_a": first, "record_b": second, "probability": probability,
                              "explanation": [vars(e) for e in explanation]})
        return probability >= params.threshold

    for candidate in scored:
        if candidate.record_id in existing and linked(record_ids[candidate.new_row], candidate.record_id,
                                                      candidate.probability, candidate.explanation):
            components.union(("row", candidate.new_row), ("person", existing[candidate.record_id]))
            best[candidate.new_row] = max(best.get(candidate.new_row, 0.0), candidate.probability)
    for left, right, probability in inner:
        if linked(record_ids[left], record_ids[right], probability, []):
            components.union(("row", left), ("row", right))
            best[left] = max(best.get(left, 0.0), probability)
            best[right] = max(best.get(right, 0.0), probability)
    await queue_uncertain(session, uncertain)

    groups: dict[Any, list[Any]] = {}
    for node in list(components.parent):
        groups.setdefault(components.find(node), []).append(node)
    person_created = {}
    persons_involved = {n[1] for members in groups.values() for n in members if n[0] == "person"}
    if persons_involved:
        person_created = dict((await session.execute(select(Person.person_id, Person.created_at).where(
            Person.person_id.in_(persons_involved)))).all())

    events: list[EventEnvelope] = []
    links: list[dict[str, Any]] = []
    new_persons: list[dict[str, Any]] = []
    for members in groups.values():
        rows = sorted(n[1] for n in members if n[0] == "row")
        persons = sorted((n[1] for n in members if n[0] == "person"), key=lambda p: (person_created.get(p), str(p)))
        if not rows:
            continue
        if persons:
            survivor, merged = persons[0], persons[1:]
        else:
            survivor, merged = uuid.uuid4(), []
            new_persons.append({"person_id": survivor})
        for absorbed in merged:
            events += await _merge_person(session, survivor=survivor, absorbed=absorbed)
        for row in rows:
            record_id = record_ids[row]
            previous = existing.get(record_id)
            if previous == survivor:
                continue
            links.append({"record_id": record_id, "person_id": survivor, "probability": best.get(row)})
            if previous is not None and previous not in merged:
                events.append(_event(PERSON_UNLINKED, previous, record_id, None))
            events.append(_event(PERSON_LINKED, survivor, record_id, best.get(row)))
    if new_persons:
        await session.execute(pg_insert(Person), new_persons)
    await _write_links(session, links)
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

