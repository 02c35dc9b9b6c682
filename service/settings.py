"""Settings of the HTTP service, read from the environment (prefix ``SYMBIOSIS_``) in one class."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be configured with.

    Every field can be set from an environment variable named ``SYMBIOSIS_`` plus the field name in
    capitals, e.g. ``SYMBIOSIS_DATABASE_URL=postgresql+psycopg://user:password@host/db``.
    """

    model_config = SettingsConfigDict(env_prefix="SYMBIOSIS_", extra="ignore")

    database_url: str = Field(
        "sqlite:///./symbiosis.db",
        description="SQLAlchemy URL of the database: an SQLite file (default) or postgresql+psycopg://...",
    )
    host: str = Field("127.0.0.1", description="Address `symbiosis serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `symbiosis serve` listens on.")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Largest request body outside imports.")
    max_upload_bytes: int = Field(20_000_000, ge=1024, description="Largest import upload (CSV or XLSX).")
    round_workers: int = Field(2, ge=1, le=32, description="Matching rounds that may run at the same time.")
    migrate_on_start: bool = Field(True, description="Apply database migrations when the service starts.")
    planner_min_companies: int = Field(
        3, ge=1,
        description="Planners see an aggregate only when at least this many companies contribute to it "
        "(companies that consent to planner access count regardless).",
    )
    map_tiles_url: str | None = Field(
        None,
        description="Tile URL template for the web map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; "
        "without it the map draws a bundled coastline outline and works offline.",
    )
    map_tiles_attribution: str | None = Field(
        None, description="Attribution shown under the map tiles (required by most tile providers).",
    )
