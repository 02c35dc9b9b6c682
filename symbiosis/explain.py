"""Explanations: why a listing ended with nothing exchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from symbiosis.candidates import Candidates

#: How many competing exchanges an "outbid" explanation names.
NAMED_COMPETITORS = 3


def explain_unmatched(
    candidates: Candidates, exchanges: pd.DataFrame, useful: np.ndarray, objective: str
) -> pd.DataFrame:
    """Every listing with nothing exchanged, with the reason.

    Listings without candidate arcs keep the candidate search's reason. Listings whose arcs all
    lose under the objective are "not worth it"; the rest were outbid: the partners they could
    reach used their capacity on exchanges worth more, which the reason names.
    """
    arcs = candidates.arcs
    frames = [candidates.unmatched]
    used_offers = set(exchanges["offer_id"])
    used_needs = set(exchanges["need_id"])
    for side, listings, own, other, used in (
        ("offer", candidates.offers, "offer_id", "need_id", used_offers),
        ("need", candidates.needs, "need_id", "offer_id", used_needs),
    ):
        with_arcs = pd.Index(arcs[own].unique())
        idle = with_arcs.difference(pd.Index(list(used)))
        if idle.empty:
            continue
        mine = arcs.assign(_useful=useful)[arcs[own].isin(idle)]
        worth = mine.groupby(own)["_useful"].any()
        partners = mine.groupby(own)[other].agg(list)
        taken = exchanges.assign(_pair=exchanges["offer_id"] + " -> " + exchanges["need_id"])
        rivals_of = taken.groupby(other)["_pair"].agg(list)
        nearest = mine.sort_values("distance_km").drop_duplicates(own).set_index(own)
        reasons = {}
        for listing in idle:
            reach = partners[listing]
            if not worth[listing]:
                reasons[listing] = f"its {len(reach)} candidate(s) in reach gain nothing under objective '{objective}'"
                continue
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
