"""Min-cost-flow networks number their nodes along a curve through the map; the optimum is the same."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.flow import build_flow_network, flows_to_arcs, solve_flow_network
from solvers.network import find_material_components
from solvers.params import SolveParams
from solvers.solve import SolveInputs, plan_components
from symbiosis.geo import Z_ORDER_BITS, z_order_key
from symbiosis.objective import ArcObjective
from tests.helpers import random_instance

LAT, LON = st.floats(-90, 90), st.floats(-180, 180)


def test_z_order_key_spans_the_globe_exactly_and_knows_no_missing_point():
    keys = z_order_key([-90, 90, 0, np.nan, 10], [-180, 180, 0, 5, np.nan])
    assert keys[0] == 0 and keys[1] == 2 ** (2 * Z_ORDER_BITS) - 1 < 2 ** 53
    assert np.isnan(keys[3:]).all() and np.isfinite(keys[:3]).all()
    assert keys[2] == float(int(keys[2]))  # whole numbers, exact as floats


@settings(max_examples=200, deadline=None)
@given(LAT, LON, LON)
def test_z_order_key_grows_with_longitude_at_one_latitude(lat, lon1, lon2):
    west, east = sorted((lon1, lon2))
    keys = z_order_key([lat, lat], [west, east])
    assert keys[0] <= keys[1]


def test_z_order_key_keeps_a_neighbourhood_together():
    """The four quarters of a square come one after another: every point of the south-west quarter
    before every point of the others, and so on (the points away from the square's edges)."""
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(0.01, 44.99, 400), rng.uniform(0.01, 89.99, 400)  # one cell of the curve's grid at 1/4 of the globe
    quarter = (lat > 22.5).astype(int) * 2 + (lon > 45).astype(int)
    order = np.argsort(z_order_key(lat, lon))
    assert (np.diff(quarter[order]) >= 0).all()


@pytest.mark.parametrize("seed", range(6))
def test_a_network_in_map_order_has_the_same_optimum_and_flows(seed):
    cands = random_instance(seed, n_companies=40, n_listings=120)
    arcs = cands.arcs
    comps = find_material_components(arcs)
    weights = ArcObjective.of(arcs, "diverted").effective
    inputs = SolveInputs.of(cands, SolveParams())
    assert inputs.place is not None and inputs.place.index.is_unique
    args = (arcs, weights, cands.offers["quantity_canonical"], cands.needs["quantity_canonical"],
            comps.offer_scale, comps.need_scale)
    plain, ordered = build_flow_network(*args), build_flow_network(*args, place=inputs.place)
    # The same arcs and supplies, the nodes renumbered: offers and needs in the order of their keys,
    # the sink last.
    assert ordered.num_nodes == plain.num_nodes and (ordered.capacities == plain.capacities).all()
    assert ordered.supplies[-1] == plain.supplies[-1] and sorted(ordered.supplies) == sorted(plain.supplies)
    candidate = ordered.arc_position >= 0
    offer_key = inputs.place.reindex(arcs["offer_id"].astype(str).to_numpy()[ordered.arc_position[candidate]]).to_numpy()
    need_key = inputs.place.reindex(arcs["need_id"].astype(str).to_numpy()[ordered.arc_position[candidate]]).to_numpy()
    node_key = np.full(ordered.num_nodes - 1, np.nan)
    node_key[ordered.tails[candidate]] = offer_key
    node_key[ordered.heads[candidate]] = need_key
    seen = np.isfinite(node_key)
    assert (np.diff(node_key[seen]) >= 0).all()
    assert (ordered.tails != plain.tails).any()  # the order is not that of the arcs
    (ok1, flows1), (ok2, flows2) = solve_flow_network(plain), solve_flow_network(ordered)
    assert ok1 and ok2
    assert np.dot(flows1, plain.costs) == np.dot(flows2, ordered.costs)
    np.testing.assert_allclose(flows_to_arcs(plain, flows1, len(arcs)) @ weights,
                               flows_to_arcs(ordered, flows2, len(arcs)) @ weights, rtol=1e-12)


def test_the_engine_builds_its_flow_networks_in_map_order():
    cands = random_instance(3, n_companies=40, n_listings=120)
    params = SolveParams()
    inputs = SolveInputs.of(cands, params)
    plans, _ = plan_components(inputs, params)
    flow = next(plan for plan in plans if plan.kind == "flow")
    network = flow.task(inputs, params).network
    candidate = network.arc_position >= 0
    members = flow.members[network.arc_position[candidate]]
    offers = inputs.arcs["offer_id"].astype(str).to_numpy()[members]
    by_node = dict(zip(network.tails[candidate], inputs.place.reindex(offers).to_numpy()))
    keys = [by_node[node] for node in sorted(by_node)]
    assert keys == sorted(keys)
