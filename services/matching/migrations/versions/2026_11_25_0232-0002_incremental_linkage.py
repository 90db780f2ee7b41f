"""incremental linkage

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:32:53.486201
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "block_keys",
        sa.Column("rule", sa.SmallInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("rule", "key", "record_id", name=op.f("pk_block_keys")),
        schema="matching",
    )
    op.create_index("ix_block_keys_record", "block_keys", ["record_id"], unique=False, schema="matching")
    op.create_table(
        "model_params",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_params")),
        schema="matching",
    )
    op.create_table(
        "name_counts",
        sa.Column("skeleton", sa.Text(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("skeleton", name=op.f("pk_name_counts")),
        schema="matching",
    )
    op.create_table(
        "person_links",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_person_links")),
        schema="matching",
    )
    op.create_index("ix_person_links_person", "person_links", ["person_id"], unique=False, schema="matching")
    op.create_table(
        "persons",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_persons")),
        schema="matching",
    )
    op.create_table(
        "record_keys",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("keys", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_record_keys")),
        schema="matching",
    )


def downgrade() -> None:
    op.drop_table("record_keys", schema="matching")
    op.drop_table("persons", schema="matching")
    op.drop_index("ix_person_links_person", table_name="person_links", schema="matching")
    op.drop_table("person_links", schema="matching")
    op.drop_table("name_counts", schema="matching")
    op.drop_table("model_params", schema="matching")
    op.drop_index("ix_block_keys_record", table_name="block_keys", schema="matching")
    op.drop_table("block_keys", schema="matching")
