import services.minutes.app  # noqa: F401  (registers every model on the metadata)
from services.minutes.database import Base
from shared.migrations import run_env

run_env(Base.metadata)
