"""Exchanges (accepted proposals) and their totals."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.api.schemas.common import FlowPublic, Indicators

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
    suppressed: bool = Field(False, description="Withheld from a planner: too few companies, or so that the "
                             "total minus the shown groups gives no small group away.")
    indicators: Indicators | None


class TotalsPublic(BaseModel):
    by: Literal["round", "municipality"]
    data: list[TotalsRow]
    total: Indicators | None = Field(description="Withheld from a planner when all companies together are too few.")
