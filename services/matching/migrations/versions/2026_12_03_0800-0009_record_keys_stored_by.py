"""record keys remember the transaction that stored them, and whether it re-stored them

``stored_by`` (the storing transaction's id) lets a large linking batch look its candidates up
before it takes its locks and complete the lookup under them with only the records stored since
(those its first lookup's snapshot could not see: ``stored_by`` at or past the snapshot's xmax, or
in its in-progress list). ``restored`` says that the newest write replaced keys stored before: such
a record may have left blocks the first lookup counted it in; its early hits are dropped and the
blocks the first lookup saw full are looked up again. Rows stored before this revision keep
``stored_by`` NULL (visible to every snapshot; no table rewrite); the index leaves them out.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE matching.record_keys ADD COLUMN stored_by xid8")
    op.execute("ALTER TABLE matching.record_keys ALTER COLUMN stored_by SET DEFAULT pg_current_xact_id()")
    op.execute("ALTER TABLE matching.record_keys ADD COLUMN restored boolean NOT NULL DEFAULT false")
    op.execute("CREATE INDEX ix_record_keys_stored_by ON matching.record_keys (stored_by) "
               "WHERE stored_by IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX matching.ix_record_keys_stored_by")
    op.execute("ALTER TABLE matching.record_keys DROP COLUMN restored")
    op.execute("ALTER TABLE matching.record_keys DROP COLUMN stored_by")
