"""Queries shared by the API and the round runner: open quantities and active exchanges."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.db.models import Exchange, Listing

ACTIVE = "active"
#: Proposals not yet decided: drafts and those sent to the companies.
OPEN_PROPOSALS = ("draft", "sent")


def lock_listings(session: Session, listing_ids: Iterable[str] = (), company_id: str | None = None) -> None:
    """Take the write lock on listings before checking what their active exchanges allow: a no-op
    update, which makes SQLite begin its write transaction (writers wait for each other) and
    PostgreSQL lock the rows, so that an edit, a delete and an exchange's start on the same listing
    see each other's result instead of all checking the state before. Listings one by one in id
    order (so two callers never wait for each other in a circle), or a company's all at once."""
    for listing_id in sorted(set(listing_ids)):
        session.execute(update(Listing).where(Listing.listing_id == listing_id).values(version=Listing.version)
                        .execution_options(synchronize_session=False))
    if company_id is not None:
        session.execute(update(Listing).where(Listing.company_id == company_id).values(version=Listing.version)
                        .execution_options(synchronize_session=False))


def used_quantities(session: Session, listing_ids: Iterable[str] | None = None,
                    exclude_round: int | None = None) -> dict[str, float]:
    """Canonical quantity per year that active exchanges use of each listing (offers and needs).

    ``exclude_round`` leaves out the exchanges that came from that round (a re-run locks them instead).
    """
    ids = None if listing_ids is None else list(listing_ids)
    used: dict[str, float] = {}
    for column, amount in ((Exchange.offer_id, Exchange.quantity_canonical),
                           (Exchange.need_id, Exchange.need_quantity_canonical)):
        query = select(column, func.sum(amount)).where(Exchange.status == ACTIVE).group_by(column)
        if ids is not None:
            query = query.where(column.in_(ids))
        if exclude_round is not None:
            query = query.where(Exchange.round_id != exclude_round)
        for listing_id, total in session.execute(query):
            used[listing_id] = used.get(listing_id, 0.0) + float(total or 0.0)
    return used


def partner_counts(session: Session, listing_ids: Iterable[str] | None = None,
                   exclude_round: int | None = None) -> dict[str, int]:
    """Active exchanges per listing (offers and needs), as :func:`used_quantities` sums them."""
    ids = None if listing_ids is None else list(listing_ids)
    counts: dict[str, int] = {}
    for column in (Exchange.offer_id, Exchange.need_id):
        query = select(column, func.count()).where(Exchange.status == ACTIVE).group_by(column)
        if ids is not None:
            query = query.where(column.in_(ids))
        if exclude_round is not None:
            query = query.where(Exchange.round_id != exclude_round)
        for listing_id, count in session.execute(query):
            counts[listing_id] = counts.get(listing_id, 0) + int(count)
    return counts


#: What an active exchange fixes about each of its listings, with the words a refusal uses: it was
#: proposed for that side, that material class and a quantity in that unit's dimension.
FIXED_BY_EXCHANGES: dict[str, str] = {"kind": "kind", "material_key": "material", "canonical_unit": "unit"}


def fixed_changes(before: dict, after: dict) -> list[str]:
    """The fields an active exchange fixes (:data:`FIXED_BY_EXCHANGES`) that would change from
    ``before`` to ``after`` (stored column names), as the input column names them."""
    return [word for name, word in FIXED_BY_EXCHANGES.items() if name in after and after[name] != before.get(name)]


def open_quantity(quantity: float, quantity_canonical: float, used_canonical: float) -> float:
    """The part of a listing's quantity (in its own unit) that active exchanges leave open."""
    if quantity_canonical <= 0:
        return 0.0
    return max(0.0, quantity * (1.0 - used_canonical / quantity_canonical))
