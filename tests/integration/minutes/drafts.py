"""Helpers for the draft tests: upload a seed, read a PDF's or DOCX's text back, a committee for the
focal points meeting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.integration.minutes.factories import secretary_headers
from tests.paths import SEEDS_DIR

FOCAL_POINTS_SEED = SEEDS_DIR / "minutes_nsss_focal_points_2021.txt"  # the second seed
CLUSTER_SEED = SEEDS_DIR / "minutes_social_assistance_cluster_2019.txt"  # the first seed

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"










def upload_files(path: Path, *, content: bytes | None = None, media_type: str = "text/plain") -> dict[str, Any]:
    return {"file": (path.name, path.read_bytes() if content is None else content, media_type)}


async def upload(client: httpx.AsyncClient, path: Path, prefix: str = "") -> dict[str, Any]:
    response = await client.post(f"{prefix}/drafts", files=upload_files(path), headers=secretary_headers())
    assert response.status_code == 201, response.text
    return response.json()
