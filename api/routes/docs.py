"""API documentation served with local Swagger UI assets: no CDN."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from geo.errors import NotFoundError

router = APIRouter(include_in_schema=False)

_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    """Swagger UI for the OpenAPI document at /api."""
    return get_swagger_ui_html(
        openapi_url="/api",
        title="Zonewatch API",
        swagger_js_url="/assets/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/assets/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/assets/swagger-ui/favicon-32x32.png",
    )


@router.get("/assets/swagger-ui/{name}")
def swagger_asset(name: str) -> FileResponse:
    """One Swagger UI file from the swagger-ui-bundle package."""
    from pathlib import Path

    import swagger_ui_bundle

    if name not in _ASSETS:
        raise NotFoundError(f"no asset {name!r}")
    return FileResponse(Path(swagger_ui_bundle.swagger_ui_path) / name, media_type=_ASSETS[name])
