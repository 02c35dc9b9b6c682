"""Benchmark the planner analytics at regional scale, and the web page's first view through the API.

Usage: python benchmarks/analytics.py [--sizes 10000 100000] [--api-size 10000] [--seed 1] [--compare-up-to 10000]

For each size a synthetic region (``symbiosis.synthetic.generate_region``) is matched with
``solvers.matching.match`` and the analytics of its exchanges are timed: the network (company graph,
clusters, betweenness), the keystone ranking, the aggregates (municipality, branch, material), the
unmatched supply and the exports (GeoJSON, directed GraphML, company CSV). ``--compare-up-to N`` also times,
up to N listings (exact betweenness grows with the square of the network),
exact betweenness (igraph) and networkx's sampled betweenness (``k`` = the same sample) against the
method the analytics use, with the correlation to the exact figures.

The API part imports a region of ``--api-size`` listings into a fresh SQLite database, runs a round
(proposals in draft make the network) and times, as a planner, the analytics calls the map page makes
on load (network, keystones, unmatched supply, aggregates by municipality), through a TestClient:
after the round (the round warms the cache when it finishes; the time that takes is shown), cold
(the cache emptied: computing and caching every result) and warm (every later view of the same data).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.aggregates import AGGREGATE_BY, aggregate_indicators  # noqa: E402
from analytics.exports import company_table, export_graph, graphml_text, to_geojson  # noqa: E402
from analytics.network import (  # noqa: E402
    BetweennessMethod, betweenness, company_graph, keystone_ranking, network_metrics,
)
from analytics.supply import unmatched_supply  # noqa: E402
from solvers.matching import match, timed  # noqa: E402
from symbiosis.registry import validate_tables  # noqa: E402
from symbiosis.synthetic import generate_region  # noqa: E402

#: The analytics calls the map page makes when it opens (as a planner).
FIRST_VIEW = ("network", "keystones", "unmatched-supply", "aggregates?by=municipality")


def _timed(times: dict[str, float], name: str, compute):
    """``compute()``, its seconds kept in ``times[name]``."""
    with timed(times, name):
        return compute()


def library_timings(n_listings: int, seed: int, compare: bool) -> dict[str, float]:
    """Seconds per analysis of one matched region of ``n_listings`` listings."""
    registry = validate_tables(*generate_region(n_listings=n_listings, seed=seed))
    times: dict[str, float] = {}
    found = _timed(times, "match (context)", lambda: match(registry=registry))
    ex, firms = found.exchanges, found.registry.companies
    graph = _timed(times, "graph", lambda: company_graph(ex, firms))
    metrics = _timed(times, "metrics", lambda: network_metrics(graph))
    keystones = _timed(times, "keystones", lambda: keystone_ranking(ex, graph))
    times["network + keystones"] = times["graph"] + times["metrics"] + times["keystones"]
    _timed(times, "aggregates (3)", lambda: [aggregate_indicators(ex, firms, by) for by in AGGREGATE_BY])
    _timed(times, "unmatched supply", lambda: unmatched_supply(found.unmatched, found.registry))
    _timed(times, "export geojson", lambda: to_geojson(firms, ex, metrics=metrics))
    _timed(times, "export graphml", lambda: graphml_text(export_graph(firms, ex, metrics, keystones, graph=graph)))
    _timed(times, "export csv (companies)", lambda: company_table(firms).join(metrics).to_csv(io.StringIO()))
    method = metrics.attrs["betweenness"]
    times["companies"], times["partnerships"] = graph.number_of_nodes(), graph.number_of_edges()
    times["exchanges"] = len(ex)
    print(f"  {n_listings:,} listings: betweenness {method.method}"
          + (f" from {method.sample} sources (seed {method.seed})" if method.sample else ""), flush=True)
    if compare:
        exact = _timed(times, "betweenness exact (igraph)",
                       lambda: betweenness(graph, BetweennessMethod("exact", None, None))[0])
        if method.sample:
            k = method.sample
            sampled = _timed(times, f"betweenness networkx k={k}",
                             lambda: nx.betweenness_centrality(graph, k=k, seed=method.seed))
            ours = metrics["betweenness"].reindex(exact.index).to_numpy()
            theirs = np.array([sampled[c] for c in exact.index])
            times["correlation used/exact"] = float(np.corrcoef(ours, exact.to_numpy())[0, 1])
            times["correlation networkx/exact"] = float(np.corrcoef(theirs, exact.to_numpy())[0, 1])
    return times


def api_first_view(n_listings: int, seed: int) -> dict[str, float]:
    """Seconds of the page's first view as a planner on a region of ``n_listings``: after a round (whose
    warm-up of the cache has finished), cold (cache emptied) and warm (asked again)."""
    from service.settings import Settings
    from tests.helpers import create_app_client, new_key

    companies, listings = generate_region(n_listings=n_listings, seed=seed)
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="symbiosis-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        with create_app_client(Settings(database_url=url)) as (client, app):
            keys = {role: {"Authorization": f"Bearer {new_key(app, role)}"} for role in ("facilitator", "planner")}
            files = {"companies": ("companies.csv", companies.to_csv(index=False)),
                     "listings": ("listings.csv", listings.to_csv(index=False))}
            response = _timed(times, "import (context)", lambda: client.post(
                "/api/v1/imports", files=files, headers=keys["facilitator"]))
            response.raise_for_status()
            start = time.perf_counter()
            round_id = client.post("/api/v1/rounds", json={"name": "benchmark"}, headers=keys["facilitator"]).json()["id"]
            app.state.jobs.wait(round_id, timeout=3600)
            times["round (context)"] = time.perf_counter() - start
            state = client.get(f"/api/v1/rounds/{round_id}", headers=keys["facilitator"]).json()
            if state["status"] != "succeeded":
                raise SystemExit(f"the round ended {state['status']}: {state.get('message')}")
            from service.api.routes.analytics import CACHE

            start = time.perf_counter()  # a finished round warms the cache off its thread
            while "open-match" not in CACHE._results and time.perf_counter() - start < 600:
                time.sleep(0.05)
            times["warm-up after the round (context)"] = time.perf_counter() - start
            for view in ("after the round", "cold", "warm"):
                if view == "cold":
                    CACHE.clear()
                start = time.perf_counter()
                for path in FIRST_VIEW:
                    call = time.perf_counter()
                    client.get(f"/api/v1/analytics/{path}", headers=keys["planner"]).raise_for_status()
                    times[f"{view}: {path}"] = time.perf_counter() - call
                times[f"first view {view}"] = time.perf_counter() - start
    return times


def _table(title: str, columns: dict[str, dict[str, float]]) -> str:
    names = list(dict.fromkeys(name for times in columns.values() for name in times))
    width = max(len(n) for n in names) + 2
    lines = [title, f"{'':<{width}}" + "".join(f"{c:>14}" for c in columns)]
    for name in names:
        cells = []
        for times in columns.values():
            value = times.get(name)
            cells.append(f"{'':>14}" if value is None else f"{value:>14,.0f}" if value >= 1000 or float(value).is_integer()
                         else f"{value:>14.3f}")
        lines.append(f"{name:<{width}}" + "".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--api-size", type=int, default=10_000, help="0 to skip the API first view")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compare-up-to", type=int, default=0,
                        help="also time exact and networkx betweenness up to this many listings")
    args = parser.parse_args()
    columns = {f"{n:,}": library_timings(n, args.seed, n <= args.compare_up_to) for n in args.sizes}
    print(_table("Analytics (seconds; counts where named) by listings", columns), flush=True)
    if args.api_size:
        print()
        print(_table("API first view as a planner (seconds)", {f"{args.api_size:,}": api_first_view(args.api_size,
                                                                                                 args.seed)}))


if __name__ == "__main__":
    main()
