"""Request and response schemas: Create / Update / Public / ...sPublic families per resource.

The company and listing fields are derived from the input contract in :mod:`symbiosis.schema`,
so the API, the spreadsheet template and the README describe the same columns.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model, model_validator

from service.api.auth import Role
from service.db.models import ID_LENGTH, NAME_LENGTH, SHORT_LENGTH
from solvers.params import SolverName
from symbiosis.impacts import INDICATORS, Objective
from symbiosis.schema import COMPANY_COLUMNS, LISTING_COLUMNS, Column

#: Longest free text accepted (descriptions, notes, sources).
TEXT_LENGTH = 4000
#: No control characters other than tab and newlines (PostgreSQL rejects NUL in text).
_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
#: Identifiers appear in URLs: no slash, no whitespace, no control characters.
_ID_PATTERN = r"^[^/\s\x00-\x1f\x7f]+$"

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ID_LENGTH, pattern=_ID_PATTERN)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=SHORT_LENGTH, pattern=_TEXT_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NAME_LENGTH, pattern=_TEXT_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TEXT_LENGTH, pattern=_TEXT_PATTERN)]
Number = Annotated[float, Field(allow_inf_nan=False)]

_TEXT_TYPES = {"name": Name, "material": ShortText, "unit": ShortText, "nace": Annotated[str, StringConstraints(
    strip_whitespace=True, max_length=10, pattern=_TEXT_PATTERN)], "municipality": Name}


class Strict(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _annotation(column: Column) -> Any:
    if column.type == "id":
        return Id
    if column.type == "float":
        return Number
    if column.type == "integer":
        return Annotated[int, Field(ge=0, le=2**31 - 1)]
    if column.type == "boolean":
        return bool
    if column.type == "date":
        return date
    if column.type == "choice":
        return Literal[column.choices]  # type: ignore[valid-type]
    return _TEXT_TYPES.get(column.name, Text)


def _fields(columns: tuple[Column, ...], *, exclude: tuple[str, ...] = (), optional: bool = False) -> dict:
    fields = {}
    for column in columns:
        if column.name in exclude:
            continue
        info = Field(description=column.description, examples=[column.example])
        annotation = _annotation(column)
        if column.required and not optional:
            fields[column.name] = (annotation, info)
        else:
            fields[column.name] = (annotation | None, Field(None, description=column.description,
                                                           examples=[column.example]))
    return fields


_VERSION_FIELD = (int | None, Field(None, ge=1, description="The version you edited (or send If-Match)."))
_TIMESTAMPS = {"version": (int, ...), "created_at": (datetime, ...), "updated_at": (datetime, ...)}

# --- companies ---------------------------------------------------------------------------------

_CONSENT = Field(False, description="The company lets regional planners see its own figures.")
CompanyCreate = create_model(
    "CompanyCreate", __base__=Strict, **_fields(COMPANY_COLUMNS), consent_planner=(bool, _CONSENT),
)
CompanyUpdate = create_model(
    "CompanyUpdate", __base__=Strict, **_fields(COMPANY_COLUMNS, exclude=("company_id",), optional=True),
    consent_planner=(bool | None, None), version=_VERSION_FIELD,
)
CompanyPublic = create_model(
    "CompanyPublic", **_fields(COMPANY_COLUMNS), consent_planner=(bool, ...), **_TIMESTAMPS,
    __config__=ConfigDict(from_attributes=True),
)


class CompaniesPublic(BaseModel):
    data: list[CompanyPublic]  # type: ignore[valid-type]
    count: int = Field(description="How many match the filters in total (all pages).")


# --- listings ----------------------------------------------------------------------------------

ListingCreate = create_model("ListingCreate", __base__=Strict, **_fields(LISTING_COLUMNS))
ListingUpdate = create_model(
    "ListingUpdate", __base__=Strict,
    **_fields(LISTING_COLUMNS, exclude=("listing_id", "company_id"), optional=True), version=_VERSION_FIELD,
)
ListingPublic = create_model(
    "ListingPublic", **_fields(LISTING_COLUMNS),
    material_key=(str, Field(description="The material's catalog key (EWC code or class id).")),
    quantity_canonical=(float, Field(description="Quantity per year in the material's canonical unit.")),
    canonical_unit=(str, ...),
    open_quantity=(float, Field(description="Quantity (in `unit`) not yet used by active exchanges.")),
    **_TIMESTAMPS, __config__=ConfigDict(from_attributes=True),
)


class ListingsPublic(BaseModel):
    data: list[ListingPublic]  # type: ignore[valid-type]
    count: int


# --- keys --------------------------------------------------------------------------------------

class KeyCreate(Strict):
    role: Role
    company_id: Id | None = Field(None, description="Required for company keys: the company it acts for.")
    label: Name | None = Field(None, description="What the key is for, e.g. who holds it.")


class KeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    prefix: str
    role: Role
    company_id: str | None
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyPublic):
    key: str = Field(description="The key itself. It is shown only now: store it safely.")


class KeysPublic(BaseModel):
    data: list[KeyPublic]
    count: int


class Me(BaseModel):
    key_id: int | None
    role: Role
    company_id: str | None


# --- rounds ------------------------------------------------------------------------------------

class RoundScope(Strict):
    municipalities: list[Name] | None = Field(None, max_length=500, description="Only companies in these municipalities.")
    bbox: tuple[Number, Number, Number, Number] | None = Field(
        None, description="Only companies inside [min_lon, min_lat, max_lon, max_lat] (WGS84 degrees).",
        examples=[[10.9, 55.5, 11.3, 55.8]],
    )
    material_classes: list[ShortText] | None = Field(
        None, max_length=500,
        description="Only listings of these material class ids (e.g. 'gypsum') or EWC codes, sub-chapters or "
        "chapters (e.g. '10 01 05', '10 01', '10').",
    )

    @model_validator(mode="after")
    def _check_bbox(self) -> RoundScope:
        if self.bbox is not None:
            min_lon, min_lat, max_lon, max_lat = self.bbox
            if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
                raise ValueError("bbox must be [min_lon, min_lat, max_lon, max_lat] with min <= max, "
                                 "longitudes in -180..180 and latitudes in -90..90")
        return self


class RoundOptions(Strict):
    max_candidates: int = Field(25, ge=1, le=1000, description="Nearest partners each listing looks up.")
    time_limit_s: float | None = Field(None, gt=0, le=3600, description="Seconds per LP solve.")
    check_availability: bool = Field(True, description="Require availability windows to overlap.")


class Directive(Strict):
    """A facilitator's lock or forbid, as in a directives file."""

    action: Literal["lock", "forbid"]
    offer_id: Id | None = None
    need_id: Id | None = None
    supplier_id: Id | None = Field(None, description="With receiver_id: forbid any exchange between two companies.")
    receiver_id: Id | None = None
    min_quantity: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None, description="For a lock: the least quantity (offer unit) the pair must carry.")

    @model_validator(mode="after")
    def _check_parts(self) -> Directive:
        pair = self.offer_id is not None and self.need_id is not None
        companies = self.supplier_id is not None and self.receiver_id is not None
        if self.action == "lock" and not pair:
            raise ValueError("a lock needs offer_id and need_id")
        if pair == companies or (not pair and (self.offer_id or self.need_id)) or (
                not companies and (self.supplier_id or self.receiver_id)):
            raise ValueError("give offer_id and need_id, or supplier_id and receiver_id")
        if self.min_quantity is not None and self.action != "lock":
            raise ValueError("only a lock takes a min_quantity")
        return self


class RoundCreate(Strict):
    name: Name = Field(min_length=1, examples=["Kalundborg spring 2026"])
    scope: RoundScope = Field(default_factory=RoundScope)
    objective: Objective = Objective.DIVERTED
    solver: SolverName = SolverName.AUTO
    options: RoundOptions = Field(default_factory=RoundOptions)
    directives: list[Directive] = Field(default_factory=list, max_length=10_000)


RoundStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class RoundPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    status: RoundStatus
    scope: RoundScope
    objective: Objective
    solver: SolverName
    options: RoundOptions
    directives: list[Directive]
    runs: int = Field(description="How many times the round has been started.")
    progress: float = Field(description="0 to 1 while it runs.")
    stage: str | None
    message: str | None = Field(description="Why it failed, or what it noticed.")
    summary: dict[str, Any] | None = Field(description="Objective, solver, counts and indicator totals of the last run.")
    version: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RoundsPublic(BaseModel):
    data: list[RoundPublic]
    count: int


class UnmatchedListing(BaseModel):
    listing_id: str
    kind: str
    company_id: str
    material: str
    reason: str


class RoundUnmatched(BaseModel):
    data: list[UnmatchedListing]
    count: int


class SendResult(BaseModel):
    sent: int = Field(description="Proposals sent to the companies now.")


# --- proposals and exchanges ---------------------------------------------------------------------

ProposalStatus = Literal["draft", "sent", "accepted", "declined", "superseded"]
Decision = Literal["accepted", "declined"]


class Indicators(BaseModel):
    resource_t: float
    water_m3: float
    co2e_t: float
    energy_mwh: float
    waste_t: float
    value_eur: float
    transport_co2e_t: float


class FlowPublic(BaseModel):
    """What moves and its effects, without who is involved."""

    model_config = ConfigDict(from_attributes=True)

    material: str
    need_material: str
    quantity: float = Field(description="In the offer's unit.")
    unit: str
    need_quantity: float = Field(description="In the need's unit, after the yield.")
    need_unit: str
    distance_km: float
    transport_mode: str
    indicators: Indicators


class ProposalPublic(FlowPublic):
    """A proposal as a facilitator sees it."""

    id: int
    round_id: int
    run: int
    status: ProposalStatus
    offer_id: str
    need_id: str
    supplier_id: str
    receiver_id: str
    supplier_decision: Decision | None
    receiver_decision: Decision | None
    rule_id: str
    yield_: float = Field(alias="yield", serialization_alias="yield")
    objective_contribution: float
    explanation: str
    version: int
    created_at: datetime
    decided_at: datetime | None

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)


class Counterpart(BaseModel):
    """The other side of a proposal: anonymous until both sides have accepted."""

    nace_branch: str | None = Field(description="NACE Rev. 2 division (two digits) of the counterpart.")
    nace_branch_name: str | None
    municipality: str | None
    distance_km: float
    company_id: str | None = Field(None, description="Shown once both sides accepted.")
    name: str | None = Field(None, description="Shown once both sides accepted.")
    listing_id: str | None = Field(None, description="Shown once both sides accepted.")


class ProposalCompanyView(FlowPublic):
    """A proposal as one of its two companies sees it."""

    id: int
    round_id: int
    status: ProposalStatus
    side: Literal["supplier", "receiver"]
    your_listing_id: str
    your_decision: Decision | None
    counterpart_decision: Decision | None
    counterpart: Counterpart
    explanation: str
    version: int
    created_at: datetime


class ProposalsPublic(BaseModel):
    data: list[ProposalPublic | ProposalCompanyView]
    count: int


ExchangeStatus = Literal["active", "ended"]


class ExchangePublic(FlowPublic):
    id: int
    proposal_id: int
    round_id: int
    status: ExchangeStatus
    offer_id: str
    need_id: str
    supplier_id: str
    receiver_id: str
    version: int
    started_at: datetime
    ended_at: datetime | None


class ExchangesPublic(BaseModel):
    data: list[ExchangePublic]
    count: int


class TotalsRow(BaseModel):
    key: str | int | None = Field(description="The round id or the municipality.")
    exchanges: int
    companies: int
    suppressed: bool = Field(False, description="Too few companies to show figures to a planner.")
    indicators: Indicators | None


class TotalsPublic(BaseModel):
    by: Literal["round", "municipality"]
    data: list[TotalsRow]
    total: Indicators | None


class ListingStatsRow(BaseModel):
    municipality: str | None
    material: str
    kind: str
    canonical_unit: str
    listings: int
    companies: int
    suppressed: bool = False
    open_quantity: float | None = Field(description="Sum of open quantities per year in the canonical unit.")


class ListingStatsPublic(BaseModel):
    data: list[ListingStatsRow]


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_key_id: int | None
    actor_role: str
    actor_company_id: str | None
    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]


class AuditPublic(BaseModel):
    data: list[AuditEntryPublic]
    count: int


class ImportResult(BaseModel):
    companies_created: int
    companies_updated: int
    listings_created: int
    listings_updated: int
    notices: list[str]


def indicators_of(row: Any) -> Indicators:
    return Indicators(**{name: getattr(row, name) for name in (*INDICATORS, "value_eur", "transport_co2e_t")})
