"""Network analytics for regional planners: the company graph, keystones, aggregates, unmatched supply.

The exchange network (active and proposed exchanges alike) becomes an undirected networkx graph of
companies; an edge joins two companies that exchange anything, in either direction, and carries the
sums of their exchanges. Everything here works on plain tables: an exchanges table with at least
``supplier_id``, ``receiver_id``, ``material``, ``quantity_canonical`` (or ``quantity``), the five
indicators and ``transport_co2e_t`` (as :func:`symbiosis.impacts.build_exchanges` makes it), and the
companies table of a :class:`~symbiosis.registry.Registry` (indexed by ``company_id``).

"Diverted" (``diverted_t``) is the quantity the default objective maximises: tonnes of waste diverted
plus tonnes of virgin resource substituted (``waste_t + resource_t``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from symbiosis.data import read_dataset
from symbiosis.errors import SymbiosisError
from symbiosis.geo import EARTH_RADIUS_KM, build_index
from symbiosis.impacts import INDICATORS
from symbiosis.materials import MaterialCatalog, default_catalog
from symbiosis.registry import Registry
from symbiosis.rules import RuleBook, default_rulebook
from symbiosis.transport import default_transport_modes

#: Summed per edge, company and group: the five indicators, transport emissions and diverted tonnes.
SUMMED: tuple[str, ...] = (*INDICATORS, "transport_co2e_t", "diverted_t")
#: Groupings :func:`aggregate_indicators` knows.
AGGREGATE_BY: tuple[str, ...] = ("municipality", "branch", "material")
#: Branch of a company whose NACE division is in no range of ``datasets/nace_branch_groups.csv``.
OTHER_BRANCH = "other"
#: Default of ``dependency_share`` in :func:`keystone_ranking`: a company depends on a supplier that
#: delivers more than this share of what it receives of one material.
DEFAULT_DEPENDENCY_SHARE = 0.5
#: Default number of grid points per side that :func:`best_processor_site` tries over the area of
#: the unmatched supply (odd, so the centre of the area is one of them).
DEFAULT_GRID_POINTS = 21


class AnalyticsError(SymbiosisError):
    """An analysis cannot be made as asked (unknown company, material without supply, ...)."""


# --- branches --------------------------------------------------------------------------------------


@cache
def _branch_by_division() -> dict[str, str]:
    table = read_dataset("nace_branch_groups.csv")
    mapping: dict[str, str] = {}
    for row in table.itertuples(index=False):
        for division in range(int(row.division_from), int(row.division_to) + 1):
            mapping[f"{division:02d}"] = row.branch
    return mapping


def nace_branch(nace: pd.Series) -> pd.Series:
    """The branch group (``CA`` .. ``CM`` or ``other``) of NACE codes such as ``23.51``."""
    division = nace.astype(str).str.strip().str[:2]
    return division.map(_branch_by_division()).fillna(OTHER_BRANCH)


# --- the company graph ---------------------------------------------------------------------------


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
    ex["diverted_t"] = ex["waste_t"] + ex["resource_t"]
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
    sums = grouped[[*SUMMED, "quantity_canonical"]].sum()
    counts = grouped.size()
    materials = grouped["material"].agg(lambda s: ",".join(sorted(set(s))))
    for (u, v), row in sums.iterrows():
        g.add_edge(u, v, exchanges=int(counts[(u, v)]), quantity=float(row["quantity_canonical"]),
                   materials=materials[(u, v)], **{c: float(row[c]) for c in SUMMED})
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
    values = ex[list(SUMMED)].to_numpy(dtype=float)
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
               "total_exchanges", *SUMMED]
    table = pd.DataFrame(rows, columns=columns, index=pd.Index(nodes, name="company_id"))
    table = table.rename(columns={"diverted_t": "total_diverted_t"})
    table = table.sort_values(["total_diverted_t", "direct_diverted_t"], ascending=False, kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


# --- aggregates ------------------------------------------------------------------------------------


def aggregate_indicators(
    exchanges: pd.DataFrame, companies: pd.DataFrame, by: str, side: str = "supplier"
) -> pd.DataFrame:
    """The five indicators, transport emissions and diverted tonnes summed per group.

    Parameters
    ----------
    by
        ``municipality`` or ``branch`` (of the company on ``side``), or ``material`` (offered).
    side
        ``supplier`` (where the byproduct arises, the default) or ``receiver``: whose municipality
        or branch an exchange counts for. Each exchange counts for exactly one group.

    Returns
    -------
    DataFrame
        Indexed by the group, with ``exchanges``, ``companies`` (distinct suppliers and receivers
        involved) and the summed columns; sorted by ``diverted_t``.
    """
    if by not in AGGREGATE_BY:
        raise AnalyticsError(f"cannot aggregate by {by!r}: choose one of {', '.join(AGGREGATE_BY)}")
    if side not in ("supplier", "receiver"):
        raise AnalyticsError(f"side must be 'supplier' or 'receiver', not {side!r}")
    ex = prepare_exchanges(exchanges)
    owner = ex[f"{side}_id"]
    if by == "material":
        key = ex["material"]
    elif by == "branch":
        key = owner.map(nace_branch(companies["nace"]))
    else:
        key = owner.map(companies["municipality"])
    key = key.fillna("").astype(str)
    columns = ["exchanges", "companies", *SUMMED]
    if ex.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name=by))
    grouped = ex.assign(_key=key).groupby("_key")
    table = grouped[list(SUMMED)].sum()
    table.insert(0, "exchanges", grouped.size())
    table.insert(1, "companies", grouped.apply(
        lambda g: len(set(g["supplier_id"]) | set(g["receiver_id"])), include_groups=False))
    table.index.name = by
    return table[columns].sort_values("diverted_t", ascending=False, kind="stable")


# --- unmatched supply and processor sites ---------------------------------------------------------


def open_offers(unmatched: pd.DataFrame, registry: Registry, exchanges: pd.DataFrame | None = None) -> pd.DataFrame:
    """The offered quantity nobody takes: the offers among ``unmatched``'s listing ids, plus (when
    ``exchanges`` is given) the rest of partly taken offers.

    Returns
    -------
    DataFrame
        Indexed by ``listing_id``: ``company_id``, ``material``, ``canonical_unit``, ``municipality``,
        ``lat``, ``lon``, ``max_distance_km`` (the listing's own limit) and ``quantity`` (canonical
        units per year left over).
    """
    offers = registry.offers
    quantity = pd.Series(0.0, index=offers.index)
    unmatched_ids = offers.index.intersection(pd.Index(unmatched.index))
    quantity[unmatched_ids] = offers.loc[unmatched_ids, "quantity_canonical"]
    if exchanges is not None and len(exchanges):
        ex = prepare_exchanges(exchanges)
        taken = ex.groupby("offer_id")["quantity_canonical"].sum()
        taken = taken[taken.index.isin(offers.index)]
        rest = (offers.loc[taken.index, "quantity_canonical"] - taken).clip(lower=0.0)
        rest = rest[rest > offers.loc[rest.index, "quantity_canonical"] * 1e-9]
        quantity[rest.index] = rest
    quantity = quantity[quantity > 0]
    table = offers.loc[quantity.index, ["company_id", "material", "canonical_unit", "lat", "lon", "max_distance_km"]].copy()
    municipality = registry.companies["municipality"] if "municipality" in registry.companies else None
    table["municipality"] = table["company_id"].map(municipality) if municipality is not None else ""
    table["quantity"] = quantity
    table.index.name = "listing_id"
    return table


def unmatched_supply(
    unmatched: pd.DataFrame, registry: Registry, by: tuple[str, ...] = ("material", "municipality"),
    exchanges: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Byproducts nobody in reach takes, summed per ``by`` (columns of :func:`open_offers`).

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``canonical_unit``, ``listings``, ``companies`` and
        ``quantity`` (canonical units per year), largest first within each material.
    """
    table = open_offers(unmatched, registry, exchanges)
    bad = [c for c in by if c not in table.columns or c in ("quantity", "lat", "lon")]
    if bad:
        raise AnalyticsError(f"cannot group unmatched supply by {', '.join(bad)}: use material, municipality or company_id")
    keys = list(dict.fromkeys([*by, "canonical_unit"]))
    columns = [*keys, "listings", "companies", "quantity"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    table["municipality"] = table["municipality"].fillna("")
    grouped = table.reset_index().groupby(keys, sort=True)
    result = grouped.agg(listings=("listing_id", "size"), companies=("company_id", "nunique"),
                         quantity=("quantity", "sum")).reset_index()
    order = ["material", "quantity"] if "material" in keys else ["quantity"]
    ascending = [True, False] if "material" in keys else [False]
    return result.sort_values(order, ascending=ascending, kind="stable")[columns].reset_index(drop=True)


@dataclass(frozen=True)
class ProcessorSite:
    """Where a new processor of one material would take the most unmatched supply.

    Attributes
    ----------
    material, need_material
        The offered material and what the processor would make of it (the rule that sets the reach).
    lat, lon
        The best site found (WGS84 degrees).
    quantity, canonical_unit
        Unmatched supply within reach of the site, per year.
    offers
        Listing ids of the offers within reach.
    max_distance_km
        The economic road distance of the rule; each offer's own limit tightens it.
    transport_mode, detour_factor
        The rule's mode and its detour factor (road km per great-circle km).
    sites_tried
        How many candidate sites were compared.
    """

    material: str
    need_material: str
    lat: float
    lon: float
    quantity: float
    canonical_unit: str
    offers: list[str] = field(default_factory=list)
    max_distance_km: float = float("nan")
    transport_mode: str = ""
    detour_factor: float = 1.0
    sites_tried: int = 0


def best_processor_site(
    registry: Registry,
    unmatched: pd.DataFrame,
    material: str,
    rulebook: RuleBook | None = None,
    *,
    need_material: str | None = None,
    exchanges: pd.DataFrame | None = None,
    grid_points: int = DEFAULT_GRID_POINTS,
    catalog: MaterialCatalog | None = None,
    transport: pd.DataFrame | None = None,
) -> ProcessorSite:
    """The site for a new processor of ``material`` that would take the most unmatched supply.

    Candidate sites are the locations of the offering companies, a ``grid_points`` x
    ``grid_points`` grid over the bounding box of the unmatched supply and its quantity-weighted
    centre. A site reaches an offer when the great-circle distance (haversine ball tree) times the
    rule's detour factor is within the rule's ``max_distance_km`` and the offer's own limit. The
    rule is the one for ``need_material`` or, if not given, the rule that takes ``material`` the
    farthest. Ties go to the site reaching more offers, then to the first tried.

    Raises
    ------
    AnalyticsError
        When the material is unknown, no rule takes it, or there is no unmatched supply of it.
    """
    catalog = catalog or default_catalog()
    rulebook = rulebook or default_rulebook()
    transport = default_transport_modes() if transport is None else transport
    if grid_points < 1:
        raise AnalyticsError(f"grid_points must be at least 1, not {grid_points}")
    try:
        key = catalog.normalise(material)
    except ValueError as exc:
        raise AnalyticsError(f"material {material!r}: {exc}") from None
    rules = rulebook.rule_table()
    matches = rulebook.match_offers([key])
    matches = matches[matches["rule_id"] != "same-ewc-code"]
    if need_material is not None:
        matches = matches[matches["need_material"] == need_material]
    if matches.empty:
        wanted = f" into {need_material!r}" if need_material else ""
        raise AnalyticsError(f"no compatibility rule takes material {key!r}{wanted}")
    chosen = rules.loc[matches["rule_id"]].sort_values("max_distance_km", ascending=False).iloc[0]
    mode = str(chosen["transport_mode"])
    detour = float(transport["detour_factor"].get(mode, 1.0)) if mode in transport.index else 1.0
    detour = detour if np.isfinite(detour) and detour > 0 else 1.0
    supply = open_offers(unmatched, registry, exchanges)
    supply = supply[supply["material"] == key]
    if supply.empty:
        raise AnalyticsError(f"there is no unmatched supply of material {key!r}")
    limit = np.fmin(float(chosen["max_distance_km"]), supply["max_distance_km"].to_numpy(dtype=float))
    lat, lon = supply["lat"].to_numpy(dtype=float), supply["lon"].to_numpy(dtype=float)
    q = supply["quantity"].to_numpy(dtype=float)
    grid_lat = np.linspace(lat.min(), lat.max(), grid_points)
    grid_lon = np.linspace(lon.min(), lon.max(), grid_points)
    glat, glon = np.meshgrid(grid_lat, grid_lon, indexing="ij")
    sites = pd.DataFrame({
        "lat": np.concatenate([lat, glat.ravel(), [np.average(lat, weights=q)]]),
        "lon": np.concatenate([lon, glon.ravel(), [np.average(lon, weights=q)]]),
    }).drop_duplicates(ignore_index=True)
    tree = build_index(sites["lat"].to_numpy(), sites["lon"].to_numpy())
    radius = limit / detour / EARTH_RADIUS_KM
    reached = tree.query_radius(np.radians(np.column_stack([lat, lon])), r=radius)
    offer_pos = np.repeat(np.arange(len(supply)), [len(r) for r in reached])
    site_pos = np.concatenate(reached) if len(reached) else np.zeros(0, dtype=np.int64)
    quantity = np.bincount(site_pos, weights=q[offer_pos], minlength=len(sites))
    count = np.bincount(site_pos, minlength=len(sites))
    best = int(np.lexsort((np.arange(len(sites)), -count, -quantity))[0])
    offers = sorted(supply.index[offer_pos[site_pos == best]])
    return ProcessorSite(
        material=key, need_material=str(chosen["need_material"]), lat=float(sites.at[best, "lat"]),
        lon=float(sites.at[best, "lon"]), quantity=float(quantity[best]),
        canonical_unit=str(supply["canonical_unit"].iloc[0]), offers=offers,
        max_distance_km=float(chosen["max_distance_km"]), transport_mode=mode, detour_factor=detour,
        sites_tried=len(sites),
    )


# --- privacy --------------------------------------------------------------------------------------

#: Significant digits kept of a quantity or indicator a planner sees without the companies' consent.
PRIVACY_SIGNIFICANT_DIGITS = 1
#: Decimals of a degree kept of a non-consenting company's coordinates (0.01 degree is about 1 km).
PRIVACY_COORDINATE_DECIMALS = 2


def round_significant(values, digits: int = PRIVACY_SIGNIFICANT_DIGITS) -> np.ndarray:
    """Round to ``digits`` significant digits (153,000 -> 200,000 with one digit; 0 stays 0)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
    magnitude = np.where(np.isfinite(magnitude), magnitude, 0.0)
    step = 10.0 ** (magnitude - digits + 1)
    # Divide by steps of 1, 10, 100 ... and multiply by those below 1: exact for whole numbers.
    rounded = np.where(step >= 1, np.round(values / step) * step, np.round(values * (1 / step)) / (1 / step))
    return np.where(values == 0, 0.0, rounded)


@dataclass(frozen=True)
class Privacy:
    """What a viewer may see of single companies.

    Companies in ``consenting`` are shown as they are. Every other company gets a pseudonym
    (``n1``, ``n2``, ... in the order of a hash of its id, so the numbering does not follow the
    alphabet), no name, and coordinates rounded to ``coordinate_decimals``; an exchange's
    quantities and indicators are rounded to ``significant_digits`` unless both sides consent.
    """

    consenting: frozenset[str] = frozenset()
    significant_digits: int = PRIVACY_SIGNIFICANT_DIGITS
    coordinate_decimals: int = PRIVACY_COORDINATE_DECIMALS

    def pseudonyms(self, company_ids) -> dict[str, str]:
        """The id each company is shown as."""
        hidden = sorted({str(c) for c in company_ids} - set(self.consenting),
                        key=lambda c: hashlib.sha256(c.encode("utf-8")).hexdigest())
        shown = {c: c for c in company_ids if c in self.consenting}
        shown.update({c: f"n{i}" for i, c in enumerate(hidden, start=1)})
        return shown


def private_nodes(nodes: pd.DataFrame, privacy: Privacy) -> pd.DataFrame:
    """Company rows (indexed by ``company_id``) as a viewer under ``privacy`` may see them."""
    table = nodes.copy()
    names = privacy.pseudonyms(table.index)
    hidden = ~table.index.isin(list(privacy.consenting))
    if "name" in table:
        table["name"] = table["name"].astype(object).where(~hidden, None)
    for column in ("lat", "lon"):
        if column in table:
            table.loc[hidden, column] = table.loc[hidden, column].astype(float).round(privacy.coordinate_decimals)
    table.index = pd.Index([names[c] for c in table.index], name=table.index.name)
    return table


def private_exchanges(exchanges: pd.DataFrame, privacy: Privacy, company_ids) -> pd.DataFrame:
    """Exchange (or edge) rows with ``supplier_id``/``receiver_id`` as a viewer under ``privacy``
    may see them: pseudonyms, no listing ids, and rounded figures unless both sides consent."""
    table = exchanges.copy()
    names = privacy.pseudonyms(company_ids)
    both = table["supplier_id"].isin(privacy.consenting) & table["receiver_id"].isin(privacy.consenting)
    for column in ("offer_id", "need_id"):
        if column in table:
            table[column] = table[column].astype(object).where(both, None)
    numeric = [c for c in (*SUMMED, "quantity", "quantity_canonical", "need_quantity", "need_quantity_canonical",
                           "value_eur", "transport_ttw_t", "transport_wtt_t", "objective_contribution")
               if c in table]
    for column in numeric:
        rounded = round_significant(table[column].to_numpy(dtype=float), privacy.significant_digits)
        table[column] = np.where(both, table[column].to_numpy(dtype=float), rounded)
    table["supplier_id"] = table["supplier_id"].map(names)
    table["receiver_id"] = table["receiver_id"].map(names)
    return table


# --- exports --------------------------------------------------------------------------------------

_NODE_COLUMNS = ("name", "nace", "branch", "municipality", "lat", "lon")
_EXCHANGE_PROPERTIES = ("offer_id", "need_id", "supplier_id", "receiver_id", "status", "material", "need_material",
                        "quantity", "unit", "quantity_canonical", "distance_km", "transport_mode", *SUMMED,
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
        shown = private_nodes(nodes, privacy)
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
            for column in ("lat", "lon"):
                if data.get(column) is not None:
                    data[column] = round(data[column], privacy.coordinate_decimals)
        g.add_node(names[node], **{k: v for k, v in data.items() if v is not None})
    for u, v, data in graph.edges(data=True):
        data = {k: _plain(x) for k, x in data.items()}
        if privacy is not None and not (u in privacy.consenting and v in privacy.consenting):
            for column in (*SUMMED, "quantity"):
                if column in data and data[column] is not None:
                    data[column] = float(round_significant([data[column]], privacy.significant_digits)[0])
        g.add_edge(names[u], names[v], **{k: x for k, x in data.items() if x is not None})
    return g


def to_graphml(graph: nx.Graph, path: str | Path, privacy: Privacy | None = None) -> Path:
    """Write a company graph as GraphML (for Gephi); read it back with ``networkx.read_graphml``."""
    path = Path(path)
    nx.write_graphml(graphml_ready(graph, privacy), path)
    return path
