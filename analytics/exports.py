"""Exports of the company network: GeoJSON (for QGIS and web maps), directed GraphML (for Gephi) and the company table."""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import networkx as nx
import numpy as np
import pandas as pd

from analytics.branches import nace_branch
from analytics.disclosure import EXCHANGE_FIGURES, Privacy, private_exchanges, private_nodes
from analytics.network import NETWORK_SUMMED, joined_materials, prepare_exchanges
from symbiosis.errors import AnalyticsError

_NODE_COLUMNS = ("name", "nace", "branch", "municipality", "lat", "lon")
_EXCHANGE_PROPERTIES = ("offer_id", "need_id", "supplier_id", "receiver_id", "status", "material", "need_material",
                        "quantity", "unit", "quantity_canonical", "distance_km", "transport_mode", *NETWORK_SUMMED,
                        "value_eur")


def _plain(value):
    """A JSON value: numpy scalars as Python numbers, NaN as null."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NaT:
        return None
    return value


def company_table(companies: pd.DataFrame) -> pd.DataFrame:
    """Companies (indexed by ``company_id``) with the columns the exports show, branch included."""
    table = pd.DataFrame(index=companies.index)
    for column in _NODE_COLUMNS:
        if column == "branch":
            table[column] = nace_branch(companies["nace"])
        elif column in companies:
            table[column] = companies[column]
        else:
            table[column] = ""
    table.index.name = "company_id"
    return table


#: The ``layer`` property of the GeoJSON features, one geometry type each.
COMPANY_LAYER, EXCHANGE_LAYER = "companies", "exchanges"


def to_geojson(companies: pd.DataFrame, exchanges: pd.DataFrame, privacy: Privacy | None = None,
               metrics: pd.DataFrame | None = None, layer: str | None = None, graph: nx.Graph | None = None) -> dict:
    """The network as a GeoJSON FeatureCollection (for QGIS and web maps).

    Companies are Point features (``kind: "company"``, ``layer: "companies"``, with their attributes
    and, when given, their ``metrics`` row); exchanges are LineString features from supplier to
    receiver (``kind: "exchange"``, ``layer: "exchanges"``) with their material, quantities, distance,
    status and indicators. ``layer`` keeps one of the two (one geometry type); by default both.
    Coordinates are ``[lon, lat]`` in WGS84 as GeoJSON (RFC 7946) requires. An exchange whose two
    companies are shown at the same point (the same site, or for a planner the same grid cell) would
    be a zero-length line: it is left out and counted in the collection's ``same_site_exchanges``.
    Under ``privacy`` companies and exchanges are shown as :func:`private_nodes` and
    :func:`private_exchanges` make them (``graph``: the undirected company graph, if already built).
    """
    if layer not in (None, COMPANY_LAYER, EXCHANGE_LAYER):
        raise AnalyticsError(f"layer must be {COMPANY_LAYER!r} or {EXCHANGE_LAYER!r}, not {layer!r}")
    nodes = company_table(companies)
    if metrics is not None:
        nodes = nodes.join(metrics, how="left")
    ex = prepare_exchanges(exchanges)
    ex = ex[[c for c in _EXCHANGE_PROPERTIES if c in ex]]
    if privacy is not None:
        shown = private_nodes(nodes, privacy, _pair_graph(ex, nodes.index) if graph is None else graph)
        ex_shown = private_exchanges(ex, privacy, nodes.index)
    else:
        shown, ex_shown = nodes, ex
    lon = pd.Series(shown["lon"].to_numpy(dtype=float), index=nodes.index)
    lat = pd.Series(shown["lat"].to_numpy(dtype=float), index=nodes.index)
    features = []
    if layer in (None, COMPANY_LAYER):
        records = shown.drop(columns=["lat", "lon"]).to_dict(orient="records")
        for shown_id, x, y, row in zip(shown.index, lon, lat, records):
            properties = {"kind": "company", "layer": COMPANY_LAYER, "company_id": shown_id,
                          **{k: _plain(v) for k, v in row.items()}}
            features.append({"type": "Feature", "id": f"company:{shown_id}",
                             "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
                             "properties": properties})
    ends = np.column_stack([lon.reindex(ex["supplier_id"]).to_numpy(), lat.reindex(ex["supplier_id"]).to_numpy(),
                            lon.reindex(ex["receiver_id"]).to_numpy(), lat.reindex(ex["receiver_id"]).to_numpy()])
    same_site = (ends[:, 0] == ends[:, 2]) & (ends[:, 1] == ends[:, 3])
    if layer in (None, EXCHANGE_LAYER):
        records = ex_shown.to_dict(orient="records")
        for i, (line, same, row) in enumerate(zip(ends.tolist(), same_site, records), start=1):
            if same:
                continue
            properties = {"kind": "exchange", "layer": EXCHANGE_LAYER, **{k: _plain(v) for k, v in row.items()}}
            features.append({"type": "Feature", "id": f"exchange:{i}",
                             "geometry": {"type": "LineString", "coordinates": [line[:2], line[2:]]},
                             "properties": properties})
    return {"type": "FeatureCollection", "features": features, "same_site_exchanges": int(same_site.sum())}


def _pair_graph(exchanges: pd.DataFrame, company_ids) -> nx.Graph:
    """The undirected graph of the companies ``company_ids`` joined where they exchange anything."""
    graph = nx.Graph(list(zip(exchanges["supplier_id"], exchanges["receiver_id"])))
    graph.add_nodes_from(company_ids)
    return graph


def write_geojson(collection: dict, path: str | Path) -> Path:
    """Write a FeatureCollection as UTF-8 JSON."""
    path = Path(path)
    path.write_text(json.dumps(collection, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def export_graph(companies: pd.DataFrame, exchanges: pd.DataFrame, metrics: pd.DataFrame | None = None,
                 keystones: pd.DataFrame | None = None, privacy: Privacy | None = None,
                 graph: nx.Graph | None = None) -> nx.DiGraph:
    """The network as a directed graph for GraphML (Gephi): supplier -> receiver.

    Nodes carry ``label`` (the company's name, or the id it is shown as when the name is hidden),
    its attributes, and when given its ``metrics`` (``component``, ``degree``, ``weighted_degree``,
    ``betweenness``) and keystone figures (``keystone_rank``, ``keystone_diverted_t``). An edge sums
    the exchanges one company supplies to another: ``weight`` (diverted tonnes, what Gephi sizes by),
    ``exchanges``, ``materials``, ``quantity`` and ``unit`` (when all are in one unit),
    ``quantities`` (each material's quantity with its unit), ``quantity_canonical``, the five
    indicators, ``transport_co2e_t`` and ``diverted_t``. Under ``privacy`` nodes and edges are shown as
    :func:`private_nodes` and :func:`private_exchanges` make them (``graph``: the undirected company
    graph, whose fully consenting clusters keep exact sums). GraphML holds no missing values: an
    unknown attribute is left out of its node or edge.
    """
    nodes = company_table(companies)
    if metrics is not None:
        nodes = nodes.join(metrics[[c for c in ("component", "degree", "weighted_degree", "betweenness")
                                    if c in metrics]], how="left")
    if keystones is not None:
        nodes = nodes.join(keystones[["rank", "total_diverted_t"]].rename(
            columns={"rank": "keystone_rank", "total_diverted_t": "keystone_diverted_t"}), how="left")
    ex = prepare_exchanges(exchanges)
    if "unit" not in ex:
        ex["unit"] = ""
    if "quantity" not in ex:
        ex["quantity"] = ex["quantity_canonical"]
    ex["unit"] = ex["unit"].fillna("").astype(str)
    pair = ["supplier_id", "receiver_id"]
    by_material = ex.groupby([*pair, "material", "unit"], sort=True)["quantity"].sum().reset_index()
    grouped = ex.groupby(pair, sort=True)
    # A figure unknown for every exchange of a pair stays unknown (no attribute), never 0.
    edges = grouped[[*NETWORK_SUMMED, "quantity_canonical"]].sum(min_count=1).astype(float)
    edges["exchanges"] = grouped.size().astype(int)
    edges["materials"] = joined_materials(ex, pair)
    one_unit = (grouped["unit"].nunique() == 1).to_numpy()
    edges["quantity"] = np.where(one_unit, grouped["quantity"].sum().astype(float), np.nan)
    edges["unit"] = np.where(one_unit, grouped["unit"].first(), None)
    edges = edges.reset_index()
    if privacy is not None:
        shown = private_nodes(nodes, privacy, _pair_graph(ex, nodes.index) if graph is None else graph)
        edges = private_exchanges(edges, privacy, nodes.index)
        by_material = private_exchanges(by_material, privacy, nodes.index)
    else:
        shown = nodes
    edges["weight"] = edges["diverted_t"]
    # Each material's quantity with its unit, e.g. "1200 t/yr 10 01 05; 300 m3/yr 19 08 05".
    by_material["text"] = [f"{q:.10g} {u} {m}".replace("  ", " ") for q, u, m in
                           zip(by_material["quantity"], by_material["unit"], by_material["material"])]
    quantities = by_material.groupby(pair, sort=False)["text"].agg("; ".join)
    edges["quantities"] = quantities.reindex(pd.MultiIndex.from_arrays([edges["supplier_id"], edges["receiver_id"]])
                                             ).fillna("").to_numpy()
    shown = shown.copy()
    shown.insert(0, "label", [name if isinstance(name, str) and name else str(shown_id)
                              for shown_id, name in zip(shown.index, shown["name"])])
    g = nx.DiGraph()
    g.add_nodes_from(zip(shown.index, _attributes(shown)))
    columns = ["weight", "exchanges", "materials", "quantity", "unit", "quantities", "quantity_canonical",
               *NETWORK_SUMMED]
    g.add_edges_from(zip(edges["supplier_id"], edges["receiver_id"], _attributes(edges[columns])))
    return g


def _attributes(table: pd.DataFrame) -> list[dict]:
    """Each row's cells as plain Python values, without the missing ones (GraphML has no missing value)."""
    columns = [[_plain(v) for v in table[c].to_numpy(dtype=object)] for c in table.columns]
    return [{k: v for k, v in zip(table.columns, row) if v is not None} for row in zip(*columns)]


#: GraphML's attribute types of the Python values an export graph holds.
_GRAPHML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
#: Characters XML 1.0 cannot hold (C0 controls other than tab, newline and carriage return).
_NOT_XML = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _graphml_keys(items, start: int) -> dict[str, tuple[str, str]]:
    """Attribute name -> (key id, GraphML type) over the attribute dicts ``items`` (a mix of whole and
    decimal numbers is ``double``, any other mix ``string``)."""
    seen: dict[str, set[str]] = {}
    for data in items:
        for name, value in data.items():
            seen.setdefault(name, set()).add(_GRAPHML_TYPES.get(type(value), "string"))
    keys = {}
    for i, (name, types) in enumerate(seen.items(), start=start):
        kind = types.pop() if len(types) == 1 else "double" if types <= {"long", "double"} else "string"
        keys[name] = (f"d{i}", kind)
    return keys


def _graphml_data(data: dict, keys: dict[str, tuple[str, str]]) -> str:
    cells = []
    for name, value in data.items():
        key, kind = keys[name]
        text = repr(float(value)) if kind == "double" else str(value)
        cells.append(f'<data key="{key}">{escape(text.translate(_NOT_XML))}</data>')
    return "".join(cells)


def graphml_text(graph: nx.Graph) -> str:
    """A graph as GraphML text (what ``networkx.generate_graphml`` writes, without its indentation,
    several times faster on large graphs); ``networkx.read_graphml`` reads it back."""
    node_keys = _graphml_keys((d for _, d in graph.nodes(data=True)), 0)
    edge_keys = _graphml_keys((d for _, _, d in graph.edges(data=True)), len(node_keys))
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/'
             'xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    for domain, keys in (("node", node_keys), ("edge", edge_keys)):
        lines += [f'<key id="{key}" for="{domain}" attr.name={quoteattr(name)} attr.type="{kind}"/>'
                  for name, (key, kind) in keys.items()]
    lines.append(f'<graph edgedefault="{"directed" if graph.is_directed() else "undirected"}">')
    lines += [f"<node id={quoteattr(str(n).translate(_NOT_XML))}>{_graphml_data(d, node_keys)}</node>"
              for n, d in graph.nodes(data=True)]
    lines += [f"<edge source={quoteattr(str(u).translate(_NOT_XML))} target={quoteattr(str(v).translate(_NOT_XML))}>"
              f"{_graphml_data(d, edge_keys)}</edge>" for u, v, d in graph.edges(data=True)]
    lines += ["</graph>", "</graphml>", ""]
    return "\n".join(lines)


def write_graphml(graph: nx.Graph, path: str | Path) -> Path:
    """Write an :func:`export_graph` as GraphML (for Gephi); read it back with ``networkx.read_graphml``."""
    path = Path(path)
    path.write_text(graphml_text(graph), encoding="utf-8")
    return path
