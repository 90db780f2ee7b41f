"""cheaper bulk writes: outbox batch rows, one foreign key per enrolment's programme, a partial index

* `outbox.events`: how many events a row holds (see shared.outbox). A bulk import writes its
  events as LZ4-compressed batches, stored as they are (STORAGE EXTERNAL: PostgreSQL would only
  try to compress them again).
* An enrolment's (programme_code, ministry_code) references the programme's (code,
  ministry_code): one check per row instead of two, and it also holds that the ministry copied
  onto the enrolment is the programme's owner.
* Most persons (every imported one) have no household: the household index leaves them out.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("events", sa.Integer(), server_default="1", nullable=False),
                  schema="registry")
    op.execute("ALTER TABLE registry.outbox ALTER COLUMN body SET STORAGE EXTERNAL")
    op.create_unique_constraint("uq_programmes_code_ministry", "programmes", ["code", "ministry_code"],
                                schema="registry")
    op.drop_constraint("fk_enrolments_programme_code_programmes", "enrolments", schema="registry")
    op.drop_constraint("fk_enrolments_ministry_code_ministries", "enrolments", schema="registry")
    op.create_foreign_key("fk_enrolments_programme", "enrolments", "programmes", ["programme_code", "ministry_code"],
                          ["code", "ministry_code"], source_schema="registry", referent_schema="registry")
    op.drop_index("ix_registry_persons_household_id", table_name="persons", schema="registry")
    op.create_index("ix_persons_household", "persons", ["household_id"], schema="registry",
                    postgresql_where=sa.text("household_id IS NOT NULL"))


def downgrade() -> None:
    # batch rows still pending would be published as one garbled message: refuse rather than lose them
    op.execute("""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM registry.outbox WHERE events > 1 AND sent_at IS NULL) THEN
                RAISE EXCEPTION 'registry.outbox holds unpublished event batches: let the relay publish them first';
            END IF;
        END $$""")
    op.drop_index("ix_persons_household", table_name="persons", schema="registry")
    op.create_index("ix_registry_persons_household_id", "persons", ["household_id"], schema="registry")
    op.drop_constraint("fk_enrolments_programme", "enrolments", schema="registry")
    op.create_foreign_key("fk_enrolments_programme_code_programmes", "enrolments", "programmes", ["programme_code"],
                          ["code"], source_schema="registry", referent_schema="registry")
    op.create_foreign_key("fk_enrolments_ministry_code_ministries", "enrolments", "ministries", ["ministry_code"],
                          ["code"], source_schema="registry", referent_schema="registry")
    op.drop_constraint("uq_programmes_code_ministry", "programmes", schema="registry")
    op.execute("DELETE FROM registry.outbox WHERE events > 1")
    op.execute("ALTER TABLE registry.outbox ALTER COLUMN body SET STORAGE EXTENDED")
    op.drop_column("outbox", "events", schema="registry")
