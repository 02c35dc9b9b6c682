"""API keys (admin), who-am-I (everyone) and a company's own unmatched listings."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from service.api.auth import create_key, revoke_key
from service.api.deps import AdminDep, AnyRoleDep, CompanyDep, IntId, LimitQuery, OffsetQuery, SessionDep, record
from service.api.paging import page
from service.api.schemas.keys import KeyCreate, KeyCreated, KeyPublic, KeysPublic, Me
from service.api.schemas.rounds import MyUnmatched, MyUnmatchedListing
from service.db.models import ApiKey, Listing, Round
from symbiosis.explain import REASON_KINDS, reason_kinds
from symbiosis.errors import InputError, KeyRequestError, NotFoundError, Problem

router = APIRouter(tags=["keys"])


@router.get("/me", response_model=Me)
def read_me(principal: AnyRoleDep) -> Me:
    """The role and company of the key in use."""
    return Me(key_id=principal.key_id, role=principal.role, company_id=principal.company_id)


@router.get("/me/unmatched", response_model=MyUnmatched)
def read_my_unmatched(session: SessionDep, principal: CompanyDep, limit: LimitQuery = 50,
                      offset: OffsetQuery = 0) -> MyUnmatched:
    """Your listings that the latest round sent to the companies left without a proposal, and why, in
    words that name no other company or listing (the facilitator sees the full reason)."""
    latest = session.scalars(select(Round).where(Round.sent_run.is_not(None), Round.sent_run == Round.runs,
                                                 Round.status == "succeeded")
                             .order_by(Round.id.desc()).limit(1)).first()
    if latest is None:
        return MyUnmatched(round_id=None, round_name=None, data=[], count=0)
    mine = [r for r in latest.unmatched or [] if r.get("company_id") == principal.company_id]
    present = set(session.scalars(select(Listing.listing_id).where(
        Listing.company_id == principal.company_id, Listing.listing_id.in_([r["listing_id"] for r in mine]))))
    mine = [r for r in mine if r["listing_id"] in present]  # withdrawn since are no longer yours to explain
    kinds = reason_kinds(r["reason"] for r in mine)
    rows = [MyUnmatchedListing(listing_id=r["listing_id"], kind=r["kind"], material=r["material"], reason_kind=kind,
                               reason=REASON_KINDS[kind][1] if kind in REASON_KINDS else OTHER_REASON)
            for r, kind in zip(mine, kinds)]
    return MyUnmatched(round_id=latest.id, round_name=latest.name, data=rows[offset:offset + limit], count=len(rows))


#: What a company is told when its listing's reason is of no known kind.
OTHER_REASON = "The round found no exchange for this listing; ask the facilitator why."


@router.post("/keys", response_model=KeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(body: KeyCreate, session: SessionDep, principal: AdminDep) -> KeyCreated:
    """Create a key. The key text is in this response only; the service keeps just its hash."""
    try:
        row, key = create_key(session, body.role, body.company_id, body.label)
    except KeyRequestError as exc:
        raise InputError([Problem("key", None, "company_id", str(exc))], location="body") from None
    record(session, principal, "create", "api_key", row.id, {"role": row.role, "company_id": row.company_id})
    session.commit()
    return KeyCreated(**KeyPublic.model_validate(row).model_dump(), key=key)


@router.get("/keys", response_model=KeysPublic)
def list_api_keys(session: SessionDep, _principal: AdminDep, limit: LimitQuery = 50, offset: OffsetQuery = 0,
                  include_revoked: bool = False) -> KeysPublic:
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    rows, total = page(session, query, limit, offset)
    return KeysPublic(data=[KeyPublic.model_validate(r) for r in rows], count=total)


@router.delete("/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(key_id: IntId, session: SessionDep, principal: AdminDep) -> Response:
    """Revoke a key: it stops working at once."""
    row = revoke_key(session, key_id)
    if row is None:
        raise NotFoundError("key", key_id)
    record(session, principal, "revoke", "api_key", key_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
