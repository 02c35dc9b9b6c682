"""What-if scenarios: companies and listings added or removed, the region matched again, and compared.

Nothing here changes the registry it is given: every variant is a new :class:`Registry` built from
copies of its tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analytics.aggregates import METRICS, indicator_changes, indicator_totals
from analytics.cache import RegionBaseline, merge_results
from solvers.matching import match
from solvers.params import SolveParams
from solvers.result import MatchResult
from symbiosis.candidates import CandidateParams
from symbiosis.directives import Directives
from symbiosis.errors import InputError, Problem
from symbiosis.registry import Registry, cell_text, validate_tables
from symbiosis.schema import COMPANY_COLUMNS, LISTING_COLUMNS

__all__ = ["METRICS", "Scenario", "ScenarioResult", "apply_scenario", "compare_scenarios", "run_scenario"]


def _text_table(records: pd.DataFrame | list[dict] | None, columns, label: str) -> pd.DataFrame:
    """Rows in the input contract as text cells (numbers written back as text), headers and cells
    trimmed as the registry trims them, so that ids are looked up as they will be stored.

    Raises
    ------
    InputError
        When two headers are the same once trimmed (naming the column of ``label``'s table).
    """
    names = [c.name for c in columns]
    if records is None:
        return pd.DataFrame(columns=names, dtype=str)
    table = pd.DataFrame(records) if not isinstance(records, pd.DataFrame) else records.copy()
    table.columns = [str(name).strip() for name in table.columns]
    twice = sorted(set(table.columns[table.columns.duplicated()]))
    if twice:
        raise InputError([Problem(label, None, name, "is given twice (the headers differ only in spaces)")
                          for name in twice])
    for name in table.columns:
        table[name] = table[name].map(cell_text)  # trimmed as the registry reads cells
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
    add_companies: pd.DataFrame = field(default_factory=lambda: _text_table(None, COMPANY_COLUMNS, "companies"))
    add_listings: pd.DataFrame = field(default_factory=lambda: _text_table(None, LISTING_COLUMNS, "listings"))
    remove_companies: tuple[str, ...] = ()
    remove_listings: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", str(self.name).strip())
        if not self.name:
            raise InputError([Problem("scenario", None, "name", "is empty but required")])
        # Ids are trimmed here, as the registry trims them, before any check or look-up uses them.
        object.__setattr__(self, "add_companies", _text_table(self.add_companies, COMPANY_COLUMNS,
                                                              f"scenario {self.name!r} companies"))
        object.__setattr__(self, "add_listings", _text_table(self.add_listings, LISTING_COLUMNS,
                                                             f"scenario {self.name!r} listings"))
        object.__setattr__(self, "remove_companies", tuple(str(c).strip() for c in self.remove_companies))
        object.__setattr__(self, "remove_listings", tuple(str(c).strip() for c in self.remove_listings))

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
            if not value:
                problems.append(Problem(f"scenario {scenario.name!r}", None, key, "holds an empty id"))
            elif value not in known:
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
                                    "material": "gypsum", "quantity": "1", "unit": "t/yr"}], LISTING_COLUMNS, label_l)
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
    baseline: MatchResult | RegionBaseline | None = None,
    directives: Directives | None = None,
) -> ScenarioResult:
    """Solve the region with and without the scenario's changes and report every indicator's change.

    ``baseline`` (a result for ``registry`` with the same parameters) saves solving it again. With a
    :class:`~analytics.cache.RegionBaseline` of ``registry`` (whose parameters apply), the region's
    match is taken from it and only the material components the scenario touches are matched
    again: the others' exchanges stand as they are, and the totals are still the whole region's.
    ``directives`` (forbidden pairs of the changed region's listings) apply to the changed region only.
    """
    changed = apply_scenario(registry, scenario)
    options = {"candidate_params": candidate_params, "solve_params": solve_params}
    if isinstance(baseline, RegionBaseline):
        baseline.check_options(candidate_params, solve_params)
        touched = baseline.touched_by(changed)
        baseline, result = baseline.baseline(), _rematch_touched(baseline, changed, touched, directives)
    else:
        baseline = baseline or match(registry=registry, **options).result
        result = match(registry=changed, directives=directives, **options).result
    before, after = indicator_totals(baseline.exchanges), indicator_totals(result.exchanges)
    return ScenarioResult(scenario, before, after, indicator_changes(before, after), baseline, result, changed)


def _rematch_touched(parts: RegionBaseline, changed: Registry, touched,
                     directives: Directives | None = None) -> MatchResult:
    """The changed region's match: the baseline of the components the change does not touch, and a
    new match of the touched ones."""
    untouched = parts.baseline(set(parts.component_of) - touched)
    return merge_results([untouched, parts.rematch(changed, touched, directives)], parts.objective)


def compare_scenarios(results, labels: list[str] | None = None) -> pd.DataFrame:
    """Scenarios side by side: one row per figure of :data:`METRICS`, and per scenario the columns
    ``<name>: before``, ``<name>: after`` and ``<name>: change`` (listed as (column, name, part) in
    ``table.attrs["parts"]``, for a page that words them in its own language).

    ``results`` are :class:`ScenarioResult` objects or their saved JSON form (:meth:`ScenarioResult.to_dict`);
    ``labels`` (one per result, such as the files they were read from) name them in errors.

    Raises
    ------
    InputError
        Naming every result that is not a saved scenario result.
    """
    results = list(results)
    labels = list(labels) if labels is not None else ["scenario result"] * len(results)
    columns: dict[str, list[float]] = {}
    parts: list[tuple[str, str, str]] = []  # (column, scenario name, part): for pages that label them
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for item, label in zip(results, labels, strict=True):
        data = item.to_dict() if isinstance(item, ScenarioResult) else item
        if not isinstance(data, dict):
            problems.append(Problem(label, None, None, "is not a saved scenario result (not a JSON object)"))
            continue
        try:
            name = str(data["name"])
            figures = {part: [None if data[part][m] is None else float(data[part][m]) for m in METRICS]
                       for part in ("before", "after", "change")}
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(label, None, None, f"is not a saved scenario result (missing or bad {exc})"))
            continue
        base = name
        while name in seen:  # two of one name are numbered, and never onto a name another already has
            seen[base] = seen.get(base, 1) + 1
            name = f"{base} ({seen[base]})"
        seen[name] = 1
        for part, values in figures.items():
            columns[f"{name}: {part}"] = values
            parts.append((f"{name}: {part}", name, part))
    if problems:
        raise InputError(problems)
    table = pd.DataFrame(columns, index=pd.Index(METRICS, name="metric"))
    table.attrs["parts"] = parts
    return table
