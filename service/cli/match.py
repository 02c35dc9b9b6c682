"""Matching commands of the command line: demo, match, explain, generate and template.

The engine (pandas, scikit-learn, OR-Tools) is imported inside each command, never at import time.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from service.cli.console import engine_errors, err, escape, fmt, out, progress, table, usage_error, write_errors

if TYPE_CHECKING:
    from service.files import RunFiles

#: Rows of exchanges and unmatched listings printed in the terminal (the files hold all).
SHOWN_ROWS = 25


# The choices of ``symbiosis.objective.Objective``, ``solvers.params.SolverName`` and ``MILP_ENGINES``, written
# out so that ``--help`` imports no engine (tests/service/test_cli.py checks that they stay equal).
class ObjectiveChoice(str, Enum):
    DIVERTED = "diverted"
    CO2 = "co2"
    VALUE = "value"


class SolverChoice(str, Enum):
    AUTO = "auto"
    FLOW = "flow"
    LP = "lp"
    MILP = "milp"
    GREEDY = "greedy"


class MilpEngineChoice(str, Enum):
    SCIP = "scip"
    HIGHS = "highs"


ObjectiveOpt = Annotated[ObjectiveChoice, typer.Option("--objective", help="What to maximise.")]
SolverOpt = Annotated[SolverChoice, typer.Option("--solver", help="Which engine solves the model.")]
class LocaleChoice(str, Enum):
    """How numbers typed as text are read (a copy of ``symbiosis.numbers``' locales, kept light)."""

    DA = "da"
    EN = "en"


LocaleOpt = Annotated[Optional[LocaleChoice], typer.Option(
    "--locale", help="da (1.234,5) or en (1,234.5): how numbers typed as text are read (default: detected).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the run summary as JSON on stdout instead of the tables.")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Also write the files into this folder.")]


def check_out_dir(out_dir: Path | None, option: str = "--out") -> None:
    """Stop with a usage error naming ``option``, before any work, when result files cannot be
    written into ``out_dir``."""
    if out_dir is None:
        return
    from service.files import out_dir_problem

    problem = out_dir_problem(out_dir)
    if problem is not None:
        usage_error(f"{option} {out_dir}: {problem}")


def run_files(json_summary: bool, **inputs) -> RunFiles:
    """Run :func:`service.files.match_files` with progress bars; engine errors exit with their code,
    a file that cannot be written (a full disk) with 1."""
    from service.files import match_files

    check_out_dir(inputs.get("out_dir"))
    with engine_errors(), progress() as stage, write_errors():
        run = match_files(**inputs, progress=stage)
    if json_summary:
        typer.echo(json.dumps(run.match.summary, indent=2, ensure_ascii=False, default=str))
    else:
        print_run(run)
    return run


def print_run(run: RunFiles) -> None:
    """Print a run's exchanges, indicator totals and unmatched listings as readable tables."""
    from symbiosis.materials import default_catalog
    from symbiosis.schema import INDICATOR_LABELS, INDICATORS, diverted_tonnes

    match = run.match
    result, summary = match.result, match.summary
    ex = match.exchanges.sort_values("objective_contribution", ascending=False)
    shown = table(f"Proposed exchanges ({len(ex)})", {
        "offer": "left", "need": "left", "material": "left", "quantity": "right", "km": "right", "mode": "left",
        "diverted t": "right", "CO2e avoided t": "right", "transport CO2e t": "right"},
        caption=f"... and {len(ex) - SHOWN_ROWS} more in exchanges.csv" if len(ex) > SHOWN_ROWS else None)
    diverted = diverted_tonnes(ex)
    head = ex.head(SHOWN_ROWS)
    star = default_catalog().shown  # a hazardous code keeps its star, as in the files
    head = head.assign(material=star(head["material"]), need_material=star(head["need_material"]))
    for r in head.itertuples():
        shown.add_row(
            f"{r.offer_id} ({r.supplier_id})", f"{r.need_id} ({r.receiver_id})", f"{r.material} -> {r.need_material}",
            f"{fmt(r.quantity)} {r.unit}", f"{r.distance_km:.1f}", r.transport_mode,
            fmt(diverted[r.Index]), fmt(r.co2e_t), fmt(r.transport_co2e_t),
        )
    out.print(shown)

    totals = table("Effect indicators per year", {"indicator": "left", "total": "right", "unknown in": "right"})
    labels = {**INDICATOR_LABELS, "transport_co2e_t": "transport emissions (t CO2e, well-to-wheel)",
              "value_eur": "net benefit (EUR, after transport, treatment and link costs)"}
    for key in (*INDICATORS, "transport_co2e_t", "value_eur"):
        unknown = summary["unknown"].get(key, 0)
        totals.add_row(labels[key], fmt(summary["totals"][key]), f"{unknown} exchange(s)" if unknown else "")
    out.print(totals)

    unmatched = match.unmatched
    if len(unmatched):
        more = len(unmatched) - SHOWN_ROWS
        un = table(f"Unmatched listings ({len(unmatched)})",
                   {"listing": "left", "kind": "left", "material": "left", "reason": "left"},
                   caption=f"... and {more} more in unmatched.csv" if more > 0 else None)
        listed = unmatched.head(SHOWN_ROWS)
        for listing, r in listed.assign(material=default_catalog().shown(listed["material"])).iterrows():
            un.add_row(str(listing), r["kind"], r["material"], r["reason"])
        out.print(un)
    timing = ", ".join(f"{k} {v:.2f} s" for k, v in match.timings.items())
    bound = "n/a" if summary["bound"] is None else fmt(summary["bound"])
    out.print(
        f"[bold]{result.status.value}[/] by {result.solver}: objective {result.objective.value} = "
        f"{fmt(result.objective_value)} {result.objective.unit} (bound {bound}); {timing}"
    )
    for notice in summary["notices"]:
        err.print(f"[yellow]note:[/] {escape(str(notice))}")
    if run.written:
        out.print("Wrote " + ", ".join(str(p) for p in run.written), markup=False)


def demo(
    out_dir: OutOpt = None,
    objective: ObjectiveOpt = ObjectiveChoice.DIVERTED,
    solver: SolverOpt = SolverChoice.AUTO,
    json_summary: JsonOpt = False,
) -> None:
    """Match the bundled Kalundborg Symbiosis dataset and print the result."""
    from service.files import kalundborg_paths
    from solvers.params import SolveParams, SolverName
    from symbiosis.objective import Objective

    paths = kalundborg_paths()
    run_files(json_summary, companies=paths["companies"], listings=paths["listings"], out_dir=out_dir,
              solve_params=SolveParams(objective=Objective(objective.value), solver=SolverName(solver.value)))


def match(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for exchanges.csv, unmatched.csv, summary.json.")],
    companies: Annotated[Optional[Path], typer.Option("--companies", help="Companies CSV file.")] = None,
    listings: Annotated[Optional[Path], typer.Option("--listings", help="Listings CSV file.")] = None,
    workbook: Annotated[Optional[Path], typer.Option(
        "--workbook", help="An .xlsx workbook with sheets companies and listings.")] = None,
    objective: ObjectiveOpt = ObjectiveChoice.DIVERTED,
    solver: SolverOpt = SolverChoice.AUTO,
    max_candidates: Annotated[Optional[int], typer.Option(
        "--max-candidates", min=1,
        help="Nearest partners each listing looks up per material group (default: the engine's, 10).")] = None,
    time_limit: Annotated[Optional[float], typer.Option(
        "--time-limit", min=0.1, help="Seconds per LP or MILP solve.")] = None,
    directives: Annotated[Optional[Path], typer.Option("--directives", help=(
        "CSV of lock/forbid directives (action, offer_id, need_id, supplier_id, receiver_id, min_quantity, max_quantity)."))] = None,
    weights: Annotated[Optional[Path], typer.Option(
        "--weights", help="CSV of objective weights (kind: indicator or material, name, weight).")] = None,
    milp_engine: Annotated[Optional[MilpEngineChoice], typer.Option(
        "--milp-engine", help="Engine for the MILP (default scip).")] = None,
    gap: Annotated[Optional[float], typer.Option(
        "--gap", min=0.0, max=0.99, help="Relative gap at which the MILP stops (default 1e-4).")] = None,
    workers: Annotated[Optional[int], typer.Option(
        "--workers", min=1, help="Threads for the MILP engine (HiGHS; default 1).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Random seed of the MILP engine (default 0).")] = None,
    processes: Annotated[Optional[int], typer.Option(
        "--processes", min=1, help=("Worker processes that solve independent material components side by side "
                                    "(default: one per core, at most 4, from 4 million useful arcs; 1: all in "
                                    "this process)."))] = None,
    allow_subsidised: Annotated[bool, typer.Option(
        "--allow-subsidised",
        help="Also propose exchanges that lose money (a subsidised round); the summary counts them.")] = False,
    locale: LocaleOpt = None,
    reference: Annotated[Optional[Path], typer.Option(
        "--reference", help=("Folder with a region's own compatibility.csv, transport_modes.csv, link_costs.csv or "
                             "prices.csv, replacing the shipped files of the same name."))] = None,
    geocoder_url: Annotated[Optional[str], typer.Option(
        "--geocoder-url", help=("Nominatim-compatible geocoder that places companies with an address and no "
                                "coordinates (public Nominatim: https://nominatim.openstreetmap.org).")
    )] = None,
    geocoder_cache: Annotated[Optional[Path], typer.Option(
        "--geocoder-cache", help="JSON file that remembers geocoder answers between runs.")] = None,
    danish_csv: Annotated[bool, typer.Option(
        "--danish-csv", help="Write the CSV files with ; and a decimal comma, as Danish Excel reads them.")] = False,
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", help=("Dask distributed scheduler (tcp://host:8786): candidate search and component "
                             "solves run on its workers; without it, everything runs on this machine."))] = None,
    in_parts: Annotated[Optional[bool], typer.Option(
        "--in-parts/--at-once", help=("Match one independent part of the region at a time (the same exchanges, "
                                      "unless a MILP stops at its time limit, in far less memory, one part after "
                                      "another) or all at once (default: in parts from 500,000 listings)."))] = None,
    json_summary: JsonOpt = False,
) -> None:
    """Match companies and listings from two CSV files or one workbook and write the results."""
    if workbook is None and (companies is None or listings is None):
        usage_error("give --companies and --listings, or --workbook")
    if workbook is not None and (companies is not None or listings is not None):
        usage_error("give either --workbook or --companies/--listings, not both")
    from solvers.params import SolveParams, SolverName
    from symbiosis.candidates import CandidateParams
    from symbiosis.objective import Objective

    chosen = {"time_limit_s": time_limit, "milp_engine": milp_engine and milp_engine.value, "relative_gap": gap, "workers": workers,
              "seed": seed, "processes": processes}
    solve_params = SolveParams(objective=Objective(objective.value), solver=SolverName(solver.value),
                               allow_subsidised=allow_subsidised, **{k: v for k, v in chosen.items() if v is not None})
    candidate_params = CandidateParams() if max_candidates is None else CandidateParams(max_candidates=max_candidates)
    geocoder = None
    if geocoder_url is not None:
        from importlib.metadata import version

        from symbiosis.geocode import Geocoder

        geocoder = Geocoder(url=geocoder_url, user_agent=f"symbiosis-engine/{version('symbiosis-engine')}",
                            cache_path=geocoder_cache)
    run_files(json_summary, companies=companies, listings=listings, workbook=workbook, directives=directives,
              weights=weights, out_dir=out_dir, candidate_params=candidate_params, solve_params=solve_params,
              reference=reference, locale=locale and locale.value, geocoder=geocoder, danish_csv=danish_csv,
              scheduler=scheduler, in_parts=in_parts)


def explain(
    listing_id: Annotated[str, typer.Argument(help="The listing to explain.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder of a finished matching run.")],
) -> None:
    """Explain one listing from a run's files: its exchanges, or why it has none."""
    import pandas as pd

    from symbiosis.schema import INDICATOR_LABELS, INDICATORS, diverted_tonnes

    exchanges = _result_table(out_dir / "exchanges.csv", ("offer_id", "need_id"), dtype={"offer_id": str, "need_id": str},
                              keep_default_na=False, na_values=[""])
    unmatched = _result_table(out_dir / "unmatched.csv", ("listing_id", "nearest_id", "nearest_km"),
                              dtype={"listing_id": str, "nearest_id": str}, keep_default_na=False,
                              na_values={"nearest_km": [""]})
    mine = exchanges[(exchanges["offer_id"] == listing_id) | (exchanges["need_id"] == listing_id)]
    for _, r in mine.iterrows():
        side = "supplies" if r["offer_id"] == listing_id else "receives"
        partner = r["need_id"] if r["offer_id"] == listing_id else r["offer_id"]
        shown = table(f"{listing_id} {side}: exchange with {partner}", {"field": "left", "value": "left"})
        shown.show_header = False
        shown.add_row("quantity", f"{fmt(r['quantity'])} {r['unit']} -> {fmt(r['need_quantity'])} {r['need_unit']}")
        shown.add_row("rule", f"{r['rule_id']} ({r['material']} -> {r['need_material']}), yield {r['yield']:g}")
        limit = (f"limit {r['max_distance_km']:.0f} km" if pd.notna(r["max_distance_km"])
                 else "no distance limit: its cost decides")
        if pd.notna(r["max_distance_km"]) and r["distance_km"] > r["max_distance_km"] * (1 + 1e-9):
            limit += " (beyond it: a facilitator's lock keeps it)"
        shown.add_row("distance", f"{r['distance_km']:.1f} km by {r['transport_mode']}, {limit}")
        shown.add_row("objective contribution", fmt(r["objective_contribution"]))
        for key in INDICATORS:
            shown.add_row(INDICATOR_LABELS[key], fmt(r[key]))
        shown.add_row("transport emissions (t CO2e)", fmt(r["transport_co2e_t"]))
        for key, label in (("receiver_saving_eur", "receiver's saving (EUR/yr)"),
                           ("supplier_saving_eur", "supplier's saving (EUR/yr)"),
                           ("treatment_cost_eur", "treatment cost (EUR/yr)"),
                           ("transport_cost_eur", "transport cost (EUR/yr)"), ("link_cost_eur", "link cost (EUR/yr)"),
                           ("value_eur", "net benefit (EUR/yr)")):
            shown.add_row(label, fmt(r[key]))
        shown.add_row("fair price (EUR per canonical unit of offer)", f"{fmt(r['fair_price_min_eur'])} to {fmt(r['fair_price_max_eur'])}")
        shown.add_row("why", str(r.get("explanation", "")))
        out.print(shown)
    if not mine.empty:
        return
    row = unmatched[unmatched["listing_id"] == listing_id]
    if row.empty:
        usage_error(f"listing {listing_id!r} is not in the results in {out_dir}")
    r = row.iloc[0]
    out.print(f"[bold]{escape(str(listing_id))}[/] "
              + escape(f"({r['kind']}, {r['material']}, company {r['company_id']}): nothing exchanged."))
    out.print(f"Why: {r['reason']}", markup=False)
    if r["nearest_id"]:
        out.print(f"Nearest compatible partner: {r['nearest_id']} at {float(r['nearest_km']):.1f} km", markup=False)


def _result_table(path: Path, columns: tuple[str, ...], **options):
    """A result CSV file as :func:`service.files.write_outputs` wrote it: ``,`` and a decimal point, or
    (``--danish-csv``) ``;`` and a decimal comma, told by the separator of its header line."""
    import csv

    import pandas as pd

    from symbiosis.input_files import detect_separator

    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = handle.readline()
        separator = detect_separator(header)
        table = pd.read_csv(path, encoding="utf-8-sig", sep=separator, decimal="," if separator == ";" else ".",
                            **options)
    except FileNotFoundError:
        usage_error(f"{path.parent} holds no results of a matching run ({path} is missing)")
    except (OSError, UnicodeDecodeError, csv.Error, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        usage_error(f"{path} cannot be read as the results of a matching run: {exc}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        usage_error(f"{path} is not a results file of a matching run: it has no column {', '.join(missing)}")
    if separator == ";":  # the sentences' numbers back in the notation the terminal speaks
        from service.files import english_numbers

        for column in ("explanation", "reason"):
            if column in table:
                table[column] = english_numbers(table[column])
    return table


def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for companies.csv and listings.csv.")],
    companies: Annotated[Optional[int], typer.Option("--companies", min=1, help="Number of companies.")] = None,
    listings: Annotated[Optional[int], typer.Option("--listings", min=1, help="Number of listings instead.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same region.")] = 0,
) -> None:
    """Write a synthetic Trekantområdet region in the input format."""
    if (companies is None) == (listings is None):
        usage_error("give exactly one of --companies and --listings")
    check_out_dir(out_dir)
    from symbiosis.synthetic import write_region

    try:
        n_companies, n_listings = write_region(out_dir, companies, n_listings=listings, seed=seed)
    except ValueError as exc:  # the engine names its parameters; the command line its options
        usage_error(str(exc).replace("n_listings", "--listings").replace("n_companies", "--companies"))
    except OSError as exc:
        usage_error(f"--out {out_dir}: cannot be written: {exc.strerror or exc}")
    out.print(f"Wrote {n_companies} companies to {out_dir / 'companies.csv'} and {n_listings} listings to "
              f"{out_dir / 'listings.csv'}", markup=False)


def template(out_path: Annotated[Path, typer.Option("--out", help="Where to write the empty workbook.")]
             = Path("template.xlsx")) -> None:
    """Write the empty input workbook, with a sheet that explains every column."""
    from symbiosis.template import write_template

    if out_path.is_dir():
        usage_error(f"--out {out_path} is a folder: give the workbook's file name, e.g. {out_path / 'template.xlsx'}")
    try:
        written = write_template(out_path)
    except OSError as exc:
        blocking = next((p for p in out_path.parents if p.exists()), None)
        if blocking is not None and not blocking.is_dir():
            usage_error(f"--out {out_path}: {blocking} is a file, not a folder")
        usage_error(f"--out {out_path}: cannot be written: {exc.strerror or exc}")
    out.print(f"Wrote {written}", markup=False)


def search(
    query: Annotated[str, typer.Argument(help="Words (English, or Danish for the classes) or a waste code.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="Most results shown.")] = 10,
) -> None:
    """Find the waste code or material class to write in a listing's material column."""
    from symbiosis.material_search import search_materials

    found = search_materials(query, limit=limit)
    if found.empty:
        err.print(f"nothing matches {query!r}", markup=False)
        return
    shown = table(f"Materials matching {query!r}", {"code": "left", "kind": "left", "description": "left"})
    for row in found.itertuples(index=False):
        shown.add_row(str(row.code), str(row.kind), str(row.description))
    out.print(shown)


def register(app: typer.Typer) -> None:
    """Add ``demo``, ``match``, ``explain``, ``generate``, ``template`` and ``materials`` to ``symbiosis``."""
    for command in (demo, match, explain, generate, template):
        app.command(command.__name__)(command)
    materials = typer.Typer(name="materials", help="The waste codes and material classes a listing can name.",
                            no_args_is_help=True)
    materials.command("search")(search)
    app.add_typer(materials)
