"""The company network of a region's exchanges: the graph, clusters, centralities, dependencies and keystones.

The exchange network (active and proposed exchanges alike) becomes an undirected networkx graph of
companies; an edge joins two companies that exchange anything, in either direction, and carries the
sums of their exchanges. Everything in :mod:`analytics` works on plain tables: an exchanges table with
at least ``supplier_id``, ``receiver_id``, ``material``, ``quantity_canonical`` (or ``quantity``), the
five indicators and ``transport_co2e_t`` (as :func:`symbiosis.impacts.build_exchanges` makes it), and
the companies table of a :class:`~symbiosis.registry.Registry` (indexed by ``company_id``).

"Diverted" (``diverted_t``) is :func:`symbiosis.schema.diverted_tonnes`: waste diverted plus virgin
resource substituted, the quantity the default objective maximises.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from analytics.branches import nace_branch
from symbiosis.errors import AnalyticsError
from symbiosis.schema import INDICATORS, diverted_tonnes

#: Summed per edge, company and group: the five indicators, transport emissions and diverted tonnes.
NETWORK_SUMMED: tuple[str, ...] = (*INDICATORS, "transport_co2e_t", "diverted_t")
#: Default of ``dependency_share`` in :func:`keystone_ranking`: a company depends on a supplier that
#: delivers more than this share of what it receives of one material.
DEFAULT_DEPENDENCY_SHARE = 0.5


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
    branch = nace_branch(companies["nace"])
    municipality = companies["municipality"].fillna("") if "municipality" in companies else pd.Series("", companies.index)
    for company_id, row in companies.iterrows():
        g.add_node(company_id, name=str(row["name"]), nace=str(row["nace"]), branch=branch[company_id],
                   municipality=str(municipality[company_id]), lat=float(row["lat"]), lon=float(row["lon"]))
    if ex.empty:
        return g
    a = np.where(ex["supplier_id"] <= ex["receiver_id"], ex["supplier_id"], ex["receiver_id"])
    b = np.where(ex["supplier_id"] <= ex["receiver_id"], ex["receiver_id"], ex["supplier_id"])
    grouped = ex.assign(_a=a, _b=b).groupby(["_a", "_b"], sort=True)
    sums = grouped[[*NETWORK_SUMMED, "quantity_canonical"]].sum()
    counts = grouped.size()
    materials = grouped["material"].agg(lambda s: ",".join(sorted(set(s))))
    for (u, v), row in sums.iterrows():
        g.add_edge(u, v, exchanges=int(counts[(u, v)]), quantity=float(row["quantity_canonical"]),
                   materials=materials[(u, v)], **{c: float(row[c]) for c in NETWORK_SUMMED})
    return g


def network_metrics(graph: nx.Graph, weight: str = "diverted_t") -> pd.DataFrame:
    """Clusters and centralities of every company.

    Returns
    -------
    DataFrame
        Indexed by ``company_id``: ``component`` (cluster number, 1 for the largest; ties by the
        smallest company id), ``component_size`` (companies in it), ``degree`` (partners),
        ``weighted_degree`` (sum of the ``weight`` attribute over its edges), ``degree_centrality``
        (partners over all other companies, networkx's normalisation) and ``betweenness`` (share of
        shortest paths between other companies that pass through it, counted in hops and
        normalised by networkx for undirected graphs).
    """
    nodes = list(graph.nodes)
    components = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(map(str, c))))
    number = {node: i for i, comp in enumerate(components, start=1) for node in comp}
    size = {node: len(comp) for comp in components for node in comp}
    degree = dict(graph.degree())
    weighted = dict(graph.degree(weight=weight))
    table = pd.DataFrame({
        "component": [number[n] for n in nodes],
        "component_size": [size[n] for n in nodes],
        "degree": [degree[n] for n in nodes],
        "weighted_degree": [float(weighted[n]) for n in nodes],
        "degree_centrality": pd.Series(nx.degree_centrality(graph)).reindex(nodes).to_numpy(dtype=float)
        if len(nodes) > 1 else np.zeros(len(nodes)),
        "betweenness": pd.Series(nx.betweenness_centrality(graph)).reindex(nodes).to_numpy(dtype=float),
    }, index=pd.Index(nodes, name="company_id"))
    return table.sort_values(["component", "betweenness", "degree"], ascending=[True, False, False], kind="stable")


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
    deps = dependency_graph(ex, dependency_share)
    supplier = ex["supplier_id"].to_numpy()
    receiver = ex["receiver_id"].to_numpy()
    values = ex[list(NETWORK_SUMMED)].to_numpy(dtype=float)
    diverted = ex["diverted_t"].to_numpy(dtype=float)
    rows = []
    for company in nodes:
        direct = (supplier == company) | (receiver == company)
        dependants = nx.descendants(deps, company) if company in deps else set()
        dependants.discard(company)
        knock = ~direct & (np.isin(supplier, list(dependants)) | np.isin(receiver, list(dependants))) \
            if dependants else np.zeros(len(ex), bool)
        both = direct | knock
        rows.append([int(direct.sum()), float(diverted[direct].sum()), len(dependants), int(knock.sum()),
                     float(diverted[knock].sum()), int(both.sum()), *values[both].sum(axis=0)])
    columns = ["direct_exchanges", "direct_diverted_t", "dependants", "knock_on_exchanges", "knock_on_diverted_t",
               "total_exchanges", *NETWORK_SUMMED]
    table = pd.DataFrame(rows, columns=columns, index=pd.Index(nodes, name="company_id"))
    table = table.rename(columns={"diverted_t": "total_diverted_t"})
    table = table.sort_values(["total_diverted_t", "direct_diverted_t"], ascending=False, kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table
