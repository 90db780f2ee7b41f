"""Pure parts of the stream path: stored key lines, the input table, and which pairs a batch scores
(blocking caps counted over the stored records and the batch together, as the batch engine does)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from services.matching.engine.blocking import candidate_pairs
from services.matching.engine.normalize import name_skeleton, name_skeletons, normalize_table
from services.matching.linking.frames import (
    KEY_SCHEMA,
    WrittenLink,
    input_rows,
    keys_from_lines,
    keys_to_lines,
    link_event_rows,
    records_frame,
)
from services.matching.linking.service import (
    FAMILY_CAPS,
    Candidates,
    PreparedBatch,
    candidate_pairs_of,
    name_frequencies,
    prepare_batch,
    snapshot_bounds,
)
from shared.events import EventEnvelope
from shared.outbox import unpack_events
from tests.unit.matching.conftest import make_table


def _people() -> list[dict]:
    return [
        {"name_bn": "মোঃ আব্দুর রহিম", "father_en": "Karim Uddin", "dob": "1956-03-12", "nid": "1956123456789",
         "phone": "01711000001", "district_code": 26, "upazila_code": 2616},
        {"name_en": "Md. Abdur Rahim", "dob": "1956-03-12", "nid": "19561956123456789", "district_code": 26,
         "upazila_code": 2616},
        {"name_en": "Rahima Aktar", "gender": "F", "birth_year": 1990, "phone": "+8801711000001"},
        {},
    ]


def test_stored_key_lines_give_back_the_same_keys() -> None:
    keys = normalize_table(make_table(_people()))
    assert keys_from_lines(keys_to_lines(keys)).equals(keys)
    odd = pl.DataFrame({c: [None] for c in KEY_SCHEMA}, schema=KEY_SCHEMA).with_columns(
        name_bn=pl.lit('a,"b'), name_en=pl.lit(""), ward=pl.lit(3, dtype=KEY_SCHEMA["ward"]))
    assert keys_from_lines(keys_to_lines(odd)).equals(odd)  # quoted fields, "" kept apart from null
    assert keys_from_lines([]).height == 0 and keys_to_lines(odd.clear()) == []


def test_records_frame_takes_the_first_non_empty_attribute_as_text() -> None:
    frame = records_frame([{"date_of_birth": "1970-01-02", "dob": "1999-09-09", "district_code": 26, "nid": ""},
                           {"dob": "1980-05-06", "name_bn": None}])
    assert frame["dob"].to_list() == ["1970-01-02", "1980-05-06"]
    assert frame["district_code"].to_list() == ["26", None]
    assert frame["nid"].to_list() == [None, None] and frame["name_bn"].to_list() == [None, None]


def test_records_frame_reads_numbers_as_the_row_path_does_and_falls_back_on_values_it_cannot_cast() -> None:
    """Codes sent as numbers (26, 26.0), a boolean, a fraction: the same text whether Polars casts them
    (a consumer batch) or Python does (a few records); a nested value or an integer beyond 64 bits
    makes the frame path read every value in Python instead, with the same result."""
    attributes = [{"district_code": 26, "upazila_code": 2616.0, "ward": 3.5, "gender": True, "nid": 1956123456789},
                  {"district_code": "26", "upazila_code": "", "ward": None, "union_code": 0}]
    frame = records_frame(attributes)
    assert frame.to_dicts() == input_rows(attributes)
    first = frame.row(0, named=True)
    assert [first[c] for c in ("district_code", "upazila_code", "ward", "gender", "nid")] == [
        "26", "2616", "3.5", "true", "1956123456789"]
    assert frame["upazila_code"].to_list() == ["2616", None] and frame["union_code"].to_list() == [None, "0"]
    odd = [*attributes, {"name_en": {"given": "Rahima"}, "brn": 2**70}]
    assert records_frame(odd).to_dicts() == input_rows(odd)
    assert records_frame(odd)["brn"].to_list() == [None, None, str(2**70)]
    assert records_frame([]).columns == records_frame(attributes).columns


def test_a_small_batch_is_prepared_as_a_large_one() -> None:
    """Up to SMALL_TABLE records are normalised from their attributes without the input frame."""
    attributes = [{"name_bn": "মোছাঃ রহিমা খাতুন", "name_en": "Mst. Rahima Khatun", "date_of_birth": "১৯৭৮-০৩-০৪",
                   "gender": "মহিলা", "nid": "১৯৭৮৬০৩৪৮২১৪৬৯৪৮৯", "phone": "01734-311063", "district_code": 26,
                   "upazila_code": "2616", "ward": ""},
                  {"name_en": "Md. Abdur Rahim", "dob": "1956", "birth_year": 1956, "brn": "20184409661771824",
                   "spouse_bn": "রহিমা খাতুন", "father_en": None, "union_code": 12.0},
                  {}]
    assert input_rows(attributes) == records_frame(attributes).to_dicts()
    small = prepare_batch([(uuid.uuid4(), a) for a in attributes])
    assert small.keys.equals(normalize_table(records_frame(attributes), small=False))


def test_a_few_records_are_assembled_as_many() -> None:
    """The plain-Python assembly of a small batch gives the probes, rows and names of the Polars one."""
    import pytest

    from services.matching.linking import service
    from tests.paths import BENCH_DIR

    path = BENCH_DIR / "bd_100000_s42.parquet"
    if not path.exists():
        pytest.skip("bench file not available")
    table = pl.read_parquet(path).drop("person_id", "household_id").slice(40_000, 40)
    # a household's records share phone, address and parents' names: blocks of several rows
    keys = normalize_table(pl.concat([table, table.head(5)]))
    ids = [str(uuid.uuid4()) for _ in range(keys.height)]
    small = service._assemble(ids, keys)
    threshold = service.SMALL_TABLE
    try:
        service.SMALL_TABLE = 0
        large = service._assemble(ids, keys)
        large_block_lines = service._block_lines(large)
    finally:
        service.SMALL_TABLE = threshold
    assert small.probes_text == large.probes_text and small.probes > keys.height
    for array in ("probe_caps", "probe_rows", "probe_start", "block_rows"):
        assert getattr(small, array).dtype == getattr(large, array).dtype, array
        assert (getattr(small, array) == getattr(large, array)).all(), array
    assert (small.probe_rows >= 2).any()
    assert set(small.names_text.split("\n")) == set(large.names_text.split("\n"))
    order = ["family", "key", "row"]
    assert small.blocks.sort(order).equals(large.blocks.sort(order))
    assert large.blocks.equals(large.blocks.sort(order))  # the large batch's inserts go in key order
    # what the stored blocking keys are made of
    assert sorted(service._block_lines(small).split("\n")) == sorted(large_block_lines.split("\n"))


def test_a_few_records_blocking_keys_are_those_of_the_polars_query(monkeypatch: pytest.MonkeyPatch) -> None:
    """Up to SMALL_TABLE rows the rules' keys are read out once and made distinct in Python: the same
    (row, family, key) rows as the lazy query, for Bangla and Latin names, identifiers of every
    length, a record seen twice and a record with nothing."""
    from services.matching.linking import frames
    from services.matching.linking.service import RULES

    extra = {"name_bn": "মোছাঃ রহিমা খাতুন", "name_en": "Mst. Rahima Khatun", "father_bn": "আব্দুল করিম",
             "father_en": "Abdul Karim", "dob": "1978-03-04", "nid": "১৯৭৮৬০৩৪৮২১৪৬৯৪৮৯", "brn": "19782619412345678",
             "phone": "01734-311063", "district_code": 26, "upazila_code": 2616}
    tables = [make_table(_people()), make_table([*_people(), extra, extra]), make_table([extra]),
              make_table([{}]), make_table(_people()).head(0)]
    for table in tables:
        keys = normalize_table(table)
        small = frames.family_block_keys(keys, RULES)
        with monkeypatch.context() as patch:
            patch.setattr(frames, "SMALL_TABLE", -1)
            large = frames.family_block_keys(keys, RULES)
        assert small.schema == large.schema
        assert sorted(small.rows()) == sorted(large.rows())
        assert small.height == len(set(small.rows()))
    assert frames.family_block_keys(normalize_table(make_table([extra, extra])), RULES)["row"].n_unique() == 2


def _batch(rows: list[dict]) -> PreparedBatch:
    return prepare_batch([(uuid.uuid4(), r) for r in rows])


def test_within_a_batch_the_pairs_are_the_batch_engines() -> None:
    rows = [{k: (str(v) if v is not None else None) for k, v in p.items()} for p in _people()]
    rows = [{("date_of_birth" if k == "dob" else k): v for k, v in r.items()} for r in rows]
    batch = _batch(rows)
    pairs = candidate_pairs_of(batch, Candidates())
    expected = candidate_pairs(normalize_table(make_table(_people())))
    assert sorted(map(tuple, pairs.tolist())) == sorted(map(tuple, expected.tolist()))


def _probe(batch: PreparedBatch, family: int, key: str) -> int:
    lines = batch.probes_text.split("\n")
    return lines.index(f"{family}\t{key}")


def test_a_block_over_its_cap_is_no_key() -> None:
    phone_family = 4  # the phone family (FAMILY_NUMBERS) caps its blocks at 30
    assert FAMILY_CAPS[phone_family] == 30
    rows = [{"phone": "01711000001", "name_en": n} for n in ("Abul Kalam", "Babul Mia")]
    batch = _batch(rows)
    phone = _probe(batch, phone_family, "1711000001")

    def pairs_with(stored: int, excluded: int = 0) -> set[tuple[int, int]]:
        hits = [f"{phone},{c}" for c in range(stored)] + [f"{phone},-1"] * excluded
        lines = "\n".join(f"{c},{uuid.uuid4()}," + ",".join([""] * len(KEY_SCHEMA)) for c in range(stored))
        return set(map(tuple, candidate_pairs_of(batch, Candidates("\n".join(hits), lines)).tolist()))

    # 28 stored records and the batch's 2 hold the phone: a block of 30, every pair scored
    assert len(pairs_with(28)) == 2 * 28 + 1
    # one more and the block (31) is over the cap: neither stored nor batch pairs through it
    assert pairs_with(29) == set()
    # a record of the batch that is stored already (changed) counts once, as a member of the batch
    assert len(pairs_with(28, excluded=1)) == 2 * 28 + 1
    # the query stops at the cap: a full answer means a larger block
    assert pairs_with(30) == set()


def test_pairs_come_out_once_whatever_the_number_of_shared_keys() -> None:
    batch = _batch([{"nid": "1956123456789", "phone": "01711000001", "name_en": "Abul Kalam",
                     "date_of_birth": "1956-03-12", "district_code": "26", "upazila_code": "2616"}] * 3)
    pairs = candidate_pairs_of(batch, Candidates())
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (0, 2), (1, 2)]
    assert pairs.dtype == np.int32


def test_name_frequencies_of_a_large_frame_are_those_of_a_few_rows() -> None:
    """The term frequency of each row's own name: the larger of its Bangla and Latin skeletons'
    counts over the register, NaN without a counted name; a consumer batch is looked up by Polars,
    a few rows one by one, and both give the same."""
    people = [{"name_bn": "মোঃ আব্দুর রহিম", "name_en": "Md. Abdur Rahim"}, {"name_bn": "রহিমা খাতুন"},
              {"name_en": "Hoimonti Rani Das"}, {"name_bn": "ফাতেমা বেগম", "name_en": "Fatema Begum"},
              {"name_en": "Shapla"}, {}]
    keys = normalize_table(make_table(people * 20))  # 120 rows: the Polars path
    skeleton = {name: normalize_table(make_table([{"name_en": name}]))["name_en"][0]
                for name in ("Abdur Rahim", "Rahima Khatun", "Fatema Begum", "Shapla")}
    counts = {skeleton["Abdur Rahim"]: 400, skeleton["Rahima Khatun"]: 90, skeleton["Fatema Begum"]: 1200,
              skeleton["Shapla"]: 3, "": 77}  # an empty skeleton is no name, whatever it counts
    large = name_frequencies(keys, counts, 1_000_000)
    few = np.concatenate([name_frequencies(keys[start:start + 6], counts, 1_000_000)
                          for start in range(0, keys.height, 6)])
    np.testing.assert_array_equal(large, few)
    first = large[:6] * 1_000_000
    np.testing.assert_allclose(first[[0, 1, 3, 4]], [400, 90, 1200, 3], rtol=1e-6)
    assert np.isnan(first[2]) and np.isnan(first[5]), "an uncounted name and no name have no frequency"
    assert name_frequencies(keys, counts, 10) is None, "a register too small for term frequencies"


def test_name_skeletons_remembered_across_batches_are_those_computed_afresh() -> None:
    names = ["মোঃ আব্দুর রহিম", "Md. Abdur Rahim", "রহিমা খাতুন", "Hoimonti Rani Das", "শ্রী দিলীপ কুমার দাস"]
    assert name_skeletons(names) == [name_skeleton(n) for n in names]
    assert name_skeletons(list(reversed(names))) == [name_skeleton(n) for n in reversed(names)]  # from the cache


def test_link_events_are_envelopes_in_batch_rows_in_order() -> None:
    """Per record an unlinked event from its previous person (when announced), then the linked one;
    2,500 records' events fill two batch rows, whose event id is their first event's."""
    now = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    records = [str(uuid.uuid4()) for _ in range(2_500)]
    person, previous = str(uuid.uuid4()), str(uuid.uuid4())
    links = [WrittenLink(records[0], person, previous, 0.9871, unlinked=True),
             WrittenLink(records[1], person, previous, None, unlinked=False),  # its person was merged away
             *(WrittenLink(r, person, None, 1.0, unlinked=False) for r in records[2:])]
    rows = link_event_rows(links, linked="matching.person.linked", unlinked="matching.person.unlinked", now=now)
    assert [row["events"] for row in rows] == [2_000, 501]
    unpacked = [(topic, key, EventEnvelope.from_bytes(body)) for row in rows
                for topic, key, body in unpack_events(row["body"])]
    events = [event for _, _, event in unpacked]
    assert all(topic == e.type and key.decode() == e.key for topic, key, e in unpacked)
    assert [str(row["event_id"]) for row in rows] == [str(events[0].event_id), str(events[2_000].event_id)]
    assert len({e.event_id for e in events}) == 2_501
    first, second, third = events[:3]
    assert (first.type, first.key, first.payload) == (
        "matching.person.unlinked", previous, {"person_id": previous, "record_id": records[0], "probability": None})
    assert (second.type, second.payload) == (
        "matching.person.linked", {"person_id": person, "record_id": records[0], "probability": 0.9871})
    assert third.payload == {"person_id": person, "record_id": records[1], "probability": None}
    assert all(e.producer == "matching" and e.occurred_at == now for e in events)
    assert [e.payload["record_id"] for e in events[2:]] == records[1:]
    assert link_event_rows([], linked="a.b.c", unlinked="a.b.d", now=now) == []


def test_a_few_key_lines_are_written_as_polars_writes_many() -> None:
    """The real-time path writes a record's key line in Python; a consumer batch's are written by
    Polars: the same lines, quoting included (empty text, separators, quotes; key texts hold no line breaks)."""
    keys = normalize_table(make_table(_people()))
    odd = pl.DataFrame({c: [None] * 5 for c in KEY_SCHEMA}, schema=KEY_SCHEMA).with_columns(
        name_bn=pl.Series(['a,"b', "", "plain", "x,y", None]), name_en=pl.Series(["", "x", " lead", None, "q\"q"]),
        ward=pl.Series([3, None, 0, -1, 12], dtype=KEY_SCHEMA["ward"]))
    for frame in (keys, odd, pl.concat([keys, odd])):
        assert frame.height <= 64
        polars_lines = frame.select(list(KEY_SCHEMA)).write_csv(include_header=False).splitlines()
        assert keys_to_lines(frame) == polars_lines
    many = pl.concat([keys] * 20)  # past the small path: Polars itself
    assert keys_to_lines(many) == keys_to_lines(keys) * 20


def test_snapshot_bounds_are_its_xmax_and_in_progress_ids() -> None:
    assert snapshot_bounds("818:818:") == (818, [])
    assert snapshot_bounds("1200:1215:1200,1207,1213") == (1215, [1200, 1207, 1213])
