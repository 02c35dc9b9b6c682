"""Property tests: whatever the instance, proposals respect quantities, rules and distances."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.solve import solve
from solvers.params import SolveParams
from solvers.scaling import MAX_QUANTITY_SCALE
from symbiosis.objective import ArcObjective
from symbiosis.candidates import CandidateParams, build_candidates
from tests.helpers import make_registry, make_rulebook, make_transport

RULES = make_rulebook([
    {"rule_id": "g-c", "offer_material": "gypsum", "need_material": "cement-raw-material", "waste_t": 1, "resource_t": 1,
     "max_distance_km": 60, "co2e_t": 0.05},
    {"rule_id": "a-c", "offer_material": "aggregates", "need_material": "cement-raw-material", "yield": 0.8,
     "waste_t": 1, "max_distance_km": 40, "co2e_t": 0.02},
    {"rule_id": "g-w", "offer_material": "gypsum", "need_material": "wood", "yield": 0.5, "waste_t": 1.5,
     "max_distance_km": 30, "co2e_t": 0.01},
    {"rule_id": "a-w", "offer_material": "aggregates", "need_material": "wood", "yield": 1.3, "resource_t": 0.7,
     "max_distance_km": 90, "co2e_t": 0.03},
    {"rule_id": "ash", "offer_material": "10 01 *", "need_material": "cement-raw-material", "waste_t": 1, "max_distance_km": 50},
])
OFFER_MATERIALS = ["gypsum", "aggregates", "10 01 02", "10 01 01"]
NEED_MATERIALS = ["cement-raw-material", "wood", "10 01 02"]

listing = st.tuples(
    st.booleans(), st.integers(0, 3), st.floats(0.5, 1000, allow_nan=False), st.integers(0, 11),
    st.one_of(st.none(), st.floats(5, 100)),
)
instance = st.tuples(
    st.lists(st.tuples(st.floats(55.0, 55.8), st.floats(9.0, 10.2)), min_size=2, max_size=12),
    st.lists(listing, min_size=2, max_size=30),
    st.sampled_from(["diverted", "co2", "value"]),
    st.integers(1, 6),
)


def _build(data):
    places, items, objective, k = data
    companies = [(f"c{i}", lat, lon) for i, (lat, lon) in enumerate(places)]
    listings = []
    for j, (is_offer, m, q, c, limit) in enumerate(items):
        materials = OFFER_MATERIALS if is_offer else NEED_MATERIALS
        extra = {} if limit is None else {"max_distance_km": round(limit, 3)}
        listings.append((f"l{j}", f"c{c % len(places)}", "offer" if is_offer else "need",
                         materials[m % len(materials)], round(q, 3), "t/yr", extra))
    registry = make_registry(companies, listings)
    cands = build_candidates(registry, CandidateParams(max_candidates=k), rulebook=RULES,
                             transport=make_transport(kg_per_tkm=0.1, eur_per_tkm=0.1, detour=1.2))
    return registry, cands, objective


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance)
def test_proposals_respect_quantities_rules_distances_and_beat_greedy(data):
    registry, cands, objective = _build(data)
    best = solve(cands, SolveParams(objective=objective, solver="auto"))
    greedy = solve(cands, SolveParams(objective=objective, solver="greedy"))
    for result in (best, greedy):
        ex = result.exchanges
        sent = ex.groupby("offer_id")["quantity_canonical"].sum()
        assert (sent <= registry.listings.loc[sent.index, "quantity_canonical"] * (1 + 1e-9) + 1e-9).all()
        received = (ex["quantity_canonical"] * ex["yield"]).groupby(ex["need_id"]).sum()
        assert (received <= registry.listings.loc[received.index, "quantity_canonical"] * (1 + 1e-9) + 1e-9).all()
        # Every exchange is compatible: the most specific rule for its materials, or the same EWC code.
        expected = RULES.match_offers(registry.offers["material"].unique()).set_index(["offer_material", "need_material"])["rule_id"]
        for r in ex.itertuples():
            assert expected.loc[(r.material, r.need_material)] == r.rule_id
            assert r.supplier_id != r.receiver_id
            assert not r.distance_km > r.max_distance_km + 1e-9  # a NaN limit: cost alone decides reach
            limits = registry.listings.loc[[r.offer_id, r.need_id], "max_distance_km"].dropna()
            assert (r.distance_km <= limits + 1e-9).all()
        assert result.objective_value == np.float64(ex["objective_contribution"].sum())
        assert (ex["objective_contribution"] > 0).all()
    # Min-cost flow is exact up to its quantity resolution (MAX_QUANTITY_SCALE units per canonical unit),
    # on the tie-broken weights it maximises: the primary objective may give up at most what the
    # tie-break is worth over everything that can move.
    weights = ArcObjective.of(cands.arcs, objective)
    resolution = len(registry.listings) * float(np.abs(weights.primary).max(initial=0)) / MAX_QUANTITY_SCALE
    tiebreak = float(np.abs(weights.effective - weights.primary).max(initial=0)) * float(
        registry.offers["quantity_canonical"].sum())
    assert best.objective_value >= greedy.objective_value - 1e-9 * abs(greedy.objective_value) - resolution - tiebreak


@settings(max_examples=25, deadline=None)
@given(instance)
def test_every_listing_is_either_in_an_exchange_or_explained(data):
    registry, cands, objective = _build(data)
    result = solve(cands, SolveParams(objective=objective))
    used = set(result.exchanges["offer_id"]) | set(result.exchanges["need_id"])
    unmatched = set(result.unmatched.index)
    assert used.isdisjoint(unmatched)
    assert used | unmatched == set(registry.listings.index)
    assert (result.unmatched["reason"].str.len() > 10).all()
    assert isinstance(result.unmatched, pd.DataFrame)
