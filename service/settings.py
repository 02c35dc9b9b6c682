"""Settings of the HTTP service, read from the environment (prefix ``SYMBIOSIS_``) in one class."""

from __future__ import annotations

from pydantic import Field, model_validator
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
    import_max_rows: int = Field(
        100_000, ge=10, description="Most rows a sheet or CSV file of an import may have (header included).")
    import_max_cells: int = Field(
        3_000_000, ge=100, description="Most cells (declared rows x columns) a sheet of an imported workbook may have.")
    import_max_unzipped_bytes: int = Field(
        200_000_000, ge=1024, description="Largest uncompressed size of an imported workbook's files together.")
    import_time_budget_s: float = Field(
        30.0, gt=0, le=3600, description="Seconds an imported workbook's rows may take to read before it is refused.")
    round_workers: int = Field(2, ge=1, le=32, description="Matching rounds that may run at the same time in one process.")
    round_lease_s: float = Field(
        30.0, gt=0, le=3600,
        description="Seconds a process's claim on a running round lasts without a heartbeat; another process "
        "takes the round over once it has expired (heartbeats come every third of it).",
    )
    round_poll_s: float = Field(1.0, gt=0, le=60, description="Seconds between two looks for queued rounds.")
    max_time_limit_s: float = Field(
        300.0, gt=0, le=86_400, description="Largest `options.time_limit_s` a round may ask for (seconds per solve).",
    )
    threads: int = Field(
        16, ge=1, le=256,
        description="Threads that run the synchronous request handlers of one process (the anyio thread limiter).",
    )
    db_pool_size: int = Field(20, ge=1, le=1000, description="Database connections each process keeps open.")
    db_max_overflow: int = Field(5, ge=0, le=1000, description="Extra connections a process may open under load.")
    db_pool_timeout_s: float = Field(
        30.0, gt=0, le=600, description="Seconds a request waits for a free database connection before a 503.",
    )
    sqlite_busy_timeout_ms: int = Field(
        10_000, ge=0, le=600_000,
        description="Milliseconds an SQLite write waits for another process's or thread's write to end.",
    )
    migrate_on_start: bool = Field(True, description="Apply database migrations when the service starts.")
    planner_min_companies: int = Field(
        3, ge=1,
        description="Planners see an aggregate only when at least this many companies contribute to it "
        "(companies that consent to planner access count regardless).",
    )
    planner_max_share: float = Field(
        0.85, gt=0, le=1,
        description="Planners see an aggregate only when no single non-consenting company makes up more than "
        "this share of it (an exchange counts in full for both its companies; 1 turns the rule off).",
    )
    geocoder_url: str | None = Field(
        None, description="Nominatim-compatible geocoder that places imported companies with an address and no "
        "coordinates (e.g. https://nominatim.openstreetmap.org, at most one request a second, or a self-hosted one); "
        "none: missing coordinates are an error.")
    geocoder_user_agent: str = Field("symbiosis-engine", max_length=200,
                                     description="How the service names itself to the geocoder.")
    geocoder_cache: str | None = Field(None, description="JSON file that remembers geocoder answers.")
    geocoder_min_delay_s: float = Field(1.0, ge=0, le=60, description="Least seconds between two geocoder requests.")
    map_tiles_url: str | None = Field(
        None,
        description="Tile URL template for the web map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; "
        "without it the map draws a bundled coastline outline and works offline.",
    )
    map_tiles_attribution: str | None = Field(
        None, description="Attribution shown under the map tiles (required by most tile providers).",
    )

    @model_validator(mode="after")
    def _enough_connections(self) -> Settings:
        needed = self.threads + self.round_workers + 2
        if self.db_pool_size + self.db_max_overflow < needed:
            raise ValueError(
                f"db_pool_size + db_max_overflow ({self.db_pool_size} + {self.db_max_overflow}) must be at least "
                f"threads + round_workers + 2 = {needed}, so that no thread ever waits for a connection")
        return self
