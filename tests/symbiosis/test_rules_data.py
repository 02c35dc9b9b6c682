"""The shipped rule book and material classes: references, factors, sources, grades, coverage."""

from __future__ import annotations

import math

import numpy as np

import pandas as pd
import pytest

from benchmarks.coverage import coverage, read_mapping
from symbiosis.data import read_dataset
from symbiosis.errors import DataError
from symbiosis.materials import MaterialCatalog, default_catalog
from symbiosis.rules import FACTOR_COLUMNS, default_rulebook, read_rulebook

WATER_REUSE_CLASSES = {"demineralised-water", "process-water", "cooling-water", "treated-effluent"}


def _rule_frame(**overrides) -> pd.DataFrame:
    row = {"rule_id": "r", "offer_material": "cooling-water", "need_material": "cooling-water", "yield": "1",
           "max_distance_km": "10", "transport_mode": "pipeline", "resource_t": "0", "water_m3": "1",
           "co2e_t": "", "energy_mwh": "", "waste_t": "0", "value_eur": "", "quality_note": "", "source": "test"}
    row.update(overrides)
    return pd.DataFrame([row])


def _same_code() -> pd.DataFrame:
    frame = _rule_frame(rule_id="same-ewc-code").drop(columns=["offer_material", "need_material"])
    return frame


def test_every_rule_names_known_materials():
    catalog, rules = default_catalog(), default_rulebook().rules
    assert rules["need_material"].isin(catalog.classes).all()
    classes = rules[rules["offer_level"] == "class"]
    assert classes["offer_key"].isin(catalog.classes).all()
    codes = rules[rules["offer_level"] == "code"]
    assert codes["offer_key"].isin(catalog.ewc).all()


def test_every_factor_cell_is_a_number_or_empty():
    for name in ("compatibility.csv", "same_code_reuse.csv"):
        raw = read_dataset(name)
        for column in FACTOR_COLUMNS:
            for rule_id, text in zip(raw["rule_id"], raw[column]):
                if text.strip():
                    assert math.isfinite(float(text)), (name, rule_id, column)


def test_every_rule_has_a_source_and_names_its_unknowns():
    table = default_rulebook().rule_table()
    assert (table["source"].str.strip().str.len() > 20).all()
    for rule_id in default_rulebook().unknown_factors().index:
        assert "unknown" in table.at[rule_id, "source"].lower(), rule_id


def test_empty_factor_is_read_as_unknown_not_zero():
    book = read_rulebook(_rule_frame(), _same_code())
    assert math.isnan(book.rules.at["r", "co2e_t"])
    assert book.rules.at["r", "water_m3"] == 1.0
    assert book.unknown_factor_report()["r"] == ["co2e_t", "energy_mwh", "value_eur"]


def test_a_factor_that_is_not_a_number_is_an_error_naming_rule_and_column():
    with pytest.raises(DataError, match=r"rule 'r', column 'co2e_t' is not a number: 'abc'"):
        read_rulebook(_rule_frame(co2e_t="abc"), _same_code())


def test_yield_may_not_be_unknown():
    with pytest.raises(DataError, match=r"column 'yield' is empty"):
        read_rulebook(_rule_frame(**{"yield": ""}), _same_code())


def test_shipped_unknowns_are_reported():
    report = default_rulebook().unknown_factor_report()
    assert "co2e_t" in report["same-ewc-code"]
    assert "value_eur" in report["cooling-water-reuse"]
    assert "steam-to-steam" not in report


def test_grade_rules_never_serve_a_higher_grade_without_treatment():
    catalog = default_catalog()
    table = default_rulebook().rules
    for rule_id, row in table[table["offer_level"] == "class"].iterrows():
        offer, need = catalog.classes[row["offer_key"]], catalog.classes[row["need_material"]]
        if offer.grade_family and offer.grade_family == need.grade_family and offer.grade_rank < need.grade_rank:
            assert row["treatment"], rule_id


def test_a_rule_to_a_higher_grade_without_treatment_is_rejected():
    frame = _rule_frame(offer_material="treated-effluent", need_material="demineralised-water")
    with pytest.raises(DataError, match="without naming a treatment"):
        read_rulebook(frame, _same_code())
    treated = read_rulebook(_rule_frame(offer_material="treated-effluent", need_material="demineralised-water",
                                        treatment="reverse osmosis", treatment_eur="0.5"), _same_code())
    assert treated.rules.at["r", "treatment_eur"] == 0.5


def test_grades_of_water_and_heat():
    catalog = default_catalog()
    rank = {key: m.grade_rank for key, m in catalog.classes.items() if m.grade_family}
    assert rank["demineralised-water"] > rank["process-water"] > rank["raw-water"] > rank["cooling-water"] > rank["treated-effluent"]
    assert rank["high-pressure-steam"] > rank["steam"] > rank["low-pressure-steam"] > rank["hot-water"] > rank["low-grade-heat"]


def test_grade_family_without_rank_is_an_error():
    classes = read_dataset("materials.csv").copy()
    classes.loc[classes["material_id"] == "steam", "grade_rank"] = ""
    with pytest.raises(DataError, match="grade_family and grade_rank must be given together"):
        MaterialCatalog(classes=classes)


def test_water_reuse_rules_save_fresh_water():
    table = default_rulebook().rules
    water = table[(table["offer_level"] == "class") & table["offer_key"].isin(WATER_REUSE_CLASSES)
                  & table["need_material"].isin(WATER_REUSE_CLASSES)]
    assert len(water) >= 6
    assert (water["water_m3"] > 0).all()
    # a shared fresh-water supply saves no fresh water, and says so with a 0
    assert table.at["raw-water-supply", "water_m3"] == 0


def test_isdata_coverage_is_at_least_ninety_percent():
    result = coverage()
    assert result.share >= 0.9
    assert result.rows_expressible > 250
    assert set(result.uncovered["offer_material"] + " -> " + result.uncovered["need_material"]) >= {"02 01 06 -> animal-feed"}


def test_coverage_mapping_rejects_a_row_without_reason(tmp_path):
    mapping = read_dataset("isdata_mapping.csv").copy()
    mapping.loc[0, "reason"] = ""
    path = tmp_path / "mapping.csv"
    mapping.to_csv(path, index=False)
    with pytest.raises(DataError, match="row 2, column 'reason' is empty"):
        read_mapping(path)


def test_datasets_readme_lists_every_rule_with_an_unknown_factor():
    from symbiosis.data import datasets_dir

    text = (datasets_dir() / "README.md").read_text(encoding="utf-8")
    section = text.split("## Unknown factors", 1)[1].split("\n## ", 1)[0]
    missing = [rule_id for rule_id in default_rulebook().unknown_factors().index if f"`{rule_id}`" not in section]
    assert not missing
    assert default_rulebook().unknown_factor_markdown() in section  # generated, so it cannot drift


@pytest.mark.parametrize(("offer", "need", "rule"), [
    ("16 01 17", "metal-scrap", "elv-ferrous-to-metal-scrap"),
    ("19 10 02", "metal-scrap", "shredder-nonferrous-to-metal-scrap"),
    ("17 01 02", "aggregates", "bricks-to-aggregates"),
    ("19 12 01", "paper-fibre", "sorted-paper-to-paper-fibre"),
    ("19 12 05", "glass-cullet", "sorted-glass-to-cullet"),
    ("20 02 01", "fertiliser", "garden-waste-to-compost"),
    ("19 08 09", "biogas-feedstock", "grease-trap-fat-to-biogas"),
    ("19 09 03", "calcium-carbonate", "softening-sludge-to-calcium-carbonate"),
    ("16 08 04", "cement-raw-material", "fcc-catalyst-to-cement-raw-meal"),
    ("19 12 12", "refuse-derived-fuel", "sorting-residue-to-energy-recovery"),
    ("13 02 05", "liquid-fuel", "used-oil-130205-to-liquid-fuel"),
    ("13 02 06", "liquid-fuel", "used-oil-130206-to-liquid-fuel"),
    ("13 02 07", "liquid-fuel", "used-oil-130207-to-liquid-fuel"),
    ("03 03 01", "solid-fuel", "pulp-mill-bark-to-solid-fuel"),
    ("03 03 01", "biomass", "pulp-mill-bark-to-biomass"),
    ("10 02 02", "cement-raw-material", "slag-to-cement-raw-meal"),
    ("10 01 17", "cement-raw-material", "coincineration-fly-ash-to-cement-raw-meal"),
    ("19 01 14", "cement-raw-material", "incineration-fly-ash-to-cement-raw-meal"),
    ("19 09 02", "cement-raw-material", "water-works-sludge-to-cement-raw-meal"),
    ("15 01 02", "refuse-derived-fuel", "plastic-packaging-to-waste-fuel"),
    ("19 12 04", "refuse-derived-fuel", "sorted-plastic-to-waste-fuel"),
])
def test_common_list_of_waste_entries_have_the_route_of_their_material(offer, need, rule):
    """Entries that name a known material from another source (end-of-life vehicles, shredders,
    sorting plants, water works) take that material's route, with its factors."""
    book = default_rulebook()
    assert book.rule_for(offer, need) == rule
    table = book.rule_table()
    assert "applied to List of Waste entry " + offer in table.loc[rule, "source"]


def test_a_rule_without_waste_t_is_a_data_error():
    """Exchanges store what they divert; 0 is written where the material is no waste."""
    from symbiosis.data import read_dataset
    from symbiosis.errors import DataError
    from symbiosis.rules import read_rulebook

    rules = read_dataset("compatibility.csv")
    rules.loc[0, "waste_t"] = ""
    with pytest.raises(DataError, match=f"rule {rules.loc[0, 'rule_id']!r}: waste_t is empty"):
        read_rulebook(rules, read_dataset("same_code_reuse.csv"))


@pytest.mark.parametrize(("offer", "need", "rule"), [
    ("10 06 01", "aggregates", "copper-slag-to-aggregates"),
    ("10 08 09", "aggregates", "nickel-slag-to-aggregates"),
    ("10 05 01", "aggregates", "zinc-slag-to-aggregates"),
    ("10 06 01", "blasting-abrasive", "copper-slag-to-abrasive"),
    ("10 08 09", "blasting-abrasive", "nickel-slag-to-abrasive"),
    ("10 02 02", "blasting-abrasive", "iron-slag-to-abrasive"),
    ("10 01 01", "blasting-abrasive", "boiler-slag-to-abrasive"),
    ("10 04 02", "metal-bearing-residue", "lead-dross-to-metal-recovery"),
    ("10 05 03", "metal-bearing-residue", "zinc-flue-dust-to-metal-recovery"),
    ("10 06 03", "metal-bearing-residue", "copper-flue-dust-to-metal-recovery"),
    ("10 08 11", "metal-bearing-residue", "nonferrous-dross-to-metal-recovery"),
])
def test_smelter_slags_drosses_and_dusts_have_their_routes(offer, need, rule):
    book = default_rulebook()
    assert book.rule_for(offer, need) == rule
    row = book.rule_table().loc[rule]
    assert row["waste_t"] == 1
    if need == "metal-bearing-residue":  # metal content not sourced: the ore saved is unknown
        assert np.isnan(row["resource_t"]) and "Non-Ferrous Metals" in row["source"]
        return
    assert row["resource_t"] == 1
    if need == "blasting-abrasive":  # a standardised grit, but no cited CO2, energy or price
        assert "ISO 11126" in row["source"] and np.isnan(row["co2e_t"]) and np.isnan(row["value_eur"])


def test_only_granulated_blast_furnace_slag_is_credited_as_a_clinker_substitute():
    book = default_rulebook()
    table = book.rule_table()
    assert book.rule_for("granulated-blast-furnace-slag", "cement-raw-material") == "blast-furnace-slag-to-cement"
    assert table.loc["blast-furnace-slag-to-cement", "co2e_t"] == pytest.approx(0.52)
    # unprocessed slag (converter and electric-arc slag too) goes into raw meal, with no clinker credit
    assert book.rule_for("10 02 02", "cement-raw-material") == "slag-to-cement-raw-meal"
    assert np.isnan(table.loc["slag-to-cement-raw-meal", "co2e_t"])
    assert book.rule_for("granulated-blast-furnace-slag", "granulated-blast-furnace-slag") == "same-material-class"
    # a stated need for granulated slag takes 10 02 02, as waste holders state it, with the receiver's check
    assert book.rule_for("10 02 02", "granulated-blast-furnace-slag") == "unprocessed-slag-to-granulated-slag-need"
    assert "EN 15167-1" in table.loc["unprocessed-slag-to-granulated-slag-need", "quality_note"]


def test_waste_fuels_are_not_offered_to_a_plain_solid_fuel_need():
    """A need for solid fuel is a boiler that may not burn waste; a waste fuel's need is refuse-derived-fuel."""
    book = default_rulebook()
    assert book.rule_for("16 01 03", "refuse-derived-fuel") == "tyres-to-waste-fuel"
    assert book.rule_for("16 01 03", "solid-fuel") is None
    text = read_dataset("materials.csv").set_index("material_id").at["solid-fuel", "description"]
    listed, advice = text.split("Mixed waste fuels")
    assert "refuse-derived" not in listed and "tyres" not in listed and "refuse-derived-fuel" in advice


@pytest.mark.parametrize("family", ["heat", "water"])
def test_a_grade_served_through_a_treatment_is_never_worth_more_than_the_same_grade_delivered_as_it_is(family):
    """Per unit delivered, heat or water that reaches a need through an exchanger, a let-down or a heat
    pump (whose electricity is not deducted) may not count for more than the need's own grade delivered
    as it is; else a rounding of the factors would prefer the roundabout way."""
    catalog, table = default_catalog(), default_rulebook().rule_table()
    members = {key for key, m in catalog.classes.items() if m.grade_family == family}
    rules = table[(table["offer_level"] == "class") & table["offer_key"].isin(members) & table["need_material"].isin(members)]
    checked = 0
    for need in members:
        direct = rules[(rules["offer_key"] == need) & (rules["need_material"] == need)]
        if direct.empty:
            continue
        base = direct.iloc[0]
        for rule_id, rule in rules[rules["need_material"] == need].iterrows():
            for factor in ("resource_t", "water_m3", "co2e_t", "energy_mwh", "value_eur"):
                mine, theirs = rule[factor] / rule["yield"], base[factor] / base["yield"]
                if not (math.isnan(mine) or math.isnan(theirs)):
                    assert mine <= theirs * (1 + 1e-9), (rule_id, factor, mine, direct.index[0], theirs)
                    checked += 1
    assert checked > 10


def test_beverage_cartons_give_only_their_paperboard_as_fibre():
    book = default_rulebook()
    assert book.rule_for("15 01 05", "paper-fibre") == "beverage-cartons-to-paper-fibre"
    row = book.rule_table().loc["beverage-cartons-to-paper-fibre"]
    assert row["yield"] == 0.75 and row["resource_t"] == 0.75 and "ACE" in row["source"]


def test_co2_bound_in_a_carbonate_counts_as_avoided_and_co2_released_again_does_not():
    table = default_rulebook().rule_table()
    assert default_rulebook().rule_for("co2", "co2-mineralisation") == "co2-to-mineralisation"
    assert table.loc["co2-to-mineralisation", "co2e_t"] == 1.0 and table.loc["co2-to-greenhouse-beverage", "co2e_t"] == 0
