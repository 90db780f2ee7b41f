from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.matching.reports import service
from services.matching.reports.schemas import DuplicatesReport, Enrolments
from shared.db import DbSession

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/duplicates", response_model=DuplicatesReport,
            summary="For each pair of programmes (or ministries), how many persons are in both",
            responses={200: {"content": {"text/csv": {}}}})
async def duplicates(session: DbSession, by: Literal["programme", "ministry"] = "programme",
                     format: Literal["json", "csv"] = "json",
                     enrolments: Annotated[Enrolments, Query(description=(
                         "active (default): records whose enrolment and person are active; all: every record"))]
                     = "active") -> DuplicatesReport | Response:
    report = await service.duplicates_report(session, by=by, enrolments=enrolments)
    if format == "csv":
        name = f"duplicates_by_{by}" + ("_all" if enrolments == "all" else "")
        return Response(service.report_csv(report), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return report
