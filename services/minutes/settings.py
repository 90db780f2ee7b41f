"""The minutes service's settings: the shared ones plus when the daily overdue sweep runs."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class MinutesSettings(ServiceSettings):
    service_name: str = "minutes"
    # Deadlines are Bangladesh dates: an item due "31 October" is overdue from 1 November in Dhaka,
    # whatever the server's clock zone is.
    minutes_timezone: str = Field(default="Asia/Dhaka", description="Zone in which deadlines are dates.")
    overdue_sweep_enabled: bool = Field(default=True, description="Run the daily overdue sweep in-process.")
    overdue_sweep_hour: int = Field(default=1, ge=0, le=23,
                                    description="Local hour (minutes_timezone) at which the daily sweep runs.")
