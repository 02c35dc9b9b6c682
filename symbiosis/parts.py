"""Independent parts of a registry: listings that no compatibility rule can ever link to each other
fall in different parts, so each part can be searched and solved on its own.

Two listings share a part when a chain of compatibility rules joins their materials: an offer's
material to the need materials it may serve, those to the other offer materials that may serve
them, and so on. No candidate arc, and so no exchange or constraint, ever joins two parts, and the
engine's material components (:func:`solvers.network.find_material_components`) each lie inside one
part. Listings whose material no rule pairs with a listed partner material form one part of their
own (the candidate search gives them their reason and no arc).

>>> parts = independent_parts(registry)  # doctest: +SKIP
>>> [len(p) for p in parts]               # listing ids per part, the largest first  # doctest: +SKIP
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from symbiosis.registry import Registry
from symbiosis.rules import RuleBook, default_rulebook


def independent_parts(registry: Registry, rulebook: RuleBook | None = None) -> list[pd.Index]:
    """The listing ids of each independent part, the parts with the most listings first (ties in
    order of their first listing), each in the registry's order of listings."""
    rulebook = rulebook or default_rulebook()
    listings = registry.listings
    is_offer = (listings["kind"] == "offer").to_numpy()
    material = listings["material"].to_numpy(dtype=object)
    matches = rulebook.match_offers(pd.unique(material[is_offer]))
    matches = matches[matches["need_material"].isin(pd.unique(material[~is_offer]))]
    graph = nx.Graph()
    graph.add_edges_from(zip(zip(["offer"] * len(matches), matches["offer_material"]),
                             zip(["need"] * len(matches), matches["need_material"])))
    number = {node: n for n, nodes in enumerate(nx.connected_components(graph)) for node in nodes}
    # Per listing, its part's number; -1 for listings no rule links to any listed partner.
    codes, keys = pd.factorize(pd.MultiIndex.from_arrays([np.where(is_offer, "offer", "need"), material]))
    label = np.array([number.get(key, -1) for key in keys], dtype=np.int64)[codes]
    label[label < 0] = len(set(number.values()))  # all unlinked listings together, in one part
    sizes = np.bincount(label)
    first = np.full(len(sizes), len(label))
    np.minimum.at(first, label, np.arange(len(label)))
    order = [p for p in sorted(range(len(sizes)), key=lambda p: (-sizes[p], first[p])) if sizes[p]]
    return [listings.index[label == p] for p in order]


def registry_part(registry: Registry, listing_ids: pd.Index) -> Registry:
    """The registry of some listings alone: those listings in the registry's order and their
    companies; the notices stay with the whole registry."""
    listings = registry.listings[registry.listings.index.isin(listing_ids)]
    companies = registry.companies[registry.companies.index.isin(listings["company_id"].unique())]
    return Registry(companies=companies, listings=listings, notices=[], locale=registry.locale)
