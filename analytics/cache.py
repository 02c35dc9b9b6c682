"""A bounded in-process cache of analytics results, valid for one version of the data.

The service computes a region's network, keystones and matches of the open listings once per
version of its data and serves them from here until the data change. The caller names the version
(any hashable key, e.g. the latest round and the count, latest ``updated_at`` and summed row versions
of companies, listings, proposals and exchanges); asking with a new version empties the cache, so a
result is never served for data it was not computed from. At most ``entries`` results are kept, the
least recently used leaving first. Results are shared between callers: they must not be changed.
Each process keeps its own cache (several workers compute a version once each).

:class:`RegionBaseline` keeps what closures and scenarios on one version of the data can share: the
region's match, solved per material component as questions reach the components.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import replace
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from solvers.matching import match
from solvers.params import SolveParams
from solvers.result import MatchResult, Status
from symbiosis.candidates import CandidateParams
from symbiosis.directives import Directives
from symbiosis.objective import Objective
from symbiosis.reference import ReferenceData
from symbiosis.registry import Registry
from symbiosis.rules import RuleBook
from symbiosis.schema import EXCHANGE_FIELDS

#: Results kept per process (network, keystones per dependency share, matches of the open listings ...).
CACHE_ENTRIES = 32


class AnalyticsCache:
    """Results by (data version, name), least recently used out, emptied when the version changes."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        if entries < 1:
            raise ValueError(f"a cache holds at least one entry, not {entries}")
        self.entries = entries
        self._version: Hashable | None = None
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._results)

    def get(self, version: Hashable, name: Hashable, compute: Callable[[], Any]) -> Any:
        """The result ``name`` for the data at ``version``: cached, or computed now and kept.

        ``compute`` runs outside the lock (two requests may compute the same result once each; both
        are right). An exception in ``compute`` is raised and nothing is kept."""
        with self._lock:
            if version != self._version:
                self._results.clear()
                self._version = version
            if name in self._results:
                self._results.move_to_end(name)
                self.hits += 1
                return self._results[name]
            self.misses += 1
        result = compute()
        with self._lock:
            if version == self._version:
                self._results[name] = result
                self._results.move_to_end(name)
                while len(self._results) > self.entries:
                    self._results.popitem(last=False)
        return result

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._results.clear()
            self._version = None


#: A node of the material graph: ``("offer", material)`` or ``("need", material)``.
Node = tuple[str, str]


def listing_nodes(listings: pd.DataFrame) -> list[Node]:
    """The material-graph node of each listing (its kind and material), in row order."""
    return list(zip(listings["kind"], listings["material"]))


def listings_in(listings: pd.DataFrame, nodes: set[Node]) -> np.ndarray:
    """Per listing, whether its material-graph node (its kind and material) is one of ``nodes``."""
    offered = {material for kind, material in nodes if kind == "offer"}
    needed = {material for kind, material in nodes if kind == "need"}
    kind, material = listings["kind"], listings["material"]
    return (((kind == "offer") & material.isin(offered)) | ((kind == "need") & material.isin(needed))).to_numpy()


def material_components(listings: pd.DataFrame, rulebook: RuleBook) -> dict[Node, int]:
    """Number the components of the material graph of ``listings``: offer and need materials linked
    where a compatibility rule pairs them, as the candidate search pairs them. A material nothing
    pairs with is in no component (its listings can have no arc)."""
    offered = listings.loc[listings["kind"] == "offer", "material"].unique()
    needed = set(listings.loc[listings["kind"] == "need", "material"].unique())
    pairs = rulebook.match_offers(offered)
    pairs = pairs[pairs["need_material"].isin(needed)]
    graph = nx.Graph()
    graph.add_edges_from((("offer", o), ("need", n)) for o, n in zip(pairs["offer_material"], pairs["need_material"]))
    return {node: number for number, nodes in enumerate(nx.connected_components(graph)) for node in nodes}


def merge_results(parts: list[MatchResult], objective: Objective) -> MatchResult:
    """The results of independent components as one: exchanges and unmatched listings together, the
    objective, bound and solve time summed, the weakest status. With no parts, a result without
    exchanges."""
    if not parts:
        empty = pd.DataFrame(columns=[c.name for c in EXCHANGE_FIELDS])
        return MatchResult(Status.OPTIMAL, objective, 0.0, 0.0, 0.0, "none", 0.0, empty,
                           pd.DataFrame(index=pd.Index([], name="listing_id")))
    order = [Status.NOT_SOLVED, Status.FEASIBLE, Status.OPTIMAL]
    status = min((p.status for p in parts), key=order.index)
    objective_value = float(sum(p.objective_value for p in parts))
    bound = float(sum(p.bound for p in parts))
    gap = abs(bound - objective_value) / max(abs(bound), 1e-9) if np.isfinite(bound) else float("nan")
    nonempty = [p.exchanges for p in parts if len(p.exchanges)] or [parts[0].exchanges]
    return MatchResult(
        status=status, objective=parts[0].objective, objective_value=objective_value, bound=bound, gap=gap,
        solver="+".join(sorted({e for p in parts for e in p.solver.split("+") if e != "none"})) or "none",
        solve_seconds=float(sum(p.solve_seconds for p in parts)),
        exchanges=pd.concat(nonempty, ignore_index=True),
        unmatched=pd.concat([p.unmatched for p in parts]))


class RegionBaseline:
    """A region's match, solved per material component as questions need it, for one version of its data.

    Listings interact only within a component of the material graph (:func:`material_components`),
    so matching the listings of some components alone gives the exchanges the whole region's match
    has in them. A closure or a scenario needs the baseline of the components it touches, and the
    region with its change matched again in those components alone; each component's baseline is
    matched once and kept here for the next question on the same data (it holds no candidate arcs).
    The components come from the rules and the materials listed, with no candidate search: one may
    hold several of the components the solve finds among the arcs, never part of one.
    """

    def __init__(self, registry: Registry, candidate_params: CandidateParams | None = None,
                 solve_params: SolveParams | None = None) -> None:
        self.registry = registry
        self.options = {"candidate_params": candidate_params, "solve_params": solve_params}
        self.objective = (solve_params or SolveParams()).objective
        self.rulebook = ReferenceData.shipped().rulebook
        self.component_of = material_components(registry.listings, self.rulebook)
        self._results: dict[int, MatchResult] = {}
        self._lock = threading.Lock()

    def check_options(self, candidate_params: CandidateParams | None, solve_params: SolveParams | None) -> None:
        """Raise ``ValueError`` when a caller asks for other parameters than this baseline was made with."""
        for name, value in (("candidate_params", candidate_params), ("solve_params", solve_params)):
            if value is not None and value != self.options[name]:
                raise ValueError(f"{name} differ from the region baseline's: make the RegionBaseline with them")

    def nodes_of(self, components: Iterable[int]) -> set[Node]:
        """The nodes of these components."""
        wanted = set(components)
        return {node for node, number in self.component_of.items() if number in wanted}

    def components_in(self, nodes: Iterable[Node]) -> set[int]:
        """The components these nodes belong to."""
        return {self.component_of[n] for n in nodes if n in self.component_of}

    def touched_by(self, changed: Registry) -> set[Node]:
        """The material-graph nodes whose listings may be matched differently in ``changed`` (this
        region with listings removed or added): the components, in this region and in the changed
        one, of every listing removed or added, and every component either way that meets those."""
        before, after = self.registry.listings, changed.listings
        differ = pd.concat([before[~before.index.isin(after.index)], after[~after.index.isin(before.index)]])
        if differ.empty:
            return set()
        partitions = [self.component_of, material_components(after, self.rulebook)]
        nodes = set(listing_nodes(differ.drop_duplicates(["kind", "material"])))
        while True:
            grown = set(nodes)
            for partition in partitions:
                numbers = {partition[n] for n in nodes if n in partition}
                grown |= {node for node, number in partition.items() if number in numbers}
            if grown == nodes:
                return nodes
            nodes = grown

    def baseline(self, nodes: set[Node] | None = None) -> MatchResult:
        """The region's match in the components of ``nodes`` (all components when None), each
        component matched once and kept."""
        numbers = sorted(set(self.component_of.values()) if nodes is None else self.components_in(nodes))
        parts = []
        for number in numbers:
            with self._lock:
                known = self._results.get(number)
            if known is None:
                known = self.rematch(self.registry, self.nodes_of([number]))
                with self._lock:
                    self._results[number] = known
            parts.append(known)
        return merge_results(parts, self.objective)

    def rematch(self, registry: Registry, nodes: set[Node], directives: Directives | None = None) -> MatchResult:
        """The match of the listings of ``registry`` (this region or a changed one) in ``nodes`` alone
        (with ``directives``' forbidden pairs among them, where given)."""
        listings = registry.listings[listings_in(registry.listings, nodes)]
        if not ((listings["kind"] == "offer").any() and (listings["kind"] == "need").any()):
            return merge_results([], self.objective)
        if directives is not None:
            pairs = directives.forbidden_pairs
            inside = pairs["offer_id"].isin(listings.index) & pairs["need_id"].isin(listings.index)
            directives = replace(directives, forbidden_pairs=pairs[inside.to_numpy()].reset_index(drop=True))
            directives = None if directives.empty else directives
        return match(registry=replace(registry, listings=listings), directives=directives, **self.options).result
