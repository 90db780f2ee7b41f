"""Where the project's shared data lives: `../shared` beside the checkout, as CI lays it out."""

import os
from pathlib import Path

from devstack.paths import REPO_ROOT

SHARED_DIR = Path(os.environ.get("SOMONNOY_SHARED_DIR") or REPO_ROOT.parent / "shared")
BENCH_DIR = SHARED_DIR / "bench"
SEEDS_DIR = SHARED_DIR / "seeds"
