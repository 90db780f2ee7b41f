"""One index of enrolments by person (then ministry) instead of two.

`(ministry_code, person_id)` served "does this ministry enrol this person" and `(person_id)`
"this person's enrolments"; `(person_id, ministry_code)` serves both, and no query looks
enrolments up by ministry alone through either (a ministry's list is paged by id). Every
enrolment written, by the API or a bulk import, then updates one index fewer.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_enrolments_person_ministry", "enrolments", ["person_id", "ministry_code"], unique=False,
                    schema="registry")
    op.drop_index("ix_enrolments_ministry_person", table_name="enrolments", schema="registry")
    op.drop_index("ix_registry_enrolments_person_id", table_name="enrolments", schema="registry")


def downgrade() -> None:
    op.create_index("ix_registry_enrolments_person_id", "enrolments", ["person_id"], unique=False, schema="registry")
    op.create_index("ix_enrolments_ministry_person", "enrolments", ["ministry_code", "person_id"], unique=False,
                    schema="registry")
    op.drop_index("ix_enrolments_person_ministry", table_name="enrolments", schema="registry")
