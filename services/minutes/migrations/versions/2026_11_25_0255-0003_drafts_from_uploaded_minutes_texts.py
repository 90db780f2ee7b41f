"""drafts from uploaded minutes texts; a meeting keeps the draft it was confirmed from

A draft keeps the parser's output as read (`parsed`), its fields as corrected (`fields`), the
fields still unsure, the open issues, the corrections made, and the uploaded file itself
(`source_content`, with its name, media type, size and SHA-256): the link an auditor follows from a
meeting (`meetings.draft_id`) to the text it was read from.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:55:23.701540
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
        "drafts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("committee_id", sa.Uuid(), nullable=True),
        sa.Column("parsed", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("fields", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("unsure", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("issues", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("corrections", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("source_filename", sa.Text(), nullable=False),
        sa.Column("source_media_type", sa.Text(), nullable=False),
        sa.Column("source_sha256", sa.Text(), nullable=False),
        sa.Column("source_size", sa.Integer(), nullable=False),
        sa.Column("source_content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by_office", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("confirmed_by_office", sa.Text(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forced_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'confirmed')", name=op.f("ck_drafts_status")),
        sa.CheckConstraint("source_size >= 0", name=op.f("ck_drafts_source_size")),
        sa.ForeignKeyConstraint(
            ["committee_id"], ["minutes.committees.id"], name=op.f("fk_drafts_committee_id_committees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        schema="minutes",
    )
    op.create_index(op.f("ix_minutes_drafts_committee_id"), "drafts", ["committee_id"], unique=False, schema="minutes")
    op.create_index(
        op.f("ix_minutes_drafts_source_sha256"), "drafts", ["source_sha256"], unique=False, schema="minutes"
    )
    op.add_column("meetings", sa.Column("draft_id", sa.Uuid(), nullable=True), schema="minutes")
    op.create_unique_constraint(op.f("uq_meetings_draft_id"), "meetings", ["draft_id"], schema="minutes")
    op.create_foreign_key(
        op.f("fk_meetings_draft_id_drafts"),
        "meetings",
        "drafts",
        ["draft_id"],
        ["id"],
        source_schema="minutes",
        referent_schema="minutes",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_meetings_draft_id_drafts"), "meetings", schema="minutes", type_="foreignkey")
    op.drop_constraint(op.f("uq_meetings_draft_id"), "meetings", schema="minutes", type_="unique")
    op.drop_column("meetings", "draft_id", schema="minutes")
    op.drop_index(op.f("ix_minutes_drafts_source_sha256"), table_name="drafts", schema="minutes")
    op.drop_index(op.f("ix_minutes_drafts_committee_id"), table_name="drafts", schema="minutes")
    op.drop_table("drafts", schema="minutes")
