"""A region matched one independent part at a time gives what matching it at once gives."""

import sys
from dataclasses import replace

import pandas as pd
import pytest

from solvers.decompose import PRICED_MIN_ARCS
from solvers.matching import match
from solvers.params import SolveParams
from solvers.solve import run_in_process
from symbiosis.directives import read_directives
from symbiosis.errors import InputError
from symbiosis.objective import Objective
from symbiosis.parts import independent_parts, registry_part
from symbiosis.registry import validate_tables
from symbiosis.synthetic import generate_region
from symbiosis.reference import ReferenceData
from tests.helpers import make_registry

KEY = ["offer_id", "need_id"]


@pytest.fixture(scope="module")
def region():
    return validate_tables(*generate_region(n_listings=3000, seed=5))


def _same_run(at_once, in_parts) -> None:
    pd.testing.assert_frame_equal(at_once.exchanges.sort_values(KEY).reset_index(drop=True),
                                  in_parts.exchanges.sort_values(KEY).reset_index(drop=True))
    pd.testing.assert_frame_equal(at_once.unmatched.sort_index(), in_parts.unmatched.sort_index())
    assert in_parts.result.objective_value == pytest.approx(at_once.result.objective_value, rel=1e-12)
    assert in_parts.result.bound == pytest.approx(at_once.result.bound, rel=1e-12)
    assert in_parts.result.status == at_once.result.status
    assert in_parts.result.solver == at_once.result.solver
    for key in ("counts", "totals", "unknown", "status", "notices"):
        assert in_parts.summary[key] == at_once.summary[key], key
    assert in_parts.summary["solver_details"]["components"] == at_once.summary["solver_details"]["components"]


def test_parts_cover_every_listing_once_and_no_arc_joins_two(region):
    parts = independent_parts(region)
    assert len(parts) > 2
    ids = pd.Index([i for p in parts for i in p])
    assert ids.is_unique and set(ids) == set(region.listings.index)
    assert [len(p) for p in parts] == sorted((len(p) for p in parts), reverse=True)
    part_of = pd.Series({i: n for n, p in enumerate(parts) for i in p})
    arcs = match(registry=region).candidates.arcs
    assert len(arcs)
    assert (part_of[arcs["offer_id"].astype(str)].to_numpy() == part_of[arcs["need_id"].astype(str)].to_numpy()).all()


@pytest.mark.parametrize("objective", [Objective.DIVERTED, Objective.VALUE])
def test_a_run_in_parts_gives_the_exchanges_and_reasons_of_a_run_at_once(region, objective):
    params = SolveParams(objective=objective)
    at_once = match(registry=region, solve_params=params)
    in_parts = match(registry=region, solve_params=params, in_parts=True)
    assert len(at_once.exchanges) > 100 and len(at_once.unmatched) > 10
    _same_run(at_once, in_parts)
    assert in_parts.result.details["parts"] == len(independent_parts(region))
    assert in_parts.candidates.arcs.empty  # no part's arcs are kept
    assert in_parts.summary["counts"]["candidate_arcs"] == len(at_once.candidates.arcs)
    assert in_parts.parameters["in_parts"] and not at_once.parameters["in_parts"]
    seen = []
    from solvers import match_in_parts

    again = match_in_parts(registry=region, solve_params=params, progress=lambda *p: seen.append(p))
    pd.testing.assert_frame_equal(again.exchanges, in_parts.exchanges)
    parts = in_parts.result.details["parts"]
    assert seen == [("parts", done, parts) for done in range(parts + 1)]  # a bar from 0 to every part


def test_directives_and_lots_hold_in_parts(region):
    listings = region.listings.copy()
    offers = listings.index[listings["kind"] == "offer"]
    listings.loc[offers[::3], "min_lot"] = listings.loc[offers[::3], "quantity_canonical"] * 0.4
    with_lots = type(region)(companies=region.companies, listings=listings)
    exchanges = match(registry=with_lots).exchanges
    first, second = exchanges.iloc[0], exchanges.iloc[len(exchanges) // 2]
    directives = read_directives(pd.DataFrame([
        {"action": "forbid", "offer_id": first["offer_id"], "need_id": first["need_id"]},
        {"action": "lock", "offer_id": second["offer_id"], "need_id": second["need_id"]},
        {"action": "forbid", "supplier_id": exchanges.iloc[3]["supplier_id"],
         "receiver_id": exchanges.iloc[3]["receiver_id"]},
    ]), with_lots)
    at_once = match(registry=with_lots, directives=directives)
    in_parts = match(registry=with_lots, directives=directives, in_parts=True)
    _same_run(at_once, in_parts)
    pairs = set(zip(in_parts.exchanges["offer_id"], in_parts.exchanges["need_id"]))
    assert (first["offer_id"], first["need_id"]) not in pairs
    assert (second["offer_id"], second["need_id"]) in pairs


def test_a_bad_lock_is_refused_before_any_part_is_searched():
    registry = make_registry(
        [("A", 55.0, 10.0), ("B", 55.01, 10.0), ("C", 55.02, 10.0)],
        [("o1", "A", "offer", "10 01 01", 100, "t/yr"), ("n1", "B", "need", "10 01 01", 100, "t/yr"),
         ("o2", "C", "offer", "19 12 02", 50, "t/yr"), ("n2", "B", "need", "19 12 02", 50, "t/yr")],
    )
    assert len(independent_parts(registry)) == 2
    directives = read_directives(pd.DataFrame([{"action": "lock", "offer_id": "o1", "need_id": "n2"}]), registry)
    reference = ReferenceData.shipped()
    with pytest.raises(InputError, match="no compatibility rule") as at_once:
        match(registry=registry, directives=directives, reference=reference)
    with pytest.raises(InputError, match="no compatibility rule") as in_parts:
        match(registry=registry, directives=directives, reference=reference, in_parts=True)
    assert str(in_parts.value) == str(at_once.value)


def test_listings_no_rule_links_share_one_part_and_keep_their_reason():
    registry = make_registry(
        [("A", 55.0, 10.0), ("B", 55.01, 10.0)],
        [("o1", "A", "offer", "10 01 01", 100, "t/yr"), ("n1", "B", "need", "10 01 01", 100, "t/yr"),
         ("o2", "A", "offer", "19 12 02", 50, "t/yr"), ("n2", "B", "need", "02 01 03", 50, "t/yr")],
    )
    parts = independent_parts(registry)
    assert [sorted(p) for p in parts] == [["n1", "o1"], ["n2", "o2"]]  # o2 and n2: no rule links either
    assert list(registry_part(registry, parts[1]).listings.index) == ["o2", "n2"]
    at_once, in_parts = match(registry=registry), match(registry=registry, in_parts=True)
    _same_run(at_once, in_parts)
    assert set(in_parts.unmatched.index) == {"o2", "n2"}


def test_the_milp_time_limit_is_shared_as_the_parts_come(region, monkeypatch):
    """Each part's MILPs get what those of the parts before left, never less than a tenth."""
    import solvers.matching as matching

    budgets = []
    real_solve = matching.solve

    def spy(candidates, params, *, run_tasks=None, milp_budget_s=None):
        budgets.append(milp_budget_s)
        assert run_tasks is run_in_process  # no worker process's memory on top
        assert params.priced_relaxation_from_arcs == PRICED_MIN_ARCS  # large relaxations by pricing
        result = real_solve(candidates, params, run_tasks=run_tasks, milp_budget_s=milp_budget_s)
        return replace(result, details={**result.details, "milp_seconds": 8.0})  # as if every part's MILPs took 8 s

    real = match(registry=region, in_parts=True).result.details
    assert 0 < real["milp_seconds"] < 60  # the synthetic region's one discrete part, timed
    monkeypatch.setattr(matching, "solve", spy)
    run = match(registry=region, solve_params=SolveParams(time_limit_s=20.0), in_parts=True)
    assert budgets[:4] == [20.0, 12.0, 4.0, 2.0] and set(budgets[3:]) == {2.0}  # a tenth of 20 s at least
    assert run.result.details["milp_seconds"] == 8.0 * len(budgets)


def test_a_grade_too_low_is_told_against_the_whole_region():
    """A hot-water offer whose only heat partner wants steam sits alone in its part: its reason
    still names the steam need of the region, as in a run at once."""
    registry = make_registry(
        [("A", 55.0, 10.0), ("B", 55.005, 10.0), ("C", 55.01, 10.0)],
        [("steam", "A", "offer", "steam", 5000, "MWh/yr"), ("hot", "C", "offer", "hot-water", 5000, "MWh/yr"),
         ("wants-steam", "B", "need", "steam", 3000, "MWh/yr")],
    )
    assert len(independent_parts(registry)) == 2
    at_once, in_parts = match(registry=registry), match(registry=registry, in_parts=True)
    _same_run(at_once, in_parts)
    assert "grade" in in_parts.unmatched.loc["hot", "reason"]
    with pytest.raises(ValueError, match="keeps no candidate arcs"):
        in_parts.graph()
    assert at_once.graph().number_of_edges() == len(at_once.candidates.arcs)


def test_each_part_hands_its_freed_memory_back(region, monkeypatch):
    import solvers.worker as worker

    if sys.platform.startswith("linux"):  # glibc's malloc_trim is found and hands memory back
        assert worker._malloc_trim() is not None and worker.return_freed_memory() is True
    calls = []
    monkeypatch.setattr(worker, "return_freed_memory", lambda: calls.append(1) or True)
    run = match(registry=region, in_parts=True)
    assert len(calls) == run.result.details["parts"]
