"""Matching rounds: scope, options and directives of a round, and its state and results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.api.records import weights_of
from service.api.schemas.common import Id, Name, Number, ShortText, Strict
from solvers.params import SolverName
from symbiosis.candidates import CandidateParams
from symbiosis.objective import Objective

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


class Weight(Strict):
    """A region's priority, as a row of a weights file on the command line."""

    kind: Literal["indicator", "material"]
    name: ShortText = Field(description="An indicator (resource_t, water_m3, co2e_t, energy_mwh, waste_t, value_eur), "
                                        "or a material class id or EWC code.")
    weight: float = Field(ge=0, allow_inf_nan=False)


class RoundOptions(Strict):
    max_candidates: int = Field(CandidateParams().max_candidates, ge=1, le=1000,
                                description="Nearest partners each listing looks up (the engine's default).")
    time_limit_s: float | None = Field(
        None, gt=0, allow_inf_nan=False,
        description="Seconds per LP or MILP solve; at most the service's `max_time_limit_s` setting (default 300).",
    )
    check_availability: bool = Field(True, description="Require availability windows to overlap.")
    weights: list[Weight] = Field(
        default_factory=list, max_length=1000,
        description="A region's priorities, as `--weights` on the command line: an indicator's weight in the "
                    "objective (e.g. water_m3), or a factor on the exchanges of a material.")
    allow_subsidised: bool = Field(
        False, description="Also propose exchanges that lose money (a subsidised round), as `--allow-subsidised`.")
    milp_engine: Literal["scip", "highs"] | None = Field(None, description="Engine for the MILP (default scip).")
    relative_gap: float | None = Field(None, ge=0, lt=1, allow_inf_nan=False,
                                       description="Relative gap at which the MILP stops (default 1e-4).")
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="Random seed of the MILP engine.")

    @model_validator(mode="after")
    def _check_weights(self) -> RoundOptions:
        if self.weights:
            weights_of([w.model_dump() for w in self.weights])  # a ValueError names the bad row
        return self


class Directive(Strict):
    """A facilitator's lock or forbid, as in a directives file."""

    action: Literal["lock", "forbid"]
    offer_id: Id | None = None
    need_id: Id | None = None
    supplier_id: Id | None = Field(None, description="With receiver_id: forbid any exchange between two companies.")
    receiver_id: Id | None = None
    min_quantity: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None, description="For a lock: the least quantity (offer unit) the pair must carry.")
    max_quantity: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None, description="For a lock: the most the pair may carry (offer unit), at least min_quantity.")

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
        if self.max_quantity is not None and self.action != "lock":
            raise ValueError("only a lock takes a max_quantity")
        if self.max_quantity is not None and self.min_quantity is not None and self.max_quantity < self.min_quantity:
            raise ValueError("max_quantity is less than min_quantity")
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


class MyUnmatchedListing(BaseModel):
    listing_id: str
    kind: str
    material: str = Field(description="As the listing states it (a hazardous code with its star).")
    round_id: int = Field(description="The latest round sent to the companies that took the listing in.")
    round_name: str
    reason_kind: str = Field(description="What kind of reason: one of `symbiosis.explain.REASON_KINDS` "
                                         "(no_rule, out_of_reach, transport_cost, outbid, ...) or `other`.")
    reason: str = Field(description="The reason in a sentence that names no other company or listing.")


class MyUnmatched(BaseModel):
    rounds_sent: int = Field(description="How many of the latest rounds sent to the companies were looked at "
                                         "(0: none has been sent yet).")
    data: list[MyUnmatchedListing]
    count: int


class SendResult(BaseModel):
    sent: int = Field(description="Proposals sent to the companies now.")
