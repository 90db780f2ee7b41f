"""The matching service's schema: its declarative base, outbox and processed-events tables."""

from shared.consumer import define_processed_events_table
from shared.db import declarative_base_for
from shared.outbox import define_outbox_table

SCHEMA = "matching"
Base = declarative_base_for(SCHEMA)
outbox = define_outbox_table(Base.metadata, batches=True)
processed_events = define_processed_events_table(Base.metadata)
