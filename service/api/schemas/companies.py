"""Companies: create, update and read."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, create_model

from service.api.schemas.common import TIMESTAMPS, VERSION_FIELD, Strict, fields_of
from symbiosis.schema import COMPANY_COLUMNS

_CONSENT = Field(False, description="The company lets regional planners see its own figures.")
CompanyCreate = create_model(
    "CompanyCreate", __base__=Strict, **fields_of(COMPANY_COLUMNS), consent_planner=(bool, _CONSENT),
)
CompanyUpdate = create_model(
    "CompanyUpdate", __base__=Strict, **fields_of(COMPANY_COLUMNS, exclude=("company_id",), optional=True),
    consent_planner=(bool | None, None), version=VERSION_FIELD,
)
CompanyPublic = create_model(
    "CompanyPublic", **fields_of(COMPANY_COLUMNS), consent_planner=(bool, ...), **TIMESTAMPS,
    __config__=ConfigDict(from_attributes=True),
)


class CompaniesPublic(BaseModel):
    data: list[CompanyPublic]  # type: ignore[valid-type]
    count: int = Field(description="How many match the filters in total (all pages).")
