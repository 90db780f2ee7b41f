"""A parsed draft of each seed, shared by the tests of this package."""

from __future__ import annotations

import pytest

from services.minutes.documents import MinutesDraft, decode_minutes_text, parse_minutes
from tests.unit.minutes_documents.seeds import CLUSTER_2019, FOCAL_POINTS_2021, seed_path


@pytest.fixture(scope="session")
def cluster_draft() -> MinutesDraft:
    return parse_minutes(decode_minutes_text(seed_path(CLUSTER_2019).read_bytes()))


@pytest.fixture(scope="session")
def focal_draft() -> MinutesDraft:
    return parse_minutes(decode_minutes_text(seed_path(FOCAL_POINTS_2021).read_bytes()))
