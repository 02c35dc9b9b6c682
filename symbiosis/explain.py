"""Explanations: why a listing ended with nothing exchanged, and what each exchange is made of."""

from __future__ import annotations

import numpy as np
import pandas as pd

from symbiosis.candidates import Candidates
from symbiosis.objective import Objective

#: How many competing exchanges an "outbid" explanation names.
NAMED_COMPETITORS = 3


def explain_unmatched(
    candidates: Candidates,
    exchanges: pd.DataFrame,
    useful: np.ndarray,
    objective: str,
    *,
    usable: np.ndarray | None = None,
    losing: np.ndarray | None = None,
    link_lot: np.ndarray | None = None,
) -> pd.DataFrame:
    """Every listing with nothing exchanged, with the reason.

    Listings without candidate arcs keep the candidate search's reason. For the others, in this
    order: every candidate loses money on each unit (not worth its transport cost), or cannot
    carry enough to pay its link (not worth its link cost), each with what would make it viable;
    every candidate is below a minimum lot (its own or the partner's, or an all-or-nothing
    quantity); every candidate gains nothing under the objective; the partners it could reach
    reached their partner limit; or it was outbid: the partners used their capacity on exchanges
    worth more, which the reason names.
    """
    arcs = candidates.arcs
    usable = np.ones(len(arcs), bool) if usable is None else usable
    losing = np.zeros(len(arcs), bool) if losing is None else losing
    link_lot = np.zeros(len(arcs)) if link_lot is None else link_lot
    link_short = ~losing & (link_lot > arcs["upper"].to_numpy(dtype=float) * (1 + 1e-9))
    frames = [candidates.unmatched]
    partner_count = pd.concat([exchanges["offer_id"], exchanges["need_id"]]).value_counts()
    listings_all = pd.concat([candidates.offers, candidates.needs])
    limits = listings_all["max_partners"] if "max_partners" in listings_all else pd.Series(np.nan, index=listings_all.index)
    aon = listings_all["all_or_nothing"] if "all_or_nothing" in listings_all else pd.Series(False, index=listings_all.index)
    limits = limits.where(~aon.astype(bool), np.fmin(limits.fillna(np.inf), 1.0)).replace(np.inf, np.nan)
    full = limits.dropna()
    full = set(full.index[partner_count.reindex(full.index).fillna(0).to_numpy() >= full.to_numpy()])
    taken = exchanges.assign(_pair=exchanges["offer_id"] + " -> " + exchanges["need_id"])
    for side, listings, own, other in (
        ("offer", candidates.offers, "offer_id", "need_id"),
        ("need", candidates.needs, "need_id", "offer_id"),
    ):
        with_arcs = pd.Index(arcs[own].unique())
        idle = with_arcs.difference(pd.Index(exchanges[own].unique()))
        if idle.empty:
            continue
        mine = arcs.assign(_useful=useful, _usable=usable, _losing=losing, _link_short=link_short,
                           _link_lot=link_lot)[arcs[own].isin(idle)]
        grouped = mine.groupby(own)
        any_usable = grouped["_usable"].any()
        all_losing = grouped["_losing"].all()
        all_costly = (mine["_losing"] | mine["_link_short"]).groupby(mine[own]).all()
        any_useful = grouped["_useful"].any()
        partners = grouped[other].agg(list)
        most_upper = grouped["upper"].max()
        rivals_of = taken.groupby(other)["_pair"].agg(list)
        nearest = mine.sort_values("distance_km").drop_duplicates(own).set_index(own)
        own_lot = listings["min_lot"] if "min_lot" in listings else pd.Series(np.nan, index=listings.index)
        reasons = {}
        for listing in idle:
            reach = partners[listing]
            if not any_usable[listing] and all_losing[listing]:
                reasons[listing] = _not_worth_transport(mine[mine[own] == listing], other)
            elif not any_usable[listing] and all_costly[listing]:
                reasons[listing] = _not_worth_link(mine[(mine[own] == listing) & ~mine["_losing"]], other)
            elif not any_usable[listing]:
                lot = own_lot.get(listing, np.nan)
                most = float(most_upper[listing])
                reasons[listing] = (
                    f"below a minimum lot: the {len(reach)} partner(s) in reach can take at most "
                    f"{most:,.6g} {listings.at[listing, 'canonical_unit']}/yr"
                    + (f", its own minimum lot is {lot:g} {listings.at[listing, 'unit']}" if pd.notna(lot) else
                       ", below their minimum lot or all-or-nothing quantity")
                )
            elif not any_useful[listing]:
                reasons[listing] = f"its {len(reach)} candidate(s) in reach gain nothing under objective '{objective}'"
            elif all(p in full for p in reach):
                reasons[listing] = f"partner limit reached: {', '.join(reach[:NAMED_COMPETITORS])} already have their maximum number of partners"
            else:
                named: list[str] = []
                for partner in reach:
                    named.extend(rivals_of.get(partner, []))
                    if len(named) >= NAMED_COMPETITORS:
                        break
                reasons[listing] = (
                    f"outbid: its {len(reach)} candidate partner(s) in reach went to exchanges worth more"
                    + (f" ({', '.join(named[:NAMED_COMPETITORS])})" if named else "")
                )
        frames.append(pd.DataFrame({
            "kind": side,
            "company_id": listings.loc[idle, "company_id"],
            "material": listings.loc[idle, "material"],
            "reason": pd.Series(reasons),
            "nearest_id": nearest.loc[idle, other],
            "nearest_km": nearest.loc[idle, "distance_km"],
        }, index=idle))
    result = pd.concat([f for f in frames if not f.empty]) if any(not f.empty for f in frames) else candidates.unmatched
    result.index.name = "listing_id"
    return result


def _not_worth_transport(arcs: pd.DataFrame, other: str) -> str:
    """Why a listing's candidates all lose money, from its best one, and what would make it viable."""
    margin = arcs["value_eur"] - arcs["transport_cost_eur_per_unit"]
    best = arcs.loc[margin.idxmax()]
    loss = -float(margin.max())
    text = (f"not worth its transport cost: each unit would lose {loss:,.4g} EUR with the best partner in reach "
            f"({best[other]} at {best['distance_km']:,.1f} km by {best['transport_mode']}: "
            f"transport {best['transport_cost_eur_per_unit']:,.4g} EUR against savings of {best['value_eur']:,.4g} EUR per unit)")
    per_km = best["transport_cost_eur_per_unit"] / best["distance_km"] if best["distance_km"] > 0 else np.nan
    if best["value_eur"] > 0 and np.isfinite(per_km) and per_km > 0:
        text += f"; viable within {best['value_eur'] / per_km:,.1f} km, or with savings {loss:,.4g} EUR per unit higher"
    else:
        text += f"; viable with savings {loss:,.4g} EUR per unit higher (a higher price for the input, or disposal cost)"
    return text


def _not_worth_link(arcs: pd.DataFrame, other: str) -> str:
    """Why a listing's candidates cannot carry enough to pay their link, and what would make them viable."""
    best = arcs.loc[(arcs["upper"] / arcs["_link_lot"]).idxmax()]
    margin = float(best["value_eur"] - best["transport_cost_eur_per_unit"])
    return (f"not worth its link cost: the link with {best[other]} at {best['distance_km']:,.1f} km by "
            f"{best['transport_mode']} costs {best['link_cost_eur']:,.0f} EUR/yr, which needs at least "
            f"{best['_link_lot']:,.6g} units a year at its margin of {margin:,.4g} EUR per unit; at most "
            f"{best['upper']:,.6g} can be exchanged; viable with a link cost below {margin * best['upper']:,.0f} EUR/yr")


def explain_exchanges(exchanges: pd.DataFrame, objective: Objective | str) -> pd.Series:
    """Why each exchange was proposed, in one sentence that names neither company: the rule, the
    distance against its limit, the yield, and what it adds to the objective and the indicators.

    The one explanation of an exchange: the result files, the results workbook, round proposals
    and the ``explain`` command all use it.
    """
    objective = Objective(objective)
    if exchanges.empty:
        return pd.Series(dtype=str, index=exchanges.index)
    limit = pd.to_numeric(exchanges["max_distance_km"], errors="coerce")
    within = limit.map(lambda v: f" within the {v:,.0f} km limit" if np.isfinite(v) else "")

    def number(column: str, fmt: str = "{:,.1f}") -> pd.Series:
        return exchanges[column].astype(float).map(fmt.format)

    return (
        "rule " + exchanges["rule_id"].astype(str) + ": " + exchanges["material"].astype(str)
        + " serves a need for " + exchanges["need_material"].astype(str)
        + " (yield " + number("yield", "{:g}") + "); " + number("distance_km") + " km by "
        + exchanges["transport_mode"].astype(str) + within
        + "; it contributes " + number("objective_contribution") + f" {objective.unit} to the objective "
        + f"'{objective.value}', diverts " + number("waste_t") + " t of waste, saves "
        + number("resource_t") + " t of virgin resource, " + number("water_m3") + " m3 of fresh water and "
        + number("energy_mwh") + " MWh of energy, and avoids " + number("co2e_t") + " t CO2e net of "
        + number("transport_co2e_t", "{:,.2f}") + " t for transport."
    )
