from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.pagination import decode_cursor, encode_cursor, next_cursor
from shared.errors import Invalid
from shared.ids import new_id


@given(st.uuids())
def test_a_cursor_decodes_to_the_id_it_was_made_from(value: uuid.UUID) -> None:
    cursor = encode_cursor(value)
    assert decode_cursor(cursor) == value
    assert cursor.isascii() and "=" not in cursor and "/" not in cursor and "+" not in cursor


@pytest.mark.parametrize("cursor", ["not-a-cursor!", "abc", "AAAA"])
def test_a_foreign_cursor_is_a_422_on_the_cursor_parameter(cursor: str) -> None:
    with pytest.raises(Invalid) as raised:
        decode_cursor(cursor)
    assert raised.value.loc == ["query", "cursor"] and raised.value.error_type == "cursor.invalid"


def test_no_cursor_means_the_first_page() -> None:
    assert decode_cursor(None) is None and decode_cursor("") is None


def test_only_a_full_page_has_a_next_cursor() -> None:
    ids = [new_id() for _ in range(3)]
    assert next_cursor(ids, limit=3) == encode_cursor(ids[-1])
    assert next_cursor(ids, limit=4) is None
    assert next_cursor([], limit=1) is None
