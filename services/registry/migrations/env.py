import services.registry.app  # noqa: F401  (registers every model on the metadata)
from services.registry.database import Base
from shared.migrations import run_env

run_env(Base.metadata)
