from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.matching.review import service
from services.matching.review.schemas import PairDecision, ReviewDecision, ReviewPage, ReviewPairRead
from shared.db import DbSession

router = APIRouter(prefix="/review", tags=["review"])


@router.get("", response_model=ReviewPage, summary="Pairs the model was unsure of, oldest first")
async def list_review_pairs(session: DbSession, status: Literal["pending", "accepted", "rejected"] = "pending",
                            after: Annotated[int | None, Query(description="cursor from the previous page")] = None,
                            limit: Annotated[int, Query(ge=1, le=500)] = 50) -> ReviewPage:
    return await service.list_pending(session, after=after, limit=limit, status=status)


@router.post("/{pair_id}", response_model=ReviewPairRead,
             summary="Accept (same person) or reject (different people) a pair; later runs respect it")
async def decide_review_pair(pair_id: int, decision: ReviewDecision, session: DbSession) -> ReviewPairRead:
    return await service.decide(session, pair_id=pair_id, decision=decision)


@router.post("", response_model=ReviewPairRead,
             summary="Decide on any two records (e.g. a wrong link found in a report); later runs respect it")
async def decide_any_pair(decision: PairDecision, session: DbSession) -> ReviewPairRead:
    return await service.decide_pair(session, record_a=decision.record_a, record_b=decision.record_b,
                                     decision=ReviewDecision(decision=decision.decision, reviewer=decision.reviewer,
                                                             note=decision.note))
