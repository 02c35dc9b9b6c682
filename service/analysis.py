"""A regional planner's analysis of one matching run: the tables and files ``symbiosis analyse`` writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pandas as pd

from solvers.params import SolveParams
from solvers.scenarios import marginal_values, summarise_marginal_values
from symbiosis.candidates import Candidates
from symbiosis.network import (
    AGGREGATE_BY, DEFAULT_DEPENDENCY_SHARE, Privacy, aggregate_indicators, company_graph, keystone_ranking,
    network_metrics, to_geojson, to_graphml, unmatched_supply, write_geojson,
)
from symbiosis.registry import Registry
from service.output import CSV_DECIMALS, staged_files

ANALYSIS_FILES = (
    "network.csv", *(f"aggregates_{by}.csv" for by in AGGREGATE_BY), "unmatched_supply.csv", "marginal_values.csv",
    "marginal_values_by_area.csv", "network.geojson", "network.graphml",
)


@dataclass(frozen=True)
class Analysis:
    """The planner's tables for one region and its exchanges."""

    graph: nx.Graph
    network: pd.DataFrame  #: metrics and keystone figures per company
    aggregates: dict[str, pd.DataFrame]
    unmatched_supply: pd.DataFrame
    marginal_values: pd.DataFrame | None
    geojson: dict


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
    geojson = to_geojson(registry.companies, exchanges, privacy=privacy, metrics=metrics)
    return Analysis(graph, network, aggregates, supply, values, geojson)


def write_analysis(analysis: Analysis, out_dir: str | Path) -> list[Path]:
    """Write the analysis files into ``out_dir``, all or nothing (staged beside it, then moved in)."""
    out_dir = Path(out_dir)
    names = ["network.csv"]
    with staged_files(out_dir) as staging:
        analysis.network.round(CSV_DECIMALS).to_csv(staging / "network.csv")
        for by, table in analysis.aggregates.items():
            table.round(CSV_DECIMALS).to_csv(staging / f"aggregates_{by}.csv")
            names.append(f"aggregates_{by}.csv")
        analysis.unmatched_supply.round(CSV_DECIMALS).to_csv(staging / "unmatched_supply.csv", index=False)
        names.append("unmatched_supply.csv")
        if analysis.marginal_values is not None:
            analysis.marginal_values.round(CSV_DECIMALS).to_csv(staging / "marginal_values.csv")
            summarise_marginal_values(analysis.marginal_values).round(CSV_DECIMALS).to_csv(
                staging / "marginal_values_by_area.csv", index=False)
            names += ["marginal_values.csv", "marginal_values_by_area.csv"]
        write_geojson(analysis.geojson, staging / "network.geojson")
        to_graphml(analysis.graph, staging / "network.graphml")
        names += ["network.geojson", "network.graphml"]
    return [out_dir / name for name in names]
