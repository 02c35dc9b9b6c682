"""The company network of a region's exchanges: the graph, clusters, centralities, dependencies and keystones.

The exchange network (active and proposed exchanges alike) becomes an undirected networkx graph of
companies; an edge joins two companies that exchange anything, in either direction, and carries the
sums of their exchanges. Everything in :mod:`analytics` works on plain tables: an exchanges table with
at least ``supplier_id``, ``receiver_id``, ``material``, ``quantity_canonical`` (or ``quantity``), the
five indicators and ``transport_co2e_t`` (as :func:`symbiosis.impacts.build_exchanges` makes it), and
the companies table of a :class:`~symbiosis.registry.Registry` (indexed by ``company_id``).

"Diverted" (``diverted_t``) is :func:`symbiosis.schema.diverted_tonnes`: waste diverted plus virgin
resource substituted, the quantity the default objective maximises.

Betweenness is computed by igraph (compiled C): exactly for graphs of up to
:data:`EXACT_BETWEENNESS_MAX_NODES` companies, and above that by sampling
:data:`BETWEENNESS_SAMPLE` source companies (seeded, so the same graph gives the same figures) and
scaling up, the estimator networkx uses for ``betweenness_centrality(k=...)``. :func:`betweenness_method`
says which applies. The keystone ranking is a few sparse-matrix products (scipy) over all companies at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph
import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse

from analytics.branches import nace_branch
from symbiosis.errors import AnalyticsError
from symbiosis.schema import INDICATORS, diverted_tonnes

#: Summed per edge, company and group: the five indicators, transport emissions and diverted tonnes.
NETWORK_SUMMED: tuple[str, ...] = (*INDICATORS, "transport_co2e_t", "diverted_t")
#: Default of ``dependency_share`` in :func:`keystone_ranking`: a company depends on a supplier that
#: delivers more than this share of what it receives of one material.
DEFAULT_DEPENDENCY_SHARE = 0.5
#: Largest graph (companies) whose betweenness is computed exactly; above it, sampled. Exact costs
#: about companies x partnerships (0.9 s at 6,100 companies; 10 min at 61,000 even compiled); see the README.
EXACT_BETWEENNESS_MAX_NODES = 3000
#: Source companies sampled for the betweenness of a larger graph (about 0.1 s at 6,100 companies,
#: 1 s at 61,000; correlation 0.988 with the exact figures at 6,100).
BETWEENNESS_SAMPLE = 200
#: Seed of the sample of source companies.
BETWEENNESS_SEED = 0


@dataclass(frozen=True)
class BetweennessMethod:
    """How the betweenness of a graph is computed: ``exact`` or ``sampled`` from ``sample`` source
    companies drawn with ``seed`` (both ``None`` when exact); ``threshold`` is the largest graph
    computed exactly."""

    method: str
    sample: int | None
    seed: int | None
    threshold: int = EXACT_BETWEENNESS_MAX_NODES

    def to_dict(self) -> dict:
        return {"method": self.method, "sample": self.sample, "seed": self.seed, "threshold": self.threshold}


def betweenness_method(nodes: int, threshold: int = EXACT_BETWEENNESS_MAX_NODES,
                       sample: int = BETWEENNESS_SAMPLE, seed: int = BETWEENNESS_SEED) -> BetweennessMethod:
    """Exact for graphs of up to ``threshold`` companies (or when the sample would be all of them)."""
    if nodes <= threshold or nodes <= sample:
        return BetweennessMethod("exact", None, None, threshold)
    return BetweennessMethod("sampled", sample, seed, threshold)


def prepare_exchanges(exchanges: pd.DataFrame) -> pd.DataFrame:
    """A copy of an exchanges table with ``quantity_canonical``, ``diverted_t`` and ``status`` filled.

    Raises
    ------
    AnalyticsError
        When a required column is missing (naming it).
    """
    required = ("supplier_id", "receiver_id", "material", *INDICATORS, "transport_co2e_t")
    missing = [c for c in required if c not in exchanges.columns]
    if "quantity_canonical" not in exchanges.columns and "quantity" not in exchanges.columns:
        missing.append("quantity_canonical")
    if missing:
        raise AnalyticsError(f"the exchanges table lacks the column(s) {', '.join(missing)}")
    ex = exchanges.copy()
    if "quantity_canonical" not in ex.columns:
        ex["quantity_canonical"] = ex["quantity"]
    if "status" not in ex.columns:
        ex["status"] = "proposed"
    for column in ("offer_id", "need_id"):
        if column not in ex.columns:
            ex[column] = ""
    ex["diverted_t"] = diverted_tonnes(ex)
    return ex.reset_index(drop=True)


def joined_materials(exchanges: pd.DataFrame, by: list[str]) -> pd.Series:
    """The materials of each group of exchanges, sorted and comma-separated (``"m1,m2"``)."""
    unique = exchanges[[*by, "material"]].drop_duplicates().sort_values([*by, "material"])
    return unique.groupby(by, sort=True)["material"].agg(",".join)


def company_graph(exchanges: pd.DataFrame, companies: pd.DataFrame) -> nx.Graph:
    """The exchange network as an undirected graph of companies.

    Parameters
    ----------
    exchanges
        Active and proposed exchanges (one row each, see the module docstring).
    companies
        Indexed by ``company_id`` with ``name``, ``nace``, ``lat``, ``lon`` and ``municipality``.

    Returns
    -------
    networkx.Graph
        Every company is a node (attributes ``name``, ``nace``, ``branch``, ``municipality``,
        ``lat``, ``lon``), also those without exchanges. An edge joins two companies that exchange
        anything, in either direction, with ``exchanges`` (count), ``quantity`` (sum of canonical
        quantities; only meaningful within one material), ``materials`` (comma-separated), the five
        indicators, ``transport_co2e_t`` and ``diverted_t``, all summed.

    Raises
    ------
    AnalyticsError
        When an exchange names a company that is not in ``companies``.
    """
    ex = prepare_exchanges(exchanges)
    unknown = sorted((set(ex["supplier_id"]) | set(ex["receiver_id"])) - set(companies.index))
    if unknown:
        raise AnalyticsError(f"exchanges name companies that are not in the companies table: {', '.join(unknown[:10])}")
    g = nx.Graph()
    municipality = companies["municipality"].fillna("") if "municipality" in companies else pd.Series("", companies.index)
    attributes = pd.DataFrame({
        "name": companies["name"].astype(str), "nace": companies["nace"].astype(str),
        "branch": nace_branch(companies["nace"]), "municipality": municipality.astype(str),
        "lat": companies["lat"].astype(float), "lon": companies["lon"].astype(float)}, index=companies.index)
    g.add_nodes_from(attributes.to_dict(orient="index").items())
    if ex.empty:
        return g
    a = np.where(ex["supplier_id"] <= ex["receiver_id"], ex["supplier_id"], ex["receiver_id"])
    b = np.where(ex["supplier_id"] <= ex["receiver_id"], ex["receiver_id"], ex["supplier_id"])
    grouped = ex.assign(_a=a, _b=b).groupby(["_a", "_b"], sort=True)
    edges = grouped[[*NETWORK_SUMMED, "quantity_canonical"]].sum().astype(float)
    edges = edges.rename(columns={"quantity_canonical": "quantity"})
    edges.insert(0, "materials", joined_materials(ex.assign(_a=a, _b=b), ["_a", "_b"]))
    edges.insert(0, "exchanges", grouped.size().astype(int))
    records = edges.to_dict(orient="records")
    g.add_edges_from((u, v, {**row, "exchanges": int(row["exchanges"])}) for (u, v), row in zip(edges.index, records))
    return g


def _igraph(graph: nx.Graph) -> tuple[igraph.Graph, list]:
    """The graph in igraph (vertices numbered in ``graph.nodes`` order) and that node order."""
    nodes = list(graph.nodes)
    number = {node: i for i, node in enumerate(nodes)}
    edges = [(number[u], number[v]) for u, v in graph.edges() if u != v]
    return igraph.Graph(n=len(nodes), edges=edges, directed=False), nodes


def betweenness(graph: nx.Graph, method: BetweennessMethod | None = None,
                prebuilt: tuple[igraph.Graph, list] | None = None) -> tuple[pd.Series, BetweennessMethod]:
    """Betweenness centrality of every company, normalised as networkx does for undirected graphs.

    Exact: the share of shortest paths (in hops) between pairs of other companies through each.
    Sampled: the paths from ``method.sample`` source companies drawn with ``method.seed`` to all
    others, scaled by companies / sample (networkx's ``k=`` estimator); with every company as a
    source it equals the exact figure. ``prebuilt``: the graph's :func:`_igraph`, if already built."""
    method = method or betweenness_method(graph.number_of_nodes())
    g, nodes = prebuilt if prebuilt is not None else _igraph(graph)
    n = len(nodes)
    if n < 3:
        return pd.Series(0.0, index=pd.Index(nodes, name="company_id")), method
    if method.method == "exact":
        # igraph counts each unordered pair once; networkx normalises by the pairs of other companies.
        raw = np.asarray(g.betweenness(directed=False), dtype=float)
        values = raw * 2.0 / ((n - 1) * (n - 2))
    else:
        sources = np.sort(np.random.default_rng(method.seed).choice(n, size=min(method.sample, n), replace=False))
        raw = np.asarray(g.betweenness(directed=False, sources=sources.tolist()), dtype=float)
        values = raw * (n / len(sources)) * 2.0 / ((n - 1) * (n - 2))
    return pd.Series(values, index=pd.Index(nodes, name="company_id")), method


def network_metrics(graph: nx.Graph, weight: str = "diverted_t", method: BetweennessMethod | None = None
                    ) -> pd.DataFrame:
    """Clusters and centralities of every company.

    Returns
    -------
    DataFrame
        Indexed by ``company_id``: ``component`` (cluster number, 1 for the largest; ties by the
        smallest company id), ``component_size`` (companies in it), ``degree`` (partners),
        ``weighted_degree`` (sum of the ``weight`` attribute over its edges), ``degree_centrality``
        (partners over all other companies, networkx's normalisation) and ``betweenness`` (share of
        shortest paths between other companies that pass through it, counted in hops and
        normalised by networkx for undirected graphs; sampled above :data:`EXACT_BETWEENNESS_MAX_NODES`
        companies, see :func:`betweenness`). ``attrs["betweenness"]`` holds the
        :class:`BetweennessMethod` used.
    """
    g, nodes = _igraph(graph)
    between, used = betweenness(graph, method, (g, nodes))
    membership = np.asarray(g.connected_components().membership, dtype=int) if nodes else np.zeros(0, int)
    ids = pd.Series(list(map(str, nodes)))
    groups = pd.DataFrame({"member": membership, "id": ids}).groupby("member")["id"].agg(["size", "min"])
    order = groups.sort_values(["size", "min"], ascending=[False, True], kind="stable").index
    number = pd.Series(np.arange(1, len(order) + 1), index=order)
    degree = dict(graph.degree())
    weighted = dict(graph.degree(weight=weight))
    table = pd.DataFrame({
        "component": number.reindex(membership).to_numpy(dtype=int),
        "component_size": groups["size"].reindex(membership).to_numpy(dtype=int),
        "degree": [degree[n] for n in nodes],
        "weighted_degree": [float(weighted[n]) for n in nodes],
        "degree_centrality": np.array([degree[n] for n in nodes], dtype=float) / (len(nodes) - 1)
        if len(nodes) > 1 else np.zeros(len(nodes)),
        "betweenness": between.to_numpy(dtype=float),
    }, index=pd.Index(nodes, name="company_id"))
    table = table.sort_values(["component", "betweenness", "degree"], ascending=[True, False, False], kind="stable")
    table.attrs["betweenness"] = used
    return table


def dependency_graph(exchanges: pd.DataFrame, share: float = DEFAULT_DEPENDENCY_SHARE) -> nx.DiGraph:
    """Who depends on whom: an edge ``a -> b`` when ``a`` supplies more than ``share`` of what ``b``
    receives of one material (canonical quantities, compared within the material)."""
    if not 0 <= share < 1:
        raise AnalyticsError(f"dependency_share must be in [0, 1), not {share}")
    ex = prepare_exchanges(exchanges)
    g = nx.DiGraph()
    if ex.empty:
        return g
    received = ex.groupby(["receiver_id", "material"])["quantity_canonical"].transform("sum")
    pair = ex.assign(_received=received).groupby(["supplier_id", "receiver_id", "material"]).agg(
        q=("quantity_canonical", "sum"), total=("_received", "first"))
    strong = pair[pair["q"] > share * pair["total"]].reset_index()
    g.add_edges_from(zip(strong["supplier_id"], strong["receiver_id"]))
    return g


def keystone_ranking(
    exchanges: pd.DataFrame, graph: nx.Graph, dependency_share: float = DEFAULT_DEPENDENCY_SHARE
) -> pd.DataFrame:
    """Which companies hold the network together: what depends on each, directly and by knock-on.

    Definitions
        *Direct*: the exchanges the company supplies or receives. *Knock-on*: the other exchanges of
        every company that depends on it, directly or through a chain. A company ``b`` depends on
        ``a`` when ``a`` supplies more than ``dependency_share`` of what ``b`` receives of one
        material (its input would mostly vanish with ``a``, and with it what ``b`` passes on).
        The chains are the descendants of the company in :func:`dependency_graph`. Each exchange
        counts once per company.

    Returns
    -------
    DataFrame
        Indexed by ``company_id`` (every node of ``graph``), ranked by ``total_diverted_t``:
        ``rank``, ``direct_exchanges``, ``direct_diverted_t``, ``dependants`` (companies that depend
        on it), ``knock_on_exchanges``, ``knock_on_diverted_t``, ``total_exchanges``,
        ``total_diverted_t``, and the five indicators and ``transport_co2e_t`` of all those exchanges.
    """
    ex = prepare_exchanges(exchanges)
    nodes = list(graph.nodes)
    n, m = len(nodes), len(ex)
    number = pd.Series(np.arange(n), index=pd.Index(nodes))
    supplier = number.reindex(ex["supplier_id"]).to_numpy()
    receiver = number.reindex(ex["receiver_id"]).to_numpy()
    if m and (np.isnan(supplier.astype(float)).any() or np.isnan(receiver.astype(float)).any()):
        raise AnalyticsError("exchanges name companies that are not in the graph")
    supplier, receiver = supplier.astype(int), receiver.astype(int)
    # Which companies touch which exchange (n x m, one or two ones per column).
    rows = np.concatenate([supplier, receiver])
    columns = np.concatenate([np.arange(m), np.arange(m)])
    touch = sparse.csr_matrix((np.ones(2 * m), (rows, columns)), shape=(n, m))
    touch.data[:] = 1.0
    reach = _descendants(dependency_graph(ex, dependency_share), number, n)
    # The exchanges touching any company that depends on it, less its own: (reach @ touch) > 0 and not direct.
    via = reach @ touch > 0
    knock_on = via.astype(float) - touch.multiply(via)
    knock_on.eliminate_zeros()
    values = ex[list(NETWORK_SUMMED)].to_numpy(dtype=float)
    diverted = ex["diverted_t"].to_numpy(dtype=float)
    both = touch + knock_on
    table = pd.DataFrame({
        "direct_exchanges": np.asarray(touch.sum(axis=1)).ravel().astype(int),
        "direct_diverted_t": touch @ diverted,
        "dependants": np.diff(reach.indptr).astype(int),
        "knock_on_exchanges": np.asarray(knock_on.sum(axis=1)).ravel().astype(int),
        "knock_on_diverted_t": knock_on @ diverted,
        "total_exchanges": np.asarray(both.sum(axis=1)).ravel().astype(int),
        **{c: both @ values[:, i] for i, c in enumerate(NETWORK_SUMMED)},
    }, index=pd.Index(nodes, name="company_id"))
    table = table.rename(columns={"diverted_t": "total_diverted_t"})
    table = table.sort_values(["total_diverted_t", "direct_diverted_t"], ascending=False, kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def _descendants(deps: nx.DiGraph, number: pd.Series, n: int) -> sparse.csr_matrix:
    """Reachability in a dependency graph as an ``n x n`` 0/1 matrix (row: a company; columns: every
    company that depends on it directly or through a chain, itself excluded), by squaring the
    adjacency matrix until no path is added (about log2 of the longest chain steps)."""
    ends = np.asarray(list(deps.edges()), dtype=object).reshape(-1, 2)
    u, v = (number.reindex(ends[:, side]).to_numpy(dtype=float) for side in (0, 1))
    keep = ~np.isnan(u) & ~np.isnan(v) & (u != v)
    if not keep.any():
        return sparse.csr_matrix((n, n))
    u, v = u[keep].astype(int), v[keep].astype(int)
    reach = sparse.csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    reach.data[:] = 1.0
    while True:
        grown = reach + reach @ reach
        grown.data[:] = 1.0
        if grown.nnz == reach.nnz:
            break
        reach = grown
    reach = reach.tolil()
    reach.setdiag(0)
    reach = reach.tocsr()
    reach.eliminate_zeros()
    return reach
