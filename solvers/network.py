"""Split the candidate arcs into independent material components and find flow scalings.

Two arcs interact only through a shared listing, and listings of one material always share the
same compatible partners' materials, so the arcs split into components of the *material* graph
(offer materials and need materials linked by the rules in use). A component can be solved as a
pure min-cost flow when its yields are consistent: there is a scale ``s`` per material with
``yield = s(offer material) / s(need material)`` on every arc, so that measuring each listing in
scaled units makes every yield 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from symbiosis.candidates import codes_of, pair_keys

#: Relative tolerance for yields to count as consistent.
YIELD_RTOL = 1e-9


@dataclass(frozen=True)
class MaterialComponents:
    """Component label of every arc, and per arc the offer and need scales (NaN where the
    component's yields are not consistent)."""

    label: np.ndarray
    consistent: dict[int, bool]
    offer_scale: np.ndarray
    need_scale: np.ndarray


def find_material_components(arcs: pd.DataFrame) -> MaterialComponents:
    """Label each arc with its material component and compute flow scalings where they exist."""
    # Materials by integer codes (the arcs' categoricals): the distinct links are found among integers.
    o_codes, o_keys = codes_of(arcs["material"])
    n_codes, n_keys = codes_of(arcs["need_material"])
    yields = arcs["yield"].to_numpy(dtype=float)
    pair, first = _first_of_pairs(o_codes, n_codes, len(n_keys))
    if np.array_equal(yields, yields[first][pair]):  # one yield per material pair, as one rule gives
        distinct = pd.DataFrame({"o": o_codes[first], "n": n_codes[first], "y": yields[first]})
    else:
        distinct = pd.DataFrame({"o": o_codes, "n": n_codes, "y": yields}).drop_duplicates()
    links = pd.DataFrame({"material": o_keys.to_numpy(dtype=object)[distinct["o"].to_numpy()],
                          "need_material": n_keys.to_numpy(dtype=object)[distinct["n"].to_numpy()],
                          "yield": distinct["y"].to_numpy()})
    g = nx.Graph()
    for material, need_material, y in links.itertuples(index=False):
        g.add_edge(("offer", material), ("need", need_material), log_yield=math.log(y))
    comp_of: dict[tuple[str, str], int] = {}
    log_scale: dict[tuple[str, str], float] = {}
    consistent: dict[int, bool] = {}
    for number, nodes in enumerate(nx.connected_components(g)):
        root = min(nodes)
        log_scale[root] = 0.0
        for parent, child in nx.bfs_edges(g, root):
            step = g.edges[parent, child]["log_yield"]
            # s(need) = s(offer) / yield  <=>  log s(need) = log s(offer) - log yield
            log_scale[child] = log_scale[parent] - step if parent[0] == "offer" else log_scale[parent] + step
        ok = all(
            abs(log_scale[("offer", m)] - log_scale[("need", n)] - math.log(y)) <= YIELD_RTOL
            for m, n, y in links[links["material"].isin([k for s, k in nodes if s == "offer"])].itertuples(index=False)
        )
        consistent[number] = ok
        for node in nodes:
            comp_of[node] = number
    offer_comp = {k: c for (side, k), c in comp_of.items() if side == "offer"}
    offer_log = {k: v for (side, k), v in log_scale.items() if side == "offer"}
    need_log = {k: v for (side, k), v in log_scale.items() if side == "need"}
    # Per arc by integer codes of its materials: one dictionary look-up per material, not per arc
    # (a material without arcs, among a categorical's labels, gets no component).
    label = np.array([offer_comp.get(k, -1) for k in o_keys], dtype=np.int64)[o_codes]
    ok_arc = np.array([consistent[c] for c in range(len(consistent))], dtype=bool)[label]
    o_log = np.array([offer_log.get(k, np.nan) for k in o_keys], dtype=float)[o_codes]
    n_log = np.array([need_log.get(k, np.nan) for k in n_keys], dtype=float)[n_codes]
    offer_scale = np.where(ok_arc, np.exp(o_log), np.nan)
    need_scale = np.where(ok_arc, np.exp(n_log), np.nan)
    return MaterialComponents(label=label, consistent=consistent, offer_scale=offer_scale, need_scale=need_scale)


def _first_of_pairs(o_codes: np.ndarray, n_codes: np.ndarray, n_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Per arc the number of its (offer material, need material) pair, and per pair in order of
    first appearance the position of its first arc."""
    pair, uniques = pd.factorize(pair_keys(o_codes, n_codes, n_count))
    first = np.full(len(uniques), len(pair), dtype=np.int64)
    np.minimum.at(first, pair, np.arange(len(pair), dtype=np.int64))
    return pair, first
