"""Candidate search: distance limits, rules, availability, and the reasons for no candidate."""

import numpy as np
import pytest
from geopy.distance import geodesic

from symbiosis.candidates import build_candidates
from symbiosis.geo import geodesic_km
from symbiosis.rules import default_rulebook
from tests.helpers import make_registry, make_rulebook, make_transport, no_prices

RULES = make_rulebook([
    {"rule_id": "ash", "offer_material": "10 01 *", "need_material": "cement-raw-material", "max_distance_km": 50, "waste_t": 1},
    {"rule_id": "fly", "offer_material": "10 01 02", "need_material": "cement-raw-material", "max_distance_km": 80, "waste_t": 1},
])


def test_geodesic_distances_agree_with_geopy():
    rng = np.random.default_rng(1)
    pts = rng.uniform([54.5, 8.0, 54.5, 8.0], [57.7, 15.0, 57.7, 15.0], size=(50, 4))
    ours = geodesic_km(pts[:, 0], pts[:, 1], pts[:, 2], pts[:, 3])
    reference = [geodesic((a, b), (c, d)).km for a, b, c, d in pts]
    assert np.allclose(ours, reference, rtol=0, atol=1e-6)


def test_geodesic_distances_split_across_threads_are_the_same(monkeypatch):
    from symbiosis import geo

    rng = np.random.default_rng(2)
    pts = rng.uniform([54.5, 8.0, 54.5, 8.0], [57.7, 15.0, 57.7, 15.0], size=(1001, 4))
    whole = geo.geodesic_km(*pts.T)
    monkeypatch.setattr(geo, "GEODESIC_CHUNK", 100)
    monkeypatch.setattr(geo.os, "cpu_count", lambda: 4)
    assert np.array_equal(geo.geodesic_km(*pts.T), whole)


def test_the_most_specific_rule_applies_and_its_limit_decides_reach():
    """10 01 02 matches both the chapter pattern (50 km) and the exact code (80 km): 80 km wins
    (no price known, so the rules' distance limits decide reach)."""
    reg = make_registry([("p", 55.0, 9.0), ("c", 55.6, 9.0)], [
        ("fly", "p", "offer", "10 01 02", 10, "t/yr"), ("bottom", "p", "offer", "10 01 01", 10, "t/yr"),
        ("need", "c", "need", "cement-raw-material", 10, "t/yr")])
    cands = build_candidates(reg, rulebook=RULES, transport=make_transport(), prices=no_prices())
    assert list(cands.arcs["offer_id"]) == ["fly"]
    assert cands.arcs["rule_id"].iloc[0] == "fly"
    assert cands.arcs["distance_km"].iloc[0] == pytest.approx(66.8, abs=0.2)
    assert cands.unmatched.loc["bottom", "reason"].startswith("no compatible partner within reach: nearest is need at 66.")
    assert cands.unmatched.loc["bottom", "nearest_km"] == pytest.approx(66.8, abs=0.2)


def test_detour_factor_and_listing_limit_tighten_reach():
    reg = make_registry([("p", 55.0, 9.0), ("c", 55.3, 9.0)], [
        ("fly", "p", "offer", "10 01 02", 10, "t/yr"),
        ("need", "c", "need", "cement-raw-material", 10, "t/yr", {"max_distance_km": 40})])
    assert build_candidates(reg, rulebook=RULES, transport=make_transport()).arcs.shape[0] == 1
    assert build_candidates(reg, rulebook=RULES, transport=make_transport(detour=1.3)).arcs.empty  # 33 km x 1.3 > 40


def test_same_company_and_disjoint_availability_are_not_candidates():
    reg = make_registry([("p", 55.0, 9.0), ("c", 55.01, 9.0)], [
        ("fly", "p", "offer", "10 01 02", 10, "t/yr", {"available_to": "2025-12-31"}),
        ("own", "p", "need", "cement-raw-material", 10, "t/yr"),
        ("late", "c", "need", "cement-raw-material", 10, "t/yr", {"available_from": "2026-01-01"})])
    cands = build_candidates(reg, rulebook=RULES, transport=make_transport())
    assert cands.arcs.empty
    assert "availability does not overlap" in cands.unmatched.loc["fly", "reason"]
    assert cands.unmatched.loc["own", "reason"] == "the only compatible partners in reach belong to the same company"


def test_same_ewc_code_is_always_compatible_and_unknown_pairs_are_explained():
    reg = make_registry([("p", 55.0, 9.0), ("c", 55.01, 9.0)], [
        ("o", "p", "offer", "19 08 05", 10, "t/yr"), ("n", "c", "need", "19 08 05", 10, "t/yr"),
        ("lonely", "p", "offer", "16 01 03", 10, "t/yr"), ("want", "c", "need", "sulphur", 5, "t/yr")])
    cands = build_candidates(reg, rulebook=RULES, transport=make_transport())
    assert cands.arcs[["offer_id", "need_id", "rule_id"]].values.tolist() == [["o", "n", "same-ewc-code"]]
    # only a need for the same code could take the tyres: no rule leads them anywhere else
    assert cands.unmatched.loc["lonely", "reason"] == (
        "no compatibility rule takes 16 01 03 into another material, and nobody lists a need for 16 01 03 itself")
    assert cands.unmatched.loc["want", "reason"] == "no compatibility rule serves sulphur"


def test_a_class_need_that_its_own_class_would_serve_is_told_nobody_offers_it_not_that_no_rule_serves_it():
    reg = make_registry([("p", 55.0, 9.0), ("c", 55.01, 9.0)], [
        ("o", "p", "offer", "gypsum", 10, "t/yr"),
        ("n", "c", "need", "granulated-blast-furnace-slag", 10, "t/yr")])
    cands = build_candidates(reg, transport=make_transport())
    assert cands.unmatched.loc["n", "reason"] == "nobody offers a material that can serve granulated-blast-furnace-slag"


def test_bundled_rules_cover_the_documented_symbiosis_exchanges():
    table = default_rulebook().match_offers(["10 01 02", "10 01 05", "steam", "fuel-gas", "02 07 04"])
    pairs = set(zip(table["offer_material"], table["need_material"]))
    assert {("10 01 02", "cement-raw-material"), ("10 01 05", "gypsum"), ("steam", "hot-water"),
            ("steam", "steam"), ("fuel-gas", "fuel-gas"), ("02 07 04", "animal-feed")} <= pairs
    assert len(default_rulebook().rules) >= 60


def test_great_circle_screening_never_exceeds_the_geodesic_by_more_than_its_margin():
    from symbiosis.geo import SCREEN_MARGIN, great_circle_km

    rng = np.random.default_rng(5)
    lat1, lon1 = rng.uniform(-89, 89, 20000), rng.uniform(-180, 180, 20000)
    lat2, lon2 = np.clip(lat1 + rng.normal(0, 5, 20000), -89, 89), lon1 + rng.normal(0, 5, 20000)
    exact, screen = geodesic_km(lat1, lon1, lat2, lon2), great_circle_km(lat1, lon1, lat2, lon2)
    assert (screen * (1 - SCREEN_MARGIN) <= exact).all()
    assert (exact <= screen * (1 + SCREEN_MARGIN)).all()


def test_the_unit_vector_tree_finds_the_haversine_ball_tree_s_neighbours():
    from symbiosis.geo import build_index, build_tree, query_nearest

    rng = np.random.default_rng(6)
    lat, lon = rng.uniform(54.5, 57.7, 3000), rng.uniform(8.0, 15.0, 3000)
    q_lat, q_lon = rng.uniform(54.5, 57.7, 500), rng.uniform(8.0, 15.0, 500)
    _, ours = query_nearest(build_tree(lat, lon), q_lat, q_lon, 7)
    _, theirs = build_index(lat, lon).query(np.radians(np.column_stack([q_lat, q_lon])), k=7)
    assert np.array_equal(np.sort(ours.reshape(500, 7), axis=1), np.sort(theirs, axis=1))


def test_every_arc_carries_the_exact_geodesic_after_screening():
    from symbiosis.registry import validate_tables
    from symbiosis.synthetic import generate_region

    registry = validate_tables(*generate_region(n_listings=1000, seed=2))
    arcs = build_candidates(registry).arcs
    o, n = registry.offers.loc[arcs["offer_id"]], registry.needs.loc[arcs["need_id"]]
    exact = geodesic_km(o["lat"].to_numpy(), o["lon"].to_numpy(), n["lat"].to_numpy(), n["lon"].to_numpy())
    assert np.array_equal(arcs["geodesic_km"].to_numpy(), exact)


def test_pairs_checked_in_chunks_give_the_same_arcs_and_explanations(monkeypatch):
    import pandas as pd

    from symbiosis import candidates
    from symbiosis.registry import validate_tables
    from symbiosis.synthetic import generate_region

    registry = validate_tables(*generate_region(n_listings=1_000, seed=4))
    whole = build_candidates(registry)
    monkeypatch.setattr(candidates, "PAIR_CHUNK", 997)
    chunked = build_candidates(registry)
    assert len(whole.arcs) > 3 * 997 and len(whole.unmatched) > 0
    pd.testing.assert_frame_equal(chunked.arcs, whole.arcs)
    pd.testing.assert_frame_equal(chunked.unmatched, whole.unmatched)
    assert isinstance(whole.arcs["offer_id"].dtype, pd.CategoricalDtype)
    assert sorted(whole.arcs["offer_id"].cat.categories) == list(whole.arcs["offer_id"].cat.categories)


def test_a_class_measured_by_mass_serves_a_need_for_the_same_class():
    """Gypsum offered as the class (not as 10 01 05) reaches a need for gypsum through the
    same-class rule: resource_t 1, waste_t 0, the other factors unknown. A class that compatibility.csv pairs
    with itself keeps its own rule, energy classes get none, and a rule book without the
    same-class row has no such rule."""
    from solvers.matching import match

    rules = default_rulebook()
    reg = make_registry([("p", 55.0, 9.0), ("c", 55.01, 9.0)], [
        ("o", "p", "offer", "gypsum", 10, "t/yr"), ("n", "c", "need", "gypsum", 10, "t/yr"),
        ("s", "p", "offer", "ammonium-sulphate", 5, "t/yr"), ("f", "c", "need", "ammonium-sulphate", 5, "t/yr")])
    cands = build_candidates(reg, rulebook=rules)
    assert sorted(cands.arcs[["offer_id", "need_id", "rule_id"]].astype(str).values.tolist()) == [
        ["o", "n", "same-material-class"], ["s", "f", "same-material-class"]]
    table = rules.rule_table()
    assert table.loc["same-material-class", "resource_t"] == 1
    assert table.loc["same-material-class", "waste_t"] == 0  # a class names no waste
    assert table[["value_eur", "co2e_t"]].loc["same-material-class"].isna().all()
    assert "steam" not in rules.same_class_materials and "hot-water" not in rules.same_class_materials
    assert rules.match_offers(["steam"]).query("need_material == 'steam'")["rule_id"].tolist() == ["steam-to-steam"]
    exchanges = match(registry=reg).result.exchanges
    assert set(exchanges["rule_id"]) == {"same-material-class"} and sorted(exchanges["resource_t"]) == [5.0, 10.0]
    # A region's own rules with the same-code row alone:
    without = make_rulebook([{"rule_id": "ash", "offer_material": "10 01 02", "need_material": "cement-raw-material"}])
    assert build_candidates(reg, rulebook=without).arcs.empty
