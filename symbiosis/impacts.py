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


def arc_weights(arcs: pd.DataFrame, objective: Objective | str) -> np.ndarray:
    """Objective contribution per canonical unit of offer on each arc (to be maximised)."""
    objective = Objective(objective)
    if objective is Objective.DIVERTED:
        weight = arcs["waste_t"] + arcs["resource_t"]
    elif objective is Objective.CO2:
        weight = arcs["co2e_t"] - arcs["transport_co2e_t_per_unit"]
    else:
        weight = arcs["value_eur"] - arcs["transport_cost_eur_per_unit"]
    return weight.to_numpy(dtype=float)


def arc_tiebreak(arcs: pd.DataFrame, objective: Objective | str) -> np.ndarray:
    """Secondary contribution per unit: less transport emission is better (zero where the
    objective already counts transport emissions)."""
    if Objective(objective) is Objective.CO2:
        return np.zeros(len(arcs))
    return -arcs["transport_co2e_t_per_unit"].to_numpy(dtype=float)


EXCHANGE_COLUMNS: tuple[str, ...] = (
    "offer_id", "need_id", "supplier_id", "receiver_id", "material", "quantity", "unit",
    "need_material", "need_quantity", "need_unit", "distance_km", "transport_mode", "transport_co2e_t",
    *INDICATORS, "value_eur", "transport_ttw_t", "transport_wtt_t", "rule_id", "yield", "max_distance_km",
    "geodesic_km", "objective_contribution",
)


def build_exchanges(
    arcs: pd.DataFrame,
    flows: np.ndarray,
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    objective: Objective | str,
    *,
    min_quantity: float = 1e-9,
) -> pd.DataFrame:
    """Turn solver flows (canonical offer units per arc) into the exchanges table.

    ``quantity`` is given in the offer listing's own unit and ``need_quantity`` in the need
    listing's own unit; the indicators are per year. Arcs carrying less than ``min_quantity``
    are left out.
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
    ex["value_eur"] = q * (ex["value_eur"] - ex["transport_cost_eur_per_unit"])
    ex["objective_contribution"] = q * arc_weights(arcs.loc[used], objective)
    return ex[list(EXCHANGE_COLUMNS) + ["quantity_canonical"]].reset_index(drop=True)


def total_indicators(exchanges: pd.DataFrame) -> dict[str, float]:
    """Totals of the five indicators, value and transport emissions over an exchanges table."""
    columns = [*INDICATORS, "value_eur", "transport_co2e_t", "transport_ttw_t", "transport_wtt_t"]
    return {c: float(exchanges[c].sum()) for c in columns}
