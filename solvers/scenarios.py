"""What-if analyses that re-solve: resilience to closures, marginal values, and scenarios.

None of them changes the registry it is given: every variant is a new :class:`Registry` built from
copies of its tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from solvers.api import solve
from solvers.lp import build_linear_model, solve_linear_model
from solvers.params import SolveParams
from symbiosis.candidates import CandidateParams, Candidates, build_candidates
from symbiosis.errors import InputError, Problem
from symbiosis.impacts import INDICATORS, arc_weights, total_indicators
from symbiosis.registry import Registry, validate_tables
from symbiosis.result import MatchResult
from symbiosis.schema import COMPANY_COLUMNS, LISTING_COLUMNS

#: The figures a scenario or resilience report compares, in report order.
METRICS: tuple[str, ...] = ("exchanges", "diverted_t", *INDICATORS, "transport_co2e_t", "value_eur")


def indicator_totals(exchanges: pd.DataFrame) -> dict[str, float]:
    """Number of exchanges, diverted tonnes (waste + resource), the five indicators, transport
    emissions and value, summed over an exchanges table."""
    totals = total_indicators(exchanges)
    result = {"exchanges": float(len(exchanges)),
              "diverted_t": float(exchanges["waste_t"].sum() + exchanges["resource_t"].sum())}
    result.update({name: totals[name] for name in METRICS if name in totals})
    return {name: result[name] for name in METRICS}


def _change(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in METRICS}


def _solve_registry(registry: Registry, candidate_params: CandidateParams | None,
                    solve_params: SolveParams | None) -> MatchResult:
    return solve(build_candidates(registry, candidate_params or CandidateParams()), solve_params or SolveParams())


# --- scenarios ------------------------------------------------------------------------------------


def _text_table(records: pd.DataFrame | list[dict] | None, columns) -> pd.DataFrame:
    """Rows in the input contract as text cells (numbers written back as text)."""
    names = [c.name for c in columns]
    if records is None:
        return pd.DataFrame(columns=names, dtype=str)
    table = pd.DataFrame(records) if not isinstance(records, pd.DataFrame) else records.copy()
    for name in table.columns:
        table[name] = table[name].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
                                      else ("yes" if v is True else "no" if v is False else str(v)))
    return table.reset_index(drop=True)


@dataclass(frozen=True)
class Scenario:
    """A hypothetical change to a region: companies and listings added, companies and listings removed.

    Attributes
    ----------
    name
        Short name shown in comparisons.
    add_companies, add_listings
        Tables in the input contract (the columns of the companies and listings files). Added
        listings may belong to added or existing companies.
    remove_companies
        Company ids to take out, with all their listings.
    remove_listings
        Listing ids to take out.
    description
        Free text.
    """

    name: str
    add_companies: pd.DataFrame = field(default_factory=lambda: _text_table(None, COMPANY_COLUMNS))
    add_listings: pd.DataFrame = field(default_factory=lambda: _text_table(None, LISTING_COLUMNS))
    remove_companies: tuple[str, ...] = ()
    remove_listings: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "add_companies", _text_table(self.add_companies, COMPANY_COLUMNS))
        object.__setattr__(self, "add_listings", _text_table(self.add_listings, LISTING_COLUMNS))
        object.__setattr__(self, "remove_companies", tuple(str(c) for c in self.remove_companies))
        object.__setattr__(self, "remove_listings", tuple(str(c) for c in self.remove_listings))
        if not str(self.name).strip():
            raise InputError([Problem("scenario", None, "name", "is empty but required")])

    @classmethod
    def from_dict(cls, data: dict[str, Any], label: str = "scenario") -> Scenario:
        """Read the JSON form (see :meth:`to_dict`); unknown keys are an error naming them."""
        if not isinstance(data, dict):
            raise InputError([Problem(label, None, None, "must be a JSON object")])
        known = {"name", "description", "add_companies", "add_listings", "remove_companies", "remove_listings"}
        problems = [Problem(label, None, key, "is not a scenario field (known: " + ", ".join(sorted(known)) + ")")
                    for key in data if key not in known]
        for key in ("add_companies", "add_listings", "remove_companies", "remove_listings"):
            value = data.get(key, [])
            if not isinstance(value, list):
                problems.append(Problem(label, None, key, "must be a list"))
            elif key.startswith("add") and not all(isinstance(v, dict) for v in value):
                problems.append(Problem(label, None, key, "must be a list of objects (one per row)"))
            elif key.startswith("remove") and not all(isinstance(v, str) for v in value):
                problems.append(Problem(label, None, key, "must be a list of ids (text)"))
        if not isinstance(data.get("name"), str) or not data.get("name", "").strip():
            problems.append(Problem(label, None, "name", "is required (a short text)"))
        if problems:
            raise InputError(problems)
        return cls(name=data["name"].strip(), description=str(data.get("description", "")),
                   add_companies=data.get("add_companies") or None, add_listings=data.get("add_listings") or None,
                   remove_companies=tuple(data.get("remove_companies", [])),
                   remove_listings=tuple(data.get("remove_listings", [])))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``name``, ``description``, ``add_companies`` and ``add_listings`` (lists of
        rows as objects of text cells), ``remove_companies`` and ``remove_listings`` (lists of ids)."""
        return {
            "name": self.name, "description": self.description,
            "add_companies": self.add_companies.to_dict(orient="records"),
            "add_listings": self.add_listings.to_dict(orient="records"),
            "remove_companies": list(self.remove_companies), "remove_listings": list(self.remove_listings),
        }


def _companies_as_text(companies: pd.DataFrame) -> pd.DataFrame:
    table = companies.reset_index()
    out = pd.DataFrame({c.name: table[c.name] if c.name in table else "" for c in COMPANY_COLUMNS})
    for name in ("lat", "lon"):
        out[name] = out[name].map(repr)
    return out.fillna("").astype(str)


def apply_scenario(registry: Registry, scenario: Scenario) -> Registry:
    """A new registry with the scenario's changes; ``registry`` itself is left as it is.

    Raises
    ------
    InputError
        Naming every problem: ids to remove that do not exist, added rows that break the input
        contract (with their row in the scenario's table), ids that already exist.
    """
    label_c, label_l = f"scenario {scenario.name!r} companies", f"scenario {scenario.name!r} listings"
    problems: list[Problem] = []
    for key, ids, known in (("remove_companies", scenario.remove_companies, registry.companies.index),
                            ("remove_listings", scenario.remove_listings, registry.listings.index)):
        for value in ids:
            if value not in known:
                what = "company_id" if key == "remove_companies" else "listing_id"
                problems.append(Problem(f"scenario {scenario.name!r}", None, key, f"{value!r} is not a {what} of the region"))
    removed_companies = set(scenario.remove_companies)
    companies = registry.companies[~registry.companies.index.isin(list(removed_companies))].copy()
    listings = registry.listings[~registry.listings["company_id"].isin(list(removed_companies))
                                 & ~registry.listings.index.isin(list(scenario.remove_listings))].copy()
    added_c, added_l = scenario.add_companies, scenario.add_listings
    for label, table, column, existing in ((label_c, added_c, "company_id", companies.index),
                                           (label_l, added_l, "listing_id", listings.index)):
        if column in table:
            for pos, value in enumerate(table[column]):
                if value in existing:
                    problems.append(Problem(label, pos + 2, column, f"{value!r} already exists in the region"))
    if "company_id" in added_l:
        for pos, value in enumerate(added_l["company_id"]):
            if value in removed_companies:
                problems.append(Problem(label_l, pos + 2, "company_id", f"{value!r} is removed by the scenario"))
    if added_c.empty and added_l.empty:
        if problems:
            raise InputError(problems)
        return Registry(companies=companies, listings=listings, notices=list(registry.notices))
    clashing = set(added_c.get("company_id", pd.Series(dtype=str)))
    known_text = _companies_as_text(companies[~companies.index.isin(list(clashing))])
    all_companies = pd.concat([added_c, known_text], ignore_index=True) if not added_c.empty else known_text
    try:
        validated = validate_tables(all_companies, added_l, labels={"companies": label_c, "listings": label_l})
    except InputError as exc:
        kept = [p for p in exc.problems
                if not (p.reason == "has no data rows" and ((p.table == label_l and added_l.empty)
                                                            or (p.table == label_c and added_c.empty)))]
        kept = [p for p in kept if not (p.table == label_c and p.row is not None and p.row - 2 >= len(added_c))]
        if kept or problems:
            raise InputError(problems + kept) from None
        validated = None
    if problems:
        raise InputError(problems)
    new_ids = list(added_c["company_id"]) if "company_id" in added_c else []
    if validated is None:
        # Only companies are added: validate them with a placeholder listing, which is dropped.
        placeholder = _text_table([{"listing_id": "placeholder", "company_id": new_ids[0], "kind": "offer",
                                    "material": "gypsum", "quantity": "1", "unit": "t/yr"}], LISTING_COLUMNS)
        validated = validate_tables(all_companies, placeholder, labels={"companies": label_c, "listings": label_l})
        new_listings = validated.listings.iloc[0:0]
    else:
        new_listings = validated.listings
    new_companies = validated.companies.loc[new_ids]
    return Registry(companies=pd.concat([companies, new_companies]),
                    listings=pd.concat([listings, new_listings]) if len(new_listings) else listings,
                    notices=list(registry.notices) + list(validated.notices))


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario's effect: totals before and after, and the change of each (after - before)."""

    scenario: Scenario
    before: dict[str, float]
    after: dict[str, float]
    change: dict[str, float]
    baseline: MatchResult
    result: MatchResult
    registry: Registry

    @property
    def name(self) -> str:
        return self.scenario.name

    def to_dict(self) -> dict[str, Any]:
        """The JSON form saved and compared: the scenario and its three sets of totals."""
        return {"scenario": self.scenario.to_dict(), "name": self.name, "before": self.before, "after": self.after,
                "change": self.change, "status": self.result.status.value}


def run_scenario(
    registry: Registry,
    scenario: Scenario,
    candidate_params: CandidateParams | None = None,
    solve_params: SolveParams | None = None,
    baseline: MatchResult | None = None,
) -> ScenarioResult:
    """Solve the region with and without the scenario's changes and report every indicator's change.

    ``baseline`` (a result for ``registry`` with the same parameters) saves solving it again.
    """
    changed = apply_scenario(registry, scenario)
    baseline = baseline or _solve_registry(registry, candidate_params, solve_params)
    result = _solve_registry(changed, candidate_params, solve_params)
    before, after = indicator_totals(baseline.exchanges), indicator_totals(result.exchanges)
    return ScenarioResult(scenario, before, after, _change(before, after), baseline, result, changed)


def compare_scenarios(results) -> pd.DataFrame:
    """Scenarios side by side: one row per figure of :data:`METRICS`, and per scenario the columns
    ``<name>: before``, ``<name>: after`` and ``<name>: change``.

    ``results`` are :class:`ScenarioResult` objects or their saved JSON form (:meth:`ScenarioResult.to_dict`).
    """
    columns: dict[str, list[float]] = {}
    seen: dict[str, int] = {}
    for item in results:
        data = item.to_dict() if isinstance(item, ScenarioResult) else item
        try:
            name = str(data["name"])
            figures = {part: [float(data[part][m]) for m in METRICS] for part in ("before", "after", "change")}
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError([Problem("scenario result", None, None,
                                      f"is not a saved scenario result (missing or bad {exc})")]) from None
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        for part, values in figures.items():
            columns[f"{name}: {part}"] = values
    table = pd.DataFrame(columns, index=pd.Index(METRICS, name="metric"))
    return table


# --- resilience -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResilienceReport:
    """What the region loses when companies close, and how much the rest recovers by re-matching.

    Attributes
    ----------
    removed
        The closed companies.
    lost_exchanges
        The baseline exchanges the closed companies supplied or received.
    lost_diverted_t
        Their diverted tonnes (waste + resource).
    regained_diverted_t
        Diverted tonnes the re-solved region gains over the baseline without the lost exchanges.
    recovery
        ``regained_diverted_t / lost_diverted_t`` (NaN when nothing was lost): 0 means the rest of the
        region finds no replacement, 1 means it makes up the whole loss.
    before, after, change, lost
        Totals of :data:`METRICS` in the baseline, after re-solving, their difference, and over
        the lost exchanges.
    """

    removed: tuple[str, ...]
    baseline: MatchResult
    result: MatchResult
    lost_exchanges: pd.DataFrame
    lost_diverted_t: float
    regained_diverted_t: float
    recovery: float
    before: dict[str, float]
    after: dict[str, float]
    change: dict[str, float]
    lost: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"removed": list(self.removed), "lost_diverted_t": self.lost_diverted_t,
                "regained_diverted_t": self.regained_diverted_t,
                "recovery": None if not np.isfinite(self.recovery) else self.recovery,
                "before": self.before, "after": self.after, "change": self.change, "lost": self.lost}


def resilience(
    registry: Registry,
    removed_company_ids,
    candidate_params: CandidateParams | None = None,
    solve_params: SolveParams | None = None,
    baseline: MatchResult | None = None,
) -> ResilienceReport:
    """Close companies: report the exchanges lost, re-solve the rest, and how much it recovers.

    Raises
    ------
    InputError
        When no company is given or a company id is not in the registry.
    """
    removed = tuple(dict.fromkeys(str(c).strip() for c in removed_company_ids if str(c).strip()))
    if not removed:
        raise InputError([Problem("resilience", None, "remove", "name at least one company_id to remove")])
    changed = apply_scenario(registry, Scenario(name="closure of " + ", ".join(removed), remove_companies=removed))
    baseline = baseline or _solve_registry(registry, candidate_params, solve_params)
    result = _solve_registry(changed, candidate_params, solve_params)
    ex = baseline.exchanges
    lost_rows = ex[ex["supplier_id"].isin(removed) | ex["receiver_id"].isin(removed)]
    before, after = indicator_totals(ex), indicator_totals(result.exchanges)
    lost = indicator_totals(lost_rows)
    remaining = before["diverted_t"] - lost["diverted_t"]
    regained = after["diverted_t"] - remaining
    recovery = regained / lost["diverted_t"] if lost["diverted_t"] > 0 else float("nan")
    return ResilienceReport(removed, baseline, result, lost_rows.reset_index(drop=True), lost["diverted_t"], regained,
                            recovery, before, after, _change(before, after), lost)


# --- marginal values ------------------------------------------------------------------------------


def marginal_values(candidates: Candidates, params: SolveParams | None = None,
                    companies: pd.DataFrame | None = None) -> pd.DataFrame:
    """The value of one more unit of supply or need at each listing, from the duals of the LP.

    The LP of :mod:`solvers.lp` is solved with GLOP over the whole candidate set, with the
    objective's weights per arc (no tie-break; discrete rules relaxed; arcs bounded only by the
    listings' quantities). The dual of a listing's
    quantity constraint is how much the objective would grow per extra canonical unit it lists.
    A positive value on an offer means needs in its reach go short: the material is scarce there.
    A positive value on a need means offers in its reach are left over: the material is in surplus.

    Returns
    -------
    DataFrame
        Indexed by ``listing_id``: ``kind``, ``company_id``, ``municipality`` (when ``companies``
        is given), ``material``, ``canonical_unit``, ``quantity`` (canonical per year), ``lat``,
        ``lon``, ``value`` (objective units per canonical unit) and ``objective_unit``.
    """
    params = params or SolveParams()
    arcs = candidates.arcs
    offers, needs = candidates.offers, candidates.needs
    offer_value = pd.Series(0.0, index=offers.index)
    need_value = pd.Series(0.0, index=needs.index)
    if len(arcs):
        weights = arc_weights(arcs, params.objective, params.weights)
        # Arcs are bounded only by the listing rows, so a binding quantity shows in its listing's dual
        # and not in an arc's reduced cost.
        model = build_linear_model(arcs.assign(upper=np.inf), weights, offers["quantity_canonical"],
                                   needs["quantity_canonical"])
        solution = solve_linear_model(model, "glop", params.time_limit_s)
        if not solution.optimal:
            raise InputError([Problem("marginal values", None, None, f"the LP ended {solution.status}")])
        # A maximisation's duals on <= rows come out non-positive from GLOP: flip to "gain per unit".
        offer_value.loc[solution.offer_duals.index] = np.abs(solution.offer_duals.to_numpy(dtype=float))
        need_value.loc[solution.need_duals.index] = np.abs(solution.need_duals.to_numpy(dtype=float))
    frames = []
    for kind, listings, value in (("offer", offers, offer_value), ("need", needs, need_value)):
        table = pd.DataFrame({
            "kind": kind, "company_id": listings["company_id"], "material": listings["material"],
            "canonical_unit": listings["canonical_unit"], "quantity": listings["quantity_canonical"],
            "lat": listings["lat"], "lon": listings["lon"], "value": value.reindex(listings.index).to_numpy(),
        }, index=listings.index)
        frames.append(table)
    table = pd.concat(frames)
    table.index.name = "listing_id"
    if companies is not None and "municipality" in companies:
        table.insert(2, "municipality", table["company_id"].map(companies["municipality"]).fillna(""))
    table["value"] = table["value"].where(table["value"].abs() > 1e-12, 0.0)
    table["objective_unit"] = params.objective.unit + " per unit"
    return table


def summarise_marginal_values(values: pd.DataFrame, by: tuple[str, ...] = ("kind", "material", "municipality")
                              ) -> pd.DataFrame:
    """Marginal values per group: ``listings``, ``mean_value``, ``max_value`` and ``quantity``."""
    keys = [c for c in by if c in values.columns] + ["canonical_unit"]
    if values.empty:
        return pd.DataFrame(columns=[*keys, "listings", "mean_value", "max_value", "quantity"])
    grouped = values.groupby(keys, sort=True)
    table = grouped.agg(listings=("value", "size"), mean_value=("value", "mean"), max_value=("value", "max"),
                        quantity=("quantity", "sum")).reset_index()
    return table.sort_values(["max_value", "mean_value"], ascending=False, kind="stable").reset_index(drop=True)
