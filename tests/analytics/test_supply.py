"""Unmatched supply and the best site for a new processor, on a hand-placed region."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.supply import best_processor_site, unmatched_supply
from symbiosis.errors import AnalyticsError
from symbiosis.geo import EARTH_RADIUS_KM
from symbiosis.registry import validate_tables

#: 250 km apart on one meridian: neither reaches the other within 200 km by road (x 1.343 detour),
#: but a point between them reaches both. A larger offer sits alone far away.
SITE_COMPANIES = pd.DataFrame({
    "company_id": ["p1", "p2", "p3"], "name": ["P1", "P2", "P3"], "nace": ["35.11"] * 3,
    "lat": ["55.0", str(55.0 + 250 / 111.2), "60.0"], "lon": ["10.0", "10.0", "20.0"],
    "municipality": ["South", "North", "Far"],
})
SITE_LISTINGS = pd.DataFrame({
    "listing_id": ["p1-gypsum", "p2-gypsum", "p3-gypsum", "p1-ash"], "company_id": ["p1", "p2", "p3", "p1"],
    "kind": ["offer"] * 4, "material": ["10 01 05", "10 01 05", "10 01 05", "10 01 02"],
    "quantity": ["100", "200", "250", "40"], "unit": ["t/yr"] * 4,
})


@pytest.fixture
def site_registry():
    return validate_tables(SITE_COMPANIES, SITE_LISTINGS)


def test_unmatched_supply_sums_by_material_and_municipality(site_registry):
    unmatched = pd.DataFrame(index=pd.Index(["p1-gypsum", "p2-gypsum", "p1-ash"], name="listing_id"))
    table = unmatched_supply(unmatched, site_registry)
    rows = {(r.material, r.municipality): (r.quantity, r.listings) for r in table.itertuples()}
    assert rows == {("10 01 02", "South"): (40.0, 1), ("10 01 05", "North"): (200.0, 1),
                    ("10 01 05", "South"): (100.0, 1)}
    by_material = unmatched_supply(unmatched, site_registry, by=("material",))
    assert by_material.set_index("material")["quantity"].to_dict() == {"10 01 02": 40.0, "10 01 05": 300.0}


def test_best_processor_site_takes_the_most_supply_within_the_material_reach(site_registry):
    unmatched = pd.DataFrame(index=site_registry.offers.index)
    site = best_processor_site(site_registry, unmatched, "10 01 05")
    assert site.quantity == 300.0 and site.offers == ["p1-gypsum", "p2-gypsum"]
    assert site.max_distance_km == 200.0 and site.detour_factor == pytest.approx(1.343)
    reach_km = 200.0 / 1.343
    for lat in (55.0, 55.0 + 250 / 111.2):
        a, b = np.radians([site.lat, site.lon]), np.radians([lat, 10.0])
        h = np.sin((b[0] - a[0]) / 2) ** 2 + np.cos(a[0]) * np.cos(b[0]) * np.sin((b[1] - a[1]) / 2) ** 2
        assert 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h)) <= reach_km
    # Without p2 the lone far offer (250 t) beats p1 (100 t).
    only = best_processor_site(site_registry, unmatched.drop(index="p2-gypsum"), "10 01 05")
    assert only.quantity == 250.0 and only.offers == ["p3-gypsum"]


def test_processor_site_errors_name_the_material(site_registry):
    unmatched = pd.DataFrame(index=pd.Index(["p1-gypsum"]))
    with pytest.raises(AnalyticsError, match="no unmatched supply of material '10 01 02'"):
        best_processor_site(site_registry, unmatched, "10 01 02")
    with pytest.raises(AnalyticsError, match="unobtainium"):
        best_processor_site(site_registry, unmatched, "unobtainium")
