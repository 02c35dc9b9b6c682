"""Listing statistics for facilitators and planners."""

from __future__ import annotations

from pydantic import BaseModel, Field

class ListingStatsRow(BaseModel):
    municipality: str | None
    material: str
    kind: str
    canonical_unit: str
    listings: int | None = Field(description="Listings in the group; none where the group is withheld from a planner.")
    companies: int | None = Field(description="Companies in the group; none where the group is withheld from a planner "
                                  "(a count of one, with the map, would point at the company).")
    suppressed: bool = False
    open_quantity: float | None = Field(description="Sum of open quantities per year in the canonical unit.")


class ListingStatsPublic(BaseModel):
    data: list[ListingStatsRow]
