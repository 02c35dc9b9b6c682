"""Listings (offers and needs): a company manages its own, a facilitator all of them."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import APIRouter, Response, status
from fastapi.encoders import jsonable_encoder
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.api.auth import Principal, Role
from service.api.deps import (
    FacilitatorOrCompanyDep, IfMatch, TextFilter, LimitQuery, OffsetQuery, SessionDep, TextId, check_version,
    delete_unless_active, etag, expected_version, record,
)
from service.api.paging import page, where_given
from service.api.records import LISTING_FIELDS, validate_listing
from service.api.schemas.listings import ListingCreate, ListingPublic, ListingsPublic, ListingUpdate
from service.db.models import Company, Exchange, Listing
from service.db.queries import FIXED_BY_EXCHANGES, fixed_changes, lock_listings, open_quantity, used_quantities
from symbiosis.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError, Problem

router = APIRouter(prefix="/listings", tags=["listings"])

_COLUMNS = tuple(c.key for c in Listing.__table__.columns)


def listing_public(listing: Listing, used: dict[str, float]) -> ListingPublic:  # type: ignore[valid-type]
    data = {name: getattr(listing, name) for name in _COLUMNS}
    data["open_quantity"] = open_quantity(listing.quantity, listing.quantity_canonical,
                                          used.get(listing.listing_id, 0.0))
    return ListingPublic.model_validate(data)


def visible_listing(session: Session, principal: Principal, listing_id: str) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None or (principal.role is Role.COMPANY and listing.company_id != principal.company_id):
        raise NotFoundError("listing", listing_id)
    return listing


def _company_for(session: Session, principal: Principal, company_id: str) -> Company:
    if principal.role is Role.COMPANY and company_id != principal.company_id:
        raise PermissionDeniedError(f"a company key may only list for its own company ({principal.company_id!r})")
    company = session.get(Company, company_id)
    if company is None:
        raise InputError([Problem("listing", None, "company_id", f"{company_id!r} is not a company_id")])
    return company


def _unused_listing_id(session: Session) -> str:
    """A listing id that no listing holds: 96 random bits, so it tells nothing and cannot be guessed."""
    while True:
        candidate = f"listing-{secrets.token_hex(12)}"
        if session.get(Listing, candidate) is None:
            return candidate


@router.post("", response_model=ListingPublic, status_code=status.HTTP_201_CREATED)
def create_listing(body: ListingCreate, session: SessionDep, principal: FacilitatorOrCompanyDep,  # type: ignore[valid-type]
                   response: Response) -> ListingPublic:  # type: ignore[valid-type]
    data = body.model_dump()
    company = _company_for(session, principal, data["company_id"])
    if data["listing_id"] is None:
        data["listing_id"] = _unused_listing_id(session)
    elif session.get(Listing, data["listing_id"]) is not None:
        raise ConflictError(f"listing {data['listing_id']!r} already exists")
    listing = Listing(**validate_listing(company, data))
    session.add(listing)
    record(session, principal, "create", "listing", listing.listing_id, jsonable_encoder(data))
    session.commit()
    response.headers["ETag"] = etag(listing.version)
    response.headers["Location"] = f"{router.prefix}/{quote(listing.listing_id, safe='')}"  # ids may be any Unicode
    return listing_public(listing, {})


@router.get("", response_model=ListingsPublic)
def list_listings(session: SessionDep, principal: FacilitatorOrCompanyDep, company_id: TextFilter = None,
                  kind: TextFilter = None, material: TextFilter = None, municipality: TextFilter = None,
                  limit: LimitQuery = 50, offset: OffsetQuery = 0) -> ListingsPublic:
    """Listings, filtered by company, kind (offer/need), material key, or the company's municipality."""
    in_municipality = select(Company.company_id).where(Company.municipality == municipality)
    query = where_given(
        select(Listing).order_by(Listing.listing_id),
        (Listing.company_id == principal.company_id) if principal.role is Role.COMPANY else None,
        None if company_id is None else Listing.company_id == company_id,
        None if kind is None else Listing.kind == kind.lower(),
        None if material is None else or_(Listing.material_key == material.lower(), Listing.material == material),
        None if municipality is None else Listing.company_id.in_(in_municipality))
    rows, total = page(session, query, limit, offset)
    used = used_quantities(session, [r.listing_id for r in rows])
    return ListingsPublic(data=[listing_public(r, used) for r in rows], count=total)


@router.get("/{listing_id}", response_model=ListingPublic)
def read_listing(listing_id: TextId, session: SessionDep, principal: FacilitatorOrCompanyDep,
                 response: Response) -> ListingPublic:  # type: ignore[valid-type]
    listing = visible_listing(session, principal, listing_id)
    response.headers["ETag"] = etag(listing.version)
    return listing_public(listing, used_quantities(session, [listing_id]))


@router.patch("/{listing_id}", response_model=ListingPublic)
def update_listing(listing_id: TextId, body: ListingUpdate, session: SessionDep,  # type: ignore[valid-type]
                   principal: FacilitatorOrCompanyDep, response: Response,
                   if_match: IfMatch = None) -> ListingPublic:  # type: ignore[valid-type]
    """Change some fields. Send the version you edited (If-Match or ``version``); 409 if it moved on."""
    visible_listing(session, principal, listing_id)
    lock_listings(session, [listing_id])  # what exchanges use is read after any that start beside it
    listing = session.get(Listing, listing_id, populate_existing=True)
    if listing is None:
        raise NotFoundError("listing", listing_id)
    changes = body.model_dump(exclude_unset=True)
    check_version(listing.version, expected_version(if_match, changes.pop("version", None)), f"listing {listing_id!r}")
    current = {name: getattr(listing, name) for name in LISTING_FIELDS}
    company = session.get(Company, listing.company_id)
    fields = validate_listing(company, {**current, **changes})
    used = used_quantities(session, [listing_id]).get(listing_id, 0.0)
    fixed = fixed_changes(_fixed_now(listing), fields) if used > 0 else []
    if fixed:
        raise ConflictError(f"active exchanges use listing {listing_id!r} as {listing.kind} of {listing.material_key} "
                            f"in {listing.canonical_unit}; end them before changing its {' and '.join(fixed)}")
    if fields["quantity_canonical"] < used * (1 - 1e-9):
        raise ConflictError(f"active exchanges use {used:g} {fields['canonical_unit']}/yr of listing {listing_id!r}; "
                       "end them before lowering the quantity below that")
    for name, value in fields.items():
        setattr(listing, name, value)
    record(session, principal, "update", "listing", listing_id,
           jsonable_encoder({"before": {n: current[n] for n in changes}, "after": changes}))
    session.commit()
    response.headers["ETag"] = etag(listing.version)
    return listing_public(listing, {listing_id: used})


def _fixed_now(listing: Listing) -> dict:
    """The stored columns of ``listing`` that active exchanges fix."""
    return {name: getattr(listing, name) for name in FIXED_BY_EXCHANGES}


@router.delete("/{listing_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_listing(listing_id: TextId, session: SessionDep, principal: FacilitatorOrCompanyDep) -> Response:
    """Delete a listing; refused while an active exchange uses it."""
    refusal = f"listing {listing_id!r} is used by active exchange {{active}}; end it first"
    return delete_unless_active(session, principal, visible_listing(session, principal, listing_id),
                                (Exchange.offer_id, Exchange.need_id), refusal)
