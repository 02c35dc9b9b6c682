"""Listing statistics for facilitators and planners."""

from __future__ import annotations

from pydantic import BaseModel, Field

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
