"""A regional planner's analysis of one matching run: the network, keystones, aggregates, unmatched supply, marginal values."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import pandas as pd

from analytics.aggregates import AGGREGATE_BY, aggregate_indicators
from analytics.disclosure import Privacy
from analytics.exports import export_graph, to_geojson
from analytics.marginal import marginal_values
from analytics.network import (
    DEFAULT_DEPENDENCY_SHARE, BetweennessMethod, company_graph, keystone_ranking, network_metrics,
)
from analytics.supply import unmatched_supply
from solvers.params import SolveParams
from symbiosis.candidates import Candidates
from symbiosis.registry import Registry


@dataclass(frozen=True)
class Analysis:
    """The planner's tables for one region and its exchanges."""

    graph: nx.Graph
    network: pd.DataFrame  #: metrics and keystone figures per company
    aggregates: dict[str, pd.DataFrame]
    unmatched_supply: pd.DataFrame
    marginal_values: pd.DataFrame | None
    geojson: dict
    graphml: nx.DiGraph  #: the directed export graph (:func:`analytics.exports.export_graph`)
    betweenness: BetweennessMethod  #: how the betweenness in ``network`` was computed


def analyse(
    registry: Registry,
    exchanges: pd.DataFrame,
    unmatched: pd.DataFrame,
    candidates: Candidates | None = None,
    solve_params: SolveParams | None = None,
    dependency_share: float = DEFAULT_DEPENDENCY_SHARE,
    privacy: Privacy | None = None,
) -> Analysis:
    """Graph, metrics, keystones, aggregates, unmatched supply and (given candidates) marginal values."""
    graph = company_graph(exchanges, registry.companies)
    metrics = network_metrics(graph)
    keystones = keystone_ranking(exchanges, graph, dependency_share)
    network = metrics.join(keystones, how="left").sort_values("rank")
    aggregates = {by: aggregate_indicators(exchanges, registry.companies, by) for by in AGGREGATE_BY}
    supply = unmatched_supply(unmatched, registry)
    values = None
    if candidates is not None:
        values = marginal_values(candidates, solve_params, companies=registry.companies)
    geojson = to_geojson(registry.companies, exchanges, privacy=privacy, metrics=metrics, graph=graph)
    graphml = export_graph(registry.companies, exchanges, metrics, keystones, privacy=privacy, graph=graph)
    return Analysis(graph, network, aggregates, supply, values, geojson, graphml, metrics.attrs["betweenness"])
