"""What the solver maximises: the objectives and the per-arc objective weights, computed once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np

from symbiosis.options import take
from symbiosis.schema import INDICATORS

if TYPE_CHECKING:
    import pandas as pd


class Objective(str, Enum):
    """What the solver maximises."""

    DIVERTED = "diverted"  #: tonnes of waste diverted plus virgin resource (fresh water: 1 m3 = 1 t) substituted
    CO2 = "co2"  #: net tonnes CO2e avoided, transport emissions subtracted
    VALUE = "value"  #: euros: avoided purchase and disposal, transport cost subtracted

    @property
    def unit(self) -> str:
        return {"diverted": "t/yr", "co2": "t CO2e/yr", "value": "EUR/yr"}[self.value]


#: Indicators a region can weight in the objective (co2e_t and value_eur net of transport).
WEIGHTABLE_INDICATORS: tuple[str, ...] = (*INDICATORS, "value_eur")
#: Each objective as weights on the per-unit indicators.
OBJECTIVE_WEIGHTS: dict[Objective, dict[str, float]] = {
    Objective.DIVERTED: {"waste_t": 1.0, "resource_t": 1.0, "water_m3": 1.0},
    Objective.CO2: {"co2e_t": 1.0},
    Objective.VALUE: {"value_eur": 1.0},
}
#: Relative weight of the tie-break (less transport emission) against the objective per unit.
TIE_BREAK_WEIGHT = 1e-3
#: In the tie-break, tonnes of CO2e a euro of transport and link cost per unit weighs as (1 t per
#: 10,000 EUR): it only decides between choices the objective and emissions leave equal.
COST_TIE_T_PER_EUR = 1e-4
#: Share of an arc's gain the solver gives up per grade step a flow drops (steam into a hot-water
#: need): on otherwise near-equal choices, each need gets the lowest grade that serves it, and the
#: higher grade stays for the needs that require it. The reported objective is not changed by it.
GRADE_DROP_SHARE = 0.02
#: In the tie-break, tonnes of CO2e a step up the waste hierarchy per unit weighs as (the need's
#: ``use_level`` in materials.csv, ranked in use_levels.csv: feed over material recovery over energy
#: recovery): between uses the objective leaves equal, the higher use, before the shorter haul (a
#: step outweighs about 500 km by truck). Scaled by :data:`TIE_BREAK_WEIGHT`, a step is worth
#: 5e-5 of the objective per unit, so it never gives up a real difference in the objective.
USE_LEVEL_TIE_T_PER_STEP = 0.05
#: In the tie-break, tonnes of CO2e wholly disagreeing availability windows weigh as (the arcs'
#: ``window_gap``, 0 when offer and need start and end on the same days, 1 when starts and ends are
#: ten years or more apart): between exchanges equal in every other respect, such as two needs of
#: one company for the same material, the pair whose periods agree. It weighs as about 0.1 km of
#: haul by truck, so it never outweighs a shorter haul.
WINDOW_TIE_T = 1e-5


def indicator_weights(objective: Objective | str, weights=None) -> dict[str, float]:
    """The objective's indicator weights, with a region's indicator weights set on top."""
    result = dict(OBJECTIVE_WEIGHTS[Objective(objective)])
    if weights is not None:
        result.update(weights.indicators)
    return {k: v for k, v in result.items() if v != 0}


def per_unit_indicators(arcs: pd.DataFrame) -> pd.DataFrame:
    """Per canonical unit of offer on each arc: the five indicators and value, net of transport
    (NaN where a factor is unknown)."""
    table = arcs[["resource_t", "water_m3", "energy_mwh", "waste_t"]].copy()
    table["co2e_t"] = arcs["co2e_t"] - arcs["transport_co2e_t_per_unit"]
    table["value_eur"] = arcs["value_eur"] - arcs["transport_cost_eur_per_unit"]
    return table


def material_factor(arcs: pd.DataFrame, weights=None) -> np.ndarray:
    """Per arc, the product of the weights of its offered and its needed material (default 1)."""
    if weights is None or not weights.materials:
        return np.ones(len(arcs))
    return _weight_of(arcs["material"], weights.materials) * _weight_of(arcs["need_material"], weights.materials)


def _weight_of(materials: pd.Series, weights: dict[str, float]) -> np.ndarray:
    """Per cell, the weight of its material (1 where none is given), worked out once per distinct
    material where the column is categorical."""
    if materials.dtype.name == "category":
        per_category = np.array([float(weights.get(m, 1.0)) for m in materials.cat.categories] + [1.0])
        return per_category[materials.cat.codes.to_numpy()]  # code -1 (missing) is the last: 1
    return materials.map(weights).fillna(1.0).to_numpy(float)


@dataclass(frozen=True)
class ArcObjective:
    """The objective on each candidate arc, computed once per solve.

    Attributes
    ----------
    objective
        Which objective it is.
    primary
        Contribution per canonical unit of offer carried (to be maximised).
    link
        Contribution of establishing the arc at all: minus its yearly link cost in the objective's
        value weight (zero when the objective does not count money).
    tiebreak
        Secondary contribution per unit: the higher use in the waste hierarchy, then less transport
        emission (not where the objective already counts CO2e), then less transport and link cost
        (where the objective does not count money), then availability windows that agree.
    grade_drop
        Grade steps the flow drops (0 where the materials have no grade or the same one).
    """

    objective: Objective
    primary: np.ndarray
    link: np.ndarray
    tiebreak: np.ndarray
    grade_drop: np.ndarray

    @classmethod
    def of(cls, arcs: pd.DataFrame, objective: Objective | str = Objective.DIVERTED, weights=None) -> ArcObjective:
        """The objective of ``arcs`` (a candidate arcs table) under ``objective`` and a region's ``weights``."""
        objective = Objective(objective)
        by_indicator = indicator_weights(objective, weights)
        factor = material_factor(arcs, weights)
        table = per_unit_indicators(arcs)
        primary = np.zeros(len(arcs))
        for name, w in by_indicator.items():  # an unknown factor gains nothing the solver can count on
            primary += w * np.nan_to_num(table[name].to_numpy(dtype=float), nan=0.0)
        w_value = by_indicator.get("value_eur", 0.0)
        if w_value == 0 or "link_cost_eur" not in arcs:
            link = np.broadcast_to(0.0, (len(arcs),))  # no link counts: one zero seen at every arc
        else:
            link = -w_value * arcs["link_cost_eur"].to_numpy(dtype=float) * factor
        if "co2e_t" in by_indicator:
            tiebreak = np.zeros(len(arcs))
        else:
            tiebreak = -arcs["transport_co2e_t_per_unit"].to_numpy(dtype=float)
        if "value_eur" not in by_indicator and "transport_cost_eur_per_unit" in arcs:
            # Between otherwise equal choices, the cheaper transport and link (a shorter pipe).
            link_per_unit = (arcs["link_cost_eur"] / arcs["upper"].clip(lower=1e-9)).to_numpy(dtype=float)
            cost = arcs["transport_cost_eur_per_unit"].to_numpy(dtype=float) + link_per_unit
            tiebreak = tiebreak - COST_TIE_T_PER_EUR * np.nan_to_num(cost, nan=0.0)
        if "use_rank" in arcs:
            tiebreak = tiebreak + USE_LEVEL_TIE_T_PER_STEP * arcs["use_rank"].to_numpy(dtype=float)
        if "window_gap" in arcs:
            tiebreak = tiebreak - WINDOW_TIE_T * arcs["window_gap"].to_numpy(dtype=float)
        # Grade steps as the arcs hold them (whole numbers, two bytes an arc).
        drop = arcs["grade_drop"].to_numpy() if "grade_drop" in arcs else np.zeros(len(arcs), dtype=np.int16)
        return cls(objective, primary * factor, link, tiebreak, drop)

    @property
    def effective(self) -> np.ndarray:
        """What the solver maximises per unit: the primary weight, less a share per grade step
        dropped, plus the weighted tie-break."""
        return self.effective_at(slice(None))

    def effective_at(self, positions) -> np.ndarray:
        """:attr:`effective` of the arcs at ``positions`` alone (not worked out for every arc)."""
        return (self.primary[positions] * (1 - GRADE_DROP_SHARE * self.grade_drop[positions])
                + TIE_BREAK_WEIGHT * self.tiebreak[positions])

    def subset(self, positions: np.ndarray) -> ArcObjective:
        """The objective of the arcs at ``positions``."""
        return ArcObjective(self.objective, self.primary[positions], take(self.link, positions), self.tiebreak[positions],
                            self.grade_drop[positions])

    def contribution(self, flows: np.ndarray, established: np.ndarray | None = None) -> np.ndarray:
        """Per arc: what carrying ``flows`` adds to the objective (the link counts where established,
        by default wherever the flow is positive)."""
        flows = np.asarray(flows, dtype=float)
        established = flows > 0 if established is None else established
        return flows * self.primary + np.where(established, self.link, 0.0)
