"""identifiers keyed by (person_id, kind)

A person has at most one identifier of each kind: that pair is the natural key, so the surrogate
`id` (an identity sequence and a second unique index, written for every identifier of every
imported record) goes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("pk_identifiers", "identifiers", schema="registry")
    op.drop_column("identifiers", "id", schema="registry")
    # the unique constraint's index becomes the primary key's
    op.drop_constraint("uq_identifiers_person_kind", "identifiers", schema="registry")
    op.create_primary_key("pk_identifiers", "identifiers", ["person_id", "kind"], schema="registry")


def downgrade() -> None:
    op.drop_constraint("pk_identifiers", "identifiers", schema="registry")
    op.create_unique_constraint("uq_identifiers_person_kind", "identifiers", ["person_id", "kind"],
                                schema="registry")
    op.add_column("identifiers", sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False), schema="registry")
    op.create_primary_key("pk_identifiers", "identifiers", ["id"], schema="registry")
