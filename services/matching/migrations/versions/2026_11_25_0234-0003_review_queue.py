"""review queue

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:34:52.732525
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
        "review_pairs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_a", sa.Uuid(), nullable=False),
        sa.Column("record_b", sa.Uuid(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("explanation", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name=op.f("ck_review_pairs_status")),
        sa.CheckConstraint("record_a < record_b", name=op.f("ck_review_pairs_ordered")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_pairs")),
        sa.UniqueConstraint("record_a", "record_b", name="uq_review_pairs_pair"),
        schema="matching",
    )
    op.create_index(
        "ix_review_pairs_pending",
        "review_pairs",
        ["id"],
        unique=False,
        schema="matching",
        postgresql_where="status = 'pending'",
    )
    op.create_index("ix_review_pairs_record_b", "review_pairs", ["record_b"], unique=False, schema="matching")


def downgrade() -> None:
    op.drop_index("ix_review_pairs_record_b", table_name="review_pairs", schema="matching")
    op.drop_index(
        "ix_review_pairs_pending", table_name="review_pairs", schema="matching", postgresql_where="status = 'pending'"
    )
    op.drop_table("review_pairs", schema="matching")
