"""The published simbioptimize case, through the input contract alone: one link, 182.61 EUR net benefit.

The peer (a PuLP model of five Basque firms, datasets/cases/simbioptimize/README.md) finds a single
link F3 -> F2 of 1.0 t plastic scrap, total cost 4,390.39 EUR against 4,573.00 EUR with no exchange.
Here the firms' prices sit in the listings and the peer's yields, processing, transport and link
costs in the case folder's compatibility.csv, transport_modes.csv and link_costs.csv (used as
reference data); the engine uses WGS84 geodesic distances where the peer uses a sphere of radius
6,371 km (0.73988 km against 0.73939 km, 10 EUR/t-km: half a cent).
"""

import pandas as pd
import pytest

from service.files import match_files
from solvers.params import SolveParams
from symbiosis.data import dataset_path

CASE = dataset_path("cases/simbioptimize")
EXPECTED = pd.read_csv(CASE / "expected.csv").set_index("quantity")["value"]


@pytest.mark.parametrize("objective", ["value", "diverted"])
def test_simbioptimize_default_case_gives_the_peer_s_single_link_and_net_benefit(objective):
    run = match_files(companies=CASE / "companies.csv", listings=CASE / "listings.csv", reference=CASE,
                      solve_params=SolveParams(objective=objective))
    exchanges = run.match.exchanges
    assert list(zip(exchanges["supplier_id"], exchanges["receiver_id"])) == [("F3", "F2")]
    link = exchanges.iloc[0]
    assert link["quantity"] == pytest.approx(EXPECTED["link_F3_F2_quantity"], rel=1e-9)
    assert link["value_eur"] == pytest.approx(EXPECTED["net_benefit"], abs=0.01)
    assert EXPECTED["total_cost_no_exchange"] - link["value_eur"] == pytest.approx(EXPECTED["total_cost_optimum"], abs=0.01)
    # The parts of the net benefit: 960 + 50 - 20 - 7.40 - 800.
    assert link["receiver_saving_eur"] == pytest.approx(960.0)
    assert link["supplier_saving_eur"] == pytest.approx(50.0)
    assert link["treatment_cost_eur"] == pytest.approx(20.0)
    assert link["link_cost_eur"] == pytest.approx(800.0)
    assert link["fair_price_min_eur"] <= link["fair_price_max_eur"]  # both sides gain somewhere in between


def test_the_small_links_of_the_case_are_not_worth_their_link_and_say_so():
    run = match_files(companies=CASE / "companies.csv", listings=CASE / "listings.csv", reference=CASE)
    reasons = run.match.unmatched["reason"]
    assert reasons["F5-plastic-scrap"].startswith("not worth its link cost")
    assert reasons["F1-heat"].startswith("not worth its link cost") and "viable with a link cost below" in reasons["F1-heat"]
