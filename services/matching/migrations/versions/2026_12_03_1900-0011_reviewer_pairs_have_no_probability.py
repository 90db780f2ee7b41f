"""a pair a reviewer raised has no model probability: NULL instead of -1

``review_pairs.probability`` is the model's probability when it queued the pair. A pair a reviewer
decides on without the model having queued it (``POST /review`` with two record ids) was stored with
-1, which the API showed as a probability; it is NULL now, and shown as null.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE matching.review_pairs ALTER COLUMN probability DROP NOT NULL")
    op.execute("UPDATE matching.review_pairs SET probability = NULL WHERE probability < 0")


def downgrade() -> None:
    op.execute("UPDATE matching.review_pairs SET probability = -1 WHERE probability IS NULL")
    op.execute("ALTER TABLE matching.review_pairs ALTER COLUMN probability SET NOT NULL")
