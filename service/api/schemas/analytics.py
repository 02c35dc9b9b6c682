"""Request and response bodies of the planner analytics: network, tables, processor site, resilience, scenarios."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from service.api.schemas.common import TEXT_LENGTH, TEXT_PATTERN, Number

#: Longest list of companies or listings a scenario may add or remove.
MAX_SCENARIO_ROWS = 1000
#: Text without control characters (query parameters and ids of the analytics requests).
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
#: A cell of a scenario's company or listing: text without control characters (nor lone
#: surrogates, which no database stores), a finite number, yes/no or blank, under a column name.
Cell = Annotated[str, StringConstraints(max_length=TEXT_LENGTH, pattern=TEXT_PATTERN)] | int | Number | bool | None
CellName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_CONTROL)]


class BetweennessPublic(BaseModel):
    method: Literal["exact", "sampled"] = Field(description="Exact, or sampled above `threshold` companies.")
    sample: int | None = Field(description="Source companies sampled (null when exact).")
    seed: int | None = Field(description="Seed of the sample (null when exact).")
    threshold: int = Field(description="Largest network (companies) whose betweenness is computed exactly.")


class NetworkPublic(BaseModel):
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    components: int
    private: bool = Field(description="Whether companies are shown as pseudonyms with rounded figures.")
    betweenness: BetweennessPublic | None = Field(default=None, description="How `betweenness` was computed.")


class TablePublic(BaseModel):
    data: list[dict[str, Any]]
    private: bool = False


class ProcessorSitePublic(BaseModel):
    material: str
    need_material: str
    lat: float = Field(description="Latitude; for a planner the centre of the site's grid cell (see planner privacy).")
    lon: float = Field(description="Longitude; for a planner the centre of the site's grid cell (see planner privacy).")
    quantity: float | None
    canonical_unit: str
    offers: list[str] | None
    offer_count: int
    max_distance_km: float
    transport_mode: str
    sites_tried: int
    private: bool


class MarginalValuesPublic(BaseModel):
    by_area: list[dict[str, Any]]
    listings: list[dict[str, Any]] | None = Field(description="Per listing, for facilitators only.")


class ResilienceRequest(BaseModel):
    remove: list[Annotated[str, Field(min_length=1, max_length=100, pattern=NO_CONTROL)]] = Field(
        min_length=1, max_length=MAX_SCENARIO_ROWS,
        description="Company ids to close (planners may use the pseudonyms they see, e.g. n3).")


class ResiliencePublic(BaseModel):
    removed: list[str]
    lost_exchanges: list[dict[str, Any]] | None
    lost_diverted_t: float
    regained_diverted_t: float
    recovery: float | None
    before: dict[str, float | None] = Field(description=(
        "Totals of the material components the removed companies take part in (the rest of the region is the "
        "same with and without them), as matched with them."))
    after: dict[str, float | None] = Field(description="The same components' totals, matched again without them.")
    change: dict[str, float | None] = Field(description="`after` less `before`: the region's change.")
    lost: dict[str, float | None]
    private: bool


class ScenarioCreate(BaseModel):
    """A what-if scenario: the JSON format of ``symbiosis scenario run FILE.json``."""

    name: Annotated[str, Field(min_length=1, max_length=300, pattern=NO_CONTROL)]
    description: Annotated[str, Field(max_length=4000, pattern=r"^[^\x00]*$")] = ""
    add_companies: list[dict[CellName, Cell]] = Field(default_factory=list, max_length=MAX_SCENARIO_ROWS)
    add_listings: list[dict[CellName, Cell]] = Field(default_factory=list, max_length=MAX_SCENARIO_ROWS)
    remove_companies: list[Annotated[str, Field(max_length=100, pattern=NO_CONTROL)]] = Field(
        default_factory=list, max_length=MAX_SCENARIO_ROWS)
    remove_listings: list[Annotated[str, Field(max_length=100, pattern=NO_CONTROL)]] = Field(
        default_factory=list, max_length=MAX_SCENARIO_ROWS)


class ScenarioPublic(BaseModel):
    id: int
    name: str
    description: str | None
    created_role: str
    created_at: Any
    definition: dict[str, Any]
    before: dict[str, float | None]
    after: dict[str, float | None]
    change: dict[str, float | None]


class ScenariosPublic(BaseModel):
    data: list[ScenarioPublic]
    count: int


class ComparisonColumn(BaseModel):
    column: str = Field(description="The column's key in each row.")
    scenario: str = Field(description="The scenario's name (numbered when two share one).")
    part: Literal["before", "after", "change"] = Field(description="Which figure of the scenario the column holds.")


class ComparisonPublic(BaseModel):
    metrics: list[str]
    columns: list[str]
    headers: list[ComparisonColumn] = Field(description="Per column, its scenario and part, so that a page can "
                                                        "word the header in its own language.")
    rows: list[dict[str, Any]]
