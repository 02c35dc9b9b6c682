"""The web page: ``GET /`` and ``/static/...`` (no data in them), and the page's settings under the API."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

import service.web
from service.api.deps import AnyRoleDep, SettingsDep

WEB_DIR = Path(service.web.__file__).resolve().parent / "static"

router = APIRouter(tags=["web"])
pages = APIRouter(include_in_schema=False)


class WebConfig(BaseModel):
    map_tiles_url: str | None = Field(description="Tile URL template; none means the page draws the bundled outline.")
    map_tiles_attribution: str | None


@router.get("/web-config", response_model=WebConfig)
def web_config(_principal: AnyRoleDep, settings: SettingsDep) -> WebConfig:
    """Settings the web page needs (map tiles); any valid key may read them."""
    return WebConfig(map_tiles_url=settings.map_tiles_url, map_tiles_attribution=settings.map_tiles_attribution)


def _security_headers(tiles_url: str | None) -> dict[str, str]:
    """A strict policy: the page loads only its own files, plus tile images when tiles are set."""
    images = "'self' data:"
    if tiles_url:
        parts = urlsplit(tiles_url.replace("{s}", "*"))
        if parts.scheme and parts.netloc:
            images += f" {parts.scheme}://{parts.netloc}"
    policy = (f"default-src 'self'; img-src {images}; style-src 'self'; script-src 'self'; "
              "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
    return {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


@pages.get("/")
def index(settings: SettingsDep) -> FileResponse:
    """The map page; it asks for an API key and then reads the API with it."""
    return FileResponse(WEB_DIR / "index.html", media_type="text/html",
                        headers=_security_headers(settings.map_tiles_url))


def static_files() -> StaticFiles:
    """The page's script, style and bundled assets, served under ``/static``."""
    return StaticFiles(directory=WEB_DIR)
