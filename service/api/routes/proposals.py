"""Proposals: facilitators see them all; each company sees its own with the other side anonymous
until both have accepted, and accepts or declines. Two acceptances make an exchange."""

from __future__ import annotations

import re

from functools import cache
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.auth import Principal, Role
from service.api.deps import IdFilter, CompanyDep, FacilitatorOrCompanyDep, IntId, LimitQuery, OffsetQuery, SessionDep, record
from service.api.paging import party_page
from service.api.schemas.common import Economics, Indicators, economics_of, indicators_of
from service.api.schemas.proposals import (
    Counterpart, DeclineBody, ProposalCompanyView, ProposalPublic, ProposalsPublic, ProposalStatus,
)
from service.db.models import FLOW_COLUMNS, Company, Exchange, Listing, Proposal, utcnow
from service.db.queries import lock_listings, partner_counts, used_quantities
from symbiosis.data import read_dataset
from symbiosis.errors import ConflictError, NotFoundError

router = APIRouter(prefix="/proposals", tags=["proposals"])



@cache
def nace_divisions() -> dict[str, str]:
    table = read_dataset("nace_rev2.csv")
    divisions = table[table["level"] == "2"]
    return dict(zip(divisions["code"], divisions["description_en"]))


def facilitator_view(p: Proposal) -> ProposalPublic:
    return ProposalPublic.model_validate({**p.column_values(), "indicators": indicators_of(p), "economics": economics_of(p)})


#: The distance limit in an explanation: the smallest of the rule's and both listings' own limits, so it may
#: be the other company's setting, which a company does not see (README, anonymity).
_LIMIT = re.compile(r" (?:within|beyond) the [\d,.]+ km limit(?:, as a facilitator's lock keeps it)?")


#: The distance in an explanation ("; 11.9 km by truck"), given to the whole kilometre until both accept.
_DISTANCE = re.compile(r"; ([\d,]+\.\d) km by ")


def _private_economics(economics: Economics, indicators: Indicators, side: str) -> tuple[Economics, Indicators]:
    """The economics and indicators without what would give away the other side's own prices: its
    saving, its bound of the fair price (the other bound is the caller's own) and the net benefit."""
    hidden = ({"receiver_saving_eur": None, "fair_price_max_eur": None} if side == "supplier"
              else {"supplier_saving_eur": None, "fair_price_min_eur": None})
    return economics.model_copy(update=hidden), indicators.model_copy(update={"value_eur": None})


def company_view(session: Session, p: Proposal, company_id: str) -> ProposalCompanyView:
    side: Literal["supplier", "receiver"] = "supplier" if p.supplier_id == company_id else "receiver"
    other_id, other_listing = (p.receiver_id, p.need_id) if side == "supplier" else (p.supplier_id, p.offer_id)
    other = session.get(Company, other_id)
    both = p.status == "accepted"
    branch = other.nace[:2] if other is not None else None
    # Until both accept, the distance to the whole kilometre: to the metre, with the public sites of a
    # branch in a municipality, it would name the other company.
    distance = p.distance_km if both else float(round(p.distance_km))
    explanation = _LIMIT.sub("", p.explanation)
    if not both:
        explanation = _DISTANCE.sub(lambda m: f"; about {distance:,.0f} km by ", explanation)
    economics, indicators = economics_of(p), indicators_of(p)
    theirs_listing = session.get(Listing, other_listing)
    if theirs_listing is not None and (theirs_listing.price_eur_per_unit is not None
                                       or theirs_listing.disposal_eur_per_unit is not None):
        economics, indicators = _private_economics(economics, indicators, side)  # the other side's own prices
    counterpart = Counterpart(
        nace_branch=branch, nace_branch_name=nace_divisions().get(branch or ""),
        municipality=other.municipality if other is not None else None, distance_km=distance,
        company_id=other_id if both else None, name=(other.name if other is not None else None) if both else None,
        listing_id=other_listing if both else None,
    )
    mine, theirs = (p.supplier_decision, p.receiver_decision) if side == "supplier" else (
        p.receiver_decision, p.supplier_decision)
    return ProposalCompanyView(
        id=p.id, round_id=p.round_id, status=p.status, side=side,
        your_listing_id=p.offer_id if side == "supplier" else p.need_id,
        your_decision=mine, counterpart_decision=theirs, counterpart=counterpart,
        explanation=explanation, rule_id=p.rule_id, yield_=p.yield_,
        version=p.version, created_at=p.created_at, material=p.material, need_material=p.need_material,
        quantity=p.quantity, unit=p.unit, need_quantity=p.need_quantity, need_unit=p.need_unit,
        distance_km=distance, transport_mode=p.transport_mode, indicators=indicators,
        economics=economics,
    )


def view(session: Session, principal: Principal, p: Proposal) -> ProposalPublic | ProposalCompanyView:
    return company_view(session, p, principal.company_id) if principal.role is Role.COMPANY else facilitator_view(p)


def visible_proposal(session: Session, principal: Principal, proposal_id: int, *, lock: bool = False) -> Proposal:
    p = session.get(Proposal, proposal_id, with_for_update=lock)
    if p is None or (principal.role is Role.COMPANY and (
            principal.company_id not in (p.supplier_id, p.receiver_id) or p.sent_at is None)):
        raise NotFoundError("proposal", proposal_id)
    return p


@router.get("", response_model=ProposalsPublic)
def list_proposals(session: SessionDep, principal: FacilitatorOrCompanyDep, round_id: IdFilter = None,
                   status_: Annotated[ProposalStatus | None, Query(alias="status")] = None,
                   limit: LimitQuery = 50, offset: OffsetQuery = 0) -> ProposalsPublic:
    """Proposals (a company sees the ones sent to it), filtered by round and status."""
    rows, total = party_page(session, select(Proposal).order_by(Proposal.id), Proposal, principal, round_id, status_,
                             limit, offset, Proposal.sent_at.is_not(None))
    return ProposalsPublic(data=[view(session, principal, p) for p in rows], count=total)


@router.get("/{proposal_id}", response_model=ProposalPublic | ProposalCompanyView)
def read_proposal(proposal_id: IntId, session: SessionDep, principal: FacilitatorOrCompanyDep):
    return view(session, principal, visible_proposal(session, principal, proposal_id))


def _decide(session: Session, principal: Principal, proposal_id: int, decision: str,
            reason: str | None = None) -> ProposalCompanyView:
    p = visible_proposal(session, principal, proposal_id, lock=True)
    side = "supplier" if p.supplier_id == principal.company_id else "receiver"
    current = p.supplier_decision if side == "supplier" else p.receiver_decision
    if current == decision:
        return company_view(session, p, principal.company_id)  # the same answer twice changes nothing
    if p.status != "sent":
        raise ConflictError(f"proposal {proposal_id} is {p.status}; only a sent proposal can be accepted or declined")
    if current is not None:
        raise ConflictError(f"you already {current} proposal {proposal_id}")
    if side == "supplier":
        p.supplier_decision = decision
    else:
        p.receiver_decision = decision
    p.decided_at = utcnow()
    record(session, principal, decision, "proposal", proposal_id,
           {"side": side, **({"reason": reason} if reason else {})})
    if decision == "declined":
        p.status = "declined"
    elif p.supplier_decision == p.receiver_decision == "accepted":
        _start_exchange(session, principal, p)
    session.commit()
    return company_view(session, p, principal.company_id)


def _start_exchange(session: Session, principal: Principal, p: Proposal) -> None:
    """Both sides accepted: the proposal becomes an active exchange, if its listings are still what
    was proposed (the same company, side and material) and still have room. A refusal names only the
    caller's own listing, never the other side's, who stays anonymous until the exchange starts."""
    sides = ((p.offer_id, "offer", p.supplier_id, p.material, p.quantity_canonical),
             (p.need_id, "need", p.receiver_id, p.need_material, p.need_quantity_canonical))
    # Both listings are locked (in id order, as every edit, delete and acceptance locks them) before
    # their use is summed, so that two proposals accepted at the same moment cannot both take the
    # last open quantity, nor an edit lower it, or a delete remove it, beside an acceptance.
    lock_listings(session, [p.offer_id, p.need_id])
    listings = {listing_id: session.get(Listing, listing_id, populate_existing=True) for listing_id, *_ in sides}
    used = used_quantities(session, [p.offer_id, p.need_id])
    partners = partner_counts(session, [p.offer_id, p.need_id])
    for listing_id, kind, company_id, material, amount in sides:
        whose = f"your listing {listing_id!r}" if company_id == principal.company_id else "the other side's listing"
        listing = listings[listing_id]
        if listing is None or listing.company_id != company_id:
            raise ConflictError(f"{whose} of this proposal no longer exists; the round must be run again")
        if listing.kind != kind or listing.material_key != material:
            raise ConflictError(f"{whose} was changed since the proposal (it is now {listing.kind} of "
                                f"{listing.material_key})" if company_id == principal.company_id else
                                f"{whose} was changed since the proposal; the round must be run again")
        taken = partners.get(listing_id, 0)
        if taken and (listing.all_or_nothing or (listing.max_partners is not None and taken >= listing.max_partners)):
            if company_id != principal.company_id:
                raise ConflictError(f"{whose} can take no further partner; the round must be run again")
            rule = ("takes all or nothing from one partner" if listing.all_or_nothing
                    else f"takes at most {listing.max_partners} partner(s)")
            raise ConflictError(f"{whose} {rule} and already has {taken} active exchange(s)")
        if used.get(listing_id, 0.0) + amount > listing.quantity_canonical * (1 + 1e-9):
            raise ConflictError(f"{whose} no longer has enough open quantity for this proposal "
                                "(another exchange took it, or the quantity was lowered); the round must be run again")
    p.status = "accepted"
    exchange = Exchange(**{name: getattr(p, name) for name in FLOW_COLUMNS}, proposal_id=p.id, round_id=p.round_id,
                        status="active")
    session.add(exchange)
    session.flush()
    record(session, principal, "start", "exchange", exchange.id, {"proposal_id": p.id})


@router.post("/{proposal_id}/accept", response_model=ProposalCompanyView)
def accept_proposal(proposal_id: IntId, session: SessionDep, principal: CompanyDep) -> ProposalCompanyView:
    """Accept for your company. When the other side has accepted too, the exchange starts."""
    return _decide(session, principal, proposal_id, "accepted")


@router.post("/{proposal_id}/decline", response_model=ProposalCompanyView)
def decline_proposal(proposal_id: IntId, session: SessionDep, principal: CompanyDep,
                     body: DeclineBody | None = None) -> ProposalCompanyView:
    """Decline for your company, optionally saying why (kept in the audit log for the facilitator).
    A re-run of the round will not propose this pair again."""
    return _decide(session, principal, proposal_id, "declined", body.reason if body else None)
