"""The economics of an exchange: what each side pays today, and what an exchange saves and costs.

Per canonical unit of offer carried on a candidate arc:

- the receiver's saving: the need's purchase price today (its listing's ``price_eur_per_unit``, or
  the default of ``datasets/prices.csv`` for its material) times the rule's yield;
- the supplier's saving: what the offer's owner pays today to dispose of it (its listing's
  ``disposal_eur_per_unit``, or the default disposal cost of its material); negative when the owner
  sells it today (the default revenue of its material), since the exchange replaces that sale;
- the treatment cost a rule names (``treatment_eur``), and the transport cost (tonne-km by mode);
- the margin: receiver's + supplier's saving - treatment - transport. With the yearly link cost of
  the exchange (``datasets/link_costs.csv``) it gives the net benefit ``margin x quantity - link``.

Where neither the listings nor ``prices.csv`` give a side's price, the rule's own ``value_eur``
(avoided purchase plus avoided disposal, per offer unit) stands for both savings together; where
that is unknown too, the margin is unknown (NaN) and reported so, never taken as 0.

The fair price range is what the receiver may pay the supplier per offer unit so that both gain
when the supplier bears treatment, transport and link: from ``(treatment + transport + link /
quantity - supplier's saving)`` up to the receiver's saving. It is empty exactly when the net
benefit is negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from symbiosis.data import read_dataset
from symbiosis.errors import DataError
from symbiosis.materials import MaterialCatalog, default_catalog, format_ewc

#: The sides a price in ``prices.csv`` can be on.
PRICE_SIDES: tuple[str, ...] = ("need_purchase", "offer_disposal", "offer_revenue")


@dataclass(frozen=True)
class PriceBook:
    """Default prices per material and side, in EUR per canonical unit (NaN: no cited figure).

    ``table`` has the columns of ``prices.csv``: ``material`` (a class id, an exact EWC code, a
    sub-chapter ``17 01 *``, a chapter ``02 *`` or ``*`` for any non-hazardous EWC code), ``side``,
    ``eur_per_unit``.
    """

    table: pd.DataFrame

    def price(self, material: str, side: str, catalog: MaterialCatalog | None = None) -> float:
        """The most specific default price of ``material`` on ``side`` (NaN when none is known)."""
        return _most_specific(material, self._side(side), catalog or default_catalog())

    def prices(self, materials: pd.Series, side: str, catalog: MaterialCatalog | None = None) -> pd.Series:
        """:meth:`price` of each material of a series (looked up once per distinct material)."""
        catalog, rows = catalog or default_catalog(), self._side(side)
        distinct = {m: _most_specific(m, rows, catalog) for m in materials.unique()}
        return materials.map(distinct).astype(float)

    def _side(self, side: str) -> dict[str, float]:
        """The prices on one side by ``material`` key."""
        rows = self.table[self.table["side"] == side]
        return dict(zip(rows["material"], rows["eur_per_unit"].astype(float)))


def _most_specific(material: str, rows: dict[str, float], catalog: MaterialCatalog) -> float:
    """The price of the most specific key of ``rows`` that applies to ``material`` (NaN when none)."""
    for key in _lookup_keys(material, catalog):
        if key in rows:
            return rows[key]
    return float("nan")


def _lookup_keys(material: str, catalog: MaterialCatalog) -> list[str]:
    """Keys of ``prices.csv`` that apply to a material, most specific first."""
    item = catalog.get(material)
    if not item.is_ewc:
        return [material]
    code = material if " " in material else format_ewc(material)
    chapter, sub = code[:2], code[:5]
    keys = [code, f"{sub} *", f"{chapter} *"]
    return keys if item.hazardous else [*keys, "*"]


def read_price_book(table: pd.DataFrame) -> PriceBook:
    """Validate a prices table (columns ``material``, ``side``, ``eur_per_unit``; blank = unknown).

    Raises
    ------
    DataError
        When a side is unknown or a price is not a number.
    """
    frame = table.copy()
    bad_side = ~frame["side"].isin(PRICE_SIDES)
    if bad_side.any():
        raise DataError(f"prices.csv: side {frame['side'][bad_side].iloc[0]!r} is not one of {PRICE_SIDES}")
    text = frame["eur_per_unit"].astype(str).str.strip()
    values = pd.to_numeric(text.where(text != "", "nan"), errors="coerce")
    bad = values.isna() & (text != "") & (text.str.lower() != "nan")
    if bad.any():
        raise DataError(f"prices.csv: eur_per_unit {text[bad].iloc[0]!r} of {frame['material'][bad].iloc[0]!r} is not a number")
    frame["eur_per_unit"] = values.astype(float)
    return PriceBook(frame[["material", "side", "eur_per_unit"]].reset_index(drop=True))


@cache
def default_price_book() -> PriceBook:
    """The price book of the shipped ``prices.csv``."""
    return read_price_book(read_dataset("prices.csv"))


def need_prices(needs: pd.DataFrame, prices: PriceBook, catalog: MaterialCatalog | None = None) -> pd.Series:
    """What each need pays today per canonical unit: its own price, else its material's default."""
    own = needs["price_eur_per_canonical"] if "price_eur_per_canonical" in needs else pd.Series(np.nan, index=needs.index)
    return own.fillna(prices.prices(needs["material"], "need_purchase", catalog))


def offer_savings(offers: pd.DataFrame, prices: PriceBook, catalog: MaterialCatalog | None = None) -> pd.Series:
    """What each offer's owner saves per canonical unit by handing it over: its own disposal cost
    (negative: a revenue), else its material's default disposal cost, else minus its default revenue."""
    own = offers["disposal_eur_per_canonical"] if "disposal_eur_per_canonical" in offers else pd.Series(np.nan, index=offers.index)
    disposal = prices.prices(offers["material"], "offer_disposal", catalog)
    revenue = prices.prices(offers["material"], "offer_revenue", catalog)
    return own.fillna(disposal).fillna(-revenue)


def arc_savings(
    receiver_price: np.ndarray, supplier_saving: np.ndarray, yields: np.ndarray, rule_value: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per arc and canonical offer unit: the receiver's saving, the supplier's saving, and their sum.

    Where either side is unknown, the rule's ``value_eur`` (both savings together) stands for the
    sum and the unknown side stays NaN; where that is unknown too, the sum is NaN.
    """
    receiver = receiver_price * yields
    both_known = np.isfinite(receiver) & np.isfinite(supplier_saving)
    gross = np.where(both_known, receiver + supplier_saving, rule_value)
    return receiver, supplier_saving, gross


def fair_price_range(
    receiver_saving: np.ndarray, supplier_saving: np.ndarray, costs_per_unit: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per exchange: the lowest and highest price per offer unit the receiver can pay the supplier
    so that both gain, when the supplier bears ``costs_per_unit`` (treatment, transport and the link
    per unit). NaN where a side is unknown; lowest above highest when the exchange loses money."""
    return costs_per_unit - supplier_saving, receiver_saving
