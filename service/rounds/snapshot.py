"""What a round matches: the companies and open listings in its scope, and the directives of this run."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.records import company_record, listing_record, open_listing_record, to_text
from service.db.models import Company, Exchange, Listing, Proposal, Round
from service.db.queries import partner_counts, used_quantities
from symbiosis.materials import default_catalog

#: The columns of a directives table, as in a directives file.
DIRECTIVE_FIELDS = ("action", "offer_id", "need_id", "supplier_id", "receiver_id", "min_quantity", "max_quantity")


def material_in_classes(material_key: str, classes: list[str]) -> bool:
    """A listing's material is one of ``classes``: a class id, or an EWC code, sub-chapter or chapter."""
    compact = material_key.replace(" ", "").rstrip("*")
    for wanted in classes:
        wanted = wanted.strip().lower()
        code = wanted.replace(" ", "").rstrip("*")  # a code's hazard star, as the check accepts it
        if material_key == wanted or (compact.isdigit() and code.isdigit() and compact.startswith(code)):
            return True
    return False


def check_material_classes(classes: list[str]) -> list[str]:
    """The entries of a round scope's material classes that name nothing (empty when all are fine)."""
    catalog = default_catalog()
    bad = []
    for wanted in classes:
        text = wanted.strip().lower()
        compact = text.replace(" ", "").rstrip("*")
        if text in catalog.classes:
            continue
        if compact.isdigit() and len(compact) in (2, 4, 6):
            continue
        bad.append(wanted)
    return bad


def _scope_listings(session: Session, round_: Round) -> tuple[dict[str, Company], list[Listing]]:
    scope = round_.scope or {}
    query = select(Company)
    if scope.get("municipalities"):
        query = query.where(Company.municipality.in_(scope["municipalities"]))
    if scope.get("bbox"):
        min_lon, min_lat, max_lon, max_lat = scope["bbox"]
        query = query.where(Company.lon.between(min_lon, max_lon), Company.lat.between(min_lat, max_lat))
    companies = {c.company_id: c for c in session.scalars(query.order_by(Company.company_id))}
    listings = [
        item for item in session.scalars(
            select(Listing).where(Listing.company_id.in_(list(companies))).order_by(Listing.listing_id))
        if not scope.get("material_classes") or material_in_classes(item.material_key, scope["material_classes"])
    ]
    return companies, listings


def _run_directives(session: Session, round_: Round, listings: list[Listing], in_snapshot: set[str],
                    locked: list[Exchange]) -> list[dict]:
    """The round's own directives, plus a lock at its quantity for each exchange of its earlier runs
    in ``locked`` and a forbid for each proposal declined in them."""
    directives = [dict(d) for d in round_.directives or []]
    factor = {item.listing_id: item.quantity / item.quantity_canonical for item in listings}
    for exchange in locked:  # held exactly at its quantity: more on the pair would be proposed to no one
        quantity = exchange.quantity_canonical * factor[exchange.offer_id]
        directives.append({"action": "lock", "offer_id": exchange.offer_id, "need_id": exchange.need_id,
                           "min_quantity": quantity, "max_quantity": quantity})
    declined = session.execute(select(Proposal.offer_id, Proposal.need_id).where(
        Proposal.round_id == round_.id, Proposal.status == "declined").distinct()).all()
    for offer_id, need_id in declined:
        if offer_id in in_snapshot and need_id in in_snapshot:
            directives.append({"action": "forbid", "offer_id": offer_id, "need_id": need_id})
    return [{name: to_text(d.get(name)) for name in DIRECTIVE_FIELDS} for d in directives]


def build_snapshot(session: Session, round_: Round) -> dict:
    """The companies and open listings in the round's scope, and the directives of this run.

    A re-run locks the exchanges its earlier runs produced instead of subtracting their quantities,
    where both their listings are in the snapshot; an exchange with a listing that has left the
    scope (or is no longer open) is subtracted like any other round's.
    """
    companies, listings = _scope_listings(session, round_)
    ids = [item.listing_id for item in listings]
    others = used_quantities(session, ids, exclude_round=round_.id)
    other_partners = partner_counts(session, ids, exclude_round=round_.id)
    own = list(session.scalars(select(Exchange).where(Exchange.round_id == round_.id, Exchange.status == "active")
                               .order_by(Exchange.id)))
    locked = own
    while True:
        used, partners = dict(others), dict(other_partners)
        for exchange in own:
            if exchange not in locked:
                for listing_id, amount in ((exchange.offer_id, exchange.quantity_canonical),
                                           (exchange.need_id, exchange.need_quantity_canonical)):
                    used[listing_id] = used.get(listing_id, 0.0) + amount
                    partners[listing_id] = partners.get(listing_id, 0) + 1
        records = []
        for item in listings:
            record = open_listing_record(listing_record(item), item.quantity, item.quantity_canonical, item.min_lot,
                                         used.get(item.listing_id, 0.0), partners.get(item.listing_id, 0))
            if record is not None:
                records.append(record)
        in_snapshot = {r["listing_id"] for r in records}
        still = [e for e in locked if e.offer_id in in_snapshot and e.need_id in in_snapshot]
        if len(still) == len(locked):
            break
        locked = still  # what is not locked is subtracted, and the open listings are told again
    used_companies = {r["company_id"] for r in records}
    return {
        "companies": [company_record(c) for key, c in companies.items() if key in used_companies],
        "listings": records,
        "directives": _run_directives(session, round_, listings, in_snapshot, locked),
    }
