from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from services.matching.reports import service
from services.matching.reports.schemas import DuplicatesReport
from shared.db import DbSession

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/duplicates", response_model=DuplicatesReport,
            summary="For each pair of programmes (or ministries), how many persons are in both",
            responses={200: {"content": {"text/csv": {}}}})
async def duplicates(session: DbSession, by: Literal["programme", "ministry"] = "programme",
                     format: Literal["json", "csv"] = "json") -> DuplicatesReport | Response:
    report = await service.duplicates_report(session, by=by)
    if format == "csv":
        return Response(service.report_csv(report), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="duplicates_by_{by}.csv"'})
    return report
