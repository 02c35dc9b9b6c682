"""The documented parks under datasets/cases: each loads through the input contract, and each
documented exchange names an offer of its supplier and a need of its receiver."""

from __future__ import annotations

import filecmp
import math
from pathlib import Path

import pandas as pd
import pytest

from symbiosis.registry import read_registry
from symbiosis.transport import read_link_costs, read_transport_modes

DATASETS = Path(__file__).resolve().parent.parent / "datasets"
CASES = DATASETS / "cases"
DOCUMENTED_CASES = sorted(p.parent.name for p in CASES.glob("*/documented.csv"))
SITE_ACCESS_COLUMNS = ("port_access", "rail_siding")


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_at_least_four_documented_parks_including_kalundborg():
    assert len(DOCUMENTED_CASES) >= 4
    assert "kalundborg" in DOCUMENTED_CASES


@pytest.mark.parametrize("case", [*DOCUMENTED_CASES, "simbioptimize"])
def test_case_loads_without_input_errors(case):
    registry = read_registry(companies=CASES / case / "companies.csv", listings=CASES / case / "listings.csv")
    assert len(registry.offers) > 0
    assert len(registry.needs) > 0


@pytest.mark.parametrize("case", DOCUMENTED_CASES)
def test_documented_exchanges_name_listings_of_the_right_kind_and_company(case):
    listings = _csv(CASES / case / "listings.csv").set_index("listing_id")
    documented = _csv(CASES / case / "documented.csv")
    assert list(documented.columns) == ["supplier_id", "receiver_id", "material", "offer_id", "need_id", "source"]
    assert len(documented) > 0
    problems = []
    for row in documented.itertuples(index=False):
        for listing, kind, company in ((row.offer_id, "offer", row.supplier_id), (row.need_id, "need", row.receiver_id)):
            if listing not in listings.index:
                problems.append(f"{listing} is not a listing of {case}")
            elif listings.at[listing, "kind"] != kind or listings.at[listing, "company_id"] != company:
                problems.append(f"{listing} is not a {kind} of {company}")
        if not row.source.strip() or not row.material.strip():
            problems.append(f"{row.offer_id} -> {row.need_id} has no source or material")
    assert not documented.duplicated(["offer_id", "need_id"]).any()
    assert problems == []


@pytest.mark.parametrize("case", [*DOCUMENTED_CASES, "simbioptimize"])
def test_site_access_is_yes_no_or_blank(case):
    companies = _csv(CASES / case / "companies.csv")
    for column in SITE_ACCESS_COLUMNS:
        if column in companies:
            assert set(companies[column].str.strip()) <= {"yes", "no", ""}, (case, column)


@pytest.mark.parametrize("case", DOCUMENTED_CASES)
def test_estimated_quantities_are_marked_in_the_source_column(case):
    listings = _csv(CASES / case / "listings.csv")
    marked_in_description = listings["description"].str.contains("ESTIMATE")
    assert (listings.loc[marked_in_description, "source"].str.contains("ESTIMATE")).all()


def test_kalundborg_case_is_the_bundled_demo():
    for name in ("companies.csv", "listings.csv"):
        assert filecmp.cmp(CASES / "kalundborg" / name, DATASETS / "kalundborg" / name, shallow=False), name


def _haversine_km(lat1, lon1, lat2, lon2, radius_km):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * radius_km * math.atan2(math.sqrt(a), math.sqrt(1 - a))


def test_simbioptimize_data_give_the_peer_result_by_its_own_formula():
    """The case's data files, read with the peer model's cost formula, give its published figures."""
    folder = CASES / "simbioptimize"
    companies = _csv(folder / "companies.csv").set_index("company_id")
    listings = _csv(folder / "listings.csv").set_index("listing_id")
    economics = _csv(folder / "economics.csv").set_index("offer_material")
    expected = _csv(folder / "expected.csv").set_index("quantity")["value"].astype(float)
    quantity = listings["quantity"].astype(float)
    price = pd.to_numeric(listings["price_eur_per_unit"], errors="coerce").fillna(0.0)
    disposal = pd.to_numeric(listings["disposal_eur_per_unit"], errors="coerce").fillna(0.0)
    no_exchange = float((quantity * price).sum() + (quantity * disposal).sum())
    assert no_exchange == pytest.approx(expected["total_cost_no_exchange"], abs=0.005)

    offer, need = listings.loc["F3-plastic-scrap"], listings.loc["F2-polymer"]
    flow = economics.loc[offer["material"]]
    q = float(expected["link_F3_F2_quantity"])
    assert q * float(flow["yield"]) == pytest.approx(float(need["quantity"]))
    f3, f2 = companies.loc["F3"], companies.loc["F2"]
    d = _haversine_km(float(f3["lat"]), float(f3["lon"]), float(f2["lat"]), float(f2["lon"]), 6371.0)
    assert d == pytest.approx(expected["link_F3_F2_haversine_km"], abs=1e-5)
    net = (q * float(flow["yield"]) * float(need["price_eur_per_unit"]) + q * float(offer["disposal_eur_per_unit"])
           - q * float(flow["processing_eur_per_unit"]) - float(flow["link_fixed_eur_per_period"])
           - float(flow["transport_eur_per_unit_km"]) * d * q)
    assert net == pytest.approx(expected["net_benefit"], abs=0.005)
    assert no_exchange - net == pytest.approx(expected["total_cost_optimum"], abs=0.005)


def test_simbioptimize_transport_and_link_files_load_and_agree_with_its_economics():
    folder = CASES / "simbioptimize"
    modes = read_transport_modes(_csv(folder / "transport_modes.csv"))
    links = read_link_costs(_csv(folder / "link_costs.csv"))
    scrap = _csv(folder / "economics.csv").set_index("offer_material").loc["07 02 13"]
    assert scrap["transport_mode"] == "truck"
    assert modes.at["truck", "cost_eur_per_tkm"] == float(scrap["transport_eur_per_unit_km"])
    assert modes.at["truck", "detour_factor"] == float(scrap["detour_factor"]) == 1.0
    assert links.at["truck", "fixed_eur_per_yr"] == float(scrap["link_fixed_eur_per_period"])
