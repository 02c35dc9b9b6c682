"""Aggregates for regional planners: open listings per municipality and material, no single company."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter
from sqlalchemy import select

from analytics.disclosure import disclosable
from service.api.auth import Role
from service.api.deps import FacilitatorOrPlannerDep, SessionDep, SettingsDep
from service.api.schemas.stats import ListingStatsPublic, ListingStatsRow
from service.db.models import Company, Listing
from service.db.queries import used_quantities

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("/listings", response_model=ListingStatsPublic)
def listing_stats(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep) -> ListingStatsPublic:
    """Open quantity per year (canonical unit) by municipality, material and kind, with counts.

    For planners a group's quantity is shown only when enough companies contribute (or all consent).
    """
    rows = session.execute(select(Listing, Company.municipality, Company.consent_planner)
                           .join(Company, Company.company_id == Listing.company_id)).all()
    used = used_quantities(session)
    groups: dict[tuple, dict] = defaultdict(lambda: {"listings": 0, "companies": set(), "consenting": set(),
                                                     "quantity": 0.0})
    for listing, municipality, consent in rows:
        group = groups[(municipality, listing.material_key, listing.kind, listing.canonical_unit)]
        group["listings"] += 1
        group["companies"].add(listing.company_id)
        if consent:
            group["consenting"].add(listing.company_id)
        group["quantity"] += max(0.0, listing.quantity_canonical - used.get(listing.listing_id, 0.0))
    planner = principal.role is Role.PLANNER
    data = []
    for (municipality, material, kind, unit), g in sorted(groups.items(), key=lambda kv: tuple(str(k) for k in kv[0])):
        hidden = planner and not disclosable(g["companies"], g["consenting"], settings.planner_min_companies)
        data.append(ListingStatsRow(
            municipality=municipality, material=material, kind=kind, canonical_unit=unit, listings=g["listings"],
            companies=len(g["companies"]), suppressed=hidden, open_quantity=None if hidden else g["quantity"]))
    return ListingStatsPublic(data=data)
