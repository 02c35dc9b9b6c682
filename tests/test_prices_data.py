"""datasets/prices.csv: default prices per material class or EWC pattern, each cited or marked unknown."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

DATASETS = Path(__file__).resolve().parent.parent / "datasets"
EWC_PATTERN = re.compile(r"^(\*|\d{2} \*|\d{2} \d{2} \*|\d{2} \d{2} \d{2})$")
SIDES = {"need_purchase", "offer_disposal", "offer_revenue"}


def _prices() -> pd.DataFrame:
    return pd.read_csv(DATASETS / "prices.csv", dtype=str, keep_default_na=False)


def test_columns_sides_and_materials():
    prices = _prices()
    assert list(prices.columns) == ["material", "side", "eur_per_unit", "unit", "price_year", "source"]
    assert set(prices["side"]) <= SIDES
    classes = set(pd.read_csv(DATASETS / "materials.csv")["material_id"])
    unknown = [m for m in prices["material"] if m not in classes and not EWC_PATTERN.match(m)]
    assert unknown == []
    assert not prices.duplicated(["material", "side"]).any()


def test_every_price_is_cited_and_every_blank_says_unknown():
    prices = _prices()
    given = prices["eur_per_unit"].str.strip() != ""
    values = pd.to_numeric(prices.loc[given, "eur_per_unit"])
    assert (values >= 0).all()
    assert prices.loc[given, "price_year"].str.fullmatch(r"\d{4}").all()
    assert (prices.loc[given, "source"].str.len() > 30).all()
    assert prices.loc[~given, "source"].str.startswith("unknown").all()


def test_units_match_the_class_canonical_unit():
    prices = _prices()
    canonical = pd.read_csv(DATASETS / "materials.csv").set_index("material_id")["canonical_unit"]
    for row in prices.itertuples(index=False):
        expected = canonical.get(row.material, "t")
        assert row.unit == f"EUR/{expected}", row
