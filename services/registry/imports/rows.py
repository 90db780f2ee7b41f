"""Ids and events of a chunk's records, built column-wise (Polars) beside the SQL writes.

Each staged row gets a new person, enrolment and (with a geography code) address id, UUIDv7
like `shared.ids.new_id` (the chunk's millisecond, then random bits); the SQL keeps
the stored ids of records it already has. The events of a NEW record (person.upserted,
beneficiary.upserted, enrolment.upserted, with the API's payloads) are built here, where they
cost the import's own core rather than the database's; a changed record's events are built in
SQL from what is stored (`sql.INSERT_CHANGED_EVENTS`).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from services.registry import events
from shared.ids import uuid7_series
from shared.outbox import BATCH_TOPIC, pack_events

NAMES = ("name_bn", "name_en", "father_name_bn", "father_name_en", "mother_name_bn", "mother_name_en",
         "spouse_name_bn", "spouse_name_en")
GEO = ("division_code", "district_code", "upazila_code", "union_code", "ward")


def with_ids(stage: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
    millis = int(now.timestamp() * 1000)
    n = stage.height
    has_geo = pl.any_horizontal(pl.col(c).is_not_null() for c in GEO)
    return stage.with_columns(uuid7_series(n, "person_id", millis=millis),
                              uuid7_series(n, "enrolment_id", millis=millis),
                              uuid7_series(n, "address_id", millis=millis)).with_columns(
        pl.when(has_geo).then(pl.col("address_id")).alias("address_id"))


def _envelope(topic: str, key: str, payload: pl.Expr, stamp: str) -> pl.Expr:
    # Spliced as text: flat `json_encode`s and concatenation are what Polars does fast.
    return pl.concat_str([pl.lit('{"event_id":"'), pl.col(f"__eid_{topic}"),
                          pl.lit(f'","type":"{topic}","schema_version":1,"occurred_at":"{stamp}",'
                                 '"producer":"registry","key":"'), pl.col(key), pl.lit('","payload":'), payload,
                          pl.lit("}")])


def _with_fields(base: pl.Expr, fields: dict[str, pl.Expr]) -> pl.Expr:
    """A JSON object (text) with more members holding JSON texts."""
    parts: list[pl.Expr] = [base.str.head(-1)]
    for name, value in fields.items():
        parts += [pl.lit(f',"{name}":'), value]
    return pl.concat_str([*parts, pl.lit("}")])


def new_record_events(stage: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
    """The three events of each (new) record of `stage` (with ids): columns row_number, seq,
    event_id, topic, key, body; in the order the API writes them."""
    stamp = now.isoformat().replace("+00:00", "Z")
    null_text = pl.lit(None, dtype=pl.String)
    has_geo = pl.col("address_id").is_not_null()
    topics = (events.PERSON_UPSERTED, events.BENEFICIARY_UPSERTED, events.ENROLMENT_UPSERTED)
    millis = int(now.timestamp() * 1000)
    frame = stage.with_columns(
        *(uuid7_series(stage.height, f"__eid_{t}", millis=millis) for t in topics),
        pl.when(pl.col("date_of_birth").is_not_null()).then(pl.col("date_of_birth").cast(pl.String))
        .otherwise(pl.col("birth_year").cast(pl.String).str.zfill(4)).alias("__dob_text"),
        *(pl.when(pl.col(f"{kind}_raw").is_not_null()).then(pl.struct(
            kind=pl.lit(kind), raw=pl.col(f"{kind}_raw"), normalized=pl.col(normalized),
            comparable=pl.col(comparable)).struct.json_encode()).alias(f"__{kind}_json")
          for kind, normalized, comparable in (("brn", "brn_norm", "brn_norm"), ("nid", "nid_norm", "nid_comp"),
                                               ("phone", "phone_norm", "phone_norm"))),
        pl.when(has_geo).then(pl.struct(**{c: pl.col(c) for c in GEO}, line=null_text).struct.json_encode())
        .otherwise(pl.lit("null")).alias("__address_json"))
    identifiers = pl.concat_str([pl.lit("["), pl.concat_str([pl.col("__brn_json"), pl.col("__nid_json"),
                                                             pl.col("__phone_json")], separator=",",
                                                            ignore_nulls=True), pl.lit("]")])
    person = _with_fields(pl.struct(
        id=pl.col("person_id"), **{n: pl.col(n) for n in NAMES}, gender=pl.col("gender"),
        date_of_birth=pl.col("__dob_text"), nid=pl.col("nid_norm"), brn=pl.col("brn_norm"),
        phone=pl.col("phone_norm"), household_id=null_text, relationship_to_head=null_text,
        registered_by=pl.col("ministry_code"), status=pl.lit("active"), deactivated_at=null_text,
        version=pl.lit(1), created_at=pl.lit(stamp), updated_at=pl.lit(stamp)).struct.json_encode(),
        {"identifiers": identifiers, "address": pl.col("__address_json")})
    beneficiary = pl.struct(
        id=pl.col("enrolment_id"), person_id=pl.col("person_id"), ministry_code=pl.col("ministry_code"),
        programme_code=pl.col("programme_code"), source_record_id=pl.col("source_record_id"), version=pl.lit(1),
        enrolment_status=pl.lit("active"), person_status=pl.lit("active"), **{n: pl.col(n) for n in NAMES},
        gender=pl.col("gender"), date_of_birth=pl.col("__dob_text"), birth_year=pl.col("birth_year"),
        nid=pl.col("nid_norm"), nid_comparable=pl.col("nid_comp"), brn=pl.col("brn_norm"), phone=pl.col("phone_norm"),
        household_id=null_text, **{c: pl.col(c) for c in GEO}, created_at=pl.lit(stamp),
        updated_at=pl.lit(stamp)).struct.json_encode()
    enrolment = pl.struct(
        id=pl.col("enrolment_id"), person_id=pl.col("person_id"), programme_code=pl.col("programme_code"),
        ministry_code=pl.col("ministry_code"), source_record_id=pl.col("source_record_id"), status=pl.lit("active"),
        start_date=null_text, end_date=null_text, deactivated_at=null_text, deactivation_reason=null_text,
        version=pl.lit(1), created_at=pl.lit(stamp), updated_at=pl.lit(stamp)).struct.json_encode()
    parts = []
    kinds = ((topics[0], "person_id", person), (topics[1], "enrolment_id", beneficiary),
             (topics[2], "enrolment_id", enrolment))
    for seq, (topic, key, payload) in enumerate(kinds):
        parts.append(frame.select(pl.col("row_number"), pl.lit(seq, dtype=pl.Int8).alias("seq"),
                                  pl.col(f"__eid_{topic}").alias("event_id"), pl.lit(topic).alias("topic"),
                                  pl.col(key).alias("key"), _envelope(topic, key, payload, stamp).alias("body")))
    # Every person event first, then the beneficiary and the enrolment events: what shares a key
    # (an enrolment's two events) keeps the API's order; no sort, no second copy.
    return pl.concat(parts, rechunk=False)


EVENTS_PER_BATCH = 2_000  # ~1.8 MB of JSON, ~0.3 MB packed: one relay page


def outbox_batches(frame: pl.DataFrame, *, key: str,
                   per_batch: int = EVENTS_PER_BATCH) -> list[tuple[str, str, str, bytes, int]]:
    """Events (`new_record_events` columns) as batch rows of registry.outbox
    (`shared.outbox.pack_events`): (event_id, topic, key, body, events) records to COPY, in order."""
    lines = frame.select(pl.concat_str([pl.col("topic"), pl.col("key"), pl.col("body")], separator="\t")).to_series()
    batches = []
    for offset in range(0, frame.height, per_batch):
        part = lines.slice(offset, per_batch)
        batches.append((frame["event_id"][offset], BATCH_TOPIC, key,
                        pack_events(part.str.join("\n").cast(pl.Binary).item()), part.len()))
    return batches


def chunk_events(stage: pl.DataFrame, *, now: datetime, key: str,
                 new_rows: list[int] | None = None) -> list[tuple[str, str, str, bytes, int]]:
    """The outbox batch rows of a chunk's new records: all of `stage`, or the rows numbered
    `new_rows` when some were already stored."""
    if new_rows is not None:
        stage = stage.filter(pl.col("row_number").is_in(new_rows))
    return outbox_batches(new_record_events(stage, now=now), key=key) if stage.height else []
