"""Network analytics and what-if scenarios for regional planners and facilitators.

The network is the stored exchanges (active) and proposals (draft or sent, "proposed"). Unmatched
supply, processor sites and marginal values match the open listings (quantity left after active
exchanges); resilience and scenarios re-solve the region from all listings at their full quantity.

Planners see single companies only as pseudonyms (``n1``, ``n2``, ...), without names, with
coordinates rounded and quantities and indicators rounded to one significant digit, unless the
company consents (``consent_planner``); group figures follow the same rule as ``/stats``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, Query, Response, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.aggregates import aggregate_indicators, group_companies, group_contributions
from analytics.cache import AnalyticsCache, RegionBaseline
from analytics.disclosure import (
    Privacy, private_exchanges, private_nodes, private_ranking, private_resilience, private_totals, real_company_ids,
    listing_contributions,
    suppress_groups,
)
from analytics.exports import company_table, export_graph, graphml_text, to_geojson
from analytics.marginal import marginal_values, summarise_marginal_values
from analytics.network import (
    DEFAULT_DEPENDENCY_SHARE, NETWORK_SUMMED, company_graph, keystone_ranking, network_metrics,
)
from analytics.resilience import resilience
from analytics.scenarios import METRICS, Scenario, compare_scenarios, run_scenario
from analytics.supply import best_processor_site, unmatched_supply
from service.api.auth import Principal, Role
from service.api.deps import FacilitatorOrPlannerDep, IntId, SessionDep, SettingsDep
from service.settings import Settings
from service.api.records import (
    LISTING_FIELDS, company_record, listing_record, open_listing_record, registry_from_records,
)
from service.api.schemas.analytics import (
    NO_CONTROL, ComparisonPublic, MarginalValuesPublic, NetworkPublic, ProcessorSitePublic, ResiliencePublic,
    ResilienceRequest, ScenarioCreate, ScenarioPublic, ScenariosPublic, TablePublic,
)
from service.db.models import Company, Exchange, Listing, Proposal, Round, ScenarioRun
from service.db.queries import partner_counts, used_quantities
from service.results_workbook import XLSX
from solvers.matching import match
from symbiosis.candidates import build_candidates
from symbiosis.directives import Directives
from symbiosis.errors import ConflictError, InputError, NotFoundError, Problem
from symbiosis.spreadsheet import neutralise_formulas

router = APIRouter(prefix="/analytics", tags=["analytics"])

#: Media types of the exports.
CSV, GEOJSON, GRAPHML = "text/csv", "application/geo+json", "application/graphml+xml"
#: Proposal statuses that count as "proposed" exchanges of the network.
PROPOSED_STATUSES = ("draft", "sent")


# --- the region as the engine sees it ---------------------------------------------------------------


@dataclass
class RegionData:
    companies: pd.DataFrame  #: indexed by company_id: name, nace, lat, lon, municipality, consent_planner
    exchanges: pd.DataFrame  #: active exchanges and proposed proposals, with ``status``


_FLOW = ("offer_id", "need_id", "supplier_id", "receiver_id", "material", "need_material", "quantity", "unit",
         "quantity_canonical", "need_quantity", "need_unit", "distance_km", "transport_mode", "transport_co2e_t",
         "resource_t", "water_m3", "co2e_t", "energy_mwh", "waste_t", "value_eur")

#: The analytics results of this process, valid for one :func:`data_version`.
CACHE = AnalyticsCache()


def data_version(session: Session) -> tuple:
    """What the analytics depend on, in a few aggregate queries: the database, the latest round (id, status) and,
    of companies, listings, proposals and exchanges, the row count, latest ``updated_at`` and sum of
    row versions (every update raises a row's version, so an edit, insert or delete changes it)."""
    parts: list[Any] = [str(session.get_bind().url)]  # one process may serve several databases (tests)
    parts += list(session.execute(
        select(Round.id, Round.status, Round.finished_at).order_by(Round.id.desc()).limit(1)).first() or ())
    for model in (Company, Listing, Proposal, Exchange):
        parts.append(tuple(session.execute(
            select(func.count(), func.max(model.updated_at), func.sum(model.version)).select_from(model)).one()))
    return tuple(parts)


def _cached(session: Session, name: Any, compute):
    """``compute()`` for the data as they are now, once per :func:`data_version`. The version is
    read once per session (a request, or a warm-up), so its several results share one version."""
    if "data_version" not in session.info:
        session.info["data_version"] = data_version(session)
    return CACHE.get(session.info["data_version"], name, compute)


def _rows(session: Session, query) -> list[tuple]:
    """The rows of ``query`` (a select of columns) as plain tuples: no ORM object per row, which
    at a national region's size costs more than the analysis."""
    return [tuple(row) for row in session.execute(query).all()]


def _load_region(session: Session) -> RegionData:
    company_columns = ["company_id", "name", "nace", "lat", "lon", "municipality", "consent_planner"]
    columns = [getattr(Company, name) for name in company_columns]
    companies = pd.DataFrame(_rows(session, select(*columns).order_by(Company.company_id)),
                             columns=company_columns)
    companies["municipality"] = companies["municipality"].fillna("")
    companies["consent_planner"] = companies["consent_planner"].fillna(False).astype(bool)
    companies = companies.set_index("company_id")
    parts = []
    for model, where, status in ((Exchange, Exchange.status == "active", "active"),
                                 (Proposal, Proposal.status.in_(PROPOSED_STATUSES), "proposed")):
        names = [*_FLOW, "round_id", "created_at"]
        rows = _rows(session, select(*(getattr(model, name) for name in names)).where(where).order_by(model.id))
        parts.append(pd.DataFrame(rows, columns=names).assign(status=status))
    parts[1] = _counted_once(*parts)
    parts = [part.drop(columns=["round_id", "created_at"]) for part in parts if len(part)]
    exchanges = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*_FLOW, "status"])
    known = set(companies.index)
    exchanges = exchanges[exchanges["supplier_id"].isin(known) & exchanges["receiver_id"].isin(known)]
    return RegionData(companies, exchanges.reset_index(drop=True))


def _counted_once(active: pd.DataFrame, proposed: pd.DataFrame) -> pd.DataFrame:
    """The open proposals that count in the network beside the active exchanges, so that no flow is
    counted twice: not a proposal made before an exchange of the same pair started (a copy from
    another round, or a rival of it), and, of a listing proposed by several rounds, only the latest
    round's proposals."""
    if proposed.empty:
        return proposed
    keep = np.ones(len(proposed), dtype=bool)
    if len(active):
        started = pd.to_datetime(active["created_at"], utc=True).groupby([active["offer_id"], active["need_id"]]).max()
        pair_started = started.reindex(pd.MultiIndex.from_frame(proposed[["offer_id", "need_id"]]))
        made = pd.to_datetime(proposed["created_at"], utc=True)
        keep &= ~(made.to_numpy() < pair_started.to_numpy())
    latest = pd.concat([proposed.set_index("offer_id")["round_id"], proposed.set_index("need_id")["round_id"]])
    latest = latest.groupby(level=0).max()
    keep &= (proposed["round_id"].to_numpy() >= latest.reindex(proposed["offer_id"]).to_numpy()) & \
            (proposed["round_id"].to_numpy() >= latest.reindex(proposed["need_id"]).to_numpy())
    return proposed[keep]


def load_region(session: Session) -> RegionData:
    """The region's companies and its network's exchanges (active, and proposals in draft or sent)."""
    return _cached(session, "region", lambda: _load_region(session))


def _registry(session: Session, region: RegionData, *, open_only: bool):
    """The region's listings as a validated registry (open quantities, or full ones)."""
    names = list(LISTING_FIELDS) + ["quantity_canonical"]
    columns = [getattr(Listing, name) for name in names]
    rows = _rows(session, select(*columns).order_by(Listing.listing_id))
    if not len(region.companies) or not rows:
        raise ConflictError("the region has no companies or no listings to analyse yet")
    used = used_quantities(session) if open_only else {}
    partners = partner_counts(session) if open_only else {}
    records = []
    for row in rows:
        fields = dict(zip(names, row))
        record = listing_record(fields)
        if open_only:
            record = open_listing_record(record, fields["quantity"], fields["quantity_canonical"], fields["min_lot"],
                                         used.get(fields["listing_id"], 0.0), partners.get(fields["listing_id"], 0))
        if record is not None:
            records.append(record)
    if not records:
        raise ConflictError("every listing is taken by active exchanges: nothing is open")
    companies = [company_record({"company_id": cid, **row}) for cid, row in
                 region.companies.drop(columns="consent_planner").to_dict(orient="index").items()]
    return registry_from_records(companies, records)


def _cached_registry(session: Session, region: RegionData, *, open_only: bool):
    """:func:`_registry`, once per data version."""
    return _cached(session, ("registry", open_only), lambda: _registry(session, region, open_only=open_only))


def _region_baseline(session: Session, region: RegionData) -> RegionBaseline:
    """The region's match per material component (full quantities), once per data version."""
    return _cached(session, "region-baseline",
                   lambda: RegionBaseline(_cached_registry(session, region, open_only=False)))


def _open_match(session: Session, region: RegionData):
    """The match of the open listings (quantity left after active exchanges), once per data version."""
    return _cached(session, "open-match", lambda: match(registry=_cached_registry(session, region, open_only=True)))


@dataclass(frozen=True)
class NetworkData:
    graph: Any  #: the undirected company graph (networkx)
    metrics: pd.DataFrame  #: :func:`network_metrics`, ``attrs["betweenness"]`` the method used


def _network(session: Session, region: RegionData) -> NetworkData:
    """The company graph and its metrics, once per data version."""
    def compute() -> NetworkData:
        graph = company_graph(region.exchanges, region.companies)
        return NetworkData(graph, network_metrics(graph))

    return _cached(session, "network", compute)


def _keystone_ranking(session: Session, region: RegionData, dependency_share: float) -> pd.DataFrame:
    """The keystone ranking (unprivate), once per data version and dependency share."""
    graph = _network(session, region).graph
    return _cached(session, ("keystones", dependency_share),
                   lambda: keystone_ranking(region.exchanges, graph, dependency_share))


def _aggregate_groups(session: Session, region: RegionData, by: str
                      ) -> tuple[pd.DataFrame, dict[str, set[str]], dict[str, dict[str, float]]]:
    """The indicators per group, the companies making up each group and each one's part of its
    diverted tonnes, once per data version."""
    return _cached(session, ("aggregates", by), lambda: (
        aggregate_indicators(region.exchanges, region.companies, by),
        group_companies(region.exchanges, region.companies, by),
        group_contributions(region.exchanges, region.companies, by)))


def warm_cache(sessions) -> None:
    """Compute what the planner's page asks for first (region, network, keystones, aggregates, the match
    of the open listings) for the data as they are now, so that the first view after a round is fast."""
    with sessions() as session:
        region = load_region(session)
        _keystone_ranking(session, region, DEFAULT_DEPENDENCY_SHARE)
        for by in ("municipality", "branch", "material"):
            _aggregate_groups(session, region, by)
        _open_match(session, region)


def _privacy(principal: Principal, region: RegionData, settings: Settings) -> Privacy | None:
    """What the caller may see: everything (facilitators), or a planner's view (:mod:`analytics.disclosure`)."""
    if principal.role is not Role.PLANNER:
        return None
    return Privacy(consenting=frozenset(region.companies.index[region.companies["consent_planner"]]),
                   min_companies=settings.planner_min_companies, max_share=settings.planner_max_share)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects (NaN as null)."""
    return [{k: (None if isinstance(v, float) and v != v else (v.item() if hasattr(v, "item") else v))
             for k, v in row.items()} for row in table.to_dict(orient="records")]


# --- network ------------------------------------------------------------------------------------------


@router.get("/network", response_model=NetworkPublic)
def network(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep) -> NetworkPublic:
    """The company graph of active and proposed exchanges: nodes with clusters and centralities, edges
    with summed quantities and indicators. ``betweenness`` says how the centrality was computed: exactly,
    or (above a size threshold) sampled from a seeded set of source companies."""
    region = load_region(session)
    privacy = _privacy(principal, region, settings)
    data = _network(session, region)
    graph, metrics = data.graph, data.metrics
    nodes = company_table(region.companies).join(metrics)
    columns = ["supplier_id", "receiver_id", "exchanges", "quantity", "materials", *NETWORK_SUMMED]
    edges = pd.DataFrame([{"supplier_id": u, "receiver_id": v, **d} for u, v, d in graph.edges(data=True)],
                         columns=columns)
    if privacy is not None:
        nodes = private_nodes(nodes, privacy, graph)
        edges = private_exchanges(edges, privacy, region.companies.index)
    edges = edges.rename(columns={"supplier_id": "source", "receiver_id": "target"})
    components = int(metrics["component"].max()) if len(metrics) else 0
    return NetworkPublic(nodes=_records(nodes.reset_index()), edges=_records(edges), components=components,
                         private=privacy is not None, betweenness=metrics.attrs["betweenness"].to_dict())


def _keystone_table(session: Session, principal: Principal, settings: Settings, dependency_share: float
                    ) -> tuple[pd.DataFrame, Privacy | None]:
    region = load_region(session)
    privacy = _privacy(principal, region, settings)
    table = _keystone_ranking(session, region, dependency_share)
    return (private_ranking(table, privacy, _network(session, region).graph) if privacy is not None else table), privacy


@router.get("/keystones", response_model=TablePublic)
def keystones(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep,
              dependency_share: Annotated[float, Query(ge=0.0, lt=1.0)] = 0.5) -> TablePublic:
    """Companies ranked by the diverted tonnes and indicators that depend on them, directly and by knock-on."""
    table, privacy = _keystone_table(session, principal, settings, dependency_share)
    return TablePublic(data=_records(table.reset_index()), private=privacy is not None)


@router.get("/aggregates", response_model=TablePublic)
def aggregates(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep,
               by: Literal["municipality", "branch", "material"] = "municipality") -> TablePublic:
    """The five indicators, transport emissions and diverted tonnes per supplier's municipality, NACE
    branch (CA..CM, other) or offered material. Planners see a group only when enough companies make it
    up, and not a group whose figure the others would give away (complementary suppression)."""
    region = load_region(session)
    table, groups, parts = _aggregate_groups(session, region, by)
    table = suppress_groups(table, groups, _privacy(principal, region, settings), list(NETWORK_SUMMED),
                            size="diverted_t", contributions=parts)
    table.index.name = by
    return TablePublic(data=_records(table.reset_index().rename(columns={by: "key"})),
                       private=principal.role is Role.PLANNER)


@router.get("/unmatched-supply", response_model=TablePublic)
def unmatched(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep) -> TablePublic:
    """Open byproducts that nobody in reach takes (matching the open listings), by material and municipality."""
    region = load_region(session)
    found = _open_match(session, region)
    registry = found.registry
    table = _cached(session, "unmatched-supply", lambda: unmatched_supply(found.unmatched, registry))
    if table.empty:
        return TablePublic(data=[], private=principal.role is Role.PLANNER)
    offers = registry.offers.loc[registry.offers.index.intersection(found.unmatched.index)]
    offers = offers.assign(municipality=offers["company_id"].map(registry.companies["municipality"]).fillna(""))
    groups = {k: set(g["company_id"]) for k, g in offers.groupby(["material", "municipality", "canonical_unit"])}
    table = table.set_index(["material", "municipality", "canonical_unit"])
    parts = listing_contributions(offers, ["material", "municipality", "canonical_unit"], "quantity_canonical")
    table = suppress_groups(table, groups, _privacy(principal, region, settings), ["quantity"], size="quantity",
                            contributions=parts)
    return TablePublic(data=_records(table.reset_index()), private=principal.role is Role.PLANNER)


@router.get("/processor-site", response_model=ProcessorSitePublic)
def processor_site(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep,
                   material: Annotated[str, Query(min_length=1, max_length=50, pattern=NO_CONTROL)],
                   need_material: Annotated[str | None, Query(max_length=50, pattern=NO_CONTROL)] = None,
                   ) -> ProcessorSitePublic:
    """Where a new processor of a material would take the most open supply that nobody in reach takes.

    Planners see the site as the centre of its grid cell (never a company's own site) and the
    quantity rounded unless enough companies make it up."""
    region = load_region(session)
    found = _open_match(session, region)
    registry = found.registry
    site = best_processor_site(registry, found.unmatched, material, need_material=need_material)
    privacy = _privacy(principal, region, settings)
    offers: list[str] | None = site.offers
    quantity: float | None = site.quantity
    lat, lon = site.lat, site.lon
    if privacy is not None:
        owners = set(registry.listings.loc[site.offers, "company_id"])
        offers = site.offers if privacy.all_consent(owners) else None
        if not privacy.disclosable(owners):
            quantity = privacy.rounded(site.quantity)
        lat, lon = privacy.point(site.lat, site.lon)
    return ProcessorSitePublic(
        material=site.material, need_material=site.need_material, lat=lat, lon=lon, quantity=quantity,
        canonical_unit=site.canonical_unit, offers=offers, offer_count=len(site.offers),
        max_distance_km=site.max_distance_km, transport_mode=site.transport_mode, sites_tried=site.sites_tried,
        private=privacy is not None)


#: The groups of the marginal values by area.
_AREA = ["kind", "material", "municipality", "canonical_unit"]


@router.get("/marginal-values", response_model=MarginalValuesPublic)
def marginal(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep) -> MarginalValuesPublic:
    """The value (objective per canonical unit) of one more unit of supply or need, per kind, material
    and municipality: positive on offers where the material is scarce, on needs where it is in surplus.
    Planners see an area's figures only when enough companies make it up."""
    region = load_region(session)

    def compute() -> pd.DataFrame:
        registry = _cached_registry(session, region, open_only=True)
        return marginal_values(build_candidates(registry), companies=registry.companies)

    values = _cached(session, "marginal-values", compute)
    by_area = summarise_marginal_values(values)
    privacy = _privacy(principal, region, settings)
    if privacy is not None and len(by_area):
        groups = {k: set(g["company_id"]) for k, g in values.groupby(_AREA)}
        by_area = suppress_groups(by_area.set_index(_AREA), groups, privacy, ["mean_value", "max_value", "quantity"],
                                  size="quantity", contributions=listing_contributions(values, _AREA, "quantity")
                                  ).reset_index()
    detail = None if privacy is not None else _records(values.reset_index())
    return MarginalValuesPublic(by_area=_records(by_area), listings=detail)


# --- resilience and scenarios --------------------------------------------------------------------------


@router.post("/resilience", response_model=ResiliencePublic)
def close_companies(body: ResilienceRequest, session: SessionDep, principal: FacilitatorOrPlannerDep,
                    settings: SettingsDep) -> ResiliencePublic:
    """Close companies: the exchanges lost, and how much the rest recovers when the region is re-solved
    (from all listings at full quantity). The totals before and after are those of the material components
    the closure touches (the rest of the region is the same with and without it). Planners see every total
    rounded and the change and recovery computed from the rounded totals, unless every company consents."""
    region = load_region(session)
    privacy = _privacy(principal, region, settings)
    removed = real_company_ids(body.remove, region.companies.index, privacy, "remove")
    parts = _region_baseline(session, region)
    report = resilience(parts.registry, removed, baseline=parts)
    lost = report.lost_exchanges[[c for c in _FLOW if c in report.lost_exchanges]]
    data = report.to_dict()
    figures = {k: data[k] for k in ("lost_diverted_t", "regained_diverted_t", "recovery", "before", "after", "change",
                                    "lost")}
    if privacy is None:
        return ResiliencePublic(removed=list(report.removed), lost_exchanges=_records(lost), **figures, private=False)
    if not privacy.all_consent(region.companies.index):
        figures = private_resilience(figures, privacy)
    return ResiliencePublic(removed=body.remove, lost_exchanges=None, **figures, private=True)


def _scenario_view(row: ScenarioRun) -> ScenarioPublic:
    return ScenarioPublic(id=row.id, name=row.name, description=row.description, created_role=row.created_role,
                          created_at=row.created_at, definition=row.definition, before=row.result["before"],
                          after=row.result["after"], change=row.result["change"])


def _no_nul(value: Any) -> Any:
    """Cells without NUL characters (PostgreSQL text cannot hold them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    return value


#: Prefix of the companies a planner's scenario adds, inside the engine: they never clash with (and so
#: never reveal) the ids of the region's companies.
PLANNER_COMPANY_PREFIX = "scenario/"


def _planner_scenario(data: dict[str, Any], region: RegionData, privacy: Privacy,
                      listing_owners: pd.Series) -> dict[str, Any]:
    """A planner's scenario with companies named as the planner sees them: existing companies by
    their pseudonyms, added companies and listings under :data:`PLANNER_COMPANY_PREFIX` (so an id
    the planner makes up never meets, and so never confirms, one of the region's). Listings to
    remove are named only among those of consenting companies (``listing_owners``: each listing's
    company), the only listing ids a planner sees; any other id is refused in the same words,
    whether it exists or not."""
    added = {str(row.get("company_id")): PLANNER_COMPANY_PREFIX + str(row.get("company_id"))
             for row in data["add_companies"] if row.get("company_id") is not None}
    data["add_companies"] = [{**row, "company_id": added.get(str(row.get("company_id")), row.get("company_id"))}
                             for row in data["add_companies"]]
    own_listings = {str(row.get("listing_id")): PLANNER_COMPANY_PREFIX + str(row.get("listing_id"))
                    for row in data["add_listings"] if row.get("listing_id") is not None}
    listings = []
    for row in data["add_listings"]:
        owner = str(row.get("company_id"))
        if owner in added:
            owner = added[owner]
        elif row.get("company_id") is not None:
            owner = real_company_ids([owner], region.companies.index, privacy, "add_listings")[0]
        row = {**row, "company_id": owner} if row.get("company_id") is not None else row
        if row.get("listing_id") is not None:
            row = {**row, "listing_id": own_listings[str(row["listing_id"])]}
        listings.append(row)
    data["add_listings"] = listings
    visible = set(listing_owners.index[listing_owners.isin(list(privacy.consenting)).to_numpy()])
    removed = []
    for listing_id in data["remove_listings"]:
        if listing_id in own_listings:
            removed.append(own_listings[listing_id])
        elif listing_id in visible:
            removed.append(listing_id)
        else:
            raise InputError([Problem("request", None, "remove_listings", (
                f"listing {listing_id!r} is not one a planner may name: planners remove listings of companies "
                "that consent to planner access, or whole companies by the names the network shows (e.g. n3)"))])
    data["remove_listings"] = removed
    data["remove_companies"] = real_company_ids(data["remove_companies"], region.companies.index, privacy,
                                                "remove_companies")
    return data


def _probe_fences(data: dict[str, Any], listings: pd.DataFrame, privacy: Privacy) -> Directives | None:
    """Forbidden pairs that keep a planner's added listings from exchanging with the listings of
    companies that do not consent: else, by moving a made-up listing scenario after scenario, a planner
    could read such a company's own distance limit, minimum lot or price off the totals."""
    added = [(str(row["listing_id"]), str(row.get("kind", "")).strip().lower()) for row in data["add_listings"]
             if row.get("listing_id") is not None]
    private = listings[~listings["company_id"].isin(list(privacy.consenting)).to_numpy()]
    needs, offers = (private.index[(private["kind"] == kind).to_numpy()] for kind in ("need", "offer"))
    pairs = [pd.DataFrame({"offer_id": listing_id, "need_id": needs}) if kind == "offer"
             else pd.DataFrame({"offer_id": offers, "need_id": listing_id}) for listing_id, kind in added]
    pairs = [frame for frame in pairs if len(frame)]
    if not pairs:
        return None
    return Directives(forbidden_pairs=pd.concat(pairs, ignore_index=True).assign(label="planner scenario"))


@router.post("/scenarios", response_model=ScenarioPublic, status_code=status.HTTP_201_CREATED)
def create_scenario(body: ScenarioCreate, session: SessionDep, principal: FacilitatorOrPlannerDep,
                    settings: SettingsDep) -> ScenarioPublic:
    """Run a scenario on the region (re-solved from all listings at full quantity) and save it; the stored
    companies and listings are not changed. A planner's scenario belongs to that planner; its totals are
    rounded and its change computed from the rounded totals, unless every company of the region consents."""
    region = load_region(session)
    privacy = _privacy(principal, region, settings)
    data = _no_nul(body.model_dump())
    parts = _region_baseline(session, region)
    if privacy is not None:
        data = _planner_scenario(data, region, privacy, parts.registry.listings["company_id"])
    scenario = Scenario.from_dict(data, label=f"scenario {body.name!r}")
    fences = None
    if privacy is not None and not privacy.all_consent(region.companies.index):
        fences = _probe_fences(data, parts.registry.listings, privacy)
    result = run_scenario(parts.registry, scenario, baseline=parts, directives=fences)
    figures = {"before": result.before, "after": result.after, "change": result.change}
    if privacy is not None and not privacy.all_consent(region.companies.index):
        figures = dict(zip(("before", "after", "change"), private_totals(result.before, result.after, privacy)))
    definition = _no_nul(body.model_dump())
    row = ScenarioRun(name=body.name, description=body.description or None, definition=definition,
                      result={**figures, "status": result.result.status.value}, created_by=principal.key_id,
                      created_role=principal.role.value)
    session.add(row)
    session.commit()
    return _scenario_view(row)


def _own_scenarios(principal: Principal):
    """Saved scenarios the caller may read: a planner only their own, a facilitator all."""
    query = select(ScenarioRun)
    if principal.role is Role.PLANNER:
        query = query.where(ScenarioRun.created_by == principal.key_id)
    return query


@router.get("/scenarios", response_model=ScenariosPublic)
def list_scenarios(session: SessionDep, principal: FacilitatorOrPlannerDep) -> ScenariosPublic:
    """Saved scenarios, newest first: a planner's own, or every scenario for a facilitator."""
    rows = list(session.scalars(_own_scenarios(principal).order_by(ScenarioRun.id.desc())))
    return ScenariosPublic(data=[_scenario_view(r) for r in rows], count=len(rows))


@router.get("/scenarios/compare", response_model=ComparisonPublic,
            responses={404: {"description": "A scenario is not one the caller may read"}})
def compare(session: SessionDep, principal: FacilitatorOrPlannerDep,
            ids: Annotated[str, Query(max_length=2000, pattern=r"^\s*\d{1,9}(\s*,\s*\d{1,9})*\s*$",
                                      description="Scenario ids, comma separated, e.g. 1,2")]) -> ComparisonPublic:
    """Saved scenarios side by side: each figure before, after and its change."""
    wanted = [int(part) for part in ids.split(",")]
    rows = {r.id: r for r in session.scalars(_own_scenarios(principal).where(ScenarioRun.id.in_(wanted)))}
    missing = [i for i in wanted if i not in rows]
    if missing:
        raise NotFoundError("scenario", missing[0])
    table = compare_scenarios([{"name": rows[i].name, **rows[i].result} for i in wanted])
    headers = [{"column": c, "scenario": name, "part": part} for c, name, part in table.attrs["parts"]]
    return ComparisonPublic(metrics=list(METRICS), columns=list(table.columns), headers=headers,
                            rows=_records(table.reset_index()))


@router.get("/scenarios/{scenario_id}", response_model=ScenarioPublic)
def read_scenario(scenario_id: IntId, session: SessionDep, principal: FacilitatorOrPlannerDep) -> ScenarioPublic:
    row = session.scalars(_own_scenarios(principal).where(ScenarioRun.id == scenario_id)).first()
    if row is None:
        raise NotFoundError("scenario", scenario_id)
    return _scenario_view(row)


# --- exports -----------------------------------------------------------------------------------------


#: The OpenAPI schema of the GeoJSON export (RFC 7946 FeatureCollection).
_FEATURE_COLLECTION = {"type": "object", "required": ["type", "features"], "properties": {
    "type": {"type": "string", "enum": ["FeatureCollection"]},
    "features": {"type": "array", "items": {"type": "object", "required": ["type", "geometry", "properties"]}}}}


def _download(name: str, media_type: str, description: str, schema: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """The OpenAPI description of an export's 200 response: its real media type, a file."""
    return {200: {"description": description,
                  "content": {media_type: {"schema": schema or {"type": "string"}}},
                  "headers": {"Content-Disposition": {"description": f'attachment; filename="{name}"',
                                                      "schema": {"type": "string"}}}}}


@router.get("/export/geojson", response_class=Response,
            responses=_download("network.geojson", GEOJSON, "The network as a GeoJSON FeatureCollection.",
                                _FEATURE_COLLECTION))
def export_geojson(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep,
                   layer: Annotated[Literal["companies", "exchanges"] | None, Query(
                       description="Only the companies (points) or only the exchanges (lines); both by default, "
                                   "told apart by their `layer` property.")] = None) -> Response:
    """Companies as points and exchanges as lines with their properties (GeoJSON, for QGIS). An exchange
    between two companies shown at the same point draws no line; ``same_site_exchanges`` counts them."""
    import json

    region = load_region(session)
    metrics = _network(session, region).metrics
    collection = to_geojson(region.companies, region.exchanges, privacy=_privacy(principal, region, settings),
                            metrics=metrics, layer=layer)
    name = "network.geojson" if layer is None else f"network_{layer}.geojson"
    return Response(json.dumps(collection, ensure_ascii=False), media_type=GEOJSON,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/export/graphml", response_class=Response,
            responses=_download("network.graphml", GRAPHML, "The company graph as directed GraphML."))
def export_graphml(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep) -> Response:
    """The network as directed GraphML for Gephi: supplier -> receiver edges weighted by diverted tonnes,
    with quantities and units; nodes labelled by name (or pseudonym) with degree, weighted degree,
    betweenness and keystone rank."""
    region = load_region(session)
    data = _network(session, region)
    keystones = _keystone_ranking(session, region, DEFAULT_DEPENDENCY_SHARE)
    graph = export_graph(region.companies, region.exchanges, data.metrics, keystones,
                         privacy=_privacy(principal, region, settings), graph=data.graph)
    return Response(graphml_text(graph), media_type=GRAPHML, headers={"Content-Disposition": 'attachment; filename="network.graphml"'})


@router.get("/export/csv", response_class=Response,
            responses=_download("exchanges.csv", CSV, "One table as CSV (text cells that start like a formula "
                                "are prefixed with a single quote)."))
def export_csv(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep,
               table: Literal["companies", "exchanges", "keystones"] = "exchanges") -> Response:
    """One table as CSV: ``companies`` (with network metrics), ``exchanges`` or ``keystones``."""
    frame = _export_table(session, principal, settings, table)
    buffer = io.StringIO()
    neutralise_formulas(frame).to_csv(buffer, index=False)
    return Response(buffer.getvalue(), media_type=CSV,
                    headers={"Content-Disposition": f'attachment; filename="{table}.csv"'})


def _export_table(session: Session, principal: Principal, settings: Settings,
                  table: Literal["companies", "exchanges", "keystones"]) -> pd.DataFrame:
    """One exported table as the caller may see it (planners through the disclosure control)."""
    if table == "keystones":
        return _keystone_table(session, principal, settings, DEFAULT_DEPENDENCY_SHARE)[0].reset_index()
    region = load_region(session)
    privacy = _privacy(principal, region, settings)
    if table == "companies":
        data = _network(session, region)
        frame = company_table(region.companies).join(data.metrics)
        return (private_nodes(frame, privacy, data.graph) if privacy is not None else frame).reset_index()
    frame = region.exchanges
    return private_exchanges(frame, privacy, region.companies.index) if privacy is not None else frame


@router.get("/export/xlsx", response_class=Response,
            responses=_download("network.xlsx", XLSX, "Every planner table in one workbook (text cells that start "
                                "like a formula are prefixed with a single quote).", {"type": "string", "format": "binary"}))
def export_workbook(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep) -> Response:
    """The companies with their network metrics, the exchanges, the keystones and the aggregates by
    municipality, branch and material in one workbook, each as the caller may see it."""
    sheets = {name: _export_table(session, principal, settings, name)
              for name in ("companies", "exchanges", "keystones")}
    for by in ("municipality", "branch", "material"):
        sheets[f"by {by}"] = pd.DataFrame(aggregates(session, principal, settings, by).data)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            neutralise_formulas(frame).to_excel(writer, sheet_name=name, index=False)
    return Response(buffer.getvalue(), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="network.xlsx"'})
