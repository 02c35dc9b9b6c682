"""Proposals, as a facilitator and as one of the two companies sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.api.schemas.common import FlowPublic, Strict, Text

ProposalStatus = Literal["draft", "sent", "accepted", "declined", "superseded"]
Decision = Literal["accepted", "declined"]


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
    rule_id: str
    yield_: float = Field(alias="yield", serialization_alias="yield")
    explanation: str = Field(description="The engine's explanation, without the distance limit: that may be "
                                         "the other company's own setting.")
    version: int
    created_at: datetime

    model_config = ConfigDict(populate_by_name=True)


class DeclineBody(Strict):
    reason: Text | None = Field(None, description="Why the company declines, for the facilitator.")


class ProposalsPublic(BaseModel):
    data: list[ProposalPublic | ProposalCompanyView]
    count: int
