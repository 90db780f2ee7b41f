"""The dev stack's PostgreSQL settings, scaled to the machine."""

from __future__ import annotations

import pytest

from devstack.postgres import server_settings

GB = 1 << 30


@pytest.mark.parametrize(("memory", "shared_buffers"), [
    (24 * GB, "1024MB"),  # this workplace's machine: the cap
    (4 * GB, "1024MB"),
    (2 * GB, "512MB"),  # a quarter of a small machine
    (256 << 20, "128MB"),  # never below PostgreSQL's own default
])
def test_the_buffer_cache_is_a_quarter_of_the_memory_within_bounds(memory: int, shared_buffers: str) -> None:
    assert server_settings(memory)["shared_buffers"] == shared_buffers


def test_the_background_writer_cleans_ahead_of_the_backends() -> None:
    settings = server_settings(24 * GB)
    # up to 100,000 pages a second, against the default 500
    assert int(settings["bgwriter_lru_maxpages"]) * 1000 // int(settings["bgwriter_delay"].removesuffix("ms")) \
        >= 50_000
