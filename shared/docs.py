"""Swagger UI served from local files: ministry networks (and this machine) cannot reach a CDN."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_ASSETS = str(files("fastapi_offline") / "static")


def mount_local_swagger(app: FastAPI, *, openapi_url: str = "/openapi.json", title: str | None = None) -> None:
    """Serve `/docs` with the Swagger UI assets shipped in a PyPI wheel.

    Asset and spec URLs are relative so the page works both directly and behind the gateway's
    path prefix (`/registry/docs` loads `/registry/docs-assets/...`).
    """
    app.mount("/docs-assets", StaticFiles(directory=SWAGGER_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url.lstrip("/"),
            title=title or f"{app.title} API",
            swagger_js_url="docs-assets/swagger-ui-bundle.js",
            swagger_css_url="docs-assets/swagger-ui.css",
            swagger_favicon_url="data:,",
        )
