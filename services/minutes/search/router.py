from typing import Annotated

from fastapi import APIRouter, Query

from services.minutes.access import CurrentOffice
from services.minutes.search import service
from services.minutes.search.schemas import SearchResult
from shared.db import DbSession

router = APIRouter(prefix="/search", tags=["search"])


@router.get("", response_model=SearchResult, summary="Find meetings and decisions by Bangla or English words")
async def search(caller: CurrentOffice, session: DbSession,
                 q: Annotated[str, Query(min_length=1, max_length=200, description="Words, Bangla or English")],
                 limit: Annotated[int, Query(ge=1, le=100)] = 20) -> SearchResult:
    return await service.search_minutes(session, query=q, limit=limit)
