from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.minutes.actions.scheduler import next_sweep_at

DHAKA = ZoneInfo("Asia/Dhaka")


@pytest.mark.parametrize(("now", "hour", "expected"), [
    (datetime(2021, 10, 31, 0, 30, tzinfo=DHAKA), 1, datetime(2021, 10, 31, 1, 0, tzinfo=DHAKA)),
    (datetime(2021, 10, 31, 1, 0, tzinfo=DHAKA), 1, datetime(2021, 11, 1, 1, 0, tzinfo=DHAKA)),
    (datetime(2021, 10, 31, 23, 59, tzinfo=DHAKA), 6, datetime(2021, 11, 1, 6, 0, tzinfo=DHAKA)),
    (datetime(2021, 12, 31, 22, 0, tzinfo=DHAKA), 0, datetime(2022, 1, 1, 0, 0, tzinfo=DHAKA)),
    (datetime(2024, 2, 28, 5, 0, tzinfo=DHAKA), 3, datetime(2024, 2, 29, 3, 0, tzinfo=DHAKA)),
])
def test_the_next_sweep_is_the_first_configured_hour_after_now(now: datetime, hour: int, expected: datetime) -> None:
    assert next_sweep_at(now, hour=hour) == expected


def test_the_next_sweep_is_never_more_than_a_day_away() -> None:
    now = datetime(2021, 10, 31, 1, 0, 0, 1, tzinfo=DHAKA)
    for hour in range(24):
        wait = next_sweep_at(now, hour=hour) - now
        assert timedelta(0) < wait <= timedelta(days=1)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(AssertionError):
        next_sweep_at(datetime(2021, 10, 31, 1, 0), hour=1)
