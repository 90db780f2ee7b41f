"""Who receives what from whom: for each pair of programmes (or ministries), how many persons are in
both. Computed set-based in PostgreSQL; nothing is loaded row by row into Python."""

from __future__ import annotations

import csv
import io
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.reports.schemas import DuplicatesReport, Enrolments, OverlapRow

_COLUMN = {"programme": "programme_code", "ministry": "ministry_code"}
# A record counts while its enrolment and its person are active in the registry: a person who left
# one programme for another is no duplicate. A record without these attributes (a ministry's extract
# that never said) counts as active.
_RECORDS = {
    "active": """(SELECT * FROM matching.source_records
                  WHERE coalesce(attributes->>'enrolment_status', 'active') = 'active'
                    AND coalesce(attributes->>'person_status', 'active') = 'active')""",
    "all": "matching.source_records",
}


async def duplicates_report(session: AsyncSession, *, by: Literal["programme", "ministry"],
                            enrolments: Enrolments = "active") -> DuplicatesReport:
    column, records = _COLUMN[by], _RECORDS[enrolments]  # from closed sets: never user text in the SQL
    overlaps = await session.execute(text(f"""
        WITH membership AS (
            SELECT l.person_id, r.{column} AS grp, count(*) AS records
            FROM matching.person_links l JOIN {records} r USING (record_id)
            GROUP BY l.person_id, r.{column}
        )
        SELECT a.grp AS left_group, b.grp AS right_group, count(*) AS persons
        FROM membership a JOIN membership b
          ON a.person_id = b.person_id AND (a.grp < b.grp OR (a.grp = b.grp AND a.records > 1))
        WHERE a.grp <= b.grp
        GROUP BY a.grp, b.grp
        ORDER BY persons DESC, left_group, right_group
    """))
    totals = (await session.execute(text(f"""
        SELECT count(*) AS persons, count(*) FILTER (WHERE groups > 1) AS persons_in_several
        FROM (SELECT l.person_id, count(DISTINCT r.{column}) AS groups
              FROM matching.person_links l JOIN {records} r USING (record_id)
              GROUP BY l.person_id) per_person
    """))).one()
    return DuplicatesReport(by=by, enrolments=enrolments, persons=totals.persons,
                            persons_in_several=totals.persons_in_several,
                            overlaps=[OverlapRow(left=r.left_group, right=r.right_group, persons=r.persons)
                                      for r in overlaps])


def report_csv(report: DuplicatesReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f"{report.by}_a", f"{report.by}_b", "persons_in_both"])
    for row in report.overlaps:
        writer.writerow([row.left, row.right, row.persons])
    return buffer.getvalue()
