"""The Bangla font the documents are set in, installed as a Python package (no download at run time).

Hind Siliguri (Indian Type Foundry, SIL Open Font License 1.1) comes from the PyPI package
`fontpkg-hind-siliguri`, so `make venv` puts it in .venv like any other dependency. It has the
OpenType Bengali shaping tables (conjuncts, reph, pre-base vowel signs) that HarfBuzz needs, and
Latin glyphs for e-mail addresses and memo numbers.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FONT_FAMILY", "FontNotInstalled", "bangla_font_path"]

FONT_FAMILY = "Hind Siliguri"
FONT_PACKAGE = "fontpkg-hind-siliguri"


class FontNotInstalled(RuntimeError):
    """The font package is missing from the environment."""


def bangla_font_path(*, bold: bool = False) -> Path:
    """Path of the regular (or bold) TTF of the packaged Bangla font."""
    try:
        import fontpkg
    except ImportError as exc:  # pragma: no cover - the lock file installs it
        raise FontNotInstalled(f"install {FONT_PACKAGE} (it brings fontpkg) to render minutes") from exc
    try:
        path = Path(fontpkg.path(FONT_FAMILY, weight=700 if bold else 400))
    except fontpkg.FontpkgError as exc:
        raise FontNotInstalled(f"the {FONT_FAMILY} font is not installed: install {FONT_PACKAGE}") from exc
    if not path.is_file():  # pragma: no cover - a broken install
        raise FontNotInstalled(f"{path} is missing: reinstall {FONT_PACKAGE}")
    return path
