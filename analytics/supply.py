"""Supply nobody takes: open offers, unmatched supply per group, and the best site for a new processor."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.network import prepare_exchanges
from symbiosis.errors import AnalyticsError
from symbiosis.geo import EARTH_RADIUS_KM, build_index
from symbiosis.material_search import suggest
from symbiosis.materials import MaterialCatalog, default_catalog
from symbiosis.registry import Registry
from symbiosis.rules import RuleBook, default_rulebook
from symbiosis.transport import default_transport_modes

#: Default number of grid points per side that :func:`best_processor_site` tries over the area of
#: the unmatched supply (odd, so the centre of the area is one of them).
DEFAULT_GRID_POINTS = 21


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


def material_key(text: str, catalog: MaterialCatalog | None = None) -> str:
    """The catalog key of a material as a person writes it: a class id in any case, or a waste code
    (:meth:`~symbiosis.materials.MaterialCatalog.normalise`).

    Raises
    ------
    ValueError
        Saying why the text names no known material, and the closest materials when some are close.
    """
    try:
        return (catalog or default_catalog()).normalise(str(text))
    except ValueError as exc:
        hint = suggest(str(text))
        raise ValueError(f"{exc}; {hint}" if hint else str(exc)) from None


def processor_rule(material: str, rulebook: RuleBook | None = None, *, need_material: str | None = None) -> pd.Series:
    """The compatibility rule a processor of ``material`` (a catalog key) works by: the one into
    ``need_material`` (a catalog key) or, if not given, the one that takes ``material`` the farthest.

    Raises
    ------
    AnalyticsError
        When no rule takes the material (into ``need_material``).
    """
    rulebook = rulebook or default_rulebook()
    matches = rulebook.match_offers([material])
    matches = matches[matches["rule_id"] != "same-ewc-code"]
    possible = sorted(set(matches["need_material"]))
    if need_material is not None:
        matches = matches[matches["need_material"] == need_material]
    if matches.empty:
        wanted = f" into {need_material!r}" if need_material else ""
        into = f" (it can be made into: {', '.join(possible)})" if possible else ""
        raise AnalyticsError(f"no compatibility rule takes material {material!r}{wanted}{into}")
    return rulebook.rule_table().loc[matches["rule_id"]].sort_values("max_distance_km", ascending=False).iloc[0]


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
    farthest. Both materials are read as listings name them (:func:`material_key`). Ties go to the
    site reaching more offers, then to the first tried.

    Raises
    ------
    AnalyticsError
        When a material is unknown, no rule takes it, or there is no unmatched supply of it.
    """
    catalog = catalog or default_catalog()
    transport = default_transport_modes() if transport is None else transport
    if grid_points < 1:
        raise AnalyticsError(f"grid_points must be at least 1, not {grid_points}")
    try:
        key = material_key(material, catalog)
    except ValueError as exc:
        raise AnalyticsError(f"material {material!r}: {exc}") from None
    try:
        need_key = None if need_material is None else material_key(need_material, catalog)
    except ValueError as exc:
        raise AnalyticsError(f"need material {need_material!r}: {exc}") from None
    chosen = processor_rule(key, rulebook, need_material=need_key)
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
