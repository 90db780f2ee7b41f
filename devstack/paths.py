from __future__ import annotations

import sysconfig
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = REPO_ROOT / ".run"
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])


def package_path(package: str, *parts: str) -> Path:
    return SITE_PACKAGES / package / Path(*parts)
