"""Pure conversions between registry records, the engine's key tables and explanations."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from services.matching.engine.blocking import FAMILY_NUMBERS, BlockingRule, _family, default_rules
from services.matching.engine.columns import ATTRIBUTE_COLUMNS, INPUT_COLUMNS
from services.matching.engine.comparisons import NULL, Comparison
from services.matching.engine.estimate import ModelParams
from services.matching.engine.normalize import SMALL_TABLE, normalize_table
from shared.ids import new_id_texts
from shared.outbox import BATCH_TOPIC, pack_events

KEY_SCHEMA = normalize_table(pl.DataFrame({c: pl.Series([], dtype=pl.String) for c in INPUT_COLUMNS})).schema
if list(KEY_SCHEMA)[:2] != ["name_bn", "name_en"]:
    # linking's candidate query reads the own names as the first two fields of a stored key line
    raise RuntimeError("the key table must start with name_bn, name_en")


# Per input column, the attributes it is read from, first non-empty wins.
_SOURCES: dict[str, tuple[str, ...]] = {
    c: tuple(a for a, column in ATTRIBUTE_COLUMNS.items() if column == c) for c in INPUT_COLUMNS}


def _as_text(value: Any) -> str:
    """An attribute value as text, as Polars casts it (``records_frame``): numbers with no fraction as
    integers (a code sent as 26.0 is 26), booleans in lower case."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _first_text(record: Mapping[str, Any], attributes: tuple[str, ...]) -> str | None:
    for attribute in attributes:
        value = record.get(attribute)
        if value is not None and value != "":
            return _as_text(value)
    return None


_ATTRIBUTE_SCHEMA = {attribute: pl.String for attribute in ATTRIBUTE_COLUMNS}


def _non_empty(attribute: str) -> pl.Expr:
    return pl.when(pl.col(attribute) != "").then(pl.col(attribute))


def records_frame(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """The engine's input table for records given as registry attributes (missing → null)."""
    try:
        # the values read and cast to text by Polars: a third of the cost of a list per column
        raw = pl.from_dicts(records, schema=_ATTRIBUTE_SCHEMA, strict=False)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
        # a value Polars does not cast to text (a nested object, an integer beyond 64 bits)
        return pl.DataFrame(input_rows(records), schema={column: pl.String for column in _SOURCES})
    return raw.select([(pl.coalesce([_non_empty(a) for a in attributes]) if len(attributes) > 1
                        else _non_empty(attributes[0])).alias(column) for column, attributes in _SOURCES.items()])


def input_rows(records: Sequence[Mapping[str, Any]]) -> list[dict[str, str | None]]:
    """The rows of ``records_frame(records)`` as mappings, without building the frame."""
    return [{column: _first_text(record, attributes) for column, attributes in _SOURCES.items()}
            for record in records]


def keys_to_lines(keys: pl.DataFrame) -> list[str]:
    """Each record's comparison keys as one CSV line (``KEY_SCHEMA`` order, null = empty field): what
    ``record_keys.keys`` stores. Name skeletons hold no line breaks (they are split on white space),
    so one record is one line."""
    if keys.height == 0:
        return []
    if keys.height <= SMALL_KEY_LINES:  # the real-time path: Polars' CSV writer costs ~1 ms a call
        return [",".join(map(_csv_field, row)) for row in keys.select(list(KEY_SCHEMA)).rows()]
    return keys.select(list(KEY_SCHEMA)).write_csv(include_header=False).splitlines()


SMALL_KEY_LINES = 64
_NEEDS_QUOTES = frozenset(',"\n\r')


def _csv_field(value: str | int | None) -> str:
    """One field as Polars' CSV writer writes it: null empty, an empty text quoted, a text holding a
    separator, quote or line break quoted with its quotes doubled, a number as is."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    if value == "" or not _NEEDS_QUOTES.isdisjoint(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def keys_from_lines(lines: str | Sequence[str]) -> pl.DataFrame:
    """The key table of stored CSV lines (``keys_to_lines``), one row per line."""
    text = lines if isinstance(lines, str) else "\n".join(lines)
    if not text:
        return pl.DataFrame(schema=KEY_SCHEMA)
    return pl.read_csv(io.StringIO(text), has_header=False, schema=KEY_SCHEMA)


class WrittenLink(NamedTuple):
    """A record's new link: its person now, the person it leaves (None: it had none) and whether
    that is announced (not when its person was merged away: the merge announces it)."""

    record_id: str
    person_id: str
    previous: str | None
    probability: float | None
    unlinked: bool


EVENTS_PER_BATCH_ROW = 2_000  # ~0.6 MB of JSON, ~0.1 MB packed: one relay page
LINK_EVENTS_KEY = "linking"  # the key column of a batch row (its events carry their own)


def link_event_rows(links: Sequence[WrittenLink], *, linked: str, unlinked: str,
                    now: datetime) -> list[dict[str, Any]]:
    """The outbox batch rows (``shared.outbox.pack_events``) of the events of ``links``, in order:
    per record, ``unlinked`` from its previous person (when announced), then ``linked`` to its
    person, each with the record, the person and the probability of its strongest link (null when
    it joins no one). Event ids are random (version 4) UUIDs."""
    count = len(links) + sum(link.unlinked for link in links)
    if not count:
        return []
    ids = new_id_texts(count)
    stamp = now.isoformat()
    head = '{"event_id":"%s","type":"%s","schema_version":1,"occurred_at":"' + stamp + '","producer":"matching",'
    lines: list[str] = []
    for link in links:
        if link.unlinked:
            lines.append(f"{unlinked}\t{link.previous}\t" + head % (ids[len(lines)], unlinked)
                         + f'"key":"{link.previous}","payload":{{"person_id":"{link.previous}",'
                         f'"record_id":"{link.record_id}","probability":null}}}}')
        probability = "null" if link.probability is None else repr(link.probability)
        lines.append(f"{linked}\t{link.person_id}\t" + head % (ids[len(lines)], linked)
                     + f'"key":"{link.person_id}","payload":{{"person_id":"{link.person_id}",'
                     f'"record_id":"{link.record_id}","probability":{probability}}}}}')
    step = EVENTS_PER_BATCH_ROW
    chunks = [(start, lines[start:start + step]) for start in range(0, len(lines), step)]
    return [{"event_id": ids[start], "topic": BATCH_TOPIC, "key": LINK_EVENTS_KEY,
             "body": pack_events("\n".join(chunk).encode()), "events": len(chunk)} for start, chunk in chunks]


def family_block_keys(keys: pl.DataFrame, rules: Sequence[BlockingRule] | None = None) -> pl.DataFrame:
    """Distinct ``row, family, key`` of a key table: the Bangla and Latin variant of a rule share one
    key space (``family``), as in the batch's ``candidate_pairs``."""
    rules = list(rules or default_rules())
    family_of = rule_families(rules)
    if keys.height <= SMALL_TABLE:
        return _small_family_block_keys(keys, rules, family_of)
    family = pl.col("rule").replace_strict({str(i): int(f) for i, f in enumerate(family_of)}, return_dtype=pl.Int16)
    # one lazy query: a record at a time, each eager step's own planning cost more than its work
    return (keys.lazy().with_row_index("row")
            .select(pl.col("row").cast(pl.Int64), *[rule.key.alias(str(i)) for i, rule in enumerate(rules)])
            .unpivot(index="row", variable_name="rule", value_name="key").drop_nulls("key")
            .select("row", family.alias("family"), pl.col("key").cast(pl.String)).unique(maintain_order=True)
            .collect())


def _small_family_block_keys(keys: pl.DataFrame, rules: Sequence[BlockingRule],
                             family_of: np.ndarray) -> pl.DataFrame:
    """``family_block_keys`` of a few rows (the real-time path): the rules' keys in one eager select,
    then plain Python; the lazy query's planning costs ~1.2 ms, more than the work. The same rows,
    each (row, family, key) once, in row order (the Polars query's order is its own: no caller
    depends on it)."""
    values = keys.select([rule.key.alias(str(i)) for i, rule in enumerate(rules)]).to_dict(as_series=False)
    found: dict[tuple[int, int, str], None] = {}
    columns = [(family, values[str(i)]) for i, family in enumerate(family_of.tolist())]
    for row in range(keys.height):
        for family, column in columns:
            if column[row] is not None:
                found.setdefault((row, family, str(column[row])), None)
    return pl.DataFrame({"row": pl.Series([r for r, _, _ in found], dtype=pl.Int64),
                         "family": pl.Series([f for _, f, _ in found], dtype=pl.Int16),
                         "key": pl.Series([k for _, _, k in found], dtype=pl.String)})


def rule_families(rules: Sequence[BlockingRule]) -> np.ndarray:
    """Family number of each rule (rules differing only by script share one): the stored number of
    a default family (``FAMILY_NUMBERS``), the next free number for any other."""
    numbers = dict(FAMILY_NUMBERS)
    return np.array([numbers.setdefault(_family(rule), max(numbers.values()) + 1) for rule in rules],
                    dtype=np.int16)


def family_caps(rules: Sequence[BlockingRule]) -> np.ndarray:
    """Largest block kept per family (the smallest cap of its rules, as the batch does)."""
    family_of = rule_families(rules)
    caps = np.full(int(family_of.max()) + 1, np.iinfo(np.int32).max, dtype=np.int32)
    for rule, family in zip(rules, family_of.tolist(), strict=True):
        caps[family] = min(caps[family], rule.max_block_size)
    return caps


def name_counts(keys: pl.DataFrame) -> pl.DataFrame:
    """Records per own-name skeleton (a record counts once per distinct skeleton): ``skeleton, records``."""
    own = keys.with_row_index("row").select("row", "name_bn", "name_en").unpivot(index="row", value_name="skeleton")
    return (own.drop_nulls("skeleton").filter(pl.col("skeleton") != "").unique(["row", "skeleton"])
            .group_by("skeleton").agg(records=pl.len().cast(pl.Int64)))


@dataclass(frozen=True)
class FieldExplanation:
    field: str
    level: str
    weight: float


def explain(gamma_row: np.ndarray, weights_row: np.ndarray, comparisons: Sequence[Comparison],
            params: ModelParams) -> list[FieldExplanation]:
    """What agreed and how much it weighed, per field (fields with no value on a side are skipped)."""
    out = []
    for col, comparison in enumerate(comparisons):
        level = int(gamma_row[col])
        if level == NULL:
            continue
        labels = params.level_labels[col] if col < len(params.level_labels) else comparison.level_labels
        weight = float(weights_row[col])
        out.append(FieldExplanation(field=comparison.field, level=labels[level],
                                    weight=round(weight, 3) if math.isfinite(weight) else 0.0))
    return out
