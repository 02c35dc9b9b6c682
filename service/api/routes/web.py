"""The web page: ``GET /`` and ``/static/...`` (no data in them), the reference names it shows
(``GET /catalog.json``), the API documentation pages ``/docs`` and ``/redoc`` on the bundled Swagger UI
and ReDoc, and the page's settings under the API."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

import service.web
from service.api.deps import AnyRoleDep, SettingsDep
from symbiosis.data import read_dataset
from symbiosis.materials import format_ewc

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


@cache
def catalog() -> dict[str, Any]:
    """Names the page shows in English and Danish, read once from the datasets: NACE sections and
    divisions, the branch groups of the network (Danish: the Danish names of their divisions), material
    classes with their canonical units, and the European List of Waste codes with their chapters."""
    nace = read_dataset("nace_rev2.csv")
    names = {row.code: {"en": row.description_en, "da": row.description_da}
             for row in nace.itertuples(index=False) if row.level in ("1", "2")}
    branches = {}
    for row in read_dataset("nace_branch_groups.csv").itertuples(index=False):
        divisions = [f"{d:02d}" for d in range(int(row.division_from), int(row.division_to) + 1)]
        branches[row.branch] = {"en": row.name, "da": "; ".join(
            names[d]["da"] for d in divisions if d in names)}
    classes = {row.material_id: {"en": row.name, "da": row.name_da, "unit": row.canonical_unit}
               for row in read_dataset("materials.csv").itertuples(index=False)}
    ewc = read_dataset("ewc.csv")
    chapters = {row.code[:2]: row.chapter for row in ewc.itertuples(index=False)}
    codes = {format_ewc(row.code): row.description for row in ewc.itertuples(index=False)}
    return {"nace": names, "branches": branches, "classes": classes, "ewc_chapters": chapters, "ewc": codes}


@pages.get("/catalog.json")
def catalog_json() -> JSONResponse:
    """Reference names for the page (no data of any company), the same for everyone."""
    return JSONResponse(catalog(), headers={"Cache-Control": "public, max-age=3600"})


#: The documentation pages run their own inline start-up script; nothing they load may come from elsewhere
#: (ReDoc's menu links a logo on its makers' site, which this keeps from loading).
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' blob:; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
               "object-src 'none'; base-uri 'self'; frame-ancestors 'none'")


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_POLICY
    return page


@pages.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI from the bundled files, so the documentation works without internet."""
    root = request.scope.get("root_path", "")
    return _offline(get_swagger_ui_html(openapi_url=f"{root}{request.app.openapi_url}",
                               title=f"{request.app.title} - Swagger UI",
                               swagger_js_url=f"{root}/static/vendor/swagger-ui/swagger-ui-bundle.js",
                               swagger_css_url=f"{root}/static/vendor/swagger-ui/swagger-ui.css",
                               swagger_favicon_url="data:,"))


@pages.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc from the bundled file, without web fonts from other sites."""
    root = request.scope.get("root_path", "")
    return _offline(get_redoc_html(openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} - ReDoc",
                          redoc_js_url=f"{root}/static/vendor/redoc/redoc.standalone.js",
                          redoc_favicon_url="data:,", with_google_fonts=False))
