"""Where the seed minutes are, for tests that need them; skips with the reason when they are not there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.paths import SEEDS_DIR

CLUSTER_2019 = "minutes_social_assistance_cluster_2019.txt"
FOCAL_POINTS_2021 = "minutes_nsss_focal_points_2021.txt"


def seed_path(name: str) -> Path:
    path = SEEDS_DIR / name
    if not path.is_file():
        pytest.skip(f"seed {name} not found in {SEEDS_DIR} (set SOMONNOY_SHARED_DIR to the shared/ folder)")
    return path
