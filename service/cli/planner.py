"""Commands for regional planners: analyse, resilience, processor-site, scenario run/compare.

Each command matches the region first (the bundled Kalundborg data unless files are given) and then
calls the ``analytics`` layer; the engine and pandas are imported inside the commands.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from service.cli.console import engine_errors, escape, fmt, out, table, usage_error, write_errors
from service.cli.match import LocaleChoice, LocaleOpt, ObjectiveChoice, ObjectiveOpt, check_out_dir

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from service.files import RunFiles

#: Rows of the keystone table printed in the terminal (network.csv holds all).
SHOWN_ROWS = 15
#: Longest file name (without ``.json``) that ``scenario run --save`` derives from a scenario's name.
SAVED_NAME_MAX = 100

scenario_app = typer.Typer(help="What-if scenarios: add or remove companies and listings, re-solve, compare.",
                           no_args_is_help=True)

CompaniesOpt = Annotated[Optional[Path], typer.Option(
    "--companies", help="Companies CSV file (default: the bundled Kalundborg data).")]
ListingsOpt = Annotated[Optional[Path], typer.Option("--listings", help="Listings CSV file.")]
WorkbookOpt = Annotated[Optional[Path], typer.Option(
    "--workbook", help="An .xlsx workbook with sheets companies and listings.")]


def _inputs(companies: Path | None, listings: Path | None, workbook: Path | None) -> dict:
    if workbook is not None and (companies is not None or listings is not None):
        usage_error("give either --workbook or --companies/--listings, not both")
    if workbook is not None:
        return {"workbook": workbook}
    if (companies is None) != (listings is None):
        usage_error("give both --companies and --listings (or --workbook, or neither for the demo data)")
    if companies is None:
        from service.files import kalundborg_paths

        return dict(kalundborg_paths())
    return {"companies": companies, "listings": listings}


def _solve_params(objective: ObjectiveChoice):
    from solvers.params import SolveParams
    from symbiosis.objective import Objective

    return SolveParams(objective=Objective(objective.value))


def _match(companies: Path | None, listings: Path | None, workbook: Path | None,
           objective: ObjectiveChoice, locale: LocaleChoice | None = None) -> RunFiles:
    inputs = _inputs(companies, listings, workbook)
    from service.files import match_files

    with engine_errors():
        # The analyses read the candidate arcs, which a run in parts does not keep.
        return match_files(**inputs, solve_params=_solve_params(objective), in_parts=False,
                           locale=locale and locale.value)


#: The options that say which region a planner's command matches first.
REGION_OPTIONS = (
    inspect.Parameter("companies", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=CompaniesOpt),
    inspect.Parameter("listings", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ListingsOpt),
    inspect.Parameter("workbook", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=WorkbookOpt),
    inspect.Parameter("objective", inspect.Parameter.KEYWORD_ONLY, default=ObjectiveChoice.DIVERTED,
                      annotation=ObjectiveOpt),
    inspect.Parameter("locale", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=LocaleOpt),
)


#: What a command decorated with :func:`on_region` calls to match its region (after its own checks).
Region = Callable[[], "RunFiles"]


def on_region(command: Callable[..., None]) -> Callable[..., None]:
    """Give a planner's command the options of :data:`REGION_OPTIONS`.

    The command declares ``*, objective, region`` after its own options; ``region()`` matches the
    region the options name and returns its :class:`service.files.RunFiles`.
    """
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values()
           if p.name not in ("objective", "region")]
    signature = inspect.Signature([*own, *REGION_OPTIONS], return_annotation=None)

    @functools.wraps(command)
    def with_region(**options) -> None:
        inputs = {name: options.pop(name) for name in ("companies", "listings", "workbook", "locale")}
        command(**options, region=functools.partial(_match, **inputs, objective=options["objective"]))

    with_region.__signature__ = signature
    with_region.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    return with_region


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _figures_table(title: str, columns: dict[str, object], rows) -> Table:
    """Figures (rows) side by side in named columns; ``rows`` yields (figure, values...)."""
    shown = table(title, {"figure (per year)": "left", **{name: "right" for name in columns}})
    for figure, *values in rows:
        shown.add_row(figure, *(fmt(v) for v in values))
    return shown


def _before_after(title: str, report) -> Table:
    from analytics.scenarios import METRICS

    columns = {"before": report.before, "after": report.after, "change": report.change}
    return _figures_table(title, columns, ([m, *(values[m] for values in columns.values())] for m in METRICS))


@on_region
def analyse_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the analysis files.")],
    dependency_share: Annotated[Optional[float], typer.Option(
        "--dependency-share", min=0.0, max=0.99,
        help="A company depends on a supplier that delivers more than this share of one of its inputs "
             "(default 0.5).")] = None,
    danish_csv: Annotated[bool, typer.Option(
        "--danish-csv", help="Write the CSV files with ; and a decimal comma, as Danish Excel reads them.")] = False,
    *, objective: ObjectiveChoice, region: Region,
) -> None:
    """Match a region, then write its network analysis: keystones, aggregates, unmatched supply,
    marginal values, GeoJSON and GraphML."""
    check_out_dir(out_dir)
    run = region()
    from analytics.network import DEFAULT_DEPENDENCY_SHARE
    from analytics.report import analyse
    from service.files import write_analysis

    m = run.match
    with engine_errors():
        analysis = analyse(m.registry, m.exchanges, m.unmatched, m.candidates, _solve_params(objective),
                           DEFAULT_DEPENDENCY_SHARE if dependency_share is None else dependency_share)
        written = write_analysis(analysis, out_dir, danish_csv=danish_csv)
    network = analysis.network
    more = len(network) - SHOWN_ROWS
    shown = table(f"Keystone companies ({len(network)})", {
        "rank": "right", "company": "left", "cluster": "right", "partners": "right", "betweenness": "right",
        "direct t": "right", "knock-on t": "right", "total t": "right", "dependants": "right"},
        caption=f"... and {more} more in network.csv" if more > 0 else None)
    for company, r in network.head(SHOWN_ROWS).iterrows():
        shown.add_row(str(int(r["rank"])), str(company), str(int(r["component"])), str(int(r["degree"])),
                      f"{r['betweenness']:.3f}", fmt(r["direct_diverted_t"]), fmt(r["knock_on_diverted_t"]),
                      fmt(r["total_diverted_t"]), str(int(r["dependants"])))
    out.print(shown)
    method = analysis.betweenness
    out.print(f"Betweenness: {method.method}" + (
        f" from {method.sample} sampled source companies (seed {method.seed}; exact up to {method.threshold:,} "
        "companies)" if method.sample else ""))
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)


@on_region
def resilience_command(
    remove: Annotated[str, typer.Option("--remove", help="Company id(s) to close, comma separated.")],
    *, objective: ObjectiveChoice, region: Region,
) -> None:
    """Close companies: the exchanges lost, and how much the rest of the region recovers by re-matching."""
    run = region()
    from analytics.resilience import resilience

    with engine_errors():
        report = resilience(run.match.registry, _split(remove), solve_params=_solve_params(objective),
                            baseline=run.match)
    lost = table(f"Exchanges lost ({len(report.lost_exchanges)})", {
        "offer": "left", "need": "left", "material": "left", "quantity": "right", "diverted t": "right"})
    from symbiosis.schema import diverted_tonnes

    diverted = diverted_tonnes(report.lost_exchanges).to_numpy()  # as the total below counts it
    for r, tonnes in zip(report.lost_exchanges.itertuples(), diverted):
        lost.add_row(f"{r.offer_id} ({r.supplier_id})", f"{r.need_id} ({r.receiver_id})", r.material,
                     f"{fmt(r.quantity)} {r.unit}", fmt(float(tonnes)))
    out.print(lost)
    out.print(_before_after("Region before and after re-matching", report))
    recovery = "n/a (nothing lost)" if report.recovery != report.recovery else f"{report.recovery:.1%}"
    out.print(f"Lost {fmt(report.lost_diverted_t)} t diverted; re-matching regains "
              f"{fmt(report.regained_diverted_t)} t: recovery {recovery}")


@on_region
def processor_site_command(
    material: Annotated[str, typer.Option("--material", help="The offered material (EWC code or class id).")],
    need_material: Annotated[Optional[str], typer.Option(
        "--need-material", help="What the processor makes of it (default: the rule that reaches farthest).")] = None,
    *, objective: ObjectiveChoice, region: Region,
) -> None:
    """Where a new processor of a material would take the most supply that nobody in reach takes now."""
    from analytics.supply import best_processor_site, material_key, processor_rule
    from symbiosis.errors import InputError, Problem

    keys: dict[str, str] = {}
    problems = []
    for option, text in (("--material", material), ("--need-material", need_material)):
        if text is not None:
            try:
                keys[option] = material_key(text)
            except ValueError as exc:
                problems.append(Problem("command line", None, option, str(exc)))
    with engine_errors():
        if problems:
            raise InputError(problems)
        # A material no rule takes is told before the region is matched.
        processor_rule(keys["--material"], need_material=keys.get("--need-material"))
    run = region()
    with engine_errors():
        site = best_processor_site(run.match.registry, run.match.unmatched, keys["--material"],
                                   need_material=keys.get("--need-material"))
    out.print(
        f"Best site for a processor of [bold]{escape(site.material)}[/] into {escape(str(site.need_material))}: "
        f"lat {site.lat:.5f}, lon {site.lon:.5f}; it would take {fmt(site.quantity)} {site.canonical_unit}/yr "
        f"from {len(site.offers)} offer(s) within {site.max_distance_km:g} km by {site.transport_mode} "
        f"({site.sites_tried} sites compared)")
    for offer in site.offers:
        out.print(f"  - {offer}", markup=False)


def _slug(name: str) -> str:
    """A file name (without ``.json``) for a scenario's name: lower case, each run of other characters
    than letters, digits, ``.``, ``_`` and ``-`` as one ``-``, no leading or trailing ``-`` or ``.``;
    longer than :data:`SAVED_NAME_MAX`, cut and ended by a short hash of the whole name."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.").lower() or "scenario"
    if len(slug) > SAVED_NAME_MAX:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:SAVED_NAME_MAX - len(digest) - 1].rstrip('-.')}-{digest}"
    return slug


def _out_file_problem(path: Path, *, make_folder: bool = False) -> str | None:
    """Why a result file cannot be written at ``path``, or None; its folder must exist unless
    ``make_folder`` (then it is created when the file is written)."""
    from service.files import out_dir_problem, path_name_problem

    try:
        problem = path_name_problem(path)
        if problem is not None:
            return problem
        if path.is_symlink() and not path.exists():
            return f"it is a link to {os.readlink(path)}, which does not exist"
        if path.is_dir():
            return "it is a folder, not a file"
        if path.exists():
            return None if os.access(path, os.W_OK) else "this user may not write this file"
        folder = path.absolute().parent
        if not make_folder and not folder.exists() and not folder.is_symlink():
            return f"the folder {folder} does not exist"
    except OSError as exc:
        return f"it cannot be used: {exc.strerror or exc}"
    problem = out_dir_problem(folder)
    return None if problem is None else f"its folder {folder}: {problem}"


def _read_table(path: Path | None) -> pd.DataFrame | None:
    from symbiosis.registry import read_csv_table

    return None if path is None else read_csv_table(path)


def _read_json(path: Path):
    """A JSON file's content; a missing or broken file is an input problem naming the file and line."""
    from symbiosis.errors import InputError, Problem

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, "file not found")]) from None
    except OSError as exc:
        raise InputError([Problem(path.name, None, None, f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError([Problem(path.name, None, None, f"is not UTF-8 text (byte {exc.start:,}: {exc.reason}): "
                                                         "save it as UTF-8")]) from None
    except json.JSONDecodeError as exc:
        raise InputError([Problem(path.name, exc.lineno, None, f"is not valid JSON: {exc.msg}")]) from None
    except RecursionError:
        raise InputError([Problem(path.name, None, None, "is not valid JSON here: it is nested too deeply")]) from None


@scenario_app.command("run")
@on_region
def scenario_run(
    file: Annotated[Optional[Path], typer.Argument(help="A scenario JSON file (see the README for its format).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Name of the scenario (overrides the file's).")] = None,
    add_companies: Annotated[Optional[Path], typer.Option("--add-companies", help="CSV of companies to add.")] = None,
    add_listings: Annotated[Optional[Path], typer.Option("--add-listings", help="CSV of listings to add.")] = None,
    remove: Annotated[Optional[str], typer.Option("--remove", help="Company id(s) to remove, comma separated.")] = None,
    remove_listings: Annotated[Optional[str], typer.Option(
        "--remove-listings", help="Listing id(s) to remove, comma separated.")] = None,
    save: Annotated[Optional[Path], typer.Option("--save", help="Folder to save the result in as <name>.json.")] = None,
    *, objective: ObjectiveChoice, region: Region,
) -> None:
    """Run a scenario on a region (never changing the input files) and report every indicator's change."""
    from analytics.scenarios import Scenario, run_scenario
    from symbiosis.errors import InputError, Problem

    check_out_dir(save, "--save")
    with engine_errors():
        if file is not None:
            data = _read_json(file)
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
    path = None if save is None else save / f"{_slug(scenario.name)}.json"
    if path is not None and (problem := _out_file_problem(path, make_folder=True)) is not None:
        usage_error(f"--save {save}: cannot save the result as {path.name}: {problem}")
    run = region()
    with engine_errors():
        result = run_scenario(run.match.registry, scenario, solve_params=_solve_params(objective),
                              baseline=run.match)
    out.print(_before_after(f"Scenario {scenario.name!r}", result))
    if path is not None:
        with write_errors():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        out.print(f"Saved {path}", markup=False)


@scenario_app.command("compare")
def scenario_compare(
    files: Annotated[list[Path], typer.Argument(help="Saved scenario results (scenario run --save).")],
    csv_out: Annotated[Optional[Path], typer.Option("--out", help="Also write the comparison as CSV.")] = None,
    danish_csv: Annotated[bool, typer.Option(
        "--danish-csv", help="Write the CSV with ; and a decimal comma, as Danish Excel reads it.")] = False,
) -> None:
    """Saved scenarios side by side: each figure before, after and its change."""
    from analytics.scenarios import compare_scenarios
    from symbiosis.errors import InputError
    from service.results_workbook import write_csv_for_excel

    if csv_out is not None and (problem := _out_file_problem(csv_out)) is not None:
        usage_error(f"--out {csv_out}: {problem}")
    with engine_errors():
        results, problems = [], []
        for path in files:
            try:
                results.append(_read_json(path))
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputError(problems)
        compared = compare_scenarios(results, labels=[path.name for path in files])
    out.print(_figures_table(f"{len(files)} scenario(s)", dict.fromkeys(compared.columns),
                             ([metric, *row] for metric, row in compared.iterrows())))
    if csv_out is not None:
        with write_errors():
            write_csv_for_excel(compared.rename_axis(compared.index.name or "figure"), csv_out, danish=danish_csv)
        out.print(f"Wrote {csv_out}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``analyse``, ``resilience``, ``processor-site`` and ``scenario run/compare`` to ``symbiosis``."""
    app.command("analyse")(analyse_command)
    app.command("resilience")(resilience_command)
    app.command("processor-site")(processor_site_command)
    app.add_typer(scenario_app, name="scenario")
