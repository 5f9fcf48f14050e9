"""``/api/v1/docs``: Swagger UI served from this server's own files (the ``fastapi-offline`` package's
copy of Swagger UI 5), never from a CDN: the page works offline and under the CSP, which allows only
this site's scripts, styles and images."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"


def install(app: FastAPI, prefix: str) -> None:
    """Add the docs page at ``<prefix>/docs`` and its files under ``<prefix>/docs/assets``."""
    assets = f"{prefix}/docs/assets"
    app.mount(assets, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get(f"{prefix}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or f"{prefix}/openapi.json",
            title=f"{app.title} — docs",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from the validator's site
        )
