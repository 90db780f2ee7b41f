"""the audit log's triggers fire always

Bulk import chunks are written with `session_replication_role = replica` (their foreign keys
checked by one query per chunk instead of a trigger per row). In that mode ordinary triggers do
not fire; the audit log's refusal of UPDATE, DELETE and TRUNCATE must, in every session.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_TRIGGERS = ("audit_log_append_only", "audit_log_no_truncate")


def upgrade() -> None:
    for trigger in AUDIT_TRIGGERS:
        op.execute(f"ALTER TABLE registry.audit_log ENABLE ALWAYS TRIGGER {trigger}")


def downgrade() -> None:
    for trigger in AUDIT_TRIGGERS:
        op.execute(f"ALTER TABLE registry.audit_log ENABLE TRIGGER {trigger}")
