"""Exports of the company network: GeoJSON (for QGIS and web maps), GraphML (for Gephi) and the company table."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from analytics.branches import nace_branch
from analytics.disclosure import EXCHANGE_FIGURES, Privacy, private_exchanges, private_nodes
from analytics.network import NETWORK_SUMMED, prepare_exchanges

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


def to_geojson(companies: pd.DataFrame, exchanges: pd.DataFrame, privacy: Privacy | None = None,
               metrics: pd.DataFrame | None = None) -> dict:
    """The network as a GeoJSON FeatureCollection (for QGIS and web maps).

    Companies are Point features (``kind: "company"``, with their attributes and, when given, their
    ``metrics`` row); exchanges are LineString features from supplier to receiver (``kind:
    "exchange"``) with their material, quantities, distance, status and indicators. Coordinates are
    ``[lon, lat]`` in WGS84 as GeoJSON (RFC 7946) requires. Under ``privacy`` companies and
    exchanges are shown as :func:`private_nodes` and :func:`private_exchanges` make them.
    """
    nodes = company_table(companies)
    if metrics is not None:
        nodes = nodes.join(metrics, how="left")
    ex = prepare_exchanges(exchanges)
    ex = ex[[c for c in _EXCHANGE_PROPERTIES if c in ex]]
    coords = nodes[["lat", "lon"]].astype(float)
    if privacy is not None:
        pairs = nx.Graph(list(zip(ex["supplier_id"], ex["receiver_id"])))
        pairs.add_nodes_from(nodes.index)
        shown = private_nodes(nodes, privacy, pairs)
        coords = pd.DataFrame(shown[["lat", "lon"]].to_numpy(), index=nodes.index, columns=["lat", "lon"])
        ex_shown = private_exchanges(ex, privacy, nodes.index)
    else:
        shown, ex_shown = nodes, ex
    features = []
    for (company_id, row), (shown_id, shown_row) in zip(nodes.iterrows(), shown.iterrows()):
        properties = {"kind": "company", "company_id": shown_id,
                      **{k: _plain(v) for k, v in shown_row.items() if k not in ("lat", "lon")}}
        features.append({"type": "Feature", "id": f"company:{shown_id}",
                         "geometry": {"type": "Point", "coordinates": [float(coords.at[company_id, "lon"]),
                                                                       float(coords.at[company_id, "lat"])]},
                         "properties": properties})
    for i, (row, shown_row) in enumerate(zip(ex.itertuples(index=False), ex_shown.itertuples(index=False)), start=1):
        line = [[float(coords.at[getattr(row, end), "lon"]), float(coords.at[getattr(row, end), "lat"])]
                for end in ("supplier_id", "receiver_id")]
        properties = {"kind": "exchange", **{k: _plain(v) for k, v in shown_row._asdict().items()}}
        features.append({"type": "Feature", "id": f"exchange:{i}",
                         "geometry": {"type": "LineString", "coordinates": line}, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def write_geojson(collection: dict, path: str | Path) -> Path:
    """Write a FeatureCollection as UTF-8 JSON."""
    path = Path(path)
    path.write_text(json.dumps(collection, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def graphml_ready(graph: nx.Graph, privacy: Privacy | None = None) -> nx.Graph:
    """A copy of a company graph that GraphML can hold (no missing values), optionally private."""
    g = nx.Graph()
    names = privacy.pseudonyms(graph.nodes) if privacy is not None else {n: n for n in graph.nodes}
    for node, data in graph.nodes(data=True):
        data = {k: _plain(v) for k, v in data.items()}
        if privacy is not None and node not in privacy.consenting:
            data.pop("name", None)
            if data.get("lat") is not None and data.get("lon") is not None:
                data["lat"], data["lon"] = privacy.point(data["lat"], data["lon"])
        g.add_node(names[node], **{k: v for k, v in data.items() if v is not None})
    for u, v, data in graph.edges(data=True):
        data = {k: _plain(x) for k, x in data.items()}
        if privacy is not None and not (u in privacy.consenting and v in privacy.consenting):
            for column in EXCHANGE_FIGURES:
                if column in data and data[column] is not None:
                    data[column] = privacy.rounded(data[column])
        g.add_edge(names[u], names[v], **{k: x for k, x in data.items() if x is not None})
    return g


def to_graphml(graph: nx.Graph, path: str | Path, privacy: Privacy | None = None) -> Path:
    """Write a company graph as GraphML (for Gephi); read it back with ``networkx.read_graphml``."""
    path = Path(path)
    nx.write_graphml(graphml_ready(graph, privacy), path)
    return path
