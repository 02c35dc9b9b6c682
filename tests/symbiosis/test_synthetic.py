"""Tests of the synthetic region generator (symbiosis.synthetic) and its data files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from symbiosis.data import read_dataset
from symbiosis.materials import default_catalog, unit_factor
from symbiosis.synthetic import generate_region, region_bounds

COMPANY_COLUMNS = ["company_id", "name", "nace", "lat", "lon", "municipality"]
LISTING_COLUMNS = ["listing_id", "company_id", "kind", "material", "quantity", "unit"]


@pytest.fixture(scope="module")
def region_1000() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_region(n_listings=1000, seed=7)


def test_same_seed_gives_identical_frames():
    """Two calls with the same seed return identical companies and listings."""
    a_comp, a_list = generate_region(n_listings=500, seed=42)
    b_comp, b_list = generate_region(n_listings=500, seed=42)
    pd.testing.assert_frame_equal(a_comp, b_comp)
    pd.testing.assert_frame_equal(a_list, b_list)


def test_same_seed_gives_identical_frames_by_company_count():
    """Reproducibility also holds when the size is given as a number of companies."""
    a = generate_region(200, seed=3)
    b = generate_region(200, seed=3)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])


def test_different_seeds_give_different_frames():
    """Different seeds give different companies and listings."""
    a_comp, a_list = generate_region(n_listings=500, seed=1)
    b_comp, b_list = generate_region(n_listings=500, seed=2)
    assert not a_comp.equals(b_comp)
    assert not a_list.equals(b_list)


@pytest.mark.parametrize("n", [10, 11, 1000, 12345])
def test_n_listings_gives_exactly_that_many_listings(n):
    """With n_listings the result has exactly n listings and uniquely numbered ids."""
    companies, listings = generate_region(n_listings=n, seed=n)
    assert len(listings) == n
    assert listings["listing_id"].is_unique
    assert companies["company_id"].is_unique
    assert listings["listing_id"].iloc[0] == "L0000001"
    assert companies["company_id"].iloc[0] == "C000001"


def test_n_companies_gives_that_many_companies():
    """With n_companies the result has exactly that many companies."""
    companies, listings = generate_region(137, seed=5)
    assert len(companies) == 137
    assert len(listings) >= 137


def test_columns_follow_the_input_contract(region_1000):
    """Companies and listings have the contract's columns, in order, with sensible types."""
    companies, listings = region_1000
    assert list(companies.columns) == COMPANY_COLUMNS
    assert list(listings.columns) == LISTING_COLUMNS
    assert pd.api.types.is_float_dtype(companies["lat"])
    assert pd.api.types.is_float_dtype(companies["lon"])
    assert pd.api.types.is_float_dtype(listings["quantity"])
    assert companies["name"].str.contains(" company ").all()


def test_every_listing_company_exists_and_every_company_has_a_listing(region_1000):
    """Each listing names an existing company and each company has at least one listing."""
    companies, listings = region_1000
    assert set(listings["company_id"]) == set(companies["company_id"])


def test_every_company_has_a_listing_by_company_count():
    """Every company gets at least one listing when the size is a number of companies."""
    companies, listings = generate_region(2000, seed=11)
    assert set(listings["company_id"]) == set(companies["company_id"])


def test_materials_are_ewc_codes_or_classes_with_matching_units(region_1000):
    """Every material is a List of Waste code or a class of materials.csv, and its unit fits it."""
    _, listings = region_1000
    catalog = default_catalog()
    for material, unit in listings[["material", "unit"]].drop_duplicates().itertuples(index=False):
        assert catalog.normalise(material) == material
        assert unit_factor(unit, catalog.get(material)) == pytest.approx(1.0)


def test_profiles_file_names_only_known_materials_and_units():
    """Every row of profiles.csv names a known material with a unit of its dimension."""
    profiles = read_dataset("synthetic/profiles.csv")
    catalog = default_catalog()
    for row in profiles.itertuples(index=False):
        assert catalog.normalise(row.material) == row.material
        assert unit_factor(row.unit, catalog.get(row.material)) == pytest.approx(1.0)
        assert 0 < float(row.quantity_min) <= float(row.quantity_max)
        assert 0 < float(row.probability) <= 1
        assert row.kind in ("offer", "need")
        assert row.source.strip()


def test_nace_codes_exist_and_are_manufacturing_or_listed_receivers(region_1000):
    """NACE codes exist in nace_rev2.csv and are in divisions 10-33 or the listed 'other' classes."""
    companies, _ = region_1000
    nace = read_dataset("nace_rev2.csv")
    classes = set(nace.loc[nace["level"] == "4", "code"])
    branches = read_dataset("synthetic/branches.csv")
    others = set(branches.loc[branches["branch_group"] == "other", "nace_class"])
    assert set(branches["nace_class"]) <= classes
    for code in companies["nace"].unique():
        assert code in classes
        assert 10 <= int(code[:2]) <= 33 or code in others


def test_branches_cover_every_manufacturing_group():
    """branches.csv has at least 30 classes and covers every group CA to CM."""
    branches = read_dataset("synthetic/branches.csv")
    assert len(branches) >= 30
    groups = set(branches["branch_group"])
    assert {f"C{letter}" for letter in "ABCDEFGHIJKLM"} <= groups
    assert (branches["weight"].astype(float) > 0).all()
    assert branches["source"].str.strip().ne("").all()


def test_coordinates_lie_within_the_region(region_1000):
    """Every company lies inside the region's bounding box and inside a coarse Trekantomraadet box."""
    companies, _ = region_1000
    lat_min, lat_max, lon_min, lon_max = region_bounds("trekantomraadet")
    assert companies["lat"].between(lat_min - 1e-5, lat_max + 1e-5).all()
    assert companies["lon"].between(lon_min - 1e-5, lon_max + 1e-5).all()
    assert companies["lat"].between(55.0, 56.0).all()
    assert companies["lon"].between(8.7, 10.1).all()


def test_municipalities_are_the_seven_of_the_region(region_1000):
    """Companies are placed in the seven Trekantomraadet municipalities."""
    companies, _ = region_1000
    seven = {"Billund", "Fredericia", "Haderslev", "Kolding", "Middelfart", "Vejen", "Vejle"}
    assert set(companies["municipality"]) <= seven
    assert len(set(companies["municipality"])) == 7


def test_quantities_are_positive_and_finite(region_1000):
    """Every quantity is a positive finite number."""
    _, listings = region_1000
    q = listings["quantity"].to_numpy()
    assert np.isfinite(q).all()
    assert (q > 0).all()


def test_quantities_stay_within_the_profile_ranges(region_1000):
    """Quantities fall within the widest range profiles.csv gives for the material (after rounding)."""
    _, listings = region_1000
    profiles = read_dataset("synthetic/profiles.csv")
    lo = profiles.groupby("material")["quantity_min"].apply(lambda s: s.astype(float).min())
    hi = profiles.groupby("material")["quantity_max"].apply(lambda s: s.astype(float).max())
    q = listings["quantity"]
    assert (q >= listings["material"].map(lo) * 0.995).all()
    assert (q <= listings["material"].map(hi) * 1.005).all()


def test_both_kinds_present_at_1000_listings(region_1000):
    """A region of 1000 listings has both offers and needs."""
    _, listings = region_1000
    assert set(listings["kind"]) == {"offer", "need"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"n_companies": 10, "n_listings": 100},
        {"n_listings": 9},
        {"n_listings": 1_000_001},
        {"n_listings": 0},
        {"n_companies": 0},
        {"n_companies": -5},
        {"n_companies": 2.5},
        {"n_listings": "100"},
        {"n_companies": True},
        {"n_listings": 100, "region": "atlantis"},
        {"n_listings": 100, "seed": "abc"},
    ],
)
def test_bad_arguments_raise_value_error(kwargs):
    """Both or neither size, sizes out of range or of the wrong type, a bad seed and an unknown region raise ValueError."""
    with pytest.raises(ValueError):
        generate_region(**kwargs)


def test_unknown_region_message_names_known_regions():
    """The error for an unknown region names the regions that exist."""
    with pytest.raises(ValueError, match="trekantomraadet"):
        generate_region(n_listings=100, region="atlantis")


def test_generated_offers_meet_needs_through_compatibility_rules(region_1000):
    """At 1000 listings some offer can serve some need of the region under compatibility.csv."""
    try:
        from symbiosis.rules import default_rulebook  # type: ignore[attr-defined]
    except ImportError:
        default_rulebook = None
    try:
        read_dataset("compatibility.csv")
    except FileNotFoundError:
        pytest.skip("datasets/compatibility.csv is not there yet")
    if default_rulebook is None:
        pytest.skip("symbiosis.rules has no default_rulebook")
    _, listings = region_1000
    offers = listings.loc[listings["kind"] == "offer", "material"].unique()
    needs = set(listings.loc[listings["kind"] == "need", "material"])
    pairs = default_rulebook().match_offers(list(offers))
    assert pairs["need_material"].isin(needs).any()
