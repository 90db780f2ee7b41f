"""the blocking-key index leaves the write-ahead log; a sentinel row says it is whole

``block_keys`` is derived data: every row is computed from a record's stored key line
(``record_keys.keys``). Its inserts were ~40% of the WAL records a linked record wrote (five heap
and five index records of ~26), and on the 1M bench register the stream linked 12-16% more records
a second as an UNLOGGED table. What that costs: PostgreSQL empties an unlogged table when it
recovers from a crash, and a standby holds none of it (a promoted standby starts with it empty).
The row ``(rule -1, key '', nil uuid)`` is in the table exactly while it is whole: the crash
recovery empties it together with the rest. Linking refuses to run without it (HTTP 503, a consumer
batch retried) and the service rebuilds the table from ``record_keys``
(``services.matching.linking.block_index``).

Setting UNLOGGED rewrites the table and its index once (minutes at 50M records).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the sentinel's rule: no blocking family has a negative number (services.matching.engine.blocking)
BUILT_RULE = -1


def upgrade() -> None:
    op.execute("ALTER TABLE matching.block_keys SET UNLOGGED")
    op.execute(f"INSERT INTO matching.block_keys (rule, key, record_id) "
               f"VALUES ({BUILT_RULE}, '', '00000000-0000-0000-0000-000000000000') ON CONFLICT DO NOTHING")


def downgrade() -> None:
    op.execute(f"DELETE FROM matching.block_keys WHERE rule = {BUILT_RULE}")
    op.execute("ALTER TABLE matching.block_keys SET LOGGED")
