"""retire two blocking families: the whole NID, and first name + birth year + district

Their keys are no longer probed nor written. The whole NID (family 0) gave no candidate pair that
its last 7 digits (family 1) did not give. First name + birth year + district (family 6) gave, on
the 1M bench file, 1.6M candidate pairs that no other rule gave (31% of all) and 119 true links
among them (0.06% of the true pairs). Every stream record probed both. The other families keep their
numbers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHOLE_NID = 0
FIRST_NAME_YEAR_DISTRICT = 6


def upgrade() -> None:
    op.execute(f"DELETE FROM matching.block_keys WHERE rule IN ({WHOLE_NID}, {FIRST_NAME_YEAR_DISTRICT})")


def downgrade() -> None:
    # The keys again, from each record's stored key line (fields 1-2: own-name skeletons, 12: birth
    # year, 13: NID, 18: district code; skeletons are letters and spaces, NIDs and codes digits, so no
    # field before the 19th is ever quoted): the NID, and the first token of either skeleton | year |
    # district.
    op.execute(f"""
        INSERT INTO matching.block_keys (rule, key, record_id)
        SELECT {WHOLE_NID}, split_part(keys, ',', 13), record_id FROM matching.record_keys
        WHERE split_part(keys, ',', 13) <> ''""")
    op.execute(f"""
        INSERT INTO matching.block_keys (rule, key, record_id)
        SELECT DISTINCT {FIRST_NAME_YEAR_DISTRICT}, split_part(name, ' ', 1) || '|' || year || '|' || district,
               record_id
        FROM (SELECT record_id, unnest(ARRAY[split_part(keys, ',', 1), split_part(keys, ',', 2)]) AS name,
                     split_part(keys, ',', 12) AS year, split_part(keys, ',', 18) AS district
              FROM matching.record_keys) AS k
        WHERE name <> '' AND year <> '' AND district <> ''
        ON CONFLICT DO NOTHING""")
