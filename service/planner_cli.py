"""Command-line entry points for regional planners: analyse, resilience, processor-site, scenario run/compare."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from service.analysis import analyse, write_analysis
from service.terminal import print_input_problems
from service.pipeline import Run, kalundborg_paths, run_match
from solvers.params import SolveParams
from solvers.scenarios import METRICS, Scenario, compare_scenarios, resilience, run_scenario
from symbiosis.errors import InputError, Problem, SymbiosisError
from symbiosis.impacts import Objective
from symbiosis.network import DEFAULT_DEPENDENCY_SHARE, best_processor_site
from symbiosis.registry import read_csv_table

console = Console(width=None if Console().is_terminal else 160)
err = Console(stderr=True)

#: Rows of the keystone table printed in the terminal (network.csv holds all).
SHOWN_ROWS = 15

scenario_app = typer.Typer(help="What-if scenarios: add or remove companies and listings, re-solve, compare.",
                           no_args_is_help=True)

CompaniesOpt = Annotated[Optional[Path], typer.Option("--companies", help="Companies CSV file (default: the bundled Kalundborg data).")]
ListingsOpt = Annotated[Optional[Path], typer.Option("--listings", help="Listings CSV file.")]
WorkbookOpt = Annotated[Optional[Path], typer.Option("--workbook", help="An .xlsx workbook with sheets companies and listings.")]
ObjectiveOpt = Annotated[Objective, typer.Option("--objective", help="What to maximise.")]


def _fail(exc: Exception) -> None:
    if isinstance(exc, InputError):
        print_input_problems(exc)
        raise typer.Exit(code=2) from None
    err.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=1) from None


def _inputs(companies: Path | None, listings: Path | None, workbook: Path | None) -> dict:
    if workbook is not None and (companies is not None or listings is not None):
        err.print("[bold red]error:[/] give either --workbook or --companies/--listings, not both")
        raise typer.Exit(code=2)
    if workbook is not None:
        return {"workbook": workbook}
    if (companies is None) != (listings is None):
        err.print("[bold red]error:[/] give both --companies and --listings (or --workbook, or neither for the demo data)")
        raise typer.Exit(code=2)
    if companies is None:
        return dict(kalundborg_paths())
    return {"companies": companies, "listings": listings}


def _match(inputs: dict, objective: Objective) -> Run:
    try:
        return run_match(**inputs, solve_params=SolveParams(objective=objective))
    except SymbiosisError as exc:
        _fail(exc)
        raise  # unreachable: _fail always exits


def _fmt(value: float) -> str:
    if value is None or value != value:
        return "n/a"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.3g}"


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _totals_table(title: str, columns: dict[str, dict[str, float]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("figure (per year)")
    for name in columns:
        table.add_column(name, justify="right")
    for metric in METRICS:
        table.add_row(metric, *(_fmt(values[metric]) for values in columns.values()))
    return table


def analyse_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the analysis files.")],
    companies: CompaniesOpt = None,
    listings: ListingsOpt = None,
    workbook: WorkbookOpt = None,
    objective: ObjectiveOpt = Objective.DIVERTED,
    dependency_share: Annotated[float, typer.Option(
        "--dependency-share", min=0.0, max=0.99,
        help="A company depends on a supplier that delivers more than this share of one of its inputs.")
    ] = DEFAULT_DEPENDENCY_SHARE,
) -> None:
    """Match a region, then write its network analysis: keystones, aggregates, unmatched supply,
    marginal values, GeoJSON and GraphML."""
    run = _match(_inputs(companies, listings, workbook), objective)
    try:
        analysis = analyse(run.registry, run.result.exchanges, run.result.unmatched, run.candidates,
                           SolveParams(objective=objective), dependency_share)
        written = write_analysis(analysis, out)
    except SymbiosisError as exc:
        _fail(exc)
    table = Table(title=f"Keystone companies ({len(analysis.network)})", title_justify="left")
    for column in ("rank", "company", "cluster", "partners", "betweenness", "direct t", "knock-on t", "total t",
                   "dependants"):
        table.add_column(column, justify="left" if column == "company" else "right")
    for company, r in analysis.network.head(SHOWN_ROWS).iterrows():
        table.add_row(str(int(r["rank"])), str(company), str(int(r["component"])), str(int(r["degree"])),
                      f"{r['betweenness']:.3f}", _fmt(r["direct_diverted_t"]), _fmt(r["knock_on_diverted_t"]),
                      _fmt(r["total_diverted_t"]), str(int(r["dependants"])))
    if len(analysis.network) > SHOWN_ROWS:
        table.caption = f"... and {len(analysis.network) - SHOWN_ROWS} more in network.csv"
    console.print(table)
    console.print("Wrote " + ", ".join(str(p) for p in written))


def resilience_command(
    remove: Annotated[str, typer.Option("--remove", help="Company id(s) to close, comma separated.")],
    companies: CompaniesOpt = None,
    listings: ListingsOpt = None,
    workbook: WorkbookOpt = None,
    objective: ObjectiveOpt = Objective.DIVERTED,
) -> None:
    """Close companies: the exchanges lost, and how much the rest of the region recovers by re-matching."""
    run = _match(_inputs(companies, listings, workbook), objective)
    try:
        report = resilience(run.registry, _split(remove), solve_params=SolveParams(objective=objective),
                            baseline=run.result)
    except SymbiosisError as exc:
        _fail(exc)
    lost = Table(title=f"Exchanges lost ({len(report.lost_exchanges)})", title_justify="left")
    for column in ("offer", "need", "material", "quantity", "diverted t"):
        lost.add_column(column, justify="right" if column in ("quantity", "diverted t") else "left")
    for r in report.lost_exchanges.itertuples():
        lost.add_row(f"{r.offer_id} ({r.supplier_id})", f"{r.need_id} ({r.receiver_id})", r.material,
                     f"{_fmt(r.quantity)} {r.unit}", _fmt(r.waste_t + r.resource_t))
    console.print(lost)
    console.print(_totals_table("Region before and after re-matching",
                                {"before": report.before, "after": report.after, "change": report.change}))
    recovery = "n/a (nothing lost)" if report.recovery != report.recovery else f"{report.recovery:.1%}"
    console.print(f"Lost {_fmt(report.lost_diverted_t)} t diverted; re-matching regains "
                  f"{_fmt(report.regained_diverted_t)} t: recovery {recovery}")


def processor_site_command(
    material: Annotated[str, typer.Option("--material", help="The offered material (EWC code or class id).")],
    need_material: Annotated[Optional[str], typer.Option(
        "--need-material", help="What the processor makes of it (default: the rule that reaches farthest).")] = None,
    companies: CompaniesOpt = None,
    listings: ListingsOpt = None,
    workbook: WorkbookOpt = None,
    objective: ObjectiveOpt = Objective.DIVERTED,
) -> None:
    """Where a new processor of a material would take the most supply that nobody in reach takes now."""
    run = _match(_inputs(companies, listings, workbook), objective)
    try:
        site = best_processor_site(run.registry, run.result.unmatched, material, need_material=need_material)
    except SymbiosisError as exc:
        _fail(exc)
    console.print(
        f"Best site for a processor of [bold]{site.material}[/] into {site.need_material}: "
        f"lat {site.lat:.5f}, lon {site.lon:.5f}; it would take {_fmt(site.quantity)} {site.canonical_unit}/yr "
        f"from {len(site.offers)} offer(s) within {site.max_distance_km:g} km by {site.transport_mode} "
        f"({site.sites_tried} sites compared)")
    for offer in site.offers:
        console.print(f"  - {offer}")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lower() or "scenario"


def _read_table(path: Path | None) -> pd.DataFrame | None:
    return None if path is None else read_csv_table(path)


@scenario_app.command("run")
def scenario_run(
    file: Annotated[Optional[Path], typer.Argument(help="A scenario JSON file (see the README for its format).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Name of the scenario (overrides the file's).")] = None,
    add_companies: Annotated[Optional[Path], typer.Option("--add-companies", help="CSV of companies to add.")] = None,
    add_listings: Annotated[Optional[Path], typer.Option("--add-listings", help="CSV of listings to add.")] = None,
    remove: Annotated[Optional[str], typer.Option("--remove", help="Company id(s) to remove, comma separated.")] = None,
    remove_listings: Annotated[Optional[str], typer.Option(
        "--remove-listings", help="Listing id(s) to remove, comma separated.")] = None,
    save: Annotated[Optional[Path], typer.Option("--save", help="Folder to save the result in as <name>.json.")] = None,
    companies: CompaniesOpt = None,
    listings: ListingsOpt = None,
    workbook: WorkbookOpt = None,
    objective: ObjectiveOpt = Objective.DIVERTED,
) -> None:
    """Run a scenario on a region (never changing the input files) and report every indicator's change."""
    try:
        if file is not None:
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise InputError([Problem(str(file), None, None, "file not found")]) from None
            except json.JSONDecodeError as exc:
                raise InputError([Problem(file.name, exc.lineno, None, f"is not valid JSON: {exc.msg}")]) from None
            if isinstance(data, dict) and name:
                data["name"] = name
            scenario = Scenario.from_dict(data, label=file.name)
            extra = {"add_companies": _read_table(add_companies), "add_listings": _read_table(add_listings)}
            if any(v is not None for v in extra.values()) or remove or remove_listings:
                raise InputError([Problem(file.name, None, None,
                                          "give the changes either in the file or as options, not both")])
        else:
            if not name:
                raise InputError([Problem("scenario", None, "name", "give --name (or a scenario file)")])
            scenario = Scenario(name=name, add_companies=_read_table(add_companies),
                                add_listings=_read_table(add_listings), remove_companies=tuple(_split(remove)),
                                remove_listings=tuple(_split(remove_listings)))
    except SymbiosisError as exc:
        _fail(exc)
    run = _match(_inputs(companies, listings, workbook), objective)
    try:
        result = run_scenario(run.registry, scenario, solve_params=SolveParams(objective=objective),
                              baseline=run.result)
    except SymbiosisError as exc:
        _fail(exc)
    console.print(_totals_table(f"Scenario {scenario.name!r}",
                                {"before": result.before, "after": result.after, "change": result.change}))
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        path = save / f"{_slug(scenario.name)}.json"
        path.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"Saved {path}")


@scenario_app.command("compare")
def scenario_compare(
    files: Annotated[list[Path], typer.Argument(help="Saved scenario results (scenario run --save).")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Also write the comparison as CSV.")] = None,
) -> None:
    """Saved scenarios side by side: each figure before, after and its change."""
    results = []
    try:
        for path in files:
            try:
                results.append(json.loads(path.read_text(encoding="utf-8")))
            except FileNotFoundError:
                raise InputError([Problem(str(path), None, None, "file not found")]) from None
            except json.JSONDecodeError as exc:
                raise InputError([Problem(path.name, exc.lineno, None, f"is not valid JSON: {exc.msg}")]) from None
        table = compare_scenarios(results)
    except SymbiosisError as exc:
        _fail(exc)
    shown = Table(title=f"{len(files)} scenario(s)", title_justify="left")
    shown.add_column("figure (per year)")
    for column in table.columns:
        shown.add_column(column, justify="right")
    for metric, row in table.iterrows():
        shown.add_row(metric, *(_fmt(v) for v in row))
    console.print(shown)
    if out is not None:
        table.to_csv(out)
        console.print(f"Wrote {out}")


def register(app: typer.Typer) -> None:
    """Add ``analyse``, ``resilience``, ``processor-site`` and ``scenario run/compare`` to ``symbiosis``."""
    app.command("analyse")(analyse_command)
    app.command("resilience")(resilience_command)
    app.command("processor-site")(processor_site_command)
    app.add_typer(scenario_app, name="scenario")
