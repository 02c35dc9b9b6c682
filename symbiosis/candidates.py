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
from symbiosis.geo import build_index, geodesic_km, query_nearest
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
        are united, so a listing can end with more arcs than this).
    check_availability
        Require the offer's and the need's availability windows to overlap.
    """

    max_candidates: int = 10
    check_availability: bool = True


@dataclass(frozen=True)
class Candidates:
    """The candidate graph as tables.

    Attributes
    ----------
    arcs
        One row per feasible offer -> need pair: ids, ``rule_id``, ``material``, ``need_material``,
        ``yield``, ``geodesic_km``, ``distance_km`` (road or pipe), ``max_distance_km`` (the limit
        that applied), ``transport_mode``, per-unit factors (per canonical unit of offer),
        per-unit transport emissions and cost, and ``upper`` (the most offer units it can carry).
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


def _tonnes_per_unit(material: pd.Series, catalog: MaterialCatalog) -> pd.Series:
    """Tonnes moved per canonical unit: mass 1, volume by density, energy flows none."""
    values = {}
    for key in material.unique():
        m = catalog.get(key)
        values[key] = {"mass": 1.0, "volume": m.density_t_per_m3 or 0.0, "energy": 0.0}[m.dimension]
    return material.map(values).astype(float)


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
        Called as ``progress(done, total)`` after each material group.

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
    offers, needs, companies = registry.offers, registry.needs, _with_access(registry.companies)
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
    parts_o, parts_n, parts_rule = [], [], []
    for done, ((rule_id, need_material), group) in enumerate(groups, start=1):
        o_pos = np.concatenate([offer_pos_by_material[m] for m in group["offer_material"]])
        n_pos = need_pos_by_material[need_material]
        k = params.max_candidates
        q, hit = query_nearest(build_index(n_lat[n_pos], n_lon[n_pos]), o_lat[o_pos], o_lon[o_pos], k)
        pairs_o, pairs_n = [o_pos[q]], [n_pos[hit]]
        q, hit = query_nearest(build_index(o_lat[o_pos], o_lon[o_pos]), n_lat[n_pos], n_lon[n_pos], k)
        pairs_o.append(o_pos[hit])
        pairs_n.append(n_pos[q])
        parts_o.extend(pairs_o)
        parts_n.extend(pairs_n)
        parts_rule.append(np.full(sum(len(p) for p in pairs_o), rule_pos[rule_id], dtype=np.int32))
        if progress:
            progress(done, len(groups))

    locked_o, locked_n, locked_r = _lock_triples(directives, offers, needs, matches, rule_pos)
    parts_o.append(locked_o)
    parts_n.append(locked_n)
    parts_rule.append(locked_r)
    empty = np.zeros(0, dtype=np.int64)
    pairs = pd.DataFrame({
        "o": np.concatenate(parts_o) if parts_o else empty,
        "n": np.concatenate(parts_n) if parts_n else empty,
        "r": np.concatenate(parts_rule) if parts_rule else np.zeros(0, dtype=np.int32),
    }).drop_duplicates(["o", "n"], ignore_index=True)
    # Look listing and rule attributes up as plain arrays: no frame copy per pair.
    o, n, r = pairs["o"].to_numpy(), pairs["n"].to_numpy(), pairs["r"].to_numpy()
    col = lambda frame, name, pos: frame[name].to_numpy()[pos]  # noqa: E731
    pairs["rule_id"] = rules.index.to_numpy()[r]
    pairs["offer_id"] = offers.index.to_numpy()[o]
    pairs["need_id"] = needs.index.to_numpy()[n]
    pairs["supplier_id"] = col(offers, "company_id", o)
    pairs["receiver_id"] = col(needs, "company_id", n)
    pairs["material"] = col(offers, "material", o)
    pairs["need_material"] = col(needs, "material", n)
    o_company = companies.index.get_indexer(pairs["supplier_id"])
    n_company = companies.index.get_indexer(pairs["receiver_id"])
    pairs["geodesic_km"] = geodesic_km(o_lat[o], o_lon[o], n_lat[n], n_lon[n])
    yields = col(rules, "yield", r)
    receiver, supplier, gross = arc_savings(
        need_price.to_numpy()[n], offer_saving.to_numpy()[o], yields, col(rules, "value_eur", r))
    treatment = np.where(col(rules, TREATMENT_COLUMN, r) != "", col(rules, TREATMENT_COST_COLUMN, r), 0.0)
    upper = np.minimum(col(offers, "quantity_canonical", o), col(needs, "quantity_canonical", n) / yields)
    reach = choose_modes(
        geodesic=pairs["geodesic_km"].to_numpy(),
        stated=np.where(col(offers, "transport_mode", o) != "", col(offers, "transport_mode", o),
                        col(needs, "transport_mode", n)),
        rule_mode=col(rules, "transport_mode", r),
        rail=col(companies, "rail_siding", o_company) & col(companies, "rail_siding", n_company),
        port=col(companies, "port_access", o_company) & col(companies, "port_access", n_company),
        listing_limit=np.fmin(col(offers, "max_distance_km", o), col(needs, "max_distance_km", n)),
        rule_limit=col(rules, "max_distance_km", r),
        economics_known=np.isfinite(gross - treatment),
        tonnes_per_unit=_tonnes_per_unit(pairs["material"], catalog).to_numpy(),
        upper=upper, transport=transport, link_costs=link_costs,
    )
    pairs["transport_mode"] = reach.mode
    pairs["distance_km"] = reach.distance_km
    pairs["max_distance_km"] = reach.limit_km
    within = reach.within
    other_company = pairs["supplier_id"].to_numpy() != pairs["receiver_id"].to_numpy()
    if params.check_availability:
        start = np.maximum(_days(offers["available_from"], -np.inf)[o], _days(needs["available_from"], -np.inf)[n])
        end = np.minimum(_days(offers["available_to"], np.inf)[o], _days(needs["available_to"], np.inf)[n])
        overlap = start <= end
    else:
        overlap = np.ones(len(pairs), dtype=bool)
    forbidden = directives.forbidden_mask(pairs["offer_id"], pairs["need_id"], pairs["supplier_id"], pairs["receiver_id"])
    locked = pd.MultiIndex.from_arrays([pairs["offer_id"], pairs["need_id"]]).isin(
        pd.MultiIndex.from_frame(directives.locks[["offer_id", "need_id"]])) if len(directives.locks) else np.zeros(len(pairs), bool)
    locked = np.asarray(locked, dtype=bool)
    pairs["_within"], pairs["_other"], pairs["_overlap"] = within, other_company, overlap
    pairs["_forbidden"] = forbidden
    feasible = (within & other_company & overlap & ~forbidden) | locked

    kept = pairs[feasible]
    r = kept["r"].to_numpy()
    arcs = kept.drop(columns=["o", "n", "r", "_within", "_other", "_overlap", "_forbidden"]).reset_index(drop=True)
    arcs["yield"] = yields[feasible]
    for column in FACTOR_COLUMNS:
        arcs[column] = col(rules, column, r)
    # value_eur per offer unit before transport: both sides' savings less the treatment.
    arcs["value_eur"] = gross[feasible] - treatment[feasible]
    arcs["receiver_saving_eur_per_unit"] = receiver[feasible]
    arcs["supplier_saving_eur_per_unit"] = supplier[feasible]
    arcs["treatment_cost_eur_per_unit"] = treatment[feasible]
    arcs["treatment"] = col(rules, TREATMENT_COLUMN, r)
    for column in ("transport_ttw_t_per_unit", "transport_wtt_t_per_unit", "transport_cost_eur_per_unit",
                   "link_cost_eur"):
        arcs[column] = getattr(reach, column)[feasible]
    arcs["transport_co2e_t_per_unit"] = arcs["transport_ttw_t_per_unit"] + arcs["transport_wtt_t_per_unit"]
    arcs["upper"] = upper[feasible]
    arcs["grade_drop"] = _grade_drop(arcs["material"], arcs["need_material"], catalog)
    lock_min = directives.locks.set_index(["offer_id", "need_id"])["min_quantity"]
    keys = pd.MultiIndex.from_arrays([arcs["offer_id"], arcs["need_id"]])
    arcs["locked"] = locked[feasible]
    arcs["lock_min"] = lock_min.reindex(keys).fillna(0.0).to_numpy(dtype=float) if len(lock_min) else 0.0

    unmatched = _explain_unmatched(offers, needs, matches, rulebook, pairs, arcs, catalog)
    return Candidates(arcs=arcs, offers=offers, needs=needs, unmatched=unmatched)


def _grade_drop(offered: pd.Series, needed: pd.Series, catalog: MaterialCatalog) -> np.ndarray:
    """Per arc, how many grade steps the flow drops (same grade family, higher rank offered)."""
    def grade(key: str) -> tuple[str | None, float]:
        item = catalog.get(key)
        return item.grade_family, float(item.grade_rank) if item.grade_rank is not None else np.nan

    grades = {key: grade(key) for key in set(offered.unique()) | set(needed.unique())}
    o_family = offered.map(lambda k: grades[k][0]).to_numpy()
    n_family = needed.map(lambda k: grades[k][0]).to_numpy()
    drop = offered.map(lambda k: grades[k][1]).to_numpy(float) - needed.map(lambda k: grades[k][1]).to_numpy(float)
    same = (o_family == n_family) & (o_family != None)  # noqa: E711 - object array
    return np.where(same & np.isfinite(drop) & (drop > 0), drop, 0.0)


def _with_access(companies: pd.DataFrame) -> pd.DataFrame:
    """Companies with boolean ``port_access`` and ``rail_siding`` (False where not stated)."""
    frame = companies
    for column in ("port_access", "rail_siding"):
        if column not in frame:
            frame = frame.assign(**{column: False})
    return frame


@dataclass(frozen=True)
class Reach:
    """Per pair: the chosen transport mode, its road/rail/sea/pipe distance, the distance limit that
    applied (NaN where cost alone decides), whether the pair is within it, and per canonical unit
    the transport emissions and cost; and the yearly link cost of the exchange."""

    mode: np.ndarray
    distance_km: np.ndarray
    limit_km: np.ndarray
    within: np.ndarray
    transport_ttw_t_per_unit: np.ndarray
    transport_wtt_t_per_unit: np.ndarray
    transport_cost_eur_per_unit: np.ndarray
    link_cost_eur: np.ndarray


def choose_modes(
    *, geodesic: np.ndarray, stated: np.ndarray, rule_mode: np.ndarray, rail: np.ndarray, port: np.ndarray,
    listing_limit: np.ndarray, rule_limit: np.ndarray, economics_known: np.ndarray, tonnes_per_unit: np.ndarray,
    upper: np.ndarray, transport: pd.DataFrame, link_costs: pd.DataFrame,
) -> Reach:
    """Each pair's cheapest allowed transport mode.

    A mode a listing states is the only one allowed. Otherwise a pipeline rule allows only the
    pipeline; any other rule allows its own mode, the road (truck), rail where both sites have a
    siding and ship where both have port access. A mode is in reach within the listings' own
    limits and, for a pipeline (a physical limit) or where the exchange's economics are unknown,
    the rule's limit; elsewhere the cost decides (an exchange that loses money is left out by the
    solver). Among the modes in reach, the one with the least transport and link cost at the
    pair's full quantity wins; on equal cost the rule's mode.
    """
    n = len(geodesic)
    transport, link_costs = transport.reindex(TRANSPORT_MODES), link_costs.reindex(TRANSPORT_MODES)
    detour = transport["detour_factor"].to_numpy(dtype=float)
    best_cost = np.full(n, np.inf)
    chosen = np.full(n, -1)
    preferred = np.where(stated != "", stated, rule_mode)
    fallback = pd.Index(TRANSPORT_MODES).get_indexer(preferred)
    limits = np.empty((len(TRANSPORT_MODES), n))
    for m, mode in enumerate(TRANSPORT_MODES):
        open_by_rule = (rule_mode == mode) | ((rule_mode != "pipeline") & (
            (mode == "truck") | ((mode == "rail") & rail) | ((mode == "ship") & port)))
        allowed = np.where(stated != "", stated == mode, open_by_rule)
        physical = mode == "pipeline"
        limits[m] = np.fmin(listing_limit, rule_limit if physical else np.where(economics_known, np.inf, rule_limit))
        distance = geodesic * detour[m]
        cost = (tonnes_per_unit * distance * transport.at[mode, "cost_eur_per_tkm"] * upper
                + link_costs.at[mode, "fixed_eur_per_yr"] + link_costs.at[mode, "eur_per_km_per_yr"] * distance)
        cost = cost - 1e-9 * (preferred == mode)  # on equal cost, the stated or the rule's mode
        better = allowed & (distance <= limits[m]) & (cost < best_cost)
        chosen[better], best_cost[better] = m, cost[better]
    within = chosen >= 0
    chosen = np.where(within, chosen, fallback)
    modes = np.asarray(TRANSPORT_MODES, dtype=object)[chosen]
    distance = geodesic * detour[chosen]
    tonne_km = tonnes_per_unit * distance
    limit = limits[chosen, np.arange(n)]
    return Reach(
        mode=modes, distance_km=distance, limit_km=np.where(np.isfinite(limit), limit, np.nan), within=within,
        transport_ttw_t_per_unit=tonne_km * transport["kg_co2e_per_tkm_ttw"].to_numpy()[chosen] / 1000.0,
        transport_wtt_t_per_unit=tonne_km * transport["kg_co2e_per_tkm_wtt"].to_numpy()[chosen] / 1000.0,
        transport_cost_eur_per_unit=tonne_km * transport["cost_eur_per_tkm"].to_numpy()[chosen],
        link_cost_eur=(link_costs["fixed_eur_per_yr"].to_numpy()[chosen]
                       + link_costs["eur_per_km_per_yr"].to_numpy()[chosen] * distance),
    )


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


def _days(dates: pd.Series, missing: float) -> np.ndarray:
    values = dates.to_numpy(dtype="datetime64[D]").astype("float64")
    values[np.isnat(dates.to_numpy(dtype="datetime64[D]"))] = missing
    return values


def _explain_unmatched(
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    matches: pd.DataFrame,
    rulebook: RuleBook,
    pairs: pd.DataFrame,
    arcs: pd.DataFrame,
    catalog: MaterialCatalog,
) -> pd.DataFrame:
    """Why each listing without an arc has none, with its nearest compatible partner if any."""
    rule_needs = set(rulebook.rules["need_material"])
    all_matches = rulebook.match_offers(offers["material"].unique())
    takers = all_matches.groupby("offer_material")["need_material"].apply(lambda s: sorted(set(s)))
    servable = set(all_matches["need_material"]) | rule_needs
    suppliers_for = matches.groupby("need_material")["offer_material"].apply(set)
    frames = []
    for side, listings, own, other in (("offer", offers, "offer_id", "need_id"), ("need", needs, "need_id", "offer_id")):
        lonely = listings.index.difference(pd.Index(arcs[own].unique()))
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
            others = needs["material"].unique()
        else:
            is_ewc = listings.loc[lonely, "is_ewc"]
            no_rule = ~is_ewc & ~material.isin(servable)
            reasons[no_rule] = "no compatibility rule serves " + material[no_rule]
            no_partner = ~no_rule & ~material.isin(suppliers_for.index)
            reasons[no_partner] = "nobody offers a material that can serve " + material[no_partner]
            others = offers["material"].unique()
        grade_reasons = {m: _grade_gap(m, others, side, catalog) for m in material[no_rule | no_partner].unique()}
        graded = (no_rule | no_partner) & material.map(lambda m: bool(grade_reasons.get(m)))
        reasons[graded] = material[graded].map(grade_reasons)
        tried = pairs[pairs[own].isin(lonely)]
        if not tried.empty:
            tried = tried.assign(
                _rank=np.select(
                    [tried["_within"] & tried["_other"] & tried["_overlap"] & tried["_forbidden"],
                     tried["_within"] & tried["_other"], tried["_within"]], [0, 1, 2], 3),
            ).sort_values(["_rank", "distance_km"])
            best = tried.drop_duplicates(own).set_index(own)
            for listing, row in best.iterrows():
                if reasons[listing]:
                    continue
                nearest_id[listing] = row[other]
                nearest_km[listing] = row["distance_km"]
                if row["_rank"] == 0:
                    reasons[listing] = f"the facilitator forbade its exchange with the partner in reach ({row[other]})"
                elif row["_rank"] == 1:
                    reasons[listing] = f"availability does not overlap with the compatible partner in reach ({row[other]})"
                elif row["_rank"] == 2:
                    reasons[listing] = "the only compatible partners in reach belong to the same company"
                else:
                    reasons[listing] = (
                        f"no compatible partner within reach: nearest is {row[other]} at "
                        f"{row['distance_km']:.1f} km, limit {row['max_distance_km']:.1f} km"
                    )
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
