"""Greedy baseline: take arcs best gain per unit first, as much as both listings still allow."""

from __future__ import annotations

import numpy as np
import pandas as pd

from symbiosis.options import LOT_TOL, ListingRules


def solve_greedy(
    arcs: pd.DataFrame,
    weights: np.ndarray,
    offer_quantity: pd.Series,
    need_quantity: pd.Series,
    *,
    link_weights: np.ndarray | None = None,
    rules: ListingRules | None = None,
    locked: np.ndarray | None = None,
) -> np.ndarray:
    """Canonical offer units per arc, chosen greedily: locked arcs first, then best weight per
    unit (shorter first on ties). An arc is taken only if it respects both listings' minimum
    lots, partner limits and all-or-nothing rule and gains more than its link cost."""
    n_arcs = len(arcs)
    flows = np.zeros(n_arcs)
    if n_arcs == 0:
        return flows
    weights = np.asarray(weights, dtype=float)
    link = np.zeros(n_arcs) if link_weights is None else np.asarray(link_weights, dtype=float)
    locked = np.zeros(n_arcs, bool) if locked is None else np.asarray(locked, dtype=bool)
    offer_codes, offer_ids = pd.factorize(arcs["offer_id"])
    need_codes, need_ids = pd.factorize(arcs["need_id"])
    total_offer = offer_quantity.reindex(offer_ids).to_numpy(dtype=float)
    total_need = need_quantity.reindex(need_ids).to_numpy(dtype=float)
    left_offer, left_need = total_offer.copy(), total_need.copy()
    zeros, infs, false = np.zeros(n_arcs), np.full(n_arcs, np.inf), np.zeros(n_arcs, bool)
    o_lot = rules.offer_lot if rules else zeros
    n_lot = rules.need_lot if rules else zeros
    o_cap = np.where(rules.offer_aon, np.minimum(rules.offer_partners, 1), rules.offer_partners) if rules else infs
    n_cap = np.where(rules.need_aon, np.minimum(rules.need_partners, 1), rules.need_partners) if rules else infs
    o_aon = rules.offer_aon if rules else false
    n_aon = rules.need_aon if rules else false
    yields = arcs["yield"].to_numpy(dtype=float)
    upper = arcs["upper"].to_numpy(dtype=float)
    lock_min = arcs["lock_min"].to_numpy(dtype=float) if "lock_min" in arcs else zeros
    order = np.lexsort((arcs["distance_km"].to_numpy(), -weights, ~locked))
    # Only arcs worth taking are visited; the loop reads plain Python lists (no numpy scalar per access).
    worth = locked[order] | (weights[order] > 0)
    order = order[: int(np.argmin(worth)) if not worth.all() else len(order)]
    flows[order] = _take(
        *(np.asarray(a)[order].tolist() for a in (offer_codes, need_codes, yields, upper, weights, link, locked,
                                                   lock_min, o_cap, n_cap, o_aon, n_aon, o_lot, n_lot)),
        left_offer.tolist(), left_need.tolist(), total_offer.tolist(), total_need.tolist(),
        [0] * len(offer_ids), [0] * len(need_ids),
    )
    return flows


def _take(offer, need, yields, upper, weights, link, locked, lock_min, o_cap, n_cap, o_aon, n_aon, o_lot, n_lot,
          left_offer, left_need, total_offer, total_need, partners_offer, partners_need) -> list[float]:
    """The greedy pass over arcs in order (lists aligned with that order): the quantity each takes."""
    taken = [0.0] * len(offer)
    low = 1 - LOT_TOL
    for i in range(len(offer)):
        o, n, y = offer[i], need[i], yields[i]
        if partners_offer[o] >= o_cap[i] or partners_need[n] >= n_cap[i]:
            continue
        q = min(left_offer[o], left_need[n] / y, upper[i])
        if o_aon[i] and q < total_offer[o] * low:
            continue
        if n_aon[i] and q * y < total_need[n] * low:
            continue
        if q < o_lot[i] * low or q * y < n_lot[i] * low or q <= 0:
            continue
        if not locked[i] and weights[i] * q + link[i] <= 0:
            continue
        if locked[i] and q < lock_min[i]:
            continue
        taken[i] = q
        left_offer[o] -= q
        left_need[n] -= q * y
        partners_offer[o] += 1
        partners_need[n] += 1
    return taken
