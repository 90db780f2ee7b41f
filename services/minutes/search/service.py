"""Search across minutes and decisions, in Bangla and English.

Stored text and the query are put in the same form (`search.text.searchable`), so a word typed
with a ZWNJ, a precomposed nukta letter, a legacy khanda-ta or ':' for 'ঃ' still matches. Every
word of the query must occur (substring, so a Bangla stem finds its inflected forms: মুদ্রণ finds
মুদ্রণের); hits are ranked by pg_trgm's word similarity. The trigram GIN indexes serve the LIKE
filters.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Uuid, and_, cast, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from services.minutes.meetings.models import Decision, Meeting
from services.minutes.search.errors import EmptyQuery
from services.minutes.search.schemas import SearchHit, SearchResult
from services.minutes.search.text import searchable


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_minutes(session: AsyncSession, *, query: str, limit: int = 20) -> SearchResult:
    normalized = searchable(query)
    words = normalized.split()
    if not words:
        raise EmptyQuery("the query has no searchable text", loc=["query", "q"], input=query)

    def matches(column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        return and_(*(column.like(_like_pattern(w), escape="\\") for w in words))

    decisions = (
        select(literal("decision").label("kind"), Meeting.id.label("meeting_id"), Decision.id.label("decision_id"),
               func.word_similarity(normalized, Decision.search_text).label("score"))
        .join(Meeting, Meeting.id == Decision.meeting_id)
        .where(matches(Decision.search_text)))
    meetings = (
        select(literal("meeting").label("kind"), Meeting.id.label("meeting_id"),
               cast(null(), Uuid).label("decision_id"),
               func.word_similarity(normalized, Meeting.search_text).label("score"))
        .where(matches(Meeting.search_text)))
    hits = union_all(decisions, meetings).subquery()
    rows = (await session.execute(
        select(hits.c.kind, hits.c.score, Meeting.id, Meeting.committee_id, Meeting.title_bn, Meeting.title_en,
               Meeting.held_on, Decision.id, Decision.label, Decision.title, Decision.text_bn, Decision.text_en)
        .join(Meeting, Meeting.id == hits.c.meeting_id)
        .outerjoin(Decision, Decision.id == hits.c.decision_id)
        .order_by(hits.c.score.desc(), Meeting.held_on.desc(), hits.c.kind, Decision.position)
        .limit(limit))).all()
    items = [
        SearchHit(kind=kind, score=round(float(score), 4), meeting_id=meeting_id, committee_id=committee_id,
                  meeting_title_bn=title_bn, meeting_title_en=title_en, held_on=held_on, decision_id=decision_id,
                  decision_label=label, decision_title=decision_title, text_bn=text_bn, text_en=text_en)
        for (kind, score, meeting_id, committee_id, title_bn, title_en, held_on, decision_id, label, decision_title,
             text_bn, text_en) in rows]
    return SearchResult(query=query, normalized_query=normalized, items=items)
