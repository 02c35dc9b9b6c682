"""Impact accounting: objectives per arc, and the five effect indicators of every exchange."""

from __future__ import annotations

from enum import Enum

import numpy as np
import pandas as pd

#: The five effect indicators, per year, in the order reports show them.
INDICATORS: tuple[str, ...] = ("resource_t", "water_m3", "co2e_t", "energy_mwh", "waste_t")
INDICATOR_LABELS: dict[str, str] = {
    "resource_t": "virgin resource saved (t)",
    "water_m3": "fresh water saved (m3)",
    "co2e_t": "net CO2e avoided (t)",
    "energy_mwh": "energy saved (MWh)",
    "waste_t": "waste diverted (t)",
}


class Objective(str, Enum):
    """What the solver maximises."""

    DIVERTED = "diverted"  #: tonnes of waste diverted plus virgin resource substituted
    CO2 = "co2"  #: net tonnes CO2e avoided, transport emissions subtracted
    VALUE = "value"  #: euros: avoided purchase and disposal, transport cost subtracted

    @property
    def unit(self) -> str:
        return {"diverted": "t/yr", "co2": "t CO2e/yr", "value": "EUR/yr"}[self.value]


#: Indicators a region can weight in the objective (co2e_t and value_eur net of transport).
WEIGHTABLE_INDICATORS: tuple[str, ...] = (*INDICATORS, "value_eur")
#: Each objective as weights on the per-unit indicators.
OBJECTIVE_WEIGHTS: dict[Objective, dict[str, float]] = {
    Objective.DIVERTED: {"waste_t": 1.0, "resource_t": 1.0},
    Objective.CO2: {"co2e_t": 1.0},
    Objective.VALUE: {"value_eur": 1.0},
}


def indicator_weights(objective: Objective | str, weights=None) -> dict[str, float]:
    """The objective's indicator weights, with a region's indicator weights set on top."""
    result = dict(OBJECTIVE_WEIGHTS[Objective(objective)])
    if weights is not None:
        result.update(weights.indicators)
    return {k: v for k, v in result.items() if v != 0}


def per_unit_indicators(arcs: pd.DataFrame) -> pd.DataFrame:
    """Per canonical unit of offer on each arc: the five indicators and value, net of transport."""
    table = arcs[["resource_t", "water_m3", "energy_mwh", "waste_t"]].copy()
    table["co2e_t"] = arcs["co2e_t"] - arcs["transport_co2e_t_per_unit"]
    table["value_eur"] = arcs["value_eur"] - arcs["transport_cost_eur_per_unit"]
    return table


def material_factor(arcs: pd.DataFrame, weights=None) -> np.ndarray:
    """Per arc, the product of the weights of its offered and its needed material (default 1)."""
    if weights is None or not weights.materials:
        return np.ones(len(arcs))
    offered = arcs["material"].map(weights.materials).fillna(1.0)
    needed = arcs["need_material"].map(weights.materials).fillna(1.0)
    return (offered * needed).to_numpy(float)


def arc_weights(arcs: pd.DataFrame, objective: Objective | str, weights=None) -> np.ndarray:
    """Objective contribution per canonical unit of offer on each arc (to be maximised)."""
    table = per_unit_indicators(arcs)
    weight = np.zeros(len(arcs))
    for name, w in indicator_weights(objective, weights).items():
        weight += w * table[name].to_numpy(dtype=float)
    return weight * material_factor(arcs, weights)


def arc_link_weights(arcs: pd.DataFrame, objective: Objective | str, weights=None) -> np.ndarray:
    """Objective contribution of establishing each arc at all (minus its yearly link cost, in the
    objective's value weight; zero when the objective does not count money)."""
    w_value = indicator_weights(objective, weights).get("value_eur", 0.0)
    if w_value == 0 or "link_cost_eur" not in arcs:
        return np.zeros(len(arcs))
    return -w_value * arcs["link_cost_eur"].to_numpy(dtype=float) * material_factor(arcs, weights)


def arc_tiebreak(arcs: pd.DataFrame, objective: Objective | str, weights=None) -> np.ndarray:
    """Secondary contribution per unit: less transport emission is better (zero where the
    objective already counts CO2e)."""
    if "co2e_t" in indicator_weights(objective, weights):
        return np.zeros(len(arcs))
    return -arcs["transport_co2e_t_per_unit"].to_numpy(dtype=float)


#: Smallest quantity (canonical units per year) that counts as an exchange; below it is solver noise.
EXCHANGE_MIN_QUANTITY = 1e-9

EXCHANGE_COLUMNS: tuple[str, ...] = (
    "offer_id", "need_id", "supplier_id", "receiver_id", "material", "quantity", "unit",
    "need_material", "need_quantity", "need_unit", "distance_km", "transport_mode", "transport_co2e_t",
    *INDICATORS, "value_eur", "transport_ttw_t", "transport_wtt_t", "rule_id", "yield", "max_distance_km",
    "geodesic_km", "link_cost_eur", "objective_contribution",
)


def build_exchanges(
    arcs: pd.DataFrame,
    flows: np.ndarray,
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    objective: Objective | str,
    weights=None,
    *,
    min_quantity: float = EXCHANGE_MIN_QUANTITY,
) -> pd.DataFrame:
    """Turn solver flows (canonical offer units per arc) into the exchanges table.

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
    used_arcs = arcs.loc[used]
    ex["objective_contribution"] = q * arc_weights(used_arcs, objective, weights) + arc_link_weights(
        used_arcs, objective, weights
    )
    if "link_cost_eur" not in ex:
        ex["link_cost_eur"] = 0.0
    return ex[list(EXCHANGE_COLUMNS) + ["quantity_canonical"]].reset_index(drop=True)


def total_indicators(exchanges: pd.DataFrame) -> dict[str, float]:
    """Totals of the five indicators, value and transport emissions over an exchanges table."""
    columns = [*INDICATORS, "value_eur", "transport_co2e_t", "transport_ttw_t", "transport_wtt_t"]
    return {c: float(exchanges[c].sum()) for c in columns}
