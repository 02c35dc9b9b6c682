"""The waste hierarchy and agreeing availability windows as tie-breaks, and the rules for pith,
fermentation biomass, spent yeast, spent caustic and pulping rejects: hand-solved instances on the
shipped rule book."""

import numpy as np
import pandas as pd
import pytest

from solvers.matching import match
from solvers.params import SolveParams
from solvers.solve import solve
from symbiosis.candidates import build_candidates, window_gap
from symbiosis.errors import DataError
from symbiosis.materials import MaterialCatalog, default_catalog
from symbiosis.data import read_dataset
from symbiosis.objective import TIE_BREAK_WEIGHT, USE_LEVEL_TIE_T_PER_STEP
from tests.helpers import make_registry, make_rulebook, make_transport, no_prices


def _pairs(result) -> set[tuple[str, str]]:
    return set(zip(result.exchanges["offer_id"], result.exchanges["need_id"]))


def test_the_shipped_use_levels_rank_feed_over_material_over_energy_recovery():
    catalog = default_catalog()
    ranks = catalog.use_ranks(pd.Series(["animal-feed", "fertiliser", "solid-fuel", "steam", "10 01 02"]))
    assert list(ranks) == [3, 2, 1, 0, 0]


def test_an_unknown_use_level_in_the_materials_file_is_refused_naming_the_row():
    classes = read_dataset("materials.csv").copy()
    classes.loc[2, "use_level"] = "landfill"
    with pytest.raises(DataError, match=r"materials.csv row 4 .*use_level 'landfill'"):
        MaterialCatalog(classes=classes)


def test_between_equal_uses_the_higher_in_the_hierarchy_wins_over_the_shorter_haul():
    """Paper sludge gains 1 t of waste diverted either way; the boiler is next door, the soil maker
    30 km away: the sludge goes to the soil maker, and the objective is the same 100 t."""
    registry = make_registry(
        [("mill", 56.0, 10.0), ("boiler", 56.001, 10.0), ("soil", 56.27, 10.0)],
        [("sludge", "mill", "offer", "03 03 11", 100, "t/yr"),
         ("fuel", "boiler", "need", "solid-fuel", 100, "t/yr"),
         ("soil-input", "soil", "need", "fertiliser", 100, "t/yr")],
    )
    result = match(registry=registry)
    assert _pairs(result) == {("sludge", "soil-input")}
    assert result.result.objective_value == pytest.approx(100)


def test_the_hierarchy_never_gives_up_a_real_difference_in_the_objective():
    """Energy recovery gaining 1 % more than material recovery is chosen: a step up the hierarchy is
    worth far less than that (TIE_BREAK_WEIGHT x USE_LEVEL_TIE_T_PER_STEP per tonne)."""
    assert TIE_BREAK_WEIGHT * USE_LEVEL_TIE_T_PER_STEP < 1e-3
    rules = make_rulebook([
        {"rule_id": "to-fuel", "offer_material": "03 03 11", "need_material": "solid-fuel", "waste_t": 1, "resource_t": 0.01},
        {"rule_id": "to-soil", "offer_material": "03 03 11", "need_material": "fertiliser", "waste_t": 1},
    ])
    registry = make_registry(
        [("mill", 56.0, 10.0), ("boiler", 56.1, 10.0), ("soil", 56.1, 10.01)],
        [("sludge", "mill", "offer", "03 03 11", 100, "t/yr"),
         ("fuel", "boiler", "need", "solid-fuel", 100, "t/yr"),
         ("soil-input", "soil", "need", "fertiliser", 100, "t/yr")],
    )
    cands = build_candidates(registry, rulebook=rules, transport=make_transport(), prices=no_prices())
    assert _pairs(solve(cands, SolveParams())) == {("sludge", "fuel")}


def test_bagasse_pith_is_burnt_not_pulped_and_fibre_bagasse_goes_to_pulping_first():
    registry = make_registry(
        [("sugar", 23.10, 109.59), ("pulp", 23.11, 109.59), ("boiler", 23.10, 109.60)],
        [("pith", "sugar", "offer", "bagasse-pith", 100, "t/yr"),
         ("bagasse", "sugar", "offer", "bagasse", 100, "t/yr"),
         ("fibre", "pulp", "need", "nonwood-fibre", 100, "t/yr"),
         ("fuel", "boiler", "need", "solid-fuel", 100, "t/yr")],
    )
    result = match(registry=registry)
    assert _pairs(result) == {("pith", "fuel"), ("bagasse", "fibre")}
    rules = set(result.exchanges["rule_id"])
    assert rules == {"bagasse-pith-to-solid-fuel", "bagasse-to-nonwood-fibre"}


@pytest.mark.parametrize(("offer", "need", "rule"), [
    ("fermentation-biomass", "biogas-feedstock", "fermentation-biomass-to-biogas"),
    ("fermentation-biomass", "fertiliser", "fermentation-biomass-to-fertiliser"),
    ("spent-yeast", "animal-feed", "spent-yeast-to-animal-feed"),
    ("spent-yeast", "biogas-feedstock", "spent-yeast-to-biogas"),
    ("06 02 05*", "caustic-soda", "waste-caustic-to-reuse"),
    ("03 03 07", "refuse-derived-fuel", "pulping-rejects-to-waste-fuel"),
])
def test_rules_for_fermentation_biomass_spent_yeast_spent_caustic_and_pulping_rejects(offer, need, rule):
    registry = make_registry(
        [("a", 55.60, 11.10), ("b", 55.62, 11.10)],
        [("o", "a", "offer", offer, 50, "t/yr"), ("n", "b", "need", need, 50, "t/yr")],
    )
    result = match(registry=registry)
    assert list(result.exchanges["rule_id"]) == [rule]
    assert result.exchanges["quantity"].iloc[0] == pytest.approx(50)


def test_spent_yeast_is_fed_before_it_is_digested_and_counts_its_feed_value():
    """Yeast slurry of 12 % dry matter replaces 0.12 / 0.87 t of barley per tonne: the feed need
    gains 1.1379 per tonne against 1.0639 for the biogas plant next door, so the yeast is fed."""
    registry = make_registry(
        [("brewery", 56.0, 10.0), ("biogas", 56.001, 10.0), ("farm", 56.1, 10.0)],
        [("yeast", "brewery", "offer", "spent-yeast", 100, "t/yr"),
         ("gas", "biogas", "need", "biogas-feedstock", 100, "t/yr"),
         ("feed", "farm", "need", "animal-feed", 100, "t/yr")],
    )
    result = match(registry=registry)
    assert _pairs(result) == {("yeast", "feed")}
    exchange = result.exchanges.iloc[0]
    assert exchange["resource_t"] == pytest.approx(13.79)
    assert result.result.objective_value == pytest.approx(113.79, rel=1e-4)


def test_window_gap_is_zero_for_agreeing_windows_and_one_for_windows_ten_years_apart():
    inf = np.inf
    o_from = np.array([100.0, -inf, -inf, 0.0, 0.0, 0.0])
    o_to = np.array([200.0, inf, inf, inf, inf, 10_000.0])
    n_from = np.array([100.0, -inf, 0.0, 0.0, 6575.0, 20_000.0])
    n_to = np.array([200.0, inf, inf, inf, inf, 30_000.0])
    gap = window_gap(o_from, o_to, n_from, n_to)
    assert gap[:2].tolist() == [0.0, 0.0]  # same days; both open on both sides
    assert gap[2] == pytest.approx(0.5)  # an open start against a dated one counts as the cap
    assert gap[3] == 0.0
    assert gap[4] == pytest.approx(0.5)  # starts 18 years apart: capped at ten
    assert gap[5] == pytest.approx(1.0)


def _two_dated_pairs(far: float, swap: bool) -> set[tuple[str, str]]:
    """Two fertiliser offers, one listed from 2000, one from 2018 (the other way round with
    ``swap``), and a farm with two fertiliser needs listed from those years; the second offer's
    site is ``far`` degrees of latitude further from the farm."""
    early, late = ("2018-01-01", "2000-08-01") if swap else ("2000-08-01", "2018-01-01")
    registry = make_registry(
        [("refinery", 55.60, 11.10), ("biogas", 55.60 - far, 11.10), ("farm", 55.65, 11.10)],
        [("ats", "refinery", "offer", "fertiliser", 100, "t/yr", {"available_from": early}),
         ("digestate", "biogas", "offer", "fertiliser", 100, "t/yr", {"available_from": late}),
         ("farm-2000", "farm", "need", "fertiliser", 100, "t/yr", {"available_from": "2000-08-01"}),
         ("farm-2018", "farm", "need", "fertiliser", 100, "t/yr", {"available_from": "2018-01-01"})],
    )
    return _pairs(match(registry=registry))


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("far", [0.0, 0.2])
def test_between_exchanges_equal_in_every_other_respect_the_agreeing_windows_pair_up(far, swap):
    """Either pairing gives the same objective and the same total haul (both needs are at one
    farm), so only the windows tell them apart, whichever way round the offers are dated."""
    expected = {("ats", "farm-2018"), ("digestate", "farm-2000")} if swap else {("ats", "farm-2000"), ("digestate", "farm-2018")}
    assert _two_dated_pairs(far, swap) == expected


def test_a_shorter_haul_wins_over_agreeing_windows():
    """One offer, two needs of the same material: the need whose window agrees is 30 km further
    away, so the nearer need with a window ten years off takes the offer."""
    registry = make_registry(
        [("plant", 56.0, 10.0), ("near", 56.01, 10.0), ("far", 56.28, 10.0)],
        [("ash", "plant", "offer", "fertiliser", 100, "t/yr", {"available_from": "2020-01-01"}),
         ("near-need", "near", "need", "fertiliser", 100, "t/yr", {"available_from": "2010-01-01"}),
         ("far-need", "far", "need", "fertiliser", 100, "t/yr", {"available_from": "2020-01-01"})],
    )
    assert _pairs(match(registry=registry)) == {("ash", "near-need")}
