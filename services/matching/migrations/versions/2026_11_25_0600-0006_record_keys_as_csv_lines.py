"""record keys as CSV lines; block keys in "C" collation, without the record index

``record_keys.keys`` held each record's comparison keys as JSONB; incremental linking reads the keys
of ~18,000 candidates for a 2,000-record batch, and turning JSONB back into text and parsing JSON
cost more than the rest of the lookup. It now holds one CSV line in the key table's column order
(null = empty field), shipped as stored and parsed by Polars' CSV reader.

``ix_block_keys_record`` is dropped: a changed record's old block keys are deleted by their full
primary key (recomputed from its stored keys), so every new block key costs one index insert instead
of two. ``block_keys.key`` is compared bytewise (collation "C"): keys are only ever looked up by
equality, and the locale-aware comparison made every index probe and insert slower (~15%).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 06:00:00.000000
"""

import io
from collections.abc import Sequence

import polars as pl
from alembic import op
from sqlalchemy import text

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The key table's columns at this revision, in order (frozen here: a later change of the key
# table needs its own migration).
TEXT_COLUMNS = ("name_bn", "name_en", "father_bn", "father_en", "mother_bn", "mother_en", "spouse_bn",
                "spouse_en", "gender")
COLUMNS = (*TEXT_COLUMNS, "dob_month", "dob_day", "birth_year", "nid13", "nid10", "brn", "phone",
           "division_code", "district_code", "upazila_code", "union_code", "ward")
STRING_COLUMNS = (*TEXT_COLUMNS, "nid13", "nid10", "brn", "phone")


def _csv_field(column: str) -> str:
    value = f"(keys ->> '{column}')"
    if column not in STRING_COLUMNS:
        return f"coalesce({value}, '')"
    # quoted as a CSV writer would: empty strings and values holding a quote, comma or line break
    return (f"CASE WHEN {value} IS NULL THEN '' WHEN {value} = '' OR {value} ~ '[\",\\n\\r]' "
            f"THEN '\"' || replace({value}, '\"', '\"\"') || '\"' ELSE {value} END")


def upgrade() -> None:
    line = " || ',' || ".join(_csv_field(c) for c in COLUMNS)
    op.execute(f"ALTER TABLE matching.record_keys ALTER COLUMN keys TYPE text USING {line}")
    op.execute("DROP INDEX IF EXISTS matching.ix_block_keys_record")
    op.execute('ALTER TABLE matching.block_keys ALTER COLUMN key TYPE text COLLATE "C"')


def downgrade() -> None:
    op.execute('ALTER TABLE matching.block_keys ALTER COLUMN key TYPE text COLLATE "default"')
    op.execute("CREATE INDEX ix_block_keys_record ON matching.block_keys (record_id)")
    bind = op.get_bind()
    rows = bind.execute(text("SELECT record_id::text, keys FROM matching.record_keys")).all()
    schema = {c: pl.String if c in STRING_COLUMNS else pl.Int32 for c in COLUMNS}
    keys = pl.read_csv(io.StringIO("\n".join(r[1] for r in rows)), has_header=False, schema=schema) if rows \
        else pl.DataFrame(schema=schema)
    documents = keys.select(pl.struct(pl.all()).struct.json_encode().alias("keys"))["keys"].to_list()
    op.execute("ALTER TABLE matching.record_keys ALTER COLUMN keys TYPE jsonb USING '{}'::jsonb")
    if rows:
        bind.execute(text("""UPDATE matching.record_keys r SET keys = jsonb_strip_nulls(CAST(u.k AS jsonb))
                             FROM unnest(CAST(:ids AS uuid[]), CAST(:keys AS text[])) AS u(id, k)
                             WHERE r.record_id = u.id"""),
                     {"ids": [r[0] for r in rows], "keys": documents})
