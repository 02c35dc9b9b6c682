"""Aggregates for regional planners: open listings per municipality and material, no single company."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter
from sqlalchemy import select

from analytics.disclosure import Privacy, suppression
from service.api.auth import Role
from service.api.deps import FacilitatorOrPlannerDep, SessionDep, SettingsDep
from service.api.schemas.stats import ListingStatsPublic, ListingStatsRow
from service.db.models import Company, Listing
from service.db.queries import used_quantities

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("/listings", response_model=ListingStatsPublic)
def listing_stats(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep) -> ListingStatsPublic:
    """Open quantity per year (canonical unit) by municipality, material and kind, with counts.

    For planners a group's quantity is shown only when enough companies contribute (or all consent), and
    further groups are withheld so that no sum of the shown ones gives a withheld group away.
    """
    rows = session.execute(select(Listing, Company.municipality, Company.consent_planner)
                           .join(Company, Company.company_id == Listing.company_id)).all()
    used = used_quantities(session)
    groups: dict[tuple, dict] = defaultdict(lambda: {"listings": 0, "companies": set(), "consenting": set(),
                                                     "quantity": 0.0, "parts": defaultdict(float)})
    for listing, municipality, consent in rows:
        group = groups[(municipality, listing.material_key, listing.kind, listing.canonical_unit)]
        group["listings"] += 1
        group["companies"].add(listing.company_id)
        if consent:
            group["consenting"].add(listing.company_id)
        open_quantity = max(0.0, listing.quantity_canonical - used.get(listing.listing_id, 0.0))
        group["quantity"] += open_quantity
        group["parts"][listing.company_id] += open_quantity
    privacy = None
    if principal.role is Role.PLANNER:
        consenting = set().union(*(g["consenting"] for g in groups.values()))
        privacy = Privacy(frozenset(consenting), min_companies=settings.planner_min_companies,
                          max_share=settings.planner_max_share)
    withheld = suppression({key: g["companies"] for key, g in groups.items()}, privacy,
                           {key: g["quantity"] for key, g in groups.items()},
                           {key: dict(g["parts"]) for key, g in groups.items()}).hidden
    data = []
    for key, g in sorted(groups.items(), key=lambda kv: tuple(str(k) for k in kv[0])):
        municipality, material, kind, unit = key
        hidden = key in withheld
        data.append(ListingStatsRow(
            municipality=municipality, material=material, kind=kind, canonical_unit=unit,
            listings=None if hidden else g["listings"], companies=None if hidden else len(g["companies"]),
            suppressed=hidden, open_quantity=None if hidden else g["quantity"]))
    return ListingStatsPublic(data=data)
