"""Candidate arcs: every feasible offer -> need pair within reach, found with a spatial index.

For each compatible material group (one rule and one need material) the offers and needs are put
in haversine ball trees; each listing looks up its ``max_candidates`` nearest partners on the
other side. The union of both directions is kept, so the number of arcs grows linearly with the
number of listings, never with their product. Pairs are then checked exactly: geodesic distance
times the mode's detour factor within the tightest of the rule's and both listings' limits,
different companies, and overlapping availability.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from symbiosis.economics import PriceBook, arc_savings, default_price_book, need_prices, offer_savings
from symbiosis.geo import SCREEN_MARGIN, build_tree, geodesic_km, great_circle_km, query_nearest
from symbiosis.materials import MaterialCatalog, default_catalog
from symbiosis.registry import Registry
from symbiosis.rules import FACTOR_COLUMNS, TREATMENT_COLUMN, TREATMENT_COST_COLUMN, RuleBook, default_rulebook
from symbiosis.schema import TRANSPORT_MODES
from symbiosis.directives import Directives
from symbiosis.errors import InputError, Problem
from symbiosis.transport import default_link_costs, default_transport_modes

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CandidateParams:
    """How candidates are searched.

    Attributes
    ----------
    max_candidates
        Nearest partners each listing looks up per compatible material group (both directions
        are united, so a listing can end with more arcs than this): a whole number, at least 1.
    check_availability
        Require the offer's and the need's availability windows to overlap (``True`` or ``False``).
    tile_size
        Query points per nearest-neighbour job: a larger side of a material group is split into
        spatial tiles of about this many points (jobs a Dask cluster can run apart): a whole
        number, at least 1.

    A wrong type is a :class:`TypeError` and a value out of range a :class:`ValueError`, each
    naming the field, the value given and what is allowed.
    """

    max_candidates: int = 10
    check_availability: bool = True
    tile_size: int = 250_000

    def __post_init__(self) -> None:
        for name in ("max_candidates", "tile_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"CandidateParams.{name} must be a whole number of at least 1, "
                                f"not {value!r} ({type(value).__name__})")
            if value < 1:
                raise ValueError(f"CandidateParams.{name} must be a whole number of at least 1, not {value!r}")
            object.__setattr__(self, name, int(value))  # frozen; a numpy integer becomes a plain int
        if not isinstance(self.check_availability, bool):
            raise TypeError(f"CandidateParams.check_availability must be True or False, "
                            f"not {self.check_availability!r} ({type(self.check_availability).__name__})")


@dataclass(frozen=True)
class Candidates:
    """The candidate graph as tables.

    Attributes
    ----------
    arcs
        One row per feasible offer -> need pair: ids, ``rule_id``, ``material``, ``need_material``,
        ``yield``, ``geodesic_km``, ``distance_km`` (road or pipe), ``max_distance_km`` (the limit
        that applied), ``transport_mode``, per-unit factors (per canonical unit of offer),
        per-unit transport emissions and cost, ``upper`` (the most offer units it can carry),
        ``grade_drop`` (grade steps the flow drops), ``use_rank`` (the need's waste-hierarchy rank),
        ``locked`` (a facilitator locked the pair), where any lock is given ``lock_min`` (the least
        quantity a lock asks of its arc) and, where any listing is dated, ``window_gap`` (how far the two availability windows
        disagree, 0 to 1: :func:`window_gap`).
        Ids, materials, ``rule_id``, ``transport_mode`` and ``treatment`` are categoricals (integer
        codes into the sorted labels); the result tables built from them hold plain text.
    offers, needs
        The offer and need listings (rows of the registry) by listing id.
    unmatched
        Listings without any arc, by listing id: ``reason``, ``nearest_id``, ``nearest_km``.
    """

    arcs: pd.DataFrame
    offers: pd.DataFrame
    needs: pd.DataFrame
    unmatched: pd.DataFrame

    def graph(self, attributes: tuple[str, ...] = ("yield", "distance_km", "upper", "rule_id")) -> nx.DiGraph:
        """A networkx view: offer and need listings as nodes, candidate arcs as edges."""
        g = nx.DiGraph()
        g.add_nodes_from(self.offers.index, kind="offer")
        g.add_nodes_from(self.needs.index, kind="need")
        columns = ["offer_id", "need_id", *attributes]
        for row in self.arcs[columns].itertuples(index=False):
            g.add_edge(row[0], row[1], **dict(zip(attributes, row[2:])))
        return g


def _tonnes_per_unit(material: np.ndarray, catalog: MaterialCatalog) -> np.ndarray:
    """Tonnes moved per canonical unit: mass 1, volume by density, energy flows none."""
    codes, keys = pd.factorize(np.asarray(material, dtype=object))
    items = [catalog.get(k) for k in keys]
    values = np.array([1.0 if m.dimension == "mass" else (m.density_t_per_m3 or 0.0) if m.dimension == "volume"
                       else 0.0 for m in items], dtype=float)
    return values[codes] if len(keys) else np.zeros(len(material))


def build_candidates(
    registry: Registry,
    params: CandidateParams | None = None,
    *,
    rulebook: RuleBook | None = None,
    transport: pd.DataFrame | None = None,
    catalog: MaterialCatalog | None = None,
    link_costs: pd.DataFrame | None = None,
    directives: Directives | None = None,
    prices: PriceBook | None = None,
    progress: Progress | None = None,
    map_jobs: Callable[[Callable, list[tuple]], list] | None = None,
    region_materials: tuple[pd.Index, pd.Index] | None = None,
) -> Candidates:
    """Find every feasible offer -> need arc of a registry.

    Parameters
    ----------
    registry
        Validated companies and listings.
    params
        Search parameters; defaults to :class:`CandidateParams`.
    directives
        Locked pairs become arcs whatever their distance or availability (they must still be
        compatible and between two companies); forbidden pairs and company pairs are left out.
    progress
        Called as ``progress(done, total)`` as the nearest-neighbour searches of the material
        groups complete (two per group).
    map_jobs
        Runs the nearest-neighbour jobs (one per direction, material group and spatial tile) as
        ``map_jobs(function, jobs)``, returning the results in order; by default one after another
        in this process (:mod:`solvers.distributed` runs them as Dask tasks).
    region_materials
        The offered and the needed materials of the whole region, when ``registry`` is one part of
        it (:mod:`symbiosis.parts`): why a listing has no partner (e.g. a heat grade too low for
        every heat need listed) is told against the whole region, not the part (default: the
        registry's own).

    Raises
    ------
    InputError
        When a locked pair is not compatible or within one company.
    """
    params = params or CandidateParams()
    prices = prices or default_price_book()
    rulebook = rulebook or default_rulebook()
    transport = default_transport_modes() if transport is None else transport
    catalog = catalog or default_catalog()
    link_costs = default_link_costs() if link_costs is None else link_costs
    directives = directives or Directives()
    offers, needs = registry.offers, registry.needs
    rules = rulebook.rule_table()
    need_price = need_prices(needs, prices, catalog)
    offer_saving = offer_savings(offers, prices, catalog)

    matches = rulebook.match_offers(offers["material"].unique())
    matches = matches[matches["need_material"].isin(needs["material"].unique())]
    groups = list(matches.groupby(["rule_id", "need_material"], sort=True))

    offer_pos_by_material = pd.Series(np.arange(len(offers))).groupby(offers["material"].to_numpy()).apply(np.asarray)
    need_pos_by_material = pd.Series(np.arange(len(needs))).groupby(needs["material"].to_numpy()).apply(np.asarray)
    o_lat, o_lon = offers["lat"].to_numpy(), offers["lon"].to_numpy()
    n_lat, n_lon = needs["lat"].to_numpy(), needs["lon"].to_numpy()

    rule_pos = {rule_id: i for i, rule_id in enumerate(rules.index)}
    k = params.max_candidates
    jobs, meta = [], []  # one nearest-neighbour job per direction, group and spatial tile
    for (rule_id, need_material), group in groups:
        o_pos = np.concatenate([offer_pos_by_material[m] for m in group["offer_material"]])
        n_pos = need_pos_by_material[need_material]
        for tile in spatial_tiles(o_lat[o_pos], o_lon[o_pos], params.tile_size):
            jobs.append((n_lat[n_pos], n_lon[n_pos], o_lat[o_pos[tile]], o_lon[o_pos[tile]], k))
            meta.append((rule_id, "offer", o_pos, n_pos, tile))
        for tile in spatial_tiles(n_lat[n_pos], n_lon[n_pos], params.tile_size):
            jobs.append((o_lat[o_pos], o_lon[o_pos], n_lat[n_pos[tile]], n_lon[n_pos[tile]], k))
            meta.append((rule_id, "need", o_pos, n_pos, tile))
    found = list((map_jobs or _map_in_process)(nearest_of, jobs))
    del jobs
    parts_o, parts_n, parts_rule = [], [], []
    pending: list[tuple[np.ndarray, np.ndarray]] = []
    for number, (rule_id, side, o_pos, n_pos, tile) in enumerate(meta):
        q, hit = found[number]
        found[number] = None  # each job's neighbours are let go once taken
        pending.append((tile[q], hit))
        last = number + 1 == len(meta) or meta[number + 1][:2] != (rule_id, side)
        if not last:
            continue
        # The tiles of one direction back in query order: the same pairs in the same order as untiled.
        q = np.concatenate([p[0] for p in pending])
        hit = np.concatenate([p[1] for p in pending])
        pending = []
        order = np.argsort(q, kind="stable")
        q, hit = q[order], hit[order]
        if side == "offer":
            parts_o.append(o_pos[q])
            parts_n.append(n_pos[hit])
        else:
            parts_o.append(o_pos[hit])
            parts_n.append(n_pos[q])
        parts_rule.append(np.full(len(q), rule_pos[rule_id], dtype=np.int32))
        if progress:
            progress(len(parts_rule), 2 * len(groups))

    q = hit = order = None  # the last direction's arrays are let go too
    locked_o, locked_n, locked_r = _lock_triples(directives, offers, needs, matches, rule_pos)
    parts_o.append(locked_o)
    parts_n.append(locked_n)
    parts_rule.append(locked_r)
    return _check_pairs(
        registry, parts_o, parts_n, parts_rule, params,
        rules=rules, rulebook=rulebook, matches=matches, transport=transport, catalog=catalog,
        link_costs=link_costs, directives=directives, need_price=need_price, offer_saving=offer_saving,
        region_materials=region_materials,
    )


def nearest_of(index_lat: np.ndarray, index_lon: np.ndarray, lat: np.ndarray, lon: np.ndarray,
               k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest indexed points of each query point: (query positions, indexed positions)."""
    return query_nearest(build_tree(index_lat, index_lon), lat, lon, k)


def spatial_tiles(lat: np.ndarray, lon: np.ndarray, size: int) -> list[np.ndarray]:
    """Query positions split into spatial tiles of at most about ``size`` points: whole-degree cells
    in order of latitude then longitude, cut into runs (one tile when there are few points)."""
    if len(lat) <= size:
        return [np.arange(len(lat))]
    order = np.lexsort((np.floor(lon), np.floor(lat)))
    return [np.sort(part) for part in np.array_split(order, int(np.ceil(len(lat) / size)))]


def _map_in_process(function: Callable, jobs: list[tuple]) -> list:
    return [function(*job) for job in jobs]


def _check_pairs(
    registry: Registry, o_parts: list[np.ndarray], n_parts: list[np.ndarray], r_parts: list[np.ndarray],
    params: CandidateParams, *,
    rules: pd.DataFrame, rulebook: RuleBook, matches: pd.DataFrame, transport: pd.DataFrame,
    catalog: MaterialCatalog, link_costs: pd.DataFrame, directives: Directives, need_price: pd.Series,
    offer_saving: pd.Series, region_materials: tuple[pd.Index, pd.Index] | None = None,
) -> Candidates:
    """Check the pairs (offer, need and rule positions, in parts that are emptied once joined, so
    that they are not held twice) and build the candidate arcs.

    Every pair is screened with the great-circle distance shortened by the screening margin; the
    pairs that pass (and locked pairs) get the exact geodesic and are checked again, so the arcs
    carry exact geodesic distances. Listing ids stay integer positions until the arcs are built.
    The pairs are checked :data:`PAIR_CHUNK` at a time, keeping of each chunk only its arcs and,
    for the explanations of listings without any, the pairs that failed.
    """
    offers, needs, companies = registry.offers, registry.needs, _with_access(registry.companies)
    o, n, r = _unique_pairs(*(_joined_once(parts) for parts in (o_parts, n_parts, r_parts)), len(needs))
    check = _PairCheck.of(offers, needs, companies, rules, params, catalog, directives, need_price, offer_saving,
                          transport, link_costs)
    # Each chunk's arcs go straight into columns sized for every pair, which are then shrunk in
    # place to the arcs found (the part never written is never touched, so it takes no memory).
    a: dict[str, np.ndarray] = {}
    failed, filled = [], 0
    for first in range(0, max(len(o), 1), PAIR_CHUNK):  # once at least, so that no pairs give empty arrays
        part = slice(first, first + PAIR_CHUNK)
        arcs_part, failed_part = check(o[part], n[part], r[part])
        found = len(arcs_part["o"])
        a = a or {name: np.empty(len(o), dtype=values.dtype) for name, values in arcs_part.items()}
        for name, values in arcs_part.items():
            a[name][filled:filled + found] = values
        filled += found
        failed.append(failed_part)
    for values in a.values():
        values.resize(filled, refcheck=False)  # no view of these columns exists yet
    tried = _Tried(**{name: np.concatenate([t.pop(name) for t in failed]) for name in _Tried.__dataclass_fields__})
    of, nf, rf = a.pop("o"), a.pop("n"), a.pop("r")
    # Ids, materials, rules and modes as categoricals: integer codes into sorted labels.
    material, need_material = coded(offers["material"], of), coded(needs["material"], nf)
    columns = {
        "rule_id": coded(rules.index, rf),
        "offer_id": coded(offers.index, of),
        "need_id": coded(needs.index, nf),
        "supplier_id": coded(companies.index, a.pop("supplier")),
        "receiver_id": coded(companies.index, a.pop("receiver")),
        "material": material,
        "need_material": need_material,
        "geodesic_km": a.pop("geodesic_km"),
        "transport_mode": coded(TRANSPORT_MODES, a.pop("mode")),
        "distance_km": a.pop("distance_km"),
        "max_distance_km": a.pop("max_distance_km"),
        "yield": a.pop("yield"),
        **{column: rules[column].to_numpy()[rf] for column in FACTOR_COLUMNS},
        # value_eur per offer unit before transport: both sides' savings less the treatment.
        "value_eur": a.pop("value_eur"),
        "receiver_saving_eur_per_unit": a.pop("receiver_saving_eur_per_unit"),
        "supplier_saving_eur_per_unit": a.pop("supplier_saving_eur_per_unit"),
        "treatment_cost_eur_per_unit": a.pop("treatment_cost_eur_per_unit"),
        "treatment": coded(rules[TREATMENT_COLUMN], rf),
        **{column: a.pop(column) for column in ("transport_ttw_t_per_unit", "transport_wtt_t_per_unit",
                                                "transport_cost_eur_per_unit", "link_cost_eur")},
    }
    columns["transport_co2e_t_per_unit"] = columns["transport_ttw_t_per_unit"] + columns["transport_wtt_t_per_unit"]
    columns["upper"] = a.pop("upper")
    columns["grade_drop"] = _grade_drop(pd.Series(material), pd.Series(need_material), catalog)
    columns["use_rank"] = catalog.use_ranks(pd.Series(need_material)).astype(np.int8)
    if "window_gap" in a:
        columns["window_gap"] = a.pop("window_gap")
    columns["locked"] = a.pop("locked")
    # The columns as they are, without a copy into one block.
    arcs = pd.DataFrame(columns, copy=False)
    del columns
    if len(directives.locks):
        # Only locked arcs can carry a lock's minimum: look those up, not every arc.
        lock_min = directives.locks.set_index(["offer_id", "need_id"])["min_quantity"]
        held = np.flatnonzero(arcs["locked"].to_numpy(dtype=bool))
        keys = pd.MultiIndex.from_arrays([arcs["offer_id"].iloc[held].astype(object),
                                          arcs["need_id"].iloc[held].astype(object)])
        minimum = np.zeros(len(arcs))
        minimum[held] = lock_min.reindex(keys).fillna(0.0).to_numpy(dtype=float)
        arcs["lock_min"] = minimum  # only with locks: without, no arc has a minimum
        if "max_quantity" in directives.locks and directives.locks["max_quantity"].notna().any():
            # A lock's maximum caps its arc, so that every engine keeps the pair at or below it.
            lock_max = directives.locks.set_index(["offer_id", "need_id"])["max_quantity"].astype(float)
            most = lock_max.reindex(keys).to_numpy(dtype=float)
            upper = arcs["upper"].to_numpy(dtype=float).copy()
            upper[held] = np.fmin(upper[held], most)
            arcs["upper"] = upper
    unmatched = _explain_unmatched(offers, needs, matches, rulebook, tried, arcs, catalog, region_materials)
    return Candidates(arcs=arcs, offers=offers, needs=needs, unmatched=unmatched)


#: Candidate pairs checked at a time (the per-pair work of one chunk is held in memory at once).
PAIR_CHUNK = 1_000_000


@dataclass(frozen=True)
class _PairCheck:
    """What checking a pair reads, per listing, company and rule, looked up once; called on the
    offer, need and rule positions of some pairs, it returns the arcs' values and the failed pairs."""

    offers: pd.DataFrame
    needs: pd.DataFrame
    companies: pd.DataFrame
    directives: Directives
    transport: pd.DataFrame
    link_costs: pd.DataFrame
    arrays: dict[str, np.ndarray]

    @classmethod
    def of(cls, offers: pd.DataFrame, needs: pd.DataFrame, companies: pd.DataFrame, rules: pd.DataFrame,
           params: CandidateParams, catalog: MaterialCatalog, directives: Directives, need_price: pd.Series,
           offer_saving: pd.Series, transport: pd.DataFrame, link_costs: pd.DataFrame) -> _PairCheck:
        # Text columns are looked at once per rule or listing; the pairs index the results.
        has_treatment = rules[TREATMENT_COLUMN].to_numpy(dtype=object) != ""
        o_stated, o_mode = _mode_codes(offers["transport_mode"])
        n_stated, n_mode = _mode_codes(needs["transport_mode"])
        arrays = {
            "o_lat": offers["lat"].to_numpy(dtype=float), "o_lon": offers["lon"].to_numpy(dtype=float),
            "n_lat": needs["lat"].to_numpy(dtype=float), "n_lon": needs["lon"].to_numpy(dtype=float),
            "o_company": companies.index.get_indexer(offers["company_id"]),
            "n_company": companies.index.get_indexer(needs["company_id"]),
            "rail": companies["rail_siding"].to_numpy(dtype=bool), "port": companies["port_access"].to_numpy(dtype=bool),
            "yield": rules["yield"].to_numpy(dtype=float), "rule_value": rules["value_eur"].to_numpy(dtype=float),
            "treatment": np.where(has_treatment, rules[TREATMENT_COST_COLUMN].to_numpy(dtype=float), 0.0),
            "rule_mode": _mode_codes(rules["transport_mode"])[1], "rule_limit": rules["max_distance_km"].to_numpy(dtype=float),
            "need_price": need_price.to_numpy(dtype=float), "offer_saving": offer_saving.to_numpy(dtype=float),
            "o_quantity": offers["quantity_canonical"].to_numpy(dtype=float),
            "n_quantity": needs["quantity_canonical"].to_numpy(dtype=float),
            "o_stated": o_stated, "o_mode": o_mode, "n_stated": n_stated, "n_mode": n_mode,
            "o_limit": offers["max_distance_km"].to_numpy(dtype=float),
            "n_limit": needs["max_distance_km"].to_numpy(dtype=float),
            "tonnes_per_unit": _tonnes_per_unit(offers["material"].to_numpy(dtype=object), catalog),
        }
        dated = any(frame[column].notna().any() for frame in (offers, needs) for column in ("available_from", "available_to"))
        if params.check_availability and dated:  # without any date every pair overlaps and every window agrees
            arrays |= {"o_from": _days(offers["available_from"], -np.inf), "n_from": _days(needs["available_from"], -np.inf),
                       "o_to": _days(offers["available_to"], np.inf), "n_to": _days(needs["available_to"], np.inf)}
        return cls(offers, needs, companies, directives, transport, link_costs, arrays)

    def __call__(self, o: np.ndarray, n: np.ndarray, r: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        x, offers, needs, companies, directives = self.arrays, self.offers, self.needs, self.companies, self.directives
        o_company, n_company = x["o_company"][o], x["n_company"][n]
        yields = x["yield"][r]
        receiver, supplier, gross = arc_savings(x["need_price"][n], x["offer_saving"][o], yields, x["rule_value"][r])
        treatment = x["treatment"][r]
        upper = np.minimum(x["o_quantity"][o], x["n_quantity"][n] / yields)
        o_stated = x["o_stated"][o]
        tonnes_per_unit = x["tonnes_per_unit"][o]
        mode_inputs = dict(
            stated=np.where(o_stated, x["o_mode"][o], x["n_mode"][n]), has_stated=o_stated | x["n_stated"][n],
            rule_mode=x["rule_mode"][r], rail=x["rail"][o_company] & x["rail"][n_company],
            port=x["port"][o_company] & x["port"][n_company], listing_limit=np.fmin(x["o_limit"][o], x["n_limit"][n]),
            rule_limit=x["rule_limit"][r], economics_known=np.isfinite(gross - treatment),
            tonnes_per_unit=tonnes_per_unit, upper=upper, transport=self.transport, link_costs=self.link_costs,
        )
        o_lat, o_lon, n_lat, n_lon = x["o_lat"][o], x["o_lon"][o], x["n_lat"][n], x["n_lon"][n]
        distance = great_circle_km(o_lat, o_lon, n_lat, n_lon)
        locked = _locked_pairs(directives, offers, needs, o, n)
        exact = choose_modes(geodesic=distance * (1 - SCREEN_MARGIN), screen=True, **mode_inputs).within | locked
        distance[exact] = geodesic_km(o_lat[exact], o_lon[exact], n_lat[exact], n_lon[exact])
        del o_lat, o_lon, n_lat, n_lon
        reach = choose_modes(geodesic=distance, **mode_inputs)
        del mode_inputs
        within = reach.within
        other_company = o_company != n_company
        if "o_from" in x:
            overlap = np.maximum(x["o_from"][o], x["n_from"][n]) <= np.minimum(x["o_to"][o], x["n_to"][n])
        else:
            overlap = np.ones(len(o), dtype=bool)
        forbidden = np.zeros(len(o), bool)
        if len(directives.forbidden_pairs) or len(directives.forbidden_companies):
            forbidden[within] = directives.forbidden_mask(
                pd.Series(offers.index.to_numpy()[o[within]]), pd.Series(needs.index.to_numpy()[n[within]]),
                pd.Series(companies.index.to_numpy()[o_company[within]]),
                pd.Series(companies.index.to_numpy()[n_company[within]]))
        feasible = (within & other_company & overlap & ~forbidden) | locked
        f, out = np.flatnonzero(feasible), np.flatnonzero(~feasible)
        mode, distance_km = reach.mode[f], reach.distance_km[f]
        arcs = {
            "o": o[f], "n": n[f], "r": r[f], "supplier": o_company[f], "receiver": n_company[f],
            "geodesic_km": distance[f], "mode": mode, "distance_km": distance_km, "max_distance_km": reach.limit_km[f],
            "yield": yields[f], "value_eur": gross[f] - treatment[f], "receiver_saving_eur_per_unit": receiver[f],
            "supplier_saving_eur_per_unit": supplier[f], "treatment_cost_eur_per_unit": treatment[f],
            **transport_per_unit(mode, distance_km, tonnes_per_unit[f], self.transport, self.link_costs),
            "upper": upper[f], "locked": locked[f],
        }
        if "o_from" in x:
            arcs["window_gap"] = window_gap(x["o_from"][o[f]], x["o_to"][o[f]], x["n_from"][n[f]], x["n_to"][n[f]])
        failed = {"o": o[out], "n": n[out], "within": within[out], "other": other_company[out],
                  "overlap": overlap[out], "forbidden": forbidden[out], "exact": exact[out],
                  "limit_km": reach.limit_km[out], "distance_km": reach.distance_km[out],
                  "detour": reach.distance_km[out] / np.where(distance[out] > 0, distance[out], 1.0)}
        return arcs, failed


def _grade_drop(offered: pd.Series, needed: pd.Series, catalog: MaterialCatalog) -> np.ndarray:
    """Per arc, how many grade steps the flow drops (same grade family, higher rank offered); the
    materials are categoricals, so the catalog is read once per material."""
    o_code, o_keys = codes_of(offered)
    n_code, n_keys = codes_of(needed)
    if not len(o_code):
        return np.zeros(0, dtype=np.int16)
    o_items, n_items = [catalog.get(k) for k in o_keys], [catalog.get(k) for k in n_keys]
    families, _ = pd.factorize(pd.Series([m.grade_family for m in (*o_items, *n_items)], dtype=object))
    o_family, n_family = families[: len(o_items)][o_code], families[len(o_items):][n_code]
    rank = lambda items: np.array([np.nan if m.grade_rank is None else float(m.grade_rank) for m in items])  # noqa: E731
    drop = rank(o_items)[o_code] - rank(n_items)[n_code]
    same = (o_family == n_family) & (o_family >= 0)
    drop = np.where(same & np.isfinite(drop) & (drop > 0), drop, 0.0)
    # Grade ranks are whole numbers: the steps fit two bytes an arc, unless a catalog spaces them widely.
    return drop.astype(np.int16) if drop.max(initial=0.0) <= np.iinfo(np.int16).max else drop


def codes_of(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and their labels: a categorical's own, else by factorizing."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), values.cat.categories
    codes, keys = pd.factorize(values.to_numpy(dtype=object))
    return codes, pd.Index(keys)


def rank_in_group(code: np.ndarray) -> np.ndarray:
    """Per element, how many elements with the same code come before it."""
    order = np.argsort(code, kind="stable")
    sorted_code = code[order]
    starts = np.flatnonzero(np.r_[True, sorted_code[1:] != sorted_code[:-1]])
    rank = np.empty(len(code), dtype=np.int64)
    rank[order] = np.arange(len(code)) - np.repeat(starts, np.diff(np.r_[starts, len(code)]))
    return rank


def coded(labels, positions: np.ndarray) -> pd.Categorical:
    """``labels[positions]`` as a categorical: integer codes into the distinct labels in sorted
    order (so sorting and grouping by the codes order the text as the text itself would)."""
    codes, keys = pd.factorize(np.asarray(labels, dtype=object), sort=True)
    return pd.Categorical.from_codes(codes[positions], dtype=pd.CategoricalDtype(keys), validate=False)


def _mode_codes(stated: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row: whether a transport mode is stated, and its position in TRANSPORT_MODES (-1: none)."""
    text = stated.to_numpy(dtype=object)
    return text != "", pd.Index(TRANSPORT_MODES).get_indexer(pd.Index(text))


def _with_access(companies: pd.DataFrame) -> pd.DataFrame:
    """Companies with boolean ``port_access`` and ``rail_siding`` (False where not stated)."""
    frame = companies
    for column in ("port_access", "rail_siding"):
        if column not in frame:
            frame = frame.assign(**{column: False})
    return frame


@dataclass(frozen=True)
class Reach:
    """Per pair: the chosen transport mode (its position in TRANSPORT_MODES), its road/rail/sea/pipe
    distance, the distance limit that applied (NaN where cost alone decides) and whether the pair is
    within it."""

    mode: np.ndarray
    distance_km: np.ndarray
    limit_km: np.ndarray
    within: np.ndarray


def choose_modes(
    *, geodesic: np.ndarray, stated: np.ndarray, has_stated: np.ndarray, rule_mode: np.ndarray, rail: np.ndarray,
    port: np.ndarray, listing_limit: np.ndarray, rule_limit: np.ndarray, economics_known: np.ndarray,
    tonnes_per_unit: np.ndarray, upper: np.ndarray, transport: pd.DataFrame, link_costs: pd.DataFrame,
    screen: bool = False,
) -> Reach:
    """Each pair's cheapest allowed transport mode (modes given as positions in TRANSPORT_MODES:
    ``stated`` where ``has_stated``, and the rule's ``rule_mode``).

    A mode a listing states is the only one allowed. Otherwise a pipeline rule allows only the
    pipeline; any other rule allows its own mode, the road (truck), rail where both sites have a
    siding and ship where both have port access. A mode is in reach within the listings' own
    limits and, for a pipeline (a physical limit) or where the exchange's economics are unknown,
    the rule's limit; elsewhere the cost decides (an exchange that loses money is left out by the
    solver). Among the modes in reach, the one with the least transport and link cost at the
    pair's full quantity wins; on equal cost the rule's mode. With ``screen`` only ``within`` is
    decided (whether any allowed mode is in reach); the other fields are left empty.
    """
    n = len(geodesic)
    transport, link_costs = transport.reindex(TRANSPORT_MODES), link_costs.reindex(TRANSPORT_MODES)
    detour = transport["detour_factor"].to_numpy(dtype=float)
    best_cost = np.full(n, np.inf)
    chosen = np.full(n, -1)
    fallback = np.where(has_stated, stated, rule_mode)
    pipeline_rule = rule_mode == TRANSPORT_MODES.index("pipeline")
    limit_if_unknown = np.where(economics_known, np.inf, rule_limit)
    limits = np.empty((len(TRANSPORT_MODES), n))
    for m, mode in enumerate(TRANSPORT_MODES):
        open_by_rule = rule_mode == m
        if mode == "truck":
            open_by_rule |= ~pipeline_rule
        elif mode in ("rail", "ship"):
            open_by_rule |= ~pipeline_rule & (rail if mode == "rail" else port)
        allowed = np.where(has_stated, stated == m, open_by_rule)
        limits[m] = np.fmin(listing_limit, rule_limit if mode == "pipeline" else limit_if_unknown)
        distance = geodesic * detour[m]
        if screen:
            chosen[allowed & (distance <= limits[m])] = m
            continue
        cost = (tonnes_per_unit * distance * transport.at[mode, "cost_eur_per_tkm"] * upper
                + link_costs.at[mode, "fixed_eur_per_yr"] + link_costs.at[mode, "eur_per_km_per_yr"] * distance)
        cost -= 1e-9 * (fallback == m)  # on equal cost, the stated or the rule's mode
        better = allowed & (distance <= limits[m]) & (cost < best_cost)
        chosen[better], best_cost[better] = m, cost[better]
    within = chosen >= 0
    if screen:
        return Reach(mode=np.zeros(0, dtype=np.int64), distance_km=np.zeros(0), limit_km=np.zeros(0), within=within)
    chosen = np.where(within, chosen, fallback)
    limit = limits[chosen, np.arange(n)]
    return Reach(mode=chosen, distance_km=geodesic * detour[chosen],
                 limit_km=np.where(np.isfinite(limit), limit, np.nan), within=within)


def transport_per_unit(mode: np.ndarray, distance_km: np.ndarray, tonnes_per_unit: np.ndarray,
                       transport: pd.DataFrame, link_costs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per arc of the given modes (positions in TRANSPORT_MODES) and distances: the transport
    emissions (tank-to-wheel, well-to-tank) and cost per canonical unit, and the yearly link cost."""
    transport, link_costs = transport.reindex(TRANSPORT_MODES), link_costs.reindex(TRANSPORT_MODES)
    tonne_km = tonnes_per_unit * distance_km
    factor = lambda table, column: table[column].to_numpy(dtype=float)[mode]  # noqa: E731
    return {
        "transport_ttw_t_per_unit": tonne_km * factor(transport, "kg_co2e_per_tkm_ttw") / 1000.0,
        "transport_wtt_t_per_unit": tonne_km * factor(transport, "kg_co2e_per_tkm_wtt") / 1000.0,
        "transport_cost_eur_per_unit": tonne_km * factor(transport, "cost_eur_per_tkm"),
        "link_cost_eur": factor(link_costs, "fixed_eur_per_yr") + factor(link_costs, "eur_per_km_per_yr") * distance_km,
    }


def _grade_gap(material: str, others: np.ndarray, side: str, catalog: MaterialCatalog) -> str:
    """"grade too low" when the other side lists the same grade family only at a grade this one
    cannot serve or be served by (no rule names a treatment between them); else empty."""
    item = catalog.get(material)
    if item.grade_family is None or item.grade_rank is None:
        return ""
    family = [catalog.get(m) for m in others]
    family = [m for m in family if m.grade_family == item.grade_family and m.grade_rank is not None]
    if side == "need":
        lower = sorted({m.key for m in family if m.grade_rank < item.grade_rank})
        return (f"grade too low: the {item.grade_family} offered in the region ({', '.join(lower)}) is of a lower "
                f"grade than {material}, and no rule names a treatment that raises it") if lower else ""
    higher = sorted({m.key for m in family if m.grade_rank > item.grade_rank})
    return (f"grade too low: the {item.grade_family} needs in the region ({', '.join(higher)}) require a higher "
            f"grade than {material}, and no rule names a treatment that raises it") if higher else ""


def check_locks(registry: Registry, directives: Directives, rulebook: RuleBook | None = None) -> None:
    """Raise :class:`InputError` for every lock that no compatibility rule allows or that joins
    two listings of one company, as :func:`build_candidates` would (for a run in independent parts,
    before any part is searched)."""
    if directives.locks.empty:
        return
    rulebook = rulebook or default_rulebook()
    offers, needs = registry.offers, registry.needs
    matches = rulebook.match_offers(offers["material"].unique())
    rule_pos = {rule_id: i for i, rule_id in enumerate(rulebook.rule_table().index)}
    _lock_triples(directives, offers, needs, matches, rule_pos)


def _lock_triples(directives: Directives, offers: pd.DataFrame, needs: pd.DataFrame, matches: pd.DataFrame,
                  rule_pos: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offer, need and rule positions of each locked pair; an incompatible lock is an input error."""
    if directives.locks.empty:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.int32)
    rule_of = matches.set_index(["offer_material", "need_material"])["rule_id"]
    o_pos, n_pos, r_pos, problems = [], [], [], []
    for lock in directives.locks.itertuples(index=False):
        table, row = lock.label.rsplit(" row ", 1)
        o_material, n_material = offers.at[lock.offer_id, "material"], needs.at[lock.need_id, "material"]
        rule = rule_of.get((o_material, n_material))
        if rule is None:
            problems.append(Problem(table, int(row), None, f"lock {lock.offer_id} -> {lock.need_id}: no compatibility "
                                    f"rule lets {o_material} serve {n_material}"))
        elif offers.at[lock.offer_id, "company_id"] == needs.at[lock.need_id, "company_id"]:
            problems.append(Problem(table, int(row), None, f"lock {lock.offer_id} -> {lock.need_id}: both belong to the same company"))
        else:
            o_pos.append(offers.index.get_loc(lock.offer_id))
            n_pos.append(needs.index.get_loc(lock.need_id))
            r_pos.append(rule_pos[rule])
    if problems:
        raise InputError(problems)
    return np.array(o_pos, dtype=np.int64), np.array(n_pos, dtype=np.int64), np.array(r_pos, dtype=np.int32)


#: Days by which two availability windows' starts (or ends) may differ before they count as
#: wholly different in :func:`window_gap`.
WINDOW_GAP_CAP_DAYS = 3652.5


def window_gap(o_from: np.ndarray, o_to: np.ndarray, n_from: np.ndarray, n_to: np.ndarray) -> np.ndarray:
    """Per pair, how far the offer's and the need's availability windows disagree, from 0 (same
    start and same end) to 1: the days between the two starts and between the two ends, each capped
    at :data:`WINDOW_GAP_CAP_DAYS` (an open end against a dated one counts as the cap, two open
    ends agree), as a share of twice the cap. Days are floats, open ends infinite."""
    def apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        both_open = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
        with np.errstate(invalid="ignore"):
            days = np.where(both_open, 0.0, np.abs(a - b))
        return np.minimum(days, WINDOW_GAP_CAP_DAYS)
    return ((apart(o_from, n_from) + apart(o_to, n_to)) / (2 * WINDOW_GAP_CAP_DAYS)).astype(np.float32)


def _days(dates: pd.Series, missing: float) -> np.ndarray:
    days = dates.to_numpy(dtype="datetime64[D]")
    values = days.astype("float64")
    values[np.isnat(days)] = missing
    return values


@dataclass(frozen=True)
class _Tried:
    """The pairs the search tried that did not become arcs (all pairs of a listing without arcs are
    among them), by listing positions, with the outcome of each check."""

    o: np.ndarray
    n: np.ndarray
    within: np.ndarray
    other: np.ndarray
    overlap: np.ndarray
    forbidden: np.ndarray
    exact: np.ndarray
    limit_km: np.ndarray
    distance_km: np.ndarray
    detour: np.ndarray


def _joined_once(parts: list[np.ndarray]) -> np.ndarray:
    """The parts joined into one array; the list is emptied, so the parts can go."""
    joined = np.concatenate(parts)
    parts.clear()
    return joined


def pair_keys(first: np.ndarray, second: np.ndarray, second_count: int) -> np.ndarray:
    """One integer per pair of integer codes (``second`` in ``0..second_count-1``), equal exactly
    where both codes are."""
    return first.astype(np.int64) * max(second_count, 1) + second


def _unique_pairs(o: np.ndarray, n: np.ndarray, r: np.ndarray, n_needs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs without repeats, each at its first occurrence, in their order."""
    first = np.flatnonzero(~pd.Series(pair_keys(o, n, n_needs)).duplicated().to_numpy())
    return o[first], n[first], r[first]


def _locked_pairs(directives: Directives, offers: pd.DataFrame, needs: pd.DataFrame, o: np.ndarray,
                  n: np.ndarray) -> np.ndarray:
    """Per pair, whether a lock names it (no work without locks)."""
    if directives.locks.empty:
        return np.zeros(len(o), bool)
    lo = offers.index.get_indexer(directives.locks["offer_id"]).astype(np.int64)
    ln = needs.index.get_indexer(directives.locks["need_id"]).astype(np.int64)
    width = max(len(needs), 1)
    return np.isin(o.astype(np.int64) * width + n, lo * width + ln)


def _explain_unmatched(
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    matches: pd.DataFrame,
    rulebook: RuleBook,
    tried: _Tried,
    arcs: pd.DataFrame,
    catalog: MaterialCatalog,
    region_materials: tuple[pd.Index, pd.Index] | None = None,
) -> pd.DataFrame:
    """Why each listing without an arc has none, with its nearest compatible partner if any (a
    grade too low is told against ``region_materials``, the whole region's offered and needed
    materials, when given)."""
    offered, needed = region_materials or (offers["material"].unique(), needs["material"].unique())
    rule_needs = set(rulebook.rules["need_material"])
    all_matches = rulebook.match_offers(offers["material"].unique())
    takers = all_matches.groupby("offer_material")["need_material"].apply(lambda s: sorted(set(s)))
    servable = set(all_matches["need_material"]) | rule_needs
    suppliers_for = matches.groupby("need_material")["offer_material"].apply(set)
    frames = []
    for side, listings, own, other in (("offer", offers, "offer_id", "need_id"), ("need", needs, "need_id", "offer_id")):
        used = np.zeros(len(arcs[own].cat.categories), bool)
        used[arcs[own].cat.codes.to_numpy()] = True
        lonely = listings.index.difference(arcs[own].cat.categories[used])
        if lonely.empty:
            continue
        reasons = pd.Series("", index=lonely, dtype=object)
        nearest_id = pd.Series("", index=lonely, dtype=object)
        nearest_km = pd.Series(np.nan, index=lonely)
        material = listings.loc[lonely, "material"]
        if side == "offer":
            no_rule = ~material.isin(takers.index)
            reasons[no_rule] = "no compatibility rule takes " + material[no_rule]
            no_partner = ~no_rule & ~material.isin(matches["offer_material"])
            reasons[no_partner] = "nobody listed a need it can serve (" + material[no_partner].map(
                lambda m: ", ".join(takers.get(m, []))) + ")"
            # Only a need for the very same code or class could take it: say that no rule leads elsewhere.
            only_itself = [m for m in material[no_partner].unique() if list(takers.get(m, [])) == [m]]
            itself = no_partner & material.isin(only_itself)
            reasons[itself] = ("no compatibility rule takes " + material[itself] + " into another material, "
                               "and nobody lists a need for " + material[itself] + " itself")
            others = needed
        else:
            is_ewc = listings.loc[lonely, "is_ewc"]
            no_rule = ~is_ewc & ~material.isin(servable)
            # a class that the same class serves (same-material-class) has a rule: only no offer of it
            self_served = {m for m in material[no_rule].unique() if rulebook.rule_for(m, m)}
            no_rule &= ~material.isin(self_served)
            reasons[no_rule] = "no compatibility rule serves " + material[no_rule]
            no_partner = ~no_rule & ~material.isin(suppliers_for.index)
            reasons[no_partner] = "nobody offers a material that can serve " + material[no_partner]
            others = offered
        gaps = {m: _grade_gap(m, others, side, catalog) for m in material[no_rule | no_partner].unique()}
        grade_reasons = {m: reason for m, reason in gaps.items() if reason}
        graded = (no_rule | no_partner) & material.isin(list(grade_reasons))
        reasons[graded] = material[graded].map(grade_reasons)
        mine_pos, other_pos, other_ids = ((tried.o, tried.n, needs.index) if side == "offer"
                                          else (tried.n, tried.o, offers.index))
        lonely_pos = listings.index.get_indexer(lonely)
        rows = np.flatnonzero(np.isin(mine_pos, lonely_pos))
        if len(rows):
            best_rows = _nearest_tried(tried, rows, mine_pos, offers, needs)
            listing_pos = pd.Index(lonely_pos).get_indexer(mine_pos[best_rows])
            open_ = reasons.to_numpy()[listing_pos] == ""
            best_rows, listing_pos = best_rows[open_], listing_pos[open_]
            partner = np.asarray(other_ids.to_numpy()[other_pos[best_rows]], dtype=object)
            km = tried.distance_km[best_rows]
            rank = _rank(tried, best_rows)
            far = ("no compatible partner within reach: nearest is " + pd.Series(partner) + " at "
                   + pd.Series(km).map("{:.1f}".format) + " km, limit "
                   + pd.Series(tried.limit_km[best_rows]).map("{:.1f}".format) + " km").to_numpy(dtype=object)
            text = np.select(
                [rank == 0, rank == 1, rank == 2],
                [np.char.add(np.char.add("the facilitator forbade its exchange with the partner in reach (",
                                         partner.astype(str)), ")").astype(object),
                 np.char.add(np.char.add("availability does not overlap with the compatible partner in reach (",
                                         partner.astype(str)), ")").astype(object),
                 np.full(len(rank), "the only compatible partners in reach belong to the same company", dtype=object)],
                far)
            reasons.iloc[listing_pos] = text
            nearest_id.iloc[listing_pos] = partner
            nearest_km.iloc[listing_pos] = km
        frames.append(pd.DataFrame({
            "kind": side, "company_id": listings.loc[lonely, "company_id"], "material": material,
            "reason": reasons, "nearest_id": nearest_id, "nearest_km": nearest_km,
        }))
    columns = ["kind", "company_id", "material", "reason", "nearest_id", "nearest_km"]
    if not frames:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="listing_id"))
    result = pd.concat(frames)[columns]
    result.index.name = "listing_id"
    return result


def _rank(tried: _Tried, rows: np.ndarray) -> np.ndarray:
    """How close each tried pair came: 0 forbidden, 1 availability, 2 same company, 3 out of reach."""
    within, other = tried.within[rows], tried.other[rows]
    return np.select([within & other & tried.overlap[rows] & tried.forbidden[rows], within & other, within],
                     [0, 1, 2], 3)


def _nearest_tried(tried: _Tried, rows: np.ndarray, mine_pos: np.ndarray, offers: pd.DataFrame,
                   needs: pd.DataFrame) -> np.ndarray:
    """Per listing among ``rows``, the row of its closest pair of the best rank. Distances of pairs
    that were only screened are made exact where they could be the nearest (within the screening
    margin of the listing's shortest screened distance)."""
    rank = _rank(tried, rows)
    listing = mine_pos[rows]
    best_rank = pd.Series(rank).groupby(listing).transform("min").to_numpy()
    keep = rank == best_rank
    rows, listing, rank = rows[keep], listing[keep], rank[keep]
    km = tried.distance_km[rows]
    shortest = pd.Series(km).groupby(listing).transform("min").to_numpy()
    redo = ~tried.exact[rows] & (km <= shortest * (1 + SCREEN_MARGIN) / (1 - SCREEN_MARGIN))
    if redo.any():
        fix = rows[redo]
        o, n = tried.o[fix], tried.n[fix]
        exact = geodesic_km(offers["lat"].to_numpy()[o], offers["lon"].to_numpy()[o],
                            needs["lat"].to_numpy()[n], needs["lon"].to_numpy()[n])
        tried.distance_km[fix] = exact * tried.detour[fix]
        tried.exact[fix] = True
        km = tried.distance_km[rows]
    order = np.lexsort((km, rank))
    ordered = rows[order]
    _, first = np.unique(listing[order], return_index=True)
    return ordered[np.sort(first)]
