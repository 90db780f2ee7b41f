"""block keys by rule family

Blocking keys were stored under their rule's index (16 rules); the Bangla and Latin variant of a
rule now share one key space, the rule family (11), as in the batch's candidate pairs. Rules 0-10
keep their number, the Latin variants 11-15 become 6-10.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 03:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        DELETE FROM matching.block_keys b WHERE b.rule >= 11 AND EXISTS (
            SELECT 1 FROM matching.block_keys c WHERE c.rule = b.rule - 5 AND c.key = b.key
            AND c.record_id = b.record_id)
    """)
    op.execute("UPDATE matching.block_keys SET rule = rule - 5 WHERE rule >= 11")


def downgrade() -> None:
    # which script a family key came from is not kept; the Latin copies are restored for all
    op.execute("""
        INSERT INTO matching.block_keys (rule, key, record_id)
        SELECT rule + 5, key, record_id FROM matching.block_keys WHERE rule BETWEEN 6 AND 10
        ON CONFLICT DO NOTHING
    """)
