"""API keys (admin), who-am-I (everyone) and a company's own unmatched listings."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Response, status
from sqlalchemy import or_, select

from service.api.auth import create_key, revoke_key
from service.api.deps import AdminDep, AnyRoleDep, CompanyDep, IntId, LimitQuery, OffsetQuery, SessionDep, record
from service.api.paging import page
from service.api.schemas.keys import KeyCreate, KeyCreated, KeyPublic, KeysPublic, Me
from service.api.schemas.rounds import MyUnmatched, MyUnmatchedListing
from service.db.models import ApiKey, Listing, Proposal, Round
from symbiosis.explain import REASON_KINDS, reason_kinds
from symbiosis.materials import default_catalog
from symbiosis.errors import InputError, KeyRequestError, NotFoundError, Problem

router = APIRouter(tags=["keys"])


@router.get("/me", response_model=Me)
def read_me(principal: AnyRoleDep) -> Me:
    """The role and company of the key in use."""
    return Me(key_id=principal.key_id, role=principal.role, company_id=principal.company_id)


#: The latest rounds sent to the companies that a company's unmatched listings are looked up in: a
#: listing none of them took in (a scope elsewhere) is not explained.
RECENT_SENT_ROUNDS = 10


@router.get("/me/unmatched", response_model=MyUnmatched)
def read_my_unmatched(session: SessionDep, principal: CompanyDep, limit: LimitQuery = 50,
                      offset: OffsetQuery = 0) -> MyUnmatched:
    """Your listings that the latest round sent to the companies and taking them in left without a
    proposal, and why, in words that name no other company or listing (the facilitator sees the full
    reason). A listing a later sent run or round proposed something for is not among them."""
    company = principal.company_id
    listings = {row.listing_id: row for row in session.scalars(select(Listing).where(Listing.company_id == company))}
    rounds = session.execute(select(Round.id, Round.name, Round.sent_run, Round.sent_unmatched)
                             .where(Round.sent_run.is_not(None)).order_by(Round.id.desc())
                             .limit(RECENT_SENT_ROUNDS)).all()
    latest: dict[str, tuple[tuple[int, int], str, dict]] = {}  # listing -> ((round, run), round name, row)
    for round_id, name, run, rows in rounds:  # newest first: the first unmatched row of a listing is its latest
        for row in rows or []:
            if row.get("company_id") == company and row.get("listing_id") in listings:
                latest.setdefault(row["listing_id"], ((round_id, run), name, row))
    if latest:  # a sent proposal in a later run or round means the listing was matched since
        proposed = session.execute(
            select(Proposal.round_id, Proposal.run, Proposal.offer_id, Proposal.need_id)
            .where(Proposal.sent_at.is_not(None),
                   or_(Proposal.offer_id.in_(list(latest)), Proposal.need_id.in_(list(latest))))).all()
        for round_id, run, offer_id, need_id in proposed:
            for listing_id in (offer_id, need_id):
                if listing_id in latest and (round_id, run) >= latest[listing_id][0]:
                    del latest[listing_id]
    found = sorted(latest.items(), key=lambda item: (-item[1][0][0], item[0]))
    kinds = reason_kinds(row["reason"] for _, (_, _, row) in found)
    star = default_catalog().shown
    materials = star(pd.Series([listings[listing_id].material_key for listing_id, _ in found], dtype=object))
    rows = [MyUnmatchedListing(listing_id=listing_id, kind=row["kind"], material=material, round_id=key[0],
                               round_name=name, reason_kind=kind,
                               reason=REASON_KINDS[kind][1] if kind in REASON_KINDS else OTHER_REASON)
            for (listing_id, (key, name, row)), kind, material in zip(found, kinds, materials)]
    return MyUnmatched(rounds_sent=len(rounds), data=rows[offset:offset + limit], count=len(rows))


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
