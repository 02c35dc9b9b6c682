"""Differential tests: OR-Tools min-cost flow against networkx, and flow against the LP."""

import networkx as nx
import numpy as np
import pytest

from solvers.api import solve
from solvers.flow import build_flow_network, solve_flow_network
from solvers.network import find_material_components
from solvers.params import SolveParams
from solvers.scaling import TIE_BREAK_WEIGHT
from symbiosis.candidates import build_candidates
from symbiosis.impacts import arc_tiebreak, arc_weights
from tests.conftest import make_registry, make_rulebook, make_transport

#: Consistent yields: gypsum and aggregates both scale 1, cement-raw-material 1, wood 2.
RULES = make_rulebook([
    {"rule_id": "g-c", "offer_material": "gypsum", "need_material": "cement-raw-material", "waste_t": 1, "resource_t": 1},
    {"rule_id": "a-c", "offer_material": "aggregates", "need_material": "cement-raw-material", "waste_t": 1},
    {"rule_id": "g-w", "offer_material": "gypsum", "need_material": "wood", "yield": 0.5, "waste_t": 1.5},
    {"rule_id": "a-w", "offer_material": "aggregates", "need_material": "wood", "yield": 0.5, "resource_t": 0.7},
], )


def random_instance(seed: int, n_companies: int = 30, n_listings: int = 60):
    rng = np.random.default_rng(seed)
    companies = [(f"c{i}", 55 + rng.uniform(0, 1.0), 9 + rng.uniform(0, 1.5)) for i in range(n_companies)]
    listings = []
    for j in range(n_listings):
        kind = "offer" if rng.random() < 0.5 else "need"
        material = rng.choice(["gypsum", "aggregates"] if kind == "offer" else ["cement-raw-material", "wood"])
        listings.append((f"l{j}", f"c{rng.integers(n_companies)}", kind, str(material),
                         round(float(rng.uniform(1, 500)), 3), "t/yr"))
    registry = make_registry(companies, listings)
    return build_candidates(registry, rulebook=RULES, transport=make_transport(kg_per_tkm=0.1, detour=1.3))


@pytest.mark.parametrize("seed", range(8))
def test_ortools_min_cost_flow_matches_networkx_on_the_same_network(seed):
    cands = random_instance(seed)
    arcs = cands.arcs
    comps = find_material_components(arcs)
    assert all(comps.consistent.values())
    weights = arc_weights(arcs, "diverted") + TIE_BREAK_WEIGHT * arc_tiebreak(arcs, "diverted")
    net = build_flow_network(arcs, weights, cands.offers["quantity_canonical"], cands.needs["quantity_canonical"],
                             comps.offer_scale, comps.need_scale)
    optimal, flows = solve_flow_network(net)
    assert optimal
    ortools_cost = int(np.dot(flows, net.costs))

    g = nx.DiGraph()
    for node, supply in enumerate(net.supplies):
        g.add_node(node, demand=-int(supply))
    for t, h, cap, cost in zip(net.tails, net.heads, net.capacities, net.costs):
        g.add_edge(int(t), int(h), capacity=int(cap), weight=int(cost))
    nx_cost = nx.min_cost_flow_cost(g)
    assert ortools_cost == nx_cost
    assert ortools_cost < 0  # something is exchanged in every seeded instance


@pytest.mark.parametrize("seed", range(8))
def test_flow_and_lp_reach_the_same_objective(seed):
    cands = random_instance(seed)
    flow = solve(cands, SolveParams(solver="flow"))
    lp = solve(cands, SolveParams(solver="lp"))
    assert flow.solver == "flow" and lp.solver == "glop"
    assert flow.objective_value == pytest.approx(lp.objective_value, rel=1e-6)
