"""Listings (offers and needs): create, update and read."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, create_model

from service.api.schemas.common import TIMESTAMPS, VERSION_FIELD, Strict, fields_of
from symbiosis.schema import LISTING_COLUMNS

_CREATE_FIELDS = fields_of(LISTING_COLUMNS)
_ID_TYPE, _ID_INFO = _CREATE_FIELDS["listing_id"]
#: A new listing's id may be left out: the service then assigns one that nobody can guess, so a company
#: need not pick ids that other companies' listings might already hold.
_CREATE_FIELDS["listing_id"] = (_ID_TYPE | None, Field(
    None, examples=_ID_INFO.examples,
    description=f"{_ID_INFO.description} Leave it out to have the service assign one (the answer holds it)."))
ListingCreate = create_model("ListingCreate", __base__=Strict, **_CREATE_FIELDS)
ListingUpdate = create_model(
    "ListingUpdate", __base__=Strict,
    **fields_of(LISTING_COLUMNS, exclude=("listing_id", "company_id"), optional=True), version=VERSION_FIELD,
)
ListingPublic = create_model(
    "ListingPublic", **fields_of(LISTING_COLUMNS),
    material_key=(str, Field(description="The material's catalog key (EWC code or class id).")),
    quantity_canonical=(float, Field(description="Quantity per year in the material's canonical unit.")),
    canonical_unit=(str, ...),
    open_quantity=(float, Field(description="Quantity (in `unit`) not yet used by active exchanges.")),
    **TIMESTAMPS, __config__=ConfigDict(from_attributes=True),
)


class ListingsPublic(BaseModel):
    data: list[ListingPublic]  # type: ignore[valid-type]
    count: int
