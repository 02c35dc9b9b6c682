"""Greedy baseline: take arcs best gain per unit first, as much as both listings still allow."""

from __future__ import annotations

import numpy as np
import pandas as pd


def solve_greedy(
    arcs: pd.DataFrame, weights: np.ndarray, offer_quantity: pd.Series, need_quantity: pd.Series
) -> np.ndarray:
    """Return canonical offer units per arc chosen greedily (best weight first, shorter first on ties)."""
    flows = np.zeros(len(arcs))
    if len(arcs) == 0:
        return flows
    offer_codes, offer_ids = pd.factorize(arcs["offer_id"])
    need_codes, need_ids = pd.factorize(arcs["need_id"])
    left_offer = offer_quantity.reindex(offer_ids).to_numpy(dtype=float).copy()
    left_need = need_quantity.reindex(need_ids).to_numpy(dtype=float).copy()
    order = np.lexsort((arcs["distance_km"].to_numpy(), -np.asarray(weights)))
    yields = arcs["yield"].to_numpy(dtype=float)
    upper = arcs["upper"].to_numpy(dtype=float)
    for a, o, n, y, u, w in zip(order, offer_codes[order], need_codes[order], yields[order], upper[order],
                                np.asarray(weights)[order]):
        if w <= 0:
            break
        q = min(left_offer[o], left_need[n] / y, u)
        if q > 0:
            flows[a] = q
            left_offer[o] -= q
            left_need[n] -= q * y
    return flows
