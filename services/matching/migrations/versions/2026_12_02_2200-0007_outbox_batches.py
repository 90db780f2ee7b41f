"""link events as outbox batch rows

`outbox.events`: how many events a row holds (see shared.outbox). A linking batch writes its
`matching.person.linked` / `unlinked` events as LZ4-compressed batch rows, stored as they are
(STORAGE EXTERNAL: PostgreSQL would only try to compress them again): a consumer batch of 5,000
records wrote 5,000 outbox rows, their index entries and JSON built row by row in SQL (~100 ms of
the database's time a batch), and the relay read and marked each of them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("events", sa.Integer(), server_default="1", nullable=False),
                  schema="matching")
    op.execute("ALTER TABLE matching.outbox ALTER COLUMN body SET STORAGE EXTERNAL")


def downgrade() -> None:
    # batch rows still pending would be published as one garbled message: refuse rather than lose them
    op.execute("""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM matching.outbox WHERE events > 1 AND sent_at IS NULL) THEN
                RAISE EXCEPTION 'matching.outbox holds unpublished event batches: let the relay publish them first';
            END IF;
        END $$""")
    op.execute("DELETE FROM matching.outbox WHERE events > 1")
    op.execute("ALTER TABLE matching.outbox ALTER COLUMN body SET STORAGE EXTENDED")
    op.drop_column("outbox", "events", schema="matching")
