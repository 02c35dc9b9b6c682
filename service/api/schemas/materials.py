"""Materials a listing can name: waste codes of the European List of Waste and material classes."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MaterialPublic(BaseModel):
    code: str = Field(description="What to write in a listing's material column: an EWC code or a class id.")
    kind: str = Field(description="'waste code' or 'material class'.")
    description: str = Field(description="The List of Waste description, or the class's English name.")
    name_da: str = Field(description="The class's Danish name (empty for waste codes).")
    hazardous: bool
    score: float = Field(description="How well it matches the query, 0 to 1.")


class MaterialsPublic(BaseModel):
    data: list[MaterialPublic]
    count: int
