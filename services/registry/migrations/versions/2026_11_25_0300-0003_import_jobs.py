"""bulk import jobs: import_jobs, import_errors, enrolments.record_hash, raw-only identifiers

An identifier that cannot be normalised (an optional NID, BRN or phone in a ministry file) is
kept as sent with its normalised forms NULL, so `identifiers.normalized` and `comparable`
become nullable. `enrolments.record_hash` is the hash of the normalised record an import last
applied: a row with the same hash is unchanged (no update, no event).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ministry_code", sa.Text(), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("chunk_rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), server_default="queued", nullable=False),
        sa.Column("rows_total", sa.BigInteger(), nullable=True),
        sa.Column("rows_done", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rows_failed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rows_warned", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rows_created", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rows_updated", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rows_unchanged", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("chunks_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lease_owner", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("work_seconds", sa.Float(), server_default="0", nullable=False),
        sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')",
                           name=op.f("ck_import_jobs_status")),
        sa.ForeignKeyConstraint(["ministry_code"], ["registry.ministries.code"],
                                name=op.f("fk_import_jobs_ministry_code_ministries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
        schema="registry",
    )
    op.create_index("ix_import_jobs_ministry", "import_jobs", ["ministry_code", "created_at"], schema="registry")
    op.create_index("ix_import_jobs_unfinished", "import_jobs", ["status"], schema="registry",
                    postgresql_where=sa.text("status IN ('queued', 'running')"))
    op.create_table(
        "import_errors",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.BigInteger(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=True),
        sa.CheckConstraint("severity IN ('error', 'warning')", name=op.f("ck_import_errors_severity")),
        sa.ForeignKeyConstraint(["job_id"], ["registry.import_jobs.id"],
                                name=op.f("fk_import_errors_job_id_import_jobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_errors")),
        schema="registry",
    )
    op.create_index("ix_import_errors_job_row", "import_errors", ["job_id", "row_number"], schema="registry")
    op.add_column("enrolments", sa.Column("record_hash", sa.Text(), nullable=True), schema="registry")
    op.alter_column("identifiers", "normalized", nullable=True, schema="registry")
    op.alter_column("identifiers", "comparable", nullable=True, schema="registry")


def downgrade() -> None:
    op.execute("DELETE FROM registry.identifiers WHERE normalized IS NULL OR comparable IS NULL")
    op.alter_column("identifiers", "comparable", nullable=False, schema="registry")
    op.alter_column("identifiers", "normalized", nullable=False, schema="registry")
    op.drop_column("enrolments", "record_hash", schema="registry")
    op.drop_index("ix_import_errors_job_row", table_name="import_errors", schema="registry")
    op.drop_table("import_errors", schema="registry")
    op.drop_index("ix_import_jobs_unfinished", table_name="import_jobs", schema="registry")
    op.drop_index("ix_import_jobs_ministry", table_name="import_jobs", schema="registry")
    op.drop_table("import_jobs", schema="registry")
