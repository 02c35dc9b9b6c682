"""Imports of companies and listings from files."""

from __future__ import annotations

from pydantic import BaseModel

class ImportResult(BaseModel):
    companies_created: int
    companies_updated: int
    listings_created: int
    listings_updated: int
    notices: list[str]
