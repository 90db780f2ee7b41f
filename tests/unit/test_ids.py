"""UUIDv7 ids (shared.ids): version 7, creation order, unique, one at a time or many at once."""

from __future__ import annotations

import time
import uuid

import polars as pl
import pytest

from shared.ids import new_id, new_id_texts, uuid7_series


def test_ids_are_uuid7_and_sort_in_creation_order() -> None:
    earlier = new_id()
    time.sleep(0.002)
    later = new_id()
    assert earlier.version == 7 and earlier.variant == uuid.RFC_4122
    assert earlier < later
    assert abs((earlier.int >> 80) - time.time_ns() // 1_000_000) < 5_000


def test_ids_do_not_repeat() -> None:
    assert len({new_id() for _ in range(10_000)}) == 10_000


def test_minted_ids_are_uuid7_of_the_given_millisecond() -> None:
    millis = 1_764_000_000_123
    ids = uuid7_series(20_000, "person_id", millis=millis)
    assert ids.dtype == pl.String and ids.name == "person_id" and ids.n_unique() == 20_000
    for value in ids.sample(200, seed=1):
        parsed = uuid.UUID(value)
        assert str(parsed) == value and parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert int.from_bytes(parsed.bytes[:6], "big") == millis
    assert uuid7_series(0, "x").len() == 0


@pytest.mark.parametrize("n", [0, 1, 63, 64, 5_000])
def test_id_texts_are_canonical_uuid7_of_now_and_sort_after_earlier_ids(n: int) -> None:
    before = new_id()
    time.sleep(0.002)
    texts = new_id_texts(n)
    assert len(texts) == n and len(set(texts)) == n
    for text in texts:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert parsed > before
