"""Helpers for the draft tests: upload a seed, read a PDF's or DOCX's text back, a committee for the
focal points meeting."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path
from typing import Any

import docx
import httpx
import pypdfium2

from tests.integration.minutes.factories import secretary_headers
from tests.paths import SEEDS_DIR

FOCAL_POINTS_SEED = SEEDS_DIR / "minutes_nsss_focal_points_2021.txt"  # the second seed
CLUSTER_SEED = SEEDS_DIR / "minutes_social_assistance_cluster_2019.txt"  # the first seed

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def squash(text: str) -> str:
    """Extracted text has line breaks where the renderer wrapped; the words and their order are what count."""
    return " ".join(nfc(text).split())


def pdf_text(content: bytes) -> str:
    pdf = pypdfium2.PdfDocument(content)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def upload_files(path: Path, *, content: bytes | None = None, media_type: str = "text/plain") -> dict[str, Any]:
    return {"file": (path.name, path.read_bytes() if content is None else content, media_type)}


async def upload(client: httpx.AsyncClient, path: Path, prefix: str = "") -> dict[str, Any]:
    response = await client.post(f"{prefix}/drafts", files=upload_files(path), headers=secretary_headers())
    assert response.status_code == 201, response.text
    return response.json()
