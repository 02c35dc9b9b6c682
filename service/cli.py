"""The ``symbiosis`` command line: demo, match, generate and template."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from solvers.api import SolverError
from solvers.params import SolveParams, SolverName
from symbiosis.candidates import CandidateParams
from symbiosis.errors import InputError, SymbiosisError
from symbiosis.impacts import INDICATOR_LABELS, INDICATORS, Objective
from service.terminal import print_input_problems
from service.pipeline import Run, kalundborg_paths, run_match
from service.server_cli import register as register_server_commands
from service.planner_cli import register as register_planner_commands

app = typer.Typer(
    name="symbiosis",
    help="Match companies' byproducts (offers) with other companies' inputs (needs).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(width=None if Console().is_terminal else 160)
err = Console(stderr=True)

#: Rows of exchanges and unmatched listings printed in the terminal (the files hold all).
SHOWN_ROWS = 25

ObjectiveOpt = Annotated[Objective, typer.Option("--objective", help="What to maximise.")]
SolverOpt = Annotated[SolverName, typer.Option("--solver", help="Which engine solves the model.")]
CandidatesOpt = Annotated[
    int, typer.Option("--max-candidates", min=1, help="Nearest partners each listing looks up per material group.")
]
TimeLimitOpt = Annotated[Optional[float], typer.Option("--time-limit", min=0.1, help="Seconds per LP or MILP solve.")]


class MilpEngine(str, Enum):
    SCIP = "scip"
    HIGHS = "highs"


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    )


def _run(out: Path | None, candidate_params: CandidateParams, solve_params: SolveParams, **inputs) -> Run:
    try:
        with _progress() as bar:
            tasks: dict[str, int] = {}

            def stage(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(f"{name}", total=total)
                bar.update(tasks[name], completed=done, total=total)

            return run_match(
                **inputs, out_dir=out,
                candidate_params=candidate_params, solve_params=solve_params,
                progress=stage,
            )
    except InputError as exc:
        print_input_problems(exc)
        raise typer.Exit(code=2) from None
    except (SolverError, SymbiosisError) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from None


def _fmt(value: float) -> str:
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.3g}"


def print_run(run: Run) -> None:
    """Print the result as readable tables."""
    result, summary = run.result, run.summary
    ex = result.exchanges.sort_values("objective_contribution", ascending=False)
    table = Table(title=f"Proposed exchanges ({len(ex)})", title_justify="left")
    for column, justify in (("offer", "left"), ("need", "left"), ("material", "left"), ("quantity", "right"),
                            ("km", "right"), ("mode", "left"), ("diverted t", "right"), ("CO2e avoided t", "right"),
                            ("transport CO2e t", "right")):
        table.add_column(column, justify=justify)
    for r in ex.head(SHOWN_ROWS).itertuples():
        table.add_row(
            f"{r.offer_id} ({r.supplier_id})", f"{r.need_id} ({r.receiver_id})", f"{r.material} -> {r.need_material}",
            f"{_fmt(r.quantity)} {r.unit}", f"{r.distance_km:.1f}", r.transport_mode,
            _fmt(r.waste_t + r.resource_t), _fmt(r.co2e_t), _fmt(r.transport_co2e_t),
        )
    if len(ex) > SHOWN_ROWS:
        table.caption = f"... and {len(ex) - SHOWN_ROWS} more in exchanges.csv"
    console.print(table)

    totals = Table(title="Effect indicators per year", title_justify="left")
    totals.add_column("indicator")
    totals.add_column("total", justify="right")
    for key in INDICATORS:
        totals.add_row(INDICATOR_LABELS[key], _fmt(summary["totals"][key]))
    totals.add_row("transport emissions (t CO2e, well-to-wheel)", _fmt(summary["totals"]["transport_co2e_t"]))
    totals.add_row("value (EUR, net of transport)", _fmt(summary["totals"]["value_eur"]))
    console.print(totals)

    if len(result.unmatched):
        un = Table(title=f"Unmatched listings ({len(result.unmatched)})", title_justify="left")
        for column in ("listing", "kind", "material", "reason"):
            un.add_column(column, overflow="fold")
        for listing, r in result.unmatched.head(SHOWN_ROWS).iterrows():
            un.add_row(str(listing), r["kind"], r["material"], r["reason"])
        if len(result.unmatched) > SHOWN_ROWS:
            un.caption = f"... and {len(result.unmatched) - SHOWN_ROWS} more in unmatched.csv"
        console.print(un)
    timing = ", ".join(f"{k} {v:.2f} s" for k, v in run.timings.items())
    bound = "n/a" if summary["bound"] is None else _fmt(summary["bound"])
    console.print(
        f"[bold]{result.status.value}[/] by {result.solver}: objective {result.objective.value} = "
        f"{_fmt(result.objective_value)} {result.objective.unit} (bound {bound}); {timing}"
    )
    for notice in summary["notices"]:
        err.print(f"[yellow]note:[/] {notice}")
    if run.written:
        console.print("Wrote " + ", ".join(str(p) for p in run.written))


@app.command()
def demo(
    out: Annotated[Optional[Path], typer.Option("--out", help="Also write the files into this folder.")] = None,
    objective: ObjectiveOpt = Objective.DIVERTED,
    solver: SolverOpt = SolverName.AUTO,
) -> None:
    """Match the bundled Kalundborg Symbiosis dataset and print the result."""
    paths = kalundborg_paths()
    run = _run(out, CandidateParams(), SolveParams(objective=objective, solver=solver),
               companies=paths["companies"], listings=paths["listings"])
    print_run(run)


@app.command()
def match(
    out: Annotated[Path, typer.Option("--out", help="Folder for exchanges.csv, unmatched.csv, summary.json.")],
    companies: Annotated[Optional[Path], typer.Option("--companies", help="Companies CSV file.")] = None,
    listings: Annotated[Optional[Path], typer.Option("--listings", help="Listings CSV file.")] = None,
    workbook: Annotated[Optional[Path], typer.Option("--workbook", help="An .xlsx workbook with sheets companies and listings.")] = None,
    objective: ObjectiveOpt = Objective.DIVERTED,
    solver: SolverOpt = SolverName.AUTO,
    max_candidates: CandidatesOpt = CandidateParams().max_candidates,
    time_limit: TimeLimitOpt = None,
    directives: Annotated[Optional[Path], typer.Option(
        "--directives", help="CSV of lock/forbid directives (action, offer_id, need_id, supplier_id, receiver_id, min_quantity).")] = None,
    weights: Annotated[Optional[Path], typer.Option(
        "--weights", help="CSV of objective weights (kind: indicator or material, name, weight).")] = None,
    milp_engine: Annotated[MilpEngine, typer.Option("--milp-engine", help="Engine for the MILP.")] = MilpEngine.SCIP,
    gap: Annotated[float, typer.Option("--gap", min=0.0, max=0.99, help="Relative gap at which the MILP stops.")] = 1e-4,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Threads for the MILP engine (HiGHS).")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the MILP engine.")] = 0,
) -> None:
    """Match companies and listings from two CSV files or one workbook and write the results."""
    if workbook is None and (companies is None or listings is None):
        err.print("[bold red]error:[/] give --companies and --listings, or --workbook")
        raise typer.Exit(code=2)
    if workbook is not None and (companies is not None or listings is not None):
        err.print("[bold red]error:[/] give either --workbook or --companies/--listings, not both")
        raise typer.Exit(code=2)
    params = SolveParams(objective=objective, solver=solver, time_limit_s=time_limit, milp_engine=milp_engine.value,
                         relative_gap=gap, workers=workers, seed=seed)
    run = _run(out, CandidateParams(max_candidates=max_candidates), params,
               companies=companies, listings=listings, workbook=workbook, directives=directives, weights=weights)
    print_run(run)


@app.command()
def explain(
    listing_id: Annotated[str, typer.Argument(help="The listing to explain.")],
    out: Annotated[Path, typer.Option("--out", help="Folder of a finished matching run.")],
) -> None:
    """Explain one listing from a run's files: its exchanges, or why it has none."""
    import pandas as pd

    try:
        exchanges = pd.read_csv(out / "exchanges.csv", dtype={"offer_id": str, "need_id": str}, keep_default_na=False)
        unmatched = pd.read_csv(out / "unmatched.csv", dtype={"listing_id": str}, keep_default_na=False)
    except FileNotFoundError as exc:
        err.print(f"[bold red]error:[/] {out} holds no results of a matching run ({exc.filename} is missing)")
        raise typer.Exit(code=2) from None
    mine = exchanges[(exchanges["offer_id"] == listing_id) | (exchanges["need_id"] == listing_id)]
    if not mine.empty:
        for _, r in mine.iterrows():
            side = "supplies" if r["offer_id"] == listing_id else "receives"
            partner = r["need_id"] if r["offer_id"] == listing_id else r["offer_id"]
            table = Table(title=f"{listing_id} {side}: exchange with {partner}", title_justify="left", show_header=False)
            table.add_column("field")
            table.add_column("value", overflow="fold")
            table.add_row("quantity", f"{_fmt(r['quantity'])} {r['unit']} -> {_fmt(r['need_quantity'])} {r['need_unit']}")
            table.add_row("rule", f"{r['rule_id']} ({r['material']} -> {r['need_material']}), yield {r['yield']:g}")
            table.add_row("distance", f"{r['distance_km']:.1f} km by {r['transport_mode']}, limit {r['max_distance_km']:.0f} km")
            table.add_row("objective contribution", _fmt(r["objective_contribution"]))
            for key in INDICATORS:
                table.add_row(INDICATOR_LABELS[key], _fmt(r[key]))
            table.add_row("transport emissions (t CO2e)", _fmt(r["transport_co2e_t"]))
            table.add_row("link cost (EUR/yr)", _fmt(r["link_cost_eur"]))
            table.add_row("value (EUR/yr, net)", _fmt(r["value_eur"]))
            console.print(table)
        return
    row = unmatched[unmatched["listing_id"] == listing_id]
    if row.empty:
        err.print(f"[bold red]error:[/] listing {listing_id!r} is not in the results in {out}")
        raise typer.Exit(code=2)
    r = row.iloc[0]
    console.print(f"[bold]{listing_id}[/] ({r['kind']}, {r['material']}, company {r['company_id']}): nothing exchanged.")
    console.print(f"Why: {r['reason']}")
    if r["nearest_id"]:
        console.print(f"Nearest compatible partner: {r['nearest_id']} at {float(r['nearest_km']):.1f} km")


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder for companies.csv and listings.csv.")],
    companies: Annotated[Optional[int], typer.Option("--companies", min=1, help="Number of companies.")] = None,
    listings: Annotated[Optional[int], typer.Option("--listings", min=1, help="Number of listings instead.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same region.")] = 0,
) -> None:
    """Write a synthetic Trekantområdet region in the input format."""
    from symbiosis.synthetic import generate_region

    if (companies is None) == (listings is None):
        err.print("[bold red]error:[/] give exactly one of --companies and --listings")
        raise typer.Exit(code=2)
    try:
        comp, lst = generate_region(companies, n_listings=listings, seed=seed)
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    out.mkdir(parents=True, exist_ok=True)
    comp.to_csv(out / "companies.csv", index=False)
    lst.to_csv(out / "listings.csv", index=False)
    console.print(f"Wrote {len(comp)} companies to {out / 'companies.csv'} and {len(lst)} listings to {out / 'listings.csv'}")


@app.command()
def template(out: Annotated[Path, typer.Option("--out", help="Where to write the empty workbook.")] = Path("template.xlsx")) -> None:
    """Write the empty input workbook, with a sheet that explains every column."""
    from symbiosis.template import write_template

    console.print(f"Wrote {write_template(out)}")


register_server_commands(app)
register_planner_commands(app)

def main() -> None:
    """Entry point of the ``symbiosis`` command."""
    app()
