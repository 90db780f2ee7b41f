"""merged persons remember whom they were merged into

A person id handed out in a ``matching.person.linked`` event, or kept by a ministry system, stops
existing when the person is merged into an older one (a record bridging two persons, a reviewer
accepting a pair). ``merged_persons`` keeps, for each such id, the person it now lives on as
(chains of merges kept short: a later merge re-points the earlier ones), so ``GET /persons/{id}``
of a merged id redirects to that person instead of answering 404.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE matching.merged_persons (
            person_id uuid PRIMARY KEY,
            survivor_id uuid NOT NULL,
            merged_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX ix_merged_persons_survivor ON matching.merged_persons (survivor_id)")


def downgrade() -> None:
    op.execute("DROP TABLE matching.merged_persons")
