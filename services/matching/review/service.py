"""Use cases of the review queue. A decision is kept and applied at once to the links, and later
linking (incremental or batch) respects it: a rejected pair is never linked, an accepted one always."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import orjson
from sqlalchemy import func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.linking.models import PersonLink, RecordKey
from services.matching.records.models import SourceRecord
from services.matching.review.models import ACCEPTED, PENDING, REJECTED, ReviewPair, ordered
from services.matching.review.schemas import ReviewDecision, ReviewPage, ReviewPairRead, ReviewRecord
from shared.errors import Conflict, Invalid, NotFound

PairDecisions = dict[tuple[uuid.UUID, uuid.UUID], str]
_QUEUE_SQL = text("""
    INSERT INTO matching.review_pairs (record_a, record_b, probability, explanation, status)
    SELECT a, b, p, CAST(e AS jsonb), 'pending'
    FROM unnest(CAST(:a AS uuid[]), CAST(:b AS uuid[]), CAST(:probabilities AS float8[]),
                CAST(:explanations AS text[])) AS u(a, b, p, e)
    ON CONFLICT ON CONSTRAINT uq_review_pairs_pair DO NOTHING""")


async def decisions_for(session: AsyncSession, record_ids: Iterable[uuid.UUID]) -> PairDecisions:
    """Decided pairs touching any of the records, keyed by the ordered pair."""
    ids = list(record_ids)
    if not ids:
        return {}
    rows = await session.execute(select(ReviewPair.record_a, ReviewPair.record_b, ReviewPair.status).where(
        ReviewPair.status != PENDING, or_(ReviewPair.record_a.in_(ids), ReviewPair.record_b.in_(ids))))
    return {(a, b): status for a, b, status in rows.all()}


async def queue_uncertain(session: AsyncSession, pairs: list[dict]) -> None:
    """Add pairs of the uncertain band (already decided or queued pairs are left as they are): one
    statement for all of them. Each pair: ``record_a`` < ``record_b``, ``probability``, ``explanation``."""
    if pairs:
        await session.execute(_QUEUE_SQL, {
            "a": [str(p["record_a"]) for p in pairs], "b": [str(p["record_b"]) for p in pairs],
            "probabilities": [p["probability"] for p in pairs],
            "explanations": [orjson.dumps(p["explanation"]).decode() for p in pairs]})


async def list_pending(session: AsyncSession, *, after: int | None, limit: int,
                       status: str = PENDING) -> ReviewPage:
    query = select(ReviewPair).where(ReviewPair.status == status).order_by(ReviewPair.id).limit(limit + 1)
    if after is not None:
        query = query.where(ReviewPair.id > after)
    rows = (await session.scalars(query)).all()
    items = await _with_records(session, rows[:limit])
    return ReviewPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


async def _with_records(session: AsyncSession, pairs: Sequence[ReviewPair]) -> list[ReviewPairRead]:
    """The pairs with each side's ministry, programme and current person (two statements for a page)."""
    ids = list({r for pair in pairs for r in (pair.record_a, pair.record_b)})
    sources = {r.record_id: r for r in (await session.execute(
        select(SourceRecord.record_id, SourceRecord.ministry_code, SourceRecord.programme_code)
        .where(SourceRecord.record_id.in_(ids)))).all()} if ids else {}
    persons = dict((await session.execute(select(PersonLink.record_id, PersonLink.person_id)
                                          .where(PersonLink.record_id.in_(ids)))).all()) if ids else {}

    def side(record_id: uuid.UUID) -> ReviewRecord:
        source = sources.get(record_id)
        return ReviewRecord(record_id=record_id, ministry_code=source.ministry_code if source else None,
                            programme_code=source.programme_code if source else None,
                            person_id=persons.get(record_id))

    return [ReviewPairRead.model_validate(pair).model_copy(update={"records": [side(pair.record_a),
                                                                               side(pair.record_b)]})
            for pair in pairs]


async def decide_pair(session: AsyncSession, *, record_a: uuid.UUID, record_b: uuid.UUID,
                      decision: ReviewDecision) -> ReviewPairRead:
    """A reviewer's decision on any two records, queued or not (e.g. a wrong link spotted in a report)."""
    if record_a == record_b:
        raise Invalid("a record cannot be paired with itself", loc=["body", "record_b"], input=str(record_b))
    received = set(await session.scalars(select(SourceRecord.record_id).where(
        SourceRecord.record_id.in_([record_a, record_b])).union(select(RecordKey.record_id).where(
            RecordKey.record_id.in_([record_a, record_b])))))
    for field, record in (("record_a", record_a), ("record_b", record_b)):
        # a mistyped id would otherwise be kept as a decision about nobody, and the intended pair left linked
        if record not in received:
            raise Invalid("the matching service has not received this record", loc=["body", field],
                          input=str(record))
    first, second = ordered(record_a, record_b)
    statement = pg_insert(ReviewPair).values(record_a=first, record_b=second, probability=None, explanation=[])
    await session.execute(statement.on_conflict_do_nothing(constraint="uq_review_pairs_pair"))
    pair_id = await session.scalar(select(ReviewPair.id).where(ReviewPair.record_a == first,
                                                               ReviewPair.record_b == second))
    return await decide(session, pair_id=int(pair_id), decision=decision)


async def decide(session: AsyncSession, *, pair_id: int, decision: ReviewDecision) -> ReviewPairRead:
    from services.matching.linking.service import apply_review_decision  # linking imports this module

    pair = await session.get(ReviewPair, pair_id, with_for_update=True)
    if pair is None:
        raise NotFound("no review pair with this id", loc=["path", "pair_id"], input=pair_id)
    status = ACCEPTED if decision.decision == "accept" else REJECTED
    if pair.status != PENDING and pair.status != status:
        raise Conflict(f"this pair was already {pair.status} by {pair.decided_by}; a reversal needs a new review",
                       loc=["body", "decision"], input=decision.decision)
    pair.status, pair.decided_by, pair.note, pair.decided_at = status, decision.reviewer, decision.note, func.now()
    await session.flush()
    await apply_review_decision(session, record_a=pair.record_a, record_b=pair.record_b, accepted=status == ACCEPTED)
    await session.commit()
    await session.refresh(pair)
    [read] = await _with_records(session, [pair])
    return read


__all__ = ["decide", "decide_pair", "decisions_for", "list_pending", "ordered", "queue_uncertain"]
