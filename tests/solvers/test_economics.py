"""Hand-solved instances for grades, the economics of an exchange, mode choice and every unmatched reason."""

import numpy as np
import pandas as pd
import pytest

from solvers.params import SolveParams
from solvers.solve import solve
from symbiosis.candidates import build_candidates
from symbiosis.data import dataset_path
from symbiosis.economics import default_price_book, read_price_book
from solvers.matching import match
from tests.helpers import make_link_costs, make_registry, make_rulebook, make_transport, no_prices

#: Fly ash to cement raw meal worth 10 EUR per tonne to both sides together, no limit of its own.
ASH = make_rulebook([{"rule_id": "ash", "offer_material": "10 01 02", "need_material": "cement-raw-material",
                      "waste_t": 1, "value_eur": 10, "max_distance_km": 5000}])


def _transport(**eur_per_tkm) -> pd.DataFrame:
    """Transport factors with a cost per tonne-km per mode (default 0) and no detour."""
    table = make_transport()
    for mode, cost in eur_per_tkm.items():
        table.loc[mode, "cost_eur_per_tkm"] = cost
    return table


def _ash(distance_deg: float, quantity: float = 100, companies_extra: dict | None = None):
    extra = companies_extra or {}
    return make_registry(
        [("p", 55.0, 9.0), ("c", 55.0 + distance_deg, 9.0)],
        [("ash", "p", "offer", "10 01 02", quantity, "t/yr"), ("meal", "c", "need", "cement-raw-material", quantity, "t/yr")],
    ) if not extra else _with_access(distance_deg, quantity, extra)


def _with_access(distance_deg: float, quantity: float, access: dict):
    from symbiosis.registry import validate_tables

    companies = pd.DataFrame([
        {"company_id": c, "name": c, "nace": "23.51", "lat": str(lat), "lon": "9.0", **access}
        for c, lat in (("p", 55.0), ("c", 55.0 + distance_deg))
    ])
    listings = pd.DataFrame([
        {"listing_id": "ash", "company_id": "p", "kind": "offer", "material": "10 01 02", "quantity": str(quantity), "unit": "t/yr"},
        {"listing_id": "meal", "company_id": "c", "kind": "need", "material": "cement-raw-material", "quantity": str(quantity), "unit": "t/yr"},
    ])
    return validate_tables(companies, listings)


def _solve(registry, transport, link_costs=None, **params):
    links = make_link_costs() if link_costs is None else link_costs
    cands = build_candidates(registry, rulebook=ASH, transport=transport, link_costs=links, prices=no_prices())
    return solve(cands, SolveParams(**params))


def test_an_exchange_that_loses_money_is_not_proposed_and_says_at_what_distance_it_would_pay():
    """About 111 km at 0.1 EUR/t-km costs 11.1 EUR/t against a saving of 10 EUR/t: a loss."""
    result = _solve(_ash(1.0), _transport(truck=0.1))
    assert result.exchanges.empty
    reason = result.unmatched.loc["ash", "reason"]
    assert reason.startswith("not worth its transport cost") and "viable within 100.0 km" in reason


def test_a_subsidised_round_proposes_the_loss_making_exchange_and_reports_its_negative_net_benefit():
    result = _solve(_ash(1.0), _transport(truck=0.1), allow_subsidised=True)
    [value], [distance] = result.exchanges["value_eur"], result.exchanges["distance_km"]
    assert value == pytest.approx(100 * (10 - 0.1 * distance)) and value < 0


def test_an_exchange_that_pays_its_way_is_proposed_with_its_fair_price_range():
    result = _solve(_ash(0.5), _transport(truck=0.1))
    row = result.exchanges.iloc[0]
    assert row["value_eur"] == pytest.approx(100 * (10 - 0.1 * row["distance_km"]))
    assert row["transport_cost_eur"] == pytest.approx(100 * 0.1 * row["distance_km"])


def test_a_link_cost_needs_enough_quantity_to_be_paid():
    """Margin 10 EUR/t, link 1,500 EUR/yr: at least 150 t a year; 100 t is not enough, 200 t is."""
    links = make_link_costs(fixed_eur=1500)
    small = _solve(_ash(0.01, quantity=100), _transport(), links)
    assert small.exchanges.empty
    assert small.unmatched.loc["meal", "reason"].startswith("not worth its link cost")
    assert "at least 150 units" in small.unmatched.loc["meal", "reason"]
    large = _solve(_ash(0.01, quantity=200), _transport(), links)
    assert large.exchanges["quantity"].tolist() == [pytest.approx(200)]
    assert large.exchanges["value_eur"].iloc[0] == pytest.approx(200 * 10 - 1500)


def test_ship_is_chosen_where_both_sites_have_port_access_and_is_cheaper():
    ports = _solve(_ash(0.5, companies_extra={"port_access": "yes"}), _transport(truck=0.1, ship=0.01))
    assert ports.exchanges["transport_mode"].tolist() == ["ship"]
    road = _solve(_ash(0.5, companies_extra={"port_access": "no"}), _transport(truck=0.1, ship=0.01))
    assert road.exchanges["transport_mode"].tolist() == ["truck"]


def test_cheap_ship_reaches_farther_than_the_road():
    """250 km: by road 25 EUR/t against 10 EUR/t of savings; by ship 2.5 EUR/t."""
    far_by_ship = _solve(_ash(2.25, companies_extra={"port_access": "yes", "rail_siding": "no"}),
                         _transport(truck=0.1, ship=0.01))
    assert far_by_ship.exchanges["transport_mode"].tolist() == ["ship"]
    far_by_road = _solve(_ash(2.25), _transport(truck=0.1, ship=0.01))
    assert far_by_road.exchanges.empty


def _heat_region(offers: list[tuple], needs: list[tuple]):
    sites = [(f"s{i}", 55.0 + 0.001 * i, 9.0) for i in range(len(offers) + len(needs))]
    listings = [(lid, sites[i][0], "offer", m, q, "MWh/yr") for i, (lid, m, q) in enumerate(offers)]
    listings += [(lid, sites[len(offers) + i][0], "need", m, q, "MWh/yr") for i, (lid, m, q) in enumerate(needs)]
    return make_registry(sites, listings)


def test_each_heat_need_gets_the_lowest_grade_that_serves_it():
    """Steam could serve the hot-water need too; hot water serves it and steam is left for steam."""
    registry = _heat_region([("steam", "steam", 10_000), ("hot", "hot-water", 10_000)],
                            [("need-hot", "hot-water", 10_000), ("need-steam", "steam", 10_000)])
    result = match(registry=registry)
    pairs = set(zip(result.exchanges["offer_id"], result.exchanges["need_id"]))
    assert pairs == {("steam", "need-steam"), ("hot", "need-hot")}


def test_a_lower_grade_never_serves_a_higher_one_and_the_reason_says_grade_too_low():
    registry = _heat_region([("hot", "hot-water", 10_000)], [("need-steam", "steam", 10_000)])
    result = match(registry=registry)
    assert result.exchanges.empty
    assert result.unmatched.loc["need-steam", "reason"].startswith("grade too low")
    assert result.unmatched.loc["hot", "reason"].startswith("grade too low")


def test_water_saved_counts_in_the_default_objective_and_the_demo_saves_fresh_water():
    companies = pd.read_csv(dataset_path("kalundborg/companies.csv"), dtype=str, keep_default_na=False)
    listings = pd.read_csv(dataset_path("kalundborg/listings.csv"), dtype=str, keep_default_na=False)
    result = match(companies, listings)
    assert ("refinery-cooling-water", "asnaes-cooling-water") in set(zip(result.exchanges["offer_id"], result.exchanges["need_id"]))
    assert result.summary["totals"]["water_m3"] > 0


def test_unknown_factors_stay_unknown_in_the_exchanges_and_are_counted_in_the_summary():
    rules = make_rulebook([{"rule_id": "g", "offer_material": "gypsum", "need_material": "gypsum", "waste_t": 1,
                            "co2e_t": ""}])
    registry = make_registry([("a", 55.0, 9.0), ("b", 55.01, 9.0)],
                             [("o", "a", "offer", "gypsum", 10, "t/yr"), ("n", "b", "need", "gypsum", 10, "t/yr")])
    cands = build_candidates(registry, rulebook=rules, transport=make_transport(), prices=no_prices())
    result = solve(cands)
    assert np.isnan(result.exchanges["co2e_t"].iloc[0]) and np.isnan(result.exchanges["value_eur"].iloc[0])
    from solvers.summary import build_summary

    summary = build_summary(result, registry, cands, {}, {})
    assert summary["unknown"]["co2e_t"] == 1
    assert any("unknown" in notice for notice in summary["notices"])


def test_listing_prices_override_the_default_prices():
    book = default_price_book()
    assert book.price("10 01 02", "offer_disposal") == pytest.approx(94.38)  # the non-hazardous landfill default
    assert book.price("17 01 01", "offer_disposal") == pytest.approx(30.71)  # clean rubble: no landfill tax
    assert book.price("02 03 04", "offer_disposal") == pytest.approx(48.28)  # food residues: digestion gate fee
    own = read_price_book(pd.DataFrame([{"material": "10 01 *", "side": "offer_disposal", "eur_per_unit": "12"}]))
    assert own.price("10 01 02", "offer_disposal") == 12
    assert np.isnan(own.price("steam", "need_purchase"))
