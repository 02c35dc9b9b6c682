"""Impact accounting: the exchanges table with the five effect indicators of every exchange."""

from __future__ import annotations

import numpy as np
import pandas as pd

from symbiosis.economics import fair_price_range
from symbiosis.objective import ArcObjective
from symbiosis.schema import EXCHANGE_COLUMNS, SUMMED

#: Smallest quantity (canonical units per year) that counts as an exchange; below it is solver noise.
EXCHANGE_MIN_QUANTITY = 1e-9


def build_exchanges(
    arcs: pd.DataFrame,
    flows: np.ndarray,
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    objective: ArcObjective,
    *,
    min_quantity: float = EXCHANGE_MIN_QUANTITY,
) -> pd.DataFrame:
    """Turn solver flows (canonical offer units per arc) into the exchanges table.

    ``objective`` is the arcs' :class:`~symbiosis.objective.ArcObjective`; each exchange's
    ``objective_contribution`` comes from it.

    ``quantity`` is given in the offer listing's own unit and ``need_quantity`` in the need
    listing's own unit; the indicators are per year, ``value_eur`` net of transport and link
    costs. Arcs carrying less than ``min_quantity`` are left out.
    """
    flows = np.asarray(flows, dtype=float)
    used = flows > min_quantity
    ex = arcs.loc[used].copy()
    q = flows[used]
    ex["quantity_canonical"] = q
    offer_rows = offers.loc[ex["offer_id"]]
    need_rows = needs.loc[ex["need_id"]]
    ex["quantity"] = q / offer_rows["unit_factor"].to_numpy()
    ex["unit"] = offer_rows["unit"].to_numpy()
    ex["need_quantity"] = q * ex["yield"].to_numpy() / need_rows["unit_factor"].to_numpy()
    ex["need_unit"] = need_rows["unit"].to_numpy()
    ex["transport_ttw_t"] = q * ex["transport_ttw_t_per_unit"]
    ex["transport_wtt_t"] = q * ex["transport_wtt_t_per_unit"]
    ex["transport_co2e_t"] = q * ex["transport_co2e_t_per_unit"]
    for column in ("resource_t", "water_m3", "energy_mwh", "waste_t"):
        ex[column] = q * ex[column]
    ex["co2e_t"] = q * ex["co2e_t"] - ex["transport_co2e_t"]
    link = ex["link_cost_eur"] if "link_cost_eur" in ex else 0.0
    ex["value_eur"] = q * (ex["value_eur"] - ex["transport_cost_eur_per_unit"]) - link
    ex["transport_cost_eur"] = q * ex["transport_cost_eur_per_unit"]
    for part in ("receiver_saving", "supplier_saving", "treatment_cost"):
        per_unit = ex[f"{part}_eur_per_unit"] if f"{part}_eur_per_unit" in ex else np.nan
        ex[f"{part}_eur"] = q * per_unit
    bearing = ex["treatment_cost_eur"] + ex["transport_cost_eur"] + link
    ex["fair_price_min_eur"], ex["fair_price_max_eur"] = fair_price_range(
        ex["receiver_saving_eur"] / q, ex["supplier_saving_eur"] / q, bearing / q)
    ex["objective_contribution"] = objective.contribution(flows)[used]
    if "link_cost_eur" not in ex:
        ex["link_cost_eur"] = 0.0
    return ex[list(EXCHANGE_COLUMNS) + ["quantity_canonical"]].reset_index(drop=True)


def total_indicators(exchanges: pd.DataFrame) -> dict[str, float]:
    """Totals of the five indicators, value and transport emissions over an exchanges table."""
    return {c: float(exchanges[c].sum()) for c in SUMMED}
